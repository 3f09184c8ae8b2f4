"""Opening the display: SDL's settings, pygame's display and fonts, the player's window and screen.

The CLI calls these and never imports pygame itself. pygame is imported here only inside
the functions, after :func:`prepare_sdl`, because pygame reads some settings when imported
and SDL reads the rest when the display initialises.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from player.core.errors import NoDisplay

if TYPE_CHECKING:
    from player.render.kms import KmsPresenter
    from player.render.screen import Screen
    from player.render.text import FontChain

log = logging.getLogger(__name__)

DEFAULT_REFRESH_HZ = 60
REFRESH_RANGE_HZ = (30.0, 240.0)  # transitions are paced at the display's rate, within this


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

    # Fonts are looked up while the window and renderer open: both are on the way to the first frame.
    with ThreadPoolExecutor(1) as lookup:
        located = lookup.submit(locate_fonts, fonts)
        screen: Screen
        if kept is not None:
            screen = kept_screen(kept, rotate)
        else:
            import pygame

            if pygame.display.get_driver() == "x11":
                present_through_shared_memory()
            screen = open_screen(open_window(size, fullscreen), renderer, rotate, gl_note=gl_note, environ=environ)
        chain = FontChain.resolve(fonts, located.result())
    return screen, chain
