"""What a clock, a countdown and a ticker show at an instant, and when that next changes.

Pure: the instant is always handed in (an aware datetime), never read, so ``render --at``,
two screens side by side and the tests all agree to the pixel. The render loop sleeps until
the ``*_next_change`` instant and asks again.

Clock patterns are CLDR (Unicode) date patterns, read and formatted by babel, in the names of
the widget's ``lang`` (a BCP 47 tag). Patterns babel needs, with what they give on Saturday
2018-02-10 at 09:05:07 in Asia/Seoul:

==================  ========  ==========================
pattern             lang      text
==================  ========  ==========================
``HH:mm``           any       09:05
``HH:mm:ss``        any       09:05:07 (redraws every second)
``a h:mm``          ko        오전 9:05
``h:mm a``          en        9:05 AM
``M월 d일 EEEE``    ko        2월 10일 토요일
``M月d日(E)``       ja        2月10日(土)
``M月d日 EEEE``     zh-Hant   2月10日 星期六
``EEEE d MMMM``     en        Saturday 10 February
``d 'de' MMMM``     es        10 de febrero (quoted text is literal)
``h 'o''clock' a``  en        9 o'clock AM (``''`` is one apostrophe)
==================  ========  ==========================
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from fractions import Fraction
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, tokenize_pattern

from player.core.layout import Clock, Countdown

__all__ = [
    "babel_locale",
    "clock_next_change",
    "clock_resolution",
    "clock_text",
    "countdown_next_change",
    "countdown_text",
    "next_local_midnight",
    "ticker_offset",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_SECOND = 1_000_000  # microseconds
_MINUTE = 60 * _SECOND
_HOUR = 60 * _MINUTE

# CLDR pattern letters by how often what they show changes. Seconds, fractions of a second and
# milliseconds in the day change every second (a signage clock shows no fractions: a fraction
# field is drawn as of the second). Every other letter that is not a date letter (hours, minutes,
# day periods, time zone names and offsets, letters babel does not know) is redrawn every minute:
# a zone's name changes at a DST transition, and those fall on whole minutes.
_SECOND_LETTERS = frozenset("sSA")
_DATE_LETTERS = frozenset("GyYuUrQqMLlwWdDFgEec")

Resolution = int  # microseconds between redraws at most; 0 means once a day, at local midnight


def babel_locale(lang: str) -> Locale:
    """babel's locale for a BCP 47 tag: ``ko``, ``ja``, ``zh-Hant`` (zh_Hant), ``en-GB``.

    Subtags babel does not know are dropped from the end (``de-CH-1996`` is ``de_CH``); a tag
    with none it knows, and ``""``, is English.
    """
    parts = [part for part in lang.replace("_", "-").split("-") if part]
    while parts:
        try:
            return Locale.parse("_".join(parts))
        except (UnknownLocaleError, ValueError, TypeError):
            parts.pop()
    return Locale.parse("en")


def clock_text(clock: Clock, instant: datetime) -> str:
    """The clock's text at ``instant``: its pattern in its time zone, in its language's names."""
    zone = ZoneInfo(clock.timezone)
    return format_datetime(instant.astimezone(zone), format=clock.format, tzinfo=zone, locale=babel_locale(clock.lang))


def clock_resolution(pattern: str) -> Resolution:
    """How often a pattern's text can change: every second, every minute, or 0 (at midnight).

    The pattern is read by babel's own tokenizer, so quoted text (``'at' HH:mm``,
    ``d 'de' MMMM``, ``''`` for an apostrophe) is seen as babel formats it.
    """
    letters = {value[0] for kind, value in tokenize_pattern(pattern) if kind == "field"}
    if letters & _SECOND_LETTERS:
        return _SECOND
    return 0 if letters <= _DATE_LETTERS else _MINUTE


def clock_next_change(clock: Clock, instant: datetime) -> datetime:
    """The first instant after ``instant`` at which the clock's text may change (UTC).

    The next second when the pattern shows seconds, the next minute when it shows the time,
    the next local midnight in the clock's zone when it shows only the date.
    """
    zone = ZoneInfo(clock.timezone)
    step = clock_resolution(clock.format)
    if step == 0:
        return next_local_midnight(instant, zone)
    # Whole local seconds and minutes: the offset at the instant (a zone's offset is whole
    # minutes today, but Seoul's LMT was +8:27:52, and the minute turns on local time).
    offset = _micros(instant.astimezone(zone).utcoffset())
    local = _epoch_micros(instant) + offset
    return EPOCH + _US * ((local // step + 1) * step - offset)


def next_local_midnight(instant: datetime, zone: tzinfo) -> datetime:
    """The first instant after ``instant`` whose date in ``zone`` is a later one (UTC).

    Midnight as the zone's clocks read it, across DST: where a change skips midnight
    (São Paulo until 2018: 23:59:59 was followed by 01:00) the date turns at the change;
    where midnight comes twice, at the first; a skipped day (Samoa, 2011-12-30) is skipped.
    """
    today = instant.astimezone(zone).date()
    wall = datetime.combine(today + timedelta(days=1), time(), tzinfo=zone)
    # fold=0 reads a wall time that does not exist with the offset before the change, which
    # is the change itself when the gap starts at midnight; when midnight falls inside a gap
    # that starts earlier, the date turns at the change: search for it, to the second.
    late = wall.astimezone(UTC)
    if late.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return late
    early = wall.replace(fold=1).astimezone(UTC)
    lo, hi = min(early, late), max(early, late)
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(zone).date() > today:
            hi = mid
        else:
            lo = mid
    return hi


def _micros(delta: timedelta | None) -> int:
    return 0 if delta is None else delta // _US


def _epoch_micros(instant: datetime) -> int:
    """Microseconds since the epoch, exactly (``timestamp()`` is a float, and rounds)."""
    return (instant - EPOCH) // _US


# --- countdown ------------------------------------------------------------------------------


def _shows_hours(countdown: Countdown) -> bool:
    return "{hours}" in countdown.text


def countdown_text(countdown: Countdown, instant: datetime) -> str:
    """The countdown's text at ``instant``: ``text`` with its numbers until ``to``, then ``after``.

    ``{days}`` alone counts calendar days in the countdown's zone until the target's date
    ("D-3" three days before; 0 on the day itself), so it turns at local midnight. A text that
    also shows ``{hours}`` counts time instead, so the two add up: ``{days}`` whole days of
    24 hours and ``{hours}`` the whole hours beyond them (all the hours left without ``{days}``),
    turning every hour before the target.
    """
    if instant >= countdown.to:
        return countdown.after
    if not _shows_hours(countdown):
        return countdown.text.replace("{days}", str(_calendar_days(countdown, instant)))
    hours = _whole_hours_left(countdown, instant)
    if "{days}" not in countdown.text:
        return countdown.text.replace("{hours}", str(hours))
    days, beyond = divmod(hours, 24)
    return countdown.text.replace("{days}", str(days)).replace("{hours}", str(beyond))


def countdown_next_change(countdown: Countdown, instant: datetime) -> datetime | None:
    """The first instant after ``instant`` at which the countdown's text changes; None once
    the target has passed (``after`` shows for ever)."""
    if instant >= countdown.to:
        return None
    if _shows_hours(countdown):
        return countdown.to - timedelta(hours=_whole_hours_left(countdown, instant))
    if "{days}" not in countdown.text:
        return countdown.to.astimezone(UTC)
    return min(next_local_midnight(instant, ZoneInfo(countdown.timezone)), countdown.to.astimezone(UTC))


def _calendar_days(countdown: Countdown, instant: datetime) -> int:
    zone = ZoneInfo(countdown.timezone)
    target: date = countdown.to.astimezone(zone).date()
    return (target - instant.astimezone(zone).date()).days


def _whole_hours_left(countdown: Countdown, instant: datetime) -> int:
    """The hours left that are whole: 21 with 21 h 30 min to go. The instant an hour turns
    already counts one fewer (21 h to go shows 20), so the text changes *at* the hour, when
    the loop wakes to draw it, not a microsecond after."""
    left = (countdown.to - instant) // _US
    return (left - 1) // _HOUR


# --- ticker ---------------------------------------------------------------------------------


def ticker_offset(speed: float, period: int, instant: datetime) -> int:
    """How far a ticker's strip has scrolled at ``instant``, in px within its ``period``.

    A function of the instant alone, in integer arithmetic (microseconds since the epoch times
    the speed, as the decimal written: 33.3 px/s is 333/10), so one second later is exactly
    ``speed`` px further (mod ``period``) and two screens with synced clocks agree to the pixel.
    """
    if period <= 0:
        return 0
    rate = Fraction(repr(float(speed))) if math.isfinite(speed) else Fraction(0)
    travelled = _epoch_micros(instant) * rate.numerator // (rate.denominator * _SECOND)
    return travelled % period
