"""The ``run`` command: play the schedule on screen (and, with ``render``, the commands that draw).

pygame is imported only when one of these commands runs, so ``signage validate`` and
``signage schedule`` start fast and work without SDL. Each piece of the player is built by
a small function here and handed to :class:`~player.render.loop.Player` whole.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from player.cli.options import DEFAULT_SIZE, instant, size_option, zone_of
from player.cli.render import add_render_command, painter_for, prepared_cache, write_sheet
from player.core.config import Config
from player.core.errors import NoDisplay, PlayerError, UsageError
from player.ops.environment import Environment
from player.ops.statedir import StateDir

if TYPE_CHECKING:
    from concurrent.futures import Future

    from player.content.library import ContentLibrary
    from player.content.watch import FolderWatcher
    from player.core.scheduler import Timetable
    from player.fleet.uplink import Heartbeat, ProofUploader
    from player.media.prepared import PreparedCache
    from player.ops.clocktrust import ClockGuard
    from player.ops.notify import Notifier
    from player.ops.power import DisplayPower, PowerSchedule
    from player.render.kms import KmsPresenter
    from player.render.loop import Player
    from player.render.powergate import PowerGate
    from player.render.reporting import Reporter

log = logging.getLogger("player.run")

# Under a service manager, how long a start waits for a screen SDL cannot open yet before it
# fails, trying again every SCREEN_POLL_S: a start that fails at once is restarted at once
# (RestartSec=0), seconds of CPU each time, with a journal line that looks like a fault.
# The boot's own race, the player starting before the GPU driver has loaded, is not waited
# out here but before the service starts (systemd/signage-screen.service): the service's
# device allow-list is fixed when it starts, so no wait inside it could end that one.
SCREEN_WAIT_S = 30.0
SCREEN_POLL_S = 1.0

PREVIEW_KEYS = "space pause, right/left next/previous slide, f full screen, i info overlay, q or Esc quit"


def cmd_run(args: argparse.Namespace, config: Config, env: Environment) -> int:
    from player.content.library import ContentLibrary
    from player.ops.allocator import return_big_buffers_when_freed

    if args.speed <= 0:
        raise UsageError("--speed must be more than 0")
    return_big_buffers_when_freed()  # a screen runs for weeks: freed pictures go back to the system
    start = instant(args.at, config, "--at") if args.at else None
    size = size_option(args.size) or config.display.size
    library = ContentLibrary(
        config.playlists, config.media, config.timezone or "UTC", settle=config.watch.settle, state=config.state
    )
    library.rescan()
    from player.ops.notify import Notifier

    notifier = Notifier(env.environ)
    kept = _take_over_kept_screen(notifier)
    try:
        _open_display_patiently(env, notifier, kept_screen=kept is not None)
    except NoDisplay as error:
        return _sheet_instead(args, config, env, start, error)
    player = _player(args, config, env, _Run(start, size, notifier, library, kept, prepared_cache(config)))
    _make_sync_folder(config)
    log.info("playing %d playlist(s) from %s", len(library.playlists), config.playlists)

    def background() -> list[Background]:
        """What starts once the first frame is up."""
        _hand_screen_to_systemd(player, notifier, kept)
        watcher = _watcher(args, config, library, player)
        watcher.check_after(0)  # whatever changed in the folders since the rescan above
        return [watcher, *_uplinks(config, env, _status_path(args, config, env), config.screen_id or env.hostname())]

    _play(player, args.duration, notifier, background)
    return 0


def add_render_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``run`` and ``render``: the commands that draw."""
    run = commands.add_parser(
        "run",
        help="play the schedule on screen (full screen, or --windowed for a preview)",
        description=f"Play the scheduled content. Preview keys when windowed: {PREVIEW_KEYS}.",
    )
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--windowed", action="store_true", help="play in a window (a laptop preview)")
    mode.add_argument("--fullscreen", action="store_true", help="play full screen (the default from config)")
    run.add_argument("--size", metavar="WxH", help="window or screen size, e.g. 1920x1080")
    run.add_argument("--at", metavar="T", help="start the content clock at T (ISO 8601) instead of now")
    run.add_argument("--speed", type=float, default=1.0, metavar="N", help="content time runs N times faster")
    run.add_argument("--duration", type=float, metavar="S", help="exit after S real seconds")
    run.add_argument("--renderer", choices=("auto", "gpu", "software"), help="override display.renderer")
    run.add_argument("--status", type=Path, metavar="FILE", help="status file (default: STATE/status.json)")
    run.add_argument("--poll", action="store_true", help="poll the folders (network filesystems) instead of inotify")
    run.add_argument(
        "--or-sheet",
        type=Path,
        metavar="FILE",
        help="if no display can be opened, write the contact sheet of --at's day to FILE instead",
    )
    run.set_defaults(command=cmd_run)
    add_render_command(commands)


@dataclass(frozen=True)
class _Run:
    """What cmd_run has worked out before the player is built."""

    start: datetime | None  # content time to start at (None: now)
    size: tuple[int, int] | None
    notifier: Notifier
    library: ContentLibrary
    kept: KmsPresenter | None  # the screen a player before this one kept (render/kms.py)
    prepared: PreparedCache | None  # the prepared-slide cache, shared by the first picture and the painter


def _take_over_kept_screen(notifier: Notifier) -> KmsPresenter | None:
    """The screen systemd kept for this service through a restart, taken over; None on a fresh start.

    When it cannot be used, systemd is told to let it go, so that SDL can open the display.
    """
    from player.ops.notify import KEPT_SCREEN
    from player.render.display import take_over_screen

    fd = notifier.handed_back.get(KEPT_SCREEN)
    if fd is None:
        return None
    kept = take_over_screen(fd)
    if kept is None:
        notifier.forget(KEPT_SCREEN)
    return kept


def _hand_screen_to_systemd(player: Player, notifier: Notifier, kept: KmsPresenter | None) -> None:
    """Hand the screen's device to systemd, so that a crash leaves the last frame up (render/kms.py),
    and vouch for the frames on it from now on (player/ops/notify.py)."""
    from player.ops.notify import KEPT_SCREEN
    from player.render.display import screen_to_keep

    if not notifier.enabled:
        return
    if kept is None:
        fd = screen_to_keep(player.screen)
        if fd is None:
            return
        notifier.store(KEPT_SCREEN, fd)
        log.info("the screen is kept by systemd: after a crash its last frame stays up until the player is back")
    notifier.vouch()


def _player(args: argparse.Namespace, config: Config, env: Environment, run: _Run) -> Player:
    """The render loop on a newly opened screen, with every piece it needs."""
    from player.core.scheduler import Timetable
    from player.ops.clock import ScaledClock
    from player.render.display import open_player_screen, refresh_rate
    from player.render.loop import Loaded, Player, PlayOptions

    fullscreen = not args.windowed and (args.fullscreen or config.display.fullscreen)
    renderer = args.renderer or config.display.renderer
    timetable = Timetable(run.library.playlists)
    first = None if run.kept else _first_picture(config, env, run, fullscreen, timetable)
    screen, fonts = open_player_screen(
        run.size,
        fullscreen,
        renderer,
        config.display.rotate,
        config.fonts,
        kept=run.kept,
        gl_note=StateDir.at(config.state).gl_note,
        environ=env.environ,
    )
    # The next picture is decoded on a thread while the loop presents.
    painter = painter_for(
        config,
        env,
        screen.logical,
        fonts,
        settle=config.watch.settle,
        decode_ahead=True,
        prepared=run.prepared,
        first=first[1] if first is not None and first[0] == screen.logical else None,
    )
    status_path = _status_path(args, config, env)
    display_power = _display_power(config, env)
    real_clock = run.start is None and args.speed == 1
    # Preview keys only in a window: a keyboard left plugged into a billboard must not stop it.
    options = PlayOptions(refresh_rate(run.kept), not fullscreen, fullscreen, config.video_decoder, zone_of(config).key)
    return Player(
        timetable,
        ScaledClock(run.start, args.speed, monotonic=env.monotonic, wall=env.now),
        screen,
        painter,
        options=options,
        loaded=Loaded(run.library.problems, run.library.content_version),
        power=_power_gate(config, display_power, _clock_guard(config, status_path, real_clock, run.notifier)),
        reporter=_reporter(config, env, status_path, run.notifier, display_power, real_clock),
        monotonic=env.monotonic,
        layouts=run.library.layouts,
        feeds=run.library.feeds,
    )


def _first_picture(
    config: Config, env: Environment, run: _Run, fullscreen: bool, timetable: Timetable
) -> tuple[tuple[int, int], Future[None]] | None:
    """The first slide's picture, decoding for the frame size the window is expected to have.

    The size is known before the window opens (the one asked for, else the desktop's, else
    a window's default), so the photo is decoded while the window and renderer open. The
    painter takes it only if the window came out that size.
    """
    from player.render.screen import DEFAULT_WINDOW, desktop_size, logical_size
    from player.render.slides import decode_first_picture

    physical = run.size or (desktop_size() if fullscreen else DEFAULT_WINDOW)
    logical = logical_size(physical, config.display.rotate)
    slide = timetable.at(run.start or env.now()).slide
    settled_before = env.now().timestamp() - config.watch.settle
    first = decode_first_picture(
        run.prepared,
        config.media,
        slide,
        logical,
        int(config.max_megapixels * 1_000_000),
        settled_before=settled_before,
    )
    return (logical, first) if first is not None else None


def _status_path(args: argparse.Namespace, config: Config, env: Environment) -> Path:
    status: Path | None = args.status
    if status is None:
        return StateDir.at(config.state).status
    return status if status.is_absolute() else env.cwd / status


def _reporter(
    config: Config,
    env: Environment,
    status_path: Path,
    notifier: Notifier,
    display_power: DisplayPower,
    real_clock: bool,
) -> Reporter:
    """Status, screenshots and proof of play. Proof of play is what advertisers pay on, so a
    run on a simulated clock (``--at``, ``--speed``) writes none: its plays never happened."""
    from player.ops.proof import ProofLog, ProofWriter
    from player.render.reporting import Reporter

    state = StateDir.at(config.state)
    if not real_clock:
        log.info("a preview on a simulated clock (--at or --speed): no proof of play is written")
    return Reporter(
        notifier=notifier,
        status_path=status_path,
        screenshot_path=state.screenshot,
        proof=ProofWriter(ProofLog(state.proof, keep_days=config.reporting.keep_days)) if real_clock else None,
        screen_id=config.screen_id or env.hostname(),
        media=config.media,
        display_power=display_power.method,
        wall=env.now,
        monotonic=env.monotonic,
    )


def _make_sync_folder(config: Config) -> None:
    try:
        StateDir.at(config.state).make()
    except OSError as error:  # a read-only or broken state folder must not keep the screen dark
        log.warning("state folder %s not writable (%s): no status, proof or screenshots", config.state, error)


def _watcher(args: argparse.Namespace, config: Config, library: ContentLibrary, player: Player) -> FolderWatcher:
    """Watches the folders and rescans them on its own thread; the loop gets only the result.

    A rescan reads new playlists, and hashes and probes new `duration: auto` videos: a large
    video dropped in takes seconds, which on the loop's thread would freeze the screen (and
    a slow enough one trip the watchdog). The library is the watcher's alone once the loop
    runs: nothing else touches it after the first frame.
    """
    from player.content.watch import FolderWatcher
    from player.core.scheduler import Timetable
    from player.render.loop import Loaded

    def rescan() -> None:
        result = library.rescan()
        if result.unsettled is not None:
            watcher.check_after(result.unsettled + 0.05)
        if result.changed:
            timetable, loaded = Timetable(result.playlists), Loaded(result.problems, library.content_version)
            player.post(lambda target: target.reload(timetable, loaded, result.layouts, result.feeds))

    watcher = FolderWatcher(
        [config.playlists, config.media],
        rescan,
        debounce=config.watch.debounce,
        rescan_every=config.watch.rescan_every,
        poll=args.poll or config.watch.poll,
        # `signage sync` writes the installed version here last: the status follows it.
        extra=[StateDir.at(config.state).sync],
    )
    return watcher


class Background(Protocol):
    """A thread beside the loop (the folder watcher, the uplinks): started, then stopped at the end."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def _play(
    player: Player, duration: float | None, notifier: Notifier, background: Callable[[], list[Background]]
) -> None:
    """Run the loop with its threads and signal handlers; stop them all however it ends.

    The first frame goes up before the threads are built and started: after a crash the
    screen is dark until it does (the box's kill -9 check allows 5 s, and importing and
    starting watchdog took 0.1 s of them on the emulated box).
    """
    from player.render.display import close_display

    threads: list[Background] = []
    with _signals(player):
        try:
            player.step()
            threads = background()
            for thread in threads:
                thread.start()
            player.run(duration)
        finally:
            notifier.stopping()
            for thread in threads:
                thread.stop()
            close_display()


def _open_display_patiently(env: Environment, notifier: Notifier, *, kept_screen: bool) -> None:
    """Open the display; a service waits up to :data:`SCREEN_WAIT_S` for one to appear.

    Run by hand (no ``NOTIFY_SOCKET``), a missing display is said at once. While waiting, the
    service manager hears a status and watchdog pings, and one log line says why.

    Raises:
        NoDisplay: still none at the end of the wait.
    """
    from player.render.display import open_display

    began = time.monotonic()
    until = began + (SCREEN_WAIT_S if notifier.enabled else 0.0)
    waiting = False
    while True:
        try:
            open_display(env.environ, headless=False, kept_screen=kept_screen)
        except NoDisplay as error:
            if time.monotonic() >= until:
                raise
            if not waiting:
                waiting = True
                log.info("no screen yet (%s): waiting up to %.0f s for one to appear", error, SCREEN_WAIT_S)
                notifier.status("waiting for a screen")
            notifier.alive()
            time.sleep(SCREEN_POLL_S)
            continue
        if waiting:
            log.info("the screen appeared after %.1f s", time.monotonic() - began)
        return


def _sheet_instead(
    args: argparse.Namespace, config: Config, env: Environment, start: datetime | None, error: NoDisplay
) -> int:
    """No display: an hour's contact sheet from --at (or now) with --or-sheet, else the error."""
    if args.or_sheet is None:
        raise PlayerError(
            f"no display to play on ({error}). On a desktop run it inside the session; on a bare "
            "console check that this user may open /dev/dri (video and render groups); or use "
            "`signage render` to write pictures without a display."
        ) from None
    print(f"No display available ({error}); writing the contact sheet instead.", file=env.stderr)
    begin = start or env.now().astimezone(zone_of(config))
    size = size_option(args.size) or config.display.size or DEFAULT_SIZE
    out: Path = args.or_sheet if args.or_sheet.is_absolute() else env.cwd / args.or_sheet
    return write_sheet(config, env, (begin, begin + timedelta(hours=1)), size, out)


def _uplinks(config: Config, env: Environment, status_path: Path, screen_id: str) -> list[Heartbeat | ProofUploader]:
    """Heartbeat and proof-of-play upload threads, for the URLs that are configured."""
    reporting = config.reporting
    if not (reporting.heartbeat_url or reporting.proof_url):
        return []  # nothing to send: not even `requests` is loaded
    import requests

    from player.fleet.uplink import Heartbeat, ProofUploader

    token = env.environ.get("SIGNAGE_TOKEN") or config.sync.token
    threads: list[Heartbeat | ProofUploader] = []
    if reporting.heartbeat_url and _token_safe("heartbeat_url", reporting.heartbeat_url, token):
        threads.append(
            Heartbeat(reporting.heartbeat_url, status_path, reporting.heartbeat_interval, token, requests.Session())
        )
    if reporting.proof_url and _token_safe("proof_url", reporting.proof_url, token):
        threads.append(
            ProofUploader(
                reporting.proof_url,
                StateDir.at(config.state).proof,
                screen_id,
                reporting.proof_interval,
                token,
                requests.Session(),
                today=env.now,
            )
        )
    return threads


def _token_safe(field: str, url: str, token: str | None) -> bool:
    """False (and one warning) when the token would cross the network in clear to ``url``:
    nothing is sent there, as `signage sync` refuses to start in that case. The screen plays on."""
    from player.fleet.sync import token_in_clear

    if token and token_in_clear(url):
        log.warning(
            "reporting.%s %s is plain http to another machine: the token would travel in clear, so nothing "
            "is sent there; use an https:// URL",
            field,
            url,
        )
        return False
    return True


def _power_gate(config: Config, display_power: DisplayPower, guard: ClockGuard | None) -> PowerGate:
    from player.render.powergate import PowerGate

    return PowerGate(_power_schedule(config), display_power, guard)


def _power_schedule(config: Config) -> PowerSchedule | None:
    from player.ops.power import PowerSchedule

    hours = config.display.on_hours
    return PowerSchedule(config.timezone or "UTC", hours) if hours is not None else None


def _display_power(config: Config, env: Environment) -> DisplayPower:
    """The configured commands, else the first method that works here (asked only when
    on_hours can switch the panel off: probing HDMI-CEC registers the Pi with the TV)."""
    from player.ops.power import DisplayPower

    display = config.display
    if display.on_hours is None:
        power = DisplayPower(None, None, "none")
    elif display.power_off_command or display.power_on_command:
        power = DisplayPower(display.power_off_command, display.power_on_command)
    else:
        power = DisplayPower.detect(env.environ)
    log.info("display power: %s", power.describe())
    return power


def _clock_guard(config: Config, status_path: Path, real_clock: bool, notifier: Notifier) -> ClockGuard | None:
    """The clock rule applies to the real clock only; ``auto`` applies it under systemd."""
    from player.ops.clocktrust import ClockGuard, newest_issue_time, read_last_played

    wanted = config.display.require_synced_clock
    if not real_clock or wanted == "no" or (wanted == "auto" and not notifier.enabled):
        return None
    return ClockGuard(read_last_played(status_path), newest_issue_time(config.state))


@contextlib.contextmanager
def _signals(player: Player) -> Iterator[None]:
    """SIGTERM and SIGINT stop the loop cleanly; SIGUSR1 writes a screenshot."""
    handlers = {
        signal.SIGTERM: lambda *_: player.stop(),
        signal.SIGINT: lambda *_: player.stop(),
        signal.SIGUSR1: lambda *_: player.request_screenshot(),
    }
    previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
