"""Still images as Surfaces: the pygame half, for the main render loop only.

Decoding, orientation and the fit geometry are pygame-free (:mod:`player.media.images`,
:mod:`player.media.svg`, :mod:`player.media.fit`), so a background thread may decode; the
functions here return a ``pygame.Surface`` and belong to the main thread.

Failures caused by the file are :class:`~player.core.errors.MediaError` (the render loop
skips the slide); invalid arguments raise ValueError, as in :func:`~player.media.images.decode_image`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Unpack

import pygame

from player.core.errors import MediaError
from player.media.fit import BLACK, CENTRE, Focus, Rgba, Size, check_fit, layout
from player.media.images import DEFAULT_MAX_PIXELS, ImageOptions, Picture, decode_image


def picture_to_surface(picture: Picture) -> pygame.Surface:
    """Copy decoded pixels into an opaque 32-bit Surface. Main thread only.

    32-bit, not the 24 bits the pixels come in: blending a 24-bit surface (a fade) takes SDL's
    slow path, measured 18 ms a 1080p frame against 2 ms, while converting once costs 0.2 ms.
    The 24-bit surface only borrows the pixels (``frombuffer``): the conversion is the one copy.
    """
    return pygame.image.frombuffer(picture.data, picture.size, "RGB").convert(32, 0)


def load_svg(path: Path, size: Size, **options: Unpack[ImageOptions]) -> pygame.Surface:
    """Render an SVG into an opaque ``size`` Surface; options as :func:`decode_image`. Main thread only.

    nanosvg renders at the resolution the fit needs, so edges stay sharp. It does not draw
    <text>, <image>, filters or masks: convert text to paths before publishing.
    """
    fit, focus = options["fit"], options.get("focus", CENTRE)
    background, max_pixels = options.get("background", BLACK), options.get("max_pixels", DEFAULT_MAX_PIXELS)
    check_fit(size, fit, focus)
    from player.media.svg import read_svg, render_size  # XML parsing loads only for SVG slides

    document = read_svg(path, max_pixels)
    request = render_size(path, document, size, fit, max_pixels)
    try:
        art = pygame.image.load_sized_svg(io.BytesIO(document.data), request)  # the bytes we checked
    except (pygame.error, ValueError) as exc:
        raise MediaError(f"{path}: nanosvg cannot render it ({exc}); re-export the SVG") from exc
    return _fit_surface(_flatten(art, art.get_size(), background), size, fit, focus, background)


def _flatten(art: pygame.Surface, size: Size, background: Rgba, at: Size = (0, 0)) -> pygame.Surface:
    """``art`` drawn at ``at`` on an opaque ``size`` background (its alpha ignored, as in decode_image)."""
    flat = pygame.Surface(size)
    flat.fill(background[:3])
    flat.blit(art, at)
    return flat


def _fit_surface(flat: pygame.Surface, size: Size, fit: str, focus: Focus, background: Rgba) -> pygame.Surface:
    """Place a rendered drawing in the frame by the fit rules, cropping rather than resampling where it can."""
    lay = layout(flat.get_size(), size, fit, focus)
    left, top, right, bottom = (round(v) for v in lay.box)
    spare_w, spare_h = flat.get_width() - lay.scaled[0], flat.get_height() - lay.scaled[1]
    at_scale = abs(right - left - lay.scaled[0]) <= 1 and abs(bottom - top - lay.scaled[1]) <= 1
    if at_scale and spare_w >= 0 and spare_h >= 0:
        # Already at the right scale, give or take nanosvg's ceil(): crop, don't resample.
        region = flat.subsurface((min(left, spare_w), min(top, spare_h), *lay.scaled))
    else:
        box = (left, top, max(1, right - left), max(1, bottom - top))
        region = pygame.transform.smoothscale(flat.subsurface(box), lay.scaled)
    return _flatten(region, size, background, lay.offset)


def load_image_surface(path: Path, size: Size, **options: Unpack[ImageOptions]) -> pygame.Surface:
    """Load any supported still image (SVG by suffix) into a ``size`` Surface. Main thread only."""
    if path.suffix.lower() == ".svg":
        return load_svg(path, size, **options)
    return picture_to_surface(decode_image(path, size, **options))
