"""Proof of play: one JSON line per slide actually shown, and the report over them.

A line is written when a slide leaves the screen (its real start and end are known then),
flushed and fsynced, so a power cut loses at most the slide that was on screen. On a screen
the lines are written by :class:`ProofWriter`'s thread: hashing a just-played video (seconds
for a large one) and the fsync of each line must never hold the render loop at a transition. Logs rotate
daily (``proof-YYYY-MM-DD.jsonl``, by the UTC date of the slide's start) and old days are
deleted after ``keep_days``.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import queue
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from types import MappingProxyType

from player.ops.hashing import sha256_file

log = logging.getLogger(__name__)

PREFIX = "proof-"
SUFFIX = ".jsonl"
COMPLETE_TOLERANCE_S = 0.5  # a slide that ran to within this of its scheduled end completed
_NUMERIC = frozenset({"plays", "completed", "seconds"})
# What a report's rows are keyed by, for each --by (read-only: a table, not state).
_COLUMNS = MappingProxyType(
    {"playlist": ("playlist",), "slide": ("playlist", "slide"), "day": ("day", "zone"), "hour": ("hour", "zone")}
)


@dataclass(frozen=True)
class Play:
    """One slide on screen, from its real start to its real end."""

    screen: str
    playlist: str
    slide_id: str
    media: str | None
    sha256: str | None
    start: datetime
    end: datetime
    completed: bool

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def as_json(self) -> dict[str, object]:
        return {
            "screen": self.screen,
            "playlist": self.playlist,
            "slide_id": self.slide_id,
            "media": self.media,
            "sha256": self.sha256,
            "start": self.start.astimezone(UTC).isoformat(),
            "end": self.end.astimezone(UTC).isoformat(),
            "seconds": round(self.seconds, 3),
            "completed": self.completed,
        }


class ProofLog:
    """Appends plays to the day's log file. One thread at a time (a ProofWriter's, or a test's)."""

    def __init__(self, folder: Path, keep_days: int = 90) -> None:
        self.folder = folder
        self.keep_days = keep_days
        self._hashes: dict[str, tuple[tuple[int, int], str]] = {}  # path -> ((mtime, size), sha256)
        self._pruned: date | None = None
        self._failing = False  # said once until writing works again

    def path_for(self, day: date) -> Path:
        return self.folder / log_name(day)

    def record(self, play: Play) -> None:
        day = play.start.astimezone(UTC).date()
        line = json.dumps(play.as_json(), ensure_ascii=False) + "\n"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with self.path_for(day).open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as error:  # a full or read-only disk must not stop the screen
            if not self._failing:
                self._failing = True
                log.warning("cannot write proof of play (%s); plays are not recorded until it works again", error)
            return
        if self._failing:
            self._failing = False
            log.info("proof of play is recorded again")
        if self._pruned != day:
            self._pruned = day
            self._prune(day)

    def played(self, play: Play, media: Path | None) -> None:
        """Record ``play``, with the sha256 of the file ``media`` it showed (None for text)."""
        self.record(replace(play, sha256=self.media_hash(media)) if media is not None else play)

    def close(self) -> None:
        """Nothing is pending: every line was written as it came."""

    def media_hash(self, path: Path) -> str | None:
        """The sha256 of a media file, cached by (path, mtime, size)."""
        try:
            info = path.stat()
        except OSError:
            return None
        # One entry per file, its latest version: a file replaced hourly for years must not grow this.
        stamp = (info.st_mtime_ns, info.st_size)
        cached = self._hashes.get(str(path))
        if cached is None or cached[0] != stamp:
            try:
                cached = self._hashes[str(path)] = (stamp, sha256_file(path)[0])
            except OSError:
                return None
        return cached[1]

    def _prune(self, today: date) -> None:
        oldest = today - timedelta(days=self.keep_days)
        for path in log_files(self.folder):
            if _day_of(path) < oldest:
                path.unlink(missing_ok=True)


class ProofWriter:
    """A ProofLog fed from the render loop and written on a thread of its own.

    The loop hands each play over (:meth:`played`, a queue put) and goes on; the thread hashes
    the media and appends the line. :meth:`close` writes what is still queued, so the last
    slide of a run is recorded too.
    """

    def __init__(self, proof: ProofLog, *, close_timeout: float = 10.0) -> None:
        self.proof = proof
        self.close_timeout = close_timeout
        self._queue: queue.SimpleQueue[tuple[Play, Path | None] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="proof-writer", daemon=True)
        self._thread.start()

    def played(self, play: Play, media: Path | None) -> None:
        self._queue.put((play, media))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(self.close_timeout)
        if self._thread.is_alive():
            log.warning("proof of play: the last plays were not written within %.0f s", self.close_timeout)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                self.proof.played(*item)
            except Exception:  # one bad line must not end proof of play for the run
                log.exception("proof of play: a play could not be recorded")


def log_name(day: date) -> str:
    """The name of ``day``'s log (a UTC day) in the proof folder (``StateDir.proof``)."""
    return f"{PREFIX}{day.isoformat()}{SUFFIX}"


def log_files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX))
    except OSError:
        return []


def _day_of(path: Path) -> date:
    try:
        return date.fromisoformat(path.name[len(PREFIX) : -len(SUFFIX)])
    except ValueError:
        return date.max


def read_plays(paths: Iterable[Path]) -> Iterator[dict[str, object]]:
    """Every complete line; a torn last line (a power cut mid-write) is skipped quietly."""
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and "start" in record and "seconds" in record:
                yield record


def summarise(
    records: Iterable[dict[str, object]],
    by: str,
    start: datetime | None = None,
    end: datetime | None = None,
    zone: tzinfo = UTC,
) -> list[dict[str, object]]:
    """Plays and seconds on screen grouped by playlist, slide, day or hour.

    Days and hours are ``zone``'s (the screen's: a Seoul screen's day starts at its own
    midnight, not at 09:00), and each such row names the zone; an hour carries its offset, so
    the two 01:00 hours of a night that leaves summer time are two rows, in order.
    """
    totals: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0, 0.0, 0])
    for record in records:
        began = datetime.fromisoformat(str(record["start"]))
        if (start and began < start) or (end and began >= end):
            continue
        local = began.astimezone(zone)
        if by == "playlist":
            key: tuple[str, ...] = (str(record["playlist"]),)
        elif by == "slide":
            key = (str(record["playlist"]), str(record["slide_id"]))
        elif by == "day":
            key = (local.date().isoformat(), str(zone))  # a ZoneInfo's str is its name: Asia/Seoul
        else:
            key = (local.replace(minute=0, second=0, microsecond=0).isoformat(timespec="minutes"), str(zone))
        total = totals[key]
        total[0] += 1
        total[1] += float(record["seconds"])  # type: ignore[arg-type]
        total[2] += 1 if record.get("completed") else 0
    # Hours in the order they happened (by text, a +01:00 hour would sort before the +02:00 one before it).
    order = (lambda item: datetime.fromisoformat(item[0][0])) if by == "hour" else (lambda item: item[0])
    return [
        {
            **dict(zip(_COLUMNS[by], key, strict=True)),
            "plays": int(t[0]),
            "completed": int(t[2]),
            "seconds": round(t[1], 1),
        }
        for key, t in sorted(totals.items(), key=order)
    ]


def render_table(rows: list[dict[str, object]], as_csv: bool) -> str:
    if as_csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["plays", "seconds"])
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    if not rows:
        return "(no plays)\n"
    headers = list(rows[0])
    cells = [[str(row[h]) for h in headers] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        # Numbers right-aligned, names left-aligned.
        padded = (v.rjust(w) if h in _NUMERIC else v.ljust(w) for h, v, w in zip(headers, values, widths, strict=True))
        return "  ".join(padded)

    lines = [line([h.upper() for h in headers]), *(line(c) for c in cells)]
    total_plays = sum(int(str(r["plays"])) for r in rows)
    total_seconds = sum(float(str(r["seconds"])) for r in rows)
    lines.append(f"total: {total_plays} plays, {total_seconds:.1f} s on screen")
    return "\n".join(line.rstrip() for line in lines) + "\n"
