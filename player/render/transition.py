"""The transition rule, once: which slides are on screen at an instant, how, and how far along.

Pure (no pygame, no clock): the render loop and headless rendering (``signage render --at``,
contact sheets) both ask :func:`transition_at`, so what a screen shows and what a picture of
it shows cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime

from player.core.scheduler import Decision
from player.render.frame import Frame, transition_frame

IDLE_TRANSITION = ("cut", 0.0)  # idle has no start instant of its own to fade from


@dataclass(frozen=True)
class Moment:
    """What the screen shows at an instant: ``incoming``, or a transition into it at ``progress`` (0..1)."""

    incoming: Hashable
    outgoing: Hashable | None = None  # None: no transition, ``incoming`` alone
    kind: str = "cut"
    progress: float = 1.0

    @property
    def moving(self) -> bool:
        return self.outgoing is not None

    def frame(self, size: tuple[int, int]) -> Frame:
        """The frame to draw at ``size`` (the logical, rotated frame size)."""
        return transition_frame(self.outgoing, self.incoming, self.kind, self.progress, size)


def transition_at(decision: Decision, outgoing: Hashable | None, incoming: Hashable, instant: datetime) -> Moment:
    """The showing ``decision`` of ``incoming`` (replacing ``outgoing``, None if nothing was on
    screen) as it looks at ``instant``: mid-transition, or ``incoming`` alone once it is done.

    The transition runs from the slide's scheduled start, in content time, so a screen that
    joins late is as far along as one that has been playing all along.
    """
    slide = decision.slide
    kind, seconds = (slide.transition, slide.transition_duration) if slide else IDLE_TRANSITION
    start = decision.slide_start
    if outgoing is None or outgoing == incoming or kind == "cut" or seconds <= 0 or start is None:
        return Moment(incoming)
    progress = (instant - start).total_seconds() / seconds
    if progress >= 1.0:
        return Moment(incoming)
    return Moment(incoming, outgoing, kind, progress)
