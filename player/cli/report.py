"""``signage report`` (proof of play), ``signage status`` (what this screen is doing) and
``signage screenshot`` (what it shows): the commands that ask a screen about itself."""

from __future__ import annotations

import argparse
import json
import os
import signal
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from player.cli.command import ExitStatus, add_command
from player.cli.options import zone_of
from player.core.errors import PlayerError, UsageError
from player.ops.statedir import StateDir

if TYPE_CHECKING:
    from player.cli.command import Subcommands
    from player.core.config import Config
    from player.ops.environment import Environment
    from player.ops.liveness import Liveness


def add_report_commands(commands: Subcommands) -> None:
    """``signage report``, ``screenshot`` and ``status``."""
    report = add_command(commands, "report", cmd_report)
    report.add_argument("--from", dest="start", metavar="D1", help="first day, in the configured zone (default: all)")
    report.add_argument("--to", dest="end", metavar="D2", help="last day, inclusive (default: all)")
    report.add_argument(
        "--by",
        choices=("playlist", "slide", "day", "hour"),
        default="playlist",
        help="what to total by (default: playlist); days and hours are the configured zone's",
    )
    report.add_argument("--csv", action="store_true", help="CSV instead of a table")

    screenshot = add_command(commands, "screenshot", cmd_screenshot)
    screenshot.add_argument("--timeout", type=float, default=5.0, help="seconds to wait (default 5)")

    status = add_command(commands, "status", cmd_status)
    status.add_argument(
        "--json", action="store_true", help="the status file as it is (the exit status still says whether it runs)"
    )


def _bound(text: str | None, zone: ZoneInfo, option: str, *, through: bool = False) -> datetime | None:
    """A ``--from`` or ``--to`` date (or time) as an aware instant; a naive one is in ``zone``.

    ``through``: a date means the end of that day, the next local midnight (23 or 25 hours
    later across a change of summer time, not 24).
    """
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: expected a date such as 2018-02-10, got {text!r}") from None
    if through and len(text) <= 10:
        value += timedelta(days=1)  # naive: the next day's midnight on the wall clock
    return value if value.tzinfo else value.replace(tzinfo=zone)


def cmd_report(args: argparse.Namespace, config: Config, env: Environment) -> int:
    """summarise proof of play: plays and seconds on screen

    Reads STATE/proof/proof-*.jsonl. Days are the configured time zone's (timezone in the
    config; UTC if none), for --from, --to and --by day alike, and hours too: a screen in Seoul
    counts its day from its own midnight. Dates are YYYY-MM-DD, --to is inclusive; a time with
    an offset is taken as it is. Rows by day or hour name the zone, and an hour carries its
    offset (2018-02-10T09:00+09:00).
    """
    from player.ops.proof import log_files, read_plays, render_table, summarise

    zone = zone_of(config)
    start = _bound(args.start, zone, "--from")
    end = _bound(args.end, zone, "--to", through=True)
    rows = summarise(read_plays(log_files(StateDir.at(config.state).proof)), args.by, start, end, zone)
    env.stdout.write(render_table(rows, args.csv))
    return ExitStatus.OK


def cmd_status(args: argparse.Namespace, config: Config, env: Environment) -> int:
    """what this screen is playing, since when, and what is wrong

    Reads STATE/status.json and checks that the player which wrote it still runs: its pid exists and
    is the same process, and the file was rewritten in the last few minutes (the player rewrites it
    at least once a minute). Exit status: 0 playing, 1 playing with content or other errors, 2 no
    status file, 3 not running (the player died, or stopped updating its status).
    """
    path = StateDir.at(config.state).status
    status, liveness = _player_status(path, env, where=f"at {path}")
    if args.json:
        print(json.dumps(status, indent=1, ensure_ascii=False), file=env.stdout)
    else:
        for line in describe(status, liveness, zone_of(config)):
            print(line, file=env.stdout)
    if not liveness.running:
        return ExitStatus.FAILURE
    if args.json:
        return ExitStatus.OK
    return ExitStatus.CONTENT_ERROR if status.get("errors") or status.get("last_error") else ExitStatus.OK


def _player_status(path: Path, env: Environment, *, where: str) -> tuple[dict[str, object], Liveness]:
    """The status file at ``path`` and whether the player that wrote it still runs.

    Raises:
        UsageError: there is no readable status file (``where`` says where it was looked for).
    """
    from player.ops.liveness import judge
    from player.ops.status import read_status

    try:
        status = read_status(path)
        written = path.stat().st_mtime
    except (OSError, ValueError) as error:
        raise UsageError(f"no status {where} ({error}): is the player running with this config?") from None
    # The wall clock, like the file's mtime and the "written" stamp it is compared with.
    return status, judge(status, env.now().timestamp(), written)


def describe(status: dict[str, object], liveness: Liveness | None = None, zone: tzinfo = UTC) -> list[str]:
    """The status file for a person: whether the player runs, what plays, since when, how
    healthy, what is wrong. A dead player's last status is shown as what it was playing.

    The file keeps UTC; times are shown in ``zone`` (the configured one, as everywhere in the CLI)."""

    def local(value: object) -> str:
        return _local_time(value, zone)

    playing = f"{status.get('playlist')} / {status.get('slide_id')}" if status.get("playlist") else "(idle)"
    if not status.get("display_on", True):
        playing += "   (display off by schedule)"
    power = status.get("display_power")
    uptime = status.get("uptime_s")
    disk = status.get("disk_free_bytes")
    loaded = status.get("loaded")
    names = ", ".join(str(n) for n in loaded) if isinstance(loaded, list) and loaded else "-"
    dead = liveness is not None and not liveness.running
    lines = [liveness.headline()] if liveness is not None and dead else []
    lines += [
        f"screen      {status.get('screen', '?')}   player {status.get('player_version', '?')}",
        f"{'was playing' if dead else 'playing    '} {playing}",
        f"updated     {local(status.get('written') or status.get('time'))}",
        f"up          {_duration(uptime) if uptime is not None else '?'} (since {local(status.get('started'))})",
        f"content     version {status.get('content_version') or '-'}; loaded: {names}",
        f"last sync   {local(status.get('last_sync')) if status.get('last_sync') else 'never'}",
        f"renderer    {status.get('renderer', '?')}; last transition {status.get('last_transition_fps') or '-'} fps",
        f"power       {_POWER.get(str(power), power) if power else '?'}",
        f"disk free   {disk / 2**30:.1f} GiB" if isinstance(disk, int) else "disk free   ?",
    ]
    errors = status.get("errors")
    problems = [
        f"  {e.get('file')}:{e.get('line')}:{e.get('col')}: {e.get('message')}"
        for e in (errors if isinstance(errors, list) else [])
        if isinstance(e, dict)
    ]
    for label, value in (("sync error", status.get("last_sync_error")), ("last error", status.get("last_error"))):
        if value:
            problems.append(f"  {label}: {value}")
    lines.append("problems    none" if not problems else "problems")
    lines.extend(problems)
    return lines


def _local_time(value: object, zone: tzinfo) -> str:
    """An ISO time from the status file in ``zone``, to the second; anything else as it is."""
    if not isinstance(value, str):
        return "?" if value is None else str(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).isoformat(sep=" ", timespec="seconds")


def cmd_screenshot(args: argparse.Namespace, config: Config, env: Environment) -> int:
    """ask the running player for what its screen shows now (STATE/screenshot.png)

    Sends SIGUSR1 to the player named in the status file and waits for the picture.
    """
    status, liveness = _player_status(StateDir.at(config.state).status, env, where=f"in {config.state}")
    pid = status.get("pid")
    if not isinstance(pid, int):
        raise UsageError("the status file names no player process; is the player running?")
    if not liveness.running:
        # Not even a signal: a dead player's pid may now be another program, which SIGUSR1 would kill.
        raise PlayerError(f"the player is {liveness.headline()}")
    picture = StateDir.at(config.state).screenshot
    before = picture.stat().st_mtime_ns if picture.exists() else 0
    try:
        os.kill(pid, signal.SIGUSR1)
    except OSError as error:
        raise PlayerError(f"cannot signal the player (pid {pid}): {error.strerror}; is it running?") from None
    deadline = env.monotonic() + args.timeout
    while env.monotonic() < deadline:
        if picture.exists() and picture.stat().st_mtime_ns != before:
            print(picture, file=env.stdout)
            return ExitStatus.OK
        env.sleep(0.05)
    raise PlayerError(f"the player (pid {pid}) wrote no screenshot within {args.timeout:g} s")


# player.ops.power's methods, for `signage status` (read-only: a table, not state).
_POWER = MappingProxyType(
    {
        "cec": "HDMI-CEC standby outside on_hours",
        "vcgencmd": "vcgencmd display_power outside on_hours",
        "wlr-randr": "wlr-randr outputs off outside on_hours",
        "xset": "X11 DPMS off outside on_hours",
        "command": "display.power_off_command outside on_hours",
        "black": "black screen outside on_hours (the panel stays lit: no HDMI-CEC, no working vcgencmd)",
        "none": "always on (no on_hours)",
    }
)


def _duration(seconds: object) -> str:
    total = int(float(str(seconds)))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    return (f"{days}d " if days else "") + f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
