"""Each command group of the CLI in-process, with the Environment's clocks replaced: the
parser every command is registered in, the exit statuses, and the commands that read the
wall clock (``publish``, ``status``) or wait (``screenshot``)."""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from player.cli.command import ExitStatus
from player.cli.main import main
from player.core.config import Config
from player.core.errors import ContentError, Location, PlayerError, Problem, UsageError
from player.ops.environment import Environment
from tests.fleet import PLAYLIST

COMMANDS = ["validate", "schedule", "run", "render", "keygen", "publish", "sync", "feeds", "report", "screenshot", "status"]
T0 = datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC)  # far from the machine's clock: a test sees which one was read


class FakeClock:
    """``monotonic`` that only ``sleep`` moves; ``on_sleep`` runs at each sleep (the "player")."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []
        self.on_sleep = lambda: None

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        self.on_sleep()


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """What ``signage ARGS --help`` prints (argparse writes it to the process's stdout)."""
    assert main([*args, "--help"], Environment(environ={"TZ": "UTC"})) == 0
    return capsys.readouterr().out


def test_every_command_is_listed_in_order_and_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    listing = _help(capsys).split("commands:\n", 1)[1]
    assert re.findall(r"^    (\w+)", listing, re.M) == COMMANDS
    for name in COMMANDS:
        assert _help(capsys, name).startswith(f"usage: signage {name}"), name


def test_the_help_comes_from_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    from player.cli.fleet import cmd_keygen

    summary, described = (cmd_keygen.__doc__ or "").split("\n\n")
    assert f"    keygen         {summary}\n" in _help(capsys)
    # argparse re-flows the rest of the docstring as the description.
    assert " ".join(described.split()) in " ".join(_help(capsys, "keygen").split())


@pytest.mark.parametrize(
    ("error", "status", "said"),
    [
        (UsageError("bad option"), ExitStatus.USAGE_ERROR, "signage: error: bad option\n"),
        (ContentError([Problem(Location("p.yaml", 2, 3), "slides[0]", "no")]), ExitStatus.CONTENT_ERROR, "p.yaml:2:3"),
        (PlayerError("the machine"), ExitStatus.FAILURE, "signage: the machine\n"),
        (KeyboardInterrupt(), ExitStatus.OK, ""),
    ],
)
def test_main_is_the_one_place_errors_become_exit_statuses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, error: BaseException, status: int, said: str
) -> None:
    def failing(*_: object) -> Config:
        raise error

    monkeypatch.setattr("player.cli.main.resolve_config", failing)
    err = io.StringIO()
    env = Environment(stdout=io.StringIO(), stderr=err, environ={"TZ": "UTC"}, cwd=tmp_path)
    assert main(["report"], env) == status
    assert said in err.getvalue()


def test_keygen_refuses_to_overwrite_a_key(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    made = run_cli("keygen", "keys")
    assert made.status == 0
    assert made.stdout.splitlines() == [
        f"private key: {tmp_path}/keys/publisher.key (keep it secret, mode 0600)",
        f"public key:  {tmp_path}/keys/publisher.pub (copy it to every screen)",
    ]
    again = run_cli("keygen", "keys")
    assert again.status == 2 and "refusing to overwrite" in again.stderr


def test_publish_signs_at_the_environments_now(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "playlists").mkdir()
    (tmp_path / "media").mkdir()
    (tmp_path / "playlists" / "shop.yaml").write_text(PLAYLIST.replace("image: photos/shelf.png", "text: shelf"))
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "media" / "poster.png")
    assert run_cli("keygen", "keys").status == 0
    first = run_cli("publish", "--key", "keys/publisher.key", "--out", "out", "--expires", "2h", now=lambda: T0)
    assert first.status == 0, first.stderr
    assert first.stdout == "published channel default version 1: 2 files, 2 new object(s), expires in 2h\n"
    payload = json.loads(json.loads((tmp_path / "out/channels/default/manifest.json").read_text())["payload"])
    assert datetime.fromisoformat(payload["issued"]) == T0
    assert datetime.fromisoformat(payload["expires"]) == T0 + timedelta(hours=2)
    # Unchanged, and still valid at the Environment's clock (the machine's would say it expired long ago).
    later = run_cli("publish", "--key", "keys/publisher.key", "--out", "out", now=lambda: T0 + timedelta(hours=1))
    assert later.stdout == "unchanged: channel default stays at version 1 (2 files)\n"


def _status(root: Path, **fields: object) -> Path:
    (root / "config").mkdir(exist_ok=True)
    (root / "config" / "player.yaml").write_text("timezone: UTC\n")
    (root / "state").mkdir(exist_ok=True)
    base = {"playlist": "house", "slide_id": "house#1", "loaded": ["house"], "errors": []}
    path = root / "state" / "status.json"
    path.write_text(json.dumps({**base, **fields}))
    return path


@pytest.mark.parametrize(("age", "status"), [(timedelta(seconds=10), 0), (timedelta(hours=1), 3)])
def test_status_judges_the_age_by_the_environments_clock(run_cli, tmp_path: Path, age: timedelta, status: int) -> None:  # type: ignore[no-untyped-def]
    _status(tmp_path, written=T0.isoformat())
    result = run_cli("status", now=lambda: T0 + age)
    assert result.status == status, result.stdout
    if status == 3:
        assert result.stdout.startswith("not running (last seen 60 min ago")


def test_status_without_a_file_is_a_usage_error(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("--state", "nowhere", "status")
    assert result.status == 2
    assert result.stderr.startswith(f"signage: error: no status at {tmp_path}/nowhere/status.json (")
    shot = run_cli("--state", "nowhere", "screenshot")
    assert shot.status == 2
    assert shot.stderr.startswith(f"signage: error: no status in {tmp_path}/nowhere (")


@pytest.fixture
def stand_in_player() -> Iterator[int]:
    """A live process that ignores SIGUSR1, as the player does (it takes a screenshot)."""
    code = (
        "import signal, time; signal.signal(signal.SIGUSR1, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    try:
        yield process.pid
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stdout.close()


def test_screenshot_waits_on_the_environments_clock(run_cli, tmp_path: Path, stand_in_player: int) -> None:  # type: ignore[no-untyped-def]
    _status(tmp_path, pid=stand_in_player, written=T0.isoformat())
    clock = FakeClock()
    result = run_cli("screenshot", "--timeout", "2", now=lambda: T0, monotonic=clock.monotonic, sleep=clock.sleep)
    assert result.status == 3
    assert result.stderr == f"signage: the player (pid {stand_in_player}) wrote no screenshot within 2 s\n"
    assert set(clock.slept) == {0.05} and 2 <= sum(clock.slept) < 2.1  # the fake clock's seconds, not real ones

    picture = tmp_path / "state" / "screenshot.png"
    clock.on_sleep = lambda: picture.write_bytes(b"png")  # the player answers while it is waited for
    answered = run_cli("screenshot", now=lambda: T0, monotonic=clock.monotonic, sleep=clock.sleep)
    assert answered.status == 0 and answered.stdout == f"{picture}\n"


def test_screenshot_needs_a_pid(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _status(tmp_path, written=T0.isoformat())
    result = run_cli("screenshot", now=lambda: T0)
    assert result.status == 2 and "names no player process" in result.stderr


def test_validate_takes_files_and_folders_relative_to_the_working_folder(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "media").mkdir()
    (tmp_path / "lists" / "more").mkdir(parents=True)
    (tmp_path / "lists" / "a.yaml").write_text("slides:\n  - text: A\n")
    (tmp_path / "lists" / "more" / "b.yaml").write_text("slides:\n  - text: B\n  - text: C\n")
    assert run_cli("validate", "lists/a.yaml").stderr == "1 playlist(s), 1 slide(s): OK\n"
    assert run_cli("validate", "lists/more", "lists/a.yaml").stderr == "2 playlist(s), 3 slide(s): OK\n"


def test_validate_says_which_name_was_meant(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for folder in ("playlists", "media", "config"):
        (tmp_path / folder).mkdir()
    (tmp_path / "config" / "player.yaml").write_text("timezone: UTC\n")
    (tmp_path / "media" / "kenya-rink.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    (tmp_path / "playlists" / "t.yaml").write_text(
        "name: t\nslides:\n  - {image: Kenya-Rink.svg}\n  - {image: kenya-rinc.svg}\n  - {image: nothing-like-it.png}\n"
    )
    out = run_cli("validate").stdout
    assert "'Kenya-Rink.svg' not found in" in out and "did you mean 'kenya-rink.svg'? (names are case-sensitive)" in out
    assert "'kenya-rinc.svg' not found in" in out and out.count("did you mean 'kenya-rink.svg'?") == 2
    assert "'nothing-like-it.png' not found in" in out and "add it there or fix the name" in out
    (tmp_path / "playlists" / "t.yaml").write_text("name: t\nschedule: {timezone: Asia/Seol}\nslides: [{text: a}]\n")
    assert "unknown time zone 'Asia/Seol': did you mean 'Asia/Seoul'?" in run_cli("validate").stdout
    (tmp_path / "playlists" / "t.yaml").write_text("name: t\nschedule: {timezone: asia/seoul}\nslides: [{text: a}]\n")
    assert "did you mean 'Asia/Seoul'?" in run_cli("validate").stdout
    (tmp_path / "playlists" / "t.yaml").write_text("name: t\nslides:\n  - text: a\n    background: #ff6a00\n")
    assert 'in YAML a # starts a comment, so write the colour in quotes ("#ff6a00")' in run_cli("validate").stdout
