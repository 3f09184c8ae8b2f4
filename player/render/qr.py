"""A QR code widget drawn: the matrix from segno, whole pixels per module, its caption under it.

Where the code and caption go is :func:`player.core.qrcheck.qr_geometry`, the rule
``signage validate`` checks too (:func:`player.core.qrcheck.qr_problems`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pygame

from player.core.layout import QrCode
from player.core.qrcheck import QUIET_ZONE, make_symbol, qr_geometry
from player.render.text import FontChain, draw_layout, fit_text

__all__ = ["draw_qr"]


def draw_qr(qr: QrCode, size: tuple[int, int], fonts: FontChain | None) -> pygame.Surface:
    """The zone's picture: the code as large as fits, centred, on ``qr.background``.

    The quiet zone (4 modules) is part of the square, in the background colour. The caption
    is set under the square when ``fonts`` are given and the zone has room for it. The
    surface has per-pixel alpha only when a colour is see-through.
    Raises ``segno.DataOverflowError`` (a ValueError) for a URL too long for any QR code.
    """
    width, height = max(1, size[0]), max(1, size[1])
    symbol = make_symbol(qr.url)
    modules = len(symbol.matrix)
    geometry = qr_geometry(modules, (width, height), bool(qr.caption) and fonts is not None)
    see_through = qr.color[3] < 255 or qr.background[3] < 255
    picture = pygame.Surface((width, height), pygame.SRCALPHA if see_through else 0)
    picture.fill(qr.background)
    if geometry.scale > 0:
        # One pixel per module, then scaled by a whole factor: nearest neighbour, edges exact.
        small = _modules(symbol.matrix, geometry.modules, qr, "RGBA" if see_through else "RGB")
        small = small.convert(picture)  # the picture's pixel format, so it scales straight into it
        square = picture.subsurface((geometry.x, geometry.y, geometry.side, geometry.side))
        pygame.transform.scale(small, (geometry.side, geometry.side), square)
    if geometry.caption is not None and qr.caption and fonts is not None:
        box = pygame.Rect(geometry.caption)
        layout = fit_text(fonts, qr.caption, box.w, box.h, max_size=geometry.caption_size, max_lines=2)
        draw_layout(picture, layout, fonts, box, qr.color, align="center", valign="top")
    return picture


def _modules(matrix: Sequence[Sequence[int]], across: int, qr: QrCode, mode: Literal["RGB", "RGBA"]) -> pygame.Surface:
    """The code at one pixel per module, its quiet zone around it, ``across`` px square."""
    channels = len(mode)
    dark, light = bytes(qr.color[:channels]), bytes(qr.background[:channels])
    quiet = light * QUIET_ZONE
    rows = [light * across] * QUIET_ZONE
    rows += [quiet + b"".join(dark if module else light for module in line) + quiet for line in matrix]
    rows += [light * across] * QUIET_ZONE
    return pygame.image.frombytes(b"".join(rows), (across, across), mode)
