"""Loading the display's native libraries on a thread, before SDL, pygame and Pillow ask for them.

After a crash systemd restarts the player, and the screen stays dark until its first frame
(the box's ``kill -9`` check allows 5 s). On the way there the process loads shared
libraries with the GIL held: Mesa's driver when SDL opens the window (with LLVM, 0.3 s on
the emulated box), and pygame's and Pillow's extension modules when they are imported.
``dlopen()`` called through ctypes releases the GIL, so on a thread the loading runs on
another core while Python imports the player; when SDL or Python asks for a library later,
the dynamic loader finds it mapped already. Nothing is initialised here, nothing is ever
unloaded, and a library that is missing or fails to load is skipped: this only moves work
earlier, it never changes what runs.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
import sysconfig
import threading
from collections.abc import Mapping
from pathlib import Path

from player.ops.notify import KEPT_SCREEN

# Where Debian (and Raspberry Pi OS) put Mesa's DRI drivers. Every gallium driver there is
# a hard link to one file, which links LLVM: loading any name loads them all.
DRI_FOLDER = Path("/usr/lib") / (sysconfig.get_config_var("MULTIARCH") or "") / "dri"
PREFERRED_DRIVER = "kms_swrast_dri.so"


def start_preloading(environ: Mapping[str, str]) -> threading.Thread:
    """Start loading :func:`libraries_for` on a daemon thread; returns the thread (tests join it).

    The list is made on the thread too: finding the packages' files is itself start-up work.
    """
    thread = threading.Thread(target=lambda: load(libraries_for(environ)), name="preload", daemon=True)
    thread.start()
    return thread


def libraries_for(environ: Mapping[str, str], dri_folder: Path = DRI_FOLDER) -> list[Path]:
    """The libraries ``signage run`` will load, the slowest first.

    Mesa's driver only on a bare console (no X11 or Wayland session, a real video driver):
    there SDL's KMSDRM driver always uses it, while a desktop may use another GL. Not when
    systemd hands back a kept screen: frames then go to it without OpenGL (render/kms.py).
    """
    paths: list[Path] = []
    on_console = not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))
    kept_screen = KEPT_SCREEN in environ.get("LISTEN_FDNAMES", "").split(":")
    if on_console and not kept_screen and environ.get("SDL_VIDEODRIVER") not in ("dummy", "offscreen"):
        paths += mesa_driver(dri_folder)
    paths += extension_modules("pygame")
    paths += extension_modules("PIL", "_imaging.*")  # its other modules load only for some formats
    return paths


def mesa_driver(dri_folder: Path) -> list[Path]:
    """Mesa's DRI driver file, or nothing where Mesa is not installed."""
    preferred = dri_folder / PREFERRED_DRIVER
    if preferred.is_file():
        return [preferred]
    return sorted(dri_folder.glob("*_dri.so"))[:1]


def extension_modules(package: str, pattern: str = "*.so") -> list[Path]:
    """A package's compiled modules, found without importing the package."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = Path(next(iter(spec.submodule_search_locations)))
    return sorted(path for path in folder.rglob(pattern) if path.suffix == ".so")


def load(paths: list[Path]) -> int:
    """``dlopen`` each path as Python would (releasing the GIL); how many loaded."""
    libc = ctypes.CDLL(None)
    libc.dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    libc.dlopen.restype = ctypes.c_void_p
    flags = sys.getdlopenflags()  # RTLD_NOW, as Python opens extension modules
    return sum(1 for path in paths if libc.dlopen(os.fsencode(path), flags))
