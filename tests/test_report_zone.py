"""``signage report`` counts the screen's own days and hours (issue 18: a Seoul screen's day split at 09:00).

The proof log is written as the player writes it (UTC instants, one file per UTC day); the plays
straddle midnight in Seoul, which is 15:00 UTC.
"""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from player.ops.proof import summarise

# (UTC start, Seoul wall clock): two plays on 10 February in Seoul that UTC puts on two days, and
# two around Seoul's midnight that UTC puts on one.
PLAYS = [
    ("2018-02-09T23:30:00+00:00", "2018-02-10 08:30"),
    ("2018-02-10T00:30:00+00:00", "2018-02-10 09:30"),
    ("2018-02-10T14:59:50+00:00", "2018-02-10 23:59:50"),
    ("2018-02-10T15:00:10+00:00", "2018-02-11 00:00:10"),
]


@pytest.fixture
def seoul(tmp_path: Path) -> Path:
    """A screen folder configured for Asia/Seoul, with PLAYS in its proof log."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "player.yaml").write_text("timezone: Asia/Seoul\n")
    proof = tmp_path / "state" / "proof"
    proof.mkdir(parents=True)
    for start, _ in PLAYS:
        line = {
            "screen": "s",
            "playlist": "campaign",
            "slide_id": "x",
            "start": start,
            "seconds": 8.0,
            "completed": True,
        }
        with (proof / f"proof-{start[:10]}.jsonl").open("a") as log:
            log.write(json.dumps(line) + "\n")
    return tmp_path


def test_days_and_hours_are_the_configured_zones(seoul: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    by_day = run_cli("report", "--by", "day", "--csv", cwd=seoul)
    assert by_day.status == 0, by_day.stderr
    assert by_day.stdout.splitlines() == [
        "day,zone,plays,completed,seconds",
        "2018-02-10,Asia/Seoul,3,3,24.0",
        "2018-02-11,Asia/Seoul,1,1,8.0",
    ]
    by_hour = run_cli("report", "--by", "hour", "--csv", cwd=seoul).stdout.splitlines()
    assert [row.split(",")[0] for row in by_hour[1:]] == [
        "2018-02-10T08:00+09:00",
        "2018-02-10T09:00+09:00",
        "2018-02-10T23:00+09:00",
        "2018-02-11T00:00+09:00",
    ]
    # --from and --to are Seoul days too: 11 February is the one play after Seoul's midnight.
    one_day = run_cli("report", "--from", "2018-02-11", "--to", "2018-02-11", cwd=seoul)
    assert "total: 1 plays, 8.0 s on screen" in one_day.stdout
    ten = run_cli("report", "--from", "2018-02-10", "--to", "2018-02-10", cwd=seoul)
    assert "total: 3 plays, 24.0 s on screen" in ten.stdout
    table = run_cli("report", "--by", "day", cwd=seoul).stdout.splitlines()
    assert table[:2] == [
        "DAY         ZONE        PLAYS  COMPLETED  SECONDS",
        "2018-02-10  Asia/Seoul      3          3     24.0",
    ]


def test_help_says_whose_days(seoul: Path, run_cli, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert run_cli("report", "--help", cwd=seoul).status == 0
    assert "configured time zone" in " ".join(capsys.readouterr().out.split())


def test_hours_leaving_summer_time_are_two_rows_in_order() -> None:
    # London, 29 October 2017: 01:00-02:00 happened twice, at +01:00 and then at +00:00.
    plays: list[dict[str, object]] = [
        {"playlist": "p", "start": start, "seconds": 1}
        for start in ("2017-10-29T00:30:00+00:00", "2017-10-29T01:30:00+00:00")
    ]
    rows = summarise(plays, "hour", zone=ZoneInfo("Europe/London"))
    assert [row["hour"] for row in rows] == ["2017-10-29T01:00+01:00", "2017-10-29T01:00+00:00"]
