"""systemd's notify protocol against a real datagram socket, and from the real player."""

from __future__ import annotations

import contextlib
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


def test_a_stored_descriptor_reaches_the_manager_as_the_same_open_file(listener, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """FDSTORE=1 travels with the descriptor (SCM_RIGHTS): the manager holds the same open file."""
    sock, path = listener
    kept = tmp_path / "kept"
    kept.write_bytes(b"")
    fd = os.open(kept, os.O_RDONLY)
    notifier = Notifier({"NOTIFY_SOCKET": path})
    try:
        notifier.store("screen", fd)
        message, fds, _, _ = socket.recv_fds(sock, 256, 4)
        assert message == b"FDSTORE=1\nFDNAME=screen" and len(fds) == 1
        assert os.fstat(fds[0]).st_ino == os.fstat(fd).st_ino and fds[0] != fd
        os.close(fds[0])
        notifier.forget("screen")
        assert sock.recv(256) == b"FDSTOREREMOVE=1\nFDNAME=screen"
    finally:
        notifier.close()
        os.close(fd)


def test_descriptors_handed_back_are_found_by_name_for_this_process_only() -> None:
    from player.ops.notify import handed_back

    environ = {"LISTEN_PID": "42", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "screen:"}
    assert handed_back(environ, 42) == {"screen": 3, "unnamed1": 4}
    assert handed_back(environ, 43) == {}  # left over from a parent: not ours
    assert handed_back({"LISTEN_PID": "42", "LISTEN_FDS": "x"}, 42) == {}
    assert handed_back({}, 42) == {}


def run_with_a_kept_screen(sock: socket.socket, path: str, root: Path, vouched_ago: float | None) -> tuple[str, list[bytes]]:
    """The real player started as systemd restarts it with a kept "screen" (here a pipe, no DRM device).

    ``vouched_ago``: how many seconds before the start the last player vouched for it (None: never).
    Returns its stderr and the messages it sent systemd.
    """
    for folder in ("playlists", "media", "state", "config", "run"):
        (root / folder).mkdir()
    (root / "config" / "player.yaml").write_text("timezone: UTC\n")
    (root / "playlists" / "house.yaml").write_text("name: house\nslides:\n  - {text: Hello, duration: 60, id: hello}\n")
    if vouched_ago is not None:
        (root / "run" / "screen-vouched").write_text(f"{time.clock_gettime(time.CLOCK_BOOTTIME) - vouched_ago:.3f}")
    read_end, write_end = os.pipe()
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "NOTIFY_SOCKET": path, "LISTEN_FDS": "1",
           "LISTEN_FDNAMES": "screen", "RUNTIME_DIRECTORY": str(root / "run")}
    # As systemd passes it: descriptor 3, and LISTEN_PID the player's own pid (the shell execs into it).
    command = (f'exec 3<&{read_end}; LISTEN_PID=$$ exec "{sys.executable}" -m player run --windowed '
               "--size 320x180 --duration 1.5")
    try:
        result = subprocess.run(["bash", "-c", command], cwd=root, env=env, pass_fds=(read_end,),
                                capture_output=True, text=True, timeout=60)
    finally:
        os.close(read_end)
        os.close(write_end)
    assert result.returncode == 0, result.stderr
    messages = []
    with contextlib.suppress(TimeoutError):
        sock.settimeout(1)
        while True:
            messages.append(sock.recv(256))
    return result.stderr, messages


def test_a_kept_screen_that_cannot_be_used_is_let_go_and_the_player_opens_the_display(listener, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A vouched-for "screen" that is no DRM device: one warning, FDSTOREREMOVE, then SDL as on any start."""
    stderr, messages = run_with_a_kept_screen(*listener, tmp_path, vouched_ago=5)
    warnings = [line for line in stderr.splitlines() if "cannot use the screen the last player kept" in line]
    assert len(warnings) == 1, stderr
    assert messages[0] == b"FDSTOREREMOVE=1\nFDNAME=screen" and b"READY=1" in messages, messages


def test_a_kept_screen_nobody_vouched_for_lately_is_let_go_before_anything_else(listener, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Over KEPT_SCREEN_TRUST_S since the last vouch (a player failing at every start): let go at once."""
    from player.ops.notify import KEPT_SCREEN_TRUST_S

    stderr, messages = run_with_a_kept_screen(*listener, tmp_path, vouched_ago=KEPT_SCREEN_TRUST_S + 5)
    assert "the last player kept" not in stderr  # never offered to the display code
    assert messages[0] == b"FDSTOREREMOVE=1\nFDNAME=screen" and b"READY=1" in messages, messages


def test_release_only_what_is_not_vouched_for(listener, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from player.ops.notify import Notifier, release_unvouched_screen

    sock, path = listener
    read_end, write_end = os.pipe()
    os.close(write_end)
    base = {"NOTIFY_SOCKET": path, "LISTEN_PID": str(os.getpid()), "LISTEN_FDS": "1", "LISTEN_FDNAMES": "screen",
            "RUNTIME_DIRECTORY": str(tmp_path)}
    # The descriptor number systemd would use is 3; here the pipe's, through handed_back's arithmetic.
    environ = {**base, "LISTEN_FDS": str(read_end - 2), "LISTEN_FDNAMES": ":" * (read_end - 3) + "screen"}
    notifier = Notifier(environ)
    notifier.vouch()  # a live player's note, in CLOCK_BOOTTIME seconds
    notifier.close()
    now = time.clock_gettime(time.CLOCK_BOOTTIME)
    assert not release_unvouched_screen(dict(environ), now)
    os.fstat(read_end)  # still open
    later = dict(environ)
    assert release_unvouched_screen(later, now + 61)
    assert "LISTEN_FDS" not in later and "LISTEN_PID" not in later
    with pytest.raises(OSError):
        os.fstat(read_end)
    assert sock.recv(256) == b"FDSTOREREMOVE=1\nFDNAME=screen"
    assert not release_unvouched_screen({"NOTIFY_SOCKET": path}, now)  # nothing kept: nothing to do
