"""Indefinite freeze (The Update Framework's threat model): a screen kept on old content by
a server that goes on serving a stale manifest, or by a clock that is wrong, must notice: a
manifest's expiry holds whatever the unsigned state says and however the clock is set."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.attacks.common import fresh_site, synced_screen
from tests.fleet import Screen, Site, published_files
from tests.httpserver import BundleServer


def test_an_unchanged_manifest_still_expires_whatever_installed_json_says(tmp_path: Path) -> None:
    """installed.json without its expiry (edited, or written by an old version), clock ten years on."""
    site = fresh_site(tmp_path)
    with BundleServer(site.out) as server:
        screen = synced_screen(tmp_path, site, server.url)
        installed = screen.state / "sync" / "installed.json"
        data = json.loads(installed.read_text())
        data.pop("expires", None)
        installed.write_text(json.dumps(data))
        later = datetime.now(UTC) + timedelta(days=3650)
        try:
            screen.client(now=later).sync_once()
        except Exception as error:  # the refusal's type is what is asserted
            refused = error
        else:
            refused = None
        assert any(r.status == 304 for r in server.requests)
    assert refused is not None and "expired" in str(refused), refused
    assert screen.files() == published_files(site)


def test_a_clock_set_back_does_not_make_an_expired_manifest_valid(tmp_path: Path) -> None:
    """The screen's clock goes back 400 days (or a board without a battery boots at an old date):
    a manifest that expired 30 days ago would look valid. The installed manifest's issue time is a
    floor for the clock: before it, nothing is installed."""
    now = datetime.now(UTC)
    site = Site(tmp_path / "site")
    site.publish(now=now - timedelta(days=60), expires=timedelta(days=67))  # v1: valid today
    with BundleServer(site.out) as server:
        screen = Screen(tmp_path / "screen", site, server.url)
        assert screen.client(now=now).sync_once().version == 1
        site.image("poster.png", (0, 0, 255))
        site.publish(now=now - timedelta(days=50), expires=timedelta(days=20))  # v2: expired 30 days ago
        try:
            screen.client(now=now - timedelta(days=400)).sync_once()
        except Exception as error:  # the refusal's type is what is asserted
            refused: Exception | None = error
        else:
            refused = None
    assert refused is not None and "clock" in str(refused), refused
    assert json.loads((screen.state / "sync" / "installed.json").read_text())["version"] == 1
