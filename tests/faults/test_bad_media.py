"""A corpus of broken media, generated here: every bad slide is skipped with one log line
per turn while the good slides keep playing (seen through the status file and screenshots)."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from pathlib import Path

from PIL import Image

from tests.harness import start_player, stop

GOOD = (255, 0, 0)


def png_bytes(color: tuple[int, int, int], size: tuple[int, int] = (64, 36)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def huge_png() -> bytes:
    """A valid small PNG whose header claims 100000x100000 pixels (CRC fixed)."""
    data = bytearray(png_bytes((1, 2, 3)))
    data[16:24] = struct.pack(">II", 100_000, 100_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise((400, 300), 50).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


CORPUS: dict[str, bytes] = {
    "empty.png": b"",
    "truncated.png": png_bytes((0, 255, 0), (400, 300))[:300],
    "truncated.jpg": jpeg_bytes()[:2000],
    "huge.png": huge_png(),
    "text.png": b"this is a note, not a picture\n",
    "external.svg": b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100">'
    b'<image xlink:href="http://127.0.0.1:9/evil.png" width="100" height="100"/></svg>',
    "enormous.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="200000" height="200000"><rect width="10" height="10"/></svg>',
    "entities.svg": b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&b;</text></svg>',
}


def test_each_bad_file_is_skipped_once_per_turn_and_the_rest_plays(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (media / "good.png").write_bytes(png_bytes(GOOD))
    for name, data in CORPUS.items():
        (media / name).write_bytes(data)
    (media / "folder.png").mkdir()  # unreadable as a file, even for root
    old = time.time() - 3600
    for path in media.iterdir():
        os.utime(path, (old, old))  # content that has been there a while, not a copy in progress
    bad = [*CORPUS, "folder.png"]
    slides = "".join(f"  - {{image: {name}, id: '{name}'}}\n" for name in ["good.png", *bad])
    playlist = f"name: corpus\ndefaults: {{duration: 1, transition: cut}}\nslides:\n{slides}"
    running = start_player(tmp_path, {"corpus.yaml": playlist}, "--at", "2024-01-01T00:00:00", "--speed", "4")
    try:
        cycle = len(bad) + 1  # content seconds per lap, at 4x: real seconds = cycle / 4
        running.wait_for(lambda s: s.get("playlist") == "corpus", timeout=15)
        seen_good = 0
        deadline = time.monotonic() + 2 * cycle / 4 + 1
        while time.monotonic() < deadline:
            pixel = running.screenshot().get_at((160, 90))[:3]
            assert pixel == GOOD, f"the screen showed {pixel}, not the last good slide"
            seen_good += 1
        assert running.status()["playlist"] == "corpus"
        log = running.log()
    finally:
        stop(running)
    assert seen_good >= 3
    for name in bad:
        lines = [line for line in log.splitlines() if f"corpus/{name} skipped" in line]
        assert 1 <= len(lines) <= 3, (name, lines)  # once per turn (two or three turns in the run)
        assert all(line.startswith("WARNING") for line in lines)
    assert "Traceback" not in log


def test_svg_with_parts_the_player_cannot_draw_is_refused_not_shown_blank(tmp_path: Path) -> None:
    import pytest

    from player.core.errors import MediaError
    from player.render.images import load_svg

    for element, hint in (("<text>Sale</text>", "paths"), ('<use href="#a"/>', "Unlink"), ("<image width='5' height='5'/>", "PNG")):
        path = tmp_path / "x.svg"
        path.write_text(f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/>{element}</svg>')
        with pytest.raises(MediaError, match=hint):
            load_svg(path, (20, 20), fit="contain")
