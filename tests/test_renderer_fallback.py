"""A renderer that half works never ends the player or darkens the screen (issue 14).

On a console under QEMU (virtio-vga, KMSDRM) SDL created a renderer that then refused
render targets at the first frame, and the player crash-looped. The real part here is
SDL's software renderer under the dummy driver; where a driver fails in a way no headless
renderer does, the renderer is the same real one with that single call failing, the way
the driver's did. Uploads and updates fail for real (SDL refuses a 0x0 texture).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pygame
import pytest
from PIL import Image
from pygame._sdl2 import video
from pygame._sdl2.sdl2 import error as SdlError

from player.core.errors import GpuUnavailable
from player.render.frame import Frame, Layer
from player.render.screen import SETTLE_PRESENTS, Screen, SoftwareScreen, open_screen
from player.render.software import draw_frame, rotate_into
from tests.harness import RunningPlayer, driven_player, stop

SIZE = (320, 180)
RED, BLUE = (255, 0, 0), (0, 0, 255)
UNSUPPORTED = "That operation is not supported"  # SDL_Unsupported(), as the console logged it


@pytest.fixture(scope="module", autouse=True)
def _pygame() -> Iterator[None]:
    pygame.display.init()
    yield
    pygame.display.quit()


@pytest.fixture
def window() -> Iterator[pygame.Window]:
    window = pygame.Window("test", SIZE)
    yield window
    window.destroy()


class NoTargets(video.Renderer):
    """The renderer issue 14 met: SDL refuses SetRenderTarget on it, even to NULL."""

    @property
    def target(self) -> video.Texture | None:
        return None

    @target.setter
    def target(self, value: video.Texture | None) -> None:
        raise SdlError(UNSUPPORTED)  # the class the console's traceback named, not a pygame.error


class NoDriver(video.Renderer):
    """No renderer at all: SDL found no driver that matches the window."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise SdlError("Couldn't find matching render driver")


class DrawsBlack(video.Renderer):
    """A renderer whose frames come out black (reads back as the screen would look)."""

    def to_surface(self, surface: object = None, area: tuple[int, int, int, int] | None = None) -> pygame.Surface:
        return pygame.Surface(area[2:] if area else SIZE)


class Faulty(video.Renderer):
    """SDL's renderer, whose calls named in ``failing`` raise the way a driver's do."""

    failing: frozenset[str] = frozenset()

    def _call(self, name: str) -> None:
        if name in self.failing:
            raise SdlError(f"{name}: the driver gave up")

    def clear(self) -> None:
        self._call("clear")
        super().clear()

    def present(self) -> None:
        self._call("present")
        super().present()

    def to_surface(self, *args: object, **kwargs: object) -> pygame.Surface:
        self._call("to_surface")
        return super().to_surface(*args, **kwargs)  # type: ignore[arg-type]


def solid(color: tuple[int, int, int], size: tuple[int, int] = SIZE) -> pygame.Surface:
    surface = pygame.Surface(size)
    surface.fill(color)
    return surface


SURFACES = {"red": solid(RED), "blue": solid(BLUE), "empty": pygame.Surface((0, 0))}
RED_FRAME = Frame((Layer("red"),))
BLUE_FRAME = Frame((Layer("blue"),))
FADE_FRAME = Frame((Layer("red"), Layer("blue", alpha=128)))  # halfway through a fade: textures with alpha


def expected(frame: Frame, surfaces: dict[str, pygame.Surface], rotate: int = 0) -> pygame.Surface:
    """What the software compositor draws for ``frame``: the pixels every path must show."""
    physical = pygame.Surface(SIZE)
    if not rotate:
        draw_frame(physical, frame, surfaces)  # type: ignore[arg-type]
        return physical
    logical = pygame.Surface((SIZE[1], SIZE[0]))
    draw_frame(logical, frame, surfaces)  # type: ignore[arg-type]
    rotate_into(physical, logical, rotate)
    return physical


def assert_shows(screen: Screen, picture: pygame.Surface) -> None:
    pixels = screen.read_pixels()
    assert pixels.get_size() == picture.get_size()
    for x in range(3, SIZE[0], 16):
        for y in range(3, SIZE[1], 16):
            got, want = pixels.get_at((x, y))[:3], picture.get_at((x, y))[:3]
            assert max(abs(p - q) for p, q in zip(got, want, strict=True)) <= 3, (x, y, got, want)


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def gpu_screen(window: pygame.Window, renderer: type[video.Renderer], monkeypatch: pytest.MonkeyPatch) -> Screen:
    """The screen the player makes on ``window`` when SDL's renderer is ``renderer``."""
    monkeypatch.setattr(video, "Renderer", renderer)
    screen = open_screen(window, "gpu", 0, software_gpu=True)
    assert screen.name.startswith("gpu")
    return screen


# -- proven at creation ----------------------------------------------------------------------


def test_a_renderer_without_render_targets_plays_an_unrotated_screen_on_the_gpu(
    window: pygame.Window, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 14's crash: an unrotated screen set ``target = None`` on every frame."""
    screen = gpu_screen(window, NoTargets, monkeypatch)
    with caplog.at_level(logging.WARNING, logger="player"):
        for frame in (RED_FRAME, FADE_FRAME, BLUE_FRAME):
            screen.show(frame, SURFACES, None)
            assert_shows(screen, expected(frame, SURFACES))
    assert screen.name == "gpu (SDL software renderer)"
    assert getattr(screen, "software", None) is None  # drawn once, by the GPU, not twice
    assert warnings(caplog) == []


@pytest.mark.parametrize(
    ("renderer", "said"),
    [
        (NoDriver, ("Couldn't find matching render driver",)),  # SDL offers no renderer at all
        (DrawsBlack, ("draws wrong pixels", "(0, 0, 0)")),  # one that fails its self-test
    ],
    ids=["no renderer", "wrong pixels"],
)
def test_auto_falls_back_to_software_with_one_warning(
    window: pygame.Window,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    renderer: type,
    said: tuple[str, ...],
) -> None:
    monkeypatch.setattr(video, "Renderer", renderer)
    with caplog.at_level(logging.WARNING, logger="player"):
        screen = open_screen(window, "auto", 0, software_gpu=True)
    assert isinstance(screen, SoftwareScreen)
    screen.show(FADE_FRAME, SURFACES, None)
    assert_shows(screen, expected(FADE_FRAME, SURFACES))
    [warning] = warnings(caplog)
    assert all(words in warning for words in said), warning


def test_gpu_asked_for_where_sdl_has_no_renderer_is_an_error(window: pygame.Window, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(video, "Renderer", NoDriver)
    with pytest.raises(GpuUnavailable, match="no SDL renderer"):
        open_screen(window, "gpu", 0, software_gpu=True)


def test_a_rotated_screen_needs_render_targets_so_it_starts_in_software(
    window: pygame.Window, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(video, "Renderer", NoTargets)
    portrait = {"halves": solid(RED, (180, 320))}
    portrait["halves"].fill(BLUE, (0, 160, 180, 160))
    frame = Frame((Layer("halves"),))
    with caplog.at_level(logging.WARNING, logger="player"):
        screen = open_screen(window, "auto", 90, software_gpu=True)
        screen.show(frame, portrait, None)
    assert isinstance(screen, SoftwareScreen) and screen.name == "software"
    # Turned clockwise: the picture's top (red) is on the panel's right.
    assert_shows(screen, expected(frame, portrait, rotate=90))
    assert screen.read_pixels().get_at((300, 90))[:3] == RED
    [warning] = warnings(caplog)
    assert "render targets" in warning and UNSUPPORTED in warning
    with pytest.raises(GpuUnavailable, match="render targets"):
        open_screen(pygame.Window("gpu only", SIZE), "gpu", 90, software_gpu=True)


# -- failing later: the GPU screen hands over to software, once --------------------------------


def assert_fell_back(screen: Screen, reason: str, caplog: pytest.LogCaptureFixture) -> None:
    assert screen.name == f"software (GPU failed: {reason})"
    assert getattr(screen, "gpu", "no such screen") is None  # the GPU screen and its renderer are gone
    [warning] = warnings(caplog)
    assert reason in warning and "software compositor" in warning


@pytest.mark.parametrize("call", ["clear", "present"])
def test_a_gpu_draw_or_present_that_fails_switches_to_software_on_the_same_frame(
    call: str, window: pygame.Window, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    screen = gpu_screen(window, Faulty, monkeypatch)
    screen.show(RED_FRAME, SURFACES, None)
    monkeypatch.setattr(Faulty, "failing", frozenset({call}))
    with caplog.at_level(logging.WARNING, logger="player"):
        screen.show(FADE_FRAME, SURFACES, None)
        assert_shows(screen, expected(FADE_FRAME, SURFACES))
        for _ in range(5):  # and it keeps playing, without saying it again
            screen.show(BLUE_FRAME, SURFACES, None)
        assert_shows(screen, expected(BLUE_FRAME, SURFACES))
    assert_fell_back(screen, f"{call}: the driver gave up", caplog)


def test_a_gpu_read_back_that_fails_puts_the_last_frame_up_in_software(
    window: pygame.Window, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A screenshot is a read back: failing there must not lose the picture either."""
    screen = gpu_screen(window, Faulty, monkeypatch)
    screen.show(FADE_FRAME, SURFACES, None)
    monkeypatch.setattr(Faulty, "failing", frozenset({"to_surface"}))
    with caplog.at_level(logging.WARNING, logger="player"):
        assert_shows(screen, expected(FADE_FRAME, SURFACES))
    assert_fell_back(screen, "to_surface: the driver gave up", caplog)


def test_an_upload_sdl_refuses_switches_to_software_on_the_same_frame(
    window: pygame.Window, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    screen = gpu_screen(window, video.Renderer, monkeypatch)
    screen.show(BLUE_FRAME, SURFACES, None)
    frame = Frame((Layer("red"), Layer("empty")))
    with caplog.at_level(logging.WARNING, logger="player"):
        screen.show(frame, SURFACES, None)  # SDL refuses a 0x0 texture
        assert_shows(screen, expected(frame, SURFACES))
    assert_fell_back(screen, "Texture dimensions can't be 0", caplog)


@pytest.mark.parametrize(
    ("method", "reason"),
    [("preload", "Texture dimensions can't be 0"), ("refresh", "Parameter 'pixels' is invalid")],
)
def test_an_upload_or_update_between_frames_that_fails_redraws_the_screen_in_software(
    method: str, reason: str, window: pygame.Window, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing else will draw on a static slide for a while: the switch itself puts the frame back."""
    screen = gpu_screen(window, video.Renderer, monkeypatch)
    screen.show(FADE_FRAME, SURFACES, None)
    with caplog.at_level(logging.WARNING, logger="player"):
        # A preload of a new slide uploads it; a refresh of one on screen (a video frame) updates it.
        getattr(screen, method)("next" if method == "preload" else "blue", SURFACES["empty"])
        assert_shows(screen, expected(FADE_FRAME, SURFACES))
        screen.show(RED_FRAME, SURFACES, None)
        assert_shows(screen, expected(RED_FRAME, SURFACES))
    assert_fell_back(screen, reason, caplog)


# -- the software path: errors are said once, the last good frame stays --------------------------


def test_a_software_draw_error_keeps_the_last_good_frame_and_is_said_once(
    window: pygame.Window, caplog: pytest.LogCaptureFixture
) -> None:
    screen = open_screen(window, "software", 0)
    screen.show(RED_FRAME, SURFACES, None)
    blue = {"blue": solid(BLUE)}
    blue["blue"].lock()  # SDL will not blit from a locked surface
    with caplog.at_level(logging.WARNING, logger="player"):
        for _ in range(5):
            screen.show(BLUE_FRAME, blue, None)
        assert_shows(screen, expected(RED_FRAME, SURFACES))
        blue["blue"].unlock()
        screen.show(BLUE_FRAME, blue, None)
        assert_shows(screen, expected(BLUE_FRAME, SURFACES))
    [warning] = warnings(caplog)
    assert "Surfaces must not be locked during blit" in warning and "last good frame" in warning
    assert screen.name == "software"


class FlakyWindow(pygame.Window):
    """A window whose flip fails while ``failing`` (SDL loses a window's surface on some drivers)."""

    failing = False

    def flip(self) -> None:
        if self.failing:
            raise pygame.error("Window surface is invalid")
        super().flip()


def test_a_software_flip_error_is_said_once_and_the_last_good_frame_is_put_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    window = FlakyWindow("flaky", SIZE)
    screen = open_screen(window, "software", 0)
    screen.show(RED_FRAME, SURFACES, None)
    window.failing = True
    with caplog.at_level(logging.WARNING, logger="player"):
        for frame in (BLUE_FRAME, FADE_FRAME, BLUE_FRAME):
            screen.show(frame, SURFACES, None)
        assert_shows(screen, expected(RED_FRAME, SURFACES))
        window.failing = False
        screen.show(BLUE_FRAME, SURFACES, None)
        assert_shows(screen, expected(BLUE_FRAME, SURFACES))
    [warning] = warnings(caplog)
    assert "Window surface is invalid" in warning
    window.destroy()


# -- the real player ------------------------------------------------------------------------------

# Test-only start-up code for the player's interpreter: Python runs a sitecustomize found
# on PYTHONPATH before anything else, so production code has no fault switch to ship.
PRESENT_FAILS = """
from pygame._sdl2 import video
from pygame._sdl2.sdl2 import error


class PresentFails(video.Renderer):
    presents = 0

    def present(self):
        PresentFails.presents += 1
        if PresentFails.presents >= {nth}:
            raise error("injected: present failed")
        super().present()


video.Renderer = PresentFails
"""


def test_the_player_keeps_playing_in_software_when_the_gpu_fails_mid_run(tmp_path: Path) -> None:
    from player.cli.report import describe

    inject = tmp_path / "inject"
    inject.mkdir()
    (inject / "sitecustomize.py").write_text(textwrap.dedent(PRESENT_FAILS.format(nth=3)))
    root = tmp_path / "site"
    for folder in ("playlists", "media", "state", "config"):
        (root / folder).mkdir(parents=True)
    (root / "config" / "player.yaml").write_text("timezone: UTC\n")
    for name, color in (("red", RED), ("blue", BLUE)):
        Image.new("RGB", SIZE, color).save(root / "media" / f"{name}.png")
    (root / "playlists" / "p.yaml").write_text(
        "defaults: {duration: 1, transition: cut}\nslides:\n  - {image: red.png}\n  - {image: blue.png}\n"
    )
    env = {
        **os.environ,
        # offscreen, not dummy: SDL gives it a real OpenGL renderer where EGL exists (else its software one)
        "SDL_VIDEODRIVER": "offscreen",
        "PYGAME_HIDE_SUPPORT_PROMPT": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(inject), os.environ.get("PYTHONPATH")])),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "player", "-v", "run", "--windowed", "--size", "320x180", "--renderer", "gpu"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    running = RunningPlayer(root, process)
    try:
        status = running.wait_for(lambda s: str(s.get("renderer", "")).startswith("software"), timeout=15)
        assert status["renderer"] == "software (GPU failed: injected: present failed)"
        assert any("software (GPU failed: injected: present failed)" in line for line in describe(status))
        # Still playing: the slides keep changing, and what is on screen is a slide, not black.
        first = status["slide_id"]
        running.wait_for(lambda s: s.get("slide_id") != first, timeout=10)
        assert running.screenshot().get_at((160, 90))[:3] in (RED, BLUE)
        log = running.log()
        assert process.returncode == 0, log
    finally:
        stop(running)
    failed = [line for line in log.splitlines() if "GPU renderer failed" in line]
    assert len(failed) == 1 and "WARNING" in failed[0] and "injected: present failed" in failed[0], log
    assert "renderer: gpu" in log  # it did start on the GPU path


# -- a frame reaches the glass ---------------------------------------------------------------


class CountingWindow:
    """The real window, counting its flips (what KMSDRM needs several of, see SETTLE_PRESENTS)."""

    def __init__(self, window: pygame.Window) -> None:
        self.window = window
        self.size = window.size
        self.flips = 0

    def get_surface(self) -> pygame.Surface:
        return self.window.get_surface()

    def flip(self) -> None:
        self.flips += 1
        self.window.flip()


def test_a_static_frame_is_presented_again_before_the_loop_sleeps_on_it(tmp_path: Path) -> None:
    """On the emulated box a single present of a static slide left the console black for its whole turn."""
    from player.core.loader import load_playlists
    from player.core.scheduler import Timetable
    from player.render.slides import Painter
    from player.render.text import FontChain

    pygame.display.init()
    pygame.freetype.init()
    window = pygame.Window("t", (160, 90))
    counting = CountingWindow(window)
    screen = SoftwareScreen(window, 0)
    screen.window = counting  # type: ignore[assignment]
    playlist = "name: house\nslides:\n  - {text: Hi, background: '#00ff00', duration: 3600}\n"
    timetable = Timetable(load_playlists({"house.yaml": playlist}).playlists)
    start = datetime(2024, 1, 1, 12, tzinfo=UTC)
    player, _ = driven_player(timetable, start, screen, Painter(tmp_path, (160, 90), FontChain.resolve()))
    player.run(duration=0.5)  # driven time: half a second of sleeping on a static slide
    assert counting.flips == 1 + SETTLE_PRESENTS
    assert screen.read_pixels().get_at((2, 2))[:3] == (0, 255, 0)
    window.destroy()


# -- auto picks by what the GL is --------------------------------------------------------------


@pytest.mark.parametrize(
    ("gl", "software"),
    [
        ("llvmpipe (LLVM 15.0.6, 256 bits)", True),
        ("softpipe", True),
        ("Software Rasterizer", True),
        ("V3D 4.2", False),
        ("Mesa Intel(R) UHD Graphics 620 (KBL GT2)", False),
        ("virgl (Gallium)", False),
    ],
)
def test_software_rasterisers_are_told_by_name(gl: str, software: bool) -> None:
    from player.render.glinfo import is_software_rasteriser

    assert is_software_rasteriser(gl) is software


@pytest.fixture
def offscreen_window() -> Iterator[pygame.Window]:
    """SDL's offscreen driver: a real OpenGL context through EGL, which is Mesa's llvmpipe here."""
    pygame.display.quit()
    os.environ["SDL_VIDEODRIVER"] = "offscreen"
    try:
        pygame.display.init()
        window = pygame.Window("t", (64, 36))
        yield window
        window.destroy()
    finally:
        pygame.display.quit()
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        pygame.display.init()  # as the module's other tests expect


def test_auto_takes_the_software_compositor_on_a_software_rasteriser(
    offscreen_window: pygame.Window, caplog: pytest.LogCaptureFixture
) -> None:
    from player.render.glinfo import current_gl_renderer, is_software_rasteriser

    probe = video.Renderer(offscreen_window)
    gl = current_gl_renderer()
    del probe
    assert gl is not None and is_software_rasteriser(gl), f"this test needs Mesa's llvmpipe, the GL is {gl}"
    with caplog.at_level(logging.INFO, logger="player.render.screen"):
        screen = open_screen(offscreen_window, "auto", 0)
    assert isinstance(screen, SoftwareScreen)
    assert screen.name == f"software (the GL is {gl}, a software rasteriser)"
    assert any("composing in main memory is cheaper" in r.message for r in caplog.records)
    screen.show(Frame((), background=(0, 0, 255, 255)), {}, None)
    assert screen.read_pixels().get_at((5, 5))[:3] == (0, 0, 255)


def test_gpu_forces_the_gpu_path_on_a_software_rasteriser(offscreen_window: pygame.Window) -> None:
    screen = open_screen(offscreen_window, "gpu", 0)
    assert not isinstance(screen, SoftwareScreen)
    assert screen.name == "gpu"


def test_on_a_console_the_software_compositor_presents_through_the_renderer_it_asked(
    offscreen_window: pygame.Window,
) -> None:
    """KMSDRM backs a window surface with a GL texture of its own: the player reuses its renderer instead."""
    screen = open_screen(offscreen_window, "auto", 0, present_through_renderer=True)
    assert isinstance(screen, SoftwareScreen)
    assert screen.presenter is not None
    screen.show(Frame((), background=(0, 0, 255, 255)), {}, None)
    assert screen.read_pixels().get_at((5, 5))[:3] == (0, 0, 255)
    assert screen.presenter.read_back().get_at((5, 5))[:3] == (0, 0, 255)  # what the renderer drew
    screen.show(Frame((), background=(255, 0, 0, 255)), {}, None)
    assert screen.presenter.read_back().get_at((60, 30))[:3] == (255, 0, 0)
    assert screen.settle()  # presents owed for the glass go through the renderer too
    assert screen.presenter.read_back().get_at((60, 30))[:3] == (255, 0, 0)
