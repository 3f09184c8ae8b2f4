"""The house's rules that import-linter does not check (docs/ARCHITECTURE.md).

The import contracts themselves run as ``lint-imports`` in ``make test``; these are the
rules about the code's shape and the pure core's purity that a linter cannot see.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "player"
MAX_FUNCTION_LINES = 60


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def test_no_function_in_the_player_is_longer_than_60_lines() -> None:
    long = [
        f"{path.relative_to(PACKAGE.parent)}:{fn.lineno} {fn.name} is {fn.end_lineno - fn.lineno + 1} lines"
        for path in _sources()
        for fn in _functions(path)
        if fn.end_lineno is not None and fn.end_lineno - fn.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, "split these (the limit is 60 lines):\n" + "\n".join(long)


def test_the_length_check_sees_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    path = tmp_path / "long.py"
    path.write_text(f"def long() -> None:\n{body}\n", encoding="utf-8")
    (fn,) = _functions(path)
    assert fn.end_lineno is not None and fn.end_lineno - fn.lineno + 1 == MAX_FUNCTION_LINES + 1


# Names that read the real clock or the environment. The core is handed time and settings.
_IMPURE_CALLS = {"time.time", "time.monotonic", "time.sleep", "datetime.now", "datetime.utcnow", "date.today", "os.environ", "os.getenv"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    return ""


@pytest.mark.parametrize("path", sorted((PACKAGE / "core").glob("*.py")), ids=lambda p: p.name)
def test_the_core_reads_no_clock_and_no_environment(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [
        f"{path.name}:{node.lineno} {_dotted(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and _dotted(node) in _IMPURE_CALLS
    ]
    assert not found, "the core is handed time and settings; it does not read them:\n" + "\n".join(found)


def test_importing_the_player_starts_nothing_heavy() -> None:
    """``import player`` and every non-render package must not import pygame, requests or PyAV."""
    code = (
        "import sys, importlib\n"
        "for name in ('player', 'player.core.loader', 'player.core.scheduler', 'player.core.config',"
        " 'player.ops.status', 'player.content.library', 'player.fleet.publish'):\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in ('pygame', 'av', 'requests') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_what_the_first_frame_does_not_need_is_not_loaded_before_it() -> None:
    """The run command and its render loop load no Pillow, no XML parser and no watchdog.

    They come in with the first picture, the first SVG and the folder watcher, which starts
    after the first frame: a player restarted after a crash is dark until that frame.
    """
    code = (
        "import sys\n"
        "import player.cli.launch, player.cli.main, player.cli.run, player.render.loop, player.render.display\n"
        "print(sorted(m for m in ('PIL', 'xml.etree.ElementTree', 'watchdog') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
