"""Resizing photos to the screen: each way timed, and its pixels compared with the best.

A first loop of a photo playlist decodes and resizes every picture (later loops load the
prepared slide from the disk cache), so the resize is most of a first loop's CPU. For three
1920x1080 `cover` cases (a 4000x3000 photo JPEG, a 3000x2000 PNG, a 4000x3000 poster with
small type), each way is timed (decode + resize, median of 5) and compared with a reference
(LANCZOS from the full-resolution decode) by PSNR over the frame. A side-by-side crop of the
poster's small type, at 1:1 and at 3x, is written to bench/results/resize.png to look at.

    .venv/bin/python bench/resize.py

Prints its rows and writes bench/results/resize.json and resize.png.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import common
from common import Row

FRAME = (1920, 1080)
RUNS = 5
CROP = (200, 630, 680, 790)  # the poster's two smaller lines of type, in frame pixels (x0, y0, x1, y1)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def main() -> int:
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="bench-resize-") as scratch:
        sources = make_sources(Path(scratch))
        results: dict[str, Any] = {}
        crops: dict[str, Image.Image] = {}
        for case, path in sources.items():
            reference = resized(path, "LANCZOS", draft=False)
            results[case] = {}
            for way in WAYS:
                seconds = []
                for _ in range(RUNS):
                    started = time.process_time()
                    picture = WAYS[way](path)
                    seconds.append(time.process_time() - started)
                results[case][way] = {"cpu_ms": common.median(seconds) * 1000, "psnr_db": psnr(picture, reference)}
                if case == "poster":
                    crops[way] = picture.crop(CROP)
        side_by_side(crops).save(common.RESULTS / "resize.png")
    rows = [
        Row(
            f"Resize to 1920x1080 cover, {case}: {way}" + (" (the player's)" if way == player_resample() else ""),
            f"{r['cpu_ms']:.0f} ms CPU (decode + resize); {r['psnr_db']:.1f} dB PSNR against the best",
            "(for information)",
            None,
        )
        for case, ways in results.items()
        for way, r in ways.items()
    ]
    common.report("resize", rows, notes(results), {"results": results})
    return 0


def make_sources(folder: Path) -> dict[str, Path]:
    """The three cases: a photo JPEG, a PNG, and a poster with small type (a JPEG)."""
    from PIL import Image, ImageDraw, ImageFont

    photo = folder / "photo.jpg"
    common.photo(photo, (4000, 3000), seed=7)
    png = folder / "photo.png"
    Image.open(photo).resize((3000, 2000)).save(png)
    poster = folder / "poster.jpg"
    image = Image.open(photo).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((400, 1500, 3600, 2100), fill=(250, 250, 245))
    for line, size in enumerate((150, 90, 56)):  # 56 px in the poster is 27 px on the screen (0.48x)
        font = ImageFont.truetype(FONT, size)
        draw.text((460, 1530 + line * 190), "To the greatness of small 2018 PyeongChang", font=font, fill=(20, 20, 30))
    image.save(poster, quality=92)
    return {"photo JPEG 4000x3000": photo, "PNG 3000x2000": png, "poster": poster}


def resized(path: Path, resample: str, *, draft: bool = True, reducing_gap: float | None = 3.0) -> Any:
    """``path`` decoded (JPEG drafted to what the frame needs, as the player does) and fitted with ``resample``."""
    from PIL import Image

    from player.media.fit import layout

    with Image.open(path) as image:
        if draft and image.format == "JPEG":
            image.draft("RGB", draft_size(image.size))
        image = image.convert("RGB")
        lay = layout(image.size, FRAME, "cover", (0.5, 0.5))
        return image.resize(lay.scaled, Image.Resampling[resample], box=lay.box, reducing_gap=reducing_gap)


def draft_size(size: tuple[int, int]) -> tuple[int, int]:
    scale = max(FRAME[0] / size[0], FRAME[1] / size[1])
    return math.ceil(size[0] * scale), math.ceil(size[1] * scale)


def smoothscaled(path: Path) -> Any:
    """Decoded by Pillow, cropped, and scaled by pygame's SIMD smoothscale."""
    import pygame
    from PIL import Image

    from player.media.fit import layout

    with Image.open(path) as image:
        if image.format == "JPEG":
            image.draft("RGB", draft_size(image.size))
        image = image.convert("RGB")
        lay = layout(image.size, FRAME, "cover", (0.5, 0.5))
        box = tuple(round(v) for v in lay.box)
        crop = image.crop(box)
        surface = pygame.image.frombuffer(crop.tobytes(), crop.size, "RGB")
        scaled = pygame.transform.smoothscale(surface, lay.scaled)
        return Image.frombytes("RGB", lay.scaled, pygame.image.tobytes(scaled, "RGB"))


WAYS: dict[str, Callable[[Path], Any]] = {
    "LANCZOS": lambda path: resized(path, "LANCZOS"),
    "BICUBIC": lambda path: resized(path, "BICUBIC"),
    "BILINEAR": lambda path: resized(path, "BILINEAR"),
    "pygame smoothscale": smoothscaled,
}


def player_resample() -> str:
    """The resampling filter the player uses (player/media/images.py)."""
    from player.media import images

    return images._RESAMPLE


def psnr(picture: Any, reference: Any) -> float:
    from PIL import ImageChops, ImageStat

    difference = ImageChops.difference(picture, reference)
    mse = sum(v * v for v in ImageStat.Stat(difference).rms) / 3
    return 10 * math.log10(255 * 255 / mse) if mse else float("inf")


def side_by_side(crops: dict[str, Any]) -> Any:
    """Each way's crop of the small type, at 1:1 (as the screen shows it) and at 3x, labelled."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, 22)
    width, height = CROP[2] - CROP[0], CROP[3] - CROP[1]
    sheet = Image.new("RGB", (width * 4 + 40, (height * 4 + 50) * len(crops)), (60, 60, 60))
    draw = ImageDraw.Draw(sheet)
    for row, (way, crop) in enumerate(crops.items()):
        top = row * (height * 4 + 50)
        draw.text((10, top + 10), way, font=font, fill=(255, 255, 255))
        sheet.paste(crop, (10, top + 40))
        sheet.paste(crop.resize((width * 3, height * 3), Image.Resampling.NEAREST), (width + 30, top + 40))
    return sheet


def notes(results: dict[str, Any]) -> str:
    lines = []
    for case, ways in results.items():
        parts = [f"{way} {r['cpu_ms']:.0f} ms, {r['psnr_db']:.1f} dB" for way, r in ways.items()]
        lines.append(f"{case}: " + "; ".join(parts))
    return (
        "**Resizing.** CPU time of decoding and fitting one picture to a 1920x1080 `cover` frame (median of "
        f"{RUNS}), and PSNR against LANCZOS from the full-resolution decode (higher is closer): "
        + ". ".join(lines)
        + f". The player resizes with {player_resample()}. The small type of the poster, side by side at 1:1 "
        "and 3x: bench/results/resize.png."
    )


if __name__ == "__main__":
    sys.exit(main())
