"""The content library: what the playlists folder holds, as of the last rescan.

Each playlist file keeps its last good version: a new version that fails validation is
not applied (the old one keeps playing) and its problems are listed instead. A file that
was modified very recently and does not load yet may still be being written, so its
problems are held back until it has settled. Media files are not read here; their stamps
(mtime, size) tell the caller what changed. Main thread only.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from player.content.durations import DurationCache, apply_durations, video_paths
from player.content.feedfiles import read_feeds
from player.content.folder import playlist_files, read_sources
from player.core.errors import Location, PlaylistError, Problem
from player.core.feeddata import Feed
from player.core.layout import Layout
from player.core.loader import check_layouts, read_playlist
from player.core.model import Playlist
from player.ops.statedir import StateDir

log = logging.getLogger(__name__)

Stamp = tuple[int, int]  # (mtime_ns, size)


@dataclass(frozen=True)
class Rescan:
    """The outcome of one rescan."""

    changed: bool  # the playlists or the media they can use differ from the last rescan
    playlists: tuple[Playlist, ...]
    problems: tuple[Problem, ...]
    unsettled: float | None  # seconds until a file still being written should have settled
    layouts: tuple[Layout, ...] = ()
    feeds: Mapping[str, Feed] = field(default_factory=dict)  # the feeds' data (media/feeds/*.json)


@dataclass
class _FileState:
    stamp: Stamp
    good: Playlist | Layout | None  # the file's last version that loaded
    problems: tuple[Problem, ...]


class ContentLibrary:
    """Rescans the playlists and media folders on request and remembers the last good content."""

    def __init__(
        self,
        playlists: Path,
        media: Path,
        default_timezone: str,
        *,
        settle: float = 1.0,
        wall: Callable[[], float] = time.time,
        state: Path | None = None,
    ) -> None:
        self.playlists_dir = playlists
        self.media_dir = media
        self.default_timezone = default_timezone
        self.settle = settle
        self._wall = wall
        self._files: dict[Path, _FileState] = {}
        self._media: dict[str, Stamp] = {}
        self.problems: tuple[Problem, ...] = ()
        self.playlists: tuple[Playlist, ...] = ()
        self.layouts: tuple[Layout, ...] = ()
        self.feeds: Mapping[str, Feed] = {}
        self.state = StateDir.at(state) if state is not None else None
        self.content_version: int | None = None
        self.videos = DurationCache(media, self.state.video_durations if self.state else None)

    def rescan(self) -> Rescan:
        """Look at both folders again; cheap when nothing changed (one stat a file)."""
        now = self._wall()
        wait: list[float] = []
        seen: set[Path] = set()
        changed = False
        for path in playlist_files(self.playlists_dir):
            seen.add(path)
            stamp = _stamp(path)
            state = self._files.get(path)
            if stamp is None or (state is not None and state.stamp == stamp):
                continue
            changed |= self._reload(path, stamp, state, now, wait)
        for path in [p for p in self._files if p not in seen]:
            log.info("playlist removed: %s", path.name)
            del self._files[path]
            changed = True
        media, young = _media_stamps(self.media_dir, now, self.settle)
        wait.extend(young.values())
        if media != self._media:
            self._media = media
            self.feeds = read_feeds(self.media_dir)  # new data is a new file version in media/feeds
            changed = True
        playlists, layouts, name_problems = self._unique(sorted(self._files.items()))
        # A video still being copied is hashed and probed once it has settled, not at every
        # rescan of the copy (it is a partial file until then).
        if videos := video_paths(playlists) - young.keys():
            playlists = apply_durations(playlists, self.videos.lengths(videos))
        problems = tuple(p for _, s in sorted(self._files.items()) for p in s.problems) + name_problems
        if problems != self.problems:
            for problem in problems:
                if problem not in self.problems:
                    log.warning("%s (not applied)", problem)
            changed = True
        self.problems, self.playlists, self.layouts = problems, playlists, layouts
        version = self._installed_version()
        if version != self.content_version:
            self.content_version, changed = version, True
        return Rescan(changed, playlists, problems, min(wait) if wait else None, layouts, self.feeds)

    def _installed_version(self) -> int | None:
        """The manifest version `signage sync` last installed (None without sync)."""
        return self.state.read_installed().version if self.state is not None else None

    def _reload(self, path: Path, stamp: Stamp, state: _FileState | None, now: float, wait: list[float]) -> bool:
        sources, read_problems = read_sources([path])
        try:
            if read_problems:
                raise PlaylistError(read_problems)
            reading = read_playlist(sources[str(path)], str(path), default_timezone=self.default_timezone)
            playlist = reading.playlist or reading.layout
            if playlist is None:
                raise PlaylistError(reading.problems)
        except PlaylistError as error:
            age = now - stamp[0] / 1e9
            if age < self.settle:
                # Maybe still being written (an editor saving in place, a slow copy): look
                # again once it has been quiet for `settle` before calling it broken.
                wait.append(self.settle - age)
                return False
            good = state.good if state else None
            self._files[path] = _FileState(stamp, good, error.problems)
            return True
        if state is None or state.good != playlist:
            what = "layout" if isinstance(playlist, Layout) else "playlist"
            log.info("%s %s: %s", what, "loaded" if state is None else "reloaded", path.name)
        self._files[path] = _FileState(stamp, playlist, ())
        return True

    @staticmethod
    def _unique(
        files: list[tuple[Path, _FileState]],
    ) -> tuple[tuple[Playlist, ...], tuple[Layout, ...], tuple[Problem, ...]]:
        """The playlists with unique names, the layouts whose zones name them, and why others are left out."""
        names: dict[str, Path] = {}
        problems: list[Problem] = []
        for path, state in files:
            if state.good is None or isinstance(state.good, Layout):
                continue
            if state.good.name in names:
                message = f"playlist name {state.good.name!r} is already used by {names[state.good.name].name}"
                problems.append(Problem(Location(str(path), 1, 1), "name", message))
                continue
            names[state.good.name] = path
        kept = tuple(
            s.good for p, s in files if isinstance(s.good, Playlist) and names.get(s.good.name) == p
        )
        layouts, layout_problems = check_layouts([s.good for _, s in files if isinstance(s.good, Layout)], set(names))
        return kept, layouts, (*problems, *layout_problems)


def _stamp(path: Path) -> Stamp | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


def _media_stamps(folder: Path, now: float, settle: float) -> tuple[dict[str, Stamp], dict[str, float]]:
    """Every file under ``folder`` by relative path, and the young ones with how long until they settle."""
    stamps: dict[str, Stamp] = {}
    young: dict[str, float] = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue  # temporary files of atomic writers
            path = Path(root, name)
            stamp = _stamp(path)
            if stamp is None:
                continue
            relative = path.relative_to(folder).as_posix()
            stamps[relative] = stamp
            age = now - stamp[0] / 1e9
            if age < settle:
                young[relative] = settle - age
    return stamps, young
