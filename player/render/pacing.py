"""How the render loop spends real time: paced transition frames and sleeps it can be woken from.

The loop never reads a clock or sleeps by itself; it is handed a :class:`Pacer` and a
monotonic clock. :class:`RealPacer` is what a screen runs (the figures in bench/RESULTS.md
were measured with it); :class:`FakeTime` and :class:`FakePacer` let a test play minutes of
content in milliseconds, the same way every time.
"""

from __future__ import annotations

from typing import Protocol

import pygame

from player.ops.waker import Waker


class Pacer(Protocol):
    """Real time for the loop: frame pacing, and a sleep that :meth:`wake` cuts short."""

    def tick(self, rate: float) -> None:
        """Wait until a frame period (1/``rate`` s) has passed since the last tick."""
        ...

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` or until :meth:`wake`, whichever comes first."""
        ...

    def wake(self) -> None:
        """End the current or next sleep. Safe from other threads and signal handlers."""
        ...


class RealPacer:
    """pygame's frame clock between transition frames, a :class:`Waker` for sleeps.

    Sleeps on a Waker, not pygame.event.wait(): pygame-ce polls for events every millisecond
    inside it (measured: ~30 ms of CPU per static second, bench/RESULTS.md).
    """

    def __init__(self) -> None:
        self._clock = pygame.time.Clock()
        self._waker = Waker()  # safe to wake from signal handlers, unlike threading.Event

    def tick(self, rate: float) -> None:
        self._clock.tick(rate)

    def sleep(self, seconds: float) -> None:
        self._waker.wait(seconds)

    def wake(self) -> None:
        self._waker.wake()


class FakeTime:
    """A monotonic clock that moves only when told: call it for the time, :meth:`advance` to move it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


class FakePacer:
    """Paces and sleeps on a :class:`FakeTime`: a tick moves it to the next frame boundary,
    as ``pygame.time.Clock.tick`` would wait for; a sleep moves it by the whole sleep unless a
    wake-up is pending (then it returns at once, as a woken sleep does)."""

    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self._last_tick: float | None = None
        self._woken = False

    def tick(self, rate: float) -> None:
        if self._last_tick is not None and rate > 0:
            self.time.advance(self._last_tick + 1.0 / rate - self.time.now)
        self._last_tick = self.time.now

    def sleep(self, seconds: float) -> None:
        if self._woken:
            self._woken = False
            return
        self.time.advance(seconds)

    def wake(self) -> None:
        self._woken = True
