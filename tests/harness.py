"""Running the real player: in a subprocess (SDL dummy driver), watched from outside through
its status file, SIGUSR1 screenshots and its log; or in-process on driven time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pygame

from player.core.scheduler import Timetable
from player.ops.clock import ScaledClock
from player.render.loop import Player
from player.render.pacing import FakePacer, FakeTime
from player.render.reporting import Reporter
from player.render.screen import Screen
from player.render.slides import Painter


class RunningPlayer:
    def __init__(self, root: Path, process: subprocess.Popen[str]) -> None:
        self.root = root
        self.process = process
        self.playlists = root / "playlists"
        self.media = root / "media"
        self.status_path = root / "state" / "status.json"
        self.screenshot_path = root / "state" / "screenshot.png"

    def status(self) -> dict:  # type: ignore[type-arg]
        try:
            return json.loads(self.status_path.read_text())  # type: ignore[no-any-return]
        except (OSError, ValueError):
            return {}

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 5.0) -> dict:  # type: ignore[type-arg]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if status and predicate(status):
                return status
            assert self.process.poll() is None, self.process.stderr.read() if self.process.stderr else ""
            time.sleep(0.05)
        raise AssertionError(f"timed out; last status: {self.status()}")

    def drop(self, name: str, content: str | bytes, folder: Path | None = None) -> None:
        """Write-to-temp-then-rename, the way the sync client and careful copies do."""
        folder = folder or self.playlists
        temporary = folder / f".{name}.part"
        temporary.write_bytes(content.encode() if isinstance(content, str) else content)
        os.replace(temporary, folder / name)

    def wait_for_screen(self, predicate: Callable[[pygame.Surface], bool], timeout: float = 5.0) -> pygame.Surface:
        """The first screenshot ``predicate`` accepts (asking every 0.2 s until ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            shot = self.screenshot()
            if predicate(shot):
                return shot
            assert time.monotonic() < deadline, "the screen never showed what was expected"
            time.sleep(0.2)

    def screenshot(self) -> pygame.Surface:
        before = self.screenshot_path.stat().st_mtime_ns if self.screenshot_path.exists() else 0
        self.process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self.screenshot_path.exists() and self.screenshot_path.stat().st_mtime_ns != before:
                return pygame.image.load(str(self.screenshot_path))
            time.sleep(0.05)
        raise AssertionError("no screenshot")

    def log(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        _, err = self.process.communicate(timeout=10)
        return err


def content_folder(root: Path, playlists: dict[str, str], config: str = "timezone: UTC\n") -> Path:
    """``root`` laid out as the player's folders (``config/player.yaml`` and the playlists given)."""
    for folder in ("playlists", "media", "state", "config"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "config" / "player.yaml").write_text(config)
    for name, text in playlists.items():
        (root / "playlists" / name).write_text(text)
    return root


def start_player(
    root: Path,
    playlists: dict[str, str],
    *extra: str,
    config: str = "timezone: UTC\n",
    environ: Mapping[str, str] | None = None,
) -> RunningPlayer:
    """Lay out a content folder under ``root`` and start ``signage run`` on it, in ``environ``
    (default: this process's environment) with SDL's dummy driver."""
    content_folder(root, playlists, config)
    env = {**(os.environ if environ is None else environ), "SDL_VIDEODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "player", "-v", "run", "--windowed", "--size", "320x180", "--renderer", "software", *extra],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return RunningPlayer(root, process)


def stop(running: RunningPlayer) -> None:
    """Kill the player if it still runs, and close its pipes either way."""
    if running.process.poll() is None:
        running.process.kill()
    running.process.communicate()


def stand_in(folder: Path, name: str, script: str, log: Path) -> Path:
    """A program ``folder/name`` (a POSIX shell script) that appends its arguments to ``log``,
    one call a line, then runs ``script``: a stand-in for a tool this machine lacks (cec-ctl,
    vcgencmd) that answers the way the real one does. Put ``folder`` first on PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text(f"#!/bin/sh\necho \"{name} $*\" >> '{log}'\n{script}\n")
    program.chmod(0o755)
    return program


def driven_player(
    timetable: Timetable,
    start: datetime,
    screen: Screen,
    painter: Painter,
    speed: float = 1.0,
    report: Mapping[str, Any] | None = None,
    **options: Any,
) -> tuple[Player, FakeTime]:
    """The real loop on driven time: ``run(seconds)`` plays that many simulated real seconds at
    once, transition frames exactly 1/refresh_rate apart, the same way every time.

    ``report``: fields of the loop's :class:`Reporter` (which runs on the same driven time).
    """
    clock_time = FakeTime()
    clock = ScaledClock(start, speed, monotonic=clock_time)
    reporter = Reporter(media=painter.media, monotonic=clock_time, **(report or {}))
    player = Player(
        timetable, clock, screen, painter, reporter=reporter, pacer=FakePacer(clock_time), monotonic=clock_time, **options
    )
    return player, clock_time
