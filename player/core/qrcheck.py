"""A QR code widget's symbol, where it goes in its zone, and what would stop a phone reading it.

Pure (segno builds the matrix in Python): :func:`qr_geometry` is the one rule for the size and
place of the code and its caption, used by the drawing (:mod:`player.render.qr`) and by
:func:`qr_problems`, the check ``signage validate`` runs, so the two cannot disagree.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

import segno

from player.core.layout import QrCode
from player.core.model import Color

__all__ = [
    "MIN_CONTRAST",
    "MIN_MODULE_PX",
    "QUIET_ZONE",
    "QrGeometry",
    "contrast_ratio",
    "make_symbol",
    "qr_geometry",
    "qr_problems",
    "relative_luminance",
]

QUIET_ZONE = 4  # modules of background around the code, as ISO/IEC 18004 asks
MIN_MODULE_PX = 3  # below this, phone cameras at a few metres stop reading a screen's code
MIN_CONTRAST = 4.0  # WCAG contrast ratio between the modules and the background
MOST_BYTES = 2331  # what a version 40 code holds at error correction M, in byte mode
CAPTION_MIN = 12  # px: the smallest caption worth drawing
CAPTION_SIZE = 0.06  # a caption's type size, as a fraction of the zone's shorter side
CAPTION_LINES = 2.5  # the caption's band, in type sizes: two lines and their spacing


class QrGeometry(NamedTuple):
    """Where a code goes in its zone: ``scale`` px per module, the square (quiet zone included)
    at ``x, y`` and ``side`` px wide; the caption's band, None when there is no room for it."""

    modules: int  # across, quiet zone included
    scale: int
    x: int
    y: int
    side: int
    caption: tuple[int, int, int, int] | None
    caption_size: int


def make_symbol(url: str) -> segno.QRCode:
    """The QR code of ``url`` at error correction M, never raised to a higher level (which
    would change its size from one URL to the next) and never a Micro QR code (which phones
    do not read). Raises ``segno.DataOverflowError`` (a ValueError) when the URL is too long."""
    return segno.make_qr(url, error="m", boost_error=False)


def qr_geometry(modules: int, size: tuple[int, int], caption: bool) -> QrGeometry:
    """The code as large as fits with a whole number of px per module, centred with its caption.

    ``modules``: the symbol's width without its quiet zone. The caption takes a band under the
    square when the code still gets :data:`MIN_MODULE_PX` px per module above it, and the band
    is at most a third of the height; otherwise the code has the whole zone.
    """
    width, height = max(1, size[0]), max(1, size[1])
    across = modules + 2 * QUIET_ZONE
    caption_size = max(CAPTION_MIN, round(min(width, height) * CAPTION_SIZE))
    band = round(caption_size * CAPTION_LINES)
    with_caption = min(width, height - band) // across
    if caption and with_caption >= MIN_MODULE_PX and band <= height // 3:
        scale, used = with_caption, band
    else:
        scale, used = min(width, height) // across, 0
    side = across * scale
    top = (height - side - used) // 2
    margin = round(width * 0.04)
    box = (margin, top + side, width - 2 * margin, band) if used else None
    return QrGeometry(across, scale, (width - side) // 2, top, side, box, caption_size)


def relative_luminance(color: Color) -> float:
    """WCAG 2's relative luminance of an sRGB colour: 0 for black, 1 for white."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in color[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: Color, b: Color) -> float:
    """WCAG 2's contrast ratio of two colours, from 1 (the same) to 21 (black and white)."""
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _hex(color: Color) -> str:
    return "#" + "".join(f"{c:02x}" for c in color[:3])


def qr_problems(qr: QrCode, size: tuple[int, int]) -> list[str]:
    """What would stop a phone reading the code in a zone of ``size`` px, each said as what to do.

    The last kind (a URL that is not a web address) is a warning: a Wi-Fi login or a tel: link
    is a fine QR code, and the person who meant it may ignore it.
    """
    problems = _symbol_problems(qr, size) + _colour_problems(qr)
    scheme = urlsplit(qr.url.strip()).scheme.lower()
    if qr.url.strip() and scheme not in ("http", "https"):
        problems.append(
            f"the URL {qr.url!r} does not start with http:// or https://: a phone shows it as text instead of"
            " opening a page (if it is meant to be a Wi-Fi login, a phone number or a mail, ignore this)"
        )
    return problems


def _symbol_problems(qr: QrCode, size: tuple[int, int]) -> list[str]:
    if not qr.url.strip():
        return ["the QR code has no URL: give it one with `url:`"]
    try:
        symbol = make_symbol(qr.url)
    except segno.DataOverflowError:
        length = len(qr.url.encode("utf-8"))
        return [
            f"the URL is too long for a QR code: {length} bytes, and a code holds at most {MOST_BYTES}"
            " at the error correction a screen needs; shorten it (a short link)"
        ]
    modules = len(symbol.matrix)
    geometry = qr_geometry(modules, size, bool(qr.caption))
    problems: list[str] = []
    if geometry.scale < MIN_MODULE_PX:
        each = f"{geometry.scale} px" if geometry.scale else "less than 1 px"
        problems.append(
            f"the zone is too small for this URL: each module would be {each} (at least {MIN_MODULE_PX} px"
            f" for a phone to read it); make the zone at least {geometry.modules * MIN_MODULE_PX} px square"
            " or shorten the URL"
        )
    elif qr.caption and geometry.caption is None:
        problems.append(
            f"the caption does not fit under the code in a zone of {size[0]}x{size[1]} px and is left out;"
            " make the zone taller (or leave out the caption)"
        )
    return problems


def _colour_problems(qr: QrCode) -> list[str]:
    problems: list[str] = []
    if qr.color[3] < 255 or qr.background[3] < 255:
        problems.append(
            "the QR code's colours are see-through: give `color` and `background` opaque colours, so the code"
            " and its quiet zone do not take on what is under them"
        )
    ratio = contrast_ratio(qr.color, qr.background)
    if ratio < MIN_CONTRAST:
        problems.append(
            f"the QR code's colours {_hex(qr.color)} on {_hex(qr.background)} are too alike (contrast"
            f" {ratio:.1f}:1, at least {MIN_CONTRAST:.0f}:1 for a phone to read it): darken `color` or lighten"
            " `background`"
        )
    if relative_luminance(qr.color) > relative_luminance(qr.background):
        problems.append(
            f"the QR code is inverted: light modules ({_hex(qr.color)}) on a dark background"
            f" ({_hex(qr.background)}), which many phone scanners do not read; make `color` the darker one"
        )
    return problems
