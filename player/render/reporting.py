"""What the render loop tells the world: systemd (READY, WATCHDOG, STATUS), the status file,
proof of play and screenshots. The loop calls it; it never changes what is shown."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pygame

from player import __version__
from player.core.scheduler import Decision
from player.ops.environment import Environment
from player.ops.liveness import process_start
from player.ops.notify import Notifier
from player.ops.proof import COMPLETE_TOLERANCE_S, Play, ProofLog, ProofWriter
from player.ops.statedir import LastSync, StateDir
from player.ops.status import STATUS_REFRESH_S, Status, write_status
from player.render.software import save_png

log = logging.getLogger(__name__)


@dataclass
class Reporter:
    """Reports for one run of the player. Main thread only.

    ``wall`` (aware) stamps the status file; ``monotonic`` times the watchdog, the status
    refresh and the uptime. The CLI hands in its Environment's clocks; tests, fake ones.
    """

    notifier: Notifier = field(default_factory=lambda: Notifier({}))
    status_path: Path | None = None
    screenshot_path: Path | None = None
    proof: ProofLog | ProofWriter | None = None
    screen_id: str = "screen"
    media: Path = Path(".")
    display_power: str = "none"  # how the panel is switched outside on_hours (player.ops.power)
    wall: Callable[[], datetime] = Environment.now
    monotonic: Callable[[], float] = Environment.monotonic
    last_error: str | None = field(default=None, init=False)
    status_due: bool = field(default=True, init=False)
    screenshot_due: bool = field(default=False, init=False)
    started: datetime = field(init=False)
    _pid_start: int | None = field(init=False)
    _started_mono: float = field(init=False)
    _status_written: float = field(default=0.0, init=False)
    _ready_sent: bool = field(default=False, init=False)
    _next_ping: float = field(init=False)
    _play: tuple[Decision, datetime] | None = field(default=None, init=False)  # what is on screen, since when
    _status_failing: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.started = self.wall()
        self._pid_start = process_start(os.getpid())
        self._started_mono = self._next_ping = self.monotonic()

    # -- systemd ---------------------------------------------------------------------------

    def frame_presented(self) -> None:
        if not self._ready_sent:
            self._ready_sent = True  # systemd's READY: the first frame is on screen
            self.notifier.ready()

    def ping_watchdog(self, idle: float) -> float:
        """Send WATCHDOG=1 when due; returns real seconds until the next one (at most ``idle``).
        The ping comes from the loop itself, so a hung loop stops the pings and systemd restarts us."""
        interval = self.notifier.watchdog_interval
        if interval is None:
            return idle
        now = self.monotonic()
        if now >= self._next_ping:
            self.notifier.watchdog()
            self._next_ping = now + interval
        return max(0.0, min(idle, self._next_ping - now))

    # -- what the loop tells it ---------------------------------------------------------------

    def changed(self) -> None:
        """What is on screen or loaded changed: write the status at the next chance."""
        self.status_due = True

    def failed(self, message: str) -> None:
        """Something could not be shown: the status file's ``last_error`` (the loop has logged it)."""
        self.last_error = message

    def want_screenshot(self) -> None:
        """Write a screenshot at the next chance (safe from a signal handler: it only sets a flag)."""
        self.screenshot_due = True

    # -- proof of play ---------------------------------------------------------------------

    def slide_started(self, decision: Decision, now: datetime) -> None:
        self.slide_ended(now)
        self._play = (decision, now) if decision.playlist is not None else None

    def slide_ended(self, now: datetime) -> None:
        """The slide on screen has left it: write its proof-of-play line."""
        play, self._play = self._play, None
        if play is None or self.proof is None:
            return
        decision, started = play
        slide = decision.slide
        if slide is None or decision.playlist is None or now <= started:
            return
        tolerance = timedelta(seconds=COMPLETE_TOLERANCE_S)
        completed = (
            decision.slide_start is not None
            and decision.slide_end is not None
            and abs(started - decision.slide_start) <= tolerance
            and abs(now - decision.slide_end) <= tolerance
        )
        self.proof.played(
            Play(
                screen=self.screen_id,
                playlist=decision.playlist,
                slide_id=slide.id,
                media=slide.media,
                sha256=None,  # the proof's own thread hashes the file: seconds for a large video
                start=started,
                end=now,
                completed=completed,
            ),
            self.media / slide.media if slide.media else None,
        )

    def close(self) -> None:
        """The run is over: write the proof still pending."""
        if self.proof is not None:
            self.proof.close()

    # -- the status file -------------------------------------------------------------------

    def status_needed(self) -> bool:
        return self.status_due or self.monotonic() - self._status_written >= STATUS_REFRESH_S

    def write_status(self, status: Status, slide_label: str) -> None:
        self.status_due = False
        self._status_written = self.monotonic()
        self.notifier.status(f"playing {slide_label}")
        if self.status_path is None:
            return
        try:
            write_status(self.status_path, status)
        except OSError as error:  # a full or read-only disk must not stop the screen
            if not self._status_failing:
                log.warning("cannot write the status file %s (%s); will keep trying", self.status_path, error)
            self._status_failing = True
            return
        if self._status_failing:
            self._status_failing = False
            log.info("the status file is written again")

    def health(self, renderer: str, display_on: bool, fps: float | None, dropped: int) -> dict[str, object]:
        """What the operator wants at a glance, beside what is playing."""
        state = self.status_path.parent if self.status_path else None
        sync = StateDir.at(state).read_last_sync() if state else LastSync(None, None)
        try:
            free = shutil.disk_usage(state).free if state else None
        except OSError:
            free = None
        return {
            "screen": self.screen_id,
            "pid": os.getpid(),  # for `signage screenshot` and operators
            "pid_start": self._pid_start,  # with pid, names this process (player.ops.liveness)
            "written": self.wall().isoformat(),  # wall clock: "time" is content time
            "player_version": __version__,
            "started": self.started.isoformat(),
            "uptime_s": round(self.monotonic() - self._started_mono, 1),
            "renderer": renderer,
            "display_on": display_on,
            "display_power": self.display_power,
            "last_sync": sync.last_success,
            "last_sync_error": sync.last_error,
            "last_error": self.last_error,
            "last_transition_fps": round(fps, 1) if fps is not None else None,
            "dropped_video_frames": dropped,
            "disk_free_bytes": free,
        }

    # -- screenshots -----------------------------------------------------------------------

    def write_screenshot(self, pixels: pygame.Surface) -> None:
        self.screenshot_due = False
        if self.screenshot_path is None:
            return
        try:
            save_png(pixels, self.screenshot_path)
            log.info("screenshot written to %s", self.screenshot_path)
        except (OSError, pygame.error) as error:
            log.warning("cannot write the screenshot %s: %s", self.screenshot_path, error)
