"""A real X server (Xvfb) for the tests that need a desktop: a free display number, started
and waited for, and stopped."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path


def free_display(first: int, last: int) -> str:
    """``:N`` for the first N in ``first..last`` with no X server's socket or lock file."""
    for number in range(first, last + 1):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return f":{number}"
    raise AssertionError(f"no free X display number in {first}..{last}")


def start_xvfb(display: str, size: str) -> subprocess.Popen[bytes]:
    """Xvfb on ``display`` with one ``size`` (WxH) screen, once it accepts connections.

    -noreset: without it Xvfb resets when its last client leaves (the GL probe's child), and a
    player connecting during the reset loses its connection (a flaky exit, seen twice).
    """
    if shutil.which("Xvfb") is None:
        raise AssertionError("Xvfb is missing: `make test` installs it (Debian package xvfb)")
    server = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{size}x24", "-nolisten", "tcp", "-noreset"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    socket = Path(f"/tmp/.X11-unix/X{display.removeprefix(':')}")
    began = time.monotonic()
    while not socket.exists():
        assert server.poll() is None and time.monotonic() - began < 10, "Xvfb did not start"
        time.sleep(0.05)
    return server


def stop_xvfb(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(10)
