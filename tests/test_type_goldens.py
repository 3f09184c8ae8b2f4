"""Golden images of type: each script's playlist rendered as a screen shows it, compared with
the picture a person looked at and signed off (tests/data/type/expected/).

Each playlist in tests/data/type/playlists/ has a title with a subtitle, a short title (the
type scale and the rule that a slightly smaller size on fewer lines wins), a tagline over a
busy picture, and for English a tagline far too long for two lines (cut with "…" at the
floor). Every slide is rendered full size through the real painter and headless renderer
at 1920x1080 and 1080x1920; the slides of one case are laid side by side in one PNG.

To look at a change on purpose: ``SIGNAGE_WRITE_GOLDENS=1 pytest tests/test_type_goldens.py``
rewrites the expected PNGs; look at every one before committing them.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pygame
import pytest
from PIL import Image, ImageChops

from player.core.loader import load_playlists
from player.core.scheduler import Timetable, bound_instant
from player.media.prepared import PreparedCache
from player.ops.hashing import sha256_file
from player.render.headless import render_at
from player.render.slides import Painter
from player.render.text import FontChain

HERE = Path(__file__).parent / "data" / "type"
NAMES = ("en", "ko", "ja", "zh", "ar", "th", "mixed")
SIZES = ((1920, 1080), (1080, 1920))
SLIDE_SECONDS = 10  # the playlists' duration: every slide is rendered 5 s into its turn
# Pixels may differ by antialiasing between FreeType builds; a moved line or a lost glyph
# changes thousands of them.
DIFFERENT_LEVEL = 48
MOST_DIFFERENT_SHARE = 0.002


@pytest.fixture(scope="module")
def chain() -> FontChain:
    pygame.display.init()
    pygame.freetype.init()
    got = FontChain.resolve()
    names = {face.name for face in got.faces}
    needed = {"DejaVu Sans", "Noto Sans CJK JP", "Noto Sans Arabic", "Noto Sans Thai", "Noto Color Emoji"}
    assert needed <= names, f"fonts missing: {needed - names}; `make test` installs them"
    return got


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> PreparedCache:
    """The player's prepared-slide cache, so the busy picture is drawn once per screen size."""
    return PreparedCache(tmp_path_factory.mktemp("prepared"), 2**30, sha256_file)


def render_case(
    chain: FontChain, name: str, size: tuple[int, int], prepared: PreparedCache | None = None
) -> pygame.Surface:
    """Every slide of playlist ``name`` at ``size``, side by side."""
    text = (HERE / "playlists" / f"{name}.yaml").read_text(encoding="utf-8")
    result = load_playlists({f"{name}.yaml": text})
    assert not result.problems, result.problems
    (playlist,) = result.playlists
    start = playlist.schedule.start
    assert start is not None
    first = bound_instant(start, playlist.schedule.timezone, is_end=False)
    timetable = Timetable(result.playlists)
    painter = Painter(HERE / "media", size, chain, prepared=prepared)
    frames = [
        render_at(timetable, painter, first + timedelta(seconds=SLIDE_SECONDS * i + 5))
        for i in range(len(playlist.slides))
    ]
    strip = pygame.Surface((size[0] * len(frames), size[1]))
    for i, frame in enumerate(frames):
        strip.blit(frame, (i * size[0], 0))
    return strip


def as_image(surface: pygame.Surface) -> Image.Image:
    return Image.frombytes("RGB", surface.get_size(), pygame.image.tobytes(surface, "RGB"))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", NAMES)
def test_type_matches_the_signed_off_picture(
    chain: FontChain, prepared: PreparedCache, name: str, size: tuple[int, int]
) -> None:
    got = as_image(render_case(chain, name, size, prepared))
    expected_path = HERE / "expected" / f"{name}-{size[0]}x{size[1]}.png"
    if os.environ.get("SIGNAGE_WRITE_GOLDENS"):
        got.save(expected_path, optimize=True)
    expected = Image.open(expected_path).convert("RGB")
    assert got.size == expected.size
    difference = ImageChops.difference(got, expected).convert("L")
    histogram = difference.histogram()
    different = sum(histogram[DIFFERENT_LEVEL:])
    share = different / (got.size[0] * got.size[1])
    if share > MOST_DIFFERENT_SHARE:
        got.save(Path(os.environ.get("TMPDIR", "/tmp")) / f"got-{expected_path.name}")
    assert share <= MOST_DIFFERENT_SHARE, (
        f"{share:.2%} of pixels differ (rendered copy saved as got-{expected_path.name})"
    )
