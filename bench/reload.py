"""Reload benchmark: how fast a dropped playlist goes live, and that reloads do not leak.

1. Latency: 50 drops (write to a temporary name, rename into playlists/), each a new
   playlist of higher priority; the time from the rename to status.json naming it.
   Default debounce (0.3 s). Goal: p95 under 0.5 s.
2. Leaks: 1,000 reloads (the same playlist rewritten with new content, debounce lowered to
   0.02 s so the run stays short); threads and RSS of the player before and after.

Prints one table row per figure and writes bench/results/reload.json.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent


def start_player(root: Path, debounce: float) -> subprocess.Popen[bytes]:
    for folder in ("playlists", "media", "state", "config"):
        (root / folder).mkdir(exist_ok=True)
    (root / "config" / "player.yaml").write_text(f"timezone: UTC\nwatch: {{debounce: {debounce}}}\n")
    (root / "playlists" / "house.yaml").write_text("name: house\nslides:\n  - {text: House, duration: 60}\n")
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "player", "run", "--windowed", "--size", "640x360", "--renderer", "software"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_status(root, lambda s: s.get("playlist") == "house", 20)
    return process


def read_status(root: Path) -> dict:  # type: ignore[type-arg]
    try:
        return json.loads((root / "state" / "status.json").read_text())  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return {}


def wait_status(root: Path, predicate, timeout: float) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if predicate(read_status(root)):
            return time.perf_counter() - start
        time.sleep(0.002)
    raise TimeoutError("status never changed")


def drop(folder: Path, name: str, text: str) -> None:
    temporary = folder / f".{name}.part"
    temporary.write_text(text)
    os.replace(temporary, folder / name)


def latency(drops: int = 50) -> list[float]:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        process = start_player(root, debounce=0.3)
        try:
            times = []
            for n in range(drops):
                name = f"drop-{n}"
                text = (
                    f"name: {name}\npriority: {n + 1}\nslides:\n  - {{text: Drop {n}, duration: 60, transition: cut}}\n"
                )
                drop(root / "playlists", f"{name}.yaml", text)
                times.append(wait_status(root, lambda s, name=name: s.get("playlist") == name, 10))
            return times
        finally:
            process.terminate()
            process.wait(10)


def leaks(reloads: int = 1000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        process = start_player(root, debounce=0.02)
        info = psutil.Process(process.pid)
        try:
            drop(
                root / "playlists", "loop.yaml", "name: loop\npriority: 5\nslides:\n  - {text: warm-up, duration: 60}\n"
            )
            wait_status(root, lambda s: s.get("playlist") == "loop", 10)
            time.sleep(1)
            before = (info.num_threads(), info.memory_info().rss)
            halfway = before[1]
            for n in range(reloads):
                slide_id = f"s{n}"
                slide = f"{{text: Reload {n}, id: {slide_id}, duration: 60, transition: cut}}"
                text = f"name: loop\npriority: 5\nslides:\n  - {slide}\n"
                drop(root / "playlists", "loop.yaml", text)
                wait_status(root, lambda s, slide_id=slide_id: s.get("slide_id") == slide_id, 10)
                if n + 1 == reloads // 2:
                    halfway = info.memory_info().rss
            time.sleep(1)
            after = (info.num_threads(), info.memory_info().rss)
        finally:
            process.terminate()
            process.wait(10)
    return {
        "reloads": reloads,
        "threads_before": before[0],
        "threads_after": after[0],
        "rss_before_mb": before[1] / 2**20,
        "rss_halfway_mb": halfway / 2**20,
        "rss_after_mb": after[1] / 2**20,
    }


def main() -> int:
    times = latency()
    ordered = sorted(times)
    result = {
        "drops": len(times),
        "median_s": statistics.median(times),
        "p95_s": ordered[round(0.95 * (len(ordered) - 1))],
        "max_s": ordered[-1],
        **leaks(),
    }
    growth = (result["rss_after_mb"] - result["rss_before_mb"]) / result["rss_before_mb"]
    second_half = (result["rss_after_mb"] - result["rss_halfway_mb"]) / result["rss_halfway_mb"]
    result["rss_growth"], result["rss_growth_second_half"] = growth, second_half
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "reload.json").write_text(json.dumps(result, indent=1) + "\n")
    ok_latency = "PASS" if result["p95_s"] < 0.5 else "FAIL"
    ok_leak = "PASS" if result["threads_after"] == result["threads_before"] and growth < 0.10 else "FAIL"
    print("| figure | value | goal | result |")
    print("|---|---|---|---|")
    print(
        f"| Reload latency (drop to status, {result['drops']} drops, debounce 0.3 s) | median "
        f"{result['median_s'] * 1000:.0f} ms, p95 {result['p95_s'] * 1000:.0f} ms, max {result['max_s'] * 1000:.0f} ms "
        f"| p95 < 500 ms | {ok_latency} |"
    )
    print(
        f"| Reload leaks ({result['reloads']} reloads) | "
        f"threads {result['threads_before']} → {result['threads_after']}, "
        f"RSS {result['rss_before_mb']:.1f} → {result['rss_halfway_mb']:.1f} (500) → {result['rss_after_mb']:.1f} MB "
        f"({growth * 100:+.1f}%; {second_half * 100:+.1f}% over the second 500) "
        f"| no thread growth, RSS < +10% | {ok_leak} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
