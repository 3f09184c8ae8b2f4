"""What ``signage validate`` checks in layouts beyond their YAML: what the screen would show in each zone.

* A QR code must be readable in its zone at the configured screen size: modules of at least a
  few pixels, the quiet zone, contrast, dark on light (player/core/qrcheck.py). A code a phone
  cannot read is a problem (exit 1); a URL that is not a web address is a warning.
* A ticker's feed, and a text's ``{feed.field}``, name a feed ``signage feeds`` fetches (a
  warning otherwise: the zone would wait for data that never comes).
* Every zone has some room at this screen size, and zones of playlists do not hide one another
  entirely (a warning: the one under never shows).
* A slide ``web:`` needs the browser ``signage feeds`` takes snapshots with (a warning).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from player.core.errors import Location, Problem
from player.core.feeddata import template_fields
from player.core.layout import Layout, QrCode, TextBox, Ticker, Zone
from player.core.qrcheck import qr_problems

if TYPE_CHECKING:
    from player.core.config import Config
    from player.core.model import Playlist

MIN_ZONE_PX = 16


def layout_problems(
    layouts: Iterable[Layout], playlists: Sequence[Playlist], config: Config, screen: tuple[int, int]
) -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings) of ``layouts`` on a logical screen of ``screen`` px."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    feeds = {source.name for source in config.feeds.sources}
    for layout in layouts:
        for zone in layout.zones:
            field = f"zones.{zone.name}"
            _, _, width, height = zone.area.on(screen)
            if min(width, height) < MIN_ZONE_PX:
                where = f"{width}x{height} px at {screen[0]}x{screen[1]}"
                problems.append(Problem(zone.location, f"{field}.area", f"the zone is only {where}: make it larger"))
                continue
            if isinstance(zone.widget, QrCode):
                for message in qr_problems(zone.widget, (width, height)):
                    target = warnings if "does not start with http" in message else problems
                    target.append(Problem(zone.location, f"{field}.qr", _warning(message, target is warnings)))
            warnings += _feed_warnings(zone, field, feeds)
        warnings += _hidden_zones(layout, screen)
    warnings += _web_warnings(playlists, config)
    return problems, warnings


def _warning(message: str, warning: bool) -> str:
    return f"warning: {message}" if warning else message


def _feed_warnings(zone: Zone, field: str, feeds: set[str]) -> list[Problem]:
    """A feed a zone reads that no configured source fetches."""
    widget = zone.widget
    named: list[tuple[str, str]] = []
    if isinstance(widget, Ticker) and widget.feed:
        named.append((f"{field}.ticker.feed", widget.feed))
    if isinstance(widget, TextBox):
        for text in (widget.text, widget.subtitle or ""):
            try:
                named += [(f"{field}.text", name) for name, _ in template_fields(text)]
            except ValueError as error:
                return [Problem(zone.location, f"{field}.text", f"warning: shown as written: {error}")]
    return [
        Problem(
            zone.location,
            where,
            f"warning: no feed {name!r} is configured (`feeds.sources` in the config): the zone waits for data "
            f"that never comes; add the source, or check the name (configured: {', '.join(sorted(feeds)) or 'none'})",
        )
        for where, name in named
        if name not in feeds
    ]


def _hidden_zones(layout: Layout, screen: tuple[int, int]) -> list[Problem]:
    """A zone wholly covered by one drawn over it never shows."""
    warnings: list[Problem] = []
    order = layout.drawing_order
    for index, below in enumerate(order):
        bx, by, bw, bh = below.area.on(screen)
        for above in order[index + 1 :]:
            ax, ay, aw, ah = above.area.on(screen)
            if ax <= bx and ay <= by and ax + aw >= bx + bw and ay + ah >= by + bh:
                warnings.append(
                    Problem(
                        below.location,
                        f"zones.{below.name}.area",
                        f"warning: zone {above.name!r} is drawn over all of it, so it never shows; "
                        "move it, or give it a higher `z`",
                    )
                )
                break
    return warnings


def _web_warnings(playlists: Sequence[Playlist], config: Config) -> list[Problem]:
    pages = [slide for playlist in playlists for slide in playlist.slides if slide.web]
    browser = config.feeds.browser or "chromium"
    if not pages or shutil.which(browser) or shutil.which("chromium-browser"):
        return []
    first = pages[0]
    message = (
        f"warning: web slides are shown as snapshots that `signage feeds` takes with {browser}, which is not "
        "installed: install it (Debian: apt-get install chromium) or the slides never show"
    )
    return [Problem(first.location if first.location else Location("<memory>", 1, 1), "web", message)]
