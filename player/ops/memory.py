"""Giving freed memory back to the system.

Preparing a slide allocates tens of MB (a decoded photo, its resized copy) and frees it a
moment later; glibc keeps much of that in the process's heap for reuse, so the resident size
stays at its high-water mark for weeks. ``malloc_trim(0)`` returns the free pages at the top
and in the middle of the heap to the kernel. Elsewhere (musl, macOS) there is nothing to call.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys
import threading


def give_back_freed_memory() -> None:
    """Return freed heap pages to the kernel where the C library can (glibc); a no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # the name glibc has had for decades; musl has none


def give_back_freed_memory_soon() -> None:
    """:func:`give_back_freed_memory` on a thread of its own: with much to return it takes ~10 ms
    (measured with 200 MB freed), which the render loop must not spend while a video plays."""
    threading.Thread(target=give_back_freed_memory, name="malloc-trim", daemon=True).start()
