"""Tests for player.ops.statedir: the state folder's names, round trips, and torn files read as empty."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from player.core.errors import Location, Problem
from player.ops.clocktrust import newest_issue_time, read_last_played
from player.ops.statedir import (
    Installed,
    LastSync,
    StateDir,
    read_durations,
    read_json_object,
    write_durations,
)
from player.ops.status import Status

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def state(tmp_path: Path) -> StateDir:
    return StateDir.at(tmp_path / "state")


def test_the_layout_is_the_documented_one(state: StateDir) -> None:
    root = state.root
    assert [state.status, state.screenshot, state.video_durations, state.proof] == [
        root / "status.json",
        root / "screenshot.png",
        root / "video-durations.json",
        root / "proof",
    ]
    assert [state.manifest, state.http_validators, state.installed, state.last_sync] == [
        root / "sync" / name for name in ("manifest.json", "http.json", "installed.json", "last.json")
    ]


def test_make_creates_the_sync_folder(state: StateDir) -> None:
    state.make()
    state.make()  # twice is fine
    assert state.sync.is_dir()


def test_the_status_round_trips_and_a_missing_or_torn_one_raises(state: StateDir) -> None:
    with pytest.raises(OSError):
        state.read_status()
    problem = Problem(Location("p.yaml", 3, 5), "slides[0]", "bad")
    state.write_status(Status(T0, "campaign", "a", 0, ["p.yaml"], [problem], 7, {"pid": 12}))
    document = state.read_status()
    assert document["playlist"] == "campaign" and document["pid"] == 12 and document["content_version"] == 7
    assert read_last_played(state.status) is not None
    state.status.write_text('{"playlist": "camp')  # torn: `signage status` says it cannot read it
    with pytest.raises(ValueError):
        state.read_status()
    assert read_last_played(state.status) is None  # the clock guard just has no fallback


def test_installed_round_trips_and_reads_empty_before_the_first_install(state: StateDir) -> None:
    assert state.read_installed() == Installed()
    record = Installed(3, "lobby", "2026-12-31T00:00:00+00:00", {"media/a.png": "ab" * 32}, "0123456789abcdef")
    state.write_installed(record)
    assert state.read_installed() == record
    # The bytes the sync client has always written (docs/fleet.md describes them).
    assert json.loads(state.installed.read_text()) == {
        "version": 3,
        "channel": "lobby",
        "expires": "2026-12-31T00:00:00+00:00",
        "key": "0123456789abcdef",
        "files": {"media/a.png": "ab" * 32},
    }


@pytest.mark.parametrize("torn", [b"", b'{"version": 3, "chan', b"[1, 2]", b"\xff\xfe", b'"text"'])
def test_torn_or_foreign_sync_files_read_as_empty(state: StateDir, torn: bytes) -> None:
    state.make()
    for path in (state.installed, state.http_validators, state.last_sync, state.manifest, state.video_durations):
        path.write_bytes(torn)
    assert state.read_installed() == Installed()
    assert state.read_http_validators() == {}
    assert state.read_last_sync() == LastSync()
    assert state.manifest_issued() is None
    assert read_durations(state.video_durations) == {}


def test_wrong_types_inside_a_whole_file_are_left_out(state: StateDir) -> None:
    state.make()
    state.installed.write_text('{"version": "3", "channel": 5, "expires": null, "files": {"a": "b"}}')
    assert state.read_installed() == Installed(files={"a": "b"})
    state.http_validators.write_text('{"etag": "\\"x\\"", "last_modified": 5}')
    assert state.read_http_validators() == {"etag": '"x"'}
    state.video_durations.write_text('{"aa": 2, "bb": "long", "cc": 1.5}')
    assert read_durations(state.video_durations) == {"aa": 2.0, "cc": 1.5}


def test_http_validators_round_trip(state: StateDir) -> None:
    state.write_http_validators({"etag": '"v7"', "last_modified": "Tue, 01 Dec 2026 09:00:00 GMT"})
    assert state.read_http_validators() == {"etag": '"v7"', "last_modified": "Tue, 01 Dec 2026 09:00:00 GMT"}


def test_a_failed_poll_keeps_the_last_success(state: StateDir) -> None:
    state.record_sync(succeeded_at=None, error="timed out")
    assert json.loads(state.last_sync.read_text()) == {"last_error": "timed out"}  # no success yet: no key
    state.record_sync(succeeded_at=T0.isoformat(), error=None)
    state.record_sync(succeeded_at=None, error="HTTP 503")
    assert state.read_last_sync() == LastSync(T0.isoformat(), "HTTP 503")


def test_the_manifest_issue_time_is_read_from_the_signed_payload(state: StateDir) -> None:
    assert not state.has_manifest()
    payload = json.dumps({"issued": "2026-11-28T11:00:00+00:00"})
    state.write_manifest(json.dumps({"payload": payload, "signature": "x"}).encode())
    assert state.has_manifest()
    assert state.manifest_issued() == datetime(2026, 11, 28, 11, tzinfo=UTC)
    assert newest_issue_time(state.root) == state.manifest_issued()


def test_video_durations_round_trip_sorted(state: StateDir) -> None:
    write_durations(state.video_durations, {"bb": 2.5, "aa": 10.0})
    assert read_durations(state.video_durations) == {"aa": 10.0, "bb": 2.5}
    assert state.video_durations.read_text().index('"aa"') < state.video_durations.read_text().index('"bb"')


def test_read_json_object_never_raises(tmp_path: Path) -> None:
    assert read_json_object(tmp_path / "missing.json") == {}
    assert read_json_object(tmp_path) == {}  # a folder
    (tmp_path / "ok.json").write_text('{"a": 1}')
    assert read_json_object(tmp_path / "ok.json") == {"a": 1}
