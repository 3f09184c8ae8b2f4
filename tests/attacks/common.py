"""What every attack test uses: the real ``signage`` commands in subprocesses with a deadline
(a hang is the attack), a publisher's site, and what a screen recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.fleet.bundle import FileEntry, Manifest, manifest_path, sign
from tests.fleet import Screen, Site
from tests.httpserver import BundleServer

MANIFEST = "/" + manifest_path("default")
DEADLINE_S = 60  # for each command: a hang is the attack


def sync_command(screen: Screen, pubkey: Path, url: str, *options: str) -> list[str]:
    folders = ("--playlists", str(screen.playlists), "--media", str(screen.media), "--state", str(screen.state))
    return [sys.executable, "-m", "player", *folders, "sync", *options, "--url", url, "--pubkey", str(pubkey)]


def sync_once(screen: Screen, pubkey: Path, url: str, *options: str) -> subprocess.CompletedProcess[str]:
    command = sync_command(screen, pubkey, url, "--once", *options)
    env = {**os.environ, "TZ": "UTC"}
    return subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE_S, env=env)


def publish_command(site: Site, *options: str) -> subprocess.CompletedProcess[str]:
    """``signage publish`` of the site's folders into its out folder (the key comes in ``options``)."""
    folders = ("--playlists", str(site.playlists), "--media", str(site.media))
    command = [sys.executable, "-m", "player", *folders, "publish", "--out", str(site.out), *options]
    env = {**os.environ, "TZ": "UTC"}
    return subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE_S, env=env, cwd=site.root)


def last_sync(screen: Screen) -> dict[str, object]:
    path = screen.state / "sync" / "last.json"
    return json.loads(path.read_text()) if path.exists() else {}


def installed_version(screen: Screen) -> object:
    return json.loads((screen.state / "sync" / "installed.json").read_text())["version"]


def fresh_site(tmp_path: Path) -> Site:
    site = Site(tmp_path / "site")
    site.publish(now=datetime.now(UTC))
    return site


def forged_manifest(
    site: Site,
    key: Ed25519PrivateKey,
    version: int,
    *,
    channel: str = "default",
    issued: datetime | None = None,
    expires: timedelta = timedelta(days=7),
) -> bytes:
    """A manifest of the site's current files signed with ``key``: what an attacker holding it serves."""
    document = json.loads(site.manifest_bytes(channel))
    files = json.loads(document["payload"])["files"]
    entries = tuple(FileEntry(path, info["sha256"], info["size"]) for path, info in files.items())
    when = issued or datetime.now(UTC)
    return sign(Manifest(channel, version, when, when + expires, entries), key)


def synced_screen(tmp_path: Path, site: Site, url: str) -> Screen:
    """A screen that has installed what the site serves now (its first poll worked)."""
    screen = Screen(tmp_path / "screen", site, url)
    first = sync_once(screen, site.public, url)
    assert first.returncode == 0, first.stderr
    return screen


def served_once_instead(server: BundleServer, screen: Screen, site: Site, manifest: bytes) -> subprocess.CompletedProcess[str]:
    """The screen's next poll, with ``manifest`` served once in place of the channel's own."""
    server.fault(MANIFEST, "replace", data=manifest, times=1)
    return sync_once(screen, site.public, server.url)
