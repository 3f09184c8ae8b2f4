"""The render loop: the one owner of pygame's display and of every Surface on screen.

Each turn it asks the timetable what shows now and until when, starts a transition when
the answer changes, draws transition frames at the display's refresh rate, and otherwise
sleeps until the next change or an input event. The next slide is prepared right after a
transition ends, long before its turn, so no blank or half-drawn frame ever shows.
Other threads talk to the loop only through :meth:`Player.post`.
"""

from __future__ import annotations

import logging
import queue
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pygame

from player.core.errors import MediaError, MediaNotReady, Problem
from player.core.model import Slide
from player.core.scheduler import Decision, Timetable
from player.ops.clock import ScaledClock
from player.ops.clocktrust import ClockGuard
from player.ops.notify import Notifier
from player.ops.power import DisplayPower, PowerSchedule
from player.ops.proof import ProofLog
from player.ops.status import Status
from player.ops.waker import Waker
from player.render.frame import Frame, Layer, transition_frame
from player.render.reporting import Reporter
from player.render.screen import Screen
from player.render.slides import IDLE_ID, Painter, SlideKey
from player.render.stats import FrameTimer, TransitionReport

if TYPE_CHECKING:
    from player.render.playback import Playback

log = logging.getLogger(__name__)

REPORTS_KEPT = 100
PRESTARTED_LATE_S = 0.25  # a video decoding ahead is used only if its turn began less than this ago
MAX_SLEEP_S = 1.0  # even a static screen wakes this often, so signals and quit are prompt
OVERLAY_REFRESH_S = 0.5
SETTLE_MIN_SLEEP_S = 0.1  # a sleep this long is on a static frame: present it again first
SETTLE_STEP_S = 0.02  # between those presents
INPUT_POLL_S = 0.05  # how often a preview window looks at the keyboard while a slide is static
NOT_READY_RETRY_S = 0.25  # how soon to look again at a media file that is still being written
IDLE_TRANSITION = ("cut", 0.0)  # idle has no start instant of its own to fade from
Showing = tuple[object, ...]


@dataclass(frozen=True)
class _Transition:
    outgoing: SlideKey
    incoming: SlideKey
    kind: str
    start: datetime  # content time
    seconds: float  # content seconds


class Player:
    """Plays a timetable on a screen. Construct, then :meth:`run`."""

    def __init__(
        self,
        timetable: Timetable,
        clock: ScaledClock,
        screen: Screen,
        painter: Painter,
        *,
        refresh_rate: float = 60.0,
        on_present: Callable[[Frame], None] | None = None,
        interactive: bool = False,
        fullscreen: bool = False,
        status_path: Path | None = None,
        screenshot_path: Path | None = None,
        notifier: Notifier | None = None,
        power: PowerSchedule | None = None,
        display_power: DisplayPower | None = None,
        clock_guard: ClockGuard | None = None,
        proof: ProofLog | None = None,
        screen_id: str = "screen",
        video_decoder: str = "auto",
    ) -> None:
        self.timetable = timetable
        self.clock = clock
        self.screen = screen
        self.painter = painter
        self.refresh_rate = refresh_rate
        self.on_present = on_present
        self.interactive = interactive
        self.timer = FrameTimer()
        # The latest transitions' timings (read by the overlay and benchmarks): bounded, a week of changes is not.
        self.reports: deque[TransitionReport] = deque(maxlen=REPORTS_KEPT)
        self.decision: Decision | None = None
        self.frames_presented = 0
        self.overlay_visible = False
        self.problems: tuple[Problem, ...] = ()
        self.content_version: int | None = None
        self.reporter = Reporter(
            notifier=notifier or Notifier({}),
            status_path=status_path,
            screenshot_path=screenshot_path,
            proof=proof,
            screen_id=screen_id,
            media=painter.media,
        )
        self.power = power
        self.display_power = display_power or DisplayPower(None, None)
        self.clock_guard = clock_guard
        self._screen_on = True
        self.video_decoder = video_decoder
        self._playback: tuple[SlideKey, Playback, datetime] | None = None  # a video on screen
        self._next_video: tuple[SlideKey, Playback] | None = None  # the upcoming video, decoding ahead
        self.dropped_frames = 0
        self._fallback: tuple[Timetable, Timetable] | None = None  # (for timetable, fallback)
        self._inbox: queue.SimpleQueue[Callable[[Player], None]] = queue.SimpleQueue()
        self._on_screen: SlideKey | None = None
        self._showing: Showing | None = None
        self._transition: _Transition | None = None
        self._pinned: dict[Hashable, pygame.Surface] = {}
        self._dirty = True
        self._stop = False
        self._retry_at: float | None = None
        self._fullscreen = fullscreen
        self._pacer = pygame.time.Clock()
        self._wakeup = Waker()  # safe to wake from signal handlers, unlike threading.Event

    # -- control from elsewhere ----------------------------------------------------------

    def post(self, message: Callable[[Player], None]) -> None:
        """Hand the loop a message (called on its own thread). Thread-safe."""
        self._inbox.put(message)
        self._wakeup.wake()

    def stop(self) -> None:
        self._stop = True
        self._wakeup.wake()

    def reload(
        self, timetable: Timetable, problems: tuple[Problem, ...] = (), content_version: int | None = None
    ) -> None:
        """Swap in new content in one step (called between transitions, never during one).

        The schedule takes over from the current instant; a slide that is unchanged (same
        slide, same file versions) stays on screen without a transition.
        """
        self.timetable = timetable
        self.problems = problems
        self.content_version = content_version
        self._showing = None  # re-evaluate now; an unchanged slide is recognised by its key
        self.reporter.status_due = True

    def request_screenshot(self) -> None:
        """Write the current frame to ``screenshot_path`` soon (safe from a signal handler)."""
        self.reporter.screenshot_due = True
        self._wakeup.wake()

    # -- the loop ------------------------------------------------------------------------

    def run(self, duration: float | None = None) -> None:
        """Play until quit, :meth:`stop`, or ``duration`` real seconds."""
        deadline = time.monotonic() + duration if duration is not None else None
        try:
            while not self._stop:
                wait = self.step()
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    wait = min(wait, left)
                self._wait(wait)
        finally:
            self.reporter.slide_ended(self.clock.now())
            self._stop_video()
            self._drop_next_video()

    def step(self) -> float:
        """One turn: update, draw if needed; returns how long (real seconds) it may sleep."""
        if self._transition is None:
            self._drain_inbox()  # content changes wait for the running transition to finish
        now = self.clock.now()
        if self.power is not None and not self._power_on(now):
            return min(self.reporter.ping_watchdog(MAX_SLEEP_S), self._seconds_until_power_change(now))
        decision = self._timetable_now(now).at(now)
        self.decision = decision
        showing = _showing_of(decision)
        if self._retry_at is not None and time.monotonic() >= self._retry_at:
            self._retry_at, self._showing = None, None
        if showing != self._showing:
            self._showing = showing
            self._switch_to(decision, now)
        video_wait = self._update_video(now)
        if self._transition is not None and self._draw_transition(now):
            return 0.0
        if self._dirty:
            self._present(self._static_frame())
            self._dirty = False
        if self.reporter.status_needed():
            self._write_status()
        if self.reporter.screenshot_due:
            self.reporter.write_screenshot(self.screen.read_pixels())
        wait = self.reporter.ping_watchdog(MAX_SLEEP_S)
        if decision.next_change is not None:
            wait = min(wait, max(0.0, self.clock.wall_seconds_until(decision.next_change)))
        if video_wait is not None:
            wait = min(wait, video_wait)
        if self._retry_at is not None:
            wait = min(wait, max(0.0, self._retry_at - time.monotonic()))
        if self.overlay_visible:
            wait = min(wait, OVERLAY_REFRESH_S)
            self._dirty = True
        return wait

    # -- video ---------------------------------------------------------------------------

    @property
    def video_active(self) -> bool:
        return self._playback is not None

    def _start_video(self, slide: Slide, key: SlideKey, first: pygame.Surface, start: datetime) -> pygame.Surface:
        """Start decoding; the screen shows a copy of the prepared first frame, updated in place
        (the cached original stays the first frame for the next showing)."""
        at = (self.clock.now() - start).total_seconds()
        ready, self._next_video = self._next_video, None
        if ready is not None and ready[0] == key and at < PRESTARTED_LATE_S:
            self._playback = (key, ready[1], start)
            return ready[1].surface
        if ready is not None:
            ready[1].close()
        playback = self._new_playback(slide, first)
        try:
            playback.start(at)
        except MediaError as error:
            log.warning("video %s not played: %s", slide.id, error)
            self.reporter.last_error = f"video {slide.id}: {error}"
            return first
        self._playback = (key, playback, start)
        return playback.surface

    def _stop_video(self) -> None:
        if self._playback is not None:
            _, playback, _ = self._playback
            self.dropped_frames += playback.dropped
            playback.close()
            self._playback = None

    def _start_next_video(self, slide: Slide, key: SlideKey, first: pygame.Surface) -> None:
        """Start decoding the upcoming video slide now, so its first frames are ready on its turn."""
        if self._next_video is not None and self._next_video[0] == key:
            return
        self._drop_next_video()
        playback = self._new_playback(slide, first)
        try:
            playback.start()
        except MediaError:
            playback.close()
            return  # said when its turn comes
        self._next_video = (key, playback)

    def _new_playback(self, slide: Slide, first: pygame.Surface) -> Playback:
        """A showing of ``slide`` on a copy of its prepared first frame (the cached one stays as it is)."""
        from player.render.playback import Playback  # PyAV is an optional extra

        return Playback(slide, self.painter.media, first.copy(), self.painter.fonts, self.video_decoder)

    def _drop_next_video(self) -> None:
        if self._next_video is not None:
            self._next_video[1].close()
            self._next_video = None

    def _update_video(self, now: datetime) -> float | None:
        """Show the frame due now; returns how soon the next one is due (None: no video)."""
        if self._playback is None:
            return None
        key, playback, start = self._playback
        seconds = (now - start).total_seconds()
        if playback.update(seconds):
            self.screen.refresh(key, playback.surface)
            self._dirty = True
        # Sleep until the next frame is due, not a whole frame period after this one's work.
        return playback.seconds_to_next(seconds) / self.clock.speed

    # -- the clock rule and the display's power -----------------------------------------

    def _timetable_now(self, now: datetime) -> Timetable:
        """The timetable, or while the clock is untrusted, the last played playlist alone."""
        guard = self.clock_guard
        if guard is None or guard.last is None or guard.trusted(now):
            return self.timetable
        if self._fallback is None or self._fallback[0] is not self.timetable:
            kept = guard.last.fallback(self.timetable.playlists)
            self._fallback = (self.timetable, Timetable(kept) if kept else self.timetable)
        return self._fallback[1]

    def _power_on(self, now: datetime) -> bool:
        """Follow ``display.on_hours``; off means a black frame, the panel off, and sleep."""
        assert self.power is not None
        on = self.power.is_on(now)
        if on != self._screen_on:
            self._screen_on = on
            change = self.power.next_change(now)
            log.info("display %s%s", "on" if on else "off", f" until {change.isoformat()}" if change else "")
            if on:
                self.display_power.set(True)
                self._showing, self._dirty = None, True
            else:
                self.reporter.slide_ended(now)
                self._transition = None
                self.screen.show(Frame(()), {}, None)
                # A black screen by schedule is a frame on screen too: a player started at night
                # must still say READY, or systemd times the start out and restarts it all night
                # (found on the emulated box).
                self.reporter.frame_presented()
                self.display_power.set(False)
                self.reporter.status_due = True
        if not on and self.reporter.status_needed():  # kept fresh all night: `signage status` judges by its age
            self._write_status()
        if not on and self.reporter.screenshot_due:  # a screenshot at night shows the black frame
            self.reporter.write_screenshot(self.screen.read_pixels())
        return on

    def _seconds_until_power_change(self, now: datetime) -> float:
        assert self.power is not None
        change = self.power.next_change(now)
        return MAX_SLEEP_S if change is None else max(0.0, self.clock.wall_seconds_until(change))

    # -- switching slides ----------------------------------------------------------------

    def _switch_to(self, decision: Decision, now: datetime) -> None:
        slide = decision.slide
        try:
            key, surface = self.painter.prepare(slide)
        except MediaNotReady as error:
            # Still being copied: look again shortly, without calling it an error.
            log.debug("slide %s waits: %s", _slide_id(decision), error)
            self._retry_at = time.monotonic() + NOT_READY_RETRY_S
            if self._on_screen is None:
                self._show_idle_instead()
            return
        except MediaError as error:
            # Skipped: the last good content stays on screen, and this is said once per turn.
            log.warning("slide %s skipped: %s", _slide_id(decision), error)
            self.reporter.last_error = f"slide {_slide_id(decision)} skipped: {error}"
            self.reporter.status_due = True
            if self._on_screen is None:
                self._show_idle_instead()
            return
        self.reporter.slide_started(decision, now)
        self._stop_video()
        if slide is not None and slide.kind == "video":
            surface = self._start_video(slide, key, surface, decision.slide_start or now)
        if key == self._on_screen and self._playback is None:
            return
        self._pinned[key] = surface
        self.reporter.status_due = True
        kind, seconds = (slide.transition, slide.transition_duration) if slide else IDLE_TRANSITION
        start = decision.slide_start or now
        outgoing = self._transition.incoming if self._transition else self._on_screen
        log.info("showing %s", _slide_id(decision))
        if outgoing is None or kind == "cut" or seconds <= 0 or (now - start).total_seconds() >= seconds:
            self._finish(key)
            return
        self._transition = _Transition(outgoing, key, kind, start, seconds)
        self.timer.begin(kind, _slide_id(decision))

    def _show_idle_instead(self) -> None:
        """Nothing good is on screen yet: the idle screen is better than a black window."""
        key, surface = self.painter.prepare(None)
        self._pinned[key] = surface
        self._finish(key)

    def _draw_transition(self, now: datetime) -> bool:
        """Draw one frame of the transition; False once it has finished."""
        transition = self._transition
        assert transition is not None
        progress = (now - transition.start).total_seconds() / transition.seconds
        if progress >= 1.0:
            self._finish(transition.incoming)
            return False
        frame = transition_frame(
            transition.outgoing, transition.incoming, transition.kind, progress, self.screen.logical
        )
        self._present(frame)
        self.timer.frame()
        self._pacer.tick(self.refresh_rate)
        return True

    def _finish(self, key: SlideKey) -> None:
        """``key`` is now fully on screen: end any transition and prepare what comes next."""
        self._transition = None
        self._on_screen = key
        self._dirty = True
        report = self.timer.end()
        if report is not None:
            self.reports.append(report)
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
        decision = self.decision
        keep: dict[Hashable, pygame.Surface] = {}
        if self._on_screen is not None and self._on_screen in self._pinned:
            keep[self._on_screen] = self._pinned[self._on_screen]
        if decision is not None and decision.next_change is not None:
            upcoming = self.timetable.at(decision.next_change)
            try:
                key, surface = self.painter.prepare(upcoming.slide)
                keep[key] = surface
                self.screen.preload(key, surface)
                if upcoming.slide is not None and upcoming.slide.kind == "video":
                    self._start_next_video(upcoming.slide, key, surface)
            except MediaError:
                pass  # said when its turn comes
        if self._next_video is not None and self._next_video[0] not in keep:
            self._drop_next_video()  # the schedule moved on: it will not be next after all
        self._pinned = keep
        self.screen.keep_only(keep)

    # -- drawing -------------------------------------------------------------------------

    def _static_frame(self) -> Frame:
        return Frame((Layer(self._on_screen),)) if self._on_screen is not None else Frame(())

    def _present(self, frame: Frame) -> None:
        overlay = self._overlay() if self.overlay_visible else None
        self.screen.show(frame, self._pinned, overlay)
        self.frames_presented += 1
        self.reporter.frame_presented()
        if self.on_present is not None:
            self.on_present(frame)

    def _overlay(self) -> pygame.Surface:
        from player.render.overlay import draw_overlay

        return draw_overlay(self)

    # -- reporting -----------------------------------------------------------------------

    def _write_status(self) -> None:
        decision = self.decision
        report = self.timer.last
        dropped = self.dropped_frames + (self._playback[1].dropped if self._playback else 0)
        status = Status(
            time=self.clock.now(),
            playlist=decision.playlist if decision else None,
            slide_id=decision.slide.id if decision and decision.slide else None,
            slide_index=decision.slide_index if decision else None,
            loaded=[p.name for p in self.timetable.playlists],
            problems=self.problems,
            content_version=self.content_version,
            extra=self.reporter.health(self.screen.name, self._screen_on, report.fps if report else None, dropped),
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
        # Sleep on a Waker, not pygame.event.wait(): pygame-ce polls for events every
        # millisecond inside it (measured: ~30 ms of CPU per static second, bench/RESULTS.md).
        # Messages, stop() and signals wake it; a preview window checks input every 50 ms.
        if self.interactive:
            seconds = min(seconds, INPUT_POLL_S)
        self._wakeup.wait(seconds)
        self._handle(pygame.event.get())

    def _drain_inbox(self) -> None:
        while True:
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                return
            message(self)

    def _handle(self, events: list[pygame.event.Event]) -> None:
        for event in events:
            if event.type == pygame.QUIT:
                self._stop = True
            elif event.type in (pygame.WINDOWEXPOSED, pygame.WINDOWRESTORED):
                self._dirty = True
            elif event.type == pygame.KEYDOWN and self.interactive:
                self._key(event.key)

    def _key(self, key: int) -> None:
        """Preview keys: space, arrows, f, i, q/Esc."""
        if key in (pygame.K_q, pygame.K_ESCAPE):
            self._stop = True
        elif key == pygame.K_SPACE:
            self.clock.resume() if self.clock.paused else self.clock.pause()
            self._dirty = True
        elif key == pygame.K_RIGHT and self.decision and self.decision.next_change:
            self.clock.jump(self.decision.next_change)
        elif key == pygame.K_LEFT and self.decision and self.decision.slide_start:
            previous = self.timetable.at(self.decision.slide_start - timedelta(microseconds=1))
            self.clock.jump(previous.slide_start or self.decision.slide_start)
        elif key == pygame.K_i:
            self.overlay_visible = not self.overlay_visible
            self._dirty = True
        elif key == pygame.K_f:
            self.post(lambda player: player._toggle_fullscreen())

    def _toggle_fullscreen(self) -> None:
        window = self.screen.window
        if self._fullscreen:
            window.set_windowed()
        else:
            window.set_fullscreen(desktop=True)
        self._fullscreen = not self._fullscreen
        pygame.mouse.set_visible(not self._fullscreen)
        self._dirty = True


def _showing_of(decision: Decision) -> Showing:
    """What identifies one showing of one slide (idle is one showing however long)."""
    if decision.playlist is None:
        return (IDLE_ID,)
    return (decision.playlist, decision.slide_index, decision.slide_start)


def _slide_id(decision: Decision) -> str:
    slide: Slide | None = decision.slide
    return f"{decision.playlist}/{slide.id}" if slide else IDLE_ID
