"""The GPU compositor: draws a :class:`Frame` with SDL's renderer (textures, alpha, offsets).

On a Pi under KMSDRM or Wayland a software flip uploads the whole frame every time and a
software crossfade blends tens of megabytes per frame; here each prepared slide is uploaded
once and a transition frame is two textured quads. This module is the only place that
touches ``pygame._sdl2.video``, which pygame-ce marks experimental: if creating the renderer
fails, or it cannot draw a known frame correctly, :func:`create` raises and the screen uses
the software compositor instead.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import pygame
from pygame._sdl2 import video
from pygame._sdl2.sdl2 import error as SdlError

from player.core.errors import GpuUnavailable
from player.render.frame import Frame, Layer
from player.render.glinfo import current_gl_renderer, is_software_rasteriser
from player.render.software import draw_frame, rotate_into

# What drawing can raise. ``pygame._sdl2`` has an error class of its own, not a pygame.error
# (issue 14's traceback: ``pygame._sdl2.sdl2.error``); Surface and Window calls raise pygame.error.
RENDER_ERRORS: tuple[type[Exception], ...] = (pygame.error, SdlError)

# The self-test's frame: a texture of two colours, a white one updated in place and drawn at
# half opacity over a quadrant, and the background showing along the bottom.
_PROBE_COLOURS = ((255, 0, 0), (0, 0, 255), (255, 255, 255), (0, 160, 0))
_PROBE_TOLERANCE = 8  # per channel: renderers round a 50% blend either way
_PROBE_KEYS = (("gpu probe", "halves"), ("gpu probe", "veil"))


class SoftwareGL(GpuUnavailable):
    """The renderer's OpenGL draws on the CPU (Mesa's llvmpipe): the software compositor is cheaper.

    ``renderer`` is the renderer that was asked, for a :class:`StreamingPresenter` to reuse
    (or to drop: set it to None).
    """

    def __init__(self, gl_renderer: str, renderer: video.Renderer | None) -> None:
        super().__init__(f"the GL is {gl_renderer}, a software rasteriser")
        self.gl_renderer = gl_renderer
        self.renderer = renderer


def present_black(renderer: video.Renderer) -> None:
    """Clear to black and present, before the first frame.

    On a bare console (KMSDRM) the first present after SDL sets the display mode never
    reaches the glass: on the emulated box a first slide stayed off the screen until the
    next present, 0.3 s later on llvmpipe. A black present costs only a clear, so it goes
    first and the first slide's present is the one that shows.
    """
    renderer.draw_color = (0, 0, 0, 255)
    renderer.clear()
    renderer.present()


class StreamingPresenter:
    """Shows frames composed in main memory through a renderer: one streaming texture, updated and drawn."""

    def __init__(self, renderer: video.Renderer, size: tuple[int, int]) -> None:
        self.renderer = renderer
        self.texture = video.Texture(renderer, size, streaming=True)
        self.size = size

    def present(self, frame: pygame.Surface) -> None:
        self.texture.update(frame)
        self.texture.draw(dstrect=(0, 0, *self.size))
        self.renderer.present()

    def read_back(self) -> pygame.Surface:
        """What the last present drew (drawn again: the back buffer is undefined after a present)."""
        self.texture.draw(dstrect=(0, 0, *self.size))
        surface: pygame.Surface = self.renderer.to_surface()
        return surface


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
        cls,
        window: pygame.Window,
        logical: tuple[int, int],
        rotate: int,
        *,
        vsync: bool = True,
        software: bool = False,
        refuse_software_gl: bool = False,
    ) -> GpuCompositor:
        """Make a renderer for ``window``; ``software=True`` asks SDL for its software renderer (tests).

        ``refuse_software_gl``: raise :class:`SoftwareGL` when the renderer's OpenGL is a CPU
        rasteriser (``display.renderer: auto``), before the self-test spends its time.
        """
        try:
            # Render targets only when rotating: the unrotated path never sets one (issue 14).
            renderer = video.Renderer(
                window, accelerated=0 if software else -1, vsync=vsync, target_texture=bool(rotate)
            )
        except RENDER_ERRORS as error:
            raise GpuUnavailable(f"no SDL renderer for this display: {error}") from error
        gl_renderer = None if software else current_gl_renderer()
        if refuse_software_gl and gl_renderer is not None and is_software_rasteriser(gl_renderer):
            raise SoftwareGL(gl_renderer, renderer)
        return cls.proven(window, renderer, logical, rotate, "gpu (SDL software renderer)" if software else "gpu")

    @classmethod
    def proven(
        cls, window: pygame.Window, renderer: video.Renderer, logical: tuple[int, int], rotate: int, name: str
    ) -> GpuCompositor:
        """A compositor on ``renderer`` once it has drawn a known frame correctly; else :class:`GpuUnavailable`.

        A renderer SDL creates can still fail at the first frame: under QEMU's virtio-vga with
        KMSDRM it refused render targets ("That operation is not supported", issue 14) and
        the player crash-looped. So what the compositor will ask of it is tried here, once.
        """
        try:
            if rotate:
                # SDL refuses SetRenderTarget, even to NULL, on a renderer without target support.
                renderer.target = None
            compositor = cls(window, renderer, logical, rotate, name)
            wrong = compositor._self_test()
        except RENDER_ERRORS as error:
            what = "rotation needs render targets" if rotate else "it cannot draw"
            raise GpuUnavailable(f"the SDL renderer failed its self-test ({what}): {error}") from error
        if wrong is not None:
            raise GpuUnavailable(f"the SDL renderer draws wrong pixels: {wrong}")
        return compositor

    def _self_test(self) -> str | None:
        """Draw a known frame, read it back, compare with the software compositor; None if they agree.

        Not presented: the probe never reaches the screen. What is presented after it is
        black (:func:`present_black`).
        """
        width, height = self.logical
        red, blue, white, green = _PROBE_COLOURS
        halves = pygame.Surface(self.logical)
        halves.fill(red)
        halves.fill(blue, (width // 2, 0, width - width // 2, height))
        veil = pygame.Surface(self.logical)
        veil.fill(white)
        surfaces: dict[Hashable, pygame.Surface] = dict(zip(_PROBE_KEYS, (halves, veil), strict=True))
        frame = Frame(
            (Layer(_PROBE_KEYS[0], y=-(height // 4)), Layer(_PROBE_KEYS[1], x=width // 2, y=height // 2, alpha=128)),
            background=(*green, 255),
        )
        expected = pygame.Surface(self.window.size)
        if self.rotate:
            logical = pygame.Surface(self.logical)
            draw_frame(logical, frame, surfaces)
            rotate_into(expected, logical, self.rotate)
        else:
            draw_frame(expected, frame, surfaces)
        screen_w, screen_h = expected.get_size()
        # Odd eighths of each axis: never on a region's edge (those are at quarters), rotated or not.
        points = [(screen_w * i // 8, screen_h * j // 8) for i in (1, 3, 5, 7) for j in (1, 3, 5, 7)]
        try:
            self.upload(_PROBE_KEYS[0], halves)
            self.upload(_PROBE_KEYS[1], halves)
            self.update(_PROBE_KEYS[1], veil)  # as every video frame is
            self.draw(frame)
            # Pixel by pixel: reading back a whole 4K screen takes longer than the rest of the test.
            got = [self.renderer.to_surface(area=(x, y, 1, 1)).get_at((0, 0)) for x, y in points]
        finally:
            self.keep_only(())
        present_black(self.renderer)
        for (x, y), colour in zip(points, got, strict=True):
            a, b = colour[:3], expected.get_at((x, y))[:3]
            if max(abs(p - q) for p, q in zip(a, b, strict=True)) > _PROBE_TOLERANCE:
                return f"at ({x}, {y}) {tuple(a)}, expected {tuple(b)}"
        return None

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
        if self._target is not None:
            # Only a rotated screen touches the target: a renderer without target support
            # refuses even ``target = None`` (issue 14), and rotation was checked at creation.
            renderer.target = self._target
        renderer.draw_color = frame.background
        renderer.clear()
        width, height = self.logical
        for layer in frame.layers:
            texture = self.textures[layer.key]
            part = layer.visible((texture.width, texture.height), self.logical) if layer.alpha > 0 else None
            if part is None:
                continue
            texture.alpha = layer.alpha
            texture.draw(srcrect=part[0], dstrect=part[1])
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

    def close(self) -> None:
        """Drop every texture and the renderer: SDL gives the window's surface to software
        drawing only once its renderer is gone (KMSDRM). The compositor is unusable after."""
        self.textures.clear()
        self._target = None
        del self.renderer
