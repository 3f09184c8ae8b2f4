"""Fit geometry: where a picture of one size lands in a frame of another. Pure arithmetic.

One set of rules for stills (:mod:`player.media.images`, and the SVG path in
``player.render.images``) and for video (:mod:`player.media.video`), so a photo and a clip
with the same ``fit`` and ``focus`` are framed alike:

- ``contain``: scale to fit inside, centred, with background bars on the two free sides;
- ``cover``: scale to fill, then keep the window centred on ``focus`` (fractions of the
  source), slid back inside the picture where the focus is near an edge;
- ``stretch``: scale each axis to the frame, ignoring the aspect ratio.
"""

from __future__ import annotations

from dataclasses import dataclass

from player.core.vocabulary import FITS

Size = tuple[int, int]
Focus = tuple[float, float]
Rgba = tuple[int, int, int, int]

CENTRE: Focus = (0.5, 0.5)
BLACK: Rgba = (0, 0, 0, 255)


def check_fit(size: Size, fit: str, focus: Focus) -> None:
    """Raise ValueError for arguments no file could cause: an unknown fit, a bad frame or focus."""
    if fit not in FITS:
        raise ValueError(f"fit must be one of {', '.join(FITS)}, not {fit!r}")
    if size[0] < 1 or size[1] < 1:
        raise ValueError(f"frame size must be positive, not {size}")
    if not all(0.0 <= f <= 1.0 for f in focus):
        raise ValueError(f"focus must be two numbers in 0..1, not {focus}")


def fit_scale(src: tuple[float, float], frame: Size, fit: str) -> float:
    """How much ``contain`` (the smaller ratio) or ``cover`` (the larger) scales ``src``."""
    ratios = (frame[0] / src[0], frame[1] / src[1])
    return max(ratios) if fit == "cover" else min(ratios)


def window(focus: float, inner: float, outer: float) -> float:
    """Start of an ``inner``-long window centred on ``focus * outer``, slid back inside ``0..outer``."""
    return min(max(focus * outer - inner / 2, 0.0), outer - inner)


@dataclass(frozen=True)
class Layout:
    """Which region of the source to scale to what size, and where it lands in the frame."""

    box: tuple[float, float, float, float]  # left, top, right, bottom, in source pixels
    scaled: Size
    offset: Size


def layout(src: tuple[float, float], frame: Size, fit: str, focus: Focus) -> Layout:
    """Place a ``src``-sized picture in ``frame``: crop the source first, then scale (stills)."""
    (sw, sh), (fw, fh) = src, frame
    if fit == "stretch":
        return Layout((0, 0, sw, sh), frame, (0, 0))
    scale = fit_scale(src, frame, fit)
    if fit == "contain":
        scaled = (max(1, min(fw, round(sw * scale))), max(1, min(fh, round(sh * scale))))
        return Layout((0, 0, sw, sh), scaled, ((fw - scaled[0]) // 2, (fh - scaled[1]) // 2))
    bw, bh = fw / scale, fh / scale
    left, top = window(focus[0], bw, sw), window(focus[1], bh, sh)
    return Layout((left, top, left + bw, top + bh), frame, (0, 0))


@dataclass(frozen=True)
class PixelLayout:
    """Scale the whole source to ``scaled``, keep the frame-sized window at ``crop``, paste it
    at ``offset``: the same placement as :func:`layout` in whole pixels of the scaled picture
    (video, whose scaler always takes the whole picture)."""

    scaled: Size
    crop: Size
    offset: Size

    def bars(self, frame: Size) -> tuple[int, int, int, int]:
        """Background widths left, right, top and bottom of the picture (non-zero only for contain)."""
        (fw, fh), (sw, sh), (x, y) = frame, self.scaled, self.offset
        return x, max(0, fw - x - sw), y, max(0, fh - y - sh)


def pixel_layout(src: tuple[float, float], frame: Size, fit: str, focus: Focus) -> PixelLayout:
    """:func:`layout` for a scaler that takes the whole source: crop after scaling."""
    if fit != "cover":
        placed = layout(src, frame, fit, focus)
        return PixelLayout(placed.scaled, (0, 0), placed.offset)
    (sw, sh), (fw, fh) = src, frame
    scale = fit_scale(src, frame, fit)
    scaled = (max(fw, round(sw * scale)), max(fh, round(sh * scale)))
    # The window's bounds are whole pixels, so rounding after sliding it back lands where rounding first would.
    crop = (round(window(focus[0], fw, scaled[0])), round(window(focus[1], fh, scaled[1])))
    return PixelLayout(scaled, crop, (0, 0))
