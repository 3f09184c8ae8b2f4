"""The ``i`` info overlay of a windowed preview: playlist, slide, time left, fps, renderer.

It draws an :class:`OverlayView`, a snapshot the loop takes when it draws the overlay, so
the overlay knows nothing of the loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pygame
import pygame.freetype

from player.core.scheduler import Decision
from player.render.stats import TransitionReport


@dataclass(frozen=True)
class OverlayView:
    """What the overlay shows, as it was at ``now``."""

    now: datetime
    paused: bool
    speed: float
    decision: Decision | None
    last_transition: TransitionReport | None
    dropped_frames: int
    video_active: bool
    renderer: str
    zone: str = "UTC"  # the configured time zone: the CLI's too (``--at``, ``schedule``)


def overlay_lines(view: OverlayView) -> list[str]:
    """The overlay's text, one line each."""
    decision, now = view.decision, view.now.astimezone(ZoneInfo(view.zone))
    offset = now.strftime("%z")
    local = f"{now:%Y-%m-%d %H:%M:%S} {view.zone} ({offset[:3]}:{offset[3:]})"
    lines = [f"time    {local}" + ("  (paused)" if view.paused else "")]
    if view.speed != 1.0:
        lines.append(f"speed   x{view.speed:g}")
    if decision is None or decision.playlist is None:
        lines.append("playing (idle: nothing scheduled)")
    else:
        slide_id = decision.slide.id if decision.slide else "?"
        lines.append(f"playlist {decision.playlist}")
        number = "?" if decision.slide_index is None else decision.slide_index + 1  # counted from 1, for people
        lines.append(f"slide   {slide_id} (number {number})")
    if decision is not None and decision.next_change is not None:
        left = (decision.next_change - now).total_seconds()
        lines.append(f"next in {left:.1f} s")
    report = view.last_transition
    if report is not None:
        lines.append(f"last transition {report.fps:.0f} fps, p99 {report.p99_ms:.1f} ms")
    if view.dropped_frames or view.video_active:
        lines.append(f"video dropped frames {view.dropped_frames}")
    lines.append(f"renderer {view.renderer}")
    return lines


def draw_overlay(view: OverlayView, font: pygame.freetype.Font, screen_height: int) -> pygame.Surface:
    """A translucent panel with :func:`overlay_lines`, sized to a screen ``screen_height`` tall."""
    lines = overlay_lines(view)
    size = max(12, screen_height // 45)
    line_height = round(size * 1.4)
    width = max(int(font.get_rect(line, size=size).width) for line in lines) + size * 2
    panel = pygame.Surface((width, line_height * len(lines) + size), pygame.SRCALPHA)
    panel.fill((0, 0, 0, 170))
    for index, line in enumerate(lines):
        font.render_to(panel, (size, size // 2 + index * line_height + size), line, fgcolor=(255, 255, 255), size=size)
    return panel
