"""Freed pictures go back to the system (player/ops/allocator.py): glibc's moving mmap
threshold otherwise keeps every big buffer after the first in the heap, for good."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from player.ops.allocator import return_big_buffers_when_freed

def resident_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

if sys.argv[1] == "fixed":
    assert return_big_buffers_when_freed()
picture = bytearray(8_000_000)  # the first big buffer is mapped, and unmapped when freed...
del picture
before = resident_mb()
picture = bytearray(8_000_000)  # ...after which glibc keeps the next ones in its heap
del picture
print(resident_mb() - before)
"""


def kept_after_free(mode: str) -> float:
    result = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=30, check=True)
    return float(result.stdout)


def test_a_freed_picture_is_given_back_with_the_threshold_fixed_and_kept_without() -> None:
    assert kept_after_free("moving") > 6  # what the player did before: 8 MB a picture kept
    assert kept_after_free("fixed") < 1
