"""What YAML's parser says, in the player's words: what is wrong, where, and what to do.

libyaml (and PyYAML's own parser) describe a problem as their grammar sees it ("while scanning
for the next token found character that cannot start any token"); the person editing a
playlist needs "a tab: indent with spaces". Pure: text in, words out (issue 18).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from typing import NamedTuple

import yaml


class Trouble(NamedTuple):
    """A problem with a file's text, before any field is read: 1-based line and column, and words."""

    line: int
    col: int
    message: str


# Characters YAML allows in a file (YAML 1.1, 5.1); anything else stops the parser.
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_TAB = "a tab: YAML is indented with spaces, never tabs; replace the tab with spaces"
_HEX_ESCAPE = "an escape in double quotes (\\x, \\u, \\U) needs hexadecimal digits, e.g. \\u00e9"
_TAG = "`!` starts a YAML tag here: put text that starts with ! in quotes"
_UNSURE = "this is not valid YAML: check the indentation, quotes and brackets on this line and the one above"


def decode(data: str | bytes) -> str | Trouble:
    """The text of a YAML file: UTF-8 (with or without a byte order mark), or UTF-16 with one."""
    if isinstance(data, str):
        return data
    encoding = "utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        col = len(data[line_start : error.start].decode(encoding, "replace")) + 1
        byte = data[error.start]
        message = (
            f"the file is not UTF-8 text: byte 0x{byte:02X} here is not UTF-8 "
            "(saved as Latin-1 or Windows-1252?); save the file as UTF-8"
        )
        return Trouble(data.count(b"\n", 0, error.start) + 1, col, message)


def bad_character(text: str) -> Trouble | None:
    """The first character YAML does not allow (a control character, say), if any."""
    found = _NOT_PRINTABLE.search(text)
    if found is None:
        return None
    line_start = text.rfind("\n", 0, found.start()) + 1
    code = ord(found.group())
    # NULs everywhere are what a UTF-16 file without a byte order mark looks like as UTF-8.
    hint = "; is the file UTF-16? save it as UTF-8" if code == 0 else ": remove it"
    message = f"the character U+{code:04X} (a control character) is not allowed in YAML{hint}"
    return Trouble(text.count("\n", 0, found.start()) + 1, found.start() - line_start + 1, message)


def explain(error: yaml.MarkedYAMLError, text: str) -> Trouble:
    """The parser's or composer's ``error`` as a problem a person can fix."""
    spot = _Spot(error, text)
    mark, message = spot.problem, _UNSURE
    # The problem says most; the context ("while scanning a tag", "found duplicate anchor")
    # is the fallback.
    found = [words for said in (error.problem, error.context) for pattern, words in _RULES if pattern in (said or "")]
    if found:
        mark, message = found[0](spot)
    return Trouble(mark.line + 1, mark.column + 1, f"YAML syntax error: {message}")


class _Spot:
    """The marks of an error and the characters at them."""

    def __init__(self, error: yaml.MarkedYAMLError, text: str) -> None:
        self.problem = error.problem_mark or error.context_mark or yaml.Mark("", 0, 0, 0, None, 0)
        self.context = error.context_mark or self.problem
        self.lines = text.split("\n")

    def rest(self, mark: yaml.Mark) -> str:
        """The text from ``mark`` to the end of its line ("" past the end of the file)."""
        return self.lines[mark.line][mark.column :] if mark.line < len(self.lines) else ""

    def at_end(self) -> bool:
        return not "".join(self.lines[self.problem.line :])[self.problem.column :].strip()


_Words = tuple[yaml.Mark, str]


def _cannot_start(spot: _Spot) -> _Words:
    char = spot.rest(spot.problem)[:1]
    if char == "\t":
        return spot.problem, _TAB
    return spot.problem, f"'{char}' cannot start a value in YAML: put the text in quotes"


def _name_after(spot: _Spot, mark: yaml.Mark, sigil: str) -> str:
    found = re.match(rf"\{sigil}([^\s,\[\]{{}}]+)", spot.rest(mark))
    return found.group(1) if found else ""


def _undefined_alias(spot: _Spot) -> _Words:
    name = _name_after(spot, spot.problem, "*")
    return spot.problem, (
        f"*{name} refers to an anchor &{name} that is not defined above it: define it first, "
        "or put text that starts with * in quotes"
    )


def _duplicate_anchor(spot: _Spot) -> _Words:
    name = _name_after(spot, spot.problem, "&")
    first = spot.context.line + 1
    return spot.problem, f"the anchor &{name} is already defined on line {first}: give this one another name"


def _unclosed_quote(spot: _Spot) -> _Words:
    # The parser notices at the end of the file; the quote that opened is what to fix.
    return spot.context, "this quote is never closed: end the text with the same quote (' or \")"


def _unclosed(opening: str, closing: str) -> Callable[[_Spot], _Words]:
    def words(spot: _Spot) -> _Words:
        if spot.at_end():
            return spot.context, f"this `{opening}` is never closed: end it with `{closing}`"
        opened = spot.context.line + 1
        return spot.problem, f"expected `,` or `{closing}` here, to continue or close the `{opening}` on line {opened}"

    return words


def _out_of_line(spot: _Spot) -> _Words:
    char = spot.rest(spot.problem)[:1]
    if char in ("]", "}"):
        return spot.problem, f"`{char}` closes a bracket that was not opened: remove it"
    return spot.problem, (
        "this line does not line up with the lines above it: the fields of one block, and the `- ` "
        "items of one list, start in the same column"
    )


def _missing_value(spot: _Spot) -> _Words:
    if spot.at_end():
        return spot.problem, "the file ends inside a `[` or `{`: close it with `]` or `}`"
    return spot.problem, "a value is missing here (nothing after a `,`, or a stray `,`?)"


def _fixed(message: str, *, at_context: bool = False) -> Callable[[_Spot], _Words]:
    return lambda spot: (spot.context if at_context else spot.problem, message)


def _unknown_escape(spot: _Spot) -> _Words:
    rest = spot.rest(spot.problem)  # libyaml points at the backslash, PyYAML at the letter after it
    char = rest[1:2] if rest.startswith("\\") else rest[:1]
    return spot.problem, f"`\\{char}` is not an escape in double quotes: write a backslash as \\\\ or use single quotes"


# (a piece of what the parser said, what to say instead). The parser's problem is matched
# first, then its context; the first rule that matches wins, so the more specific come first.
# The pieces match both libyaml's wording and PyYAML's own parser's.
_RULES: tuple[tuple[str, Callable[[_Spot], _Words]], ...] = (
    ("cannot start any token", _cannot_start),
    ("nesting depth", _fixed("the document is nested too deeply: a playlist needs a few levels, not hundreds")),
    ("tab character", _fixed(_TAB)),
    (
        "mapping values are not allowed",
        _fixed("unexpected `: `: put text that contains `: ` in quotes (or is the line above missing its `: `?)"),
    ),
    (
        "block sequence entries are not allowed",
        _fixed("a `- ` list item where a value goes: start the list on the next line, indented under its field"),
    ),
    (
        "could not find expected ':'",
        _fixed("this line has no `: `: write `key: value`, or put text over several lines in quotes", at_context=True),
    ),
    ("undefined alias", _undefined_alias),
    ("duplicate anchor", _duplicate_anchor),
    ("another document", _fixed("a second document starts here (`---`): a file holds one; remove the line")),
    ("unexpected end of stream", _unclosed_quote),
    ("unexpected document indicator", _unclosed_quote),
    ("unknown escape character", _unknown_escape),
    ("hexdecimal", _fixed(_HEX_ESCAPE)),
    ("escape", _fixed(_HEX_ESCAPE)),
    ("alphabetic or numeric", _fixed("`&` and `*` start an anchor or an alias, with a name: put the text in quotes")),
    ("expected ',' or ']'", _unclosed("[", "]")),
    ("expected ',' or '}'", _unclosed("{", "}")),
    ("expected '-' indicator", _out_of_line),
    ("<block end>", _out_of_line),
    ("did not find expected key", _out_of_line),
    ("node content", _missing_value),
    ("<document start>", _fixed("unexpected text here: is this line indented like the ones above it?")),
    ("incompatible YAML document", _fixed("only YAML 1.1 and 1.2 are read: remove the `%YAML` line")),
    ("directive", _fixed("a `%` line at the top is a YAML directive the player does not read: remove it")),
    ("tag handle", _fixed(_TAG)),
    ("while scanning a tag", _fixed(_TAG)),
    ("while parsing a tag", _fixed(_TAG)),
    ("while scanning a block scalar", _fixed("after `|` or `>`, the text goes on the lines below, indented")),
)
