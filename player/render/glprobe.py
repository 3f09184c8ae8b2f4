"""What OpenGL would SDL's renderer get here? Asked in a child process, and remembered.

On an X server whose only GL is Mesa's software rasteriser (Xvfb, a VM, a board without a
GPU driver) composing in main memory and presenting through X11 shared memory is cheaper
than the GPU path (bench/RESULTS.md: a 1080p slide-left frame 2.1 ms against 11.9, and the
idle player at 99 MB with no GL library mapped), since loading that GL maps LLVM and keeps
a GL copy of every frame. But the only way to learn what the GL
is, is to load it, and what a process has loaded stays loaded. So ``renderer: auto`` asks a
short-lived child process (``python -m player.render.glprobe``), which opens a hidden window
and a renderer and prints ``glGetString(GL_RENDERER)`` and the GL libraries it mapped.

The answer is kept in the state folder (``gl.json``) with the size and modification time of
those libraries: a later start trusts it while they are unchanged (no child at all), and
asks again after a Mesa upgrade. ``display.renderer: gpu`` skips all this.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from player.ops.statedir import read_json_object, write_json_atomic

PROBE_TIMEOUT_S = 15.0
_GL_LIBRARY_WORDS = ("libGL", "libEGL", "libGLX", "_dri.so", "libgallium", "libLLVM")


@dataclass(frozen=True)
class GlAnswer:
    """The GL a renderer gets on this display, and the library files that answered."""

    gl_renderer: str
    libraries: tuple[tuple[str, int, int], ...]  # (path, size, mtime_ns)

    def as_json(self, where: str) -> dict[str, object]:
        return {"where": where, "gl_renderer": self.gl_renderer, "libraries": [list(entry) for entry in self.libraries]}


def where(environ: Mapping[str, str], driver: str) -> str:
    """What the answer depends on besides the libraries: the video driver and the X display."""
    return f"{driver} {environ.get('DISPLAY', '')}".strip()


def remembered(note: Path, place: str) -> GlAnswer | None:
    """The answer kept in ``note`` for ``place``, if the GL libraries it names are unchanged."""
    data = read_json_object(note)
    gl_renderer, libraries = data.get("gl_renderer"), data.get("libraries")
    if data.get("where") != place or not isinstance(gl_renderer, str) or not isinstance(libraries, list):
        return None
    try:
        entries = tuple((str(path), int(size), int(mtime)) for path, size, mtime in libraries)
    except (TypeError, ValueError):
        return None
    if not entries or any(_file_stamp(path) != (size, mtime) for path, size, mtime in entries):
        return None
    return GlAnswer(gl_renderer, entries)


def remember(note: Path, place: str, answer: GlAnswer) -> None:
    """Keep ``answer`` for later starts; a read-only state folder only costs the next start a probe."""
    with contextlib.suppress(OSError):
        write_json_atomic(note, answer.as_json(place), indent=1)


def ask_child(environ: Mapping[str, str]) -> GlAnswer | None:
    """Run the probe in a child process with ``environ``; None if it found no GL or failed."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", "player.render.glprobe"],
            env=dict(environ),
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            check=False,
        )
        data = json.loads(result.stdout.strip().splitlines()[-1]) if result.returncode == 0 else None
        if not isinstance(data, dict) or not isinstance(data.get("gl_renderer"), str):
            return None
        libraries = tuple((str(p), int(s), int(m)) for p, s, m in data["libraries"])
        return GlAnswer(data["gl_renderer"], libraries)
    except (OSError, subprocess.SubprocessError, ValueError, TypeError, IndexError, KeyError):
        return None


def _file_stamp(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def _mapped_gl_libraries() -> tuple[tuple[str, int, int], ...]:
    found: dict[str, tuple[str, int, int]] = {}
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        for line in maps:
            path = line.split(maxsplit=5)[-1].strip() if line.count(" ") >= 5 else ""
            if path.startswith("/") and any(word in path for word in _GL_LIBRARY_WORDS) and path not in found:
                stamp = _file_stamp(path)
                if stamp is not None:
                    found[path] = (path, *stamp)
    return tuple(sorted(found.values()))


def main() -> int:
    """The child: a hidden window, a renderer, and what its GL says, as one JSON line."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame
    from pygame._sdl2 import video

    from player.render.glinfo import current_gl_renderer

    pygame.display.init()
    window = pygame.Window("signage GL probe", (16, 16), hidden=True)
    renderer = video.Renderer(window)  # kept in a name: a dropped one takes its GL context with it
    gl_renderer = current_gl_renderer()
    del renderer
    if gl_renderer is None:
        return 1
    print(json.dumps({"gl_renderer": gl_renderer, "libraries": [list(e) for e in _mapped_gl_libraries()]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
