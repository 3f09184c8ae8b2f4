"""The render loop: the one owner of pygame's display and of every Surface on screen.

Each turn it asks the timetable what shows now and until when, starts a transition when
the answer changes, draws transition frames at the display's refresh rate, and otherwise
sleeps until the next change or an input event. The next slide is prepared right after a
transition ends, long before its turn, so no blank or half-drawn frame ever shows.
Other threads talk to the loop only through :meth:`Player.post`.

The loop holds what is on screen; its pieces hold the rest: the transition rule
(:mod:`player.render.transition`), the videos (:class:`VideoSlot`), on_hours and the clock
rule (:class:`PowerGate`), the preview keys (:class:`PreviewKeys`), what it tells the world
(:class:`Reporter`) and real time (a :class:`Pacer` and a monotonic clock, both handed in).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

import pygame

from player.core.errors import MediaError, MediaNotReady, Problem
from player.core.model import Slide
from player.core.scheduler import Decision, Timetable
from player.ops.clock import ScaledClock
from player.ops.environment import Environment
from player.ops.status import Status
from player.render.frame import Frame, Layer
from player.render.inbox import Inbox
from player.render.keys import PreviewKeys
from player.render.overlay import OverlayView, draw_overlay
from player.render.pacing import Pacer, RealPacer
from player.render.powergate import PowerGate
from player.render.reporting import Reporter
from player.render.screen import Screen, desktop_size
from player.render.slides import IDLE_ID, Painter, SlideKey
from player.render.stats import FrameTimer, TransitionReport
from player.render.transition import transition_at
from player.render.videoslot import VideoSlot

log = logging.getLogger(__name__)

REPORTS_KEPT = 100
MAX_SLEEP_S = 1.0  # even a static screen wakes this often, so signals and quit are prompt
OVERLAY_REFRESH_S = 0.5
SETTLE_MIN_SLEEP_S = 0.1  # a sleep this long is on a static frame: present it again first
SETTLE_STEP_S = 0.02  # between those presents
INPUT_POLL_S = 0.05  # how often a preview window looks at the keyboard while a slide is static
NOT_READY_RETRY_S = 0.25  # how soon to look again at a media file that is still being written
Showing = tuple[object, ...]


@dataclass(frozen=True)
class PlayOptions:
    """How one run plays, fixed for the run."""

    refresh_rate: float = 60.0  # transition frames per second at most
    interactive: bool = False  # a windowed preview: the preview keys work
    fullscreen: bool = False  # the window starts full screen
    video_decoder: str = "auto"
    zone: str = "UTC"  # the configured time zone, for people: the info overlay shows the time in it


@dataclass(frozen=True)
class Loaded:
    """What the status file says of the content beside the timetable."""

    problems: tuple[Problem, ...] = ()
    version: int | None = None  # the installed bundle's version (``signage sync``)


@dataclass(frozen=True)
class _Change:
    """A transition in progress: the showing ``decision`` of ``incoming`` replacing ``outgoing``."""

    decision: Decision
    outgoing: SlideKey
    incoming: SlideKey


class Player:
    """Plays a timetable on a screen. Construct whole, then :meth:`run` (or :meth:`step`)."""

    def __init__(
        self,
        timetable: Timetable,
        clock: ScaledClock,
        screen: Screen,
        painter: Painter,
        *,
        options: PlayOptions = PlayOptions(),
        loaded: Loaded = Loaded(),
        power: PowerGate | None = None,
        reporter: Reporter | None = None,
        pacer: Pacer | None = None,
        monotonic: Callable[[], float] = Environment.monotonic,
        on_present: Callable[[Frame], None] | None = None,
    ) -> None:
        self.timetable = timetable
        self.loaded = loaded
        self.power = power or PowerGate()
        self.clock = clock
        self.screen = screen
        self.reporter = reporter or Reporter(media=painter.media, monotonic=monotonic)
        self.painter = painter
        painter.use_playlists(timetable.playlists)
        self.options = options
        self.on_present = on_present  # called with every frame presented (tests, benchmarks)
        self.timer = FrameTimer(monotonic, keep=REPORTS_KEPT)
        self.video = VideoSlot(painter.media, painter.tagline_layer, options.video_decoder)
        self.keys = PreviewKeys(clock, enabled=options.interactive, fullscreen=options.fullscreen)
        self.decision: Decision | None = None
        self._monotonic = monotonic
        self._pacer = pacer or RealPacer()
        self._inbox: Inbox[Player] = Inbox(self._pacer.wake)
        self._on_screen: SlideKey | None = None
        self._showing: Showing | None = None
        self._transition: _Change | None = None
        self._pinned: dict[Hashable, pygame.Surface] = {}
        self._dirty = True
        self._stop = False
        self._retry_at: float | None = None

    # -- control from elsewhere ----------------------------------------------------------

    def post(self, message: Callable[[Player], None]) -> None:
        """Hand the loop a message (called on its own thread). Thread-safe."""
        self._inbox.post(message)

    def stop(self) -> None:
        self._stop = True
        self._pacer.wake()

    def reload(self, timetable: Timetable, loaded: Loaded = Loaded()) -> None:
        """Swap in new content in one step (called between transitions, never during one).

        The schedule takes over from the current instant; a slide that is unchanged (same
        slide, same file versions) stays on screen without a transition.
        """
        self.timetable = timetable
        self.painter.use_playlists(timetable.playlists)
        self.loaded = loaded
        self._showing = None  # re-evaluate now; an unchanged slide is recognised by its key
        self.reporter.changed()

    def request_screenshot(self) -> None:
        """Write the current frame to the reporter's screenshot path soon (safe from a signal handler)."""
        self.reporter.want_screenshot()
        self._pacer.wake()

    # -- what benchmarks and tests read ---------------------------------------------------

    @property
    def reports(self) -> deque[TransitionReport]:
        """The latest transitions' frame timings."""
        return self.timer.reports

    @property
    def dropped_frames(self) -> int:
        return self.video.dropped

    @property
    def video_active(self) -> bool:
        return self.video.active

    # -- the loop ------------------------------------------------------------------------

    def run(self, duration: float | None = None) -> None:
        """Play until quit, :meth:`stop`, or ``duration`` real seconds (by the monotonic clock handed in)."""
        deadline = self._monotonic() + duration if duration is not None else None
        try:
            while not self._stop:
                wait = self.step()
                if deadline is not None:
                    left = deadline - self._monotonic()
                    if left <= 0:
                        break
                    wait = min(wait, left)
                self._wait(wait)
        finally:
            self.reporter.slide_ended(self.clock.now())
            self.reporter.close()
            self.video.close()

    def step(self) -> float:
        """One turn: update, draw if needed; returns how long (real seconds) it may sleep."""
        if self._transition is None:
            self._inbox.deliver(self)  # content changes wait for the running transition to finish
        now = self.clock.now()
        if not self._power_on(now):
            until_change = self.power.seconds_until_change(now, self.clock, MAX_SLEEP_S)
            return min(self.reporter.ping_watchdog(MAX_SLEEP_S), until_change)
        decision = self.power.timetable_now(self.timetable, now).at(now)
        self.decision = decision
        self._follow(decision, now)
        video_wait = self._update_video(now)
        if self._transition is not None and self._draw_transition(now):
            return 0.0
        if self._dirty:
            self._present(self._static_frame())
            self._dirty = False
        self._report()
        return self._sleep_for(decision, video_wait)

    def _follow(self, decision: Decision, now: datetime) -> None:
        """Switch to ``decision``'s slide if it is a new showing (or a file was not ready)."""
        if self._retry_at is not None and self._monotonic() >= self._retry_at:
            self._retry_at, self._showing = None, None
        showing = _showing_of(decision)
        if showing != self._showing:
            self._showing = showing
            self._switch_to(decision, now)

    def _sleep_for(self, decision: Decision, video_wait: float | None) -> float:
        """Real seconds until something is due: a watchdog ping, a change, a video frame, a retry."""
        wait = self.reporter.ping_watchdog(MAX_SLEEP_S)
        if decision.next_change is not None:
            wait = min(wait, max(0.0, self.clock.wall_seconds_until(decision.next_change)))
        if video_wait is not None:
            wait = min(wait, video_wait)
        if self._retry_at is not None:
            wait = min(wait, max(0.0, self._retry_at - self._monotonic()))
        if self.keys.overlay:
            wait = min(wait, OVERLAY_REFRESH_S)
            self._dirty = True
        return wait

    # -- video ---------------------------------------------------------------------------

    def _start_video(self, slide: Slide, key: SlideKey, first: pygame.Surface, start: datetime) -> pygame.Surface:
        """Start the video's showing; the screen shows its surface (the first frame if it cannot play)."""
        at = (self.clock.now() - start).total_seconds()
        try:
            return self.video.start(slide, key, first, start, at)
        except MediaError as error:
            log.warning("video %s not played: %s", slide.id, error)
            self.reporter.failed(f"video {slide.id}: {error}")
            return first

    def _update_video(self, now: datetime) -> float | None:
        """Show the frame due now; returns how soon the next one is due (None: no video)."""
        turn = self.video.update(now)
        if turn is None:
            return None
        if turn.changed:
            self.screen.refresh(turn.key, turn.surface)
            self._dirty = True
        # Sleep until the next frame is due, not a whole frame period after this one's work.
        return turn.due_in / self.clock.speed

    # -- the display's power -------------------------------------------------------------

    def _power_on(self, now: datetime) -> bool:
        """Follow ``display.on_hours``; off means a black frame, the panel off, and sleep."""
        turned = self.power.turned(now)
        if turned is True:
            self.power.switch(True)
            self._showing, self._dirty = None, True
        elif turned is False:
            self._go_dark(now)
        if not self.power.on:
            # The status is kept fresh all night (`signage status` judges by its age), and a
            # screenshot at night shows the black frame.
            self._report()
        return self.power.on

    def _go_dark(self, now: datetime) -> None:
        self.reporter.slide_ended(now)
        self._transition = None
        self.screen.show(Frame(()), {}, None)
        # A black screen by schedule is a frame on screen too: a player started at night
        # must still say READY, or systemd times the start out and restarts it all night
        # (found on the emulated box).
        self.reporter.frame_presented()
        self.power.switch(False)
        self.reporter.changed()

    # -- switching slides ----------------------------------------------------------------

    def _switch_to(self, decision: Decision, now: datetime) -> None:
        prepared = self._prepare_or_keep(decision)
        if prepared is None:
            return
        key, surface = prepared
        slide = decision.slide
        self.reporter.slide_started(decision, now)
        self.video.stop()
        if slide is not None and slide.kind == "video":
            surface = self._start_video(slide, key, surface, decision.slide_start or now)
        if key == self._on_screen and not self.video.active:
            return
        self._pinned[key] = surface
        self.reporter.changed()
        outgoing = self._transition.incoming if self._transition else self._on_screen
        log.info("showing %s", _slide_id(decision))
        moment = transition_at(decision, outgoing, key, now)
        if outgoing is None or not moment.moving:
            self._finish(key)
            return
        self._transition = _Change(decision, outgoing, key)
        self.timer.begin(moment.kind, _slide_id(decision))

    def _prepare_or_keep(self, decision: Decision) -> tuple[SlideKey, pygame.Surface] | None:
        """The decision's slide, prepared; None if it cannot be shown now (what is on screen stays)."""
        try:
            return self.painter.prepare(decision.slide)
        except MediaNotReady as error:
            # Still being copied: look again shortly, without calling it an error.
            log.debug("slide %s waits: %s", _slide_id(decision), error)
            self._retry_at = self._monotonic() + NOT_READY_RETRY_S
        except MediaError as error:
            # Skipped: the last good content stays on screen, and this is said once per turn.
            log.warning("slide %s skipped: %s", _slide_id(decision), error)
            self.reporter.failed(f"slide {_slide_id(decision)} skipped: {error}")
            self.reporter.changed()
        if self._on_screen is None:
            self._show_idle_instead()
        return None

    def _show_idle_instead(self) -> None:
        """Nothing good is on screen yet: the idle screen is better than a black window."""
        key, surface = self.painter.prepare(None)
        self._pinned[key] = surface
        self._finish(key)

    def _draw_transition(self, now: datetime) -> bool:
        """Draw one frame of the transition; False once it has finished."""
        change = self._transition
        assert change is not None
        moment = transition_at(change.decision, change.outgoing, change.incoming, now)
        if not moment.moving:
            self._finish(change.incoming)
            return False
        self._present(moment.frame(self.screen.logical))
        self.timer.frame()
        # Paced after presenting, so that the next frame is drawn for the instant it is shown
        # at (a wait between drawing and presenting would show every frame a wait late).
        self.timer.waiting(lambda: self._pacer.tick(self.options.refresh_rate))
        return True

    def _finish(self, key: SlideKey) -> None:
        """``key`` is now fully on screen: end any transition and prepare what comes next."""
        self._transition = None
        self._on_screen = key
        self._dirty = True
        report = self.timer.end()
        if report is not None:
            log.debug("%s", report.summary())
        self._present(self._static_frame())
        self._dirty = False
        # Onto the glass before the next slide's preparation, which can take a moment (on the
        # emulated box it kept a restarted player's first frame off the screen for 0.5 s).
        while self.screen.settle():
            pass
        self._prepare_ahead()

    def _prepare_ahead(self) -> None:
        """Prepare the next slide now, while the screen is static, so its turn costs nothing."""
        keep: dict[Hashable, pygame.Surface] = {}
        if self._on_screen is not None and self._on_screen in self._pinned:
            keep[self._on_screen] = self._pinned[self._on_screen]
        decision = self.decision
        if decision is not None and decision.next_change is not None:
            self._prepare_upcoming(self.timetable.at(decision.next_change), keep)
        self.video.drop_next(unless_in=keep)  # the schedule moved on: it will not be next after all
        self._pinned = keep
        self.screen.keep_only(keep)

    def _prepare_upcoming(self, upcoming: Decision, keep: dict[Hashable, pygame.Surface]) -> None:
        # A picture to decode goes to the painter's decoder thread; when it is done, this is
        # asked again (a message, so never during a transition) and takes the picture.
        if self.painter.warm(upcoming.slide, lambda: self.post(lambda player: player._prepare_ahead())):
            return
        try:
            key, surface = self.painter.prepare(upcoming.slide)
            keep[key] = surface
            self.screen.preload(key, surface)
            if upcoming.slide is not None and upcoming.slide.kind == "video":
                self.video.start_next(upcoming.slide, key, surface)
        except MediaError:
            pass  # said when its turn comes

    # -- drawing -------------------------------------------------------------------------

    def _static_frame(self) -> Frame:
        return Frame((Layer(self._on_screen),)) if self._on_screen is not None else Frame(())

    def _present(self, frame: Frame) -> None:
        overlay = self._overlay() if self.keys.overlay else None
        self.screen.show(frame, self._pinned, overlay)
        self.reporter.frame_presented()
        if self.on_present is not None:
            self.on_present(frame)

    def overlay_view(self) -> OverlayView:
        """A snapshot of what the ``i`` overlay shows."""
        return OverlayView(
            now=self.clock.now(),
            paused=self.clock.paused,
            speed=self.clock.speed,
            decision=self.decision,
            last_transition=self.timer.last,
            dropped_frames=self.video.dropped,
            video_active=self.video.active,
            renderer=self.screen.name,
            zone=self.options.zone,
        )

    def _overlay(self) -> pygame.Surface:
        return draw_overlay(self.overlay_view(), self.painter.fonts.faces[0], self.screen.logical[1])

    # -- reporting -----------------------------------------------------------------------

    def _report(self) -> None:
        """The status file when due, and a screenshot when asked for."""
        if self.reporter.status_needed():
            self._write_status()
        if self.reporter.screenshot_due:
            self.reporter.write_screenshot(self.screen.read_pixels())

    def _write_status(self) -> None:
        decision = self.decision
        report = self.timer.last
        status = Status(
            time=self.clock.now(),
            playlist=decision.playlist if decision else None,
            slide_id=decision.slide.id if decision and decision.slide else None,
            slide_index=decision.slide_index if decision else None,
            loaded=[p.name for p in self.timetable.playlists],
            problems=self.loaded.problems,
            content_version=self.loaded.version,
            extra=self.reporter.health(
                self.screen.name, self.power.on, report.fps if report else None, self.video.dropped
            ),
        )
        self.reporter.write_status(status, _slide_id(decision) if decision else "nothing yet")

    # -- events --------------------------------------------------------------------------

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            self._handle(pygame.event.get())
            return
        # Before sleeping on a frame, make sure it is on the glass (screen.SETTLE_PRESENTS);
        # not between a video's frames, whose next present comes within a frame's time.
        if seconds >= SETTLE_MIN_SLEEP_S and self.screen.settle():
            seconds = SETTLE_STEP_S
        # Messages, stop() and signals wake the pacer's sleep; a preview window checks input every 50 ms.
        if self.options.interactive:
            seconds = min(seconds, INPUT_POLL_S)
        self._pacer.sleep(seconds)
        self._handle(pygame.event.get())

    def _handle(self, events: list[pygame.event.Event]) -> None:
        effect = self.keys.handle(events, self.decision, self.timetable)
        self._stop = self._stop or effect.stop
        self._dirty = self._dirty or effect.redraw
        if effect.fullscreen:
            self.post(lambda player: player._toggle_fullscreen())

    def _toggle_fullscreen(self) -> None:
        # The frame keeps its layout (the screen scales it to the window): only the window changes.
        self.keys.toggle_fullscreen(self.screen.window, desktop_size())
        self._dirty = True


def _showing_of(decision: Decision) -> Showing:
    """What identifies one showing of one slide (idle is one showing however long)."""
    if decision.playlist is None:
        return (IDLE_ID,)
    return (decision.playlist, decision.slide_index, decision.slide_start)


def _slide_id(decision: Decision) -> str:
    slide: Slide | None = decision.slide
    return f"{decision.playlist}/{slide.id}" if slide else IDLE_ID
