"""The loader: the documented shape loads exactly; every error is one FILE:LINE:COL line."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from player.core.errors import PlaylistError
from player.core.loader import is_playlist_file, load_playlist, load_playlists
from player.core.model import HourWindow

SPEC_EXAMPLE = """\
name: greatness-of-small      # optional; defaults to the file's stem; unique across the folder
priority: 10
weight: 1
schedule:
  timezone: Asia/Seoul
  start: 2018-02-09
  end: 2018-02-25
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: ["06:00-24:00", "22:00-02:00"]
defaults:
  duration: 8
  transition: fade
  transition_duration: 0.8
  fit: cover
  background: "#000000"
slides:
  - image: kenya-hockey.png
    tagline: "We believe great dreams start small."
  - text: "To the greatness of small"
    background: "#ff6a00"
    color: "#ffffff"
  - text: "작은 것의 위대함을 위하여"
  - video: pearce.mp4
    id: pearce-spot
"""


def test_spec_example_loads_exactly() -> None:
    playlist = load_playlist(SPEC_EXAMPLE, "playlists/campaign.yaml")
    assert playlist.name == "greatness-of-small"
    assert (playlist.priority, playlist.weight) == (10, 1.0)
    schedule = playlist.schedule
    assert schedule.timezone == "Asia/Seoul"
    assert (schedule.start, schedule.end) == (date(2018, 2, 9), date(2018, 2, 25))
    assert schedule.days == frozenset(range(7))
    assert schedule.hours == (HourWindow(360, 1440), HourWindow(1320, 120))
    image, text, korean, video = playlist.slides
    assert (image.kind, image.media, image.tagline) == (
        "image",
        "kenya-hockey.png",
        "We believe great dreams start small.",
    )
    assert (image.duration, image.transition, image.transition_duration, image.fit) == (8.0, "fade", 0.8, "cover")
    assert image.id == "greatness-of-small:0"
    assert (text.background, text.color) == ((255, 106, 0, 255), (255, 255, 255, 255))
    assert korean.text == "작은 것의 위대함을 위하여" and korean.background == (0, 0, 0, 255)
    assert (video.kind, video.id, video.duration) == ("video", "pearce-spot", None)  # auto: probed later
    assert image.location.line == 17 and image.location.col == 5


def test_name_defaults_to_stem_and_no_schedule_is_always() -> None:
    playlist = load_playlist("slides:\n  - text: hi\n", "x/house.yml", default_timezone="Europe/Paris")
    assert playlist.name == "house"
    assert playlist.schedule.timezone == "Europe/Paris"
    assert playlist.schedule.hours == () and playlist.schedule.start is None


@pytest.mark.parametrize(
    ("text", "duration"),
    [("8", 8.0), ('"8s"', 8.0), ('"1m30s"', 90.0), ('"500ms"', 0.5), ("2.5", 2.5), ('"1h"', 3600.0)],
)
def test_durations(text: str, duration: float) -> None:
    playlist = load_playlist(
        f"defaults: {{transition: cut, transition_duration: 0}}\nslides:\n  - text: a\n    duration: {text}\n", "p.yaml"
    )
    assert playlist.slides[0].duration == duration


def test_a_cut_needs_no_transition_time() -> None:
    playlist = load_playlist("defaults: {transition: cut}\nslides:\n  - {text: a, duration: 0.5}\n", "p.yaml")
    assert playlist.slides[0].duration == 0.5


def test_datetime_bounds_and_day_aliases() -> None:
    playlist = load_playlist(
        'schedule:\n  start: "2024-06-01T10:30:00"\n  end: 2024-06-02T10:30:00+02:00\n  days: [weekdays, Sat]\nslides: [{text: a}]\n',
        "p.yaml",
    )
    assert playlist.schedule.start == datetime(2024, 6, 1, 10, 30)
    assert isinstance(playlist.schedule.end, datetime) and playlist.schedule.end.utcoffset() is not None
    assert playlist.schedule.days == frozenset({0, 1, 2, 3, 4, 5})


# Each case: the document, then (line, col, field, a piece of the message).
ERRORS = [
    ("slides:\n  - text: a\n    colour: red\n", (3, 5, "slides[0].colour", "did you mean 'color'?")),
    ("slides:\n  - text: a\n    transition: fade-in\n", (3, 17, "slides[0].transition", "did you mean 'fade'?")),
    ("slides:\n  - text: a\n    background: '#ff00'\n", (3, 17, "slides[0].background", "is not a colour")),
    ("slides:\n  - text: a\n    duration: -3\n", (3, 15, "slides[0].duration", "more than zero")),
    ("slides:\n  - text: a\n    duration: 8 seconds\n", (3, 15, "slides[0].duration", "is not a duration")),
    ("schedule:\n  hours: ['25:00-26:00']\nslides: [{text: a}]\n", (2, 11, "schedule.hours[0]", "not a time of day")),
    ("schedule:\n  hours: ['06:00']\nslides: [{text: a}]\n", (2, 11, "schedule.hours[0]", "expected a window")),
    ("schedule:\n  timezone: Mars/Olympus\nslides: [{text: a}]\n", (2, 13, "schedule.timezone", "unknown time zone")),
    # A folder of the zone database, not a zone: ZoneInfo raises IsADirectoryError.
    ("schedule:\n  timezone: Asia\nslides: [{text: a}]\n", (2, 13, "schedule.timezone", "unknown time zone")),
    ("schedule:\n  days: [mon, funday]\nslides: [{text: a}]\n", (2, 15, "schedule.days[1]", "is not a day")),
    (
        "schedule:\n  start: 2018-02-25\n  end: 2018-02-09\nslides: [{text: a}]\n",
        (3, 8, "schedule.end", "must come after"),
    ),
    ("slides:\n  - image: /etc/passwd.png\n", (2, 12, "slides[0].image", "absolute path")),
    ("slides:\n  - image: ../secret.png\n", (2, 12, "slides[0].image", "climbs out")),
    ("slides:\n  - image: notes.txt\n", (2, 12, "slides[0].image", "unsupported type")),
    ("slides:\n  - text: a\n    image: b.png\n", (2, 5, "slides[0]", "exactly one of")),
    ("slides:\n  - duration: 3\n", (2, 5, "slides[0]", "exactly one of")),
    ("priority: high\nslides: [{text: a}]\n", (1, 11, "priority", "whole number")),
    ("weight: 0\nslides: [{text: a}]\n", (1, 9, "weight", "from 0.001")),
    ("schedule:\n  hours: []\nslides: [{text: a}]\n", (2, 10, "schedule.hours", "omit `hours`")),
    ("schedule:\n  days: []\nslides: [{text: a}]\n", (2, 9, "schedule.days", "no days listed")),
    ("name: x\n", (1, 1, "slides", "missing `slides:`")),
    ("slides: []\n", (1, 9, "slides", "empty")),
    ("slides:\n  - text: a\n    id: same\n  - text: b\n    id: same\n", (4, 5, "slides[1].id", "already used")),
    (
        "slides:\n  - text: a\n    duration: 1\n    transition_duration: 2\n",
        (4, 26, "slides[0].transition_duration", "shorter"),
    ),
    ("slides:\n  - text: a\n    tagline: hi\n", (3, 14, "slides[0].tagline", "image and video")),
    ("slides:\n  - image: a.png\n    focus: [2, 0]\n", (3, 12, "slides[0].focus", "between 0 and 1")),
    ("slides:\n  - text: a\n    duration: auto\n", (3, 15, "slides[0].duration", "only for video")),
    ("slides:\n  - text: a\n  text: b\n", (3, 3, "", "YAML syntax error")),
    ("slides:\n  - text: a\nslides:\n  - text: b\n", (3, 1, "slides", "duplicate key")),
    ("- a\n- b\n", (1, 1, "", "the file is a list")),
    ("", (1, 1, "", "empty")),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS, ids=[e[1][2] + ":" + e[1][3] for e in ERRORS])
def test_errors_point_at_the_node(text: str, expected: tuple[int, int, str, str]) -> None:
    with pytest.raises(PlaylistError) as caught:
        load_playlist(text, "playlists/p.yaml")
    line, col, field, message = expected
    first = caught.value.problems[0]
    assert (first.location.file, first.location.line, first.location.col, first.field) == (
        "playlists/p.yaml",
        line,
        col,
        field,
    ), str(first)
    assert message in first.message
    assert str(first).startswith(f"playlists/p.yaml:{line}:{col}: ")


def test_all_problems_reported_at_once() -> None:
    with pytest.raises(PlaylistError) as caught:
        load_playlist("priority: x\nslides:\n  - text: a\n    fit: zoom\n  - image: ../x.png\n", "p.yaml")
    assert [(p.location.line, p.field) for p in caught.value.problems] == [
        (1, "priority"),
        (4, "slides[0].fit"),
        (5, "slides[1].image"),
    ]


def test_limits() -> None:
    big = "slides:\n" + "  - text: " + "x" * (1024 * 1024) + "\n"
    with pytest.raises(PlaylistError, match="over the limit"):
        load_playlist(big, "p.yaml")
    many = "slides:\n" + "  - text: a\n" * 10_001
    with pytest.raises(PlaylistError, match="10,001 slides is over the limit of 10,000"):
        load_playlist(many, "p.yaml")


def test_billion_laughs_is_bounded() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    text = "\n".join(lines) + "\nslides: [{text: *a9}]\n"
    with pytest.raises(PlaylistError) as caught:
        load_playlist(text, "p.yaml")
    assert caught.value.problems  # refused (unknown keys and a non-text), without expanding 9^10 values


def test_unique_names_across_the_folder() -> None:
    result = load_playlists({"a.yaml": "name: x\nslides: [{text: a}]\n", "b.yaml": "name: x\nslides: [{text: b}]\n"})
    assert [p.source for p in result.playlists] == ["a.yaml"]
    assert len(result.problems) == 1 and "already used by a.yaml" in result.problems[0].message


@pytest.mark.parametrize(
    ("name", "is_playlist"),
    [
        ("campaign.yaml", True),
        ("house.yml", True),
        (".hidden.yaml", False),
        (".#campaign.yaml", False),
        ("campaign.yaml~", False),
        ("campaign.yaml.swp", False),
        ("campaign.yaml.tmp", False),
        ("campaign.yaml.part", False),
        ("notes.txt", False),
    ],
)
def test_ignored_files(name: str, is_playlist: bool) -> None:
    assert is_playlist_file(name) is is_playlist


def test_day_zero_is_explained_not_a_crash() -> None:
    """Found by the fuzzer on the demo layout: `2018-02-0` crashed the message (UnboundLocalError)."""
    from player.core.values import not_a_date

    assert not_a_date("2018-02-0") == "2018-02-0 is not a date: February 2018 has 28 days"
