"""Rollback (The Update Framework's threat model): someone who can only replay what the
publisher once signed (a cache, a mirror, a man in the middle) must not take a screen back to
old content. The real ``signage sync`` against a real server on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.attacks.common import (
    forged_manifest,
    installed_version,
    last_sync,
    served_once_instead,
    sync_once,
    synced_screen,
)
from tests.fleet import Site, published_files
from tests.httpserver import BundleServer


def test_an_older_signed_manifest_replayed_is_refused(tmp_path: Path) -> None:
    site = Site(tmp_path / "site")
    site.publish(now=datetime.now(UTC))
    old = site.manifest_bytes()
    site.image("poster.png", (0, 0, 255))
    site.publish(now=datetime.now(UTC))
    with BundleServer(site.out) as server:
        screen = synced_screen(tmp_path, site, server.url)
        result = served_once_instead(server, screen, site, old)
    assert result.returncode == 1 and "rollback" in result.stderr, result.stderr
    assert installed_version(screen) == 2 and screen.files() == published_files(site)
    assert "rollback" in str(last_sync(screen).get("last_error"))


def test_the_installed_version_with_other_files_is_refused(tmp_path: Path) -> None:
    """Two publishers (or a restored backup) signing the same number for different content."""
    site = Site(tmp_path / "site")
    site.publish(now=datetime.now(UTC))
    with BundleServer(site.out) as server:
        screen = synced_screen(tmp_path, site, server.url)
        before = screen.files()
        site.image("poster.png", (0, 0, 255))
        (site.out / "channels").rename(tmp_path / "channels-v1")  # publish numbers from 1 again
        site.publish(now=datetime.now(UTC))
        result = sync_once(screen, site.public, server.url)
    assert result.returncode == 1 and "installed with different files" in result.stderr, result.stderr
    assert screen.files() == before


def test_a_manifest_issued_before_the_installed_one_is_a_replay(tmp_path: Path) -> None:
    """A higher number, validly signed, but issued earlier: made before the installed one, and held back."""
    now = datetime.now(UTC)
    site = Site(tmp_path / "site")
    site.publish(now=now)
    held_back = forged_manifest(site, site.key, 5, issued=now - timedelta(days=1))
    with BundleServer(site.out) as server:
        screen = synced_screen(tmp_path, site, server.url)
        result = served_once_instead(server, screen, site, held_back)
    assert result.returncode == 1 and "replay" in result.stderr, result.stderr
    assert installed_version(screen) == 1
