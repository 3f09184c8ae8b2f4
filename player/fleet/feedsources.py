"""Fetching one feed source and reading what it holds: RSS/Atom, JSON or plain text.

Everything a source sends is hostile until proven otherwise: the body is capped
(:data:`MAX_BYTES`), the whole fetch has a deadline (a server dripping a byte a second never
trips a per-read timeout), redirects go only to http/https, and every text that comes out is
cleaned (player.core.feeddata.clean_text) and capped. feedparser only ever parses bytes
fetched here: it never fetches anything itself.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import requests
import urllib3

from player import __version__
from player.core.config import FeedSource
from player.core.errors import FeedError
from player.core.feeddata import MAX_FIELDS, as_text, clean_text, evaluate

MAX_BYTES = 2 * 1024 * 1024  # a feed bigger than this is refused, not read to the end
MAX_REDIRECTS = 5
CHUNK = 16 * 1024
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 15.0  # between two pieces of an answer; the deadline bounds the whole
USER_AGENT = f"signage-feeds/{__version__}"


@dataclass(frozen=True)
class Reading:
    """What one fetch of a source gave: its items and fields, cleaned and capped."""

    items: tuple[str, ...]
    fields: dict[str, str]


def fetch_source(source: FeedSource, session: requests.Session, deadline: float) -> Reading:
    """Fetch ``source`` and read it by its kind, within ``deadline`` seconds in all.

    Raises:
        FeedError: unreachable, too slow, too big, or not what the source's config asks for.
    """
    return read_source(source, fetch_bytes(session, source.url, deadline))


def read_source(source: FeedSource, data: bytes) -> Reading:
    """Read fetched bytes as ``source``'s kind says. Raises FeedError."""
    if source.kind == "rss":
        return read_rss(data, source.items or "title", source.max_items)
    if source.kind == "json":
        return read_json(data, source)
    return read_text(data, source.max_items)


# -- fetching ------------------------------------------------------------------------------


def fetch_bytes(
    session: requests.Session,
    url: str,
    deadline: float,
    *,
    max_bytes: int = MAX_BYTES,
    clock: Callable[[], float] = time.monotonic,
) -> bytes:
    """The body of a GET of ``url``: at most ``max_bytes``, all of it within ``deadline`` seconds.

    Raises:
        FeedError: what went wrong, for a person (no URL in it: the caller names the source).
    """
    until = clock() + deadline
    with contextlib.closing(_open(session, url, until, clock)) as response:
        return _body(response, until, max_bytes, clock)


def probe(session: requests.Session, url: str, deadline: float, clock: Callable[[], float] = time.monotonic) -> None:
    """Ask for ``url`` and read only the answer's status: FeedError unless it is 200.

    Before a snapshot: a browser pictures whatever it is shown, a 404 page or its own "site
    can't be reached" page, and that must not replace the last good snapshot.
    """
    with contextlib.closing(_open(session, url, clock() + deadline, clock)) as response:
        if response.status_code != 200:
            raise FeedError(f"HTTP {response.status_code} {response.reason or ''}".strip())


def _open(session: requests.Session, url: str, until: float, clock: Callable[[], float]) -> requests.Response:
    """A streamed GET, its body not read yet.

    Redirects are followed by hand (at most :data:`MAX_REDIRECTS`), and only to http or https
    URLs that are not link-local addresses (a cloud's metadata service is one). No compressed
    answers are asked for: a small bomb would otherwise unpack past the cap inside one read.
    """
    for _ in range(MAX_REDIRECTS + 1):
        check_url(url)
        left = max(0.1, until - clock())
        try:
            response = session.get(
                url,
                stream=True,
                allow_redirects=False,
                timeout=(min(CONNECT_TIMEOUT, left), min(READ_TIMEOUT, left)),
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
            )
        except requests.RequestException as error:
            raise FeedError(_reason(error)) from None
        if not response.is_redirect:
            return response
        url = urllib.parse.urljoin(url, response.headers.get("Location", ""))
        response.close()
    raise FeedError(f"more than {MAX_REDIRECTS} redirects")


def check_url(url: str) -> None:
    """Refuse what a feed may not be fetched from: other schemes, and link-local addresses."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedError(f"refused to fetch {url[:200]!r}: only http:// and https:// URLs are fetched")
    with contextlib.suppress(ValueError):  # a host name, not an address
        if ipaddress.ip_address(parts.hostname).is_link_local:
            raise FeedError(f"refused to fetch from {parts.hostname}: a link-local address (a metadata service?)")


def _body(response: requests.Response, until: float, max_bytes: int, clock: Callable[[], float]) -> bytes:
    if response.status_code != 200:
        raise FeedError(f"HTTP {response.status_code} {response.reason or ''}".strip())
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise FeedError(f"the server sent a {encoding}-encoded answer, although none was asked for")
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FeedError(f"the answer is {int(declared):,} bytes, over the limit of {max_bytes:,}")
    body = bytearray()
    try:
        for piece in _arriving(response):
            body += piece
            if len(body) > max_bytes:
                raise FeedError(f"the answer is over the limit of {max_bytes:,} bytes: stopped reading")
            if clock() > until:
                raise FeedError(f"too slow: {len(body):,} bytes after the deadline, given up")
    except requests.RequestException as error:
        raise FeedError(_reason(error)) from None
    return bytes(body)


def _arriving(response: requests.Response) -> Iterator[bytes]:
    """The body piece by piece as the socket delivers it.

    Not ``iter_content``: it waits for a whole chunk, so a server that drips a byte a second
    would hold it far past the deadline (the sync client learnt this; player/fleet/sync.py).
    """
    while True:
        try:
            piece = response.raw.read1(CHUNK, decode_content=False)
        except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError) as error:
            raise requests.ConnectionError(error) from error
        if not piece:
            return
        yield piece


def _reason(error: requests.RequestException) -> str:
    if isinstance(error, requests.Timeout) or "timed out" in str(error).lower():
        return "timed out"
    if isinstance(error, requests.ConnectionError):
        return "cannot connect, or the connection broke"
    return f"the request failed ({type(error).__name__})"


# -- reading -------------------------------------------------------------------------------


def read_rss(data: bytes, which: str, max_items: int) -> Reading:
    """Each entry's ``which`` (title or summary) of an RSS or Atom feed; the channel's title as field ``title``."""
    import feedparser  # only here: the player itself never needs it

    # A stream, never a string: feedparser fetches a string that looks like a URL, and opens
    # one that names a file.
    parsed = feedparser.parse(io.BytesIO(data), resolve_relative_uris=False, sanitize_html=False)
    trouble = parsed.get("bozo_exception")
    if parsed.get("bozo") and not isinstance(trouble, feedparser.ThingsNobodyCaresAboutButMe):
        raise FeedError(f"not a well-formed RSS or Atom feed ({clean_text(str(trouble), 200)})")
    if not parsed.get("version"):
        raise FeedError("not an RSS or Atom feed (no <rss>, <feed> or <rdf:RDF> in it)")
    texts = (clean_text(str(entry.get(which) or "")) for entry in parsed.entries)
    title = clean_text(str(parsed.feed.get("title") or ""))
    return Reading(tuple(text for text in texts if text)[:max_items], {"title": title} if title else {})


def read_json(data: bytes, source: FeedSource) -> Reading:
    """The list at ``source.items`` and the value at each field's path."""
    try:
        document = json.loads(data.decode("utf-8-sig"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise FeedError("not JSON: the answer is not UTF-8 text") from None
    except (ValueError, RecursionError) as error:  # RecursionError: [[[[... nested too deeply
        raise FeedError(f"not JSON ({clean_text(str(error), 200)})") from None
    items: tuple[str, ...] = ()
    if source.items is not None:
        found = _at(document, source.items, "items")
        if not isinstance(found, list):
            raise FeedError(f"items: {source.items} is not a list in the answer")
        texts = (clean_text(text) for text in map(as_text, found) if text is not None)
        items = tuple(text for text in texts if text)[: source.max_items]
    fields = {}
    for name, path in source.fields[:MAX_FIELDS]:
        text = as_text(_at(document, path, f"field {name}"))
        if text is None:
            raise FeedError(f"field {name}: {path} is not a text or a number in the answer")
        fields[name] = clean_text(text)
    return Reading(items, fields)


def read_text(data: bytes, max_items: int) -> Reading:
    """One item per non-empty line (UTF-8; undecodable bytes become U+FFFD)."""
    lines = (clean_text(line) for line in data.decode("utf-8-sig", errors="replace").splitlines())
    return Reading(tuple(line for line in lines if line)[:max_items], {})


def _at(document: object, path: str, what: str) -> object:
    try:
        return evaluate(document, path)
    except ValueError as error:
        raise FeedError(f"{what}: the answer does not match the path {error}") from None


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON allows")
