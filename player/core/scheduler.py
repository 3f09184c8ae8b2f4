"""What shows at an instant, and until when: a pure function of (playlists, instant).

No clock reads and no I/O. Rules (docs/playlists.md explains them for editors):

* A playlist is active inside the *windows* of its schedule: each listed day (or every day)
  opens a window at an ``hours`` opening (or local midnight) in the playlist's time zone,
  clipped to ``start``/``end``. Windows that overlap merge into one.
* Among active playlists only the highest priority plays; several at that priority share
  the screen slide by slide in proportion to ``weight`` (smooth weighted round-robin).
* Playback is aligned to the clock: the sequence starts at the opening of the current
  (merged) window, clamped to ``start``, and cycles. With several playlists sharing, it
  starts at the latest of their openings. Two screens with the same content and a synced
  clock therefore show the same slide at the same moment.

All arithmetic on offsets is in whole microseconds so long runs never drift.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from player.core.model import Playlist, Schedule, Slide
from player.core.values import midnight

US = 1_000_000
HORIZON_DAYS = 8  # windows are at most 24 h and days repeat weekly: 8 days sees every change
WINDOW_CACHE_DAYS = 1024  # (schedule, day) entries kept before the cache starts afresh
MAX_MIX_PICKS = 100_000  # a longer shared cycle is truncated and repeats (documented)
DEFAULT_UNKNOWN_DURATION = 10.0  # a video whose length is not known yet


@dataclass(frozen=True)
class Decision:
    """What the screen shows at ``at``.

    ``slide_start``/``slide_end`` are when this slide is actually on screen (a higher
    priority playlist can cut it short). ``next_change`` is the instant the decision next
    changes (``None``: never), which is how long the render loop may sleep.
    """

    at: datetime
    playlist: str | None
    slide_index: int | None = None
    slide: Slide | None = None
    slide_start: datetime | None = None
    slide_end: datetime | None = None
    next_change: datetime | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "at": _iso(self.at),
            "playlist": self.playlist,
            "slide_index": self.slide_index,
            "slide_id": self.slide.id if self.slide else None,
            "slide_start": _iso(self.slide_start),
            "slide_end": _iso(self.slide_end),
        }


@dataclass(frozen=True)
class Stretch:
    """A span of time during which one playlist (or nothing) is on top."""

    start: datetime
    end: datetime
    playlist: str | None


@dataclass(frozen=True)
class _Segment:
    """A span during which the playing group (members and their anchors) does not change."""

    start: datetime | None
    end: datetime | None
    group: tuple[tuple[Playlist, datetime], ...]

    @property
    def anchor(self) -> datetime | None:
        return max((anchor for _, anchor in self.group), default=None)


class Timetable:
    """The schedule of a set of playlists. Build once per content change, then query.

    Every method is a pure function of the playlists and its arguments; the instance only
    memoises work that depends on nothing else (windows per day, shared cycles).
    """

    def __init__(self, playlists: Sequence[Playlist]) -> None:
        self.playlists = tuple(sorted(playlists, key=lambda p: p.name))
        self._windows: dict[tuple[Schedule, date], tuple[tuple[datetime, datetime], ...]] = {}
        self._mixes: dict[tuple[str, ...], _Mix] = {}

    # -- single instants -----------------------------------------------------------------

    def at(self, instant: datetime) -> Decision:
        """The decision at ``instant`` (an aware datetime)."""
        t = instant.astimezone(UTC)
        return self._decide(t, self._segment_at(t))

    def active_anchor(self, playlist: Playlist, t: datetime) -> datetime | None:
        """When the window containing ``t`` opened (the cycle's anchor), or None if inactive."""
        merged = self._merged_windows(playlist, t)
        for index, (opens, closes) in enumerate(merged):
            if opens <= t < closes:
                if index == 0 and opens < t - timedelta(days=HORIZON_DAYS - 1):
                    # A chain of overlapping windows longer than the horizon (a pathological
                    # schedule): anchor at local midnight so the answer stays a function of t.
                    zone = ZoneInfo(playlist.schedule.timezone)
                    return wall_to_instant(midnight(t.astimezone(zone).date()), zone)
                return opens
        return None

    # -- spans ---------------------------------------------------------------------------

    def slides_between(self, start: datetime, end: datetime) -> Iterator[Decision]:
        """Each slide shown in ``[start, end)``, in order; idle spans have playlist None."""
        t = start.astimezone(UTC)
        stop = end.astimezone(UTC)
        previous: Decision | None = None
        while t < stop:
            decision = self.at(t)
            if previous and _same_showing(previous, decision):
                previous = replace(previous, slide_end=decision.slide_end, next_change=decision.next_change)
            else:
                if previous:
                    yield previous
                previous = decision
            t = decision.next_change or stop
        if previous:
            yield previous

    def stretches(self, start: datetime, end: datetime) -> list[Stretch]:
        """Who is on top in ``[start, end)``: one entry per run of one playlist (or None).

        Playlists that share the screen alternate slide by slide, so their stretches are
        their runs of slides.
        """
        t = start.astimezone(UTC)
        stop = end.astimezone(UTC)
        result: list[Stretch] = []

        def add(begin: datetime, finish: datetime, name: str | None) -> None:
            if result and result[-1].playlist == name and result[-1].end == begin:
                result[-1] = Stretch(result[-1].start, finish, name)
            else:
                result.append(Stretch(begin, finish, name))

        while t < stop:
            segment = self._segment_at(t)
            seg_end = min(segment.end, stop) if segment.end else stop
            if len(segment.group) > 1:
                for shown in self.slides_between(t, seg_end):
                    add(max(shown.slide_start or t, t), min(shown.slide_end or seg_end, seg_end), shown.playlist)
            else:
                add(t, seg_end, segment.group[0][0].name if segment.group else None)
            t = seg_end
        return result

    # -- internals -----------------------------------------------------------------------

    def _decide(self, t: datetime, segment: _Segment) -> Decision:
        if not segment.group:
            return Decision(at=t, playlist=None, next_change=segment.end)
        mix = self._mix_for(tuple(p for p, _ in segment.group))
        anchor = segment.anchor
        assert anchor is not None
        pick, natural_start = mix.pick_at(anchor, t)
        member, index = mix.picks[pick]
        playlist = mix.members[member]
        natural_end = natural_start + timedelta(microseconds=mix.lengths[pick])
        shown_start = max(natural_start, segment.start) if segment.start else natural_start
        shown_end = min(natural_end, segment.end) if segment.end else natural_end
        return Decision(
            at=t,
            playlist=playlist.name,
            slide_index=index,
            slide=playlist.slides[index],
            slide_start=shown_start,
            slide_end=shown_end,
            next_change=shown_end,
        )

    def _segment_at(self, t: datetime) -> _Segment:
        state = self._group_at(t)
        candidates = sorted({c for p in self.playlists for c in self._boundaries(p, t)})
        end = next((c for c in candidates if c > t and self._group_at(c) != state), None)
        if end is None and candidates and candidates[-1] > t:
            # Nothing changes within the horizon: wake up at its edge and look again.
            end = candidates[-1]
        start = next(
            (c for c in reversed(candidates) if c <= t and self._group_at(c - _TICK) != state),
            None,
        )
        return _Segment(start=start, end=end, group=state)

    def _group_at(self, t: datetime) -> tuple[tuple[Playlist, datetime], ...]:
        active = [(p, anchor) for p in self.playlists if (anchor := self.active_anchor(p, t)) is not None]
        if not active:
            return ()
        top = max(p.priority for p, _ in active)
        return tuple((p, a) for p, a in active if p.priority == top)

    def _windows_for_day(self, schedule: Schedule, day: date) -> tuple[tuple[datetime, datetime], ...]:
        key = (schedule, day)
        if key not in self._windows:
            if len(self._windows) >= WINDOW_CACHE_DAYS:
                self._windows.clear()  # a screen that plays for years: days gone by are not needed again
            self._windows[key] = windows_for_day(schedule, day)
        return self._windows[key]

    def _merged_windows(self, playlist: Playlist, around: datetime) -> list[tuple[datetime, datetime]]:
        """Windows opening within the horizon around ``around``, overlapping ones merged."""
        local_day = around.astimezone(ZoneInfo(playlist.schedule.timezone)).date()
        windows = sorted(
            w
            for offset in range(-HORIZON_DAYS, HORIZON_DAYS + 1)
            for w in self._windows_for_day(playlist.schedule, local_day + timedelta(days=offset))
        )
        merged: list[tuple[datetime, datetime]] = []
        for opens, closes in windows:
            if merged and opens < merged[-1][1]:  # overlapping (not merely touching): one window
                merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
            else:
                merged.append((opens, closes))
        return merged

    def _boundaries(self, playlist: Playlist, t: datetime) -> list[datetime]:
        """Instants near ``t`` at which the playlist's activity or anchor may change."""
        zone = ZoneInfo(playlist.schedule.timezone)
        local_day = t.astimezone(zone).date()
        edges = [edge for window in self._merged_windows(playlist, t) for edge in window]
        edges += [wall_to_instant(midnight(local_day + timedelta(days=d)), zone) for d in (0, 1)]
        return edges

    def _mix_for(self, members: tuple[Playlist, ...]) -> _Mix:
        key = tuple(p.name for p in members)
        if key not in self._mixes:
            self._mixes[key] = build_mix(members)
        return self._mixes[key]


_TICK = timedelta(microseconds=1)


# -- windows --------------------------------------------------------------------------------


def wall_to_instant(naive: datetime, zone: ZoneInfo) -> datetime:
    """The first instant at which the wall clock in ``zone`` reads ``naive`` or later.

    In a DST gap (02:30 on a spring-forward night) that is the moment the clock jumps;
    in a repeated hour it is the first pass.
    """
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # A gap: fold=1 maps to before the jump, fold=0 to after it; bisect to the jump.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(zone).replace(tzinfo=None) >= naive:
            high = mid
        else:
            low = mid
    return high.replace(microsecond=0) if high.microsecond else high


def bound_instant(bound: date | datetime, timezone: str, *, is_end: bool) -> datetime:
    """A schedule's ``start``/``end`` as an instant; a date ``end`` means through that day."""
    zone = ZoneInfo(timezone)
    if isinstance(bound, datetime):
        if bound.tzinfo is None:
            return wall_to_instant(bound, zone)
        return bound.astimezone(UTC)
    day = bound + timedelta(days=1) if is_end else bound
    return wall_to_instant(midnight(day), zone)


def windows_for_day(schedule: Schedule, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The windows that open on local ``day``, as UTC instants, clipped to start/end."""
    if day.weekday() not in schedule.days:
        return ()
    zone = ZoneInfo(schedule.timezone)
    base = midnight(day)
    hours = schedule.hours or ()
    spans = (
        [(base, base + timedelta(days=1))]
        if not hours
        else [
            (
                base + timedelta(minutes=w.open),
                base + timedelta(days=1 if w.crosses_midnight else 0, minutes=w.close),
            )
            for w in hours
        ]
    )
    start = bound_instant(schedule.start, schedule.timezone, is_end=False) if schedule.start else None
    end = bound_instant(schedule.end, schedule.timezone, is_end=True) if schedule.end else None
    windows = []
    for open_wall, close_wall in spans:
        opens, closes = wall_to_instant(open_wall, zone), wall_to_instant(close_wall, zone)
        if start and opens < start:
            opens = start
        if end and closes > end:
            closes = end
        if opens < closes:
            windows.append((opens, closes))
    return tuple(sorted(windows))


# -- sharing the screen ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Mix:
    """The repeating sequence of (member, slide) picks of a group, with durations in µs."""

    members: tuple[Playlist, ...]
    picks: tuple[tuple[int, int], ...]
    lengths: tuple[int, ...]
    offsets: tuple[int, ...]  # start of each pick from the cycle's start
    period: int

    def pick_at(self, anchor: datetime, t: datetime) -> tuple[int, datetime]:
        """The pick showing at ``t`` for a cycle anchored at ``anchor``, and its start."""
        elapsed = (t - anchor) // _TICK
        cycles, into = divmod(elapsed, self.period)
        pick = bisect.bisect_right(self.offsets, into) - 1
        start = anchor + timedelta(microseconds=cycles * self.period + self.offsets[pick])
        return pick, start


def build_mix(members: tuple[Playlist, ...]) -> _Mix:
    """The shared cycle of a group: smooth weighted round-robin over whole rounds."""
    weights = _integer_weights([p.weight for p in members])
    total = sum(weights)
    rounds = 1
    for playlist, weight in zip(members, weights, strict=True):
        count = len(playlist.slides)
        rounds = math.lcm(rounds, count // math.gcd(count, weight))
    limit = min(rounds * total, MAX_MIX_PICKS)
    current = [0] * len(members)
    next_slide = [0] * len(members)
    picks: list[tuple[int, int]] = []
    for _ in range(limit):
        for i, weight in enumerate(weights):
            current[i] += weight
        chosen = max(range(len(members)), key=lambda i: (current[i], -i))
        current[chosen] -= total
        picks.append((chosen, next_slide[chosen]))
        next_slide[chosen] = (next_slide[chosen] + 1) % len(members[chosen].slides)
    lengths = tuple(_micros(members[m].slides[s]) for m, s in picks)
    offsets = tuple(itertools.accumulate(lengths, initial=0))[:-1]
    return _Mix(members, tuple(picks), lengths, offsets, sum(lengths))


def _integer_weights(weights: list[float]) -> list[int]:
    """Weights as the smallest integers in the same proportion (1.5 : 1 → 3 : 2)."""
    fractions = [Fraction(w).limit_denominator(1000) for w in weights]
    scale = math.lcm(*(f.denominator for f in fractions))
    ints = [int(f * scale) for f in fractions]
    divisor = math.gcd(*ints)
    return [max(1, i // divisor) for i in ints]


def _micros(slide: Slide) -> int:
    seconds = slide.duration if slide.duration is not None else DEFAULT_UNKNOWN_DURATION
    return max(1, round(seconds * US))


def _same_showing(a: Decision, b: Decision) -> bool:
    """Whether ``b`` continues ``a`` (idle, or the same lap of the same slide)."""
    return a.playlist == b.playlist and a.slide_index == b.slide_index and a.slide_start == b.slide_start


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
