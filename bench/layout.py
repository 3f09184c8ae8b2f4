"""The demo layout's cost: CPU per minute on both compositors, and the ticker's frame times at 1080p.

The bundled launch-week layout (playlists/games-wall.yaml: the teaser in its main zone with
fades, a countdown, a clock, a QR code, and a ticker at 120 px/s across the bottom) as it plays
on 5 February 2018 at 12:00 in Seoul, full screen on a private 1920x1080x24 Xvfb:

1. ``signage run`` for 70 s with ``--renderer software`` (composing in main memory, presented
   through X11 shared memory: what ``auto`` picks on Xvfb) and with ``--renderer gpu`` (SDL's
   renderer, which on Xvfb is OpenGL on Mesa's llvmpipe, so its "GPU" is this CPU); the CPU
   time of the last 60 s of each. The same layout with its ticker replaced by a text zone
   (static but for the clock and the teaser's slides) shows what the ticker costs.
2. In-process, the real loop on the same server for 15 s per compositor, every ``show()`` timed:
   the frame time (drawing + presenting) of each ticker frame, and the time between presents.
   Goal: p99 < 16.7 ms, no frame misses a 60 Hz refresh.

    .venv/bin/python bench/layout.py [--seconds 70]

Prints its rows and writes bench/results/layout.json.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import common
from common import Row

AT = "2018-02-05T12:00:00"  # Seoul: the launch week's layout is on screen
WARM_UP_S = 10.0  # left out of the CPU figures: start-up and the first preparations
BUDGET_MS = 1000 / 60
LAYOUT = "games-wall.yaml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=70.0, help="real seconds per CLI run")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-layout-") as scratch:
        root = copy_content(Path(scratch) / "screen")
        still = copy_content(Path(scratch) / "still")
        layout = still / "playlists" / LAYOUT
        layout.write_text(static_layout(layout.read_text()))
        cpu: dict[str, dict[str, Any]] = {}
        with common.xvfb() as server:
            for name, folder, renderer in (
                ("software", root, "software"),
                ("gpu", root, "gpu"),
                ("static, software", still, "software"),
            ):
                cpu[name] = cpu_per_minute(server, folder, renderer, options.seconds, name)
            frames = {kind: ticker_frames(server, root, kind) for kind in ("gpu", "software")}
    rows = [
        *(cpu_row(name, run) for name, run in cpu.items()),
        *(
            Row(
                f"Ticker frame time at 1080p, demo layout, renderer {data['screen'].split(' (')[0]} "
                f"({data['frames']} frames in {data['seconds']:.0f} s)",
                f"p99 {data['work_p99_ms']:.1f} ms, median {data['work_median_ms']:.1f} ms; time between presents "
                f"median {data['interval_median_ms']:.1f} ms, p99 {data['interval_p99_ms']:.1f} ms",
                "frame time p99 < 16.7 ms",
                data["work_p99_ms"] < BUDGET_MS,
            )
            for data in frames.values()
        ),
    ]
    common.report("layout", rows, notes(cpu, frames), {"cpu": cpu, "frames": frames})
    return 0


# Goals of the CPU rows. The GPU path on Xvfb has none: its GL is llvmpipe, so its "GPU" work is
# this CPU's, and `auto` does not choose it here (on a Pi the same frames are the GPU's work).
CPU_GOALS: dict[str, tuple[str, float | None]] = {
    "software": ("≤ 15 s/min (a quarter of a core)", 15.0),
    "gpu": ("none: the GL here is llvmpipe, the CPU (auto composes in software instead)", None),
    "static, software": ("≤ 3 s/min", 3.0),
}


def cpu_row(name: str, run: dict[str, Any]) -> Row:
    still = name == "static, software"
    what = "the demo layout with its ticker replaced by still text" if still else "the demo layout"
    parts = "teaser, countdown, clock, QR" + ("" if still else ", ticker at 120 px/s")
    goal, limit = CPU_GOALS[name]
    return Row(
        f"CPU per minute, {what} ({parts}), "
        f"1920x1080 Xvfb, renderer {run['renderer'].split(' (')[0]} (steady state, {run['seconds']:.0f} s measured)",
        f"{run['per_minute']:.1f} s/min ({run['per_minute'] / 60:.0%} of a core)",
        goal,
        None if limit is None else run["per_minute"] <= limit,
    )


def copy_content(root: Path) -> Path:
    for folder in ("playlists", "media", "config"):
        shutil.copytree(common.REPO / folder, root / folder)
    return root


def static_layout(text: str) -> str:
    """The demo layout with its ticker zone showing still text instead."""
    head, _, _ = text.partition("  - name: ticker\n")
    return head + '  - name: ticker\n    area: [0, 0.88, 1, 0.12]\n    text: "To the greatness of small."\n'


def cpu_per_minute(server: common.Xvfb, root: Path, renderer: str, seconds: float, name: str) -> dict[str, Any]:
    command = [*common.SIGNAGE, "-v", "run", "--fullscreen", "--at", AT, "--renderer", renderer]
    watched = common.watch(command, seconds, env=server.env(), cwd=root, log_path=root / f"{name}.log")
    warm = next(cpu for elapsed, cpu in watched.timeline if elapsed >= WARM_UP_S)
    last_elapsed, last_cpu = watched.timeline[-1]
    measured = last_elapsed - WARM_UP_S
    logged = [line for line in watched.log.splitlines() if "player.render.screen: renderer:" in line]
    return {
        "renderer": logged[0].split("renderer:", 1)[1].strip() if logged else renderer,
        "seconds": measured,
        "per_minute": (last_cpu - warm) / measured * 60,
        "cpu_s": watched.cpu_s,
        "peak_rss": watched.peak_rss,
    }


def ticker_frames(server: common.Xvfb, root: Path, kind: str, seconds: float = 15.0) -> dict[str, Any]:
    """The real loop in this process, every present timed (the ticker keeps frames coming at 60 Hz)."""
    os.environ.update(common.QUIET_SDL, DISPLAY=server.display)
    if kind == "software":
        os.environ["SDL_FRAMEBUFFER_ACCELERATION"] = "0"  # X11 shared memory, as `auto` presents here
    import pygame
    import pygame.freetype

    from player.content.folder import load_folder
    from player.core.scheduler import Timetable
    from player.core.vocabulary import DEFAULT_FONTS
    from player.ops.clock import ScaledClock
    from player.render.loop import Player, PlayOptions
    from player.render.screen import open_screen
    from player.render.slides import Painter
    from player.render.text import FontChain

    pygame.display.init()
    pygame.freetype.init()
    loaded = load_folder(root / "playlists", "Asia/Seoul")
    window = pygame.Window("layout", common.SCREEN)
    screen = open_screen(window, kind, 0)
    painter = Painter(root / "media", screen.logical, FontChain.resolve(DEFAULT_FONTS))
    work: list[float] = []
    presents: list[float] = []
    show = screen.show

    def timed_show(*args: Any) -> None:
        began = time.perf_counter()
        show(*args)
        ended = time.perf_counter()
        work.append((ended - began) * 1000)
        presents.append(ended)

    screen.show = timed_show  # type: ignore[method-assign]
    start = datetime.fromisoformat(AT).replace(tzinfo=ZoneInfo("Asia/Seoul"))
    player = Player(
        Timetable(loaded.playlists),
        ScaledClock(start, 1.0),
        screen,
        painter,
        options=PlayOptions(refresh_rate=60),
        layouts=loaded.layouts,
    )
    player.run(seconds)
    name = screen.name
    window.destroy()
    pygame.display.quit()
    os.environ.pop("SDL_FRAMEBUFFER_ACCELERATION", None)
    steady = work[30:]  # past the first frames (uploads, the first preparations)
    intervals = [(b - a) * 1000 for a, b in itertools.pairwise(presents)]
    return {
        "screen": name,
        "frames": len(work),
        "seconds": seconds,
        "work_median_ms": common.median(steady),
        "work_p99_ms": common.percentile(steady, 0.99),
        "work_max_ms": max(steady),
        "interval_median_ms": common.median(intervals),
        "interval_p99_ms": common.percentile(intervals, 0.99),
    }


def notes(cpu: dict[str, dict[str, Any]], frames: dict[str, dict[str, Any]]) -> str:
    soft, gpu, still = cpu["software"], cpu["gpu"], cpu["static, software"]
    ticker = soft["per_minute"] - still["per_minute"]
    return (
        f"**Layout.** The ticker is what a layout costs: the demo layout takes {soft['per_minute']:.1f} s of CPU a "
        f"minute composed in main memory, {still['per_minute']:.1f} s with the ticker replaced by still text, so "
        f"scrolling costs {ticker:.1f} s a minute there. Each of its 60 frames a second draws only the ticker's "
        "strip again (the software compositor keeps the rest of the canvas) but presents the whole 1080p frame "
        "through X11 shared memory, which is most of that cost; the schedule's answer is kept until it changes, "
        f"not asked again each frame. On the GPU path ({gpu['per_minute']:.1f} s/min here) the ticker is the same "
        "textures drawn at new places, but on Xvfb that GL is llvmpipe, the CPU drawing every pixel; on a board with a "
        "GPU the same frames are the GPU's work. The still layout sleeps between the teaser's slide changes and "
        "the clock's minute. Frame times: ticker frames take "
        f"{frames['software']['work_p99_ms']:.1f} ms at p99 in software and "
        f"{frames['gpu']['work_p99_ms']:.1f} ms on the GPU path (llvmpipe), drawing and presenting."
    )


if __name__ == "__main__":
    raise SystemExit(main())
