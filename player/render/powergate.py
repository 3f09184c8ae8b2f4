"""When the screen may show content: ``display.on_hours``, the panel's power, and the clock rule.

One piece for the two reasons the render loop does not simply play the timetable: outside
on_hours the panel goes dark (:class:`~player.ops.power.PowerSchedule` says when,
:class:`~player.ops.power.DisplayPower` switches it), and while the clock is not trusted
only the last played playlist plays (:class:`~player.ops.clocktrust.ClockGuard`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from player.core.scheduler import Timetable
from player.ops.clock import ScaledClock
from player.ops.clocktrust import ClockGuard
from player.ops.power import DisplayPower, PowerSchedule

log = logging.getLogger("player.render.loop")  # the loop's lines, as they always were


class PowerGate:
    """Follows the power schedule and the clock rule for the loop. Main thread only."""

    def __init__(
        self,
        schedule: PowerSchedule | None = None,
        display: DisplayPower | None = None,
        guard: ClockGuard | None = None,
    ) -> None:
        self.schedule = schedule
        self.display = display or DisplayPower(None, None)
        self.guard = guard
        self._on = True
        self._fallback: tuple[Timetable, Timetable] | None = None  # (for timetable, fallback)

    @property
    def on(self) -> bool:
        """Whether the panel is on by schedule (always, without one)."""
        return self._on

    def turned(self, now: datetime) -> bool | None:
        """True or False when the schedule has just turned the screen on or off (said in the
        log), None when nothing changed. Switching the panel itself is :meth:`switch`."""
        if self.schedule is None:
            return None
        on = self.schedule.is_on(now)
        if on == self._on:
            return None
        self._on = on
        change = self.schedule.next_change(now)
        log.info("display %s%s", "on" if on else "off", f" until {change.isoformat()}" if change else "")
        return on

    def switch(self, on: bool) -> None:
        """Switch the panel (the configured or detected method)."""
        self.display.set(on)

    def seconds_until_change(self, now: datetime, clock: ScaledClock, longest: float) -> float:
        """Real seconds from ``now`` until the schedule next turns the screen on or off
        (``longest`` when it never does)."""
        change = self.schedule.next_change(now) if self.schedule is not None else None
        return longest if change is None else max(0.0, clock.wall_seconds_until(change))

    def timetable_now(self, timetable: Timetable, now: datetime) -> Timetable:
        """The timetable, or while the clock is untrusted, the last played playlist alone."""
        guard = self.guard
        if guard is None or guard.last is None or guard.trusted(now):
            return timetable
        if self._fallback is None or self._fallback[0] is not timetable:
            kept = guard.last.fallback(timetable.playlists)
            self._fallback = (timetable, Timetable(kept) if kept else timetable)
        return self._fallback[1]
