"""Attacks on the sync client from the network or the server: the real ``signage sync`` against
a real server on loopback (tests/httpserver.py) that a test turns hostile. The screen must keep
its content, say why it refused, record the failure in state/sync/last.json, and keep polling."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from player.fleet.bundle import generate_keys, manifest_path
from tests.fleet import Screen, Site, published_files
from tests.httpserver import BundleServer

MANIFEST = "/" + manifest_path("default")
DEADLINE_S = 60  # for the test itself: a hang is the attack


def sync_command(screen: Screen, pubkey: Path, url: str, *options: str) -> list[str]:
    folders = ("--playlists", str(screen.playlists), "--media", str(screen.media), "--state", str(screen.state))
    return [sys.executable, "-m", "player", *folders, "sync", *options, "--url", url, "--pubkey", str(pubkey)]


def sync_once(screen: Screen, pubkey: Path, url: str, *options: str) -> subprocess.CompletedProcess[str]:
    command = sync_command(screen, pubkey, url, "--once", *options)
    env = {**os.environ, "TZ": "UTC"}
    return subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE_S, env=env)


def last_sync(screen: Screen) -> dict[str, object]:
    path = screen.state / "sync" / "last.json"
    return json.loads(path.read_text()) if path.exists() else {}


def fresh_site(tmp_path: Path) -> Site:
    site = Site(tmp_path / "site")
    site.publish(now=datetime.now(UTC))
    return site


def test_a_deeply_nested_manifest_is_refused_and_the_service_keeps_polling(tmp_path: Path) -> None:
    """1 MB of "[" (unsigned): json's recursion limit must not end the service."""
    site = fresh_site(tmp_path)
    with BundleServer(site.out) as server:
        server.fault(MANIFEST, "replace", data=b"[" * 1_000_000)
        screen = Screen(tmp_path / "screen", site, server.url)
        once = sync_once(screen, site.public, server.url)
        assert once.returncode == 1 and "Traceback" not in once.stderr, once.stderr
        assert "sync failed" in once.stderr and "manifest" in once.stderr, once.stderr
        assert last_sync(screen).get("last_error"), last_sync(screen)
        # The service: it keeps polling (and failing) until stopped.
        process = subprocess.Popen(sync_command(screen, site.public, server.url, "--interval", "1"),
                                   stderr=subprocess.PIPE, text=True, env={**os.environ, "TZ": "UTC"})
        try:
            time.sleep(6)
            assert process.poll() is None, "the sync service died"
            process.send_signal(signal.SIGTERM)
            assert process.wait(10) == 0
        finally:
            if process.poll() is None:
                process.kill()
            _, err = process.communicate()
        assert err.count("sync failed") >= 2 and "Traceback" not in err, err
    assert screen.files() == {}


def test_a_fresh_screen_does_not_take_an_unasked_304_for_success(tmp_path: Path) -> None:
    site = fresh_site(tmp_path)
    with BundleServer(site.out) as server:
        server.fault(MANIFEST, "status", code=304)
        screen = Screen(tmp_path / "screen", site, server.url)
        result = sync_once(screen, site.public, server.url)
    assert result.returncode == 1, result.stderr
    assert "304" in result.stderr, result.stderr
    assert not last_sync(screen).get("last_success"), last_sync(screen)


def test_a_304_does_not_keep_trusting_content_signed_by_a_key_no_longer_pinned(tmp_path: Path) -> None:
    """The operator re-pinned the screen to a new key; the server still serves the old manifest (304)."""
    site = fresh_site(tmp_path)
    _, new_public = generate_keys(tmp_path / "new-keys")
    with BundleServer(site.out) as server:
        screen = Screen(tmp_path / "screen", site, server.url)
        assert sync_once(screen, site.public, server.url).returncode == 0
        result = sync_once(screen, new_public, server.url)
        assert any(r.status == 304 for r in server.requests), "the test needs the server to answer 304"
    assert result.returncode == 1, result.stderr
    assert "pinned" in result.stderr, result.stderr
    assert screen.files() == published_files(site)  # the content stays; it is not trusted anew


def test_an_unchanged_manifest_still_expires_whatever_installed_json_says(tmp_path: Path) -> None:
    """installed.json without its expiry (edited, or written by an old version), clock ten years on."""
    site = fresh_site(tmp_path)
    with BundleServer(site.out) as server:
        screen = Screen(tmp_path / "screen", site, server.url)
        assert sync_once(screen, site.public, server.url).returncode == 0
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


def test_a_trickling_server_is_cut_off_by_the_poll_deadline(tmp_path: Path) -> None:
    """One byte every 0.5 s never trips a 20 s read timeout: the whole poll has a deadline."""
    site = fresh_site(tmp_path)
    with BundleServer(site.out) as server:
        server.fault("/objects/*", "trickle", chunk=1, delay=0.5)
        screen = Screen(tmp_path / "screen", site, server.url)
        began = time.monotonic()
        result = sync_once(screen, site.public, server.url, "--deadline", "4")
        took = time.monotonic() - began
    assert result.returncode == 1, result.stderr
    assert "deadline" in result.stderr, result.stderr
    assert took < 20, took
    assert screen.files() == {}


def test_a_token_is_never_sent_in_clear_over_the_network(tmp_path: Path) -> None:
    """Plain http with a token to anything but this machine is a setup error (exit 2): nothing is sent."""
    site = fresh_site(tmp_path)
    screen = Screen(tmp_path / "screen", site, "http://unused")
    env = {**os.environ, "TZ": "UTC", "SIGNAGE_TOKEN": "s3cret"}
    for url in ("http://signage.invalid/bundle", "http://192.0.2.7:8080"):  # never contacted: refused first
        command = sync_command(screen, site.public, url, "--once")
        result = subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE_S, env=env)
        assert result.returncode == 2, result.stderr
        assert "in clear" in result.stderr and "s3cret" not in result.stderr, result.stderr
    with BundleServer(site.out) as server:  # to this machine it is allowed (a local proxy)
        server.require_token = "s3cret"
        command = sync_command(screen, site.public, server.url, "--once")
        assert subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE_S, env=env).returncode == 0


def test_redirects_leave_neither_the_origin_nor_the_scheme(tmp_path: Path) -> None:
    """A server (or whoever answers for it) redirects elsewhere: refused before anything connects there.
    Within the origin a redirect is followed (a moved folder)."""
    site = fresh_site(tmp_path)
    with BundleServer(site.out) as server:
        port = server.url.rsplit(":", 1)[1]
        elsewhere = [f"http://127.0.0.2:{port}{MANIFEST}",  # another host (loopback, so never the network)
                     "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
                     f"https://127.0.0.1:{port}{MANIFEST}"]  # another scheme
        for location in elsewhere:
            server.fault(MANIFEST, "status", code=302, headers={"Location": location}, times=1)
            screen = Screen(tmp_path / f"screen-{len(server.requests)}", site, server.url)
            result = sync_once(screen, site.public, server.url)
            assert result.returncode == 1, result.stderr
            assert "redirect" in result.stderr and "refused" in result.stderr, result.stderr
            assert screen.files() == {}
        server.fault(MANIFEST, "status", code=301, headers={"Location": f"{MANIFEST}?moved"}, times=1)
        screen = Screen(tmp_path / "screen-moved", site, server.url)
        assert sync_once(screen, site.public, server.url).returncode == 0
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


def test_the_player_sends_no_report_with_a_token_over_plain_http(tmp_path: Path) -> None:
    """Heartbeats and proof of play carry the sync token: over plain http to another machine, the
    player sends nothing there (one warning) and plays on. Nothing is contacted: refused first."""
    for folder in ("playlists", "media", "state", "config"):
        (tmp_path / folder).mkdir()
    (tmp_path / "config" / "player.yaml").write_text(
        "timezone: UTC\nreporting:\n  heartbeat_url: http://signage.invalid/heartbeat\n"
        "  proof_url: http://192.0.2.7/proof\n"
    )
    (tmp_path / "playlists" / "house.yaml").write_text("name: house\nslides:\n  - {text: Hello, duration: 60}\n")
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "TZ": "UTC", "SIGNAGE_TOKEN": "s3cret"}
    command = [sys.executable, "-m", "player", "run", "--windowed", "--size", "160x90", "--duration", "1.5"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=DEADLINE_S)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "travel in clear" in line]
    assert len(warnings) == 2 and "s3cret" not in result.stderr, result.stderr
