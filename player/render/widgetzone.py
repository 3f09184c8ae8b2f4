"""A layout's zones on screen: a channel per zone, and the widgets' pictures at an instant.

A zone of playlists is a :class:`~player.render.channel.SlideChannel` of the zone's size. A
zone of a widget is a :class:`WidgetChannel`: its picture is a function of the instant (and
of the feeds' data), drawn once per change, never per frame:

* a clock or a countdown is a text slide of the zone's size, drawn again when its text
  changes (once a minute, or a second, or a day: player/core/widgettime.py);
* a text box is a text slide whose ``{feed.field}`` are filled from the feeds' data;
* an image is an image slide (``fit: contain`` by default); a QR code is drawn once;
* a ticker is a strip of tiles set once, moved every frame by its offset at the instant: on
  the GPU path that is the same textures drawn at new places, nothing rendered again.

:class:`WidgetArt` is shared by the render loop and headless rendering (``render --at``), so
both show the same picture at the same instant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

import pygame

from player.core.errors import MediaError
from player.core.feeddata import Feed, fill
from player.core.layout import CLEAR, Clock, Countdown, Layout, Logo, QrCode, TextBox, Ticker, Widget, Zone, main_zone
from player.core.model import Color, Slide
from player.core.stage import StagePlan
from player.core.widgettime import clock_next_change, clock_text, countdown_next_change, countdown_text, ticker_offset
from player.render.channel import Host, SlideChannel
from player.render.frame import Layer, Rect
from player.render.qr import draw_qr
from player.render.slides import Painter
from player.render.ticker import TickerStrip, ticker_layers

if TYPE_CHECKING:
    from player.render.stats import FrameTimer

log = logging.getLogger(__name__)


class WidgetArt:
    """What a widget zone shows at an instant: its layers, the surfaces they draw, and when that changes.

    Keeps the last picture it drew (and the ticker's strip), so asking again for an instant
    with the same text costs nothing.
    """

    def __init__(self, zone: Zone, area: Rect, painter: Painter, background: Color) -> None:
        assert zone.widget is not None
        self.zone = zone
        self.widget: Widget = zone.widget
        self.area = area
        self.painter = painter
        self.background = background  # the widget's own, or the layout's where it has none
        self._surfaces: dict[Hashable, pygame.Surface] = {}
        self._key: Hashable | None = None
        self._strip: TickerStrip | None = None
        self._said: set[str] = set()

    @property
    def size(self) -> tuple[int, int]:
        return self.area[2], self.area[3]

    @property
    def moving(self) -> bool:
        return isinstance(self.widget, Ticker)

    def at(self, instant: datetime, feeds: Mapping[str, Feed]) -> tuple[tuple[Layer, ...], datetime | None]:
        """The layers at ``instant`` (their surfaces in :attr:`surfaces`), and when they next change."""
        widget = self.widget
        if isinstance(widget, Ticker):
            return self._ticker(widget, instant, feeds), None
        if isinstance(widget, QrCode):
            key: Hashable = ("qr", widget, self.size)
            if key != self._key:
                self._surfaces, self._key = {key: draw_qr(widget, self.size, self.painter.fonts)}, key
            return self._placed(key), None
        slide, next_change = self._slide(widget, instant, feeds)
        if slide is not None:
            try:
                key, surface = self.painter.prepare(slide)
                self._surfaces, self._key = {key: surface}, key
            except MediaError as error:
                self._say(f"zone {self.zone.name}: {error}")
        if self._key is None:
            key, surface = self.painter.prepare(None)  # the zone's background until it has something to show
            self._surfaces, self._key = {key: surface}, key
        return self._placed(self._key), next_change

    @property
    def surfaces(self) -> dict[Hashable, pygame.Surface]:
        return self._surfaces

    def _placed(self, key: Hashable) -> tuple[Layer, ...]:
        return (Layer(key, self.area[0], self.area[1], clip=self.area),)

    def _slide(
        self, widget: Widget, instant: datetime, feeds: Mapping[str, Feed]
    ) -> tuple[Slide | None, datetime | None]:
        """The text or image slide that draws ``widget`` at ``instant`` (None: keep what is shown)."""
        base = Slide(kind="text", id=self.zone.name, duration=60.0, type_scale="own", background=self.background)
        if isinstance(widget, Clock):
            text = clock_text(widget, instant)
            return _text(base, text, widget.color, widget.lang), clock_next_change(widget, instant)
        if isinstance(widget, Countdown):
            text = countdown_text(widget, instant)
            return _text(base, text, widget.color, widget.lang), countdown_next_change(widget, instant)
        if isinstance(widget, TextBox):
            filled = fill(widget.text, feeds, instant, widget.stale_after)
            subtitle = fill(widget.subtitle, feeds, instant, widget.stale_after) if widget.subtitle else None
            if filled is None or (widget.subtitle and subtitle is None):
                self._say(f"zone {self.zone.name}: its feed data is missing or too old; what was shown stays")
                return None, None
            slide = _text(base, filled, widget.color, widget.lang)
            return replace(slide, subtitle=subtitle, align=widget.align, valign=widget.valign), None
        assert isinstance(widget, Logo)
        return replace(base, kind="image", media=widget.media, fit=widget.fit), None

    def _ticker(self, widget: Ticker, instant: datetime, feeds: Mapping[str, Feed]) -> tuple[Layer, ...]:
        items = list(widget.items)
        if widget.feed is not None and widget.feed in feeds:
            items.extend(feeds[widget.feed].items)
        key: Hashable = ("ticker", self.zone.name, widget, tuple(items), self.size)
        if key != self._key or self._strip is None:
            strip = TickerStrip.build(widget, self.size, self.painter.fonts, items)
            self._strip, self._key = strip, key
            self._surfaces = {(key, index): tile for index, tile in enumerate(strip.tiles)}
        offset = ticker_offset(widget.speed, self._strip.period, instant)
        x0, y0 = self.area[0], self.area[1]
        return tuple(
            Layer((key, index), x0 + x, y0, clip=self.area)
            for index, x in ticker_layers(self._strip, self.area[2], offset)
        )

    def _say(self, message: str) -> None:
        if message not in self._said:
            self._said.add(message)
            log.warning("%s", message)


def _text(base: Slide, text: str, color: Color, lang: str) -> Slide:
    return replace(base, text=text, color=color, lang=lang)


class WidgetChannel:
    """A zone of the screen showing a widget (see :class:`WidgetArt`), for the render loop."""

    main = False
    ahead_due = False

    def __init__(self, art: WidgetArt) -> None:
        self.art = art
        self.name = art.zone.name
        self.area = art.area
        self.pinned: dict[Hashable, pygame.Surface] = {}
        self.changed = True
        self._layers: tuple[Layer, ...] = ()
        self._key: object = None
        self._drawn = False
        self._due: datetime | None = None  # when the picture must be asked for again (None: only for new feeds)
        self._feeds_seen: Mapping[str, Feed] | None = None

    @property
    def moving(self) -> bool:
        return self.art.moving

    def advance(self, now: datetime, feeds: Mapping[str, Feed]) -> None:
        """Draw the widget again if its picture may have changed (its time came, new feed data)."""
        due = self._due is not None and now >= self._due
        if self.moving or not self._drawn or due or feeds is not self._feeds_seen:
            self._layers, self._due = self.art.at(now, feeds)
            self._drawn, self._feeds_seen = True, feeds
            key = tuple(layer.key for layer in self._layers)
            if key != self._key:
                self._key, self.changed = key, True
            self.pinned = dict(self.art.surfaces)

    def layers(self, now: datetime) -> tuple[Layer, ...]:
        if self.moving:
            feeds = self._feeds_seen or {}
            self._layers, _ = self.art.at(now, feeds)
        return self._layers

    def wake_in(self, clock_seconds_until: Callable[[datetime], float]) -> float | None:
        if self._due is None:
            return None
        return max(0.0, clock_seconds_until(self._due))

    def presented(self) -> None:
        self.changed = False

    def close(self) -> None:
        pass


Channel = SlideChannel | WidgetChannel


def zone_channels(
    layout: Layout,
    plan: StagePlan,
    painter: Painter,
    host: Host,
    previous: Mapping[str, Channel],
    video_decoder: str,
    timer: FrameTimer | None = None,
) -> list[Channel]:
    """A channel for each zone of ``layout``, bottom to top; a zone unchanged since ``previous`` keeps its channel.

    The main channel (proof of play, status) is the largest zone of playlists.
    """
    screen = painter.size
    main = main_zone(layout, screen)
    channels: list[Channel] = []
    for zone in layout.drawing_order:
        area = zone.area.on(screen)
        kept = previous.get(zone.name)
        size = (area[2], area[3])
        if zone.widget is None:
            timetable = plan.zone_timetable(layout, zone)
            if isinstance(kept, SlideChannel) and kept.area == area:
                kept.reload(timetable)
                kept.main, kept.timer = zone is main, timer if zone is main else None
                channels.append(kept)
                continue
            zone_paint = painter.for_zone(size, layout.background)
            zone_paint.use_playlists(plan.playlists)
            channels.append(
                SlideChannel(
                    zone.name,
                    area,
                    timetable,
                    zone_paint,
                    host,
                    video_decoder=video_decoder,
                    main=zone is main,
                    timer=timer if zone is main else None,
                )
            )
            continue
        if isinstance(kept, WidgetChannel) and kept.area == area and kept.art.widget == zone.widget:
            channels.append(kept)
            continue
        background = widget_background(zone.widget, layout.background)
        widget_painter = painter.for_zone(size, background, widget=True)
        channels.append(WidgetChannel(WidgetArt(zone, area, widget_painter, background)))
    return channels


def widget_background(widget: Widget, layout_background: Color) -> Color:
    """The widget's own background, or the layout's where it has none (zones are opaque rectangles)."""
    own = getattr(widget, "background", CLEAR)
    return layout_background if own == CLEAR else own
