"""The render loop's pure pieces: the transition rule, driven time, SDL's settings, preview keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pygame
import pytest

from player.core.loader import load_playlists
from player.core.scheduler import Timetable
from player.ops.clock import ScaledClock
from player.render.display import sdl_settings
from player.render.keys import KeyEffect, PreviewKeys
from player.render.pacing import FakePacer, FakeTime
from player.render.transition import Moment, transition_at

T0 = datetime(2024, 1, 1, tzinfo=UTC)
TIMETABLE = Timetable(
    load_playlists(
        {
            "p.yaml": "defaults: {duration: 10, transition_duration: 2}\nslides:\n"
            "  - {text: a, transition: fade}\n  - {text: b, transition: slide-left}\n  - {text: c, transition: cut}\n"
        }
    ).playlists
)


@pytest.mark.parametrize(
    ("seconds", "outgoing", "incoming", "expected"),
    [
        (10.0, "a", "b", Moment("b", "a", "slide-left", 0.0)),  # the instant of the change
        (11.0, "a", "b", Moment("b", "a", "slide-left", 0.5)),
        (12.0, "a", "b", Moment("b")),  # done
        (15.0, "a", "b", Moment("b")),  # a screen that joins late sees the slide alone
        (11.0, None, "b", Moment("b")),  # nothing was on screen to move from
        (11.0, "b", "b", Moment("b")),  # the same picture: nothing to move
        (21.0, "b", "c", Moment("c")),  # a cut
        (1.0, "c", "a", Moment("a", "c", "fade", 0.5)),
    ],
)
def test_transition_at(seconds: float, outgoing: str | None, incoming: str, expected: Moment) -> None:
    instant = T0 + timedelta(seconds=seconds)
    assert transition_at(TIMETABLE.at(instant), outgoing, incoming, instant) == expected


def test_idle_cuts() -> None:
    instant = T0 + timedelta(seconds=1)
    assert transition_at(Timetable(()).at(instant), "before", "idle", instant) == Moment("idle")


def test_fake_pacer_ticks_at_the_frame_rate_and_a_wake_cuts_a_sleep_short() -> None:
    time = FakeTime(0.0)
    pacer = FakePacer(time)
    for _ in range(4):
        pacer.tick(50)
    assert time() == pytest.approx(0.06)  # the first tick does not wait, as pygame's does not
    pacer.sleep(1.5)
    assert time() == pytest.approx(1.56)
    pacer.wake()
    pacer.sleep(1.0)
    assert time() == pytest.approx(1.56)
    pacer.tick(50)  # long after the last tick: no wait
    assert time() == pytest.approx(1.56)


@pytest.mark.parametrize(
    ("environ", "headless", "expected"),
    [
        ({}, False, {"PYGAME_HIDE_SUPPORT_PROMPT": "1"}),
        ({}, True, {"PYGAME_HIDE_SUPPORT_PROMPT": "1", "SDL_VIDEODRIVER": "dummy"}),
        ({"SDL_VIDEODRIVER": "kmsdrm"}, True, {"PYGAME_HIDE_SUPPORT_PROMPT": "1", "SDL_VIDEODRIVER": "kmsdrm"}),
    ],
)
def test_sdl_settings_keep_what_the_environment_says(environ: dict[str, str], headless: bool, expected: dict[str, str]) -> None:
    assert sdl_settings(environ, headless=headless) == expected


def test_preview_keys_move_the_clock_only_in_a_preview() -> None:
    clock = ScaledClock(T0 + timedelta(seconds=3), 1.0)
    decision = TIMETABLE.at(clock.now())
    billboard = PreviewKeys(clock, enabled=False, fullscreen=True)
    assert billboard.press(pygame.K_q, decision, TIMETABLE) == KeyEffect()
    preview = PreviewKeys(clock, enabled=True, fullscreen=False)
    assert preview.press(pygame.K_q, decision, TIMETABLE) == KeyEffect(stop=True)
    assert preview.press(pygame.K_SPACE, decision, TIMETABLE) == KeyEffect(redraw=True) and clock.paused
    assert preview.press(pygame.K_RIGHT, decision, TIMETABLE) == KeyEffect()
    # Paused, the clock stops where b stands alone (its 2 s slide-left in done), not at its
    # start, where the transition is at 0 and the screen would still show a.
    assert clock.now() == T0 + timedelta(seconds=12)
    now = TIMETABLE.at(clock.now())
    assert transition_at(now, "a", "b", clock.now()) == Moment("b")
    assert preview.press(pygame.K_LEFT, now, TIMETABLE) == KeyEffect()
    assert clock.now() == T0 + timedelta(seconds=2)  # a, after its fade in
    assert transition_at(TIMETABLE.at(clock.now()), "b", "a", clock.now()) == Moment("a")
    clock.resume()
    preview.press(pygame.K_RIGHT, TIMETABLE.at(clock.now()), TIMETABLE)  # playing: the transition plays
    assert abs((clock.now() - (T0 + timedelta(seconds=10))).total_seconds()) < 0.1
    clock.pause()
    decision = TIMETABLE.at(clock.now())
    assert preview.press(pygame.K_i, decision, TIMETABLE) == KeyEffect(redraw=True) and preview.overlay
    assert preview.press(pygame.K_f, decision, TIMETABLE) == KeyEffect(fullscreen=True)
