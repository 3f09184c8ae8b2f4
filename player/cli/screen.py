"""The ``run`` and ``render`` subcommands: the parts of the CLI that need pygame.

pygame is imported only when one of these commands runs, so ``signage validate`` and
``signage schedule`` start fast and work without SDL.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from player.core.errors import NoDisplay, PlayerError, UsageError
from player.ops.atomic import write_atomic

if TYPE_CHECKING:
    from player.core.config import Config
    from player.fleet.uplink import Heartbeat, ProofUploader
    from player.ops.clocktrust import ClockGuard
    from player.ops.environment import Environment
    from player.ops.notify import Notifier
    from player.ops.power import DisplayPower, PowerSchedule
    from player.render.loop import Player
    from player.render.slides import Painter
    from player.render.text import FontFile

log = logging.getLogger("player.run")


def add_render_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    run = commands.add_parser(
        "run",
        help="play the schedule on screen (full screen, or --windowed for a preview)",
        description="Play the scheduled content. Preview keys when windowed: space pause, right/left next/"
        "previous slide, f full screen, i info overlay, q or Esc quit.",
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

    render = commands.add_parser(
        "render",
        help="write what the screen shows at an instant (or a contact sheet) to a PNG, without a display",
        description="Headless and deterministic: the frame at T, mid-transition if T falls in one.",
    )
    render.add_argument("--at", metavar="T", help="the instant to render")
    render.add_argument("--sheet", action="store_true", help="a contact sheet of each slide in --from..--to")
    render.add_argument("--from", dest="start", metavar="T1", help="start of the contact sheet's span")
    render.add_argument("--to", dest="end", metavar="T2", help="end of the contact sheet's span")
    render.add_argument("--out", type=Path, required=True, metavar="FILE.png", help="where to write the PNG")
    render.add_argument("--size", metavar="WxH", help="screen size (default: display.size, else 1920x1080)")
    render.set_defaults(command=cmd_render)


def _init_pygame(headless: bool) -> None:
    if headless:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    # Only the display and fonts: no audio device is opened (billboards are silent).
    import pygame
    import pygame.freetype

    try:
        pygame.display.init()
    except pygame.error as error:
        raise NoDisplay(str(error)) from None
    driver = pygame.display.get_driver()
    if not headless and driver in ("offscreen", "dummy") and os.environ.get("SDL_VIDEODRIVER") != driver:
        # SDL falls back to an invisible driver when it finds no screen: playing there
        # would look like success while nobody sees anything.
        pygame.display.quit()
        raise NoDisplay(f"SDL found no screen (it offered its {driver!r} driver)")
    pygame.freetype.init()


def _painter(
    config: Config, size: tuple[int, int], settle: float = 0.0, fonts: Future[list[FontFile | None]] | None = None
) -> Painter:
    from player.render.slides import Painter
    from player.render.text import FontChain

    return Painter(
        config.media,
        size,
        FontChain.resolve(config.fonts, fonts.result() if fonts else None),
        margins=config.display.margins,
        max_megapixels=config.max_megapixels,
        idle=config.idle,
        settle=settle,
    )


def cmd_run(args: argparse.Namespace, config: Config, env: Environment) -> int:
    from player.cli.options import instant, size_option
    from player.content.library import ContentLibrary
    from player.ops.clock import ScaledClock

    if args.speed <= 0:
        raise UsageError("--speed must be more than 0")
    start = instant(args.at, config, "--at") if args.at else None
    size = size_option(args.size) or config.display.size
    library = ContentLibrary(
        config.playlists, config.media, config.timezone or "UTC", settle=config.watch.settle, state=config.state
    )
    library.rescan()
    try:
        _init_pygame(headless=False)
    except NoDisplay as error:
        if args.or_sheet is None:
            raise PlayerError(
                f"no display to play on ({error}). On a desktop run it inside the session; on a bare "
                "console check that this user may open /dev/dri (video and render groups); or use "
                "`signage render` to write pictures without a display."
            ) from None
        print(f"No display available ({error}); writing the contact sheet instead.", file=env.stderr)
        return _sheet_for_demo(args, config, env, start)

    import pygame

    from player.content.watch import FolderWatcher
    from player.core.scheduler import Timetable
    from player.ops.notify import Notifier
    from player.ops.proof import ProofLog
    from player.render.loop import Player
    from player.render.screen import logical_size, open_screen, open_window
    from player.render.text import locate_fonts

    fullscreen = not args.windowed and (args.fullscreen or config.display.fullscreen)
    # Fonts are looked up while the window and renderer open: both are on the way to the first frame.
    with ThreadPoolExecutor(1) as lookup:
        fonts = lookup.submit(locate_fonts, config.fonts)
        window = open_window(size, fullscreen)
        screen = open_screen(window, args.renderer or config.display.renderer, config.display.rotate)
        logical = logical_size(window.size, config.display.rotate)
        painter = _painter(config, logical, settle=config.watch.settle, fonts=fonts)
    status = args.status if args.status is None or args.status.is_absolute() else env.cwd / args.status
    status_path = status or config.state / "status.json"
    notifier = Notifier()
    display_power = _display_power(config, env)
    # Preview keys only in a window: a keyboard left plugged into a billboard must not stop it.
    player = Player(
        Timetable(library.playlists),
        ScaledClock(start, args.speed),
        screen,
        painter,
        refresh_rate=max(30.0, min(240.0, float(_refresh_rate()))),
        interactive=not fullscreen,
        fullscreen=fullscreen,
        status_path=status_path,
        screenshot_path=config.state / "screenshot.png",
        notifier=notifier,
        power=_power_schedule(config),
        display_power=display_power,
        clock_guard=_clock_guard(config, status_path, real_clock=start is None and args.speed == 1, notifier=notifier),
        proof=ProofLog(config.state / "proof", keep_days=config.reporting.keep_days),
        screen_id=config.screen_id or socket.gethostname(),
        video_decoder=config.video_decoder,
    )
    player.problems = library.problems
    player.reporter.display_power = display_power.method
    player.content_version = library.content_version

    def rescan(target: Player) -> None:
        result = library.rescan()
        if result.unsettled is not None:
            watcher.check_after(result.unsettled + 0.05)
        if result.changed:
            target.reload(Timetable(result.playlists), result.problems, library.content_version)

    try:
        (config.state / "sync").mkdir(parents=True, exist_ok=True)
    except OSError as error:  # a read-only or broken state folder must not keep the screen dark
        log.warning("state folder %s not writable (%s): no status, proof or screenshots", config.state, error)
    watcher = FolderWatcher(
        [config.playlists, config.media],
        lambda: player.post(rescan),
        debounce=config.watch.debounce,
        rescan_every=config.watch.rescan_every,
        poll=args.poll or config.watch.poll,
        # `signage sync` writes the installed version here last: the status follows it.
        extra=[config.state / "sync"],
    )
    log.info("playing %d playlist(s) from %s", len(library.playlists), config.playlists)
    uplinks = _uplinks(config, env, status_path, player.reporter.screen_id)
    with _signals(player):
        watcher.start()
        for uplink in uplinks:
            uplink.start()
        try:
            player.run(args.duration)
        finally:
            player.reporter.notifier.stopping()
            watcher.stop()
            for uplink in uplinks:
                uplink.stop()
            pygame.display.quit()
    return 0


def _uplinks(config: Config, env: Environment, status_path: Path, screen_id: str) -> list[Heartbeat | ProofUploader]:
    """Heartbeat and proof-of-play upload threads, for the URLs that are configured."""
    reporting = config.reporting
    if not (reporting.heartbeat_url or reporting.proof_url):
        return []  # nothing to send: not even `requests` is loaded
    import requests

    from player.fleet.uplink import Heartbeat, ProofUploader

    token = env.environ.get("SIGNAGE_TOKEN") or config.sync.token
    threads: list[Heartbeat | ProofUploader] = []
    if reporting.heartbeat_url:
        threads.append(
            Heartbeat(reporting.heartbeat_url, status_path, reporting.heartbeat_interval, token, requests.Session())
        )
    if reporting.proof_url:
        threads.append(
            ProofUploader(
                reporting.proof_url,
                config.state / "proof",
                screen_id,
                reporting.proof_interval,
                token,
                requests.Session(),
            )
        )
    return threads


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


def _clock_guard(config: Config, status_path: Path, *, real_clock: bool, notifier: Notifier) -> ClockGuard | None:
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


def _refresh_rate() -> int:
    import pygame

    try:
        rates = pygame.display.get_desktop_refresh_rates()
    except (pygame.error, AttributeError):
        return 60
    return rates[0] if rates and rates[0] > 0 else 60


def _sheet_for_demo(args: argparse.Namespace, config: Config, env: Environment, start: object) -> int:
    from datetime import datetime, timedelta

    from player.cli.options import zone_of

    begin = start if isinstance(start, datetime) else datetime.now(zone_of(config))
    sheet_args = argparse.Namespace(
        at=None,
        sheet=True,
        start=begin.isoformat(),
        end=(begin + timedelta(hours=1)).isoformat(),
        out=args.or_sheet,
        size=args.size,
    )
    return cmd_render(sheet_args, config, env)


def cmd_render(args: argparse.Namespace, config: Config, env: Environment) -> int:
    from player.cli.options import instant, load_timetable, size_option, zone_of

    size = size_option(args.size) or config.display.size or (1920, 1080)
    if args.sheet:
        if not (args.start and args.end):
            raise UsageError("--sheet needs --from and --to")
        start, end = instant(args.start, config, "--from"), instant(args.end, config, "--to")
        if end <= start:
            raise UsageError("--to must be after --from")
    elif not args.at:
        raise UsageError("give --at T (or --sheet --from T1 --to T2)")
    timetable = load_timetable(config, env)
    _init_pygame(headless=True)
    import pygame

    from player.render.headless import contact_sheet, render_at
    from player.render.screen import logical_size

    painter = _painter(config, logical_size(size, config.display.rotate) if not args.sheet else size)
    if args.sheet:
        picture = contact_sheet(timetable, painter, start, end, zone_of(config))
    else:
        picture = render_at(timetable, painter, instant(args.at, config, "--at"), config.display.rotate)
    out: Path = args.out if args.out.is_absolute() else env.cwd / args.out
    write_atomic(out, lambda handle: pygame.image.save(picture, handle, "out.png"))
    print(out, file=env.stdout)
    return 0
