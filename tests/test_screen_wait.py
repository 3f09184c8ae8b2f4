"""A service whose screen SDL cannot open yet waits for it instead of failing.

A start that fails at once is restarted at once, seconds of CPU each time, with a journal
line that looks like a fault. Here the screen is an X server started two seconds after the
player. (The boot's race with the GPU driver is waited out before the service starts:
systemd/signage-screen.service, tested in test_systemd.py and by make box-test.)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import content_folder
from tests.xserver import free_display, start_xvfb, stop_xvfb

SCREEN_LATE_S = 2.0
HELLO = {"p.yaml": "name: p\nslides:\n  - {text: Hello, duration: 60, id: hello}\n"}


def player_env(display: str, **extra: str) -> dict[str, str]:
    """No SDL driver forced: SDL looks for a screen as on a real start (X11 here, KMSDRM on a console)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SDL_")}
    return {**env, "DISPLAY": display, "TZ": "UTC", **extra}


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify.sock")
    sock.bind(path)
    sock.settimeout(0.2)
    yield sock, path
    sock.close()


def test_a_service_waits_for_a_screen_that_comes_late(tmp_path: Path, listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    display = free_display(261, 299)
    command = [sys.executable, "-m", "player", "run", "--fullscreen", "--duration", "1"]
    env = player_env(display, NOTIFY_SOCKET=path, WATCHDOG_USEC="2000000")
    began = time.monotonic()
    process = subprocess.Popen(command, cwd=content_folder(tmp_path, HELLO), env=env, stderr=subprocess.PIPE, text=True)
    messages: list[tuple[float, bytes]] = []
    server = None
    try:
        while process.poll() is None and time.monotonic() - began < 40:
            if server is None and time.monotonic() - began >= SCREEN_LATE_S:
                server = start_xvfb(display, "640x360")
            try:
                messages.append((time.monotonic() - began, sock.recv(256)))
            except TimeoutError:
                continue
        _, log = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
        if server is not None:
            stop_xvfb(server)
    assert process.returncode == 0, log
    said = [message for _, message in messages]
    assert b"STATUS=waiting for a screen" in said, said
    assert b"WATCHDOG=1" in said[: said.index(b"READY=1")], "the watchdog hears from a waiting start"
    ready_at = next(at for at, message in messages if message == b"READY=1")
    assert ready_at > SCREEN_LATE_S, "READY only once the screen is there"
    assert "no screen yet" in log and "the screen appeared after" in log, log


def test_run_by_hand_without_a_screen_says_so_at_once(tmp_path: Path) -> None:
    display = free_display(261, 299)  # nothing listens there
    command = [sys.executable, "-m", "player", "run", "--fullscreen", "--duration", "1"]
    began = time.monotonic()
    done = subprocess.run(
        command,
        cwd=content_folder(tmp_path, HELLO),
        env=player_env(display),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "no display to play on" in done.stderr, done.stderr
    assert "no screen yet" not in done.stderr
    assert time.monotonic() - began < 10
