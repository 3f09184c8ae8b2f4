"""The ``signage`` command: argument parsing, and the one place errors become exit codes.

Each subcommand is a function ``(args, env) -> int``; the :class:`Environment` carries the
streams, variables and working folder so tests run the whole CLI in-process.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from enum import IntEnum
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from player import __version__
from player.cli.options import instant, load_timetable, zone_of
from player.content.durations import DurationCache
from player.content.folder import load_paths, missing_media, playlist_files, system_timezone
from player.core.config import Config, default_config_path, load_config
from player.core.errors import ContentError, PlayerError, Problem, UsageError
from player.core.model import Playlist
from player.core.values import parse_timezone
from player.ops.environment import Environment

log = logging.getLogger("player")


class ExitStatus(IntEnum):
    OK = 0
    CONTENT_ERROR = 1  # a playlist, config or media problem: fix the content
    USAGE_ERROR = 2  # the command line was wrong
    FAILURE = 3  # something else went wrong (a bug, or the machine)


Command = Callable[[argparse.Namespace, Config, Environment], int]


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Run the CLI; returns the exit status (``python -m player`` exits with it)."""
    env = env or Environment()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed its message
        return int(exit_.code or 0)
    setup_logging(args.verbose, env.stderr)
    try:
        config = resolve_config(args, env)
        command: Command = args.command
        return command(args, config, env)
    except UsageError as error:
        print(f"signage: error: {error}", file=env.stderr)
        return ExitStatus.USAGE_ERROR
    except ContentError as error:
        for problem in error.problems:
            print(problem, file=env.stderr)
        return ExitStatus.CONTENT_ERROR
    except PlayerError as error:
        print(f"signage: {error}", file=env.stderr)
        return ExitStatus.FAILURE
    except KeyboardInterrupt:
        return ExitStatus.OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="signage",
        description="A digital-signage player: scheduled slides from YAML playlists.",
        epilog="Run `signage COMMAND --help` for a command's options. Exit status: 0 ok, "
        "1 content errors, 2 usage errors.",
    )
    parser.add_argument("--version", action="version", version=f"signage {__version__}")
    parser.add_argument("--config", type=Path, help="config file (default: config/player.yaml, else /etc/signage)")
    parser.add_argument("--playlists", type=Path, metavar="DIR", help="playlists folder (overrides config)")
    parser.add_argument("--media", type=Path, metavar="DIR", help="media folder (overrides config)")
    parser.add_argument("--state", type=Path, metavar="DIR", help="where status, logs and caches go")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log detail (-vv for debug)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="check playlists and report every error as FILE:LINE:COL",
        description="Check playlist files (default: the playlists folder) and the media they name.",
    )
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="playlist files or folders")
    validate.set_defaults(command=cmd_validate)

    schedule = commands.add_parser(
        "schedule",
        help="show what plays at an instant, or the timeline of a span",
        description="Times are ISO 8601 (2018-02-10T09:00:00+09:00, or Z); a time without an offset is in "
        "the configured time zone. Output times carry their offset.",
    )
    when = schedule.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", metavar="T", help="the instant to ask about")
    when.add_argument("--from", dest="start", metavar="T1", help="start of the timeline (with --to)")
    schedule.add_argument("--to", dest="end", metavar="T2", help="end of the timeline (exclusive)")
    schedule.add_argument("--slides", action="store_true", help="one entry per slide shown, not per playlist")
    schedule.add_argument("--json", action="store_true", help="machine-readable output")
    schedule.set_defaults(command=cmd_schedule)

    from player.cli.run import add_render_commands  # pygame itself is imported only when they run

    add_render_commands(commands)
    from player.cli.fleet import add_fleet_commands

    add_fleet_commands(commands)
    from player.cli.report import add_report_commands

    add_report_commands(commands)
    return parser


def setup_logging(verbosity: int, stream: TextIO) -> None:
    """Plain lines with levels: readable on a terminal and in the journal (no colour)."""
    level = logging.WARNING - 10 * min(verbosity + 1, 2)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("player")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def resolve_config(args: argparse.Namespace, env: Environment) -> Config:
    """Defaults, then the file, then the environment, then the command line."""
    path = args.config or (Path(env.environ["SIGNAGE_CONFIG"]) if env.environ.get("SIGNAGE_CONFIG") else None)
    path = path or default_config_path(env.cwd)
    if not path.is_absolute():
        path = env.cwd / path
    if args.config and not path.exists():
        raise UsageError(f"config file {path} does not exist")
    config = load_config(path, env.environ)
    changes = {key: getattr(args, key) for key in ("playlists", "media", "state") if getattr(args, key)}
    config = replace(config, **{k: v if v.is_absolute() else env.cwd / v for k, v in changes.items()})
    if config.timezone is None:
        config = replace(config, timezone=system_timezone(env.environ))
    else:
        try:
            parse_timezone(config.timezone)
        except ValueError as error:
            raise UsageError(f"SIGNAGE_TIMEZONE: {error}") from None
    return config


# -- validate ---------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace, config: Config, env: Environment) -> int:
    paths: list[Path] = []
    for path in args.paths or [config.playlists]:
        path = path if path.is_absolute() else env.cwd / path
        if path.is_dir():
            paths.extend(playlist_files(path))
        elif path.exists():
            paths.append(path)
        else:
            raise UsageError(f"{path} does not exist")
    result = load_paths(paths, config.timezone or "UTC")
    problems = [
        *result.problems,
        *missing_media(result.playlists, config.media),
        *video_problems(result.playlists, config),
    ]
    for problem in sorted(problems, key=lambda p: (p.location.file, p.location.line, p.location.col)):
        print(problem, file=env.stdout)
    slides = sum(len(p.slides) for p in result.playlists)
    if problems:
        files = len({p.location.file for p in problems})
        print(f"{len(problems)} problem(s) in {files} file(s)", file=env.stderr)
        return ExitStatus.CONTENT_ERROR
    print(f"{len(result.playlists)} playlist(s), {slides} slide(s): OK", file=env.stderr)
    return ExitStatus.OK


def video_problems(playlists: tuple[Playlist, ...], config: Config) -> list[Problem]:
    """Video slides need PyAV, and files it can read."""
    videos = [(i, s) for p in playlists for i, s in enumerate(p.slides) if s.kind == "video" and s.media]
    if not videos:
        return []
    from player.media.video import av_available

    if not av_available():
        message = "video slides need PyAV: install the video extra (pip install 'signage-player[video]')"
        return [Problem(s.location, f"slides[{i}].video", message) for i, s in videos]
    cache = DurationCache(config.media, None)
    cache.lengths({s.media for _, s in videos if s.media and (config.media / s.media).is_file()})
    return [
        Problem(s.location, f"slides[{i}].video", f"cannot play {s.media}: {cache.problems[s.media]}")
        for i, s in videos
        if s.media in cache.problems
    ]


# -- schedule ---------------------------------------------------------------------------------


def cmd_schedule(args: argparse.Namespace, config: Config, env: Environment) -> int:
    zone = zone_of(config)
    timetable = load_timetable(config, env)
    if args.at:
        decision = timetable.at(instant(args.at, config, "--at"))
        record = _localise(decision.as_json(), zone)
        if args.json:
            print(json.dumps(record, ensure_ascii=False), file=env.stdout)
        else:
            for key, value in record.items():
                print(f"{key:12} {value if value is not None else '-'}", file=env.stdout)
        return ExitStatus.OK
    if not args.end:
        raise UsageError("--from needs --to")
    start, end = instant(args.start, config, "--from"), instant(args.end, config, "--to")
    if end <= start:
        raise UsageError("--to must be after --from")
    if end - start > timedelta(days=366):
        raise UsageError("the span is longer than a year; ask for less")
    rows: list[dict[str, object]]
    if args.slides:
        rows = [
            {
                # The first and last slide are clipped to the span asked for.
                "start": max(d.slide_start or d.at, start),
                "end": min(d.slide_end or end, end),
                "playlist": d.playlist,
                "slide_index": d.slide_index,
                "slide_id": d.slide.id if d.slide else None,
            }
            for d in timetable.slides_between(start, end)
        ]
    else:
        rows = [{"start": s.start, "end": s.end, "playlist": s.playlist} for s in timetable.stretches(start, end)]
    rows = [_localise(row, zone) for row in rows]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1), file=env.stdout)
    else:
        print_table(rows, env.stdout)
    return ExitStatus.OK


def _localise(record: Mapping[str, object], zone: ZoneInfo) -> dict[str, object]:
    """Datetimes (or ISO strings) as ISO 8601 in ``zone``, with their offset."""
    out: dict[str, object] = {}
    for key, value in record.items():
        if isinstance(value, str) and key in ("at", "slide_start", "slide_end"):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            value = value.astimezone(zone).isoformat()
        out[key] = value
    return out


def print_table(rows: list[dict[str, object]], stream: TextIO) -> None:
    if not rows:
        print("(nothing)", file=stream)
        return
    headers = list(rows[0])
    cells = [[_cell(row[h]) for h in headers] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    print("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(), file=stream)
    for row_cells in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row_cells, widths, strict=True)).rstrip(), file=stream)


def _cell(value: object) -> str:
    if value is None:
        return "(idle)"
    if isinstance(value, str) and len(value) >= 25 and value[10] == "T":
        return value.replace("T", " ")
    return str(value)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
