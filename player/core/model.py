"""The content model: frozen values that the loader builds and everything else reads.

No raw YAML past the loader: a :class:`Playlist` is complete, validated and immutable.
Change one with :func:`dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from player.core.errors import Location

Color = tuple[int, int, int, int]
"""RGBA, each 0..255."""

SlideKind = Literal["image", "text", "video"]
Transition = Literal["cut", "fade", "slide-left", "slide-up"]
Fit = Literal["contain", "cover", "stretch"]
Align = Literal["left", "center", "right"]
VAlign = Literal["top", "middle", "bottom"]
TaglinePosition = Literal["bottom", "top", "center"]
TypeScale = Literal["playlist", "own"]

TRANSITIONS: tuple[str, ...] = ("cut", "fade", "slide-left", "slide-up")
ALIGNS: tuple[str, ...] = ("left", "center", "right")
VALIGNS: tuple[str, ...] = ("top", "middle", "bottom")
TAGLINE_POSITIONS: tuple[str, ...] = ("bottom", "top", "center")
TYPE_SCALES: tuple[str, ...] = ("playlist", "own")


@dataclass(frozen=True)
class Slide:
    """One slide, with every field resolved (playlist defaults already applied).

    ``media`` is the path of the image or video relative to the media folder; ``text`` is the
    text of a text slide. ``duration`` is in seconds; ``None`` only for a video whose length
    is not known yet (``duration: auto`` before probing).
    """

    kind: SlideKind
    id: str
    duration: float | None
    media: str | None = None
    text: str | None = None
    subtitle: str | None = None
    tagline: str | None = None
    tagline_position: TaglinePosition = "bottom"
    transition: Transition = "fade"
    transition_duration: float = 0.8
    fit: Fit = "cover"
    focus: tuple[float, float] = (0.5, 0.5)
    background: Color = (0, 0, 0, 255)
    background_image: str | None = None
    color: Color = (255, 255, 255, 255)
    align: Align = "center"
    valign: VAlign = "middle"
    lang: str = ""  # BCP 47 ("ja", "zh-Hant"); "" lets the text's script decide
    type_scale: TypeScale = "playlist"  # "own": sized on its own, not with its playlist's text
    web: str | None = None  # a web page, shown as its snapshot ``media`` (taken by ``signage feeds``)
    refresh: float = 600.0  # a web page's snapshot is taken again this often (seconds)
    stale_after: float | None = None  # a text's feed data older than this (seconds) hides the slide
    playlist: str = field(default="", compare=False)  # the name of the playlist it is in
    location: Location = field(default=Location("<memory>", 1, 1), compare=False)

    @property
    def media_paths(self) -> tuple[str, ...]:
        """Every media file this slide needs, relative to the media folder."""
        return tuple(p for p in (self.media, self.background_image) if p)


@dataclass(frozen=True)
class HourWindow:
    """A daily window in local wall-clock minutes since midnight.

    ``close`` may be up to 24*60; a window with ``close <= open`` crosses midnight and
    closes on the next day.
    """

    open: int
    close: int

    @property
    def crosses_midnight(self) -> bool:
        return self.close <= self.open

    def __str__(self) -> str:
        return f"{self.open // 60:02d}:{self.open % 60:02d}-{self.close // 60:02d}:{self.close % 60:02d}"


@dataclass(frozen=True)
class Schedule:
    """When a playlist is active, in its own time zone.

    ``start``/``end`` are a date (start: that day's 00:00; end: through that whole day) or a
    datetime (naive = in ``timezone``; start inclusive, end exclusive). ``days`` holds
    weekday numbers (Monday = 0). An empty ``hours`` means the whole day.
    """

    timezone: str
    start: date | datetime | None = None
    end: date | datetime | None = None
    days: frozenset[int] = frozenset(range(7))
    hours: tuple[HourWindow, ...] = ()


@dataclass(frozen=True)
class Playlist:
    """One playlist file, validated."""

    name: str
    slides: tuple[Slide, ...]
    schedule: Schedule
    priority: int = 0
    weight: float = 1.0
    source: str = "<memory>"

    @property
    def media_paths(self) -> tuple[str, ...]:
        """Every media file the playlist needs, in slide order, without repeats."""
        seen: dict[str, None] = {}
        for slide in self.slides:
            for path in slide.media_paths:
                seen.setdefault(path, None)
        return tuple(seen)
