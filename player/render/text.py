"""Text on slides: a font fallback chain, line breaking, autosizing and drawing.

Built on pygame.freetype: one ``Font`` per face serves every size, ``get_metrics`` reports a
missing glyph as ``None``, and ``.ttc`` collections open with ``font_index``.
"""

from __future__ import annotations

import itertools
import logging
import math
import shutil
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Literal, NamedTuple, TypeVar

import pygame
import pygame.freetype

from player.core.vocabulary import DEFAULT_FONTS

log = logging.getLogger(__name__)

ELLIPSIS = "…"
MIN_SIZE = 8
SUBTITLE_RATIO = 0.45  # largest subtitle size, as a fraction of the main text's

Color = tuple[int, int, int] | tuple[int, int, int, int]
Align = Literal["left", "center", "right"]
VAlign = Literal["top", "middle", "bottom"]
T = TypeVar("T")

_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc", ".pfa", ".pfb", ".woff", ".woff2")
_CJK_RANGES = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x9FFF),  # radicals, CJK symbols and punctuation, kana, compatibility jamo, Ext. A, Unified
    (0xA960, 0xA97F),  # Hangul Jamo Ext. A
    (0xAC00, 0xD7FF),  # Hangul syllables, Jamo Ext. B
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # halfwidth and fullwidth forms
    (0x1B000, 0x1B16F),  # kana supplement and extensions
    (0x20000, 0x3134F),  # CJK Ext. B to H
)
# Basic kinsoku shori: these may not start a line...
_NO_LINE_START = frozenset("、。，．！？：；」』）〉》】〕］｝〙〗〟’”・ーヽヾゝゞ々…‥,.!?:;)]}")
# ...and these may not end one.
_NO_LINE_END = frozenset("「『（〈《【〔［｛〘〖〝‘“([{")


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def _is_hangul(ch: str) -> bool:
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


class FontChain:
    """Ordered font faces; each character is drawn by the first face that has its glyph."""

    def __init__(self, faces: Sequence[pygame.freetype.Font]) -> None:
        if not faces:
            raise ValueError("a FontChain needs at least one face")
        self.faces: tuple[pygame.freetype.Font, ...] = tuple(faces)
        for face in self.faces:
            # render_to's dest is then the pen origin on the baseline, so runs drawn by
            # faces with different ascenders still share one baseline.
            face.origin = True
        self._face_for: dict[str, int | None] = {}

    @classmethod
    def resolve(
        cls, specs: Sequence[str] = DEFAULT_FONTS, located: Sequence[FontFile | None] | None = None
    ) -> FontChain:
        """Load fontconfig patterns or file paths ("x.ttc#1" picks a face), skipping absent ones.

        ``located``: what :func:`locate_fonts` found for ``specs``, when the caller looked them
        up ahead (while the window opens). pygame's bundled font always ends the chain, so it
        is never empty.
        """
        pygame.freetype.init()
        faces: list[pygame.freetype.Font] = []
        seen: set[tuple[str, int]] = set()
        for spec, found in zip(specs, locate_fonts(specs) if located is None else located, strict=True):
            if found is None or found in seen:
                continue
            try:
                faces.append(pygame.freetype.Font(found[0], font_index=found[1]))
            except OSError as exc:
                log.warning("font %r (%s#%d) cannot be loaded, skipped: %s", spec, *found, exc)
                continue
            seen.add(found)
        faces.append(pygame.freetype.Font(None))
        return cls(faces)

    def face_for(self, ch: str) -> int | None:
        """Index of the first face with a glyph for ``ch``, None if none has it.

        Whitespace is face 0 and never missing; only a space face 0 lacks (DejaVu has no U+3000,
        and would draw a box for it) goes to the first face that has it.
        """
        if ch not in self._face_for:
            has = (i for i, face in enumerate(self.faces) if face.get_metrics(ch, size=16)[0] is not None)
            found = next(has, None)
            self._face_for[ch] = (found or 0) if ch.isspace() else found
        return self._face_for[ch]


FontFile = tuple[str, int]  # a font file and the face in it


def locate_fonts(specs: Sequence[str]) -> list[FontFile | None]:
    """Where each font spec is installed (None: not), asking fontconfig for all at once.

    One ``fc-match`` process per pattern, run side by side: on the emulated console box each
    takes 0.4 s, and they stood in line before the first frame. No pygame here, so it may run
    on another thread while the window opens.
    """
    fc_match = shutil.which("fc-match")
    with ThreadPoolExecutor(max(1, len(specs))) as pool:
        return list(pool.map(lambda spec: _locate(spec, fc_match), specs))


def _locate(spec: str, fc_match: str | None) -> FontFile | None:
    """(file, face index) for a font spec, or None (logged) when it is not installed."""
    path, _, index = spec.partition("#")
    if "/" in path or path.lower().endswith(_FONT_SUFFIXES):
        if not Path(path).is_file():
            log.warning("font file %r not found, skipped", path)
            return None
        return path, int(index) if index.isdigit() else 0
    if fc_match is None:
        log.warning("fc-match not found, font pattern %r skipped", spec)
        return None
    command = [fc_match, "-f", "%{file}\t%{index}\t%{family}", spec]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("fc-match failed for %r, skipped: %s", spec, exc)
        return None
    file, index, families = [*out.split("\t", 2), "", ""][:3]
    offered = {f.strip().casefold() for f in families.split(",")}
    # fc-match always answers with *some* font; only the family we asked for will do.
    wanted = {f.strip().casefold() for f in spec.split(":")[0].split(",")} - {""}
    if not file or (wanted and not wanted & offered):
        log.warning("font %r not installed (fc-match offers %r), skipped", spec, families)
        return None
    return file, int(index) if index.isdigit() else 0


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


def _runs(chain: FontChain, text: str) -> list[tuple[int, str]]:
    """Split text into (face index, run) with one face per run; missing glyphs go to face 0."""
    return [(face, "".join(run)) for face, run in groupby(text, key=lambda ch: chain.face_for(ch) or 0)]


def _glyphs(chain: FontChain, text: str, size: int) -> list[_Glyph]:
    out: list[_Glyph] = []
    for index, run in _runs(chain, text):
        face = chain.faces[index]
        metrics: Sequence[tuple[int, int, int, int, float, float] | None] = face.get_metrics(run, size=size)
        for ch, m in zip(run, metrics, strict=False):
            if m is None:
                # No face has it: face 0 draws its .notdef box, so measure that box.
                r = face.get_rect(ch, size=size)
                out.append(_Glyph(index, float(r.right + max(r.x, 0)), r.x, r.right, r.y - r.h, r.y))
            else:
                out.append(_Glyph(index, m[4], _signed(m[0]), _signed(m[1]), _signed(m[2]), _signed(m[3])))
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


def _can_break(p: str, i: int) -> bool:
    """Whether a line may end before p[i] (spaces before it are dropped)."""
    a, b = p[i - 1], p[i]
    if b.isspace() or b in _NO_LINE_START:
        return False
    if a.isspace():
        before = p[:i].rstrip()
        return bool(before) and before[-1] not in _NO_LINE_END
    if _is_hangul(a) and _is_hangul(b):
        # Korean is set with spaces between words and breaks there (CSS `word-break: keep-all`);
        # a word too long for the line is still broken between characters by _wrap.
        return False
    return (_is_cjk(a) or _is_cjk(b)) and a not in _NO_LINE_END


def _align(how: str, start: int, room: int, size: int) -> int:
    """Where a span of ``size`` starts within ``room`` from ``start``: left/top, centre, right/bottom."""
    if how in ("left", "top"):
        return start
    return start + room - size if how in ("right", "bottom") else start + (room - size) // 2


def _wrap(chain: FontChain, text: str, size: int, max_width: int) -> list[tuple[str, list[_Glyph]]]:
    lines: list[tuple[str, list[_Glyph]]] = []
    # splitlines: "\r\n" files, and no blank last line from the newline a YAML "|" block ends with.
    for para in text.replace("\t", " ").splitlines() or [""]:
        glyphs = _glyphs(chain, para, size)
        start = len(para) - len(para.lstrip())
        if start == len(para):
            lines.append(("", []))
            continue
        breaks = [i for i in range(start + 1, len(para)) if _can_break(para, i)] + [len(para)]
        while start < len(para):
            end = None
            for c in (c for c in breaks if c > start):
                stop = len(para[:c].rstrip())
                if _box(glyphs[start:stop]).width > max_width:
                    break
                end = c
            if end is None:  # one word wider than the line: break it between characters
                nxt = len(para[: next(c for c in breaks if c > start)].rstrip())
                end = start + 1
                while end < nxt and _box(glyphs[start : end + 1]).width <= max_width:
                    end += 1
                while end - 1 > start and (para[end] in _NO_LINE_START or para[end - 1] in _NO_LINE_END):
                    end -= 1
            stop = len(para[:end].rstrip())
            lines.append((para[start:stop], glyphs[start:stop]))
            start = len(para) - len(para[end:].lstrip())
    return lines


def _balanced(chain: FontChain, text: str, size: int, max_width: int) -> list[tuple[str, list[_Glyph]]]:
    """Wrap into as few lines as at ``max_width``, but with lines of even length (no orphan
    word alone on the last line): the narrowest width that keeps the line count."""
    lines = _wrap(chain, text, size, max_width)
    if len(lines) < 2:
        return lines
    # Never narrower than the widest word, or balancing would break words apart.
    lo, hi = max(max_width // 2, _widest_unit(chain, text, size)), max_width
    while hi - lo > max(2, size // 8):
        mid = (lo + hi) // 2
        if len(_wrap(chain, text, size, mid)) == len(lines):
            hi = mid
        else:
            lo = mid
    return _wrap(chain, text, size, hi)


def _widest_unit(chain: FontChain, text: str, size: int) -> int:
    """Width of the widest run of text that has no break opportunity inside it."""
    widest = 0
    for para in text.replace("\t", " ").splitlines():
        glyphs = _glyphs(chain, para, size)
        cuts = [0, *(i for i in range(1, len(para)) if _can_break(para, i)), len(para)]
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


def _build(
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
    )


def _largest(lo: int, hi: int, attempt: Callable[[int], T | None]) -> T | None:
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
) -> TextLayout:
    """Lay out text at the largest pixel size whose wrapped lines fit box_w x box_h.

    If nothing fits, the layout at min_size keeps only the lines that fit the height (and
    max_lines), the last one ending in an ellipsis.
    """

    def attempt(size: int) -> TextLayout | None:
        lay = _build(chain, text, _wrap(chain, text, size, box_w), size, line_spacing)
        too_many = max_lines is not None and len(lay.lines) > max_lines
        return None if too_many or lay.width > box_w or lay.height > box_h else lay

    best = _largest(min_size, max(min_size, max_size), attempt)
    if best is not None:
        even = _build(chain, text, _balanced(chain, text, best.size, box_w), best.size, line_spacing)
        # Ink height depends on which glyphs end up on which line: keep `even` only if it fits.
        return even if even.width <= box_w and even.height <= box_h else best
    wrapped = _wrap(chain, text, min_size, box_w)
    keep = min(len(wrapped), max(1, max_lines or len(wrapped)))
    while keep > 1 and _build(chain, text, wrapped[:keep], min_size, line_spacing).height > box_h:
        keep -= 1
    if keep < len(wrapped):
        last = wrapped[keep - 1][0]
        for cut in range(len(last), -1, -1):
            shown = last[:cut].rstrip() + ELLIPSIS
            glyphs = _glyphs(chain, shown, min_size)
            if _box(glyphs).width <= box_w or cut == 0:
                break
        wrapped = [*wrapped[: keep - 1], (shown, glyphs)]
    return _build(chain, text, wrapped, min_size, line_spacing)


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
    top = _align(valign, area.top, area.height, layout.height)
    old_clip = surface.get_clip()
    # A layout forced down to min_size may still overflow; cropping beats painting over a neighbour.
    surface.set_clip(area.clip(old_clip))
    try:
        passes = [(shadow[0], shadow[1]), (0, color)] if shadow else [(0, color)]
        for offset, fg in passes:
            for i, (line, (width, lead)) in enumerate(zip(layout.lines, layout.line_boxes, strict=True)):
                pen = float(_align(align, area.left, area.width, width) + lead + offset)
                baseline = top + layout.ascent + i * layout.line_height + offset
                for index, run in _runs(chain, line):
                    face = chain.faces[index]
                    face.render_to(surface, (round(pen), baseline), run, fgcolor=fg, size=layout.size)
                    pen += sum(g.advance for g in _glyphs(chain, run, layout.size))
    finally:
        surface.set_clip(old_clip)


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
) -> frozenset[str]:
    """Draw text as large as fits the safe area, with an optional smaller subtitle below it.

    margins are fractions of the width and height left empty on each side. Returns the
    characters no face could draw.
    """
    w, h = surface.get_size()
    mx, my = round(w * margins[0]), round(h * margins[1])
    safe = pygame.Rect(mx, my, max(1, w - 2 * mx), max(1, h - 2 * my))
    cap = max(MIN_SIZE, h // 4)  # one short word must not fill the screen edge to edge
    if subtitle is None:
        main = fit_text(chain, text, safe.w, safe.h, max_size=cap)
        draw_layout(surface, main, chain, safe, color, align=align, valign=valign)
        return main.missing

    def attempt(size: int) -> tuple[TextLayout, TextLayout] | None:
        main = _build(chain, text, _wrap(chain, text, size, safe.w), size, 1.15)
        sub_size = max(MIN_SIZE, math.floor(size * SUBTITLE_RATIO))
        sub = _build(chain, subtitle, _wrap(chain, subtitle, sub_size, safe.w), sub_size, 1.15)
        fits = max(main.width, sub.width) <= safe.w and main.height + _gap(size) + sub.height <= safe.h
        return (main, sub) if fits else None

    pair = _largest(MIN_SIZE, cap, attempt)
    if pair is not None:
        main, sub = pair
        even = (
            _build(chain, text, _balanced(chain, text, main.size, safe.w), main.size, 1.15),
            _build(chain, subtitle, _balanced(chain, subtitle, sub.size, safe.w), sub.size, 1.15),
        )
        if even[0].height + _gap(main.size) + even[1].height <= safe.h:
            pair = even
    if pair is None:  # even the smallest size overflows: share the height, truncating each
        main = fit_text(chain, text, safe.w, safe.h * 2 // 3, max_size=MIN_SIZE)
        room = safe.h - main.height - _gap(MIN_SIZE)
        pair = main, fit_text(chain, subtitle, safe.w, room, max_size=MIN_SIZE)
    main, sub = pair
    top = _align(valign, safe.top, safe.h, main.height + _gap(main.size) + sub.height)
    draw_layout(surface, main, chain, (safe.x, top, safe.w, main.height), color, align=align, valign="top")
    top += main.height + _gap(main.size)
    draw_layout(surface, sub, chain, (safe.x, top, safe.w, sub.height), color, align=align, valign="top")
    return main.missing | sub.missing


def _gap(size: int) -> int:
    """Space between a main text set at ``size`` and its subtitle."""
    return round(size * 0.35)


def draw_tagline(
    surface: pygame.Surface,
    chain: FontChain,
    text: str,
    *,
    position: Literal["top", "centre", "center", "bottom"] = "bottom",
    color: Color = (255, 255, 255, 255),
) -> frozenset[str]:
    """Draw text on a full-width translucent dark band, legible over a busy picture.

    At most two lines, then an ellipsis. Returns the characters no face could draw.
    """
    w, h = surface.get_size()
    # min(w, h): on a portrait screen height/14 would make a band a third of the width tall.
    max_size = max(MIN_SIZE, round(min(w, h) / 14))
    pad_x = max(4, round(w * 0.04))
    lay = fit_text(chain, text, w - 2 * pad_x, round(max_size * 2.5), max_size=max_size, max_lines=2)
    pad_y = max(2, round(lay.size * 0.4))
    # Size the band from size and line count, not from the ink, so "Hello" and "hello" at one
    # size get the same band.
    nominal = (len(lay.lines) - 1) * lay.line_height + round(lay.size * 1.2)
    band_h = min(h, max(lay.height, nominal) + 2 * pad_y)
    band = pygame.Rect(0, _align(position, 0, h, band_h), w, band_h)
    veil = pygame.Surface(band.size, pygame.SRCALPHA)
    veil.fill((0, 0, 0, 140))  # 55 % black, blended over the picture
    surface.blit(veil, band)
    shadow = (max(1, round(lay.size / 20)), (0, 0, 0, 170))
    draw_layout(surface, lay, chain, band.inflate(-2 * pad_x, 0), color, shadow=shadow)
    return lay.missing
