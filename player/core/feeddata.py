"""Live data on screen: a feed's last good items and fields, its data file, and ``{name.field}`` in text.

``signage feeds`` (player/fleet/feeds.py) fetches each source on its schedule and writes
``media/feeds/<name>.json`` with :func:`feed_file_bytes`; the player reads those files back
with :func:`parse_feed_file` (player/content/feedfiles.py) and fills text templates with
:func:`fill`. Also here, because the config checks them and the fetcher applies them: the
dotted paths that pick values out of a JSON document (:func:`parse_path`, :func:`evaluate`)
and the cleaning every piece of feed text goes through (:func:`clean_text`). Pure: no I/O,
no clock (the time is handed in).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser

from player.core.errors import FeedDataError

FORMAT = 1  # the data file's "format"; a reader refuses a newer one
MAX_ITEMS = 100  # per feed, whatever max_items says
MAX_FIELDS = 50
MAX_TEXT = 300  # characters of one item or field value, after cleaning
MAX_ERROR = 500  # characters of the error kept in the file
MAX_FILE_BYTES = 512 * 1024  # a data file within the caps above is well under this
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # a feed's name: its file's name, so nothing else
FIELD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")
RESERVED_FIELDS = frozenset({"age"})  # {name.age} is the feed's age, not a field

# Bidi embedding and override controls (U+202A-U+202E) and isolates (U+2066-U+2069): a feed
# could flip the order of everything after it on the line. LRM/RLM marks stay: they only
# nudge neutral characters, and right-to-left headlines need them.
_BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_PLACEHOLDER = re.compile(r"\{([a-z0-9][a-z0-9_-]{0,63})\.([A-Za-z0-9_][A-Za-z0-9_-]{0,63})\}")
_PATH_STEP = re.compile(r"([^.\[\]]*)((?:\[-?\d+\])*)")


@dataclass(frozen=True)
class Feed:
    """One feed's last good data, as its data file holds it.

    ``fields`` is a tuple of (name, value) pairs sorted by name, so a Feed is hashable (the
    render side keys caches on it); :meth:`field` looks one up. ``fetched`` is when the items
    and fields were fetched (aware, UTC; None: never); ``tried`` when the last attempt was
    made and ``error`` what it failed with (None: it worked).
    """

    name: str
    items: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    fetched: datetime | None = None
    error: str | None = None
    tried: datetime | None = None

    def field(self, name: str) -> str | None:
        return dict(self.fields).get(name)


def frozen_fields(fields: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """``fields`` as :attr:`Feed.fields` holds them."""
    return tuple(sorted(fields.items()))


# -- the data file -------------------------------------------------------------------------


def feed_file_bytes(feed: Feed) -> bytes:
    """The data file for ``feed``: UTF-8 JSON, ``"format": 1``, times in ISO 8601 UTC."""
    document = {
        "format": FORMAT,
        "name": feed.name,
        "fetched": _instant(feed.fetched),
        "tried": _instant(feed.tried),
        "error": feed.error[:MAX_ERROR] if feed.error else None,
        "items": list(feed.items),
        "fields": dict(feed.fields),
    }
    return (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def parse_feed_file(data: bytes, name: str) -> Feed:
    """Read a data file (the writer's, or one put there by hand) into a :class:`Feed` named ``name``.

    Everything is checked and capped as the fetcher caps it, and the text cleaned again: the
    file is in a folder people write to. Unknown keys are ignored (a newer writer may add some).

    Raises:
        FeedDataError: the file is not one (too big, not JSON, a newer format, wrong types).
    """
    if len(data) > MAX_FILE_BYTES:
        raise FeedDataError(f"{len(data):,} bytes, over the limit of {MAX_FILE_BYTES:,}")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as trouble:
        raise FeedDataError(f"not a feed data file (not JSON: {trouble})") from None
    if not isinstance(document, dict):
        raise FeedDataError("not a feed data file (expected a JSON object)")
    if document.get("format") != FORMAT:
        raise FeedDataError(f"format {document.get('format')!r} is not {FORMAT}: written by another version?")
    items, fields, error = document.get("items", []), document.get("fields", {}), document.get("error")
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise FeedDataError("items must be a list of texts")
    if not isinstance(fields, dict) or not all(isinstance(v, str) and FIELD.fullmatch(k) for k, v in fields.items()):
        raise FeedDataError("fields must map names (letters, digits, - and _) to texts")
    if error is not None and not isinstance(error, str):
        raise FeedDataError("error must be a text or null")
    cleaned = (clean_text(item) for item in items[:MAX_ITEMS])
    return Feed(
        name=name,
        items=tuple(item for item in cleaned if item),
        fields=frozen_fields({k: clean_text(v) for k, v in list(fields.items())[:MAX_FIELDS]}),
        fetched=_read_instant(document.get("fetched"), "fetched"),
        error=clean_text(error, MAX_ERROR) if error else None,
        tried=_read_instant(document.get("tried"), "tried"),
    )


def _instant(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _read_instant(value: object, key: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise FeedDataError(f"{key} must be an ISO 8601 time with its offset, like 2024-05-01T09:30:00Z")
    return moment.astimezone(UTC)


# -- text templates ------------------------------------------------------------------------


def template_fields(template: str) -> tuple[tuple[str, str], ...]:
    """The ``(feed, field)`` pairs a template names, in order; ``field`` is ``age`` for ``{name.age}``.

    Raises:
        ValueError: a brace that is not part of ``{name.field}``, ``{{`` or ``}}`` (for the
            loader's message; write ``{{`` for a literal brace).
    """
    names: list[tuple[str, str]] = []
    for piece in _pieces(template):
        if isinstance(piece, tuple):
            names.append(piece)
    return tuple(names)


def fill(template: str, feeds: Mapping[str, Feed], now: datetime, max_age: float | None = None) -> str | None:
    """``template`` with each ``{name.field}`` replaced by that feed's field, ``{name.age}`` by its age.

    ``{{`` and ``}}`` are literal braces. None when the text should not be shown (the caller
    keeps what was on screen): a feed or field it names is missing, a feed was never fetched
    or was fetched more than ``max_age`` seconds before ``now``, or the template is malformed
    (:func:`template_fields` says how).
    """
    try:
        pieces = _pieces(template)
    except ValueError:
        return None
    out: list[str] = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
            continue
        feed = feeds.get(piece[0])
        if feed is None or feed.fetched is None:
            return None
        age = (now - feed.fetched).total_seconds()
        if max_age is not None and age > max_age:
            return None
        value = human_age(age) if piece[1] == "age" else feed.field(piece[1])
        if value is None:
            return None
        out.append(value)
    return "".join(out)


def human_age(seconds: float) -> str:
    """How old data is, for a screen: "<1 min", "3 min", "2 h", "4 d" (whole units, rounded down)."""
    if seconds < 60:
        return "<1 min"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def _pieces(template: str) -> list[str | tuple[str, str]]:
    """Literal text and ``(feed, field)`` placeholders, in order; ValueError for a stray brace."""
    pieces: list[str | tuple[str, str]] = []
    text: list[str] = []
    index = 0
    while index < len(template):
        char = template[index]
        if char in "{}" and template.startswith(char * 2, index):
            text.append(char)
            index += 2
            continue
        match = _PLACEHOLDER.match(template, index) if char == "{" else None
        if match is None and char in "{}":
            raise ValueError(
                f"the brace at character {index + 1} is not part of a {{name.field}}: write {char * 2} for a brace"
            )
        if match is None:
            text.append(char)
            index += 1
            continue
        pieces.extend(["".join(text), (match.group(1), match.group(2))])
        text = []
        index = match.end()
    pieces.append("".join(text))
    return [piece for piece in pieces if piece != ""]


# -- cleaning feed text --------------------------------------------------------------------


def clean_text(text: str, limit: int = MAX_TEXT) -> str:
    """Feed text as plain text for a screen: tags and entities to characters, no control characters.

    HTML tags go (``<script>`` and ``<style>`` with what they hold), entities become their
    characters, control characters (C0, C1, the bidi controls above, lone surrogates) are
    dropped, runs of white space become one space, and the result is cut at ``limit``
    characters with an ellipsis.
    """
    if "<" in text or "&" in text:
        text = _strip_markup(text)
    kept = []
    for char in text:
        if char.isspace():
            kept.append(" ")
        elif char not in _BIDI_CONTROLS and unicodedata.category(char) not in ("Cc", "Cs"):
            kept.append(char)
    plain = " ".join("".join(kept).split())
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"


class _TextOnly(HTMLParser):
    """The text of an HTML fragment: character data only, never a script's or a style's."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        elif tag in ("br", "p", "div", "li"):
            self.parts.append(" ")  # "<p>one</p><p>two</p>" is two words, not "onetwo"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _strip_markup(text: str) -> str:
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


# -- paths into JSON -----------------------------------------------------------------------

Step = str | int | None
"""One step of a path: a key of an object, an index into a list, or None for ``*`` (every element)."""


def parse_path(text: str) -> tuple[Step, ...]:
    """A dotted path into a JSON document: ``current.temp``, ``items[0].title``, ``list.*.name``.

    Steps are separated by dots; each is a key, ``*`` (every element of a list, or every value
    of an object), or a whole number (an index, as ``[0]`` is: ``items.0`` = ``items[0]``;
    ``[-1]`` is the last). A key holding a dot or brackets cannot be named.

    Raises:
        ValueError: the path is empty or malformed.
    """
    if not text or not text.strip():
        raise ValueError("expected a path such as current.temp or items[0].title, got nothing")
    steps: list[Step] = []
    for part in text.split("."):
        match = _PATH_STEP.fullmatch(part)
        if match is None or (not match.group(1) and not match.group(2)):
            raise ValueError(f"{text!r} is not a path: use keys separated by dots, [N] for an index, * for every item")
        key = match.group(1)
        if key:
            steps.append(None if key == "*" else int(key) if re.fullmatch(r"-?\d+", key) else key)
        steps.extend(int(index) for index in re.findall(r"-?\d+", match.group(2)))
    return tuple(steps)


def evaluate(document: object, path: str) -> object:
    """The value at ``path`` (see :func:`parse_path`) in ``document``; a list where the path has ``*``.

    After a ``*``, elements the rest of the path does not match are left out (``list.*.name``
    skips an element without a name); before one, a mismatch is an error.

    Raises:
        ValueError: the path is malformed or does not match the document (says where it stopped).
    """
    steps = parse_path(path)
    values = [document]
    for at, step in enumerate(steps):
        spread = None in steps[:at]
        values = [found for value in values for found in _step(value, step, path, at, spread)]
    return values if None in steps else values[0]


def _step(value: object, step: Step, path: str, at: int, spread: bool) -> list[object]:
    """What one step of a path finds in ``value`` (nothing, after a ``*``, for a mismatch)."""
    if step is None and isinstance(value, list | dict):
        return list(value) if isinstance(value, list) else list(value.values())
    if isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
        return [value[step]]
    if step is not None and isinstance(value, dict) and str(step) in value:
        return [value[str(step)]]
    if spread:
        return []
    if step is None:
        raise ValueError(f"{path}: * needs a list or an object, found {_kind(value)} at step {at + 1}")
    if isinstance(step, int) and isinstance(value, list):
        raise ValueError(f"{path}: index {step} is past the end of a list of {len(value)} at step {at + 1}")
    raise ValueError(f"{path}: no {step!r} in {_kind(value)} at step {at + 1}{_keys(value)}")


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return "nothing (null)" if value is None else f"a {type(value).__name__} value"


def _keys(value: object) -> str:
    if not isinstance(value, dict):
        return ""
    keys = [str(key) for key in list(value)[:8]]
    return f" (its keys: {', '.join(keys)}{', ...' if len(value) > 8 else ''})" if keys else " (it is empty)"


def as_text(value: object) -> str | None:
    """A JSON value as the text a screen shows; None for what has no text (null, an object, a list)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | str):
        return value if isinstance(value, str) else format(value, ".10g") if isinstance(value, float) else str(value)
    return None
