"""The layout widgets: clock and countdown text at fixed instants, the ticker's strip drawn at
t and t + 1 s, and QR codes drawn and read back by a real decoder (issue "Layouts").

Pixels are drawn with the real pygame under the dummy video driver; time is always handed in.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

os.environ["SDL_VIDEODRIVER"] = "dummy"

import pygame
import pygame.freetype
import pytest
import zxingcpp
from PIL import Image

from player.core.layout import Clock, Countdown, QrCode, Ticker
from player.core.qrcheck import contrast_ratio, make_symbol, qr_geometry, qr_problems
from player.core.widgettime import (
    babel_locale,
    clock_next_change,
    clock_text,
    countdown_next_change,
    countdown_text,
    next_local_midnight,
    ticker_offset,
)
from player.render import ticker as ticker_module
from player.render.qr import draw_qr
from player.render.text import FontChain
from player.render.ticker import MAX_TILE, TickerStrip, draw_ticker, ticker_layers

SEOUL = ZoneInfo("Asia/Seoul")
OPENING = datetime(2018, 2, 9, 20, 0, tzinfo=SEOUL)  # PyeongChang 2018, the opening ceremony
T = datetime(2018, 2, 9, 11, 0, 0, tzinfo=UTC)
BACKGROUND = (16, 16, 20, 255)


@pytest.fixture(scope="module")
def chain() -> FontChain:
    pygame.display.init()
    pygame.freetype.init()
    return FontChain.resolve()


def kst(*args: int) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


# --- clock ----------------------------------------------------------------------------------


def test_the_clock_turns_at_the_minute_in_seoul() -> None:
    clock = Clock(format="HH:mm", timezone="Asia/Seoul")
    before = datetime(2018, 2, 10, 9, 59, 59, 900_000, tzinfo=SEOUL)
    assert clock_text(clock, before) == "09:59"
    assert clock_text(clock, before.astimezone(UTC)) == "09:59"  # the same instant, however written
    assert clock_next_change(clock, before) == kst(2018, 2, 10, 10, 0)
    assert clock_text(clock, kst(2018, 2, 10, 10, 0)) == "10:00"
    assert clock_next_change(clock, kst(2018, 2, 10, 10, 0)) == kst(2018, 2, 10, 10, 1)


@pytest.mark.parametrize(
    ("pattern", "lang", "text"),
    [
        ("M월 d일 EEEE", "ko", "2월 10일 토요일"),
        ("a h:mm", "ko", "오전 9:05"),
        ("M月d日(E)", "ja", "2月10日(土)"),
        ("M月d日 EEEE", "zh-Hant", "2月10日 星期六"),
        ("EEEE d MMMM", "en", "Saturday 10 February"),
        ("EEEE d MMMM", "", "Saturday 10 February"),
        ("d 'de' MMMM", "es", "10 de febrero"),
        ("h 'o''clock' a", "en", "9 o'clock AM"),
        ("HH:mm:ss", "en", "09:05:07"),
    ],
)
def test_the_clock_speaks_its_language(pattern: str, lang: str, text: str) -> None:
    clock = Clock(format=pattern, timezone="Asia/Seoul", lang=lang)
    assert clock_text(clock, kst(2018, 2, 10, 9, 5, 7)) == text


@pytest.mark.parametrize(
    ("lang", "locale"),
    [
        ("ko", "ko"),
        ("ja", "ja"),
        ("zh-Hant", "zh_Hant"),
        ("zh-Hant-TW", "zh_Hant_TW"),
        ("en", "en"),
        ("", "en"),
        ("de-CH-1996", "de_CH"),
        ("xx", "en"),
    ],
)
def test_a_bcp47_tag_becomes_babels_locale(lang: str, locale: str) -> None:
    assert str(babel_locale(lang)) == locale


@pytest.mark.parametrize(
    ("pattern", "after"),
    [
        ("HH:mm:ss", kst(2018, 2, 10, 9, 5, 8)),  # seconds: the next second
        ("HH:mm 'sharp'", kst(2018, 2, 10, 9, 6)),  # an s inside quotes is text, not seconds
        ("h 'o''clock' a", kst(2018, 2, 10, 9, 6)),  # '' is an apostrophe, and the quote goes on
        ("M월 d일 EEEE", kst(2018, 2, 11)),  # the date alone: the next midnight in Seoul
        ("d 'de' MMMM 'sin horas'", kst(2018, 2, 11)),  # letters in quotes are not fields
    ],
)
def test_the_clock_says_when_it_next_changes(pattern: str, after: datetime) -> None:
    clock = Clock(format=pattern, timezone="Asia/Seoul")
    assert clock_next_change(clock, kst(2018, 2, 10, 9, 5, 7, 250_000)) == after


@pytest.mark.parametrize(
    ("zone", "instant", "midnight"),
    [
        ("Europe/Berlin", "2018-03-24T12:00", "2018-03-25T00:00+01:00"),  # the night before DST starts
        ("Europe/Berlin", "2018-03-25T12:00", "2018-03-26T00:00+02:00"),  # a 23-hour day
        ("America/Sao_Paulo", "2018-11-03T12:00", "2018-11-04T01:00-02:00"),  # DST skipped midnight
        ("America/Sao_Paulo", "2018-02-17T23:30", "2018-02-18T00:00-03:00"),  # 23:00-24:00 came twice
        ("Pacific/Apia", "2011-12-29T12:00", "2011-12-31T00:00+14:00"),  # Samoa skipped a day
    ],
)
def test_a_date_clock_turns_at_local_midnight_across_dst(zone: str, instant: str, midnight: str) -> None:
    tz = ZoneInfo(zone)
    clock = Clock(format="EEEE d MMMM", timezone=zone)
    got = clock_next_change(clock, datetime.fromisoformat(instant).replace(tzinfo=tz))
    assert got == datetime.fromisoformat(midnight)
    assert got.astimezone(tz).date() > datetime.fromisoformat(instant).date()
    assert (got - timedelta(seconds=1)).astimezone(tz).date() == datetime.fromisoformat(instant).date()
    assert next_local_midnight(datetime.fromisoformat(instant).replace(tzinfo=tz), tz) == got


# --- countdown ------------------------------------------------------------------------------

D_DAY = Countdown(to=OPENING, text="D-{days}", after="개막!", timezone="Asia/Seoul", lang="ko")


@pytest.mark.parametrize(
    ("instant", "text", "then"),
    [
        (kst(2018, 2, 6, 12, 0), "D-3", kst(2018, 2, 7)),
        (kst(2018, 2, 8, 23, 59, 59, 999_999), "D-1", kst(2018, 2, 9)),
        (kst(2018, 2, 9, 0, 0), "D-0", OPENING),  # the day itself; it changes again at the ceremony
        (kst(2018, 2, 9, 19, 59, 59), "D-0", OPENING),
        (OPENING, "개막!", None),
        (kst(2018, 3, 1), "개막!", None),
    ],
)
def test_the_countdown_counts_seoul_days_to_the_opening(instant: datetime, text: str, then: datetime | None) -> None:
    assert countdown_text(D_DAY, instant) == text
    assert countdown_next_change(D_DAY, instant) == then


def test_the_countdown_counts_days_in_its_own_zone() -> None:
    # 01:00 on the 9th in Seoul is still the 8th in UTC: a day more to the 9th there.
    instant = kst(2018, 2, 9, 1, 0)
    assert countdown_text(D_DAY, instant) == "D-0"
    assert countdown_text(replace(D_DAY, timezone="UTC"), instant) == "D-1"


@pytest.mark.parametrize(
    ("text", "instant", "shown", "then"),
    [
        ("{days}일 {hours}시간", kst(2018, 2, 8, 19, 30), "1일 0시간", kst(2018, 2, 8, 20, 0)),
        ("{days}일 {hours}시간", kst(2018, 2, 8, 20, 0), "0일 23시간", kst(2018, 2, 8, 21, 0)),
        ("{days}일 {hours}시간", kst(2018, 2, 8, 23, 0), "0일 20시간", kst(2018, 2, 9, 0, 0)),
        ("{hours} hours to go", kst(2018, 2, 8, 19, 30), "24 hours to go", kst(2018, 2, 8, 20, 0)),
        ("{hours} hours to go", kst(2018, 2, 9, 19, 30), "0 hours to go", OPENING),
    ],
)
def test_the_countdowns_hours_turn_on_the_hour(text: str, instant: datetime, shown: str, then: datetime) -> None:
    countdown = replace(D_DAY, text=text)
    assert countdown_text(countdown, instant) == shown
    assert countdown_next_change(countdown, instant) == then


# --- ticker ---------------------------------------------------------------------------------

ZONE = (800, 64)
NEWS = Ticker(items=("Seoul 2018", "평창 동계올림픽 개막", "Opening ceremony 20:00 KST"), speed=120.0)


def _drawn(strip: TickerStrip, offset: int, width: int = ZONE[0]) -> pygame.Surface:
    zone = pygame.Surface((width, strip.height))
    zone.fill((255, 0, 255))  # a colour no tile has: a gap in the layers would show
    draw_ticker(zone, strip, offset)
    return zone


def _columns(surface: pygame.Surface, x: int, width: int) -> bytes:
    return pygame.image.tobytes(surface.subsurface((x, 0, width, surface.get_height())), "RGB")


def _inked_columns(surface: pygame.Surface, background: tuple[int, int, int]) -> list[int]:
    mask = pygame.mask.from_threshold(surface, background, (1, 1, 1, 255))
    mask.invert()
    return [x for x in range(surface.get_width()) if any(mask.get_at((x, y)) for y in range(surface.get_height()))]


def test_one_second_later_the_ticker_is_speed_px_further_left(chain: FontChain) -> None:
    strip = TickerStrip.build(NEWS, ZONE, chain)
    now = ticker_offset(NEWS.speed, strip.period, T)
    later = ticker_offset(NEWS.speed, strip.period, T + timedelta(seconds=1))
    assert later == (now + 120) % strip.period
    at_t, at_t1 = _drawn(strip, now), _drawn(strip, later)
    width = ZONE[0] - 120
    assert _columns(at_t1, 0, width) == _columns(at_t, 120, width)
    assert _columns(at_t1, 0, width) != _columns(at_t, 119, width)  # a shift of 119 would not match
    assert _inked_columns(at_t, BACKGROUND[:3])  # and there is text to compare


def test_right_to_left_items_scroll_to_the_right(chain: FontChain) -> None:
    news = Ticker(items=("افتتاح الألعاب الأولمبية الشتوية", "בקוריאה"), speed=120.0)
    strip = TickerStrip.build(news, ZONE, chain)
    assert strip.rightward
    assert not TickerStrip.build(replace(news, direction="left"), ZONE, chain).rightward
    now = ticker_offset(news.speed, strip.period, T)
    at_t, at_t1 = _drawn(strip, now), _drawn(strip, ticker_offset(news.speed, strip.period, T + timedelta(seconds=1)))
    width = ZONE[0] - 120
    assert _columns(at_t1, 120, width) == _columns(at_t, 0, width)
    assert _inked_columns(at_t, BACKGROUND[:3])


def test_a_rightward_strip_starts_its_first_item_on_the_right(chain: FontChain) -> None:
    # The first item comes on screen first: moving right, that is the strip's right end.
    items = ("WWWWWW", "i")
    for direction, where in (("left", 0.35), ("right", 0.65)):
        strip = TickerStrip.build(Ticker(items=items, direction=direction), ZONE, chain)  # type: ignore[arg-type]
        (tile,) = strip.tiles
        inked = _inked_columns(tile, BACKGROUND[:3])
        middle = sum(inked) / len(inked) / strip.period  # where the ink is, mostly the W's
        assert abs(middle - where) < 0.05, (direction, middle)


def test_two_screens_show_the_same_pixels_at_the_same_instant(chain: FontChain) -> None:
    one, two = TickerStrip.build(NEWS, ZONE, chain), TickerStrip.build(NEWS, ZONE, chain)
    here = ticker_offset(NEWS.speed, one.period, T)
    there = ticker_offset(NEWS.speed, two.period, T.astimezone(SEOUL))  # its clock set to Seoul
    assert pygame.image.tobytes(_drawn(one, here), "RGB") == pygame.image.tobytes(_drawn(two, there), "RGB")
    a_bit_later = ticker_offset(NEWS.speed, two.period, T + timedelta(milliseconds=10))
    assert pygame.image.tobytes(_drawn(one, here), "RGB") != pygame.image.tobytes(_drawn(two, a_bit_later), "RGB")


def test_the_strip_wraps_at_its_period_without_a_seam(chain: FontChain) -> None:
    strip = TickerStrip.build(NEWS, ZONE, chain)
    assert ticker_layers(strip, ZONE[0], 0) == ticker_layers(strip, ZONE[0], strip.period)
    lap = timedelta(seconds=strip.period / NEWS.speed)
    assert ticker_offset(NEWS.speed, strip.period, T + lap * 5) == ticker_offset(NEWS.speed, strip.period, T)
    # Across the end of the strip and its start again, the picture moves one column per px.
    last, first = _drawn(strip, strip.period - 1), _drawn(strip, 0)
    assert _columns(first, 0, ZONE[0] - 1) == _columns(last, 1, ZONE[0] - 1)


def test_tiles_are_at_most_2048_px_and_join_into_the_whole_strip(
    chain: FontChain, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_news = replace(NEWS, items=NEWS.items * 6)
    strip = TickerStrip.build(long_news, ZONE, chain)
    assert strip.period > 2 * MAX_TILE and len(strip.tiles) == -(-strip.period // MAX_TILE)
    assert all(tile.get_width() <= MAX_TILE and tile.get_height() == ZONE[1] for tile in strip.tiles)
    assert all(not tile.get_flags() & pygame.SRCALPHA for tile in strip.tiles)
    assert sum(tile.get_width() for tile in strip.tiles) == strip.period
    monkeypatch.setattr(ticker_module, "MAX_TILE", strip.period)  # the same strip in one piece
    (whole,) = TickerStrip.build(long_news, ZONE, chain).tiles
    for start, tile in zip(strip.starts, strip.tiles, strict=True):
        assert _columns(tile, 0, tile.get_width()) == _columns(whole, start, tile.get_width()), start


def test_a_short_text_repeats_to_fill_the_zone(chain: FontChain) -> None:
    strip = TickerStrip.build(Ticker(items=("Hi",)), (1280, 48), chain)
    assert strip.period < 1280 // 3
    offset = ticker_offset(120.0, strip.period, T)
    layers = ticker_layers(strip, 1280, offset)
    assert layers[0][1] <= 0 and layers[-1][1] + strip.tiles[layers[-1][0]].get_width() >= 1280
    zone = _drawn(strip, offset, 1280)
    assert len(_inked_columns(zone, BACKGROUND[:3])) > 3 * len(_inked_columns(strip.tiles[0], BACKGROUND[:3]))
    magenta = pygame.mask.from_threshold(zone, (255, 0, 255), (1, 1, 1, 255)).count()
    assert magenta == 0  # the zone is covered
    assert _columns(zone, 0, 1280 - strip.period) == _columns(zone, strip.period, 1280 - strip.period)


def test_a_feed_with_no_items_is_a_strip_of_background(chain: FontChain) -> None:
    strip = TickerStrip.build(NEWS, ZONE, chain, items=["  ", ""])
    assert strip.period == ZONE[0] and len(strip.tiles) == 1
    zone = _drawn(strip, ticker_offset(NEWS.speed, strip.period, T))
    assert pygame.mask.from_threshold(zone, BACKGROUND[:3], (1, 1, 1, 255)).count() == ZONE[0] * ZONE[1]
    fed = TickerStrip.build(NEWS, ZONE, chain, items=["Breaking: snow in Pyeongchang"])
    assert fed.period != TickerStrip.build(NEWS, ZONE, chain).period  # the feed's items, not the ticker's


def test_the_type_size_follows_the_zone_height(chain: FontChain) -> None:
    assert TickerStrip.build(NEWS, (800, 100), chain).size == 62
    tall = TickerStrip.build(Ticker(items=("Ég fór ÁÉÍ ÓÚ gjpqy 😀",)), (800, 40), chain)
    tile = tall.tiles[0]
    inked_rows = [
        y for y in range(40) if any(tile.get_at((x, y))[:3] != BACKGROUND[:3] for x in range(tile.get_width()))
    ]
    assert inked_rows and inked_rows[0] > 0 and inked_rows[-1] < 39  # the ink keeps inside the zone
    assert tile.get_at((0, 0))[:3] == BACKGROUND[:3]


def test_offset_is_exact_integer_arithmetic() -> None:
    assert ticker_offset(120.0, 10**15, datetime(2024, 1, 1, tzinfo=UTC)) == 1_704_067_200 * 120
    assert ticker_offset(33.3, 10**9, datetime(1970, 1, 1, 0, 0, 10, tzinfo=UTC)) == 333  # not 332.99...
    assert ticker_offset(120.0, 1000, datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)) == 880  # before the epoch
    assert ticker_offset(120.0, 0, T) == 0


# --- QR code --------------------------------------------------------------------------------

MENU = QrCode(url="https://example.com/pyeongchang/menu?table=12")


def _decoded(surface: pygame.Surface) -> list[str]:
    picture = Image.frombytes("RGB", surface.get_size(), pygame.image.tobytes(surface, "RGB"))
    return [barcode.text for barcode in zxingcpp.read_barcodes(picture)]


def test_the_qr_code_reads_back_as_its_url(chain: FontChain) -> None:
    drawn = draw_qr(MENU, (400, 400), chain)
    assert drawn.get_size() == (400, 400)
    assert _decoded(drawn) == [MENU.url]


def test_the_qr_code_has_whole_pixels_per_module_and_its_quiet_zone() -> None:
    drawn = draw_qr(MENU, (400, 300), None)
    modules = len(make_symbol(MENU.url).matrix)
    geometry = qr_geometry(modules, (400, 300), caption=False)
    assert geometry.scale == 300 // (modules + 8) and geometry.side == (modules + 8) * geometry.scale
    assert (geometry.x, geometry.y) == ((400 - geometry.side) // 2, (300 - geometry.side) // 2)
    quiet = 4 * geometry.scale
    left, top = geometry.x + quiet, geometry.y + quiet
    # The quiet zone is background; the finder pattern's corner module is dark, exactly to the pixel.
    assert drawn.get_at((left - 1, top))[:3] == (255, 255, 255)
    assert drawn.get_at((left, top - 1))[:3] == (255, 255, 255)
    assert drawn.get_at((left, top))[:3] == (0, 0, 0)
    assert drawn.get_at((left + 7 * geometry.scale - 1, top))[:3] == (0, 0, 0)
    assert drawn.get_at((left + 7 * geometry.scale, top))[:3] == (255, 255, 255)


def test_the_caption_goes_under_the_code_when_there_is_room(chain: FontChain) -> None:
    captioned = replace(MENU, caption="Scan for the menu")
    drawn = draw_qr(captioned, (400, 480), chain)
    assert _decoded(drawn) == [MENU.url]
    geometry = qr_geometry(len(make_symbol(MENU.url).matrix), (400, 480), caption=True)
    assert geometry.caption is not None
    band = drawn.subsurface(geometry.caption)
    assert _inked_columns(band, (255, 255, 255))
    assert not _inked_columns(draw_qr(MENU, (400, 480), chain).subsurface(geometry.caption), (255, 255, 255))
    assert qr_problems(captioned, (400, 480)) == []
    assert qr_problems(captioned, (140, 140)) == [
        "the caption does not fit under the code in a zone of 140x140 px and is left out;"
        " make the zone taller (or leave out the caption)"
    ]


def test_a_see_through_background_stays_see_through() -> None:
    drawn = draw_qr(replace(MENU, background=(255, 255, 255, 0)), (200, 200), None)
    geometry = qr_geometry(len(make_symbol(MENU.url).matrix), (200, 200), caption=False)
    corner = (geometry.x + 4 * geometry.scale, geometry.y + 4 * geometry.scale)
    assert drawn.get_at((0, 0)).a == 0 and drawn.get_at((corner[0] - 1, corner[1])).a == 0
    assert tuple(drawn.get_at(corner)) == (0, 0, 0, 255)


def test_a_zone_too_small_for_the_url_is_a_problem() -> None:
    modules = len(make_symbol(MENU.url).matrix) + 8
    assert qr_problems(MENU, (400, 400)) == []
    assert qr_problems(MENU, (2 * modules, 500)) == [
        "the zone is too small for this URL: each module would be 2 px (at least 3 px for a phone to read it);"
        f" make the zone at least {3 * modules} px square or shorten the URL"
    ]
    assert qr_problems(MENU, (3 * modules, 3 * modules)) == []


def test_colours_a_phone_cannot_read_are_problems() -> None:
    grey = replace(MENU, color=(119, 119, 119, 255), background=(153, 153, 153, 255))
    (low,) = qr_problems(grey, (400, 400))
    assert low.startswith("the QR code's colours #777777 on #999999 are too alike (contrast 1.6:1, at least 4:1")
    inverted = replace(MENU, color=(255, 255, 255, 255), background=(0, 0, 0, 255))
    (problem,) = qr_problems(inverted, (400, 400))
    assert problem.startswith("the QR code is inverted: light modules (#ffffff) on a dark background (#000000)")
    navy = replace(MENU, color=(0, 32, 96, 255), background=(255, 250, 240, 255))
    assert qr_problems(navy, (400, 400)) == []
    assert _decoded(draw_qr(navy, (400, 400), None)) == [MENU.url]
    see_through = replace(MENU, background=(255, 255, 255, 0))
    assert qr_problems(see_through, (400, 400))[0].startswith("the QR code's colours are see-through")
    assert round(contrast_ratio((0, 0, 0, 255), (255, 255, 255, 255)), 6) == 21
    assert contrast_ratio((90, 90, 90, 255), (90, 90, 90, 255)) == 1


def test_urls_a_qr_code_cannot_hold_or_a_phone_may_not_open() -> None:
    (too_long,) = qr_problems(QrCode(url="https://example.com/" + "a" * 2400), (1080, 1080))
    assert too_long.startswith("the URL is too long for a QR code: 2420 bytes, and a code holds at most 2331")
    (warning,) = qr_problems(QrCode(url="example.com/menu"), (400, 400))
    assert warning.startswith("the URL 'example.com/menu' does not start with http:// or https://")
    assert qr_problems(QrCode(url="HTTPS://EXAMPLE.COM/MENU"), (400, 400)) == []
    assert qr_problems(QrCode(url="  "), (400, 400)) == ["the QR code has no URL: give it one with `url:`"]
