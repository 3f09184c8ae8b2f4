"""Still images with Pillow: decode, orient, fit to the frame. No pygame.

:func:`decode_image` and :func:`probe_image` touch no pygame state and no shared mutable
state, so a background thread may call them; ``player.render.images`` turns a
:class:`Picture` into a Surface on the main thread (and draws SVGs).

Every failure caused by the file is a :class:`~player.core.errors.MediaError` that names the
file, says what is wrong and what to do; the render loop skips the slide. Invalid
arguments (an unknown ``fit``, a focus outside 0..1) are caller bugs and raise ValueError.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Required, TypedDict

from player.core.errors import MediaError
from player.media.files import open_regular, opened_path, refuse_empty, unreadable
from player.media.fit import BLACK, CENTRE, Focus, Rgba, Size, check_fit, fit_scale, layout

# Pillow is imported by the functions that open images, when the first one is: a player
# whose first slide is text or a colour reaches the screen without it (importing PIL.Image
# and its EXIF tables took 0.2 s of a restart on the emulated box).
if TYPE_CHECKING:
    from PIL import Image, ImageFile

FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")  # only these decoders ever see a file
DEFAULT_MAX_PIXELS = 50_000_000

# Resampling, chosen by bench/resize.py (bench/RESULTS.md has its figures; x86, 2 cores):
# decoding and fitting to 1920x1080 `cover`, BICUBIC costs less CPU than LANCZOS, is within
# 1 dB of it against the best reference, and its small type side by side
# (bench/results/resize.png) looks the same at 1:1; BILINEAR is cheaper still but softens
# small type, and pygame's smoothscale leaves faint vertical bands. JPEG draft (below) does
# most of the shrinking for photos anyway.
_RESAMPLE = "BICUBIC"
_REDUCING_GAP = 3.0
_TRANSPOSED = (5, 6, 7, 8)  # EXIF orientations that swap width and height


class ImageOptions(TypedDict, total=False):
    """The keyword arguments of :func:`decode_image`, for the functions that take and pass them on."""

    fit: Required[str]
    focus: Focus
    background: Rgba
    max_pixels: int


@dataclass(frozen=True)
class Picture:
    """Decoded pixels ready for the screen: RGB, 3 bytes a pixel, row-major, no padding."""

    size: Size
    data: bytes | memoryview = field(repr=False)  # a view: read from the prepared cache without a copy

    def __post_init__(self) -> None:
        if len(self.data) != self.size[0] * self.size[1] * 3:
            raise ValueError(f"Picture of {self.size} needs {self.size[0] * self.size[1] * 3} bytes")


def too_big(path: Path, w: float, h: float, max_pixels: int) -> MediaError:
    return MediaError(
        f"{path}: image is {w:.0f}×{h:.0f} ({w * h / 1e6:.1f} megapixels), over the limit of "
        f"{max_pixels / 1e6:g} megapixels; resize it, or raise media.max_megapixels in config"
    )


def wrap_error(path: Path, exc: Exception, max_pixels: int) -> MediaError:
    """Turn whatever opening or decoding raised into a MediaError a person can act on."""
    return MediaError(f"{path}: {unreadable(exc, 'an image') or _undecodable(exc, max_pixels)}")


def _undecodable(exc: Exception, max_pixels: int) -> str:
    from PIL import Image, UnidentifiedImageError

    if isinstance(exc, UnidentifiedImageError):
        return f"not a {', '.join(FORMATS)} image; re-export it in one of those formats"
    if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return f"refused as a possible decompression bomb ({exc}); resize it to at most {max_pixels / 1e6:g} MP"
    return f"cannot be decoded, truncated or corrupt ({exc}); re-export or re-copy it"


def _open(path: Path, max_pixels: int) -> ImageFile.ImageFile:
    """Open lazily (header only) and refuse empty or oversized images before any pixel is decoded."""
    from PIL import Image

    try:
        with open_regular(path) as handle:
            refuse_empty(path, handle)
            im = Image.open(opened_path(handle, path), formats=FORMATS)  # Pillow opens its own copy of the file
    except MediaError:
        raise
    except Exception as exc:  # see _load_upright for why this is broad
        raise wrap_error(path, exc, max_pixels) from exc
    w, h = im.size
    if w * h > max_pixels:
        im.close()
        raise too_big(path, w, h, max_pixels)
    return im


def probe_image(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> Size:
    """Return the upright (EXIF-oriented) size of a raster image, reading only its header."""
    try:
        with _open(path, max_pixels) as im:
            w, h = im.size
            return (h, w) if im.getexif().get(0x0112) in _TRANSPOSED else (w, h)
    except MediaError:
        raise
    except Exception as exc:  # see _load_upright for why this is broad
        raise wrap_error(path, exc, max_pixels) from exc


def _draft_size(im: Image.Image, frame: Size, fit: str) -> Size:
    """Smallest decoded size (in stored orientation) that still has a pixel per frame pixel."""
    transposed = im.getexif().get(0x0112) in _TRANSPOSED
    sw, sh = (im.size[1], im.size[0]) if transposed else im.size
    need = frame
    if fit != "stretch":
        scale = fit_scale((sw, sh), frame, fit)
        need = (max(1, math.ceil(sw * scale)), max(1, math.ceil(sh * scale)))
    return (need[1], need[0]) if transposed else need


def _load_upright(path: Path, im: ImageFile.ImageFile, frame: Size, fit: str, max_pixels: int) -> Image.Image:
    """Decode ``im`` fully, upright, as RGB or RGBA, at no more resolution than ``frame`` needs."""
    # Pillow's decoders raise a zoo of types on hostile or damaged input (OSError,
    # SyntaxError, EOFError, struct.error, ValueError, IndexError, DecompressionBomb*);
    # in every case the file is the cause, so every one becomes a MediaError.
    from PIL import ImageOps

    try:
        if im.format in ("JPEG", "MPO"):
            # libjpeg scales by 1/2, 1/4 or 1/8 inside the IDCT: a 12 MP photo for a
            # 1080p screen decodes a quarter of the pixels.
            im.draft("RGB", _draft_size(im, frame, fit))
        im.load()  # inside the try: a truncated file must fail here, not at resize time
        # After load(), so the transposition applies to the pixels actually decoded.
        ImageOps.exif_transpose(im, in_place=True)
        if im.mode in ("I", "I;16", "I;16B", "I;16L"):
            # 16-bit grey PNGs: a plain convert() clips every pixel to white.
            return im.convert("I").point(lambda v: v * (1 / 257)).convert("L").convert("RGB")
        mode = "RGBA" if im.has_transparency_data else "RGB"
        return im if im.mode == mode else im.convert(mode)
    except Exception as exc:
        raise wrap_error(path, exc, max_pixels) from exc


def decode_image(
    path: Path,
    size: Size,
    *,
    fit: str,
    focus: Focus = CENTRE,
    background: Rgba = BLACK,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Picture:
    """Decode a PNG, JPEG, WebP, GIF (first frame) or BMP into a ``size`` frame.

    Args:
        path: the image file.
        size: the frame, (width, height) in pixels.
        fit: "contain" (letterbox), "cover" (fill and crop) or "stretch" (ignore aspect).
        focus: for "cover", the point of the source (fractions of width, height) to keep
            as near the frame centre as the image allows.
        background: fills letterbox bars and shows through transparency. Its alpha is
            ignored: frames are opaque.
        max_pixels: refuse images with more pixels than this, before decoding them.

    Raises:
        MediaError: the file is missing, unreadable, empty, corrupt, too big or unsupported.
        ValueError: the arguments are invalid.

    Safe to call from any thread: uses no pygame and no shared state.
    """
    from PIL import Image

    check_fit(size, fit, focus)
    with _open(path, max_pixels) as source:
        im = _load_upright(path, source, size, fit, max_pixels)
        lay = layout(im.size, size, fit, focus)
        im = im.resize(lay.scaled, Image.Resampling[_RESAMPLE], box=lay.box, reducing_gap=_REDUCING_GAP)
    if im.mode == "RGBA" or lay.scaled != size:
        canvas = Image.new("RGB", size, background[:3])
        canvas.paste(im, lay.offset, im if im.mode == "RGBA" else None)
        im = canvas
    return Picture(size, im.tobytes())
