"""The folder watcher on real folders and inotify: what makes it rescan, and how soon."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from player.content.watch import FolderWatcher


class Calls:
    """When ``on_change`` was called, in seconds since the test began."""

    def __init__(self) -> None:
        self.began = time.monotonic()
        self.at: list[float] = []
        self.lock = threading.Lock()

    def __call__(self) -> None:
        with self.lock:
            self.at.append(time.monotonic() - self.began)


@pytest.fixture
def folders(tmp_path: Path) -> Iterator[tuple[Path, Calls]]:
    for name in ("playlists", "media"):
        (tmp_path / name).mkdir()
    calls = Calls()
    watcher = FolderWatcher([tmp_path / "playlists", tmp_path / "media"], calls, debounce=0.3, max_wait=1.0)
    watcher.start()
    try:
        yield tmp_path, calls
    finally:
        watcher.stop()


def write_every(path: Path, seconds: float, every: float = 0.1) -> None:
    """Append a line to ``path`` every ``every`` seconds for ``seconds``: a copy, or a log."""
    end = time.monotonic() + seconds
    with path.open("a") as file:
        while time.monotonic() < end:
            file.write("x" * 100 + "\n")
            file.flush()
            time.sleep(every)


def test_a_copy_that_never_pauses_still_gets_rescans(folders: tuple[Path, Calls]) -> None:
    """Events every 0.1 s never leave the 0.3 s quiet period: without max_wait the folder
    was never rescanned while they went on (a playlist dropped meanwhile did not show)."""
    root, calls = folders
    write_every(root / "media" / "slow-copy.mp4", 3.0)
    during = [t for t in calls.at if t < 3.0]
    assert len(during) >= 2, calls.at
    assert all(later - earlier <= 1.5 for earlier, later in itertools.pairwise(during)), calls.at


def test_files_written_beside_the_folders_change_nothing(folders: tuple[Path, Calls]) -> None:
    """The parent is watched for the folders being replaced: a log beside them is no change."""
    root, calls = folders
    write_every(root / "player.log", 1.5)
    time.sleep(0.6)  # past the quiet period after the last line
    assert calls.at == [], calls.at
    (root / "playlists").rename(root / "old")
    (root / "playlists").mkdir()  # the folder replaced: an event in the parent that counts
    time.sleep(0.8)
    assert len(calls.at) >= 1, calls.at
