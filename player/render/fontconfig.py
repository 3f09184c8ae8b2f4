"""Asking fontconfig where fonts are, in this process: what ``fc-match`` answers, without its start.

Each ``fc-match`` process loads fontconfig's cache before it answers, 0.4 s on the emulated
console box; the default font list has ten patterns. Through libfontconfig the cache is
loaded once and every pattern is matched in microseconds. No pygame here.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import NamedTuple

_MATCH = 0  # FcResultMatch
_MATCH_PATTERN = 0  # FcMatchPattern
_LIBRARY = "libfontconfig.so.1"


class Matched(NamedTuple):
    file: str
    face: int  # the face's index in its file (a .ttc holds several)
    families: tuple[str, ...]  # every family name of the face, as fc-match's %{family} lists them


def match_all(patterns: Sequence[str]) -> list[Matched | None]:
    """fontconfig's best face for each pattern ("Noto Sans:bold"); None where it has none.

    Raises OSError when libfontconfig cannot be loaded (the caller falls back to fc-match).
    """
    fc = ctypes.CDLL(_LIBRARY)
    _declare(fc)
    config = fc.FcInitLoadConfigAndFonts()
    if not config:
        raise OSError("fontconfig could not load its configuration")
    try:
        return [_match(fc, config, pattern) for pattern in patterns]
    finally:
        fc.FcConfigDestroy(config)


def _declare(fc: ctypes.CDLL) -> None:
    """The C signatures used (fontconfig.h): pointers must not be truncated to int."""
    p, c_int = ctypes.c_void_p, ctypes.c_int
    fc.FcInitLoadConfigAndFonts.restype = p
    fc.FcConfigDestroy.argtypes = [p]
    fc.FcNameParse.restype = p
    fc.FcNameParse.argtypes = [ctypes.c_char_p]
    fc.FcConfigSubstitute.argtypes = [p, p, c_int]
    fc.FcDefaultSubstitute.argtypes = [p]
    fc.FcFontMatch.restype = p
    fc.FcFontMatch.argtypes = [p, p, ctypes.POINTER(c_int)]
    fc.FcPatternGetString.argtypes = [p, ctypes.c_char_p, c_int, ctypes.POINTER(ctypes.c_char_p)]
    fc.FcPatternGetInteger.argtypes = [p, ctypes.c_char_p, c_int, ctypes.POINTER(c_int)]
    fc.FcPatternDestroy.argtypes = [p]


def _match(fc: ctypes.CDLL, config: int, pattern: str) -> Matched | None:
    wanted = fc.FcNameParse(pattern.encode())
    if not wanted:
        return None
    try:
        fc.FcConfigSubstitute(config, wanted, _MATCH_PATTERN)
        fc.FcDefaultSubstitute(wanted)
        result = ctypes.c_int(0)
        found = fc.FcFontMatch(config, wanted, ctypes.byref(result))
    finally:
        fc.FcPatternDestroy(wanted)
    if not found:
        return None
    try:
        file = _string(fc, found, b"file", 0)
        index = ctypes.c_int(0)
        fc.FcPatternGetInteger(found, b"index", 0, ctypes.byref(index))
        families: list[str] = []
        while (family := _string(fc, found, b"family", len(families))) is not None:
            families.append(family)
        return Matched(file, index.value, tuple(families)) if file else None
    finally:
        fc.FcPatternDestroy(found)


def _string(fc: ctypes.CDLL, pattern: int, name: bytes, n: int) -> str | None:
    value = ctypes.c_char_p()
    if fc.FcPatternGetString(pattern, name, n, ctypes.byref(value)) != _MATCH or value.value is None:
        return None
    return value.value.decode("utf-8", "replace")
