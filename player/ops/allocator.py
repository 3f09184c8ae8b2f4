"""Giving big buffers back to the system as soon as they are freed (glibc's malloc).

A player allocates and frees a handful of large buffers at every slide change: a decoded
picture (6 MB at 1080p), the surface it becomes (8 MB), a file read back from the prepared
cache. glibc serves a large allocation with its own ``mmap`` and returns it on ``free``, but
only up to a threshold it raises each time such a buffer is freed (up to 32 MB): after the
first few changes every picture lands in the heap, where freed memory stays with the process.
Measured on the PNG idle case (bench/idle.py): 111 MB resident in the steady state with the
threshold left to move, 67 MB with it fixed at 256 KB. The cost is a page fault per 4 KB of
each big buffer, a fraction of a millisecond per megabyte, at slide changes only.
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
THRESHOLD = 256 * 1024  # bytes: above this, a buffer has its own mapping, unmapped when freed


def return_big_buffers_when_freed(threshold: int = THRESHOLD) -> bool:
    """Fix glibc's mmap threshold (setting it stops it moving). False where there is no glibc."""
    try:
        # By its glibc name: find_library would run `ldconfig -p` (20 ms) at every start.
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: no mallopt, and nothing to do
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(M_MMAP_THRESHOLD, threshold))
    if not done:
        log.debug("mallopt(M_MMAP_THRESHOLD) refused: freed pictures may stay in the heap")
    return done
