"""Talking to the operator's server from the player: heartbeats and proof-of-play uploads.

Each runs on its own thread, waking on ``Event.wait(interval)`` (one call is both the timer
and the stop signal), so a slow or dead server never blocks the render loop. They only read
files the loop writes atomically (the status file, closed proof logs).
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import requests

from player.ops.proof import log_files, log_name

log = logging.getLogger(__name__)

TIMEOUTS = (5.0, 20.0)


class _Periodic:
    """A daemon thread that calls :meth:`tick` every ``interval`` seconds (with jitter)."""

    name = "uplink"

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        # A fleet restarted together must not report in step.
        while not self._stop.wait(self.interval * random.uniform(0.8, 1.2)):
            try:
                self.tick()
            except Exception:  # the thread must outlive one bad tick
                log.exception("%s failed", self.name)

    def tick(self) -> None:
        raise NotImplementedError


class Heartbeat(_Periodic):
    """POSTs the status file to ``url`` every ``interval`` seconds."""

    name = "heartbeat"

    def __init__(
        self, url: str, status_file: Path, interval: float, token: str | None, session: requests.Session
    ) -> None:
        super().__init__(interval)
        self.url, self.status_file, self.token, self.session = url, status_file, token, session

    def tick(self) -> None:
        try:
            body = self.status_file.read_bytes()
        except OSError:
            return
        try:
            response = self.session.post(
                self.url,
                data=body,
                headers=_headers(self.token, "application/json"),
                timeout=TIMEOUTS,
                allow_redirects=False,
            )
            if response.status_code >= 300:
                log.warning("heartbeat: HTTP %d from the server%s", response.status_code, _not_followed(response))
        except requests.RequestException as error:
            log.warning("heartbeat not sent: %s", type(error).__name__)


class ProofUploader(_Periodic):
    """POSTs closed proof-of-play logs (days before today, UTC) and deletes each only after
    the server answered 2xx; every batch carries an id so the server can drop a re-send.

    ``today`` is the wall clock (aware), from the caller (the CLI passes ``env.now``): it says
    which log is still being written.
    """

    name = "proof-upload"

    def __init__(
        self,
        url: str,
        folder: Path,
        screen_id: str,
        interval: float,
        token: str | None,
        session: requests.Session,
        *,
        today: Callable[[], datetime],
    ) -> None:
        super().__init__(interval)
        self.url, self.folder, self.screen_id, self.token, self.session = url, folder, screen_id, token, session
        self._today = today

    def tick(self) -> None:
        today = log_name(self._today().date())
        for path in log_files(self.folder):
            if path.name >= today:
                continue  # still being written
            if not self.upload(path):
                return  # the server is unhappy: try again next time, oldest first

    def upload(self, path: Path) -> bool:
        try:
            body = path.read_bytes()
        except OSError:
            return False
        batch = f"{self.screen_id}/{path.name}/{hashlib.sha256(body).hexdigest()[:16]}"
        headers = {**_headers(self.token, "application/x-ndjson"), "X-Batch-Id": batch}
        try:
            response = self.session.post(self.url, data=body, headers=headers, timeout=TIMEOUTS, allow_redirects=False)
        except requests.RequestException as error:
            log.warning("proof of play %s not uploaded (%s); kept for the next try", path.name, type(error).__name__)
            return False
        if not 200 <= response.status_code < 300:
            status, why = response.status_code, _not_followed(response)
            log.warning("proof of play %s: HTTP %d%s; kept for the next try", path.name, status, why)
            return False
        path.unlink(missing_ok=True)
        log.info("proof of play %s uploaded (%d bytes)", path.name, len(body))
        return True


def _not_followed(response: requests.Response) -> str:
    """Why a redirect was not followed: the screen's report (and its token) goes only where the
    config says, never where a server or whoever answers for it points (another host, plain http)."""
    if not response.is_redirect:
        return ""
    return f" (a redirect to {response.headers.get('Location', '?')}, not followed: put the final URL in the config)"


def _headers(token: str | None, content_type: str) -> dict[str, str]:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers
