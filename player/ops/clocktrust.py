"""Whether the system clock can be trusted yet.

A Pi has no battery-backed clock and may boot in the past (or years in the future) until
NTP answers. Evaluating schedules against that date would show the wrong campaign, so
until the clock is synchronised, or is at least later than the newest installed manifest
was issued, the player keeps playing what it played last.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from player.core.model import Playlist, Schedule
from player.ops.statedir import StateDir, read_json_object

TIME_ERROR = 5  # adjtimex(2): "clock not synchronised"
RECHECK_S = 10.0

log = logging.getLogger(__name__)


def clock_trusted(synchronized: bool | None, now: datetime, newest_issue: datetime | None) -> bool:
    """The rule, as a pure function.

    ``synchronized`` is the kernel's view (None: unknown, e.g. not Linux). A clock later
    than a manifest's issue time cannot be stuck in the past that far.
    """
    if synchronized:
        return True
    if newest_issue is not None and now >= newest_issue:
        return True
    return synchronized is None and newest_issue is None


def kernel_synchronized() -> bool | None:
    """adjtimex(2) with no changes: True when NTP (timesyncd, chrony, ntpd) has set the clock."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        state = libc.adjtimex(ctypes.create_string_buffer(512))  # struct timex is < 512 bytes; modes=0 reads
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return bool(state != TIME_ERROR)


@dataclass(frozen=True)
class LastPlayed:
    """What to play while the clock is not trusted: the last playlist, on all the time."""

    playlist: str

    def fallback(self, playlists: tuple[Playlist, ...]) -> tuple[Playlist, ...]:
        for playlist in playlists:
            if playlist.name == self.playlist:
                return (replace(playlist, schedule=Schedule(timezone=playlist.schedule.timezone), priority=0),)
        return ()


@dataclass
class ClockGuard:
    """Tells the loop whether to trust the clock; once trusted, it stays trusted."""

    last: LastPlayed | None
    newest_issue: datetime | None
    synchronized: Callable[[], bool | None] = kernel_synchronized
    monotonic: Callable[[], float] = time.monotonic
    _trusted: bool = field(default=False, init=False)
    _checked_at: float | None = field(default=None, init=False)

    def trusted(self, now: datetime) -> bool:
        if self._trusted:
            return True
        mono = self.monotonic()
        if self._checked_at is None or mono - self._checked_at >= RECHECK_S:
            self._checked_at = mono
            self._trusted = clock_trusted(self.synchronized(), now, self.newest_issue)
            if self._trusted:
                log.info("the system clock is trusted now: playing the schedule")
            elif self.last is not None:
                log.warning("the system clock is not synchronised yet: keeping %s on screen", self.last.playlist)
        return self._trusted


def read_last_played(status_file: Path) -> LastPlayed | None:
    """The playlist the previous run last showed, from its status file (``StateDir.status``, or ``--status``)."""
    playlist = read_json_object(status_file).get("playlist")
    return LastPlayed(playlist) if isinstance(playlist, str) else None


def newest_issue_time(state: Path) -> datetime | None:
    """When the installed manifest was issued (it was verified when it was installed)."""
    return StateDir.at(state).manifest_issued()
