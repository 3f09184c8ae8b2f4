"""The published JSON Schema (docs/playlist.schema.json) against the loader it describes.

Editors check playlists and layouts with the schema, the player checks them with the loader;
these tests keep the two saying the same thing: the same field names, the same choices and
defaults, and the same verdict on whole documents. Where a schema cannot say what the loader checks (a time
zone that does not exist, an end before the start), ``KNOWN_GAPS`` pins the difference so
docs/playlists.md can list it truthfully.
"""

from __future__ import annotations

import dataclasses
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
from player.core.feeddata import NAME as FEED_NAME
from player.core.layout import TICKER_DIRECTIONS, WIDGET_KINDS, Widget
from player.core.layoutloader import (
    _LONE_FIELD,
    _REQUIRED,
    _WIDGET_KEYS,
    LAYOUT_KEYS,
    MAX_SPEED,
    MAX_TICKER_ITEMS,
    MAX_ZONES,
    ZONE_KEYS,
)
from player.core.loader import (
    BASE_SLIDE,
    CONTENT_KEYS,
    DAY_ALIASES,
    MAX_SLIDES,
    PLAYLIST_KEYS,
    SCHEDULE_KEYS,
    SLIDE_KEYS,
    STYLE_KEYS,
    is_playlist_file,
    load_playlist,
    load_playlists,
    read_playlist,
)
from player.core.model import ALIGNS, TAGLINE_POSITIONS, TRANSITIONS, VALIGNS
from player.core.values import NAMED_COLORS, parse_color
from player.core.vocabulary import FITS, IMAGE_SUFFIXES, VIDEO_SUFFIXES

REPO = Path(__file__).resolve().parent.parent
SCHEMA_PATH = REPO / "docs" / "playlist.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
DEMO_PLAYLISTS = sorted(p for p in (REPO / "playlists").glob("*.y*ml") if is_playlist_file(p.name))
# The playlists beside the document under test, for layouts' zones to name (one named by a number).
NEIGHBOURS = {
    "playlists/teaser.yaml": "slides: [{text: a}]\n",
    "playlists/news.yaml": "slides: [{text: b}]\n",
    "playlists/numbered.yaml": "name: 2018\nslides: [{text: c}]\n",
}
# Each widget's object in the schema's $defs.
WIDGET_DEFS = {kind: f"{kind}Widget" for kind in WIDGET_KINDS}

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


def loader_problems(text: str) -> list[str]:
    """The fields the loader complains about, reading ``text`` as one file of a playlists folder
    (with the NEIGHBOURS): a playlist, or a layout whose zones may name those playlists."""
    result = load_playlists({**NEIGHBOURS, "playlists/p.yaml": text})
    return [problem.field for problem in result.problems]


def loader_accepts(text: str) -> bool:
    return loader_problems(text) == []


def caseless(words: Iterable[str]) -> str:
    """The case-insensitive alternation the schema uses (its regexes take no flags)."""
    return "(?:" + "|".join("".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in w) for w in words) + ")"


def object_schema(name: str) -> dict[str, Any]:
    return SCHEMA["$defs"][name]


def layout_widget(text: str) -> Widget | None:
    layout = read_playlist(text, "playlists/p.yaml").layout
    assert layout is not None, text
    return layout.zones[0].widget


def one_zone(content: str) -> str:
    """A layout of one full-screen zone with ``content`` (its lines after ``area``)."""
    return "zones:\n  - area: [0, 0, 1, 1]\n" + "".join(f"    {line}\n" for line in content.splitlines())


# -- the schema itself ----------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"] and SCHEMA["title"]
    # A document with `zones:` is a layout, like the loader reads it (also with `slides:`,
    # which a layout may not have); any other is a playlist. if/then/else rather than oneOf,
    # so that an editor reports the mistakes of the one the document is, not "matches none".
    assert (SCHEMA["if"], SCHEMA["then"], SCHEMA["else"]) == (
        {"required": ["zones"]},
        {"$ref": "#/$defs/layout"},
        {"$ref": "#/$defs/playlist"},
    )
    playlist = object_schema("playlist")
    assert playlist["required"] == ["slides"]
    # The objects below are the ones the document uses, not orphans.
    assert {key: playlist["properties"][key]["$ref"] for key in ("schedule", "defaults")} == {
        "schedule": "#/$defs/schedule",
        "defaults": "#/$defs/defaults",
    }
    assert playlist["properties"]["slides"]["items"] == {"$ref": "#/$defs/slide"}
    assert (playlist["properties"]["slides"]["minItems"], playlist["properties"]["slides"]["maxItems"]) == (
        1,
        MAX_SLIDES,
    )
    layout = object_schema("layout")
    assert layout["required"] == ["zones"]
    assert layout["properties"]["schedule"]["$ref"] == "#/$defs/schedule"  # read by the playlists' rules
    zones = layout["properties"]["zones"]
    assert (zones["items"], zones["minItems"], zones["maxItems"]) == ({"$ref": "#/$defs/zone"}, 1, MAX_ZONES)
    zone = object_schema("zone")
    assert zone["required"] == ["area"]
    assert zone["properties"]["area"]["$ref"] == "#/$defs/area"
    # Exactly one of `playlists` or a widget, as the loader counts them.
    assert zone["oneOf"] == [{"required": [key]} for key in ("playlists", *WIDGET_KINDS)]
    assert object_schema("slide")["oneOf"] == [{"required": [key]} for key in CONTENT_KEYS]


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("playlist", PLAYLIST_KEYS),
        ("schedule", SCHEDULE_KEYS),
        ("defaults", STYLE_KEYS),
        ("slide", SLIDE_KEYS),
        ("layout", LAYOUT_KEYS),
        ("zone", ZONE_KEYS),
        *((WIDGET_DEFS[kind], _WIDGET_KEYS[kind]) for kind in WIDGET_KINDS),
    ],
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


@pytest.mark.parametrize(
    ("widget", "field", "choices"),
    [
        ("tickerWidget", "direction", TICKER_DIRECTIONS),
        ("imageWidget", "fit", FITS),
        ("textWidget", "align", ALIGNS),
        ("textWidget", "valign", VALIGNS),
    ],
)
def test_widget_choices_are_the_loaders(widget: str, field: str, choices: tuple[str, ...]) -> None:
    assert object_schema(widget)["properties"][field]["enum"] == list(choices)


@pytest.mark.parametrize("kind", WIDGET_KINDS)
def test_widgets_are_written_as_the_loader_reads_them(kind: str) -> None:
    """A block is the widget; a lone value (`image: logo.png`, `ticker: [a, b]`) is the field the
    loader takes it for; the fields the loader requires are the schema's."""
    entry = object_schema("zone")["properties"][kind]
    widget = object_schema(WIDGET_DEFS[kind])
    assert widget["type"] == "object"
    assert widget.get("required") == ([_REQUIRED[kind]] if kind in _REQUIRED else None)
    if kind not in _LONE_FIELD:
        assert entry["$ref"] == f"#/$defs/{WIDGET_DEFS[kind]}"
        return
    assert (entry["if"], entry["then"]) == ({"type": "object"}, {"$ref": f"#/$defs/{WIDGET_DEFS[kind]}"})
    assert entry["else"]["$ref"] == widget["properties"][_LONE_FIELD[kind]]["$ref"]


def test_a_ticker_needs_items_or_a_feed() -> None:
    ticker = object_schema("tickerWidget")
    assert (ticker["if"], ticker["then"]) == (
        {"not": {"required": ["feed"]}},
        {"required": ["items"], "properties": {"items": {"minItems": 1}}},
    )
    assert object_schema("zone")["properties"]["ticker"]["else"]["minItems"] == 1  # `ticker: []`


def test_names_in_layouts_are_the_loaders() -> None:
    assert object_schema("feedName")["pattern"] == "^" + FEED_NAME.pattern + "$"
    assert object_schema("tickerWidget")["properties"]["feed"]["$ref"] == "#/$defs/feedName"


def test_layout_limits_are_the_loaders() -> None:
    assert object_schema("tickerItems")["maxItems"] == MAX_TICKER_ITEMS
    speed = object_schema("tickerWidget")["properties"]["speed"]
    assert (speed["minimum"], speed["maximum"]) == (1, MAX_SPEED)
    area = object_schema("area")
    assert (area["minItems"], area["maxItems"]) == (4, 4)
    assert [item["$ref"] for item in area["prefixItems"]] == ["#/$defs/span"] * 2 + ["#/$defs/extent"] * 2


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
    no_default = {"background_image", "subtitle", "tagline", "lang", "stale_after"}  # absent: none applies
    assert set(STYLE_KEYS) - set(documented) == no_default
    slide_props = SCHEMA["$defs"]["slide"]["properties"]
    assert {key: slide_props[key].get("default") for key in documented} == documented
    slides = "[{text: a}, {image: a.png}, {web: 'https://example.com/'}]"
    spelled_out = "defaults: " + json.dumps(documented) + f"\nslides: {slides}\n"
    assert load_playlist(spelled_out, "p.yaml").slides == load_playlist(f"slides: {slides}\n", "p.yaml").slides
    assert documented["duration"] == BASE_SLIDE.duration
    assert documented["refresh"] == BASE_SLIDE.refresh
    bare = load_playlist("slides: [{text: a}]\n", "p.yaml")
    playlist = object_schema("playlist")["properties"]
    assert (bare.priority, bare.weight) == (playlist["priority"]["default"], playlist["weight"]["default"])


def test_a_web_slide_fits_and_refreshes_as_documented() -> None:
    """The two rules of web slides the schema can only describe: contain by default, and at least a minute."""
    slide = object_schema("slide")["properties"]
    assert "Default cover (contain for a web slide)" in slide["fit"]["description"]
    assert "at least a minute (the loader refuses a shorter one)" in slide["refresh"]["description"]
    web, image = load_playlist(
        "slides: [{web: 'https://example.com/', refresh: 1m}, {image: a.png}]\n", "p.yaml"
    ).slides
    assert (web.fit, web.refresh, image.fit) == ("contain", 60.0, slide["fit"]["default"])


# What each widget needs that has no default, for a widget to be made at all.
WIDGET_NEEDS = {
    "countdown": {"to": "2018-02-09 20:00"},
    "qr": {"url": "https://example.com/"},
    "image": {"file": "a.png"},
    "text": {"text": "a"},
    "ticker": {"items": ["a"]},
}
# The widget fields without a default in the schema: absent, none applies, or it is the layout's.
WIDGET_UNDOCUMENTED = {
    "ticker": {"items", "feed", "lang"},
    "clock": {"timezone"},
    "countdown": {"to", "timezone", "lang"},
    "qr": {"url", "caption"},
    "image": {"file"},
    "text": {"text", "subtitle", "lang", "stale_after"},
}


@pytest.mark.parametrize("kind", WIDGET_KINDS)
def test_documented_widget_defaults_are_the_loaders(kind: str) -> None:
    """A widget that spells out every default the schema documents loads like one that doesn't,
    and each default is the widget class's own."""
    props = object_schema(WIDGET_DEFS[kind])["properties"]
    documented = {key: prop["default"] for key, prop in props.items() if "default" in prop}
    assert set(props) - set(documented) == WIDGET_UNDOCUMENTED[kind]
    needs = WIDGET_NEEDS.get(kind, {})
    spelled_out = layout_widget(one_zone(f"{kind}: " + json.dumps({**needs, **documented}, ensure_ascii=False)))
    assert spelled_out == layout_widget(one_zone(f"{kind}: " + json.dumps(needs)))
    own = {f.name: f.default for f in dataclasses.fields(type(spelled_out)) if f.default is not dataclasses.MISSING}
    for key, value in documented.items():
        expected = own[key]
        assert (parse_color(value) if "color" in props[key].get("$ref", "") else value) == expected, key


def test_documented_layout_defaults_are_the_loaders() -> None:
    layout = read_playlist(one_zone("clock: HH:mm"), "playlists/p.yaml").layout
    assert layout is not None
    props, zone = object_schema("layout")["properties"], object_schema("zone")["properties"]
    assert (layout.priority, layout.background, layout.zones[0].z) == (
        props["priority"]["default"],
        parse_color(props["background"]["default"]),
        zone["z"]["default"],
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
    reading = read_playlist(text, "playlists/p.yaml")
    assert reading.problems == ()
    assert reading.playlist is not None or reading.layout is not None
    assert [f"{field_of(e)}: {e.message}" for e in schema_errors(text)] == []


def test_the_demo_has_a_layout_whose_playlists_load() -> None:
    result = load_playlists({f"playlists/{p.name}": p.read_text(encoding="utf-8") for p in DEMO_PLAYLISTS})
    assert result.problems == ()
    assert [layout.name for layout in result.layouts] == ["games-wall"]


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
    ("web not a web address", "slides:\n  - web: ftp://example.com/\n", "slides[0].web", "slides[0].web: pattern"),
    (
        "web address with a space",
        "slides:\n  - web: https://example.com/a b\n",
        "slides[0].web",
        "slides[0].web: pattern",
    ),
    ("web address without a host", "slides:\n  - web: https:///a\n", "slides[0].web", "slides[0].web: pattern"),
    ("web address in capitals", "slides:\n  - web: HTTPS://EXAMPLE.COM\n", "slides[0].web", "slides[0].web: pattern"),
    ("web and image", "slides:\n  - {web: 'https://example.com/', image: a.png}\n", "slides[0]", "slides[0]: oneOf"),
    (
        "subtitle on a web slide",
        "slides:\n  - web: https://example.com/\n    subtitle: hi\n",
        "slides[0].subtitle",
        "slides[0]: false",
    ),
    (
        "auto on a web slide",
        "slides:\n  - web: https://example.com/\n    duration: auto\n",
        "slides[0].duration",
        "slides[0].duration: anyOf",
    ),
    (
        "refresh of nothing",
        "slides:\n  - web: https://example.com/\n    refresh: 0\n",
        "slides[0].refresh",
        "slides[0].refresh: anyOf",
    ),
    (
        "stale_after in words",
        "defaults: {stale_after: a while}\nslides: [{text: a}]\n",
        "defaults.stale_after",
        "defaults.stale_after: anyOf",
    ),
    (
        "web in defaults",
        "defaults: {web: 'https://example.com/'}\nslides: [{text: a}]\n",
        "defaults.web",
        "defaults: additionalProperties",
    ),
    (
        "a layout's field in a playlist",
        "background: black\nslides: [{text: a}]\n",
        "background",
        "(document): additionalProperties",
    ),
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
    (
        "web slides",
        "defaults: {refresh: 10m, stale_after: 1h}\nslides:\n  - web: https://example.com/news?page=1#top\n    refresh: 90\n    tagline: News\n    fit: cover\n  - web: ' http://intranet:8080/board '\n    id: board\n  - text: '{weather.temp} °C'\n    stale_after: 30m\n",
    ),
]


@pytest.mark.parametrize("text", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepted_by_both(text: str) -> None:
    load_playlist(text, "playlists/p.yaml")  # raises if the loader refuses it
    assert [f"{field_of(e)}: {e.message}" for e in schema_errors(text)] == []


# Each case: a layout the loader refuses (read beside the NEIGHBOURS' playlists), the fields the
# loader names, and where the schema complains and with which keyword, as for playlists above.
ZONE = "zones:\n  - area: [0, 0, 1, 1]\n"
LAYOUT_REFUSED = [
    ("a zone with two widgets", one_zone("clock: HH:mm\nqr: https://example.com/"), ["zones[0]"], ["zones[0]: oneOf"]),
    ("playlists and a widget", one_zone("playlists: teaser\ntext: a"), ["zones[0]"], ["zones[0]: oneOf"]),
    ("a zone with nothing to show", ZONE + "    z: 1\n", ["zones[0]"], ["zones[0]: oneOf"]),
    (
        "an area of 3 values",
        "zones:\n  - area: [0, 0, 1]\n    text: a\n",
        ["zones[0].area"],
        ["zones[0].area: minItems"],
    ),
    (
        "an area of 5 values",
        "zones:\n  - area: [0, 0, 1, 1, 1]\n    text: a\n",
        ["zones[0].area"],
        ["zones[0].area: maxItems"],
    ),
    (
        "an area value of 2",
        "zones:\n  - area: [0, 0, 2, 1]\n    text: a\n",
        ["zones[0].area[2]"],
        ["zones[0].area[2]: maximum"],
    ),
    (
        "a negative x",
        "zones:\n  - area: [-0.1, 0, 1, 1]\n    text: a\n",
        ["zones[0].area[0]"],
        ["zones[0].area[0]: minimum"],
    ),
    (
        "a width of 0",
        "zones:\n  - area: [0, 0, 0, 1]\n    text: a\n",
        ["zones[0].area"],
        ["zones[0].area[2]: exclusiveMinimum"],
    ),
    (
        "a height of 0px",
        "zones:\n  - area: [0, 0, 1, 0px]\n    text: a\n",
        ["zones[0].area"],
        ["zones[0].area[3]: pattern"],
    ),
    (
        "pixels in capitals",
        "zones:\n  - area: [0, 0, 480PX, 1]\n    text: a\n",
        ["zones[0].area[2]"],
        ["zones[0].area[2]: pattern"],
    ),
    (
        "more than the whole screen",
        "zones:\n  - area: [0, 0, 100.5%, 1]\n    text: a\n",
        ["zones[0].area[2]"],
        ["zones[0].area[2]: pattern"],
    ),
    (
        "larger than any screen",
        "zones:\n  - area: [16384.5px, 0, 1, 1]\n    text: a\n",
        ["zones[0].area[0]"],
        ["zones[0].area[0]: pattern"],
    ),
    ("an area in words", "zones:\n  - area: full\n    text: a\n", ["zones[0].area"], ["zones[0].area: type"]),
    ("a zone without an area", "zones:\n  - text: a\n", ["zones[0].area"], ["zones[0]: required"]),
    (
        "an unknown widget",
        one_zone("weather: Seoul"),
        ["zones[0].weather", "zones[0]"],
        ["zones[0]: additionalProperties", "zones[0]: oneOf"],
    ),
    (
        "an unknown widget key",
        one_zone("clock: {formt: HH:mm}"),
        ["zones[0].clock.formt"],
        ["zones[0].clock: additionalProperties"],
    ),
    ("an unknown zone key", one_zone("text: a\ncolour: red"), ["zones[0].colour"], ["zones[0]: additionalProperties"]),
    (
        "a ticker with neither items nor feed",
        one_zone("ticker: {speed: 60}"),
        ["zones[0].ticker.items"],
        ["zones[0].ticker: required"],
    ),
    (
        "a ticker of no items",
        one_zone("ticker: {items: []}"),
        ["zones[0].ticker.items"],
        ["zones[0].ticker.items: minItems"],
    ),
    ("an empty ticker list", one_zone("ticker: []"), ["zones[0].ticker.items"], ["zones[0].ticker: minItems"]),
    ("a ticker of one line", one_zone("ticker: Breaking news"), ["zones[0].ticker.items"], ["zones[0].ticker: type"]),
    (
        "an empty ticker item",
        one_zone("ticker: [a, ' ']"),
        ["zones[0].ticker.items[1]"],
        ["zones[0].ticker[1]: pattern"],
    ),
    (
        "too many ticker items",
        one_zone("ticker: [" + ", ".join(["a"] * (MAX_TICKER_ITEMS + 1)) + "]"),
        ["zones[0].ticker.items"],
        ["zones[0].ticker: maxItems"],
    ),
    (
        "a ticker too fast",
        one_zone("ticker: {items: [a], speed: 2001}"),
        ["zones[0].ticker.speed"],
        ["zones[0].ticker.speed: maximum"],
    ),
    (
        "a ticker going up",
        one_zone("ticker: {items: [a], direction: up}"),
        ["zones[0].ticker.direction"],
        ["zones[0].ticker.direction: enum"],
    ),
    (
        "a feed name with a space",
        one_zone("ticker: {feed: my news}"),
        ["zones[0].ticker.feed"],
        ["zones[0].ticker.feed: pattern"],
    ),
    (
        "a feed name in capitals",
        one_zone("ticker: {feed: News}"),
        ["zones[0].ticker.feed"],
        ["zones[0].ticker.feed: pattern"],
    ),
    (
        "a countdown without `to`",
        one_zone("countdown: {text: '{days}'}"),
        ["zones[0].countdown.to"],
        ["zones[0].countdown: required"],
    ),
    (
        "a countdown of a lone value",
        one_zone("countdown: 2018-02-09 20:00"),
        ["zones[0].countdown"],
        ["zones[0].countdown: type"],
    ),
    (
        "a countdown to a day",
        one_zone("countdown: {to: 2018-02-09}"),
        ["zones[0].countdown.to"],
        ["zones[0].countdown.to: pattern"],
    ),
    (
        "a countdown to soon",
        one_zone("countdown: {to: soon}"),
        ["zones[0].countdown.to"],
        ["zones[0].countdown.to: pattern"],
    ),
    ("a clock of a number", one_zone("clock: 12"), ["zones[0].clock.format"], ["zones[0].clock: type"]),
    (
        "a clock of no pattern",
        one_zone("clock: {format: ' '}"),
        ["zones[0].clock.format"],
        ["zones[0].clock.format: pattern"],
    ),
    (
        "a clock in a colour of its own",
        one_zone("clock: {color: purple}"),
        ["zones[0].clock.color"],
        ["zones[0].clock.color: pattern"],
    ),
    ("a QR code with a space in it", one_zone("qr: 'https://example.com/a b'"), ["zones[0].qr.url"], ["zones[0].qr: pattern"]),
    ("a QR code without `url`", one_zone("qr: {caption: Scan me}"), ["zones[0].qr.url"], ["zones[0].qr: required"]),
    ("an image that is not one", one_zone("image: notes.txt"), ["zones[0].image.file"], ["zones[0].image: pattern"]),
    (
        "an image out of the media folder",
        one_zone("image: {file: ../a.png}"),
        ["zones[0].image.file"],
        ["zones[0].image.file: pattern"],
    ),
    (
        "an image zoomed",
        one_zone("image: {file: a.png, fit: zoom}"),
        ["zones[0].image.fit"],
        ["zones[0].image.fit: enum"],
    ),
    ("a text that YAML reads as true", one_zone("text: yes"), ["zones[0].text.text"], ["zones[0].text: type"]),
    (
        "a text in the middle",
        one_zone("text: {text: a, align: middle}"),
        ["zones[0].text.align"],
        ["zones[0].text.align: enum"],
    ),
    (
        "a widget's language",
        one_zone("text: {text: a, lang: korean!}"),
        ["zones[0].text.lang"],
        ["zones[0].text.lang: pattern"],
    ),
    (
        "a zone name with a space",
        "zones:\n  - name: main area\n    area: [0, 0, 1, 1]\n    text: a\n",
        ["zones[0].name"],
        ["zones[0].name: pattern"],
    ),
    ("a fractional z", one_zone("text: a\nz: 1.5"), ["zones[0].z"], ["zones[0].z: type"]),
    ("no playlists listed", one_zone("playlists: []"), ["zones[0].playlists"], ["zones[0].playlists: minItems"]),
    (
        "a playlist named by a fraction",
        one_zone("playlists: [1.5]"),
        ["zones[0].playlists"],
        ["zones[0].playlists[0]: type"],
    ),
    ("no zones", "zones: []\n", ["zones"], ["zones: minItems"]),
    (
        "too many zones",
        "zones:\n" + "  - {area: [0, 0, 1, 1], text: a}\n" * (MAX_ZONES + 1),
        ["zones"],
        ["zones: maxItems"],
    ),
    ("zones not a list", "zones: {area: [0, 0, 1, 1], text: a}\n", ["zones"], ["zones: type"]),
    (
        "slides and zones",
        "slides: [{text: a}]\n" + one_zone("text: a"),
        ["slides"],
        ["(document): additionalProperties"],
    ),
    (
        "a playlist's field in a layout",
        "weight: 2\n" + one_zone("text: a"),
        ["weight"],
        ["(document): additionalProperties"],
    ),
    ("a layout name of a number", "name: 2018\n" + one_zone("text: a"), ["name"], ["name: type"]),
    ("a layout name with a space", "name: games wall\n" + one_zone("text: a"), ["name"], ["name: pattern"]),
    ("a layout's background", "background: purple\n" + one_zone("text: a"), ["background"], ["background: pattern"]),
    ("a layout's priority", "priority: high\n" + one_zone("text: a"), ["priority"], ["priority: type"]),
    (
        "a layout's schedule",
        "schedule: {days: [funday]}\n" + one_zone("text: a"),
        ["schedule.days[0]"],
        ["schedule.days[0]: pattern"],
    ),
]


@pytest.mark.parametrize(
    ("text", "loader_fields", "schema_errors_expected"),
    [c[1:] for c in LAYOUT_REFUSED],
    ids=[c[0] for c in LAYOUT_REFUSED],
)
def test_layout_refused_by_both(text: str, loader_fields: list[str], schema_errors_expected: list[str]) -> None:
    assert loader_problems(text) == loader_fields
    errors = schema_errors(text)
    assert [f"{field_of(e) or '(document)'}: {e.validator}" for e in errors] == schema_errors_expected
    for error, field in zip(errors, loader_fields, strict=True):
        if error.validator == "additionalProperties":
            assert f"'{field.rpartition('.')[2]}' was unexpected" in error.message


LAYOUT_ACCEPTED = [
    ("smallest layout", one_zone("clock: HH:mm")),
    (
        "every layout field",
        "name: lobby_2\ndescription: The lobby wall\npriority: -3\nschedule: {timezone: Asia/Seoul, days: [weekend]}\n"
        "background: navy\n" + one_zone("playlists: teaser"),
    ),
    (
        "every zone field",
        "zones:\n  - name: main\n    area: [0, 0, 1, 1]\n    z: -1\n    playlists: [teaser, news, teaser]\n"
        "  - {name: top-bar, area: [0, 0, 1, 0.1], z: 2, playlists: 2018}\n",
    ),
    (
        "areas in every unit",
        "zones:\n  - {area: [0, 0, 0.5, 1], text: a}\n  - {area: ['49.5%', '0 %', ' 50.5% ', '100%'], text: b}\n"
        "  - {area: [0px, 100px, 16384px, 0.5px], text: c}\n  - {area: [1px, 0.999, '0.1%', 1px], text: d}\n",
    ),
    (
        "lone values",
        "zones:\n  - {area: [0, 0, 0.5, 0.5], image: logo.PNG}\n  - {area: [0.5, 0, 0.5, 0.5], qr: 'WIFI:S:lobby;T:WPA;P:small;;'}\n"
        "  - {area: [0, 0.5, 0.5, 0.5], text: 42}\n  - {area: [0.5, 0.5, 0.5, 0.2], clock: 'EEEE d MMMM'}\n"
        "  - {area: [0.5, 0.7, 0.5, 0.3], ticker: [To the greatness of small, 2018, 작은 것의 위대함을 위하여]}\n"
        "  - {area: [0, 0, 1, 1], text: ''}\n",
    ),
    (
        "every widget field",
        "zones:\n"
        "  - area: [0, 0, 1, 0.1]\n    ticker: {items: [a], feed: news, separator: ' | ', speed: 2000, direction: right,"
        " color: white, background: '#101014', lang: ar}\n"
        "  - area: [0, 0.1, 1, 0.1]\n    clock: {format: 'h:mm a', timezone: America/New_York, lang: en-GB, color: red,"
        " background: transparent}\n"
        "  - area: [0, 0.2, 1, 0.1]\n    countdown: {to: '2018-02-09T20:00:00+09:00', text: 'D-{days} {hours}h',"
        " after: Now, timezone: Asia/Seoul, lang: ko, color: '#fff', background: '#00000080'}\n"
        "  - area: [0, 0.3, 1, 0.1]\n    qr: {url: 'http://example.com/?q=1', color: navy, background: white, caption: Scan}\n"
        "  - area: [0, 0.4, 1, 0.1]\n    image: {file: brand/logo.svg, fit: cover, background: black}\n"
        "  - area: [0, 0.5, 1, 0.5]\n    text: {text: '{weather.temp} °C', subtitle: Seoul, color: yellow,"
        " background: '#123', align: left, valign: bottom, lang: ko}\n",
    ),
    ("a ticker of a feed alone", one_zone("ticker: {feed: news}")),
    ("a ticker of a feed and no items yet", one_zone("ticker: {feed: news, items: []}")),
    ("an empty clock", one_zone("clock: {}")),
    (
        "countdown times",
        "zones:\n  - {area: [0, 0, 1, 1], countdown: {to: '2018-02-09 20:00'}}\n  - {area: [0, 0, 1, 1], countdown: {to: 2018-02-09 20:00:00}}\n  - {area: [0, 0, 1, 1], countdown: {to: '2018-02-09T20:00Z'}}\n",
    ),
]


@pytest.mark.parametrize("text", [c[1] for c in LAYOUT_ACCEPTED], ids=[c[0] for c in LAYOUT_ACCEPTED])
def test_layout_accepted_by_both(text: str) -> None:
    assert loader_problems(text) == []
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
    ("a web page refreshed more than once a minute", "slides:\n  - {web: 'https://example.com/', refresh: 30s}\n", False, True),
    # Layouts (read beside the NEIGHBOURS' playlists teaser, news and 2018).
    ("zone past the screen's edge", "zones:\n  - {area: [0.5, 0, 0.75, 1], text: a}\n", False, True),
    ("zone naming a playlist that does not exist", one_zone("playlists: [teaser, nope]"), False, True),
    (
        "repeated zone name",
        "zones:\n  - {area: [0, 0, 1, 1], text: a}\n  - {name: zone1, area: [0, 0, 1, 1], text: b}\n",
        False,
        True,
    ),
    ("layout named like a playlist", "name: teaser\n" + one_zone("text: a"), False, True),
    ("unknown time zone in a clock", one_zone("clock: {timezone: Mars/Olympus}"), False, True),
    ("a date as a ticker item", one_zone("ticker: [2018-02-09]"), False, True),
    ("a countdown to a quoted day", one_zone("countdown: {to: '2018-02-09'}"), True, False),
]


@pytest.mark.parametrize(("text", "loader", "schema"), [c[1:] for c in KNOWN_GAPS], ids=[c[0] for c in KNOWN_GAPS])
def test_known_gaps(text: str, loader: bool, schema: bool) -> None:
    assert (loader_accepts(text), not schema_errors(text)) == (loader, schema)
