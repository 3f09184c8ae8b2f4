"""The hot folder, end to end: the real player in a subprocess (SDL dummy driver) on a
scratch folder, observed only through its status file and SIGUSR1 screenshots."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pygame
import pytest
from PIL import Image

HOUSE = "name: house\nslides:\n  - {text: House, duration: 5, transition: cut}\n"
CAMPAIGN = "name: campaign\npriority: 10\nslides:\n  - {text: Campaign, duration: 5, transition: cut}\n"


class RunningPlayer:
    def __init__(self, root: Path, process: subprocess.Popen[str]) -> None:
        self.root = root
        self.process = process
        self.playlists = root / "playlists"
        self.media = root / "media"
        self.status_path = root / "state" / "status.json"
        self.screenshot_path = root / "state" / "screenshot.png"

    def status(self) -> dict:  # type: ignore[type-arg]
        try:
            return json.loads(self.status_path.read_text())  # type: ignore[no-any-return]
        except (OSError, ValueError):
            return {}

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 5.0) -> dict:  # type: ignore[type-arg]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if status and predicate(status):
                return status
            assert self.process.poll() is None, self.process.stderr.read() if self.process.stderr else ""
            time.sleep(0.05)
        raise AssertionError(f"timed out; last status: {self.status()}")

    def drop(self, name: str, content: str | bytes, folder: Path | None = None) -> None:
        """Write-to-temp-then-rename, the way the sync client and careful copies do."""
        folder = folder or self.playlists
        temporary = folder / f".{name}.part"
        temporary.write_bytes(content.encode() if isinstance(content, str) else content)
        os.replace(temporary, folder / name)

    def screenshot(self) -> pygame.Surface:
        before = self.screenshot_path.stat().st_mtime_ns if self.screenshot_path.exists() else 0
        self.process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self.screenshot_path.exists() and self.screenshot_path.stat().st_mtime_ns != before:
                return pygame.image.load(str(self.screenshot_path))
            time.sleep(0.05)
        raise AssertionError("no screenshot")

    def log(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        _, err = self.process.communicate(timeout=10)
        return err


@pytest.fixture
def player(tmp_path: Path) -> Iterator[RunningPlayer]:
    for folder in ("playlists", "media", "state", "config"):
        (tmp_path / folder).mkdir()
    (tmp_path / "config" / "player.yaml").write_text("timezone: UTC\n")
    (tmp_path / "playlists" / "house.yaml").write_text(HOUSE)
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "player", "-v", "run", "--windowed", "--size", "320x180", "--renderer", "software"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    running = RunningPlayer(tmp_path, process)
    try:
        running.wait_for(lambda s: s.get("playlist") == "house", timeout=15)
        yield running
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_drop_break_fix_and_delete_a_playlist(player: RunningPlayer) -> None:
    started = time.monotonic()
    player.drop("campaign.yaml", CAMPAIGN)
    status = player.wait_for(lambda s: s["playlist"] == "campaign")
    assert time.monotonic() - started < 3
    assert sorted(status["loaded"]) == ["campaign", "house"] and status["errors"] == []

    player.drop("campaign.yaml", CAMPAIGN + "  - {text: Oops, transition: wipe}\n")
    status = player.wait_for(lambda s: s["errors"] != [])
    assert status["playlist"] == "campaign"  # the last good version keeps playing
    [error] = status["errors"]
    assert (Path(error["file"]).name, error["line"], error["col"]) == ("campaign.yaml", 5, 30)
    assert error["message"].startswith("slides[1].transition: 'wipe' is not one of")

    player.drop("campaign.yaml", CAMPAIGN.replace("Campaign", "Fixed"))
    status = player.wait_for(lambda s: s["errors"] == [])
    assert status["playlist"] == "campaign"

    (player.playlists / "campaign.yaml").unlink()
    status = player.wait_for(lambda s: s["playlist"] == "house")
    assert status["loaded"] == ["house"]
    log = player.log()
    assert log.count("campaign.yaml:5:30") == 1  # said once per change, not per rescan


def test_replaced_image_shows_new_pixels_and_slow_copy_is_not_an_error(player: RunningPlayer) -> None:
    red = player.root / "red.png"
    Image.new("RGB", (64, 36), (255, 0, 0)).save(red)
    player.drop("poster.png", red.read_bytes(), player.media)
    player.drop("campaign.yaml", "name: campaign\npriority: 10\nslides:\n  - {image: poster.png, duration: 30, transition: cut}\n")
    player.wait_for(lambda s: s["playlist"] == "campaign")
    time.sleep(1.2)  # the new file settles
    assert player.screenshot().get_at((160, 90))[:3] == (255, 0, 0)

    blue = player.root / "blue.png"
    Image.new("RGB", (64, 36), (0, 0, 255)).save(blue)
    player.drop("poster.png", blue.read_bytes(), player.media)
    deadline = time.monotonic() + 5
    while player.screenshot().get_at((160, 90))[:3] != (0, 0, 255):
        assert time.monotonic() < deadline, "the replaced image never showed"
        time.sleep(0.2)

    # A large file copied slowly, in place, into the folder a playlist already names.
    big = player.root / "big.png"
    Image.effect_noise((1600, 900), 60).convert("RGB").save(big)
    data = big.read_bytes()
    player.drop("big.yaml", "name: big\npriority: 20\nslides:\n  - {image: big.png, duration: 30, transition: cut}\n")
    player.wait_for(lambda s: s["playlist"] == "big")
    with (player.media / "big.png").open("wb") as handle:
        for offset in range(0, len(data), len(data) // 10):
            handle.write(data[offset : offset + len(data) // 10])
            handle.flush()
            time.sleep(0.15)
    deadline = time.monotonic() + 6
    while player.screenshot().get_at((160, 90))[:3] == (0, 0, 255):
        assert time.monotonic() < deadline, "the copied image never showed"
        time.sleep(0.2)
    assert player.status()["errors"] == []
    log = player.log()
    half_written = [line for line in log.splitlines() if "big.png" in line and "skipped" in line and "No such file" not in line]
    assert half_written == []
