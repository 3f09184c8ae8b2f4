"""docs/playlists.md against the product it describes.

The guide is checked where a program can check it:

- every ``yaml`` example is valid: whole playlists as they are, fragments (a few slides, a
  ``schedule``, one schedule field, a line of the player's configuration) inside the smallest
  document that holds them, each with ``signage validate`` against the demo's ``media/``;
- every ``yaml broken`` example makes ``signage validate`` print the ``text`` block after it;
- every ``$ signage ...`` line of a ``console`` block prints what the guide shows under it,
  run from the checkout with its own config/player.yaml (time zone Asia/Seoul) and content;
- the field tables name exactly the fields of docs/playlist.schema.json, with its choices and
  built-in defaults;
- the hot-folder times it quotes are the player's defaults.
"""

from __future__ import annotations

import inspect
import io
import itertools
import json
import re
import shlex
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from player.cli.main import main
from player.content.watch import FolderWatcher
from player.core.config import Config, WatchConfig, parse_config
from player.core.loader import PLAYLIST_KEYS
from player.core.values import parse_color
from player.ops.environment import Environment

REPO = Path(__file__).resolve().parent.parent
DOC_PATH = REPO / "docs" / "playlists.md"
DOC = DOC_PATH.read_text(encoding="utf-8")
SCHEMA_PATH = REPO / "docs" / "playlist.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
MEDIA = REPO / "media"

# What a fragment is completed with to make a playlist of it.
ONE_SLIDE = 'slides:\n  - text: "x"\n'
# The `## ` section of the guide whose field tables describe each object of the schema.
TABLE_SECTIONS = {"The playlist file": "playlist", "Slides": "slide", "Schedules": "schedule"}
CONTENT_FIELDS = {"image", "text", "video", "web", "id"}  # slide fields that are not style fields


# -- reading the guide ------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A fenced code block: its info string (``yaml``, ``yaml broken``, ``console``...), its text."""

    info: str
    text: str
    line: int  # of the opening fence, counted from 1

    @property
    def language(self) -> str:
        return self.info.split()[0] if self.info else ""

    @property
    def name(self) -> str:
        return f"line {self.line}: {self.info}"


@dataclass(frozen=True)
class Table:
    section: str  # the `## ` heading above it
    header: list[str]
    rows: list[list[str]]


def fenced_blocks(markdown: str) -> list[Block]:
    blocks: list[Block] = []
    lines = markdown.splitlines()
    opened: tuple[int, str] | None = None
    body: list[str] = []
    for number, line in enumerate(lines, 1):
        if opened is None:
            if line.startswith("```"):
                opened, body = (number, line[3:].strip()), []
        elif line == "```":
            blocks.append(Block(opened[1], "".join(f"{b}\n" for b in body), opened[0]))
            opened = None
        else:
            body.append(line)
    assert opened is None, f"the code block opened at line {opened[0]} is never closed"
    return blocks


def prose(markdown: str) -> str:
    """The guide without its code blocks (so a table or heading inside an example is not read)."""
    return re.sub(r"^```.*?^```$", "", markdown, flags=re.S | re.M)


def tables(markdown: str) -> list[Table]:
    found: list[Table] = []
    section = ""
    current: list[list[str]] = []

    def close() -> None:
        if current:
            found.append(Table(section, current[0], current[2:]))
            current.clear()

    for line in prose(markdown).splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        if line.startswith("|"):
            current.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        else:
            close()
    close()
    return found


def field_tables() -> list[Table]:
    return [t for t in tables(DOC) if t.header and t.header[0] == "Field"]


def field_name(cell: str) -> str:
    match = re.fullmatch(r"`([a-z_]+)`", cell)
    assert match, f"a field table's first column should be one `field_name`, not {cell!r}"
    return match.group(1)


def documented_fields() -> dict[str, set[str]]:
    """The fields each object's tables list: playlist, slide, schedule and (the slide's style
    fields) defaults."""
    fields: dict[str, set[str]] = {"playlist": set(), "slide": set(), "schedule": set()}
    for table in field_tables():
        assert table.section in TABLE_SECTIONS, f"a field table under '## {table.section}': which object is it?"
        fields[TABLE_SECTIONS[table.section]] |= {field_name(row[0]) for row in table.rows}
    fields["defaults"] = fields["slide"] - CONTENT_FIELDS
    return fields


def schema_object(name: str) -> dict[str, Any]:
    return SCHEMA["$defs"][name]


def style_table() -> Table:
    (table,) = [t for t in field_tables() if "Built-in default" in t.header]
    return table


# -- what the examples are ----------------------------------------------------------------------


def significant(text: str) -> list[str]:
    """The lines that are not blank and not only a comment."""
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def alternatives(text: str) -> list[str]:
    """A block that sets one key several times (``days: [mon]``, ``days: [weekdays]``) shows
    choices: each line is an example of its own. Any other block is one example."""
    lines = significant(text)
    keys = {line.split(":", 1)[0] if re.match(r"\s*[\w-]+:", line) else "" for line in lines}
    return [f"{line}\n" for line in lines] if len(lines) > 1 and len(keys) == 1 and "" not in keys else [text]


def documents(text: str) -> list[tuple[str, str]]:
    """The ``(kind, document)`` pairs an example stands for: ``playlist`` or ``config``."""
    found: list[tuple[str, str]] = []
    for example in alternatives(text):
        lines = significant(example)
        if not lines:  # only a comment, such as the `yaml-language-server` line
            found.append(("playlist", example + ONE_SLIDE))
        elif lines[0].startswith("  - "):  # slides
            found.append(("playlist", "slides:\n" + example))
        elif lines[0].startswith("  "):  # fields of a schedule
            found.append(("playlist", "schedule:\n" + example + ONE_SLIDE))
        else:
            keys = set(yaml.safe_load(example))
            if "slides" in keys:
                found.append(("playlist", example))
            elif keys <= set(PLAYLIST_KEYS):
                found.append(("playlist", example + ONE_SLIDE))
            else:  # the player's configuration, which refuses what it does not know
                found.append(("config", example))
    return found


def yaml_blocks(info: str) -> list[Block]:
    return [b for b in fenced_blocks(DOC) if b.info == info]


# -- running `signage` ------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    status: int
    output: str  # stdout, then stderr, as a terminal shows them for these commands


def signage(words: list[str], state: Path) -> Run:
    """``signage WORDS`` in-process, in the checkout, with its own config (the state folder
    elsewhere, so that the checkout's is not written)."""
    out, err = io.StringIO(), io.StringIO()
    env = Environment(stdout=out, stderr=err, environ={"TZ": "UTC", "SIGNAGE_STATE": str(state)}, cwd=REPO)
    status = main(words, env)
    return Run(status, out.getvalue() + err.getvalue())


def validate_playlist(text: str, folder: Path, name: str = "example.yaml") -> Run:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return signage(["--playlists", str(folder), "--media", str(MEDIA), "validate"], folder.parent / "state")


def as_json(value: Any) -> Any:
    """A YAML value as an editor's YAML 1.2 reads it: dates are strings."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    return value.isoformat() if isinstance(value, date) else value


@dataclass(frozen=True)
class Session:
    command: str
    expected: str
    block: Block


def sessions() -> list[Session]:
    """Every ``$ `` command of the console blocks, with the lines after it (its output)."""
    found: list[Session] = []
    for block in fenced_blocks(DOC):
        if block.language != "console":
            continue
        lines = block.text.splitlines()
        assert lines and lines[0].startswith("$ "), f"{block.name}: a console block starts with a `$ ` command"
        starts = [i for i, line in enumerate(lines) if line.startswith("$ ")] + [len(lines)]
        for start, end in itertools.pairwise(starts):
            output = "".join(f"{line}\n" for line in lines[start + 1 : end])
            found.append(Session(lines[start][2:], output, block))
    return found


# -- the examples -----------------------------------------------------------------------------


def test_the_guide_has_what_these_tests_read() -> None:
    assert len(yaml_blocks("yaml")) >= 10
    assert yaml_blocks("yaml broken")
    assert len(sessions()) >= 5
    assert set(documented_fields()) == {"playlist", "slide", "schedule", "defaults"}


@pytest.mark.parametrize("block", yaml_blocks("yaml"), ids=lambda b: b.name)
def test_yaml_example_is_valid(block: Block, tmp_path: Path) -> None:
    base = Config(source="test", playlists=tmp_path, media=MEDIA, state=tmp_path)
    for number, (kind, text) in enumerate(documents(block.text)):
        if kind == "config":
            parse_config(text, "player.yaml", base)  # raises ConfigError with every problem
            continue
        run = validate_playlist(text, tmp_path / f"playlists-{number}")
        ok = re.fullmatch(r"1 playlist\(s\), \d+ slide\(s\): OK\n", run.output)
        assert run.status == 0 and ok, f"{block.name}, checked as\n{text}\n{run.output}"
        errors = [e.message for e in Draft202012Validator(SCHEMA).iter_errors(as_json(yaml.safe_load(text)))]
        assert not errors, f"{block.name}: an editor using the schema would underline it: {errors}"


def test_complete_example_is_a_new_file_with_the_demo_media() -> None:
    section = DOC[DOC.index("## A complete example") :]
    saved_as = re.search(r"Save it as\s+`playlists/([^`]+)`", section)
    assert saved_as, "the complete example says which file to save it as"
    assert not (REPO / "playlists" / saved_as.group(1)).exists(), "saving the example would overwrite the demo"
    example = fenced_blocks(section)[0]
    assert example.info == "yaml" and "slides:" in example.text
    assert yaml.safe_load(example.text)["name"] == Path(saved_as.group(1)).stem


@pytest.mark.parametrize("block", yaml_blocks("yaml broken"), ids=lambda b: b.name)
def test_broken_example_gets_the_problems_shown(block: Block, tmp_path: Path) -> None:
    blocks = fenced_blocks(DOC)
    shown = blocks[blocks.index(block) + 1]
    assert shown.info == "text", f"{block.name}: the `text` block after it shows what validate prints"
    path = Path(shown.text.split(":", 1)[0])
    run = validate_playlist(block.text, tmp_path / "playlists", path.name)
    assert run.status == 1
    assert run.output.replace(str(tmp_path / "playlists"), str(path.parent)) == shown.text


@pytest.mark.parametrize("session", sessions(), ids=lambda s: s.command)
def test_console_command_prints_what_the_guide_shows(session: Session, tmp_path: Path) -> None:
    words = shlex.split(session.command)
    assert words[0] == "signage", f"{session.block.name}: only `signage` commands are checked"
    run = signage(words[1:], tmp_path / "state")
    assert run.status == 0, run.output
    assert run.output == session.expected


def test_every_shown_session_is_checked() -> None:
    """A `$ ` prompt outside a console block would be a session nobody runs."""
    for block in fenced_blocks(DOC):
        if block.language != "console":
            prompts = [line for line in block.text.splitlines() if line.startswith("$ ")]
            assert not prompts, f"{block.name}: {prompts} (use a console block, or no prompt)"


@pytest.mark.parametrize("block", [b for b in fenced_blocks(DOC) if b.language == "json"], ids=lambda b: b.name)
def test_json_example_parses(block: Block) -> None:
    json.loads(block.text)


def test_schema_comment_points_at_the_schema() -> None:
    paths = re.findall(r"\$schema=(\S+)", DOC)
    assert paths
    for path in paths:  # relative to a playlist in playlists/
        assert (REPO / "playlists" / path).resolve() == SCHEMA_PATH


# -- the field tables -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["playlist", "slide", "schedule", "defaults"])
def test_field_tables_list_the_schemas_fields(name: str) -> None:
    documented = documented_fields()[name]
    in_schema = set(schema_object(name)["properties"])
    assert not documented - in_schema, f"documented, but not {name} fields of the schema"
    assert not in_schema - documented, f"{name} fields of the schema the guide's tables do not list"


def style_rows(column: str) -> list[tuple[str, dict[str, Any], str]]:
    """Each row of the style table as (field, its schema entry, the cell of ``column``)."""
    slide = schema_object("slide")["properties"]
    table = style_table()
    index = table.header.index(column)
    return [(field_name(row[0]), slide[field_name(row[0])], row[index]) for row in table.rows]


def test_style_table_choices_are_the_schemas() -> None:
    checked = 0
    for field, entry, cell in style_rows("Type"):
        choices = entry.get("enum")
        if choices:
            assert set(re.findall(r"`([^`]+)`", cell)) == set(choices), field
            checked += 1
    assert checked >= 5


def test_style_table_defaults_are_the_schemas() -> None:
    checked = 0
    for field, entry, cell in style_rows("Built-in default"):
        if "default" not in entry:
            continue
        quoted = re.search(r"`([^`]+)`", cell)
        if "color" in entry.get("$ref", ""):
            assert parse_color(cell) == parse_color(entry["default"]), field
        else:
            assert quoted and yaml.safe_load(quoted.group(1)) == entry["default"], field
        checked += 1
    assert checked >= 8


# -- the hot folder ---------------------------------------------------------------------------


def test_hot_folder_times_are_the_players_defaults() -> None:
    quoted = dict(re.findall(r"`watch\.(\w+)`\D{0,20}?(\d+(?:\.\d+)?)", prose(DOC)))
    assert set(quoted) == {"debounce", "rescan_every", "settle"}
    for name, value in quoted.items():
        assert float(value) == getattr(WatchConfig(), name), name
    longest = re.search(r"at least every (\d+(?:\.\d+)?) seconds", DOC)
    assert longest and float(longest.group(1)) == inspect.signature(FolderWatcher).parameters["max_wait"].default
