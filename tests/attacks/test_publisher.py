"""Attacks on the publisher: what someone who can write into its content folders, or read its
key, gets out of ``signage publish``. The real command, in a subprocess with a deadline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

DEADLINE_S = 40


def publisher(root: Path) -> Path:
    """A publisher's folders with a key made by ``signage keygen`` and one playlist."""
    for folder in ("playlists", "media", "config", "keys", "out"):
        (root / folder).mkdir(parents=True)
    (root / "config" / "player.yaml").write_text("timezone: UTC\n")
    (root / "playlists" / "shop.yaml").write_text("name: shop\nslides:\n  - {image: poster.png, duration: 10}\n")
    Image.new("RGB", (64, 36), (255, 0, 0)).save(root / "media" / "poster.png")
    assert signage(root, "keygen", "keys").returncode == 0
    return root


def signage(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "TZ": "UTC"}
    return subprocess.run(
        [sys.executable, "-m", "player", *args], cwd=root, env=env, capture_output=True, text=True, timeout=DEADLINE_S
    )


def publish(root: Path) -> subprocess.CompletedProcess[str]:
    return signage(root, "publish", "--key", "keys/publisher.key", "--out", "out")


def published_names(root: Path) -> list[str]:
    manifest = root / "out" / "channels" / "default" / "manifest.json"
    if not manifest.exists():
        return []
    payload = json.loads(manifest.read_text())
    files = payload.get("payload", payload).get("files", [])
    return [entry["path"] for entry in files]


def object_bytes(root: Path) -> list[bytes]:
    folder = root / "out" / "objects"
    return [path.read_bytes() for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


@pytest.mark.parametrize("target", ["secret", "key"])
def test_a_symlink_in_media_does_not_publish_what_it_points_at(tmp_path: Path, target: str) -> None:
    root = publisher(tmp_path / "publisher")
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$not-for-screens:19000:0:99999:7:::\n")
    pointed = secret if target == "secret" else root / "keys" / "publisher.key"
    (root / "media" / "extra.txt").symlink_to(pointed)
    result = publish(root)
    assert result.returncode != 0, result.stdout
    assert "extra.txt" in result.stderr and "symbolic link" in result.stderr, result.stderr
    assert not any(pointed.read_bytes() == data for data in object_bytes(root)), "the link's target was published"
    assert "media/extra.txt" not in published_names(root)


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_a_fifo_or_an_endless_device_in_media_does_not_hang_publish(tmp_path: Path, kind: str) -> None:
    root = publisher(tmp_path)
    if kind == "fifo":
        os.mkfifo(root / "media" / "pipe.bin")
    else:
        (root / "media" / "pipe.bin").symlink_to("/dev/zero")
    result = publish(root)
    assert result.returncode != 0, result.stdout
    assert "pipe.bin" in result.stderr, result.stderr


def test_a_signing_key_that_others_can_read_is_refused(tmp_path: Path) -> None:
    root = publisher(tmp_path)
    (root / "keys" / "publisher.key").chmod(0o666)
    result = publish(root)
    assert result.returncode != 0, result.stdout
    assert "publisher.key" in result.stderr and "chmod 600" in result.stderr, result.stderr
    assert published_names(root) == []


def test_a_manifest_someone_else_wrote_into_out_is_not_trusted(tmp_path: Path) -> None:
    """An unsigned manifest claiming version 10^18: publish must not carry on from it."""
    root = publisher(tmp_path)
    assert publish(root).returncode == 0
    manifest = root / "out" / "channels" / "default" / "manifest.json"
    document = json.loads(manifest.read_text())
    payload = json.loads(document["payload"])
    payload["version"] = 10**18
    document["payload"] = json.dumps(payload)  # the signature no longer matches: nobody signed this
    manifest.write_text(json.dumps(document))
    result = publish(root)
    assert result.returncode != 0, result.stdout
    assert "not signed by this key" in result.stderr, result.stderr
    assert json.loads(json.loads(manifest.read_text())["payload"])["version"] == 10**18  # left for a person to see


def test_an_object_corrupted_in_out_is_written_again(tmp_path: Path) -> None:
    root = publisher(tmp_path)
    assert publish(root).returncode == 0
    objects = [path for path in (root / "out" / "objects").iterdir() if not path.name.startswith(".")]
    for path in objects:
        path.write_bytes(b"corrupted")
    result = signage(root, "publish", "--key", "keys/publisher.key", "--out", "out", "--renew")
    assert result.returncode == 0, result.stderr
    import hashlib

    assert all(hashlib.sha256(path.read_bytes()).hexdigest() == path.name for path in objects)


@pytest.mark.parametrize("names", [("a\nb.png",), ("what?.png",), ("Logo.png", "logo.png")])
def test_publish_refuses_names_screens_would_refuse(tmp_path: Path, names: tuple[str, ...]) -> None:
    root = publisher(tmp_path)
    for name in names:
        (root / "media" / name).write_bytes((root / "media" / "poster.png").read_bytes())
    result = publish(root)
    assert result.returncode != 0, result.stdout
    assert "not published" in result.stderr, result.stderr
    assert published_names(root) == []
