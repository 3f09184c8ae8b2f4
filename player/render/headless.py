"""Headless rendering: exactly what the screen shows at an instant, and contact sheets.

Deterministic: the frame at T depends only on the content and T (mid-transition if T falls
in one), so editors and tests get the same picture every time. The transition at T is the
render loop's own rule (:func:`player.render.transition.transition_at`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pygame

from player.core.errors import MediaError
from player.core.scheduler import Decision, Timetable
from player.render.frame import Frame
from player.render.slides import Painter, SlideKey
from player.render.software import draw_frame, rotate_into
from player.render.text import draw_layout, fit_text
from player.render.transition import transition_at

LOOKBACK_SLIDES = 50  # how far back to look for the last good slide when one cannot be shown
SHEET_COLUMNS = 4
SHEET_MAX_SLIDES = 64
_TICK = timedelta(microseconds=1)


def frame_at(timetable: Timetable, painter: Painter, instant: datetime) -> tuple[Frame, dict[Hashable, pygame.Surface]]:
    """The frame on screen at ``instant`` and the prepared surfaces it needs."""
    painter.use_playlists(timetable.playlists)
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


def render_at(timetable: Timetable, painter: Painter, instant: datetime, rotate: int = 0) -> pygame.Surface:
    """The physical screen's pixels at ``instant``."""
    frame, surfaces = frame_at(timetable, painter, instant)
    logical = pygame.Surface(painter.size)
    draw_frame(logical, frame, surfaces)
    if not rotate:
        return logical
    width, height = painter.size
    physical = pygame.Surface((height, width) if rotate in (90, 270) else (width, height))
    rotate_into(physical, logical, rotate)
    return physical


def contact_sheet(
    timetable: Timetable, painter: Painter, start: datetime, end: datetime, zone: ZoneInfo, thumb_width: int = 480
) -> pygame.Surface:
    """Each distinct slide shown in ``[start, end)`` as a captioned thumbnail, in order of first showing."""
    seen: dict[tuple[object, ...], Decision] = {}
    for decision in timetable.slides_between(start, end):
        seen.setdefault((decision.playlist, decision.slide_index), decision)
        if len(seen) >= SHEET_MAX_SLIDES:
            break
    width, height = painter.size
    thumb = (thumb_width, round(thumb_width * height / width))
    caption_h = max(36, thumb_width // 7)
    pad = 16
    columns = min(SHEET_COLUMNS, max(1, len(seen)))
    rows = max(1, -(-len(seen) // columns))
    sheet = pygame.Surface((pad + columns * (thumb[0] + pad), pad + rows * (thumb[1] + caption_h + pad)))
    sheet.fill((32, 32, 36))
    for index, decision in enumerate(seen.values()):
        x = pad + (index % columns) * (thumb[0] + pad)
        y = pad + (index // columns) * (thumb[1] + caption_h + pad)
        try:
            _, surface = painter.prepare(decision.slide)
            sheet.blit(pygame.transform.smoothscale(surface, thumb), (x, y))
        except MediaError as error:
            _caption(sheet, painter, f"cannot show: {error}", (x, y, *thumb), (255, 120, 120, 255))
        when = (decision.slide_start or decision.at).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %z")
        name = f"{decision.playlist}/{decision.slide.id}" if decision.slide else "(idle)"
        _caption(sheet, painter, f"{name}\n{when}", (x, y + thumb[1] + 4, thumb[0], caption_h - 4))
    return sheet


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
