"""Screens: a window and the compositor that puts frames on it.

:func:`open_screen` makes the window and picks the compositor (``display.renderer``:
``auto`` tries the GPU path and falls back to software if SDL gives no renderer).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable, Mapping
from typing import Protocol

import pygame

from player.render.frame import Frame
from player.render.gpu import GpuCompositor, GpuUnavailable
from player.render.software import draw_frame, rotate_into

log = logging.getLogger(__name__)


class Screen(Protocol):
    """Where frames go. ``logical`` is the frame size content is laid out in (rotated)."""

    name: str
    logical: tuple[int, int]
    window: pygame.Window

    def show(self, frame: Frame, surfaces: Mapping[Hashable, pygame.Surface], overlay: pygame.Surface | None) -> None:
        """Draw ``frame`` (and an overlay in the top-left corner) and present it."""
        ...

    def read_pixels(self) -> pygame.Surface:
        """What was last shown, as a Surface of the physical screen's size."""
        ...

    def keep_only(self, keys: Iterable[Hashable]) -> None:
        """Release resources held for slides not in ``keys``."""
        ...

    def refresh(self, key: Hashable, surface: pygame.Surface) -> None:
        """The slide's surface changed (a video frame): update what the screen holds for it."""
        ...

    def preload(self, key: Hashable, surface: pygame.Surface) -> None:
        """Get ready to show a prepared slide soon (the GPU path uploads its texture now)."""
        ...


def logical_size(physical: tuple[int, int], rotate: int) -> tuple[int, int]:
    """The frame size content is laid out in: width and height swap for portrait mounts."""
    return (physical[1], physical[0]) if rotate in (90, 270) else physical


class SoftwareScreen:
    """Composes on Surfaces in main memory and flips the window."""

    def __init__(self, window: pygame.Window, rotate: int) -> None:
        self.window = window
        self.rotate = rotate
        self.logical = logical_size(window.size, rotate)
        self.name = "software"
        self._canvas = pygame.Surface(self.logical) if rotate else None

    def show(self, frame: Frame, surfaces: Mapping[Hashable, pygame.Surface], overlay: pygame.Surface | None) -> None:
        target = self.window.get_surface()
        canvas = self._canvas or target
        draw_frame(canvas, frame, surfaces)
        if overlay is not None:
            canvas.blit(overlay, (0, 0))
        if self._canvas is not None:
            rotate_into(target, self._canvas, self.rotate)
        self.window.flip()

    def read_pixels(self) -> pygame.Surface:
        return self.window.get_surface().copy()

    def keep_only(self, keys: Iterable[Hashable]) -> None:
        pass  # the painter's cache owns the surfaces

    def refresh(self, key: Hashable, surface: pygame.Surface) -> None:
        pass  # each frame is composed from the surfaces as they are

    def preload(self, key: Hashable, surface: pygame.Surface) -> None:
        pass  # nothing to upload: surfaces are drawn from main memory


class GpuScreen:
    """Uploads each prepared slide once; frames are textured quads drawn by SDL's renderer."""

    def __init__(self, compositor: GpuCompositor) -> None:
        self.compositor = compositor
        self.window = compositor.window
        self.logical = compositor.logical
        self.name = compositor.name
        self._last: tuple[Frame, pygame.Surface | None] | None = None
        self._overlay_key = object()

    def show(self, frame: Frame, surfaces: Mapping[Hashable, pygame.Surface], overlay: pygame.Surface | None) -> None:
        for layer in frame.layers:
            self.compositor.upload(layer.key, surfaces[layer.key])
        self._draw(frame, overlay)
        self.compositor.present()
        self._last = (frame, overlay)

    def _draw(self, frame: Frame, overlay: pygame.Surface | None) -> None:
        self.compositor.draw(frame)
        if overlay is not None:
            from pygame._sdl2 import video

            texture = video.Texture.from_surface(self.compositor.renderer, overlay)
            texture.draw(dstrect=(0, 0, *overlay.get_size()))

    def read_pixels(self) -> pygame.Surface:
        # The back buffer is undefined after a present: draw the last frame again, then read.
        if self._last is None:
            return pygame.Surface(self.compositor.window.size)
        self._draw(*self._last)
        return self.compositor.read_pixels()

    def keep_only(self, keys: Iterable[Hashable]) -> None:
        self.compositor.keep_only(keys)

    def refresh(self, key: Hashable, surface: pygame.Surface) -> None:
        self.compositor.update(key, surface)

    def preload(self, key: Hashable, surface: pygame.Surface) -> None:
        # Uploading while the screen is static keeps it off the transition's first frame.
        self.compositor.upload(key, surface)


def open_window(size: tuple[int, int] | None, fullscreen: bool, title: str = "signage") -> pygame.Window:
    """The player's window: full screen at the desktop's size, or a window of ``size``."""
    if fullscreen:
        # No size: take over the desktop as it is (no mode switch); a size: switch to that mode.
        window = pygame.Window(
            title, size or _desktop_size(), fullscreen_desktop=size is None, fullscreen=size is not None
        )
        pygame.mouse.set_visible(False)
    else:
        window = pygame.Window(title, size or (1280, 720))
    return window


def open_screen(window: pygame.Window, renderer: str, rotate: int, *, software_gpu: bool = False) -> Screen:
    """The compositor for ``window``: ``gpu``, ``software``, or ``auto`` (GPU, else software)."""
    logical = logical_size(window.size, rotate)
    if renderer in ("auto", "gpu"):
        try:
            screen = GpuScreen(GpuCompositor.create(window, logical, rotate, software=software_gpu))
            log.info("renderer: %s (%dx%d, rotate %d)", screen.name, *window.size, rotate)
            return screen
        except (GpuUnavailable, pygame.error) as error:
            if renderer == "gpu":
                raise
            log.warning("GPU renderer unavailable (%s); using the software compositor", error)
    screen_sw = SoftwareScreen(window, rotate)
    log.info("renderer: software (%dx%d, rotate %d)", *window.size, rotate)
    return screen_sw


def _desktop_size() -> tuple[int, int]:
    sizes = pygame.display.get_desktop_sizes()
    return tuple(sizes[0]) if sizes else (1920, 1080)  # type: ignore[return-value]
