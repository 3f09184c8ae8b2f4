"""Video lengths for the scheduler: ``duration: auto`` becomes the file's own length.

The scheduler is pure, so lengths are probed at the I/O edge when playlists load, and
cached by the file's sha256 (in STATE/video-durations.json), so a file is probed once
however often it is renamed or reloaded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from player.core.errors import MediaError
from player.core.model import Playlist
from player.media.files import check_in_folder
from player.ops.hashing import sha256_file
from player.ops.statedir import read_durations, write_durations

log = logging.getLogger(__name__)


def apply_durations(playlists: Iterable[Playlist], lengths: Mapping[str, float]) -> tuple[Playlist, ...]:
    """Fill in ``duration: auto`` video slides from ``lengths`` (by media path). Pure.

    A transition longer than the video is shortened to half of it, so the clip still
    gets its turn on screen.
    """
    result = []
    for playlist in playlists:
        slides = []
        for slide in playlist.slides:
            if slide.kind == "video" and slide.duration is None and slide.media and slide.media in lengths:
                length = lengths[slide.media]
                transition = min(slide.transition_duration, length / 2)
                slide = replace(slide, duration=length, transition_duration=transition)
            slides.append(slide)
        result.append(replace(playlist, slides=tuple(slides)))
    return tuple(result)


def video_paths(playlists: Iterable[Playlist]) -> set[str]:
    """The media paths of video slides whose length must be probed."""
    return {s.media for p in playlists for s in p.slides if s.kind == "video" and s.duration is None and s.media}


class DurationCache:
    """Probes video lengths, remembering them by content hash in ``cache_file`` (``StateDir.video_durations``)."""

    def __init__(self, media: Path, cache_file: Path | None) -> None:
        self.media = media
        self.cache_file = cache_file
        self._by_hash: dict[str, float] = self._load()
        self._hash_of: dict[str, tuple[tuple[int, int], str]] = {}  # path -> ((mtime, size), sha256)
        self.problems: dict[str, str] = {}  # path -> why it could not be probed

    def lengths(self, paths: Iterable[str]) -> dict[str, float]:
        from player.media.video import probe

        found: dict[str, float] = {}
        changed = False
        self.problems = {}
        for path in sorted(paths):
            file = self.media / path
            try:
                info = check_in_folder(file, self.media)  # hashing a FIFO or /dev/zero would never end
                stamp = (info.st_mtime_ns, info.st_size)
                cached = self._hash_of.get(path)
                if cached is None or cached[0] != stamp:  # one entry per file, its latest version
                    cached = self._hash_of[path] = (stamp, sha256_file(file)[0])
                digest = cached[1]
                if digest not in self._by_hash:
                    self._by_hash[digest] = probe(file).duration
                    changed = True
                found[path] = self._by_hash[digest]
            except (OSError, MediaError) as error:
                self.problems[path] = str(error)
        if changed:
            self._save()
        return found

    def _load(self) -> dict[str, float]:
        return read_durations(self.cache_file) if self.cache_file is not None else {}

    def _save(self) -> None:
        if self.cache_file is None:
            return
        try:
            write_durations(self.cache_file, self._by_hash)
        except OSError as error:
            log.warning("cannot save the video length cache %s: %s", self.cache_file, error)
