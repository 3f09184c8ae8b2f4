"""Publish and sync against real HTTP servers on loopback: the happy path, every refusal,
broken servers, and a client killed at random moments."""

from __future__ import annotations

import getpass
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from player.core.errors import BundleError, SyncError
from player.fleet.bundle import FileEntry, Manifest, sign
from player.ops.hashing import sha256_file
from tests.fleet import NOW, PLAYLIST, Screen, Site, published_files
from tests.httpserver import BundleServer


@pytest.fixture
def screen(tmp_path: Path, site: Site, server: BundleServer) -> Screen:
    return Screen(tmp_path / "screen", site, server.url)


def object_requests(server: BundleServer) -> list[str]:
    return [r.path for r in server.requests if r.path.startswith("/objects/")]


def test_first_sync_installs_everything(site: Site, screen: Screen) -> None:
    outcome = screen.client().sync_once()
    assert outcome.version == 1 and outcome.downloaded == 3
    assert screen.files() == published_files(site)
    assert screen.hidden() == []


def test_unchanged_costs_one_304(site: Site, server: BundleServer, screen: Screen) -> None:
    screen.client().sync_once()
    server.clear()
    outcome = screen.client().sync_once()
    assert outcome.not_modified
    assert [(r.path, r.status) for r in server.requests] == [("/channels/default/manifest.json", 304)]


def test_republishing_unchanged_content_writes_nothing(site: Site) -> None:
    before = {p: p.stat().st_mtime_ns for p in site.out.rglob("*") if p.is_file()}
    result = site.publish(now=NOW + timedelta(hours=1))
    assert result.unchanged and result.new_objects == 0
    assert {p: p.stat().st_mtime_ns for p in site.out.rglob("*") if p.is_file()} == before


def test_one_changed_image_downloads_one_object(site: Site, server: BundleServer, screen: Screen) -> None:
    screen.client().sync_once()
    site.image("poster.png", (0, 0, 255))
    result = site.publish(now=NOW + timedelta(minutes=5))
    assert (result.version, result.new_objects) == (2, 1)
    server.clear()
    outcome = screen.client().sync_once()
    assert (outcome.version, outcome.downloaded) == (2, 1)
    assert len(object_requests(server)) == 1
    assert screen.files() == published_files(site)


def test_tampered_object_is_refused_and_old_content_stays(site: Site, server: BundleServer, screen: Screen) -> None:
    screen.client().sync_once()
    before = screen.files()
    site.image("poster.png", (0, 0, 255))
    site.publish(now=NOW + timedelta(minutes=5))
    new_sha = published_files(site)["media/poster.png"]
    genuine = (site.out / "objects" / new_sha).read_bytes()
    server.fault(f"/objects/{new_sha}", "replace", data=genuine[:-4] + b"EVIL")  # same length, other bytes
    with pytest.raises(BundleError, match="does not match its sha256"):
        screen.client().sync_once()
    assert screen.files() == before
    assert screen.hidden() == []
    server.clear_faults()
    server.fault(f"/objects/{new_sha}", "replace", data=b"short and wrong")
    with pytest.raises(BundleError, match=r"declared: refused"):
        screen.client().sync_once()
    assert screen.files() == before and screen.hidden() == []


def test_tampered_manifest_and_wrong_key_are_refused(site: Site, screen: Screen, tmp_path: Path) -> None:
    path = site.out / "channels" / "default" / "manifest.json"
    original = path.read_bytes()
    document = json.loads(original)
    document["payload"] = document["payload"].replace('"version": 1', '"version": 99')
    path.write_text(json.dumps(document))
    with pytest.raises(BundleError, match="signature does not verify"):
        screen.client().sync_once()
    path.write_bytes(original)
    other = Site(tmp_path / "other")
    stranger = Screen(tmp_path / "stranger", other, screen.settings.url)
    with pytest.raises(BundleError, match="signature does not verify"):
        stranger.client().sync_once()
    assert screen.files() == {} and stranger.files() == {}


def test_publishing_with_another_key_needs_new_key(site: Site, screen: Screen, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """A publisher who picks up the wrong key would cut every screen off from updates: refused."""
    other = Site(tmp_path / "other")
    before = site.manifest_bytes()

    def publish_with_other_key(*extra: str):  # type: ignore[no-untyped-def]
        content = ("--playlists", str(site.playlists), "--media", str(site.media))
        return run_cli(*content, "publish", "--key", str(other.private), "--out", str(site.out), *extra)

    with pytest.raises(BundleError, match=r"signed by key \w+, and this key is \w+.*--new-key"):
        site.publish(key=other.key)
    assert site.manifest_bytes() == before  # nothing signed with the stranger's key
    cli = publish_with_other_key()
    assert cli.status != 0 and "--new-key" in cli.stderr and site.manifest_bytes() == before
    rotated = publish_with_other_key("--new-key")
    assert rotated.status == 0, rotated.stderr
    rotated_screen = Screen(tmp_path / "rotated", other, screen.settings.url)
    assert rotated_screen.client().sync_once().version == 2  # same content, signed again with the new key
    again = publish_with_other_key()
    assert again.status == 0 and "unchanged" in again.stdout  # the new key is now the expected one


def test_older_version_is_refused_as_rollback(site: Site, screen: Screen) -> None:
    old = site.manifest_bytes()
    site.image("poster.png", (0, 0, 255))
    site.publish(now=NOW + timedelta(minutes=5))
    screen.client().sync_once()
    installed = screen.files()
    (site.out / "channels" / "default" / "manifest.json").write_bytes(old)
    with pytest.raises(BundleError, match="older than the installed 2: refused as a rollback"):
        screen.client().sync_once()
    assert screen.files() == installed


def test_expired_manifest_is_refused(site: Site, screen: Screen) -> None:
    with pytest.raises(BundleError, match="expired"):
        screen.client(now=NOW + timedelta(days=8)).sync_once()
    assert screen.files() == {}


def test_an_unchanged_manifest_that_expires_is_reported_and_the_content_stays(
    site: Site, server: BundleServer, screen: Screen
) -> None:
    screen.client().sync_once()
    before = screen.files()
    server.clear()
    with pytest.raises(BundleError, match=r"expired .* the publisher must publish again"):
        screen.client(now=NOW + timedelta(days=8)).sync_once()
    assert [r.status for r in server.requests] == [304]  # still one cheap request
    assert screen.files() == before


@pytest.mark.parametrize(
    "path",
    [
        "media/../../etc/cron.d/evil",
        "/etc/passwd",
        "playlists/../media/x.yaml",
        "config/player.yaml",
        "media/.hidden",
        "playlists/sub/x.yaml",
        "media\\x.png",
    ],
)
def test_traversal_paths_are_refused(site: Site, screen: Screen, path: str) -> None:
    evil = Manifest("default", 5, NOW, NOW + timedelta(days=1), (FileEntry(path, "a" * 64, 1),))
    (site.out / "channels" / "default" / "manifest.json").write_bytes(sign(evil, site.key))
    with pytest.raises(BundleError, match=r"not allowed|outside|must be playlists"):
        screen.client().sync_once()
    assert screen.files() == {}


def test_server_down_and_http_500(site: Site, server: BundleServer, screen: Screen) -> None:
    server.fault("/channels/*", "status", code=500, times=1)
    with pytest.raises(SyncError, match="HTTP 500"):
        screen.client().sync_once()
    server.stop()
    with pytest.raises(SyncError, match="cannot connect"):
        screen.client().sync_once()
    assert screen.files() == {}


def test_truncated_body_resumes_with_range(site: Site, server: BundleServer, screen: Screen) -> None:
    sha = published_files(site)["media/photos/shelf.png"]
    size = (site.out / "objects" / sha).stat().st_size
    server.fault(f"/objects/{sha}", "truncate", bytes=size // 2, times=1)
    with pytest.raises(SyncError, match="will resume"):
        screen.client().sync_once()
    assert screen.files() == {}  # nothing half-written is visible
    server.clear()
    screen.client().sync_once()
    ranges = [r.headers.get("Range") for r in server.requests if r.path == f"/objects/{sha}"]
    assert ranges and ranges[0] is not None and ranges[0].startswith("bytes=")
    assert screen.files() == published_files(site)


def test_trickling_server_times_out(site: Site, server: BundleServer, tmp_path: Path) -> None:
    slow = Screen(tmp_path / "slow", site, server.url, read_timeout=0.5)
    server.fault("/objects/*", "trickle", chunk=1, delay=2.0)
    started = time.monotonic()
    with pytest.raises(SyncError, match="timed out"):
        slow.client().sync_once()
    assert time.monotonic() - started < 5
    assert slow.files() == {}


def test_server_sending_more_than_declared_is_cut_off(site: Site, server: BundleServer, screen: Screen) -> None:
    server.fault("/objects/*", "oversend", extra=5000)
    with pytest.raises(BundleError, match="more than the"):
        screen.client().sync_once()
    assert screen.files() == {} and screen.hidden() == []


def test_hand_dropped_files_are_never_touched(site: Site, screen: Screen) -> None:
    screen.client().sync_once()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(screen.media / "mine.png")
    mine = sha256_file(screen.media / "mine.png")[0]
    (site.media / "photos" / "shelf.png").unlink()
    (site.playlists / "shop.yaml").write_text("name: shop\nslides:\n  - {image: poster.png}\n")
    site.publish(now=NOW + timedelta(minutes=5))
    outcome = screen.client().sync_once()
    assert outcome.removed == 1  # the shelf photo it had installed
    files = screen.files()
    assert "media/photos/shelf.png" not in files
    assert files["media/mine.png"] == mine


def test_bearer_token_is_sent_and_required(site: Site, server: BundleServer, tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    server.require_token = "s3cret-token"
    anonymous = Screen(tmp_path / "anon", site, server.url)
    with pytest.raises(SyncError, match="HTTP 401"):
        anonymous.client().sync_once()
    trusted = Screen(tmp_path / "trusted", site, server.url, token="s3cret-token")
    trusted.client().sync_once()
    assert trusted.files() == published_files(site)
    assert "s3cret-token" not in caplog.text


def test_channels_get_their_own_content(site: Site, server: BundleServer, tmp_path: Path) -> None:
    (site.playlists / "shop.yaml").write_text("name: shop\nslides:\n  - {image: poster.png}\n")
    site.publish(channel="lobby")
    lobby = Screen(tmp_path / "lobby", site, server.url, channel="lobby")
    lobby.client().sync_once()
    assert "media/photos/shelf.png" in lobby.files()  # media are all published
    assert (lobby.playlists / "shop.yaml").read_text().count("image:") == 1


def test_moving_a_screen_to_another_channel_is_not_a_rollback(site: Site, server: BundleServer, tmp_path: Path) -> None:
    for minutes in range(1, 4):  # the default channel reaches version 4
        site.image("poster.png", (minutes * 60, 0, 0))
        site.publish(now=NOW + timedelta(minutes=minutes))
    screen = Screen(tmp_path / "screen", site, server.url)
    assert screen.client().sync_once().version == 4
    (site.playlists / "shop.yaml").write_text("name: shop\nslides:\n  - {image: poster.png}\n")
    site.publish(channel="lobby")  # version 1 of its own channel
    moved = Screen(tmp_path / "screen", site, server.url, channel="lobby")
    assert moved.client().sync_once().version == 1
    assert (moved.playlists / "shop.yaml").read_text().count("image:") == 1
    installed = json.loads((moved.state / "sync" / "installed.json").read_text())
    assert (installed["channel"], installed["version"]) == ("lobby", 1)


def _sync_process(
    screen: Screen, site: Site, url: str, *options: str, stderr: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    """`signage sync` for ``screen`` as its own process (``options``: e.g. --once, --interval 2)."""
    folders = ("--playlists", str(screen.playlists), "--media", str(screen.media), "--state", str(screen.state))
    return subprocess.Popen(
        [sys.executable, "-m", "player", *folders, "sync", *options, "--url", url, "--pubkey", str(site.public)],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        env={**os.environ, "TZ": "UTC"},
    )


def test_killed_at_random_points_the_folder_stays_consistent(site: Site, server: BundleServer, tmp_path: Path) -> None:
    """8 runs (50 in `make soak`: SIGNAGE_KILL_RUNS): sync from v1 towards v2 over a slow server, kill -9 at a random moment,
    check that every visible file is a whole file of v1 or v2, then finish the sync."""
    rng = random.Random(2018)
    screen = Screen(tmp_path / "killed", site, server.url)
    screen.client(now=datetime.now(UTC)).sync_once()
    v1 = published_files(site)
    site.image("poster.png", (0, 0, 255), size=(900, 600))
    site.image("photos/shelf.png", (255, 255, 0), size=(900, 600))
    (site.playlists / "shop.yaml").write_text(PLAYLIST.replace("duration: 10", "duration: 12"))
    site.publish(now=datetime.now(UTC))
    v2 = published_files(site)
    allowed = {path: {v1.get(path), v2.get(path)} - {None} for path in set(v1) | set(v2)}
    server.fault("/objects/*", "trickle", chunk=4096, delay=0.01)
    for run in range(int(os.environ.get("SIGNAGE_KILL_RUNS", "8"))):
        process = _sync_process(screen, site, server.url, "--once")
        time.sleep(rng.uniform(0.2, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        for path, sha in screen.files().items():
            assert sha in allowed.get(path, set()), f"run {run}: {path} is half-written or foreign"
    server.clear_faults()
    finish = _sync_process(screen, site, server.url, "--once")
    assert finish.wait(60) == 0
    assert screen.files() == v2
    assert screen.hidden() == []


@pytest.fixture
def nginx(site: Site, tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(binary).exists(), "nginx is installed by `make test` (Debian package nginx)"
    conf = tmp_path / "nginx.conf"
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conf.write_text(
        f"""daemon off;
user {getpass.getuser()};
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {tmp_path}/body;
  proxy_temp_path {tmp_path}/proxy;
  fastcgi_temp_path {tmp_path}/fastcgi;
  uwsgi_temp_path {tmp_path}/uwsgi;
  scgi_temp_path {tmp_path}/scgi;
  server {{
    listen 127.0.0.1:{port};
    root {site.out};
    location /objects/ {{ add_header Cache-Control "public, max-age=31536000, immutable"; }}
    location /channels/ {{ add_header Cache-Control "no-cache"; }}
  }}
}}
"""
    )
    process = subprocess.Popen(
        [binary, "-c", str(conf), "-e", str(tmp_path / "nginx-error.log")], stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
        if process.stderr:
            process.stderr.close()


def test_end_to_end_through_nginx(site: Site, nginx: str, tmp_path: Path) -> None:
    screen = Screen(tmp_path / "nginx-screen", site, nginx)
    first = screen.client().sync_once()
    assert first.version == 1 and screen.files() == published_files(site)
    assert screen.client().sync_once().not_modified  # nginx answers the ETag with 304
    site.image("poster.png", (0, 0, 255))
    site.publish(now=NOW + timedelta(minutes=1))
    assert screen.client().sync_once().downloaded == 1
    assert screen.files() == published_files(site)


@pytest.mark.parametrize(
    "content", [None, b"not a key", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]
)
def test_a_missing_or_broken_public_key_is_a_setup_error(run_cli, tmp_path: Path, content: bytes | None) -> None:  # type: ignore[no-untyped-def]
    """Exit 2, which the systemd unit does not restart in a loop (RestartPreventExitStatus=2)."""
    key = tmp_path / "publisher.pub"
    if content is not None:
        key.write_bytes(content)
    result = run_cli("sync", "--once", "--url", "http://127.0.0.1:9", "--pubkey", str(key))
    assert result.status == 2, result.stderr
    assert "publisher.pub" in result.stderr and "check --pubkey" in result.stderr


def test_the_sync_service_stops_promptly_on_sigterm(site: Site, server: BundleServer, tmp_path: Path) -> None:
    """systemd stops it with SIGTERM: it must exit 0 at once, mid-wait, without a deadlock."""
    screen = Screen(tmp_path / "svc", site, server.url)
    process = _sync_process(screen, site, server.url, "--interval", "2", stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30  # the first poll comes after a random delay of up to 2 s
        while not (screen.state / "sync" / "installed.json").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert screen.files() == published_files(site)
        began = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        assert time.monotonic() - began < 2.0
    finally:
        if process.poll() is None:
            process.kill()
        _, err = process.communicate()
    assert b"Traceback" not in err
