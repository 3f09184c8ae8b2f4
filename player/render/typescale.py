"""A playlist's type scale: its titles, subtitles and taglines share sizes.

Each slide's text is fitted on its own first; the playlist then sets every title at the
smallest of those sizes, every subtitle and every tagline likewise, so the same motto is
the same size on every slide. A slide with ``type_scale: own`` keeps its own sizes, and a
slide whose text is cut even at the floor does not drag the others down to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from player.core.model import Slide
from player.render.slidetext import TextSizes, tagline_layout, text_slide_layouts
from player.render.text import FontChain

Group = Literal["text", "tagline"]
"""The text slides' titles and subtitles, or the pictures' taglines: each scale is worked out
when a slide of its group is first drawn (the first frame, a photo, waits for taglines only)."""


def group_of(slide: Slide) -> Group:
    return "text" if slide.kind == "text" else "tagline"


def natural_sizes(
    chain: FontChain, slide: Slide, frame: tuple[int, int], margins: tuple[float, float], floor: int
) -> TextSizes:
    """The sizes ``slide``'s text takes on its own: as large as it fits."""
    voice = chain.speaking(slide_language(slide))
    sizes = TextSizes()
    if slide.kind == "text":
        main, sub = text_slide_layouts(voice, slide.text or "", slide.subtitle, frame, margins=margins, floor=floor)
        sizes = TextSizes(main.size, sub.size if sub else None, cut=main.cut or bool(sub and sub.cut))
    if slide.tagline and slide.kind != "text":
        tagline = tagline_layout(voice, slide.tagline, frame, margins=margins, floor=floor)
        sizes = TextSizes(sizes.main, sizes.subtitle, tagline.size, sizes.cut or tagline.cut)
    return sizes


def type_scale(
    chain: FontChain,
    slides: Sequence[Slide],
    frame: tuple[int, int],
    margins: tuple[float, float],
    floor: int,
    group: Group | None = None,
) -> dict[str, TextSizes]:
    """The sizes each slide of one playlist (of ``group`` only, if given) is drawn at, by slide id."""
    slides = [s for s in slides if group is None or group_of(s) == group]
    natural = {slide.id: natural_sizes(chain, slide, frame, margins, floor) for slide in slides}
    shared = [natural[s.id] for s in slides if s.type_scale == "playlist" and not natural[s.id].cut]

    def smallest(role: str) -> int | None:
        sizes = [getattr(n, role) for n in shared if getattr(n, role) is not None]
        return min(sizes, default=None)

    scale = TextSizes(smallest("main"), smallest("subtitle"), smallest("tagline"))
    out: dict[str, TextSizes] = {}
    for slide in slides:
        own = natural[slide.id]
        if slide.type_scale == "own" or own.cut:
            out[slide.id] = own
        else:
            out[slide.id] = TextSizes(
                scale.main if own.main is not None else None,
                scale.subtitle if own.subtitle is not None else None,
                scale.tagline if own.tagline is not None else None,
            )
    return out


def slide_language(slide: Slide) -> str:
    """The language the slide's text is set in: its own ``lang``, else what its script says."""
    from player.render.linebreak import guess_language

    return slide.lang or guess_language(" ".join(t for t in (slide.text, slide.subtitle, slide.tagline) if t))
