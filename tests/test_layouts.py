"""Layouts: zones read from YAML, put on stage by schedule, and drawn by the real loop and by render --at.

Real parts: the loader reads text, the stage plan is the scheduler, the frames come from the
real render loop on SDL's dummy driver (software compositor, and the GPU path through SDL's
software renderer), and the QR code is read back by a real decoder (zxing-cpp).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pygame
import pygame.freetype
import pytest
import zxingcpp
from PIL import Image

from player.core.feeddata import Feed
from player.core.loader import load_playlists
from player.core.scheduler import Timetable
from player.core.stage import StagePlan
from player.render.frame import Frame
from player.render.headless import frame_at, render_at
from player.render.loop import PlayOptions
from player.render.slides import Painter
from player.render.text import FontChain
from tests.harness import driven_player
from tests.httpserver import BundleServer
from tests.test_render import make_screen

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
SIZE = (320, 180)
GREY = (60, 60, 60)
SLIDES = """\
name: left
defaults: {duration: 0.5, transition_duration: 0.2}
slides:
  - {image: red.png, transition: fade}
  - {image: green.png, transition: slide-left}
  - {image: blue.png, transition: slide-up}
"""
WORDS = """\
name: right
defaults: {duration: 0.7, transition_duration: 0.3, transition: slide-left}
slides:
  - {text: One, background: "#c000c0"}
  - {text: Two, background: "#00c0c0"}
"""
THREE_ZONES = """\
name: wall
background: "#3c3c3c"
zones:
  - {name: left, area: [0, 0, 0.6, 0.8], playlists: [left], z: 1}  # on top: its slides must not spill
  - {name: right, area: [0.6, 0, 0.4, 0.8], playlists: right}
  - name: news
    area: [0, 0.8, 1, 0.2]
    ticker: {items: [Small steps, 작은 것의 위대함], speed: 100, background: "#ffffff", color: "#000000"}
"""


@pytest.fixture(scope="module", autouse=True)
def _pygame():  # type: ignore[no-untyped-def]
    pygame.display.init()
    pygame.freetype.init()
    yield
    pygame.display.quit()


@pytest.fixture(scope="module")
def fonts() -> FontChain:
    return FontChain.resolve(("DejaVu Sans:bold", "Noto Sans CJK KR:bold"))


def media_folder(tmp_path: Path) -> Path:
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    for name, colour in {"red": (255, 0, 0), "green": (0, 200, 0), "blue": (0, 0, 255)}.items():
        Image.new("RGB", (64, 36), colour).save(media / f"{name}.png")
    return media


def loaded(**files: str):  # type: ignore[no-untyped-def]
    result = load_playlists({f"{name}.yaml": text for name, text in files.items()})
    assert not result.problems, [str(p) for p in result.problems]
    return Timetable(result.playlists), result.layouts


# -- reading --------------------------------------------------------------------------------


def test_a_layout_file_is_read_with_every_problem_at_its_place() -> None:
    text = """\
zones:
  - name: main
    area: [0, 0.5, 0.8, 0.6]
    playlists: [left]
  - area: [0, 0, 2, 0.1]
    image: logo.png
  - area: [0, 0, 1, 0.1]
    clock: HH:mm
    qr: https://example.com
  - area: [0.1, 0.1]
    ticker: {speed: 99999}
  - area: [0, 0, 1, 1]
    playlists: [lefft]
"""
    result = load_playlists({"wall.yaml": text, "left.yaml": SLIDES})
    messages = [str(p) for p in result.problems]
    assert any(m.startswith("wall.yaml:3:11: zones[0].area:") and "past the screen's edge" in m for m in messages)
    assert any(m.startswith("wall.yaml:5:18: zones[1].area[2]:") and "write 2px" in m for m in messages)
    assert any(m.startswith("wall.yaml:7:5: zones[2]:") and "exactly one of" in m for m in messages)
    assert any(m.startswith("wall.yaml:10:11: zones[3].area:") and "got 2 values" in m for m in messages)
    assert any("zones[3].ticker.speed" in m and "from 1 to 2000" in m for m in messages)
    assert result.layouts == ()  # a layout with problems is not applied
    # Read alone, a zone naming a playlist that is not there says so, with the likely name.
    result = load_playlists({"wall.yaml": "zones:\n  - area: [0, 0, 1, 1]\n    playlists: [lefft]\n", "left.yaml": SLIDES})
    assert [str(p) for p in result.problems] == ["wall.yaml:2:5: zones.zone1.playlists: no playlist 'lefft' (did you mean 'left'?)"]


def test_areas_take_fractions_percentages_and_pixels() -> None:
    _timetable, layouts = loaded(
        left=SLIDES, wall="zones:\n  - {area: [10%, 0, 480px, 0.5], playlists: left}\n  - {area: [0, 0.5, 1, 50%], text: Hi}\n"
    )
    zones = layouts[0].zones
    assert zones[0].area.on((1920, 1080)) == (192, 0, 480, 540)
    assert zones[1].area.on((1920, 1080)) == (0, 540, 1920, 540)
    assert [z.name for z in zones] == ["zone1", "zone2"]


# -- the stage ------------------------------------------------------------------------------


def test_a_layout_takes_the_screen_from_its_priority_and_lower_not_from_higher() -> None:
    house = "name: house\nslides: [{text: House}]\n"
    alert = (
        "name: alert\npriority: 5\nschedule: {start: 2024-01-01T10:00, end: 2024-01-01T11:00}\n"
        "slides: [{text: Leave the building}]\n"
    )
    wall = "priority: 5\nschedule: {start: 2024-01-01T09:00, end: 2024-01-01T12:00}\nzones:\n  - {area: [0, 0, 1, 1], playlists: left}\n"
    timetable, layouts = loaded(house=house, alert=alert, left=SLIDES, wall=wall)
    plan = StagePlan(timetable.playlists, layouts)
    assert plan.at(T0 - timedelta(minutes=1)).layout is None  # before its window: the house playlist
    assert plan.full_screen.at(T0 - timedelta(minutes=1)).playlist == "house"
    assert plan.at(T0).layout == layouts[0]  # the layout beats house (priority 0)
    assert plan.at(T0).next_change is not None and plan.at(T0).next_change <= T0 + timedelta(hours=3)
    # The alert has the layout's priority: a layout wins the tie and keeps the screen.
    assert plan.at(T0 + timedelta(hours=1, minutes=5)).layout == layouts[0]
    # An alert of a higher priority takes the whole screen from the layout.
    timetable, layouts = loaded(house=house, alert=alert.replace("priority: 5", "priority: 6"), left=SLIDES, wall=wall)
    plan = StagePlan(timetable.playlists, layouts)
    assert plan.at(T0 + timedelta(hours=1, minutes=5)).layout is None
    assert plan.full_screen.at(T0 + timedelta(hours=1, minutes=5)).playlist == "alert"
    # A playlist a zone names never plays full screen.
    assert "left" not in {p.name for p in plan.full_screen.playlists}


# -- drawing --------------------------------------------------------------------------------


def zone_samples(pixels: pygame.Surface, area: tuple[int, int, int, int]) -> list[tuple[int, int, int]]:
    x0, y0, w, h = area
    return [tuple(pixels.get_at((x, y))[:3]) for x in range(x0 + 3, x0 + w - 3, 9) for y in range(y0 + 3, y0 + h - 3, 9)]  # type: ignore[misc]


@pytest.mark.parametrize("kind", ["software", "gpu"])
def test_three_zones_show_no_blank_frame_over_a_hundred_changes(tmp_path: Path, fonts: FontChain, kind: str) -> None:
    media = media_folder(tmp_path)
    timetable, layouts = loaded(left=SLIDES, right=WORDS, wall=THREE_ZONES)
    painter = Painter(media, SIZE, fonts)
    screen = make_screen(kind)
    areas = [zone.area.on(SIZE) for zone in layouts[0].zones]
    blank: list[str] = []
    spilled: list[str] = []
    frames: list[Frame] = []
    left_colours = {(255, 0, 0), (0, 200, 0), (0, 0, 255)}

    def check(frame: Frame) -> None:
        pixels = screen.read_pixels()
        frames.append(frame)
        if left_colours & set(zone_samples(pixels, areas[1]) + zone_samples(pixels, areas[2])):
            spilled.append(f"the left zone's slide outside it at frame {len(frames)}")
        for zone, area in zip(layouts[0].zones, areas, strict=True):
            samples = zone_samples(pixels, area)
            # The layout's grey background or black showing through means a zone went blank.
            dark = sum(1 for s in samples if max(abs(a - b) for a, b in zip(s, GREY, strict=True)) < 8 or s == (0, 0, 0))
            if dark > len(samples) // 3:
                blank.append(f"{zone.name} at frame {len(frames)}")

    player, _ = driven_player(
        timetable, T0, screen, painter, 4.0, options=PlayOptions(refresh_rate=30), on_present=check, layouts=layouts
    )
    player.run(10.0)  # 40 content seconds: 80 slides on the left, 57 on the right
    screen.window.destroy()
    assert not blank, blank[:5]
    assert not spilled, spilled[:5]
    assert player.layout is not None and player.layout.name == "wall"
    # The slide changes, zone by zone: the incoming (last drawn) slide of each zone, frame by frame.
    changes = 0
    for area in areas[:2]:
        incoming = [[layer.key for layer in frame.layers if layer.clip == area][-1] for frame in frames]
        changes += sum(1 for a, b in itertools.pairwise(incoming) if a != b)
    assert changes >= 100
    assert len(frames) >= 250  # the ticker keeps frames coming at the refresh rate
    # Every frame draws the ticker from the same tile's texture: moved, never drawn again.
    ticker_keys = {layer.key for frame in frames for layer in frame.layers if layer.clip == areas[2]}
    assert len(ticker_keys) == 1, ticker_keys


def test_both_compositors_draw_a_layout_frame_alike(tmp_path: Path, fonts: FontChain) -> None:
    media = media_folder(tmp_path)
    timetable, layouts = loaded(left=SLIDES, right=WORDS, wall=THREE_ZONES)
    painter = Painter(media, SIZE, fonts)
    pictures = []
    for kind in ("software", "gpu"):
        screen = make_screen(kind)
        row = []
        for seconds in (0.1, 0.6, 0.85, 1.15):  # mid-fade left, mid-slide right, static
            frame, surfaces = frame_at(timetable, painter, T0 + timedelta(seconds=seconds), layouts)
            screen.show(frame, surfaces, None)
            row.append(pygame.image.tobytes(screen.read_pixels(), "RGB"))
        pictures.append(row)
        screen.window.destroy()
    for soft, gpu in zip(*pictures, strict=True):
        assert max(abs(a - b) for a, b in zip(soft, gpu, strict=True)) <= 3


def test_render_at_moves_the_ticker_by_its_speed_in_a_second(tmp_path: Path, fonts: FontChain) -> None:
    media = media_folder(tmp_path)
    timetable, layouts = loaded(left=SLIDES, right=WORDS, wall=THREE_ZONES)
    painter = Painter(media, SIZE, fonts)
    x, y, w, h = layouts[0].zones[2].area.on(SIZE)
    at = T0 + timedelta(seconds=0.15)
    one = render_at(timetable, painter, at, layouts=layouts)
    two = render_at(timetable, painter, at + timedelta(seconds=1), layouts=layouts)

    def part(picture: pygame.Surface, left: int, width: int) -> bytes:
        return pygame.image.tobytes(picture.subsurface((x + left, y, width, h)), "RGB")

    assert part(one, 0, w) != part(two, 0, w)
    # 100 px/s scrolling left: one second later, column c shows what column c + 100 showed.
    assert part(two, 0, w - 100) == part(one, 100, w - 100)
    assert part(two, 0, w - 99) != part(one, 99, w - 99)
    # Two screens with the same content at the same instant show the same pixels.
    again = render_at(timetable, Painter(media, SIZE, fonts), at, layouts=layouts)
    assert part(again, 0, w) == part(one, 0, w)


CLOCK_AND_QR = """\
name: corner
background: "#102030"
zones:
  - {name: main, area: [0, 0, 0.7, 1], playlists: left}
  - name: clock
    area: [0.7, 0, 0.3, 0.4]
    clock: {format: "HH:mm", timezone: Asia/Seoul}
  - name: code
    area: [0.7, 0.4, 0.3, 0.6]
    qr: https://example.com/greatness-of-small?from=screen
"""


def test_a_clock_changes_at_the_minute_and_a_qr_code_reads_back(tmp_path: Path, fonts: FontChain) -> None:
    media = media_folder(tmp_path)
    timetable, layouts = loaded(left=SLIDES, corner=CLOCK_AND_QR)
    size = (1280, 720)
    painter = Painter(media, size, fonts)
    minute = datetime(2018, 2, 10, 0, 59, tzinfo=UTC)  # 09:59 in Seoul
    x, y, w, h = layouts[0].zones[1].area.on(size)

    def clock_pixels(at: datetime) -> bytes:
        return pygame.image.tobytes(render_at(timetable, painter, at, layouts=layouts).subsurface((x, y, w, h)), "RGB")

    before, at, later = (clock_pixels(minute + timedelta(seconds=s)) for s in (59.9, 60.0, 89.0))
    assert before != at  # 09:59 -> 10:00
    assert at == later  # the same minute, the same picture
    frame, _ = frame_at(timetable, painter, minute + timedelta(seconds=60), layouts)
    clock_layer = next(layer for layer in frame.layers if layer.clip == (x, y, w, h))
    assert clock_layer.key.slide.text == "10:00"  # type: ignore[attr-defined]
    # The whole screen, as render --at draws it: the code in its zone reads back to its URL.
    picture = render_at(timetable, painter, minute, layouts=layouts)
    image = Image.frombytes("RGB", size, pygame.image.tobytes(picture, "RGB"))
    found = zxingcpp.read_barcodes(image)
    assert [code.text for code in found] == ["https://example.com/greatness-of-small?from=screen"]


def test_a_static_layout_sleeps_and_its_clock_redraws_once_a_minute(tmp_path: Path, fonts: FontChain) -> None:
    media = media_folder(tmp_path)
    still = "name: left\nslides: [{image: red.png, duration: 3600}]\n"
    timetable, layouts = loaded(left=still, corner=CLOCK_AND_QR)
    frames: list[Frame] = []
    screen = make_screen("software")
    player, _ = driven_player(
        timetable, T0, screen, Painter(media, SIZE, fonts), 1.0, on_present=frames.append, layouts=layouts
    )
    player.run(180.0)  # three minutes of real time
    screen.window.destroy()
    clocks = {layer.key.slide.text for frame in frames for layer in frame.layers if layer.clip and layer.clip[1] == 0 and layer.clip[0] > 0}  # type: ignore[attr-defined]
    assert clocks == {"18:00", "18:01", "18:02", "18:03"}
    assert len(frames) <= 4 * 4  # the first frame, and one per minute (each presented with its settle)


def test_text_fills_feed_fields_and_keeps_the_last_good_text(tmp_path: Path, fonts: FontChain) -> None:
    media = media_folder(tmp_path)
    wall = (
        "zones:\n  - {area: [0, 0, 1, 0.5], playlists: left}\n"
        "  - {name: weather, area: [0, 0.5, 1, 0.5], text: \"{weather.temp}°C in {weather.place}\"}\n"
    )
    timetable, layouts = loaded(left=SLIDES, wall=wall)
    painter = Painter(media, SIZE, fonts)
    fetched = T0 - timedelta(minutes=5)
    feed = Feed("weather", fields=(("place", "Seoul"), ("temp", "-3")), fetched=fetched)
    frame, _ = frame_at(timetable, painter, T0, layouts, {"weather": feed})
    texts = [getattr(layer.key, "slide", None) for layer in frame.layers]
    assert "-3°C in Seoul" in [slide.text for slide in texts if slide is not None]
    # No data yet: the zone shows its background, not the template.
    frame, _ = frame_at(timetable, painter, T0, layouts, {})
    assert all(getattr(getattr(layer.key, "slide", None), "text", None) != "{weather.temp}°C in {weather.place}" for layer in frame.layers)


def test_render_command_draws_the_demo_layout(tmp_path: Path) -> None:
    """``signage render --at`` on the bundled demo in launch week: the layout, its QR code readable."""
    out = tmp_path / "wall.png"
    result = subprocess.run(
        [sys.executable, "-m", "player", "--config", str(REPO / "config" / "player.yaml"), "render",
         "--at", "2018-02-05T12:00:03", "--size", "1920x1080", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
        env={"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    image = Image.open(out).convert("RGB")
    assert [code.text for code in zxingcpp.read_barcodes(image)] == ["https://example.com/greatness-of-small"]
    schedule = subprocess.run(
        [sys.executable, "-m", "player", "--config", str(REPO / "config" / "player.yaml"), "schedule",
         "--at", "2018-02-05T12:00:03", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )
    record = json.loads(schedule.stdout)
    assert (record["layout"], record["zone"], record["playlist"]) == ("games-wall", "main", "launch-teaser")


def test_validate_checks_qr_codes_and_feeds_where_the_screen_shows_them(tmp_path: Path) -> None:
    folder = tmp_path / "playlists"
    folder.mkdir()
    (folder / "left.yaml").write_text(SLIDES)
    (folder / "wall.yaml").write_text(
        "zones:\n"
        "  - {name: main, area: [0, 0, 0.9, 1], playlists: left}\n"
        "  - {name: tiny, area: [0.9, 0, 0.1, 0.1], qr: https://example.com/a/rather/long/address/for/a/small/zone}\n"
        "  - {name: faint, area: [0.9, 0.5, 0.1, 0.5], qr: {url: https://example.com, color: '#999999'}}\n"
        "  - {name: news, area: [0, 0.9, 0.9, 0.1], ticker: {feed: headlines}}\n"
    )
    media_folder(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "player", "--playlists", str(folder), "--media", str(tmp_path / "media"), "validate"],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
    )
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stdout + result.stderr
    wall = str(folder / "wall.yaml")
    assert any(line.startswith(f"{wall}:3:5: zones.tiny.qr: the zone is too small for this URL") for line in lines), lines
    assert any(line.startswith(f"{wall}:4:5: zones.faint.qr: the QR code's colours #999999 on #ffffff are too alike") for line in lines), lines
    assert any(line.startswith(f"{wall}:5:5: zones.news.ticker.feed: warning: no feed 'headlines' is configured") for line in lines), lines


def test_web_pages_are_taken_at_their_largest_zone_each() -> None:
    from player.core.webpages import snapshot_path, web_pages

    pages = (
        "name: pages\nslides:\n  - {web: 'https://example.com/a'}\n  - {web: 'https://example.com/b', refresh: 2m}\n"
    )
    # "side" comes after "pages": its page c follows b, which "pages" shows in a larger zone.
    side = "name: side\nslides:\n  - {web: 'https://example.com/b', refresh: 30m}\n  - {web: 'https://example.com/c'}\n"
    wall = (
        "zones:\n  - {area: [0, 0, 0.5, 1], playlists: pages}\n  - {area: [0.5, 0, 0.5, 0.5], playlists: side}\n"
        "  - {area: [0.5, 0.5, 0.5, 0.5], text: hi}\n"
    )
    timetable, layouts = loaded(pages=pages, side=side, wall=wall)
    slide = timetable.playlists[0].slides[0]
    assert (slide.kind, slide.web, slide.media, slide.fit) == ("image", "https://example.com/a", snapshot_path("https://example.com/a"), "contain")
    found = {page.url: page for page in web_pages(timetable.playlists, layouts, (1920, 1080))}
    assert found["https://example.com/a"].size == (960, 1080)
    # b is on two slides: the larger zone's size, the shorter interval (and a's size is not b's)
    assert (found["https://example.com/b"].size, found["https://example.com/b"].every) == ((960, 1080), 120.0)
    assert found["https://example.com/c"].size == (960, 540)  # its own zone's size, not b's larger one
    alone = {page.url: page for page in web_pages(timetable.playlists, (), (1080, 1920))}
    assert alone["https://example.com/a"].size == (1080, 1920)  # full screen without a layout


@pytest.mark.parametrize(
    ("widget", "message"),
    [
        ("clock: \"HH:mm 'h\"", "a quote that is not closed"),
        ("clock: Zeit HH", "which are no date or time fields"),
        ("clock: \"'at noon'\"", "shows no date or time"),
        ("text: {text: hi, stale_after: soon}", "zones[0].text.stale_after"),
    ],
)
def test_widget_fields_are_checked_where_they_are_written(widget: str, message: str) -> None:
    result = load_playlists({"wall.yaml": f"zones:\n  - area: [0, 0, 1, 1]\n    {widget}\n"})
    assert result.layouts == ()
    assert any(message in str(problem) and str(problem).startswith("wall.yaml:3:") for problem in result.problems), [
        str(p) for p in result.problems
    ]


def test_a_web_page_is_refreshed_at_most_once_a_minute_and_its_snapshot_is_no_missing_file() -> None:
    result = load_playlists({"p.yaml": "slides:\n  - {web: 'https://example.com/', refresh: 30s}\n"})
    assert [str(p) for p in result.problems] == [
        "p.yaml:2:44: slides[0].refresh: 30s is too often: each snapshot starts a browser; give at least 1m"
    ]
    result = load_playlists({"p.yaml": "slides:\n  - {web: 'https://example.com/', background_image: b.png}\n"})
    assert [ref.path for ref in result.media] == ["b.png"]  # the snapshot is not reported missing before it is taken


def test_the_software_screen_draws_only_what_changed_and_every_pixel_as_a_whole_frame(tmp_path: Path, fonts: FontChain) -> None:
    from player.render.screen import SoftwareScreen
    from player.render.software import changed_area, draw_frame

    media = media_folder(tmp_path)
    # The left zone changes once (a slide-up at 1 s), the right never: the ticker moves every step.
    left = "name: left\nslides: [{image: red.png, duration: 1}, {image: green.png, duration: 3600, transition: slide-up}]\n"
    right = "name: right\nslides: [{text: Still, duration: 3600}]\n"
    timetable, layouts = loaded(left=left, right=right, wall=THREE_ZONES)
    painter = Painter(media, SIZE, fonts)
    window = pygame.Window("partial", SIZE)
    screen = SoftwareScreen(window, 0)
    partial = 0
    previous = None
    for step in range(60):  # 3 s in 50 ms steps: the ticker moves every step, the zones change now and then
        frame, surfaces = frame_at(timetable, painter, T0 + timedelta(seconds=step * 0.05), layouts)
        if previous is not None:
            sizes = {key: surface.get_size() for key, surface in previous[1].items()}
            area = changed_area(previous[0], sizes, frame, surfaces, SIZE)
            partial += area is not None and area[3] < SIZE[1]
        screen.show(frame, surfaces, None)
        whole = pygame.Surface(SIZE)
        draw_frame(whole, frame, surfaces)
        assert pygame.image.tobytes(screen.read_pixels(), "RGB") == pygame.image.tobytes(whole, "RGB"), step
        previous = (frame, surfaces)
    window.destroy()
    assert partial >= 40  # most steps only the ticker's strip was drawn again


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[BundleServer]:
    """A loopback server of the feeds tests/test_feeds.py fetches (RSS, Atom, JSON, text)."""
    from tests.test_feeds import ATOM, RSS, TEXT, WEATHER

    folder = tmp_path / "srv"
    folder.mkdir()
    (folder / "rss.xml").write_bytes(RSS)
    (folder / "atom.xml").write_bytes(ATOM)
    (folder / "weather.json").write_text(json.dumps(WEATHER))
    (folder / "lobby.txt").write_text(TEXT)
    with BundleServer(folder) as running:
        yield running


def test_feed_data_reaches_the_screen_through_the_folder(tmp_path: Path, feed_server: BundleServer, fonts: FontChain) -> None:
    """``signage feeds --once`` writes media/feeds/; the content library reads it; a text zone and a ticker show it."""
    from player.content.library import ContentLibrary
    from tests.test_feeds import feeds_once, write_config

    assert feeds_once(write_config(tmp_path, feed_server.url)).returncode == 0
    media = media_folder(tmp_path)
    playlists = tmp_path / "playlists"
    playlists.mkdir()
    (playlists / "left.yaml").write_text(SLIDES)
    (playlists / "wall.yaml").write_text(
        "zones:\n  - {name: main, area: [0, 0, 1, 0.6], playlists: left}\n"
        "  - {name: weather, area: [0, 0.6, 1, 0.2], text: '{weather.place} {weather.temp}°C'}\n"
        "  - {name: news, area: [0, 0.8, 1, 0.2], ticker: {feed: news}}\n"
    )
    scan = ContentLibrary(playlists, media, "UTC", settle=0).rescan()
    assert not scan.problems and scan.layouts and set(scan.feeds) >= {"news", "weather"}
    frames: list[Frame] = []
    screen = make_screen("software")
    player, _ = driven_player(
        Timetable(scan.playlists), T0, screen, Painter(media, SIZE, fonts), 1.0,
        on_present=frames.append, layouts=scan.layouts, feeds=scan.feeds,
    )
    player.run(0.5)
    screen.window.destroy()
    keys = [layer.key for layer in frames[-1].layers]
    assert "Seoul 21.5°C" in [getattr(getattr(key, "slide", None), "text", None) for key in keys]
    ticker_items = next(key[0][3] for key in keys if isinstance(key, tuple) and key[0][0] == "ticker")
    assert ticker_items == ("Library opens late tonight", "Tram line 4 & 5 diverted")


def test_content_that_adds_or_removes_a_layout_changes_the_whole_stage(tmp_path: Path, fonts: FontChain) -> None:
    """Found on the emulated box: with its layout file removed, the layout's zones stayed on screen
    and the next full-screen playlist played in the old main zone, beside the old widgets."""
    media = media_folder(tmp_path)
    fleet = "name: fleet\nslides: [{text: Fleet, background: '#6d2e8c', duration: 3600}]\n"
    wall = "priority: 5\nzones:\n  - {name: main, area: [0, 0, 0.5, 1], playlists: left}\n  - {area: [0.5, 0, 0.5, 1], qr: https://example.com}\n"
    with_layout = loaded(left=SLIDES, wall=wall)
    without = loaded(left=SLIDES, fleet=fleet)
    frames: list[Frame] = []
    screen = make_screen("software")
    player, _ = driven_player(
        with_layout[0], T0, screen, Painter(media, SIZE, fonts), 1.0, on_present=frames.append, layouts=with_layout[1]
    )
    player.run(0.3)
    assert player.layout is not None and all(layer.clip for layer in frames[-1].layers)
    player.reload(without[0], layouts=without[1])
    player.run(0.3)
    assert player.layout is None
    last = frames[-1].layers
    assert [layer.clip for layer in last] == [None]
    assert last[0].key.slide.playlist in ("fleet", "left")  # type: ignore[attr-defined]
    pixels = screen.read_pixels()
    assert pixels.get_at((SIZE[0] * 3 // 4, SIZE[1] // 2))[:3] != (255, 255, 255)  # the QR zone's white is gone
    player.reload(with_layout[0], layouts=with_layout[1])
    player.run(0.3)
    assert player.layout is not None and len(frames[-1].layers) == 2
    screen.window.destroy()
