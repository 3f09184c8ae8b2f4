"""The kept screen (player/render/kms.py): what can be checked without a DRM device.

There is no /dev/dri here: the ioctls themselves run on the emulated box (make box-test's
kill -9 check, where the screen must stay up through the restart and the new player must
then draw on it). Here: the request codes and struct sizes against <drm/drm_mode.h> (a
wrong one is an EINVAL on every machine), the search for the master device, and the
software screen that presents through a kept screen.
"""

from __future__ import annotations

import os
from pathlib import Path

import pygame
import pytest

from player.render import kms
from player.render.frame import Frame
from player.render.screen import kept_screen

# The values of DRM_IOCTL_* in the kernel's uapi headers (as libdrm's xf86drm.h spells them).
KERNEL_REQUEST_CODES = {
    "_GETRESOURCES": 0xC04064A0, "_GETCRTC": 0xC06864A1, "_SETCRTC": 0xC06864A2, "_GETENCODER": 0xC01464A6,
    "_GETCONNECTOR": 0xC05064A7, "_ATTACHMODE": 0xC04864A8, "_ADDFB": 0xC01C64AE, "_RMFB": 0xC00464AF,
    "_PAGEFLIP": 0xC01864B0, "_CREATE_DUMB_IOCTL": 0xC02064B2, "_MAP_DUMB_IOCTL": 0xC01064B3,
    "_GEM_CLOSE_IOCTL": 0x40086409,
}


def test_request_codes_are_the_kernels() -> None:
    assert {name: getattr(kms, name) for name in KERNEL_REQUEST_CODES} == KERNEL_REQUEST_CODES


def test_a_mode_round_trips_and_its_size_and_rate_are_read() -> None:
    mode = (83500, 1280, 1344, 1480, 1680, 0, 800, 803, 809, 831, 0, 60, 10, 72, b"1280x800")
    packed = kms.struct.pack("=" + kms._MODE, *mode)
    assert len(packed) == 68
    assert kms._preferred(bytearray(packed), 1) == packed


def test_no_drm_device_open_means_no_master(tmp_path: Path) -> None:
    folder = tmp_path / "fd"
    folder.mkdir()
    (folder / "0").symlink_to("/dev/null")
    (folder / "7").symlink_to("/dev/dri/renderD128")  # a render node is never the display's master
    assert kms.master_fd(folder) is None
    assert kms.master_fd() is None  # this process opened no display


def test_a_descriptor_that_is_no_drm_device_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "not-a-screen"
    path.write_bytes(b"")
    fd = os.open(path, os.O_RDWR)
    try:
        try:
            kms.KmsPresenter(fd)
        except kms.KeptScreenUnusable as error:
            assert "not a DRM device" in str(error)
        else:
            raise AssertionError("a plain file was taken for a screen")
    finally:
        os.close(fd)


@pytest.fixture
def pygame_display():  # type: ignore[no-untyped-def]
    pygame.display.init()  # SDL's dummy driver (conftest), as a restarted player on a kept screen uses
    yield
    pygame.display.quit()


class GlassRecorder:
    """Stands where the kernel's buffers are: keeps a copy of each frame presented."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size
        self.refresh_hz = 60.0
        self.frames: list[pygame.Surface] = []

    def present(self, frame: pygame.Surface) -> None:
        assert frame.get_bitsize() == 32 and frame.get_masks()[:3] == (0xFF0000, 0xFF00, 0xFF)  # XRGB8888
        self.frames.append(frame.copy())


def test_a_kept_screen_composes_in_software_and_presents_each_frame_at_the_glass_size(pygame_display) -> None:  # type: ignore[no-untyped-def]
    glass = GlassRecorder((64, 40))
    screen = kept_screen(glass, rotate=90)  # type: ignore[arg-type]
    assert screen.logical == (40, 64) and screen.name.startswith("software (KMS")
    screen.show(Frame((), background=(200, 10, 20)), {}, None)
    assert len(glass.frames) == 1 and glass.frames[0].get_size() == (64, 40)
    assert tuple(glass.frames[0].get_at((5, 5)))[:3] == (200, 10, 20)
    while screen.settle():
        pass
    assert len(glass.frames) > 1  # the settling presents go through it too
