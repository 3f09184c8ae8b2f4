"""Messages to the render loop from other threads: the loop runs them on its own thread.

A message is a function of the loop; posting one wakes the loop's sleep, so a folder change
or a signal is seen at once rather than at the next scheduled wake-up.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Inbox(Generic[T]):
    """Thread-safe :meth:`post`; :meth:`deliver` on the loop's thread, in the order posted."""

    def __init__(self, wake: Callable[[], None]) -> None:
        self._queue: queue.SimpleQueue[Callable[[T], None]] = queue.SimpleQueue()
        self._wake = wake

    def post(self, message: Callable[[T], None]) -> None:
        self._queue.put(message)
        self._wake()

    def deliver(self, target: T) -> None:
        """Run every message waiting, with ``target``."""
        while True:
            try:
                message = self._queue.get_nowait()
            except queue.Empty:
                return
            message(target)
