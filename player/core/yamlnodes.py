"""A YAML reader that keeps positions: every value comes with the node it came from, and
every problem is recorded as ``FILE:LINE:COL: field: message`` instead of stopping.

Used by the playlist loader and the config loader. Pure: it takes text, reads no files.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, TypeVar

import yaml

from player.core.errors import DocumentTooBig, Location, Problem

# A YAML alias re-visits the node it points at; this bounds the work a file can ask for
# (the "billion laughs" document is a few lines of anchors).
MAX_NODE_VISITS = 200_000

T = TypeVar("T")

# libyaml's parser where PyYAML was built with it (its wheels are): the same nodes and marks,
# several times faster than the pure-Python one (start-up on the emulated box: 0.5 s of YAML).
COMPOSER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        try:
            return yaml.compose(text, Loader=COMPOSER)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            message = " ".join(str(part) for part in (error.context, error.problem) if part)
            self.problems.append(Problem(Location(self.source, line, col), "", f"YAML syntax error: {message}"))
        except yaml.YAMLError as error:
            self.problem(None, "", f"cannot read YAML: {error}")
        except UnicodeDecodeError as error:
            self.problem(None, "", f"the file is not UTF-8 text ({error.reason} at byte {error.start})")
        except RecursionError:
            self.problem(None, "", "the document is nested too deeply")
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
            kind = "a mapping" if isinstance(node, yaml.MappingNode) else "a list"
            self.problem(node, field, f"expected a single value, got {kind}")
            return None
        try:
            return self._constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError) as error:
            self.problem(node, field, f"cannot read this value: {error}")
            return None

    def mapping(self, node: yaml.Node, field: str, allowed: tuple[str, ...]) -> dict[str, yaml.Node] | None:
        """A mapping node's entries by key, flagging unknown and duplicate keys."""
        self.visits += 1
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, field, "expected a mapping of `key: value` lines")
            return None
        entries: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node, field)
            path = f"{field}.{key}" if field else str(key)
            if not isinstance(key, str):
                self.problem(key_node, field, f"keys must be names, got {key!r}")
            elif key in entries:
                self.problem(key_node, path, "duplicate key: this field is already set above")
            elif key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else f"; known fields: {', '.join(allowed)}"
                self.problem(key_node, path, f"unknown field {key!r}{suggestion}")
            else:
                entries[key] = value_node
        return entries

    def sequence(self, node: yaml.Node, field: str) -> list[yaml.Node] | None:
        self.visits += 1
        if isinstance(node, yaml.ScalarNode) and node.value == "" and node.tag.endswith(":null"):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, field, "expected a list (lines starting with `- `, or [a, b])")
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
            self.problem(node, field, str(error))
            return None
