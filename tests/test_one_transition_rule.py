"""One transition rule: the real render loop and ``render --at`` show the same pixels at the
same instants, mid-transition included (both ask player.render.transition.transition_at)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pygame
import pytest
from PIL import Image

from player.core.loader import load_playlists
from player.core.scheduler import Timetable
from player.render.frame import Frame
from player.render.headless import render_at
from player.render.loop import PlayOptions
from player.render.screen import open_screen
from player.render.slides import Painter
from player.render.text import FontChain
from tests.harness import driven_player

SIZE = (160, 90)
T0 = datetime(2024, 1, 1, tzinfo=UTC)
PLAYLIST = (
    "defaults: {duration: 1, transition_duration: 0.5}\nslides:\n"
    "  - {image: red.png, transition: fade}\n  - {image: green.png, transition: slide-left}\n"
    "  - {text: Hi, background: '#0000ff', transition: slide-up}\n  - {image: red.png, transition: cut, id: again}\n"
)
TOLERANCE = 2  # per channel: the window's surface and a plain Surface may round a blend apart


@pytest.fixture(autouse=True)
def _pygame() -> Iterator[None]:
    pygame.display.init()
    pygame.freetype.init()
    yield
    pygame.display.quit()


def worst_difference(a: pygame.Surface, b: pygame.Surface) -> int:
    assert a.get_size() == b.get_size()
    left, right = pygame.image.tobytes(a, "RGB"), pygame.image.tobytes(b, "RGB")
    return max(abs(p - q) for p, q in zip(left, right, strict=True))


def test_the_loop_and_render_at_show_the_same_pixels_at_the_same_instants(tmp_path: Path) -> None:
    Image.new("RGB", (64, 36), (255, 0, 0)).save(tmp_path / "red.png")
    Image.new("RGB", (64, 36), (0, 160, 0)).save(tmp_path / "green.png")
    timetable = Timetable(load_playlists({"p.yaml": PLAYLIST}).playlists)
    painter = Painter(tmp_path, SIZE, FontChain.resolve(("DejaVu Sans:bold",)))
    window = pygame.Window("same pixels", SIZE)
    screen = open_screen(window, "software", 0)
    shown: list[tuple[datetime, Frame, pygame.Surface]] = []

    def on_present(frame: Frame) -> None:
        shown.append((player.clock.now(), frame, screen.read_pixels()))

    # Two cycles of driven time from mid-way through the first slide (the loop has no slide
    # before its first one to transition from; a picture of that instant has).
    player, _ = driven_player(
        timetable, T0 + timedelta(seconds=0.75), screen, painter, options=PlayOptions(refresh_rate=30), on_present=on_present
    )
    player.run(8.0)
    window.destroy()
    moving = [instant for instant, frame, _ in shown if len(frame.layers) == 2]
    assert len(moving) >= 3 * 2 * 10  # fade, slide-left and slide-up, twice, ~15 frames each at 30 fps
    for instant, _, pixels in shown:
        worst = worst_difference(pixels, render_at(timetable, painter, instant))
        assert worst <= TOLERANCE, f"at {instant.isoformat()} the loop and render --at differ by {worst}"
