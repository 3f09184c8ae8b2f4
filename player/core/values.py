"""Parsers for the small value types used in playlists and config: colours, durations,
time-of-day windows, time zones and instants.

Each parser takes a plain Python value and returns the parsed value or raises
``ValueError`` with a message meant for a person; the loader adds the location.
"""

from __future__ import annotations

import calendar
import difflib
import math
import re
from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from player.core.model import Color, HourWindow

NAMED_COLORS: dict[str, Color] = {
    "black": (0, 0, 0, 255),
    "white": (255, 255, 255, 255),
    "red": (255, 0, 0, 255),
    "green": (0, 128, 0, 255),
    "blue": (0, 0, 255, 255),
    "yellow": (255, 255, 0, 255),
    "orange": (255, 165, 0, 255),
    "gray": (128, 128, 128, 255),
    "grey": (128, 128, 128, 255),
    "navy": (0, 0, 128, 255),
    "transparent": (0, 0, 0, 0),
}

_HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")

MAX_DURATION_S = 24 * 3600.0


def parse_color(value: object) -> Color:
    """``"#rgb"``, ``"#rrggbb"``, ``"#rrggbbaa"`` or a basic colour name."""
    if value is None:  # `background: #ff6a00` unquoted: YAML reads a comment, and nothing before it
        raise ValueError('expected a colour such as "#ff6a00", got nothing: in YAML a # starts a comment, '
                         'so write the colour in quotes ("#ff6a00")')
    if not isinstance(value, str):
        raise ValueError(f"expected a colour such as \"#ff6a00\", got {describe(value)}")
    text = value.strip()
    if text.lower() in NAMED_COLORS:
        return NAMED_COLORS[text.lower()]
    match = _HEX.fullmatch(text)
    if not match:
        names = ", ".join(sorted(NAMED_COLORS))
        raise ValueError(f"{value!r} is not a colour: use #rgb, #rrggbb, #rrggbbaa or one of {names}")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    if len(digits) == 6:
        digits += "ff"
    r, g, b, a = (int(digits[i : i + 2], 16) for i in range(0, 8, 2))
    return (r, g, b, a)


def parse_duration(value: object, *, allow_zero: bool = False) -> float:
    """Seconds, as a number (``8``, ``2.5``) or a string (``"8s"``, ``"1m30s"``, ``"500ms"``)."""
    seconds: float
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as 8 or \"1m30s\", got {describe(value)}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        try:
            seconds = float(text)
        except ValueError:
            match = _DURATION.fullmatch(text)
            if not text or not match or not any(match.groups()):
                raise ValueError(
                    f"{value!r} is not a duration: use seconds (8, 2.5) or units like \"8s\", \"1m30s\", "
                    "\"500ms\""
                ) from None
            h, m, s, ms = (float(g) if g else 0.0 for g in match.groups())
            seconds = h * 3600 + m * 60 + s + ms / 1000
    else:
        raise ValueError(f"expected a duration such as 8 or \"1m30s\", got {describe(value)}")
    if math.isnan(seconds):
        raise ValueError(f"expected a duration such as 8 or \"1m30s\", got {describe(value)}")
    if seconds < 0 or (seconds == 0 and not allow_zero):
        least = "zero or more than zero" if allow_zero else "more than zero"
        raise ValueError(f"duration must be {least} seconds, got {describe(value)}")
    if seconds > MAX_DURATION_S:
        raise ValueError(f"duration {describe(value)} is longer than 24 hours")
    return seconds


def parse_clock(text: str, *, allow_24: bool) -> int:
    """``"HH:MM"`` to minutes since midnight; ``"24:00"`` only where ``allow_24``."""
    match = _CLOCK.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time of day: use HH:MM, e.g. \"06:00\"")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise ValueError(f"{text!r} is not a time of day between 00:00 and {'24:00' if allow_24 else '23:59'}")
    return hours * 60 + minutes


def parse_hour_window(value: object) -> HourWindow:
    """``"06:00-24:00"``; a window whose end is not after its start crosses midnight."""
    if not isinstance(value, str) or value.count("-") != 1:
        raise ValueError(f"expected a window such as \"06:00-22:00\", got {describe(value)}")
    open_text, close_text = value.split("-")
    window = HourWindow(parse_clock(open_text, allow_24=False), parse_clock(close_text, allow_24=True))
    if window.open == window.close:
        raise ValueError(f"window {value!r} opens and closes at the same time; for the whole day omit `hours`")
    return window


def parse_timezone(value: object) -> ZoneInfo:
    """An IANA time zone name such as ``Asia/Seoul``."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected an IANA time zone name such as \"Asia/Seoul\", got {describe(value)}")
    try:
        return ZoneInfo(value.strip())
    # A folder of the zone database ("Asia") raises IsADirectoryError, an OSError (found by
    # the playlist fuzzer, truncating "Asia/Seoul").
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {value!r}: {_zone_hint(value.strip())}") from None


def _zone_hint(name: str) -> str:
    """The IANA name meant, when one is close (``Asia/Seol``: ``Asia/Seoul``), else an example."""
    from zoneinfo import available_timezones

    zones = available_timezones()
    by_case = {zone.lower(): zone for zone in zones}
    close = [by_case[name.lower()]] if name.lower() in by_case else difflib.get_close_matches(name, zones, 1, 0.8)
    return f"did you mean {close[0]!r}?" if close else "use an IANA name such as \"Europe/London\""


def parse_instant(text: str, default_zone: tzinfo) -> datetime:
    """An ISO 8601 date or datetime; naive values are in ``default_zone``. Returns aware UTC."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"{text!r} is not an ISO 8601 time: use e.g. 2018-02-10T09:00:00+09:00, 2018-02-10T09:00 or 2018-02-10"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_zone)
    return parsed.astimezone(UTC)


def parse_date_or_datetime(value: object) -> date | datetime:
    """A schedule bound: a YAML date, a YAML timestamp, or an ISO string of either."""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        raw = value.strip()
        if raw.endswith(("Z", "z")):
            raw = raw[:-1] + "+00:00"
        try:
            if "T" in raw or " " in raw:
                return datetime.fromisoformat(raw)
            return date.fromisoformat(raw)
        except ValueError:
            if _DATE_TIME.match(raw):  # '2018-02-30' in quotes: say what is wrong with it
                raise ValueError(not_a_date(value)) from None
    raise ValueError(f"expected a date (2018-02-09) or an ISO datetime (2018-02-09T06:00:00), got {describe(value)}")


def midnight(day: date) -> datetime:
    """The naive local datetime at the start of ``day``."""
    return datetime.combine(day, time())


def describe(value: object) -> str:
    """A YAML value as its writer would name it, for "got ..." in messages (never a Python repr).

    ``datetime.date(2018, 2, 9)`` means nothing to the person who wrote ``2018-02-09``.
    """
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the yes/no value {'true' if value else 'false'}"
    if isinstance(value, datetime):
        return f"the date and time {value.isoformat(' ')}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, float) and not math.isfinite(value):
        return "not-a-number (.nan)" if math.isnan(value) else "infinity" if value > 0 else "minus infinity"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple | set):
        return "a list"
    return "a value of an unexpected kind"


_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d*)?)?)?"
    r"(?:[ \t]*(?:Z|[-+](\d{1,2})(?::?\d{2})?))?"
)


def not_a_date(text: str) -> str:
    """Why ``text``, written like a date or a date and time, is not one; for a person.

    ``2018-02-30`` gives "2018-02-30 is not a date: February 2018 has 28 days".
    """
    match = _DATE_TIME.fullmatch(text.strip())
    what = "a date and time" if match and match.group(4) else "a date"
    example = "write a date as 2018-02-09, or a date and time as 2018-02-09T06:00:00"
    if not match:
        return f"{text.strip()} is not a date: {example}"
    year, month, day = (int(g) for g in match.group(1, 2, 3))
    hour, minute, second, offset = (int(g) if g else 0 for g in match.group(4, 5, 6, 7))
    if year < 1:
        why = "there is no year 0"
    elif not 1 <= month <= 12:
        why = "months go from 01 to 12"
    elif not 1 <= day <= _days_in(year, month):
        # Not a := in the comparison: with day 0 it stops before the assignment (a fuzzer found it).
        why = f"{_MONTHS[month - 1]} {year} has {_days_in(year, month)} days"
    elif hour > 23:
        why = "hours go from 00 to 23 (the midnight that ends a day is the next day's 00:00)"
    elif minute > 59 or second > 59:
        why = "minutes and seconds go from 00 to 59"
    elif offset > 23:
        why = "a UTC offset is less than 24 hours, e.g. +09:00"
    else:
        why = example
    return f"{text.strip()} is not {what}: {why}"


def _days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]
