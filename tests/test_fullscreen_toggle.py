"""``f`` in a preview window on an X server without a window manager (issue 18).

SDL asks a window manager for full screen and, answered or not, draws for the desktop's size at
once. Xvfb alone answers nothing: the old player's window kept its size and showed the bottom half
of the frame in its top half (GPU); with a window manager, the frame filled one corner of the
desktop. The player now lays the window over the desktop itself where no window manager runs, and
scales the frame to the window.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pygame
import pytest
from PIL import Image, ImageGrab

from player.render.frame import Frame, Layer
from player.render.screen import SoftwareScreen, fit_into
from tests.xserver import free_display, start_xvfb, stop_xvfb

DESKTOP = (640, 360)
WINDOW = (320, 180)
QUADRANTS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255))  # top left, top right, bottom left, right
DEADLINE_S = 20

# The real player, with ``f`` (or any key named on stdin) put into SDL's queue as a keyboard would:
# no xdotool needed, and the key reaches the same handler.
LAUNCH = """
import sys, threading
import pygame
from player.cli.main import main

def keys():
    for line in sys.stdin:
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.key.key_code(line.strip())))

threading.Thread(target=keys, daemon=True).start()
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def bare_x() -> Iterator[str]:
    """An X server with no window manager."""
    name = free_display(211, 259)
    server = start_xvfb(name, "x".join(map(str, DESKTOP)))
    yield name
    stop_xvfb(server)


def screen_folder(root: Path, renderer: str) -> Path:
    for folder in ("playlists", "media", "state", "config"):
        (root / folder).mkdir(parents=True)
    (root / "config" / "player.yaml").write_text(f"timezone: UTC\ndisplay: {{renderer: {renderer}}}\n")
    picture = Image.new("RGB", (16, 9))
    for i, colour in enumerate(QUADRANTS):
        picture.paste(colour, (i % 2 * 8, i // 2 * 5, i % 2 * 8 + 8, i // 2 * 5 + 5))
    picture.save(root / "media" / "quadrants.png")
    (root / "playlists" / "p.yaml").write_text("name: p\nslides:\n  - {image: quadrants.png, duration: 600}\n")
    return root


def shows_frame(display: str, left: int, top: int, width: int, height: int) -> bool:
    """True if the X screen shows the whole quadrant frame in that rectangle (read at the quadrants' middles)."""
    shot = ImageGrab.grab(xdisplay=display).convert("RGB")
    middles = [(left + width * x // 4, top + height * y // 4) for y in (1, 3) for x in (1, 3)]
    return all(
        max(abs(a - b) for a, b in zip(shot.getpixel(xy), colour, strict=True)) < 40  # type: ignore[arg-type]
        for xy, colour in zip(middles, QUADRANTS, strict=True)
    )


def press(player: subprocess.Popen[str], key: str) -> None:
    assert player.stdin is not None
    player.stdin.write(f"{key}\n")
    player.stdin.flush()


def wait_until(check: Callable[[], bool], what: str) -> None:
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < 5, what
        time.sleep(0.05)


def test_f_without_a_window_manager_shows_the_whole_frame_full_screen(tmp_path: Path, bare_x: str) -> None:
    # The GPU path, where the old player showed the picture issue 18 describes; the software
    # path's part (scaling the frame to the window) is the next test's.
    root = screen_folder(tmp_path, "gpu")
    env = {**os.environ, "DISPLAY": bare_x, "SDL_VIDEODRIVER": "x11", "TZ": "UTC"}
    command = [sys.executable, "-c", LAUNCH, "run", "--windowed", "--size", "x".join(map(str, WINDOW))]
    centred = ((DESKTOP[0] - WINDOW[0]) // 2, (DESKTOP[1] - WINDOW[1]) // 2, *WINDOW)
    with subprocess.Popen(
        command, cwd=root, env=env, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as player:
        try:
            began = time.monotonic()
            while not (root / "state" / "status.json").exists():
                assert player.poll() is None and time.monotonic() - began < DEADLINE_S, "no first frame"
                time.sleep(0.05)
            wait_until(lambda: shows_frame(bare_x, *centred), "the window does not show the frame")
            press(player, "f")
            wait_until(lambda: shows_frame(bare_x, 0, 0, *DESKTOP), "f did not show the frame full screen")
            press(player, "f")
            wait_until(lambda: shows_frame(bare_x, *centred), "f again did not give the window back")
            _, err = player.communicate("q\n", timeout=DEADLINE_S)
        finally:
            player.kill()
    assert player.returncode == 0, err
    assert "no window manager made it so; the window covers the desktop" in err


def test_a_software_screen_scales_its_frame_to_a_window_that_changed_size() -> None:
    pygame.display.init()
    window = pygame.Window("t", (64, 36))
    screen = SoftwareScreen(window, 0)
    window.size = (160, 120)  # as full screen does: the frame keeps its size, the window does not
    frame = pygame.Surface((64, 36))
    frame.fill((255, 0, 0))
    screen.show(Frame((Layer("f"),)), {"f": frame}, None)
    shown = window.get_surface()
    # 64x36 fits 160x120 at 2.5x: 160x90, centred between black bars 15 px high.
    assert shown.get_at((80, 60))[:3] == (255, 0, 0) and shown.get_at((1, 16))[:3] == (255, 0, 0)
    assert shown.get_at((80, 5))[:3] == (0, 0, 0) and shown.get_at((80, 114))[:3] == (0, 0, 0)
    assert screen.read_pixels().get_size() == (64, 36)  # screenshots stay the frame
    window.destroy()


def test_fit_into_keeps_the_proportions() -> None:
    frame = pygame.Surface((4, 2))
    frame.fill((0, 0, 255))
    target = pygame.Surface((8, 8))
    target.fill((9, 9, 9))
    fit_into(target, frame)
    assert [target.get_at((0, y))[:3] for y in (1, 2, 5, 6)] == [(0, 0, 0), (0, 0, 255), (0, 0, 255), (0, 0, 0)]
