"""Pictures decoded ahead on the painter's decoder thread (Painter.warm): the loop's thread
only makes the Surface, and the pixels are the same as a picture decoded when prepared."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pygame
import pytest
from PIL import Image

from player.core.loader import load_playlists
from player.core.model import Slide
from player.render.slides import Painter
from player.render.text import FontChain

SIZE = (1920, 1080)


@pytest.fixture(scope="module", autouse=True)
def _pygame():  # type: ignore[no-untyped-def]
    pygame.display.init()
    yield
    pygame.display.quit()


def slides(text: str) -> list[Slide]:
    return list(load_playlists({"p.yaml": f"name: p\nslides:\n{text}"}).playlists[0].slides)


def test_a_picture_warmed_is_decoded_off_the_callers_thread_with_the_same_pixels(tmp_path: Path) -> None:
    # A PNG of noise: a full decode however small the frame (no JPEG draft), 0.1-0.2 s here.
    Image.effect_noise((3000, 2000), 80).convert("RGB").save(tmp_path / "noise.png", compress_level=1)
    (slide,) = slides("  - {image: noise.png, fit: cover, duration: 5}\n")
    fonts = FontChain.resolve()

    began = time.perf_counter()
    _, decoded_when_prepared = Painter(tmp_path, SIZE, fonts).prepare(slide)
    decoding_s = time.perf_counter() - began

    painter = Painter(tmp_path, SIZE, fonts, decode_ahead=True)
    ready = threading.Event()
    began = time.perf_counter()
    assert painter.warm(slide, ready.set)
    warm_s = time.perf_counter() - began
    assert not painter.warm(slide, ready.set)  # already decoding: not twice
    assert ready.wait(10)
    assert warm_s < decoding_s / 4, f"warm() took {warm_s:.3f} s of a {decoding_s:.3f} s decode"
    began = time.perf_counter()
    _, taken = painter.prepare(slide)
    assert time.perf_counter() - began < decoding_s / 2  # only the Surface is made here
    assert pygame.image.tobytes(taken, "RGB") == pygame.image.tobytes(decoded_when_prepared, "RGB")
    assert not painter.warm(slide, ready.set)  # prepared: nothing to decode ahead


def test_only_raster_pictures_not_prepared_yet_are_warmed(tmp_path: Path) -> None:
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    text, svg, missing = slides(
        "  - {text: Hello, duration: 5}\n  - {image: logo.svg, duration: 5}\n  - {image: gone.png, duration: 5}\n"
    )
    painter = Painter(tmp_path, (160, 90), FontChain.resolve(), decode_ahead=True)
    assert not any(painter.warm(s, lambda: None) for s in (text, svg, missing, None))
    off = Painter(tmp_path, (160, 90), FontChain.resolve())  # render --at: decodes in order, alone
    Image.new("RGB", (64, 36), (1, 2, 3)).save(tmp_path / "a.png")
    (picture,) = slides("  - {image: a.png, duration: 5}\n")
    assert not off.warm(picture, lambda: None)


def test_the_first_picture_decoded_while_the_window_opens_is_taken_not_decoded_again(tmp_path: Path) -> None:
    from player.media.prepared import PreparedCache
    from player.ops.hashing import sha256_file
    from player.render.slides import decode_first_picture

    Image.effect_noise((3000, 2000), 80).convert("RGB").save(tmp_path / "noise.png", compress_level=1)
    (slide,) = slides("  - {image: noise.png, fit: cover, duration: 5}\n")
    fonts = FontChain.resolve()
    _, expected = Painter(tmp_path, SIZE, fonts).prepare(slide)

    prepared = PreparedCache(tmp_path / "prepared", 2**30, sha256_file)
    first = decode_first_picture(prepared, tmp_path, slide, SIZE, 50_000_000, settled_before=time.time())
    assert first is not None
    painter = Painter(tmp_path, SIZE, fonts, prepared=prepared, first=first, decode_ahead=True)
    _, taken = painter.prepare(slide)
    assert pygame.image.tobytes(taken, "RGB") == pygame.image.tobytes(expected, "RGB")
    assert (prepared.sources.hashed, prepared.hits) == (1, 1)  # made once, on the first picture's thread

    # Nothing to start for a file that may still be being written, an SVG, or without the cache.
    (tmp_path / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    (svg,) = slides("  - {image: logo.svg, duration: 5}\n")
    assert decode_first_picture(prepared, tmp_path, slide, SIZE, 50_000_000, settled_before=time.time() - 60) is None
    assert decode_first_picture(prepared, tmp_path, svg, SIZE, 50_000_000, settled_before=time.time()) is None
    assert decode_first_picture(None, tmp_path, slide, SIZE, 50_000_000, settled_before=time.time()) is None
