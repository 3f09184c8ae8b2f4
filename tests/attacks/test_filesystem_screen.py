"""Attacks through the screen's own folders: what someone who can write into ``media/`` plants.

Each test runs the real ``signage`` commands in a subprocess with a deadline (a hang is the
attack), under SDL's dummy driver, and asserts that the screen keeps playing its other
content and says, in one log line, which file it refused and why.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from player.ops.proof import log_files, read_plays

DEADLINE_S = 40  # a hang is the attack: far longer than any of these runs takes


def screen_folder(root: Path, slides: str) -> Path:
    """A screen's folders under ``root`` with one playlist: ``slides`` (YAML list items), then a text slide."""
    for folder in ("playlists", "media", "state", "config"):
        (root / folder).mkdir(parents=True)
    (root / "config" / "player.yaml").write_text("timezone: UTC\n")
    playlist = f"name: house\nslides:\n{slides}  - {{text: Still playing, id: fallback, duration: 5, background: '#204080'}}\n"
    (root / "playlists" / "house.yaml").write_text(playlist)
    return root


def signage(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "TZ": "UTC"}
    return subprocess.run(
        [sys.executable, "-m", "player", *args], cwd=root, env=env, capture_output=True, text=True, timeout=DEADLINE_S
    )


AT = "2026-12-01T12:00:00"  # the attacked slide's turn: the playlist's first slide starts here


def play(root: Path) -> subprocess.CompletedProcess[str]:
    """Two seconds of the real player in a window, from the attacked slide's turn: it must start,
    show something and stop."""
    return signage(root, "run", "--windowed", "--size", "160x90", "--duration", "2", "--at", AT)


def render_and_validate(root: Path, out: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """``render --at`` the attacked slide's turn, and what ``validate`` says of the folder."""
    rendered = signage(root, "render", "--at", "2026-12-01T12:00:01", "--size", "160x90", "--out", str(out))
    validated = signage(root, "validate")
    assert validated.returncode != 0, validated.stdout
    return rendered, validated.stdout + validated.stderr


def planted_long_ago(path: Path) -> None:
    """An hour old, as a planted file would be: a file written a moment ago is only waited for (watch.settle)."""
    old = os.stat(path.parent).st_mtime - 3600
    os.utime(path, (old, old), follow_symlinks=False)


def refusals(stderr: str, name: str) -> list[str]:
    return [line for line in stderr.splitlines() if name in line and ("WARNING" in line or "ERROR" in line)]


def slide_of(name: str) -> str:
    """A slide showing media file ``name``: a video's length is probed (duration auto)."""
    if name.endswith(".mp4"):
        return f"  - {{video: {name}, id: clip}}\n"
    return f"  - {{image: {name}, id: still, duration: 5, fit: cover}}\n"


@pytest.mark.parametrize("name", ["poster.svg", "clip.mp4", "photo.png"])
def test_a_fifo_in_media_neither_hangs_nor_darkens_the_screen(tmp_path: Path, name: str) -> None:
    root = screen_folder(tmp_path, slide_of(name))
    os.mkfifo(root / "media" / name)  # nobody ever writes into it: a read blocks for ever
    planted_long_ago(root / "media" / name)
    result = play(root)
    assert result.returncode == 0, result.stderr
    lines = refusals(result.stderr, name)
    assert lines and "not a regular file" in lines[0], result.stderr


@pytest.mark.parametrize("name", ["poster.svg", "clip.mp4"])
def test_a_symlink_to_an_endless_device_is_refused(tmp_path: Path, name: str) -> None:
    root = screen_folder(tmp_path, slide_of(name))
    (root / "media" / name).symlink_to("/dev/zero")
    planted_long_ago(root / "media" / name)
    result = play(root)
    assert result.returncode == 0, result.stderr
    lines = refusals(result.stderr, name)
    assert lines and "symbolic link" in lines[0], result.stderr


def test_a_picture_outside_the_folder_is_not_shown_through_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "private.png"
    Image.new("RGB", (160, 90), (255, 0, 0)).save(outside)
    root = screen_folder(tmp_path / "screen", slide_of("a.png"))
    (root / "media" / "a.png").symlink_to(outside)
    planted_long_ago(root / "media" / "a.png")
    assert_not_shown(root, tmp_path / "frame.png", "symbolic link")


def test_a_directory_symlinked_out_of_the_folder_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    Image.new("RGB", (160, 90), (255, 0, 0)).save(elsewhere / "a.png")
    root = screen_folder(tmp_path / "screen", slide_of("campaign/a.png"))
    (root / "media" / "campaign").symlink_to(elsewhere)
    planted_long_ago(elsewhere / "a.png")
    assert_not_shown(root, tmp_path / "frame.png", "outside the media folder")


def assert_not_shown(root: Path, out: Path, why: str) -> None:
    """The red picture from outside is not what ``render`` draws, and ``validate`` names a.png and ``why``."""
    rendered, said = render_and_validate(root, out)
    assert rendered.returncode == 0, rendered.stderr
    assert Image.open(out).convert("RGB").getpixel((80, 45)) != (255, 0, 0), "the outside picture is on screen"
    assert "a.png" in said and why in said, said


def start_player(root: Path, *options: str) -> subprocess.Popen[str]:
    """The real player in a window, its first frame up (the status file written). What it
    logs goes to ``state/player.log`` (beside the content, not in it): `logged` reads it."""
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "TZ": "UTC"}
    command = [sys.executable, "-m", "player", "run", "--windowed", "--size", "160x90", *options]
    with (root / "state" / "player.log").open("w") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stderr=log, text=True)
    began = time.monotonic()
    while not (root / "state" / "status.json").exists():
        if time.monotonic() - began > DEADLINE_S or process.poll() is not None:
            process.kill()
            process.wait()
            raise AssertionError(f"no first frame: {logged(root)}")
        time.sleep(0.1)
    return process


def logged(root: Path) -> str:
    """What the player started by `start_player` has logged so far."""
    return (root / "state" / "player.log").read_text()


def slowest_answer(
    process: subprocess.Popen[str], root: Path, seconds: float, until: Callable[[], bool] | None = None
) -> float:
    """Ask for a screenshot (SIGUSR1) every 0.2 s for ``seconds``, and on until ``until()`` holds
    (within the deadline): the longest the loop took to answer."""
    shot = root / "state" / "screenshot.png"
    slowest = 0.0
    began = time.monotonic()

    def asking() -> bool:
        elapsed = time.monotonic() - began
        return elapsed < seconds or (until is not None and elapsed < DEADLINE_S and not until())

    while asking():
        before = shot.stat().st_mtime_ns if shot.exists() else 0
        asked = time.monotonic()
        process.send_signal(signal.SIGUSR1)
        while (shot.stat().st_mtime_ns if shot.exists() else 0) == before and time.monotonic() - asked < 10:
            time.sleep(0.01)
        slowest = max(slowest, time.monotonic() - asked)
        time.sleep(0.2)
    print(f"slowest screenshot answer: {slowest:.2f} s")
    return slowest


def finish(process: subprocess.Popen[str], root: Path, *, stop: bool = True) -> str:
    """Stop the player (SIGTERM; or let its --duration run out) and return what it logged."""
    if stop and process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=DEADLINE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return logged(root)


def test_a_huge_video_dropped_in_is_hashed_and_probed_without_freezing_the_screen(tmp_path: Path) -> None:
    """A gigabyte `duration: auto` video takes seconds to hash and probe. Done on the render loop's
    thread, the screen froze that long (a video mid-play stopped, screenshots waited, a slow
    enough file tripped the watchdog); the watcher's thread does it now. The loop's answer to
    SIGUSR1 (a screenshot) is the probe of its liveness, asked for every 0.2 s throughout."""
    root = screen_folder(tmp_path, "")
    process = start_player(root, "--duration", str(2 * DEADLINE_S))
    try:
        with (root / "media" / "big.mp4").open("wb") as big:
            big.truncate(2**29)  # sparse: no disk, but every byte read and hashed (1.8 s here)
        (root / "playlists" / "more.yaml").write_text("name: more\nslides:\n  - {video: big.mp4}\n")
        # On until its refusal is logged: the hashing takes longer on a slower machine (CI's
        # took over 5 s), and the screen must answer throughout, however long it takes.
        slowest = slowest_answer(process, root, 3, until=lambda: bool(refusals(logged(root), "big.mp4")))
    finally:
        err = finish(process, root)
    assert refusals(err, "big.mp4"), err  # it was hashed and probed meanwhile (and is no video)
    assert slowest < 1.0, f"the screen did not answer for {slowest:.1f} s while big.mp4 was hashed"


def test_the_proof_of_a_huge_file_just_played_is_hashed_without_freezing_the_screen(tmp_path: Path) -> None:
    """Proof of play records the sha256 of what was shown, computed when the slide leaves the
    screen: on the render loop's thread, a gigabyte file held the next slide back for seconds,
    at the transition itself. The proof's own thread does it now (and the fsync of its line)."""
    root = screen_folder(tmp_path, "")
    (root / "playlists" / "house.yaml").write_text(  # cuts: a fade would delay a screenshot by itself
        "name: house\ndefaults: {transition: cut}\nslides:\n  - {image: big.png, id: big, duration: 1}\n"
        "  - {text: Still playing, id: fallback, duration: 2}\n"
    )
    with (root / "media" / "big.png").open("wb") as big:
        Image.new("RGB", (160, 90), (200, 30, 30)).save(big, format="PNG")
        big.truncate(2**29)  # a picture, then sparse half a gigabyte after its end: hashed, never decoded
    process = start_player(root, "--duration", "8")  # the real clock: only it writes proof of play
    try:
        slowest = slowest_answer(process, root, 5)  # across the ends of the 1 s picture, and their hashing
    finally:
        err = finish(process, root, stop=False)
    assert process.returncode == 0, err
    plays = list(read_plays(log_files(root / "state" / "proof")))
    big_plays = [p for p in plays if p["slide_id"] == "big"]
    assert big_plays and big_plays[0]["sha256"], plays  # recorded, with its hash, by the proof's thread
    assert slowest < 1.0, f"the screen did not answer for {slowest:.1f} s while big.png's proof was hashed"
