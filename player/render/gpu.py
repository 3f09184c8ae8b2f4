"""The GPU compositor: draws a :class:`Frame` with SDL's renderer (textures, alpha, offsets).

On a Pi under KMSDRM or Wayland a software flip uploads the whole frame every time and a
software crossfade blends tens of megabytes per frame; here each prepared slide is uploaded
once and a transition frame is two textured quads. This module is the only place that
touches ``pygame._sdl2.video``, which pygame-ce marks experimental: if creating the renderer
fails, :func:`create` raises and the loop falls back to the software compositor.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import pygame
from pygame._sdl2 import video

from player.errors import PlayerError
from player.render.frame import Frame


class GpuUnavailable(PlayerError, RuntimeError):
    """No accelerated SDL renderer could be created for the window."""


class GpuCompositor:
    """Textures by slide key, drawn onto a window through an SDL ``Renderer``."""

    def __init__(
        self, window: pygame.Window, renderer: video.Renderer, logical: tuple[int, int], rotate: int, name: str
    ) -> None:
        self.window = window
        self.renderer = renderer
        self.logical = logical
        self.rotate = rotate
        self.textures: dict[Hashable, video.Texture] = {}
        # A rotated screen composes in its own (logical) frame, then turns it in one draw.
        self._target = video.Texture(renderer, logical, target=True) if rotate else None
        self.name = name

    @classmethod
    def create(
        cls, window: pygame.Window, logical: tuple[int, int], rotate: int, *, vsync: bool = True, software: bool = False
    ) -> GpuCompositor:
        """Make a renderer for ``window``; ``software=True`` asks SDL for its software renderer (tests)."""
        try:
            renderer = video.Renderer(window, accelerated=0 if software else -1, vsync=vsync, target_texture=True)
        except pygame.error as error:
            raise GpuUnavailable(f"no SDL renderer for this display: {error}") from error
        return cls(window, renderer, logical, rotate, "gpu (SDL software renderer)" if software else "gpu")

    def upload(self, key: Hashable, surface: pygame.Surface) -> None:
        """Make (once) the texture for a prepared slide."""
        if key in self.textures:
            return
        texture = video.Texture.from_surface(self.renderer, surface)
        # Textures from opaque surfaces do not blend by default; a fade needs them to.
        texture.blend_mode = pygame.BLENDMODE_BLEND
        self.textures[key] = texture

    def update(self, key: Hashable, surface: pygame.Surface) -> None:
        """New pixels for an uploaded slide (a video frame): the same texture, updated in place."""
        texture = self.textures.get(key)
        if texture is None:
            self.upload(key, surface)
        else:
            texture.update(surface)

    def keep_only(self, keys: Iterable[Hashable]) -> None:
        """Free the textures of slides no longer needed."""
        wanted = set(keys)
        for key in [k for k in self.textures if k not in wanted]:
            del self.textures[key]

    def draw(self, frame: Frame) -> None:
        """Draw ``frame`` into the back buffer (call :meth:`present` to show it)."""
        renderer = self.renderer
        renderer.target = self._target
        renderer.draw_color = frame.background
        renderer.clear()
        width, height = self.logical
        for layer in frame.layers:
            if layer.alpha <= 0:
                continue
            texture = self.textures[layer.key]
            texture.alpha = layer.alpha
            texture.draw(dstrect=(layer.x, layer.y, width, height))
        if self._target is not None:
            renderer.target = None
            renderer.draw_color = (0, 0, 0, 255)
            renderer.clear()
            screen_w, screen_h = self.window.size
            dest = ((screen_w - width) // 2, (screen_h - height) // 2, width, height)
            self._target.draw(dstrect=dest, angle=self.rotate)

    def present(self) -> None:
        self.renderer.present()

    def read_pixels(self) -> pygame.Surface:
        """The back buffer as a Surface (for screenshots and tests); call before present."""
        surface: pygame.Surface = self.renderer.to_surface()
        return surface

