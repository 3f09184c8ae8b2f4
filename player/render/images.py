"""Still images: decode, orient, fit to the frame.

Two layers. :func:`decode_image` and :func:`probe_image` use Pillow only, touch no pygame
state and no shared mutable state, so a background thread may call them. The functions
that return a ``pygame.Surface`` (:func:`picture_to_surface`, :func:`load_svg`,
:func:`load_image_surface`) belong to the main render loop.

Every failure caused by the file is a :class:`~player.core.errors.MediaError` that names the
file, says what is wrong and what to do; the render loop skips the slide. Invalid
arguments (an unknown ``fit``, a focus outside 0..1) are caller bugs and raise ValueError.
"""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pygame
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from player.core.errors import MediaError

Size = tuple[int, int]
Focus = tuple[float, float]
Rgba = tuple[int, int, int, int]

FITS = ("contain", "cover", "stretch")
FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")  # only these decoders ever see a file
DEFAULT_MAX_PIXELS = 50_000_000

# Resampling, measured on a 4000x3000 photo (x86, 2 cores; not yet measured on a Pi):
# LANCZOS costs ~1.4x BICUBIC (172 vs 125 ms to 1920x1440). reducing_gap only matters past
# a 3x shrink, where it cuts LANCZOS from 105 to 44 ms (to 640x480); JPEG draft already
# covers that case for photos. LANCZOS keeps text inside posters crisp, and decoding runs
# ahead of time on a worker thread, so quality wins over ~30% more resize time.
_RESAMPLE = Image.Resampling.LANCZOS
_REDUCING_GAP = 3.0
_TRANSPOSED = (5, 6, 7, 8)  # EXIF orientations that swap width and height
_SVG_NS = "{http://www.w3.org/2000/svg}"
_SVG_UNDRAWABLE = MappingProxyType(
    {
        "text": "convert text to paths (outlines) before publishing",
        "image": "embedded or linked pictures are not drawn (and links are never fetched): export a PNG instead",
        "use": "expand <use> references (e.g. Inkscape's Unlink Clone) or export a PNG",
        "foreignObject": "export a PNG instead",
    }
)
_SVG_MAX_BYTES = 16 * 1024 * 1024  # parsed on the main thread: keep a runaway file from stalling it
_SVG_UNITS = MappingProxyType(
    {"": 1.0, "px": 1.0, "pt": 96 / 72, "pc": 16.0, "mm": 96 / 25.4, "cm": 96 / 2.54, "in": 96.0}
)
_LENGTH = re.compile(r"\s*([0-9.eE+-]+)\s*(px|pt|pc|mm|cm|in|%)?\s*")


@dataclass(frozen=True)
class Picture:
    """Decoded pixels ready for the screen: RGB, 3 bytes a pixel, row-major, no padding."""

    size: Size
    data: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.data) != self.size[0] * self.size[1] * 3:
            raise ValueError(f"Picture of {self.size} needs {self.size[0] * self.size[1] * 3} bytes")


@dataclass(frozen=True)
class _Layout:
    """Which region of the source to scale to what size, and where it lands in the frame."""

    box: tuple[float, float, float, float]
    scaled: Size
    offset: Size


def _check_args(size: Size, fit: str, focus: Focus) -> None:
    if fit not in FITS:
        raise ValueError(f"fit must be one of {', '.join(FITS)}, not {fit!r}")
    if size[0] < 1 or size[1] < 1:
        raise ValueError(f"frame size must be positive, not {size}")
    if not all(0.0 <= f <= 1.0 for f in focus):
        raise ValueError(f"focus must be two numbers in 0..1, not {focus}")


def _layout(src: tuple[float, float], frame: Size, fit: str, focus: Focus) -> _Layout:
    """Place a ``src``-sized image in ``frame`` according to ``fit``."""
    (sw, sh), (fw, fh) = src, frame
    if fit == "stretch":
        return _Layout((0, 0, sw, sh), frame, (0, 0))
    if fit == "contain":
        scale = min(fw / sw, fh / sh)
        scaled = (max(1, min(fw, round(sw * scale))), max(1, min(fh, round(sh * scale))))
        return _Layout((0, 0, sw, sh), scaled, ((fw - scaled[0]) // 2, (fh - scaled[1]) // 2))
    scale = max(fw / sw, fh / sh)
    bw, bh = fw / scale, fh / scale
    # Centre the window on the focus point, then slide it back inside the image.
    left = min(max(focus[0] * sw - bw / 2, 0.0), sw - bw)
    top = min(max(focus[1] * sh - bh / 2, 0.0), sh - bh)
    return _Layout((left, top, left + bw, top + bh), frame, (0, 0))


def _too_big(path: Path, w: float, h: float, max_pixels: int) -> MediaError:
    return MediaError(
        f"{path}: image is {w:.0f}×{h:.0f} ({w * h / 1e6:.1f} megapixels), over the limit of "
        f"{max_pixels / 1e6:g} megapixels; resize it, or raise media.max_megapixels in config"
    )


def _wrap(path: Path, exc: Exception, max_pixels: int) -> MediaError:
    """Turn whatever opening or decoding raised into a MediaError a person can act on."""
    if isinstance(exc, FileNotFoundError):
        what = "file not found; check the name in the playlist, or wait for sync to finish"
    elif isinstance(exc, PermissionError):
        what = "permission denied; make it readable by the player's user (chmod a+r)"
    elif isinstance(exc, IsADirectoryError):
        what = "is a directory, not an image; point the playlist at a file"
    elif isinstance(exc, UnidentifiedImageError):
        what = f"not a {', '.join(FORMATS)} image; re-export it in one of those formats"
    elif isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        what = f"refused as a possible decompression bomb ({exc}); resize it to at most {max_pixels / 1e6:g} MP"
    else:
        what = f"cannot be decoded, truncated or corrupt ({exc}); re-export or re-copy it"
    return MediaError(f"{path}: {what}")


def _open(path: Path, max_pixels: int) -> ImageFile.ImageFile:
    """Open lazily (header only) and refuse oversized images before any pixel is decoded."""
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: file is empty (0 bytes), probably a failed upload or copy; replace it")
    im = Image.open(path, formats=FORMATS)
    w, h = im.size
    if w * h > max_pixels:
        im.close()
        raise _too_big(path, w, h, max_pixels)
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
        raise _wrap(path, exc, max_pixels) from exc


def _draft_size(im: Image.Image, frame: Size, fit: str) -> Size:
    """Smallest decoded size (in stored orientation) that still has a pixel per frame pixel."""
    transposed = im.getexif().get(0x0112) in _TRANSPOSED
    sw, sh = (im.size[1], im.size[0]) if transposed else im.size
    need = frame
    if fit != "stretch":
        ratios = (frame[0] / sw, frame[1] / sh)
        scale = max(ratios) if fit == "cover" else min(ratios)
        need = (max(1, math.ceil(sw * scale)), max(1, math.ceil(sh * scale)))
    return (need[1], need[0]) if transposed else need


def _load_upright(path: Path, im: ImageFile.ImageFile, frame: Size, fit: str, max_pixels: int) -> Image.Image:
    """Decode ``im`` fully, upright, as RGB or RGBA, at no more resolution than ``frame`` needs."""
    # Pillow's decoders raise a zoo of types on hostile or damaged input (OSError,
    # SyntaxError, EOFError, struct.error, ValueError, IndexError, DecompressionBomb*);
    # in every case the file is the cause, so every one becomes a MediaError.
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
        raise _wrap(path, exc, max_pixels) from exc


def decode_image(
    path: Path,
    size: Size,
    *,
    fit: str,
    focus: Focus = (0.5, 0.5),
    background: Rgba = (0, 0, 0, 255),
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
    _check_args(size, fit, focus)
    try:
        source = _open(path, max_pixels)
    except MediaError:
        raise
    except Exception as exc:  # see _load_upright for why this is broad
        raise _wrap(path, exc, max_pixels) from exc
    with source:
        im = _load_upright(path, source, size, fit, max_pixels)
        lay = _layout(im.size, size, fit, focus)
        im = im.resize(lay.scaled, _RESAMPLE, box=lay.box, reducing_gap=_REDUCING_GAP)
    if im.mode == "RGBA" or lay.scaled != size:
        canvas = Image.new("RGB", size, background[:3])
        canvas.paste(im, lay.offset, im if im.mode == "RGBA" else None)
        im = canvas
    return Picture(size, im.tobytes())


def picture_to_surface(picture: Picture) -> pygame.Surface:
    """Wrap decoded pixels in an opaque 32-bit Surface (copies them). Main thread only.

    32-bit, not the 24 bits the pixels come in: blending a 24-bit surface (a fade) takes SDL's
    slow path, measured 18 ms a 1080p frame against 2 ms, while converting once costs 0.2 ms.
    """
    return pygame.image.frombytes(picture.data, picture.size, "RGB").convert(32, 0)


def _svg_length(value: str | None) -> float:
    """An SVG width/height in CSS pixels (96 dpi, as nanosvg uses); 0 if absent or a percentage."""
    match = _LENGTH.fullmatch(value or "")
    if not match or match[2] == "%":
        return 0.0
    try:
        return float(match[1]) * _SVG_UNITS[match[2] or ""]
    except ValueError:
        return 0.0


def _svg_size(path: Path, data: bytes) -> tuple[float, float]:
    """Intrinsic size of an SVG document, refusing anything unsafe or not SVG."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MediaError(f"{path}: not UTF-8 text ({exc}); save the SVG as UTF-8") from exc
    # Refuse rather than parse: entity expansion (billion laughs) and external entities
    # both need a DOCTYPE, and a drawing for a screen never needs one.
    if "<!doctype" in text.lower() or "<!entity" in text.lower():
        raise MediaError(
            f"{path}: SVG has a DOCTYPE or ENTITY declaration; delete the <!DOCTYPE ...> (Illustrator "
            "adds one; nothing needs it) and inline any entities, then re-save"
        )
    try:
        root = ET.fromstring(text)
    except (ET.ParseError, ValueError) as exc:
        raise MediaError(f"{path}: not well-formed XML ({exc}); re-export the SVG") from exc
    if root.tag not in ("svg", _SVG_NS + "svg"):
        raise MediaError(f"{path}: root element is <{root.tag}>, not <svg>; is it really an SVG?")
    # nanosvg silently leaves out what it cannot draw, and a sign with its words or pictures
    # missing must not go on screen as if it were fine: refuse it, saying what to change.
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1]
        if name in _SVG_UNDRAWABLE:
            raise MediaError(f"{path}: SVG uses <{name}>, which the player cannot draw; {_SVG_UNDRAWABLE[name]}")
    try:
        _, _, vw, vh = (float(v) for v in root.get("viewBox", "").replace(",", " ").split())
    except ValueError:  # absent or malformed: nanosvg ignores it too
        vw = vh = 0.0
    # nanosvg's rule: a missing or percentage width/height falls back to the viewBox.
    w, h = _svg_length(root.get("width")) or vw, _svg_length(root.get("height")) or vh
    if not (math.isfinite(w * h) and w > 0 and h > 0):
        raise MediaError(f"{path}: SVG has no usable width/height or viewBox; add a viewBox")
    return w, h


def load_svg(
    path: Path,
    size: Size,
    *,
    fit: str,
    focus: Focus = (0.5, 0.5),
    background: Rgba = (0, 0, 0, 255),
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> pygame.Surface:
    """Render an SVG into an opaque ``size`` Surface; arguments as :func:`decode_image`. Main thread only.

    nanosvg renders at the resolution the fit needs, so edges stay sharp. It does not draw
    <text>, <image>, filters or masks: convert text to paths before publishing.
    """
    _check_args(size, fit, focus)
    try:
        with path.open("rb") as f:
            data = f.read(_SVG_MAX_BYTES + 1)
    except OSError as exc:
        raise _wrap(path, exc, max_pixels) from exc
    if not data:
        raise MediaError(f"{path}: file is empty (0 bytes), probably a failed upload or copy; replace it")
    if len(data) > _SVG_MAX_BYTES:
        raise MediaError(f"{path}: SVG is over {_SVG_MAX_BYTES >> 20} MB; simplify it or use a PNG")
    iw, ih = _svg_size(path, data)
    if iw * ih > max_pixels:
        raise _too_big(path, iw, ih, max_pixels)
    # load_sized_svg keeps the aspect ratio: it scales by min(w/iw, h/ih) and returns a
    # surface of the scaled drawing, not of the requested size. That is "contain" already;
    # for cover and stretch ask for the size whose *smaller* scale is the cover scale.
    if fit == "contain":
        request = size
    else:
        scale = max(size[0] / iw, size[1] / ih)
        request = (max(1, math.ceil(iw * scale)), max(1, math.ceil(ih * scale)))
    if request[0] * request[1] > max_pixels:
        raise MediaError(
            f"{path}: filling the frame means rendering it at {request[0]}×{request[1]}, over the limit of "
            f"{max_pixels / 1e6:g} megapixels; check its width/height or viewBox, or use fit: contain"
        )
    try:
        art = pygame.image.load_sized_svg(io.BytesIO(data), request)  # the bytes we checked
    except (pygame.error, ValueError) as exc:
        raise MediaError(f"{path}: nanosvg cannot render it ({exc}); re-export the SVG") from exc
    flat = pygame.Surface(art.get_size())
    flat.fill(background[:3])
    flat.blit(art, (0, 0))
    lay = _layout(flat.get_size(), size, fit, focus)
    left, top, right, bottom = (round(v) for v in lay.box)
    spare_w, spare_h = flat.get_width() - lay.scaled[0], flat.get_height() - lay.scaled[1]
    at_scale = abs(right - left - lay.scaled[0]) <= 1 and abs(bottom - top - lay.scaled[1]) <= 1
    if at_scale and spare_w >= 0 and spare_h >= 0:
        # Already at the right scale, give or take nanosvg's ceil(): crop, don't resample.
        region = flat.subsurface((min(left, spare_w), min(top, spare_h), *lay.scaled))
    else:
        box = (left, top, max(1, right - left), max(1, bottom - top))
        region = pygame.transform.smoothscale(flat.subsurface(box), lay.scaled)
    frame = pygame.Surface(size)
    frame.fill(background[:3])
    frame.blit(region, lay.offset)
    return frame


def load_image_surface(
    path: Path,
    size: Size,
    *,
    fit: str,
    focus: Focus = (0.5, 0.5),
    background: Rgba = (0, 0, 0, 255),
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> pygame.Surface:
    """Load any supported still image (SVG by suffix) into a ``size`` Surface. Main thread only."""
    if path.suffix.lower() == ".svg":
        return load_svg(path, size, fit=fit, focus=focus, background=background, max_pixels=max_pixels)
    picture = decode_image(path, size, fit=fit, focus=focus, background=background, max_pixels=max_pixels)
    return picture_to_surface(picture)
