"""Opening the display: SDL's settings, pygame's display and fonts, the player's window and screen.

The CLI calls these and never imports pygame itself. pygame is imported here only inside
the functions, after :func:`prepare_sdl`, because pygame reads some settings when imported
and SDL reads the rest when the display initialises.

A preview window's full screen is here too (:func:`enter_full_screen`), checked with the X
server itself: SDL takes what it asked for as done.
"""

from __future__ import annotations

import ctypes
import logging
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from player.core.errors import NoDisplay

if TYPE_CHECKING:
    import pygame

    from player.render.kms import KmsPresenter
    from player.render.screen import Screen
    from player.render.text import FontChain

log = logging.getLogger(__name__)

DEFAULT_REFRESH_HZ = 60
REFRESH_RANGE_HZ = (30.0, 240.0)  # transitions are paced at the display's rate, within this
# How long a window manager gets to make a window full screen (they answer within milliseconds).
FULL_SCREEN_ANSWER_S = 0.5


def sdl_settings(environ: Mapping[str, str], *, headless: bool, kept_screen: bool = False) -> dict[str, str]:
    """The SDL and pygame variables this run needs; what ``environ`` already says wins.

    ``kept_screen``: frames go to the glass through :mod:`player.render.kms`, so SDL gets
    its invisible driver whatever ``environ`` says (it must not open the display device).
    """
    wanted = {"PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    if headless:
        wanted["SDL_VIDEODRIVER"] = "dummy"
    settings = {name: environ.get(name, value) for name, value in wanted.items()}
    if kept_screen:
        settings["SDL_VIDEODRIVER"] = "dummy"
    return settings


def prepare_sdl(environ: Mapping[str, str], *, headless: bool, kept_screen: bool = False) -> None:
    """Put :func:`sdl_settings` into the process environment.

    The one place the player writes ``os.environ``: SDL reads its settings with getenv()
    when the display initialises, and pygame reads its own when imported; neither can be
    handed a mapping.
    """
    os.environ.update(sdl_settings(environ, headless=headless, kept_screen=kept_screen))


def take_over_screen(fd: int) -> KmsPresenter | None:
    """The screen a player before this one kept in systemd's store, ready for frames; None if unusable.

    Its last frame is still on the glass. When the device cannot be used (it is not the
    display's master, or has no connected screen), it is closed and SDL opens the display
    as on any start.
    """
    from player.core.errors import KeptScreenUnusable
    from player.render.kms import KmsPresenter

    try:
        presenter = KmsPresenter(fd)
    except (KeptScreenUnusable, OSError) as error:
        log.warning("cannot use the screen the last player kept (%s); opening the display anew", error)
        os.close(fd)
        return None
    width, height = presenter.size
    log.info(
        "took over the screen the last player kept (%dx%d, %.0f Hz): its last frame stayed up",
        width,
        height,
        presenter.refresh_hz,
    )
    return presenter


def screen_to_keep(screen: Screen) -> int | None:
    """The DRM device to keep in systemd's store, so that the screen outlives this process; None if none.

    Only a software-composed screen on a bare console: a restarted player keeps drawing on it
    in software (:mod:`player.render.kms`), which on a machine with a real GPU would be the
    slower path. A screen taken over from the store is there already.
    """
    import pygame

    from player.render.kms import master_fd
    from player.render.screen import SoftwareScreen

    if not isinstance(screen, SoftwareScreen) or pygame.display.get_driver() != "KMSDRM":
        return None
    return master_fd()


def open_display(environ: Mapping[str, str], *, headless: bool, kept_screen: bool = False) -> None:
    """Initialise the display and fonts only: no audio device is opened (billboards are silent).

    ``kept_screen``: a screen was taken over (:func:`take_over_screen`); SDL runs without one.

    Raises:
        NoDisplay: SDL cannot open a display, or (not ``headless``) offers only an invisible one.
    """
    prepare_sdl(environ, headless=headless, kept_screen=kept_screen)
    import pygame
    import pygame.freetype

    try:
        pygame.display.init()
    except pygame.error as error:
        raise NoDisplay(str(error)) from None
    driver = pygame.display.get_driver()
    invisible_asked = kept_screen or environ.get("SDL_VIDEODRIVER") == driver
    if not headless and driver in ("offscreen", "dummy") and not invisible_asked:
        # SDL falls back to an invisible driver when it finds no screen: playing there
        # would look like success while nobody sees anything.
        pygame.display.quit()
        raise NoDisplay(f"SDL found no screen (it offered its {driver!r} driver)")
    pygame.freetype.init()


def close_display() -> None:
    import pygame

    pygame.display.quit()


def refresh_rate(kept: KmsPresenter | None = None) -> float:
    """The screen's refresh rate (60 if SDL cannot say), within :data:`REFRESH_RANGE_HZ`."""
    import pygame

    try:
        rates = [kept.refresh_hz] if kept is not None else pygame.display.get_desktop_refresh_rates()
    except (pygame.error, AttributeError):
        rates = []
    rate = rates[0] if rates and rates[0] > 0 else DEFAULT_REFRESH_HZ
    low, high = REFRESH_RANGE_HZ
    return max(low, min(high, float(rate)))


def present_through_shared_memory() -> None:
    """On X11, back window surfaces with X11 shared memory, not a GL texture (SDL's default).

    Read by SDL when a window's surface is first made, from its hints or the environment. Set
    before any compositor opens: the GPU path never asks for a window surface, and the software
    compositor (chosen, or the fallback) gets the cheap present (player/render/screen.py).
    """
    os.environ["SDL_FRAMEBUFFER_ACCELERATION"] = "0"


def open_player_screen(
    size: tuple[int, int] | None,
    fullscreen: bool,
    renderer: str,
    rotate: int,
    fonts: Sequence[str],
    kept: KmsPresenter | None = None,
    *,
    gl_note: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[Screen, FontChain]:
    """The player's window and compositor (:func:`~player.render.screen.open_screen`), and its fonts.

    ``kept``: the screen taken over from a player before this one: frames are composed in
    software and presented through it, at the mode the glass already shows.
    """
    from player.render.screen import kept_screen, open_screen, open_window
    from player.render.text import FontChain, locate_fonts

    # Fonts are looked up before the window opens, not beside it on a thread: libfontconfig
    # (ctypes) on one thread while SDL opened its X11 window on the other crashed the player
    # now and then ("X connection broken", then a segfault in FcFontMatch: 2 clean-clone runs
    # of 3). In this process the lookup takes about 12 ms.
    located = locate_fonts(fonts)
    screen: Screen
    if kept is not None:
        screen = kept_screen(kept, rotate)
    else:
        import pygame

        if pygame.display.get_driver() == "x11":
            present_through_shared_memory()
        screen = open_screen(open_window(size, fullscreen), renderer, rotate, gl_note=gl_note, environ=environ)
    return screen, FontChain.resolve(fonts, located)


def _xlib() -> ctypes.CDLL | None:
    """libX11, with the prototypes used here; None off X11 (SDL's X11 driver has it loaded already)."""
    import pygame

    if pygame.display.get_driver() != "x11":
        return None
    try:
        xlib = ctypes.CDLL("libX11.so.6")
    except OSError:
        return None
    pointer, uint, sint = ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(ctypes.c_int)
    xlib.XOpenDisplay.restype = pointer
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XCloseDisplay.argtypes = [pointer]
    xlib.XDefaultScreen.argtypes = [pointer]
    xlib.XInternAtom.restype = ctypes.c_ulong
    xlib.XInternAtom.argtypes = [pointer, ctypes.c_char_p, ctypes.c_int]
    xlib.XGetSelectionOwner.restype = ctypes.c_ulong
    xlib.XGetSelectionOwner.argtypes = [pointer, ctypes.c_ulong]
    xlib.XGetGeometry.argtypes = [pointer, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong), sint, sint, *[uint] * 4]
    return xlib


@contextmanager
def _x_server() -> Iterator[tuple[ctypes.CDLL, int] | None]:
    """A connection of the player's own to SDL's X server (SDL's is not ours to use); None off X11."""
    xlib = _xlib()
    connection = xlib.XOpenDisplay(None) if xlib is not None else None
    if xlib is None or not connection:
        yield None
        return
    try:
        yield xlib, connection
    finally:
        xlib.XCloseDisplay(connection)


def server_window_size(window: pygame.Window) -> tuple[int, int] | None:
    """The window's size as the X server has it; None off X11, or if the server cannot be asked.

    SDL's own ``window.size`` is what SDL asked for, not what it got: asked for full screen, it
    takes the desktop's size at once, whether or not a window manager makes it so (issue 18).
    """
    with _x_server() as server:
        if server is None:
            return None
        xlib, connection = server
        root, x, y = ctypes.c_ulong(), ctypes.c_int(), ctypes.c_int()
        width, height, border, depth = (ctypes.c_uint() for _ in range(4))
        places = (root, x, y, width, height, border, depth)
        found = xlib.XGetGeometry(connection, window.handle, *(ctypes.byref(place) for place in places))
    return (width.value, height.value) if found else None


def window_manager_runs() -> bool | None:
    """Whether a window manager runs on SDL's X server (it owns ICCCM's ``WM_Sn``); None off X11."""
    with _x_server() as server:
        if server is None:
            return None
        xlib, connection = server
        selection = xlib.XInternAtom(connection, f"WM_S{xlib.XDefaultScreen(connection)}".encode(), 0)
        return bool(xlib.XGetSelectionOwner(connection, selection))


class Windowed(NamedTuple):
    """Where a window was before it went full screen, and how it went (to undo the same way)."""

    position: tuple[int, int]
    size: tuple[int, int]
    by_hand: bool = False  # no window manager did it: the player laid the window over the desktop


def enter_full_screen(window: pygame.Window, desktop: tuple[int, int]) -> Windowed | None:
    """Put ``window`` full screen as the server shows it; None if it cannot be (it stays as it was).

    SDL asks the window manager, and draws for the desktop's size at once. With none (an X
    server alone: Xvfb, a kiosk's bare X) nobody answers, and the window stayed as it was while
    SDL drew for the desktop (issue 18: half the frame shown, the rest black). There, and where
    a window manager does not answer, the window is moved and resized over the desktop instead,
    which a server with no window manager does at once.
    """
    before = Windowed(window.position, window.size)
    if window_manager_runs() is not False:
        window.set_fullscreen(desktop=True)
        if _server_agrees(window):
            return before
        window.set_windowed()  # what SDL believes is what the server shows again
    window.position = (0, 0)
    window.size = desktop
    if _server_agrees(window) and window.size == desktop:
        log.info("full screen: no window manager made it so; the window covers the desktop (%dx%d)", *desktop)
        return before._replace(by_hand=True)
    window.size, window.position = before.size, before.position
    log.warning("full screen: this display made the window neither full screen nor desktop-sized; it stays a window")
    return None


def leave_full_screen(window: pygame.Window, windowed: Windowed) -> None:
    """Back to the window ``windowed`` says, undoing full screen the way :func:`enter_full_screen` did it."""
    if windowed.by_hand:
        window.size, window.position = windowed.size, windowed.position
    else:
        window.set_windowed()


def _server_agrees(window: pygame.Window, answer_s: float = FULL_SCREEN_ANSWER_S) -> bool:
    """True once the server's size of ``window`` is SDL's (at once off X11, where nothing can be asked)."""
    import pygame

    deadline = time.monotonic() + answer_s
    while True:
        pygame.event.pump()  # SDL reads the server's answer (ConfigureNotify) here; events stay queued
        shown = server_window_size(window)
        if shown is None or shown == window.size:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
