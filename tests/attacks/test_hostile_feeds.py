"""Hostile feeds: a source that sends without end, drips a byte a second, sends broken or
mistyped documents, markup and control characters, items that look like paths or YAML, or
redirects to file:// must be capped, timed out, refused or cleaned, with one log line naming
the source, and the feed's last good data kept. ``signage feeds --once`` runs for real."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from player.core.config import FeedSource
from player.core.errors import FeedError, WebshotError
from player.core.feeddata import Feed, feed_file_bytes, fill
from player.core.webpages import WebPage
from player.fleet.feedsources import MAX_BYTES, fetch_source, read_source
from player.fleet.webshot import take_snapshot
from tests.attacks.common import DEADLINE_S
from tests.httpserver import BundleServer

GOOD = Feed(
    "news", ("Yesterday's headline",), (("title", "City News"),), fetched=datetime.now(UTC) - timedelta(hours=1)
)


class EndlessServer:
    """Answers every GET with 200, no Content-Length, and bytes until the client hangs up."""

    def __init__(self) -> None:
        self.sent = 0
        self.hung_up = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Silent."""

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.end_headers()
                chunk = b"<rss>" + b"x" * 65531
                try:
                    while outer.sent < 512 * 2**20:  # a bound, so a broken client cannot hang the test
                        self.wfile.write(chunk)
                        outer.sent += len(chunk)
                except OSError:
                    outer.hung_up.set()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> EndlessServer:
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def screen_with(tmp_path: Path, sources: str, settings: str = "") -> Path:
    """A config in tmp_path/config with the ``feeds.sources`` given (YAML lines), and news's last good data."""
    config = tmp_path / "config" / "player.yaml"
    config.parent.mkdir(exist_ok=True)
    config.write_text(f"timezone: UTC\nfeeds:\n{settings}  sources:\n{sources}")
    (tmp_path / "media" / "feeds").mkdir(parents=True, exist_ok=True)
    (tmp_path / "media" / "feeds" / "news.json").write_bytes(feed_file_bytes(GOOD))
    return config


def feeds_once(config: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "player", "--config", str(config), "feeds", "--once"]
    return subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE_S, cwd=config.parent.parent)


def news(tmp_path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tmp_path / "media" / "feeds" / "news.json").read_text())
    return data


def assert_kept_with_one_line(tmp_path: Path, result: subprocess.CompletedProcess[str], reason: str) -> None:
    """Exit 1, one warning naming the source and the reason, the last good data still in the file."""
    assert result.returncode == 1, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1 and "feed news: " in warnings[0] and reason in warnings[0], result.stderr
    assert "Traceback" not in result.stderr
    data = news(tmp_path)
    assert data["items"] == list(GOOD.items) and data["fields"] == dict(GOOD.fields)
    assert data["fetched"] == GOOD.fetched.isoformat().replace("+00:00", "Z") if GOOD.fetched else False
    assert reason in data["error"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    served = tmp_path / "srv"
    served.mkdir()
    return served


@pytest.fixture
def server(folder: Path) -> Iterator[BundleServer]:
    with BundleServer(folder) as running:
        yield running


# -- too much, too slow --------------------------------------------------------------------------


def test_an_endless_answer_is_cut_off_at_the_cap(tmp_path: Path) -> None:
    with EndlessServer() as endless:
        config = screen_with(tmp_path, f"    - {{name: news, url: '{endless.url}/rss.xml'}}\n")
        result = feeds_once(config)
        assert endless.hung_up.wait(10), "the client never hung up"
    assert_kept_with_one_line(tmp_path, result, f"over the limit of {MAX_BYTES:,} bytes: stopped reading")
    # What was sent beyond the cap is what the socket buffers took, not the server's 512 MB.
    assert endless.sent < MAX_BYTES + 32 * 2**20, endless.sent


def test_a_declared_size_over_the_cap_is_refused_before_reading(
    tmp_path: Path, folder: Path, server: BundleServer
) -> None:
    (folder / "big.xml").write_bytes(b" " * (MAX_BYTES + 1))
    config = screen_with(tmp_path, f"    - {{name: news, url: '{server.url}/big.xml'}}\n")
    assert_kept_with_one_line(tmp_path, feeds_once(config), f"{MAX_BYTES + 1:,} bytes, over the limit")


def test_a_server_that_drips_a_byte_a_second_is_cut_off_by_the_deadline(
    tmp_path: Path, folder: Path, server: BundleServer
) -> None:
    """Each byte arrives well within the read timeout; only the whole fetch's deadline stops it."""
    (folder / "rss.xml").write_bytes(b"<rss>" + b" " * 1000 + b"</rss>")
    server.fault("/rss.xml", "trickle", delay=1.0, chunk=1)
    config = screen_with(tmp_path, f"    - {{name: news, url: '{server.url}/rss.xml'}}\n", "  fetch_deadline: 2s\n")
    began = time.monotonic()
    result = feeds_once(config)
    assert time.monotonic() - began < 8
    assert_kept_with_one_line(tmp_path, result, "too slow")


# -- broken and mistyped documents -----------------------------------------------------------------

RSS = FeedSource("news", "http://x/")
JSON = FeedSource("news", "http://x/", kind="json", items="list", fields=(("temp", "current.temp"),))


@pytest.mark.parametrize(
    ("source", "data", "reason"),
    [
        (RSS, b"<rss version='2.0'><channel><item><title>cut off", "not a well-formed RSS or Atom feed"),
        (RSS, b"<html><body>Moved</body></html>", "not an RSS or Atom feed"),
        (RSS, b'{"items": []}', "not a well-formed RSS or Atom feed"),
        (RSS, b"", "not an RSS or Atom feed"),
        (JSON, b"{'single': 'quotes'}", "not JSON"),
        (JSON, b"\xff\xfe\x00garbage", "not UTF-8"),
        (JSON, b"[" * 100_000, "not JSON"),
        (JSON, b'{"list": [], "current": {"temp": NaN}}', "NaN is not a number JSON allows"),
        (JSON, b'{"list": [], "current": {"temp": ' + b"9" * 5000 + b"}}", "not JSON"),
        (JSON, b'{"list": {"a": 1}, "current": {"temp": 1}}', "items: list is not a list"),
        (JSON, b'{"list": [], "current": {"temp": {"c": 1}}}', "field temp: current.temp is not a text or a number"),
        (JSON, b'{"list": [], "current": {"temp": [1, 2]}}', "field temp: current.temp is not a text or a number"),
        (JSON, b'{"list": [], "current": "warm"}', "no 'temp' in a str value at step 2"),
        (JSON, b'{"list": []}', "no 'current' in an object at step 1 (its keys: list)"),
        (JSON, b"[1, 2]", "no 'list' in a list of 2"),
    ],
)
def test_broken_and_mistyped_documents_are_refused(source: FeedSource, data: bytes, reason: str) -> None:
    with pytest.raises(FeedError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        read_source(source, data)


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = f"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>
<rss version="2.0"><channel><title>T</title><item><title>A &xxe; B</title></item></channel></rss>""".encode()
    try:
        reading = read_source(RSS, xxe)
    except FeedError as error:  # refused as not well-formed: fine too
        assert "TOP-SECRET" not in str(error)
    else:
        assert "TOP-SECRET" not in json.dumps([reading.items, reading.fields])


def test_a_broken_feed_keeps_the_last_good_data_with_one_line(
    tmp_path: Path, folder: Path, server: BundleServer
) -> None:
    (folder / "rss.xml").write_bytes(b"<rss version='2.0'><channel><item><title>cut off")
    config = screen_with(tmp_path, f"    - {{name: news, url: '{server.url}/rss.xml'}}\n")
    assert_kept_with_one_line(tmp_path, feeds_once(config), "not a well-formed RSS or Atom feed")


# -- markup, control characters, and items that look like something else ---------------------------


def test_markup_and_control_characters_become_plain_capped_text(folder: Path, server: BundleServer) -> None:
    items = [
        "<item><title>&lt;b&gt;Bold&lt;/b&gt; &amp;amp; &lt;script&gt;alert(1)&lt;/script&gt;done</title></item>",
        "<item><title><![CDATA[<img src=x onerror=alert(1)><a href='javascript:x'>link</a>]]></title></item>",
        "<item><title>&#x202E;reversed&#x202C; &#x2067;isolate&#x2069; next &#x9D;line</title></item>",
        f"<item><title>{'long ' * 2000}</title></item>",
        *[f"<item><title>item {n}</title></item>" for n in range(500)],
    ]
    (folder / "rss.xml").write_text(f"<rss version='2.0'><channel><title>T</title>{''.join(items)}</channel></rss>")
    source = FeedSource("news", f"{server.url}/rss.xml", max_items=20)
    with requests.Session() as session:
        reading = fetch_source(source, session, 10.0)
    assert reading.items[:3] == ("Bold & done", "link", "reversed isolate next line")
    assert len(reading.items[3]) == 300 and reading.items[3].endswith("…")
    assert len(reading.items) == 20


def test_control_characters_in_json_and_text_are_dropped(folder: Path, server: BundleServer) -> None:
    (folder / "w.json").write_text(json.dumps({"t": "21\u0007\u001b[31m\u202e°C\ud800", "l": ["a\u0000b", "\u2066"]}))
    (folder / "t.txt").write_bytes(b"bell\x07 and esc\x1b[2J\r\n\xff\xfe broken utf-8\n\x00\n")
    with requests.Session() as session:
        weather = fetch_source(
            FeedSource("w", f"{server.url}/w.json", kind="json", items="l", fields=(("t", "t"),)), session, 10.0
        )
        lines = fetch_source(FeedSource("t", f"{server.url}/t.txt", kind="text"), session, 10.0)
    assert weather.fields == {"t": "21[31m°C"} and weather.items == ("ab",)
    assert lines.items == ("bell and esc[2J", "\ufffd\ufffd broken utf-8")


def test_items_that_look_like_paths_or_yaml_are_only_ever_text(
    tmp_path: Path, folder: Path, server: BundleServer
) -> None:
    pwned = tmp_path / "pwned"
    hostile = [
        "../../../../etc/passwd",
        "/etc/shadow",
        f"!!python/object/apply:os.system ['touch {pwned}']",
        "name: {evil.field}",
        "%2e%2e%2fconfig%2fplayer.yaml",
    ]
    (folder / "lines.txt").write_text("\n".join(hostile) + "\n")
    (folder / "w.json").write_text(json.dumps({"/etc/passwd": {"name": "../../x.json"}, "list": hostile}))
    sources = (
        f"    - {{name: news, url: '{server.url}/lines.txt', kind: text}}\n"
        f"    - {{name: weather, url: '{server.url}/w.json', kind: json, items: list,"
        " fields: {where: /etc/passwd.name}}\n"
    )
    config = screen_with(tmp_path, sources)
    before = {p for p in tmp_path.rglob("*") if "srv" not in p.parts}
    result = feeds_once(config)
    assert result.returncode == 0, result.stderr
    assert news(tmp_path)["items"] == hostile
    weather = json.loads((tmp_path / "media" / "feeds" / "weather.json").read_text())
    assert weather["items"] == hostile and weather["fields"] == {"where": "../../x.json"}
    after = {p for p in tmp_path.rglob("*") if "srv" not in p.parts}
    assert after - before == {tmp_path / "media" / "feeds" / "weather.json"}, "no file but the feed's own"
    assert not pwned.exists()
    # A feed's text that looks like a placeholder is shown as it is, never filled in again.
    feeds = {"news": Feed("news", fields=(("x", "{evil.field}"),), fetched=datetime.now(UTC))}
    assert fill("{news.x}", feeds, datetime.now(UTC)) == "{evil.field}"


# -- redirects ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("file:///etc/passwd", "only http:// and https:// URLs are fetched"),
        ("gopher://127.0.0.1:70/", "only http:// and https:// URLs are fetched"),
        ("ftp://127.0.0.1/feed.xml", "only http:// and https:// URLs are fetched"),
        ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
        ("http://[fe80::1]/", "a link-local address"),
        ("/rss.xml", "more than 5 redirects"),  # to itself, for ever
    ],
)
def test_redirects_go_only_to_http_and_never_for_ever(
    tmp_path: Path, server: BundleServer, location: str, reason: str
) -> None:
    server.fault("/rss.xml", "status", code=302, headers={"Location": location})
    source = FeedSource("news", f"{server.url}/rss.xml")
    with requests.Session() as session, pytest.raises(FeedError, match=reason):
        fetch_source(source, session, 10.0)
    assert all(r.path == "/rss.xml" for r in server.requests), "nothing fetched beyond the refused redirect"


def test_a_redirect_within_http_is_followed(folder: Path, server: BundleServer) -> None:
    (folder / "new.xml").write_text("<rss version='2.0'><channel><title>Moved</title></channel></rss>")
    server.fault("/old.xml", "status", code=301, headers={"Location": "/new.xml"})
    with requests.Session() as session:
        assert fetch_source(FeedSource("news", f"{server.url}/old.xml"), session, 10.0).fields == {"title": "Moved"}


def test_a_redirected_file_url_keeps_the_last_good_data(tmp_path: Path, server: BundleServer) -> None:
    server.fault("/rss.xml", "status", code=302, headers={"Location": "file:///etc/passwd"})
    config = screen_with(tmp_path, f"    - {{name: news, url: '{server.url}/rss.xml'}}\n")
    assert_kept_with_one_line(tmp_path, feeds_once(config), "only http:// and https://")
    assert "root:" not in (tmp_path / "media" / "feeds" / "news.json").read_text()


def test_a_web_page_redirected_to_a_file_is_never_pictured(tmp_path: Path, server: BundleServer) -> None:
    server.fault("/page.html", "status", code=302, headers={"Location": "file:///etc/passwd"})
    page = WebPage(f"{server.url}/page.html", "web/page.png", (320, 240), 600.0)
    with requests.Session() as session, pytest.raises(WebshotError, match="only http:// and https://"):
        take_snapshot(page, tmp_path / "media", "/usr/bin/chromium", 10.0, session=session)
    assert not (tmp_path / "media" / "web" / "page.png").exists()
