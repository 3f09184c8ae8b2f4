"""Mix-and-match (The Update Framework's threat model): pieces that are each genuine, put
together wrongly: another channel's manifest where this channel's should be, or an object
served under another object's name. Each is refused; the content stays."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.attacks.common import last_sync, served_once_instead, sync_once, synced_screen
from tests.fleet import Screen, Site, published_files
from tests.httpserver import BundleServer


def test_another_channels_manifest_is_refused(tmp_path: Path) -> None:
    site = Site(tmp_path / "site")
    site.publish(now=datetime.now(UTC))
    site.image("poster.png", (0, 0, 255))
    site.publish(now=datetime.now(UTC), channel="lobby")  # genuine, signed, for other screens
    with BundleServer(site.out) as server:
        screen = synced_screen(tmp_path, site, server.url)
        before = screen.files()
        result = served_once_instead(server, screen, site, site.manifest_bytes("lobby"))
    assert result.returncode == 1 and "channel 'lobby'" in result.stderr, result.stderr
    assert screen.files() == before


def test_an_object_served_under_another_objects_name_is_refused(tmp_path: Path) -> None:
    site = Site(tmp_path / "site")
    site.publish(now=datetime.now(UTC))
    files = published_files(site)
    poster, shelf = files["media/poster.png"], files["media/photos/shelf.png"]
    shelf_bytes = (site.out / "objects" / shelf).read_bytes()
    with BundleServer(site.out) as server:
        server.fault(f"/objects/{poster}", "replace", data=shelf_bytes[: (site.out / "objects" / poster).stat().st_size])
        screen = Screen(tmp_path / "screen", site, server.url)
        result = sync_once(screen, site.public, server.url)
    assert result.returncode == 1 and "does not match its sha256" in result.stderr, result.stderr
    assert screen.files() == {}
    assert "sha256" in str(last_sync(screen).get("last_error"))
