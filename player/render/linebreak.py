"""Where a line of text may end, by the rules of each script.

- UAX #14 (the Unicode line breaking algorithm, from ``uniseg``) gives every opportunity:
  spaces, hyphens, between ideographs, and never before a closing bracket or 。 (kinsoku).
- Japanese, Chinese and Thai have no spaces between words: BudouX (the phrase segmenter
  browsers use for the same job) says which of those opportunities fall between phrases,
  so "春のセール" stays whole and a lone 一 never ends a line.
- Korean is set with spaces between words and breaks only there (CSS ``word-break: keep-all``).
- A separator such as " · " or " | " is the best place of all.

Each opportunity has a strength; the wrapper uses the strongest that still fits, and breaks
between grapheme clusters only when one phrase is wider than the line. No pygame here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import budoux

SEPARATOR = 3  # after " · ", " | ", " — ": where a designer would break first
PHRASE = 2  # between words or phrases
INSIDE = 1  # inside a CJK phrase: allowed by UAX #14, used only when a phrase is too long

SEPARATORS = frozenset("·•|/–—")
_CACHE_SIZE = 256

# BudouX's models, by the language tag's first part and script subtag.
_PARSERS: dict[str, str] = {
    "ja": "load_default_japanese_parser",
    "zh": "load_default_simplified_chinese_parser",
    "zh-hans": "load_default_simplified_chinese_parser",
    "zh-hant": "load_default_traditional_chinese_parser",
    "zh-tw": "load_default_traditional_chinese_parser",
    "zh-hk": "load_default_traditional_chinese_parser",
    "th": "load_default_thai_parser",
}


def is_hangul(ch: str) -> bool:
    code = ord(ch)
    return 0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F


def is_kana(ch: str) -> bool:
    return 0x3040 <= ord(ch) <= 0x30FF or 0x31F0 <= ord(ch) <= 0x31FF


def is_han(ch: str) -> bool:
    code = ord(ch)
    return 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x3134F


def is_thai(ch: str) -> bool:
    return 0x0E00 <= ord(ch) <= 0x0E7F


def _phrased(ch: str) -> bool:
    """Whether ``ch`` belongs to a script BudouX segments (ideographs, kana, Thai, their punctuation)."""
    code = ord(ch)
    return is_han(ch) or is_kana(ch) or is_thai(ch) or 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF


def guess_language(text: str) -> str:
    """The language a text's script implies when nobody said: kana is Japanese, Hangul Korean,
    ideographs alone Chinese, Thai Thai; anything else "" (no CJK or Thai rules)."""
    if any(is_kana(ch) for ch in text):
        return "ja"
    if any(is_hangul(ch) for ch in text):
        return "ko"
    if any(is_han(ch) for ch in text):
        return "zh-Hans"
    return "th" if any(is_thai(ch) for ch in text) else ""


def parser_name(lang: str) -> str | None:
    """Which of BudouX's models segments ``lang`` (a BCP 47 tag), None for none."""
    tag = lang.casefold().replace("_", "-")
    parts = tag.split("-")
    return _PARSERS.get("-".join(parts[:2])) or _PARSERS.get(parts[0])


class LineBreaker:
    """Break opportunities of paragraphs, remembered: a fit tries many sizes on the same text."""

    def __init__(self) -> None:
        self._parsers: dict[str, budoux.Parser] = {}
        self._known: OrderedDict[tuple[str, str], dict[int, int]] = OrderedDict()

    def breaks(self, para: str, lang: str) -> dict[int, int]:
        """{i: strength} for every i where a line may end before ``para[i]`` (0 < i < len)."""
        key = (para, lang)
        if key not in self._known:
            self._known[key] = self._find(para, lang or guess_language(para))
            if len(self._known) > _CACHE_SIZE:
                self._known.popitem(last=False)
        self._known.move_to_end(key)
        return self._known[key]

    def graphemes(self, para: str) -> list[int]:
        """Grapheme cluster boundaries inside ``para``: a last-resort break never splits a
        character from its marks or an emoji sequence."""
        from uniseg.graphemecluster import grapheme_cluster_boundaries

        return [i for i in grapheme_cluster_boundaries(para) if 0 < i < len(para)]

    def _find(self, para: str, lang: str) -> dict[int, int]:
        from uniseg.linebreak import line_break_boundaries

        found: dict[int, int] = {}
        phrases = self._phrase_starts(para, lang)
        for i in line_break_boundaries(para):
            if not 0 < i < len(para):
                continue
            before, after = para[i - 1], para[i]
            if is_hangul(before) and is_hangul(after):
                continue  # keep-all: Korean words break at their spaces only
            if _starts_separator(para, i):
                continue  # " · " ends a line, never starts one
            if _inside_a_range(para, i):
                continue  # "07:00–22:00", "9–25": a range of numbers reads as one
            inside_thai = is_thai(before) and is_thai(after)
            if _phrased(before) and _phrased(after) and phrases is not None and (i not in phrases or inside_thai):
                found[i] = INSIDE
            else:
                found[i] = SEPARATOR if _after_separator(para, i) else PHRASE
        if phrases is not None:
            # Thai: UAX #14 leaves it to a dictionary. BudouX's Thai model cuts syllables
            # (ฤ|ดู, ใบ|ไม้), so between spaces its cuts are a last resort, and ๆ and ฯ,
            # which repeat or shorten the word before them, never start a line.
            for i in phrases:
                if 0 < i < len(para) and is_thai(para[i - 1]) and is_thai(para[i]) and para[i] not in "ๆฯ":
                    found.setdefault(i, INSIDE)
        return found

    def _phrase_starts(self, para: str, lang: str) -> set[int] | None:
        """Where BudouX's phrases of ``para`` start, or None when no model fits ``lang``."""
        phrased = "".join(ch for ch in para if _phrased(ch))
        if not phrased:
            return None
        # Japanese quoted in a Korean slide is still Japanese: without a model for the
        # language, the one its script implies.
        parse = self._parser(lang) or self._parser(guess_language(phrased))
        if parse is None:
            return None
        starts, at = set(), 0
        for phrase in parse(para):
            at += len(phrase)
            starts.add(at)
        return starts

    def _parser(self, lang: str) -> Callable[[str], list[str]] | None:
        name = parser_name(lang)
        if name is None:
            return None
        if name not in self._parsers:
            import budoux

            self._parsers[name] = getattr(budoux, name)()
        return self._parsers[name].parse


def _inside_a_range(para: str, i: int) -> bool:
    return i >= 2 and para[i - 1] in "-‐‑–—~〜" and para[i - 2].isdigit() and para[i].isdigit()


def _starts_separator(para: str, i: int) -> bool:
    return para[i] in SEPARATORS and para[i - 1].isspace() and (i + 1 == len(para) or para[i + 1].isspace())


def _after_separator(para: str, i: int) -> bool:
    """Whether the break before ``para[i]`` follows a spaced separator ("a · b", "a | b")."""
    left = para[:i].rstrip()
    return len(left) >= 2 and left[-1] in SEPARATORS and left[-2].isspace() and para[i - 1].isspace()
