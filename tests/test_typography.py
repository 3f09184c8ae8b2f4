"""The typography issue's table, one test per problem found by a new user (issue 18).

Line breaks by each script's rules, right-to-left shaping, the font for each language,
one type scale per playlist, a floor with "…", text inside the safe area. The pictures
themselves are checked by tests/test_type_goldens.py.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"

import pygame
import pygame.freetype
import pytest

from player.core.loader import load_playlists
from player.core.scheduler import Timetable
from player.render.bidi import visual_pieces
from player.render.fonts import Shaper
from player.render.headless import render_at
from player.render.linebreak import LineBreaker
from player.render.slides import Painter
from player.render.slidetext import draw_tagline, safe_area
from player.render.text import (
    FontChain,
    TextLayout,
    draw_layout,
    fit_text,
    measure,
    wrap,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
WHITE = (255, 255, 255)


@pytest.fixture(scope="module")
def chain() -> FontChain:
    pygame.display.init()
    pygame.freetype.init()
    return FontChain.resolve()


def ink_width(surface: pygame.Surface) -> int:
    """How wide the non-black pixels of ``surface`` spread."""
    mask = pygame.mask.from_threshold(surface, (0, 0, 0), (60, 60, 60, 255))
    mask.invert()
    rects = mask.get_bounding_rects()
    return rects[0].unionall(rects[1:]).width if rects else 0


# --- line breaking --------------------------------------------------------------------------


def test_a_subtitle_breaks_at_its_separator_not_after_a_lone_ideograph(chain: FontChain) -> None:
    # house/coffee's subtitle ended a line with "커피 · 一" and started the next with "日中、…".
    text = "아메리카노 커피 · 一日中、おいしいコーヒーをどうぞ"
    voice = chain.speaking("ko")
    for width in range(measure(voice, "아메리카노 커피 ·", 40), measure(voice, text, 40), 23):
        lines = wrap(voice, text, 40, width)
        assert not any(line.endswith("一") for line in lines), (width, lines)
        assert not any(line.startswith(("·", "日中")) for line in lines), (width, lines)
    # Where the part after the separator fits on a line of its own, the break is at the separator.
    width = measure(voice, "一日中、おいしいコーヒーをどうぞ", 40)
    assert wrap(voice, text, 40, width) == ["아메리카노 커피 ·", "一日中、おいしいコーヒーをどうぞ"]


def test_japanese_phrases_stay_whole(chain: FontChain) -> None:
    # "へ" was left alone on motto-ja's last line; a line broke inside "今日".
    voice = chain.speaking("ja")
    sale = "春のセールは今日から"
    assert wrap(voice, sale, 60, measure(voice, sale, 60) - 1) == ["春のセールは", "今日から"]
    motto = "小さなことの偉大さへ"
    for width in range(measure(voice, "偉大さへ", 60), measure(voice, motto, 60), 7):
        lines = wrap(voice, motto, 60, width)
        assert all(len(line) > 2 for line in lines), (width, lines)


def test_a_range_of_numbers_is_never_split(chain: FontChain) -> None:
    # The box showed "Welcome in. Open every day, 07:00– / 22:00" on its 1280x800 screen.
    text = "Welcome in. Open every day, 07:00–22:00"
    for width in range(measure(chain, "07:00–22:00", 40), measure(chain, text, 40), 13):
        assert not any(line.endswith("–") for line in wrap(chain, text, 40, width)), width
    from player.render.slidetext import tagline_layout

    assert tagline_layout(chain, text, (1280, 800)).lines == (text,)  # a slightly smaller size, one line


def test_korean_breaks_between_words_only(chain: FontChain) -> None:
    voice = chain.speaking("ko")
    text = "작은 것들의 위대함을 위하여"
    for width in range(measure(voice, "위대함을", 50), measure(voice, text, 50), 11):
        assert " ".join(wrap(voice, text, 50, width)).split() == text.split()


@pytest.mark.parametrize("text", ["개막까지 4일", "To the greatness of small", "小さなことの偉大さに"])
def test_a_smaller_size_that_keeps_words_whole_wins_over_breaking_one(chain: FontChain, text: str) -> None:
    """A narrow zone (a layout's side column): the text is set smaller rather than broken inside a word."""
    voice = chain.speaking("")
    largest = fit_text(voice, text, 200, 400, max_size=120, min_size=10)
    words = text.split() if " " in text else ["小さな", "ことの", "偉大さに"]
    assert all(any(word in line for line in largest.lines) for word in words), largest.lines
    # A box no size keeps a word whole in: the word is broken (cut at the floor only if it must).
    tiny = fit_text(voice, "개막까지", 30, 400, max_size=120, min_size=20)
    assert not tiny.cut and len(tiny.lines) >= 2


def test_thai_breaks_at_its_spaces_and_never_before_mai_yamok(chain: FontChain) -> None:
    breaker = LineBreaker()
    text = "เราเชื่อว่าการกระทำเล็กๆ นำไปสู่ความยิ่งใหญ่"
    breaks = breaker.breaks(text, "th")
    assert text.index("นำ") in breaks  # after the space: a break between phrases
    assert text.index("ๆ") not in breaks  # ๆ repeats the word before it: never a line's start
    voice = chain.speaking("th")
    first = "เราเชื่อว่าการกระทำเล็กๆ"
    assert wrap(voice, text, 50, measure(voice, first, 50) + 5) == [first, "นำไปสู่ความยิ่งใหญ่"]


@pytest.mark.parametrize("text", ["Spring sale", "春のセール"])
def test_a_slightly_smaller_size_on_one_line_wins(chain: FontChain, text: str) -> None:
    # "Spring sale" wrapped to two lines where a slightly smaller size fits one; "春のセール"
    # broke as "春の / セール".
    voice = chain.speaking("ja")
    width = int(measure(voice, text, 100) * 0.92)  # at 100 px it needs two lines; at 92 it fits one
    two = fit_text(voice, text, width, 400, max_size=100)
    one = fit_text(voice, text, width, 400, max_size=100, fewer_lines=True)
    assert len(two.lines) == 2 and two.size == 100
    assert one.lines == (text,) and 85 <= one.size < 100


# --- scripts and fonts ----------------------------------------------------------------------


def test_japanese_uses_the_japanese_forms_and_korean_the_korean(chain: FontChain) -> None:
    # Japanese was drawn with Noto Sans CJK KR, whose forms differ (直, 骨, 角).
    assert chain.faces[chain.speaking("ja").face_for("直") or 0].name == "Noto Sans CJK JP"
    assert chain.faces[chain.speaking("ko").face_for("直") or 0].name == "Noto Sans CJK KR"
    assert chain.faces[chain.speaking("zh-Hant").face_for("直") or 0].name == "Noto Sans CJK TC"
    assert chain.faces[chain.speaking("zh-CN").face_for("直") or 0].name == "Noto Sans CJK SC"


def test_a_slide_without_lang_takes_it_from_its_script(chain: FontChain, tmp_path: Path) -> None:
    from player.render.typescale import slide_language

    result = load_playlists({"p.yaml": "slides:\n  - text: 春のセール\n  - text: 봄 세일\n  - text: 春季特卖\n"})
    assert [slide_language(s) for s in result.playlists[0].slides] == ["ja", "ko", "zh-Hans"]
    result = load_playlists({"p.yaml": "lang: zh-Hant\nslides:\n  - text: 直\n  - {text: 直, lang: ja}\n"})
    assert [s.lang for s in result.playlists[0].slides] == ["zh-Hant", "ja"]


def test_arabic_is_joined_and_runs_right_to_left(chain: FontChain) -> None:
    # Arabic was drawn unjoined and left to right.
    word = "مرحبا"
    voice = chain.speaking("ar")
    layout = fit_text(voice, word, 600, 200, max_size=80)
    drawn = pygame.Surface((600, 200))
    draw_layout(drawn, layout, voice, (0, 0, 600, 200), WHITE, align="left", valign="top")
    face = voice.face_for(word[0])
    assert face is not None and voice.faces[face].name == "Noto Sans Arabic"
    # HarfBuzz's own rendering of the word, right to left, through SDL_ttf.
    shaper = Shaper(voice.faces[face].path, None)
    reference, _ = shaper.render(word, layout.size, "Arab", True, WHITE)
    unjoined = pygame.Surface((600, 200))
    voice.faces[face].render_to(unjoined, (0, 150), word, fgcolor=WHITE, size=layout.size)

    assert abs(ink_width(drawn) - reference.get_bounding_rect().width) <= 3
    assert abs(ink_width(drawn) - ink_width(unjoined)) > 10  # joined forms are not the isolated ones


def test_digits_in_arabic_read_left_to_right_on_the_left() -> None:
    line = "عظمة 2018"
    pieces = visual_pieces(line)
    assert [line[p.start : p.stop].strip() for p in pieces] == ["2018", "عظمة"]
    assert [p.rtl for p in pieces] == [False, True]
    # In a left-to-right paragraph an Arabic word keeps its place.
    mixed = "Hi عظمة!"
    assert [mixed[p.start : p.stop] for p in visual_pieces(mixed, False)] == ["Hi ", "عظمة", "!"]


def test_thai_and_emoji_render_without_a_warning(tmp_path: Path) -> None:
    # Thai and emoji passed validate, then render printed one warning per missing character.
    (tmp_path / "playlists").mkdir()
    (tmp_path / "media").mkdir()
    (tmp_path / "playlists" / "p.yaml").write_text(
        "slides:\n  - text: สวัสดีครับ 🎉🏅\n    subtitle: Go team 👍🏽 🇰🇷\n", encoding="utf-8"
    )
    folders = ["--playlists", str(tmp_path / "playlists"), "--media", str(tmp_path / "media")]
    signage = [sys.executable, "-m", "player", "--config", "/dev/null", *folders]
    out = tmp_path / "out.png"
    done = subprocess.run(
        [*signage, "render", "--at", "2024-01-01T00:00:05Z", "--out", str(out), "--size", "640x360"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "no font" not in done.stderr, done.stderr
    checked = subprocess.run([*signage, "validate"], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and "warning" not in checked.stdout, checked.stdout
    # The emoji are in colour: some pixel is neither grey nor the text's white.
    picture = pygame.image.load(str(out))
    colours = {picture.get_at((x, y))[:3] for x in range(0, 640, 3) for y in range(0, 360, 3)}
    assert any(max(c) - min(c) > 100 for c in colours)


def test_missing_glyphs_are_one_line_per_slide(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    only_latin = FontChain.resolve(("DejaVu Sans:bold",))
    result = load_playlists({"p.yaml": "slides:\n  - text: 가나다라마바사아자차\n"})
    with caplog.at_level(logging.WARNING, logger="player.render.slides"):
        render_at(Timetable(result.playlists), Painter(tmp_path, (320, 180), only_latin), T0)
        render_at(Timetable(result.playlists), Painter(tmp_path, (320, 180), only_latin), T0 + timedelta(seconds=1))
    lines = [r for r in caplog.records if "no font can draw" in r.getMessage()]
    assert len({r.getMessage() for r in lines}) == 1 and "'가' (U+AC00)" in lines[0].getMessage()


# --- the type scale, the floor, the safe area ------------------------------------------------


def test_a_playlist_sets_its_subtitles_at_one_size(chain: FontChain, tmp_path: Path) -> None:
    # The same motto was one line on one slide and two larger lines on the next.
    motto = "We believe small acts lead to greatness."
    long_title = "To the greatness of small. " * 3
    result = load_playlists(
        {
            "p.yaml": "defaults: {transition: cut}\nslides:\n"
            f"  - {{text: '{long_title}', subtitle: '{motto}'}}\n"
            f"  - {{text: 'Small', subtitle: '{motto}'}}\n"
        }
    )
    painter = Painter(tmp_path, (960, 540), chain)
    timetable = Timetable(result.playlists)
    first, second = result.playlists[0].slides
    render_at(timetable, painter, T0)
    sizes = painter.text_sizes(first), painter.text_sizes(second)
    assert sizes[0] is not None and sizes[1] is not None
    assert sizes[0].subtitle == sizes[1].subtitle and sizes[0].main == sizes[1].main
    own = load_playlists({"p.yaml": f"slides:\n  - {{text: Small, subtitle: '{motto}', type_scale: own}}\n"})
    painter.use_playlists(own.playlists)
    alone = painter.text_sizes(own.playlists[0].slides[0])
    assert alone is not None and alone.main is not None and sizes[1].main is not None
    assert alone.main > sizes[1].main  # a slide that says so keeps its own size


def test_a_tagline_too_long_is_cut_at_the_floor_not_shrunk(chain: FontChain) -> None:
    # A 380-character tagline was drawn as two lines about 18 px high on a 1080p frame.
    surface = pygame.Surface((1920, 1080))
    text = "We believe small acts lead to greatness. " * 10
    drawn = draw_tagline(surface, chain, text[:380], floor=36)
    assert drawn.cut
    from player.render.slidetext import tagline_layout

    layout: TextLayout = tagline_layout(chain, text[:380], (1920, 1080), floor=36)
    assert layout.size == 36 and len(layout.lines) == 2 and layout.lines[-1].endswith("…")


def test_validate_warns_of_cut_text_with_its_place(tmp_path: Path) -> None:
    (tmp_path / "playlists").mkdir()
    (tmp_path / "media").mkdir()
    long = "Small acts lead to greatness. " * 40
    (tmp_path / "playlists" / "p.yaml").write_text(
        f"slides:\n  - text: Hello\n  - text: '{long}'\n    subtitle: '{long}'\n", encoding="utf-8"
    )
    folders = ["--playlists", str(tmp_path / "playlists"), "--media", str(tmp_path / "media")]
    done = subprocess.run(
        [sys.executable, "-m", "player", "--config", "/dev/null", *folders, "validate"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr  # a warning: the slide still plays
    assert f"{tmp_path / 'playlists' / 'p.yaml'}:3:5: slides[1].subtitle: warning: does not fit" in done.stdout
    assert "1 warning(s)" in done.stderr


def test_a_tagline_keeps_inside_the_safe_area(chain: FontChain) -> None:
    # "We believe small acts lead to greatness." spanned x=83-1832 of 1920 against 8 % margins.
    surface = pygame.Surface((1920, 1080))
    surface.fill(WHITE)
    draw_tagline(surface, chain, "We believe small acts lead to greatness. And so do great dreams.")
    band_top = next(y for y in range(1080) if surface.get_at((1, y))[:3] != WHITE)
    band = surface.subsurface((0, band_top, 1920, 1080 - band_top))
    # The text is white on the band's grey; the band itself reaches the frame's edges.
    text = pygame.mask.from_threshold(band, (255, 255, 255), (40, 40, 40, 255)).get_bounding_rects()
    ink = text[0].unionall(text[1:]).move(0, band_top)
    safe = safe_area((1920, 1080), (0.08, 0.08))
    assert safe.contains(ink), (ink, safe)
    assert surface.get_at((1919, 1079))[:3] != WHITE  # the band to the corner


def test_validate_warns_once_of_a_lang_no_font_draws(tmp_path: Path) -> None:
    for folder in ("playlists", "media"):
        (tmp_path / folder).mkdir()
    (tmp_path / "player.yaml").write_text("fonts: ['Noto Sans:bold', 'Noto Sans CJK KR:bold']\n", encoding="utf-8")
    (tmp_path / "playlists" / "p.yaml").write_text("lang: ja\nslides:\n  - text: 直\n  - text: 骨\n", encoding="utf-8")
    folders = ["--playlists", str(tmp_path / "playlists"), "--media", str(tmp_path / "media")]
    done = subprocess.run(
        [sys.executable, "-m", "player", "--config", str(tmp_path / "player.yaml"), *folders, "validate"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    warned = [line for line in done.stdout.splitlines() if "glyph forms of lang 'ja'" in line]
    assert len(warned) == 1 and ":3:5: slides[0].lang: warning:" in warned[0], done.stdout
