"""The ``i`` info overlay of a windowed preview: playlist, slide, time left, fps, renderer."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pygame
import pygame.freetype

if TYPE_CHECKING:
    from player.render.loop import Player


def overlay_lines(player: Player) -> list[str]:
    """The overlay's text, one line each."""
    decision = player.decision
    now = player.clock.now()
    lines = [f"time    {now.isoformat(timespec='seconds')}" + ("  (paused)" if player.clock.paused else "")]
    if player.clock.speed != 1.0:
        lines.append(f"speed   x{player.clock.speed:g}")
    if decision is None or decision.playlist is None:
        lines.append("playing (idle: nothing scheduled)")
    else:
        slide_id = decision.slide.id if decision.slide else "?"
        lines.append(f"playlist {decision.playlist}")
        lines.append(f"slide   {slide_id} (#{decision.slide_index})")
    if decision is not None and decision.next_change is not None:
        left = (decision.next_change - now).total_seconds()
        lines.append(f"next in {left:.1f} s")
    report = player.timer.last
    if report is not None:
        lines.append(f"last transition {report.fps:.0f} fps, p99 {report.p99_ms:.1f} ms")
    if player.dropped_frames or player.video_active:
        lines.append(f"video dropped frames {player.dropped_frames}")
    lines.append(f"renderer {player.screen.name}")
    return lines


def draw_overlay(player: Player) -> pygame.Surface:
    """A translucent panel with :func:`overlay_lines`, sized to the screen."""
    lines = overlay_lines(player)
    size = max(12, player.screen.logical[1] // 45)
    font = player.painter.fonts.faces[0]
    line_height = round(size * 1.4)
    width = max(int(font.get_rect(line, size=size).width) for line in lines) + size * 2
    panel = pygame.Surface((width, line_height * len(lines) + size), pygame.SRCALPHA)
    panel.fill((0, 0, 0, 170))
    for index, line in enumerate(lines):
        font.render_to(panel, (size, size // 2 + index * line_height + size), line, fgcolor=(255, 255, 255), size=size)
    return panel
