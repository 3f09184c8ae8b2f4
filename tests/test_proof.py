"""Proof of play: exact plays from an accelerated run, a kill -9, the report, and uploads
to a real loopback server that fails before it succeeds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pygame
import pytest
import requests

from player.core.loader import load_playlists
from player.core.scheduler import Timetable
from player.fleet.uplink import ProofUploader
from player.ops.proof import ProofLog, log_files, read_plays, render_table, summarise
from player.render.screen import open_screen
from player.render.slides import Painter
from player.render.text import FontChain
from tests.harness import driven_player

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def test_plays_are_recorded_with_exact_ids_and_durations(tmp_path: Path) -> None:
    pygame.display.init()
    pygame.freetype.init()
    window = pygame.Window("t", (160, 90))
    playlists = load_playlists(
        {"p.yaml": "name: p\ndefaults: {duration: 2, transition: cut}\nslides:\n  - {text: a, id: a}\n  - {text: b, id: b}\n  - {text: c, id: c}\n"}
    ).playlists
    proof = ProofLog(tmp_path / "proof")
    player, _ = driven_player(
        Timetable(playlists), T0, open_screen(window, "software", 0), Painter(tmp_path, (160, 90), FontChain.resolve()), 10.0,
        report={"proof": proof, "screen_id": "lobby-1"},
    )
    player.run(2.1)  # 21 content seconds (driven, not waited): ten whole slides and the start of an eleventh
    window.destroy()
    plays = list(read_plays(log_files(tmp_path / "proof")))
    ids = [p["slide_id"] for p in plays]
    assert ids[:10] == ["a", "b", "c", "a", "b", "c", "a", "b", "c", "a"]
    for play in plays[:10]:
        assert play["screen"] == "lobby-1" and play["playlist"] == "p" and play["completed"] is True
        assert float(play["seconds"]) == 2.0  # driven time: exact
    first = plays[0]
    assert first["start"] == T0.isoformat() or abs(datetime.fromisoformat(str(first["start"])).timestamp() - T0.timestamp()) < 0.3
    assert plays[-1]["completed"] is False  # cut short by the end of the run
    rows = summarise(plays, "slide")
    assert [(r["slide"], r["plays"]) for r in rows] == [("a", 4), ("b", 4), ("c", 3)][: len(rows)]
    assert sum(int(str(r["plays"])) for r in rows) == len(plays)
    assert abs(sum(float(str(r["seconds"])) for r in rows) - sum(float(str(p["seconds"])) for p in plays)) < 0.5


def test_report_ignores_a_torn_last_line_and_totals_match(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    proof = tmp_path / "state" / "proof"
    proof.mkdir(parents=True)
    lines = [
        {"screen": "s", "playlist": "campaign", "slide_id": "x", "start": "2018-02-10T00:00:00+00:00", "seconds": 8.0, "completed": True},
        {"screen": "s", "playlist": "campaign", "slide_id": "y", "start": "2018-02-10T00:00:08+00:00", "seconds": 8.0, "completed": True},
        {"screen": "s", "playlist": "house", "slide_id": "w", "start": "2018-02-11T03:00:00+00:00", "seconds": 10.0, "completed": False},
    ]
    (proof / "proof-2018-02-10.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines[:2]))
    (proof / "proof-2018-02-11.jsonl").write_text(json.dumps(lines[2]) + "\n" + '{"screen": "s", "playlist": "ho')
    result = run_cli("--state", str(tmp_path / "state"), "report", "--by", "playlist")
    assert result.status == 0, result.stderr
    assert result.stdout.splitlines() == [
        "PLAYLIST  PLAYS  COMPLETED  SECONDS",
        "campaign      2          2     16.0",
        "house         1          0     10.0",
        "total: 3 plays, 26.0 s on screen",
    ]
    csv = run_cli("--state", str(tmp_path / "state"), "report", "--by", "day", "--csv", "--from", "2018-02-11", "--to", "2018-02-11")
    assert csv.stdout.splitlines() == ["day,zone,plays,completed,seconds", "2018-02-11,UTC,1,0,10.0"]


def test_kill_9_mid_slide_leaves_a_readable_log(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    for folder in ("playlists", "media", "state", "config"):
        (tmp_path / folder).mkdir()
    (tmp_path / "config" / "player.yaml").write_text("timezone: UTC\n")
    (tmp_path / "playlists" / "p.yaml").write_text("name: p\nslides:\n  - {text: a, duration: 0.2, transition: cut}\n  - {text: b, duration: 0.2, transition: cut}\n")
    process = subprocess.Popen(  # the real clock: only it writes proof of play
        [sys.executable, "-m", "player", "run", "--windowed", "--size", "160x90"],
        cwd=tmp_path, env={**os.environ, "SDL_VIDEODRIVER": "dummy"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    # Killed once five plays are on disk (about a second in): the sixth slide is on screen.
    deadline = time.monotonic() + 20
    while len(list(read_plays(log_files(tmp_path / "state" / "proof")))) < 5:
        assert time.monotonic() < deadline and process.poll() is None, "the player recorded no plays"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    plays = list(read_plays(log_files(tmp_path / "state" / "proof")))
    assert len(plays) >= 5
    assert all(p["slide_id"] in ("p:0", "p:1") for p in plays)
    result = run_cli("report", "--by", "slide", cwd=tmp_path)
    assert f"total: {len(plays)} plays" in result.stdout


def test_a_preview_on_a_simulated_clock_leaves_the_proof_log_as_it_was(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    for folder in ("playlists", "media", "config"):
        (tmp_path / folder).mkdir()
    (tmp_path / "config" / "player.yaml").write_text("timezone: UTC\n")
    (tmp_path / "playlists" / "p.yaml").write_text("name: p\nslides:\n  - {text: a, duration: 1, transition: cut}\n  - {text: b, duration: 1, transition: cut}\n")
    proof = tmp_path / "state" / "proof"
    proof.mkdir(parents=True)
    real = {"screen": "s", "playlist": "p", "slide_id": "p:0", "start": "2024-03-01T11:00:00+00:00", "seconds": 1.0, "completed": True}
    (proof / "proof-2024-03-01.jsonl").write_text(json.dumps(real) + "\n")
    before = {path.name: path.read_bytes() for path in proof.iterdir()}
    clocks = (["--at", "2024-03-01T12:00:00"], ["--speed", "60"], ["--at", "2018-02-10T09:00:00", "--speed", "60"])
    previews = [  # side by side: 2 s at 60x is 120 slides on screen, none of them a real play
        subprocess.Popen(
            [sys.executable, "-m", "player", "run", "--windowed", "--size", "160x90", "--duration", "2", *clock],
            cwd=tmp_path, env={**os.environ, "SDL_VIDEODRIVER": "dummy"}, stderr=subprocess.PIPE, text=True,
        )
        for clock in clocks
    ]
    for clock, preview in zip(clocks, previews, strict=True):
        _, stderr = preview.communicate(timeout=60)
        assert preview.returncode == 0, stderr
        assert "no proof of play is written" in stderr, clock
    assert {path.name: path.read_bytes() for path in proof.iterdir()} == before
    assert "total: 1 plays" in run_cli("report", cwd=tmp_path).stdout


class _Collector(BaseHTTPRequestHandler):
    """A proof-of-play endpoint: fails the first `fail` POSTs, then keeps batches by id."""

    def do_POST(self) -> None:
        server = self.server
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if server.fail > 0:  # type: ignore[attr-defined]
            server.fail -= 1  # type: ignore[attr-defined]
            self.send_response(500)
        else:
            server.batches.setdefault(self.headers["X-Batch-Id"], body)  # type: ignore[attr-defined]
            server.posts += 1  # type: ignore[attr-defined]
            self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    server.fail, server.batches, server.posts = 2, {}, 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def test_upload_fails_then_succeeds_and_every_play_arrives_once(tmp_path: Path, collector: ThreadingHTTPServer) -> None:
    folder = tmp_path / "proof"
    folder.mkdir()
    days = {"2024-02-28": 3, "2024-02-29": 2, "2024-03-01": 1}  # the last one is today: still open
    for day, count in days.items():
        (folder / f"proof-{day}.jsonl").write_text("".join(json.dumps({"slide_id": f"{day}-{i}", "start": day, "seconds": 1}) + "\n" for i in range(count)))
    url = f"http://127.0.0.1:{collector.server_address[1]}/proof"
    with requests.Session() as session:
        uploader = ProofUploader(url, folder, "lobby-1", 60, "tok", session, today=lambda: T0)
        uploader.tick()  # 500: nothing deleted, stops at the oldest
        assert len(log_files(folder)) == 3
        uploader.tick()  # 500 again
        uploader.tick()  # now both closed days go
        uploader.tick()  # nothing left to send
    assert [p.name for p in log_files(folder)] == ["proof-2024-03-01.jsonl"]
    assert collector.posts == 2  # type: ignore[attr-defined]
    received = [json.loads(line)["slide_id"] for body in collector.batches.values() for line in body.decode().splitlines()]  # type: ignore[attr-defined]
    assert sorted(received) == ["2024-02-28-0", "2024-02-28-1", "2024-02-28-2", "2024-02-29-0", "2024-02-29-1"]
    assert all(key.startswith("lobby-1/proof-2024-02-2") for key in collector.batches)  # type: ignore[attr-defined]


def test_render_table_handles_no_plays() -> None:
    assert render_table([], as_csv=False) == "(no plays)\n"
