"""A YAML reader that keeps positions: every value comes with the node it came from, and
every problem is recorded as ``FILE:LINE:COL: field: message`` instead of stopping.

Used by the playlist loader and the config loader. Pure: it takes text, reads no files.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from typing import Any, TypeVar

import yaml

from player.core.errors import DocumentTooBig, Location, Problem
from player.core.values import describe, not_a_date
from player.core.yamlerrors import Trouble, bad_character, decode, explain

# A YAML alias re-visits the node it points at; this bounds the work a file can ask for
# (the "billion laughs" document is a few lines of anchors).
MAX_NODE_VISITS = 200_000

T = TypeVar("T")

# libyaml's parser where PyYAML was built with it (its wheels are): the same nodes and marks,
# several times faster than the pure-Python one (start-up on the emulated box: 0.5 s of YAML).
COMPOSER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_CORE = "tag:yaml.org,2002:"
# What a scalar tagged so must look like, for the message when it does not (`!!int x`).
_TAG_SHAPES = {"int": "a whole number", "float": "a number", "bool": "a yes/no value (true, false, yes, no)"}
_PLAIN_TAGS = frozenset(_CORE + name for name in ("str", "int", "float", "bool", "null", "timestamp"))
# `=` and `<<` resolve to YAML's "value" and "merge" tags, which no safe constructor builds:
# as values they are text (`text: "="` should not be needed).
_TEXT_TAGS = frozenset({_CORE + "value", _CORE + "merge"})
# What the constructors raise for a scalar that does not fit its tag; found by trying
# `!!bool x` (KeyError) and `!!timestamp x` (AttributeError), which crashed `validate`.
_CONSTRUCT_ERRORS = (yaml.YAMLError, ValueError, OverflowError, KeyError, AttributeError, TypeError)


class NodeReader:
    """Walks a composed YAML document, collecting problems instead of stopping at the first."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.visits = 0
        self._constructor = yaml.SafeLoader("")

    def compose(self, text: str | bytes, max_bytes: int) -> yaml.Node | None:
        """Parse ``text`` into nodes; on failure record the problem and return None."""
        size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
        if size > max_bytes:
            self.problem(None, "", f"file is {size:,} bytes, over the limit of {max_bytes:,}; split it")
            return None
        decoded = decode(text)
        trouble = decoded if isinstance(decoded, Trouble) else bad_character(decoded)
        if isinstance(decoded, str) and trouble is None:
            try:
                return yaml.compose(decoded, Loader=COMPOSER)
            except yaml.MarkedYAMLError as error:
                trouble = explain(error, decoded)
            except yaml.YAMLError:
                trouble = Trouble(1, 1, "the file cannot be read as YAML")
            except RecursionError:
                trouble = Trouble(1, 1, "the document is nested too deeply")
        if trouble is not None:
            self.problems.append(Problem(Location(self.source, trouble.line, trouble.col), "", trouble.message))
        return None

    def where(self, node: yaml.Node | None) -> Location:
        if node is None:
            return Location(self.source, 1, 1)
        return Location(self.source, node.start_mark.line + 1, node.start_mark.column + 1)

    def problem(self, node: yaml.Node | None, field: str, message: str) -> None:
        self.problems.append(Problem(self.where(node), field, message))

    def scalar(self, node: yaml.Node, field: str) -> Any:
        """The Python value of a scalar node; records a problem and returns None otherwise."""
        self.visits += 1
        if self.visits > MAX_NODE_VISITS:
            raise DocumentTooBig(node)
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, field, f"expected a single value, got {_kind(node)}")
            return None
        if node.tag in _TEXT_TAGS:
            return node.value
        if node.tag not in _PLAIN_TAGS:
            tag = "!!" + node.tag.removeprefix(_CORE) if node.tag.startswith(_CORE) else node.tag
            self.problem(node, field, f"the tag {tag} is not supported: remove it (text, numbers, dates, yes/no only)")
            return None
        try:
            return self._constructor.construct_object(node)
        except _CONSTRUCT_ERRORS:
            self.problem(node, field, _misfit(node))
            return None

    def mapping(self, node: yaml.Node, field: str, allowed: tuple[str, ...]) -> dict[str, yaml.Node] | None:
        """A mapping node's entries by key, flagging unknown and duplicate keys."""
        self.visits += 1
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, field, f"expected a mapping of `key: value` lines, got {_kind(node)}")
            return None
        entries: dict[str, yaml.Node] = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node, field)
            if key is None:
                continue
            path = f"{field}.{key}" if field else key
            if key in lines:
                self.problem(key_node, path, f"duplicate key: `{key}` is already set on line {lines[key]}; keep one")
            elif key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; known fields: {', '.join(allowed)}"
                self.problem(key_node, path, f"unknown field {key!r}{suggestion}")
            else:
                entries[key] = value_node
            lines.setdefault(key, key_node.start_mark.line + 1)
        return entries

    def key(self, node: yaml.Node, field: str) -> str | None:
        """A mapping key as a name; records a problem (one) and returns None otherwise."""
        if isinstance(node, yaml.ScalarNode) and node.tag == _CORE + "merge":
            # A safe loader's `<<: *base` would copy fields silently; here each field is written
            # where it applies (a playlist's `defaults:` holds what all its slides share).
            self.problem(node, field, "`<<` (a YAML merge key) is not supported: write the fields out")
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, field, f"a key must be a name, got {_kind(node)}")
            return None
        key = self.scalar(node, field)
        if isinstance(key, str):
            return key
        if key is not None or node.tag == _CORE + "null":
            self.problem(node, field, f"a key must be a name, got {describe(key)}{reading_note(node, key)}")
        return None

    def sequence(self, node: yaml.Node, field: str) -> list[yaml.Node] | None:
        self.visits += 1
        if isinstance(node, yaml.ScalarNode) and node.value == "" and node.tag.endswith(":null"):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, field, f"expected a list (lines starting with `- `, or [a, b]), got {_kind(node)}")
            return None
        return list(node.value)

    def plain(self, node: yaml.Node, field: str) -> Any:
        """A small structure (lists, mappings, scalars) as plain Python, within the visit budget."""
        if isinstance(node, yaml.SequenceNode):
            self.visits += 1
            return [self.plain(item, field) for item in node.value]
        if isinstance(node, yaml.MappingNode):
            self.visits += 1
            return {self.plain(key, field): self.plain(value, field) for key, value in node.value}
        return self.scalar(node, field)

    def convert(self, node: yaml.Node, field: str, parse: Callable[[Any], T]) -> T | None:
        """Read a scalar (or a flat list of scalars) and convert it with ``parse``.

        ``parse`` raises ValueError with a message for people; it is recorded here.
        """
        if isinstance(node, yaml.SequenceNode | yaml.MappingNode):
            try:
                value: Any = self.plain(node, field)
            except TypeError:  # a list or mapping used as a key
                self.problem(node, field, "keys must be names")
                return None
        else:
            value = self.scalar(node, field)
            if value is None and self.problems and self.problems[-1].location == self.where(node):
                return None
        try:
            return parse(value)
        except ValueError as error:
            self.problem(node, field, f"{error}{reading_note(node, value)}")
            return None


def _kind(node: yaml.Node) -> str:
    """What a node is, as written: "a list", "a mapping", "nothing" or the text of a scalar."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _CORE + "null":
        return "nothing"
    return repr(node.value)


def _misfit(node: yaml.ScalarNode) -> str:
    """Why a scalar does not fit its tag: a date that does not exist, or `!!int x`."""
    if node.tag == _CORE + "timestamp":
        return not_a_date(node.value)
    digits = node.value.lstrip("+-").replace("_", "")
    if node.tag == _CORE + "int" and digits.isdigit():  # Python reads at most 4,300 digits
        return f"{node.value[:12]}... ({len(digits):,} digits) is too long a number"
    shape = _TAG_SHAPES.get(node.tag.removeprefix(_CORE), "a value of its tag")
    return f"{node.value!r} is tagged !!{node.tag.removeprefix(_CORE)} but is not {shape}: fix it or remove the tag"


def reading_note(node: yaml.Node, value: Any) -> str:
    """A note when YAML read an unquoted value as something it does not look like: `no` is false, 1:30 is 90."""
    if not isinstance(node, yaml.ScalarNode) or node.style:  # quoted or a block: text as written
        return ""
    written = node.value
    if isinstance(value, bool) and written.lower() not in ("true", "false"):
        return f" (YAML reads an unquoted {written} as {'true' if value else 'false'})"
    if isinstance(value, int) and not isinstance(value, bool) and written.replace("_", "").lstrip("+") != str(value):
        return f" (YAML reads an unquoted {written} as the number {value})"
    if isinstance(value, float) and math.isinf(value) and written.lower().lstrip("+-") != ".inf":
        return f" (YAML reads {written} as infinity: it is too large a number)"
    return ""
