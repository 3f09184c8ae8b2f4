"""A web page's snapshot, taken by headless Chromium in a short-lived child process.

The browser gets its own process group, its own throw-away profile and home folder, and a
deadline: a page that never finishes loading is cut off by killing the whole group, so no
renderer or helper process outlives it. Helpers that leave the group (Chromium's crash
handler starts in a session of its own) are found by a mark in their environment and killed
too. The picture must be a PNG of exactly the size asked for before it replaces the last
good snapshot, atomically (player.ops.atomic): the player only ever sees a whole picture.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path, PurePosixPath

import requests

from player.core.errors import FeedError, WebshotError
from player.core.webpages import WebPage
from player.fleet.feedsources import probe
from player.ops.atomic import write_bytes_atomic

BROWSERS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")  # Debian; Raspberry Pi OS
MAX_PNG_BYTES = 64 * 1024 * 1024
GROUP_GONE_S = 2.0  # how long a killed browser's processes get to exit
MARK = "SIGNAGE_WEBSHOT"  # environment variable every process of one snapshot inherits
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Quiet: no first-run work, no component or safe-browsing updates, no metrics, no crash
# uploads, no extensions. What the page itself asks for is all it fetches.
QUIET_FLAGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-breakpad",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-pings",
    "--metrics-recording-only",
    "--mute-audio",
    "--disable-dev-shm-usage",  # a small /dev/shm (containers) would crash the renderer
)


def find_browser(configured: str | None) -> str:
    """The browser to run: ``configured`` (feeds.browser), else the first of :data:`BROWSERS` installed.

    Raises:
        WebshotError: none is installed (says how to install one).
    """
    candidates = (configured,) if configured else BROWSERS
    for candidate in candidates:
        if os.access(candidate, os.X_OK) and Path(candidate).is_file():
            return candidate
    if configured:
        raise WebshotError(f"feeds.browser {configured} is not an executable file")
    raise WebshotError("no browser for web snapshots: install Debian's chromium (sudo apt-get install chromium)")


def browser_command(browser: str, page: WebPage, profile: Path, picture: Path) -> list[str]:
    """The command line that snapshots ``page`` into ``picture``. Pure."""
    width, height = page.size
    return [
        browser,
        "--headless",
        "--no-sandbox",  # the service runs without the namespaces Chromium's sandbox needs (and tests as root)
        "--disable-gpu",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--window-size={width},{height}",
        f"--user-data-dir={profile}",
        f"--screenshot={picture}",
        *QUIET_FLAGS,
        page.url,
    ]


def take_snapshot(
    page: WebPage, media: Path, browser: str, deadline: float, *, session: requests.Session, timezone: str = "UTC"
) -> None:
    """Snapshot ``page`` into ``media/page.path``, replacing the last good one only with a good one.

    The page is asked for first (player.fleet.feedsources.probe): an error page or an offline
    server would be pictured as faithfully as the real page.

    Raises:
        WebshotError: the page does not answer 200, did not load within ``deadline`` seconds, the
            browser failed, or its picture is not a PNG of ``page.size`` (the last good one stays).
    """
    target = _target(media, page.path)
    until = time.monotonic() + deadline  # one deadline for the question and the browser together
    try:
        probe(session, page.url, deadline)
    except FeedError as error:
        raise WebshotError(f"the page cannot be shown: {error}") from None
    with tempfile.TemporaryDirectory(prefix="signage-webshot-") as scratch:
        folder = Path(scratch)
        picture = folder / "snapshot.png"
        command = browser_command(browser, page, folder / "profile", picture)
        env = {
            "HOME": str(folder),
            "XDG_CONFIG_HOME": str(folder / "config"),
            "XDG_CACHE_HOME": str(folder / "cache"),
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "TZ": timezone,  # a clock on the page says the screen's time
        }
        try:
            status, said = run_browser(command, max(1.0, until - time.monotonic()), env, folder)
        except TimeoutError:
            raise WebshotError(f"the page did not finish loading within {deadline:g} s: cut off") from None
        if status != 0:
            raise WebshotError(f"{browser} exited with status {status}{': ' + said if said else ''}")
        data = _read_picture(picture)
    size = png_size(data)
    if size is None:
        raise WebshotError("the browser's picture is not a PNG")
    if size != page.size:
        raise WebshotError(f"the browser's picture is {size[0]}x{size[1]}, not {page.size[0]}x{page.size[1]}")
    write_bytes_atomic(target, data)


def run_browser(command: list[str], deadline: float, env: dict[str, str], folder: Path) -> tuple[int, str]:
    """Run ``command`` in its own process group, killed whole at ``deadline``; its status and last words.

    Raises TimeoutError when it was killed at the deadline.

    The group is killed after a normal exit too: a renderer or helper left behind would keep
    memory (and the page's connections) until the next reboot.
    """
    mark = f"{MARK}={folder}".encode()  # the scratch folder is this snapshot's alone
    with (folder / "browser.log").open("w+b") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env={**env, MARK: str(folder)},
            cwd=folder,
            start_new_session=True,
        )
        try:
            status = process.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            _kill_all(process, mark)
            raise TimeoutError(f"killed after {deadline:.3g} s") from None
        except BaseException:
            _kill_all(process, mark)
            raise
        _kill_all(process, mark)
        log.seek(max(0, log.seek(0, os.SEEK_END) - 4096))
        return status, _last_words(log.read())


def _kill_all(process: subprocess.Popen[bytes], mark: bytes) -> None:
    """SIGKILL the browser's whole group and every process carrying ``mark``; wait until none runs.

    Its profile is deleted next, and a helper left running would keep memory and connections.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # the group's id is the leader's pid (start_new_session)
    process.wait()
    until = time.monotonic() + GROUP_GONE_S
    while time.monotonic() < until:
        left = _still_running(process.pid, mark)
        if not left:
            return
        for pid in left:  # those that left the group; the group's own are already dying
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)  # a killed process takes a moment to exit


def _still_running(group: int, mark: bytes) -> list[int]:
    """Processes of ``group`` or with ``mark`` in their environment that still run.

    Zombies do not count: they only wait for init to reap them.
    """
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    running = []
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                state, _, pgrp = handle.read().rsplit(b")", 1)[1].split()[:3]
            if state in (b"Z", b"X"):
                continue
            if int(pgrp) == group or mark in _environment(name):
                running.append(int(name))
        except (OSError, ValueError):  # ended meanwhile, or another user's
            continue
    return running


def _environment(pid: str) -> list[bytes]:
    with open(f"/proc/{pid}/environ", "rb") as handle:
        return handle.read().split(b"\0")


def _last_words(log: bytes) -> str:
    """The browser's last line worth showing: not the D-Bus complaints every headless start makes."""
    lines = [line for line in log.decode("utf-8", "replace").splitlines() if line.strip() and "dbus" not in line]
    return lines[-1].strip()[:300] if lines else ""


def _read_picture(picture: Path) -> bytes:
    try:
        with picture.open("rb") as handle:
            data = handle.read(MAX_PNG_BYTES + 1)
    except FileNotFoundError:
        raise WebshotError("the browser exited without writing a picture") from None
    if len(data) > MAX_PNG_BYTES:
        raise WebshotError(f"the browser's picture is over {MAX_PNG_BYTES:,} bytes")
    return data


def png_size(data: bytes) -> tuple[int, int] | None:
    """A PNG's width and height from its header; None if ``data`` is not a PNG. Pure."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _target(media: Path, path: str) -> Path:
    """``media/path`` for a snapshot path from player.core.webpages; refuses anything that leaves ``media``."""
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or relative.suffix != ".png" or not relative.parts:
        raise WebshotError(f"{path!r} is not a snapshot's place in the media folder")
    target = media.joinpath(*relative.parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.parent.resolve().is_relative_to(media.resolve()):  # media/web is a link out of media
        raise WebshotError(f"{target.parent} leads out of the media folder (a symbolic link?): not written")
    return target
