"""Field parsers the playlist and layout loaders share: each takes a YAML value and returns
the field's value, or raises ValueError with a message for people. Pure."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from datetime import date
from pathlib import PurePosixPath
from typing import Any

from player.core.values import describe

_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")  # BCP 47, as far as a screen needs


def choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected one of: {', '.join(options)}, got {describe(value)}")
        if value not in options:
            hint = difflib.get_close_matches(str(value), options, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ValueError(f"{value!r} is not one of: {', '.join(options)}{extra}")
        return str(value)

    return parse


def language(value: Any) -> str:
    """A BCP 47 language tag: "ja", "ko", "zh-Hans", "zh-TW", "ar", "th" (case kept)."""
    if not isinstance(value, str) or not _LANGUAGE_TAG.fullmatch(value):
        example = "a language tag such as ja, ko, zh-Hans, zh-Hant, ar, th or en"
        raise ValueError(f"expected {example}, got {describe(value)}")
    return value


def text(value: Any) -> str:
    if value is None:
        raise ValueError("expected text, got nothing")
    if isinstance(value, bool | date):
        raise ValueError(f"expected text, got {describe(value)}; put it in quotes")
    if not isinstance(value, str | int | float):
        raise ValueError(f"expected text, got {describe(value)}")
    return str(value)


def name(value: Any) -> str:
    stripped = text(value).strip()
    if not stripped:
        raise ValueError("must not be empty")
    return stripped


def media_path(value: Any, suffixes: frozenset[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        got = describe(value) if not isinstance(value, str) else "nothing"
        raise ValueError(f"expected a file name relative to the media folder, e.g. kenya.png, got {got}")
    text = value.strip()
    path = PurePosixPath(text)
    if path.is_absolute() or text.startswith("\\") or (len(text) > 1 and text[1] == ":"):
        raise ValueError(f"{text!r} is an absolute path: give the path relative to the media folder")
    if ".." in path.parts or "\\" in text:
        raise ValueError(f"{text!r} climbs out of the media folder: `..` and backslashes are not allowed")
    if path.suffix.lower() not in suffixes:
        raise ValueError(f"{text!r} has an unsupported type: use one of {', '.join(sorted(suffixes))}")
    return str(path)


def web_address(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", value.strip()):
        raise ValueError(f"expected a web address starting with https:// or http://, got {describe(value)}")
    return value.strip()
