"""Screens: a window and the compositor that puts frames on it.

:func:`open_screen` makes the window and picks the compositor (``display.renderer``:
``auto`` tries the GPU path and falls back to software if SDL gives no renderer, or one
that fails its self-test). A GPU screen that fails later, at any frame, hands over to the
software compositor for the rest of the run (:class:`FallbackScreen`): an SDL error never
ends the process or leaves the screen dark.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable, Hashable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pygame

from player.core.errors import GpuUnavailable, KeptScreenUnusable
from player.render.frame import Frame
from player.render.glinfo import is_software_rasteriser
from player.render.gpu import RENDER_ERRORS, GpuCompositor, SoftwareGL, StreamingPresenter, present_black
from player.render.software import DrawnFrame, changed_area, draw_frame, rotate_into

if TYPE_CHECKING:
    from pygame._sdl2 import video

    from player.render.kms import KmsPresenter

log = logging.getLogger(__name__)

# What a software screen survives: SDL's errors, and a kept screen's failed ioctls.
_SOFTWARE_ERRORS: tuple[type[Exception], ...] = (*RENDER_ERRORS, KeptScreenUnusable)

# A frame with what it needs to be drawn again: (frame, its layers' surfaces, overlay).
_Shown = tuple[Frame, dict[Hashable, pygame.Surface], pygame.Surface | None]


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

    def settle(self) -> bool:
        """Present the last frame once more if the display may not show it yet; True while more are owed."""
        ...


# On a bare console (SDL's KMSDRM driver) a presented frame reaches the glass only after
# later presents: on the emulated box the first frame of a GPU renderer stayed black until a
# second present, and a software window's until a third, so a player that started on a static
# slide showed black for its whole duration. Every frame is presented this many times more
# before the loop sleeps on it (Player._finish, Player._wait): a few presents per slide change.
# (Screens with a renderer also present black once when they open, gpu.present_black, so
# that the first slide shows at its own present: what a restart after a crash waits for.)
SETTLE_PRESENTS = 3


def logical_size(physical: tuple[int, int], rotate: int) -> tuple[int, int]:
    """The frame size content is laid out in: width and height swap for portrait mounts."""
    return (physical[1], physical[0]) if rotate in (90, 270) else physical


def fit_into(target: pygame.Surface, frame: pygame.Surface) -> None:
    """Draw ``frame`` scaled to fit ``target`` (kept in proportion, centred, black bars)."""
    (target_w, target_h), (frame_w, frame_h) = target.get_size(), frame.get_size()
    scale = min(target_w / frame_w, target_h / frame_h)
    size = (max(1, round(frame_w * scale)), max(1, round(frame_h * scale)))
    place = pygame.Rect(((target_w - size[0]) // 2, (target_h - size[1]) // 2), size)
    target.fill((0, 0, 0))
    pygame.transform.smoothscale(frame, size, target.subsurface(place))


def _reason(error: Exception) -> str:
    return str(error) or type(error).__name__


def _needed(frame: Frame, surfaces: Mapping[Hashable, pygame.Surface]) -> dict[Hashable, pygame.Surface]:
    """The surfaces ``frame`` draws, kept so it can be drawn again after the caller moves on."""
    return {layer.key: surfaces[layer.key] for layer in frame.layers}


class Presenter(Protocol):
    """Puts a frame composed in main memory on the glass (through SDL's renderer, or KMS directly)."""

    def present(self, frame: pygame.Surface) -> None: ...


class SoftwareScreen:
    """Composes on Surfaces in main memory and flips the window (or presents through ``presenter``).

    An SDL error while drawing or flipping is logged once per kind of error and the last
    good frame is put back; the next frame tries again. Nothing here ends the process.

    ``presenter``: on a bare console SDL backs a window's surface with an OpenGL texture of
    its own; when the player already has a renderer (it asked it what the GL is), frames go
    through that one instead of a second GL context (1.7 s of start-up on the emulated box).
    """

    def __init__(
        self,
        window: pygame.Window,
        rotate: int,
        presenter: Presenter | None = None,
        physical: tuple[int, int] | None = None,
    ) -> None:
        self.window = window
        self.presenter = presenter
        # The frame's size on the glass, fixed for the run (the window's, unless given); a window
        # that changes size later (``f`` in a preview) shows the frame scaled to fit.
        self.physical = physical or window.size
        self._frame = pygame.Surface(self.physical) if presenter else None
        self.rotate = rotate
        self.logical = logical_size(self.physical, rotate)
        self.name = "software"
        self._canvas = pygame.Surface(self.logical) if rotate else None
        self._unscaled: pygame.Surface | None = None  # the frame, while the window is not its size
        self._last_good: _Shown | None = None
        self._errors_said: set[str] = set()
        self._owed = 0  # presents of the last frame still to make (SETTLE_PRESENTS)
        self._drawn: DrawnFrame | None = None  # what the canvas holds, for drawing only what changed
        self._refreshed: set[Hashable] = set()  # slides whose pixels changed in place since (a video frame)

    def show(self, frame: Frame, surfaces: Mapping[Hashable, pygame.Surface], overlay: pygame.Surface | None) -> None:
        shown = (frame, _needed(frame, surfaces), overlay)
        try:
            self._draw(*shown)
        except _SOFTWARE_ERRORS as error:
            self._said(error)
            self._drawn = None  # half drawn: the next frame is drawn whole
            self._put_back_last_good()
            return
        self._last_good = shown
        self._owed = SETTLE_PRESENTS

    def settle(self) -> bool:
        if self._owed <= 0:
            return False
        self._owed -= 1
        try:
            self._flip()  # the window's surface still holds the last frame
        except _SOFTWARE_ERRORS as error:
            self._said(error)
        return self._owed > 0

    def _draw(self, frame: Frame, surfaces: Mapping[Hashable, pygame.Surface], overlay: pygame.Surface | None) -> None:
        target = self._target()
        canvas = self._canvas or target
        # Only the part that changed is drawn again (a ticker's strip under a still layout: an
        # eighth of the frame, not all of it, 60 times a second); the rest of the canvas holds.
        drawn, self._drawn = self._drawn, None
        area = None
        if drawn is not None and drawn.canvas is canvas and overlay is None and not drawn.overlay:
            area = changed_area(drawn.frame, drawn.sizes, frame, surfaces, canvas.get_size(), self._refreshed)
        if area is None:
            draw_frame(canvas, frame, surfaces)
        elif area[2] > 0 and area[3] > 0:
            canvas.set_clip(area)
            draw_frame(canvas, frame, surfaces)
            canvas.set_clip(None)
        self._refreshed.clear()
        if overlay is not None:
            canvas.blit(overlay, (0, 0))
        if self._canvas is not None:
            rotate_into(target, self._canvas, self.rotate)
        self._drawn = DrawnFrame(frame, {key: s.get_size() for key, s in surfaces.items()}, canvas, overlay is not None)
        self._flip()

    def _target(self) -> pygame.Surface:
        """Where the physical frame is composed: the window's own surface while it has the frame's size."""
        if self._frame is not None:
            return self._frame
        surface = self.window.get_surface()
        if surface.get_size() == self.physical:
            self._unscaled = None
            return surface
        if self._unscaled is None:
            self._unscaled = pygame.Surface(self.physical)
        return self._unscaled

    def _flip(self) -> None:
        if self.presenter is not None and self._frame is not None:
            self.presenter.present(self._frame)
            return
        if self._unscaled is not None:
            fit_into(self.window.get_surface(), self._unscaled)
        self.window.flip()

    def _put_back_last_good(self) -> None:
        # A failed frame may have half-drawn the window's surface; what the screen shows
        # (and screenshots read) should be the last frame that drew completely.
        if self._last_good is None:
            return
        try:
            self._draw(*self._last_good)
        except _SOFTWARE_ERRORS as error:
            self._said(error)  # the window itself is failing: the screen keeps its last flip

    def _said(self, error: Exception) -> None:
        """Log each kind of drawing error once, not once per frame at 60 fps."""
        message = _reason(error)
        if message not in self._errors_said:
            self._errors_said.add(message)
            log.warning("software compositor: cannot draw a frame (%s); the last good frame stays on screen", message)

    def read_pixels(self) -> pygame.Surface:
        return self._target().copy()

    def keep_only(self, keys: Iterable[Hashable]) -> None:
        pass  # the painter's cache owns the surfaces

    def refresh(self, key: Hashable, surface: pygame.Surface) -> None:
        self._refreshed.add(key)  # each frame is composed from the surfaces as they are: draw this one again

    def preload(self, key: Hashable, surface: pygame.Surface) -> None:
        pass  # nothing to upload: surfaces are drawn from main memory


class GpuScreen:
    """Uploads each prepared slide once; frames are textured quads drawn by SDL's renderer."""

    def __init__(self, compositor: GpuCompositor) -> None:
        self.compositor = compositor
        self.window = compositor.window
        self.logical = compositor.logical
        if not compositor.rotate:
            # SDL scales this frame to the window, letterboxed, when the window changes size (``f``
            # in a preview); a rotated frame is drawn centred at its own size (gpu.GpuCompositor.draw).
            compositor.renderer.logical_size = compositor.logical
        self.name = compositor.name
        self._last: tuple[Frame, pygame.Surface | None] | None = None
        self._overlay_key = object()
        self._owed = 0  # presents of the last frame still to make (SETTLE_PRESENTS)

    def show(self, frame: Frame, surfaces: Mapping[Hashable, pygame.Surface], overlay: pygame.Surface | None) -> None:
        for layer in frame.layers:
            self.compositor.upload(layer.key, surfaces[layer.key])
        self._draw(frame, overlay)
        self.compositor.present()
        self._last = (frame, overlay)
        self._owed = SETTLE_PRESENTS

    def settle(self) -> bool:
        if self._owed <= 0 or self._last is None:
            return False
        self._owed -= 1
        self._draw(*self._last)  # the back buffer is undefined after a present
        self.compositor.present()
        return self._owed > 0

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

    def close(self) -> None:
        """Release the renderer and its textures (the screen is unusable after)."""
        self._last = None
        self.compositor.close()


class FallbackScreen:
    """The GPU screen until its first SDL error, then the software screen for the rest of the run.

    Proven at creation is not proven forever: a driver can fail any call later (issue 14's
    renderer failed at the first frame). Whatever the GPU path raises, from an upload to a
    present, the renderer is destroyed, the frame on screen is drawn again in software, and
    ``name`` (the status file's ``renderer``) says why, e.g. ``software (GPU failed: ...)``.
    """

    def __init__(self, gpu: GpuScreen, rotate: int) -> None:
        self.gpu: GpuScreen | None = gpu
        self.software: SoftwareScreen | None = None
        self.window = gpu.window
        self.logical = gpu.logical
        self.rotate = rotate
        self.name = gpu.name
        self.failure: str | None = None  # the SDL error that ended the GPU path
        self._last: _Shown | None = None

    def show(self, frame: Frame, surfaces: Mapping[Hashable, pygame.Surface], overlay: pygame.Surface | None) -> None:
        if self.gpu is not None:
            self._last = (frame, _needed(frame, surfaces), overlay)
            if self._on_gpu(lambda gpu: gpu.show(frame, surfaces, overlay), redraw=False):
                return
        self._software().show(frame, surfaces, overlay)

    def read_pixels(self) -> pygame.Surface:
        if self.gpu is not None:
            try:
                return self.gpu.read_pixels()
            except RENDER_ERRORS as error:
                reason = _reason(error)
            self._fall_back(reason, redraw=True)
        return self._software().read_pixels()

    def keep_only(self, keys: Iterable[Hashable]) -> None:
        if self.gpu is not None:
            wanted = tuple(keys)
            self._on_gpu(lambda gpu: gpu.keep_only(wanted))

    def refresh(self, key: Hashable, surface: pygame.Surface) -> None:
        if self.gpu is not None:
            self._on_gpu(lambda gpu: gpu.refresh(key, surface))

    def preload(self, key: Hashable, surface: pygame.Surface) -> None:
        if self.gpu is not None:
            self._on_gpu(lambda gpu: gpu.preload(key, surface))

    def settle(self) -> bool:
        if self.gpu is not None:
            owed: list[bool] = []
            if self._on_gpu(lambda gpu: owed.append(gpu.settle())):
                return owed[0]
        return self.software is not None and self.software.settle()

    def _on_gpu(self, action: Callable[[GpuScreen], None], *, redraw: bool = True) -> bool:
        """Run ``action`` on the GPU screen; False if an SDL error in it switched the screen to software.

        ``redraw``: put the last frame back up in software at once (no caller is about to
        show one: on a static slide nothing else would draw for a while).
        """
        assert self.gpu is not None
        try:
            action(self.gpu)
            return True
        except RENDER_ERRORS as error:
            reason = _reason(error)
        # Out of the except block, so no traceback still holds the renderer.
        self._fall_back(reason, redraw=redraw)
        return False

    def _fall_back(self, reason: str, *, redraw: bool) -> None:
        log.warning("GPU renderer failed (%s); using the software compositor for the rest of this run", reason)
        gpu, self.gpu = self.gpu, None
        assert gpu is not None
        gpu.close()
        del gpu
        # SDL hands the window's surface to software drawing only once the renderer is
        # destroyed (KMSDRM); make sure no reference cycle keeps it alive.
        gc.collect()
        self.failure = reason
        self.name = f"software (GPU failed: {reason})"
        if redraw and self._last is not None:
            self._software().show(*self._last)
        self._last = None  # the software screen keeps its own last good frame

    def _software(self) -> SoftwareScreen:
        if self.software is None:
            # The frame's size, not the window's: the window may be full screen by now.
            physical = logical_size(self.logical, self.rotate)
            self.software = SoftwareScreen(self.window, self.rotate, physical=physical)
        return self.software


DEFAULT_WINDOW = (1280, 720)  # a preview window's size when none is asked for


def open_window(size: tuple[int, int] | None, fullscreen: bool, title: str = "signage") -> pygame.Window:
    """The player's window: full screen at the desktop's size, or a window of ``size``."""
    if fullscreen:
        # No size: take over the desktop as it is (no mode switch); a size: switch to that mode.
        window = pygame.Window(
            title, size or desktop_size(), fullscreen_desktop=size is None, fullscreen=size is not None
        )
        pygame.mouse.set_visible(False)
    else:
        window = pygame.Window(title, size or DEFAULT_WINDOW)
    return window


def open_screen(
    window: pygame.Window,
    renderer: str,
    rotate: int,
    *,
    software_gpu: bool = False,
    present_through_renderer: bool | None = None,
    gl_note: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Screen:
    """The compositor for ``window``: ``gpu``, ``software``, or ``auto`` (GPU, else software).

    ``gpu`` raises :class:`GpuUnavailable` when no renderer passes its self-test; once
    running, either GPU choice falls back to software at the first SDL error.

    ``gl_note``: where ``auto`` on X11 keeps what GL this display has (player/render/glprobe.py),
    asked in a child process, so that a software GL is never loaded into the player.
    """
    logical = logical_size(window.size, rotate)
    why = ""
    presenter: StreamingPresenter | None = None
    driver = pygame.display.get_driver()
    if present_through_renderer is None:
        # Where SDL backs the window surface with a GL texture anyway (KMSDRM); X11 gets shared memory.
        present_through_renderer = driver == "KMSDRM"
    if renderer == "auto" and driver == "x11" and gl_note is not None:
        software_gl = _software_gl_on_x11(gl_note, environ if environ is not None else {})
        if software_gl is not None:
            return _shared_memory_screen(window, rotate, software_gl)
    if renderer in ("auto", "gpu"):
        opened = _gpu_screen(window, logical, rotate, renderer, software_gpu, present_through_renderer)
        if not isinstance(opened, tuple):
            return opened
        why, presenter = opened
        gc.collect()  # the failed renderer must be gone before software drawing takes the window
    if driver == "x11":
        reason = why.strip(" ()") or ("display.renderer: software" if renderer == "software" else "no GPU renderer")
        return _shared_memory_screen(window, rotate, reason)
    screen_sw = SoftwareScreen(window, rotate, presenter)
    screen_sw.name += why
    log.info("renderer: software (%dx%d, rotate %d)", *window.size, rotate)
    return screen_sw


def _gpu_screen(
    window: pygame.Window,
    logical: tuple[int, int],
    rotate: int,
    renderer: str,
    software_gpu: bool,
    present_through_renderer: bool,
) -> Screen | tuple[str, StreamingPresenter | None]:
    """The GPU path's screen; or, where software is the better choice, why, and a presenter for it."""
    try:
        compositor = GpuCompositor.create(
            window, logical, rotate, software=software_gpu, refuse_software_gl=renderer == "auto"
        )
    except SoftwareGL as error:
        # A choice, not a failure: on llvmpipe the GPU path costs LLVM's memory, a GL copy
        # of every slide and slower frames (issue 17; on the emulated box 45% of a core).
        log.info("%s: composing in main memory is cheaper (display.renderer: gpu forces the GPU path)", error)
        presenter = None
        if present_through_renderer and error.renderer is not None:
            presenter = _presenter(error.renderer, window.size)
        error.renderer = None
        return f" ({error})", presenter
    except GpuUnavailable as error:  # every SDL error of creation and self-test becomes one
        if renderer == "gpu":
            raise
        log.warning("GPU renderer unavailable (%s); using the software compositor", error)
        return "", None
    gpu = GpuScreen(compositor)
    log.info("renderer: %s (%dx%d, rotate %d)", gpu.name, *window.size, rotate)
    return FallbackScreen(gpu, rotate)


def _software_gl_on_x11(note: Path, environ: Mapping[str, str]) -> str | None:
    """Why to compose in main memory on this X display (its GL is a software rasteriser), or None."""
    from player.render import glprobe

    place = glprobe.where(environ, "x11")
    answer, how = glprobe.remembered(note, place), "as found at an earlier start"
    if answer is None:
        answer, how = glprobe.ask_child(environ), "asked in a child process"
        if answer is None:
            return None  # no answer: the GPU path's own probe decides, as on any display
        glprobe.remember(note, place, answer)
    if not is_software_rasteriser(answer.gl_renderer):
        return None
    return f"the GL is {answer.gl_renderer}, a software rasteriser, {how}"


def _shared_memory_screen(window: pygame.Window, rotate: int, why: str) -> SoftwareScreen:
    """The software compositor on X11, presenting through X11 shared memory where asked for.

    By default SDL backs a window's surface with a GL texture of its own, which loads the
    GL (LLVM, with a software one) and uploads every frame (bench/RESULTS.md, transitions: a
    slide-left frame 2.1 ms through shared memory against 11.9 on the GPU path). SDL reads the
    hint that asks for shared memory when the window's surface is first made, which is next;
    display.open_player_screen sets it on X11 (display.py writes SDL's environment). The name
    says which present this is, from the hint itself: a caller that did not set it gets SDL's.
    """
    screen = SoftwareScreen(window, rotate)
    shared = os.environ.get("SDL_FRAMEBUFFER_ACCELERATION") == "0"
    screen.name = f"software, presented through {'X11 shared memory' if shared else 'SDL window surface'} ({why})"
    log.info("renderer: %s (%dx%d, rotate %d)", screen.name, *window.size, rotate)
    return screen


def kept_screen(presenter: KmsPresenter, rotate: int) -> SoftwareScreen:
    """A software screen that presents through the screen a player before this one kept (render/kms.py).

    Its window is SDL's invisible one (the dummy driver), of the glass's size: it gives pygame
    its event queue and the frame its size; nothing is drawn on it.
    """
    window = pygame.Window("signage", presenter.size)
    screen = SoftwareScreen(window, rotate, presenter)
    screen.name = "software (KMS: the screen kept through a restart)"
    log.info("renderer: %s (%dx%d, rotate %d)", screen.name, *window.size, rotate)
    return screen


def _presenter(renderer: video.Renderer, size: tuple[int, int]) -> StreamingPresenter | None:
    """A presenter on ``renderer``, its black frame presented; None (the window's own flip) if SDL fails."""
    try:
        presenter = StreamingPresenter(renderer, size)
        present_black(renderer)
    except RENDER_ERRORS as error:
        log.warning("cannot present through the renderer (%s); flipping the window instead", _reason(error))
        return None
    return presenter


def desktop_size() -> tuple[int, int]:
    sizes = pygame.display.get_desktop_sizes()
    return tuple(sizes[0]) if sizes else (1920, 1080)  # type: ignore[return-value]
