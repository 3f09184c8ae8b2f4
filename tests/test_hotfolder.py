"""The hot folder, end to end: the real player in a subprocess (SDL dummy driver) on a
scratch folder, observed only through its status file and SIGUSR1 screenshots."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.harness import RunningPlayer, start_player, stop

HOUSE = "name: house\nslides:\n  - {text: House, duration: 5, transition: cut}\n"
CAMPAIGN = "name: campaign\npriority: 10\nslides:\n  - {text: Campaign, duration: 5, transition: cut}\n"


@pytest.fixture
def player(tmp_path: Path) -> Iterator[RunningPlayer]:
    running = start_player(tmp_path, {"house.yaml": HOUSE})
    try:
        running.wait_for(lambda s: s.get("playlist") == "house", timeout=15)
        yield running
    finally:
        stop(running)


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
    # Shown once the new file has settled (watch.settle): waited for on screen, not slept for.
    player.wait_for_screen(lambda shot: shot.get_at((160, 90))[:3] == (255, 0, 0))

    blue = player.root / "blue.png"
    Image.new("RGB", (64, 36), (0, 0, 255)).save(blue)
    player.drop("poster.png", blue.read_bytes(), player.media)
    player.wait_for_screen(lambda shot: shot.get_at((160, 90))[:3] == (0, 0, 255))  # the replaced image

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
    player.wait_for_screen(lambda shot: shot.get_at((160, 90))[:3] != (0, 0, 255), timeout=6)  # the copied image
    assert player.status()["errors"] == []
    log = player.log()
    half_written = [line for line in log.splitlines() if "big.png" in line and "skipped" in line and "No such file" not in line]
    assert half_written == []


def test_signage_screenshot_asks_the_running_player(player: RunningPlayer, run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("screenshot", cwd=player.root)
    assert result.status == 0, result.stderr
    assert result.stdout.strip() == str(player.root / "state" / "screenshot.png")
    assert (player.root / "state" / "screenshot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
