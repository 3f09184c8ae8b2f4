"""Right-to-left text on a line: which pieces run which way, and in what order they are drawn.

Arabic and Hebrew run right to left, but the digits and Latin words inside them run left to
right. This is the part of the Unicode bidirectional algorithm (UAX #9) a slide needs, for
lines of plain text without explicit embeddings: characters take their direction from
Unicode's bidi classes, neutrals (spaces, punctuation) that of the text on both sides or
else the line's, and the line's pieces are drawn in visual order. Each piece is then shaped
by HarfBuzz in its own direction. python-bidi was not taken: it returns a reordered string,
and a string reordered before shaping can no longer be joined.
"""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

_RTL_CLASSES = frozenset({"R", "AL"})
_LTR_CLASSES = frozenset({"L", "EN", "AN"})  # numbers read left to right inside RTL text
_MIRRORED = str.maketrans("()[]{}<>«»‹›", ")(][}{><»«›‹")


class Piece(NamedTuple):
    start: int  # index into the line, logical order
    stop: int
    rtl: bool


def _strong(ch: str) -> bool | None:
    """True for a right-to-left letter, False for left-to-right (or a digit), None for a neutral."""
    cls = unicodedata.bidirectional(ch)
    if cls in _RTL_CLASSES:
        return True
    return False if cls in _LTR_CLASSES else None


def line_is_rtl(line: str) -> bool:
    """A line runs right to left when its first letter does (UAX #9, rules P2 and P3)."""
    for ch in line:
        cls = unicodedata.bidirectional(ch)
        if cls in _RTL_CLASSES:
            return True
        if cls == "L":
            return False
    return False


def visual_pieces(line: str, rtl: bool | None = None) -> list[Piece]:
    """The line's pieces of one direction, in the order they are drawn from left to right.

    ``rtl``: the paragraph's direction (its first letter's: a line of a Korean paragraph that
    starts with an Arabic word still runs left to right); None takes the line's own.
    """
    if not line:
        return []
    base = line_is_rtl(line) if rtl is None else rtl
    known = [_strong(ch) for ch in line]
    resolved: list[bool] = []
    for i, direction in enumerate(known):
        if direction is None:
            before = next((d for d in reversed(known[:i]) if d is not None), base)
            after = next((d for d in known[i + 1 :] if d is not None), base)
            direction = before if before == after else base
        resolved.append(direction)
    pieces: list[Piece] = []
    start = 0
    for i in range(1, len(line) + 1):
        if i == len(line) or resolved[i] != resolved[start]:
            pieces.append(Piece(start, i, resolved[start]))
            start = i
    return pieces[::-1] if base else pieces


def mirrored(text: str) -> str:
    """Brackets and guillemets as a right-to-left piece shows them: "(" opens on the right."""
    return text.translate(_MIRRORED)
