"""Preparing slides: a Slide (or the idle screen) becomes one opaque Surface of the frame's size.

Preparation is the expensive part (decoding, scaling, laying out text), so the loop does it
before a slide's turn and keeps the result in a small bounded cache: two slides, the one on
screen and the next (each 8 MB at 1080p); pictures needed again come back from the
prepared-slide cache on disk (player/media/prepared.py) instead of being decoded again. A
prepared surface is keyed by the slide, the frame size and the media files' (mtime, size), so a changed file is
never served stale from the cache.

A picture in neither cache is decoded and fitted on the painter's decoder thread when the
loop asks ahead (:meth:`Painter.warm`): that takes 60-170 ms for a large photo, during which
the loop goes on presenting (a video on screen, a screenshot asked for). Only the Surface is
made on the main thread, when the decoded picture is taken.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pygame

from player.core.config import IdleConfig
from player.core.errors import MediaError, MediaNotReady
from player.core.feeddata import Feed, fill, template_fields
from player.core.model import Color, Playlist, Slide
from player.media.files import check_in_folder
from player.media.images import ImageOptions, Picture, decode_image
from player.media.prepared import PreparedCache, PreparedKey, Stat, by_stat
from player.ops.environment import Environment
from player.render.images import load_image_surface, picture_to_surface
from player.render.slidetext import TextSizes, draw_tagline, draw_text_slide
from player.render.text import MIN_SIZE, FontChain
from player.render.typescale import group_of, slide_language, type_scale

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

log = logging.getLogger(__name__)

IDLE_ID = "(idle)"


@dataclass(frozen=True)
class SlideKey:
    """Identifies a prepared surface: what was drawn, at what size, from which file versions."""

    slide: Slide | None  # None: the idle screen
    size: tuple[int, int]
    stamps: tuple[tuple[str, int, int], ...]
    text_sizes: TextSizes | None = None  # the playlist's type scale, as it applies to this slide


class Painter:
    """Draws slides at one frame size. Main thread only (it makes Surfaces).

    ``wall`` is the wall clock the ``settle`` check compares files' modification times with.
    """

    def __init__(
        self,
        media: Path,
        size: tuple[int, int],
        fonts: FontChain,
        *,
        margins: tuple[float, float] = (0.08, 0.08),
        max_megapixels: float = 50.0,
        idle: IdleConfig | None = None,
        cache_size: int = 2,
        settle: float = 0.0,
        wall: Callable[[], datetime] = Environment.now,
        prepared: PreparedCache | None = None,
        decode_ahead: bool = False,
        first: Future[None] | None = None,
        text_floor: int | None = None,
        headline_cap: int | None = None,
    ) -> None:
        self.max_pixels = int(max_megapixels * 1_000_000)
        self.media = media
        self.size = size
        self.fonts = fonts
        self.margins = margins
        # The smallest text may be drawn (px): legible from across a room, never a footnote.
        self.text_floor = text_floor or default_text_floor(size)
        self.headline_cap = headline_cap  # a text's largest size; None: a seventh of the frame's shorter side
        self._playlists: dict[str, Sequence[Slide]] = {}
        self._scales: dict[tuple[str, str], dict[str, TextSizes]] = {}
        self.idle = idle or IdleConfig()
        self.cache_size = cache_size
        self.settle = settle  # media modified more recently than this may still be being written
        self.wall = wall
        self._cache: OrderedDict[Hashable, pygame.Surface] = OrderedDict()
        self.prepared = prepared  # pictures kept on disk between loops of the playlist
        self.decode_ahead = decode_ahead  # warm() decodes on a thread; else pictures are decoded when prepared
        self._decoder: Executor | None = None  # made at the first warm(): not before the first frame
        self._decoding: OrderedDict[PreparedKey, Future[Picture]] = OrderedDict()
        self._first = first  # see decode_first_picture: waited for before any picture is made
        self._reported: set[tuple[str, str]] = set()
        self.feeds: Mapping[str, Feed] = {}  # the feeds' data, for texts with {feed.field} in them

    def for_zone(self, size: tuple[int, int], background: Color, *, widget: bool = False) -> Painter:
        """A painter for a layout's zone of ``size``: the same fonts, files, caches and rules.

        The text floor is the screen's, or the zone's own (1/30 of its shorter side) where that
        is smaller: a ticker or a clock in a narrow zone still fits its text. A ``widget``'s
        text may be as large as a full-screen slide's (a seventh of the screen's shorter side):
        a clock is meant to be read from afar, however small its zone.
        """
        return Painter(
            self.media,
            size,
            self.fonts,
            margins=self.margins,
            max_megapixels=self.max_pixels / 1_000_000,
            idle=IdleConfig(color=background),
            cache_size=self.cache_size,
            settle=self.settle,
            wall=self.wall,
            prepared=self.prepared,
            decode_ahead=self.decode_ahead,
            text_floor=min(self.text_floor, default_text_floor(size)),
            headline_cap=round(min(self.size) * 0.84 / 7) if widget else None,
        )

    def key_for(self, slide: Slide | None) -> SlideKey:
        """The cache key of ``slide`` as its files are now. Raises MediaError if one is missing."""
        slide = self.filled(slide)
        paths = slide.media_paths if slide else ((self.idle.image,) if self.idle.image else ())
        return SlideKey(slide, self.size, tuple(self._stamp(p) for p in paths), self.text_sizes(slide))

    def filled(self, slide: Slide | None) -> Slide | None:
        """``slide`` with the ``{feed.field}`` of its text and subtitle filled from :attr:`feeds`.

        A text whose braces are not such fields is shown as written. Raises MediaError when a
        feed it names has no data (or it is older than the slide's ``stale_after``): the
        slide is skipped, and what is on screen stays.
        """
        if slide is None or slide.kind != "text":
            return slide
        texts = {"text": slide.text, "subtitle": slide.subtitle}
        changes: dict[str, Any] = {}
        for name, text in texts.items():
            if not text or "{" not in text:
                continue
            try:
                if not template_fields(text):
                    continue
            except ValueError:
                continue  # not a template: braces of its own
            value = fill(text, self.feeds, self.wall(), slide.stale_after)
            if value is None:
                raise MediaError(f"{slide.id}: the feed data its {name} needs is missing or too old")
            changes[name] = value
        return replace(slide, **changes) if changes else slide

    def use_playlists(self, playlists: Iterable[Playlist]) -> None:
        """The playlists now loaded, whose type scales the slides are drawn at."""
        loaded: dict[str, Sequence[Slide]] = {p.name: p.slides for p in playlists}
        if loaded != self._playlists:  # unchanged content keeps its scales (render --at asks every frame)
            self._playlists, self._scales = loaded, {}

    def text_sizes(self, slide: Slide | None) -> TextSizes | None:
        """The sizes the playlist's type scale gives ``slide``'s text (None: no text, or a slide
        of no loaded playlist, drawn as large as it fits)."""
        if slide is None or not (slide.kind == "text" or slide.tagline):
            return None
        siblings = self._playlists.get(slide.playlist)
        if siblings is None:
            return None
        key = (slide.playlist, group_of(slide))
        if key not in self._scales:
            self._scales[key] = type_scale(self.fonts, siblings, self.size, self.margins, self.text_floor, key[1])
        return self._scales[key].get(slide.id)

    def tagline_layer(self, slide: Slide, size: tuple[int, int]) -> pygame.Surface | None:
        """``slide``'s tagline band on a transparent layer of ``size``, blitted over a video."""
        if not slide.tagline:
            return None
        layer = pygame.Surface(size, pygame.SRCALPHA)
        self._draw_tagline(layer, slide)
        return layer

    def _draw_tagline(self, surface: pygame.Surface, slide: Slide) -> None:
        assert slide.tagline is not None
        sizes = self.text_sizes(slide)
        drawn = draw_tagline(
            surface,
            self.fonts.speaking(slide_language(slide)),
            slide.tagline,
            position=slide.tagline_position,
            margins=self.margins,
            floor=self.text_floor,
            size=sizes.tagline if sizes else None,
        )
        self._report(slide, drawn.missing, drawn.cut)

    def prepare(self, slide: Slide | None) -> tuple[SlideKey, pygame.Surface]:
        """The prepared surface for ``slide`` (None: idle), from the cache when still valid.

        Raises:
            MediaError: the slide cannot be shown (missing, corrupt or oversized media).
        """
        key = self.key_for(slide)
        surface = self._cache.get(key)
        if surface is None:
            surface = self._paint(key.slide) if key.slide else self._paint_idle()
            self._cache[key] = surface
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        return key, surface

    def warm(self, slide: Slide | None, ready: Callable[[], None]) -> bool:
        """Start decoding ``slide``'s picture on the decoder thread if no cache has it yet.

        True if it started: ``ready`` is then called, on the decoder's thread, once the
        picture is decoded (or failed), and :meth:`prepare` takes it without decoding again.
        False if there is nothing to decode ahead (not a raster picture, already prepared, a
        file missing or not ready: :meth:`prepare` says which, when called).
        """
        if not self.decode_ahead or slide is None or slide.kind != "image" or not slide.media:
            return False
        try:
            if self.key_for(slide) in self._cache:
                return False
            stat = self._source(slide.media)
        except MediaError:
            return False
        pending = self._key(slide, slide.media, by_stat(stat))
        if pending.kind != "raster" or pending in self._decoding:
            return False
        if self.prepared is not None:
            known = self.prepared.sources.known(stat)
            if known is not None and replace(pending, source=known) in self.prepared:
                return False  # read from disk when its turn comes: a few ms, nothing to decode
        future = self._decoder_thread().submit(self._picture, slide, slide.media, stat)
        self._decoding[pending] = future
        # One picture waits at most: each is a full frame of pixels (6 MB at 1080p), and a
        # second one waiting means the schedule moved on before the first was taken.
        while len(self._decoding) > 1:
            self._decoding.popitem(last=False)[1].cancel()
        future.add_done_callback(lambda _: ready())
        return True

    def _decoder_thread(self) -> Executor:
        if self._decoder is None:
            from concurrent.futures import ThreadPoolExecutor

            # Its thread ends with the process (concurrent.futures joins it at exit).
            self._decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="picture-decoder")
        return self._decoder

    # -- drawing -------------------------------------------------------------------------

    def _paint(self, slide: Slide) -> pygame.Surface:
        if slide.kind == "image" and slide.media:
            surface = self._image(slide, slide.media)
        elif slide.kind == "text":
            surface = pygame.Surface(self.size)  # only here: a blank frame is 8 MB at 1080p
            self._text_background(surface, slide)
            drawn = draw_text_slide(
                surface,
                self.fonts.speaking(slide_language(slide)),
                slide.text or "",
                subtitle=slide.subtitle,
                color=slide.color,
                align=slide.align,
                valign=slide.valign,
                margins=self.margins,
                floor=self.text_floor,
                sizes=self.text_sizes(slide),
                largest=self.headline_cap,
            )
            self._report(slide, drawn.missing, drawn.cut)
        elif slide.kind == "video" and slide.media:
            surface = self.video_frame(slide, 0.0)
            return surface  # the tagline is part of the frame
        else:
            raise MediaError(f"{slide.id}: nothing to show")
        if slide.tagline and slide.kind != "text":
            self._draw_tagline(surface, slide)
        return surface

    def _image(self, slide: Slide, media: str) -> pygame.Surface:
        """The slide's picture fitted to the frame: from the prepared-slide cache when it has it."""
        stat = self._source(media)
        decoding = self._decoding.pop(self._key(slide, media, by_stat(stat)), None)
        if decoding is not None:
            return picture_to_surface(decoding.result())  # waits if its turn came first; raises its MediaError
        if self.prepared is None:
            return load_image_surface(self.media / media, self.size, **self._options(slide))
        return picture_to_surface(self._picture(slide, media, stat))

    def _picture(self, slide: Slide, media: str, stat: Stat) -> Picture:
        """The picture from the prepared-slide cache, or decoded and kept there. Any thread."""
        if self._first is not None:  # the first slide's picture, decoded while the window opened
            first, self._first = self._first, None
            first.result()
        return cached_picture(self.prepared, self.media / media, stat, slide, self.size, self.max_pixels)

    def _options(self, slide: Slide) -> ImageOptions:
        return _options(slide, self.max_pixels)

    def _key(self, slide: Slide, media: str, source: str) -> PreparedKey:
        return prepared_key(slide, media, source, self.size, self.max_pixels)

    def _source(self, media: str) -> Stat:
        return source_stat(self.media, media)

    def video_frame(self, slide: Slide, seconds: float) -> pygame.Surface:
        """The frame of a video slide due ``seconds`` into it, with its tagline (a seek)."""
        from player.media.video import av_available, frame_at_time
        from player.render.playback import frame_surface

        if not av_available():
            raise MediaError("video slides need PyAV: install the video extra (pip install 'signage-player[video]')")
        assert slide.media is not None
        frame = frame_at_time(
            self.media / slide.media, seconds, self.size, fit=slide.fit, focus=slide.focus, background=slide.background
        )
        surface = frame_surface(frame)
        layer = self.tagline_layer(slide, self.size)
        if layer is not None:
            surface.blit(layer, (0, 0))
        return surface

    def _text_background(self, surface: pygame.Surface, slide: Slide) -> None:
        surface.fill(slide.background)
        if slide.background_image:
            surface.blit(
                load_image_surface(
                    self.media / slide.background_image,
                    self.size,
                    fit="cover",
                    focus=slide.focus,
                    background=slide.background,
                    max_pixels=self.max_pixels,
                ),
                (0, 0),
            )

    def _paint_idle(self) -> pygame.Surface:
        surface = pygame.Surface(self.size)
        surface.fill(self.idle.color)
        if self.idle.image:
            try:
                surface = load_image_surface(
                    self.media / self.idle.image,
                    self.size,
                    fit="contain",
                    background=self.idle.color,
                    max_pixels=self.max_pixels,
                )
            except MediaError as error:  # the idle screen itself must never fail
                log.warning("idle image not shown: %s", error)
        if self.idle.text:
            luminance = sum(self.idle.color[:3]) / 3
            color = (20, 20, 20, 255) if luminance > 140 else (235, 235, 235, 255)
            draw_text_slide(
                surface, self.fonts, self.idle.text, color=color, margins=self.margins, floor=self.text_floor
            )
        return surface

    def _stamp(self, path: str) -> tuple[str, int, int]:
        info = check_in_folder(self.media / path, self.media)  # before anything could open a FIFO
        if self.settle and self.wall().timestamp() - info.st_mtime < self.settle:
            raise MediaNotReady(f"{self.media / path} is still being written")
        return (path, info.st_mtime_ns, info.st_size)

    def _report(self, slide: Slide, missing: frozenset[str], cut: bool) -> None:
        """One log line per slide and problem, once a run: characters no font has, text cut short."""
        if missing and (slide.id, "missing") not in self._reported:
            self._reported.add((slide.id, "missing"))
            chars = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in sorted(missing))
            log.warning(
                "%s: slide %s: no font can draw %s: install a font with them (Debian: fonts-noto-core, "
                "fonts-noto-color-emoji) or add one to `fonts` in the config",
                slide.location,
                slide.id,
                chars,
            )
        if cut and (slide.id, "cut") not in self._reported:
            self._reported.add((slide.id, "cut"))
            log.warning(
                "%s: slide %s: text does not fit even at the smallest size (%d px) and is cut short with "
                "'…': shorten it or split it over two slides",
                slide.location,
                slide.id,
                self.text_floor,
            )


def default_text_floor(size: tuple[int, int]) -> int:
    """The smallest text size when the config sets none: 1/30 of the frame's shorter side
    (36 px at 1080p, whose capitals are about 1.5 cm tall on a 55" screen)."""
    return max(MIN_SIZE, round(min(size) / 30))


# -- pictures, on any thread -----------------------------------------------------------------


def source_stat(media: Path, name: str) -> Stat:
    """What identifies this version of ``media/name``: path, inode, size and mtime (no read).

    Raises MediaError if it is missing or refused (player/media/files.py).
    """
    info = check_in_folder(media / name, media)
    return (str(media / name), info.st_ino, info.st_size, info.st_mtime_ns)


def prepared_key(slide: Slide, media: str, source: str, size: tuple[int, int], max_pixels: int) -> PreparedKey:
    """What decides a picture's pixels, the source named by ``source``."""
    kind = "svg" if media.lower().endswith(".svg") else "raster"
    return PreparedKey(source, size, slide.fit, slide.focus, slide.background, max_pixels, kind)


def _options(slide: Slide, max_pixels: int) -> ImageOptions:
    return {"fit": slide.fit, "focus": slide.focus, "background": slide.background, "max_pixels": max_pixels}


def cached_picture(
    prepared: PreparedCache | None, path: Path, stat: Stat, slide: Slide, size: tuple[int, int], max_pixels: int
) -> Picture:
    """The picture from the prepared-slide cache, or decoded and kept there. Any thread but
    for SVG (drawn by pygame: main thread only, and never decoded ahead).

    The cache names the source by its content, hashed here the first time this version
    (``stat``) of the file is seen. Raises MediaError if it cannot be decoded.
    """
    options = _options(slide, max_pixels)
    if prepared is None:
        return decode_image(path, size, **options)
    try:
        key = prepared_key(slide, path.name, prepared.sources.resolve(stat), size, max_pixels)
    except OSError:  # gone or changing under us: decode (which says why, if it fails) and keep nothing
        return decode_image(path, size, **options)
    picture = prepared.get(key)
    if picture is None:
        if key.kind == "svg":
            surface = load_image_surface(path, size, **options)
            picture = Picture(size, pygame.image.tobytes(surface, "RGB"))
        else:
            picture = decode_image(path, size, **options)
        prepared.put(key, picture)
    return picture


def decode_first_picture(
    prepared: PreparedCache | None,
    media: Path,
    slide: Slide | None,
    size: tuple[int, int],
    max_pixels: int,
    *,
    settled_before: float,
) -> Future[None] | None:
    """Start decoding the first slide's picture into the prepared cache, on a thread of its own.

    Called before the window opens, with the size it is expected to have: the decode (60-170
    ms for a big photo) runs while the window and renderer open, and the painter waits for it
    before making its first picture, which is then read back. A raster picture only, and only
    with the cache, and not a file modified after ``settled_before`` (a Unix time: it may
    still be being written): None otherwise. Whatever goes wrong here is left for the
    painter to find and say, when the slide's turn comes.
    """
    name = slide.media if slide is not None and slide.kind == "image" else None
    if prepared is None or slide is None or not name or name.lower().endswith(".svg"):
        return None
    try:
        stat = source_stat(media, name)
    except MediaError:
        return None
    if stat[3] > settled_before * 1e9:
        return None
    from concurrent.futures import ThreadPoolExecutor

    def decode() -> None:
        with contextlib.suppress(MediaError):
            cached_picture(prepared, media / name, stat, slide, size, max_pixels)

    thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="first-picture")
    future = thread.submit(decode)
    thread.shutdown(wait=False)  # its one thread ends when the decode does
    return future
