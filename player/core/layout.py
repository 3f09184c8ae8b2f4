"""Layouts: the screen divided into named zones, each playing playlists or a widget.

Frozen values, like the rest of the content model (:mod:`player.core.model`); the loader
builds them from a YAML document with ``zones:`` (see docs/layouts.md). Pure: resolving a
zone's rectangle on a screen of a given size is arithmetic, not I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from player.core.errors import Location
from player.core.model import Align, Color, Fit, Schedule, VAlign

Unit = Literal["fraction", "px"]
TickerDirection = Literal["auto", "left", "right"]
TICKER_DIRECTIONS: tuple[str, ...] = ("auto", "left", "right")

WHITE: Color = (255, 255, 255, 255)
BLACK: Color = (0, 0, 0, 255)
CLEAR: Color = (0, 0, 0, 0)  # no background of its own: the layout's background shows


@dataclass(frozen=True)
class Span:
    """One coordinate of a zone: a fraction of the screen's width or height, or pixels of it."""

    value: float
    unit: Unit = "fraction"

    def on(self, extent: int) -> int:
        """This span in pixels of a screen side ``extent`` pixels long."""
        return round(self.value * extent) if self.unit == "fraction" else round(self.value)


@dataclass(frozen=True)
class Area:
    """A zone's rectangle on the logical (rotated) screen."""

    x: Span
    y: Span
    width: Span
    height: Span

    def on(self, screen: tuple[int, int]) -> tuple[int, int, int, int]:
        """``(x, y, width, height)`` in pixels of ``screen``, kept on it and at least 1x1."""
        screen_w, screen_h = screen
        x = min(max(0, self.x.on(screen_w)), screen_w - 1)
        y = min(max(0, self.y.on(screen_h)), screen_h - 1)
        width = max(1, min(self.width.on(screen_w), screen_w - x))
        height = max(1, min(self.height.on(screen_h), screen_h - y))
        return x, y, width, height


FULL_SCREEN = Area(Span(0.0), Span(0.0), Span(1.0), Span(1.0))


@dataclass(frozen=True)
class Ticker:
    """Text scrolling across the zone at ``speed`` px/s: the ``items`` and/or a feed's items.

    The position is a function of the instant alone (seconds since the epoch times the
    speed, modulo the strip's length), so every screen with the same content and a synced
    clock scrolls in step, and ``render --at`` shows the screen's exact frame.
    ``direction``: ``auto`` scrolls right-to-left text (Arabic, Hebrew) to the right.
    """

    items: tuple[str, ...] = ()
    feed: str | None = None
    separator: str = "   ·   "
    speed: float = 120.0
    direction: TickerDirection = "auto"
    color: Color = WHITE
    background: Color = (16, 16, 20, 255)
    lang: str = ""


@dataclass(frozen=True)
class Clock:
    """The time and/or date at the instant, in ``timezone``, by a CLDR pattern in ``lang``'s names.

    ``format`` is a Unicode (CLDR) date pattern, as babel reads it: ``HH:mm``,
    ``M월 d일 EEEE`` (2월 10일 토요일), ``M月d日(E)`` (2月10日(土)), ``EEEE d MMMM``.
    It redraws once a minute, or once a second when the pattern shows seconds.
    """

    format: str = "HH:mm"
    timezone: str = "UTC"
    lang: str = "en"
    color: Color = WHITE
    background: Color = CLEAR


@dataclass(frozen=True)
class Countdown:
    """Whole days (and hours) left until ``to``; ``text`` before it, ``after`` from then on.

    ``text`` may use ``{days}`` and ``{hours}`` (the hours beyond the whole days).
    ``to`` is an aware datetime (a naive one in the YAML is read in ``timezone``).
    """

    to: datetime
    text: str = "{days}"
    after: str = ""
    timezone: str = "UTC"
    lang: str = ""
    color: Color = WHITE
    background: Color = CLEAR


@dataclass(frozen=True)
class QrCode:
    """A QR code of ``url``, dark modules in ``color`` on ``background``, with its quiet zone."""

    url: str
    color: Color = BLACK
    background: Color = WHITE
    caption: str | None = None


@dataclass(frozen=True)
class Logo:
    """An image file of the media folder, fitted into the zone."""

    media: str
    fit: Fit = "contain"
    background: Color = CLEAR


@dataclass(frozen=True)
class TextBox:
    """Text set by the type rules of text slides; ``{feed.field}`` is filled from feed data."""

    text: str
    subtitle: str | None = None
    color: Color = WHITE
    background: Color = CLEAR
    align: Align = "center"
    valign: VAlign = "middle"
    lang: str = ""
    stale_after: float | None = None  # feed data older than this (seconds) is not shown: the zone keeps its text


Widget = Ticker | Clock | Countdown | QrCode | Logo | TextBox
WIDGET_KINDS: tuple[str, ...] = ("ticker", "clock", "countdown", "qr", "image", "text")


@dataclass(frozen=True)
class Zone:
    """A named rectangle of the screen, drawn in ``z`` order (higher on top, then in file order).

    It plays ``playlists`` (by name, each with its own schedule, as the whole screen would)
    or shows ``widget``: exactly one of the two.
    """

    name: str
    area: Area
    z: int = 0
    playlists: tuple[str, ...] = ()
    widget: Widget | None = None
    location: Location = field(default=Location("<memory>", 1, 1), compare=False)


@dataclass(frozen=True)
class Layout:
    """One layout file, validated. Active by its schedule, like a playlist, and by priority
    against the playlists that play full screen (docs/layouts.md)."""

    name: str
    zones: tuple[Zone, ...]
    schedule: Schedule
    priority: int = 0
    background: Color = BLACK
    source: str = "<memory>"

    @property
    def drawing_order(self) -> tuple[Zone, ...]:
        """The zones bottom to top: by ``z``, then in the order the file lists them."""
        return tuple(sorted(self.zones, key=lambda zone: zone.z))

    @property
    def playlist_names(self) -> tuple[str, ...]:
        """Every playlist some zone plays, without repeats."""
        seen: dict[str, None] = {}
        for zone in self.zones:
            for name in zone.playlists:
                seen.setdefault(name, None)
        return tuple(seen)

    @property
    def media_paths(self) -> tuple[str, ...]:
        """The media files the layout's own widgets need (a logo)."""
        return tuple(zone.widget.media for zone in self.zones if isinstance(zone.widget, Logo))


def main_zone(layout: Layout, screen: tuple[int, int]) -> Zone | None:
    """The zone whose slides count as the screen's (proof of play, status, ``signage schedule``):
    the largest zone of playlists (the first listed among equals); None if the layout has none."""
    best: Zone | None = None
    best_area = -1
    for zone in layout.zones:
        if zone.widget is not None:
            continue
        _, _, width, height = zone.area.on(screen)
        if width * height > best_area:
            best, best_area = zone, width * height
    return best
