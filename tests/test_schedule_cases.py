"""Data-driven scheduler cases: each file in tests/data/schedules holds playlists and the
decisions expected at given instants (or the slide sequence over a span)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import yaml

from player.core.loader import load_playlists
from player.core.scheduler import Timetable

CASES = sorted((Path(__file__).parent / "data" / "schedules").glob("*.yaml"))


def _timetable(case: dict) -> Timetable:  # type: ignore[type-arg]
    result = load_playlists(case["playlists"], default_timezone=case.get("default_timezone", "UTC"))
    assert not result.problems, [str(p) for p in result.problems]
    return Timetable(result.playlists)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_schedule_case(path: Path) -> None:
    case = yaml.safe_load(path.read_text())
    timetable = _timetable(case)
    for expected in case.get("expect", []):
        decision = timetable.at(datetime.fromisoformat(expected["at"].replace("Z", "+00:00")))
        actual = decision.as_json()
        actual["next_change"] = decision.next_change.isoformat() if decision.next_change else None
        for key, value in expected.items():
            if key == "at":
                continue
            assert actual[key] == value, f"{path.name} at {expected['at']}: {key}"
    if "sequence" in case:
        span = case["sequence"]
        shown = timetable.slides_between(
            datetime.fromisoformat(span["from"].replace("Z", "+00:00")),
            datetime.fromisoformat(span["to"].replace("Z", "+00:00")),
        )
        assert [f"{d.playlist}:{d.slide_index}" for d in shown] == span["slides"]


def test_every_case_asserts_something() -> None:
    assert len(CASES) >= 10
    for path in CASES:
        case = yaml.safe_load(path.read_text())
        assert case.get("expect") or case.get("sequence"), path.name
