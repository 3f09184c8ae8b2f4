"""The transfer itself: where a screen connects and what it sends. Redirects stay within the
configured origin, and the bearer token never crosses a network in clear."""

from __future__ import annotations

import contextlib
import http.server
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from player.fleet.uplink import ProofUploader
from tests.attacks.common import DEADLINE_S, MANIFEST, fresh_site, sync_command, sync_once
from tests.fleet import Screen, published_files
from tests.httpserver import BundleServer


def test_a_token_is_never_sent_in_clear_over_the_network(tmp_path: Path) -> None:
    """Plain http with a token to anything but this machine is a setup error (exit 2): nothing is sent."""
    site = fresh_site(tmp_path)
    screen = Screen(tmp_path / "screen", site, "http://unused")
    env = {**os.environ, "TZ": "UTC", "SIGNAGE_TOKEN": "s3cret"}
    for url in ("http://signage.invalid/bundle", "http://192.0.2.7:8080"):  # never contacted: refused first
        command = sync_command(screen, site.public, url, "--once")
        result = subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE_S, env=env)
        assert result.returncode == 2, result.stderr
        assert "in clear" in result.stderr and "s3cret" not in result.stderr, result.stderr
    with BundleServer(site.out) as server:  # to this machine it is allowed (a local proxy)
        server.require_token = "s3cret"
        command = sync_command(screen, site.public, server.url, "--once")
        assert subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE_S, env=env).returncode == 0


def test_redirects_leave_neither_the_origin_nor_the_scheme(tmp_path: Path) -> None:
    """A server (or whoever answers for it) redirects elsewhere: refused before anything connects there.
    Within the origin a redirect is followed (a moved folder)."""
    site = fresh_site(tmp_path)
    with BundleServer(site.out) as server:
        port = server.url.rsplit(":", 1)[1]
        elsewhere = [f"http://127.0.0.2:{port}{MANIFEST}",  # another host (loopback, so never the network)
                     "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
                     f"https://127.0.0.1:{port}{MANIFEST}"]  # another scheme
        for location in elsewhere:
            server.fault(MANIFEST, "status", code=302, headers={"Location": location}, times=1)
            screen = Screen(tmp_path / f"screen-{len(server.requests)}", site, server.url)
            result = sync_once(screen, site.public, server.url)
            assert result.returncode == 1, result.stderr
            assert "redirect" in result.stderr and "refused" in result.stderr, result.stderr
            assert screen.files() == {}
        server.fault(MANIFEST, "status", code=301, headers={"Location": f"{MANIFEST}?moved"}, times=1)
        screen = Screen(tmp_path / "screen-moved", site, server.url)
        assert sync_once(screen, site.public, server.url).returncode == 0
        assert screen.files() == published_files(site)


def test_the_player_sends_no_report_with_a_token_over_plain_http(tmp_path: Path) -> None:
    """Heartbeats and proof of play carry the sync token: over plain http to another machine, the
    player sends nothing there (one warning) and plays on. Nothing is contacted: refused first."""
    for folder in ("playlists", "media", "state", "config"):
        (tmp_path / folder).mkdir()
    (tmp_path / "config" / "player.yaml").write_text(
        "timezone: UTC\nreporting:\n  heartbeat_url: http://signage.invalid/heartbeat\n"
        "  proof_url: http://192.0.2.7/proof\n"
    )
    (tmp_path / "playlists" / "house.yaml").write_text("name: house\nslides:\n  - {text: Hello, duration: 60}\n")
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "TZ": "UTC", "SIGNAGE_TOKEN": "s3cret"}
    command = [sys.executable, "-m", "player", "run", "--windowed", "--size", "160x90", "--duration", "1.5"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=DEADLINE_S)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "travel in clear" in line]
    assert len(warnings) == 2 and "s3cret" not in result.stderr, result.stderr


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every POST with what the server says: a redirect elsewhere, or 204 (and records it)."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.seen.append((self.path, self.rfile.read(length)))  # type: ignore[attr-defined]
        location = self.server.redirect_to  # type: ignore[attr-defined]
        self.send_response(307 if location else 204)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def recording_server(host: str, redirect_to: str | None) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer((host, 0), _Recorder)
    server.seen, server.redirect_to = [], redirect_to  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_reports_do_not_follow_a_redirect_to_another_host(tmp_path: Path) -> None:
    """A 307 from the report server re-sends the POST, body and all, wherever it points: heartbeats
    (the real player) and proof of play (its uploader, against the same servers) go only to the
    configured URL; the redirect is logged, the proof kept."""
    elsewhere = recording_server("127.0.0.2", None)  # another host (loopback, so never the network)
    port = elsewhere.server_address[1]
    reports = recording_server("127.0.0.1", f"http://127.0.0.2:{port}/stolen")
    try:
        for folder in ("playlists", "media", "state/proof", "config"):
            (tmp_path / folder).mkdir(parents=True)
        base = f"http://127.0.0.1:{reports.server_address[1]}"
        (tmp_path / "config" / "player.yaml").write_text(
            f"timezone: UTC\nreporting:\n  heartbeat_url: {base}/heartbeat\n  heartbeat_interval: 5\n"
        )
        (tmp_path / "playlists" / "house.yaml").write_text("name: house\nslides:\n  - {text: Hello, duration: 60}\n")
        env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "TZ": "UTC", "SIGNAGE_TOKEN": "s3cret"}
        command = [sys.executable, "-m", "player", "run", "--windowed", "--size", "160x90", "--duration", "7.5"]
        result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=DEADLINE_S)
        yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
        closed = tmp_path / "state" / "proof" / f"proof-{yesterday}.jsonl"  # a closed day's log, due for upload
        closed.write_text('{"slide": "hello"}\n')
        uploader = ProofUploader(f"{base}/proof", closed.parent, "lobby-1", 60.0, "s3cret", requests.Session(),
                                 today=lambda: datetime.now(UTC))
        with caplog_lines() as said:
            sent = uploader.upload(closed)
    finally:
        for server in (reports, elsewhere):
            server.shutdown()
            server.server_close()
    assert result.returncode == 0, result.stderr
    assert {path for path, _ in reports.seen} == {"/heartbeat", "/proof"}, (reports.seen, result.stderr)
    assert elsewhere.seen == [], elsewhere.seen
    assert "not followed" in result.stderr, result.stderr
    assert not sent and closed.exists()  # not acknowledged by the configured server: kept for the next try
    assert any("not followed" in line for line in said), said


@contextlib.contextmanager
def caplog_lines() -> Iterator[list[str]]:
    """The log lines the uplink module writes meanwhile."""
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("player.fleet.uplink")
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
