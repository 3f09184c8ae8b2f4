"""Tests for player.media.fit: the one set of fit rules stills and video share."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from player.media.fit import Layout, PixelLayout, check_fit, layout, pixel_layout, window

sizes = st.tuples(st.integers(1, 400), st.integers(1, 400))
focuses = st.tuples(st.floats(0, 1), st.floats(0, 1))


@pytest.mark.parametrize(
    ("src", "frame", "fit", "expected"),
    [
        ((200, 100), (100, 100), "contain", Layout((0, 0, 200, 100), (100, 50), (0, 25))),
        ((200, 100), (100, 100), "cover", Layout((50, 0, 150, 100), (100, 100), (0, 0))),
        ((200, 100), (100, 100), "stretch", Layout((0, 0, 200, 100), (100, 100), (0, 0))),
    ],
)
def test_layout_places_the_source_by_the_fit(
    src: tuple[int, int], frame: tuple[int, int], fit: str, expected: Layout
) -> None:
    assert layout(src, frame, fit, (0.5, 0.5)) == expected


def test_the_cover_window_follows_the_focus_and_stays_inside() -> None:
    assert window(0.0, 100, 200) == 0.0
    assert window(1.0, 100, 200) == 100.0
    assert window(0.6, 100, 200) == 70.0


@given(src=sizes, frame=sizes, fit=st.sampled_from(["contain", "cover", "stretch"]), focus=focuses)
def test_whole_pixel_placement_agrees_with_the_source_box(
    src: tuple[int, int], frame: tuple[int, int], fit: str, focus: tuple[float, float]
) -> None:
    """Video (scale, then crop) lands where stills (crop, then scale) do, give or take a pixel."""
    box, placed = layout(src, frame, fit, focus), pixel_layout(src, frame, fit, focus)
    assert placed.offset == box.offset
    if fit != "cover":
        assert placed == PixelLayout(box.scaled, (0, 0), box.offset)
        return
    scale = placed.scaled[0] / src[0], placed.scaled[1] / src[1]
    assert abs(placed.crop[0] - box.box[0] * scale[0]) <= 1 + scale[0]
    assert abs(placed.crop[1] - box.box[1] * scale[1]) <= 1 + scale[1]
    left, right, top, bottom = placed.bars(frame)
    assert (left, right, top, bottom) == (0, 0, 0, 0)


def test_contain_bars_fill_the_rest_of_the_frame() -> None:
    placed = pixel_layout((100, 50), (101, 100), "contain", (0.5, 0.5))
    assert placed.scaled == (101, 50)
    assert placed.bars((101, 100)) == (0, 0, 25, 25)


@pytest.mark.parametrize(
    ("size", "fit", "focus", "message"),
    [((10, 10), "fill", (0.5, 0.5), "fit must be"), ((0, 10), "cover", (0.5, 0.5), "size"), ((9, 9), "cover", (2, 0), "focus")],
)
def test_bad_arguments_are_caller_bugs(size: tuple[int, int], fit: str, focus: tuple[float, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_fit(size, fit, focus)
