"""Video slides on the main thread: decoded frames become the slide's surface, in place.

The decoder (``player.media.video``) runs ahead on its own thread and hands over bytes;
this wrapper, owned by the render loop, copies the frame due into the slide's Surface and
draws the tagline over it. The GPU path then updates the slide's texture in place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pygame

from player.core.model import Slide
from player.media.video import DecodedFrame, VideoDecoder

log = logging.getLogger(__name__)


def frame_surface(frame: DecodedFrame) -> pygame.Surface:
    """A new opaque 32-bit surface holding ``frame`` (for a still of the video)."""
    return pygame.image.frombytes(frame.data, frame.size, "BGRA").convert(32, 0)


def takes_frames_directly(surface: pygame.Surface) -> bool:
    """True if BGRA frames of the surface's size can be written into its pixels as they are:
    32-bit BGRA(X) in memory, rows not padded (the usual case)."""
    return (
        surface.get_bytesize() == 4
        and surface.get_pitch() == surface.get_width() * 4
        and surface.get_masks()[:3] == (0xFF0000, 0xFF00, 0xFF)
        and pygame.get_sdl_byteorder() == pygame.LIL_ENDIAN
    )


def copy_into(surface: pygame.Surface, frame: DecodedFrame, direct: bool | None = None) -> None:
    """Put ``frame`` (the surface's size) into ``surface``: one memory copy when the surface
    :func:`takes_frames_directly` (``direct``, when the caller knows), else a converting blit."""
    if direct if direct is not None else takes_frames_directly(surface):
        surface.get_buffer().write(frame.data)
    else:
        surface.blit(frame_surface(frame), (0, 0))


TaglineLayer = Callable[[Slide, tuple[int, int]], "pygame.Surface | None"]
"""The tagline band of a slide at a frame size, drawn once on a transparent layer (the
painter's :meth:`~player.render.slides.Painter.tagline_layer`, which knows the type scale)."""


class Playback:
    """One showing of a video slide: its decoder and the surface the screen shows."""

    def __init__(self, slide: Slide, media: Path, surface: pygame.Surface, tagline: TaglineLayer, decoder: str) -> None:
        assert slide.media is not None
        self.slide = slide
        self.surface = surface
        self.decoder = VideoDecoder(
            media / slide.media,
            surface.get_size(),
            fit=slide.fit,
            focus=slide.focus,
            background=slide.background,
            decoder=decoder,
        )
        self.fps = 25.0
        self._tagline = tagline(slide, surface.get_size())  # blitted over every frame
        self._direct = takes_frames_directly(surface)  # decided once, not on every frame
        self._shown_index: int | None = 0  # the surface starts as the prepared first frame
        self._shown_pts = 0.0
        self._reported = False

    def start(self, at: float = 0.0) -> None:
        """Start decoding (``at`` seconds in: see :meth:`VideoDecoder.start`). Raises MediaError."""
        self.decoder.start(at)
        self.fps = self.decoder.info.fps or 25.0

    def close(self) -> None:
        self.decoder.close()

    @property
    def dropped(self) -> int:
        return self.decoder.dropped

    def seconds_to_next(self, seconds: float) -> float:
        """Content seconds from ``seconds`` until the frame after the one shown is due."""
        period = 1.0 / self.fps
        return max(0.0, min(period, self._shown_pts + period - seconds % max(period, self.decoder.info.duration)))

    def update(self, seconds: float) -> bool:
        """Put the frame due ``seconds`` into the slide into the surface; True if it changed."""
        if self.decoder.error is not None and not self._reported:
            self._reported = True
            log.warning("video %s stopped: %s", self.slide.id, self.decoder.error)
        frame = self.decoder.frame_at(max(0.0, seconds))
        if frame is None or frame.index == self._shown_index:
            return False
        self._shown_index = frame.index
        self._shown_pts = frame.pts
        copy_into(self.surface, frame, self._direct)
        if self._tagline is not None:
            self.surface.blit(self._tagline, (0, 0))
        return True
