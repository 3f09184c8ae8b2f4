"""``signage feeds``: the live-data process (feeds and web-page snapshots into the media folder).

The fleet modules, requests and feedparser are imported only when it runs.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from typing import TYPE_CHECKING

from player.cli.command import ExitStatus, add_command
from player.cli.fleet import _stop_on_signals

if TYPE_CHECKING:
    from player.cli.command import Subcommands
    from player.core.config import Config
    from player.ops.environment import Environment

log = logging.getLogger("player.fleet")


def add_feeds_command(commands: Subcommands) -> None:
    """``signage feeds [--once]``."""
    feeds = add_command(commands, "feeds", cmd_feeds)
    feeds.add_argument(
        "--once", action="store_true", help="fetch every source and snapshot every web page once; exit 1 if any failed"
    )


def cmd_feeds(args: argparse.Namespace, config: Config, env: Environment) -> int:
    """fetch live data (RSS, Atom, JSON, text) and web-page snapshots into the media folder

    Each source of the config's `feeds` section is fetched on its own schedule into
    media/feeds/NAME.json; every web page the content shows is snapshotted with headless
    Chromium into media/web/. A failure keeps the last good data. Runs until stopped
    (signage-feeds.service), or with --once makes one pass (docs/feeds.md).
    """
    from player.fleet.feeds import FeedService, Folders, screen_size
    from player.ops.notify import Notifier

    config.media.mkdir(parents=True, exist_ok=True)
    folders = Folders(
        media=config.media,
        playlists=config.playlists,
        timezone=config.timezone or "UTC",
        screen=screen_size(config.display.size, config.display.rotate),
    )
    # Under systemd (Type=notify, WatchdogSec=): ready at once, alive between jobs and while waiting.
    notifier = Notifier(env.environ)
    service = FeedService(config.feeds, folders, now=env.now, alive=notifier.alive, report=notifier.status)
    if args.once:
        return ExitStatus.OK if service.pass_once() else ExitStatus.CONTENT_ERROR
    stop = threading.Event()
    _stop_on_signals(stop, (signal.SIGTERM, signal.SIGINT))
    names = ", ".join(source.name for source in config.feeds.sources) or "none"
    log.info("feeds: sources %s; web pages from %s", names, config.playlists)
    notifier.ready()
    try:
        return service.run(stop)
    finally:
        notifier.stopping()
        notifier.close()
        service.session.close()
