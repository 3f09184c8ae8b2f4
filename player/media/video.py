"""Video: probe a file, decode it ahead of display on a worker thread, fit frames to the screen.

Pygame-free, like :func:`player.media.images.decode_image`: everything here hands over
BGRA bytes (:class:`DecodedFrame`) and the render loop turns them into Surfaces. PyAV is the
optional ``[video]`` extra, imported only when a video is touched.

Every failure caused by the file is a :class:`~player.core.errors.MediaError` that names the
file and says what to do; invalid arguments (an unknown ``fit``) raise ValueError.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING

from player.core.errors import MediaError
from player.media.files import open_regular, opened_path, refuse_empty, unreadable
from player.media.fit import BLACK, CENTRE, Focus, PixelLayout, Rgba, Size, check_fit, pixel_layout

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.video.codeccontext import VideoCodecContext
    from av.video.frame import VideoFrame
    from av.video.reformatter import VideoReformatter
    from av.video.stream import VideoStream

log = logging.getLogger(__name__)

INSTALL_HINT = "install the video extra: pip install 'signage-player[video]'"
# decoder="auto": the hardware decoder worth trying per codec. The Pi 4's H.264 block is
# reached through V4L2 memory-to-memory; its HEVC block needs a patched FFmpeg, so no entry.
HARDWARE_DECODERS = MappingProxyType({"h264": "h264_v4l2m2m"})
_TRIAL_PACKETS = 64  # a hardware decoder that has shown no picture after this many is not working
_WAIT_S = 0.5  # blocked waits re-check the stop flag this often (close() also wakes them at once)
_JOIN_S = 5.0
BYTES_PER_PIXEL = 4  # frames are BGRA
_SEEK_AFTER_S = 1.0  # joining a video further in than this seeks instead of decoding from the top


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` learns about a video file."""

    duration: float  # seconds: the video's own length, which is also the loop period
    fps: float  # average frame rate
    size: Size  # stored picture size in pixels
    codec: str  # FFmpeg's decoder name, e.g. "h264", "vp9"


@dataclass(frozen=True)
class DecodedFrame:
    """One decoded picture, fitted to the frame: BGRA, 4 bytes a pixel (alpha 255), row-major, no padding.

    BGRA is the byte order of SDL's native 32-bit surfaces and textures on little-endian
    machines, so the render loop copies a frame into the screen's texture without converting it.
    """

    index: int  # frame number in the file, 0-based (restarts when the file loops)
    pts: float  # seconds from the start of the file
    size: Size
    data: bytes = field(repr=False)
    lap: int = 0  # how many times the file had looped before this frame

    def __post_init__(self) -> None:
        if len(self.data) != self.size[0] * self.size[1] * BYTES_PER_PIXEL:
            raise ValueError(f"DecodedFrame of {self.size} needs {self.size[0] * self.size[1] * BYTES_PER_PIXEL} bytes")


def av_available() -> bool:
    """Whether PyAV (the ``[video]`` extra) can be imported."""
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


# -- opening and probing -----------------------------------------------------------------


def _wrap(path: Path, exc: Exception, at: float | None = None) -> MediaError:
    """Turn whatever opening or decoding (``at`` seconds in) raised into a MediaError a person can act on."""
    if isinstance(exc, MediaError):
        return exc
    # FFmpeg errors carry "[Errno 1094995529] ..." in str(); strerror is the readable part.
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    what = unreadable(exc, "a video")
    if what is None and at is not None:
        what = f"decoding stopped {at:.2f} s in ({reason}): the file is corrupt or truncated; re-copy or re-encode it"
    elif what is None:
        what = f"cannot be decoded: not a video FFmpeg reads, or truncated or corrupt ({reason}); re-encode or re-copy"
    return MediaError(f"{path}: {what}")


def _open(path: Path) -> tuple[InputContainer, VideoStream]:
    """Open ``path`` and pick its video stream; the caller closes the container."""
    try:
        import av
    except ImportError as exc:
        raise MediaError(f"{path}: cannot play video without PyAV; {INSTALL_HINT}") from exc
    try:
        with open_regular(path) as handle:
            refuse_empty(path, handle)
            container = av.open(opened_path(handle, path), metadata_errors="ignore")  # FFmpeg opens its own copy
    except Exception as exc:  # FFmpeg raises OSError and ValueError subclasses, by cause
        raise _wrap(path, exc) from exc
    try:
        # Cover art in a music file is a one-picture "video" stream: not a video.
        streams = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
        if not streams:
            raise MediaError(f"{path}: has no video stream (audio only?); export it as a video")
        stream = streams[0]
        if stream.codec_context is None:
            raise MediaError(f"{path}: this FFmpeg has no decoder for its video codec; re-encode it as H.264 MP4")
        stream.thread_type = "AUTO"  # frame threading: both cores decode
        return container, stream
    except BaseException:
        container.close()
        raise


def _origin(stream: VideoStream) -> int:
    """The pts (in stream time base) that counts as 0 s."""
    return stream.start_time or 0


def _one_pass(container: InputContainer, stream: VideoStream, ctx: VideoCodecContext) -> Iterator[VideoFrame]:
    """Decode the video stream from where the container stands to the end (audio is never decoded)."""
    for packet in container.demux(stream):  # the last packet is empty: it drains the decoder
        yield from ctx.decode(packet)


def _seconds(frame: VideoFrame, stream: VideoStream, fallback: float) -> float:
    if frame.pts is None:
        return fallback
    return float((frame.pts - _origin(stream)) * stream.time_base) if stream.time_base else fallback


def _info(path: Path, container: InputContainer, stream: VideoStream) -> VideoInfo:
    """Size, rate and length; decodes the whole file only when nothing declares a length."""
    ctx = stream.codec_context
    size = (ctx.width, ctx.height)
    if size[0] < 1 or size[1] < 1:
        raise MediaError(f"{path}: its video stream has no picture size; re-encode it")
    rate = stream.average_rate or stream.guessed_rate
    fps = float(rate) if rate else 0.0
    duration = 0.0
    if stream.duration and stream.time_base:
        duration = float(stream.duration * stream.time_base)  # the video's own; the container's may be audio's
    elif container.duration:
        duration = container.duration / 1_000_000  # AV_TIME_BASE
    if duration <= 0 or fps <= 0:
        count, end = 0, 0.0
        for frame in _one_pass(container, stream, ctx):
            count += 1
            step = float(frame.duration * frame.time_base) if frame.duration and frame.time_base else 0.0
            end = _seconds(frame, stream, end) + (step or (1 / fps if fps > 0 else 0.0))
        if count == 0:
            raise MediaError(f"{path}: its video stream has no frames; re-encode it")
        duration = duration if duration > 0 else end
        fps = fps if fps > 0 else count / duration
        container.seek(_origin(stream), stream=stream)
        ctx.flush_buffers()
    return VideoInfo(duration=max(duration, 1 / fps), fps=fps, size=size, codec=ctx.name)


def probe(path: Path) -> VideoInfo:
    """Length, frame rate, size and codec of a video file; decodes its first frame to be sure it can.

    Raises:
        MediaError: the file is missing, empty, not a video, corrupt, has no video stream, uses
            a codec this FFmpeg cannot decode, or PyAV is not installed.
    """
    container, stream = _open(path)
    with container:
        try:
            info = _info(path, container, stream)
            if next(_one_pass(container, stream, stream.codec_context), None) is None:
                raise MediaError(f"{path}: its video stream has no frames; re-encode it")
        except Exception as exc:
            raise _wrap(path, exc) from exc
    return info


# -- fitting ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fitter:
    """Turns one source size into frames: scale, keep the frame-sized window, paste it between
    background bars (the placement and the bars' bytes precomputed once)."""

    size: Size
    placed: PixelLayout
    left: bytes = field(repr=False)
    right: bytes = field(repr=False)
    top: bytes = field(repr=False)
    bottom: bytes = field(repr=False)

    def __call__(self, frame: VideoFrame, reformatter: VideoReformatter) -> bytes:
        (sw, sh), (cx, cy) = self.placed.scaled, self.placed.crop
        bgra = reformatter.reformat(frame, width=sw, height=sh, format="bgra")
        plane = bgra.planes[0]
        pitch, view = plane.line_size, memoryview(plane)  # rows may be padded past width*4
        fw, fh = self.size
        w, h = min(sw, fw), min(sh, fh)
        n = BYTES_PER_PIXEL
        if (w, h) == (fw, fh) and w * n == pitch:
            return view[cy * pitch : (cy + h) * pitch].tobytes()  # whole unpadded rows: one copy
        rows = (view[y * pitch + cx * n : y * pitch + (cx + w) * n] for y in range(cy, cy + h))
        if (w, h) == (fw, fh):
            return b"".join(rows)
        parts: list[bytes | memoryview] = [self.top]
        for row in rows:
            parts += (self.left, row, self.right)
        parts.append(self.bottom)
        return b"".join(parts)


def _fitter(src: tuple[float, float], size: Size, fit: str, focus: Focus, background: Rgba) -> _Fitter:
    """Place a ``src``-sized picture in ``size`` by the fit rules (:mod:`player.media.fit`), in whole pixels."""
    placed = pixel_layout(src, size, fit, focus)
    left, right, top, bottom = placed.bars(size)
    red, green, blue = background[:3]
    pixel = bytes((blue, green, red, 255))  # alpha ignored: frames are opaque
    width = size[0]
    return _Fitter(size, placed, pixel * left, pixel * right, pixel * (width * top), pixel * (width * bottom))


def _source_size(frame: VideoFrame, stream: VideoStream) -> tuple[float, float]:
    """Display size: anamorphic video (sample aspect ratio not 1) is stretched back to shape."""
    sar = stream.sample_aspect_ratio
    return (frame.width * float(sar) if sar and sar > 0 else float(frame.width), float(frame.height))


class _Fitting:
    """A fitter per source size (a stream may change size mid-file). One thread's."""

    def __init__(self, size: Size, fit: str, focus: Focus, background: Rgba) -> None:
        self._args = (size, fit, focus, background)
        self._fitters: dict[tuple[float, float], _Fitter] = {}
        self._reformatter: VideoReformatter | None = None

    def __call__(self, frame: VideoFrame, stream: VideoStream) -> bytes:
        src = _source_size(frame, stream)
        fitter = self._fitters.get(src)
        if fitter is None:
            fitter = self._fitters[src] = _fitter(src, *self._args)
        if self._reformatter is None:
            from av.video.reformatter import VideoReformatter

            # frame.reformat() makes a new swscale context for every frame; one kept across
            # frames reuses its set-up (measured: 0.3-1 ms less a 1080p frame, steadier).
            self._reformatter = VideoReformatter()
        return fitter(frame, self._reformatter)


# -- synchronous decoding ----------------------------------------------------------------


def first_frame(
    path: Path, size: Size, *, fit: str = "cover", focus: Focus = CENTRE, background: Rgba = BLACK
) -> DecodedFrame:
    """The first frame, fitted: for preparing a video slide before its turn (no black flash)."""
    check_fit(size, fit, focus)
    container, stream = _open(path)
    with container:
        try:
            frame = next(_one_pass(container, stream, stream.codec_context), None)
            if frame is None:
                raise MediaError(f"{path}: its video stream has no frames; re-encode it")
            data = _Fitting(size, fit, focus, background)(frame, stream)
            return DecodedFrame(0, _seconds(frame, stream, 0.0), size, data)
        except Exception as exc:
            raise _wrap(path, exc) from exc


def frame_at_time(
    path: Path,
    t: float,
    size: Size,
    *,
    fit: str = "cover",
    focus: Focus = CENTRE,
    background: Rgba = BLACK,
    loop: bool = True,
) -> DecodedFrame:
    """The frame due ``t`` seconds into playback, by seeking: what :class:`VideoDecoder` would show.

    For deterministic headless rendering. ``index`` is estimated from the timestamp
    (exact for constant frame rate); ``lap`` counts the loops.
    """
    check_fit(size, fit, focus)
    container, stream = _open(path)
    with container:
        try:
            info = _info(path, container, stream)
            t = max(0.0, t)
            lap = math.floor(t / info.duration) if loop else 0
            target = t - lap * info.duration if loop else min(t, info.duration)
            found = _decode_until(container, stream, target, seek=True)
            if found is None or found[1] > target:  # the seek overshot (or found nothing): from the top
                container.seek(_origin(stream), stream=stream)
                stream.codec_context.flush_buffers()
                found = _decode_until(container, stream, target, seek=False)
            if found is None:
                raise MediaError(f"{path}: its video stream has no frames; re-encode it")
            frame, pts = found
            data = _Fitting(size, fit, focus, background)(frame, stream)
            return DecodedFrame(round(pts * info.fps), pts, size, data, lap)
        except Exception as exc:
            raise _wrap(path, exc) from exc


def _decode_until(
    container: InputContainer, stream: VideoStream, target: float, *, seek: bool
) -> tuple[VideoFrame, float] | None:
    """The last frame with pts <= target (or the first decoded, if all are later)."""
    if seek:
        # Lands on the key frame at or before target; decoding forward from there is exact.
        offset = int(target / stream.time_base) if stream.time_base else 0
        container.seek(_origin(stream) + offset, stream=stream, backward=True)
        stream.codec_context.flush_buffers()
    best: tuple[VideoFrame, float] | None = None
    for frame in _one_pass(container, stream, stream.codec_context):
        pts = _seconds(frame, stream, best[1] if best else 0.0)
        if best is not None and pts > target:
            break
        best = (frame, pts)
        if pts > target:
            break
    return best


# -- the decoder thread ------------------------------------------------------------------


@dataclass(frozen=True)
class _Decoded:
    """A decoded, not yet converted frame and the playback time it is due."""

    index: int
    lap: int
    pts: float
    due: float
    frame: VideoFrame


@dataclass
class _Cursor:
    """Where the decoder thread stands (its own, never shared): lap, next frame number, last pts seen,
    and the decoded frame waiting for the next one to show whether it is still needed."""

    lap: int
    index: int  # -1 right after a seek: the next frame is numbered by its time
    pts: float = 0.0
    pending: _Decoded | None = None


class VideoDecoder:
    """Decodes one file ahead of display on a bounded background thread.

    The render loop calls :meth:`frame_at` with the seconds since the video started and
    gets the frame due then. The thread never touches pygame and never raises: a file that
    fails mid-way sets :attr:`error`, logs one line, and the last good frame stays.
    """

    def __init__(
        self,
        path: Path,
        size: Size,
        *,
        fit: str = "cover",
        focus: Focus = CENTRE,
        background: Rgba = BLACK,
        decoder: str = "auto",
        buffer_frames: int = 8,
        loop: bool = True,
    ) -> None:
        """Args:
        path: the video file.
        size, fit, focus, background: as :func:`player.media.images.decode_image`.
        decoder: "software", "auto" (a known hardware decoder where one is usable), or an
            FFmpeg decoder name. A decoder that fails falls back to software with one log line.
        buffer_frames: how many converted frames may wait for display (memory bound).
        loop: start again at the end; otherwise hold the last frame.
        """
        check_fit(size, fit, focus)
        if buffer_frames < 1:
            raise ValueError(f"buffer_frames must be at least 1, not {buffer_frames}")
        self.path = path
        self.size = size
        self.decoder = decoder
        self.loop = loop
        self.buffer_frames = buffer_frames
        self.decoder_used: str | None = None  # the decoder the thread settled on
        self._fitting = _Fitting(size, fit, focus, background)
        self._info: VideoInfo | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._cond = threading.Condition()  # guards everything below; notified on every change
        self._queue: deque[tuple[float, DecodedFrame]] = deque()
        self._current: DecodedFrame | None = None
        self._current_shown = False
        # The latest t asked for: the thread skips converting frames already late. It reads it
        # without the lock; a stale value only converts a frame that will be dropped anyway.
        self._wanted = -math.inf
        self._dropped = 0
        self._join_at = 0.0  # playback time the screen joined at (see start)
        self._error: MediaError | None = None
        self._done = False
        self._closed = False

    def __enter__(self) -> VideoDecoder:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    @property
    def info(self) -> VideoInfo:
        """The file's :class:`VideoInfo`, known once :meth:`start` has opened it."""
        if self._info is None:
            raise RuntimeError("VideoDecoder.info is known after start()")
        return self._info

    @property
    def dropped(self) -> int:
        """Frames decoded but never shown because their time had passed."""
        with self._cond:
            return self._dropped

    @property
    def error(self) -> MediaError | None:
        """Why decoding stopped early (a truncated or corrupt file), else None."""
        with self._cond:
            return self._error

    @property
    def queued(self) -> int:
        """Converted frames waiting for display (at most ``buffer_frames``)."""
        with self._cond:
            return len(self._queue)

    @property
    def done(self) -> bool:
        """The thread has finished: end of file without loop, an error, or closed."""
        with self._cond:
            return self._done

    def start(self, at: float = 0.0) -> None:
        """Open the file (reading it through once if it declares no length) and start decoding. Safe to call twice.

        ``at`` joins playback that far in (a player started, or content reloaded, in the
        middle of a video slide): the decoder seeks there, and frames before it are skipped,
        not counted as dropped.

        Raises:
            MediaError: the file cannot be opened (see :func:`probe`).
        """
        if self._closed:
            raise RuntimeError("a closed VideoDecoder cannot start again; make a new one")
        if self._thread is not None:
            return
        self._join_at = max(0.0, at)
        self._wanted = self._join_at if at > 0 else -math.inf
        container, stream = _open(self.path)
        try:
            self._info = _info(self.path, container, stream)
        except Exception as exc:
            container.close()
            raise _wrap(self.path, exc) from exc
        self._thread = threading.Thread(
            target=self._run, args=(container, stream), name=f"video {self.path.name}", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and release the file. Safe to call twice, or before start."""
        with self._cond:
            self._closed = True
            self._stop.set()
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(_JOIN_S)
            if thread.is_alive():  # stuck inside FFmpeg (a hung network mount?): it is a daemon, leave it
                log.warning("%s: decoder thread did not stop within %g s", self.path, _JOIN_S)
        with self._cond:
            self._queue.clear()

    def frame_at(self, t: float, timeout: float = 0.0) -> DecodedFrame | None:
        """The frame due ``t`` seconds into playback, or the newest one before it if that is not decoded yet.

        Frames older than the one returned are discarded (and counted in :attr:`dropped` if
        never returned). ``None`` until the first frame is decoded. ``timeout`` (tests, a
        cold start) waits up to that long for the due frame to be known; the render loop
        passes 0 and never blocks.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            self._wanted = t
            while True:
                self._advance(t)
                settled = (self._queue and self._queue[0][0] > t) or self._done
                remaining = deadline - time.monotonic()
                if settled or remaining <= 0:
                    break
                self._cond.wait(remaining)
            if self._current is not None:
                self._current_shown = True
            return self._current

    def _advance(self, t: float) -> None:
        """Make the latest queued frame due by ``t`` current. Caller holds the lock."""
        popped = False
        while self._queue and self._queue[0][0] <= t:
            if self._current is not None and not self._current_shown:
                self._dropped += 1
            self._current, self._current_shown = self._queue.popleft()[1], False
            popped = True
        if popped:
            self._cond.notify_all()

    # -- on the thread --

    def _run(self, container: InputContainer, stream: VideoStream) -> None:
        try:
            self._produce(container, stream)
        except Exception as exc:  # never out of the thread: the render loop keeps the last frame
            self._fail(exc)
        finally:
            container.close()
            with self._cond:
                self._done = True
                self._cond.notify_all()

    def _fail(self, exc: Exception, at: float | None = None) -> None:
        error = _wrap(self.path, exc, at)
        log.warning("%s", error)
        with self._cond:
            self._error = error

    def _produce(self, container: InputContainer, stream: VideoStream) -> None:
        """Decode lap after lap, each frame converted only once the next shows it is still needed."""
        import av

        ctx = self._pick_decoder(container, stream)
        cursor = _Cursor(*self._seek_to_join(container, stream, ctx))
        try:
            while not self._stop.is_set():
                if not self._decode_lap(container, stream, ctx, cursor):
                    return  # stopped part-way: nothing more is shown
                self._check_lap(container, stream, cursor)
                if not self.loop:
                    break
                cursor.index = 0
                # Far behind (a one-frame "video" an hour in): skip laps whose frames would all be dropped.
                duration = self.info.duration
                cursor.lap = max(cursor.lap + 1, math.floor(self._wanted / duration) - 1 if self._wanted > 0 else 0)
                container.seek(_origin(stream), stream=stream)
                ctx.flush_buffers()
        except (av.error.FFmpegError, MediaError) as exc:  # truncated or corrupt mid-file: what decoded stays
            self._fail(exc, cursor.pts)
        if cursor.pending is not None and not self._stop.is_set():
            self._deliver(cursor.pending, stream, superseded=False)  # the last frame decoded: it holds

    def _decode_lap(
        self, container: InputContainer, stream: VideoStream, ctx: VideoCodecContext, cursor: _Cursor
    ) -> bool:
        """One pass through the file, delivering each frame once the next is decoded; False if stopped part-way."""
        duration, fps = self.info.duration, self.info.fps
        cursor.pts = 0.0
        for frame in _one_pass(container, stream, ctx):
            if self._stop.is_set():
                return False
            cursor.pts = _seconds(frame, stream, cursor.index / fps)
            if cursor.index < 0:  # the first frame after a seek: number it by its time
                cursor.index = round(cursor.pts * fps)
            if self.loop and cursor.pts >= duration:
                continue  # past the declared length: it would overlap the next lap
            item = _Decoded(cursor.index, cursor.lap, cursor.pts, cursor.lap * duration + cursor.pts, frame)
            cursor.index += 1
            if cursor.pending is not None:
                self._deliver(cursor.pending, stream, superseded=item.due <= self._wanted)
            cursor.pending = item
        return True

    def _check_lap(self, container: InputContainer, stream: VideoStream, cursor: _Cursor) -> None:
        """Raise MediaError if the lap just decoded shows the file is empty or truncated."""
        duration, fps = self.info.duration, self.info.fps
        if cursor.index <= 0:
            raise MediaError(f"{self.path}: no frames decoded; re-encode it")
        if cursor.lap == 0 and cursor.pts < duration - 0.5 - 2 / fps:
            # FFmpeg reads a file cut between packets as a clean, short end: only the length tells.
            short = f"{self.path}: its video ends at {cursor.pts:.2f} s of the {duration:.2f} s its header declares"
            if stream.duration or len(container.streams) == 1:
                raise MediaError(f"{short}; the file is truncated (an interrupted copy?), re-copy it")
            log.warning("%s (a longer audio track?)", short)

    def _seek_to_join(self, container: InputContainer, stream: VideoStream, ctx: VideoCodecContext) -> tuple[int, int]:
        """Position the file for joining at ``start(at)``; returns (lap, first frame's index: -1 after a seek)."""
        duration = self.info.duration
        if self._join_at <= 0:
            return 0, 0
        lap = math.floor(self._join_at / duration) if self.loop else 0
        offset = self._join_at - lap * duration if self.loop else min(self._join_at, duration)
        if offset < _SEEK_AFTER_S or not stream.time_base:
            return lap, 0  # decoding from the top is as quick as a seek
        # Lands on the key frame at or before the offset; the frames from there to it are skipped.
        container.seek(_origin(stream) + int(offset / stream.time_base), stream=stream, backward=True)
        ctx.flush_buffers()
        return lap, -1

    def _deliver(self, item: _Decoded, stream: VideoStream, *, superseded: bool) -> None:
        """Convert and queue a frame, waiting while the queue is full; a superseded one is dropped unconverted."""
        if superseded:
            if item.due >= self._join_at:  # frames before the join were never meant to show
                with self._cond:
                    self._dropped += 1
            return
        frame = DecodedFrame(item.index, item.pts, self.size, self._fitting(item.frame, stream), item.lap)
        with self._cond:
            while len(self._queue) >= self.buffer_frames and not self._stop.is_set():
                self._cond.wait(_WAIT_S)
            if not self._stop.is_set():
                self._queue.append((item.due, frame))
                self._cond.notify_all()

    def _pick_decoder(self, container: InputContainer, stream: VideoStream) -> VideoCodecContext:
        """The stream's own (software) decoder, or a hardware one that proved it decodes this file."""
        software = stream.codec_context
        name = self._hardware_name(software.name)
        if name is None:
            self.decoder_used = software.name
            return software
        try:
            ctx = _try_decoder(container, stream, name)
        except Exception as exc:  # FFmpeg errors, unknown names: any failure means software
            log.log(
                logging.INFO if self.decoder == "auto" else logging.WARNING,
                "%s: decoder %s unusable (%s); decoding in software (%s)",
                self.path,
                name,
                getattr(exc, "strerror", None) or exc,
                software.name,
            )
            ctx = software
        container.seek(_origin(stream), stream=stream)  # the trial read ahead
        ctx.flush_buffers()
        self.decoder_used = ctx.name
        return ctx

    def _hardware_name(self, codec: str) -> str | None:
        if self.decoder == "software":
            return None
        if self.decoder != "auto":
            return self.decoder
        name = HARDWARE_DECODERS.get(codec)
        # V4L2 decoders need a /dev/video* node: without one (a PC, a container) do not even try.
        return name if name is not None and any(Path("/dev").glob("video*")) else None


def _try_decoder(container: InputContainer, stream: VideoStream, name: str) -> VideoCodecContext:
    """Open decoder ``name`` for ``stream`` and feed it until a picture comes out."""
    import av

    codec = av.Codec(name, "r")
    software = stream.codec_context
    if codec.id != software.codec.id:
        raise ValueError(f"it decodes {codec.name}, this file is {software.name}")
    ctx = av.CodecContext.create(codec, "r")
    if not isinstance(ctx, av.VideoCodecContext):
        raise ValueError(f"{name} is not a video decoder")
    ctx.extradata = software.extradata  # SPS/PPS for MP4's H.264, which has no start codes
    ctx.width, ctx.height = software.width, software.height
    ctx.thread_type = "AUTO"
    ctx.open()
    for count, packet in enumerate(container.demux(stream)):
        if ctx.decode(packet):
            return ctx
        if count >= _TRIAL_PACKETS:
            break
    raise ValueError("no picture came out")
