"""`signage status` tells a live player from a dead one: the pid in the status file, the
process start time recorded beside it, and the age of the file."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from player.ops.liveness import STALE_AFTER_S, Liveness, ago, judge, process_start
from tests.harness import start_player, stop

HOUSE = "name: house\nslides:\n  - {text: House, duration: 600, transition: cut}\n"


def test_a_live_player_then_killed(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    running = start_player(tmp_path, {"house.yaml": HOUSE})
    try:
        status = running.wait_for(lambda s: s.get("playlist") == "house", timeout=15)
        pid = running.process.pid
        assert (status["pid"], status["pid_start"]) == (pid, process_start(pid))
        assert abs(datetime.fromisoformat(status["written"]) - datetime.now(UTC)) < timedelta(seconds=30)
        alive = run_cli("status", cwd=tmp_path)
        assert alive.status == 0, alive.stdout + alive.stderr
        assert re.search(r"^playing +house / ", alive.stdout, re.M) and "not running" not in alive.stdout

        running.process.send_signal(signal.SIGKILL)
        # Before its parent reaps it the pid still exists, as a zombie: that is dead too.
        deadline = time.monotonic() + 5
        while (zombie := run_cli("status", cwd=tmp_path)).status == 0:
            assert time.monotonic() < deadline, "a killed player still reported as playing"
            time.sleep(0.05)
        assert zombie.status == 3
        running.process.wait(timeout=5)
        dead = run_cli("status", cwd=tmp_path)
        assert dead.status == 3
        assert re.match(rf"not running \(last seen \d+ s ago, pid {pid} gone\)\n", dead.stdout), dead.stdout
        assert re.search(r"^was playing house / ", dead.stdout, re.M)
        assert run_cli("status", "--json", cwd=tmp_path).status == 3
        shot = run_cli("screenshot", cwd=tmp_path)  # no signal to a pid that may now be someone else's
        assert shot.status == 3 and "not running" in shot.stderr
    finally:
        stop(running)


@pytest.fixture
def other_program() -> Iterator[int]:
    """A live process that is not a player (what a dead player's pid may become)."""
    process = subprocess.Popen(["sleep", "60"])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def _status_file(root: Path, **fields: object) -> None:
    (root / "config").mkdir()
    (root / "config" / "player.yaml").write_text("timezone: UTC\n")
    (root / "state").mkdir()
    base = {"playlist": "house", "slide_id": "house#1", "loaded": ["house"], "errors": []}
    (root / "state" / "status.json").write_text(json.dumps({**base, **fields}))


def _ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


def _recorded(start: str | None, pid: int) -> int | None:
    """The start time a status file records for ``pid``: its own, another process's, or none."""
    return {"other": process_start(os.getpid()), "same": process_start(pid), None: None}[start]


@pytest.mark.parametrize(
    ("start", "age", "said"),
    [
        ("other", 0, "that number is now another program"),  # recorded start time differs
        (None, 600, "exists but the status is not being updated"),  # nothing recorded: the age decides
        ("same", 600, "is alive but has stopped updating its status"),  # the player itself, hung
    ],
)
def test_a_pid_that_exists_but_is_not_a_playing_player(  # type: ignore[no-untyped-def]
    tmp_path: Path, run_cli, other_program: int, start: str | None, age: float, said: str
) -> None:
    _status_file(tmp_path, pid=other_program, pid_start=_recorded(start, other_program), written=_ago(age))
    result = run_cli("status", cwd=tmp_path)
    assert result.status == 3, result.stdout
    assert result.stdout.startswith("not running (last seen ") and said in result.stdout.splitlines()[0]


@pytest.mark.parametrize("start", ["same", None])  # None: cannot tell, and it is fresh: trusted
def test_a_fresh_status_of_a_live_pid_is_running(other_program: int, start: str | None) -> None:
    status = {"pid": other_program, "pid_start": _recorded(start, other_program), "written": _ago(0)}
    assert judge(status, time.time()) == Liveness(True, pytest.approx(0, abs=5))


def test_an_old_status_without_written_uses_the_files_age(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    _status_file(tmp_path, pid=2**22 + 1)  # beyond pid_max: no such process
    old = time.time() - 3600
    os.utime(tmp_path / "state" / "status.json", (old, old))
    result = run_cli("status", cwd=tmp_path)
    assert result.status == 3 and result.stdout.startswith("not running (last seen 60 min ago, pid 4194305 gone)")


def test_another_users_player_hidden_from_proc(tmp_path: Path) -> None:
    """EPERM from kill(pid, 0) is a live process of another user; with its /proc entry hidden
    (ProtectProc=invisible, hidepid) only the age of the file can tell."""
    hidden = tmp_path / "proc"  # a /proc that shows no other user's processes
    hidden.mkdir()
    fresh = {"pid": os.getpid(), "pid_start": process_start(os.getpid()), "written": _ago(0)}
    stale = {**fresh, "written": _ago(STALE_AFTER_S + 60)}
    script = (
        "import json, os, sys, time; from pathlib import Path; from player.ops.liveness import judge\n"
        "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
        "try:\n os.kill(int(sys.argv[1]), 0)\nexcept PermissionError:\n print('EPERM')\n"
        "for status in json.loads(sys.argv[2]):\n"
        " for proc in (Path('/proc'), Path(sys.argv[3])):\n"
        "  print(judge(status, time.time(), proc=proc).running)\n"
    )
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user (nobody)")
    for parent in (tmp_path, *tmp_path.parents):
        if parent == Path(tempfile.gettempdir()):
            break
        parent.chmod(parent.stat().st_mode | 0o005)
    cmd = [sys.executable, "-c", script, str(os.getpid()), json.dumps([fresh, stale]), str(hidden)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[1])
    assert result.returncode == 0, result.stderr
    # alive (EPERM); fresh: running whether /proc shows it or not; stale: not running either way
    assert result.stdout.split() == ["EPERM", "True", "True", "False", "False"]


@pytest.mark.parametrize(
    ("fields", "age", "running"),
    [
        ({}, 0, True),  # no pid recorded: the age alone decides
        ({}, STALE_AFTER_S + 1, False),
        ({"pid": 0}, 0, True),  # never kill(0): that is this process group
        ({"pid": True}, STALE_AFTER_S + 1, False),
        ({"pid": os.getpid()}, -3600, True),  # written "in the future" (the clock was set back): not stale
    ],
)
def test_judge_without_a_usable_pid(fields: dict[str, object], age: float, running: bool) -> None:
    assert judge({**fields, "written": _ago(age)}, time.time()).running is running


@pytest.mark.parametrize(
    ("seconds", "said"), [(5, "5 s"), (600, "10 min"), (3 * 3600 + 1200, "3 h 20 min"), (52 * 3600, "2 d 4 h")]
)
def test_ago(seconds: float, said: str) -> None:
    assert ago(seconds) == said


def test_status_shows_times_in_the_configured_zone_as_the_rest_of_the_cli(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    _status_file(tmp_path, pid=2**22 + 1, written="2018-02-10T00:59:50+00:00", started="2018-02-09T21:00:00+00:00",
                 last_sync="2018-02-10T00:30:00+00:00", uptime_s=14390)
    (tmp_path / "config" / "player.yaml").write_text("timezone: Asia/Seoul\n")
    lines = run_cli("status", cwd=tmp_path).stdout.splitlines()
    assert "updated     2018-02-10 09:59:50+09:00" in lines, lines
    assert any(line.endswith("(since 2018-02-10 06:00:00+09:00)") for line in lines), lines
    assert "last sync   2018-02-10 09:30:00+09:00" in lines, lines
    # The file itself stays in UTC, for programs.
    assert json.loads(run_cli("status", "--json", cwd=tmp_path).stdout)["written"] == "2018-02-10T00:59:50+00:00"
