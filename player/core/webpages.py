"""Web pages on screen: which snapshots ``signage feeds`` takes, where it writes them, at what size.

A slide ``web: URL`` is an image slide whose picture is the page's snapshot, ``media/web/<hash>.png``
(:func:`snapshot_path`). The player only ever reads that picture; a headless browser in the
feeds process writes it (player/fleet/webshot.py). Pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from player.core.layout import Layout
from player.core.model import Playlist

WEB_FOLDER = "web"  # under the media folder


def snapshot_path(url: str) -> str:
    """The snapshot's path in the media folder: named by the URL's hash, never by the URL itself."""
    return f"{WEB_FOLDER}/{hashlib.sha256(url.encode('utf-8')).hexdigest()[:24]}.png"


@dataclass(frozen=True)
class WebPage:
    """A page to snapshot: every ``every`` seconds, at ``size`` px, into ``path`` (media-relative)."""

    url: str
    path: str
    size: tuple[int, int]
    every: float


def web_pages(playlists: Iterable[Playlist], layouts: Iterable[Layout], screen: tuple[int, int]) -> tuple[WebPage, ...]:
    """Every web page a slide shows, at the size of the largest zone its playlist plays in.

    A playlist that no layout places plays full screen: its pages are taken at ``screen``
    (the logical screen, rotation applied). A page on several slides is taken once, at the
    largest size and the shortest interval asked for.
    """
    zone_sizes: dict[str, list[tuple[int, int]]] = {}
    for layout in layouts:
        for zone in layout.zones:
            _, _, width, height = zone.area.on(screen)
            for name in zone.playlists:
                zone_sizes.setdefault(name, []).append((width, height))
    pages: dict[str, WebPage] = {}
    for playlist in playlists:
        sizes = zone_sizes.get(playlist.name, [screen])
        size = max(sizes, key=_area)
        for slide in playlist.slides:
            if slide.web is None or slide.media is None:
                continue
            known = pages.get(slide.web)
            page = WebPage(slide.web, slide.media, size, slide.refresh)
            if known is not None:  # the same page on another slide: the larger size, the shorter interval
                larger, sooner = max(known.size, size, key=_area), min(known.every, slide.refresh)
                page = WebPage(slide.web, slide.media, larger, sooner)
            pages[slide.web] = page
    return tuple(pages.values())


def _area(size: tuple[int, int]) -> int:
    return size[0] * size[1]
