"""Waking a loop (the render loop, the sync client) from other threads and from signal handlers.

A self-pipe, not a ``threading.Event``: ``Event.set()`` takes a lock, and a signal handler
runs on the main thread between two bytecodes, possibly while that thread holds the very
same lock inside ``Event.wait()``. The handler then waits forever for its own thread: a frozen
screen (seen once in 50 SIGUSR1 screenshots in the soak). Writing a byte to a pipe takes no
lock, so it is safe anywhere.
"""

from __future__ import annotations

import contextlib
import os
import select
import weakref


class Waker:
    """``wake()`` from anywhere (threads, signal handlers); ``wait(timeout)`` on the loop's thread."""

    def __init__(self) -> None:
        self._read, self._write = os.pipe()
        for fd in (self._read, self._write):
            os.set_blocking(fd, False)
        weakref.finalize(self, _close, self._read, self._write)

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # the pipe is full: a wake-up is pending anyway
            os.write(self._write, b"\0")

    def wait(self, timeout: float) -> bool:
        """Sleep until woken or ``timeout`` seconds pass; True if woken. Clears pending wake-ups."""
        ready, _, _ = select.select([self._read], [], [], max(0.0, timeout))
        if not ready:
            return False
        with contextlib.suppress(BlockingIOError):
            while os.read(self._read, 4096):
                pass
        return True


def _close(*fds: int) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)
