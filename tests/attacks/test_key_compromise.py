"""Fast-forward and key compromise (The Update Framework's threat model): whoever holds the
signing key signs any version, 10^18 say. What the screen must allow is the way back: a new
key, reached by a signed statement from the old one or by the operator re-pinning, starts its
own count of versions, and from then on the leaked key signs nothing the screen believes.
docs/fleet.md, "If the key leaked", is the procedure these tests follow."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.fleet.bundle import generate_keys, key_id, load_private_key, load_public_key, sign_rotation
from tests.attacks.common import (
    MANIFEST,
    forged_manifest,
    installed_version,
    last_sync,
    publish_command,
    sync_once,
)
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


def test_a_rotation_statement_not_signed_by_the_trusted_key_is_not_followed(tmp_path: Path) -> None:
    """An attacker with a key of their own writes "the pinned key hands on to mine"."""
    site = Site(tmp_path / "site")
    site.publish(now=datetime.now(UTC))
    attacker = Ed25519PrivateKey.generate()
    statement = sign_rotation(attacker, attacker.public_key(), datetime.now(UTC))
    body = json.loads(statement["payload"])
    body["old"] = key_id(site.pubkey)  # claims to come from the pinned key; the signature says otherwise
    statement["payload"] = json.dumps(body, sort_keys=True)
    document = json.loads(forged_manifest(site, attacker, 99))
    document["rotations"] = [statement]
    with BundleServer(site.out) as server:
        screen = Screen(tmp_path / "screen", site, server.url)
        assert sync_once(screen, site.public, server.url).returncode == 0
        server.fault(MANIFEST, "replace", data=json.dumps(document).encode(), times=1)
        result = sync_once(screen, site.public, server.url)
    assert result.returncode == 1 and "does not verify with the trusted public key" in result.stderr, result.stderr
    assert installed_version(screen) == 1 and screen.files() == published_files(site)


def test_a_screen_that_slept_through_two_rotations_follows_both(tmp_path: Path) -> None:
    site = Site(tmp_path / "site")
    site.publish(now=datetime.now(UTC))
    second, _ = generate_keys(tmp_path / "keys-2")
    third, third_public = generate_keys(tmp_path / "keys-3")
    assert publish_command(site, "--key", str(second), "--rotate-from", str(site.private)).returncode == 0
    new_content(site)
    assert publish_command(site, "--key", str(third), "--rotate-from", str(second)).returncode == 0
    with BundleServer(site.out) as server:
        screen = Screen(tmp_path / "screen", site, server.url)  # pinned to the first key
        result = sync_once(screen, site.public, server.url)
    assert result.returncode == 0, result.stderr
    assert screen.files() == published_files(site)
    trust = json.loads((screen.state / "sync" / "trust.json").read_text())
    assert trust["pinned"] == key_id(site.pubkey) and load_public_key(third_public) is not None
    assert key_id(load_private_key(third).public_key()) in result.stderr


def test_publishing_with_the_key_rotated_away_is_refused(tmp_path: Path) -> None:
    site = Site(tmp_path / "site")
    site.publish(now=datetime.now(UTC))
    new_private, _ = generate_keys(tmp_path / "keys-2")
    assert publish_command(site, "--key", str(new_private), "--rotate-from", str(site.private)).returncode == 0
    new_content(site)
    old = publish_command(site, "--key", str(site.private))
    assert old.returncode != 0 and "signed by key" in old.stderr, old.stderr
