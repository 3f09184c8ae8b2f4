"""Key compromise and rotation (The Update Framework's threat model): trust moves from one key
to the next only by a statement the trusted key signed; a statement anyone else made is not
followed, a screen that slept through rotations follows them all, and the old key is retired."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.fleet.bundle import generate_keys, key_id, load_private_key, load_public_key, public_key_text, sign_rotation
from tests.attacks.common import MANIFEST, forged_manifest, installed_version, publish_command, sync_once, synced_screen
from tests.attacks.test_fast_forward import new_content
from tests.fleet import Screen, Site, published_files
from tests.httpserver import BundleServer


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
        screen = synced_screen(tmp_path, site, server.url)
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
    # Pinned to the first key still, trusting the third now: both hand-overs were followed.
    assert trust["pinned"] == key_id(site.pubkey)
    assert trust["key"] == public_key_text(load_public_key(third_public))
    assert key_id(load_private_key(third).public_key()) in result.stderr


def test_publishing_with_the_key_rotated_away_is_refused(tmp_path: Path) -> None:
    site = Site(tmp_path / "site")
    site.publish(now=datetime.now(UTC))
    new_private, _ = generate_keys(tmp_path / "keys-2")
    assert publish_command(site, "--key", str(new_private), "--rotate-from", str(site.private)).returncode == 0
    new_content(site)
    old = publish_command(site, "--key", str(site.private))
    assert old.returncode != 0 and "signed by key" in old.stderr, old.stderr
