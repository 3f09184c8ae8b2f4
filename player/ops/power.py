"""Turning the screen off outside ``display.on_hours``.

The schedule is pure (instant in, on/off and the next change out). The commands that
switch a panel are the only I/O. Which one is used is found once at start by asking each
candidate whether it works, not by whether it is installed: on Raspberry Pi OS Bookworm
(KMS) ``vcgencmd`` is there but answers "Command not registered", and ``cec-ctl`` is there
on every Pi but only a panel with HDMI-CEC answers it.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from player.core.model import HourWindow, Schedule
from player.core.scheduler import windows_for_day

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


COMMAND_TIMEOUT_S = 10.0


class DisplayPower:
    """Switches the panel off and on by one method, named in ``method`` (for the status file):

    ``cec`` HDMI-CEC standby and Image View On; ``vcgencmd`` the Pi firmware's display_power;
    ``wlr-randr`` / ``xset`` the compositor's outputs or DPMS; ``command`` the configured
    commands; ``black`` nothing to switch: the panel stays lit and the loop shows black;
    ``none`` not switched at all (no ``display.on_hours``).
    """

    def __init__(self, off: str | None, on: str | None, method: str | None = None, detail: str = "") -> None:
        self.off_command, self.on_command = off, on
        self.method = method or ("command" if off or on else "black")
        self.detail = detail

    def __repr__(self) -> str:
        return f"DisplayPower({self.method!r}, off={self.off_command!r}, on={self.on_command!r})"

    @classmethod
    def detect(cls, environ: Mapping[str, str], cec_devices: Sequence[Path] | None = None) -> DisplayPower:
        """The first method that works here: HDMI-CEC, the Pi firmware, Wayland, X11; else black.

        ``environ`` (the CLI passes ``env.environ``) supplies PATH, where the programs are looked
        for, and the session variables; ``cec_devices`` defaults to every ``/dev/cecN`` (a Pi 4
        or 5 has one per HDMI port).
        """
        path = environ.get("PATH", os.defpath)
        cec_ctl = shutil.which("cec-ctl", path=path)
        if cec_ctl:
            devices = sorted(Path("/dev").glob("cec[0-9]*")) if cec_devices is None else cec_devices
            for device in devices:
                if _cec_answers(cec_ctl, device):
                    base = f"{shlex.quote(cec_ctl)} -d {shlex.quote(str(device))} --to 0"
                    return cls(f"{base} --standby", f"{base} --image-view-on", "cec", str(device))
        vcgencmd = shutil.which("vcgencmd", path=path)
        if vcgencmd and _vcgencmd_works(vcgencmd):
            command = f"{shlex.quote(vcgencmd)} display_power"
            return cls(f"{command} 0", f"{command} 1", "vcgencmd")
        wlr_randr = shutil.which("wlr-randr", path=path)
        if environ.get("WAYLAND_DISPLAY") and wlr_randr:
            program = shlex.quote(wlr_randr)
            outputs = f"$({program} | grep -o '^[^ ]*')"
            return cls(
                f"for o in {outputs}; do {program} --output $o --off; done",
                f"for o in {outputs}; do {program} --output $o --on; done",
                "wlr-randr",
            )
        xset = shutil.which("xset", path=path)
        if environ.get("DISPLAY") and xset:
            program = shlex.quote(xset)
            return cls(f"{program} +dpms dpms force off", f"{program} dpms force on s reset", "xset")
        return cls(None, None, "black")

    def describe(self) -> str:
        """One line for the log at start: what happens to the panel outside on_hours."""
        return {
            "cec": f"HDMI-CEC through {self.detail}: the panel goes to standby outside display.on_hours",
            "vcgencmd": "vcgencmd display_power: the HDMI signal stops outside display.on_hours",
            "wlr-randr": "wlr-randr: the outputs are switched off outside display.on_hours",
            "xset": "X11 DPMS (xset): the panel is switched off outside display.on_hours",
            "command": "display.power_off_command and power_on_command",
            "black": "no way to switch this panel found (no HDMI-CEC answer, no working vcgencmd, "
            "no wlr-randr or xset session): it stays lit and shows black outside display.on_hours",
            "none": "not switched (display.on_hours is always)",
        }.get(self.method, self.method)

    def set(self, on: bool) -> bool:
        """Switch the panel; False (and a warning) if the command failed or nobody answered.

        The loop has already put a black frame on screen, so a failure leaves the panel lit
        and black, never showing content out of hours.
        """
        command = self.on_command if on else self.off_command
        if not command:
            return True
        status, output = _run(["sh", "-c", command])
        if status == 0 and _answered(self.method, on, output):
            return True
        said = output.strip().splitlines()
        why = "could not run" if status is None else f"exit status {status}" if status else "not done"
        last = said[-1].strip() if said else "no output"
        log.warning("display power (%s) %s failed (%s): %s", self.method, "on" if on else "off", why, last)
        return False


def cec_transmitted(output: str) -> bool:
    """Whether cec-ctl's report says the panel acknowledged the message.

    cec-ctl exits 0 even when no panel answered: it prints "Tx, Not Acknowledged ..., Max
    Retries" under the message, or, on an adapter with no logical address, only "Adapter is
    unconfigured" with no transmit at all. So its exit status alone would take a panel
    without CEC for one that went to standby (read from v4l-utils' cec-ctl.cpp).
    """
    if "Tx Timestamp" not in output:  # printed after every transmit the kernel accepted
        return False
    # A status line is printed only when a transmit is not OK (or with --verbose).
    return not any(line.strip().startswith("Tx,") and ", OK" not in line for line in output.splitlines())


def _answered(method: str, on: bool, output: str) -> bool:
    if method == "cec":
        return cec_transmitted(output)
    if method == "vcgencmd":  # the firmware echoes the state it set; -1 or the old state: it did nothing
        return f"display_power={int(on)}" in output
    return True


def _cec_answers(cec_ctl: str, device: Path) -> bool:
    """Register as a playback device on ``device``, then ask the TV (logical address 0) for its
    power status: only a panel with CEC acknowledges. The registration stays with the adapter
    (the kernel claims the address again after a hot-plug), so the switch commands need no more."""
    if not device.exists():
        return False
    if _run([cec_ctl, "-d", str(device), "--playback"])[0] != 0:
        return False  # "Failed to open /dev/cec0": no such device, or not allowed to use it
    status, output = _run([cec_ctl, "-d", str(device), "--to", "0", "--give-device-power-status"])
    return status == 0 and cec_transmitted(output)


def _vcgencmd_works(vcgencmd: str) -> bool:
    """Asking for the state changes nothing; only the firmware's own display stack answers it.
    Under KMS it says "Command not registered" (Raspberry Pi OS Bookworm)."""
    status, output = _run([vcgencmd, "display_power"])
    return status == 0 and output.strip().startswith("display_power=") and "=-1" not in output


def _run(argv: list[str]) -> tuple[int | None, str]:
    """Exit status (None: it could not run, or hung) and what it printed on stdout and stderr."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, str(error)
    log.debug("%s exited %d: %s", argv, result.returncode, result.stdout.strip() or result.stderr.strip())
    return result.returncode, result.stdout + result.stderr
