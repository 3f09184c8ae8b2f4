"""``signage feeds``: live data and web-page snapshots, each on its own schedule, into the media folder.

Its own process, like ``signage sync``: a stalled server or a page that never loads can never
freeze the screen. The media folder is all it shares with the player, and it writes there
as a person would, atomically:

- each configured source (config ``feeds.sources``) every ``every`` seconds, into
  ``media/feeds/<name>.json`` (player.core.feeddata). A failed fetch keeps the last good
  items, fields and ``fetched`` time, and only records its ``error`` and ``tried`` time;
- each web page the content shows (player.core.webpages, from the content folder re-read
  every :data:`RESCAN_EVERY` seconds, so new ``web:`` slides are picked up), into its
  ``media/web/<hash>.png`` (player.fleet.webshot).

A job that fails is retried sooner than its interval (:func:`next_due`), and one line is
logged when a job's state changes, not at every try.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import requests

from player.content.folder import load_folder
from player.core.config import FeedsConfig, FeedSource
from player.core.errors import FeedDataError, FeedError, WebshotError
from player.core.feeddata import MAX_ERROR, Feed, clean_text, feed_file_bytes, frozen_fields, parse_feed_file
from player.core.webpages import WebPage, web_pages
from player.fleet.feedsources import fetch_source
from player.fleet.webshot import find_browser, png_size, take_snapshot
from player.ops.atomic import write_bytes_atomic

log = logging.getLogger(__name__)

FEEDS_FOLDER = "feeds"  # under the media folder
RETRY_FIRST = 30.0  # seconds after a first failure; doubling after each further one, up to the interval
RESCAN_EVERY = 30.0  # the content folder is re-read this often for the web pages it shows
ALIVE_EVERY = 5.0  # how often a waiting service tells systemd's watchdog it is alive
_UNKNOWN = "(not tried yet)"  # a job's state before its first try: any outcome is a change


def next_due(now: float, every: float, failures: int) -> float:
    """When a job runs again, at ``now`` just after a try: ``every`` after a success; after
    ``failures`` failures in a row, 30 s, 60 s, 120 s ... but never later than ``every``."""
    if failures <= 0:
        return now + every
    return now + min(every, RETRY_FIRST * 2.0 ** min(failures - 1, 30))


def first_due(now: float, every: float, age: float | None) -> float:
    """When a job first runs in a started service: at once, unless its last good result (``age``
    seconds old; None: none) is still fresh, then when it is ``every`` old (a restart does not
    fetch everything again)."""
    if age is None or not 0 <= age < every:
        return now
    return now + (every - age)


def feed_path(media: Path, name: str) -> Path:
    """``media/feeds/<name>.json``: named by the configured source's name, never by anything it sent."""
    return media / FEEDS_FOLDER / f"{name}.json"


def screen_size(size: tuple[int, int] | None, rotate: int) -> tuple[int, int]:
    """The logical screen web pages are taken at: ``display.size`` (1920x1080 by default), turned for 90/270."""
    width, height = size or (1920, 1080)
    return (height, width) if rotate in (90, 270) else (width, height)


@dataclass(frozen=True)
class Folders:
    """Where the service reads and writes, and what it needs to know of the screen."""

    media: Path
    playlists: Path
    timezone: str
    screen: tuple[int, int]


def content_pages(folders: Folders) -> tuple[WebPage, ...]:
    """The web pages the playlists and layouts in the content folder show (files with problems are left out)."""
    content = load_folder(folders.playlists, folders.timezone)
    return web_pages(content.playlists, content.layouts, folders.screen)


@dataclass
class _Job:
    """One source's or page's schedule, by ``monotonic`` seconds; ``state`` is its last error or "ok"."""

    label: str  # what log lines call it: "feed news", "web page https://..."
    every: float
    due: float
    failures: int = 0
    state: str = _UNKNOWN


class FeedService:
    """The feeds process: :meth:`pass_once` does every job once; :meth:`run` keeps their schedules."""

    def __init__(
        self,
        settings: FeedsConfig,
        folders: Folders,
        *,
        session: requests.Session | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        alive: Callable[[], None] = lambda: None,
        report: Callable[[str], None] = lambda _: None,
        pages: Callable[[], tuple[WebPage, ...]] | None = None,
    ) -> None:
        """``alive`` is called between jobs and while waiting (systemd's watchdog); ``report``
        gets a line after every job (systemd's STATUS=); ``pages`` says which web pages to
        snapshot (default: the ones the content folder shows, :func:`content_pages`)."""
        self.settings = settings
        self.folders = folders
        self.session = session or requests.Session()
        self._now = now
        self._monotonic = monotonic
        self._alive = alive
        self._report = report
        self._feeds = {source.name: (source, self._feed_job(source)) for source in settings.sources}
        self._pages: dict[tuple[str, tuple[int, int]], tuple[WebPage, _Job]] = {}
        self._pages_read = -math.inf
        self._shown_pages = pages or (lambda: content_pages(folders))

    # -- the loop --------------------------------------------------------------------------

    def pass_once(self) -> bool:
        """Every source and every page once, whatever their schedules; True if all worked."""
        self._read_pages(force=True)
        results = [self._fetch(source, job) for source, job in self._feeds.values()]
        results += [self._snapshot(page, job) for page, job in self._pages.values()]
        return all(results)

    def run(self, stop: threading.Event) -> int:
        """Keep every job on its schedule until ``stop`` is set; returns 0."""
        while not stop.is_set():
            if self._wait(stop, self.step(stop)):
                break
        return 0

    def step(self, stop: threading.Event | None = None) -> float:
        """Run the jobs due now (re-reading the content folder when it is time); seconds until the next is due."""
        self._read_pages()
        for action in self._due():
            if stop is not None and stop.is_set():
                break
            action()
            self._alive()
        wake = min([job.due for job in self._jobs()] + [self._pages_read + RESCAN_EVERY])
        return max(0.0, wake - self._monotonic())

    def _jobs(self) -> list[_Job]:
        return [job for _, job in self._feeds.values()] + [job for _, job in self._pages.values()]

    def _due(self) -> list[Callable[[], bool]]:
        """What runs each job due now, feeds first (they are quick; a page may take its deadline)."""
        now = self._monotonic()
        feeds: list[Callable[[], bool]] = [
            partial(self._fetch, source, job) for source, job in self._feeds.values() if job.due <= now
        ]
        pages: list[Callable[[], bool]] = [
            partial(self._snapshot, page, job) for page, job in self._pages.values() if job.due <= now
        ]
        return feeds + pages

    def _wait(self, stop: threading.Event, seconds: float) -> bool:
        """``stop.wait(seconds)``, saying it is alive every few seconds meanwhile; True once stopped."""
        until = self._monotonic() + max(0.0, seconds)
        while (left := until - self._monotonic()) > 0:
            self._alive()
            if stop.wait(min(left, ALIVE_EVERY)):
                return True
        return stop.is_set()

    # -- feeds -----------------------------------------------------------------------------

    def _feed_job(self, source: FeedSource) -> _Job:
        last = self._read_feed(source.name)
        fetched = last.fetched if last is not None else None
        age = (self._now() - fetched).total_seconds() if fetched is not None else None
        return _Job(f"feed {source.name}", source.every, first_due(self._monotonic(), source.every, age))

    def _fetch(self, source: FeedSource, job: _Job) -> bool:
        """Fetch one source and write its file; on failure, keep its last good data."""
        tried = self._now()
        try:
            reading = fetch_source(source, self.session, self.settings.fetch_deadline)
        except FeedError as error:
            return self._failed(job, str(error), lambda message: self._keep_last(source.name, message, tried))
        except Exception as error:  # a bug in a parser must not stop the other feeds
            log.error("%s: unexpected %s (a bug worth reporting)", job.label, type(error).__name__, exc_info=True)
            return self._failed(
                job, f"unexpected {type(error).__name__}", lambda m: self._keep_last(source.name, m, tried)
            )
        feed = Feed(source.name, reading.items, frozen_fields(reading.fields), fetched=tried, tried=tried)
        try:
            write_bytes_atomic(feed_path(self.folders.media, source.name), feed_file_bytes(feed))
        except OSError as error:
            return self._failed(job, f"cannot write {feed_path(self.folders.media, source.name)}: {error.strerror}")
        return self._worked(job, f"{_count(len(feed.items), 'item')}, {_count(len(feed.fields), 'field')}")

    def _read_feed(self, name: str) -> Feed | None:
        path = feed_path(self.folders.media, name)
        try:
            with path.open("rb") as handle:
                return parse_feed_file(handle.read(4 * 1024 * 1024), name)
        except (OSError, FeedDataError):
            return None

    def _keep_last(self, name: str, error: str, tried: datetime) -> str:
        """Record the failure in the feed's file, its last good items and fields kept; the log's note."""
        last = self._read_feed(name)
        feed = replace(last, error=error, tried=tried) if last is not None else Feed(name, error=error, tried=tried)
        try:
            write_bytes_atomic(feed_path(self.folders.media, name), feed_file_bytes(feed))
        except OSError as trouble:
            return f"; and its file cannot be written ({trouble.strerror})"
        if last is None or last.fetched is None:
            return "; no good data yet"
        return f"; its last good data (fetched {last.fetched:%Y-%m-%d %H:%M} UTC) stays"

    # -- web pages -------------------------------------------------------------------------

    def _read_pages(self, force: bool = False) -> None:
        """The web pages the content shows now: new ones get a job, gone ones lose theirs."""
        if not force and self._monotonic() < self._pages_read + RESCAN_EVERY:
            return
        self._pages_read = self._monotonic()
        try:
            pages = self._shown_pages()
        except Exception as error:  # a loader bug must not stop the feeds: keep the pages known
            log.error("web pages: reading the content failed (%s, a bug worth reporting)", error, exc_info=True)
            return
        known = self._pages
        self._pages = {}
        for page in pages:
            key = (page.url, page.size)
            old = known.get(key)
            job = old[1] if old is not None else self._page_job(page)
            job.every = page.every
            self._pages[key] = (page, job)

    def _page_job(self, page: WebPage) -> _Job:
        target = self.folders.media / page.path
        age: float | None = None
        try:
            with target.open("rb") as handle:
                if png_size(handle.read(64)) == page.size:  # a page now shown at another size: at once
                    age = self._now().timestamp() - target.stat().st_mtime
        except OSError:
            pass
        return _Job(f"web page {page.url}", page.every, first_due(self._monotonic(), page.every, age))

    def _snapshot(self, page: WebPage, job: _Job) -> bool:
        try:
            browser = find_browser(self.settings.browser)
            take_snapshot(
                page,
                self.folders.media,
                browser,
                self.settings.snapshot_deadline,
                session=self.session,
                timezone=self.folders.timezone,
            )
        except (WebshotError, OSError) as error:
            return self._failed(job, str(error), lambda _: "; the last good snapshot stays")
        except Exception as error:
            log.error("%s: unexpected %s (a bug worth reporting)", job.label, type(error).__name__, exc_info=True)
            return self._failed(job, f"unexpected {type(error).__name__}")
        return self._worked(job, f"{page.size[0]}x{page.size[1]} into {page.path}")

    # -- outcomes --------------------------------------------------------------------------

    def _worked(self, job: _Job, what: str) -> bool:
        if job.state != "ok":
            log.info("%s: %s%s", job.label, what, " (working again)" if job.state != _UNKNOWN else "")
        job.state, job.failures = "ok", 0
        job.due = next_due(self._monotonic(), job.every, 0)
        self._report(f"{job.label}: {what}")
        return True

    def _failed(self, job: _Job, error: str, keep: Callable[[str], str] = lambda _: "") -> bool:
        """Record a failure (``keep`` saves what stays, and says so), log it if it is new, retry sooner."""
        message = clean_text(error, MAX_ERROR)  # a feed's own words (a key, a reason) reach the journal
        note = keep(message)
        if message != job.state:
            log.warning("%s: %s%s", job.label, message, note)
        job.state, job.failures = message, job.failures + 1
        job.due = next_due(self._monotonic(), job.every, job.failures)
        self._report(f"{job.label}: {message}"[:200])
        return False


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"
