"""systemd's notify protocol against a real datagram socket, and from the real player."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from player.ops.notify import Notifier


@pytest.fixture
def listener(tmp_path: Path):  # type: ignore[no-untyped-def]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify.sock"
    sock.bind(str(path))
    sock.settimeout(10)
    yield sock, str(path)
    sock.close()


def test_messages_reach_the_socket(listener) -> None:  # type: ignore[no-untyped-def]
    sock, path = listener
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"})
    assert notifier.watchdog_interval == 2.0
    notifier.ready()
    notifier.status("playing house/welcome")
    notifier.status("playing house/welcome")  # unchanged: not sent again
    notifier.watchdog()
    assert [sock.recv(256) for _ in range(3)] == [b"READY=1", b"STATUS=playing house/welcome", b"WATCHDOG=1"]
    notifier.close()


def test_without_a_socket_nothing_happens() -> None:
    notifier = Notifier({})
    assert not notifier.enabled and notifier.watchdog_interval is None
    notifier.ready()  # no error


def test_only_the_variables_it_is_given_count(listener, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The CLI passes ``env.environ``: a socket in this process's own environment is not used."""
    _, path = listener
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setenv("WATCHDOG_USEC", "4000000")
    notifier = Notifier({})
    assert not notifier.enabled and notifier.watchdog_interval is None
    assert Notifier({"NOTIFY_SOCKET": path}).enabled


def test_watchdog_for_another_pid_is_ignored() -> None:
    assert Notifier({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}).watchdog_interval is None


def notifications(
    sock: socket.socket, path: str, root: Path, config: str, *args: str, **environ: str
) -> list[tuple[float, bytes]]:
    """Run the real player on one playlist under ``root``; the (seconds, message) it sent systemd."""
    for folder in ("playlists", "media", "state", "config"):
        (root / folder).mkdir()
    (root / "config" / "player.yaml").write_text(config)
    (root / "playlists" / "house.yaml").write_text("name: house\nslides:\n  - {text: Hello, duration: 60, id: hello}\n")
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "NOTIFY_SOCKET": path, **environ}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "player", "run", "--windowed", "--size", "320x180", *args],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    messages: list[tuple[float, bytes]] = []
    try:
        while process.poll() is None or messages == []:
            try:
                message = sock.recv(256)
            except TimeoutError:
                break
            messages.append((time.monotonic() - started, message))
            if messages[-1][1] == b"STOPPING=1":
                break
    finally:
        process.wait(20)
    return messages


def test_the_player_sends_ready_status_and_watchdog_at_half_the_interval(listener, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    messages = notifications(*listener, tmp_path, "timezone: UTC\n", "--duration", "3.2", WATCHDOG_USEC="1000000")
    kinds = [m for _, m in messages]
    assert kinds[0] == b"READY=1"
    assert b"STATUS=playing house/hello" in kinds
    assert kinds[-1] == b"STOPPING=1"
    pings = [t for t, m in messages if m == b"WATCHDOG=1"]
    gaps = [b - a for a, b in itertools.pairwise(pings)]
    # Half of WATCHDOG_USEC (0.5 s) while a static slide is up: the loop wakes for it.
    assert len(pings) >= 5 and all(0.3 < gap < 0.8 for gap in gaps), gaps


def test_a_player_started_outside_its_on_hours_is_ready(listener, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The black screen of display.on_hours is the first frame: READY, not a start that never ends."""
    config = 'timezone: UTC\ndisplay:\n  on_hours: ["07:00-08:00"]\n'
    # PATH without xset or vcgencmd: the panel cannot be switched, it shows black.
    messages = notifications(*listener, tmp_path, config, "--duration", "2", "--at", "2018-02-10T03:00", PATH=str(tmp_path))
    assert b"READY=1" in [m for _, m in messages]
