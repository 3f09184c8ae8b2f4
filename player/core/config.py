"""The player's configuration: one loader, one precedence.

Precedence, lowest first: built-in defaults, the config file (``config/player.yaml`` in a
checkout, ``/etc/signage/player.yaml`` on an installed screen), environment variables
(``SIGNAGE_*``), then command-line options. Unknown keys are errors with a hint.
Folder paths in the file are relative to the file's own folder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

import yaml

from player.core.errors import ConfigError, DocumentTooBig, Location, Problem
from player.core.feeddata import FIELD, MAX_ITEMS, NAME, RESERVED_FIELDS, parse_path
from player.core.model import Color, HourWindow
from player.core.values import describe, parse_color, parse_duration, parse_hour_window, parse_timezone
from player.core.vocabulary import DEFAULT_FONTS, IMAGE_SUFFIXES, WEEKDAYS
from player.core.yamlnodes import NodeReader

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

MAX_CONFIG_BYTES = 256 * 1024
SYSTEM_CONFIG = Path("/etc/signage/player.yaml")
RENDERERS = ("auto", "gpu", "software")
ROTATIONS = (0, 90, 180, 270)

# Environment variables and the config field each one overrides.
ENVIRONMENT = {
    "SIGNAGE_PLAYLISTS": "playlists",
    "SIGNAGE_MEDIA": "media",
    "SIGNAGE_STATE": "state",
    "SIGNAGE_TIMEZONE": "timezone",
}


Parser = Callable[[object], object]
"""A config value's parser: the plain YAML value to the field's value; ValueError for people."""


@dataclass(frozen=True)
class DisplayConfig:
    """How the screen is driven."""

    size: tuple[int, int] | None = None  # None: the screen's own size (1280x720 windowed)
    rotate: int = 0
    renderer: str = "auto"
    margins: tuple[float, float] = (0.08, 0.08)  # safe area for text, fractions of width/height
    text_floor: int | None = None  # smallest text, px of the frame; None: 1/30 of its shorter side
    fullscreen: bool = True
    on_hours: tuple[tuple[HourWindow, ...], ...] | None = None  # per weekday; None: always on
    power_off_command: str | None = None  # None: detected (player.ops.power: cec, vcgencmd, wlr-randr, xset)
    power_on_command: str | None = None
    require_synced_clock: str = "auto"  # auto: only under systemd; "yes" / "no"


@dataclass(frozen=True)
class WatchConfig:
    """How the content folders are watched (the hot folder)."""

    debounce: float = 0.3  # quiet seconds after a change before rescanning
    rescan_every: float = 60.0  # a full rescan catches what events miss
    settle: float = 1.0  # a file modified more recently than this may still be being written
    poll: bool = False  # watchdog's polling observer, for network filesystems


@dataclass(frozen=True)
class SyncConfig:
    """Where `signage sync` pulls from. The token may also come from $SIGNAGE_TOKEN."""

    url: str | None = None
    pubkey: Path | None = None
    channel: str = "default"
    interval: float = 60.0
    token: str | None = None


@dataclass(frozen=True)
class ReportingConfig:
    """Proof of play and heartbeats. Uploads use the sync token."""

    keep_days: int = 90  # proof-of-play logs kept on the screen
    proof_url: str | None = None  # POST closed daily logs here
    proof_interval: float = 300.0
    heartbeat_url: str | None = None  # POST the status file here
    heartbeat_interval: float = 60.0


@dataclass(frozen=True)
class IdleConfig:
    """What shows when no playlist is active: a colour, optionally an image or a text on it."""

    color: Color = (0, 0, 0, 255)
    image: str | None = None
    text: str | None = None


FeedKind = Literal["rss", "json", "text"]
FEED_KINDS: tuple[str, ...] = ("rss", "json", "text")


@dataclass(frozen=True)
class FeedSource:
    """One live-data source `signage feeds` fetches into ``media/feeds/<name>.json`` (docs/feeds.md).

    ``items``: for rss, which text of each entry (``title`` or ``summary``); for json, the path
    to a list; for text, unused (every non-empty line). ``fields``: json only, field -> path.
    """

    name: str
    url: str
    kind: FeedKind = "rss"
    every: float = 600.0
    items: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    max_items: int = 20


@dataclass(frozen=True)
class FeedsConfig:
    """`signage feeds`: the sources, and how long a fetch or a web page's snapshot may take."""

    sources: tuple[FeedSource, ...] = ()
    fetch_deadline: float = 30.0  # a whole fetch, however slowly bytes still arrive
    snapshot_deadline: float = 20.0  # a page that never finishes loading is cut off
    browser: str | None = None  # None: /usr/bin/chromium, else /usr/bin/chromium-browser


@dataclass(frozen=True)
class Config:
    """Everything the player reads from its configuration, resolved."""

    source: str
    playlists: Path
    media: Path
    state: Path
    timezone: str | None = None  # None: the system's zone
    display: DisplayConfig = field(default_factory=DisplayConfig)
    idle: IdleConfig = field(default_factory=IdleConfig)
    watch: WatchConfig = field(default_factory=WatchConfig)
    sync: SyncConfig = field(default_factory=SyncConfig)
    reporting: ReportingConfig = field(default_factory=ReportingConfig)
    feeds: FeedsConfig = field(default_factory=FeedsConfig)
    screen_id: str | None = None  # None: the host name
    video_decoder: str = "auto"  # auto (hardware where it works), software, or a decoder name
    fonts: tuple[str, ...] = DEFAULT_FONTS
    max_megapixels: float = 50.0
    prepared_cache_mb: int = 256  # pictures decoded and fitted, kept in state/prepared (0: none)


_Record = TypeVar("_Record", bound="DataclassInstance")


def _replaced(base: _Record, changes: Mapping[str, object]) -> _Record:
    """``replace(base, **changes)`` for changes from a parser table: each parser returns its field's type."""
    return replace(base, **changes)


def default_config_path(cwd: Path) -> Path:
    """``config/player.yaml`` under ``cwd`` when it exists, else the system-wide file."""
    local = cwd / "config" / "player.yaml"
    return local if local.exists() or not SYSTEM_CONFIG.exists() else SYSTEM_CONFIG


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read the config file at ``path`` (a missing file means all defaults), then the environment.

    Raises:
        ConfigError: every problem found in the file; fix the file and retry.
    """
    base = path.parent.parent if path.parent.name == "config" else path.parent
    config = Config(
        source=str(path),
        playlists=base / "playlists",
        media=base / "media",
        state=base / "state",
    )
    if path.exists():
        try:
            text = path.read_bytes()
        except OSError as error:
            raise ConfigError([Problem(Location(str(path), 1, 1), "", f"cannot read: {error.strerror}")]) from None
        config = parse_config(text, str(path), config)
    return apply_environment(config, environ or {})


def apply_environment(config: Config, environ: Mapping[str, str]) -> Config:
    """Override folders and time zone from ``SIGNAGE_*`` variables."""
    changes: dict[str, object] = {}
    for variable, key in ENVIRONMENT.items():
        value = environ.get(variable)
        if value:
            changes[key] = value if key == "timezone" else Path(value)
    return _replaced(config, changes)


def parse_config(text: str | bytes, source: str, base: Config) -> Config:
    """Apply a config document on top of ``base``. Pure."""
    reader = _ConfigReader(source)
    try:
        root = reader.compose(text, MAX_CONFIG_BYTES)
        config = reader.read_root(root, base) if root is not None else base
    except DocumentTooBig as error:
        reader.problem(error.node, "", "the document expands to too many values")
        config = base
    if reader.problems:
        raise ConfigError(reader.problems)
    return config


class _ConfigReader(NodeReader):
    def read_root(self, root: yaml.Node, base: Config) -> Config:
        entries = self.mapping(root, "", _TOP_KEYS)
        if entries is None:
            return base
        folder = Path(self.source).parent
        anchor = folder.parent if folder.name == "config" else folder
        changes: dict[str, object] = {}
        # In this order, so problems are listed in it whatever the order of the file.
        for key, read in self.top_readers(base, anchor).items():
            if key in entries:
                value = read(entries[key])
                if value is not None or key == "timezone":  # a bad zone falls back to the system's
                    changes["video_decoder" if key == "video" else key] = value
        return _replaced(base, changes)

    def top_readers(self, base: Config, anchor: Path) -> dict[str, Callable[[yaml.Node], object]]:
        """A reader for each top-level key: the node to the new value of its field, or None to keep the old."""
        return {
            **{key: partial(self.read_folder, key=key, anchor=anchor) for key in ("playlists", "media", "state")},
            "timezone": self.read_timezone,
            "fonts": self.read_fonts,
            "max_megapixels": lambda node: self.convert(node, "max_megapixels", _megapixels),
            "prepared_cache_mb": lambda node: self.convert(node, "prepared_cache_mb", _cache_megabytes),
            "display": lambda node: self.read_section(node, "display", base.display, _DISPLAY_PARSERS),
            "idle": lambda node: self.read_idle(node, base.idle),
            "sync": lambda node: self.read_sync(node, base.sync, anchor),
            "reporting": lambda node: self.read_section(node, "reporting", base.reporting, _REPORTING_PARSERS),
            "video": self.read_video_decoder,
            "screen_id": lambda node: self.convert(node, "screen_id", _optional_text),
            "watch": lambda node: self.read_section(node, "watch", base.watch, _WATCH_PARSERS),
            "feeds": lambda node: self.read_feeds(node, base.feeds),
        }

    def read_folder(self, node: yaml.Node, key: str, anchor: Path) -> Path | None:
        """A folder; relative to the config file's own folder (its parent, for ``config/``)."""
        value = self.convert(node, key, _folder)
        return None if value is None else value if value.is_absolute() else anchor / value

    def read_timezone(self, node: yaml.Node) -> str | None:
        zone = self.convert(node, "timezone", parse_timezone)
        return zone.key if zone else None

    def read_fonts(self, node: yaml.Node) -> tuple[str, ...]:
        items = self.sequence(node, "fonts") or []
        fonts = [self.convert(item, f"fonts[{i}]", _font) for i, item in enumerate(items)]
        return tuple(f for f in fonts if f)

    def read_sync(self, node: yaml.Node, base: SyncConfig, anchor: Path) -> SyncConfig:
        section = self.read_section(node, "sync", base, _SYNC_PARSERS)
        if section.pubkey is not None and not section.pubkey.is_absolute():
            section = replace(section, pubkey=anchor / section.pubkey)
        return section

    def read_feeds(self, node: yaml.Node, base: FeedsConfig) -> FeedsConfig:
        entries = self.mapping(node, "feeds", ("sources", *_FEEDS_PARSERS))
        if entries is None:
            return base
        changes: dict[str, object] = {}
        for key, parse in _FEEDS_PARSERS.items():
            if key in entries:
                value = self.convert(entries[key], f"feeds.{key}", parse)
                if value is not None or key == "browser":
                    changes[key] = value
        if "sources" in entries:
            changes["sources"] = self.read_feed_sources(entries["sources"])
        return _replaced(base, changes)

    def read_feed_sources(self, node: yaml.Node) -> tuple[FeedSource, ...]:
        sources: list[FeedSource] = []
        for index, item in enumerate(self.sequence(node, "feeds.sources") or []):
            source = self.read_feed_source(item, f"feeds.sources[{index}]")
            if source is not None and any(known.name == source.name for known in sources):
                self.problem(
                    item,
                    f"feeds.sources[{index}].name",
                    f"a second source named {source.name!r}: each one writes media/feeds/<name>.json, so names differ",
                )
            elif source is not None:
                sources.append(source)
        return tuple(sources)

    def read_feed_source(self, node: yaml.Node, field: str) -> FeedSource | None:
        """One source; None (with its problems recorded) when it is incomplete or wrong."""
        entries = self.mapping(node, field, tuple(_SOURCE_PARSERS))
        if entries is None:
            return None
        before = len(self.problems)
        for key in ("name", "url"):
            if key not in entries:
                self.problem(node, f"{field}.{key}", f"a feed source needs `{key}:`")
        values = {
            key: self.convert(entries[key], f"{field}.{key}", parse)
            for key, parse in _SOURCE_PARSERS.items()
            if key in entries
        }
        self.check_feed_kind(values, node, entries, field)
        if len(self.problems) > before:
            return None
        return FeedSource(**values)  # type: ignore[arg-type]  # each parser returns its field's type

    def check_feed_kind(
        self, values: dict[str, object], node: yaml.Node, entries: dict[str, yaml.Node], field: str
    ) -> None:
        """``items`` and ``fields`` mean what the source's kind says (FeedSource)."""
        kind, items = values.get("kind", "rss"), values.get("items")
        if kind == "rss" and items not in (None, "title", "summary"):
            self.problem(entries["items"], f"{field}.items", "for rss, items is title (the default) or summary")
        if kind == "json" and isinstance(items, str):
            try:
                parse_path(items)
            except ValueError as error:
                self.problem(entries["items"], f"{field}.items", str(error))
        if kind == "text" and "items" in entries:
            self.problem(entries["items"], f"{field}.items", "a text source's items are its lines: remove items")
        if kind not in ("json", None) and "fields" in entries:
            self.problem(entries["fields"], f"{field}.fields", "fields are paths into JSON: only for kind json")
        if kind == "json" and "fields" not in entries and "items" not in entries:
            self.problem(node, field, "a json source needs items (a path to a list) or fields (field: path)")

    def read_video_decoder(self, node: yaml.Node) -> str | None:
        video = self.mapping(node, "video", ("decoder",))
        if video and "decoder" in video:
            return self.convert(video["decoder"], "video.decoder", _text)
        return None

    def read_section(self, node: yaml.Node, name: str, base: _Record, parsers: Mapping[str, Parser]) -> _Record:
        entries = self.mapping(node, name, tuple(parsers))
        if entries is None:
            return base
        changes: dict[str, object] = {}
        for key, parse in parsers.items():
            if key in entries:
                value = self.convert(entries[key], f"{name}.{key}", parse)
                if value is not None or key == "size":
                    changes[key] = value
        return _replaced(base, changes)

    def read_idle(self, node: yaml.Node, base: IdleConfig) -> IdleConfig:
        if isinstance(node, yaml.ScalarNode):
            value: object = self.scalar(node, "idle")
            if isinstance(value, str) and value.lower().endswith(tuple(IMAGE_SUFFIXES)):
                return replace(base, image=value)
            color = self.convert(node, "idle", parse_color)
            return replace(base, color=color) if color else base
        return self.read_section(node, "idle", base, _IDLE_PARSERS)


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected text, got {'nothing' if isinstance(value, str) else describe(value)}")
    return value


def _folder(value: object) -> Path:
    return Path(_text(value))


def _font(value: object) -> str:
    return _text(value).strip()


def _megapixels(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 1000:
        raise ValueError(f"expected a number of megapixels between 1 and 1000, got {describe(value)}")
    return float(value)


def _cache_megabytes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
        raise ValueError(f"expected a whole number of megabytes (0 turns the cache off), got {describe(value)}")
    return value


def parse_size(value: object) -> tuple[int, int] | None:
    """``"1920x1080"`` to ``(1920, 1080)``; ``null``/``auto`` to None."""
    if value is None or value == "auto":
        return None
    if isinstance(value, str) and "x" in value.lower():
        width, _, height = value.lower().partition("x")
        if width.strip().isdigit() and height.strip().isdigit():
            size = (int(width), int(height))
            if 16 <= size[0] <= 16384 and 16 <= size[1] <= 16384:
                return size
    raise ValueError(f'expected a size such as "1920x1080" (or auto), got {describe(value)}')


def _on_hours(value: object) -> tuple[tuple[HourWindow, ...], ...] | None:
    """``"07:00-23:00"`` for every day, or ``{mon: "07:00-23:00", sun: off, ...}`` (missing days: off)."""
    if value is None or value == "always":
        return None
    if isinstance(value, str | list):
        windows = _windows(value)
        return tuple(windows for _ in range(7))
    if isinstance(value, dict):
        unknown = [k for k in value if k not in WEEKDAYS]
        if unknown:
            raise ValueError(f"{describe(unknown[0])} is not a day: use {', '.join(WEEKDAYS)}")
        return tuple(_windows(value[day]) if value.get(day) not in (None, False, "off") else () for day in WEEKDAYS)
    raise ValueError(f'expected "07:00-23:00", a list of windows, or a mapping of days, got {describe(value)}')


def _windows(value: object) -> tuple[HourWindow, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(parse_hour_window(item) for item in items)


def _rotate(value: object) -> int:
    if value not in ROTATIONS or isinstance(value, bool):
        raise ValueError(f"expected one of 0, 90, 180, 270, got {describe(value)}")
    return int(value)


def _renderer(value: object) -> str:
    if value not in RENDERERS:
        raise ValueError(f"expected one of {', '.join(RENDERERS)}, got {describe(value)}")
    return str(value)


def _margins(value: object) -> tuple[float, float]:
    pair = [value, value] if isinstance(value, int | float) and not isinstance(value, bool) else value
    if (
        isinstance(pair, list)
        and len(pair) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v < 0.5 for v in pair)
    ):
        return (float(pair[0]), float(pair[1]))
    raise ValueError(f"expected [x, y] fractions of the screen below 0.5, e.g. [0.08, 0.08], got {describe(value)}")


def _text_floor(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 8 <= value <= 400:
        raise ValueError(f"expected a text size in pixels from 8 to 400 (36 suits 1080p), got {describe(value)}")
    return value


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {describe(value)}")
    return value


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


_TOP_KEYS = (
    "timezone",
    "playlists",
    "media",
    "state",
    "display",
    "idle",
    "watch",
    "sync",
    "reporting",
    "video",
    "screen_id",
    "fonts",
    "max_megapixels",
    "prepared_cache_mb",
    "feeds",
)
_DISPLAY_PARSERS: dict[str, Parser] = {
    "size": parse_size,
    "rotate": _rotate,
    "renderer": _renderer,
    "margins": _margins,
    "text_floor": _text_floor,
    "fullscreen": _boolean,
    "on_hours": _on_hours,
    "power_off_command": _optional_text,
    "power_on_command": _optional_text,
    "require_synced_clock": lambda v: _choice_of(v, ("auto", "yes", "no")),
}


def _choice_of(value: object, options: tuple[str, ...]) -> str:
    text = "yes" if value is True else "no" if value is False else value
    if text not in options:
        raise ValueError(f"expected one of {', '.join(options)}, got {describe(value)}")
    return str(text)


def _seconds(low: float, high: float) -> Callable[[object], float]:
    def parse(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise ValueError(f"expected seconds between {low:g} and {high:g}, got {describe(value)}")
        return float(value)

    return parse


_WATCH_PARSERS: dict[str, Parser] = {
    "debounce": _seconds(0.0, 60.0),
    "rescan_every": _seconds(1.0, 86400.0),
    "settle": _seconds(0.0, 600.0),
    "poll": _boolean,
}


def _url(value: object) -> str | None:
    if value is None:
        return None
    text = _text(value).strip()
    if not text.startswith(("http://", "https://")):
        raise ValueError(f"expected an http:// or https:// URL, got {describe(value)}")
    return text


_SYNC_PARSERS: dict[str, Parser] = {
    "url": _url,
    "pubkey": lambda v: None if v is None else _folder(v),
    "channel": _text,
    "interval": _seconds(5.0, 86400.0),
    "token": _optional_text,
}


def _days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3650:
        raise ValueError(f"expected a whole number of days from 1 to 3650, got {describe(value)}")
    return value


_IDLE_PARSERS: dict[str, Parser] = {"color": parse_color, "image": _text, "text": _text}
_REPORTING_PARSERS: dict[str, Parser] = {
    "keep_days": _days,
    "proof_url": _url,
    "proof_interval": _seconds(10.0, 86400.0),
    "heartbeat_url": _url,
    "heartbeat_interval": _seconds(5.0, 86400.0),
}


def _feed_name(value: object) -> str:
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise ValueError(
            f"expected a name of lower-case letters, digits, - and _ (it names media/feeds/<name>.json), "
            f"got {describe(value)}"
        )
    return value


def _feed_url(value: object) -> str:
    url = _url(value)
    if url is None:
        raise ValueError("expected an http:// or https:// URL, got nothing")
    return url


def _feed_kind(value: object) -> str:
    return _choice_of(value, FEED_KINDS)


def _feed_every(value: object) -> float:
    seconds = parse_duration(value)
    if seconds < 10:
        raise ValueError(f"fetching more often than every 10 s is too often for a screen, got {describe(value)}")
    return seconds


def _feed_fields(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not value:
        raise ValueError(f"expected a mapping of field: path, such as {{temp: current.temp_c}}, got {describe(value)}")
    fields = []
    for name, path in value.items():
        if not isinstance(name, str) or not FIELD.fullmatch(name) or name in RESERVED_FIELDS:
            raise ValueError(f"{describe(name)} cannot name a field: use letters, digits, - and _ (and not age)")
        if not isinstance(path, str):
            raise ValueError(f"the path of field {name} must be text such as current.temp_c, got {describe(path)}")
        parse_path(path)
        fields.append((name, path))
    return tuple(sorted(fields))


def _max_items(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ITEMS:
        raise ValueError(f"expected a whole number from 1 to {MAX_ITEMS}, got {describe(value)}")
    return value


def _deadline(low: float, high: float) -> Callable[[object], float]:
    def parse(value: object) -> float:
        seconds = parse_duration(value)
        if not low <= seconds <= high:
            raise ValueError(f"expected between {low:g} s and {high:g} s, got {describe(value)}")
        return seconds

    return parse


_SOURCE_PARSERS: dict[str, Parser] = {
    "name": _feed_name,
    "url": _feed_url,
    "kind": _feed_kind,
    "every": _feed_every,
    "items": _text,
    "fields": _feed_fields,
    "max_items": _max_items,
}
# At most 90 s: under the watchdog of signage-feeds.service (120 s), which hears nothing during one.
_FEEDS_PARSERS: dict[str, Parser] = {
    "fetch_deadline": _deadline(1.0, 90.0),
    "snapshot_deadline": _deadline(1.0, 90.0),
    "browser": _optional_text,
}
