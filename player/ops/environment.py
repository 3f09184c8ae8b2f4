"""What the process may touch of the outside world, handed to whoever needs it.

The CLI builds one :class:`Environment` from the real process (streams, environment
variables, host name, clocks) and passes it down; tests build their own. Nothing below the
CLI reads ``os.environ``, ``sys.stderr``, ``socket.gethostname()`` or the clocks directly, so
every one of them can be replaced in a test without patching.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Environment:
    """The outside world as one value: streams, environment variables, host name and clocks.

    ``now`` is the wall clock (aware, UTC): what a person's watch says, for timestamps.
    ``monotonic`` is real seconds that never jump: for intervals, timeouts and pacing;
    ``sleep`` waits that many of them (a test's fake advances its fake ``monotonic``).
    """

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = field(default_factory=Path.cwd)
    hostname: Callable[[], str] = socket.gethostname
    now: Callable[[], datetime] = _utc_now
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
