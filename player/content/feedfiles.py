"""Reading the feeds' data files, ``media/feeds/<name>.json``, for the player's text and tickers.

``signage feeds`` writes them (player/fleet/feeds.py); this is the player's side. A broken
file is skipped with one log line and the others are still read: one bad feed never takes
the rest off the screen.
"""

from __future__ import annotations

import logging
from pathlib import Path

from player.core.errors import FeedDataError, MediaError
from player.core.feeddata import MAX_FILE_BYTES, NAME, Feed, parse_feed_file
from player.media.files import open_regular

log = logging.getLogger(__name__)

FEEDS_FOLDER = "feeds"  # under the media folder; player.fleet.feeds writes there


def read_feeds(media: Path) -> dict[str, Feed]:
    """Every feed whose data file in ``media/feeds`` reads, by name.

    Only files named ``<name>.json`` with a feed's name (so no hidden or temporary files, such
    as the writer's ``.news.json.*.tmp``), each opened without following links and read at
    most :data:`~player.core.feeddata.MAX_FILE_BYTES` (+1, to tell a file that is too big).
    """
    folder = media / FEEDS_FOLDER
    try:
        paths = sorted(folder.iterdir())
    except OSError:  # no feeds yet
        return {}
    feeds: dict[str, Feed] = {}
    for path in paths:
        name = path.name.removesuffix(".json")
        if path.suffix != ".json" or not NAME.fullmatch(name):
            continue
        feed = _read(path, name)
        if feed is not None:
            feeds[name] = feed
    return feeds


def _read(path: Path, name: str) -> Feed | None:
    try:
        with open_regular(path) as handle:
            return parse_feed_file(handle.read(MAX_FILE_BYTES + 1), name)
    except (OSError, MediaError, FeedDataError) as error:
        why = error.strerror if isinstance(error, OSError) and error.strerror else str(error).removeprefix(f"{path}: ")
        log.warning("feed data %s skipped: %s", path, why)
        return None
