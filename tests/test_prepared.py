"""The prepared-slide cache (player/media/prepared.py): later loops of a playlist read the
picture decoded and fitted the first time, with the same pixels, and a damaged cache file is
made again, never shown. ``render --at`` is the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from player.media.images import Picture
from player.media.prepared import PreparedCache, PreparedKey

AT = "2026-12-01T12:00:01"


def folder(root: Path, cache_mb: int | None = None) -> Path:
    for name in ("playlists", "media", "config"):
        (root / name).mkdir(parents=True, exist_ok=True)
    settings = "timezone: UTC\n" + (f"prepared_cache_mb: {cache_mb}\n" if cache_mb is not None else "")
    (root / "config" / "player.yaml").write_text(settings)
    photo = Image.effect_mandelbrot((1200, 900), (-2.0, -1.2, 1.0, 1.2), 60).convert("RGB")
    photo.save(root / "media" / "photo.jpg", quality=90)
    (root / "playlists" / "p.yaml").write_text(
        "name: p\nslides:\n  - {image: photo.jpg, duration: 10, fit: cover, tagline: Greatness of small}\n"
    )
    return root


def render(root: Path, out: Path) -> bytes:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "TZ": "UTC"}
    command = [sys.executable, "-m", "player", "render", "--at", AT, "--size", "320x180", "--out", str(out)]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return Image.open(out).convert("RGB").tobytes()


def cached(root: Path) -> list[Path]:
    return sorted((root / "state" / "prepared").glob("*.rgb"))


def test_render_gives_the_same_pixels_with_and_without_the_cache(tmp_path: Path) -> None:
    root = folder(tmp_path / "screen")
    cold = render(root, tmp_path / "cold.png")  # decodes, and keeps the picture
    assert len(cached(root)) == 1
    warm = render(root, tmp_path / "warm.png")  # reads it back
    off = render(folder(tmp_path / "off", cache_mb=0), tmp_path / "off.png")
    assert cold == warm == off
    assert not (tmp_path / "off" / "state" / "prepared").exists()
    # And the warm render did read the cache: a whole, valid entry of other pixels is what it shows.
    (entry,) = cached(root)
    scratch = PreparedCache(tmp_path / "scratch", 2**30)
    scratch.put(key(0), Picture((320, 180), b"\xff" * (320 * 180 * 3)))
    entry.write_bytes((tmp_path / "scratch" / key(0).name()).read_bytes())  # a whole entry, other pixels
    assert Image.open(tmp_path / "warm.png").getpixel((160, 40)) != (255, 255, 255)
    render(root, tmp_path / "white.png")
    assert Image.open(tmp_path / "white.png").convert("RGB").getpixel((160, 40)) == (255, 255, 255)


def test_the_same_picture_copied_again_or_renamed_is_found_by_its_content(tmp_path: Path) -> None:
    root = folder(tmp_path / "screen")
    first = render(root, tmp_path / "first.png")
    (entry,) = cached(root)
    made = entry.stat().st_mtime_ns
    # Sync installs a new version: the same photo under a new name, and the old file written again.
    media = root / "media"
    (media / "renamed.jpg").write_bytes((media / "photo.jpg").read_bytes())
    (media / "photo.jpg").unlink()
    playlist = root / "playlists" / "p.yaml"
    playlist.write_text(playlist.read_text().replace("photo.jpg", "renamed.jpg"))
    os.utime(entry, ns=(made - 10**9, made - 10**9))
    assert render(root, tmp_path / "renamed.png") == first
    assert cached(root) == [entry] and entry.stat().st_mtime_ns > made - 10**9  # read, not made again
    # Other pixels under the old name are another entry: a name is never trusted.
    Image.new("RGB", (1200, 900), (200, 30, 30)).save(media / "renamed.jpg")
    assert render(root, tmp_path / "red.png") != first
    assert len(cached(root)) == 2


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_a_damaged_cache_file_is_made_again_and_never_shown(tmp_path: Path, damage: str) -> None:
    root = folder(tmp_path / "screen")
    good = render(root, tmp_path / "good.png")
    (entry,) = cached(root)
    data = bytearray(entry.read_bytes())
    if damage == "flip":
        data[len(data) // 2 :] = bytes(len(data) - len(data) // 2)  # half the picture black, length intact
    elif damage == "truncate":
        del data[len(data) // 2 :]
    else:
        data.clear()
    entry.write_bytes(bytes(data))
    assert render(root, tmp_path / "again.png") == good
    assert entry.read_bytes() != bytes(data)  # made again, whole


def key(n: int, fit: str = "cover") -> PreparedKey:
    return PreparedKey(f"sha256:{n:064x}", (4, 2), fit, (0.5, 0.5), (0, 0, 0, 255), 50_000_000, "raster")


def test_the_cache_keeps_to_its_size_least_recently_used_out(tmp_path: Path) -> None:
    picture = Picture((4, 2), bytes(range(24)))
    entry_bytes = 24 + 28  # pixels and header
    cache = PreparedCache(tmp_path / "prepared", max_bytes=3 * entry_bytes)
    for n in range(3):
        cache.put(key(n), picture)
    assert cache.get(key(0)) == picture  # 0 is now the most recently used
    cache.put(key(3), picture)
    assert cache.get(key(1)) is None and cache.get(key(0)) == picture and cache.get(key(3)) == picture
    assert cache.total_bytes <= 3 * entry_bytes
    again = PreparedCache(tmp_path / "prepared", max_bytes=3 * entry_bytes)  # after a restart
    assert again.total_bytes == cache.total_bytes and again.get(key(2)) == picture


def test_anything_that_changes_the_pixels_is_another_entry(tmp_path: Path) -> None:
    cache = PreparedCache(tmp_path / "prepared", max_bytes=2**20)
    cache.put(key(1, "cover"), Picture((4, 2), bytes(24)))
    assert cache.get(key(1, "contain")) is None
    assert cache.get(PreparedKey(f"sha256:{1:064x}", (2, 4), "cover", (0.5, 0.5), (0, 0, 0, 255),
                                 50_000_000, "raster")) is None
    assert cache.get(key(1, "cover")) == Picture((4, 2), bytes(24))


def test_a_read_only_cache_folder_costs_only_the_saving(tmp_path: Path) -> None:
    (tmp_path / "prepared").write_text("not a folder")
    cache = PreparedCache(tmp_path / "prepared", max_bytes=2**20)
    cache.put(key(1), Picture((4, 2), bytes(24)))  # logs once, raises nothing
    assert cache.get(key(1)) is None


def test_a_source_is_hashed_once_per_version_and_a_huge_one_not_at_all(tmp_path: Path) -> None:
    from player.media import prepared

    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8 not really a photo")
    from player.ops.hashing import sha256_file

    ids = prepared.SourceIds(sha256_file)

    def stat() -> prepared.Stat:
        info = photo.stat()
        return (str(photo), info.st_ino, info.st_size, info.st_mtime_ns)

    first = stat()
    assert ids.known(first) is None
    name = ids.resolve(first)
    assert name.startswith("sha256:") and ids.resolve(first) == ids.known(first) == name and ids.hashed == 1
    photo.write_bytes(b"\xff\xd8 another photo")  # a new version: hashed again
    assert ids.resolve(stat()) != name and ids.hashed == 2
    now = stat()
    with pytest.raises(OSError):  # changed since the stat it was asked for: no name for what was read
        ids.resolve((now[0], now[1], now[2], now[3] + 1))
    huge = (str(photo), 1, prepared.HASH_LIMIT + 1, 1)
    assert ids.known(huge) == ids.resolve(huge) == prepared.by_stat(huge) and ids.hashed == 2
