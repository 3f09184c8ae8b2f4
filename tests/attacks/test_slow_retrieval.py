"""Slow retrieval (The Update Framework's threat model): a server that trickles bytes holds a
poll, and with it every update, for as long as it likes unless the client gives up by itself."""

from __future__ import annotations

import time
from pathlib import Path

from tests.attacks.common import fresh_site, last_sync, sync_once
from tests.fleet import Screen
from tests.httpserver import BundleServer


def test_a_trickling_server_is_cut_off_by_the_poll_deadline(tmp_path: Path) -> None:
    """One byte every 0.5 s never trips a 20 s read timeout: the whole poll has a deadline."""
    site = fresh_site(tmp_path)
    with BundleServer(site.out) as server:
        server.fault("/objects/*", "trickle", chunk=1, delay=0.5)
        screen = Screen(tmp_path / "screen", site, server.url)
        began = time.monotonic()
        result = sync_once(screen, site.public, server.url, "--deadline", "4")
        took = time.monotonic() - began
    assert result.returncode == 1, result.stderr
    assert "deadline" in result.stderr, result.stderr
    assert took < 20, took
    assert screen.files() == {}


def test_a_transfer_below_the_minimum_rate_is_given_up_long_before_the_deadline(tmp_path: Path) -> None:
    """Five bytes a second: under 100 bytes in 2 s, given up after one window, not after the deadline."""
    site = fresh_site(tmp_path)
    with BundleServer(site.out) as server:
        server.fault("/objects/*", "trickle", chunk=1, delay=0.2)
        screen = Screen(tmp_path / "screen", site, server.url)
        began = time.monotonic()
        result = sync_once(screen, site.public, server.url, "--deadline", "50", "--min-rate", "100/2")
        took = time.monotonic() - began
    assert result.returncode == 1, result.stderr
    assert "minimum" in result.stderr and "deadline" not in result.stderr, result.stderr
    assert took < 15, took
    assert "minimum" in str(last_sync(screen).get("last_error"))
    assert screen.files() == {}
