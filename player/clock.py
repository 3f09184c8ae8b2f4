"""Clocks. The scheduler never reads one; the render loop is handed one.

A :class:`ScaledClock` starts at any instant and runs at any speed, which is what makes
``signage run --at T --speed N`` and fast tests possible without patching anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the time, and how long real time is until a content instant."""

    def now(self) -> datetime:
        """The current content instant (aware, UTC)."""
        ...

    def wall_seconds_until(self, instant: datetime) -> float:
        """Real seconds until the content clock reaches ``instant`` (may be negative)."""
        ...


class ScaledClock:
    """Content time = ``start`` + speed x (real time elapsed since construction).

    With no ``start`` and speed 1 this is the system clock (it follows the system clock's
    jumps, as a screen synced by NTP should).
    """

    def __init__(
        self,
        start: datetime | None = None,
        speed: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be more than 0")
        self.speed = speed
        self._start = start.astimezone(UTC) if start else None
        self._monotonic = monotonic
        self._wall = wall
        self._origin = monotonic()

    def now(self) -> datetime:
        if self._start is None and self.speed == 1.0:
            return self._wall()
        base = self._start or self._wall_at_origin()
        return base + timedelta(seconds=(self._monotonic() - self._origin) * self.speed)

    def wall_seconds_until(self, instant: datetime) -> float:
        return (instant - self.now()).total_seconds() / self.speed

    def _wall_at_origin(self) -> datetime:
        # Speed without a start: begin at the real time of construction.
        self._start = self._wall() - timedelta(seconds=(self._monotonic() - self._origin))
        return self._start
