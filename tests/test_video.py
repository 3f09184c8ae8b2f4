"""Tests for player.media.video: probing, the decoder thread, seeking, fitting and failures.

Every clip is encoded here with PyAV into a temporary folder; nothing binary is committed.
Frame n of a clip is one solid colour that encodes n in steps far wider than codec error.
"""

from __future__ import annotations

import logging
import math
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

av = pytest.importorskip("av")
from av.video.reformatter import VideoReformatter  # noqa: E402

from player.core.errors import MediaError  # noqa: E402
from player.media.video import (  # noqa: E402
    INSTALL_HINT,
    DecodedFrame,
    VideoDecoder,
    _fitter,
    av_available,
    first_frame,
    frame_at_time,
    probe,
)

RGB = tuple[int, int, int]
FPS, FRAMES, SIZE = 24, 48, (160, 90)
BG = (10, 200, 30)
WAIT = 5.0  # frame_at's timeout in tests: generous, and never reached when things work


def colour(n: int) -> RGB:
    """The colour of frame n: 8 red levels times 6 green levels, 32 and 40 apart."""
    return (16 + 32 * (n % 8), 20 + 40 * (n // 8), 128)


def number(rgb: RGB) -> int:
    """Frame number from a decoded colour; fails if the colour is not near any frame's."""
    r, g, _ = rgb
    n = 8 * round((g - 20) / 40) + round((r - 16) / 32)
    assert near(rgb, colour(n)), f"{rgb} is not the colour of any frame"
    return n


def near(a: RGB, b: RGB, tol: int = 8) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def px(frame: DecodedFrame, x: int, y: int) -> RGB:
    i = (y * frame.size[0] + x) * 4
    b, g, r, a = frame.data[i : i + 4]  # BGRA, opaque
    assert a == 255
    return (r, g, b)


def shows(frame: DecodedFrame | None) -> int:
    """The frame number a solid frame shows, checked at its centre and corners."""
    assert frame is not None
    w, h = frame.size
    n = number(px(frame, w // 2, h // 2))
    for x, y in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
        assert near(px(frame, x, y), colour(n)), (x, y)
    return n


def encode(
    path: Path,
    codec: str,
    picture: Callable[[int], bytes],
    frames: int = FRAMES,
    *,
    options: dict[str, str] | None = None,
    audio_s: float = 0.0,
    faststart: bool = False,
) -> Path:
    """Encode ``frames`` RGBA pictures (``picture(n)``) at FPS, optionally with a silent audio track."""
    with av.open(str(path), "w", options={"movflags": "faststart"} if faststart else {}) as out:
        video = out.add_stream(codec, rate=FPS)
        video.width, video.height, video.pix_fmt = *SIZE, "yuv420p"
        video.options = options or {}
        sound = out.add_stream("aac", rate=48000, layout="mono") if audio_s else None
        for n in range(frames):
            frame = av.VideoFrame.from_bytes(picture(n), *SIZE, format="rgba").reformat(format="yuv420p")
            frame.pts, frame.time_base = n, Fraction(1, FPS)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        if sound is not None:
            for i in range(int(audio_s * 48000) // 1024):
                chunk = av.AudioFrame(format="fltp", layout="mono", samples=1024)
                chunk.planes[0].update(bytes(4096))
                chunk.sample_rate, chunk.pts, chunk.time_base = 48000, i * 1024, Fraction(1, 48000)
                out.mux(sound.encode(chunk))
            out.mux(sound.encode())
    return path


def solid(n: int) -> bytes:
    return bytes((*colour(n), 255)) * (SIZE[0] * SIZE[1])


H264 = {"crf": "10"}
VP9 = {"crf": "10", "b": "0"}


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    left, right = bytes((200, 40, 40, 255)), bytes((40, 40, 200, 255))
    halves = (left * (SIZE[0] // 2) + right * (SIZE[0] // 2)) * SIZE[1]
    return {
        # The MP4's 3 s audio track makes the container longer than the video: the video's length counts.
        "mp4": encode(folder / "clip.mp4", "libx264", solid, options=H264, audio_s=3.0),
        "webm": encode(folder / "clip.webm", "libvpx-vp9", solid, options=VP9),
        "faststart": encode(folder / "faststart.mp4", "libx264", solid, options=H264, faststart=True),
        "halves": encode(folder / "halves.mp4", "libx264", lambda n: halves, 4, options=H264),
    }


@pytest.fixture
def decoder() -> Iterator[Callable[..., VideoDecoder]]:
    """Make started decoders; every one is closed at the end of the test."""
    made: list[VideoDecoder] = []

    def make(path: Path, size: tuple[int, int] = SIZE, **kwargs: object) -> VideoDecoder:
        dec = VideoDecoder(path, size, **kwargs)  # type: ignore[arg-type]
        made.append(dec)
        dec.start()
        return dec

    yield make
    for dec in made:
        dec.close()


def video_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("video ")]


KINDS = ("mp4", "webm")


# -- probing -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_probe_reads_length_rate_size_and_codec(clips: dict[str, Path], kind: str) -> None:
    info = probe(clips[kind])
    assert info.duration == pytest.approx(2.0, abs=1 / FPS)
    assert info.fps == FPS
    assert info.size == SIZE
    assert info.codec == {"mp4": "h264", "webm": "vp9"}[kind]


def test_av_is_available_and_the_module_does_not_import_pygame() -> None:
    assert av_available()
    code = "import sys, player.media.video; assert 'pygame' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_pyav_every_entry_point_says_how_to_install_it(
    clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # makes `import av` raise ImportError
    assert not av_available()
    for call in (
        lambda: probe(clips["mp4"]),
        lambda: first_frame(clips["mp4"], SIZE),
        VideoDecoder(clips["mp4"], SIZE).start,
    ):
        with pytest.raises(MediaError, match="pip install 'signage-player\\[video\\]'"):
            call()
    assert "signage-player[video]" in INSTALL_HINT


# -- the decoder thread ------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_frame_at_gives_the_frame_due(clips: dict[str, Path], kind: str, decoder: Callable[..., VideoDecoder]) -> None:
    dec = decoder(clips[kind])
    assert dec.info.fps == FPS
    for t in (0.01, 0.3, 0.52, 1.02, 1.49, 1.97):
        frame = dec.frame_at(t, WAIT)
        assert frame is not None
        assert (frame.index, frame.lap, shows(frame)) == (math.floor(t * FPS), 0, math.floor(t * FPS)), t
        assert frame.pts == pytest.approx(frame.index / FPS, abs=0.002)
        assert frame.size == SIZE and len(frame.data) == SIZE[0] * SIZE[1] * 4


@pytest.mark.parametrize("kind", KINDS)
def test_looping_wraps_and_not_looping_holds_the_last_frame(
    clips: dict[str, Path], kind: str, decoder: Callable[..., VideoDecoder]
) -> None:
    looping = decoder(clips[kind])
    frame = looping.frame_at(2.51, WAIT)
    assert frame is not None and (frame.index, frame.lap, shows(frame)) == (12, 1, 12)
    frame = looping.frame_at(4.0 + 1.01, WAIT)
    assert frame is not None and (frame.index, frame.lap, shows(frame)) == (24, 2, 24)

    once = decoder(clips[kind], loop=False)
    frame = once.frame_at(2.51, WAIT)
    assert frame is not None and (frame.index, frame.lap, shows(frame)) == (FRAMES - 1, 0, FRAMES - 1)
    assert once.done and once.error is None
    assert once.frame_at(60.0) is frame


@pytest.mark.parametrize("kind", KINDS)
def test_seeking_agrees_with_the_decoder_thread(
    clips: dict[str, Path], kind: str, decoder: Callable[..., VideoDecoder]
) -> None:
    dec = decoder(clips[kind])
    for t in (0.3, 0.95, 1.6, 2.7, 3.99):
        threaded = dec.frame_at(t, WAIT)
        sought = frame_at_time(clips[kind], t, SIZE)
        assert threaded is not None
        assert (
            (sought.index, sought.lap) == (threaded.index, threaded.lap) == (math.floor(t * FPS) % FRAMES, int(t // 2))
        )
        assert sought.data == threaded.data  # same key frame, same decoder: bit-identical


def test_seeking_past_the_end_without_looping_gives_the_last_frame(clips: dict[str, Path]) -> None:
    assert shows(frame_at_time(clips["mp4"], 7.5, SIZE, loop=False)) == FRAMES - 1
    assert shows(frame_at_time(clips["webm"], 7.5, SIZE)) == 36  # 7.5 s is 1.5 s into the fourth lap


def test_first_frame(clips: dict[str, Path]) -> None:
    frame = first_frame(clips["webm"], (64, 36))
    assert (frame.index, frame.pts, frame.size, shows(frame)) == (0, 0.0, (64, 36), 0)


def test_late_frames_are_counted_as_dropped(clips: dict[str, Path], decoder: Callable[..., VideoDecoder]) -> None:
    dec = decoder(clips["mp4"])
    first = dec.frame_at(0.0, WAIT)
    assert first is not None and first.index == 0 and dec.dropped == 0
    frame = dec.frame_at(1.01, WAIT)
    assert frame is not None and frame.index == 24
    assert dec.dropped == 23  # frames 1..23: decoded, never shown


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("at", [0.5, 1.5, 5.3])
def test_joining_mid_video_skips_without_counting_drops(clips: dict[str, Path], kind: str, at: float) -> None:
    """A player started (or reloaded) in the middle of a video slide shows the frame due then, and
    the frames before it, never meant to be seen, are not dropped frames."""
    dec = VideoDecoder(clips[kind], SIZE)
    dec.start(at)
    try:
        frame = dec.frame_at(at, WAIT)
        due = math.floor(at * FPS) % FRAMES
        assert frame is not None and (frame.index, frame.lap, shows(frame)) == (due, int(at // 2), due)
        assert dec.dropped == 0
        later = dec.frame_at(at + 0.1, WAIT)
        assert later is not None and shows(later) == (due + math.floor(0.1 * FPS)) % FRAMES
        assert dec.dropped == 1  # the one frame between at and at + 0.1 that was skipped over
    finally:
        dec.close()


def test_frame_at_never_blocks_and_returns_none_before_the_first_frame(clips: dict[str, Path]) -> None:
    dec = VideoDecoder(clips["mp4"], SIZE)
    assert dec.frame_at(0.0) is None  # not started: nothing decoded, and no waiting
    with dec:
        began = time.monotonic()
        dec.frame_at(1.5)
        assert time.monotonic() - began < 0.05


def test_the_queue_is_bounded_and_a_full_queue_blocks_the_thread(
    clips: dict[str, Path], decoder: Callable[..., VideoDecoder]
) -> None:
    dec = decoder(clips["mp4"], buffer_frames=4)
    deadline = time.monotonic() + WAIT
    while dec.queued < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    cpu, seen = time.process_time(), []
    for _ in range(25):
        seen.append(dec.queued)
        time.sleep(0.02)
    assert set(seen) == {4}
    assert time.process_time() - cpu < 0.1  # waiting on a condition, not spinning


def test_close_is_idempotent_and_the_thread_is_gone(clips: dict[str, Path]) -> None:
    dec = VideoDecoder(clips["webm"], SIZE)
    dec.close()  # before start: harmless
    dec = VideoDecoder(clips["webm"], SIZE, buffer_frames=2)
    dec.start()
    dec.start()
    assert len(video_threads()) == 1
    began = time.monotonic()
    dec.close()
    dec.close()
    assert time.monotonic() - began < 1.0  # prompt, though the thread was blocked on a full queue
    assert video_threads() == [] and dec.done
    with pytest.raises(RuntimeError):
        dec.start()


# -- decoders ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "why"),
    [
        ("mp4", "h264_v4l2m2m", "Invalid argument"),  # no /dev/video* here: the device cannot open
        ("webm", "h264_v4l2m2m", "decodes h264"),
        ("mp4", "no-such-decoder", "no-such-decoder"),
    ],
)
def test_an_unusable_decoder_falls_back_to_software_with_one_log_line(
    clips: dict[str, Path],
    kind: str,
    name: str,
    why: str,
    decoder: Callable[..., VideoDecoder],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="player.media.video"):
        dec = decoder(clips[kind], decoder=name)
        for t in (0.2, 1.3):
            assert shows(dec.frame_at(t, WAIT)) == math.floor(t * FPS)
    assert dec.decoder_used == {"mp4": "h264", "webm": "vp9"}[kind]
    [record] = caplog.records
    assert name in record.getMessage() and why in record.getMessage() and "software" in record.getMessage()


def test_a_named_decoder_that_works_is_used(
    clips: dict[str, Path], decoder: Callable[..., VideoDecoder], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="player.media.video"):
        dec = decoder(clips["webm"], decoder="libvpx-vp9")  # not the stream's default (FFmpeg's own vp9)
        for t in (0.2, 1.3, 2.1):
            assert shows(dec.frame_at(t, WAIT)) == math.floor(t * FPS) % FRAMES
    assert dec.decoder_used == "libvpx-vp9" and caplog.records == []


# -- fitting -----------------------------------------------------------------------------


def test_fit_sizes_and_letterbox_bars(clips: dict[str, Path]) -> None:
    for fit in ("cover", "contain", "stretch"):
        frame = frame_at_time(clips["mp4"], 0.5, (100, 100), fit=fit, background=(*BG, 255))
        assert frame.size == (100, 100) and len(frame.data) == 100 * 100 * 4
        assert number(px(frame, 50, 50)) == 12
        # 160x90 in 100x100: 100x56 with 22 rows of background above and below.
        bars = fit == "contain"
        for y in (0, 21, 78, 99):
            assert (px(frame, 50, y) == BG) == bars, (fit, y)
        for y in (23, 76):
            assert number(px(frame, 50, y)) == 12
    # And pillarboxed: 160x90 in 300x90 is 160 wide, 70 columns of background each side.
    frame = frame_at_time(clips["mp4"], 0.5, (300, 90), fit="contain", background=(*BG, 255))
    assert [px(frame, x, 45) == BG for x in (0, 69, 71, 228, 231, 299)] == [True, True, False, False, True, True]


def test_cover_keeps_the_focus(clips: dict[str, Path]) -> None:
    """The clip is red on the left half and blue on the right; a 40x90 window shows one of them."""
    red, blue = (200, 40, 40), (40, 40, 200)
    for focus, want in (((0.0, 0.5), red), ((0.2, 0.5), red), ((1.0, 0.5), blue), ((0.8, 0.5), blue)):
        frame = first_frame(clips["halves"], (40, 90), fit="cover", focus=focus)
        assert all(near(px(frame, x, 45), want, 12) for x in (0, 20, 39)), focus


@settings(max_examples=60, deadline=None)
@given(
    src=st.tuples(st.integers(1, 70), st.integers(1, 70)),
    size=st.tuples(st.integers(1, 70), st.integers(1, 70)),
    fit=st.sampled_from(["cover", "contain", "stretch"]),
    focus=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_any_fit_fills_the_frame_exactly(
    src: tuple[int, int], size: tuple[int, int], fit: str, focus: tuple[float, float]
) -> None:
    """Whatever the sizes (and rows padded or not), the bytes are exactly the frame and bars are background."""
    white = av.VideoFrame.from_bytes(b"\xff" * (src[0] * src[1] * 4), *src, format="rgba")
    fitter = _fitter(src, size, fit, focus, (*BG, 255))
    frame = DecodedFrame(0, 0.0, size, fitter(white, VideoReformatter()))  # DecodedFrame checks the length
    picture = [px(frame, x, y) == (255, 255, 255) for y in range(size[1]) for x in range(size[0])]
    (ox, oy), (sw, sh) = fitter.placed.offset, fitter.placed.scaled
    inside = [
        ox <= x < ox + min(sw, size[0]) and oy <= y < oy + min(sh, size[1])
        for y in range(size[1])
        for x in range(size[0])
    ]
    assert picture == inside
    assert all(px(frame, x, y) == BG for y in range(size[1]) for x in range(size[0]) if not inside[y * size[0] + x])


# -- broken files ------------------------------------------------------------------------


def test_an_mp4_cut_in_half_is_a_media_error(clips: dict[str, Path], tmp_path: Path) -> None:
    """Without faststart the index (moov) is at the end: half a file cannot even be opened."""
    data = clips["mp4"].read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError, match=r"cut\.mp4: .*truncated or corrupt"):
        probe(cut)
    with pytest.raises(MediaError, match=r"cut\.mp4"):
        VideoDecoder(cut, SIZE).start()


def damage(data: bytes, how: str) -> bytes:
    """Cut the media data in half, or overwrite 300 bytes in its middle with garbage."""
    media = data.index(b"mdat") - 4 if b"mdat" in data else 400  # past the WebM header
    middle = media + (len(data) - media) // 2
    if how == "cut":
        return data[:middle]
    return data[:middle] + bytes((i * 37 + 11) % 256 for i in range(300)) + data[middle + 300 :]


TRUNCATED = r"its video ends at \d\.\d\d s of the 2\.00 s its header declares; the file is truncated"


@pytest.mark.parametrize(
    ("kind", "how", "message"),
    [
        ("faststart", "cut", TRUNCATED),
        ("webm", "cut", TRUNCATED),
        ("faststart", "garbage", r"decoding stopped \d\.\d\d s in \(Invalid data found when processing input\)"),
        ("webm", "garbage", TRUNCATED),  # Matroska loses its footing at the garbage and reports a clean end
    ],
)
def test_a_file_damaged_mid_stream_stops_the_thread_with_an_error(
    clips: dict[str, Path],
    tmp_path: Path,
    kind: str,
    how: str,
    message: str,
    decoder: Callable[..., VideoDecoder],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The header comes first (faststart MP4, WebM): it opens, decodes the frames it has, then fails.

    FFmpeg reads a file cut between packets as a clean end; only the declared length tells.
    """
    damaged = tmp_path / f"damaged{clips[kind].suffix}"
    damaged.write_bytes(damage(clips[kind].read_bytes(), how))
    assert probe(damaged).duration == pytest.approx(2.0)  # the header still claims all of it
    with caplog.at_level(logging.WARNING, logger="player.media.video"):
        dec = decoder(damaged)
        frame = dec.frame_at(30.0, WAIT)  # far ahead: the thread must reach the damage
        assert dec.done  # the thread ended (frame_at waits for that), it did not raise or hang
    assert isinstance(dec.error, MediaError)
    assert str(dec.error).startswith(f"{damaged}: ") and re.search(message, str(dec.error))
    assert frame is not None  # the last frame decoded stays on screen
    if how == "cut":  # (garbage may decode into a garbled picture first)
        assert 0 < shows(frame) < FRAMES - 1
    assert [r.getMessage() for r in caplog.records] == [str(dec.error)]
    dec.close()
    assert video_threads() == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is a text file, not a video\n", "truncated or corrupt"),
        (b"", "empty"),
        (None, "not found"),
    ],
)
def test_files_that_are_not_videos(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "clip.mp4"
    if content is not None:
        path.write_bytes(content)
    for call in (
        lambda: probe(path),
        lambda: first_frame(path, SIZE),
        lambda: frame_at_time(path, 1.0, SIZE),
        VideoDecoder(path, SIZE).start,
    ):
        with pytest.raises(MediaError, match=message):
            call()


def test_an_audio_only_file_has_no_video_stream(tmp_path: Path) -> None:
    path = tmp_path / "sound.m4a"
    with av.open(str(path), "w") as out:
        sound = out.add_stream("aac", rate=48000, layout="mono")
        for i in range(10):
            chunk = av.AudioFrame(format="fltp", layout="mono", samples=1024)
            chunk.planes[0].update(bytes(4096))
            chunk.sample_rate, chunk.pts, chunk.time_base = 48000, i * 1024, Fraction(1, 48000)
            out.mux(sound.encode(chunk))
        out.mux(sound.encode())
    with pytest.raises(MediaError, match="no video stream"):
        probe(path)


def test_invalid_arguments_are_value_errors(clips: dict[str, Path]) -> None:
    for kwargs in ({"fit": "fill"}, {"focus": (1.5, 0.5)}, {"buffer_frames": 0}):
        with pytest.raises(ValueError):
            VideoDecoder(clips["mp4"], SIZE, **kwargs)
