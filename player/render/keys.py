"""Input to the window: closing it, exposing it, and a preview window's keys: space pause,
right/left next/previous slide, f full screen, i info overlay, q or Esc quit. Only a windowed
preview listens to keys: a keyboard left plugged into a billboard must not stop it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pygame

from player.core.scheduler import Decision, Timetable
from player.ops.clock import ScaledClock
from player.render.display import Windowed, enter_full_screen, leave_full_screen


@dataclass(frozen=True)
class KeyEffect:
    """What a key press asks of the loop beyond moving the content clock."""

    stop: bool = False
    redraw: bool = False
    fullscreen: bool = False  # toggle full screen (the loop does it between transitions)

    def __or__(self, other: KeyEffect) -> KeyEffect:
        return KeyEffect(self.stop or other.stop, self.redraw or other.redraw, self.fullscreen or other.fullscreen)


class PreviewKeys:
    """Maps preview keys to clock moves and loop effects; holds the overlay and full-screen state."""

    def __init__(self, clock: ScaledClock, *, enabled: bool, fullscreen: bool) -> None:
        self.clock = clock
        self.enabled = enabled
        self.fullscreen = fullscreen
        self.overlay = False  # the ``i`` info overlay is showing
        self._windowed: Windowed | None = None  # how to go back, after ``f`` went full screen

    def handle(
        self, events: Iterable[pygame.event.Event], decision: Decision | None, timetable: Timetable
    ) -> KeyEffect:
        """What ``events`` ask of the loop: quit, draw again (the window was exposed), keys."""
        effect = KeyEffect()
        for event in events:
            if event.type == pygame.QUIT:
                effect |= KeyEffect(stop=True)
            elif event.type in (pygame.WINDOWEXPOSED, pygame.WINDOWRESTORED, pygame.WINDOWSIZECHANGED):
                effect |= KeyEffect(redraw=True)
            elif event.type == pygame.KEYDOWN:
                effect |= self.press(event.key, decision, timetable)
        return effect

    def press(self, key: int, decision: Decision | None, timetable: Timetable) -> KeyEffect:
        """Act on ``key`` (nothing unless enabled)."""
        if not self.enabled:
            return KeyEffect()
        if key in (pygame.K_q, pygame.K_ESCAPE):
            return KeyEffect(stop=True)
        if key == pygame.K_SPACE:
            self.clock.resume() if self.clock.paused else self.clock.pause()
            return KeyEffect(redraw=True)
        if key == pygame.K_RIGHT and decision and decision.next_change:
            self._jump(decision.next_change, timetable)
        elif key == pygame.K_LEFT and decision and decision.slide_start:
            previous = timetable.at(decision.slide_start - timedelta(microseconds=1))
            self._jump(previous.slide_start or decision.slide_start, timetable)
        elif key == pygame.K_i:
            self.overlay = not self.overlay
            return KeyEffect(redraw=True)
        elif key == pygame.K_f:
            return KeyEffect(fullscreen=True)
        return KeyEffect()

    def _jump(self, start: datetime, timetable: Timetable) -> None:
        """To the slide starting at ``start``: playing, its transition in plays; paused, the clock
        stops just after it (at its start the transition is at 0: the old slide, still)."""
        if self.clock.paused:
            slide = timetable.at(start).slide
            if slide is not None and slide.transition != "cut":
                start += timedelta(seconds=slide.transition_duration)
        self.clock.jump(start)

    def toggle_fullscreen(self, window: pygame.Window, desktop: tuple[int, int]) -> None:
        """Between full screen (``desktop``'s size) and a window; the pointer shows only in a window.

        Full screen is what the display server shows, not what SDL believes (see
        :func:`~player.render.display.enter_full_screen`): where it cannot be, the window stays.
        """
        if self.fullscreen:
            if self._windowed is None:  # started full screen: SDL put it there, SDL takes it back
                window.set_windowed()
            else:
                leave_full_screen(window, self._windowed)
            self._windowed, self.fullscreen = None, False
        else:
            self._windowed = enter_full_screen(window, desktop)
            self.fullscreen = self._windowed is not None
        pygame.mouse.set_visible(not self.fullscreen)
