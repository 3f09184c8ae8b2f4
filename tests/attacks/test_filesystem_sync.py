"""Attacks through the screen's folders on the sync client: what someone who can write into
``media/`` plants for ``signage sync`` to trip over. The real command against a real server on
loopback; a hang is the attack, so every run has a deadline."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from player.fleet.publish import collect, publish
from tests.attacks.common import fresh_site, last_sync, sync_once, synced_screen
from tests.fleet import Screen, Site, published_files
from tests.httpserver import BundleServer


def test_a_planted_partial_file_link_does_not_get_object_bytes_written_through_it(tmp_path: Path) -> None:
    site = fresh_site(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    with BundleServer(site.out) as server:
        screen = Screen(tmp_path / "screen", site, server.url)
        sha = published_files(site)["media/poster.png"]
        (screen.media / f".sync-{sha}.part").symlink_to(victim)
        result = sync_once(screen, site.public, server.url)
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "keep me\n"
    assert screen.files() == published_files(site)


def test_a_fifo_where_sync_installed_a_file_does_not_hang_the_next_sync(tmp_path: Path) -> None:
    site = fresh_site(tmp_path)
    with BundleServer(site.out) as server:
        screen = synced_screen(tmp_path, site, server.url)
        poster = screen.media / "poster.png"
        poster.unlink()
        os.mkfifo(poster)  # nobody writes into it: reading it (to hash it) blocks for ever
        # The next version drops the poster: sync checks whether the file is still its own.
        (site.playlists / "shop.yaml").write_text("name: shop\nslides:\n  - {image: photos/shelf.png, duration: 10}\n")
        (site.media / "poster.png").unlink()
        site.publish(now=datetime.now(UTC))
        result = sync_once(screen, site.public, server.url)
    assert result.returncode == 0, result.stderr
    assert poster.exists() and not poster.is_file()  # not ours any more: left alone, never read


def test_a_fifo_at_an_empty_files_path_is_replaced_without_reading_it(tmp_path: Path) -> None:
    site = fresh_site(tmp_path)
    (site.media / "empty.txt").write_bytes(b"")
    site.publish(now=datetime.now(UTC))
    with BundleServer(site.out) as server:
        screen = Screen(tmp_path / "screen", site, server.url)
        os.mkfifo(screen.media / "empty.txt")  # size 0, like the entry: only its hash would tell
        result = sync_once(screen, site.public, server.url)
    assert result.returncode == 0, result.stderr
    assert (screen.media / "empty.txt").is_file()
    assert screen.files() == published_files(site)


def test_a_folder_linked_out_of_media_is_not_written_through(tmp_path: Path) -> None:
    site = fresh_site(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    with BundleServer(site.out) as server:
        screen = Screen(tmp_path / "screen", site, server.url)
        (screen.media / "photos").symlink_to(outside)  # the bundle has media/photos/shelf.png
        result = sync_once(screen, site.public, server.url)
    assert result.returncode == 1, result.stderr
    assert "symbolic link" in result.stderr and "photos" in result.stderr, result.stderr
    assert list(outside.iterdir()) == []
    assert "photos" in str(last_sync(screen).get("last_error"))


def sign_with_extra_names(site: Site, *names: str) -> None:
    """A manifest signed with the site's key that also lists ``names`` (the poster's bytes under
    each): what a publisher older than these rules, or a bug in one, could sign."""
    poster = site.media / "poster.png"
    files = [*collect(site.playlists, site.media, "UTC"), *((f"media/{name}", poster) for name in names)]
    publish(files, site.out, site.key, channel="default", now=datetime.now(UTC), expires=timedelta(days=7))


@pytest.mark.parametrize(("names", "said"), [(("a\nb.png",), "not allowed"),
                                             (("what?.png",), "not allowed"),
                                             (("Logo.png", "logo.png"), "differ only in case")])
def test_names_not_every_filesystem_can_hold_are_refused(tmp_path: Path, names: tuple[str, ...], said: str) -> None:
    site = fresh_site(tmp_path)
    sign_with_extra_names(site, *names)
    with BundleServer(site.out) as server:
        screen = Screen(tmp_path / "screen", site, server.url)
        result = sync_once(screen, site.public, server.url)
    assert result.returncode == 1, result.stderr
    assert said in result.stderr, result.stderr
    assert screen.files() == {}


def test_the_same_picture_in_two_folders_installs_both(tmp_path: Path) -> None:
    """A legitimate bundle: one object under three names, two of them in folders the screen lacks."""
    site = fresh_site(tmp_path)
    picture = (site.media / "poster.png").read_bytes()
    for folder in ("a", "b"):
        (site.media / folder).mkdir()
        (site.media / folder / "p.png").write_bytes(picture)
    site.publish(now=datetime.now(UTC))
    with BundleServer(site.out) as server:
        screen = Screen(tmp_path / "screen", site, server.url)
        result = sync_once(screen, site.public, server.url)
    assert result.returncode == 0, result.stderr
    assert screen.files() == published_files(site)
    assert screen.hidden() == []  # no .part left behind


def test_a_folder_planted_where_a_file_goes_is_refused_by_name_until_it_is_gone(tmp_path: Path) -> None:
    """Row: a directory planted where the next manifest puts a file made every later sync fail
    with a bare OSError. Now: one clear refusal naming it, the content in place; an empty one
    (nothing to lose) is removed and the file installed."""
    site = fresh_site(tmp_path)
    with BundleServer(site.out) as server:
        screen = synced_screen(tmp_path, site, server.url)
        before = screen.files()
        site.image("sale.png", (0, 0, 255))
        (site.playlists / "shop.yaml").write_text(PLAYLIST_WITH_SALE)
        site.publish(now=datetime.now(UTC))
        planted = screen.media / "sale.png"
        planted.mkdir()
        (planted / "notes.txt").write_text("someone's\n")
        refused = sync_once(screen, site.public, server.url)
        assert refused.returncode == 1, refused.stderr
        assert "Traceback" not in refused.stderr and "media/sale.png is a folder" in refused.stderr
        assert screen.files() == {**before, "media/sale.png/notes.txt": screen.files()["media/sale.png/notes.txt"]}
        assert "sale.png" in str(last_sync(screen).get("last_error"))
        (planted / "notes.txt").unlink()  # an empty folder holds nothing to lose: sync removes it
        result = sync_once(screen, site.public, server.url)
    assert result.returncode == 0, result.stderr
    assert screen.files() == published_files(site)


def test_a_file_that_becomes_a_folder_between_versions_installs(tmp_path: Path) -> None:
    """A legitimate bundle: version 1 has media/promo (a file), version 2 media/promo/a.png."""
    site = fresh_site(tmp_path)
    (site.media / "promo").write_bytes(b"version 1\n")
    site.publish(now=datetime.now(UTC))
    with BundleServer(site.out) as server:
        screen = synced_screen(tmp_path, site, server.url)
        (site.media / "promo").unlink()
        (site.media / "promo").mkdir()
        site.image("promo/a.png", (1, 2, 3))
        site.publish(now=datetime.now(UTC))
        forward = sync_once(screen, site.public, server.url)
        assert forward.returncode == 0, forward.stderr
        assert screen.files() == published_files(site)
        shutil.rmtree(site.media / "promo")
        (site.media / "promo").write_bytes(b"version 1\n")
        site.publish(now=datetime.now(UTC))
        back = sync_once(screen, site.public, server.url)
    assert back.returncode == 0, back.stderr
    assert screen.files() == published_files(site)


PLAYLIST_WITH_SALE = (
    "name: shop\nslides:\n  - {image: poster.png, duration: 10}\n  - {image: sale.png, duration: 10}\n"
)
