"""Opening the display: SDL's settings, pygame's display and fonts, the player's window and screen.

The CLI calls these and never imports pygame itself. pygame is imported here only inside
the functions, after :func:`prepare_sdl`, because pygame reads some settings when imported
and SDL reads the rest when the display initialises.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from player.core.errors import NoDisplay

if TYPE_CHECKING:
    from player.render.screen import Screen
    from player.render.text import FontChain

DEFAULT_REFRESH_HZ = 60
REFRESH_RANGE_HZ = (30.0, 240.0)  # transitions are paced at the display's rate, within this


def sdl_settings(environ: Mapping[str, str], *, headless: bool) -> dict[str, str]:
    """The SDL and pygame variables this run needs; what ``environ`` already says wins."""
    wanted = {"PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    if headless:
        wanted["SDL_VIDEODRIVER"] = "dummy"
    return {name: environ.get(name, value) for name, value in wanted.items()}


def prepare_sdl(environ: Mapping[str, str], *, headless: bool) -> None:
    """Put :func:`sdl_settings` into the process environment.

    The one place the player writes ``os.environ``: SDL reads its settings with getenv()
    when the display initialises, and pygame reads its own when imported; neither can be
    handed a mapping.
    """
    os.environ.update(sdl_settings(environ, headless=headless))


def open_display(environ: Mapping[str, str], *, headless: bool) -> None:
    """Initialise the display and fonts only: no audio device is opened (billboards are silent).

    Raises:
        NoDisplay: SDL cannot open a display, or (not ``headless``) offers only an invisible one.
    """
    prepare_sdl(environ, headless=headless)
    import pygame
    import pygame.freetype

    try:
        pygame.display.init()
    except pygame.error as error:
        raise NoDisplay(str(error)) from None
    driver = pygame.display.get_driver()
    if not headless and driver in ("offscreen", "dummy") and environ.get("SDL_VIDEODRIVER") != driver:
        # SDL falls back to an invisible driver when it finds no screen: playing there
        # would look like success while nobody sees anything.
        pygame.display.quit()
        raise NoDisplay(f"SDL found no screen (it offered its {driver!r} driver)")
    pygame.freetype.init()


def close_display() -> None:
    import pygame

    pygame.display.quit()


def refresh_rate() -> float:
    """The desktop's refresh rate (60 if SDL cannot say), within :data:`REFRESH_RANGE_HZ`."""
    import pygame

    try:
        rates = pygame.display.get_desktop_refresh_rates()
    except (pygame.error, AttributeError):
        rates = []
    rate = rates[0] if rates and rates[0] > 0 else DEFAULT_REFRESH_HZ
    low, high = REFRESH_RANGE_HZ
    return max(low, min(high, float(rate)))


def open_player_screen(
    size: tuple[int, int] | None, fullscreen: bool, renderer: str, rotate: int, fonts: Sequence[str]
) -> tuple[Screen, FontChain]:
    """The player's window and compositor (:func:`~player.render.screen.open_screen`), and its fonts."""
    from player.render.screen import open_screen, open_window
    from player.render.text import FontChain, locate_fonts

    # Fonts are looked up while the window and renderer open: both are on the way to the first frame.
    with ThreadPoolExecutor(1) as lookup:
        located = lookup.submit(locate_fonts, fonts)
        window = open_window(size, fullscreen)
        screen = open_screen(window, renderer, rotate)
        chain = FontChain.resolve(fonts, located.result())
    return screen, chain
