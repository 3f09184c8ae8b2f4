"""What ``signage validate`` can only know by setting the text: what does not fit, what no font draws.

Each text slide and tagline is laid out as the player would at the configured frame size,
with the installed fonts: text cut with "…" even at the smallest size, characters no font
has, and a language whose glyph forms no font draws. These are warnings: the player still
shows the slide, and people decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from player.core.errors import Problem

if TYPE_CHECKING:
    from player.core.config import Config
    from player.core.model import Playlist, Slide
    from player.render.text import FontChain

DEFAULT_FRAME = (1920, 1080)


def frame_size(config: Config) -> tuple[int, int]:
    """The frame text is laid out in: the configured size (default 1920x1080), turned for portrait."""
    w, h = config.display.size or DEFAULT_FRAME
    return (h, w) if config.display.rotate in (90, 270) else (w, h)


def text_problems(playlists: Iterable[Playlist], config: Config) -> list[Problem]:
    """Warnings for the text of every slide of ``playlists``, at the configured frame."""
    slides = [(index, slide) for playlist in playlists for index, slide in enumerate(playlist.slides)]
    if not any(slide.kind == "text" or slide.tagline for _, slide in slides):
        return []
    import os

    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # validate's output is its problems
    from player.render.slides import default_text_floor
    from player.render.text import FontChain

    frame = frame_size(config)
    chain = FontChain.resolve(config.fonts)
    floor = config.display.text_floor or default_text_floor(frame)
    problems: list[Problem] = []
    said: set[tuple[str, str]] = set()  # (file, lang): a language without its font is said once per file
    for index, slide in slides:
        field = f"slides[{index}]"
        problems += _slide_problems(chain, slide, field, frame, config.display.margins, floor)
        unsaid = (slide.location.file, slide.lang) not in said
        if slide.lang and unsaid and (slide.kind == "text" or slide.tagline) and not chain.draws_language(slide.lang):
            said.add((slide.location.file, slide.lang))
            problems.append(
                Problem(
                    slide.location,
                    f"{field}.lang",
                    f"warning: no installed font draws the glyph forms of lang {slide.lang!r}, so another "
                    "language's are used; install fonts-noto-cjk or add such a font to `fonts` in the config",
                )
            )
    return problems


def _slide_problems(
    chain: FontChain, slide: Slide, field: str, frame: tuple[int, int], margins: tuple[float, float], floor: int
) -> list[Problem]:
    from player.render.slidetext import tagline_layout, text_slide_layouts
    from player.render.typescale import slide_language

    lang = slide_language(slide)
    voice = chain.speaking(lang)
    laid = []
    if slide.kind == "text":
        main, sub = text_slide_layouts(voice, slide.text or "", slide.subtitle, frame, margins=margins, floor=floor)
        laid += [("text", slide.text or "", main), ("subtitle", slide.subtitle or "", sub)]
    if slide.tagline and slide.kind != "text":
        tagline = tagline_layout(voice, slide.tagline, frame, margins=margins, floor=floor)
        laid.append(("tagline", slide.tagline, tagline))
    problems = []
    size = f"{frame[0]}x{frame[1]}"
    for name, text, layout in laid:
        if layout is None:
            continue
        where = f"{field}.{name}"
        if layout.cut:
            shown = len("".join(layout.lines).rstrip("…"))
            problems.append(
                Problem(
                    slide.location,
                    where,
                    f"warning: does not fit at {size} even at the smallest text size ({floor} px): only about "
                    f"{shown} of its {len(text)} characters show, then '…'; shorten it or split it over two slides",
                )
            )
        if layout.missing:
            chars = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in sorted(layout.missing))
            problems.append(
                Problem(
                    slide.location,
                    where,
                    f"warning: no installed font draws {chars}: they show as boxes; install a font with them "
                    "(Debian: fonts-noto-core, fonts-noto-color-emoji) or add one to `fonts` in the config",
                )
            )
    return problems
