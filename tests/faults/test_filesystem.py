"""Bad disks: a read-only state folder, and media files replaced while they are read. The
player keeps playing and says what is wrong once."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from tests.harness import start_player, stop


@contextlib.contextmanager
def tmpfs(path: Path, *options: str) -> Iterator[bool]:
    """Mount a small tmpfs at ``path`` (True), or say the platform does not allow it (False)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(("size=256k", *options)), "tmpfs", str(path)], capture_output=True, check=False).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], check=False)


def test_read_only_state_folder_does_not_stop_the_screen(tmp_path: Path) -> None:
    playlist = "name: p\ndefaults: {duration: 1, transition: cut}\nslides:\n  - {text: a, id: a}\n  - {text: b, id: b}\n"
    with tmpfs(tmp_path / "state", "ro") as mounted:
        if not mounted:
            # Without mount rights, a state path that is a file makes every write fail the same way.
            os.rmdir(tmp_path / "state")
            (tmp_path / "state").write_text("not a folder")
        status = tmp_path / "elsewhere" / "status.json"
        # The real clock: only it writes proof of play (a --at or --speed preview writes none).
        running = start_player(tmp_path, {"p.yaml": playlist}, "--status", str(status))
        try:
            first = running_status(running, status)
            time.sleep(2.0)
            later = running_status(running, status)
            assert running.process.poll() is None, "the player stopped"
            assert first["time"] != later["time"]  # still playing: slides keep changing
            log = running.log()
        finally:
            stop(running)
    assert log.count("cannot write proof of play") == 1  # said once, not for every slide
    assert "Traceback" not in log


def running_status(running, path: Path) -> dict:  # type: ignore[no-untyped-def, type-arg]
    import json

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            return json.loads(path.read_text())  # type: ignore[no-any-return]
        except (OSError, ValueError):
            time.sleep(0.05)
    raise AssertionError(running.log())


def test_media_replaced_while_being_read(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    colours = [(255, 0, 0), (0, 0, 255)]
    sources = []
    for index, colour in enumerate(colours):
        source = tmp_path / f"source-{index}.png"
        Image.effect_noise((1200, 900), 30).convert("RGB").point(lambda v, c=colour[0]: c).save(source)  # type: ignore[misc]
        Image.new("RGB", (1200, 900), colour).save(source)
        sources.append(source.read_bytes())
    (media / "poster.png").write_bytes(sources[0])
    old = time.time() - 60
    os.utime(media / "poster.png", (old, old))
    playlist = "name: p\ndefaults: {duration: 0.5, transition: cut}\nslides:\n  - {image: poster.png, id: one}\n  - {image: poster.png, id: two, fit: contain}\n"
    config = "timezone: UTC\nwatch: {settle: 0, debounce: 0.05}\n"  # read files the moment they change
    running = start_player(tmp_path, {"p.yaml": playlist}, "--at", "2024-01-01T00:00:00", config=config)
    try:
        running.wait_for(lambda s: s.get("playlist") == "p", timeout=15)
        for round_ in range(60):  # rewrite in place and by rename, as fast as the disk allows
            data = sources[round_ % 2]
            if round_ % 3:
                (media / "poster.png").write_bytes(data)
            else:
                (media / ".poster.tmp").write_bytes(data)
                os.replace(media / ".poster.tmp", media / "poster.png")
            time.sleep(0.03)
        time.sleep(1.2)
        assert running.process.poll() is None
        assert running.screenshot().get_at((160, 90))[:3] in colours
        log = running.log()
    finally:
        stop(running)
    assert "Traceback" not in log
