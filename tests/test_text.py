"""Tests for player.render.text: font chain, line breaking, autosizing and real pixels."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"

import pygame
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from player.core.vocabulary import DEFAULT_FONTS
from player.render.slidetext import draw_tagline, draw_text_slide
from player.render.text import (
    ELLIPSIS,
    FontChain,
    TextLayout,
    draw_layout,
    fit_text,
    measure,
    wrap,
)

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
KOREAN = "작은 것의 위대함을 위하여"
WHITE = (255, 255, 255)


@pytest.fixture(scope="module")
def chain() -> FontChain:
    if shutil.which("fc-match") is None:
        pytest.skip("fc-match (fontconfig) is not installed; `make test` installs it")
    if not NOTO.is_file() or not DEJAVU.is_file():
        pytest.skip(f"{NOTO} or {DEJAVU} is not installed; `make test` installs fonts-noto-cjk")
    resolved = FontChain.resolve(("DejaVu Sans:bold", "Noto Sans CJK KR:bold"))
    assert [f.path for f in resolved.faces[:2]] == [str(DEJAVU), str(NOTO)]
    return resolved


def test_the_default_fonts_cover_every_script_the_goldens_show() -> None:
    """Noto Sans first (drawn to match Noto Sans CJK), every CJK form, Arabic, Hebrew, Thai, emoji."""
    names = [face.name for face in FontChain.resolve(DEFAULT_FONTS).faces]
    assert names[0] == "Noto Sans"
    for family in (
        "Noto Sans CJK KR",
        "Noto Sans CJK JP",
        "Noto Sans CJK SC",
        "Noto Sans CJK TC",
        "Noto Sans Arabic",
        "Noto Sans Hebrew",
        "Noto Sans Thai",
        "Noto Color Emoji",
        "DejaVu Sans",
    ):
        assert family in names, f"{family} not installed: `make test` installs it"


@pytest.fixture(scope="module")
def dejavu_only(chain: FontChain) -> FontChain:
    return FontChain.resolve(["DejaVu Sans:bold"])


def ink(surface: pygame.Surface, rect: pygame.Rect | None = None) -> pygame.mask.Mask:
    """Mask of pixels that are not pure black (optionally only inside rect)."""
    mask = pygame.mask.from_threshold(surface, (0, 0, 0), (1, 1, 1, 255))
    mask.invert()
    if rect is not None:
        keep = pygame.mask.Mask(surface.get_size())
        keep.draw(pygame.mask.Mask(rect.size, fill=True), rect.topleft)
        mask = mask.overlap_mask(keep, (0, 0))
    return mask


def safe_area(w: int, h: int, margins: tuple[float, float] = (0.08, 0.08)) -> pygame.Rect:
    mx, my = round(w * margins[0]), round(h * margins[1])
    return pygame.Rect(mx, my, w - 2 * mx, h - 2 * my)


# --- the font chain -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ch", "face"),
    [("A", 0), ("é", 0), (" ", 0), ("한", 1), ("あ", 1), ("カ", 1), ("中", 1), ("。", 1), ("\u3000", 1)],
)
def test_face_for_picks_first_face_with_the_glyph(chain: FontChain, ch: str, face: int) -> None:
    assert chain.face_for(ch) == face


def test_face_for_is_none_when_no_face_has_the_glyph(chain: FontChain) -> None:
    assert chain.face_for("\U0010fffd") is None


def test_resolve_skips_absent_fonts_and_ends_with_pygame_default(caplog: pytest.LogCaptureFixture) -> None:
    if shutil.which("fc-match") is None:
        pytest.skip("fc-match (fontconfig) is not installed")
    with caplog.at_level(logging.WARNING, logger="player.render.text"):
        got = FontChain.resolve(["No Such Family Xyzzy:bold", "/nowhere/missing.ttf", f"{NOTO}#1"])
    assert len(got.faces) == 2
    assert got.faces[0].path == str(NOTO) and got.faces[0].name == "Noto Sans CJK KR"
    assert Path(got.faces[-1].path).name == pygame.freetype.get_default_font()
    assert "No Such Family Xyzzy" in caplog.text and "/nowhere/missing.ttf" in caplog.text


def test_resolve_with_nothing_still_has_a_face() -> None:
    got = FontChain.resolve([])
    assert len(got.faces) == 1
    assert got.face_for("A") == 0


def test_missing_reports_hangul_without_a_cjk_face(dejavu_only: FontChain) -> None:
    layout = fit_text(dejavu_only, KOREAN, 800, 200, max_size=60)
    assert layout.missing == frozenset(KOREAN.replace(" ", ""))


# --- line breaking --------------------------------------------------------------------------


def test_wrap_breaks_latin_only_at_spaces(chain: FontChain) -> None:
    text = "the quick brown fox jumps over the lazy dog again and again"
    for width in range(150, 900, 37):
        lines = wrap(chain, text, 30, width)
        assert " ".join(lines).split() == text.split()
        assert all(word in text.split() for line in lines for word in line.split())
        assert all(measure(chain, line, 30) <= width for line in lines)
        assert len(lines) > 1 or width >= measure(chain, text, 30)


def test_wrap_breaks_cjk_between_characters(chain: FontChain) -> None:
    text = "가나다라마바사아자차카타파하"
    one = measure(chain, "가", 40)
    lines = wrap(chain, text, 40, one * 4)
    assert lines == ["가나다라", "마바사아", "자차카타", "파하"]


def test_wrap_breaks_an_overlong_word_between_characters(chain: FontChain) -> None:
    word = "Supercalifragilisticexpialidocious"
    lines = wrap(chain, f"a {word} b", 30, 200)
    assert "".join(lines).replace(" ", "") == f"a{word}b"
    assert all(measure(chain, line, 30) <= 200 for line in lines)
    assert len(lines) >= 4


@pytest.mark.parametrize(
    "text",
    [
        "あいうえお。かきくけこ。さしすせそ、たちつてと！",
        "彼は「こんにちは」と言った。『本』（新版）を読む。",
        "한국어 문장입니다. 그리고, 또 하나!",
        "中文句子，标点符号。还有（括号）在这里！",
    ],
)
def test_wrap_respects_kinsoku(chain: FontChain, text: str) -> None:
    # From four characters up, so every unbreakable unit such as 『本』 fits on a line.
    for width in range(96, 600, 7):
        lines = wrap(chain, text, 24, width)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        for line in lines[1:]:
            assert line[0] not in "、。，．！？」』）〉》】・ー,.!?);", (width, lines)
        for line in lines[:-1]:
            assert line[-1] not in "「『（〈《【", (width, lines)


def test_wrap_never_puts_the_full_stop_first(chain: FontChain) -> None:
    # At a width of exactly four kana the naive break would start line two with "。".
    four = measure(chain, "あいうえ", 40)
    lines = wrap(chain, "あいうえ。かきくけ", 40, four)
    assert "".join(lines) == "あいうえ。かきくけ" and len(lines) == 3
    assert not any(line.startswith("。") for line in lines), lines


def test_wrap_honours_newlines(chain: FontChain) -> None:
    assert wrap(chain, "one\ntwo\n\nthree", 20, 10_000) == ["one", "two", "", "three"]
    assert wrap(chain, "one\r\ntwo\n", 20, 10_000) == ["one", "two"]
    assert wrap(chain, "", 20, 100) == [""]


@pytest.mark.parametrize(("text", "same_as"), [("a\tb", "a b"), ("あ\u3000い", "あい")])
def test_odd_whitespace_draws_no_box(chain: FontChain, text: str, same_as: str) -> None:
    # DejaVu has no glyph for a tab or U+3000 and would draw its .notdef box for them.
    counts = []
    for t in (text, same_as):
        surface = pygame.Surface((400, 100))
        draw_layout(surface, fit_text(chain, t, 400, 100, max_size=40), chain, surface.get_rect(), WHITE)
        counts.append(ink(surface).count())
    assert counts[0] == counts[1]


# --- autosizing -----------------------------------------------------------------------------


def test_fit_text_grows_with_the_box_and_fits(chain: FontChain) -> None:
    text = "To the greatness of small 작은 것의 위대함을 위하여"
    small = fit_text(chain, text, 400, 200, max_size=300)
    big = fit_text(chain, text, 1600, 800, max_size=300)
    assert big.size > small.size > 8
    for layout, box_w, box_h in ((small, 400, 200), (big, 1600, 800)):
        assert all(measure(chain, line, layout.size) <= box_w for line in layout.lines)
        assert layout.width <= box_w and layout.height <= box_h
        assert layout.line_height == round(layout.size * 1.15)
        assert not layout.missing
    # Largest: one pixel bigger it only fits by truncating.
    forced = fit_text(chain, text, 400, 200, max_size=small.size + 1, min_size=small.size + 1)
    assert forced.lines[-1].endswith(ELLIPSIS)


def test_fit_text_respects_max_size(chain: FontChain) -> None:
    assert fit_text(chain, "Hi", 2000, 2000, max_size=120).size == 120


def test_fit_text_ellipsises_at_min_size(chain: FontChain) -> None:
    text = "a long sentence that cannot possibly fit in two short lines of a tiny box " * 3
    layout = fit_text(chain, text, 120, 200, max_size=40, max_lines=2)
    assert layout.size == 8
    assert len(layout.lines) == 2
    assert layout.lines[-1].endswith(ELLIPSIS)
    assert all(measure(chain, line, 8) <= 120 for line in layout.lines)


def test_fit_text_drops_lines_that_do_not_fit_the_height(chain: FontChain) -> None:
    layout = fit_text(chain, "word " * 200, 100, 30, max_size=20)
    assert layout.size == 8 and layout.height <= 30
    assert layout.lines[-1].endswith(ELLIPSIS)


TEXT = st.text(
    alphabet=st.sampled_from(list("abcdefgh WXYZ,.!?()\n") + list("가나다한국あいう。、「」中文")),
    min_size=1,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(text=TEXT, box_w=st.integers(40, 1200), box_h=st.integers(20, 700), max_size=st.integers(8, 200))
def test_fit_text_always_fits_unless_at_min_size(
    chain: FontChain, text: str, box_w: int, box_h: int, max_size: int
) -> None:
    layout = fit_text(chain, text, box_w, box_h, max_size=max_size)
    assert 8 <= layout.size <= max(8, max_size)
    if layout.size > 8:
        assert layout.width <= box_w and layout.height <= box_h
        assert all(measure(chain, line, layout.size) <= box_w for line in layout.lines)


# --- drawing --------------------------------------------------------------------------------


def test_layout_box_is_tight_around_the_ink(chain: FontChain) -> None:
    layout = fit_text(chain, "Quay 안녕 jg", 600, 200, max_size=80)
    surface = pygame.Surface((800, 400))
    area = pygame.Rect(50, 60, 700, 300)
    draw_layout(surface, layout, chain, area, WHITE, align="left", valign="top")
    bounds = ink(surface).get_bounding_rects()
    box = bounds[0].unionall(bounds[1:])
    assert box.top == area.top and box.height == layout.height
    assert area.left <= box.left and box.right <= area.left + layout.width


@pytest.mark.parametrize(("align", "edge"), [("left", "left"), ("right", "right")])
def test_draw_layout_aligns_horizontally(chain: FontChain, align: str, edge: str) -> None:
    layout = fit_text(chain, "HIH", 300, 100, max_size=60)
    surface = pygame.Surface((500, 200))
    area = pygame.Rect(40, 20, 420, 160)
    draw_layout(surface, layout, chain, area, WHITE, align=align, valign="middle")  # type: ignore[arg-type]
    bounds = ink(surface).get_bounding_rects()
    box = bounds[0].unionall(bounds[1:])
    assert abs(getattr(box, edge) - getattr(area, edge)) <= 6
    assert abs(box.centery - area.centery) <= 1


def test_mixed_runs_share_one_baseline(chain: FontChain) -> None:
    size = 96
    layout = fit_text(chain, "Hello 안녕", 2000, 400, max_size=size, min_size=size)
    assert layout.lines == ("Hello 안녕",)
    mixed = pygame.Surface((1200, 300))
    draw_layout(mixed, layout, chain, mixed.get_rect(), WHITE, align="left", valign="top")
    # Reference: the same two glyphs drawn by their own faces on one known baseline.
    ref = pygame.Surface((1200, 300))
    chain.faces[0].render_to(ref, (10, 200), "H", fgcolor=WHITE, size=size)
    chain.faces[1].render_to(ref, (600, 200), "녕", fgcolor=WHITE, size=size)
    hangul_w = measure(chain, "녕", size)

    def bottoms(surface: pygame.Surface) -> tuple[int, int]:
        """Ink bottom of the first glyph ("H") and of the last one ("녕", several components)."""
        rects = sorted(ink(surface).get_bounding_rects(), key=lambda r: r.x)
        right = max(r.right for r in rects)
        last = [r for r in rects if r.x >= right - hangul_w]
        return rects[0].bottom, max(r.bottom for r in last)

    h_mixed, hangul_mixed = bottoms(mixed)
    h_ref, hangul_ref = bottoms(ref)
    assert h_mixed == layout.ascent  # "H" sits on the baseline
    assert hangul_mixed - h_mixed == hangul_ref - h_ref
    # And they really differ from top-aligned boxes: Noto's ascender is taller than DejaVu's.
    assert chain.faces[1].get_sized_ascender(size) - chain.faces[0].get_sized_ascender(size) > 5


@pytest.mark.parametrize("size", [(320, 180), (1920, 1080), (1080, 1920), (3840, 2160)])
def test_korean_slide_stays_in_the_safe_area(chain: FontChain, size: tuple[int, int]) -> None:
    surface = pygame.Surface(size)
    drawn = draw_text_slide(surface, chain, KOREAN, color=WHITE)
    assert drawn.missing == frozenset() and not drawn.cut
    safe = safe_area(*size)
    inside = ink(surface, safe)
    assert inside.count() == ink(surface).count()  # nothing outside the safe area
    white = pygame.mask.from_threshold(surface, WHITE, (40, 40, 40, 255))
    assert white.count() > safe.w * safe.h * 0.04
    box = inside.get_bounding_rects()[0].unionall(inside.get_bounding_rects())
    # Fills the safe area in at least one direction.
    assert box.width > safe.w * 0.85 or box.height > safe.h * 0.85


def test_main_text_is_capped_for_a_single_short_word(chain: FontChain) -> None:
    surface = pygame.Surface((1920, 1080))
    draw_text_slide(surface, chain, "Hi", color=WHITE)
    bounds = ink(surface).get_bounding_rects()
    box = bounds[0].unionall(bounds[1:])
    assert box.height <= 1080 // 4
    assert abs(box.centerx - 960) <= 2 and abs(box.centery - 540) <= 2


@pytest.mark.parametrize("size", [(320, 180), (1920, 1080), (1080, 1920)])
def test_slide_with_subtitle(chain: FontChain, size: tuple[int, int]) -> None:
    surface = pygame.Surface(size)
    drawn = draw_text_slide(surface, chain, "To the greatness of small", subtitle=KOREAN, color=WHITE)
    assert drawn.missing == frozenset()
    safe = safe_area(*size)
    assert ink(surface, safe).count() == ink(surface).count() > 0
    # Ink bands of rows: main text line(s) first, the smaller subtitle line(s) last.
    mask, row = ink(surface), pygame.mask.Mask((size[0], 1), fill=True)
    rows = [y for y in range(size[1]) if mask.overlap_area(row, (0, y))]
    bands: list[list[int]] = []
    for y in rows:
        if bands and y == bands[-1][-1] + 1:
            bands[-1].append(y)
        else:
            bands.append([y])
    assert len(bands) >= 2
    assert len(bands[-1]) < 0.65 * len(bands[0])


def test_slide_reports_missing_characters(dejavu_only: FontChain) -> None:
    surface = pygame.Surface((640, 360))
    assert draw_text_slide(surface, dejavu_only, f"Hi {KOREAN}", color=WHITE).missing == frozenset(
        KOREAN.replace(" ", "")
    )


@pytest.mark.parametrize("position", ["bottom", "top", "centre"])
def test_tagline_darkens_a_band_and_nothing_else(chain: FontChain, position: str) -> None:
    w, h = 1280, 720
    surface = pygame.Surface((w, h))
    surface.fill(WHITE)
    drawn = draw_tagline(surface, chain, "Hello 안녕하세요 小さなこと", position=position)  # type: ignore[arg-type]
    assert drawn.missing == frozenset()
    # Column 1 never holds text (side padding): it shows exactly where the band is.
    dark = [y for y in range(h) if surface.get_at((1, y))[:3] != WHITE]
    top, bottom = dark[0], dark[-1] + 1
    assert dark == list(range(top, bottom))
    assert 30 < bottom - top < h // 4
    expected_top = {"bottom": h - (bottom - top), "top": 0, "centre": (h - (bottom - top)) // 2}[position]
    assert top == expected_top
    r, g, b, _ = surface.get_at((1, (top + bottom) // 2))
    assert r == g == b and 90 <= r <= 140  # about 55 % black over white: darker, not black
    # Outside the band the picture is untouched.
    untouched = pygame.mask.from_threshold(surface, WHITE, (1, 1, 1, 255))
    band_mask = pygame.mask.Mask((w, bottom - top), fill=True)
    assert untouched.count() - untouched.overlap_area(band_mask, (0, top)) == w * (h - (bottom - top))
    # Text pixels (white) and shadow pixels (darker than the band) inside it.
    band = pygame.Rect(0, top, w, bottom - top)
    text_px = sum(1 for x in range(0, w, 2) for y in range(top, bottom, 2) if surface.get_at((x, y))[0] > 230)
    shadow_px = sum(1 for x in range(0, w, 2) for y in range(top, bottom, 2) if surface.get_at((x, y))[0] < 80)
    assert text_px > band.w * band.h * 0.01 and shadow_px > 50


@pytest.mark.parametrize("size", [(320, 180), (1080, 1920), (3840, 2160)])
@pytest.mark.parametrize(("text", "lines"), [("Hello 안녕", 1), ("far too much text for one band " * 20, 2)])
def test_tagline_band_follows_the_screen_size(chain: FontChain, size: tuple[int, int], text: str, lines: int) -> None:
    w, h = size
    surface = pygame.Surface(size)
    surface.fill(WHITE)
    draw_tagline(surface, chain, text)
    band = [y for y in range(h) if surface.get_at((1, y))[:3] != WHITE]
    assert band[-1] == h - 1 and len(band) == band[-1] - band[0] + 1
    assert all(surface.get_at((w - 2, y))[:3] != WHITE for y in band)  # full width
    max_size = min(w, h) / 14
    # The band reaches the frame's edge; its text stays above the safe area's bottom margin.
    beside_text = len(band) - round(h * 0.08)
    if lines == 1:  # a short text gets the full size: one line and padding
        assert max_size * 1.5 < beside_text < max_size * 2.5
    else:  # a long one shrinks to two lines, then is cut
        assert beside_text < max_size * 2.5


def test_layout_is_frozen(chain: FontChain) -> None:
    layout = fit_text(chain, "x", 100, 100, max_size=20)
    assert isinstance(layout, TextLayout)
    with pytest.raises(AttributeError):
        layout.size = 3  # type: ignore[misc]


def test_fonts_located_in_process_are_the_ones_fc_match_names() -> None:
    """locate_fonts asks libfontconfig for every pattern in one go (start-up); the answers are
    fc-match's, in order, and a family fontconfig does not have is not taken for another."""
    import shutil

    from player.render.fonts import _chosen, _fc_match, _file_spec, _is_file_spec, locate_fonts

    specs = [*DEFAULT_FONTS, "No Such Font Family", "/no/such/file.ttf", "Noto Sans CJK JP:bold", "DejaVu Sans"]
    fc_match = shutil.which("fc-match")
    expected = [_file_spec(s) if _is_file_spec(s) else _chosen(s, _fc_match(s, fc_match)) for s in specs]
    assert locate_fonts(specs) == expected
    assert expected[len(DEFAULT_FONTS)] is None  # not some other family
    assert expected[1] is not None and expected[1][1] > 0  # Noto Sans CJK KR: a face inside the .ttc


def test_a_face_inside_a_collection_is_never_shaped_as_the_collections_first() -> None:
    """SDL_ttf opens a file's first face: for Noto Sans CJK KR (face 1 of the .ttc) it would
    shape with the Japanese one, so that face is drawn by freetype alone."""
    chain = FontChain.resolve((f"{NOTO}#1", f"{NOTO}#0"))
    assert chain.indices[:2] == (1, 0)
    assert chain.shaper(0) is None and chain.shaper(1) is not None
    assert chain.speaking("ja").shaper(0) is None
