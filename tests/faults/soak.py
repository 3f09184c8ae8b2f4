"""The soak: a simulated week of playing, with reloads and syncs, watched for leaks.

The player runs at 1000x on the demo content (a week in about ten minutes), a playlist is
rewritten every simulated hour (a reload), and `signage sync` polls a loopback web server
that publishes a new version every 30 s. RSS, open file descriptors and threads of the
player are sampled every 15 s. The baseline is taken after a warm-up of 90 s (25 simulated
hours from the eve of the Games: every demo playlist, its SVGs and its film, has played by
then, so every cache and library the player uses is loaded); growth from there to the end
must stay under 10%.

    .venv/bin/python tests/faults/soak.py [--seconds 605]

Writes tests/faults/soak-results.json and prints a summary; exits 1 on a failed goal.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[2]
SIGNAGE = [sys.executable, "-m", "player"]
SPEED = 1000.0
WARM_UP_S = 90.0
SAMPLE_EVERY_S = 15.0
START = "2018-02-08T12:00:00"  # the launch teaser, then the campaign with its film, then house


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sample(process: psutil.Process) -> dict[str, float]:
    return {"rss_mb": process.memory_info().rss / 2**20, "fds": process.num_fds(), "threads": process.num_threads()}


def publish(site: Path, out: Path) -> None:
    subprocess.run(
        [
            *SIGNAGE,
            "--playlists",
            str(site / "playlists"),
            "--media",
            str(site / "media"),
            "publish",
            "--key",
            str(site / "keys" / "publisher.key"),
            "--out",
            str(out),
            "--expires",
            "1d",
        ],
        check=True,
        capture_output=True,
        cwd=REPO,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=605.0, help="real seconds (605 = a week at 1000x)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="signage-soak-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        site, out, screen = work / "site", work / "out", work / "screen"
        shutil.copytree(REPO / "playlists", site / "playlists")
        shutil.copytree(REPO / "media", site / "media")
        for folder in ("playlists", "media", "state", "config"):
            (screen / folder).mkdir(parents=True)
        (screen / "config" / "player.yaml").write_text("timezone: Asia/Seoul\n")
        subprocess.run([*SIGNAGE, "keygen", str(site / "keys")], check=True, capture_output=True, cwd=REPO)
        publish(site, out)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(server)
        time.sleep(0.5)
        # MALLOC_ARENA_MAX as systemd/signage-player.service sets it: the soak measures the player as deployed.
        env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1", "MALLOC_ARENA_MAX": "2"}
        sync = subprocess.Popen(
            [
                *SIGNAGE,
                "sync",
                "--url",
                f"http://127.0.0.1:{port}",
                "--pubkey",
                str(site / "keys" / "publisher.pub"),
                "--interval",
                "5",
            ],
            cwd=screen,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(sync)
        deadline = time.monotonic() + 30
        while not (screen / "playlists" / "house.yaml").exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the first sync never arrived")
            time.sleep(0.2)
        # The log goes to a file: a pipe nobody reads fills up and blocks the player.
        player_log = (work / "player.log").open("w")
        player = subprocess.Popen(
            [*SIGNAGE, "run", "--windowed", "--size", "640x360", "--at", START, "--speed", str(SPEED)],
            cwd=screen,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=player_log,
        )
        processes.append(player)
        watched = psutil.Process(player.pid)
        started = time.monotonic()
        next_reload = started
        next_publish = started + 30
        reloads = publishes = 0
        before: dict[str, float] | None = None
        series: list[dict[str, float]] = []
        next_sample = started
        while time.monotonic() - started < args.seconds:
            now = time.monotonic()
            if player.poll() is not None:
                raise RuntimeError(
                    f"the player exited: {player.stderr.read().decode()[-2000:] if player.stderr else ''}"
                )
            if now >= next_reload:  # a simulated hour: a hand-dropped playlist changes
                text = f"name: soak\npriority: -1\nslides:\n  - {{text: 'reload {reloads}', id: r{reloads % 7}}}\n"
                (screen / "playlists" / ".soak.tmp").write_text(text)
                os.replace(screen / "playlists" / ".soak.tmp", screen / "playlists" / "soak.yaml")
                reloads += 1
                next_reload += 3600 / SPEED
            if now >= next_publish:  # the central side publishes a new version
                (site / "media" / "soak-note.svg").write_text(
                    f'<svg xmlns="http://www.w3.org/2000/svg" width="16" height="9"><rect width="{publishes % 16 + 1}" height="9"/></svg>'
                )
                publish(site, out)
                publishes += 1
                next_publish += 30
            if before is None and now - started >= WARM_UP_S:
                before = sample(watched)
            if now >= next_sample:
                series.append({"t": round(now - started, 1), **sample(watched)})
                next_sample += SAMPLE_EVERY_S
            time.sleep(0.05)
        after = sample(watched)
        time.sleep(2)  # let the last reload land in the status file
        status = json.loads((screen / "state" / "status.json").read_text())
        installed = json.loads((screen / "state" / "sync" / "installed.json").read_text())
        assert before is not None
        growth = {key: (after[key] - before[key]) / before[key] for key in before}
        result = {
            "real_seconds": args.seconds,
            "simulated_days": args.seconds * SPEED / 86400,
            "reloads": reloads,
            "publishes": publishes,
            "installed_version": installed.get("version"),
            "status_content_version": status.get("content_version"),
            "before": before,
            "after": after,
            "growth": growth,
            "samples": series,
        }
        (REPO / "tests" / "faults" / "soak-results.json").write_text(json.dumps(result, indent=1) + "\n")
        ok = (
            all(value < 0.10 for value in growth.values())
            and player.poll() is None
            and status.get("content_version") == installed.get("version")
        )
        print(
            f"soak: {result['simulated_days']:.1f} simulated days, {reloads} reloads, {publishes} publishes "
            f"(installed version {installed.get('version')}, status shows {status.get('content_version')}); RSS {before['rss_mb']:.1f} → {after['rss_mb']:.1f} MB, "
            f"fds {before['fds']:.0f} → {after['fds']:.0f}, threads {before['threads']:.0f} → {after['threads']:.0f}: "
            f"{'PASS' if ok else 'FAIL'} (goal: each grows under 10%)"
        )
        if not ok:
            print((work / "player.log").read_text()[-3000:])
        player_log.close()
        return 0 if ok else 1
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
            if process.stderr:
                process.stderr.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
