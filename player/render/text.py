"""Setting text: measuring, line breaking, fitting a box, and drawing, for any script.

Fonts, and which face draws each character, are in :mod:`player.render.fonts`; where a line
may break is in :mod:`player.render.linebreak`; right-to-left order in :mod:`player.render.bidi`;
how a slide's title, subtitle and tagline are placed in :mod:`player.render.slidetext`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Literal, NamedTuple, TypeVar

import pygame
import pygame.freetype

from player.render.bidi import line_is_rtl, mirrored, visual_pieces
from player.render.fonts import FontChain, FontFile, Run, locate_fonts
from player.render.linebreak import INSIDE, PHRASE, SEPARATOR, SEPARATORS, is_thai

__all__ = [
    "ELLIPSIS",
    "MIN_SIZE",
    "FontChain",
    "FontFile",
    "TextLayout",
    "align_span",
    "balanced_lines",
    "build_layout",
    "draw_layout",
    "fewer_lines_size",
    "fit_text",
    "largest_size",
    "locate_fonts",
    "measure",
    "wrap",
]

ELLIPSIS = "…"
MIN_SIZE = 8
FEWER_LINES_SIZE = 0.85  # how far a text may shrink to take one line fewer

Color = tuple[int, int, int] | tuple[int, int, int, int]
Align = Literal["left", "center", "right"]
VAlign = Literal["top", "middle", "bottom"]
T = TypeVar("T")

# Kinsoku shori, for the last resort of breaking inside a word: these may not start a line...
_NO_LINE_START = frozenset("、。，．！？：；」』）〉》】〕］｝〙〗〟’”・ーヽヾゝゞ々…‥,.!?:;)]}")
# ...and these may not end one.
_NO_LINE_END = frozenset("「『（〈《【〔［｛〘〖〝‘“([{")


class _Glyph(NamedTuple):
    face: int
    advance: float
    left: int  # ink extent relative to the pen origin, x to the right, y up
    right: int
    bottom: int
    top: int


class _Box(NamedTuple):
    width: int  # the advance box joined with the ink box
    lead: int  # from the box's left edge to the pen origin
    top: int  # ink above the baseline
    bottom: int  # ink below the baseline, positive down
    inked: bool


def _signed(v: int) -> int:
    # pygame-ce 2.5.8's get_metrics reports negative min_y as unsigned 32-bit (-8 comes back
    # as 4294967288 for Noto's 한), which would otherwise blow up every height.
    return v - (1 << 32) if v >= 1 << 31 else v


def _glyphs(chain: FontChain, text: str, size: int) -> list[_Glyph]:
    """One glyph per character of ``text``, measured by the face that draws it."""
    out: list[_Glyph] = []
    for run in chain.runs(text):
        piece = text[run.start : run.stop]
        shaper = chain.shaper(run.face) if run.shaped else None
        if shaper is not None:
            out += _shaped_glyphs(chain, run, piece, size)
            continue
        face = chain.faces[run.face]
        if chain.is_bitmap(run.face):  # no shaper for it: nothing can draw it, measure a box
            out += [_Glyph(run.face, size * 0.6, 0, round(size * 0.6), 0, round(size * 0.7)) for _ in piece]
            continue
        metrics: Sequence[tuple[int, int, int, int, float, float] | None] = face.get_metrics(piece, size=size)
        for ch, m in zip(piece, metrics, strict=False):
            if m is None:
                # No face has it: face 0 draws its .notdef box, so measure that box.
                r = face.get_rect(ch, size=size)
                out.append(_Glyph(run.face, float(r.right + max(r.x, 0)), r.x, r.right, r.y - r.h, r.y))
            else:
                out.append(_Glyph(run.face, m[4], _signed(m[0]), _signed(m[1]), _signed(m[2]), _signed(m[3])))
    return out


def _shaped_glyphs(chain: FontChain, run: Run, piece: str, size: int) -> list[_Glyph]:
    """Glyphs of a run HarfBuzz shapes: each unit between break opportunities is shaped whole,
    and its width shared out over its characters, so a line's width is the sum of its units'."""
    shaper = chain.shaper(run.face)
    assert shaper is not None
    cuts = sorted({0, len(piece), *chain.breaker.breaks(piece, chain.lang)})
    out: list[_Glyph] = []
    for start, stop in itertools.pairwise(cuts):
        unit = piece[start:stop]
        width, top, bottom = shaper.measure(unit, size, run.script, line_is_rtl(unit))
        each = width / len(unit)
        out += [_Glyph(run.face, each, 0, math.ceil(each), bottom, top) for _ in unit]
    return out


def _box(glyphs: Sequence[_Glyph]) -> _Box:
    pen = left = right = 0.0
    top = bottom = 0
    inked = False
    for g in glyphs:
        if g.right > g.left:
            inked = True
            left, right = min(left, pen + g.left), max(right, pen + g.right)
            top, bottom = max(top, g.top), max(bottom, -g.bottom)
        pen += g.advance
    lead = -math.floor(left)
    return _Box(math.ceil(max(right, pen)) + lead, lead, top, bottom, inked)


def measure(chain: FontChain, text: str, size: int) -> int:
    """Width in pixels of ``text`` set on one line at ``size``, summed over its font runs."""
    return _box(_glyphs(chain, text, size)).width


def align_span(how: str, start: int, room: int, size: int) -> int:
    """Where a span of ``size`` starts within ``room`` from ``start``: left/top, centre, right/bottom."""
    if how in ("left", "top"):
        return start
    return start + room - size if how in ("right", "bottom") else start + (room - size) // 2


def _paragraphs(text: str) -> list[str]:
    # splitlines: "\r\n" files, and no blank last line from the newline a YAML "|" block ends with.
    return text.replace("\t", " ").splitlines() or [""]


def _wrap(chain: FontChain, text: str, size: int, max_width: int) -> list[tuple[str, list[_Glyph]]]:
    """Lines no wider than ``max_width``, each paragraph broken at its strongest opportunities.

    Breaking only at separators (" · ") wins when it takes no more lines than breaking at
    every word or phrase; a phrase wider than the line is broken inside, and a word with no
    opportunity at all between grapheme clusters, keeping kinsoku.
    """
    lines: list[tuple[str, list[_Glyph]]] = []
    for para in _paragraphs(text):
        if not para.strip():
            lines.append(("", []))
            continue
        glyphs = _glyphs(chain, para, size)
        breaks = chain.breaker.breaks(para, chain.lang)
        wrapped = _greedy(chain, para, glyphs, breaks, PHRASE, max_width)
        if SEPARATOR in breaks.values():
            at_separators = _greedy(chain, para, glyphs, breaks, SEPARATOR, max_width)
            if len(at_separators) <= len(wrapped):
                wrapped = at_separators
        lines += wrapped
    return lines


def _greedy(
    chain: FontChain, para: str, glyphs: list[_Glyph], breaks: dict[int, int], level: int, max_width: int
) -> list[tuple[str, list[_Glyph]]]:
    """Fill each line as far as it goes with breaks of at least ``level``, then weaker ones."""
    lines: list[tuple[str, list[_Glyph]]] = []
    start = len(para) - len(para.lstrip())
    while start < len(para):
        end = None
        for strength in range(level, INSIDE - 1, -1):
            end = _furthest(para, glyphs, start, [i for i, s in breaks.items() if s >= strength], max_width)
            if end is not None:
                break
        if end is None:  # nothing fits: break between grapheme clusters
            end = _furthest(para, glyphs, start, _kinsoku(para, chain.breaker.graphemes(para)), max_width)
        if end is None:  # not even one cluster fits: it goes on a line of its own
            end = next((i for i in chain.breaker.graphemes(para) if i > start), len(para))
        stop = len(para[:end].rstrip())
        lines.append((para[start:stop], glyphs[start:stop]))
        start = len(para) - len(para[end:].lstrip())
    return lines


def _furthest(para: str, glyphs: list[_Glyph], start: int, cuts: list[int], max_width: int) -> int | None:
    """The last cut after ``start`` whose line fits (the paragraph's end counts as a cut)."""
    best = None
    for cut in sorted({*cuts, len(para)}):
        if cut <= start:
            continue
        stop = len(para[:cut].rstrip())
        if _box(glyphs[start:stop]).width > max_width:
            break
        best = cut
    return best


def _kinsoku(para: str, cuts: list[int]) -> list[int]:
    return [i for i in cuts if para[i] not in _NO_LINE_START and para[i - 1] not in _NO_LINE_END]


def balanced_lines(chain: FontChain, text: str, size: int, max_width: int) -> list[tuple[str, list[_Glyph]]]:
    """Wrap into as few lines as at ``max_width``, but with lines of even length (no orphan
    word alone on the last line): the narrowest width that keeps the line count."""
    lines = _wrap(chain, text, size, max_width)
    if len(lines) < 2 or all(line[-1:] in SEPARATORS for line, _ in lines[:-1]):
        return lines  # one line, or broken at its separators: as a designer would break it
    # Never narrower than the widest word, or balancing would break words apart.
    lo, hi = max(max_width // 2, widest_unit(chain, text, size)), max_width
    while hi - lo > max(2, size // 8):
        mid = (lo + hi) // 2
        if len(_wrap(chain, text, size, mid)) == len(lines):
            hi = mid
        else:
            lo = mid
    return _wrap(chain, text, size, hi)


def words_matter(text: str) -> bool:
    """Whether a size that keeps every word whole should win over a larger one.

    Not for Thai: it has no spaces between words, so a line of Thai breaks between them (at
    BudouX's cuts) as a matter of course, and keeping a whole sentence on one line would
    shrink it to nothing.
    """
    return not any(is_thai(ch) for ch in text)


def widest_unit(chain: FontChain, text: str, size: int) -> int:
    """Width of the widest run of text with no break opportunity between words or phrases."""
    widest = 0
    for para in _paragraphs(text):
        glyphs = _glyphs(chain, para, size)
        breaks = chain.breaker.breaks(para, chain.lang)
        cuts = [0, *sorted(i for i, s in breaks.items() if s >= PHRASE), len(para)]
        for a, b in itertools.pairwise(cuts):
            start = a + len(para[a:b]) - len(para[a:b].lstrip())
            stop = len(para[:b].rstrip())
            if stop > start:
                widest = max(widest, _box(glyphs[start:stop]).width)
    return widest


def wrap(chain: FontChain, text: str, size: int, max_width: int) -> list[str]:
    """Break text into lines no wider than max_width: Latin at spaces, CJK between characters."""
    return [line for line, _ in _wrap(chain, text, size, max_width)]


@dataclass(frozen=True)
class TextLayout:
    """Lines set at one size; ``height`` and ``ascent`` (top to first baseline) follow the ink."""

    size: int
    lines: tuple[str, ...]
    line_height: int
    width: int
    height: int
    missing: frozenset[str]
    ascent: int
    line_boxes: tuple[tuple[int, int], ...]  # (width, lead) of each line
    cut: bool = False  # the text did not fit at the smallest size allowed: lines dropped, "…"
    rtl: bool = False  # the text runs right to left (its first letter is Arabic or Hebrew)


def build_layout(
    chain: FontChain, text: str, wrapped: Sequence[tuple[str, list[_Glyph]]], size: int, spacing: float
) -> TextLayout:
    lh = max(1, round(size * spacing))
    boxes = [_box(g) for _, g in wrapped] or [_box([])]
    # A blank line has no ink, so it takes a nominal ascent and descent and still spaces text.
    tops = [(b.top if b.inked else round(size * 0.75)) - i * lh for i, b in enumerate(boxes)]
    bottoms = [(b.bottom if b.inked else round(size * 0.2)) + i * lh for i, b in enumerate(boxes)]
    ascent = max(tops)
    return TextLayout(
        size=size,
        lines=tuple(line for line, _ in wrapped) or ("",),
        line_height=lh,
        width=max(b.width for b in boxes),
        height=ascent + max(bottoms),
        missing=frozenset(ch for ch in text if chain.face_for(ch) is None),
        ascent=ascent,
        line_boxes=tuple((b.width, b.lead) for b in boxes),
        rtl=line_is_rtl(text),
    )


def largest_size(lo: int, hi: int, attempt: Callable[[int], T | None]) -> T | None:
    """Binary search for the largest size in [lo, hi] whose attempt succeeds (bigger fits less)."""
    best: T | None = None
    while lo <= hi:
        mid = (lo + hi) // 2
        got = attempt(mid)
        if got is None:
            hi = mid - 1
        else:
            best, lo = got, mid + 1
    return best


def fewer_lines_size(
    best: T, size_lines: Callable[[T], tuple[int, int]], attempt: Callable[[int, int], T | None], floor: int
) -> T:
    """A slightly smaller size that takes fewer lines, while there is one: ``attempt(size, n)``
    sets at ``size`` with at most ``n`` lines, None if that does not fit."""
    size, lines = size_lines(best)
    while lines > 1:
        fewer = largest_size(
            max(floor, math.ceil(size * FEWER_LINES_SIZE)), size - 1, partial(_with_lines, attempt, lines - 1)
        )
        if fewer is None:
            break
        best = fewer
        size, lines = size_lines(best)
    return best


def _with_lines(attempt: Callable[[int, int], T | None], most: int, size: int) -> T | None:
    return attempt(size, most)


def fit_text(
    chain: FontChain,
    text: str,
    box_w: int,
    box_h: int,
    *,
    max_size: int,
    min_size: int = MIN_SIZE,
    line_spacing: float = 1.15,
    max_lines: int | None = None,
    fewer_lines: bool = False,
) -> TextLayout:
    """Lay out text at the largest pixel size whose wrapped lines fit box_w x box_h.

    ``fewer_lines``: a slightly smaller size (down to :data:`FEWER_LINES_SIZE` of it) that
    sets the text on fewer lines wins ("Spring sale" on one line, not two). If nothing fits,
    the layout at min_size keeps only the lines that fit the height (and max_lines), the
    last one ending in an ellipsis, and is marked ``cut``.

    A size at which every word (every phrase, in Korean, Japanese or Chinese) keeps whole on its
    line wins over a larger one that would break a word apart ("개막까/지" in a narrow zone);
    a word is broken only when no size down to ``min_size`` keeps it whole.
    """
    whole_words = words_matter(text)

    def attempt(size: int, most_lines: int | None = max_lines) -> TextLayout | None:
        if whole_words and widest_unit(chain, text, size) > box_w:
            return None
        lay = build_layout(chain, text, _wrap(chain, text, size, box_w), size, line_spacing)
        too_many = most_lines is not None and len(lay.lines) > most_lines
        return None if too_many or lay.width > box_w or lay.height > box_h else lay

    best = largest_size(min_size, max(min_size, max_size), attempt)
    if best is None:
        whole_words = False  # no size keeps every word whole: break inside, as large as fits
        best = largest_size(min_size, max(min_size, max_size), attempt)
    if best is None:
        return _cut_to_fit(chain, text, box_w, box_h, min_size, line_spacing, max_lines)
    if fewer_lines:
        best = fewer_lines_size(best, lambda lay: (lay.size, len(lay.lines)), attempt, min_size)
    even = build_layout(chain, text, balanced_lines(chain, text, best.size, box_w), best.size, line_spacing)
    # Ink height depends on which glyphs end up on which line: keep `even` only if it fits.
    return even if even.width <= box_w and even.height <= box_h else best


def _cut_to_fit(
    chain: FontChain, text: str, box_w: int, box_h: int, size: int, line_spacing: float, max_lines: int | None
) -> TextLayout:
    """The lines at ``size`` that fit, the last cut short with an ellipsis."""
    wrapped = _wrap(chain, text, size, box_w)
    keep = min(len(wrapped), max(1, max_lines or len(wrapped)))
    while keep > 1 and build_layout(chain, text, wrapped[:keep], size, line_spacing).height > box_h:
        keep -= 1
    if keep < len(wrapped):
        last = wrapped[keep - 1][0]
        for cut in range(len(last), -1, -1):
            shown = last[:cut].rstrip() + ELLIPSIS
            glyphs = _glyphs(chain, shown, size)
            if _box(glyphs).width <= box_w or cut == 0:
                break
        wrapped = [*wrapped[: keep - 1], (shown, glyphs)]
    layout = build_layout(chain, text, wrapped, size, line_spacing)
    return replace(layout, cut=True)


def draw_layout(
    surface: pygame.Surface,
    layout: TextLayout,
    chain: FontChain,
    rect: pygame.Rect | tuple[int, int, int, int],
    color: Color,
    *,
    align: Align = "center",
    valign: VAlign = "middle",
    shadow: tuple[int, Color] | None = None,
) -> None:
    """Draw a layout aligned inside rect (and clipped to it), each run with its own face."""
    area = pygame.Rect(rect)
    top = align_span(valign, area.top, area.height, layout.height)
    old_clip = surface.get_clip()
    # A layout forced down to min_size may still overflow; cropping beats painting over a neighbour.
    surface.set_clip(area.clip(old_clip))
    try:
        passes = [(shadow[0], shadow[1], True), (0, color, False)] if shadow else [(0, color, False)]
        for offset, fg, is_shadow in passes:
            for i, (line, (width, lead)) in enumerate(zip(layout.lines, layout.line_boxes, strict=True)):
                pen = float(align_span(align, area.left, area.width, width) + lead + offset)
                baseline = top + layout.ascent + i * layout.line_height + offset
                _draw_line(surface, chain, line, layout, (pen, baseline), fg, is_shadow)
    finally:
        surface.set_clip(old_clip)


def _draw_line(
    surface: pygame.Surface,
    chain: FontChain,
    line: str,
    layout: TextLayout,
    origin: tuple[float, int],
    color: Color,
    is_shadow: bool,
) -> None:
    """One line from its pen origin: its pieces in visual order, each run with its face.

    A right-to-left piece lists its runs from the right; HarfBuzz shapes a shaped run in its
    direction, and a run drawn unshaped (spaces, brackets) is reversed and mirrored here.
    """
    pen, baseline = origin
    size = layout.size
    glyphs = _glyphs(chain, line, size)
    for piece in visual_pieces(line, layout.rtl):
        runs = chain.runs(line[piece.start : piece.stop])
        for run in reversed(runs) if piece.rtl else runs:
            start, stop = piece.start + run.start, piece.start + run.stop
            text = line[start:stop]
            shaper = chain.shaper(run.face) if run.shaped else None
            if shaper is not None:
                if not (is_shadow and chain.is_bitmap(run.face)):  # a colour emoji casts no shadow
                    picture, ascent = shaper.render(text, size, run.script, piece.rtl, color)
                    surface.blit(picture, (round(pen), baseline - ascent))
            elif not chain.is_bitmap(run.face):
                shown = mirrored(text[::-1]) if piece.rtl else text
                chain.faces[run.face].render_to(surface, (round(pen), baseline), shown, fgcolor=color, size=size)
            pen += sum(g.advance for g in glyphs[start:stop])
