"""Problems are told in the project's words: no Python repr, exception text or parser jargon (issue 18).

One line per case: the playlist (or config) text, then a piece of the first problem's message.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from player.core.config import Config, parse_config
from player.core.errors import ContentError, PlaylistError
from player.core.loader import load_playlist

S = "slides:\n  - text: a\n"  # a valid tail for cases about the other fields
T = "slides:\n  - text: a\n    "  # a slide's next field follows

PLAYLISTS: list[tuple[str | bytes, str]] = [
    # Dates that do not exist, unquoted (a YAML timestamp) and quoted.
    ("schedule:\n  start: 2018-02-30\n" + S, "schedule.start: 2018-02-30 is not a date: February 2018 has 28 days"),
    ("schedule:\n  start: '2018-02-30'\n" + S, "2018-02-30 is not a date: February 2018 has 28 days"),
    ("schedule:\n  start: 2016-02-30\n" + S, "February 2016 has 29 days"),
    ("schedule:\n  end: 2018-13-01\n" + S, "2018-13-01 is not a date: months go from 01 to 12"),
    ("schedule:\n  start: 2018-02-09 25:00:00\n" + S, "is not a date and time: hours go from 00 to 23"),
    ("schedule:\n  start: 2018-02-09T06:61:00\n" + S, "minutes and seconds go from 00 to 59"),
    ("schedule:\n  start: yes\n" + S, "got the yes/no value true (YAML reads an unquoted yes as true)"),
    # A date, a boolean, a list where a time of day, a day, text or a number is expected.
    ("schedule:\n  hours: [2018-02-09]\n" + S, 'expected a window such as "06:00-22:00", got the date 2018-02-09'),
    ("schedule:\n  hours: [2018-02-09T07:00:00]\n" + S, "got the date and time 2018-02-09 07:00:00"),
    ("schedule:\n  hours: [no]\n" + S, "got the yes/no value false (YAML reads an unquoted no as false)"),
    ("schedule:\n  days: [2018-02-09]\n" + S, "expected a day (mon, tue, wed, thu, fri, sat, sun), got the date 2018-02-09"),
    ("schedule:\n  days: [off]\n" + S, "got the yes/no value false (YAML reads an unquoted off as false)"),
    ("schedule:\n  days: [[mon]]\n" + S, "schedule.days[0]: expected a single value, got a list"),
    ("schedule:\n  timezone: 2018-02-09\n" + S, "expected an IANA time zone name such as \"Asia/Seoul\", got the date 2018-02-09"),
    ("schedule: [mon]\n" + S, "schedule: expected a mapping of `key: value` lines, got a list"),
    (T + "duration: 2018-02-09\n", 'expected a duration such as 8 or "1m30s", got the date 2018-02-09'),
    (T + "duration: yes\n", "got the yes/no value true (YAML reads an unquoted yes as true)"),
    (T + "duration: .inf\n", "duration infinity is longer than 24 hours"),
    (T + "duration: .nan\n", "got not-a-number (.nan)"),
    (T + "duration: 1.0e+999\n", "(YAML reads 1.0e+999 as infinity: it is too large a number)"),
    (T + "duration: -.inf\n", "more than zero seconds, got minus infinity"),
    (T + "duration: 190:20:30\n", "(YAML reads an unquoted 190:20:30 as the number 685230)"),
    ("slides:\n  - text: 2018-02-09\n", "slides[0].text: expected text, got the date 2018-02-09; put it in quotes"),
    ("slides:\n  - text: yes\n", "expected text, got the yes/no value true; put it in quotes"),
    ("slides:\n  - text:\n", "slides[0].text: expected text, got nothing"),
    ("slides:\n  - text: [a, b]\n", "expected text, got a list"),
    (T + "transition: yes\n", "expected one of: cut, fade, slide-left, slide-up, got the yes/no value true"),
    (T + "transition: [fade]\n", "expected one of: cut, fade, slide-left, slide-up, got a list"),
    (T + "background: 0xff6a00\n", "(YAML reads an unquoted 0xff6a00 as the number 16738816)"),
    (T + "background: 2018-02-09\n", 'expected a colour such as "#ff6a00", got the date 2018-02-09'),
    ("slides:\n  - image: 2018-02-09\n", "expected a file name relative to the media folder, e.g. kenya.png, got the date"),
    ("slides:\n  - image: a.png\n    focus: 0.5\n", "expected a list (lines starting with `- `, or [a, b]), got '0.5'"),
    ("slides:\n  - a\n", "slides[0]: expected a mapping of `key: value` lines, got 'a'"),
    ("name: yes\n" + S, "name: expected text, got the yes/no value true"),
    ("priority: yes\n" + S, "priority: expected a whole number, got the yes/no value true"),
    ("priority: 2018-02-09\n" + S, "priority: expected a whole number, got the date 2018-02-09"),
    ("priority: 1e999\n" + S, "got '1e999', which YAML reads as text, not a number"),
    ("weight: 1e999\n" + S, "weight: expected a number greater than 0, got '1e999', which YAML reads as text"),
    ("weight: .inf\n" + S, "expected a number from 0.001 to 1000000, got infinity"),
    ("weight: .nan\n" + S, "expected a number from 0.001 to 1000000, got not-a-number (.nan)"),
    ("weight: [1]\n" + S, "weight: expected a number greater than 0, got a list"),
    ("priority: 1" + "0" * 5000 + "\n" + S, "priority: 100000000000... (5,001 digits) is too long a number"),
    # Keys, tags, anchors and aliases.
    ("2018-02-09: x\n" + S, "a key must be a name, got the date 2018-02-09"),
    ("yes: x\n" + S, "a key must be a name, got the yes/no value true"),
    ("[a]: x\n" + S, "a key must be a name, got a list"),
    ("slides:\n  - text: a\n  - <<: {text: b}\n", "`<<` (a YAML merge key) is not supported: write the fields out"),
    ("slides:\n  - text: !!python/object:os.system x\n", "the tag !!python/object:os.system is not supported: remove it"),
    ("slides:\n  - text: !foo x\n", "the tag !foo is not supported"),
    ("slides:\n  - text: !!binary aGk=\n", "the tag !!binary is not supported"),
    ("slides:\n  - text: !!int x\n", "'x' is tagged !!int but is not a whole number: fix it or remove the tag"),
    ("slides:\n  - text: !!bool x\n", "'x' is tagged !!bool but is not a yes/no value"),
    ("slides:\n  - text: !!timestamp x\n", "x is not a date: write a date as 2018-02-09"),
    ("slides: [{text: *nope}]\n", "*nope refers to an anchor &nope that is not defined above it"),
    ("a: &x 1\nb: &x 2\n" + S, "the anchor &x is already defined on line 1: give this one another name"),
    ("slides:\n  - text: a\nslides:\n  - text: b\n", "slides: duplicate key: `slides` is already set on line 1; keep one"),
    # Tabs, quotes, brackets, stray characters, indentation.
    ("slides:\n\t- text: a\n", "YAML syntax error: a tab: YAML is indented with spaces, never tabs"),
    ("slides:\n  - text: a\n\tduration: 3\n", "a tab: YAML is indented with spaces"),
    ("slides:\n  - text: 'unterminated\n", "this quote is never closed"),
    ('slides:\n  - text: "a\\q"\n', "`\\q` is not an escape in double quotes"),
    ("slides: [a, b\n", "this `[` is never closed: end it with `]`"),
    ("slides: [{text: a}]]\n", "`]` closes a bracket that was not opened: remove it"),
    ("slides:\n  - text: a\n   duration: 3\n", "this line does not line up with the lines above it"),
    ("slides:\n  - text: @a\n", "'@' cannot start a value in YAML: put the text in quotes"),
    ("slides:\n  - text: a: b\n", "unexpected `: `: put text that contains `: ` in quotes"),
    ("slides:\n  - text: a\n---\nslides:\n  - text: b\n", "a second document starts here (`---`)"),
    ("%YAML 2.0\n---\n" + S, "remove the `%YAML` line"),
    # What a file is, as a whole.
    ("", "the file is empty: a playlist needs at least `slides:`"),
    ("# only a comment\n", "the file is empty"),
    ("---\n", "the file is empty"),
    ("- text: a\n", "the file is a list (lines starting with `- `), but a playlist is `key: value` lines"),
    ("just text\n", "the file is a single value, but a playlist is `key: value` lines"),
    ("[" * 2000 + "]" * 2000, "YAML syntax error: the document is nested too deeply"),
    (b"slides:\n  - text: caf\xe9\n", "the file is not UTF-8 text: byte 0xE9 here is not UTF-8"),
    ("slides:\n  - text: \x07a\n", "the character U+0007 (a control character) is not allowed in YAML: remove it"),
    (b"s\x00l\x00i\x00d\x00e\x00s\x00", "U+0000 (a control character) is not allowed in YAML; is the file UTF-16?"),
]

CONFIGS: list[tuple[str, str]] = [
    ("timezone: 2018-02-09\n", "timezone: expected an IANA time zone name such as \"Asia/Seoul\", got the date 2018-02-09"),
    ("display:\n  rotate: yes\n", "expected one of 0, 90, 180, 270, got the yes/no value true"),
    ("display:\n  on_hours: [2018-02-09]\n", 'expected a window such as "06:00-22:00", got the date 2018-02-09'),
    ("display:\n  on_hours: {2018-02-09: '07:00-09:00'}\n", "the date 2018-02-09 is not a day: use mon"),
    ("display:\n  margins: .nan\n", "got not-a-number (.nan)"),
    ("display:\n  renderer: [gpu]\n", "expected one of auto, gpu, software, got a list"),
    ("watch:\n  debounce: .inf\n", "expected seconds between 0 and 60, got infinity"),
    ("prepared_cache_mb: yes\n", "got the yes/no value true (YAML reads an unquoted yes as true)"),
    ("screen_id: 2018-02-09\n", "screen_id: expected text, got the date 2018-02-09"),
    ("\tx: 1\n", "a tab: YAML is indented with spaces"),
]

# What Python or the YAML parser would have said; none of it is for the people who write playlists.
LEAKS = re.compile(
    r"datetime\.|Traceback|<class|Error\b|<unicode string>|<byte string>|tag:yaml\.org|constructor|"
    r"while (?:scanning|parsing)|did not find|could not|out of range for month|must be in \d|invalid literal|"
    r"octet|#x|\bposition \d|\b(?:None|True|False)\b|(?<!\.)\b(?:inf|nan)\b|got \[|\['"
)


@pytest.mark.parametrize(("text", "expected"), PLAYLISTS, ids=[str(i) for i in range(len(PLAYLISTS))])
def test_playlist_messages(text: str | bytes, expected: str) -> None:
    with pytest.raises(PlaylistError) as caught:
        load_playlist(text, "p.yaml")
    shown = [str(problem) for problem in caught.value.problems]
    assert any(expected in line for line in shown), shown
    assert not [p.message for p in caught.value.problems if LEAKS.search(p.message)]


@pytest.mark.parametrize(("text", "expected"), CONFIGS, ids=[str(i) for i in range(len(CONFIGS))])
def test_config_messages(text: str, expected: str) -> None:
    base = Config(source="c.yaml", playlists=Path("p"), media=Path("m"), state=Path("s"))
    with pytest.raises(ContentError) as caught:
        parse_config(text, "c.yaml", base)
    shown = [str(problem) for problem in caught.value.problems]
    assert any(expected in line for line in shown), shown
    assert not [p.message for p in caught.value.problems if LEAKS.search(p.message)]


def test_the_leak_pattern_sees_what_it_is_for() -> None:
    old = [
        "cannot read this value: day is out of range for month",
        "expected a window such as \"06:00-22:00\", got datetime.date(2018, 2, 9)",
        "YAML syntax error: while scanning for the next token found character that cannot start any token",
        "expected text, got True; put it in quotes",
        "expected a number from 0.001 to 1000000, got inf",
        "['fade'] is not one of: cut, fade",
    ]
    assert all(LEAKS.search(line) for line in old)


def test_values_yaml_cannot_build_are_text() -> None:
    """`=` and `<<` resolve to YAML tags no safe loader constructs; as values they are plain text."""
    playlist = load_playlist("slides:\n  - image: a.png\n    tagline: <<\n  - text: =\n", "p.yaml")
    assert [playlist.slides[0].tagline, playlist.slides[1].text] == ["<<", "="]
