"""Shared test set-up: headless SDL, and helpers to run the CLI in-process."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fleet import Site
from tests.httpserver import BundleServer

# Every test runs without a display; pygame reads these when it initialises.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

REPO = Path(__file__).resolve().parent.parent


@dataclass
class CliResult:
    status: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run ``signage ARGS`` in-process in ``cwd`` (default: a scratch folder); ``clocks`` replace
    the Environment's ``now``, ``monotonic`` or ``sleep`` (and ``hostname``)."""
    from player.cli.main import main
    from player.ops.environment import Environment

    def run(*args: str, cwd: Path | None = None, environ: dict[str, str] | None = None, **clocks: Any) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        env = Environment(stdout=out, stderr=err, environ=environ or {"TZ": "UTC"}, cwd=cwd or tmp_path, **clocks)
        status = main(list(args), env)
        return CliResult(status, out.getvalue(), err.getvalue())

    return run


# -- a published site and a web server for it (the sync tests) ----------------------------


@pytest.fixture
def site(tmp_path: Path) -> Site:
    site = Site(tmp_path / "site")
    site.publish()
    return site


@pytest.fixture
def server(site: Site) -> Iterator[BundleServer]:
    with BundleServer(site.out) as running:
        yield running
