"""Endless data (The Update Framework's threat model): a server that sends more than it should,
for ever, must not fill the screen's disk or memory. The manifest has a cap, every object the
size its signed entry declares."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.attacks.common import MANIFEST, fresh_site, last_sync, sync_once, synced_screen
from tests.fleet import Screen, Site, published_files
from tests.httpserver import BundleServer


def test_a_manifest_without_end_is_cut_off_at_its_cap(tmp_path: Path) -> None:
    site = fresh_site(tmp_path)
    with BundleServer(site.out) as server:
        screen = synced_screen(tmp_path, site, server.url)
        server.fault(MANIFEST, "replace", data=b" " * (9 * 2**20), times=1)
        result = sync_once(screen, site.public, server.url)
    assert result.returncode == 1 and "cap" in result.stderr, result.stderr
    assert "cap" in str(last_sync(screen).get("last_error"))
    assert screen.files() == published_files(site)


def test_an_object_longer_than_declared_is_discarded(tmp_path: Path) -> None:
    site = Site(tmp_path / "site")
    site.publish(now=datetime.now(UTC))
    with BundleServer(site.out) as server:
        server.fault("/objects/*", "oversend", extra=10 * 2**20)
        screen = Screen(tmp_path / "screen", site, server.url)
        result = sync_once(screen, site.public, server.url)
    assert result.returncode == 1 and "more than" in result.stderr, result.stderr
    assert screen.files() == {} and screen.hidden() == []
    assert "more than" in str(last_sync(screen).get("last_error"))
