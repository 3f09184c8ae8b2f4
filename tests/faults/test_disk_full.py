"""A disk that fills up during a sync download: the sync fails with a clear error, removes its
partial file, and leaves the content on screen exactly as it was; once there is room again,
the next sync installs the new version."""

from __future__ import annotations

import errno
import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from player.core.errors import StorageError
from tests.faults.test_filesystem import tmpfs
from tests.fleet import NOW, Screen, Site, published_files
from tests.httpserver import BundleServer


def publish_a_big_image(site: Site) -> None:
    """A second version whose new poster (random pixels, so about 1 MB as PNG) cannot fit in 256 KiB."""
    Image.frombytes("RGB", (600, 600), os.urandom(600 * 600 * 3)).save(site.media / "poster.png")
    assert (site.media / "poster.png").stat().st_size > 1_000_000
    site.publish(now=NOW + timedelta(minutes=5))


def used_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_disk_full_during_download_leaves_the_previous_content(
    site: Site, server: BundleServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "screen"
    with tmpfs(root) as mounted:
        if not mounted:  # no mount rights here: a disk that fails the same way, injected
            os.rmdir(root)
            check_injected_enospc(site, root, server.url, monkeypatch)
            return
        screen = Screen(root, site, server.url)
        screen.client().sync_once()
        before = screen.files()
        assert before == published_files(site)
        publish_a_big_image(site)

        with pytest.raises(StorageError, match=r"media/poster.png: cannot write to .*No space left on device.*unchanged"):
            screen.client().sync_once()
        assert screen.files() == before  # the old poster and playlist, byte for byte
        assert screen.hidden() == []  # no partial download left to fill the disk
        assert used_bytes(root / "state") < 64 * 1024
        # The player can still write its own state (proof of play, status) after the failure.
        (root / "state" / "probe").write_bytes(b"x" * 32 * 1024)

        # Room again (a bigger disk): the same client installs the new version.
        subprocess.run(["mount", "-o", "remount,size=4m", str(root)], check=True)
        outcome = screen.client().sync_once()
        assert outcome.version == 2
        assert screen.files() == published_files(site)
        assert screen.hidden() == []


def test_injected_enospc_is_reported_and_cleaned_up(
    site: Site, server: BundleServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_injected_enospc(site, tmp_path / "screen", server.url, monkeypatch)


def check_injected_enospc(site: Site, root: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same guarantee where mounting is not allowed: the write fails as a full disk would."""
    screen = Screen(root, site, url)
    screen.client().sync_once()
    before = screen.files()
    publish_a_big_image(site)
    import player.fleet.sync

    # Where sync opens its partial downloads (O_NOFOLLOW: player/fleet/sync.py, _open_partial).
    real_open = player.fleet.sync._open_partial

    def full_disk_open(partial: Path, mode: str):  # type: ignore[no-untyped-def]
        handle = real_open(partial, mode)
        handle.write(b"half a file")  # some bytes land before the disk fills up

        def refuse(data: bytes) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        handle.write = refuse  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr(player.fleet.sync, "_open_partial", full_disk_open)
    with pytest.raises(StorageError, match="No space left on device"):
        screen.client().sync_once()
    monkeypatch.undo()
    assert screen.files() == before
    assert screen.hidden() == []
    assert screen.client().sync_once().version == 2
