"""How the render loop spends real time: paced transition frames and sleeps it can be woken from.

The loop never reads a clock or sleeps by itself; it is handed a :class:`Pacer` and a
monotonic clock. :class:`RealPacer` is what a screen runs (the figures in bench/RESULTS.md
were measured with it); :class:`FakeTime` and :class:`FakePacer` let a test play minutes of
content in milliseconds, the same way every time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from player.ops.waker import Waker

# A transition frame is paced this much ahead of the refresh period: SDL's present may not wait
# for the display's refresh (Xvfb has none), and a frame a little early is shown at the next
# refresh while one a little late misses it. Covers the sleep's own lateness (under 0.1 ms
# with Linux's 50 us timer slack) and a frame that takes a little longer than the last.
EARLY_S = 0.0005


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
    """Transition frames on a grid of deadlines, a :class:`Waker` for sleeps.

    Frames are due every ``1/rate`` seconds less :data:`EARLY_S`, on a grid: a frame that took
    longer to draw does not push the next one later (the next wait is shorter), and one more
    than a period late restarts the grid rather than rushing to catch up. The wait is one
    precise ``time.sleep`` (nanosleep), not ``pygame.time.Clock.tick``, which sleeps whole
    milliseconds (bench/RESULTS.md has both).
    Sleeps are on a Waker, not pygame.event.wait(): pygame-ce polls for events every
    millisecond inside it (measured: ~30 ms of CPU per static second, bench/RESULTS.md).
    """

    def __init__(self, monotonic: Callable[[], float] = time.perf_counter) -> None:
        self._monotonic = monotonic
        self._due: float | None = None  # when the frame after the last tick is due
        self._waker = Waker()  # safe to wake from signal handlers, unlike threading.Event

    def tick(self, rate: float) -> None:
        period = max(1.0 / rate - EARLY_S, 0.0) if rate > 0 else 0.0
        now = self._monotonic()
        if self._due is None or now > self._due + period:
            self._due = now + period  # the first frame, or one a whole period late: a new grid
            return
        if self._due > now:
            time.sleep(self._due - now)
        self._due += period

    def sleep(self, seconds: float) -> None:
        self._due = None  # the frames after a sleep start a new grid
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
