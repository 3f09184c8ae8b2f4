"""Contact-sheet labels: one size for the whole sheet, cut with "…" below a floor, and off the cell's edges.

Issue 18: each label was fitted to its cell alone, so labels changed size from cell to cell,
and they were drawn from the cell's very edge.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pygame
import pytest

from player.core.loader import load_playlists
from player.core.scheduler import Timetable
from player.render.headless import SHEET_PAD, SheetGrid, contact_sheet
from player.render.slides import Painter
from player.render.text import FontChain

SIZE = (320, 180)
THUMB_WIDTH = 320
T0 = datetime(2024, 1, 1, tzinfo=UTC)
BACKGROUND = (32, 32, 36)  # the sheet's
LONG = "a-name-far-too-long-for-any-cell-of-this-sheet-even-at-the-smallest-size"


@pytest.fixture(scope="module", autouse=True)
def _pygame() -> Iterator[None]:
    pygame.display.init()
    pygame.freetype.init()
    yield
    pygame.display.quit()


def sheet_of(tmp_path_factory: pytest.TempPathFactory, ids: list[str]) -> tuple[pygame.Surface, SheetGrid]:
    slides = "".join(f"  - {{text: ' ', id: {slide}, background: '#204080'}}\n" for slide in ids)
    timetable = Timetable(load_playlists({"p.yaml": f"defaults: {{duration: 10}}\nslides:\n{slides}"}).playlists)
    painter = Painter(tmp_path_factory.mktemp("media"), SIZE, FontChain.resolve(("DejaVu Sans:bold",)))
    sheet = contact_sheet(timetable, painter, T0, T0 + timedelta(seconds=10 * len(ids)), ZoneInfo("UTC"), THUMB_WIDTH)
    return sheet, SheetGrid.for_slides(len(ids), SIZE, THUMB_WIDTH)


def label_ink(sheet: pygame.Surface, grid: SheetGrid, index: int) -> pygame.Rect:
    """The label's ink, looked for under the thumbnail and out into the padding around the cell."""
    cell = grid.cell(index)
    around = pygame.Rect(
        cell.x - SHEET_PAD // 2, cell.y + grid.thumb[1], cell.w + SHEET_PAD, grid.label_h + SHEET_PAD // 2
    )
    ink = [
        (x, y)
        for x in range(around.left, around.right)
        for y in range(around.top, around.bottom)
        if sheet.get_at((x, y))[:3] != BACKGROUND
    ]
    assert ink, f"label {index} has no ink"
    xs, ys = [x for x, _ in ink], [y for _, y in ink]
    return pygame.Rect(min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)


def test_labels_share_one_size_and_keep_off_the_cell_edges(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Every name holds "p/", so its ink is as tall as any other's at the same size; every time
    # is digits. Equal ink boxes mean equal sizes, on the same baselines.
    sheet, grid = sheet_of(tmp_path_factory, ["alpha", "delta", LONG, "lid"])
    inks = [label_ink(sheet, grid, index) for index in range(4)]
    assert len({ink.h for ink in inks}) == 1, [ink.h for ink in inks]
    assert len({ink.y for ink in inks}) == 1, [ink.y for ink in inks]
    for index, ink in enumerate(inks):
        cell = grid.cell(index)
        assert ink.left >= cell.left + 4 and ink.right <= cell.right - 4, (index, ink, cell)
        assert ink.top >= cell.top + grid.thumb[1] + 2 and ink.bottom <= cell.bottom - 2, (index, ink, cell)
    # The long name is cut at the cell's width ("…"), not set smaller than the others.
    assert inks[2].w > 0.8 * (grid.thumb[0] - 8)
    # Without it, the same labels are larger: the size is the largest every label fits.
    short, short_grid = sheet_of(tmp_path_factory, ["alpha", "delta", "lid"])
    assert label_ink(short, short_grid, 0).h > inks[0].h
