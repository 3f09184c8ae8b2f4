"""One description of a frame, drawn by both compositors so they cannot drift apart.

A frame is a background colour and a stack of prepared slides (by key), each at an offset
and an opacity. Transitions are pure functions from progress (0..1) to a frame.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from player.core.model import Color


@dataclass(frozen=True)
class Layer:
    """A prepared slide drawn at (x, y) with opacity ``alpha`` (0..255)."""

    key: Hashable
    x: int = 0
    y: int = 0
    alpha: int = 255


@dataclass(frozen=True)
class Frame:
    """What the screen shows: layers drawn in order over ``background``."""

    layers: tuple[Layer, ...]
    background: Color = (0, 0, 0, 255)


def ease(progress: float) -> float:
    """Ease-in-out (smoothstep): motion starts and stops gently."""
    p = min(1.0, max(0.0, progress))
    return p * p * (3 - 2 * p)


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
