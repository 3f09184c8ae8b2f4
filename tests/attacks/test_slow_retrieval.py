"""Slow retrieval (The Update Framework's threat model): a server that trickles bytes holds a
poll, and with it every update, for as long as it likes unless the client gives up by itself."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.attacks.common import fresh_site, last_sync, sync_command, sync_once
from tests.fleet import Screen, published_files
from tests.httpserver import BundleServer


def trickled_sync(tmp_path: Path, delay: float, *options: str) -> tuple[Screen, subprocess.CompletedProcess[str], float]:
    """``sync --once`` against a server that sends each object a byte every ``delay`` seconds:
    the screen, the command's result and how long it took."""
    site = fresh_site(tmp_path)
    with BundleServer(site.out) as server:
        server.fault("/objects/*", "trickle", chunk=1, delay=delay)
        screen = Screen(tmp_path / "screen", site, server.url)
        began = time.monotonic()
        result = sync_once(screen, site.public, server.url, *options)
        return screen, result, time.monotonic() - began


def test_a_trickling_server_is_cut_off_by_the_poll_deadline(tmp_path: Path) -> None:
    """One byte every 0.5 s never trips a 20 s read timeout: the whole poll has a deadline."""
    screen, result, took = trickled_sync(tmp_path, 0.5, "--deadline", "4")
    assert result.returncode == 1, result.stderr
    assert "deadline" in result.stderr, result.stderr
    assert took < 20, took
    assert screen.files() == {}


def test_a_transfer_below_the_minimum_rate_is_given_up_long_before_the_deadline(tmp_path: Path) -> None:
    """Five bytes a second: under 100 bytes in 2 s, given up after one window, not after the deadline."""
    screen, result, took = trickled_sync(tmp_path, 0.2, "--deadline", "50", "--min-rate", "100/2")
    assert result.returncode == 1, result.stderr
    assert "minimum" in result.stderr and "deadline" not in result.stderr, result.stderr
    assert took < 15, took
    assert "minimum" in str(last_sync(screen).get("last_error"))
    assert screen.files() == {}


def test_the_service_tells_systemd_it_is_alive_while_a_slow_server_holds_its_poll(tmp_path: Path) -> None:
    """signage-sync.service is Type=notify with a watchdog: READY once started, then WATCHDOG=1
    pings while bytes trickle in (a slow poll is not a hung one), and STATUS= after each poll."""
    site = fresh_site(tmp_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(tmp_path / "notify.sock"))
    listener.settimeout(1.0)
    with BundleServer(site.out) as server, listener:
        server.fault("/objects/*", "trickle", chunk=32, delay=0.1)  # every object: about 4 s in all
        screen = Screen(tmp_path / "screen", site, server.url)
        env = {**os.environ, "TZ": "UTC", "NOTIFY_SOCKET": str(tmp_path / "notify.sock"), "WATCHDOG_USEC": "4000000"}
        command = sync_command(screen, site.public, server.url, "--interval", "2")  # first poll within 2 s
        process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
        messages: list[tuple[float, str]] = []
        try:
            began = time.monotonic()
            while time.monotonic() - began < 12 and not any("version 1 installed" in m for _, m in messages):
                with contextlib.suppress(TimeoutError):
                    messages.append((time.monotonic() - began, listener.recv(4096).decode()))
            process.send_signal(signal.SIGTERM)
            assert process.wait(10) == 0
            with contextlib.suppress(TimeoutError):
                while True:
                    messages.append((time.monotonic() - began, listener.recv(4096).decode()))
        finally:
            if process.poll() is None:
                process.kill()
            _, err = process.communicate()
    texts = [m for _, m in messages]
    assert texts and texts[0] == "READY=1", (texts, err)
    pings = [t for t, m in messages if m == "WATCHDOG=1"]
    installed_at = next(t for t, m in messages if "version 1 installed" in m)
    assert len([t for t in pings if t < installed_at]) >= 2, (messages, err)  # during the slow download
    assert texts[-1] == "STOPPING=1", texts
    assert screen.files() == published_files(site)
