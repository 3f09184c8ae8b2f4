"""The test bundle server itself: static serving as nginx does it, and every fault doing what it says.
All traffic stays on 127.0.0.1."""

from __future__ import annotations

import http.client
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from urllib3.exceptions import ReadTimeoutError

from tests.httpserver import BundleServer, RangeNotSatisfiable, parse_range

BODY = bytes(range(256)) * 40  # 10240 bytes, every offset recognisable
MANIFEST = b'{"version": 1}\n'
OBJECT = "/objects/" + "ab" * 32


@pytest.fixture
def root(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "objects").mkdir(parents=True)
    (site / "channels" / "default").mkdir(parents=True)
    (site / OBJECT.lstrip("/")).write_bytes(BODY)
    (site / "channels" / "default" / "manifest.json").write_bytes(MANIFEST)
    (tmp_path / "secret.txt").write_text("outside the root\n")
    (site / "escape").symlink_to(tmp_path / "secret.txt")
    return site


@pytest.fixture
def server(root: Path) -> Iterator[BundleServer]:
    with BundleServer(root) as running:
        yield running


def raw_get(server: BundleServer, target: str) -> int:
    """GET `target` exactly as written: requests would normalise the dot segments away before sending."""
    connection = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=5)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


# Plain serving


def test_get_serves_the_file_with_strong_etag_and_last_modified(server: BundleServer, root: Path) -> None:
    response = requests.get(server.url + OBJECT, timeout=5)
    stat = (root / OBJECT.lstrip("/")).stat()
    assert response.status_code == 200 and response.content == BODY
    assert response.headers["ETag"] == f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
    assert response.headers["Content-Length"] == str(len(BODY))
    assert response.headers["Last-Modified"].endswith(" GMT")
    assert requests.get(server.url + "/channels/default/manifest.json", timeout=5).headers["Content-Type"] == "application/json"


def test_etag_changes_when_the_file_does(server: BundleServer, root: Path) -> None:
    before = requests.head(server.url + OBJECT, timeout=5).headers["ETag"]
    os.utime(root / OBJECT.lstrip("/"), ns=(1, 1_000_000_000))
    assert requests.head(server.url + OBJECT, timeout=5).headers["ETag"] != before


def test_conditional_requests_get_304_without_a_body(server: BundleServer) -> None:
    first = requests.get(server.url + OBJECT, timeout=5)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'"other", W/{etag}'}, {"If-Modified-Since": modified}):
        response = requests.get(server.url + OBJECT, headers=headers, timeout=5)
        assert (response.status_code, response.content, response.headers["ETag"]) == (304, b"", etag), headers
    # If-None-Match decides when both are sent, as RFC 9110 says.
    stale = requests.get(server.url + OBJECT, headers={"If-None-Match": '"stale"', "If-Modified-Since": modified}, timeout=5)
    assert stale.status_code == 200 and stale.content == BODY
    assert [r.body_bytes for r in server.requests] == [len(BODY), 0, 0, 0, len(BODY)]


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=100-", 100, 10239), ("bytes=100-199", 100, 199), ("bytes=-10", 10230, 10239), ("bytes=10000-99999", 10000, 10239), ("bytes=0-0", 0, 0)],
)
def test_range_gets_206_with_those_bytes(server: BundleServer, header: str, first: int, last: int) -> None:
    response = requests.get(server.url + OBJECT, headers={"Range": header}, timeout=5)
    assert response.status_code == 206
    assert response.content == BODY[first : last + 1]
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{len(BODY)}"
    assert response.headers["Content-Length"] == str(last - first + 1)


def test_range_past_the_end_gets_416(server: BundleServer) -> None:
    response = requests.get(server.url + OBJECT, headers={"Range": f"bytes={len(BODY)}-"}, timeout=5)
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(BODY)}"


def test_range_for_another_version_gets_the_whole_file(server: BundleServer) -> None:
    etag = requests.head(server.url + OBJECT, timeout=5).headers["ETag"]
    same = requests.get(server.url + OBJECT, headers={"Range": "bytes=10-", "If-Range": etag}, timeout=5)
    other = requests.get(server.url + OBJECT, headers={"Range": "bytes=10-", "If-Range": '"old"'}, timeout=5)
    assert (same.status_code, other.status_code, other.content) == (206, 200, BODY)


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("bytes=5-", (5, 9)), ("bytes=5-3", None), ("bytes=0-1,4-5", None), ("items=0-1", None), ("bytes=x-", None), ("bytes=-0", "416"), ("bytes=10-", "416")],
)
def test_parse_range(header: str | None, expected: object) -> None:
    if expected == "416":
        with pytest.raises(RangeNotSatisfiable):
            parse_range(header, 10)
    else:
        assert parse_range(header, 10) == expected


def test_head_has_the_headers_and_no_body(server: BundleServer) -> None:
    head = requests.head(server.url + OBJECT, timeout=5)
    get = requests.get(server.url + OBJECT, timeout=5)
    assert head.status_code == 200 and head.content == b""
    assert {k: head.headers[k] for k in ("ETag", "Content-Length", "Last-Modified")} == {k: get.headers[k] for k in ("ETag", "Content-Length", "Last-Modified")}
    assert server.requests[0].body_bytes == 0


def test_missing_files_and_folders_get_404(server: BundleServer) -> None:
    for path in ("/objects/nope", "/objects", "/objects/", "/", "/channels/default"):
        response = requests.get(server.url + path, timeout=5)
        assert response.status_code == 404 and response.headers["Content-Length"] == str(len(response.content)), path


@pytest.mark.parametrize(
    "target",
    ["/../secret.txt", "/objects/../../secret.txt", "/%2e%2e/secret.txt", "/objects/%2E%2E/%2e%2e/secret.txt", "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt", "/escape", "/%00"],
)
def test_climbing_out_of_the_root_gets_404(server: BundleServer, target: str) -> None:
    assert raw_get(server, target) == 404


def test_other_methods_get_405(server: BundleServer) -> None:
    response = requests.post(server.url + OBJECT, data=b"x", timeout=5)
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"


def test_token_is_required_when_set(server: BundleServer) -> None:
    server.require_token = "s3cret"
    assert requests.get(server.url + OBJECT, timeout=5).status_code == 401
    assert requests.get(server.url + OBJECT, headers={"Authorization": "Bearer wrong"}, timeout=5).status_code == 401
    ok = requests.get(server.url + OBJECT, headers={"Authorization": "Bearer s3cret"}, timeout=5)
    assert ok.status_code == 200 and ok.content == BODY


def test_requests_are_recorded_and_cleared(server: BundleServer) -> None:
    with requests.Session() as session:  # one keep-alive connection for all three
        session.get(server.url + OBJECT, headers={"Range": "bytes=0-9"}, timeout=5)
        session.head(server.url + "/channels/default/manifest.json", timeout=5)
        session.get(server.url + "/missing?x=1", timeout=5)
    records = server.requests
    assert [(r.method, r.path, r.status) for r in records] == [("GET", OBJECT, 206), ("HEAD", "/channels/default/manifest.json", 200), ("GET", "/missing", 404)]
    assert records[0].headers["Range"] == "bytes=0-9" and records[0].body_bytes == 10
    server.clear()
    assert server.requests == []


# Faults


def test_status_fault_with_times_fails_then_succeeds(server: BundleServer) -> None:
    server.fault("/objects/*", "status", code=503, times=1, headers={"Retry-After": "1"})
    failed = requests.get(server.url + OBJECT, timeout=5)
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "1" and b"503" in failed.content
    assert requests.get(server.url + "/channels/default/manifest.json", timeout=5).status_code == 200  # glob does not match
    assert requests.get(server.url + OBJECT, timeout=5).status_code == 200
    assert [r.status for r in server.requests] == [503, 200, 200]


def test_truncate_sends_full_headers_and_a_short_body(server: BundleServer) -> None:
    server.fault(OBJECT, "truncate", bytes=1000, times=1)
    assert requests.head(server.url + OBJECT, timeout=5).status_code == 200  # no body, so the fault is not used up
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(server.url + OBJECT, timeout=5)
    assert (server.requests[-1].status, server.requests[-1].body_bytes) == (200, 1000)
    assert requests.get(server.url + OBJECT, timeout=5).content == BODY


def test_truncate_also_cuts_a_range(server: BundleServer) -> None:
    server.fault(OBJECT, "truncate", bytes=10)
    with requests.get(server.url + OBJECT, headers={"Range": "bytes=100-"}, stream=True, timeout=5) as response:
        assert response.status_code == 206 and response.headers["Content-Length"] == str(len(BODY) - 100)
        received = bytearray()
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            for piece in response.iter_content(1):
                received += piece
    assert bytes(received) == BODY[100:110]


def test_trickle_triggers_the_read_timeout(server: BundleServer) -> None:
    server.fault("/objects/*", "trickle", chunk=100, delay=2.0)
    started = time.monotonic()
    # The headers arrive at once, so the timeout hits while reading the body, which requests reports as a
    # ConnectionError wrapping urllib3's ReadTimeoutError (not requests.ReadTimeout, which is for the headers).
    with pytest.raises(requests.ConnectionError) as caught:
        requests.get(server.url + OBJECT, timeout=(1, 0.3))
    assert isinstance(caught.value.args[0], ReadTimeoutError)
    assert time.monotonic() - started < 1.5


def test_trickle_delivers_everything_eventually(server: BundleServer) -> None:
    server.fault("/objects/*", "trickle", chunk=4096, delay=0.05)
    started = time.monotonic()
    assert requests.get(server.url + OBJECT, timeout=(1, 1)).content == BODY
    assert time.monotonic() - started >= 0.1  # three pieces, two pauses


def test_stop_interrupts_a_trickle_promptly(server: BundleServer) -> None:
    server.fault("/objects/*", "trickle", chunk=1, delay=10)
    with requests.get(server.url + OBJECT, stream=True, timeout=5) as response:
        assert response.raw.read(1) == BODY[:1]
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 1
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            response.content  # noqa: B018 - reading is the point: the server has hung up
    server.stop()  # twice is fine, and the fixture does it a third time


def test_oversend_sends_more_with_a_content_length_that_covers_it(server: BundleServer) -> None:
    server.fault("/objects/*", "oversend", extra=5000)
    response = requests.get(server.url + OBJECT, timeout=5)
    assert response.headers["Content-Length"] == str(len(BODY) + 5000)
    assert response.content == BODY + b"\0" * 5000


def test_replace_serves_other_bytes_with_their_own_etag(server: BundleServer) -> None:
    real = requests.get(server.url + OBJECT, timeout=5)
    server.fault(OBJECT, "replace", data=b"tampered")
    fake = requests.get(server.url + OBJECT, headers={"If-None-Match": real.headers["ETag"]}, timeout=5)
    assert (fake.status_code, fake.content, fake.headers["Content-Length"]) == (200, b"tampered", "8")
    assert fake.headers["ETag"] != real.headers["ETag"]
    assert requests.get(server.url + "/objects/absent", timeout=5).status_code == 404
    server.fault("/objects/absent", "replace", data=b"planted")
    assert requests.get(server.url + "/objects/absent", timeout=5).content == b"planted"


def test_hang_sends_nothing(server: BundleServer) -> None:
    server.fault("/channels/*", "hang", seconds=5, times=1)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(server.url + "/channels/default/manifest.json", timeout=(1, 0.3))
    assert time.monotonic() - started < 1
    assert server.requests[0].status is None
    assert requests.get(server.url + "/channels/default/manifest.json", timeout=5).content == MANIFEST


def test_hang_then_hangs_up(server: BundleServer) -> None:
    server.fault("/channels/*", "hang", seconds=0.2)
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/channels/default/manifest.json", timeout=(1, 2))


def test_drop_closes_without_answering(server: BundleServer) -> None:
    server.fault("*", "drop", times=2)
    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            requests.get(server.url + OBJECT, timeout=5)
    assert requests.get(server.url + OBJECT, timeout=5).status_code == 200
    assert [r.status for r in server.requests] == [None, None, 200]


def test_first_matching_fault_wins_and_clear_faults_removes_all(server: BundleServer) -> None:
    server.fault(OBJECT, "status", code=500, times=1)
    server.fault("/objects/*", "status", code=503)
    statuses = [requests.get(server.url + OBJECT, timeout=5).status_code for _ in range(3)]
    server.clear_faults()
    statuses.append(requests.get(server.url + OBJECT, timeout=5).status_code)
    assert statuses == [500, 503, 503, 200]


def test_token_is_checked_before_faults(server: BundleServer) -> None:
    server.require_token = "s3cret"
    server.fault("*", "status", code=500, times=1)
    assert requests.get(server.url + OBJECT, timeout=5).status_code == 401
    assert requests.get(server.url + OBJECT, headers={"Authorization": "Bearer s3cret"}, timeout=5).status_code == 500


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [("explode", {}, "unknown fault kind"), ("status", {}, "needs code"), ("drop", {"seconds": 1}, "takes no seconds"), ("drop", {"times": 0}, "at least 1")],
)
def test_bad_faults_are_refused_at_once(server: BundleServer, kind: str, options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        server.fault("*", kind, **options)


# Life cycle


def test_stop_closes_idle_keep_alive_connections_and_restart_keeps_the_port(root: Path) -> None:
    server = BundleServer(root)
    with pytest.raises(RuntimeError):
        _ = server.url
    with requests.Session() as session:
        with server:
            url = server.url
            assert server.start() is server  # twice is fine
            assert session.get(url + OBJECT, timeout=5).status_code == 200  # leaves a pooled keep-alive connection
            started = time.monotonic()
        assert time.monotonic() - started < 1
        with pytest.raises(requests.ConnectionError):
            session.get(url + OBJECT, timeout=5)
        with server:
            assert server.url == url
            assert session.get(url + OBJECT, timeout=5).content == BODY
