"""The real pacer's frame grid, timed for real (loose bounds: CI machines are busy)."""

from __future__ import annotations

import itertools
import statistics
import time

from player.render.pacing import EARLY_S, RealPacer


def intervals(pacer: RealPacer, frames: int, work_s: float) -> list[float]:
    """Seconds between ticks' returns, each frame taking ``work_s`` to draw."""
    returned = []
    for _ in range(frames):
        end = time.perf_counter() + work_s
        while time.perf_counter() < end:  # drawing: the CPU busy, as a compositor is
            pass
        pacer.tick(60)
        returned.append(time.perf_counter())
    return [later - earlier for earlier, later in itertools.pairwise(returned)]


def test_frames_come_a_period_apart_less_the_margin_whatever_they_take_to_draw() -> None:
    """pygame's Clock.tick slept whole milliseconds: frames came 16.0-17.9 ms apart."""
    period = 1 / 60 - EARLY_S
    for work_s in (0.002, 0.012):
        gaps = intervals(RealPacer(), 40, work_s)
        assert abs(statistics.median(gaps) - period) < 0.0003, (work_s, gaps)


def test_a_late_frame_does_not_make_the_next_ones_rush() -> None:
    pacer = RealPacer()
    pacer.tick(60)
    time.sleep(0.1)  # a frame six periods late (a page fault, a busy core)
    began = time.perf_counter()
    pacer.tick(60)  # a new grid starts: no wait, and no burst of frames to catch up
    assert time.perf_counter() - began < 0.002
    gaps = intervals(pacer, 5, 0.001)
    assert min(gaps) > (1 / 60) / 2, gaps  # a burst would come 1 ms apart (the work alone)


def test_the_frame_timer_tells_drawing_and_presenting_from_the_pacers_wait() -> None:
    from player.render.pacing import FakeTime
    from player.render.stats import FrameTimer

    clock = FakeTime(0.0)
    timer = FrameTimer(clock)
    timer.begin("fade", "p/s")
    for work_s, wait_s in ((0.005, 0.012), (0.011, 0.005)):  # draw and present, then the pacer's wait
        clock.advance(work_s)
        timer.frame()
        timer.waiting(lambda wait_s=wait_s: clock.advance(wait_s))
    report = timer.end()
    assert report is not None
    assert [round(ms, 3) for ms in report.frame_ms] == [5.0, 23.0]  # the second frame came late
    assert [round(ms, 3) for ms in report.work_ms] == [5.0, 11.0]  # but was not late being made
    assert "drawing and presenting p99 11.0 ms" in report.summary()
