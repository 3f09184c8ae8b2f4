"""Video slides in the whole player: the scheduler knows an `auto` video's length, `render --at`
shows the frame due, the render loop plays frames in order from a prepared first frame with
none dropped, joins mid-video, and skips a broken file while the rest keeps playing.

Clips are encoded here (frame n is a solid colour that encodes n: see tests/test_video.py).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pygame
import pytest
from PIL import Image

from player.content.durations import DurationCache, apply_durations, video_paths
from player.core.loader import load_playlists
from player.core.scheduler import Timetable
from player.ops.clock import ScaledClock
from player.ops.hashing import sha256_file
from player.render.frame import Frame
from player.render.loop import Player
from player.render.screen import open_screen
from player.render.slides import Painter
from player.render.text import FontChain
from tests.test_video import FPS, FRAMES, H264, SIZE, colour, encode, near, solid

T0 = datetime(2024, 1, 1, tzinfo=UTC)
RED, GREEN = (220, 30, 30), (30, 200, 60)
# A red still (1 s), the clip (duration auto: 2 s), a green still (1 s): a 4 s cycle from T0.
PLAYLIST = (
    "name: p\ndefaults: {transition: cut}\nslides:\n"
    "  - {text: ' ', id: before, duration: 1, background: '#dc1e1e'}\n"
    "  - {video: clip.mp4, id: clip}\n"
    "  - {text: ' ', id: after, duration: 1, background: '#1ec83c'}\n"
)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return encode(tmp_path_factory.mktemp("clip") / "clip.mp4", "libx264", solid, options=H264)


@pytest.fixture
def folders(tmp_path: Path, clip: Path) -> Path:
    for name in ("playlists", "media", "state", "config"):
        (tmp_path / name).mkdir()
    (tmp_path / "media" / "clip.mp4").write_bytes(clip.read_bytes())
    (tmp_path / "playlists" / "p.yaml").write_text(PLAYLIST)
    (tmp_path / "config" / "player.yaml").write_text("timezone: UTC\n")
    return tmp_path


def frame_number(rgb: tuple[int, ...]) -> int | None:
    """The clip frame a colour shows, or None for anything else (a still, black)."""
    for n in range(FRAMES):
        if near(tuple(rgb[:3]), colour(n), tol=10):  # type: ignore[arg-type]
            return n
    return None


def test_auto_duration_is_the_files_length_and_render_shows_the_frame_due(run_cli, folders: Path) -> None:  # type: ignore[no-untyped-def]
    at = "2024-01-01T00:00:01.5"
    decision = json.loads(run_cli("schedule", "--at", at, "--json", cwd=folders).stdout)
    assert decision["slide_id"] == "clip"
    start, end = (datetime.fromisoformat(decision[k]) for k in ("slide_start", "slide_end"))
    assert (end - start).total_seconds() == pytest.approx(FRAMES / FPS)  # 2 s, probed from the file
    cached = json.loads((folders / "state" / "video-durations.json").read_text())  # by content hash
    assert cached == {sha256_file(folders / "media" / "clip.mp4")[0]: pytest.approx(FRAMES / FPS)}
    for seconds_in in (0.0, 0.5, 1.3, 1.97):
        when = (start + timedelta(seconds=seconds_in)).isoformat()
        out = folders / f"at-{seconds_in}.png"
        result = run_cli("render", "--at", when, "--out", str(out), "--size", f"{SIZE[0]}x{SIZE[1]}", cwd=folders)
        assert result.status == 0, result.stderr
        with Image.open(out) as picture:
            assert frame_number(picture.convert("RGB").getpixel((SIZE[0] // 2, SIZE[1] // 2))) == int(seconds_in * FPS)


def test_validate_without_pyav_names_the_extra(run_cli, folders: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "av", None)  # `import av` raises ImportError
    result = run_cli("validate", cwd=folders)
    assert result.status == 1
    assert "p.yaml:5:" in result.stdout and "signage-player[video]" in result.stdout


def test_validate_reports_a_truncated_video(run_cli, folders: Path) -> None:  # type: ignore[no-untyped-def]
    whole = (folders / "media" / "clip.mp4").read_bytes()
    (folders / "media" / "clip.mp4").write_bytes(whole[: len(whole) // 2])
    result = run_cli("validate", cwd=folders)
    assert result.status == 1
    assert "slides[1].video: cannot play clip.mp4" in result.stdout


# -- the render loop -----------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _pygame() -> Iterator[None]:
    pygame.display.init()
    pygame.freetype.init()
    yield
    pygame.display.quit()


def play(
    media: Path, start: datetime, seconds: float, playlist: str = PLAYLIST
) -> tuple[Player, list[tuple[float, tuple[int, ...]]]]:
    """Run the real loop (software compositor, dummy driver) and sample the centre pixel of every frame."""
    playlists = load_playlists({"p.yaml": playlist}).playlists
    lengths = DurationCache(media, None).lengths(video_paths(playlists))
    timetable = Timetable(apply_durations(playlists, lengths))
    window = pygame.Window("video", SIZE)
    screen = open_screen(window, "software", 0)
    clock = ScaledClock(start, 1.0)
    seen: list[tuple[float, tuple[int, ...]]] = []

    def on_present(frame: Frame) -> None:
        seen.append(
            ((clock.now() - T0).total_seconds(), tuple(screen.read_pixels().get_at((SIZE[0] // 2, SIZE[1] // 2))))
        )

    player = Player(timetable, clock, screen, Painter(media, SIZE, FontChain.resolve()), on_present=on_present)
    try:
        player.run(seconds)
    finally:
        window.destroy()
    return player, seen


def test_the_loop_plays_every_frame_in_order_with_no_black_and_none_dropped(folders: Path) -> None:
    player, seen = play(folders / "media", T0 + timedelta(seconds=0.5), 3.0)
    numbers = [frame_number(rgb) for _, rgb in seen]
    video = [n for n in numbers if n is not None]
    assert video[0] == 0  # the prepared first frame, on the slide's turn
    assert video == sorted(video) and len(set(video)) >= FRAMES - 2  # in order, (almost) every frame on screen
    assert player.dropped_frames == 0
    for (_, rgb), n in zip(seen, numbers, strict=True):  # anything not a video frame is one of the stills
        assert n is not None or near(tuple(rgb[:3]), RED, 12) or near(tuple(rgb[:3]), GREEN, 12), rgb  # type: ignore[arg-type]
    # The frame on screen at each moment is the one due then (within a frame and a half, for scheduling slack).
    for t, rgb in seen:
        n = frame_number(rgb)
        if n is not None and 1.0 <= t < 3.0:
            assert abs(n - (t - 1.0) * FPS) <= 1.5, (t, n)


def test_a_player_started_mid_video_joins_at_the_frame_due(folders: Path) -> None:
    player, seen = play(folders / "media", T0 + timedelta(seconds=2.0), 0.5)  # 1 s into the clip
    video = [n for n in (frame_number(rgb) for _, rgb in seen) if n is not None]
    assert video and video[-1] >= FPS  # playing from 1 s in, not from the top
    # The first second was skipped, not dropped (that would be 24); a joining decoder starts cold, so a
    # frame or two right after the join may still be late, as on any cold start.
    assert player.dropped_frames <= 3


def test_a_truncated_video_is_skipped_and_the_stills_keep_playing(
    folders: Path, caplog: pytest.LogCaptureFixture
) -> None:
    media = folders / "media"
    whole = (media / "clip.mp4").read_bytes()
    (media / "clip.mp4").write_bytes(whole[: len(whole) // 2])
    caplog.set_level(logging.WARNING)
    playlist = PLAYLIST.replace("{video: clip.mp4, id: clip}", "{video: clip.mp4, id: clip, duration: 1}")
    _, samples = play(media, T0 + timedelta(seconds=0.5), 2.0, playlist)  # red, the broken clip's turn, then green
    seen = [rgb for _, rgb in samples]
    assert near(seen[0][:3], RED, 12) and near(seen[-1][:3], GREEN, 12)  # type: ignore[arg-type]
    assert all(near(rgb[:3], RED, 12) or near(rgb[:3], GREEN, 12) for rgb in seen), "no black frame"  # type: ignore[arg-type]
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage() and "clip" in r.getMessage()]
    assert len(skipped) == 1, skipped


@pytest.mark.parametrize("depth", [32, 24])
def test_a_bgra_frame_lands_in_the_slide_surface_with_its_colours(depth: int) -> None:
    """The fast path (one copy into a 32-bit surface) and the fallback (a converting blit) agree."""
    from player.media.video import DecodedFrame as VideoFrame
    from player.render.playback import copy_into

    size = (3, 2)
    pixels = [(200, 40, 10), (10, 200, 40), (40, 10, 200), (0, 0, 0), (255, 255, 255), (90, 120, 150)]
    frame = VideoFrame(0, 0.0, size, b"".join(bytes((b, g, r, 255)) for r, g, b in pixels))
    surface = pygame.Surface(size, depth=depth)
    copy_into(surface, frame)
    assert [tuple(surface.get_at((i % 3, i // 3)))[:3] for i in range(6)] == pixels
