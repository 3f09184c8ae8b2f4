"""Bad timing: the clock jumping by days while playing, a DST change at speed, and the
player killed with SIGKILL at random moments and restarted."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pygame
import pytest

from player.core.loader import load_playlists
from player.core.scheduler import Timetable
from player.ops.clock import ScaledClock
from player.render.loop import Player
from player.render.screen import open_screen
from player.render.slides import Painter
from player.render.text import FontChain
from tests.harness import start_player, stop

PLAYLISTS = {
    "house.yaml": "name: house\ndefaults: {duration: 5, transition: fade, transition_duration: 1}\nslides:\n"
    "  - {text: A, background: '#0000ff', id: a}\n  - {text: B, background: '#00ff00', id: b}\n",
    "morning.yaml": "name: morning\npriority: 5\nschedule: {timezone: Europe/Berlin, hours: ['06:00-09:00']}\n"
    "defaults: {duration: 7, transition: slide-left, transition_duration: 1}\nslides:\n  - {text: M, background: '#ff0000', id: m}\n",
}
KILL_RUNS = int(os.environ.get("SIGNAGE_KILL_RUNS", "6"))


@pytest.fixture
def player(tmp_path: Path):  # type: ignore[no-untyped-def]
    pygame.display.init()
    pygame.freetype.init()
    window = pygame.Window("t", (160, 90))
    clock = ScaledClock(datetime(2024, 3, 30, 12, 0, tzinfo=UTC), 1.0)
    timetable = Timetable(load_playlists(PLAYLISTS).playlists)
    player = Player(timetable, clock, open_screen(window, "software", 0), Painter(tmp_path, (160, 90), FontChain.resolve()))
    yield player, clock, timetable
    window.destroy()


def test_clock_jumps_by_days_keep_the_schedule_right(player) -> None:  # type: ignore[no-untyped-def]
    player, clock, timetable = player
    rng = random.Random(7)
    for _ in range(40):
        clock.jump(clock.now() + timedelta(days=rng.uniform(-9, 9), seconds=rng.uniform(0, 86400)))
        for _ in range(3):
            player.step()
        now = clock.now()
        assert player.decision is not None
        expected = timetable.at(now)
        assert (player.decision.playlist, player.decision.slide_index) == (expected.playlist, expected.slide_index)
        # Not stuck: what is pinned on screen is the slide the schedule names (or its incoming transition).
        assert player.on_screen is not None


def test_playing_through_a_dst_change_at_speed(player) -> None:  # type: ignore[no-untyped-def]
    player, clock, _ = player
    # Berlin springs forward at 01:00 UTC on 2024-03-31; the morning window opens at 04:00 UTC (06:00 CEST).
    clock.jump(datetime(2024, 3, 31, 0, 30, tzinfo=UTC))
    clock.speed = 1200.0  # 4 content hours in 12 real seconds would be slow: step by hand instead
    seen = []
    for minute in range(0, 240, 3):
        clock.jump(datetime(2024, 3, 31, 0, 30, tzinfo=UTC) + timedelta(minutes=minute))
        player.step()
        seen.append((minute, player.decision.playlist))  # type: ignore[union-attr]
    switch = next(minute for minute, name in seen if name == "morning")
    assert datetime(2024, 3, 31, 0, 30, tzinfo=UTC) + timedelta(minutes=switch) >= datetime(2024, 3, 31, 4, 0, tzinfo=UTC)
    assert all(name == "house" for minute, name in seen if minute < 210)


def test_sigkill_at_random_moments_then_restart_shows_content_within_2s(tmp_path: Path) -> None:
    rng = random.Random(2018)
    media = tmp_path / "media"
    media.mkdir()
    for run in range(KILL_RUNS):
        running = start_player(tmp_path, PLAYLISTS, "--at", "2024-03-31T05:59:50+02:00", "--speed", "3")
        try:
            running.wait_for(lambda s: s.get("playlist") in ("house", "morning"), timeout=20)
            time.sleep(rng.uniform(0.0, 2.5))
            running.process.send_signal(signal.SIGKILL)
            running.process.wait(10)
        finally:
            stop(running)
        # Nothing the player writes is ever half-written: the status parses whole. (A run on a
        # simulated clock writes no proof of play: tests/test_proof.py kills a real-clock run.)
        status = json.loads((tmp_path / "state" / "status.json").read_text())
        assert status["playlist"] in ("house", "morning"), run
        restarted = start_player(tmp_path, PLAYLISTS, "--at", "2024-03-31T05:59:50+02:00")
        try:
            began = time.monotonic()
            previous_run = status.get("started")
            restarted.wait_for(lambda s, before=previous_run: s.get("slide_id") in ("a", "b", "m") and s.get("started") != before, timeout=10)
            assert time.monotonic() - began < 2.0 + 0.5, f"run {run}: {time.monotonic() - began:.2f} s to content"
            assert restarted.screenshot().get_at((5, 5))[:3] in ((0, 0, 255), (0, 255, 0), (255, 0, 0))
        finally:
            stop(restarted)
