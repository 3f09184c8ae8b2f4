"""Turning the screen off outside ``display.on_hours``.

The schedule is pure (instant in, on/off and the next change out). The commands that
switch a panel are the only I/O, with defaults that work on a Pi and common desktops.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from player.model import HourWindow, Schedule
from player.scheduler import windows_for_day

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PowerSchedule:
    """Daily on-windows per weekday (Monday = 0); a weekday with none stays off all day."""

    timezone: str
    days: tuple[tuple[HourWindow, ...], ...]  # seven entries

    def _windows(self, around: datetime) -> list[tuple[datetime, datetime]]:
        local: date = around.astimezone(ZoneInfo(self.timezone)).date()
        windows: list[tuple[datetime, datetime]] = []
        for offset in range(-1, 8):
            day = local + timedelta(days=offset)
            hours = self.days[day.weekday()]
            if hours:
                schedule = Schedule(timezone=self.timezone, days=frozenset({day.weekday()}), hours=hours)
                windows.extend(windows_for_day(schedule, day))
        return sorted(windows)

    def is_on(self, instant: datetime) -> bool:
        return any(opens <= instant < closes for opens, closes in self._windows(instant))

    def next_change(self, instant: datetime) -> datetime | None:
        """The next instant at which on/off flips (None: never within a week)."""
        state = self.is_on(instant)
        edges = sorted({edge for window in self._windows(instant) for edge in window if edge > instant})
        return next((edge for edge in edges if self.is_on(edge) != state), None)


class DisplayPower:
    """Runs the commands that turn the panel off and on (or does nothing: a black screen)."""

    def __init__(self, off: str | None, on: str | None) -> None:
        self.off_command, self.on_command = off, on

    @classmethod
    def detect(cls, environ: Mapping[str, str] | None = None) -> DisplayPower:
        """Working defaults: vcgencmd on a Pi's firmware, wlr-randr on Wayland, DPMS on X11."""
        env = os.environ if environ is None else environ
        if shutil.which("vcgencmd"):
            return cls("vcgencmd display_power 0", "vcgencmd display_power 1")
        if env.get("WAYLAND_DISPLAY") and shutil.which("wlr-randr"):
            outputs = "$(wlr-randr | grep -o '^[^ ]*')"
            return cls(
                f"for o in {outputs}; do wlr-randr --output $o --off; done",
                f"for o in {outputs}; do wlr-randr --output $o --on; done",
            )
        if env.get("DISPLAY") and shutil.which("xset"):
            return cls("xset +dpms dpms force off", "xset dpms force on s reset")
        return cls(None, None)

    def set(self, on: bool) -> None:
        command = self.on_command if on else self.off_command
        if not command:
            return
        try:
            result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            log.warning("display power command failed (%s): %s", command, error)
            return
        if result.returncode != 0:
            log.warning("display power command %r exited %d: %s", command, result.returncode, result.stderr.strip())
