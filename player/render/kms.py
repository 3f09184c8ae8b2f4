"""Frames straight to the glass through the kernel's mode-setting API (KMS): no SDL, no OpenGL.

Why: after a crash the screen must not go dark. A bare-console player that composes in
software hands its DRM device to systemd's file-descriptor store once its first frame is up
(``FDSTORE=1``; the unit allows one with ``FileDescriptorStoreMax=1``). The store keeps the
device open when the player dies, so the kernel keeps the last frame on the glass, and the
device stays the display's master: the restarted player gets it back (``LISTEN_FDS``) and
draws on it with :class:`KmsPresenter`, while the old frame stays up until its first frame
replaces it. SDL cannot take over an open device (it opens its own, which a non-root user
cannot make master while the stored one is), so the restarted player does not use SDL for the
screen at all: two "dumb" buffers in main memory, page-flipped.

Everything here is a handful of ioctls from ``<drm/drm_mode.h>``, packed with :mod:`struct`.
"""

from __future__ import annotations

import array
import contextlib
import ctypes
import errno
import fcntl
import mmap
import os
import select
import stat
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from player.core.errors import KeptScreenUnusable

if TYPE_CHECKING:
    import pygame  # not imported here: pygame must load after SDL's settings (render/display.py)


def _iowr(number: int, size: int) -> int:
    """The request code of DRM ioctl ``number`` that reads and writes a struct of ``size`` bytes."""
    return (3 << 30) | (size << 16) | (ord("d") << 8) | number


# struct drm_mode_modeinfo: clock; h display/sync start/sync end/total/skew; v the same and
# scan; vrefresh, flags, type; name[32].
_MODE = "I10H3I32s"
_CARD_RES = struct.Struct("=4Q8I")  # fb, crtc, connector, encoder id pointers; counts; min/max sizes
_CRTC = struct.Struct("=Q7I" + _MODE)  # connectors pointer, count, crtc id, fb id, x, y, gamma size, mode valid
_ENCODER = struct.Struct("=5I")  # encoder id, type, crtc id, possible crtcs, possible clones
_CONNECTOR = struct.Struct("=4Q12I")  # encoders, modes, props, prop values pointers; counts, ids, state
_CREATE_DUMB = struct.Struct("=6IQ")  # height, width, bpp, flags -> handle, pitch, size
_MAP_DUMB = struct.Struct("=2IQ")  # handle, pad -> offset
_ADD_FB = struct.Struct("=7I")  # -> fb id; width, height, pitch, bpp, depth, handle
_PAGE_FLIP = struct.Struct("=4IQ")  # crtc id, fb id, flags, reserved, user data
_ID = struct.Struct("=I")
_GEM_CLOSE = struct.Struct("=2I")
_MODE_SIZE = struct.calcsize("=" + _MODE)

_GETRESOURCES = _iowr(0xA0, _CARD_RES.size)
_GETCRTC = _iowr(0xA1, _CRTC.size)
_SETCRTC = _iowr(0xA2, _CRTC.size)
_GETENCODER = _iowr(0xA6, _ENCODER.size)
_GETCONNECTOR = _iowr(0xA7, _CONNECTOR.size)
_ADDFB = _iowr(0xAE, _ADD_FB.size)
_RMFB = _iowr(0xAF, _ID.size)
_PAGEFLIP = _iowr(0xB0, _PAGE_FLIP.size)
_CREATE_DUMB_IOCTL = _iowr(0xB2, _CREATE_DUMB.size)
_MAP_DUMB_IOCTL = _iowr(0xB3, _MAP_DUMB.size)
_GEM_CLOSE_IOCTL = (1 << 30) | (_GEM_CLOSE.size << 16) | (ord("d") << 8) | 0x09  # DRM_IOW
_ATTACHMODE = _iowr(0xA8, 4 + _MODE_SIZE)  # a no-op that only the master may call

_CONNECTED = 1
_MODE_TYPE_PREFERRED = 1 << 3
_PAGE_FLIP_EVENT = 0x01
_FLIP_WAIT_S = 0.1  # a flip completes at the next vertical blank: 17 ms at 60 Hz
_STRAY_HANDLES = 64  # buffer handles a dead player may have left on the device (see _sweep)
_DRM_MAJOR = 226  # the character devices /dev/dri/* (Documentation/admin-guide/devices.txt)


def _ioctl(fd: int, request: int, packed: bytes) -> bytearray:
    buffer = bytearray(packed)
    try:
        fcntl.ioctl(fd, request, buffer, True)
    except OSError as error:
        raise KeptScreenUnusable(f"DRM ioctl {request & 0xFF:#x} failed: {os.strerror(error.errno or 0)}") from None
    return buffer


def _ids(count: int) -> array.array[int]:
    return array.array("I", [0] * max(count, 1))


def _address(ids: array.array[int]) -> int:
    return ids.buffer_info()[0]


@dataclass(frozen=True)
class Output:
    """Where frames go: a CRTC driving a connector in a mode (its packed ``drm_mode_modeinfo``)."""

    crtc: int
    connector: int
    mode: bytes
    size: tuple[int, int]
    refresh_hz: float


def find_output(fd: int) -> Output:
    """The first connected screen: the mode it shows now if any (a dead player's), else its preferred one."""
    counts = _CARD_RES.unpack(_ioctl(fd, _GETRESOURCES, _CARD_RES.pack(*(0,) * 12)))
    crtcs, connectors, encoders = _ids(counts[5]), _ids(counts[6]), _ids(counts[7])
    request = _CARD_RES.pack(0, _address(crtcs), _address(connectors), _address(encoders), 0, *counts[5:8], 0, 0, 0, 0)
    _ioctl(fd, _GETRESOURCES, request)
    for connector in connectors[: counts[6]]:
        output = _output_of(fd, connector, list(crtcs[: counts[5]]))
        if output is not None:
            return output
    raise KeptScreenUnusable("no connected screen on this DRM device")


def _output_of(fd: int, connector: int, crtcs: list[int]) -> Output | None:
    empty = _CONNECTOR.pack(0, 0, 0, 0, 0, 0, 0, 0, connector, 0, 0, 0, 0, 0, 0, 0)
    info = _CONNECTOR.unpack(_ioctl(fd, _GETCONNECTOR, empty))
    count_modes, count_encoders, current_encoder, connection = info[4], info[6], info[7], info[11]
    if connection != _CONNECTED or count_modes == 0:
        return None
    modes = bytearray(_MODE_SIZE * count_modes)
    encoders = _ids(count_encoders)
    pointers = (_address(encoders), _buffer_address(modes), 0, 0)
    request = _CONNECTOR.pack(*pointers, count_modes, 0, count_encoders, 0, connector, 0, 0, 0, 0, 0, 0, 0)
    _ioctl(fd, _GETCONNECTOR, request)
    crtc = _crtc_for(fd, current_encoder, list(encoders[:count_encoders]), crtcs)
    if crtc is None:
        return None
    mode = _current_mode(fd, crtc) or _preferred(modes, count_modes)
    fields = struct.unpack("=" + _MODE, mode)
    return Output(crtc, connector, mode, (fields[1], fields[6]), float(fields[11] or 60))


def _buffer_address(buffer: bytearray) -> int:
    return ctypes.addressof(ctypes.c_char.from_buffer(buffer))


def _crtc_for(fd: int, current_encoder: int, encoders: list[int], crtcs: list[int]) -> int | None:
    """The CRTC the connector is on now, else the first one its encoders can drive."""
    for encoder in [current_encoder, *encoders]:
        if not encoder:
            continue
        fields: tuple[int, ...] = _ENCODER.unpack(_ioctl(fd, _GETENCODER, _ENCODER.pack(encoder, 0, 0, 0, 0)))
        crtc, possible = fields[2], fields[3]
        if crtc:
            return crtc
        for index, candidate in enumerate(crtcs):
            if possible & (1 << index):
                return candidate
    return None


def _current_mode(fd: int, crtc: int) -> bytes | None:
    fields = _CRTC.unpack(_ioctl(fd, _GETCRTC, _CRTC.pack(0, 0, crtc, 0, 0, 0, 0, 0, *_blank_mode())))
    mode_valid = fields[7]
    return struct.pack("=" + _MODE, *fields[8:]) if mode_valid else None


def _blank_mode() -> tuple[int | bytes, ...]:
    return (0,) * 14 + (b"",)


def _preferred(modes: bytearray, count: int) -> bytes:
    chunks = [bytes(modes[i * _MODE_SIZE : (i + 1) * _MODE_SIZE]) for i in range(count)]
    for chunk in chunks:
        if struct.unpack("=" + _MODE, chunk)[13] & _MODE_TYPE_PREFERRED:
            return chunk
    return chunks[0]


@dataclass
class _Buffer:
    handle: int
    fb: int
    pitch: int
    pixels: mmap.mmap


class KmsPresenter:
    """Shows frames composed in main memory on ``fd``'s screen: two dumb buffers, page-flipped.

    ``fd`` must be the display's master (a device handed back from systemd's store). The
    presenter owns it from here on and never closes it: while the store holds a copy, the
    last frame presented stays on the glass whatever happens to this process.
    """

    def __init__(self, fd: int) -> None:
        os.set_inheritable(fd, False)  # never into a child process (web snapshots run in their own)
        self.fd = fd
        if not is_drm_device(fd):
            raise KeptScreenUnusable("the descriptor kept as the screen is not a DRM device")
        if not is_master(fd):
            raise KeptScreenUnusable("this DRM device is not the display's master (another program drives the screen)")
        self.output = find_output(fd)
        self.size = self.output.size
        self.refresh_hz = self.output.refresh_hz
        self._drain_events()  # flips a dead player asked for must not pass for ours
        self._buffers = [self._create_buffer(), self._create_buffer()]
        self._back = 0
        self._flip_pending = False
        self._mode_set = False

    def present(self, frame: pygame.Surface) -> None:
        """Copy ``frame`` (the screen's size) into the back buffer and flip to it at the next vertical blank."""
        self._wait_for_flip()
        buffer = self._buffers[self._back]
        self._copy(frame, buffer)
        if not self._mode_set:
            self._set_crtc(buffer.fb)
            self._mode_set = True
            self._sweep()
        else:
            self._flip(buffer.fb)
        self._back ^= 1

    def _copy(self, frame: pygame.Surface, buffer: _Buffer) -> None:
        width, height = self.size
        if frame.get_size() != self.size:
            raise KeptScreenUnusable(f"frame is {frame.get_size()}, the screen {self.size}")
        if frame.get_bitsize() != 32 or frame.get_masks()[:3] != (0xFF0000, 0xFF00, 0xFF):
            # The buffers are XRGB8888, which is what a plain pygame Surface is (software screen's frame).
            raise KeptScreenUnusable(f"frame pixels are not XRGB8888 (masks {frame.get_masks()})")
        pitch = frame.get_pitch()
        with memoryview(frame.get_buffer()) as pixels:  # type: ignore[arg-type]
            if pitch == buffer.pitch:
                buffer.pixels[: pitch * height] = pixels[: pitch * height]
                return
            row = width * 4
            for y in range(height):
                buffer.pixels[y * buffer.pitch : y * buffer.pitch + row] = pixels[y * pitch : y * pitch + row]

    def _create_buffer(self) -> _Buffer:
        width, height = self.size
        request = _CREATE_DUMB.pack(height, width, 32, 0, 0, 0, 0)
        handle, pitch, size = _CREATE_DUMB.unpack(_ioctl(self.fd, _CREATE_DUMB_IOCTL, request))[4:]
        fb = _ADD_FB.unpack(_ioctl(self.fd, _ADDFB, _ADD_FB.pack(0, width, height, pitch, 32, 24, handle)))[0]
        offset = _MAP_DUMB.unpack(_ioctl(self.fd, _MAP_DUMB_IOCTL, _MAP_DUMB.pack(handle, 0, 0)))[2]
        pixels = mmap.mmap(self.fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=offset)
        return _Buffer(handle, fb, pitch, pixels)

    def _set_crtc(self, fb: int) -> None:
        connectors = _ids(1)
        connectors[0] = self.output.connector
        mode = struct.unpack("=" + _MODE, self.output.mode)
        request = _CRTC.pack(_address(connectors), 1, self.output.crtc, fb, 0, 0, 0, 1, *mode)
        _ioctl(self.fd, _SETCRTC, request)

    def _flip(self, fb: int) -> None:
        request = _PAGE_FLIP.pack(self.output.crtc, fb, _PAGE_FLIP_EVENT, 0, fb)
        try:
            fcntl.ioctl(self.fd, _PAGEFLIP, bytearray(request), True)
            self._flip_pending = True
        except OSError as error:
            if error.errno not in (errno.EBUSY, errno.EINVAL):
                raise KeptScreenUnusable(f"page flip failed: {os.strerror(error.errno or 0)}") from None
            self._set_crtc(fb)  # a flip still queued, or a driver without flips: set the buffer outright

    def _wait_for_flip(self) -> None:
        """Until the last flip is done: the buffer it left is the one drawn next."""
        if not self._flip_pending:
            return
        self._flip_pending = False
        ready, _, _ = select.select([self.fd], [], [], _FLIP_WAIT_S)
        if ready:
            self._read_events()

    def _drain_events(self) -> None:
        while select.select([self.fd], [], [], 0)[0]:
            if not self._read_events():
                return

    def _read_events(self) -> bool:
        try:
            data = os.read(self.fd, 4096)
        except OSError:
            return False
        return bool(data)

    def _sweep(self) -> None:
        """Release what dead players left on the device: their framebuffers and buffer handles.

        The device outlives each player (systemd's store), so without this every crash would
        leave two screen-sized buffers behind (on a Pi, out of the small CMA pool). Our own
        buffer is on the glass by now; nobody else uses this device.
        """
        ours_fb = {buffer.fb for buffer in self._buffers}
        ours_handles = {buffer.handle for buffer in self._buffers}
        counts = _CARD_RES.unpack(_ioctl(self.fd, _GETRESOURCES, _CARD_RES.pack(*(0,) * 12)))
        fbs = _ids(counts[4])
        _ioctl(self.fd, _GETRESOURCES, _CARD_RES.pack(_address(fbs), 0, 0, 0, counts[4], 0, 0, 0, 0, 0, 0, 0))
        for fb in fbs[: counts[4]]:
            if fb not in ours_fb:
                with contextlib.suppress(KeptScreenUnusable):
                    _ioctl(self.fd, _RMFB, _ID.pack(fb))
        for handle in range(1, _STRAY_HANDLES + 1):
            if handle not in ours_handles:
                with contextlib.suppress(OSError):
                    fcntl.ioctl(self.fd, _GEM_CLOSE_IOCTL, bytearray(_GEM_CLOSE.pack(handle, 0)), True)


def master_fd(proc_fd: Path = Path("/proc/self/fd")) -> int | None:
    """The open DRM device this process is the display's master on (SDL's, on a bare console), if any."""
    for entry in sorted(proc_fd.iterdir(), key=lambda path: int(path.name) if path.name.isdigit() else -1):
        try:
            target = os.readlink(entry)
            fd = int(entry.name)
        except (OSError, ValueError):
            continue
        if not target.startswith("/dev/dri/card"):
            continue
        if is_master(fd):
            os.set_inheritable(fd, False)  # the display's master never goes to a child process
            return fd
    return None


def is_drm_device(fd: int) -> bool:
    """Whether ``fd`` is open on a DRM device (/dev/dri/*), by its device number."""
    try:
        status = os.fstat(fd)
    except OSError:
        return False
    return stat.S_ISCHR(status.st_mode) and os.major(status.st_rdev) == _DRM_MAJOR


def is_master(fd: int) -> bool:
    """Whether ``fd`` is the display's master: the kernel checks that before the (empty) arguments.

    (Not DRM_IOCTL_SET_MASTER: for a device opened by another process, as one handed back by
    systemd is, that asks for CAP_SYS_ADMIN even when the device already is the master.)
    """
    try:
        fcntl.ioctl(fd, _ATTACHMODE, bytearray(4 + _MODE_SIZE), True)
    except OSError as error:
        return error.errno != errno.EACCES
    return True
