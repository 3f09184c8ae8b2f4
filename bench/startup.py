"""Start-up: from process start to systemd's READY=1, with the demo content.

`signage run --fullscreen --at 2018-02-10T09:00` in the repository (its playlists, media and
config; state in a scratch folder), on a private 1920x1080 Xvfb, with NOTIFY_SOCKET pointing
at a datagram socket this script listens on. The player sends READY=1 once the first frame is
on screen. One warm-up run, then the median of 10. Goal: < 1.5 s.

Each run's log lines are timestamped on arrival, which splits the time into phases; one more
run with ``python -X importtime`` says which imports cost most.

    .venv/bin/python bench/startup.py [--runs 10]

Prints its rows and writes bench/results/startup.json.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import common
from common import Row

AT = "2018-02-10T09:00"
GOAL_S = 1.5
# Log lines that end a phase, in the order the player writes them.
MILESTONES = (
    ("playlist loaded", "interpreter, CLI imports, config and playlists"),
    ("player.render.screen: renderer:", "pygame, fonts, window and renderer"),
    ("playing", "the rest of the set-up (the folder watcher starts after the first frame)"),
    ("showing", "first slide prepared"),
)


def one_run(server: common.Xvfb, scratch: Path, number: int, python_flags: tuple[str, ...] = ()) -> dict[str, Any]:
    """Start the player, wait for READY=1, stop it. Times are seconds since Popen."""
    address = scratch / f"notify-{number}.sock"
    state = scratch / "state"
    command = [sys.executable, *python_flags, "-m", "player", "--state", str(state), "-v"]
    command += ["run", "--fullscreen", "--at", AT]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(address))
        listener.settimeout(0.5)
        lines: list[tuple[float, str]] = []
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=common.REPO,
            env=server.env(NOTIFY_SOCKET=str(address)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        reader = threading.Thread(target=_read_lines, args=(process, started, lines), daemon=True)
        reader.start()
        try:
            ready = _wait_ready(listener, process, started, timeout=20.0)
        finally:
            common.stop(process)
            reader.join(5)
    phases = {}
    for marker, _ in MILESTONES:
        phases[marker] = next((t for t, line in lines if marker in line), None)
    return {"ready_s": ready, "milestones": phases, "stderr": [line for _, line in lines]}


def _read_lines(process: subprocess.Popen[str], started: float, lines: list[tuple[float, str]]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        lines.append((time.perf_counter() - started, line.rstrip()))


def _wait_ready(listener: socket.socket, process: subprocess.Popen[str], started: float, timeout: float) -> float:
    while time.perf_counter() - started < timeout:
        try:
            message = listener.recv(4096).decode(errors="replace")
        except TimeoutError:
            if process.poll() is not None:
                raise RuntimeError(f"the player exited ({process.returncode}) before READY=1") from None
            continue
        if "READY=1" in message.split("\n"):
            return time.perf_counter() - started
    raise RuntimeError(f"no READY=1 within {timeout:.0f} s")


def import_costs(stderr: list[str], top: int = 6) -> list[tuple[str, float]]:
    """The imports made at the top of the import stack with the largest cumulative time,
    from ``-X importtime`` (pygame is imported inside a function, still at the top)."""
    costs: dict[str, float] = {}
    for line in stderr:
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, cumulative, name = line.removeprefix("import time:").split("|")
        if cumulative.strip().isdigit() and not name.removeprefix(" ").startswith(" "):
            costs[name.strip()] = costs.get(name.strip(), 0.0) + int(cumulative) / 1e6
    return sorted(costs.items(), key=lambda item: -item[1])[:top]


def display_phases(server: common.Xvfb) -> dict[str, float]:
    """The display phase's steps, each timed once in this process (as the player does them)."""
    import os

    os.environ.update(common.QUIET_SDL, DISPLAY=server.display)
    steps: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        steps[name] = now - started
        started = now

    import pygame
    import pygame.freetype

    step("import pygame")
    pygame.display.init()
    pygame.freetype.init()
    step("display.init")
    from player.core.config import load_config
    from player.render.screen import open_screen, open_window
    from player.render.text import FontChain

    config = load_config(common.REPO / "config" / "player.yaml", {})
    step("import the render modules, load the config")
    FontChain.resolve(config.fonts)
    step("resolve fonts (fc-match)")
    window = open_window(None, True)
    step("open the full-screen window")
    open_screen(window, "auto", 0)
    step("create the GL renderer")
    window.destroy()
    pygame.display.quit()
    return steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder, common.xvfb() as server:
        scratch = Path(folder)
        warm_up = one_run(server, scratch, 0)
        runs = [one_run(server, scratch, n) for n in range(1, options.runs + 1)]
        profiled = one_run(server, scratch, options.runs + 1, ("-X", "importtime"))
        steps = display_phases(server)
    ready = [run["ready_s"] for run in runs]
    imports = import_costs(profiled["stderr"])
    row = Row(
        f"Start-up to READY=1 (demo content, 1920x1080 Xvfb, median of {len(ready)})",
        f"median {common.median(ready) * 1000:.0f} ms (min {min(ready) * 1000:.0f}, max {max(ready) * 1000:.0f})",
        "< 1.5 s",
        common.median(ready) < GOAL_S,
    )
    data = {
        "ready_s": ready,
        "warm_up_ready_s": warm_up["ready_s"],
        "milestones": [run["milestones"] for run in runs],
        "imports": imports,
        "display_steps": steps,
    }
    common.report("startup", [row], notes(runs, warm_up, imports, steps), data)
    return 0


def notes(
    runs: list[dict[str, Any]], warm_up: dict[str, Any], imports: list[tuple[str, float]], steps: dict[str, float]
) -> str:
    previous = 0.0
    phases = []
    for marker, label in MILESTONES:
        at = common.median([run["milestones"][marker] for run in runs if run["milestones"][marker] is not None])
        phases.append(f"{label} {(at - previous) * 1000:.0f} ms")
        previous = at
    ready = common.median([run["ready_s"] for run in runs])
    phases.append(f"first frame presented and READY sent {(ready - previous) * 1000:.0f} ms")
    requests_s = dict(imports).get("requests")
    heaviest = ", ".join(f"`{name}` {seconds * 1000:.0f} ms" for name, seconds in imports)
    return (
        f"**Start-up.** Median phases (from log lines timestamped as they arrive): {'; '.join(phases)}. The "
        f"warm-up run (empty state folder) took {warm_up['ready_s'] * 1000:.0f} ms. Heaviest imports "
        f"(cumulative, one run under `-X importtime`, which itself slows imports): {heaviest}. "
        "The display phase, step by step (timed once in-process on the same server): "
        + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in steps.items())
        + f". The largest is {max(steps, key=steps.get)}. One thing would shorten start-up without touching "  # type: ignore[arg-type]
        "that: the first slide is decoded only after the window and renderer exist, on the same thread, though "
        "`decode_image` is thread-safe, so a picture could be decoded while they are created"
        + (f"; `requests` was imported ({requests_s * 1000:.0f} ms above), which should not happen without "
           "a heartbeat or proof URL" if requests_s else "")
        + "."
    )


if __name__ == "__main__":
    sys.exit(main())
