"""The published JSON Schema (docs/playlist.schema.json) against the loader it describes.

Editors check playlists with the schema, the player checks them with the loader; these tests
keep the two saying the same thing: the same field names, the same choices and defaults, and
the same verdict on whole documents. Where a schema cannot say what the loader checks (a time
zone that does not exist, an end before the start), ``KNOWN_GAPS`` pins the difference so
docs/playlists.md can list it truthfully.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, ValidationError

from player.core.errors import PlaylistError
from player.core.loader import (
    BASE_SLIDE,
    DAY_ALIASES,
    MAX_SLIDES,
    PLAYLIST_KEYS,
    SCHEDULE_KEYS,
    SLIDE_KEYS,
    STYLE_KEYS,
    is_playlist_file,
    load_playlist,
)
from player.core.model import ALIGNS, TAGLINE_POSITIONS, TRANSITIONS, VALIGNS
from player.core.values import NAMED_COLORS
from player.core.vocabulary import FITS, IMAGE_SUFFIXES, VIDEO_SUFFIXES

REPO = Path(__file__).resolve().parent.parent
SCHEMA_PATH = REPO / "docs" / "playlist.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
DEMO_PLAYLISTS = sorted(p for p in (REPO / "playlists").glob("*.y*ml") if is_playlist_file(p.name))

# The campaign example from the product spec (its media files need not exist).
SPEC_EXAMPLE = """\
name: greatness-of-small
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


def as_json(value: Any) -> Any:
    """A loaded YAML value as an editor sees it: dates and timestamps become ISO strings.

    The YAML extension reads YAML 1.2, where ``2018-02-09`` is a string; PyYAML (1.1) makes it
    a date, so the schema describes bounds as strings.
    """
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, date):  # datetime too: it is a date subclass
        return value.isoformat()
    return value


def field_of(error: ValidationError) -> str:
    """A schema error's location in the loader's notation: ``slides[0].transition``."""
    field = ""
    for part in error.absolute_path:
        if isinstance(part, int):
            field += f"[{part}]"
        else:
            field += f".{part}" if field else str(part)
    return field


def schema_errors(text: str) -> list[ValidationError]:
    return list(VALIDATOR.iter_errors(as_json(yaml.safe_load(text))))


def loader_accepts(text: str) -> bool:
    try:
        load_playlist(text, "playlists/p.yaml")
    except PlaylistError:
        return False
    return True


def caseless(words: Iterable[str]) -> str:
    """The case-insensitive alternation the schema uses (its regexes take no flags)."""
    return "(?:" + "|".join("".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in w) for w in words) + ")"


def object_schema(name: str) -> dict[str, Any]:
    return SCHEMA if name == "playlist" else SCHEMA["$defs"][name]


# -- the schema itself ----------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"] and SCHEMA["title"]
    assert SCHEMA["required"] == ["slides"]
    # The objects below are the ones the document uses, not orphans.
    assert {key: SCHEMA["properties"][key]["$ref"] for key in ("schedule", "defaults")} == {
        "schedule": "#/$defs/schedule",
        "defaults": "#/$defs/defaults",
    }
    assert SCHEMA["properties"]["slides"]["items"] == {"$ref": "#/$defs/slide"}
    assert (SCHEMA["properties"]["slides"]["minItems"], SCHEMA["properties"]["slides"]["maxItems"]) == (1, MAX_SLIDES)


@pytest.mark.parametrize(
    ("name", "keys"),
    [("playlist", PLAYLIST_KEYS), ("schedule", SCHEDULE_KEYS), ("defaults", STYLE_KEYS), ("slide", SLIDE_KEYS)],
)
def test_field_names_are_the_loaders(name: str, keys: tuple[str, ...]) -> None:
    schema = object_schema(name)
    assert set(schema["properties"]) == set(keys)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    undocumented = [key for key, prop in schema["properties"].items() if not prop.get("description", "").strip()]
    assert undocumented == [], "every field needs a description for the editor's hover help"


@pytest.mark.parametrize("where", ["defaults", "slide"])
@pytest.mark.parametrize(
    ("field", "choices"),
    [
        ("transition", TRANSITIONS),
        ("fit", FITS),
        ("align", ALIGNS),
        ("valign", VALIGNS),
        ("tagline_position", TAGLINE_POSITIONS),
    ],
)
def test_choices_are_the_loaders(where: str, field: str, choices: tuple[str, ...]) -> None:
    assert object_schema(where)["properties"][field]["enum"] == list(choices)


def test_names_and_file_types_are_the_loaders() -> None:
    """Day names, colour names and file types match case-insensitively, like the loader."""
    days = SCHEMA["$defs"]["schedule"]["properties"]["days"]["items"]
    assert days["examples"] == list(DAY_ALIASES)
    assert days["pattern"] == r"^\s*" + caseless(DAY_ALIASES) + r"\s*$"
    color = SCHEMA["$defs"]["color"]
    assert [c for c in color["examples"] if not c.startswith("#")] == list(NAMED_COLORS)
    hex_color = "#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})"
    assert color["pattern"] == r"^\s*(?:" + hex_color + "|" + caseless(NAMED_COLORS) + r")\s*$"
    for kind, suffixes in (("imagePath", IMAGE_SUFFIXES), ("videoPath", VIDEO_SUFFIXES)):
        pattern = SCHEMA["$defs"][kind]["pattern"]
        assert pattern.endswith(r"\." + caseless(sorted(s.lstrip(".") for s in suffixes)) + r"\s*$"), kind


def test_documented_defaults_are_the_loaders() -> None:
    """A playlist that spells out every default the schema documents loads like one that doesn't."""
    styles = SCHEMA["$defs"]["defaults"]["properties"]
    documented = {key: prop["default"] for key, prop in styles.items() if "default" in prop}
    assert set(STYLE_KEYS) - set(documented) == {"background_image", "subtitle", "tagline", "lang"}  # no default: absent
    slide_props = SCHEMA["$defs"]["slide"]["properties"]
    assert {key: slide_props[key].get("default") for key in documented} == documented
    spelled_out = "defaults: " + json.dumps(documented) + "\nslides: [{text: a}, {image: a.png}]\n"
    assert (
        load_playlist(spelled_out, "p.yaml").slides
        == load_playlist("slides: [{text: a}, {image: a.png}]\n", "p.yaml").slides
    )
    assert documented["duration"] == BASE_SLIDE.duration
    bare = load_playlist("slides: [{text: a}]\n", "p.yaml")
    assert (bare.priority, bare.weight) == (
        SCHEMA["properties"]["priority"]["default"],
        SCHEMA["properties"]["weight"]["default"],
    )


def test_every_time_zone_name_fits_the_pattern() -> None:
    pattern = SCHEMA["$defs"]["schedule"]["properties"]["timezone"]["pattern"]
    zones = zoneinfo.available_timezones()
    assert len(zones) > 300  # tzdata is installed, so this checks the real list
    assert sorted(zone for zone in zones if not re.search(pattern, zone)) == []


# -- whole documents ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [SPEC_EXAMPLE, *(p.read_text(encoding="utf-8") for p in DEMO_PLAYLISTS)],
    ids=["spec-example", *(p.name for p in DEMO_PLAYLISTS)],
)
def test_example_and_demo_playlists_are_valid(text: str) -> None:
    load_playlist(text, "playlists/p.yaml")  # raises if the loader refuses it
    assert [f"{field_of(e)}: {e.message}" for e in schema_errors(text)] == []


# Each case: a document the loader refuses, the field the loader names, and where the schema
# complains and with which keyword. For an unknown or missing key the schema names the object
# that holds it, the loader the key itself.
REFUSED = [
    ("unknown top-level key", "colour: red\nslides: [{text: a}]\n", "colour", "(document): additionalProperties"),
    (
        "unknown schedule key",
        "schedule: {timezone: UTC, day: [mon]}\nslides: [{text: a}]\n",
        "schedule.day",
        "schedule: additionalProperties",
    ),
    (
        "unknown defaults key",
        "defaults: {transition_time: 1}\nslides: [{text: a}]\n",
        "defaults.transition_time",
        "defaults: additionalProperties",
    ),
    (
        "unknown slide key",
        "slides:\n  - text: a\n    colour: red\n",
        "slides[0].colour",
        "slides[0]: additionalProperties",
    ),
    ("no slides", "name: x\n", "slides", "(document): required"),
    ("empty slides", "slides: []\n", "slides", "slides: minItems"),
    (
        "bad transition",
        "slides:\n  - text: a\n    transition: fade-in\n",
        "slides[0].transition",
        "slides[0].transition: enum",
    ),
    (
        "transition is case-sensitive",
        "slides:\n  - text: a\n    transition: Fade\n",
        "slides[0].transition",
        "slides[0].transition: enum",
    ),
    (
        "bad transition in defaults",
        "defaults: {transition: dissolve}\nslides: [{text: a}]\n",
        "defaults.transition",
        "defaults.transition: enum",
    ),
    ("bad fit", "slides:\n  - image: a.png\n    fit: zoom\n", "slides[0].fit", "slides[0].fit: enum"),
    ("bad align", "slides:\n  - text: a\n    align: middle\n", "slides[0].align", "slides[0].align: enum"),
    ("bad valign", "slides:\n  - text: a\n    valign: center\n", "slides[0].valign", "slides[0].valign: enum"),
    (
        "bad tagline position",
        "slides:\n  - image: a.png\n    tagline_position: left\n",
        "slides[0].tagline_position",
        "slides[0].tagline_position: enum",
    ),
    ("two content keys", "slides:\n  - text: a\n    image: b.png\n", "slides[0]", "slides[0]: oneOf"),
    ("three content keys", "slides:\n  - {text: a, image: b.png, video: c.mp4}\n", "slides[0]", "slides[0]: oneOf"),
    ("no content key", "slides:\n  - duration: 3\n", "slides[0]", "slides[0]: oneOf"),
    (
        "short hex colour",
        "slides:\n  - text: a\n    background: '#ff00'\n",
        "slides[0].background",
        "slides[0].background: pattern",
    ),
    ("not hex", "slides:\n  - text: a\n    color: '#ggg'\n", "slides[0].color", "slides[0].color: pattern"),
    (
        "unknown colour name",
        "defaults: {background: purple}\nslides: [{text: a}]\n",
        "defaults.background",
        "defaults.background: pattern",
    ),
    (
        "hour out of range",
        "schedule:\n  hours: ['25:00-26:00']\nslides: [{text: a}]\n",
        "schedule.hours[0]",
        "schedule.hours[0]: pattern",
    ),
    (
        "hours without an end",
        "schedule:\n  hours: ['06:00']\nslides: [{text: a}]\n",
        "schedule.hours[0]",
        "schedule.hours[0]: pattern",
    ),
    (
        "window opens at 24:00",
        "schedule:\n  hours: ['24:00-06:00']\nslides: [{text: a}]\n",
        "schedule.hours[0]",
        "schedule.hours[0]: pattern",
    ),
    (
        "window of no length",
        "schedule:\n  hours: ['6:00-06:00']\nslides: [{text: a}]\n",
        "schedule.hours[0]",
        "schedule.hours[0]: pattern",
    ),
    (
        "minutes out of range",
        "schedule:\n  hours: ['06:00-22:60']\nslides: [{text: a}]\n",
        "schedule.hours[0]",
        "schedule.hours[0]: pattern",
    ),
    (
        "hours not a list",
        "schedule:\n  hours: '06:00-22:00'\nslides: [{text: a}]\n",
        "schedule.hours",
        "schedule.hours: type",
    ),
    (
        "unknown day",
        "schedule:\n  days: [mon, funday]\nslides: [{text: a}]\n",
        "schedule.days[1]",
        "schedule.days[1]: pattern",
    ),
    ("no days", "schedule:\n  days: []\nslides: [{text: a}]\n", "schedule.days", "schedule.days: minItems"),
    (
        "start not a date",
        "schedule:\n  start: next monday\nslides: [{text: a}]\n",
        "schedule.start",
        "schedule.start: pattern",
    ),
    (
        "time zone not a name",
        "schedule:\n  timezone: 9\nslides: [{text: a}]\n",
        "schedule.timezone",
        "schedule.timezone: type",
    ),
    ("weight 0", "weight: 0\nslides: [{text: a}]\n", "weight", "weight: minimum"),
    ("negative weight", "weight: -1\nslides: [{text: a}]\n", "weight", "weight: minimum"),
    ("priority not a number", "priority: high\nslides: [{text: a}]\n", "priority", "priority: type"),
    ("fractional priority", "priority: 1.5\nslides: [{text: a}]\n", "priority", "priority: type"),
    ("priority out of range", "priority: 1000001\nslides: [{text: a}]\n", "priority", "priority: maximum"),
    ("empty name", "name: ' '\nslides: [{text: a}]\n", "name", "name: pattern"),
    (
        "negative duration",
        "slides:\n  - text: a\n    duration: -3\n",
        "slides[0].duration",
        "slides[0].duration: anyOf",
    ),
    ("zero duration", "slides:\n  - text: a\n    duration: 0s\n", "slides[0].duration", "slides[0].duration: anyOf"),
    (
        "duration in words",
        "slides:\n  - text: a\n    duration: 8 seconds\n",
        "slides[0].duration",
        "slides[0].duration: anyOf",
    ),
    (
        "duration unit case",
        "slides:\n  - text: a\n    duration: 8S\n",
        "slides[0].duration",
        "slides[0].duration: anyOf",
    ),
    (
        "duration over a day",
        "slides:\n  - text: a\n    duration: 86401\n",
        "slides[0].duration",
        "slides[0].duration: anyOf",
    ),
    (
        "auto on a text slide",
        "slides:\n  - text: a\n    duration: auto\n",
        "slides[0].duration",
        "slides[0].duration: anyOf",
    ),
    (
        "auto on an image slide",
        "slides:\n  - image: a.png\n    duration: auto\n",
        "slides[0].duration",
        "slides[0].duration: anyOf",
    ),
    (
        "auto transition",
        "slides:\n  - video: a.mp4\n    transition_duration: auto\n",
        "slides[0].transition_duration",
        "slides[0].transition_duration: anyOf",
    ),
    # A key this kind of slide may not have: the schema says `tagline: false`, which the editor
    # reports on the key ("Property tagline is not allowed"); jsonschema, at the slide.
    ("tagline on a text slide", "slides:\n  - text: a\n    tagline: hi\n", "slides[0].tagline", "slides[0]: false"),
    (
        "subtitle on an image slide",
        "slides:\n  - image: a.png\n    subtitle: hi\n",
        "slides[0].subtitle",
        "slides[0]: false",
    ),
    (
        "subtitle on a video slide",
        "slides:\n  - video: a.mp4\n    subtitle: hi\n",
        "slides[0].subtitle",
        "slides[0]: false",
    ),
    (
        "focus out of range",
        "slides:\n  - image: a.png\n    focus: [2, 0]\n",
        "slides[0].focus",
        "slides[0].focus[0]: maximum",
    ),
    (
        "focus of one number",
        "slides:\n  - image: a.png\n    focus: [0.5]\n",
        "slides[0].focus",
        "slides[0].focus: minItems",
    ),
    ("absolute path", "slides:\n  - image: /etc/passwd.png\n", "slides[0].image", "slides[0].image: pattern"),
    ("climbing out of media", "slides:\n  - image: ../secret.png\n", "slides[0].image", "slides[0].image: pattern"),
    ("climbing out midway", "slides:\n  - image: a/../../b.png\n", "slides[0].image", "slides[0].image: pattern"),
    ("backslash", "slides:\n  - image: 'a\\b.png'\n", "slides[0].image", "slides[0].image: pattern"),
    ("drive letter", "slides:\n  - image: 'C:kenya.png'\n", "slides[0].image", "slides[0].image: pattern"),
    ("not an image type", "slides:\n  - image: notes.txt\n", "slides[0].image", "slides[0].image: pattern"),
    ("video type for an image", "slides:\n  - image: clip.mp4\n", "slides[0].image", "slides[0].image: pattern"),
    ("image type for a video", "slides:\n  - video: still.png\n", "slides[0].video", "slides[0].video: pattern"),
    (
        "background image not an image",
        "slides:\n  - text: a\n    background_image: b.mp4\n",
        "slides[0].background_image",
        "slides[0].background_image: pattern",
    ),
    ("text that YAML reads as true", "slides:\n  - text: yes\n", "slides[0].text", "slides[0].text: type"),
    ("text missing", "slides:\n  - text:\n", "slides[0].text", "slides[0].text: type"),
    ("schedule not a mapping", "schedule: always\nslides: [{text: a}]\n", "schedule", "schedule: type"),
    ("slides not a list", "slides: {text: a}\n", "slides", "slides: type"),
]


@pytest.mark.parametrize(
    ("text", "loader_field", "schema_error"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_refused_by_both(text: str, loader_field: str, schema_error: str) -> None:
    with pytest.raises(PlaylistError) as caught:
        load_playlist(text, "playlists/p.yaml")
    assert [p.field for p in caught.value.problems] == [loader_field], str(caught.value)
    errors = schema_errors(text)
    # A `false` subschema (a key this kind of slide may not have) has no keyword of its own.
    assert [f"{field_of(e) or '(document)'}: {e.validator or 'false'}" for e in errors] == [schema_error]
    if errors[0].validator == "additionalProperties":
        assert f"'{loader_field.rpartition('.')[2]}' was unexpected" in errors[0].message


ACCEPTED = [
    ("smallest playlist", "slides: [{text: hi}]\n"),
    (
        "every top-level field",
        "name: shop\ndescription: Spring window\npriority: -5\nweight: 0.5\nschedule: {}\ndefaults: {}\nslides: [{text: a}]\n",
    ),
    ("numbers as names and text", "name: 2018\nslides:\n  - text: 42\n    id: 7\n    subtitle: 3.5\n"),
    ("day aliases in any case", "schedule:\n  days: [weekdays, Sat, SUNDAY, ' fri ']\nslides: [{text: a}]\n"),
    ("weekend alias", "schedule: {days: [weekend]}\nslides: [{text: a}]\n"),
    (
        "windows",
        "schedule:\n  hours: ['06:00-24:00', '22:00-02:00', '6:30 - 7:00', '00:00-24:00', '23:59-00:00']\nslides: [{text: a}]\n",
    ),
    ("date bounds", "schedule: {timezone: Asia/Seoul, start: 2018-02-09, end: 2018-02-25}\nslides: [{text: a}]\n"),
    ("same-day date bounds", "schedule: {start: 2018-02-09, end: 2018-02-09}\nslides: [{text: a}]\n"),
    (
        "timestamp bounds",
        "schedule:\n  start: 2024-06-01T10:30:00\n  end: 2024-06-02 10:30:00+02:00\nslides: [{text: a}]\n",
    ),
    (
        "quoted datetime bounds",
        "schedule:\n  start: '2024-06-01T10:30'\n  end: '2024-06-02T10:30:00.5Z'\nslides: [{text: a}]\n",
    ),
    ("time zones", "schedule: {timezone: America/Argentina/Buenos_Aires}\nslides: [{text: a}]\n"),
    ("odd time zone names", "schedule: {timezone: Etc/GMT+5}\nslides: [{text: a}]\n"),
    ("number durations", "defaults: {duration: 2.5, transition_duration: 0}\nslides: [{text: a, duration: 86400}]\n"),
    (
        "string durations",
        "slides:\n  - {text: a, duration: 1m30s}\n  - {text: b, duration: 500ms, transition_duration: 100ms}\n  - {text: c, duration: 1h}\n  - {text: d, duration: '1m 30s'}\n  - {text: e, duration: '8'}\n  - {text: f, duration: 1.5h}\n  - {text: g, duration: 1s500ms}\n",
    ),
    (
        "video lengths",
        "slides:\n  - video: a.mp4\n  - video: b.webm\n    duration: auto\n  - video: c.MOV\n    duration: ' Auto '\n  - video: d.m4v\n    duration: 30\n",
    ),
    ("auto in defaults is allowed", "defaults: {duration: auto}\nslides: [{text: a}]\n"),
    ("a cut", "slides:\n  - {text: a, transition: cut, transition_duration: 0}\n"),
    (
        "every choice",
        "slides:\n  - {text: a, transition: slide-left, align: left, valign: top}\n  - {image: a.png, transition: slide-up, fit: contain, tagline: t, tagline_position: top}\n  - {image: b.png, fit: stretch, tagline_position: center}\n  - {text: b, align: right, valign: bottom}\n",
    ),
    (
        "colours",
        "slides:\n  - {text: a, background: '#fff', color: '#FF6A00'}\n  - {text: b, background: '#ff6a0080', color: Navy}\n  - {text: c, background: transparent, color: GREY}\n  - {text: d, background: ' #000 '}\n",
    ),
    ("focus", "slides:\n  - {image: a.png, focus: [0, 1]}\n  - {image: b.png, focus: [0.25, 0.75]}\n"),
    (
        "media paths",
        "slides:\n  - image: campaign/kenya.JPG\n  - image: ./a.webp\n  - image: x..svg\n  - text: a\n    background_image: backdrops/rink.jpeg\n",
    ),
    (
        "taglines and subtitles",
        "defaults: {tagline: Every image, subtitle: Every text}\nslides:\n  - image: a.gif\n  - text: a\n  - video: b.mkv\n    tagline: '작은 것의 위대함을 위하여'\n",
    ),
]


@pytest.mark.parametrize("text", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepted_by_both(text: str) -> None:
    load_playlist(text, "playlists/p.yaml")  # raises if the loader refuses it
    assert [f"{field_of(e)}: {e.message}" for e in schema_errors(text)] == []


def test_slide_limit() -> None:
    text = "slides:\n" + "  - text: a\n" * (MAX_SLIDES + 1)
    with pytest.raises(PlaylistError, match="10,001 slides is over the limit of 10,000"):
        load_playlist(text, "playlists/p.yaml")
    assert [(field_of(e), e.validator) for e in schema_errors(text)] == [("slides", "maxItems")]
    assert loader_accepts(text[: -len("  - text: a\n")])
    assert schema_errors(text[: -len("  - text: a\n")]) == []


# Where the two disagree because a schema cannot say it (or the loader is more lenient than
# any editor needs): (document, loader accepts, schema accepts). docs/playlists.md lists these.
KNOWN_GAPS = [
    ("unknown time zone", "schedule: {timezone: Mars/Olympus}\nslides: [{text: a}]\n", False, True),
    ("end before start", "schedule: {start: 2018-02-25, end: 2018-02-09}\nslides: [{text: a}]\n", False, True),
    ("impossible date", "schedule: {start: '2018-02-30'}\nslides: [{text: a}]\n", False, True),
    ("repeated slide id", "slides:\n  - {text: a, id: x}\n  - {text: b, id: x}\n", False, True),
    ("transition as long as the slide", "slides:\n  - {text: a, duration: 1, transition_duration: 1}\n", False, True),
    ("written duration over a day", "slides:\n  - {text: a, duration: 25h}\n", False, True),
    ("priority written 1.0", "priority: 1.0\nslides: [{text: a}]\n", False, True),
    ("a date as text", "slides:\n  - text: 2018-02-09\n", False, True),
    ("compact ISO date", "schedule: {start: '20180209'}\nslides: [{text: a}]\n", True, False),
    ("image path with a trailing slash", "slides:\n  - image: a.png/\n", True, False),
]


@pytest.mark.parametrize(("text", "loader", "schema"), [c[1:] for c in KNOWN_GAPS], ids=[c[0] for c in KNOWN_GAPS])
def test_known_gaps(text: str, loader: bool, schema: bool) -> None:
    assert (loader_accepts(text), not schema_errors(text)) == (loader, schema)
