"""Make the demo's short film: the rower who stops for a family of ducks (Amsterdam, 1928).

Drawn frame by frame with Pillow in the campaign's palette and encoded with PyAV, so the
clip is authored by the project, not copied. Usage:

    .venv/bin/python scripts/make_demo_clip.py media/pearce-ducks.webm

VP9 in WebM keeps it small (a few hundred KB for 8 s at 960x540).
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, ImageDraw

WIDTH, HEIGHT, FPS, SECONDS = 960, 540, 25, 8
NAVY, CREAM, ORANGE, OCHRE = (20, 33, 61), (253, 246, 236), (255, 106, 0), (217, 160, 91)
WATER, WATER_DARK, TREE = (96, 151, 190), (70, 120, 160), (92, 128, 84)


def boat_x(t: float) -> float:
    """The scull glides in, waits for the ducks (2.5 s to 5.5 s), then pulls away."""
    if t < 2.5:
        return -260 + 170 * t
    if t < 5.5:
        return 165 + 4 * math.sin((t - 2.5) * 2)
    return 165 + 260 * (t - 5.5) ** 1.3


def draw_frame(t: float) -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), CREAM)
    draw = ImageDraw.Draw(image)
    for y in range(0, 230, 4):  # a warm sky, darker towards the top
        shade = y / 230
        draw.rectangle(
            (0, y, WIDTH, y + 4), fill=(int(250 - 20 * (1 - shade)), int(225 + 20 * shade), int(190 + 40 * shade))
        )
    draw.ellipse((760, 40, 860, 140), fill=(255, 196, 120))
    for i in range(14):  # the far bank: a row of trees
        x = i * 75 - 20
        draw.ellipse((x, 170, x + 90, 250), fill=TREE)
    draw.rectangle((0, 230, WIDTH, HEIGHT), fill=WATER)
    for row in range(12):  # ripples drifting with the current
        y = 250 + row * 24
        offset = (t * 30 + row * 37) % 120
        for x in range(-120, WIDTH, 120):
            draw.line((x + offset, y, x + offset + 50, y), fill=WATER_DARK, width=2)
    for x in range(0, WIDTH, 48):  # lane buoys
        draw.ellipse((x + 10, 300, x + 20, 310), fill=ORANGE)
        draw.ellipse((x + 34, 470, x + 44, 480), fill=CREAM)
    x = boat_x(t)
    draw.polygon([(x, 392), (x + 300, 392), (x + 320, 384), (x - 20, 384)], fill=(120, 72, 40))
    draw.rectangle((x + 130, 340, x + 160, 386), fill=CREAM)  # the rower's white vest
    draw.ellipse((x + 131, 314, x + 159, 342), fill=(224, 172, 130))
    draw.rectangle((x + 128, 312, x + 162, 320), fill=NAVY)  # cap
    stroke = 0.0 if 2.5 <= t < 5.5 else math.sin(t * 5) * 25
    for side in (-1, 1):
        draw.line((x + 145, 360, x + 145 + side * 70 + stroke, 410 + side * 8), fill=OCHRE, width=5)
    for i in range(5):  # mother duck and ducklings cross in front of the bow
        progress = (t - 1.2 - i * 0.55) / 3.6
        if 0 <= progress <= 1:
            dx, dy = 560 + i * 4, 520 - progress * 330
            size = 30 if i == 0 else 18
            color = (110, 84, 52) if i == 0 else (250, 214, 60)
            draw.ellipse((dx, dy, dx + size * 1.5, dy + size), fill=color)
            draw.ellipse((dx + size, dy - size * 0.6, dx + size * 1.6, dy), fill=color)
            draw.polygon(
                [
                    (dx + size * 1.6, dy - size * 0.3),
                    (dx + size * 2.0, dy - size * 0.2),
                    (dx + size * 1.6, dy - size * 0.1),
                ],
                fill=ORANGE,
            )
    return image


def main(out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(out), mode="w") as container:
        stream = container.add_stream("libvpx-vp9", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "34", "b:v": "0", "deadline": "good", "cpu-used": "4"}
        stream.codec_context.time_base = Fraction(1, FPS)
        for index in range(FPS * SECONDS):
            frame = av.VideoFrame.from_image(draw_frame(index / FPS))
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    print(f"{out}: {out.stat().st_size:,} bytes, {SECONDS} s at {FPS} fps, {WIDTH}x{HEIGHT}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "media/pearce-ducks.webm"))
