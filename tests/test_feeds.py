"""``signage feeds``: RSS, Atom, JSON and text sources fetched from a real loopback server into
media/feeds/<name>.json, the last good data kept when a source fails, each source on its own
schedule; and the pure parts (paths into JSON, ``{name.field}`` templates, the data file)."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from player.content.feedfiles import read_feeds
from player.core.config import Config, FeedsConfig, FeedSource, parse_config
from player.core.errors import ConfigError, FeedDataError
from player.core.feeddata import (
    Feed,
    clean_text,
    evaluate,
    feed_file_bytes,
    fill,
    human_age,
    parse_feed_file,
    template_fields,
)
from player.fleet.feeds import FeedService, Folders, first_due, next_due, screen_size
from tests.httpserver import BundleServer

NOW = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
DEADLINE_S = 30  # for each command

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>City News</title>
<item><title>Library opens &lt;b&gt;late&lt;/b&gt; tonight</title><description>Until 22:00</description></item>
<item><title>Tram line 4 &amp;amp; 5 diverted</title><description><![CDATA[<p>Works on <i>Main St</i></p>]]></description></item>
</channel></rss>
"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Campus</title><id>urn:x</id><updated>2024-05-01T09:00:00Z</updated>
<entry><title>Exams start Monday</title><id>urn:1</id><updated>2024-05-01T09:00:00Z</updated><summary>Hall B</summary></entry>
<entry><title type="html">&lt;em&gt;Caf&amp;eacute;&lt;/em&gt; closed</title><id>urn:2</id>
<updated>2024-05-01T09:00:00Z</updated></entry>
</feed>
"""
WEATHER = {
    "location": {"name": "Seoul"},
    "current": {"temp_c": 21.5, "condition": {"text": "Sunny"}},
    "forecast": [{"day": "Tue", "high": 24}, {"day": "Wed", "high": 19}, {"note": "no day"}],
}
TEXT = "Welcome to the lobby\n\n   Visitors sign in at the desk  \nWi-Fi: guest\n"


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "srv"
    folder.mkdir()
    (folder / "rss.xml").write_bytes(RSS)
    (folder / "atom.xml").write_bytes(ATOM)
    (folder / "weather.json").write_text(json.dumps(WEATHER))
    (folder / "lobby.txt").write_text(TEXT)
    return folder


@pytest.fixture
def server(sources: Path) -> Iterator[BundleServer]:
    with BundleServer(sources) as running:
        yield running


def write_config(tmp_path: Path, url: str, extra: str = "") -> Path:
    """A config with one source of each kind, all served by ``url``."""
    config = tmp_path / "config" / "player.yaml"
    config.parent.mkdir(exist_ok=True)
    config.write_text(
        f"""timezone: UTC
feeds:
  fetch_deadline: 10s
{extra}  sources:
    - {{name: news, url: "{url}/rss.xml", every: 10m}}
    - {{name: campus, url: "{url}/atom.xml", items: summary, max_items: 5}}
    - name: weather
      url: "{url}/weather.json"
      kind: json
      every: 15m
      items: forecast.*.day
      fields: {{temp: current.temp_c, sky: current.condition.text, place: location.name}}
    - {{name: lobby, url: "{url}/lobby.txt", kind: text}}
"""
    )
    return config


def feeds_once(config: Path) -> subprocess.CompletedProcess[str]:
    """``signage feeds --once`` as a real process; content folders beside the config."""
    command = [sys.executable, "-m", "player", "--config", str(config), "feeds", "--once"]
    return subprocess.run(command, capture_output=True, text=True, timeout=DEADLINE_S, cwd=config.parent.parent)


def data(tmp_path: Path, name: str) -> dict[str, object]:
    document: dict[str, object] = json.loads((tmp_path / "media" / "feeds" / f"{name}.json").read_text())
    return document


# -- the command ---------------------------------------------------------------------------------


def test_once_writes_every_kind_of_source(tmp_path: Path, server: BundleServer) -> None:
    result = feeds_once(write_config(tmp_path, server.url))
    assert result.returncode == 0, result.stderr
    news = data(tmp_path, "news")
    assert news["format"] == 1 and news["error"] is None
    assert news["items"] == ["Library opens late tonight", "Tram line 4 & 5 diverted"]
    assert news["fields"] == {"title": "City News"}
    fetched = datetime.fromisoformat(str(news["fetched"]))
    assert abs((datetime.now(UTC) - fetched).total_seconds()) < 60
    assert data(tmp_path, "campus")["items"] == ["Hall B"]  # items: summary; the entry without one is left out
    weather = data(tmp_path, "weather")
    assert weather["items"] == ["Tue", "Wed"]
    assert weather["fields"] == {"temp": "21.5", "sky": "Sunny", "place": "Seoul"}
    assert data(tmp_path, "lobby")["items"] == ["Welcome to the lobby", "Visitors sign in at the desk", "Wi-Fi: guest"]
    assert sorted(p.name for p in (tmp_path / "media" / "feeds").iterdir()) == [
        "campus.json",
        "lobby.json",
        "news.json",
        "weather.json",
    ], "no temporary files left"
    # The player's side reads them back.
    feeds = read_feeds(tmp_path / "media")
    assert (
        fill("{weather.place}: {weather.temp} °C, {weather.sky}", feeds, datetime.now(UTC)) == "Seoul: 21.5 °C, Sunny"
    )


def test_the_last_good_data_stays_when_a_source_fails(tmp_path: Path, server: BundleServer) -> None:
    config = write_config(tmp_path, server.url)
    assert feeds_once(config).returncode == 0
    before = {name: data(tmp_path, name) for name in ("news", "weather")}
    server.fault("/rss.xml", "status", code=503)
    server.fault("/weather.json", "replace", data=b'{"current": {}}')  # the path no longer matches
    result = feeds_once(config)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("WARNING")]
    assert len(lines) == 2, result.stderr  # one line per failed source, naming it
    assert "feed news: HTTP 503" in lines[0] and "last good data (fetched" in lines[0]
    assert "feed weather: items: the answer does not match the path forecast.*.day: no 'forecast'" in lines[1]
    for name, old in before.items():
        new = data(tmp_path, name)
        assert (new["items"], new["fields"], new["fetched"]) == (old["items"], old["fields"], old["fetched"])
        assert new["error"] and new["tried"] != old["tried"]
    assert data(tmp_path, "lobby")["error"] is None
    # And it is the player's last good data too: the text still fills.
    assert fill("{news.title}", read_feeds(tmp_path / "media"), datetime.now(UTC)) == "City News"


def test_a_source_that_never_worked_leaves_a_file_with_only_the_error(tmp_path: Path) -> None:
    config = tmp_path / "config" / "player.yaml"
    config.parent.mkdir()
    config.write_text("feeds:\n  sources:\n    - {name: down, url: 'http://127.0.0.1:9/x.xml'}\n")
    result = feeds_once(config)
    assert result.returncode == 1 and "feed down: cannot connect" in result.stderr, result.stderr
    down = data(tmp_path, "down")
    assert down["items"] == [] and down["fetched"] is None and down["error"]
    assert fill("{down.title}", read_feeds(tmp_path / "media"), datetime.now(UTC)) is None


def test_with_nothing_configured_once_succeeds_and_writes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "config" / "player.yaml"
    config.parent.mkdir()
    config.write_text("timezone: UTC\n")
    result = feeds_once(config)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "media" / "feeds").exists()


def test_a_bad_feeds_section_is_reported_with_its_place(tmp_path: Path) -> None:
    config = tmp_path / "config" / "player.yaml"
    config.parent.mkdir()
    config.write_text("feeds:\n  sources:\n    - {name: News, url: 'ftp://x/y'}\n")
    result = feeds_once(config)
    assert result.returncode == 1
    assert f"{config}:3:14: feeds.sources[0].name: expected a name of lower-case letters" in result.stderr
    assert f"{config}:3:25: feeds.sources[0].url: expected an http:// or https:// URL" in result.stderr


def test_the_service_runs_until_sigterm(tmp_path: Path, server: BundleServer) -> None:
    """Without --once it fetches at once, then waits for the next time; SIGTERM ends it with 0."""
    config = write_config(tmp_path, server.url)
    command = [sys.executable, "-m", "player", "--config", str(config), "feeds"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        until = time.monotonic() + 20
        while not (tmp_path / "media" / "feeds" / "lobby.json").exists() and time.monotonic() < until:
            time.sleep(0.05)
        assert (tmp_path / "media" / "feeds" / "lobby.json").exists()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()


# -- schedules -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "every", "after"),
    [
        (0, 600.0, 600.0),  # worked: the interval
        (1, 600.0, 30.0),  # failed: sooner, then backing off
        (2, 600.0, 60.0),
        (4, 600.0, 240.0),
        (5, 600.0, 480.0),
        (6, 600.0, 600.0),  # never later than the interval
        (1000, 600.0, 600.0),
        (1, 20.0, 20.0),  # a source fetched every 20 s is not retried later than that
    ],
)
def test_next_due(failures: int, every: float, after: float) -> None:
    assert next_due(1000.0, every, failures) == 1000.0 + after


@pytest.mark.parametrize(
    ("age", "due"),
    [
        (None, 50.0),  # never fetched: at once
        (100.0, 550.0),  # fetched 100 s before a restart: when it is 600 s old
        (600.0, 50.0),  # stale
        (-5.0, 50.0),  # from the future (the clock was wrong): at once
    ],
)
def test_first_due(age: float | None, due: float) -> None:
    assert first_due(50.0, 600.0, age) == due


def test_screen_size() -> None:
    assert screen_size(None, 0) == (1920, 1080)
    assert screen_size((1280, 720), 90) == (720, 1280)
    assert screen_size((1280, 720), 180) == (1280, 720)


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.wall = NOW

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.wall + timedelta(seconds=self.t - 1000.0)


def test_each_source_keeps_its_own_schedule(tmp_path: Path, server: BundleServer) -> None:
    clock = FakeClock()
    settings = FeedsConfig(
        sources=(
            FeedSource("fast", f"{server.url}/lobby.txt", kind="text", every=60.0),
            FeedSource("slow", f"{server.url}/rss.xml", every=600.0),
        )
    )
    folders = Folders(tmp_path / "media", tmp_path / "playlists", "UTC", (1920, 1080))
    with requests.Session() as session:
        service = FeedService(
            settings, folders, session=session, now=clock.now, monotonic=clock.monotonic, pages=lambda: ()
        )

        def fetched_after(seconds: float) -> list[str]:
            clock.t = 1000.0 + seconds
            server.clear()
            service.step()
            return sorted(r.path for r in server.requests)

        assert fetched_after(0) == ["/lobby.txt", "/rss.xml"]
        assert fetched_after(30) == []
        assert fetched_after(61) == ["/lobby.txt"]
        server.fault("/lobby.txt", "status", code=500)
        assert fetched_after(122) == ["/lobby.txt"]  # fails: retried 30 s later, not 60
        server.clear_faults()
        assert fetched_after(140) == []
        assert fetched_after(153) == ["/lobby.txt"]
        assert fetched_after(200) == []
        assert fetched_after(214) == ["/lobby.txt"]
        assert fetched_after(601) == ["/lobby.txt", "/rss.xml"]  # fast was due at 274: fetched once, not once per missed minute
        assert fetched_after(610) == []
        assert 0 < service.step() <= 30.0  # asleep until the next fetch or content re-read


def test_a_restart_does_not_fetch_fresh_data_again(tmp_path: Path, server: BundleServer) -> None:
    clock = FakeClock()
    folders = Folders(tmp_path / "media", tmp_path / "playlists", "UTC", (1920, 1080))
    settings = FeedsConfig(sources=(FeedSource("news", f"{server.url}/rss.xml", every=600.0),))
    with requests.Session() as session:
        FeedService(settings, folders, session=session, now=clock.now, monotonic=clock.monotonic).step()
        clock.t += 200
        restarted = FeedService(settings, folders, session=session, now=clock.now, monotonic=clock.monotonic)
        server.clear()
        restarted.step()
        assert server.requests == []
        clock.t += 401
        restarted.step()
        assert [r.path for r in server.requests] == ["/rss.xml"]


# -- the config section ------------------------------------------------------------------------


BASE = Config(source="/srv/config/player.yaml", playlists=Path("p"), media=Path("m"), state=Path("s"))


def test_config_defaults_and_a_full_section() -> None:
    assert BASE.feeds == FeedsConfig()
    text = """feeds:
  snapshot_deadline: 5s
  browser: /usr/bin/chromium-browser
  sources:
    - {name: news, url: "https://example.org/rss", every: 2m}
    - {name: w, url: "http://x/w.json", kind: json, fields: {temp: current.temp_c}, items: "list[0].names"}
"""
    feeds = parse_config(text, "player.yaml", BASE).feeds
    assert feeds.snapshot_deadline == 5.0 and feeds.fetch_deadline == 30.0
    assert feeds.browser == "/usr/bin/chromium-browser"
    assert feeds.sources == (
        FeedSource("news", "https://example.org/rss", "rss", 120.0),
        FeedSource("w", "http://x/w.json", "json", 600.0, "list[0].names", (("temp", "current.temp_c"),)),
    )


def test_config_problems_are_all_reported_with_their_places() -> None:
    text = """feeds:
  sources:
    - {name: news, url: "http://x/a"}
    - {name: news, url: "http://x/b"}
    - {name: t, url: "http://x/t", kind: text, items: title, every: 1s}
    - {name: j, url: "http://x/j", kind: json, items: "a..b", fields: {age: x}}
    - {name: r, url: "http://x/r", items: link, fields: {a: b}}
    - {name: k, url: "http://x/k", kind: csv}
    - {url: "http://x/nameless"}
    - {name: e, url: "http://x/e", kind: json}
  snapshot_deadline: forever
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "player.yaml", BASE)
    problems = [str(p) for p in caught.value.problems]
    expected = [
        "player.yaml:4:7: feeds.sources[1].name: a second source named 'news'",
        "player.yaml:5:69: feeds.sources[2].every: fetching more often than every 10 s",
        "player.yaml:5:55: feeds.sources[2].items: a text source's items are its lines",
        "player.yaml:6:71: feeds.sources[3].fields: 'age' cannot name a field",
        "player.yaml:6:55: feeds.sources[3].items: 'a..b' is not a path",
        "player.yaml:7:43: feeds.sources[4].items: for rss, items is title (the default) or summary",
        "player.yaml:7:57: feeds.sources[4].fields: fields are paths into JSON",
        "player.yaml:8:42: feeds.sources[5].kind: expected one of rss, json, text",
        "player.yaml:9:7: feeds.sources[6].name: a feed source needs `name:`",
        "player.yaml:10:7: feeds.sources[7]: a json source needs items",
        "player.yaml:11:22: feeds.snapshot_deadline: 'forever' is not a duration",
    ]
    assert len(problems) == len(expected), "\n".join(problems)
    for want in expected:
        assert any(p.startswith(want) for p in problems), f"{want}\n not in:\n" + "\n".join(problems)


# -- paths into JSON ------------------------------------------------------------------------------

DOCUMENT = {
    "current": {"temp": 21.5, "ok": True, "none": None},
    "items": [{"title": "a"}, {"title": "b"}, {"other": 1}],
    "list": [{"name": "x"}, {"name": "y"}],
    "0": "zero",
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("current.temp", 21.5),
        ("current", {"temp": 21.5, "ok": True, "none": None}),
        ("items[0].title", "a"),
        ("items.1.title", "b"),
        ("items[-1].other", 1),
        ("list.*.name", ["x", "y"]),
        ("items.*.title", ["a", "b"]),  # after *, what does not match is left out
        ("current.*", [21.5, True, None]),
        ("0", "zero"),  # a key that looks like an index, in an object
    ],
)
def test_paths(path: str, value: object) -> None:
    assert evaluate(DOCUMENT, path) == value


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("current.temp_c", "no 'temp_c' in an object at step 2 (its keys: temp, ok, none)"),
        ("items[3].title", "index 3 is past the end of a list of 3"),
        ("current.temp.value", "no 'value' in a float value at step 3"),
        ("current.none.x", "no 'x' in nothing (null)"),
        ("current.temp.*", "* needs a list or an object"),
        ("a..b", "is not a path"),
        ("items[x]", "is not a path"),
        ("", "expected a path"),
    ],
)
def test_paths_that_do_not_match_say_where(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        evaluate(DOCUMENT, path)


# -- templates ------------------------------------------------------------------------------------

FEEDS = {
    "weather": Feed("weather", fields=(("place", "Seoul"), ("temp", "21.5")), fetched=NOW - timedelta(minutes=3)),
    "news": Feed("news", items=("a",), fields=(("title", "{weather.temp}"),), fetched=NOW - timedelta(hours=2)),
    "never": Feed("never", error="HTTP 500"),
}


@pytest.mark.parametrize(
    ("template", "max_age", "text"),
    [
        ("{weather.place}: {weather.temp} °C", None, "Seoul: 21.5 °C"),
        ("updated {weather.age} ago", None, "updated 3 min ago"),
        ("{news.age}", None, "2 h"),
        ("no placeholders at all", None, "no placeholders at all"),
        ("{{literal}} {weather.place}}}", None, "{literal} Seoul}"),
        ("{news.title}", None, "{weather.temp}"),  # a feed's text is never filled in again
        ("{weather.wind}", None, None),  # no such field
        ("{missing.temp}", None, None),  # no such feed
        ("{never.temp}", None, None),  # never fetched
        ("{weather.temp}", 600.0, "21.5"),
        ("{news.title} {weather.temp}", 600.0, None),  # news is two hours old
        ("{weather.temp", None, None),  # malformed
        ("a } b", None, None),
        ("{Weather.temp}", None, None),
    ],
)
def test_fill(template: str, max_age: float | None, text: str | None) -> None:
    assert fill(template, FEEDS, NOW, max_age) == text


def test_template_fields_and_their_problems() -> None:
    assert template_fields("{a.b} and {c.age} {{x}}") == (("a", "b"), ("c", "age"))
    with pytest.raises(ValueError, match=r"brace at character 3 .* write \{\{ for a brace"):
        template_fields("ab{ c")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "<1 min"),
        (59, "<1 min"),
        (60, "1 min"),
        (3599, "59 min"),
        (3600, "1 h"),
        (47 * 3600, "47 h"),
        (49 * 3600, "2 d"),
    ],
)
def test_human_age(seconds: float, text: str) -> None:
    assert human_age(seconds) == text


# -- the data file ---------------------------------------------------------------------------------


def test_the_data_file_round_trips() -> None:
    feed = Feed(
        "news", ("one", "two"), (("a", "1"), ("b", "2")), fetched=NOW, error="HTTP 500", tried=NOW + timedelta(1)
    )
    data = feed_file_bytes(feed)
    assert json.loads(data)["format"] == 1 and json.loads(data)["fetched"] == "2024-05-01T09:30:00Z"
    assert parse_feed_file(data, "news") == feed
    assert hash(feed) == hash(parse_feed_file(data, "news"))  # the render side keys caches on it


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "not JSON"),
        (b"[]", "expected a JSON object"),
        (b'{"format": 2}', "format 2 is not 1"),
        (b'{"format": 1, "items": "one"}', "items must be a list of texts"),
        (b'{"format": 1, "items": [1]}', "items must be a list of texts"),
        (b'{"format": 1, "fields": {"a": 1}}', "fields must map names"),
        (b'{"format": 1, "fields": {"../x": "1"}}', "fields must map names"),
        (b'{"format": 1, "fetched": "yesterday"}', "fetched must be an ISO 8601 time"),
        (b'{"format": 1, "fetched": "2024-05-01T09:30:00"}', "fetched must be an ISO 8601 time with its offset"),
        (b'{"format": 1, "items": [' + b'"x",' * 200_000 + b'"x"]}', "over the limit"),
        (b"[" * 100_000, "not JSON"),
    ],
)
def test_a_broken_data_file_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(FeedDataError, match=message):
        parse_feed_file(data, "news")


def test_a_data_file_is_cleaned_and_capped_when_read() -> None:
    document = {"format": 1, "items": ["\u202eevil\x07", *["x"] * 500], "fields": {"a": "b" * 1000}, "extra": 1}
    feed = parse_feed_file(json.dumps(document).encode(), "news")
    assert feed.items[0] == "evil" and len(feed.items) == 100
    assert len(feed.field("a") or "") == 300


def test_read_feeds_skips_broken_hidden_and_temporary_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "feeds"
    folder.mkdir()
    (folder / "news.json").write_bytes(feed_file_bytes(Feed("news", ("a",), fetched=NOW)))
    (folder / "broken.json").write_text("{")
    (folder / ".news.json.x1.tmp").write_text("{")
    (folder / "Upper.json").write_bytes(feed_file_bytes(Feed("Upper")))
    (folder / "notes.txt").write_text("x")
    (folder / "link.json").symlink_to(folder / "news.json")
    (folder / "big.json").write_bytes(b" " * (600 * 1024))
    with caplog.at_level(logging.WARNING, logger="player.content.feedfiles"):
        feeds = read_feeds(tmp_path)
    assert list(feeds) == ["news"] and feeds["news"].items == ("a",)
    logged = [record.getMessage() for record in caplog.records]
    assert len(logged) == 3, logged  # broken, big, link: one line each
    assert any("broken.json skipped: not a feed data file" in line for line in logged)
    assert any("big.json skipped" in line and "over the limit" in line for line in logged)
    assert any("link.json skipped" in line and "symbolic link" in line for line in logged)
    assert read_feeds(tmp_path / "nowhere") == {}


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("<b>Bold</b> &amp; <i>it</i>", "Bold & it"),
        ("<p>one</p><p>two</p>", "one two"),
        ("a<script>alert(1)</script>b<style>x{}</style>c", "abc"),
        ("tab\tnew\nline\r\n  spaces", "tab new line spaces"),
        ("bell\x07 nul\x00 del\x7f c1\x85\x9b", "bell nul del c1"),
        ("\u202eevil\u202c \u2066iso\u2069", "evil iso"),
        ("שלום\u200f!", "שלום\u200f!"),  # a right-to-left mark stays
        ("lone \ud800 surrogate", "lone surrogate"),
        ("x" * 400, "x" * 299 + "…"),
        ("5 < 6 & 7 > 3", "5 < 6 & 7 > 3"),
    ],
)
def test_clean_text(text: str, clean: str) -> None:
    assert clean_text(text) == clean
