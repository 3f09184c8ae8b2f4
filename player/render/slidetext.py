"""A slide's text on the frame: title and subtitle in the safe area, a tagline on its band.

Built on :mod:`player.render.text`. The sizes come from the playlist's type scale
(:mod:`player.render.typescale`), never below the floor; what does not fit there is cut with "…".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import pygame

from player.render.text import (
    MIN_SIZE,
    Align,
    Color,
    FontChain,
    TextLayout,
    VAlign,
    align_span,
    balanced_lines,
    build_layout,
    draw_layout,
    fewer_lines_size,
    fit_text,
    largest_size,
    widest_unit,
    words_matter,
)

SUBTITLE_RATIO = 0.45  # largest subtitle size, as a fraction of the main text's


@dataclass(frozen=True)
class TextSizes:
    """The sizes a slide's text is set at: main text, subtitle, tagline (None: it has none).

    ``cut``: even at the floor some of it did not fit, and was cut short with "…".
    """

    main: int | None = None
    subtitle: int | None = None
    tagline: int | None = None
    cut: bool = False


@dataclass(frozen=True)
class Drawn:
    """What drawing a text did: characters no face has, and whether text was cut short."""

    missing: frozenset[str] = frozenset()
    cut: bool = False


def safe_area(size: tuple[int, int], margins: tuple[float, float]) -> pygame.Rect:
    """The part of a frame text keeps inside: ``margins`` are fractions of width and height."""
    w, h = size
    mx, my = round(w * margins[0]), round(h * margins[1])
    return pygame.Rect(mx, my, max(1, w - 2 * mx), max(1, h - 2 * my))


def text_slide_layouts(
    chain: FontChain,
    text: str,
    subtitle: str | None,
    frame: tuple[int, int],
    *,
    margins: tuple[float, float] = (0.08, 0.08),
    floor: int = MIN_SIZE,
) -> tuple[TextLayout, TextLayout | None]:
    """A text slide's main text and subtitle as large as they fit on their own safe area, never
    below ``floor`` (a playlist's type scale starts from these; validate checks them)."""
    return _slide_layouts(chain, text, subtitle, safe_area(frame, margins), floor, None)


def _slide_layouts(
    chain: FontChain,
    text: str,
    subtitle: str | None,
    safe: pygame.Rect,
    floor: int,
    sizes: TextSizes | None,
    largest: int | None = None,
) -> tuple[TextLayout, TextLayout | None]:
    """Main text and subtitle laid out in ``safe``: at ``sizes`` when they fit there, else as
    large as fits (a slide set to a playlist's scale shrinks further only if it must), up to
    ``largest`` (default: a seventh of the frame's shorter side)."""
    # The largest a main text is set: a headline, not a wall. One short word must not fill
    # the screen edge to edge, and on a portrait screen the width decides.
    cap = max(floor, largest or round(min(safe.w / 0.84, safe.h / 0.84) / 7))
    if sizes is not None and sizes.main is not None:
        pair = _pair(chain, text, subtitle, sizes.main, sizes.subtitle, safe)
        if pair is not None:
            return pair
    if subtitle is None:
        return fit_text(chain, text, safe.w, safe.h, max_size=cap, min_size=floor, fewer_lines=True), None

    whole_words = words_matter(text)  # as in text.fit_text: a smaller size keeping words whole wins

    def attempt(size: int, most_lines: int | None = None) -> tuple[TextLayout, TextLayout | None] | None:
        if whole_words and widest_unit(chain, text, size) > safe.w:
            return None
        got = _pair(chain, text, subtitle, size, max(floor, math.floor(size * SUBTITLE_RATIO)), safe)
        return None if got is None or (most_lines is not None and len(got[0].lines) > most_lines) else got

    best = largest_size(floor, cap, attempt)
    if best is None:
        whole_words = False
        best = largest_size(floor, cap, attempt)
    if best is not None:
        return fewer_lines_size(best, lambda pair: (pair[0].size, len(pair[0].lines)), attempt, floor)
    # Even the floor overflows: share the height, cutting each short.
    main = fit_text(chain, text, safe.w, safe.h * 2 // 3, max_size=floor, min_size=floor)
    room = max(1, safe.h - main.height - _gap(floor))
    return main, fit_text(chain, subtitle, safe.w, room, max_size=floor, min_size=floor)


def _pair(
    chain: FontChain, text: str, subtitle: str | None, size: int, sub_size: int | None, safe: pygame.Rect
) -> tuple[TextLayout, TextLayout | None] | None:
    """Main text at ``size`` and subtitle at ``sub_size``, lines evened out, if both fit ``safe``."""
    main = build_layout(chain, text, balanced_lines(chain, text, size, safe.w), size, 1.15)
    sub = None
    if subtitle is not None:
        sub_size = sub_size or max(MIN_SIZE, math.floor(size * SUBTITLE_RATIO))
        sub = build_layout(chain, subtitle, balanced_lines(chain, subtitle, sub_size, safe.w), sub_size, 1.15)
    height = main.height + (_gap(size) + sub.height if sub else 0)
    width = max(main.width, sub.width if sub else 0)
    return (main, sub) if width <= safe.w and height <= safe.h else None


def draw_text_slide(
    surface: pygame.Surface,
    chain: FontChain,
    text: str,
    *,
    subtitle: str | None = None,
    color: Color,
    align: Align = "center",
    valign: VAlign = "middle",
    margins: tuple[float, float] = (0.08, 0.08),
    floor: int = MIN_SIZE,
    sizes: TextSizes | None = None,
    largest: int | None = None,
) -> Drawn:
    """Draw text as large as fits the safe area, with an optional smaller subtitle below it.

    ``sizes``: the playlist's type scale (see :func:`player.render.typescale.type_scale`);
    without it, as large as fits. margins are fractions of the width and height left empty
    on each side. ``largest``: the main text's largest size (a widget's zone caps it by the
    screen's size, not its own: a clock in a small zone is still set large).
    """
    safe = safe_area(surface.get_size(), margins)
    main, sub = _slide_layouts(chain, text, subtitle, safe, floor, sizes, largest)
    height = main.height + (_gap(main.size) + sub.height if sub else 0)
    top = align_span(valign, safe.top, safe.h, height)
    draw_layout(surface, main, chain, (safe.x, top, safe.w, main.height), color, align=align, valign="top")
    if sub is None:
        return Drawn(main.missing, main.cut)
    top += main.height + _gap(main.size)
    draw_layout(surface, sub, chain, (safe.x, top, safe.w, sub.height), color, align=align, valign="top")
    return Drawn(main.missing | sub.missing, main.cut or sub.cut)


def _gap(size: int) -> int:
    """Space between a main text set at ``size`` and its subtitle."""
    return round(size * 0.5)


TaglinePosition = Literal["top", "centre", "center", "bottom"]


def tagline_layout(
    chain: FontChain,
    text: str,
    frame: tuple[int, int],
    *,
    margins: tuple[float, float] = (0.08, 0.08),
    floor: int = MIN_SIZE,
    size: int | None = None,
) -> TextLayout:
    """A tagline's lines: at most two across the safe area's width, as large as fits up to
    ``size`` (the playlist's scale), never below ``floor``; then cut with "…"."""
    w, h = frame
    # min(w, h): on a portrait screen height/14 would make a band a third of the width tall.
    largest = max(floor, round(min(w, h) / 14))
    if size is not None:
        largest = max(floor, min(largest, size))
    width = safe_area(frame, margins).w
    return fit_text(
        chain, text, width, round(largest * 2.5), max_size=largest, min_size=floor, max_lines=2, fewer_lines=True
    )


def draw_tagline(
    surface: pygame.Surface,
    chain: FontChain,
    text: str,
    *,
    position: TaglinePosition = "bottom",
    color: Color = (255, 255, 255, 255),
    margins: tuple[float, float] = (0.08, 0.08),
    floor: int = MIN_SIZE,
    size: int | None = None,
) -> Drawn:
    """Draw text on a full-width translucent dark band, legible over a busy picture.

    The band reaches the frame's edge; the text keeps inside the safe area.
    """
    w, h = surface.get_size()
    lay = tagline_layout(chain, text, (w, h), margins=margins, floor=floor, size=size)
    safe = safe_area((w, h), margins)
    pad = max(2, round(lay.size * 0.4))
    # Size the band from size and line count, not from the ink, so "Hello" and "hello" at one
    # size get the same band.
    text_h = max(lay.height, (len(lay.lines) - 1) * lay.line_height + round(lay.size * 1.2))
    if position == "bottom":
        text_box = pygame.Rect(safe.x, min(h - pad, safe.bottom) - text_h, safe.w, text_h)
        band = pygame.Rect(0, text_box.top - pad, w, h - text_box.top + pad)
    elif position == "top":
        text_box = pygame.Rect(safe.x, max(pad, safe.top), safe.w, text_h)
        band = pygame.Rect(0, 0, w, text_box.bottom + pad)
    else:
        text_box = pygame.Rect(safe.x, (h - text_h) // 2, safe.w, text_h)
        band = text_box.inflate(0, 2 * pad)
        band.x, band.w = 0, w
    veil = pygame.Surface(band.size, pygame.SRCALPHA)
    veil.fill((0, 0, 0, 140))  # 55 % black, blended over the picture
    surface.blit(veil, band)
    shadow = (max(1, round(lay.size / 20)), (0, 0, 0, 170))
    draw_layout(surface, lay, chain, text_box, color, shadow=shadow)
    return Drawn(lay.missing, lay.cut)
