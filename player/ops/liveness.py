"""Is the player that wrote the status file still running? For ``signage status``.

The status file outlives its player (a crash, ``kill -9``, a power cut), so it is news only
while the process that wrote it lives and keeps rewriting it. Three checks, each usable
when the others are not:

- the pid exists: ``kill(pid, 0)`` says ESRCH when it does not, EPERM when it does but
  belongs to another user (the player runs as ``signage``; ``signage status`` may not);
- it is the same process: its start time (``/proc/PID/stat``) equals the one the player
  recorded, so a pid reused by another program later is not taken for the player. Under
  ``hidepid`` or ``ProtectProc=invisible`` another user's ``/proc/PID`` may be hidden; then
  this check is skipped;
- the file is fresh: the player rewrites it at least every ``STATUS_REFRESH_S``, even on a
  static slide and with the panel off, so a file a few of those old means it stopped.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from player.ops.status import STATUS_REFRESH_S

STALE_AFTER_S = 3 * STATUS_REFRESH_S  # three missed rewrites: not one slow write to a busy SD card
PROC = Path("/proc")


@dataclass(frozen=True)
class Liveness:
    running: bool
    age_s: float | None  # seconds since the status was written (None: unknown)
    reason: str = ""  # why it is not running, for a person: "pid 123 gone"

    def headline(self) -> str:
        """``not running (last seen 4 min ago, pid 123 gone)``; empty while running."""
        if self.running:
            return ""
        seen = f"last seen {ago(self.age_s)} ago, " if self.age_s is not None else ""
        return f"not running ({seen}{self.reason})"


def process_start(pid: int, proc: Path = PROC) -> int | None:
    """When process ``pid`` started, in clock ticks since boot; None if its /proc entry is unreadable.

    With the pid it names one process for the life of the machine: a pid reused later by
    another program has a later start time.
    """
    stat = _stat(pid, proc)
    return stat[1] if stat else None


def judge(status: Mapping[str, object], now: float, written: float | None = None, proc: Path = PROC) -> Liveness:
    """Whether the player that wrote ``status`` still runs, at ``now`` (Unix time).

    ``written`` is when the file was written if the status does not say (its mtime).
    """
    stamp = _timestamp(status.get("written"))
    written = stamp if stamp is not None else written
    # A file from the future (the clock was set back) is not judged stale.
    age = max(0.0, now - written) if written is not None else None
    stale = age is not None and age > STALE_AFTER_S
    pid = status.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:  # kill(0 or -1) would mean a group
        return Liveness(not stale, age, "no pid recorded, and the status is not being updated")
    if not _exists(pid):
        return Liveness(False, age, f"pid {pid} gone")
    stat = _stat(pid, proc)
    if stat is not None:
        state, start = stat
        if state in ("Z", "X"):  # exited, not yet reaped by its parent
            return Liveness(False, age, f"pid {pid} gone")
        recorded = status.get("pid_start")
        if isinstance(recorded, int) and recorded != start:
            return Liveness(False, age, f"pid {pid} gone; that number is now another program")
        if stale and isinstance(recorded, int):
            return Liveness(False, age, f"pid {pid} is alive but has stopped updating its status: hung?")
    if stale:
        return Liveness(False, age, f"pid {pid} exists but the status is not being updated")
    return Liveness(True, age)


def ago(seconds: float) -> str:
    """A rough duration for a person: 45 s, 12 min, 3 h 20 min, 2 d 4 h."""
    total = int(seconds)
    if total < 90:
        return f"{total} s"
    minutes = total // 60
    if minutes < 90:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:  # ESRCH
        return False
    except PermissionError:  # EPERM: it exists, and is another user's
        return True
    return True


def _stat(pid: int, proc: Path) -> tuple[str, int] | None:
    """(state, start time) from /proc/PID/stat; None if hidden, gone or not Linux."""
    try:
        text = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    # Fields after the command name, which may itself hold spaces and parentheses:
    # state is field 3 of proc(5), starttime field 22.
    fields = text.rpartition(")")[2].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def _timestamp(value: object) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo else None
