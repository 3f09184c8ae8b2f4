"""What takes the whole screen at an instant: a layout, or the playlists that play full screen.

Pure, like the scheduler it builds on. The rules (docs/layouts.md):

* A playlist that some layout's zone names plays only in that zone (with its own schedule,
  among the other playlists of the zone). Every other playlist plays full screen, as without
  layouts.
* A layout is active by its schedule, like a playlist. An active layout takes the screen from
  full-screen playlists of its priority or lower; a full-screen playlist of a higher priority
  (an emergency notice) takes the whole screen from it. Among active layouts the highest
  priority shows; equal ones take turns, a minute each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from player.core.layout import Layout, Zone
from player.core.model import Playlist, Slide
from player.core.scheduler import Stretch, Timetable

LAYOUT_PREFIX = "layout:"  # the stand-in playlists' names (not a valid playlist name: ':' is kept out)
# A layout's stand-in slide: layouts active at the same priority take turns of this long.
_LAYOUT_TURN = 60.0


@dataclass(frozen=True)
class Stage:
    """The screen at an instant: ``layout`` (None: full-screen playlists), until ``next_change``."""

    layout: Layout | None
    next_change: datetime | None


class StagePlan:
    """The playlists and layouts of one content version, ready to be asked what is on stage."""

    def __init__(self, playlists: Sequence[Playlist], layouts: Sequence[Layout] = ()) -> None:
        self.playlists = tuple(playlists)
        self.layouts = tuple(layouts)
        placed = {name for layout in layouts for name in layout.playlist_names}
        self.full_screen = Timetable([p for p in playlists if p.name not in placed])
        by_name = {playlist.name: playlist for playlist in playlists}
        self._zones: dict[tuple[str, str], Timetable] = {}
        for layout in layouts:
            for zone in layout.zones:
                members = [by_name[name] for name in zone.playlists if name in by_name]
                self._zones[(layout.name, zone.name)] = Timetable(members)
        self._layouts = {layout.name: layout for layout in layouts}
        ranked = [*map(_ranked, self.full_screen.playlists), *map(_stand_in, layouts)]
        self._top = Timetable(ranked) if layouts else None

    def at(self, instant: datetime) -> Stage:
        """Which layout (or none) has the screen at ``instant``, and until when."""
        if self._top is None:
            return Stage(None, None)
        decision = self._top.at(instant)
        name = decision.playlist or ""
        layout = self._layouts.get(name[len(LAYOUT_PREFIX) :]) if name.startswith(LAYOUT_PREFIX) else None
        return Stage(layout, decision.next_change)

    def stretches(self, start: datetime, end: datetime) -> list[Stretch]:
        """Who has the screen over ``[start, end)``: a full-screen playlist's name, a layout's
        as ``layout:NAME``, or None (idle)."""
        return (self._top or self.full_screen).stretches(start, end)

    def layout_named(self, stand_in: str | None) -> Layout | None:
        """The layout a stretch's ``layout:NAME`` names (None for a playlist or idle)."""
        if stand_in is None or not stand_in.startswith(LAYOUT_PREFIX):
            return None
        return self._layouts.get(stand_in[len(LAYOUT_PREFIX) :])

    def zone_timetable(self, layout: Layout, zone: Zone) -> Timetable:
        """The schedule of the playlists ``zone`` of ``layout`` plays."""
        return self._zones.get((layout.name, zone.name)) or Timetable(())


def _ranked(playlist: Playlist) -> Playlist:
    """A full-screen playlist at its place among layouts: a layout wins ties (priority × 2 + 1)."""
    return replace(playlist, priority=playlist.priority * 2)


def _stand_in(layout: Layout) -> Playlist:
    """A layout as a playlist of one long slide, so the scheduler's rules decide when it shows."""
    slide = Slide(kind="text", id=layout.name, duration=_LAYOUT_TURN, transition="cut")
    return Playlist(
        name=LAYOUT_PREFIX + layout.name,
        slides=(slide,),
        schedule=layout.schedule,
        priority=layout.priority * 2 + 1,
        source=layout.source,
    )
