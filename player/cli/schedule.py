"""``signage schedule``: what plays at an instant, or the timeline of a span, from the timetable."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo

from player.cli.command import ExitStatus, add_command
from player.cli.options import DEFAULT_SIZE, instant, load_content, zone_of
from player.core.errors import UsageError
from player.core.layout import main_zone
from player.core.stage import StagePlan

if TYPE_CHECKING:
    from player.cli.command import Subcommands
    from player.core.config import Config
    from player.core.scheduler import Timetable
    from player.ops.environment import Environment

Row = dict[str, object]


def add_schedule_command(commands: Subcommands) -> None:
    """``signage schedule``."""
    schedule = add_command(commands, "schedule", cmd_schedule)
    when = schedule.add_mutually_exclusive_group(required=True)
    when.add_argument("--at", metavar="T", help="the instant to ask about")
    when.add_argument("--from", dest="start", metavar="T1", help="start of the timeline (with --to)")
    schedule.add_argument("--to", dest="end", metavar="T2", help="end of the timeline (exclusive)")
    schedule.add_argument("--slides", action="store_true", help="one entry per slide shown, not per playlist")
    schedule.add_argument("--json", action="store_true", help="machine-readable output")


def cmd_schedule(args: argparse.Namespace, config: Config, env: Environment) -> int:
    """show what plays at an instant, or the timeline of a span

    Times are ISO 8601 (2018-02-10T09:00:00+09:00, or Z); a time without an offset is in the
    configured time zone. Output times carry their offset.
    """
    zone = zone_of(config)
    content = load_content(config, env)
    plan = StagePlan(content.timetable.playlists, content.layouts)
    if not content.layouts:
        plan.full_screen = content.timetable
    screen = config.display.size or DEFAULT_SIZE
    if args.at:
        record = _localise(_decision_at(plan, instant(args.at, config, "--at"), screen), zone)
        if args.json:
            print(json.dumps(record, ensure_ascii=False), file=env.stdout)
        else:
            for key, value in record.items():
                print(f"{key:12} {value if value is not None else '-'}", file=env.stdout)
        return ExitStatus.OK
    start, end = _span(args, config)
    rows = _slide_rows(plan, screen, start, end) if args.slides else _stretch_rows(plan, start, end)
    rows = [_localise(row, zone) for row in rows]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1), file=env.stdout)
    else:
        print_table(rows, env.stdout)
    return ExitStatus.OK


def _span(args: argparse.Namespace, config: Config) -> tuple[datetime, datetime]:
    """``--from`` and ``--to`` as instants, refused if empty, backwards or over a year."""
    if not args.end:
        raise UsageError("--from needs --to")
    start, end = instant(args.start, config, "--from"), instant(args.end, config, "--to")
    if end <= start:
        raise UsageError("--to must be after --from")
    if end - start > timedelta(days=366):
        raise UsageError("the span is longer than a year; ask for less")
    return start, end


def _decision_at(plan: StagePlan, at: datetime, screen: tuple[int, int]) -> Row:
    """What the screen shows at ``at``; on a layout, its main zone's slide, with the layout and zone named."""
    layout = plan.at(at).layout
    zone = main_zone(layout, screen) if layout is not None else None
    if layout is None:
        return plan.full_screen.at(at).as_json()
    if zone is None:
        return {"at": at, "playlist": None, "layout": layout.name}
    return {**plan.zone_timetable(layout, zone).at(at).as_json(), "layout": layout.name, "zone": zone.name}


def _stretch_rows(plan: StagePlan, start: datetime, end: datetime) -> list[Row]:
    """Who has the screen: a playlist, ``layout:NAME``, or nobody (idle)."""
    return [{"start": s.start, "end": s.end, "playlist": s.playlist} for s in plan.stretches(start, end)]


def _slide_rows(plan: StagePlan, screen: tuple[int, int], start: datetime, end: datetime) -> list[Row]:
    """Each slide shown; while a layout has the screen, the slides of its main zone."""
    if not plan.layouts:
        return _slides_of(plan.full_screen, start, end)
    rows: list[Row] = []
    for stretch in plan.stretches(start, end):
        layout = plan.layout_named(stretch.playlist)
        zone = main_zone(layout, screen) if layout is not None else None
        timetable = plan.zone_timetable(layout, zone) if layout is not None and zone is not None else plan.full_screen
        rows.extend(_slides_of(timetable, stretch.start, stretch.end))
    return rows


def _slides_of(timetable: Timetable, start: datetime, end: datetime) -> list[Row]:
    return [
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


def _localise(record: Mapping[str, object], zone: ZoneInfo) -> Row:
    """Datetimes (or ISO strings) as ISO 8601 in ``zone``, with their offset."""
    out: Row = {}
    for key, value in record.items():
        if isinstance(value, str) and key in ("at", "slide_start", "slide_end"):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            value = value.astimezone(zone).isoformat()
        out[key] = value
    return out


def print_table(rows: list[Row], stream: TextIO) -> None:
    """Rows as columns padded to their widest cell, headers in capitals."""
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
        return value.replace("T", " ")  # an ISO time: easier to read with a space
    return str(value)
