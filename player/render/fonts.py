"""Fonts for slides: a chain of faces, which face draws each character, and shaping.

Most text is drawn with pygame.freetype: one ``Font`` per face serves every size,
``get_metrics`` reports a missing glyph as ``None``, and ``.ttc`` collections open with
``font_index``. Scripts whose letters change shape with their neighbours (Arabic, Hebrew
marks, Thai, the Indic scripts) and colour emoji are drawn through SDL_ttf instead, which
shapes with HarfBuzz in the run's script and direction.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pygame
import pygame.freetype

from player.core.vocabulary import DEFAULT_FONTS
from player.render.fontconfig import Matched, match_all
from player.render.linebreak import LineBreaker

log = logging.getLogger(__name__)

FontFile = tuple[str, int]  # a font file and the face in it

_MEASURED = 4096  # shaped words remembered per face

_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc", ".pfa", ".pfb", ".woff", ".woff2")

# Scripts HarfBuzz must shape (ISO 15924 codes, as SDL_ttf takes them), by code point range.
_SHAPED_SCRIPTS = (
    (0x0590, 0x05FF, "Hebr"),
    (0x0600, 0x06FF, "Arab"),
    (0x0700, 0x074F, "Syrc"),
    (0x0750, 0x077F, "Arab"),
    (0x0780, 0x07BF, "Thaa"),
    (0x0860, 0x08FF, "Arab"),
    (0x0900, 0x097F, "Deva"),
    (0x0980, 0x09FF, "Beng"),
    (0x0A00, 0x0A7F, "Guru"),
    (0x0A80, 0x0AFF, "Gujr"),
    (0x0B00, 0x0B7F, "Orya"),
    (0x0B80, 0x0BFF, "Taml"),
    (0x0C00, 0x0C7F, "Telu"),
    (0x0C80, 0x0CFF, "Knda"),
    (0x0D00, 0x0D7F, "Mlym"),
    (0x0D80, 0x0DFF, "Sinh"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x0E80, 0x0EFF, "Laoo"),
    (0x0F00, 0x0FFF, "Tibt"),
    (0x1000, 0x109F, "Mymr"),
    (0x1780, 0x17FF, "Khmr"),
    (0xFB1D, 0xFB4F, "Hebr"),
    (0xFB50, 0xFDFF, "Arab"),
    (0xFE70, 0xFEFF, "Arab"),
)
# CJK faces by the language whose glyph forms they draw (Noto's family names).
_CJK_LANGS = {"CJK JP": "ja", "CJK KR": "ko", "CJK SC": "zh-hans", "CJK TC": "zh-hant", "CJK HK": "zh-hk"}


def script_of(ch: str) -> str | None:
    """The script code of a character HarfBuzz must shape, None for the others."""
    code = ord(ch)
    return next((script for lo, hi, script in _SHAPED_SCRIPTS if lo <= code <= hi), None)


def _is_emoji(ch: str) -> bool:
    code = ord(ch)
    return 0x1F000 <= code <= 0x1FAFF or 0x1F1E6 <= code <= 0x1F1FF


def _joins_previous(ch: str) -> bool:
    """Marks, joiners, variation selectors and skin tones belong to the character before them."""
    code = ord(ch)
    return unicodedata.category(ch) in ("Mn", "Me", "Cf") or 0xFE00 <= code <= 0xFE0F or 0x1F3FB <= code <= 0x1F3FF


def _latin(ch: str) -> bool:
    """Characters the first face (the Latin one) is asked for first: Latin, Greek, Cyrillic,
    punctuation and symbols, not the scripts other faces are in the chain for."""
    code = ord(ch)
    return code < 0x0590 or 0x1D00 <= code <= 0x2BFF


def cjk_form(lang: str) -> str:
    """Which CJK glyph forms a BCP 47 tag asks for: "ja", "ko", "zh-hans", "zh-hant", "zh-hk",
    or "" for a language outside them."""
    parts = lang.casefold().replace("_", "-").split("-")
    if parts[0] in ("ja", "ko"):
        return parts[0]
    if parts[0] != "zh":
        return ""
    if "hk" in parts:
        return "zh-hk"
    return "zh-hant" if {"hant", "tw", "mo"} & set(parts) else "zh-hans"


def _face_lang(face: pygame.freetype.Font) -> str:
    name = face.name or ""
    return next((lang for key, lang in _CJK_LANGS.items() if key in name), "")


class Shaper:
    """One face opened through SDL_ttf, sized on demand: shapes runs with HarfBuzz."""

    def __init__(self, path: str, bitmap_ppem: int | None) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        # A colour bitmap face (emoji) has one size: draw at it and scale the picture.
        self.ppem = bitmap_ppem
        self.font = pygame.font.Font(path, bitmap_ppem or 16)
        self._size = bitmap_ppem or 16
        # A fit measures the same words at many sizes, and a frame draws them again.
        self._measured: OrderedDict[tuple[str, int, str | None, bool], tuple[float, int, int]] = OrderedDict()

    def _at(self, size: int, script: str | None, rtl: bool) -> float:
        """Set the size, script and direction; the scale of what is drawn at that size."""
        if self.ppem is None and size != self._size:
            self.font.point_size = size
            self._size = size
        self.font.set_script(script or "Zyyy")
        self.font.set_direction(pygame.DIRECTION_RTL if rtl else pygame.DIRECTION_LTR)
        return size / self.ppem if self.ppem else 1.0

    def measure(self, run: str, size: int, script: str | None, rtl: bool) -> tuple[float, int, int]:
        """Advance width of the shaped run, and its ink top and bottom (y up) from the baseline."""
        key = (run, size, script, rtl)
        if key not in self._measured:
            self._measured[key] = self._measure(run, size, script, rtl)
            if len(self._measured) > _MEASURED:
                self._measured.popitem(last=False)
        return self._measured[key]

    def _measure(self, run: str, size: int, script: str | None, rtl: bool) -> tuple[float, int, int]:
        scale = self._at(size, script, rtl)
        width = self.font.size(run)[0] * scale
        boxes = [m for m in self.font.metrics(run) if m is not None and m[1] > m[0]]
        top = max((m[3] for m in boxes), default=self.font.get_ascent())
        bottom = min((m[2] for m in boxes), default=self.font.get_descent())
        return width, round(top * scale), round(bottom * scale)

    def render(
        self, run: str, size: int, script: str | None, rtl: bool, color: tuple[int, ...]
    ) -> tuple[pygame.Surface, int]:
        """The shaped run drawn in ``color``, and how far its top is above the baseline."""
        scale = self._at(size, script, rtl)
        picture = self.font.render(run, True, color[:3])
        if len(color) > 3 and color[3] < 255:
            picture.set_alpha(color[3])
        ascent = self.font.get_ascent()
        if scale != 1.0:
            w, h = picture.get_size()
            picture = pygame.transform.smoothscale(picture, (max(1, round(w * scale)), max(1, round(h * scale))))
        return picture, round(ascent * scale)


class FontChain:
    """Ordered font faces; each character is drawn by the first face that has its glyph.

    Characters of Latin, Greek, Cyrillic and common punctuation ask the first face first;
    others (CJK, Arabic, Thai, emoji) ask the faces after it first, so a Latin face that also
    has some Arabic does not draw it unjoined. ``speaking(lang)`` gives the chain whose CJK
    face draws that language's glyph forms (Japanese 直 is not Chinese 直).
    """

    def __init__(
        self,
        faces: Sequence[pygame.freetype.Font],
        *,
        indices: Sequence[int] = (),
        lang: str = "",
        breaker: LineBreaker | None = None,
        _shapers: dict[int, Shaper | None] | None = None,
    ) -> None:
        if not faces:
            raise ValueError("a FontChain needs at least one face")
        self.faces: tuple[pygame.freetype.Font, ...] = tuple(faces)
        # Each face's place in its file (a .ttc holds several); pygame.freetype does not say.
        self.indices: tuple[int, ...] = tuple(indices) or (0,) * len(self.faces)
        self.lang = lang
        self.breaker = breaker or LineBreaker()
        for face in self.faces:
            # render_to's dest is then the pen origin on the baseline, so runs drawn by
            # faces with different ascenders still share one baseline.
            face.origin = True
        self._bitmap = {i: _bitmap_ppem(face) for i, face in enumerate(self.faces)}
        self._shapers: dict[int, Shaper | None] = {} if _shapers is None else _shapers
        self._face_for: dict[str, int | None] = {}
        self._languages: dict[str, FontChain] = {lang: self}
        # The order faces are asked in for a non-Latin character: this language's CJK face first
        # (Hong Kong's forms, if absent, are nearest Taiwan's; then any Chinese face).
        wanted = cjk_form(lang)
        others = range(1, len(self.faces))
        forms = [_face_lang(self.faces[i]) for i in others]
        for choice in (wanted, "zh-hant" if wanted == "zh-hk" else wanted, "zh" if wanted else ""):
            if choice and any(form.startswith(choice) for form in forms):
                self._order = sorted(others, key=lambda i: not _face_lang(self.faces[i]).startswith(choice))
                break
        else:
            self._order = list(others)

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
        indices: list[int] = []
        seen: set[tuple[str, int]] = set()
        for spec, found in zip(specs, locate_fonts(specs) if located is None else located, strict=True):
            if found is None or found in seen:
                continue
            try:
                faces.append(pygame.freetype.Font(found[0], font_index=found[1]))
                indices.append(found[1])
            except OSError as exc:
                log.warning("font %r (%s#%d) cannot be loaded, skipped: %s", spec, *found, exc)
                continue
            seen.add(found)
        faces.append(pygame.freetype.Font(None))
        return cls(faces, indices=[*indices, 0])

    def speaking(self, lang: str) -> FontChain:
        """This chain for text in ``lang`` (a BCP 47 tag such as "ja", "zh-Hant"; "" for none)."""
        key = lang.casefold()
        if key not in self._languages:
            other = FontChain(self.faces, indices=self.indices, lang=key, breaker=self.breaker, _shapers=self._shapers)
            other._languages = self._languages
            self._languages[key] = other
        return self._languages[key]

    def draws_language(self, lang: str) -> bool:
        """Whether a face draws ``lang``'s own glyph forms, for the languages whose forms differ
        within one script (Japanese, Korean, Chinese ideographs); True for the others."""
        wanted = cjk_form(lang)
        forms = {_face_lang(face) for face in self.faces}
        return not wanted or wanted in forms or (wanted == "zh-hk" and "zh-hant" in forms)

    def face_for(self, ch: str) -> int | None:
        """Index of the face that draws ``ch``, None if none has it.

        Whitespace is face 0 and never missing; only a space face 0 lacks (DejaVu has no U+3000,
        and would draw a box for it) goes to the first face that has it.
        """
        if ch not in self._face_for:
            first = [0, *self._order] if _latin(ch) else [*self._order, 0]
            if _is_emoji(ch):
                first.sort(key=lambda i: self._bitmap[i] is None)
            found = next((i for i in first if self._has(i, ch)), None)
            self._face_for[ch] = (found or 0) if ch.isspace() else found
        return self._face_for[ch]

    def _emoji_face(self, ch: str) -> int | None:
        return next((i for i in self._order if self.is_bitmap(i) and self._has(i, ch)), None)

    def _has(self, index: int, ch: str) -> bool:
        ppem = self._bitmap[index]
        return self.faces[index].get_metrics(ch, size=ppem or 16)[0] is not None

    def shaper(self, index: int) -> Shaper | None:
        """SDL_ttf's view of face ``index``, or None where it cannot open it (a face inside a
        collection other than the first: SDL_ttf cannot pick one)."""
        if index not in self._shapers:
            path = self.faces[index].path
            usable = path and self.indices[index] == 0  # SDL_ttf opens a file's first face
            self._shapers[index] = Shaper(path, self._bitmap[index]) if usable else None
        return self._shapers[index]

    def is_bitmap(self, index: int) -> bool:
        return self._bitmap[index] is not None

    def runs(self, text: str) -> list[Run]:
        """``text`` split into runs of one face; missing glyphs go to face 0 (its .notdef box)."""
        out: list[Run] = []
        for i, ch in enumerate(text):
            face = out[-1].face if i and _joins_previous(ch) and out else self.face_for(ch) or 0
            if text[i + 1 : i + 2] == "\ufe0f" and not self.is_bitmap(face):
                face = self._emoji_face(ch) or face  # "⛸️": the emoji form, not the text one
            script = script_of(ch) if not _joins_previous(ch) or not out else out[-1].script
            shaped = self.is_bitmap(face) or script is not None
            if out and out[-1].face == face and out[-1].shaped == shaped and (not shaped or out[-1].script == script):
                out[-1] = out[-1]._replace(stop=i + 1)
            else:
                out.append(Run(face, i, i + 1, script, shaped))
        return out


class Run(NamedTuple):
    face: int
    start: int
    stop: int
    script: str | None  # for HarfBuzz; None: a script drawn without shaping
    shaped: bool


def _bitmap_ppem(face: pygame.freetype.Font) -> int | None:
    """The size of a face that has only bitmaps (colour emoji), None for a scalable face."""
    if face.scalable:
        return None
    sizes = face.get_sizes()
    return int(sizes[0][3]) if sizes else None


def locate_fonts(specs: Sequence[str]) -> list[FontFile | None]:
    """Where each font spec is installed (None: not): file paths as given, fontconfig patterns
    matched in this process (:mod:`player.render.fontconfig`), else by ``fc-match``.

    No pygame here, so it may run on another thread while the window opens.
    """
    patterns = [spec for spec in specs if not _is_file_spec(spec)]
    matched: dict[str, Matched | None] = {}
    if patterns:
        try:
            matched = dict(zip(patterns, match_all(patterns), strict=True))
        except OSError as error:  # no libfontconfig: one fc-match process per pattern, side by side
            log.info("fontconfig's library not usable (%s): asking fc-match", error)
            fc_match = shutil.which("fc-match")
            with ThreadPoolExecutor(len(patterns)) as pool:
                matched = dict(zip(patterns, pool.map(lambda spec: _fc_match(spec, fc_match), patterns), strict=True))
    return [_file_spec(spec) if _is_file_spec(spec) else _chosen(spec, matched.get(spec)) for spec in specs]


def _is_file_spec(spec: str) -> bool:
    path = spec.partition("#")[0]
    return "/" in path or path.lower().endswith(_FONT_SUFFIXES)


def _file_spec(spec: str) -> FontFile | None:
    """A font file named by path ("x.ttc#1" picks a face), or None (logged) when absent."""
    path, _, index = spec.partition("#")
    if not Path(path).is_file():
        log.warning("font file %r not found, skipped", path)
        return None
    return path, int(index) if index.isdigit() else 0


def _chosen(spec: str, found: Matched | None) -> FontFile | None:
    """fontconfig's answer, if it is the family asked for (it always answers with *some* font)."""
    if found is None:
        log.warning("font %r not installed (fontconfig has no match), skipped", spec)
        return None
    offered = {f.strip().casefold() for f in found.families}
    wanted = {f.strip().casefold() for f in spec.split(":")[0].split(",")} - {""}
    if wanted and not wanted & offered:
        log.warning("font %r not installed (fontconfig offers %r), skipped", spec, ",".join(found.families))
        return None
    return found.file, found.face


def _fc_match(spec: str, fc_match: str | None) -> Matched | None:
    """What the ``fc-match`` command answers for one pattern (None: no answer, logged)."""
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
    if not file:
        return None
    return Matched(file, int(index) if index.isdigit() else 0, tuple(families.split(",")))
