"""``renderer: auto`` on a real X server whose only GL is Mesa's llvmpipe (Xvfb): the GL is
asked in a child process, the answer kept in state/gl.json, and the player composes in main
memory and presents through X11 shared memory without ever loading the GL itself (LLVM's
54 MB and a GL texture upload a frame). The screen is read back from the X server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import ImageGrab

from tests.harness import content_folder
from tests.xserver import free_display, start_xvfb, stop_xvfb

DEADLINE_S = 40


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    name = free_display(151, 198)
    server = start_xvfb(name, "640x360")
    yield name
    stop_xvfb(server)


def screen_folder(root: Path) -> Path:
    return content_folder(root, {"p.yaml": "name: p\nslides:\n  - {text: ' ', duration: 60, background: '#20a040'}\n"})


def play(root: Path, display: str) -> tuple[str, str, tuple[int, int, int]]:
    """Run the player full screen for a while: its log, its memory map, and the X screen's centre."""
    env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11", "TZ": "UTC"}
    env.pop("SDL_FRAMEBUFFER_ACCELERATION", None)
    command = [sys.executable, "-m", "player", "run", "--fullscreen", "--duration", "2"]
    process = subprocess.Popen(command, cwd=root, env=env, stderr=subprocess.PIPE, text=True)
    try:
        began = time.monotonic()
        while not (root / "state" / "status.json").exists():
            if process.poll() is not None:
                raise AssertionError(f"the player exited ({process.returncode}) before its first frame: {process.communicate()[1]}")
            assert time.monotonic() - began < DEADLINE_S, "no first frame"
            time.sleep(0.05)
        time.sleep(0.5)
        maps = Path(f"/proc/{process.pid}/maps").read_text()
        pixel = ImageGrab.grab(xdisplay=display).convert("RGB").getpixel((320, 180))
        _, err = process.communicate(timeout=DEADLINE_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    (root / "state" / "status.json").unlink()
    return err, maps, pixel  # type: ignore[return-value]


def renderer_line(log: str) -> str:
    return next(line for line in log.splitlines() if "player.render.screen: renderer:" in line)


def test_auto_on_llvmpipe_asks_once_and_never_loads_the_gl(tmp_path: Path, display: str) -> None:
    root = screen_folder(tmp_path)
    first, maps, pixel = play(root, display)
    assert "shared memory" in renderer_line(first) and "llvmpipe" in renderer_line(first), first
    assert "asked in a child process" in renderer_line(first), first
    assert "libLLVM" not in maps and "swrast_dri" not in maps and "libGLX_mesa" not in maps
    assert pixel == (0x20, 0xA0, 0x40), pixel  # the slide, on the X server's screen
    note = json.loads((root / "state" / "gl.json").read_text())
    assert "llvmpipe" in note["gl_renderer"] and note["libraries"]
    second, maps, pixel = play(root, display)
    assert "as found at an earlier start" in renderer_line(second), second
    assert "libLLVM" not in maps and pixel == (0x20, 0xA0, 0x40)


def test_a_note_whose_gl_libraries_changed_is_asked_again(tmp_path: Path, display: str) -> None:
    root = screen_folder(tmp_path)
    play(root, display)
    note = root / "state" / "gl.json"
    data = json.loads(note.read_text())
    data["libraries"][0][2] += 1  # as after a Mesa upgrade: another modification time
    note.write_text(json.dumps(data))
    again, maps, _ = play(root, display)
    assert "asked in a child process" in renderer_line(again), again
    assert "libLLVM" not in maps


def test_renderer_gpu_still_takes_the_gpu_path(tmp_path: Path, display: str) -> None:
    root = screen_folder(tmp_path)
    (root / "config" / "player.yaml").write_text("timezone: UTC\ndisplay:\n  renderer: gpu\n")
    log, _, pixel = play(root, display)
    assert "renderer: gpu" in renderer_line(log), log
    assert pixel == (0x20, 0xA0, 0x40), pixel
    assert not (root / "state" / "gl.json").exists()
