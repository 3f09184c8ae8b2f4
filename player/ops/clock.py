"""Clocks. The scheduler never reads one; the render loop is handed one.

A :class:`ScaledClock` starts at any instant and runs at any speed, which is what makes
``signage run --at T --speed N`` and fast tests possible without patching anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class ScaledClock:
    """Content time = a base instant + speed x (real time elapsed since the base was set).

    With no ``start`` and speed 1 this is the system clock, and follows its jumps as a
    screen synced by NTP should. Preview keys pause it and move it (:meth:`jump`).
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
        self._monotonic = monotonic
        self._wall = wall
        self._base: datetime | None = start.astimezone(UTC) if start else None
        if self._base is None and speed != 1.0:
            self._base = wall()
        self._origin = monotonic()
        self._paused_at: datetime | None = None

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    def now(self) -> datetime:
        if self._paused_at is not None:
            return self._paused_at
        if self._base is None:
            return self._wall()
        return self._base + timedelta(seconds=(self._monotonic() - self._origin) * self.speed)

    def wall_seconds_until(self, instant: datetime) -> float:
        if self._paused_at is not None:
            return float("inf")
        return (instant - self.now()).total_seconds() / self.speed

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = self.now()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._rebase(self._paused_at)
            self._paused_at = None

    def jump(self, instant: datetime) -> None:
        """Continue from ``instant`` (paused clocks stay paused, at the new instant)."""
        if self._paused_at is not None:
            self._paused_at = instant.astimezone(UTC)
        else:
            self._rebase(instant.astimezone(UTC))

    def _rebase(self, instant: datetime) -> None:
        self._base = instant
        self._origin = self._monotonic()
