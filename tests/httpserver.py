"""A static bundle server on loopback for the sync tests: serves a folder the way nginx would (ETag, 304, Range),
records every request, and breaks on demand (error statuses, cut-off, trickling, oversized or tampered bodies,
stalls, dropped connections).

    with BundleServer(bundle_dir) as server:
        server.fault("/objects/*", "truncate", bytes=100, times=1)
        client = SyncClient(SyncSettings(url=server.url, ...))
"""

from __future__ import annotations

import contextlib
import email.utils
import fnmatch
import hashlib
import mimetypes
import socket
import socketserver
import sys
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote

READ_SIZE = 64 * 1024

# Per fault kind: the options it needs and the ones it may take ("times" is allowed for every kind).
FAULT_OPTIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "status": (frozenset({"code"}), frozenset({"headers"})),
    "truncate": (frozenset({"bytes"}), frozenset()),
    "trickle": (frozenset({"delay"}), frozenset({"chunk"})),
    "oversend": (frozenset({"extra"}), frozenset()),
    "replace": (frozenset({"data"}), frozenset()),
    "hang": (frozenset({"seconds"}), frozenset()),
    "drop": (frozenset(), frozenset()),
}
# Faults that take the place of the whole answer; they apply before the file is even looked up.
EXCHANGE_FAULTS = frozenset({"status", "hang", "drop"})
# Faults that change how a body goes out; they apply only to answers that have one (GET with 200 or 206).
BODY_FAULTS = frozenset({"truncate", "trickle", "oversend"})


@dataclass
class RequestRecord:
    """One request as the server saw it, and what it answered.

    Mutable because it is filled in as the answer goes out: the record is in `BundleServer.requests` before the
    client can have read the answer's last byte, so a test that looks right after a call returns sees it whole.
    """

    method: str
    path: str  # the URL path as sent, without the query string
    headers: dict[str, str]  # as the client spelled them, e.g. "Range", "If-None-Match", "Authorization"
    status: int | None = None  # None: no answer (a "hang" or "drop" fault)
    body_bytes: int = 0


@dataclass
class _Fault:
    glob: str
    kind: str
    options: dict[str, Any]
    remaining: int | None  # None: every matching request


class RangeNotSatisfiable(Exception):
    """The Range starts at or past the end of the file: 416."""


@dataclass(frozen=True)
class _Representation:
    """What a path serves: a file on disk, or the bytes of a "replace" fault."""

    size: int
    etag: str
    last_modified: str | None = None
    mtime: int | None = None  # whole seconds, as Last-Modified has them
    file: Path | None = None
    data: bytes = b""

    def chunks(self, start: int, length: int) -> Generator[bytes, None, None]:
        if self.file is None:
            yield self.data[start : start + length]
            return
        with self.file.open("rb") as stream:
            stream.seek(start)
            while length > 0 and (chunk := stream.read(min(READ_SIZE, length))):
                length -= len(chunk)
                yield chunk


def file_representation(file: Path) -> _Representation:
    """ETag and Last-Modified of a file, nginx style: they change whenever its size or mtime does."""
    stat = file.stat()
    return _Representation(
        size=stat.st_size,
        etag=f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"',
        last_modified=email.utils.formatdate(stat.st_mtime, usegmt=True),
        mtime=int(stat.st_mtime),
        file=file,
    )


def resolve(root: Path, url_path: str) -> Path | None:
    """The regular file under `root` that `url_path` names, or None (404) for anything else, including every way
    of climbing out of `root`: "..", "%2e%2e", "..%2f" and symlinks pointing outside."""
    decoded = unquote(url_path)
    if "\x00" in decoded or ".." in decoded.split("/"):
        return None
    candidate = (root / decoded.lstrip("/")).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte of a single `Range: bytes=...`, or None to send the whole file.

    Like nginx, a header it does not understand (other units, several ranges, last < first) is ignored.
    Raises RangeNotSatisfiable when the range starts past the end.
    """
    if header is None:
        return None
    unit, _, spec = header.partition("=")
    first, dash, last = spec.strip().partition("-")
    if unit.strip().lower() != "bytes" or not dash or not all(p == "" or p.isdigit() for p in (first, last)):
        return None
    if first == "":  # bytes=-N: the last N bytes
        if last == "" or int(last) == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(0, size - int(last)), size - 1
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable
    return start, (min(int(last), size - 1) if last else size - 1)


def _pieces(chunks: Iterator[bytes], size: int) -> Iterator[bytes]:
    """Re-cut a stream of chunks into pieces of `size` bytes (the last may be shorter)."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        while len(pending) >= size:
            yield pending[:size]
            pending = pending[size:]
    if pending:
        yield pending


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real server: the client's connection pool gets exercised
    disable_nagle_algorithm = True  # so a trickle goes out piece by piece, not whenever the kernel sees fit
    server: _Server
    record: RequestRecord

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: `BundleServer.requests` is the log tests read."""

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _refuse_method(self) -> None:
        self._begin()
        self._simple(405, b"method not allowed\n", True, {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse_method

    def _begin(self) -> str:
        path = self.path.split("?", 1)[0]
        self.record = self.server.bundle._record(self.command, path, dict(self.headers.items()))
        return path

    def _answer(self, with_body: bool) -> None:
        bundle = self.server.bundle
        path = self._begin()
        token = bundle.require_token
        if token is not None and self.headers.get("Authorization") != f"Bearer {token}":
            self._simple(401, b"unauthorized\n", with_body, {"WWW-Authenticate": 'Bearer realm="bundle"'})
            return
        fault = bundle._take_fault(path, EXCHANGE_FAULTS)
        if fault is not None:
            self._exchange_fault(fault, with_body)
            return
        representation = self._representation(path)
        if representation is None:
            self._simple(404, b"not found\n", with_body)
            return
        headers = {"ETag": representation.etag, "Accept-Ranges": "bytes"}
        if representation.last_modified:
            headers["Last-Modified"] = representation.last_modified
        if self._not_modified(representation):
            # No Content-Length on a 304, as nginx: it would describe the 200 the client is not getting.
            self._start(304, headers)
            return
        headers["Content-Type"] = mimetypes.guess_type(path)[0] or "application/octet-stream"
        try:
            byte_range = parse_range(self._range_header(representation), representation.size)
        except RangeNotSatisfiable:
            self._simple(
                416, b"range not satisfiable\n", with_body, {"Content-Range": f"bytes */{representation.size}"}
            )
            return
        status, start, length = 200, 0, representation.size
        if byte_range is not None:
            status, start, length = 206, byte_range[0], byte_range[1] - byte_range[0] + 1
            headers["Content-Range"] = f"bytes {byte_range[0]}-{byte_range[1]}/{representation.size}"
        fault = bundle._take_fault(path, BODY_FAULTS) if with_body else None
        extra = fault.options["extra"] if fault is not None and fault.kind == "oversend" else 0
        headers["Content-Length"] = str(length + extra)
        self._start(status, headers)
        if with_body:
            chunks = representation.chunks(start, length)
            try:
                self._send_body(chunks, fault)
            finally:
                chunks.close()  # closes the file now, even when the client hung up mid-body

    def _representation(self, path: str) -> _Representation | None:
        fault = self.server.bundle._take_fault(path, {"replace"})
        if fault is not None:
            data: bytes = fault.options["data"]
            # Its own ETag, so that a client holding the real file's ETag is not told 304 about tampered bytes.
            return _Representation(size=len(data), etag=f'"r-{hashlib.sha256(data).hexdigest()[:16]}"', data=data)
        file = resolve(self.server.bundle.root, path)
        try:
            return file_representation(file) if file is not None else None
        except OSError:  # deleted between resolve and stat
            return None

    def _not_modified(self, representation: _Representation) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:  # when both are sent, If-None-Match decides (RFC 9110 13.1.3)
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or representation.etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since is None or representation.mtime is None:
            return False
        try:
            since = email.utils.parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return representation.mtime <= since.timestamp()

    def _range_header(self, representation: _Representation) -> str | None:
        """The Range header, unless an If-Range says the client's partial copy is of another version."""
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range not in (representation.etag, representation.last_modified):
            return None
        return self.headers.get("Range")

    def _exchange_fault(self, fault: _Fault, with_body: bool) -> None:
        if fault.kind == "status":
            code = fault.options["code"]
            self._simple(code, f"fault: HTTP {code}\n".encode(), with_body, fault.options.get("headers"))
            return
        self.close_connection = True
        if fault.kind == "hang":
            self.server.stopping.wait(fault.options["seconds"])
        # "drop", and a "hang" that is over: returning closes the connection without a byte of answer.

    def _send_body(self, chunks: Iterator[bytes], fault: _Fault | None) -> None:
        if fault is None or fault.kind == "oversend":
            for chunk in chunks:
                self._write(chunk)
            if fault is not None:
                self._write(b"\0" * fault.options["extra"])
        elif fault.kind == "truncate":
            left = fault.options["bytes"]
            for chunk in chunks:
                if left <= 0:
                    break
                self._write(chunk[:left])
                left -= len(chunk)
            self.close_connection = True  # the client was promised more; hanging up is what makes it short
        elif fault.kind == "trickle":
            for index, piece in enumerate(_pieces(chunks, fault.options.get("chunk", 1))):
                if index and self.server.stopping.wait(fault.options["delay"]):
                    self.close_connection = True  # stopped mid-body: hang up rather than keep stop() waiting
                    return
                self._write(piece)

    def _simple(self, status: int, payload: bytes, with_body: bool, headers: dict[str, str] | None = None) -> None:
        self._start(status, {"Content-Type": "text/plain", "Content-Length": str(len(payload)), **(headers or {})})
        if with_body:
            self._write(payload)

    def _start(self, status: int, headers: dict[str, str]) -> None:
        self.record.status = status  # before the headers leave: see RequestRecord
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _write(self, data: bytes) -> None:
        self.record.body_bytes += len(data)  # before the bytes leave: see RequestRecord
        try:
            self.wfile.write(data)
        except OSError:
            self.record.body_bytes -= len(data)
            raise


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its connections and handler threads, so that stop() can close them all."""

    allow_reuse_address = True  # a restart can take its old port back straight away
    daemon_threads = True
    block_on_close = False  # stop() joins the handler threads itself, after hanging up on their clients

    def __init__(self, address: tuple[str, int], bundle: BundleServer) -> None:
        self.bundle = bundle
        self.stopping = threading.Event()  # wakes "hang" and "trickle" faults at stop()
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._handlers: set[threading.Thread] = set()  # not _threads: ThreadingMixIn.server_close joins that one
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, a reverse DNS query that can stall in a sandbox.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address), daemon=True)
        with self._lock:
            self._connections.add(request)
            self._handlers.add(thread)
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)  # closes the connection when done
        finally:
            with self._lock:
                self._connections.discard(request)
                self._handlers.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-body is what fault tests do all day; only a real bug deserves a traceback.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)

    def hang_up_all(self, timeout: float = 5.0) -> None:
        """Wake every handler (idle keep-alive, mid-body, faulted) and wait for it to close its connection."""
        self.stopping.set()
        with self._lock:
            connections, threads = list(self._connections), list(self._handlers)
        for connection in connections:
            with contextlib.suppress(OSError):  # its handler closed it meanwhile
                connection.shutdown(socket.SHUT_RDWR)  # a blocked recv() returns, a blocked send() fails
        for thread in threads:
            thread.join(timeout)


class BundleServer:
    """A static file server on 127.0.0.1:<free port> serving `root`, in a background thread, with faults on demand.

    Answers GET and HEAD like nginx serving static files (ETag, Last-Modified, 304, single byte ranges, 404 for
    anything outside `root`). `start()` and `stop()` are safe to call twice; after a stop, `start()` binds the same
    port again, so a client keeps its URL across a simulated outage. Use it as a context manager.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.require_token: str | None = None  # when set, anything without "Authorization: Bearer <it>" gets 401
        self._lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._faults: list[_Fault] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    @property
    def url(self) -> str:
        """The base URL, http://127.0.0.1:PORT without a trailing slash; still valid after stop() (refused)."""
        if not self._port:
            raise RuntimeError("BundleServer.url is known once the server is started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request since the start or the last clear(), oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def start(self) -> BundleServer:
        if self._server is None:
            server = _Server(("127.0.0.1", self._port), self)
            self._port = server.server_address[1]
            # A short poll interval: shutdown() waits up to one of them, and every test stops a server.
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"BundleServer:{self._port}",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving, hang up on every client (even mid-fault), join all threads and close every socket."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = self._thread = None
        server.stopping.set()
        server.shutdown()  # no new connections once serve_forever has returned
        thread.join()
        server.hang_up_all()
        server.server_close()

    def __enter__(self) -> BundleServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def clear(self) -> None:
        """Forget the requests recorded so far."""
        with self._lock:
            self._requests.clear()

    def fault(self, path_glob: str, kind: str, **options: Any) -> None:
        """Break the answers for URL paths matching `path_glob` (fnmatch, "*" crosses "/"), e.g. "/objects/*".

        Kinds and their options:
            status (code, headers=None): answer `code` with a small text body and any extra headers.
            truncate (bytes): full headers, only `bytes` bytes of body, then hang up.
            trickle (delay, chunk=1): the body `chunk` bytes at a time, `delay` seconds apart.
            oversend (extra): the body then `extra` zero bytes, with a Content-Length that covers them.
            replace (data): serve `data` instead of the file (also where there is no file), with its own ETag.
            hang (seconds): read the request, send nothing for `seconds`, then hang up.
            drop: hang up at once without answering.
        `times=N` applies the fault to the first N requests it changes, then never again. Body faults (truncate,
        trickle, oversend) change only answers with a body (GET answered 200 or 206), so a HEAD, a 304 or a 404
        does not use one up; "replace" is used up by any GET or HEAD that gets past the faults that take the whole
        answer. The first matching fault added wins; 401s for a missing token come before any fault.

        Raises:
            ValueError: an unknown kind, a missing or unknown option, or times < 1.
        """
        if kind not in FAULT_OPTIONS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_OPTIONS)}")
        times = options.pop("times", None)
        required, optional = FAULT_OPTIONS[kind]
        if missing := required - options.keys():
            raise ValueError(f"fault {kind!r} needs {', '.join(sorted(missing))}")
        if unknown := options.keys() - required - optional:
            raise ValueError(f"fault {kind!r} takes no {', '.join(sorted(unknown))}")
        if times is not None and times < 1:
            raise ValueError(f"times must be at least 1, not {times}")
        with self._lock:
            self._faults.append(_Fault(path_glob, kind, options, times))

    def clear_faults(self) -> None:
        """Remove every fault: from now on, every answer is a normal one."""
        with self._lock:
            self._faults.clear()

    def _record(self, method: str, path: str, headers: dict[str, str]) -> RequestRecord:
        record = RequestRecord(method, path, headers)
        with self._lock:
            self._requests.append(record)
        return record

    def _take_fault(self, path: str, kinds: frozenset[str] | set[str]) -> _Fault | None:
        """The first fault of one of `kinds` matching `path`, counting it as used."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.remaining != 0 and fnmatch.fnmatchcase(path, fault.glob):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None
