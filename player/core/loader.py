"""YAML playlist text to a frozen :class:`~player.core.model.Playlist`, with ``FILE:LINE:COL`` errors.

Pure: it takes text and returns values, reads no files and no clock. The YAML is composed
into nodes (which remember their position) and each field is converted by hand, so every
problem points at the node that caused it. All problems in a file are reported at once.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any, NamedTuple

import yaml

from player.core.errors import DocumentTooBig, Location, PlaylistError, Problem
from player.core.fields import choice as _choice
from player.core.fields import language as _language
from player.core.fields import media_path as _media_path
from player.core.fields import name as _name
from player.core.fields import text as _text
from player.core.fields import web_address as _web_address
from player.core.layout import Layout, Logo
from player.core.layoutloader import LayoutReader
from player.core.model import (
    ALIGNS,
    TAGLINE_POSITIONS,
    TRANSITIONS,
    TYPE_SCALES,
    VALIGNS,
    HourWindow,
    Playlist,
    Schedule,
    Slide,
)
from player.core.values import (
    describe,
    parse_color,
    parse_date_or_datetime,
    parse_duration,
    parse_hour_window,
    parse_timezone,
)
from player.core.vocabulary import FITS, IMAGE_SUFFIXES, VIDEO_SUFFIXES, WEEKDAYS
from player.core.webpages import snapshot_path
from player.core.yamlnodes import NodeReader, reading_note

MAX_FILE_BYTES = 1024 * 1024
MAX_SLIDES = 10_000

PLAYLIST_KEYS = ("name", "description", "lang", "priority", "weight", "schedule", "defaults", "slides")
SCHEDULE_KEYS = ("timezone", "start", "end", "days", "hours")
CONTENT_KEYS = ("image", "text", "video", "web")
STYLE_KEYS = (
    "duration",
    "transition",
    "transition_duration",
    "fit",
    "focus",
    "background",
    "background_image",
    "color",
    "subtitle",
    "tagline",
    "tagline_position",
    "align",
    "valign",
    "lang",
    "type_scale",
    "refresh",
    "stale_after",
)
SLIDE_KEYS = (*CONTENT_KEYS, "id", *STYLE_KEYS)

DAY_ALIASES: dict[str, tuple[int, ...]] = {
    **{name: (i,) for i, name in enumerate(WEEKDAYS)},
    **{
        full: (i,)
        for i, full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    },
    "weekdays": (0, 1, 2, 3, 4),
    "weekend": (5, 6),
}

# Built-in slide defaults; a playlist's `defaults:` mapping overrides them.
BASE_SLIDE = Slide(kind="text", id="", duration=10.0)

AUTO = "auto"


class MediaRef(NamedTuple):
    """A media file a slide names: where the slide is, the field (``slides[2].image``) and the path."""

    location: Location
    field: str
    path: str


@dataclass(frozen=True)
class Reading:
    """One playlist file read: its playlist (None when it has problems), the problems, and the media it names.

    ``media`` names the files of every slide that could be read, also in a file with problems,
    so that ``signage validate`` reports a missing picture together with the file's other problems.
    """

    playlist: Playlist | None
    problems: tuple[Problem, ...]
    media: tuple[MediaRef, ...]
    layout: Layout | None = None  # the file was a layout (it has `zones:`), read instead of a playlist


@dataclass(frozen=True)
class LoadResult:
    """The playlists that loaded, every problem found in the ones that did not, and the media all of them name."""

    playlists: tuple[Playlist, ...]
    problems: tuple[Problem, ...]
    media: tuple[MediaRef, ...] = ()
    layouts: tuple[Layout, ...] = ()  # the files with `zones:` (docs/layouts.md)


def is_playlist_file(name: str) -> bool:
    """True for ``*.yaml``/``*.yml`` that are not hidden files or editor droppings."""
    if name.startswith((".", "#")) or name.endswith(("~", ".swp", ".tmp", ".part")):
        return False
    return name.endswith((".yaml", ".yml"))


def read_playlist(text: str | bytes, source: str, *, default_timezone: str = "UTC") -> Reading:
    """Read one playlist file's content, keeping what could be read of a file with problems."""
    reader = _Reader(source)
    document = reader.read_document(text, PurePosixPath(source).stem, default_timezone)
    if document is None and not reader.problems:
        reader.problem(None, "", "empty playlist")
    problems, media = tuple(reader.problems), tuple(reader.media)
    if isinstance(document, Layout):
        return Reading(None, problems, media, None if problems else document)
    return Reading(None if problems else document, problems, media)


def load_playlist(text: str | bytes, source: str, *, default_timezone: str = "UTC") -> Playlist:
    """Parse one playlist file's content. ``source`` names it in errors.

    Raises:
        PlaylistError: with every problem found; not worth retrying until the file changes.
    """
    reading = read_playlist(text, source, default_timezone=default_timezone)
    if reading.playlist is None:
        problems = reading.problems or (Problem(Location(source, 1, 1), "", "a layout, not a playlist"),)
        raise PlaylistError(problems)
    return reading.playlist


def load_playlists(files: Mapping[str, str | bytes], *, default_timezone: str = "UTC") -> LoadResult:
    """Load several playlist files (``{source: content}``), checking that names are unique."""
    loaded: list[Playlist] = []
    layouts: list[Layout] = []
    problems: list[Problem] = []
    media: list[MediaRef] = []
    names: dict[str, str] = {}
    for source in sorted(files):
        reading = read_playlist(files[source], source, default_timezone=default_timezone)
        problems.extend(reading.problems)
        media.extend(reading.media)
        if reading.layout is not None:
            layouts.append(reading.layout)
        playlist = reading.playlist
        if playlist is None:
            continue
        if playlist.name in names:
            problems.append(
                Problem(
                    Location(source, 1, 1),
                    "name",
                    f"playlist name {playlist.name!r} is already used by {names[playlist.name]}; names must be unique",
                )
            )
            continue
        names[playlist.name] = source
        loaded.append(playlist)
    kept, layout_problems = check_layouts(layouts, {p.name for p in loaded})
    return LoadResult(tuple(loaded), (*problems, *layout_problems), tuple(media), kept)


class _Reader(NodeReader):
    """Reads one playlist document."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.media: list[MediaRef] = []

    # -- the document --------------------------------------------------------------------

    def read_document(self, text: str | bytes, stem: str, default_timezone: str) -> Playlist | Layout | None:
        try:
            root = self.compose(text, MAX_FILE_BYTES)
            if root is None or (isinstance(root, yaml.ScalarNode) and root.tag.endswith(":null")):
                if not self.problems:  # nothing at all, only comments, or a lone `---`
                    self.problem(None, "", "the file is empty: a playlist needs at least `slides:`")
                return None
            if not isinstance(root, yaml.MappingNode):
                what = "a list (lines starting with `- `)" if isinstance(root, yaml.SequenceNode) else "a single value"
                self.problem(root, "", f"the file is {what}, but a playlist is `key: value` lines, at least `slides:`")
                return None
            if any(key.value == "zones" for key, _ in root.value if isinstance(key, yaml.ScalarNode)):
                return self.read_layout(root, stem, default_timezone)
            return self.read_playlist(root, stem, default_timezone)
        except RecursionError:
            self.problem(None, "", "the document is nested too deeply to be a playlist")
        except DocumentTooBig as error:
            self.problem(error.node, "", "the document expands to too many values (YAML anchors and aliases?)")
        return None

    def read_layout(self, root: yaml.Node, stem: str, default_timezone: str) -> Layout | None:
        layout = LayoutReader(self, self.read_schedule).read(root, stem, default_timezone)
        for zone in layout.zones if layout else ():
            if isinstance(zone.widget, Logo):
                self.media.append(MediaRef(zone.location, f"zones.{zone.name}.image", zone.widget.media))
        return layout

    def read_playlist(self, root: yaml.Node, stem: str, default_timezone: str) -> Playlist | None:
        entries = self.mapping(root, "", PLAYLIST_KEYS)
        if entries is None:
            return None
        name = stem
        if "name" in entries:
            name = self.convert(entries["name"], "name", _name) or stem
        if "description" in entries:
            self.convert(entries["description"], "description", _text)
        priority = 0
        if "priority" in entries:
            priority = self.convert(entries["priority"], "priority", _integer) or 0
        weight = 1.0
        if "weight" in entries:
            weight = self.convert(entries["weight"], "weight", _positive_number) or 1.0
        schedule = Schedule(timezone=default_timezone)
        if "schedule" in entries:
            schedule = self.read_schedule(entries["schedule"], default_timezone) or schedule
        defaults = BASE_SLIDE
        if "defaults" in entries:
            defaults = self.read_defaults(entries["defaults"])
        if "lang" in entries and not defaults.lang:  # the playlist's language, unless `defaults` says
            defaults = replace(defaults, lang=self.convert(entries["lang"], "lang", _language) or "")
        if "slides" not in entries:
            self.problem(root, "slides", "missing `slides:`, the list of what to show")
            return None
        slides = self.read_slides(entries["slides"], name, defaults)
        return Playlist(
            name=name,
            slides=slides,
            schedule=schedule,
            priority=priority,
            weight=weight,
            source=self.source,
        )

    def read_schedule(self, node: yaml.Node, default_timezone: str) -> Schedule | None:
        entries = self.mapping(node, "schedule", SCHEDULE_KEYS)
        if entries is None:
            return None
        timezone = default_timezone
        if "timezone" in entries:
            zone = self.convert(entries["timezone"], "schedule.timezone", parse_timezone)
            timezone = zone.key if zone else default_timezone
        start = end = None
        if "start" in entries:
            start = self.convert(entries["start"], "schedule.start", parse_date_or_datetime)
        if "end" in entries:
            end = self.convert(entries["end"], "schedule.end", parse_date_or_datetime)
        if start is not None and end is not None and not _before(start, end, timezone):
            self.problem(entries["end"], "schedule.end", f"end ({end}) must come after start ({start})")
        days = frozenset(range(7))
        if "days" in entries:
            days = self.read_days(entries["days"])
        hours: tuple[HourWindow, ...] = ()
        if "hours" in entries:
            listed = self.sequence(entries["hours"], "schedule.hours")
            if listed == []:
                self.problem(entries["hours"], "schedule.hours", "no hours listed: omit `hours` for the whole day")
            items = listed or []
            parsed = [self.convert(item, f"schedule.hours[{i}]", parse_hour_window) for i, item in enumerate(items)]
            hours = tuple(w for w in parsed if w is not None)
        return Schedule(timezone=timezone, start=start, end=end, days=days, hours=hours)

    def read_days(self, node: yaml.Node) -> frozenset[int]:
        items = self.sequence(node, "schedule.days")
        if items is None:
            return frozenset(range(7))
        days: set[int] = set()
        for i, item in enumerate(items):
            field = f"schedule.days[{i}]"
            value = self.scalar(item, field)
            key = value.strip().lower() if isinstance(value, str) else None
            if key in DAY_ALIASES:
                days.update(DAY_ALIASES[key])
            elif isinstance(value, str):
                self.problem(item, field, f"{value!r} is not a day: use {', '.join(WEEKDAYS)}")
            elif value is not None or not self.problems or self.problems[-1].location != self.where(item):
                got = f"{describe(value)}{reading_note(item, value)}"
                self.problem(item, field, f"expected a day ({', '.join(WEEKDAYS)}), got {got}")
        if not items:
            self.problem(node, "schedule.days", "no days listed: the playlist would never play")
        return frozenset(days) or frozenset(range(7))

    def read_defaults(self, node: yaml.Node) -> Slide:
        entries = self.mapping(node, "defaults", STYLE_KEYS)
        if entries is None:
            return BASE_SLIDE
        return self.apply_style(BASE_SLIDE, entries, "defaults")

    def read_slides(self, node: yaml.Node, playlist: str, defaults: Slide) -> tuple[Slide, ...]:
        items = self.sequence(node, "slides")
        if items is None:
            return ()
        if not items:
            self.problem(node, "slides", "the list is empty: a playlist needs at least one slide")
        if len(items) > MAX_SLIDES:
            too_many = f"{len(items):,} slides is over the limit of {MAX_SLIDES:,}; split the playlist"
            self.problem(node, "slides", too_many)
            return ()
        slides: list[Slide] = []
        ids: dict[str, int] = {}
        for index, item in enumerate(items):
            slide = self.read_slide(item, f"slides[{index}]", f"{playlist}:{index}", defaults)
            if slide is None:
                continue
            if slide.id in ids:
                self.problem(item, f"slides[{index}].id", f"id {slide.id!r} is already used by slides[{ids[slide.id]}]")
            ids[slide.id] = index
            slides.append(replace(slide, playlist=playlist))
        return tuple(slides)

    def read_slide(self, node: yaml.Node, field: str, default_id: str, defaults: Slide) -> Slide | None:
        entries = self.mapping(node, field, SLIDE_KEYS)
        if entries is None:
            return None
        kinds = [key for key in CONTENT_KEYS if key in entries]
        if len(kinds) != 1:
            found = " and ".join(f"`{k}`" for k in kinds) if kinds else "none"
            choices = "`image`, `text`, `video` or `web`"
            self.problem(node, field, f"a slide needs exactly one of {choices} (found {found})")
            return None
        kind = kinds[0]
        as_kind = "image" if kind == "web" else kind  # a web page is shown as a picture of it
        slide = replace(defaults, kind=as_kind, location=self.where(node))  # type: ignore[arg-type]
        if kind == "video" and "duration" not in entries:
            slide = replace(slide, duration=None)  # `auto`: the file's own length
        slide_id = default_id
        if "id" in entries:
            slide_id = self.convert(entries["id"], f"{field}.id", _name) or default_id
        read = self.read_content(replace(slide, id=slide_id), kind, entries[kind], field)
        if read is None:
            return None
        slide = self.apply_style(read, entries, field)
        self.note_media(slide, field)
        if kind != "text" and "subtitle" in entries:
            self.problem(entries["subtitle"], f"{field}.subtitle", "`subtitle` is for text slides; use `tagline`")
        if kind == "text" and "tagline" in entries:
            self.problem(entries["tagline"], f"{field}.tagline", "`tagline` is for image and video slides")
        if slide.duration is not None and slide.transition != "cut" and slide.transition_duration >= slide.duration:
            self.problem(
                entries.get("transition_duration", node),
                f"{field}.transition_duration",
                f"the transition ({slide.transition_duration:g}s) must be shorter than the slide "
                f"({slide.duration:g}s): it is taken from the start of the slide's time",
            )
        return slide

    def read_content(self, slide: Slide, kind: str, content: yaml.Node, field: str) -> Slide | None:
        """The slide's content: its text, its media file, or its web page (None: a web address that is not one).

        A web page is an image slide whose picture is the snapshot ``signage feeds`` takes of it
        (player/core/webpages.py), fitted whole by default (``fit: contain``).
        """
        if kind == "text":
            return replace(slide, text=self.convert(content, f"{field}.text", _text) or "")
        if kind == "web":
            url = self.convert(content, f"{field}.web", _web_address)
            return replace(slide, web=url, media=snapshot_path(url), fit="contain") if url else None
        suffixes = IMAGE_SUFFIXES if kind == "image" else VIDEO_SUFFIXES
        path = self.convert(content, f"{field}.{kind}", lambda v: _media_path(v, suffixes))
        return replace(slide, media=path or "")

    def note_media(self, slide: Slide, field: str) -> None:
        """Keep the media files ``slide`` names, for validate, whether or not the file has problems.

        Not a web page's snapshot: it is there once ``signage feeds`` has taken it.
        """
        media = None if slide.web else slide.media
        for path, name in ((media, slide.kind), (slide.background_image, "background_image")):
            if path:
                self.media.append(MediaRef(slide.location, f"{field}.{name}", path))

    def apply_style(self, slide: Slide, entries: dict[str, yaml.Node], field: str) -> Slide:
        """Apply the style fields present in ``entries`` on top of ``slide``."""
        changes: dict[str, Any] = {}
        for key, parse in _STYLE_PARSERS.items():
            if key in entries:
                value = self.convert(entries[key], f"{field}.{key}", parse)
                if value is not None:
                    changes[key] = value
        if changes.get("duration") == AUTO:
            if slide.kind != "video" and field != "defaults":
                self.problem(entries["duration"], f"{field}.duration", "`auto` is only for video slides")
            changes["duration"] = None if slide.kind == "video" else slide.duration
        if "focus" in entries:
            focus = self.read_focus(entries["focus"], f"{field}.focus")
            if focus is not None:
                changes["focus"] = focus
        return replace(slide, **changes)

    def read_focus(self, node: yaml.Node, field: str) -> tuple[float, float] | None:
        items = self.sequence(node, field)
        if items is None:
            return None
        values = [self.scalar(item, field) for item in items]
        if len(values) != 2 or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 for v in values
        ):
            self.problem(node, field, "expected [x, y] with both between 0 and 1, e.g. [0.5, 0.3]")
            return None
        return (float(values[0]), float(values[1]))










def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {_got(value)}")
    if abs(value) > 1_000_000:
        raise ValueError(f"{value} is out of range (-1000000..1000000)")
    return value


def _positive_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number greater than 0, got {_got(value)}")
    number = float(value)
    if not math.isfinite(number) or number < 0.001 or number > 1_000_000:
        raise ValueError(f"expected a number from 0.001 to 1000000, got {describe(value)}")
    return number


def _got(value: Any) -> str:
    """``describe(value)``, saying so when text looks like a number (YAML 1.1 reads ``1e3``, without a dot, as text)."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return describe(value)
        return f"{describe(value)}, which YAML reads as text, not a number"
    return describe(value)


def _duration_or_auto(value: Any) -> float | str:
    if isinstance(value, str) and value.strip().lower() == AUTO:
        return AUTO
    return parse_duration(value)






def _refresh(value: Any) -> float:
    """How often a web page's snapshot is taken again: at least a minute (a browser is started each time)."""
    seconds = parse_duration(value)
    if seconds < 60:
        raise ValueError(f"{seconds:g}s is too often: each snapshot starts a browser; give at least 1m")
    return seconds


def check_layouts(layouts: list[Layout], playlists: set[str]) -> tuple[tuple[Layout, ...], list[Problem]]:
    """The layouts whose names are unique and whose zones name loaded playlists; a problem for each other."""
    kept: list[Layout] = []
    problems: list[Problem] = []
    sources: dict[str, str] = {}
    for layout in layouts:
        if layout.name in sources or layout.name in playlists:
            used = sources.get(layout.name, "a playlist")
            problems.append(
                Problem(Location(layout.source, 1, 1), "name", f"name {layout.name!r} is already used by {used}")
            )
            continue
        unknown = [(zone, name) for zone in layout.zones for name in zone.playlists if name not in playlists]
        for zone, name in unknown:
            hint = difflib.get_close_matches(name, sorted(playlists), n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else f"; loaded: {', '.join(sorted(playlists)) or 'none'}"
            problems.append(Problem(zone.location, f"zones.{zone.name}.playlists", f"no playlist {name!r}{extra}"))
        if unknown:
            continue
        sources[layout.name] = layout.source
        kept.append(layout)
    return tuple(kept), problems


def _before(start: date | datetime, end: date | datetime, timezone: str) -> bool:
    """Whether ``start`` comes before ``end`` (a date ``end`` means through that day)."""
    from player.core.scheduler import bound_instant  # local: the scheduler imports the model only

    return bound_instant(start, timezone, is_end=False) < bound_instant(end, timezone, is_end=True)


_STYLE_PARSERS: dict[str, Callable[[Any], Any]] = {
    "duration": _duration_or_auto,
    "transition": _choice(TRANSITIONS),
    "transition_duration": lambda v: parse_duration(v, allow_zero=True),
    "fit": _choice(FITS),
    "background": parse_color,
    "background_image": lambda v: _media_path(v, IMAGE_SUFFIXES),
    "color": parse_color,
    "subtitle": _text,
    "tagline": _text,
    "tagline_position": _choice(TAGLINE_POSITIONS),
    "align": _choice(ALIGNS),
    "valign": _choice(VALIGNS),
    "lang": _language,
    "type_scale": _choice(TYPE_SCALES),
    "refresh": _refresh,
    "stale_after": parse_duration,
}

