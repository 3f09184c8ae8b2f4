"""The software compositor: draws a :class:`Frame` onto a plain pygame Surface.

Used for headless rendering (``signage render``), for screenshots, and on screen where no
accelerated renderer exists.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Set
from pathlib import Path
from typing import NamedTuple

import pygame

from player.ops.atomic import write_atomic
from player.render.frame import Frame, Rect


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


class DrawnFrame(NamedTuple):
    """What a canvas holds: the frame last drawn on it, its layers' sizes, and whether an overlay covers it."""

    frame: Frame
    sizes: Mapping[Hashable, tuple[int, int]]
    canvas: pygame.Surface
    overlay: bool


LARGEST_PARTIAL = 0.6  # a change over more of the frame than this is drawn whole: one pass is cheaper


def changed_area(
    before: Frame,
    sizes: Mapping[Hashable, tuple[int, int]],
    after: Frame,
    surfaces: Mapping[Hashable, pygame.Surface],
    size: tuple[int, int],
    refreshed: Set[Hashable] = frozenset(),
) -> Rect | None:
    """The rectangle of the frame where ``after`` differs from ``before`` (drawn with layers of
    ``sizes``), as ``(x, y, width, height)``; width 0 if nothing changed; None to draw it all.

    A layer that moved, appeared, went or changed opacity damages where it was and where it is;
    one whose surface changed in place (``refreshed``: a video's frame) damages where it is.
    """
    if before.background != after.background:
        return None
    old, new = set(before.layers), set(after.layers)
    if [layer for layer in before.layers if layer in new] != [layer for layer in after.layers if layer in old]:
        return None  # the same layers in another order
    changed = [(layer, sizes.get(layer.key)) for layer in old - new]
    changed += [(layer, surfaces[layer.key].get_size()) for layer in after.layers if layer not in old]
    changed += [(layer, surfaces[layer.key].get_size()) for layer in after.layers if layer.key in refreshed]
    rects = []
    for layer, own in changed:
        if own is None:
            return None
        part = layer.visible(own, size)
        if part is not None:
            rects.append(pygame.Rect(part[1]))
    if not rects:
        return (0, 0, 0, 0)
    union = rects[0].unionall(rects[1:])
    if union.w * union.h > LARGEST_PARTIAL * size[0] * size[1]:
        return None
    return union.x, union.y, union.w, union.h


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
