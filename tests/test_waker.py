"""The render loop's Waker survives being woken from signal handlers at any instant.

A threading.Event fails this test (the handler re-enters the lock its own thread holds); it
is what once froze a player that was asked for a screenshot by SIGUSR1."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from player.ops.waker import Waker
from tests.conftest import REPO

STORM = """
import signal, sys, time
from player.ops.waker import Waker
waker = Waker()
signal.signal(signal.SIGALRM, lambda *_: waker.wake())
signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)  # a signal every 200 us
end, turns = time.monotonic() + 2, 0
while time.monotonic() < end:
    waker.wait(0.0001)
    turns += 1
signal.setitimer(signal.ITIMER_REAL, 0)
print("turns", turns)
"""


def test_a_storm_of_signals_never_deadlocks_the_loop() -> None:
    result = subprocess.run(
        [sys.executable, "-c", STORM], cwd=REPO, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.split()[-1]) > 1000


def test_wake_from_another_thread_ends_the_wait_early_and_is_consumed() -> None:
    waker = Waker()
    threading.Timer(0.05, waker.wake).start()
    began = time.monotonic()
    assert waker.wait(5.0) is True
    assert time.monotonic() - began < 1.0
    for _ in range(10_000):  # more than a pipe holds: wake() never blocks
        waker.wake()
    assert waker.wait(0.0) is True
    assert waker.wait(0.05) is False  # every pending wake-up was consumed by one wait
