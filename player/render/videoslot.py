"""The video on screen and the one decoding ahead for its turn: one owner for both.

The render loop asks the slot to start a video slide's showing, to update its frame each
turn and to stop it; right after a transition it asks it to start the upcoming video, so
the first frames are decoded before that slide's turn.
"""

from __future__ import annotations

from collections.abc import Container, Hashable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pygame

from player.core.errors import MediaError
from player.core.model import Slide
from player.render.slides import SlideKey

if TYPE_CHECKING:
    from player.render.playback import Playback, TaglineLayer

PRESTARTED_LATE_S = 0.25  # a video decoding ahead is used only if its turn began less than this ago


@dataclass(frozen=True)
class _Showing:
    key: SlideKey
    playback: Playback
    start: datetime  # content time


@dataclass(frozen=True)
class VideoTurn:
    """One turn of the video on screen: its surface, whether its frame changed, when the next is due."""

    key: SlideKey
    surface: pygame.Surface
    changed: bool
    due_in: float  # content seconds until the frame after this one is due


class VideoSlot:
    """Plays video slides (main thread only): ``current`` on screen, ``next`` decoding ahead."""

    def __init__(self, media: Path, tagline: TaglineLayer, decoder: str = "auto") -> None:
        self.media = media
        self.tagline = tagline
        self.decoder = decoder
        self._current: _Showing | None = None
        self._next: tuple[SlideKey, Playback] | None = None
        self._dropped = 0  # by the videos that have ended

    @property
    def active(self) -> bool:
        return self._current is not None

    @property
    def dropped(self) -> int:
        """Frames dropped this run, the video on screen included."""
        return self._dropped + (self._current.playback.dropped if self._current else 0)

    def start(self, slide: Slide, key: SlideKey, first: pygame.Surface, start: datetime, at: float) -> pygame.Surface:
        """Show ``slide`` from ``at`` content seconds in; returns the surface the screen shows
        (a copy of the prepared first frame, updated in place: the cached original stays the
        first frame for the next showing). Raises MediaError if it cannot be decoded."""
        ready, self._next = self._next, None
        if ready is not None and ready[0] == key and at < PRESTARTED_LATE_S:
            self._current = _Showing(key, ready[1], start)
            return ready[1].surface
        if ready is not None:
            ready[1].close()
        playback = self._new_playback(slide, first)
        playback.start(at)
        self._current = _Showing(key, playback, start)
        return playback.surface

    def stop(self) -> None:
        """End the video on screen, if any."""
        if self._current is not None:
            self._dropped += self._current.playback.dropped
            self._current.playback.close()
            self._current = None

    def start_next(self, slide: Slide, key: SlideKey, first: pygame.Surface) -> None:
        """Start decoding the upcoming video slide now, so its first frames are ready on its turn."""
        if self._next is not None and self._next[0] == key:
            return
        self.drop_next()
        playback = self._new_playback(slide, first)
        try:
            playback.start()
        except MediaError:
            playback.close()
            return  # said when its turn comes
        self._next = (key, playback)

    def drop_next(self, unless_in: Container[Hashable] = ()) -> None:
        """Stop decoding ahead (unless the upcoming video's key is in ``unless_in``)."""
        if self._next is not None and self._next[0] not in unless_in:
            self._next[1].close()
            self._next = None

    def close(self) -> None:
        self.stop()
        self.drop_next()

    def update(self, now: datetime) -> VideoTurn | None:
        """Put the frame due at ``now`` on the video's surface (None: no video on screen)."""
        if self._current is None:
            return None
        showing = self._current
        seconds = (now - showing.start).total_seconds()
        changed = showing.playback.update(seconds)
        return VideoTurn(showing.key, showing.playback.surface, changed, showing.playback.seconds_to_next(seconds))

    def _new_playback(self, slide: Slide, first: pygame.Surface) -> Playback:
        """A showing of ``slide`` on a copy of its prepared first frame (the cached one stays as it is)."""
        from player.render.playback import Playback  # PyAV is an optional extra

        return Playback(slide, self.media, first.copy(), self.tagline, self.decoder)
