"""Fast-forward (The Update Framework's threat model): whoever holds the signing key signs any
version, 10^18 say, and a screen that installed it would refuse every honest version after it.
The way back is a new key, reached by a signed statement from the old one or by the operator
re-pinning: it starts its own count, and from then on the leaked key signs nothing the screen
believes. docs/fleet.md, "If the key leaked", is the procedure these tests follow."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from player.fleet.bundle import generate_keys, key_id, load_public_key
from tests.attacks.common import MANIFEST, forged_manifest, installed_version, last_sync, publish_command, sync_once
from tests.fleet import Screen, Site, published_files
from tests.httpserver import BundleServer

HUGE = 10**18


def fast_forwarded(tmp_path: Path) -> tuple[Site, Screen, BundleServer]:
    """A screen at version 2 that then installed the version 10^18 a leaked key signed."""
    site = Site(tmp_path / "site")
    site.publish(now=datetime.now(UTC))
    server = BundleServer(site.out).start()
    screen = Screen(tmp_path / "screen", site, server.url)
    site.image("poster.png", (0, 0, 200))
    site.publish(now=datetime.now(UTC))  # version 2, an ordinary update
    assert sync_once(screen, site.public, server.url).returncode == 0
    server.fault(MANIFEST, "replace", data=forged_manifest(site, site.key, HUGE), times=1)
    taken = sync_once(screen, site.public, server.url)
    assert taken.returncode == 0, taken.stderr  # validly signed: the leak is what let it in
    assert installed_version(screen) == HUGE
    return site, screen, server


def new_content(site: Site) -> None:
    site.image("poster.png", (0, 200, 0))


def test_after_a_fast_forward_a_signed_rotation_brings_the_screen_back(tmp_path: Path) -> None:
    """Row: a leaked key signs 10^18; after rotating to a new key, new content at version 3 was
    refused as a rollback, and the screen could not recover without a manual reset."""
    site, screen, server = fast_forwarded(tmp_path)
    with server:
        new_private, _ = generate_keys(tmp_path / "keys-2")
        new_content(site)
        rotated = publish_command(site, "--key", str(new_private), "--rotate-from", str(site.private))
        assert rotated.returncode == 0, rotated.stderr
        assert "version 3" in rotated.stdout and "handed on" in rotated.stdout, rotated.stdout
        result = sync_once(screen, site.public, server.url)  # still pinned to the old key
        assert result.returncode == 0, result.stderr
        assert installed_version(screen) == 3
        assert screen.files() == published_files(site)
        assert f"trusting key {key_id(load_public_key(tmp_path / 'keys-2' / 'publisher.pub'))}" in result.stderr
        # The leaked key is done: what it signs now is refused, whatever the version.
        server.fault(MANIFEST, "replace", data=forged_manifest(site, site.key, HUGE + 1), times=1)
        again = sync_once(screen, site.public, server.url)
    assert again.returncode == 1, again.stderr
    assert "does not verify with the trusted public key" in again.stderr, again.stderr
    assert installed_version(screen) == 3 and screen.files() == published_files(site)
    assert "does not verify" in str(last_sync(screen).get("last_error"))


def test_after_a_fast_forward_re_pinning_the_screen_brings_it_back(tmp_path: Path) -> None:
    """The other way out, when the old key is not to be used even once more: the operator
    installs the new public key on the screen; versions count afresh from its first manifest."""
    site, screen, server = fast_forwarded(tmp_path)
    with server:
        new_private, new_public = generate_keys(tmp_path / "keys-2")
        new_content(site)
        published = publish_command(site, "--key", str(new_private), "--new-key")
        assert published.returncode == 0 and "version 3" in published.stdout, published.stderr
        result = sync_once(screen, new_public, server.url)
        assert result.returncode == 0, result.stderr
        assert "the pinned key is now" in result.stderr, result.stderr
        assert installed_version(screen) == 3 and screen.files() == published_files(site)
        server.fault(MANIFEST, "replace", data=forged_manifest(site, site.key, HUGE + 1), times=1)
        again = sync_once(screen, new_public, server.url)
    assert again.returncode == 1 and "does not verify" in again.stderr, again.stderr
    assert installed_version(screen) == 3
