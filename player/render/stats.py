"""Frame-time instrumentation: per transition, the frames presented and their times.

Used by the ``i`` overlay, the status file and the benchmarks, for both compositors.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TransitionReport:
    """One transition as presented: how many frames, the time between them, and of that time
    how long each frame took to draw and present (ms): the rest was the pacer's wait."""

    transition: str
    slide_id: str
    frames: int
    frame_ms: tuple[float, ...]
    seconds: float
    work_ms: tuple[float, ...] = ()

    @property
    def median_ms(self) -> float:
        return statistics.median(self.frame_ms) if self.frame_ms else 0.0

    @property
    def p99_ms(self) -> float:
        return _p99(self.frame_ms)

    @property
    def work_p99_ms(self) -> float:
        """The p99 of drawing and presenting alone: under a refresh period, no frame was late being made."""
        return _p99(self.work_ms)

    @property
    def max_ms(self) -> float:
        return max(self.frame_ms, default=0.0)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        return (
            f"{self.transition} into {self.slide_id}: {self.frames} frames, {self.fps:.1f} fps, "
            f"median {self.median_ms:.1f} ms, p99 {self.p99_ms:.1f} ms, max {self.max_ms:.1f} ms; "
            f"drawing and presenting p99 {self.work_p99_ms:.1f} ms"
        )


class FrameTimer:
    """Times the frames of the transition in progress; keeps the latest ``keep`` reports."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter, keep: int = 100) -> None:
        self._clock = clock
        self._name: tuple[str, str] | None = None
        self._times: list[float] = []
        self._waits: list[tuple[int, float]] = []  # (the gap it falls in, seconds) of each pacer's wait
        self.last: TransitionReport | None = None
        # Read by the overlay and benchmarks: bounded, a week of changes is not.
        self.reports: deque[TransitionReport] = deque(maxlen=keep)

    @property
    def running(self) -> bool:
        return self._name is not None

    def begin(self, transition: str, slide_id: str) -> None:
        self._name = (transition, slide_id)
        self._times = [self._clock()]
        self._waits = []

    def frame(self) -> None:
        """Call right after each frame of the transition is presented."""
        if self._name is not None:
            self._times.append(self._clock())

    def waiting(self, wait: Callable[[], None]) -> None:
        """Run ``wait`` (the pacer's, before the next frame is drawn), and count its time as no work."""
        started = self._clock()
        wait()
        if self._name is not None:
            self._waits.append((len(self._times) - 1, self._clock() - started))

    def end(self) -> TransitionReport | None:
        if self._name is None:
            return None
        times = self._times
        gaps = tuple((b - a) * 1000 for a, b in itertools.pairwise(times))
        waits = [0.0] * len(gaps)
        for gap, seconds in self._waits:
            if gap < len(gaps):  # the wait after the last frame falls in no gap
                waits[gap] += seconds * 1000
        work = tuple(gap - wait for gap, wait in zip(gaps, waits, strict=True))
        self.last = TransitionReport(self._name[0], self._name[1], len(gaps), gaps, times[-1] - times[0], work)
        self.reports.append(self.last)
        self._name = None
        return self.last


def _p99(values: tuple[float, ...]) -> float:
    """The nearest-rank 99th percentile (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
