"""The native libraries ``run`` loads ahead of SDL (player.render.preload): which, and that they load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from player.render.preload import PREFERRED_DRIVER, libraries_for, load, mesa_driver


def _dri(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "dri"
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes(b"")
    return folder


def test_on_a_console_mesas_driver_comes_first_then_pygame_and_pillow(tmp_path: Path) -> None:
    dri = _dri(tmp_path, "v3d_dri.so", PREFERRED_DRIVER)
    paths = libraries_for({}, dri)
    assert paths[0] == dri / PREFERRED_DRIVER
    assert all(path.suffix == ".so" and path.is_absolute() for path in paths)
    assert any("pygame" in path.parts for path in paths[1:])
    pillow = [path for path in paths if "PIL" in path.parts]
    assert pillow and all(path.name.startswith("_imaging.") for path in pillow)


def test_a_desktop_or_a_headless_run_loads_no_mesa_driver(tmp_path: Path) -> None:
    dri = _dri(tmp_path, PREFERRED_DRIVER)
    kept = {"LISTEN_FDS": "1", "LISTEN_FDNAMES": "screen"}  # frames go to a kept screen, without OpenGL
    for environ in ({"DISPLAY": ":0"}, {"WAYLAND_DISPLAY": "wayland-0"}, {"SDL_VIDEODRIVER": "dummy"}, kept):
        paths = libraries_for(environ, dri)
        assert dri / PREFERRED_DRIVER not in paths, environ
        assert paths, "pygame's modules are still worth loading early"


def test_any_dri_driver_will_do_and_none_is_fine(tmp_path: Path) -> None:
    assert mesa_driver(_dri(tmp_path, "virtio_gpu_dri.so", "notes.txt")) == [tmp_path / "dri" / "virtio_gpu_dri.so"]
    assert mesa_driver(tmp_path / "missing") == []


def test_a_library_that_cannot_load_is_skipped(tmp_path: Path) -> None:
    broken = tmp_path / "broken.so"
    broken.write_bytes(b"not an ELF file")
    assert load([tmp_path / "missing.so", broken]) == 0


def test_the_libraries_are_mapped_and_nothing_is_imported() -> None:
    """In a fresh interpreter: after the thread, pygame's modules are in memory but pygame is not imported."""
    script = (
        "import sys\n"
        "from player.render.preload import libraries_for, start_preloading\n"
        "start_preloading({'DISPLAY': ':0'}).join(30)\n"
        "maps = open('/proc/self/maps').read()\n"
        "wanted = [str(p) for p in libraries_for({'DISPLAY': ':0'})]\n"
        "missing = [p for p in wanted if p not in maps]\n"
        "print(len(wanted), missing, 'pygame' in sys.modules, 'PIL' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    count, rest = int(out[0]), out[1].strip()
    assert count >= 10, "pygame alone has dozens of compiled modules"
    assert rest == "[] False False"
