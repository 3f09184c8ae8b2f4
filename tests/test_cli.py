"""The signage command, run in-process on the demo content and on scratch folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_schedule_at_campaign_and_house(run_cli) -> None:  # type: ignore[no-untyped-def]
    during = run_cli("schedule", "--at", "2018-02-10T09:00:00+09:00", "--json", cwd=REPO)
    assert during.status == 0, during.stderr
    record = json.loads(during.stdout)
    assert record == {
        "at": "2018-02-10T09:00:00+09:00",
        "playlist": "greatness-of-small",
        "slide_index": 0,
        "slide_id": "kenya-street",
        "slide_start": "2018-02-10T09:00:00+09:00",
        "slide_end": "2018-02-10T09:00:08+09:00",
    }
    after = run_cli("schedule", "--at", "2018-02-26T00:00:00+09:00", "--json", cwd=REPO)
    assert json.loads(after.stdout)["playlist"] == "house"


def test_schedule_naive_time_is_in_the_configured_zone(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("schedule", "--at", "2018-02-10T09:00", "--json", cwd=REPO)
    assert json.loads(result.stdout)["at"] == "2018-02-10T09:00:00+09:00"


def test_timeline_stretches_and_slides(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("schedule", "--from", "2018-02-08T12:00", "--to", "2018-02-09T12:00", "--json", cwd=REPO)
    assert result.status == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"start": "2018-02-08T12:00:00+09:00", "end": "2018-02-08T23:00:00+09:00", "playlist": "layout:games-wall"},
        {"start": "2018-02-08T23:00:00+09:00", "end": "2018-02-09T06:00:00+09:00", "playlist": "house"},
        {"start": "2018-02-09T06:00:00+09:00", "end": "2018-02-09T12:00:00+09:00", "playlist": "greatness-of-small"},
    ]
    slides = run_cli(
        "schedule", "--from", "2018-02-09T06:00", "--to", "2018-02-09T06:00:20", "--slides", "--json", cwd=REPO
    )
    assert [(s["slide_id"], s["start"][11:19], s["end"][11:19]) for s in json.loads(slides.stdout)] == [
        ("kenya-street", "06:00:00", "06:00:08"),
        ("kenya-rink-ko", "06:00:08", "06:00:16"),
        ("kenya-closing", "06:00:16", "06:00:20"),  # clipped to the span asked for
    ]
    table = run_cli("schedule", "--from", "2018-02-08T12:00", "--to", "2018-02-09T12:00", cwd=REPO)
    assert table.stdout.splitlines()[0].split() == ["START", "END", "PLAYLIST"]
    assert "2018-02-09 06:00:00+09:00" in table.stdout


def test_validate_demo_is_clean(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("validate", cwd=REPO)
    assert result.status == 0, result.stdout + result.stderr
    assert "OK" in result.stderr


def test_validate_broken_file_exits_1_with_location(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "playlists").mkdir()
    (tmp_path / "media").mkdir()
    (tmp_path / "playlists" / "bad.yaml").write_text("slides:\n  - text: hi\n    transition: wipe\n")
    (tmp_path / "playlists" / "gone.yaml").write_text("slides:\n  - text: hi\n  - image: gone.png\n")
    result = run_cli("validate")
    assert result.status == 1
    lines = result.stdout.splitlines()
    assert (
        lines[0]
        == f"{tmp_path}/playlists/bad.yaml:3:17: slides[0].transition: 'wipe' is not one of: cut, fade, slide-left, slide-up"
    )
    assert lines[1].startswith(f"{tmp_path}/playlists/gone.yaml:3:5: slides[1].image: media file 'gone.png' not found")
    assert result.stderr == "2 problem(s) in 2 file(s)\n"


def test_usage_errors_exit_2(run_cli) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("schedule", "--at", "yesterday", cwd=REPO).status == 2
    assert run_cli("schedule", "--from", "2018-02-10", cwd=REPO).status == 2
    assert run_cli("no-such-command").status == 2
    assert run_cli("validate", "missing.yaml").status == 2


def test_config_errors_exit_1(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "player.yaml").write_text("timezone: UTC\ndisplay:\n  rotation: 90\n")
    result = run_cli("validate")
    assert result.status == 1
    assert result.stderr.startswith(
        f"{tmp_path}/config/player.yaml:3:3: display.rotation: unknown field 'rotation'; did you mean 'rotate'?"
    )


def test_console_script_and_module_run() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "player", "schedule", "--at", "2018-02-10T09:00:00+09:00", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["playlist"] == "greatness-of-small"
    help_text = subprocess.run(
        [sys.executable, "-m", "player", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("validate", "schedule"):
        assert command in help_text


def test_playing_loads_neither_cryptography_nor_requests(tmp_path: Path) -> None:
    """A screen without uplinks never signs nor fetches: those libraries stay out of its memory (~18 MB)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "player",
            "--state",
            str(tmp_path),
            "run",
            "--windowed",
            "--size",
            "320x180",
            "--at",
            "2018-02-10T09:00:00",
            "--duration",
            "1",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    }
    assert "pygame" in imported and "player.render.loop" in imported  # the check sees what was loaded
    assert not {name for name in imported if name.split(".")[0] in ("cryptography", "requests")}
