"""The display-power schedule and the clock rule: pure functions, then in the loop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pygame
import pytest

from player.core.config import Config, parse_config
from player.core.loader import load_playlists
from player.core.model import HourWindow
from player.core.scheduler import Timetable
from player.ops.clock import ScaledClock
from player.ops.clocktrust import ClockGuard, LastPlayed, clock_trusted, newest_issue_time, read_last_played
from player.ops.power import PowerSchedule
from player.render.loop import Player
from player.render.powergate import PowerGate
from player.render.screen import open_screen
from player.render.slides import Painter
from player.render.text import FontChain

WEEKDAYS_ONLY = tuple((HourWindow(7 * 60, 23 * 60),) if day < 5 else () for day in range(7))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "on", "next_change"),
    [
        ("2024-01-01T06:59:59", False, "2024-01-01T07:00:00"),  # Monday before opening
        ("2024-01-01T07:00:00", True, "2024-01-01T23:00:00"),
        ("2024-01-05T22:59:59", True, "2024-01-05T23:00:00"),  # Friday
        ("2024-01-05T23:00:00", False, "2024-01-08T07:00:00"),  # off through the weekend
        ("2024-01-06T12:00:00", False, "2024-01-08T07:00:00"),
    ],
)
def test_power_schedule(at: str, on: bool, next_change: str) -> None:
    schedule = PowerSchedule("UTC", WEEKDAYS_ONLY)
    assert schedule.is_on(utc(at)) is on
    assert schedule.next_change(utc(at)) == utc(next_change)


def test_power_window_crossing_midnight_in_a_time_zone() -> None:
    late = PowerSchedule("Asia/Seoul", tuple((HourWindow(18 * 60, 2 * 60),) for _ in range(7)))
    assert late.is_on(datetime.fromisoformat("2018-02-10T01:30:00+09:00"))
    assert not late.is_on(datetime.fromisoformat("2018-02-10T02:00:00+09:00"))
    assert late.next_change(datetime.fromisoformat("2018-02-10T02:00:00+09:00")) == datetime.fromisoformat(
        "2018-02-10T18:00:00+09:00"
    )


def test_on_hours_in_config() -> None:
    base = Config(source="x", playlists=Path("p"), media=Path("m"), state=Path("s"))
    every_day = parse_config("display:\n  on_hours: '07:00-23:00'\n", "c.yaml", base)
    assert every_day.display.on_hours == tuple((HourWindow(420, 1380),) for _ in range(7))
    per_day = parse_config("display:\n  on_hours: {mon: '07:00-23:00', sun: off}\n", "c.yaml", base)
    assert per_day.display.on_hours is not None
    assert per_day.display.on_hours[0] == (HourWindow(420, 1380),) and per_day.display.on_hours[6] == ()
    assert per_day.display.on_hours[1] == ()  # days not listed stay off


@pytest.mark.parametrize(
    ("synchronized", "now", "issued", "trusted"),
    [
        (True, "1970-01-01T00:00:00", None, True),
        (False, "2026-11-28T12:00:00", "2026-11-28T11:00:00", True),  # later than the bundle
        (False, "2000-01-01T00:00:00", "2026-11-28T11:00:00", False),  # booted in the past
        (False, "2026-11-28T12:00:00", None, False),
        (None, "2026-11-28T12:00:00", None, True),  # nothing to judge by
    ],
)
def test_clock_rule(synchronized: bool | None, now: str, issued: str | None, trusted: bool) -> None:
    assert clock_trusted(synchronized, utc(now), utc(issued) if issued else None) is trusted


def test_last_played_and_issue_time_are_read_from_state(tmp_path: Path) -> None:
    (tmp_path / "status.json").write_text('{"playlist": "campaign", "slide_id": "x"}')
    assert read_last_played(tmp_path / "status.json") == LastPlayed("campaign")
    assert read_last_played(tmp_path / "missing.json") is None
    (tmp_path / "sync").mkdir()
    (tmp_path / "sync" / "manifest.json").write_text('{"payload": "{\\"issued\\": \\"2026-11-28T11:00:00+00:00\\"}"}')
    assert newest_issue_time(tmp_path) == utc("2026-11-28T11:00:00")


@pytest.fixture
def loop_parts(tmp_path: Path):  # type: ignore[no-untyped-def]
    pygame.display.init()
    pygame.freetype.init()
    window = pygame.Window("t", (160, 90))
    screen = open_screen(window, "software", 0)
    yield screen, Painter(tmp_path, (160, 90), FontChain.resolve())
    window.destroy()


PLAYLISTS = load_playlists(
    {
        "house.yaml": "name: house\nslides:\n  - {text: H, background: '#00ff00', transition: cut}\n",
        "campaign.yaml": "name: campaign\npriority: 5\nschedule: {start: 2018-02-09, end: 2018-02-25}\n"
        "slides:\n  - {text: C, background: '#ff0000', transition: cut}\n",
    }
).playlists


def test_loop_keeps_the_last_playlist_while_the_clock_is_untrusted(loop_parts) -> None:  # type: ignore[no-untyped-def]
    screen, painter = loop_parts
    synced = {"value": False}
    guard = ClockGuard(LastPlayed("campaign"), None, synchronized=lambda: synced["value"], monotonic=lambda: 1e9)
    # Booted "in 1970": the schedule would say house; the rule keeps the campaign.
    player = Player(Timetable(PLAYLISTS), ScaledClock(utc("1970-01-01T00:00:00"), 1.0), screen, painter, power=PowerGate(guard=guard))
    player.step()
    assert player.decision is not None and player.decision.playlist == "campaign"
    assert screen.read_pixels().get_at((3, 3))[:3] == (255, 0, 0)
    synced["value"] = True
    guard._checked_at = None  # recheck now rather than in 10 s
    player.step()
    assert player.decision.playlist == "house"


def test_loop_goes_black_outside_on_hours_and_comes_back(loop_parts) -> None:  # type: ignore[no-untyped-def]
    screen, painter = loop_parts
    clock = ScaledClock(utc("2024-01-01T06:59:59"), 1.0)
    calls: list[bool] = []

    class Recorder:
        def set(self, on: bool) -> None:
            calls.append(on)

    player = Player(
        Timetable(PLAYLISTS), clock, screen, painter, power=PowerGate(PowerSchedule("UTC", WEEKDAYS_ONLY), Recorder())  # type: ignore[arg-type]
    )
    wait = player.step()
    assert screen.read_pixels().get_at((80, 45))[:3] == (0, 0, 0) and calls == [False]
    assert 0 < wait <= 1.0
    clock.jump(utc("2024-01-01T07:00:01"))
    player.step()
    assert calls == [False, True]
    assert screen.read_pixels().get_at((3, 3))[:3] == (0, 255, 0)
    clock.jump(utc("2024-01-01T07:00:01") + timedelta(hours=17))  # 00:00:01 Tuesday: off again
    player.step()
    assert calls == [False, True, False]
