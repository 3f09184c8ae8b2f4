"""The software compositor: draws a :class:`Frame` onto a plain pygame Surface.

Used for headless rendering (``signage render``), for screenshots, and on screen where no
accelerated renderer exists.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from pathlib import Path

import pygame

from player.ops.atomic import write_atomic
from player.render.frame import Frame


def draw_frame(target: pygame.Surface, frame: Frame, surfaces: Mapping[Hashable, pygame.Surface]) -> None:
    """Draw ``frame`` onto ``target``; every layer's key must be in ``surfaces``."""
    target.fill(frame.background)
    size = target.get_size()
    for layer in frame.layers:
        surface = surfaces[layer.key]
        part = layer.visible(surface.get_size(), size) if layer.alpha > 0 else None
        if part is None:
            continue
        source, destination = part
        if layer.alpha >= 255:
            target.blit(surface, destination[:2], source)
        else:
            # Per-surface alpha on an opaque surface: one blend pass, no copy.
            surface.set_alpha(layer.alpha)
            target.blit(surface, destination[:2], source)
            surface.set_alpha(None)


def rotate_into(target: pygame.Surface, logical: pygame.Surface, degrees: int) -> None:
    """Copy a frame laid out in the rotated (logical) frame onto the physical screen.

    ``degrees`` turns the content clockwise, as a screen mounted that way needs.
    """
    if degrees == 0:
        target.blit(logical, (0, 0))
    else:
        target.blit(pygame.transform.rotate(logical, -degrees), (0, 0))


def save_png(picture: pygame.Surface, path: Path) -> None:
    """Write ``picture`` to ``path`` as a PNG, atomically (a reader never sees half a file).

    Raises:
        OSError, pygame.error: it could not be written.
    """
    write_atomic(path, lambda handle: pygame.image.save(picture, handle, "picture.png"))
