"""Tests for player.media.images and player.render.images: fit geometry, orientation, formats and refusals.

Every image is generated here, into tmp_path; nothing binary is committed.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

os.environ["SDL_VIDEODRIVER"] = "dummy"  # before pygame is imported anywhere

import pygame
import pytest
from PIL import Image, ImageFile

from player.core.errors import MediaError
from player.media.images import Picture, decode_image, probe_image
from player.render.images import load_image_surface, load_svg, picture_to_surface

RGB = tuple[int, int, int]
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
BG = (10, 20, 30)
BG4 = (*BG, 255)


def px(picture: Picture, x: int, y: int) -> RGB:
    """The RGB pixel at (x, y) of a Picture."""
    i = (y * picture.size[0] + x) * 3
    r, g, b = picture.data[i : i + 3]
    return (r, g, b)


def near(a: RGB, b: RGB, tol: int = 12) -> bool:
    """Colours equal within a tolerance (for JPEG and resampled edges)."""
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def halves(size: tuple[int, int], first: RGB, second: RGB, *, vertical: bool = True) -> Image.Image:
    """An image whose left (or top) half is ``first`` and the rest ``second``."""
    im = Image.new("RGB", size, second)
    w, h = size
    im.paste(first, (0, 0, w // 2, h) if vertical else (0, 0, w, h // 2))
    return im


def save(im: Image.Image, path: Path, **params: Any) -> Path:
    im.save(path, **params)
    return path


# --- fit geometry ----------------------------------------------------------------------


@pytest.fixture
def red_blue(tmp_path: Path) -> Path:
    return save(halves((400, 100), RED, BLUE), tmp_path / "rb.png")


def test_cover_centre_focus_crops_the_middle(red_blue: Path) -> None:
    pic = decode_image(red_blue, (100, 100), fit="cover", background=(0, 255, 0, 255))
    assert pic.size == (100, 100) and len(pic.data) == 100 * 100 * 3
    assert px(pic, 10, 50) == RED and px(pic, 45, 0) == RED
    assert px(pic, 55, 99) == BLUE and px(pic, 90, 50) == BLUE
    assert all(px(pic, x, y) != GREEN for x in range(100) for y in range(100))


def test_cover_focus_moves_the_window_but_stays_inside_the_image(red_blue: Path) -> None:
    left = decode_image(red_blue, (100, 100), fit="cover", focus=(0.0, 0.5))
    assert {px(left, x, y) for x in range(100) for y in range(100)} == {RED}
    right = decode_image(red_blue, (100, 100), fit="cover", focus=(1.0, 0.0))
    assert {px(right, x, y) for x in range(100) for y in range(100)} == {BLUE}


def test_cover_scales_down_and_fills(tmp_path: Path) -> None:
    src = save(halves((800, 200), RED, BLUE), tmp_path / "wide.png")
    pic = decode_image(src, (50, 50), fit="cover")
    assert pic.size == (50, 50)
    assert near(px(pic, 5, 25), RED) and near(px(pic, 45, 25), BLUE)


def test_contain_letterboxes_with_background(tmp_path: Path) -> None:
    src = save(Image.new("RGB", (200, 100), GREEN), tmp_path / "green.png")
    pic = decode_image(src, (100, 100), fit="contain", background=BG4)
    assert all(px(pic, x, 0) == BG and px(pic, x, 99) == BG for x in range(100))
    assert px(pic, 50, 24) == BG and px(pic, 50, 25) == GREEN
    assert px(pic, 0, 50) == GREEN and px(pic, 99, 74) == GREEN and px(pic, 50, 75) == BG


def test_contain_pillarboxes_tall_images(tmp_path: Path) -> None:
    src = save(Image.new("RGB", (50, 100), GREEN), tmp_path / "tall.png")
    pic = decode_image(src, (200, 100), fit="contain", background=BG4)
    assert px(pic, 74, 50) == BG and px(pic, 75, 50) == GREEN
    assert px(pic, 124, 0) == GREEN and px(pic, 125, 99) == BG


def test_stretch_fills_exactly(tmp_path: Path) -> None:
    src = save(halves((200, 100), RED, BLUE), tmp_path / "rb.png")
    pic = decode_image(src, (60, 300), fit="stretch", background=(0, 255, 0, 255))
    assert pic.size == (60, 300)
    assert px(pic, 0, 0) == RED and px(pic, 25, 299) == RED
    assert px(pic, 35, 0) == BLUE and px(pic, 59, 299) == BLUE


def test_one_pixel_frame(red_blue: Path) -> None:
    for fit in ("contain", "cover", "stretch"):
        assert decode_image(red_blue, (1, 1), fit=fit).size == (1, 1)


@pytest.mark.parametrize(
    ("size", "fit", "focus"),
    [((0, 10), "cover", (0.5, 0.5)), ((10, 10), "fill", (0.5, 0.5)), ((10, 10), "cover", (1.5, 0.5))],
)
def test_bad_arguments_are_value_errors(
    red_blue: Path, size: tuple[int, int], fit: str, focus: tuple[float, float]
) -> None:
    with pytest.raises(ValueError, match=r"fit|size|focus"):
        decode_image(red_blue, size, fit=fit, focus=focus)


def test_picture_checks_its_length() -> None:
    with pytest.raises(ValueError):
        Picture((2, 2), b"\0" * 11)


# --- orientation, JPEG draft -----------------------------------------------------------

# How to store an upright image so that EXIF orientation N displays it upright again.
STORE_FOR = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


@pytest.mark.parametrize("orientation", [3, 6, 8])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_exif_orientation_comes_out_upright(tmp_path: Path, orientation: int, fmt: str) -> None:
    upright = halves((120, 80), RED, BLUE, vertical=False)  # red on top
    upright.paste(GREEN, (0, 0, 20, 20))  # and a green mark top-left, to catch mirroring
    exif = Image.Exif()
    exif[0x0112] = orientation
    src = save(
        upright.transpose(STORE_FOR[orientation]),
        tmp_path / f"o.{fmt.lower()}",
        format=fmt,
        exif=exif.tobytes(),
        quality=95,
    )
    assert probe_image(src, 10_000) == (120, 80)
    pic = decode_image(src, (120, 80), fit="contain", background=(255, 255, 0, 255))
    assert near(px(pic, 5, 5), GREEN, 40) and near(px(pic, 60, 10), RED, 40)
    assert near(px(pic, 110, 10), RED, 40) and near(px(pic, 60, 70), BLUE, 40)


def test_large_oriented_jpeg_uses_draft_and_stays_upright(tmp_path: Path) -> None:
    upright = halves((1600, 2400), RED, BLUE, vertical=False)
    exif = Image.Exif()
    exif[0x0112] = 6
    src = save(upright.transpose(STORE_FOR[6]), tmp_path / "big.jpg", exif=exif.tobytes(), quality=90)
    pic = decode_image(src, (100, 150), fit="cover")
    assert near(px(pic, 50, 20), RED, 20) and near(px(pic, 50, 130), BLUE, 20)


def test_jpeg_cover_focus(tmp_path: Path) -> None:
    src = save(halves((2000, 500), RED, BLUE), tmp_path / "wide.jpg", quality=95)
    assert near(px(decode_image(src, (64, 64), fit="cover", focus=(0, 0)), 40, 32), RED, 20)
    assert near(px(decode_image(src, (64, 64), fit="cover", focus=(1, 1)), 20, 32), BLUE, 20)


# --- formats and transparency ----------------------------------------------------------


def test_gif_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (20, 20), c) for c in (RED, BLUE, GREEN)]
    src = tmp_path / "anim.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100, loop=0)
    pic = decode_image(src, (10, 10), fit="stretch")
    assert {px(pic, x, y) for x in range(10) for y in range(10)} == {RED}


def test_gif_transparency_shows_background(tmp_path: Path) -> None:
    im = Image.new("P", (20, 20), 0)
    im.putpalette([*RED, *BLUE] + [0] * 762)
    im.paste(1, (10, 0, 20, 20))
    src = save(im, tmp_path / "t.gif", transparency=1)
    pic = decode_image(src, (20, 20), fit="stretch", background=BG4)
    assert px(pic, 2, 10) == RED and px(pic, 18, 10) == BG


def test_webp_lossless(tmp_path: Path) -> None:
    src = save(halves((64, 32), RED, GREEN), tmp_path / "x.webp", lossless=True)
    pic = decode_image(src, (64, 32), fit="contain")
    assert px(pic, 5, 5) == RED and px(pic, 60, 30) == GREEN


def test_bmp(tmp_path: Path) -> None:
    src = save(Image.new("RGB", (8, 8), BLUE), tmp_path / "x.bmp")
    assert px(decode_image(src, (4, 4), fit="cover"), 1, 1) == BLUE


def test_rgba_is_composited_over_background(tmp_path: Path) -> None:
    im = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    im.paste((255, 0, 0, 255), (0, 0, 20, 20))
    im.paste((255, 255, 255, 128), (30, 0, 40, 20))
    src = save(im, tmp_path / "a.png")
    pic = decode_image(src, (40, 20), fit="stretch", background=BG4)
    assert px(pic, 5, 10) == RED and px(pic, 25, 10) == BG
    assert near(px(pic, 35, 10), (133, 138, 143), 2)  # half white over BG


def test_la_and_16_bit_grey(tmp_path: Path) -> None:
    la = save(Image.new("LA", (4, 4), (200, 0)), tmp_path / "la.png")
    assert px(decode_image(la, (4, 4), fit="stretch", background=BG4), 1, 1) == BG
    grey16 = save(Image.new("I;16", (4, 4), 257 * 100), tmp_path / "g16.png")
    assert px(decode_image(grey16, (4, 4), fit="stretch"), 1, 1) == (100, 100, 100)


def test_decoding_from_threads(tmp_path: Path) -> None:
    srcs = [save(Image.new("RGB", (300, 200), c), tmp_path / f"{i}.jpg") for i, c in enumerate((RED, BLUE))]
    with ThreadPoolExecutor(4) as pool:
        pics = list(pool.map(lambda p: decode_image(p, (30, 20), fit="cover"), srcs * 8))
    assert all(near(px(p, 15, 10), RED if i % 2 == 0 else BLUE) for i, p in enumerate(pics))


# --- refusals --------------------------------------------------------------------------


def png_claiming(path: Path, width: int, height: int) -> Path:
    """A valid 8x8 PNG whose IHDR is patched to declare ``width`` x ``height`` (CRC fixed)."""
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), RED).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record any call to ImageFile.load, so a test can show nothing was decoded."""
    calls: list[object] = []
    real = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> Any:
        calls.append(self)
        return real(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return calls


@pytest.mark.parametrize(
    ("w", "h", "why"),
    [
        (8000, 8000, r"8000×8000 \(64\.0 megapixels\), over the limit of 50 megapixels"),
        (10_000, 10_000, "decompression bomb"),  # Pillow warns (an error under pytest)
        (30_000, 30_000, "decompression bomb"),  # Pillow's own hard limit
    ],
)
def test_huge_declared_png_is_refused_without_decoding(
    tmp_path: Path, no_decoding: list[object], w: int, h: int, why: str
) -> None:
    src = png_claiming(tmp_path / "bomb.png", w, h)
    start = time.perf_counter()
    with pytest.raises(MediaError, match=why) as info:
        decode_image(src, (1920, 1080), fit="cover")
    with pytest.raises(MediaError, match=why):
        probe_image(src, 50_000_000)
    assert time.perf_counter() - start < 0.5
    assert not no_decoding
    assert str(src) in str(info.value) and "resize it" in str(info.value)


def test_pillow_bomb_warning_outside_pytest_still_refused(tmp_path: Path) -> None:
    src = png_claiming(tmp_path / "bomb.png", 10_000, 10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with pytest.raises(MediaError, match=r"10000×10000 \(100\.0 megapixels\)"):
            decode_image(src, (100, 100), fit="contain")


def test_max_pixels_is_honoured(tmp_path: Path) -> None:
    src = save(Image.new("RGB", (200, 100), GREEN), tmp_path / "g.png")
    assert decode_image(src, (10, 10), fit="cover", max_pixels=20_000).size == (10, 10)
    assert probe_image(src, 20_000) == (200, 100)
    with pytest.raises(MediaError, match=r"200×100 \(0\.0 megapixels\), over the limit of 0\.019999"):
        decode_image(src, (10, 10), fit="cover", max_pixels=19_999)
    with pytest.raises(MediaError, match=r"media\.max_megapixels"):
        probe_image(src, 19_999)


def truncated(tmp_path: Path, fmt: str) -> Path:
    noise = Image.effect_noise((256, 256), 80).convert("RGB")
    buf = io.BytesIO()
    noise.save(buf, fmt)
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    return path


BROKEN: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (lambda d: d / "nope.png", "file not found"),
    "empty": (lambda d: save_bytes(d / "empty.png", b""), r"empty \(0 bytes\)"),
    "text named .png": (lambda d: save_bytes(d / "text.png", b"hello, world\n"), "not a PNG, JPEG"),
    "tiff": (lambda d: save(Image.new("RGB", (4, 4)), d / "x.tif"), "not a PNG, JPEG"),
    "directory": (lambda d: d, "is a directory"),
    "truncated png": (lambda d: truncated(d, "PNG"), "truncated or corrupt"),
    "truncated jpeg": (lambda d: truncated(d, "JPEG"), "truncated or corrupt"),
    "truncated webp": (lambda d: truncated(d, "WEBP"), "truncated or corrupt"),
    "truncated gif": (lambda d: truncated(d, "GIF"), "truncated or corrupt"),
}


def save_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", list(BROKEN))
@pytest.mark.parametrize("fit", ["cover", "contain"])
def test_broken_files_raise_media_error(tmp_path: Path, case: str, fit: str) -> None:
    make, why = BROKEN[case]
    src = make(tmp_path)
    with pytest.raises(MediaError, match=why) as info:
        decode_image(src, (64, 36), fit=fit)
    assert str(src) in str(info.value)
    assert isinstance(info.value, OSError)


def test_unreadable_file(tmp_path: Path) -> None:
    src = save(Image.new("RGB", (4, 4)), tmp_path / "secret.png")
    src.chmod(0)
    if os.geteuid() != 0:
        with pytest.raises(MediaError, match="permission denied"):
            decode_image(src, (4, 4), fit="cover")
        return
    # Root reads files whatever their mode: decode as "nobody" in a child process instead. The
    # child imports and warms up everything as root (the checkout may be unreadable to nobody,
    # as in a fresh `mktemp -d` clone), then drops to nobody and opens the file.
    warm = save(Image.new("RGB", (4, 4)), tmp_path / "warm.png")
    tmp_path.chmod(0o755)
    for parent in tmp_path.parents:
        if parent == Path(tempfile.gettempdir()):
            break
        parent.chmod(parent.stat().st_mode | 0o005)
    script = (
        "import os, sys; from pathlib import Path; from player.media.images import decode_image\n"
        "decode_image(Path(sys.argv[2]), (4, 4), fit='cover')\n"
        "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
        "try:\n decode_image(Path(sys.argv[1]), (4, 4), fit='cover')\n"
        "except OSError as error:\n print(type(error).__name__, error)\n"
    )
    cmd = [sys.executable, "-c", script, str(src), str(warm)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[1])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("MediaError"), result.stdout
    assert "permission denied" in result.stdout


def test_permission_denied_is_wrapped_even_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root bypasses file modes, so simulate the open() failure an ordinary user would see
    # (media files are opened with os.open: O_NOFOLLOW | O_NONBLOCK, player/media/files.py).
    src = save(Image.new("RGB", (4, 4)), tmp_path / "secret.png")
    real_open = os.open

    def deny(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(src):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(MediaError, match=r"permission denied.*chmod"):
        decode_image(src, (4, 4), fit="cover")


# --- pygame layer ----------------------------------------------------------------------


def test_picture_to_surface(red_blue: Path) -> None:
    surface = picture_to_surface(decode_image(red_blue, (100, 50), fit="stretch"))
    assert surface.get_size() == (100, 50)
    assert surface.get_at((10, 10))[:3] == RED and surface.get_at((90, 40))[:3] == BLUE


SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" viewBox="0 0 100 100">'
    '<rect width="100" height="100" fill="#0000ff"/><rect x="25" y="25" width="50" height="50" fill="#ff0000"/>'
    "</svg>"
)


def svg_file(tmp_path: Path, text: str = SVG, name: str = "art.svg") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def colour(surface: pygame.Surface, x: int, y: int) -> RGB:
    r, g, b, _ = surface.get_at((x, y))
    return (r, g, b)


def test_svg_contain(tmp_path: Path) -> None:
    s = load_svg(svg_file(tmp_path), (320, 180), fit="contain", background=BG4)
    assert s.get_size() == (320, 180)
    # Rendered 180x180 at x=70..249, red square at 115..204 (x) and 45..134 (y).
    assert colour(s, 10, 90) == BG and colour(s, 310, 90) == BG
    assert colour(s, 75, 10) == BLUE and colour(s, 160, 90) == RED and colour(s, 160, 170) == BLUE


def test_svg_cover_renders_at_full_resolution(tmp_path: Path) -> None:
    s = load_svg(svg_file(tmp_path), (320, 180), fit="cover", background=(0, 255, 0, 255))
    # Rendered 320x320, rows 70..249 kept: red spans x 80..239, frame y 10..169.
    assert colour(s, 5, 5) == BLUE and colour(s, 160, 90) == RED
    assert colour(s, 79, 90) == BLUE and colour(s, 81, 90) == RED and colour(s, 238, 11) == RED
    assert colour(s, 160, 175) == BLUE and colour(s, 300, 90) == BLUE
    assert all(colour(s, x, y) != GREEN for x in range(0, 320, 7) for y in range(0, 180, 7))


def test_svg_cover_focus_and_stretch(tmp_path: Path) -> None:
    wide = svg_file(
        tmp_path,
        SVG.replace('width="100" height="100" viewBox="0 0 100 100"', 'width="400" height="100" viewBox="0 0 400 100"'),
    )
    top = load_svg(wide, (100, 100), fit="cover", focus=(0.0, 0.5))
    assert colour(top, 50, 50) == RED  # the red square sits at x 25..75 of 400
    stretched = load_svg(svg_file(tmp_path), (300, 60), fit="stretch", background=(0, 255, 0, 255))
    # Stretch is the one fit nanosvg cannot do itself: smoothscale may be off by one level.
    assert near(colour(stretched, 150, 30), RED, 2) and near(colour(stretched, 10, 30), BLUE, 2)
    assert near(colour(stretched, 299, 59), BLUE, 2) and stretched.get_size() == (300, 60)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&b;</text></svg>',
            "DOCTYPE or ENTITY",
        ),
        (
            '<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"/>',
            r"100000×100000 \(10000\.0 megapixels\)",
        ),
        ('<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="1"/>', "over the limit"),  # cover bomb
        ("<html><body>not svg</body></html>", "not <svg>"),
        ("<svg", "not well-formed"),
        ('<svg xmlns="http://www.w3.org/2000/svg"><rect width="5" height="5"/></svg>', "no usable width"),
        ("", r"empty \(0 bytes\)"),
    ],
)
def test_bad_svgs_are_refused(tmp_path: Path, text: str, why: str) -> None:
    src = svg_file(tmp_path, text)
    with pytest.raises(MediaError, match=why) as info:
        load_svg(src, (320, 180), fit="cover", max_pixels=50_000_000)
    assert str(src) in str(info.value)


def test_svg_not_utf8_and_missing(tmp_path: Path) -> None:
    utf16 = tmp_path / "u16.svg"
    utf16.write_bytes(SVG.encode("utf-16"))
    with pytest.raises(MediaError, match="UTF-8"):
        load_svg(utf16, (32, 18), fit="contain")
    with pytest.raises(MediaError, match="file not found"):
        load_svg(tmp_path / "gone.svg", (32, 18), fit="contain")


def test_svg_units_follow_nanosvg(tmp_path: Path) -> None:
    # 2in x 1in at 96 dpi is 192x96: contain in 192x192 leaves 48-pixel bars. (A rect of
    # width="100%" would draw nothing here: nanosvg resolves % against the missing viewBox.)
    src = svg_file(
        tmp_path,
        '<svg xmlns="http://www.w3.org/2000/svg" width="2in" height="1in">'
        '<rect width="192" height="96" fill="#ff0000"/></svg>',
    )
    s = load_svg(src, (192, 192), fit="contain", background=BG4)
    assert colour(s, 96, 47) == BG and colour(s, 96, 48) == RED and colour(s, 96, 143) == RED
    assert colour(s, 96, 144) == BG


def test_load_image_surface_dispatches_on_suffix(tmp_path: Path, red_blue: Path) -> None:
    raster = load_image_surface(red_blue, (40, 10), fit="stretch")
    assert colour(raster, 5, 5) == RED and colour(raster, 35, 5) == BLUE
    vector = load_image_surface(svg_file(tmp_path, name="ART.SVG"), (50, 50), fit="contain")
    assert colour(vector, 25, 25) == RED and colour(vector, 2, 2) == BLUE
