"""One description of a frame, drawn by both compositors so they cannot drift apart.

A frame is a background colour and a stack of prepared slides (by key), each at an offset
and an opacity. Transitions are pure functions from progress (0..1) to a frame.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from player.core.model import Color

Rect = tuple[int, int, int, int]  # x, y, width, height


@dataclass(frozen=True)
class Layer:
    """A prepared surface drawn at (x, y) with opacity ``alpha`` (0..255).

    ``clip``: only the part inside this rectangle of the frame is drawn (a layout's zone: a
    slide sliding out of its zone must not cover the zone beside it). None: the whole frame.
    """

    key: Hashable
    x: int = 0
    y: int = 0
    alpha: int = 255
    clip: Rect | None = None

    def visible(self, own: tuple[int, int], frame: tuple[int, int]) -> tuple[Rect, Rect] | None:
        """``(source, destination)`` rectangles of the part of a surface of size ``own`` that
        shows in a frame of size ``frame``; None if none of it does. Both compositors draw
        exactly this part, so their frames cannot differ at a zone's edge."""
        left, top, right, bottom = 0, 0, frame[0], frame[1]
        if self.clip is not None:
            cx, cy, cw, ch = self.clip
            left, top, right, bottom = max(left, cx), max(top, cy), min(right, cx + cw), min(bottom, cy + ch)
        x0, y0 = max(left, self.x), max(top, self.y)
        x1, y1 = min(right, self.x + own[0]), min(bottom, self.y + own[1])
        if x1 <= x0 or y1 <= y0:
            return None
        return (x0 - self.x, y0 - self.y, x1 - x0, y1 - y0), (x0, y0, x1 - x0, y1 - y0)


@dataclass(frozen=True)
class Frame:
    """What the screen shows: layers drawn in order over ``background``."""

    layers: tuple[Layer, ...]
    background: Color = (0, 0, 0, 255)


def ease(progress: float) -> float:
    """Ease-in-out (smoothstep): motion starts and stops gently."""
    p = min(1.0, max(0.0, progress))
    return p * p * (3 - 2 * p)


def placed(layers: tuple[Layer, ...], area: Rect) -> tuple[Layer, ...]:
    """``layers`` laid out in a frame of the area's size, moved into ``area`` and clipped to it."""
    x, y = area[0], area[1]
    return tuple(Layer(layer.key, layer.x + x, layer.y + y, layer.alpha, area) for layer in layers)


def transition_frame(
    outgoing: Hashable | None,
    incoming: Hashable,
    transition: str,
    progress: float,
    size: tuple[int, int],
    background: Color = (0, 0, 0, 255),
) -> Frame:
    """The frame ``progress`` of the way through a transition from ``outgoing`` to ``incoming``.

    A fade draws the incoming slide over the outgoing one with rising opacity, so no frame
    is ever darker than the two slides it blends. Slides push the outgoing slide away.
    """
    if outgoing is None or transition == "cut" or progress >= 1.0:
        return Frame((Layer(incoming),), background)
    width, height = size
    if transition == "fade":
        alpha = round(255 * min(1.0, max(0.0, progress)))
        return Frame((Layer(outgoing), Layer(incoming, alpha=alpha)), background)
    shift = ease(progress)
    if transition == "slide-left":
        dx = round(width * shift)
        return Frame((Layer(outgoing, x=-dx), Layer(incoming, x=width - dx)), background)
    if transition == "slide-up":
        dy = round(height * shift)
        return Frame((Layer(outgoing, y=-dy), Layer(incoming, y=height - dy)), background)
    raise ValueError(f"unknown transition {transition!r}")
