"""A publisher and screens for the sync tests: content folders, keys, a bundle folder, and
the sync client of each screen. The `site` and `server` fixtures (tests/conftest.py) use them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from player.fleet.bundle import generate_keys, load_private_key, load_public_key
from player.fleet.publish import collect, publish
from player.fleet.sync import SyncClient, SyncSettings
from player.ops.hashing import sha256_file

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PLAYLIST = "name: shop\nslides:\n  - {image: poster.png, duration: 10}\n  - {image: photos/shelf.png, duration: 10}\n"


class Site:
    """A publisher's content folders, key and bundle folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.playlists = root / "content" / "playlists"
        self.media = root / "content" / "media"
        self.out = root / "out"
        (self.media / "photos").mkdir(parents=True)
        self.playlists.mkdir(parents=True)
        self.private, self.public = generate_keys(root / "keys")
        self.key = load_private_key(self.private)
        self.pubkey = load_public_key(self.public)
        self.image("poster.png", (255, 0, 0))
        self.image("photos/shelf.png", (0, 255, 0), size=(400, 300))
        (self.playlists / "shop.yaml").write_text(PLAYLIST)

    def image(self, name: str, color: tuple[int, int, int], size: tuple[int, int] = (64, 36)) -> None:
        Image.new("RGB", size, color).save(self.media / name)

    def publish(  # type: ignore[no-untyped-def]
        self,
        *,
        now: datetime = NOW,
        expires: timedelta = timedelta(days=7),
        channel: str = "default",
        key: Ed25519PrivateKey | None = None,
    ):
        """Publish the content folders into ``out``, signed with this site's key unless ``key`` says otherwise."""
        files = collect(self.playlists, self.media, "UTC")
        return publish(files, self.out, key or self.key, channel=channel, now=now, expires=expires)

    def manifest_bytes(self, channel: str = "default") -> bytes:
        return (self.out / "channels" / channel / "manifest.json").read_bytes()


class Screen:
    """A screen's folders and its sync client."""

    def __init__(self, root: Path, site: Site, url: str, **settings: object) -> None:
        self.root = root
        self.playlists, self.media, self.state = root / "playlists", root / "media", root / "state"
        for folder in (self.playlists, self.media, self.state):
            folder.mkdir(parents=True, exist_ok=True)
        options = {"read_timeout": 2.0, "connect_timeout": 2.0, **settings}
        self.settings = SyncSettings(url=url, pubkey=site.pubkey, **options)  # type: ignore[arg-type]

    def client(self, now: datetime = NOW) -> SyncClient:
        return SyncClient(self.settings, self.playlists, self.media, self.state, now=lambda: now)

    def files(self) -> dict[str, str]:
        """Every visible file in the folders, by logical path, with its sha256."""
        found = {}
        for top, folder in (("playlists", self.playlists), ("media", self.media)):
            for path in folder.rglob("*"):
                if path.is_file() and not path.name.startswith("."):
                    found[f"{top}/{path.relative_to(folder).as_posix()}"] = sha256_file(path)[0]
        return found

    def hidden(self) -> list[Path]:
        return [p for f in (self.playlists, self.media) for p in f.rglob(".*") if p.is_file()]


def published_files(site: Site) -> dict[str, str]:
    document = json.loads(site.manifest_bytes())
    return {path: info["sha256"] for path, info in json.loads(document["payload"])["files"].items()}
