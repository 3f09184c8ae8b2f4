"""SVG documents, checked before anything draws them: size, safety, and what nanosvg cannot draw.

Pure XML and arithmetic, no pygame: ``player.render.images.load_svg`` hands the checked bytes
to nanosvg (through pygame) at the size :func:`render_size` says.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from player.core.errors import MediaError
from player.media.files import EMPTY_HINT, open_regular
from player.media.fit import Size, fit_scale
from player.media.images import too_big, wrap_error

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
class SvgDocument:
    """An SVG file's bytes, checked, and its intrinsic size in CSS pixels."""

    data: bytes = field(repr=False)
    size: tuple[float, float]


def read_svg(path: Path, max_pixels: int) -> SvgDocument:
    """Read and check an SVG file: at most 16 MB, safe, drawable, and at most ``max_pixels`` big.

    Raises:
        MediaError: the file is missing, unreadable, empty, too big, unsafe or not a drawable SVG.
    """
    try:
        with open_regular(path) as f:
            data = f.read(_SVG_MAX_BYTES + 1)
    except OSError as exc:
        raise wrap_error(path, exc, max_pixels) from exc
    if not data:
        raise MediaError(f"{path}: {EMPTY_HINT}")
    if len(data) > _SVG_MAX_BYTES:
        raise MediaError(f"{path}: SVG is over {_SVG_MAX_BYTES >> 20} MB; simplify it or use a PNG")
    iw, ih = _svg_size(path, data)
    if iw * ih > max_pixels:
        raise too_big(path, iw, ih, max_pixels)
    return SvgDocument(data, (iw, ih))


def render_size(path: Path, document: SvgDocument, frame: Size, fit: str, max_pixels: int) -> Size:
    """The size to ask nanosvg for, so the fit needs cropping at most, not upscaling.

    nanosvg (pygame's ``load_sized_svg``) keeps the aspect ratio: it scales by
    min(w/iw, h/ih) and returns a surface of the scaled drawing, not of the requested size.
    That is "contain" already; for cover and stretch ask for the size whose *smaller* scale
    is the cover scale.
    """
    request = frame
    if fit != "contain":
        iw, ih = document.size
        scale = fit_scale(document.size, frame, "cover")
        request = (max(1, math.ceil(iw * scale)), max(1, math.ceil(ih * scale)))
    if request[0] * request[1] > max_pixels:
        raise MediaError(
            f"{path}: filling the frame means rendering it at {request[0]}×{request[1]}, over the limit of "
            f"{max_pixels / 1e6:g} megapixels; check its width/height or viewBox, or use fit: contain"
        )
    return request


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
