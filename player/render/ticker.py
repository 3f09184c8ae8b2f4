"""A ticker's text, set once into a strip of tiles that the loop moves and never redraws.

The items and separators are set on one line at a size fitted to the zone's height, each item
by the type engine (:mod:`player.render.text`: any script, right-to-left shaped, emoji), and
cut into opaque tiles at most :data:`MAX_TILE` px wide (a Pi's GPU takes no wider texture).
The strip repeats: its ``period`` is its whole width, a trailing separator included. Where it
has scrolled at an instant is :func:`player.core.widgettime.ticker_offset`; which tiles show
where is :func:`ticker_layers`, plain arithmetic, so a frame costs a few blits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pygame

from player.core.layout import Ticker
from player.render.bidi import line_is_rtl
from player.render.text import MIN_SIZE, FontChain, TextLayout, balanced_lines, build_layout, draw_layout, measure

__all__ = ["MAX_TILE", "TYPE_SIZE", "TickerStrip", "draw_ticker", "ticker_layers"]

MAX_TILE = 2048  # px: the widest texture a Raspberry Pi's VideoCore takes
TYPE_SIZE = 0.62  # the type size, as a fraction of the zone's height
INK_ROOM = 0.9  # the tallest ink (Arabic marks, emoji) keeps inside this much of the height
_ONE_LINE = 1 << 30  # a width no line reaches: set each item whole


@dataclass(frozen=True)
class _Piece:
    """An item or a separator's visible part, at ``x`` along the strip."""

    x: int
    layout: TextLayout


@dataclass(frozen=True, eq=False)
class TickerStrip:
    """A ticker's text in tiles: ``tiles[i]`` starts ``starts[i]`` px along the strip.

    ``rightward``: the strip moves to the right (right-to-left text), and its items run from
    the right, so the first item still comes on screen first. ``missing``: characters no font
    draws (for ``signage validate``).
    """

    tiles: tuple[pygame.Surface, ...]
    starts: tuple[int, ...]
    period: int
    height: int
    size: int
    rightward: bool
    missing: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls, ticker: Ticker, zone: tuple[int, int], fonts: FontChain, items: Sequence[str] | None = None
    ) -> TickerStrip:
        """Set ``items`` (default: the ticker's own) for a zone of ``zone`` (width, height) px."""
        chain = fonts.speaking(ticker.lang)
        shown = [" ".join(item.split()) for item in (ticker.items if items is None else items)]
        shown = [item for item in shown if item]
        width, height = max(1, zone[0]), max(1, zone[1])
        rightward = ticker.direction == "right" or (ticker.direction == "auto" and line_is_rtl("".join(shown)))
        size = _fitted_size(chain, [*shown, ticker.separator.strip()], height)
        pieces, period = _pieces(chain, shown, ticker.separator, size, rightward)
        if not pieces:  # nothing to say (an empty feed): a strip of background
            period = min(width, MAX_TILE)
        baseline = _baseline([piece.layout for piece in pieces], height)
        starts = tuple(range(0, period, MAX_TILE))
        tiles = tuple(
            _tile(chain, pieces, (start, min(MAX_TILE, period - start)), height, baseline, ticker) for start in starts
        )
        missing = frozenset(ch for piece in pieces for ch in piece.layout.missing)
        return cls(tiles, starts, period, height, size, rightward, missing)


def _fitted_size(chain: FontChain, texts: Sequence[str], height: int) -> int:
    """:data:`TYPE_SIZE` of the height, smaller if some text's ink would not keep inside it."""
    size = max(MIN_SIZE, round(height * TYPE_SIZE))
    room = height * INK_ROOM
    for _ in range(4):  # ink scales with the size, so this settles in one or two steps
        tallest = max((_layout(chain, text, size).height for text in texts if text), default=0)
        if tallest <= room or size <= MIN_SIZE:
            break
        size = max(MIN_SIZE, min(size - 1, math.floor(size * room / tallest)))
    return size


def _layout(chain: FontChain, text: str, size: int) -> TextLayout:
    return build_layout(chain, text, balanced_lines(chain, text, size, _ONE_LINE), size, 1.0)


def _pieces(
    chain: FontChain, items: Sequence[str], separator: str, size: int, rightward: bool
) -> tuple[list[_Piece], int]:
    """Each item then a separator, placed along the strip; the strip's length.

    A separator's spaces are room, not text (the type engine trims a line's spaces).
    """
    if not items:
        return [], 0
    mark = separator.strip()
    before = measure(chain, separator[: len(separator) - len(separator.lstrip())], size)
    after = measure(chain, separator[len(separator.rstrip()) :], size) if mark else 0
    sep = _layout(chain, mark, size) if mark else None
    order: list[TextLayout | int] = []
    for item in items:
        order += [_layout(chain, item, size), before]
        if sep is not None:
            order += [sep, after]
    if rightward:  # read from the right: the first item is the strip's right end
        order.reverse()
    pieces: list[_Piece] = []
    x = 0
    for part in order:
        if isinstance(part, int):
            x += part
        else:
            pieces.append(_Piece(x, part))
            x += part.width
    return pieces, max(1, x)


def _baseline(layouts: Sequence[TextLayout], height: int) -> int:
    """One baseline for every piece, the ink of them all centred in the height."""
    if not layouts:
        return height // 2
    ascent = max(layout.ascent for layout in layouts)
    descent = max(layout.height - layout.ascent for layout in layouts)
    return (height - ascent - descent) // 2 + ascent


def _tile(
    chain: FontChain,
    pieces: Sequence[_Piece],
    span: tuple[int, int],
    height: int,
    baseline: int,
    ticker: Ticker,
) -> pygame.Surface:
    """The part of the strip from ``span[0]``, ``span[1]`` px wide: opaque, background filled."""
    start, width = span
    tile = pygame.Surface((width, height))
    tile.fill(ticker.background[:3])
    for piece in pieces:
        left = piece.x - start
        if left >= width or left + piece.layout.width <= 0:
            continue
        top = baseline - piece.layout.ascent
        rect = (left, top, piece.layout.width, piece.layout.height)
        draw_layout(tile, piece.layout, chain, rect, ticker.color, align="left", valign="top")
    return tile


def ticker_layers(strip: TickerStrip, zone_width: int, offset: int) -> tuple[tuple[int, int], ...]:
    """The tiles that show in a zone ``zone_width`` px wide at scroll ``offset``: (tile, x).

    Moving left, the zone's left edge shows the strip ``offset`` px along; moving right, the
    strip has moved ``offset`` px right. The strip repeats as often as the zone needs, so one
    tile may be listed at two places.
    """
    shift = offset % strip.period
    first = -shift if not strip.rightward else shift - strip.period
    layers: list[tuple[int, int]] = []
    for copy in range(first, zone_width, strip.period):
        for index, (start, tile) in enumerate(zip(strip.starts, strip.tiles, strict=True)):
            x = copy + start
            if x < zone_width and x + tile.get_width() > 0:
                layers.append((index, x))
    return tuple(layers)


def draw_ticker(target: pygame.Surface, strip: TickerStrip, offset: int) -> None:
    """Blit the strip at ``offset`` onto ``target``, the zone (for tests and headless renders)."""
    for index, x in ticker_layers(strip, target.get_width(), offset):
        target.blit(strip.tiles[index], (x, 0))
