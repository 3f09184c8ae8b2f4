"""A channel: one rectangle of the screen playing a timetable (the whole screen, or a layout's zone).

It holds what that rectangle shows: the slide on screen, the transition in progress, the
slides prepared ahead, its video. The render loop (:mod:`player.render.loop`) owns the
display and asks each channel, every turn, to follow its schedule and for the layers it
draws now; the channel never presents. Main thread only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import pygame

from player.core.errors import MediaError, MediaNotReady
from player.core.model import Slide
from player.core.scheduler import Decision, Timetable
from player.render.frame import Layer, Rect, placed
from player.render.slides import IDLE_ID, Painter, SlideKey
from player.render.stats import FrameTimer
from player.render.transition import transition_at
from player.render.videoslot import VideoSlot

log = logging.getLogger(__name__)

NOT_READY_RETRY_S = 0.25  # how soon to look again at a media file that is still being written
Showing = tuple[object, ...]


class Host(Protocol):
    """What a channel asks of the render loop that runs it."""

    def post(self, message: Callable[[object], None]) -> None: ...
    def monotonic(self) -> float: ...
    def content_now(self) -> datetime: ...
    def refresh(self, key: Hashable, surface: pygame.Surface) -> None: ...
    def preload(self, key: Hashable, surface: pygame.Surface) -> None: ...
    def slide_started(self, decision: Decision, now: datetime) -> None: ...
    def failed(self, what: str) -> None: ...
    def release_unpinned(self) -> None:
        """Let the screen free what no channel holds any more (textures of slides gone by)."""
        ...


@dataclass(frozen=True)
class _Change:
    """A transition in progress: the showing ``decision`` of ``incoming`` replacing ``outgoing``."""

    decision: Decision
    outgoing: SlideKey
    incoming: SlideKey


class SlideChannel:
    """Plays ``timetable`` in ``area`` of the frame (None: the whole frame, unclipped).

    ``main``: the channel whose slides are the screen's proof of play, status and preview
    keys (the whole screen, or a layout's largest zone of playlists).
    """

    def __init__(
        self,
        name: str,
        area: Rect | None,
        timetable: Timetable,
        painter: Painter,
        host: Host,
        *,
        video_decoder: str = "auto",
        main: bool = False,
        timer: FrameTimer | None = None,
    ) -> None:
        self.name = name
        self.area = area
        self.timetable = timetable
        self.painter = painter
        self.host = host
        self.main = main
        self.timer = timer
        self.video = VideoSlot(painter.media, painter.tagline_layer, video_decoder)
        self.decision: Decision | None = None
        self.pinned: dict[Hashable, pygame.Surface] = {}
        self.on_screen: SlideKey | None = None
        self.changed = True  # what it draws changed since the loop last presented it
        self._showing: Showing | None = None
        self._transition: _Change | None = None
        self._retry_at: float | None = None
        self._ahead_due = False  # a slide just came fully on screen: prepare the next once it is presented
        self._asked: tuple[Timetable, datetime] | None = None  # the timetable and instant of the last decision

    # -- what the loop asks each turn ------------------------------------------------------

    @property
    def moving(self) -> bool:
        """A transition is in progress: frames are due at the refresh rate."""
        return self._transition is not None

    def reload(self, timetable: Timetable) -> None:
        """New content: the schedule takes over from now; an unchanged slide stays without a transition."""
        self.timetable = timetable
        self._showing = None
        self._asked = None

    def advance(self, timetable: Timetable, now: datetime) -> float | None:
        """Follow ``timetable`` (the channel's, or a stand-in while the clock is untrusted) to ``now``.

        Returns how soon (real seconds, at content speed 1) its video wants the next turn; None: no video.
        """
        decision = self._decision_at(timetable, now)
        self.decision = decision
        if self._retry_at is not None and self.host.monotonic() >= self._retry_at:
            self._retry_at, self._showing = None, None
        showing = _showing_of(decision)
        if showing != self._showing:
            self._showing = showing
            self._switch_to(decision, now)
        video_wait = self._update_video(now)
        change = self._transition
        if change is not None and not transition_at(change.decision, change.outgoing, change.incoming, now).moving:
            self._finish(change.incoming)
        return video_wait

    def _decision_at(self, timetable: Timetable, now: datetime) -> Decision:
        """The schedule's decision at ``now``: the last one while it holds (the scheduler's promise:
        nothing changes before ``next_change``). A ticker beside this zone asks 60 times a second,
        and asking the scheduler each time cost more than drawing the frame."""
        last, self._asked = self._asked, (timetable, now)
        decision = self.decision
        same = decision is not None and last is not None and last[0] is timetable and last[1] <= now
        if same and decision is not None and (decision.next_change is None or now < decision.next_change):
            return decision
        return timetable.at(now)

    def layers(self, now: datetime) -> tuple[Layer, ...]:
        """What the channel draws at ``now``, in frame coordinates."""
        change = self._transition
        if change is not None:
            size = self.painter.size
            moment = transition_at(change.decision, change.outgoing, change.incoming, now)
            drawn = moment.frame(size).layers
        elif self.on_screen is not None:
            drawn = (Layer(self.on_screen),)
        else:
            drawn = ()
        return placed(drawn, self.area) if self.area is not None else drawn

    def wake_in(self, clock_seconds_until: Callable[[datetime], float]) -> float | None:
        """Real seconds until its schedule changes or a file is looked at again; None: not before a change."""
        waits: list[float] = []
        if self.decision is not None and self.decision.next_change is not None:
            waits.append(max(0.0, clock_seconds_until(self.decision.next_change)))
        if self._retry_at is not None:
            waits.append(max(0.0, self._retry_at - self.host.monotonic()))
        return min(waits) if waits else None

    def presented(self) -> None:
        """Its frame is on the glass: the time to prepare what comes next, if a slide just arrived."""
        self.changed = False
        if self._ahead_due:
            self._ahead_due = False
            self.prepare_ahead()

    @property
    def ahead_due(self) -> bool:
        return self._ahead_due

    def close(self) -> None:
        self.video.close()

    # -- video ---------------------------------------------------------------------------

    def _start_video(self, slide: Slide, key: SlideKey, first: pygame.Surface, start: datetime) -> pygame.Surface:
        at = (self.host.content_now() - start).total_seconds()
        try:
            return self.video.start(slide, key, first, start, at)
        except MediaError as error:
            log.warning("video %s not played: %s", slide.id, error)
            self.host.failed(f"video {slide.id}: {error}")
            return first

    def _update_video(self, now: datetime) -> float | None:
        turn = self.video.update(now)
        if turn is None:
            return None
        if turn.changed:
            self.host.refresh(turn.key, turn.surface)
            self.changed = True
        return turn.due_in

    # -- switching slides ----------------------------------------------------------------

    def _switch_to(self, decision: Decision, now: datetime) -> None:
        prepared = self._prepare_or_keep(decision)
        if prepared is None:
            return
        key, surface = prepared
        slide = decision.slide
        if self.main:
            self.host.slide_started(decision, now)
        self.video.stop()
        if slide is not None and slide.kind == "video":
            surface = self._start_video(slide, key, surface, decision.slide_start or now)
        if key == self.on_screen and not self.video.active:
            return
        self.pinned[key] = surface
        self.changed = True
        outgoing = self._transition.incoming if self._transition else self.on_screen
        log.info("showing %s%s", self._where(), self.slide_id(decision))
        moment = transition_at(decision, outgoing, key, now)
        if outgoing is None or not moment.moving:
            self._finish(key)
            return
        self._transition = _Change(decision, outgoing, key)
        if self.timer is not None:
            self.timer.begin(moment.kind, self.slide_id(decision))

    def _where(self) -> str:
        return f"in zone {self.name}: " if self.area is not None else ""

    def _prepare_or_keep(self, decision: Decision) -> tuple[SlideKey, pygame.Surface] | None:
        """The decision's slide, prepared; None if it cannot be shown now (what is on screen stays)."""
        try:
            return self.painter.prepare(decision.slide)
        except MediaNotReady as error:
            # Still being copied: look again shortly, without calling it an error.
            log.debug("slide %s waits: %s", self.slide_id(decision), error)
            self._retry_at = self.host.monotonic() + NOT_READY_RETRY_S
        except MediaError as error:
            # Skipped: the last good content stays on screen, and this is said once per turn.
            log.warning("slide %s skipped: %s", self.slide_id(decision), error)
            self.host.failed(f"slide {self.slide_id(decision)} skipped: {error}")
        if self.on_screen is None:
            self._show_idle_instead()
        return None

    def _show_idle_instead(self) -> None:
        """Nothing good is on screen yet: the idle screen is better than a black window."""
        key, surface = self.painter.prepare(None)
        self.pinned[key] = surface
        self._finish(key)

    def _finish(self, key: SlideKey) -> None:
        """``key`` is now fully on screen: end any transition; the next slide is prepared once it is presented."""
        self._transition = None
        self.on_screen = key
        self.changed = True
        self._ahead_due = True
        if self.timer is not None:
            report = self.timer.end()
            if report is not None:
                log.debug("%s", report.summary())

    def prepare_ahead(self) -> None:
        """Prepare the next slide now, while the screen is static, so its turn costs nothing."""
        keep: dict[Hashable, pygame.Surface] = {}
        if self.on_screen is not None and self.on_screen in self.pinned:
            keep[self.on_screen] = self.pinned[self.on_screen]
        decision = self.decision
        if decision is not None and decision.next_change is not None:
            self._prepare_upcoming(self.timetable.at(decision.next_change), keep)
        self.video.drop_next(unless_in=keep)  # the schedule moved on: it will not be next after all
        self.pinned = keep
        self.host.release_unpinned()

    def _prepare_upcoming(self, upcoming: Decision, keep: dict[Hashable, pygame.Surface]) -> None:
        # A picture to decode goes to the painter's decoder thread; when it is done, this is
        # asked again (a message, so never during a transition) and takes the picture.
        def again(_: object) -> None:
            self.prepare_ahead()

        if self.painter.warm(upcoming.slide, lambda: self.host.post(again)):
            return
        try:
            key, surface = self.painter.prepare(upcoming.slide)
            keep[key] = surface
            self.host.preload(key, surface)
            if upcoming.slide is not None and upcoming.slide.kind == "video":
                self.video.start_next(upcoming.slide, key, surface)
        except MediaError:
            pass  # said when its turn comes

    @staticmethod
    def slide_id(decision: Decision) -> str:
        slide: Slide | None = decision.slide
        return f"{decision.playlist}/{slide.id}" if slide else IDLE_ID


def _showing_of(decision: Decision) -> Showing:
    """What identifies one showing of one slide (idle is one showing however long)."""
    if decision.playlist is None:
        return (IDLE_ID,)
    return (decision.playlist, decision.slide_index, decision.slide_start)
