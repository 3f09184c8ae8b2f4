"""The screen: real pygame surfaces under SDL's dummy driver, checked pixel by pixel."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pygame
import pytest
from PIL import Image

from player.core.config import IdleConfig
from player.core.loader import load_playlists
from player.core.scheduler import Timetable
from player.ops.clock import ScaledClock
from player.render.frame import Frame
from player.render.headless import contact_sheet, frame_at, render_at
from player.render.loop import Player, PlayOptions
from player.render.screen import FallbackScreen, SoftwareScreen, open_screen
from player.render.slides import Painter
from player.render.text import FontChain
from tests.harness import driven_player

SIZE = (320, 180)
T0 = datetime(2024, 1, 1, tzinfo=UTC)
RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 160, 0)


@pytest.fixture(scope="module", autouse=True)
def _pygame():  # type: ignore[no-untyped-def]
    pygame.display.init()
    pygame.freetype.init()
    yield
    pygame.display.quit()


@pytest.fixture(scope="module")
def fonts() -> FontChain:
    return FontChain.resolve(("DejaVu Sans:bold", "Noto Sans CJK KR:bold"))


def solid(path: Path, color: tuple[int, int, int], size: tuple[int, int] = (64, 36)) -> Path:
    Image.new("RGB", size, color).save(path)
    return path


def content(tmp_path: Path, playlist: str, **images: tuple[int, int, int]) -> tuple[Timetable, Path]:
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    for name, color in images.items():
        solid(media / f"{name}.png", color)
    result = load_playlists({"p.yaml": playlist})
    assert not result.problems, result.problems
    return Timetable(result.playlists), media


def painter_for(media: Path, fonts: FontChain, size: tuple[int, int] = SIZE, **kwargs) -> Painter:  # type: ignore[no-untyped-def]
    return Painter(media, size, fonts, **kwargs)


def close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 3) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a[:3], b[:3], strict=True))


def test_every_prepared_slide_is_opaque_32_bit(tmp_path: Path, fonts: FontChain) -> None:
    """The compositors blend prepared slides every transition frame: a 24-bit or per-pixel-alpha
    surface would take SDL's slow path (a 1080p fade went from 2 ms to 18 ms a frame)."""
    media = tmp_path / "media"
    media.mkdir()
    Image.new("RGB", (64, 36), RED).save(media / "photo.jpg")
    Image.new("RGBA", (64, 36), (*GREEN, 128)).save(media / "clear.png")
    (media / "art.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="9"><rect width="8" height="9" fill="blue"/></svg>'
    )
    result = load_playlists(
        {
            "p.yaml": "name: p\nslides:\n  - {image: photo.jpg, tagline: Hi}\n  - {image: clear.png}\n"
            "  - {image: art.svg}\n  - {text: Words}\n"
        }
    )
    painter = painter_for(media, fonts)
    for slide in (*result.playlists[0].slides, None):
        _, surface = painter.prepare(slide)
        assert surface.get_bitsize() == 32 and not surface.get_flags() & pygame.SRCALPHA, slide
        assert surface.get_masks()[:3] == (0xFF0000, 0xFF00, 0xFF), slide


def test_cover_fills_and_contain_letterboxes(tmp_path: Path, fonts: FontChain) -> None:
    media = tmp_path / "media"
    media.mkdir()
    solid(media / "square.png", GREEN, (100, 100))
    result = load_playlists(
        {
            "p.yaml": "defaults: {transition: cut, duration: 10, background: '#102030'}\nslides:\n"
            "  - {image: square.png, fit: cover}\n  - {image: square.png, fit: contain}\n"
        }
    )
    timetable = Timetable(result.playlists)
    painter = painter_for(media, fonts)
    cover = render_at(timetable, painter, T0 + timedelta(seconds=1))
    assert all(close(cover.get_at((x, y)), GREEN) for x in (0, 160, 319) for y in (0, 90, 179))
    contain = render_at(timetable, painter, T0 + timedelta(seconds=11))
    assert close(contain.get_at((160, 90)), GREEN)
    assert close(contain.get_at((5, 90)), (0x10, 0x20, 0x30)) and close(contain.get_at((314, 90)), (0x10, 0x20, 0x30))


def test_mid_fade_is_the_blend_of_both_slides(tmp_path: Path, fonts: FontChain) -> None:
    timetable, media = content(
        tmp_path,
        "defaults: {duration: 10, transition: fade, transition_duration: 2}\nslides:\n  - image: red.png\n  - image: blue.png\n",
        red=RED,
        blue=BLUE,
    )
    painter = painter_for(media, fonts)
    halfway = render_at(timetable, painter, T0 + timedelta(seconds=11))
    assert close(halfway.get_at((160, 90)), (128, 0, 127))
    quarter = render_at(timetable, painter, T0 + timedelta(seconds=10.5))
    assert close(quarter.get_at((160, 90)), (191, 0, 64))
    assert close(render_at(timetable, painter, T0 + timedelta(seconds=12)).get_at((160, 90)), BLUE)


def test_korean_text_draws_glyphs_in_the_text_colour(tmp_path: Path, fonts: FontChain) -> None:
    result = load_playlists(
        {"p.yaml": "slides:\n  - {text: 작은 것의 위대함을 위하여, color: '#ffcc00', background: '#000000'}\n"}
    )
    surface = render_at(Timetable(result.playlists), painter_for(tmp_path, fonts, (640, 360)), T0)
    text_pixels = sum(
        1 for x in range(0, 640, 2) for y in range(0, 360, 2) if close(surface.get_at((x, y)), (255, 204, 0), 10)
    )
    assert text_pixels > 500  # real Hangul strokes, not empty boxes (font missing would be reported)
    assert fonts.face_for("작") is not None and fonts.face_for("작") > 0


def test_tagline_band_is_present(tmp_path: Path, fonts: FontChain) -> None:
    timetable, media = content(
        tmp_path, "slides:\n  - {image: white.png, tagline: Great dreams start small.}\n", white=(255, 255, 255)
    )
    surface = render_at(timetable, painter_for(media, fonts), T0)
    assert surface.get_at((2, 2))[:3] == (255, 255, 255)  # above the band: untouched
    band = surface.get_at((2, 175))
    assert 60 < band[0] < 200 and band[0] == band[1] == band[2]  # translucent dark, not black


def test_rotation_lays_out_in_the_rotated_frame(tmp_path: Path, fonts: FontChain) -> None:
    media = tmp_path / "media"
    media.mkdir()
    image = Image.new("RGB", (90, 160), RED)
    image.paste(BLUE, (0, 0, 90, 20))  # blue top strip in a portrait picture
    image.save(media / "portrait.png")
    result = load_playlists({"p.yaml": "slides:\n  - {image: portrait.png, fit: stretch}\n"})
    physical = render_at(Timetable(result.playlists), painter_for(media, fonts, (180, 320)), T0, rotate=90)
    assert physical.get_size() == (320, 180)
    # Turned clockwise: the picture's top is now on the right-hand side of the landscape panel.
    assert close(physical.get_at((315, 90)), BLUE) and close(physical.get_at((5, 90)), RED)


def test_idle_screen_when_nothing_is_scheduled(tmp_path: Path, fonts: FontChain) -> None:
    result = load_playlists({"p.yaml": "schedule: {hours: ['08:00-09:00']}\nslides: [{text: a}]\n"})
    painter = painter_for(tmp_path, fonts, idle=IdleConfig(color=(20, 40, 60, 255)))
    surface = render_at(Timetable(result.playlists), painter, T0)
    assert surface.get_at((160, 90))[:3] == (20, 40, 60)


def make_screen(kind: str, size: tuple[int, int] = SIZE) -> SoftwareScreen | FallbackScreen:
    window = pygame.Window("test", size)
    screen = open_screen(window, "software" if kind == "software" else "gpu", 0, software_gpu=True)
    assert screen.name.startswith(kind[:3])
    return screen  # type: ignore[return-value]


@pytest.mark.parametrize("transition", ["fade", "slide-left", "slide-up"])
def test_gpu_and_software_paths_draw_the_same_pixels(tmp_path: Path, fonts: FontChain, transition: str) -> None:
    timetable, media = content(
        tmp_path,
        f"defaults: {{duration: 4, transition: {transition}, transition_duration: 2}}\n"
        "slides:\n  - {image: red.png, tagline: Small}\n  - {text: 偉大, background: '#0000ff'}\n",
        red=RED,
    )
    painter = painter_for(media, fonts)
    pictures = []
    for kind in ("software", "gpu"):
        screen = make_screen(kind)
        for seconds in (1.0, 4.6, 5.0, 5.7):
            frame, surfaces = frame_at(timetable, painter, T0 + timedelta(seconds=seconds))
            screen.show(frame, surfaces, None)
            pictures.append(screen.read_pixels())
        screen.window.destroy()
    software, gpu = pictures[:4], pictures[4:]
    for a, b in zip(software, gpu, strict=True):
        worst = max(
            max(abs(p - q) for p, q in zip(a.get_at((x, y))[:3], b.get_at((x, y))[:3], strict=True))
            for x in range(0, SIZE[0], 7)
            for y in range(0, SIZE[1], 7)
        )
        assert worst <= 3


def run_player(timetable: Timetable, painter: Painter, kind: str, seconds: float, speed: float, check) -> Player:  # type: ignore[no-untyped-def]
    """Run the real loop for ``seconds`` of driven (not waited) real time."""
    screen = make_screen(kind)

    def on_present(frame: Frame) -> None:
        check(screen, frame)

    player, _ = driven_player(timetable, T0, screen, painter, speed, options=PlayOptions(refresh_rate=120), on_present=on_present)
    player.run(seconds)
    screen.window.destroy()
    return player


@pytest.mark.parametrize("kind", ["software", "gpu"])
def test_no_blank_frame_between_slides_over_several_cycles(tmp_path: Path, fonts: FontChain, kind: str) -> None:
    timetable, media = content(
        tmp_path,
        "defaults: {duration: 1, transition_duration: 0.4, background: '#000000'}\nslides:\n"
        "  - {image: red.png, transition: fade}\n  - {image: green.png, transition: slide-left}\n"
        "  - {text: Small, background: '#0000ff', transition: slide-up}\n  - {image: red.png, transition: cut, id: again}\n",
        red=RED,
        green=GREEN,
    )
    blank_frames = []
    presented = []

    def check(screen, frame: Frame) -> None:  # type: ignore[no-untyped-def]
        pixels = screen.read_pixels()
        samples = [pixels.get_at((x, y))[:3] for x in range(0, SIZE[0], 16) for y in range(0, SIZE[1], 16)]
        presented.append(frame)
        if sum(1 for s in samples if s == (0, 0, 0)) > len(samples) // 2:
            blank_frames.append(frame)

    # 4 slides of 1 s at 4x speed: 3 s real = 12 content seconds = 3 full cycles.
    player = run_player(timetable, painter_for(media, fonts), kind, 3.0, 4.0, check)
    assert not blank_frames
    assert len(presented) > 30
    shown = {layer.key.slide.id for frame in presented for layer in frame.layers}  # type: ignore[attr-defined]
    assert shown == {"p:0", "p:1", "p:2", "again"}
    # Frame timing: every non-cut transition reports its frames and their times.
    assert len(player.reports) >= 6
    assert all(r.frames >= 3 and len(r.frame_ms) == r.frames and r.max_ms > 0 for r in player.reports)
    assert {r.transition for r in player.reports} == {"fade", "slide-left", "slide-up"}


def test_a_corrupt_image_is_skipped_and_the_rest_keeps_playing(tmp_path: Path, fonts: FontChain, caplog) -> None:  # type: ignore[no-untyped-def]
    timetable, media = content(
        tmp_path,
        "defaults: {duration: 1, transition: cut}\nslides:\n  - image: red.png\n  - image: broken.png\n  - image: blue.png\n",
        red=RED,
        blue=BLUE,
    )
    (media / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nthis is not an image")
    colours = []

    def check(screen, frame: Frame) -> None:  # type: ignore[no-untyped-def]
        colours.append(screen.read_pixels().get_at((160, 90))[:3])

    with caplog.at_level(logging.WARNING, logger="player"):
        run_player(timetable, painter_for(media, fonts), "software", 1.6, 4.0, check)
    assert set(colours) == {RED, BLUE}
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert skipped and all("broken.png" in r.getMessage() for r in skipped)
    assert len(skipped) == 2  # once per turn of the slide: 6.4 content seconds hold two turns of it


def test_render_is_deterministic_and_the_sheet_has_every_slide(tmp_path: Path, fonts: FontChain, run_cli) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import REPO

    first = run_cli(
        "render", "--at", "2018-02-10T09:00:08.4", "--out", str(tmp_path / "a.png"), "--size", "480x270", cwd=REPO
    )
    second = run_cli(
        "render", "--at", "2018-02-10T09:00:08.4", "--out", str(tmp_path / "b.png"), "--size", "480x270", cwd=REPO
    )
    assert first.status == second.status == 0, first.stderr
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    result = load_playlists({"p.yaml": "slides:\n  - {text: one}\n  - {text: two}\n  - {text: three}\n"})
    sheet = contact_sheet(
        Timetable(result.playlists), painter_for(tmp_path, fonts), T0, T0 + timedelta(minutes=1), UTC, thumb_width=160
    )
    assert sheet.get_width() == 16 + 3 * (160 + 16)


def test_info_overlay_names_playlist_slide_and_renderer(tmp_path: Path, fonts: FontChain) -> None:
    from player.render.overlay import draw_overlay, overlay_lines

    timetable, media = content(tmp_path, "slides:\n  - {image: red.png, id: poster}\n", red=RED)
    screen = make_screen("software")
    player = Player(timetable, ScaledClock(T0, 1.0), screen, painter_for(media, fonts))
    player.step()
    lines = overlay_lines(player.overlay_view())
    assert "playlist p" in lines and "slide   poster (number 1)" in lines and "renderer software" in lines
    assert lines[0] == "time    2024-01-01 00:00:00 UTC (+00:00)", lines[0]
    seoul = overlay_lines(replace(player.overlay_view(), zone="Asia/Seoul"))  # the configured zone, for people
    assert seoul[0] == "time    2024-01-01 09:00:00 Asia/Seoul (+09:00)", seoul[0]
    panel = draw_overlay(player.overlay_view(), fonts.faces[0], SIZE[1])
    assert panel.get_height() > len(lines) * 10 and panel.get_at((2, 2))[3] == 170
    screen.window.destroy()


def test_a_character_no_font_has_is_reported_once(tmp_path: Path, fonts: FontChain, caplog) -> None:  # type: ignore[no-untyped-def]
    result = load_playlists({"p.yaml": "slides:\n  - {text: 'Ducks \U0001f986', id: ducks}\n"})
    painter = painter_for(tmp_path, fonts)
    with caplog.at_level(logging.WARNING, logger="player"):
        painter.prepare(result.playlists[0].slides[0])
        painter.size = (160, 90)  # a new size paints again
        painter.prepare(result.playlists[0].slides[0])
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "U+1F986" in warnings[0] and "ducks" in warnings[0]


def test_the_gpu_screen_uploads_the_next_slide_before_its_turn(tmp_path: Path, fonts: FontChain) -> None:
    """The upload happens while the screen is static, not on the first frame of the transition."""
    timetable, media = content(
        tmp_path,
        "defaults: {duration: 5, transition: fade}\nslides:\n  - {image: red.png}\n  - {image: green.png}\n",
        red=RED,
        green=GREEN,
    )
    screen = make_screen("gpu")
    painter = painter_for(media, fonts)
    player, _ = driven_player(timetable, T0 + timedelta(seconds=1), screen, painter)
    player.run(0.3)
    upcoming = painter.key_for(timetable.at(T0 + timedelta(seconds=5)).slide)
    compositor = screen.gpu.compositor  # type: ignore[union-attr]
    assert upcoming in compositor.textures
    assert len(compositor.textures) == 2  # on screen and next: no more
    screen.window.destroy()
