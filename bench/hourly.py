"""CPU per hour of a 20-slide photo playlist, from 10 minutes of the player and of feh.

Twenty 4000x3000 JPEGs (five generated photos, each copied four times with its own bytes
after the picture's end: twenty files, twenty hashes, twenty decodes for both programs) at
10 s each with cut transitions: a 200 s loop, so 10 minutes hold the first loop and two more.
The player (`signage run --fullscreen`, renderer auto, its prepared-slide cache empty at
the start) and `feh -F -Z -D 10` run at the same time, each on its own 1920x1080x24 Xvfb:
together they keep a core busy for under a second a minute, so neither slows the other
(the two servers are pinned to nothing; the machine is otherwise idle during make bench).
The hour is extrapolated from the two later loops (steady state: 400 s) and, beside it,
from the whole 10 minutes (first loop included). Goal (issue 17, steady state): player
≤ 0.5 × feh.

    .venv/bin/python bench/hourly.py [--minutes 10]

Prints its rows and writes bench/results/hourly.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path

import common
from common import Row

DISTINCT = 5
SLIDES = 20
SLIDE_S = 10
LOOP_S = SLIDES * SLIDE_S
AT = "2024-01-01T00:00:00"  # no hours in the playlist: its cycle starts at midnight, slide 1 first


def playlist(names: list[str]) -> str:
    return f"name: photos\ndefaults: {{duration: {SLIDE_S}, transition: cut, fit: contain}}\nslides:\n" + "".join(
        f"  - {{image: {name}}}\n" for name in names
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    options = parser.parse_args()
    seconds = options.minutes * 60
    with tempfile.TemporaryDirectory(prefix="bench-hourly-") as scratch:
        root = common.content_root(Path(scratch), {})
        media = root / "media"
        names = common.photo_copies(media, DISTINCT, SLIDES, seed=400)
        (root / "playlists" / "photos.yaml").write_text(playlist(names))
        commands = {
            "player": [*common.SIGNAGE, "-v", "run", "--fullscreen", "--at", AT, "--renderer", "auto"],
            "feh": ["feh", "-F", "-Z", "-D", str(SLIDE_S), *(str(media / name) for name in names)],
        }
        watched: dict[str, common.Watched] = {}
        with common.xvfb() as first, common.xvfb() as second:
            servers = {"player": first, "feh": second}

            def run(name: str) -> None:
                watched[name] = common.watch(
                    commands[name], seconds, env=servers[name].env(), cwd=root, log_path=root / f"{name}.log",
                    interval=1.0,
                )

            threads = [threading.Thread(target=run, args=(name,)) for name in commands]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if set(watched) != set(commands):
            raise RuntimeError("a run failed: see the log above")
    figures = {name: per_hour(w.timeline, seconds) for name, w in watched.items()}
    for name, w in watched.items():
        figures[name]["peak_rss"] = w.peak_rss
    player, feh = figures["player"], figures["feh"]
    ratio = player["steady_per_hour"] / feh["steady_per_hour"]
    rows = [
        Row(
            f"CPU per hour, 20-slide photo playlist (4000x3000 JPEG, 10 s each, cut, 1920x1080 Xvfb), "
            f"extrapolated from the later loops of {options.minutes:g} minutes, player vs feh",
            f"player {player['steady_per_hour']:.0f} s/h, feh {feh['steady_per_hour']:.0f} s/h (×{ratio:.2f}); "
            f"the whole {options.minutes:g} min, first loop included: player {player['whole_per_hour']:.0f} s/h, "
            f"feh {feh['whole_per_hour']:.0f} s/h",
            "player ≤ 0.5 × feh",
            ratio <= 0.5,
        ),
        Row(
            f"Peak RSS over the {options.minutes:g} minutes of the 20-slide playlist, player vs feh",
            f"player {common.mb(player['peak_rss'])}, feh {common.mb(feh['peak_rss'])} "
            f"(×{player['peak_rss'] / feh['peak_rss']:.2f})",
            "player ≤ 2 × feh",
            player["peak_rss"] <= 2 * feh["peak_rss"],
        ),
    ]
    common.report("hourly", rows, notes(figures, seconds), {"figures": figures, "seconds": seconds})
    return 0


def per_hour(timeline: list[tuple[float, float]], seconds: float) -> dict[str, float]:
    """CPU seconds per hour: from the loops after the first, and from the whole run."""

    def cpu_at(second: float) -> float:
        return max((cpu for t, cpu in timeline if t <= second), default=0.0)

    end_t, end_cpu = timeline[-1]
    first_loop = cpu_at(LOOP_S)
    return {
        "first_loop_cpu_s": first_loop,
        "steady_per_hour": (end_cpu - first_loop) / (end_t - LOOP_S) * 3600,
        "whole_per_hour": end_cpu / end_t * 3600,
        "cpu_s": end_cpu,
    }


def notes(figures: dict[str, dict[str, float]], seconds: float) -> str:
    player, feh = figures["player"], figures["feh"]
    return (
        f"**CPU per hour.** Both programs ran for {seconds:.0f} s at the same time, each on its own Xvfb. "
        f"The player spent {player['first_loop_cpu_s']:.2f} s in its first loop (start-up, and each of the 20 "
        f"photos hashed, decoded, fitted and kept in state/prepared) and {player['cpu_s']:.2f} s in all; feh "
        f"{feh['first_loop_cpu_s']:.2f} s and {feh['cpu_s']:.2f} s (feh decodes every photo at every change, "
        "loop after loop). On later loops the player reads each prepared 1920x1080 picture back (6 MB) "
        "instead of decoding a 4000x3000 JPEG: what a screen showing the same playlist for weeks costs is "
        "the steady figure."
    )


if __name__ == "__main__":
    sys.exit(main())
