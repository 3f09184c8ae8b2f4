"""Watching the content folders: watchdog events are hints, a quiet period triggers a rescan.

The watcher never reads content and never touches the render loop's state: it only calls
``on_change`` (which posts a message to the loop) when the folders have been quiet for the
debounce time after an event, when a full rescan is due, or when :meth:`check_after` asked.
Events that never stop (a log written beside the folders every 0.2 s, a copy that takes
minutes) cannot hold a rescan back for longer than ``max_wait``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

log = logging.getLogger(__name__)


class FolderWatcher:
    """Debounced change notifications for a few folders. ``start``/``stop`` are idempotent."""

    def __init__(
        self,
        folders: Sequence[Path],
        on_change: Callable[[], None],
        *,
        debounce: float = 0.3,
        max_wait: float = 2.0,
        rescan_every: float = 60.0,
        poll: bool = False,
        extra: Sequence[Path] = (),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folders = tuple(folders)
        self.extra = tuple(extra)  # watched alone: not recursively, not their parents
        self.on_change = on_change
        self.debounce = debounce
        self.max_wait = max(max_wait, debounce)
        self.rescan_every = rescan_every
        self.poll = poll
        self._monotonic = monotonic
        self._cond = threading.Condition()
        self._pending = False
        self._last_event = 0.0
        self._first_event = 0.0  # of the events not yet rescanned for
        self._check_at: float | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._observer: BaseObserver | None = None
        self._inodes: dict[Path, int | None] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping = False
        self._watch()
        self._thread = threading.Thread(target=self._run, name="folder-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._unwatch()

    def check_after(self, seconds: float) -> None:
        """Call ``on_change`` again after ``seconds`` (a file was still being written)."""
        with self._cond:
            due = self._monotonic() + seconds
            self._check_at = due if self._check_at is None else min(self._check_at, due)
            self._cond.notify_all()

    def notice(self) -> None:
        """Something changed (an event, or a test): rescan once things are quiet."""
        with self._cond:
            now = self._monotonic()
            if not self._pending:
                self._pending, self._first_event = True, now
            self._last_event = now
            self._cond.notify_all()

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        next_full = self._monotonic() + self.rescan_every
        while True:
            with self._cond:
                now = self._monotonic()
                self._cond.wait(max(0.0, self._wake_at(next_full) - now))
                if self._stopping:
                    return
                now = self._monotonic()
                fire = self._take_due(now)
                full = now >= next_full
                if full:
                    next_full, fire = now + self.rescan_every, True
            if full or self._folders_replaced():
                self._rewatch()
            if fire:
                self._fire()

    def _wake_at(self, next_full: float) -> float:
        """The earliest of the full rescan, the end of the quiet period and a check asked for. Caller holds the lock."""
        deadlines = [next_full]
        if self._pending:
            deadlines.append(self._rescan_due())
        if self._check_at is not None:
            deadlines.append(self._check_at)
        return min(deadlines)

    def _take_due(self, now: float) -> bool:
        """Clear what is due at ``now`` (quiet period over, check come due); True if any was. Caller holds the lock."""
        fire = False
        if self._pending and now >= self._rescan_due():
            self._pending, fire = False, True
        if self._check_at is not None and now >= self._check_at:
            self._check_at, fire = None, True
        return fire

    def _rescan_due(self) -> float:
        """When pending events get their rescan: after a quiet ``debounce``, at most ``max_wait`` after the first."""
        return min(self._last_event + self.debounce, self._first_event + self.max_wait)

    def _fire(self) -> None:
        try:
            self.on_change()
        except Exception:  # the watcher must outlive any one bad callback
            log.exception("content change handler failed")

    # -- watchdog --------------------------------------------------------------------------

    def _watch(self) -> None:
        observer: BaseObserver = PollingObserver(timeout=1.0) if self.poll else Observer()
        everything = _Hint(self)
        # The parents too: a whole folder replaced at once (rename over it) is an event
        # there, and the watch on the old folder would go on watching the old inode. Only
        # events about the folders themselves count: whatever else is written beside them
        # (a log, the state folder) is none of the content's business.
        about_the_folders = _Hint(self, only={_normal(folder) for folder in self.folders})
        watches = [
            *((folder, True, everything) for folder in self.folders),
            *((folder.parent, False, about_the_folders) for folder in self.folders),
            *((extra, False, everything) for extra in self.extra),
        ]
        watched: set[Path] = set()
        for folder in self.folders:
            self._inodes[folder] = _inode(folder)
        for path, recursive, handler in watches:
            if path in watched or not path.is_dir():
                continue
            try:
                observer.schedule(handler, str(path), recursive=recursive)
                watched.add(path)
            except OSError as error:
                log.warning("cannot watch %s (%s); relying on the periodic rescan", path, error)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def _unwatch(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None

    def _folders_replaced(self) -> bool:
        return any(_inode(folder) != inode for folder, inode in self._inodes.items())

    def _rewatch(self) -> None:
        if self._folders_replaced():
            log.info("a content folder was replaced; watching the new one")
            self._unwatch()
            self._watch()
            self.notice()


class _Hint(FileSystemEventHandler):
    """Tells the watcher of a change; with ``only``, of a change to one of those paths alone."""

    def __init__(self, watcher: FolderWatcher, only: set[str] | None = None) -> None:
        self.watcher = watcher
        self.only = only

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reads (our own included) change nothing
        if self.only is not None and not {_normal(event.src_path), _normal(event.dest_path)} & self.only:
            return
        self.watcher.notice()


def _normal(path: str | bytes | Path) -> str:
    """A path as events name it, for comparing (watchdog's are str or bytes, "" when absent)."""
    return os.path.normpath(os.fsdecode(path)) if path else ""


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None
