"""Headless rendering: exactly what the screen shows at an instant, and contact sheets.

Deterministic: the frame at T depends only on the content and T (mid-transition if T falls
in one), so editors and tests get the same picture every time. The transition at T is the
render loop's own rule (:func:`player.render.transition.transition_at`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pygame

from player.core.errors import MediaError
from player.core.feeddata import Feed
from player.core.layout import Layout
from player.core.scheduler import Decision, Timetable
from player.core.stage import StagePlan
from player.render.frame import Frame, Layer, placed
from player.render.slides import Painter, SlideKey
from player.render.software import draw_frame, rotate_into
from player.render.text import FontChain, TextLayout, draw_layout, fit_text
from player.render.transition import transition_at
from player.render.widgetzone import WidgetArt, widget_background

LOOKBACK_SLIDES = 50  # how far back to look for the last good slide when one cannot be shown
SHEET_COLUMNS = 4
SHEET_MAX_SLIDES = 64
SHEET_PAD = 16  # around the sheet and between its cells
_TICK = timedelta(microseconds=1)


def frame_at(
    timetable: Timetable,
    painter: Painter,
    instant: datetime,
    layouts: Sequence[Layout] = (),
    feeds: Mapping[str, Feed] | None = None,
) -> tuple[Frame, dict[Hashable, pygame.Surface]]:
    """The frame on screen at ``instant`` and the prepared surfaces it needs: a layout's zones
    when one is on stage (player/core/stage.py), else the full-screen playlists' slide."""
    painter.use_playlists(timetable.playlists)
    if not layouts:
        return _slide_frame(timetable, painter, instant)
    plan = StagePlan(timetable.playlists, layouts)
    layout = plan.at(instant).layout
    if layout is None:
        return _slide_frame(plan.full_screen, painter, instant)
    layers: list[Layer] = []
    surfaces: dict[Hashable, pygame.Surface] = {}
    for zone in layout.drawing_order:
        area = zone.area.on(painter.size)
        size = (area[2], area[3])
        if zone.widget is not None:
            background = widget_background(zone.widget, layout.background)
            art = WidgetArt(zone, area, painter.for_zone(size, background, widget=True), background)
            drawn, _ = art.at(instant, feeds or {})
            layers.extend(drawn)
            surfaces.update(art.surfaces)
            continue
        zone_painter = painter.for_zone(size, layout.background)
        frame, drawn_surfaces = _slide_frame(plan.zone_timetable(layout, zone), zone_painter, instant, timetable)
        layers.extend(placed(frame.layers, area))
        surfaces.update(drawn_surfaces)
    return Frame(tuple(layers), layout.background), surfaces


def _slide_frame(
    timetable: Timetable, painter: Painter, instant: datetime, scales: Timetable | None = None
) -> tuple[Frame, dict[Hashable, pygame.Surface]]:
    """The frame of one channel of slides (the screen, or a zone of painter's size) at ``instant``."""
    painter.use_playlists((scales or timetable).playlists)
    decision, key, surface = _last_good(timetable, painter, timetable.at(instant))
    slide = decision.slide
    if slide is not None and slide.kind == "video" and decision.slide_start is not None and decision.at == instant:
        # The frame due at this instant, not the first one.
        seconds = (instant - decision.slide_start).total_seconds()
        with contextlib.suppress(MediaError):
            surface = painter.video_frame(slide, seconds)
    surfaces: dict[Hashable, pygame.Surface] = {key: surface}
    outgoing: SlideKey | None = None
    if decision.at == instant and decision.slide_start is not None:
        # What the screen showed before this slide's turn. A slide standing in for one that
        # cannot be shown (decision.at is earlier) shows statically: its turn began long ago.
        _, outgoing, before = _last_good(timetable, painter, timetable.at(decision.slide_start - _TICK))
        surfaces.setdefault(outgoing, before)
    moment = transition_at(decision, outgoing, key, instant)
    return moment.frame(painter.size), surfaces


def render_at(
    timetable: Timetable,
    painter: Painter,
    instant: datetime,
    rotate: int = 0,
    layouts: Sequence[Layout] = (),
    feeds: Mapping[str, Feed] | None = None,
) -> pygame.Surface:
    """The physical screen's pixels at ``instant``."""
    frame, surfaces = frame_at(timetable, painter, instant, layouts, feeds)
    logical = pygame.Surface(painter.size)
    draw_frame(logical, frame, surfaces)
    if not rotate:
        return logical
    width, height = painter.size
    physical = pygame.Surface((height, width) if rotate in (90, 270) else (width, height))
    rotate_into(physical, logical, rotate)
    return physical


class SheetGrid(NamedTuple):
    """Where a contact sheet's cells are: each a thumbnail with its two-line label under it."""

    thumb: tuple[int, int]
    label_h: int
    columns: int
    rows: int

    @classmethod
    def for_slides(cls, count: int, screen: tuple[int, int], thumb_width: int) -> SheetGrid:
        width, height = screen
        columns = min(SHEET_COLUMNS, max(1, count))
        thumb = (thumb_width, round(thumb_width * height / width))
        return cls(thumb, max(36, thumb_width // 7), columns, max(1, -(-count // columns)))

    @property
    def size(self) -> tuple[int, int]:
        last = self.cell(self.columns * self.rows - 1)
        return last.right + SHEET_PAD, last.bottom + SHEET_PAD

    def cell(self, index: int) -> pygame.Rect:
        """The thumbnail and its label, of the ``index``th slide."""
        column, row = index % self.columns, index // self.columns
        x = SHEET_PAD + column * (self.thumb[0] + SHEET_PAD)
        y = SHEET_PAD + row * (self.thumb[1] + self.label_h + SHEET_PAD)
        return pygame.Rect(x, y, self.thumb[0], self.thumb[1] + self.label_h)

    def label_box(self, index: int) -> pygame.Rect:
        """Where the label's text may go: under the thumbnail, kept :func:`label_padding` off the cell's edges."""
        cell, pad = self.cell(index), label_padding(self.thumb[0])
        return pygame.Rect(cell.x + pad, cell.y + self.thumb[1] + pad // 2, cell.w - 2 * pad, self.label_h - pad)


def label_padding(thumb_width: int) -> int:
    """How far a label's text keeps from its cell's edges."""
    return max(4, thumb_width // 40)


def contact_sheet(
    timetable: Timetable, painter: Painter, start: datetime, end: datetime, zone: ZoneInfo, thumb_width: int = 480
) -> pygame.Surface:
    """Each distinct slide shown in ``[start, end)`` as a captioned thumbnail, in order of first showing."""
    painter.use_playlists(timetable.playlists)  # each slide at its playlist's type scale, as on screen
    seen: dict[tuple[object, ...], Decision] = {}
    for decision in timetable.slides_between(start, end):
        seen.setdefault((decision.playlist, decision.slide_index), decision)
        if len(seen) >= SHEET_MAX_SLIDES:
            break
    grid = SheetGrid.for_slides(len(seen), painter.size, thumb_width)
    sheet = pygame.Surface(grid.size)
    sheet.fill((32, 32, 36))
    labels: list[tuple[str, str]] = []
    for index, decision in enumerate(seen.values()):
        cell = grid.cell(index)
        try:
            _, surface = painter.prepare(decision.slide)
            sheet.blit(pygame.transform.smoothscale(surface, grid.thumb), cell.topleft)
        except MediaError as error:
            pad = label_padding(thumb_width)
            box = (cell.x + pad, cell.y + pad, grid.thumb[0] - 2 * pad, grid.thumb[1] - 2 * pad)
            _caption(sheet, painter, f"cannot show: {error}", box, (255, 120, 120, 255))
        when = (decision.slide_start or decision.at).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %z")
        labels.append((f"{decision.playlist}/{decision.slide.id}" if decision.slide else "(idle)", when))
    _draw_labels(sheet, painter.fonts, grid, labels)
    return sheet


def _draw_labels(sheet: pygame.Surface, fonts: FontChain, grid: SheetGrid, labels: Sequence[tuple[str, str]]) -> None:
    """Every label at one size, on the same two baselines in every cell (issue 18: each label had
    been fitted alone, so they changed size from cell to cell).

    The size is the largest at which every line fits its cell, but not below a floor (a long
    name would otherwise shrink the whole sheet to nothing): a line longer than that is cut with "…".
    """
    if not labels:
        return
    box = grid.label_box(0)
    line_h = box.h // 2
    floor = max(10, grid.thumb[0] // 40)  # 12 px on the default 480 px thumbnails
    lines = [line for label in labels for line in label]

    def one_line(text: str, largest: int, smallest: int) -> TextLayout:
        return fit_text(fonts, text, box.w, line_h, max_size=largest, min_size=smallest, max_lines=1)

    size = min(one_line(line, line_h, floor).size for line in lines)
    while True:
        laid = [one_line(line, size, size) for line in lines]
        ascent = max(layout.ascent for layout in laid)
        descent = max(layout.height - layout.ascent for layout in laid)
        # Each line fits alone; the tallest ascent and the deepest descent must fit together too.
        if max(laid[0].line_height, ascent + descent) <= line_h or size <= floor:
            break
        size -= 1
    pitch = max(laid[0].line_height, ascent + descent)
    centred = (box.h - ascent - pitch - descent) // 2
    for index, pair in enumerate(zip(laid[0::2], laid[1::2], strict=True)):
        box = grid.label_box(index)
        for line, layout in enumerate(pair):
            baseline = box.y + centred + ascent + line * pitch  # the same two baselines in every cell
            area = pygame.Rect(box.x, baseline - layout.ascent, box.w, box.bottom - baseline + layout.ascent)
            draw_layout(sheet, layout, fonts, area, (230, 230, 230, 255), align="left", valign="top")


def _caption(
    sheet: pygame.Surface,
    painter: Painter,
    text: str,
    rect: tuple[int, int, int, int],
    color: tuple[int, int, int, int] = (230, 230, 230, 255),
) -> None:
    layout = fit_text(painter.fonts, text, rect[2], rect[3], max_size=max(10, rect[3] // 2 - 2), max_lines=2)
    draw_layout(sheet, layout, painter.fonts, pygame.Rect(rect), color, align="left", valign="top")


def _last_good(timetable: Timetable, painter: Painter, decision: Decision) -> tuple[Decision, SlideKey, pygame.Surface]:
    """The decision whose slide the screen really shows: a slide that cannot be prepared
    leaves the previous good one on screen (the idle screen if there is none)."""
    current = decision
    for _ in range(LOOKBACK_SLIDES):
        try:
            key, surface = painter.prepare(current.slide)
            return current, key, surface
        except MediaError:
            if current.slide_start is None:
                break
            current = timetable.at(current.slide_start - _TICK)
    key, surface = painter.prepare(None)
    return decision, key, surface
