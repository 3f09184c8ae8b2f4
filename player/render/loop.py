"""The render loop: the one owner of pygame's display and of every Surface on screen.

Each turn it asks what is on stage (a layout, or the full-screen playlists: :class:`StagePlan`)
and lets each channel (the whole screen, or each zone of the layout) follow its timetable:
a channel starts a transition when its answer changes. The loop draws frames at the
display's refresh rate while anything moves (a transition, a ticker), and otherwise sleeps
until the next change or an input event. The next slide of a channel is prepared right
after its transition ends, long before its turn, so no blank or half-drawn frame ever shows.
Other threads talk to the loop only through :meth:`Player.post`.

The loop holds the screen and the frame; its pieces hold the rest: the channels
(:mod:`player.render.channel`, :mod:`player.render.widgetzone`), the transition rule
(:mod:`player.render.transition`), on_hours and the clock rule (:class:`PowerGate`), the
preview keys (:class:`PreviewKeys`), what it tells the world (:class:`Reporter`) and real
time (a :class:`Pacer` and a monotonic clock, both handed in).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pygame

from player.core.errors import Problem
from player.core.feeddata import Feed
from player.core.layout import Layout
from player.core.model import Slide
from player.core.scheduler import Decision, Timetable
from player.core.stage import Stage, StagePlan
from player.ops.clock import ScaledClock
from player.ops.environment import Environment
from player.ops.status import Status
from player.render.channel import SlideChannel
from player.render.frame import Frame, Layer
from player.render.inbox import Inbox
from player.render.keys import PreviewKeys
from player.render.overlay import OverlayView, draw_overlay
from player.render.pacing import Pacer, RealPacer
from player.render.powergate import PowerGate
from player.render.reporting import Reporter
from player.render.screen import Screen, desktop_size
from player.render.slides import IDLE_ID, Painter
from player.render.stats import FrameTimer, TransitionReport
from player.render.videoslot import VideoSlot
from player.render.widgetzone import Channel, zone_channels

log = logging.getLogger(__name__)

REPORTS_KEPT = 100
MAX_SLEEP_S = 1.0  # even a static screen wakes this often, so signals and quit are prompt
OVERLAY_REFRESH_S = 0.5
SETTLE_MIN_SLEEP_S = 0.1  # a sleep this long is on a static frame: present it again first
SETTLE_STEP_S = 0.02  # between those presents
FULL_SCREEN = "(full screen)"  # the channel's name when no layout is on stage
INPUT_POLL_S = 0.05  # how often a preview window looks at the keyboard while a slide is static


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


class Player:
    """Plays a timetable (and its layouts) on a screen. Construct whole, then :meth:`run` (or :meth:`step`)."""

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
        layouts: Sequence[Layout] = (),
        feeds: Mapping[str, Feed] | None = None,
    ) -> None:
        self.loaded = loaded
        self.power = power or PowerGate()
        self.clock = clock
        self.screen = screen
        self.reporter = reporter or Reporter(media=painter.media, monotonic=monotonic)
        self.painter = painter
        self.options = options
        self.on_present = on_present  # called with every frame presented (tests, benchmarks)
        self.timer = FrameTimer(monotonic, keep=REPORTS_KEPT)
        self.keys = PreviewKeys(clock, enabled=options.interactive, fullscreen=options.fullscreen)
        self.feeds: Mapping[str, Feed] = feeds or {}
        self._monotonic = monotonic
        self._pacer = pacer or RealPacer()
        self._inbox: Inbox[Player] = Inbox(self._pacer.wake)
        self._dirty = True
        self._stop = False
        self._set_content(timetable, layouts)
        self._layout: Layout | None = None
        self.channels: list[Channel] = []
        self._main: SlideChannel = self._full_screen_channel()
        self.channels = [self._main]
        self._share_feeds()

    # -- control from elsewhere ----------------------------------------------------------

    def post(self, message: Callable[[Player], None]) -> None:
        """Hand the loop a message (called on its own thread). Thread-safe."""
        self._inbox.post(message)

    def stop(self) -> None:
        self._stop = True
        self._pacer.wake()

    def reload(
        self,
        timetable: Timetable,
        loaded: Loaded = Loaded(),
        layouts: Sequence[Layout] = (),
        feeds: Mapping[str, Feed] | None = None,
    ) -> None:
        """Swap in new content in one step (called between transitions, never during one).

        The schedule takes over from the current instant; a slide that is unchanged (same
        slide, same file versions) stays on screen without a transition.
        """
        self._set_content(timetable, layouts)
        self.loaded = loaded
        if feeds is not None:
            self.feeds = feeds
            self._share_feeds()
        # The stage is set again at the next turn, each channel given its new timetable; a zone (or
        # the whole screen) that is the same in the new content keeps its slide on screen.
        self._restage = True
        self.reporter.changed()

    def _set_content(self, timetable: Timetable, layouts: Sequence[Layout]) -> None:
        self.timetable = timetable
        self.plan = StagePlan(timetable.playlists, layouts)
        self._stage: Stage | None = None  # asked of the plan again at the next turn
        self._restage = True  # new content: every channel takes its new timetable at the next turn
        self._stage_asked = datetime.min.replace(tzinfo=UTC)
        if not layouts:
            self.plan.full_screen = timetable  # the same schedule, and its memo, as without layouts
        self.painter.use_playlists(timetable.playlists)

    def request_screenshot(self) -> None:
        """Write the current frame to the reporter's screenshot path soon (safe from a signal handler)."""
        self.reporter.want_screenshot()
        self._pacer.wake()

    # -- what benchmarks and tests read ---------------------------------------------------

    @property
    def decision(self) -> Decision | None:
        """What the main channel (the whole screen, or a layout's main zone) shows."""
        return self._main.decision

    @property
    def on_screen(self) -> Hashable | None:
        return self._main.on_screen

    @property
    def layout(self) -> Layout | None:
        """The layout on stage (None: full-screen playlists)."""
        return self._layout

    @property
    def reports(self) -> deque[TransitionReport]:
        """The latest transitions' frame timings."""
        return self.timer.reports

    @property
    def video(self) -> VideoSlot:
        return self._main.video

    @property
    def dropped_frames(self) -> int:
        return sum(channel.video.dropped for channel in self._slide_channels())

    @property
    def video_active(self) -> bool:
        return any(channel.video.active for channel in self._slide_channels())

    # -- the channel's host (player.render.channel.Host) ----------------------------------

    def monotonic(self) -> float:
        return self._monotonic()

    def content_now(self) -> datetime:
        return self.clock.now()

    def refresh(self, key: Hashable, surface: pygame.Surface) -> None:
        self.screen.refresh(key, surface)

    def preload(self, key: Hashable, surface: pygame.Surface) -> None:
        self.screen.preload(key, surface)

    def slide_started(self, decision: Decision, now: datetime) -> None:
        self.reporter.slide_started(decision, now)
        self.reporter.changed()

    def failed(self, what: str) -> None:
        self.reporter.failed(what)
        self.reporter.changed()

    def release_unpinned(self) -> None:
        self.screen.keep_only(self._pinned())

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
            for channel in self.channels:
                channel.close()

    def step(self) -> float:
        """One turn: update, draw if needed; returns how long (real seconds) it may sleep."""
        if not any(channel.moving for channel in self._slide_channels()):
            self._inbox.deliver(self)  # content changes wait for a running transition to finish
        now = self.clock.now()
        if not self._power_on(now):
            until_change = self.power.seconds_until_change(now, self.clock, MAX_SLEEP_S)
            return min(self.reporter.ping_watchdog(MAX_SLEEP_S), until_change)
        stage_wait = self._set_stage(now)
        waits = [stage_wait, *self._advance(now)]
        if any(channel.moving for channel in self.channels):
            self._present(self._frame(now))
            self.timer.frame()
            self._presented()
            # Paced after presenting, so that the next frame is drawn for the instant it is shown
            # at (a wait between drawing and presenting would show every frame a wait late).
            self.timer.waiting(lambda: self._pacer.tick(self.options.refresh_rate))
            return 0.0
        if self._dirty or any(channel.changed for channel in self.channels):
            arrived = any(channel.ahead_due for channel in self.channels)
            self._present(self._frame(now))
            self._dirty = False
            # Onto the glass before the next slide's preparation, which can take a moment (on the
            # emulated box it kept a restarted player's first frame off the screen for 0.5 s).
            while arrived and self.screen.settle():
                pass
            self._presented()
        self._report()
        return self._sleep_for([wait for wait in waits if wait is not None])

    def _advance(self, now: datetime) -> list[float | None]:
        """Every channel follows its schedule to ``now``; what each wants of the next turn (real seconds)."""
        waits: list[float | None] = []
        for channel in self.channels:
            if isinstance(channel, SlideChannel):
                timetable = self.power.timetable_now(channel.timetable, now) if channel.main else channel.timetable
                video_wait = channel.advance(timetable, now)
                if video_wait is not None:
                    # Sleep until the next frame is due, not a whole frame period after this one's work.
                    waits.append(video_wait / self.clock.speed)
                waits.append(channel.wake_in(self.clock.wall_seconds_until))
            else:
                channel.advance(now, self.feeds)
                waits.append(channel.wake_in(self.clock.wall_seconds_until))
        return waits

    def _sleep_for(self, waits: list[float]) -> float:
        """Real seconds until something is due: a watchdog ping, a change, a video frame, a retry."""
        wait = min([self.reporter.ping_watchdog(MAX_SLEEP_S), *waits])
        if self.keys.overlay:
            wait = min(wait, OVERLAY_REFRESH_S)
            self._dirty = True
        return wait

    # -- the stage: full screen or a layout ------------------------------------------------

    def _set_stage(self, now: datetime) -> float | None:
        """Put the layout on stage now (or the full-screen channel); real seconds until the stage may change."""
        stage = self._stage
        if stage is None or now < self._stage_asked or (stage.next_change is not None and now >= stage.next_change):
            stage = self._stage = self.plan.at(now)  # it holds until its next change, as a decision does
        self._stage_asked = now
        if self._restage or stage.layout != self._layout or not self.channels:
            self._restage = False
            self._change_stage(stage.layout)
        if stage.next_change is None:
            return None
        return max(0.0, self.clock.wall_seconds_until(stage.next_change))

    def _change_stage(self, layout: Layout | None) -> None:
        previous = {channel.name: channel for channel in self.channels}
        if layout is None:
            channels: list[Channel] = [self._full_screen_channel(previous.get(FULL_SCREEN))]
        else:
            decoder = self.options.video_decoder
            channels = zone_channels(layout, self.plan, self.painter, self, previous, decoder, self.timer)
        main = next((c for c in channels if isinstance(c, SlideChannel) and c.main), None)
        for channel in self.channels:
            if channel not in channels:
                channel.close()
        if main is None:
            # A layout of widgets only: an invisible main channel still keeps the status's slide fields empty.
            main = SlideChannel(FULL_SCREEN, (0, 0, 0, 0), Timetable(()), self.painter, self, main=True)
        if self._main is not main and self._main not in channels:
            self.reporter.slide_ended(self.clock.now())
        if layout != self._layout or not self.channels:
            log.info("on stage: %s", f"layout {layout.name}" if layout else "full-screen playlists")
        self._main, self.channels, self._layout = main, channels, layout
        self._share_feeds()
        self._dirty = True
        self.reporter.changed()

    def _full_screen_channel(self, kept: Channel | None = None) -> SlideChannel:
        if isinstance(kept, SlideChannel) and kept.area is None:
            kept.reload(self.plan.full_screen)
            return kept
        return SlideChannel(
            FULL_SCREEN,
            None,
            self.plan.full_screen,
            self.painter,
            self,
            video_decoder=self.options.video_decoder,
            main=True,
            timer=self.timer,
        )

    def _share_feeds(self) -> None:
        """Every painter fills its texts' ``{feed.field}`` from the same, latest data."""
        self.painter.feeds = self.feeds
        for channel in self._slide_channels():
            channel.painter.feeds = self.feeds

    def _slide_channels(self) -> list[SlideChannel]:
        return [channel for channel in self.channels if isinstance(channel, SlideChannel)]

    def _pinned(self) -> dict[Hashable, pygame.Surface]:
        pinned: dict[Hashable, pygame.Surface] = {}
        for channel in self.channels:
            pinned.update(channel.pinned)
        return pinned

    def _presented(self) -> None:
        for channel in self.channels:
            channel.presented()

    # -- the display's power -------------------------------------------------------------

    def _power_on(self, now: datetime) -> bool:
        """Follow ``display.on_hours``; off means a black frame, the panel off, and sleep."""
        turned = self.power.turned(now)
        if turned is True:
            self.power.switch(True)
            self._layout, self.channels = None, []  # the stage and its channels start afresh
            self._dirty = True
        elif turned is False:
            self._go_dark(now)
        if not self.power.on:
            # The status is kept fresh all night (`signage status` judges by its age), and a
            # screenshot at night shows the black frame.
            self._report()
        return self.power.on

    def _go_dark(self, now: datetime) -> None:
        self.reporter.slide_ended(now)
        for channel in self.channels:
            channel.close()
        self.screen.show(Frame(()), {}, None)
        # A black screen by schedule is a frame on screen too: a player started at night
        # must still say READY, or systemd times the start out and restarts it all night
        # (found on the emulated box).
        self.reporter.frame_presented()
        self.power.switch(False)
        self.reporter.changed()

    # -- drawing -------------------------------------------------------------------------

    def _frame(self, now: datetime) -> Frame:
        """The frame at ``now``: every channel's layers, bottom zone first, over the layout's background."""
        layers: list[Layer] = []
        for channel in self.channels:
            layers.extend(channel.layers(now))
        background = self._layout.background if self._layout is not None else (0, 0, 0, 255)
        return Frame(tuple(layers), background)

    def _present(self, frame: Frame) -> None:
        overlay = self._overlay() if self.keys.overlay else None
        self.screen.show(frame, self._pinned(), overlay)
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
            dropped_frames=self.dropped_frames,
            video_active=self.video_active,
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
        fps = report.fps if report else None
        extra = self.reporter.health(self.screen.name, self.power.on, fps, self.dropped_frames)
        if self._layout is not None:
            extra["layout"] = self._layout.name
        status = Status(
            time=self.clock.now(),
            playlist=decision.playlist if decision else None,
            slide_id=decision.slide.id if decision and decision.slide else None,
            slide_index=decision.slide_index if decision else None,
            loaded=[p.name for p in self.timetable.playlists],
            problems=self.loaded.problems,
            content_version=self.loaded.version,
            extra=extra,
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
        effect = self.keys.handle(events, self.decision, self._main.timetable)
        self._stop = self._stop or effect.stop
        self._dirty = self._dirty or effect.redraw
        if effect.fullscreen:
            self.post(lambda player: player._toggle_fullscreen())

    def _toggle_fullscreen(self) -> None:
        # The frame keeps its layout (the screen scales it to the window): only the window changes.
        self.keys.toggle_fullscreen(self.screen.window, desktop_size())
        self._dirty = True


def _slide_id(decision: Decision) -> str:
    slide: Slide | None = decision.slide
    return f"{decision.playlist}/{slide.id}" if slide else IDLE_ID
