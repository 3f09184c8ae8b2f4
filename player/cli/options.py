"""What the commands share: command-line values parsed against the config, and the timetable."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from player.content.durations import DurationCache, apply_durations, video_paths
from player.content.feedfiles import read_feeds
from player.content.folder import load_folder
from player.core.config import Config, parse_size
from player.core.errors import UsageError
from player.core.feeddata import Feed
from player.core.layout import Layout
from player.core.scheduler import Timetable
from player.core.values import parse_instant
from player.ops.environment import Environment
from player.ops.statedir import StateDir

log = logging.getLogger("player")

DEFAULT_SIZE = (1920, 1080)  # the screen headless commands lay out for when display.size is auto


def zone_of(config: Config) -> ZoneInfo:
    """The configured time zone (UTC if none): where naive times are, and how times are shown."""
    return ZoneInfo(config.timezone or "UTC")


def instant(text: str, config: Config, option: str) -> datetime:
    """Parse a command-line time; naive times are in the configured zone."""
    try:
        return parse_instant(text, zone_of(config))
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None


def in_cwd(path: Path, env: Environment) -> Path:
    """A path from the command line: a relative one is relative to where the command was run."""
    return path if path.is_absolute() else env.cwd / path


def size_option(text: str | None, option: str = "--size") -> tuple[int, int] | None:
    """``WxH`` from the command line, or None if it was not given."""
    if text is None:
        return None
    try:
        return parse_size(text)
    except ValueError as error:
        raise UsageError(f"{option}: {error}") from None


class Content(NamedTuple):
    """What the folder holds, as a headless render shows it."""

    timetable: Timetable
    layouts: tuple[Layout, ...]
    feeds: dict[str, Feed]


def load_content(config: Config, env: Environment) -> Content:
    """The playlists that load, with the layouts and the feeds' data; problems are logged, not fatal."""
    timetable, layouts = _load(config, env)
    return Content(timetable, layouts, read_feeds(config.media))


def load_timetable(config: Config, env: Environment) -> Timetable:
    """The timetable of the playlists that load; problems are logged, not fatal."""
    return _load(config, env)[0]


def _load(config: Config, env: Environment) -> tuple[Timetable, tuple[Layout, ...]]:
    result = load_folder(config.playlists, config.timezone or "UTC")
    for problem in result.problems:
        log.warning("%s (playlist skipped)", problem)
    playlists = result.playlists
    if video_paths(playlists):
        from player.media.video import av_available

        if av_available():
            cache = DurationCache(config.media, StateDir.at(config.state).video_durations)
            playlists = apply_durations(playlists, cache.lengths(video_paths(playlists)))
    return Timetable(playlists), result.layouts
