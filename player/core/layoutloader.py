"""A layout document (a YAML file with ``zones:``) to a frozen :class:`~player.core.layout.Layout`.

Part of the loader (:mod:`player.core.loader` hands it documents that have ``zones:``), with
the same ``FILE:LINE:COL`` problems, all reported at once. Pure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from player.core import fields
from player.core.feeddata import NAME as FEED_NAME
from player.core.layout import (
    TICKER_DIRECTIONS,
    WIDGET_KINDS,
    Area,
    Clock,
    Countdown,
    Logo,
    QrCode,
    Span,
    TextBox,
    Ticker,
    Widget,
    Zone,
)
from player.core.layout import (
    Layout as LayoutValue,
)
from player.core.model import ALIGNS, VALIGNS, Schedule
from player.core.values import describe, parse_color, parse_duration, parse_timezone
from player.core.vocabulary import FITS, IMAGE_SUFFIXES
from player.core.yamlnodes import NodeReader

ScheduleReader = Callable[[yaml.Node, str], Schedule | None]

LAYOUT_KEYS = ("name", "description", "priority", "schedule", "background", "zones")
ZONE_KEYS = ("name", "area", "z", "playlists", *WIDGET_KINDS)
MAX_ZONES = 32
MAX_TICKER_ITEMS = 200
MAX_SPEED = 2000.0  # px/s: faster than anyone can read
_PIXELS = re.compile(r"\s*(\d+(?:\.\d+)?)\s*px\s*")
_PERCENT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*%\s*")
_AREA_HELP = "[x, y, width, height], each a fraction of the screen (0.25), a percentage (25%) or pixels (480px)"
# What each widget may say, beyond the value that names it (`clock: {format: HH:mm}`).
_WIDGET_KEYS: dict[str, tuple[str, ...]] = {
    "ticker": ("items", "feed", "separator", "speed", "direction", "color", "background", "lang"),
    "clock": ("format", "timezone", "lang", "color", "background"),
    "countdown": ("to", "text", "after", "timezone", "lang", "color", "background"),
    "qr": ("url", "color", "background", "caption"),
    "image": ("file", "fit", "background"),
    "text": ("text", "subtitle", "color", "background", "align", "valign", "lang", "stale_after"),
}


class LayoutReader:
    """Reads one layout document with a playlist reader's problems, schedule and field parsers."""

    def __init__(self, reader: NodeReader, read_schedule: ScheduleReader) -> None:
        self.reader = reader
        self.read_schedule = read_schedule

    def read(self, root: yaml.Node, stem: str, default_timezone: str) -> LayoutValue | None:
        r = self.reader
        entries = r.mapping(root, "", LAYOUT_KEYS)
        if entries is None:
            return None
        name = stem
        if "name" in entries:
            name = r.convert(entries["name"], "name", _layout_name) or stem
        if "description" in entries:
            r.convert(entries["description"], "description", fields.text)
        priority = 0
        if "priority" in entries:
            priority = r.convert(entries["priority"], "priority", _whole) or 0
        schedule = Schedule(timezone=default_timezone)
        if "schedule" in entries:
            schedule = self.read_schedule(entries["schedule"], default_timezone) or schedule
        background = (0, 0, 0, 255)
        if "background" in entries:
            background = r.convert(entries["background"], "background", parse_color) or background
        zones = self.read_zones(entries["zones"], schedule.timezone)
        if not zones:
            return None
        return LayoutValue(name, zones, schedule, priority, background, r.source)

    def read_zones(self, node: yaml.Node, timezone: str) -> tuple[Zone, ...]:
        r = self.reader
        items = r.sequence(node, "zones")
        if items is None:
            return ()
        if not items:
            r.problem(node, "zones", "no zones listed: a layout needs at least one zone")
        if len(items) > MAX_ZONES:
            r.problem(node, "zones", f"{len(items)} zones is over the limit of {MAX_ZONES}")
            return ()
        zones: list[Zone] = []
        names: dict[str, int] = {}
        for index, item in enumerate(items):
            zone = self.read_zone(item, f"zones[{index}]", f"zone{index + 1}", timezone)
            if zone is None:
                continue
            if zone.name in names:
                r.problem(item, f"zones[{index}].name", f"zone {zone.name!r} is already zones[{names[zone.name]}]")
            names[zone.name] = index
            zones.append(zone)
        return tuple(zones)

    def read_zone(self, node: yaml.Node, field: str, default_name: str, timezone: str) -> Zone | None:
        r = self.reader
        entries = r.mapping(node, field, ZONE_KEYS)
        if entries is None:
            return None
        name = r.convert(entries["name"], f"{field}.name", _layout_name) if "name" in entries else None
        if "area" not in entries:
            r.problem(node, f"{field}.area", f"missing `area:`, the zone's rectangle: {_AREA_HELP}")
            return None
        area = self.read_area(entries["area"], f"{field}.area")
        z = r.convert(entries["z"], f"{field}.z", _whole) if "z" in entries else 0
        contents = [key for key in ("playlists", *WIDGET_KINDS) if key in entries]
        if len(contents) != 1:
            found = " and ".join(f"`{k}`" for k in contents) if contents else "none"
            kinds = ", ".join(f"`{k}`" for k in WIDGET_KINDS)
            r.problem(node, field, f"a zone needs exactly one of `playlists` or a widget ({kinds}); found {found}")
            return None
        kind = contents[0]
        zone = Zone(name or default_name, area or _FULL, z or 0, location=r.where(node))
        if kind == "playlists":
            names = r.convert(entries["playlists"], f"{field}.playlists", _names)
            return replace(zone, playlists=names) if names and area else None
        widget = self.read_widget(kind, entries[kind], f"{field}.{kind}", timezone)
        return replace(zone, widget=widget) if widget is not None and area else None

    def read_area(self, node: yaml.Node, field: str) -> Area | None:
        r = self.reader
        items = r.sequence(node, field)
        if items is None:
            return None
        if len(items) != 4:
            r.problem(node, field, f"expected {_AREA_HELP}; got {len(items)} values")
            return None
        spans = [r.convert(item, f"{field}[{i}]", _span) for i, item in enumerate(items)]
        if any(span is None for span in spans):
            return None
        x, y, width, height = (span for span in spans if span is not None)
        for start, extent, axis in ((x, width, "x + width"), (y, height, "y + height")):
            if start.unit == extent.unit == "fraction" and start.value + extent.value > 1.0 + 1e-9:
                total = start.value + extent.value
                r.problem(node, field, f"{axis} is {total:g}, past the screen's edge (1); make the zone smaller")
        for extent, what in ((width, "width"), (height, "height")):
            if extent.value <= 0:
                r.problem(node, field, f"the {what} is 0: a zone must have some size")
        return Area(x, y, width, height)

    def read_widget(self, kind: str, node: yaml.Node, field: str, timezone: str) -> Widget | None:
        """A widget from its mapping, or from a lone value (``image: logo.png``, ``qr: https://...``)."""
        r = self.reader
        lone = _LONE_FIELD.get(kind)
        if isinstance(node, yaml.ScalarNode) and lone is not None:
            entries: dict[str, yaml.Node] | None = {lone: node}
        elif isinstance(node, yaml.SequenceNode) and kind == "ticker":
            entries = {"items": node}
        else:
            entries = r.mapping(node, field, _WIDGET_KEYS[kind])
        if entries is None:
            return None
        values: dict[str, Any] = {}
        for key, item in entries.items():
            parse = _parser(kind, key, timezone)
            value = r.convert(item, f"{field}.{key}", parse) if key != "items" else self.read_items(item, field)
            if value is None:
                return None
            values[key] = value
        return self.build(kind, values, node, field, timezone)

    def read_items(self, node: yaml.Node, field: str) -> tuple[str, ...] | None:
        r = self.reader
        items = r.sequence(node, f"{field}.items")
        if items is None:
            return None
        if len(items) > MAX_TICKER_ITEMS:
            r.problem(node, f"{field}.items", f"{len(items)} items is over the limit of {MAX_TICKER_ITEMS}")
            return None
        texts = [r.convert(item, f"{field}.items[{i}]", _line) for i, item in enumerate(items)]
        return tuple(text for text in texts if text is not None)

    def build(self, kind: str, values: dict[str, Any], node: yaml.Node, field: str, timezone: str) -> Widget | None:
        r = self.reader
        required = _REQUIRED.get(kind)
        if required is not None and required not in values:
            r.problem(node, f"{field}.{required}", f"the {kind} widget needs `{required}:`")
            return None
        if kind == "ticker" and not values.get("items") and "feed" not in values:
            r.problem(node, f"{field}.items", "a ticker needs `items:` (a list of lines) or `feed:` (a feed's name)")
            return None
        if kind in ("clock", "countdown"):
            values.setdefault("timezone", timezone)
        if kind == "image":
            values["media"] = values.pop("file")
        if kind == "countdown" and values["to"].tzinfo is None:
            values["to"] = values["to"].replace(tzinfo=ZoneInfo(values["timezone"]))
        widget: Widget = _CLASSES[kind](**values)
        return widget


_FULL = Area(Span(0.0), Span(0.0), Span(1.0), Span(1.0))
_LONE_FIELD = {"image": "file", "qr": "url", "text": "text", "clock": "format", "ticker": "items"}
_REQUIRED = {"qr": "url", "image": "file", "text": "text", "countdown": "to"}
_CLASSES: dict[str, Callable[..., Widget]] = {
    "ticker": Ticker,
    "clock": Clock,
    "countdown": Countdown,
    "qr": QrCode,
    "image": Logo,
    "text": TextBox,
}


def _parser(kind: str, key: str, timezone: str) -> Callable[[Any], Any]:
    common: dict[str, Callable[[Any], Any]] = {
        "color": parse_color,
        "background": parse_color,
        "lang": fields.language,
        "timezone": lambda v: parse_timezone(v).key,
        "align": fields.choice(ALIGNS),
        "valign": fields.choice(VALIGNS),
        "fit": fields.choice(FITS),
        "direction": fields.choice(TICKER_DIRECTIONS),
        "speed": _speed,
        "feed": _feed_name,
        "file": lambda v: fields.media_path(v, IMAGE_SUFFIXES),
        "url": _url,
        "to": _instant,
        "format": _pattern,
        "stale_after": parse_duration,
    }
    return common.get(key, fields.text)


def _layout_name(value: Any) -> str:
    """A layout's, a zone's or a feed's name: letters, digits, `-` and `_`."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", value):
        raise ValueError(f"expected a name of letters, digits, - and _ (e.g. main-area), got {describe(value)}")
    return value


def _feed_name(value: Any) -> str:
    """A feed's name as `feeds.sources` gives it (its data file's name): lower-case letters, digits, - and _."""
    if not isinstance(value, str) or not FEED_NAME.fullmatch(value):
        expected = "a feed's name of lower-case letters, digits, - and _ (e.g. news)"
        raise ValueError(f"expected {expected}, got {describe(value)}")
    return value


def _names(value: Any) -> tuple[str, ...]:
    """One playlist name or a list of them."""
    listed = value if isinstance(value, list) else [value]
    if not listed:
        raise ValueError("no playlists listed: name at least one, e.g. [greatness-of-small]")
    names = []
    for item in listed:
        if not isinstance(item, str | int) or isinstance(item, bool) or not str(item).strip():
            raise ValueError(f"expected playlist names, got {describe(item)}")
        names.append(str(item).strip())
    return tuple(dict.fromkeys(names))


def _span(value: Any) -> Span:
    if isinstance(value, bool):
        raise ValueError(f"expected a fraction, a percentage or pixels, got {describe(value)}")
    if isinstance(value, int | float):
        number = float(value)
        if not math.isfinite(number) or not 0 <= number <= 1:
            whole = math.isfinite(number) and number > 1 and number.is_integer()
            hint = f"; for pixels write {value:g}px" if whole else ""
            raise ValueError(f"{value:g} is not a fraction from 0 to 1{hint}")
        return Span(number)
    if isinstance(value, str):
        if match := _PIXELS.fullmatch(value):
            pixels = float(match.group(1))
            if pixels > 16384:
                raise ValueError(f"{value} is larger than any screen")
            return Span(pixels, "px")
        if match := _PERCENT.fullmatch(value):
            percent = float(match.group(1))
            if percent > 100:
                raise ValueError(f"{value} is more than the whole screen")
            return Span(percent / 100)
    raise ValueError(f"expected a fraction (0.25), a percentage (25%) or pixels (480px), got {describe(value)}")


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 1_000_000:
        raise ValueError(f"expected a whole number, got {describe(value)}")
    return value


def _speed(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= MAX_SPEED:
        raise ValueError(f"expected a speed in pixels per second from 1 to {MAX_SPEED:g}, got {describe(value)}")
    return float(value)


def _line(value: Any) -> str:
    text = fields.text(value).strip()
    if not text:
        raise ValueError("an empty item: remove it")
    return text


def _url(value: Any) -> str:
    """What a QR code holds: a web address as a rule (validate warns of anything else: a Wi-Fi login is fine)."""
    if not isinstance(value, str) or not value.strip() or any(ch.isspace() for ch in value.strip()):
        raise ValueError(f"expected a web address such as https://example.com/page, got {describe(value)}")
    return value.strip()


def _instant(value: Any) -> datetime:
    """A countdown's target: a date and time (naive: in the widget's time zone)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date and time such as 2018-02-09 20:00, got {describe(value)}")


# The pattern letters CLDR defines (babel formats these; any other letter is a mistake).
_CLDR_FIELDS = frozenset("GyYuUrQqMLlwWdDFgEecabBhHKkjJCmsSAzZOvVXx")


def _pattern(value: Any) -> str:
    """A CLDR date pattern: balanced quotes, at least one field, no letter CLDR does not know."""
    example = "a date pattern such as HH:mm, EEEE d MMMM or M월 d일 EEEE"
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected {example}, got {describe(value)}")
    unquoted = value.replace("''", "").split("'")
    if len(unquoted) % 2 == 0:
        raise ValueError(f"{value!r} has a quote that is not closed: text is quoted 'like this' ('' is one quote)")
    letters = {ch for part in unquoted[::2] for ch in part if "a" <= ch.lower() <= "z"}
    if unknown := sorted(letters - _CLDR_FIELDS):
        raise ValueError(
            f"{value!r} uses {', '.join(unknown)}, which are no date or time fields: quote literal text 'like this'"
        )
    if not letters:
        raise ValueError(f"{value!r} shows no date or time: expected {example}")
    return value
