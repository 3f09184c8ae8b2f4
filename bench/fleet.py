"""Sync polling: what a fleet of screens costs the server while nothing changes.

Publishes the repository's demo content (`signage keygen`, `signage publish`, run in the
repository) into a temporary folder and serves it with nginx on 127.0.0.1: the server block
of docs/fleet.md, one worker process, plus a stub_status page and an HTTPS twin of the server
with a throwaway self-signed certificate. One real `SyncClient` installs the bundle into a
temporary screen folder. Then 200 logical screens poll for 30 s, each calling the real
client's `sync_once()` every second with the client's own ±20 % jitter: a 60 s interval
compressed 60 times, so nginx sees about 200 polls a second, more than the 167 a second of a
10,000-screen fleet polling every 60 s. A few threads serve the screens in turn, each with
its own client and `requests.Session`; on the unchanged path the client only reads its state
files, so they share the one screen folder. A shorter run (5 s) does the same over HTTPS.

Measured on the client: polls, polls per second, the share answered 304, HTTP latency
(request sent to response headers in, `Response.elapsed`) and each poll's bytes (status line,
headers and body, rebuilt from what the client parsed; the request likewise). Cross-checks:
one unchanged poll and one full manifest download sent by hand over a raw socket (exactly
what nginx wrote), nginx's request and connection counts (stub_status), nginx's CPU time, and
the loopback interface's byte count (TCP/IP headers, handshakes and TLS included). From the
bytes per poll it prices a 10,000-screen fleet. Goal: every poll answered 304, at no less
than that fleet's 167 polls/s.

    .venv/bin/python bench/fleet.py [--seconds 30] [--tls-seconds 5] [--screens 200] [--interval 1] [--threads 8]

Loopback only; every loop ends by a deadline; nginx is stopped on the way out, whatever
happened. Prints its row and writes bench/results/fleet.json.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import ipaddress
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import common
import psutil
import requests
from common import Row

from player.core.errors import BundleError, SyncError
from player.fleet.bundle import load_public_key, manifest_path
from player.fleet.sync import SyncClient, SyncSettings
from player.ops.hashing import sha256_file

CHANNEL = "default"
JITTER = (0.8, 1.2)  # the client's own: SyncClient.run waits interval * uniform(0.8, 1.2)
FLEET_SCREENS = 10_000
FLEET_INTERVAL_S = 60.0
FLEET_BOOT_SPREAD_S = 30.0  # SyncClient.run's first poll: uniform(0, min(interval, 30)) after start
STATUS_PATH = "/nginx-status"  # the benchmark's addition to the documented server block


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the screens poll (default 30)")
    parser.add_argument("--tls-seconds", type=float, default=5.0, help="the same over HTTPS (default 5; 0: skip)")
    parser.add_argument("--screens", type=int, default=200, help="logical screens (default 200)")
    parser.add_argument("--interval", type=float, default=1.0, help="each screen's poll interval, s (default 1)")
    parser.add_argument("--threads", type=int, default=8, help="threads serving the screens (default 8)")
    options = parser.parse_args()
    if not (0 < options.seconds <= 600 and 0 <= options.tls_seconds <= 600):
        parser.error("--seconds must be in (0, 600] and --tls-seconds in [0, 600]")
    if not (1 <= options.screens <= 100_000 and options.interval >= 0.01 and 1 <= options.threads <= 64):
        parser.error("--screens must be in [1, 100000], --interval at least 0.01, --threads in [1, 64]")
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as scratch_name:
        scratch = Path(scratch_name)
        scratch.chmod(0o755)  # nginx's worker runs as nobody when started by root: it must reach out/
        out, pubkey = publish_demo(scratch)
        with nginx(out, scratch / "nginx") as server:
            first = first_sync(server.url, pubkey, scratch / "screen")
            wire = wire_probe(server.url, first.pop("request_headers"))
            polling = poll(server, server.url, pubkey, scratch / "screen", options, options.seconds)
            tls = (
                poll(server, server.tls_url, pubkey, scratch / "screen", options, options.tls_seconds, server.cert)
                if options.tls_seconds
                else None
            )
        data: dict[str, Any] = {
            "settings": vars(options),
            "machine": {"cores": os.cpu_count(), "nginx": server.version, "nginx_workers": 1},
            "bundle": bundle_size(out),
            "first_sync": first,
            "wire": wire,
            "polling": polling,
            "polling_https": tls,
        }
    data["fleet"] = fleet(data)
    rows, notes = summarise(data)
    common.report("fleet", rows, notes, data)
    return 0


# -- the bundle ----------------------------------------------------------------------------


def publish_demo(scratch: Path) -> tuple[Path, Path]:
    """keygen + publish the repository's playlists/ and media/ (its config names the folders)."""
    script = Path(sys.executable).with_name("signage")  # .venv/bin/signage
    signage = [str(script)] if script.exists() else common.SIGNAGE
    keys, out = scratch / "keys", scratch / "out"
    for args in (["keygen", str(keys)], ["publish", "--key", str(keys / "publisher.key"), "--out", str(out)]):
        done = subprocess.run([*signage, *args], cwd=common.REPO, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"signage {args[0]} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return out, keys / "publisher.pub"


def bundle_size(out: Path) -> dict[str, int]:
    objects = [path for path in (out / "objects").iterdir() if not path.name.startswith(".")]
    return {
        "objects": len(objects),
        "object_bytes": sum(path.stat().st_size for path in objects),
        "manifest_bytes": (out / manifest_path(CHANNEL)).stat().st_size,
    }


# -- nginx ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    url: str
    tls_url: str
    cert: Path
    process: subprocess.Popen[bytes]
    version: str

    def cpu_seconds(self) -> float:
        master = psutil.Process(self.process.pid)
        total = 0.0
        for process in (master, *master.children(recursive=True)):
            with contextlib.suppress(psutil.NoSuchProcess):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def counters(self) -> dict[str, int]:
        """nginx's own counts (stub_status): connections accepted and requests served so far."""
        words = requests.get(self.url + STATUS_PATH, timeout=5).text.split()
        at = words.index("requests") + 1  # "... server accepts handled requests A H R Reading: ..."
        return {"accepted": int(words[at]), "requests": int(words[at + 2])}


NGINX_CONF = """daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  types {{ application/json json; }}
  default_type application/octet-stream;
  server {{
    listen 127.0.0.1:{port};
    listen 127.0.0.1:{tls_port} ssl;
    ssl_certificate {folder}/cert.pem;
    ssl_certificate_key {folder}/key.pem;
    root {root};
    location /objects/ {{ add_header Cache-Control "public, max-age=31536000, immutable"; }}
    location /channels/ {{ add_header Cache-Control "no-cache"; }}
    location = {status} {{ stub_status; }}
  }}
}}
"""


@contextlib.contextmanager
def nginx(root: Path, folder: Path) -> Iterator[Server]:
    """nginx serving ``root`` on two free loopback ports (HTTP, HTTPS); stopped on the way out."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    folder.mkdir(parents=True)
    port, tls_port = free_port(), free_port()
    self_signed(folder / "cert.pem", folder / "key.pem")
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(folder=folder, port=port, tls_port=tls_port, root=root, status=STATUS_PATH))
    version = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10).stderr.strip()
    process = subprocess.Popen(
        [binary, "-c", str(conf), "-e", str(folder / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 10
        while not _listening(port) or not _listening(tls_port):
            if process.poll() is not None or time.monotonic() > deadline:
                log = folder / "error.log"
                raise RuntimeError(f"nginx did not start: {log.read_text()[-1000:] if log.exists() else ''}")
            time.sleep(0.05)
        yield Server(
            f"http://127.0.0.1:{port}",
            f"https://127.0.0.1:{tls_port}",
            folder / "cert.pem",
            process,
            version.removeprefix("nginx version: "),
        )
    finally:
        common.stop(process)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def self_signed(cert_path: Path, key_path: Path) -> None:
    """A one-day ECDSA P-256 certificate for 127.0.0.1 (a public CA's chain would add an intermediate)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


# -- one real screen -----------------------------------------------------------------------


def screen_client(url: str, pubkey: Path, screen: Path, session: requests.Session) -> SyncClient:
    settings = SyncSettings(url=url, pubkey=load_public_key(pubkey), channel=CHANNEL, interval=FLEET_INTERVAL_S)
    folders = [screen / name for name in ("playlists", "media", "state")]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    return SyncClient(settings, *folders, session=session)


def first_sync(url: str, pubkey: Path, screen: Path) -> dict[str, Any]:
    """Install the bundle once, check it arrived intact, and keep what an unchanged poll sends."""
    session = requests.Session()
    seen: list[requests.Response] = []
    session.hooks["response"].append(lambda response, *args, **kwargs: seen.append(response))
    client = screen_client(url, pubkey, screen, session)
    started = time.perf_counter()
    outcome = client.sync_once()
    seconds = time.perf_counter() - started
    for folder in ("playlists", "media"):
        for path in (common.REPO / folder).iterdir():
            copy = screen / folder / path.name
            if path.is_file() and not path.name.startswith(".") and sha256_file(path) != _sha_or_none(copy):
                raise RuntimeError(f"the first sync did not install {folder}/{path.name} intact")
    if not client.sync_once().not_modified:
        raise RuntimeError("the poll right after the first sync was not answered 304")
    session.close()
    validators = json.loads((screen / "state" / "sync" / "http.json").read_text())
    return {
        "version": outcome.version,
        "downloaded": outcome.downloaded,
        "downloaded_bytes": outcome.downloaded_bytes,
        "seconds": round(seconds, 3),
        "etag": validators.get("etag"),
        "last_modified": validators.get("last_modified"),
        "request_headers": dict(seen[-1].request.headers),  # the 304 poll's: what every unchanged poll sends
    }


def _sha_or_none(path: Path) -> tuple[str, int] | None:
    return sha256_file(path) if path.exists() else None


def wire_probe(url: str, headers: dict[str, str]) -> dict[str, Any]:
    """One unchanged poll and one full manifest download sent by hand: the exact bytes each way."""
    host = url.removeprefix("http://")
    unconditional = {k: v for k, v in headers.items() if k.lower() not in ("if-none-match", "if-modified-since")}
    result: dict[str, Any] = {}
    for name, sent in (("poll_304", headers), ("manifest_200", unconditional)):
        head = f"GET /{manifest_path(CHANNEL)} HTTP/1.1\r\nHost: {host}\r\n"
        request = (head + "".join(f"{k}: {v}\r\n" for k, v in sent.items()) + "\r\n").encode("latin-1")
        response = _exchange(host, request)
        response_head = response.partition(b"\r\n\r\n")[0].decode("latin-1")
        result[name] = {
            "status": int(response_head.split()[1]),
            "request_bytes": len(request),
            "response_bytes": len(response),
            "response_header_bytes": len(response_head) + 4,
            "response_head": response_head,
        }
    return result


def _exchange(host: str, request: bytes) -> bytes:
    """Send ``request``; read one response: headers, then Content-Length bytes unless it is a 304."""
    address, port = host.rsplit(":", 1)
    with socket.create_connection((address, int(port)), timeout=5) as connection:
        connection.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            data += connection.recv(65536) or b"\r\n\r\n"
        head = data.partition(b"\r\n\r\n")[0]
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length" and head.split()[1] != b"304":
                length = int(value)
        while len(data) < len(head) + 4 + length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


# -- the fleet -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Poll:
    status: int  # 0: the client raised
    late_s: float  # how long after its due time the poll started
    http_s: float  # request sent to response headers in
    wall_s: float  # the whole sync_once() call
    request_bytes: int
    response_bytes: int


class Schedule:
    """When each logical screen polls next: one heap shared by the threads that serve the screens."""

    def __init__(self, screens: int, interval: float, started: float, deadline: float) -> None:
        rng = random.Random(20240101)
        self._heap = [(started + rng.uniform(0, interval), screen) for screen in range(screens)]
        heapq.heapify(self._heap)
        self._deadline = deadline
        self._lock = threading.Lock()

    def take(self) -> tuple[float, int] | None:
        """The screen due soonest, or None once nothing is due before the deadline."""
        with self._lock:
            if not self._heap or self._heap[0][0] >= self._deadline:
                return None
            return heapq.heappop(self._heap)

    def put(self, due: float, screen: int) -> None:
        with self._lock:
            heapq.heappush(self._heap, (due, screen))


@dataclass
class Worker:
    """One thread's client, and what it saw."""

    client: SyncClient
    polls: list[Poll] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    last: dict[str, Any] = field(default_factory=dict)

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.last = {
            "status": response.status_code,
            "http_s": response.elapsed.total_seconds(),
            "response_bytes": response_bytes(response),
            "request_bytes": request_bytes(response.request),
        }


def response_bytes(response: requests.Response) -> int:
    """Status line + headers + body as they came over the wire, rebuilt from what http.client parsed."""
    original = response.raw._original_response  # http.client.HTTPResponse: headers in order, as sent
    assert original is not None, "urllib3 keeps the http.client response it parsed"
    status_line = f"HTTP/{original.version // 10}.{original.version % 10} {original.status} {original.reason}\r\n"
    head = len(status_line) + sum(len(name) + len(value) + 4 for name, value in original.msg.items()) + 2
    return head + (0 if response.status_code == 304 else int(response.headers.get("Content-Length", 0)))


def request_bytes(request: requests.PreparedRequest) -> int:
    """Request line + the Host header http.client adds + the headers requests prepared."""
    line = f"{request.method} {request.path_url} HTTP/1.1\r\nHost: {(request.url or '').split('/')[2]}\r\n"
    return len(line) + sum(len(k) + len(v) + 4 for k, v in request.headers.items()) + 2


def poll(
    server: Server,
    url: str,
    pubkey: Path,
    screen: Path,
    options: argparse.Namespace,
    seconds: float,
    verify: Path | None = None,
) -> dict[str, Any]:
    """``options.screens`` screens poll ``url`` for ``seconds``; every thread ends by the deadline."""
    workers = []
    for _ in range(min(options.threads, options.screens)):
        session = requests.Session()
        # No proxies or CA bundle from the environment: $REQUESTS_CA_BUNDLE would override
        # session.verify (a known requests quirk), and a proxy has no business on loopback.
        session.trust_env = False
        if verify is not None:
            session.verify = str(verify)
        worker = Worker(screen_client(url, pubkey, screen, session))
        session.hooks["response"].append(worker.hook)
        workers.append(worker)
    stop = threading.Event()
    before = (server.counters(), server.cpu_seconds(), _loopback(), time.monotonic())
    deadline = before[3] + seconds
    schedule = Schedule(options.screens, options.interval, before[3], deadline)

    def serve(worker: Worker, seed: int) -> None:
        jitter = random.Random(seed)
        while not stop.is_set() and (item := schedule.take()) is not None:
            due, number = item
            if stop.wait(max(0.0, due - time.monotonic())):
                return
            began = time.monotonic()
            worker.last = {}
            try:
                status = 304 if worker.client.sync_once().not_modified else worker.last.get("status", 200)
            except (SyncError, BundleError, OSError) as error:
                status = 0
                worker.errors.append(str(error))
            ended = time.monotonic()
            worker.polls.append(
                Poll(
                    status,
                    began - due,
                    worker.last.get("http_s", ended - began),
                    ended - began,
                    worker.last.get("request_bytes", 0),
                    worker.last.get("response_bytes", 0),
                )
            )
            schedule.put(ended + options.interval * jitter.uniform(*JITTER), number)

    threads = [threading.Thread(target=serve, args=(w, n), daemon=True) for n, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join(max(0.1, deadline + 30 - time.monotonic()))  # 30 s: past the client's own timeouts
    finally:
        stop.set()
    elapsed = time.monotonic() - before[3]
    after = (server.counters(), server.cpu_seconds(), _loopback())
    for worker in workers:
        worker.client.session.close()
    polls = [p for w in workers for p in w.polls]
    errors = [e for w in workers for e in w.errors]
    answered = [p for p in polls if p.status]
    count = len(polls) or 1
    http_ms = [p.http_s * 1000 for p in answered] or [float("nan")]
    loopback_bytes = after[2] - before[2]
    return {
        "url": url,
        "polls": len(polls),
        "seconds": round(elapsed, 2),
        "polls_per_s": round(len(polls) / elapsed, 1),
        "offered_polls_per_s": round(options.screens / options.interval, 1),
        "answered_304": sum(1 for p in polls if p.status == 304),
        "answered_other": sum(1 for p in polls if p.status not in (0, 304)),
        "failed": len(errors),
        "errors": sorted(set(errors))[:5],
        "share_304": round(sum(1 for p in polls if p.status == 304) / count, 6),
        "latency_ms": {
            "mean": round(statistics.fmean(http_ms), 2),
            "median": round(common.median(http_ms), 2),
            "p95": round(common.percentile(http_ms, 0.95), 2),
            "max": round(max(http_ms), 2),
        },
        "sync_once_median_ms": round(common.median([p.wall_s * 1000 for p in answered]), 2),
        "late_ms": {
            "median": round(common.median([p.late_s * 1000 for p in polls]), 2),
            "p95": round(common.percentile([p.late_s * 1000 for p in polls], 0.95), 2),
        },
        "response_bytes_per_poll": round(statistics.fmean([p.response_bytes for p in answered] or [0]), 1),
        "request_bytes_per_poll": round(statistics.fmean([p.request_bytes for p in answered] or [0]), 1),
        # Everything on lo while the screens polled, both ways, with TCP/IP headers, handshakes and
        # TLS: an upper bound (anything else on loopback meanwhile counts too), divided per poll.
        "loopback_bytes_per_poll": round(loopback_bytes / count),
        "nginx": {
            # after - before counts the second stub_status request itself: take it off.
            "requests": after[0]["requests"] - before[0]["requests"] - 1,
            "connections_accepted": after[0]["accepted"] - before[0]["accepted"] - 1,
            "cpu_s": round(after[1] - before[1], 3),
            "cpu_ms_per_1000_polls": round(1e6 * (after[1] - before[1]) / count, 1),
        },
    }


def _loopback() -> int:
    """Bytes received on lo so far (on loopback every byte sent is also received once)."""
    for line in Path("/proc/net/dev").read_text().splitlines():
        name, _, counters = line.partition(":")
        if name.strip() == "lo":
            return int(counters.split()[0])
    return 0


# -- the 10,000-screen fleet ---------------------------------------------------------------


def fleet(data: dict[str, Any]) -> dict[str, Any]:
    """A 10,000-screen fleet polling every 60 s (±20 %), priced with the bytes measured here."""
    polling, tls, manifest = data["polling"], data["polling_https"], data["wire"]["manifest_200"]
    response, request = polling["response_bytes_per_poll"], polling["request_bytes_per_poll"]
    rate = FLEET_SCREENS / FLEET_INTERVAL_S  # the jitter spreads polls; the mean interval stays 60 s
    day = 86400

    def per_s(size: float) -> dict[str, float]:
        return {"kbit_per_s": round(rate * size * 8 / 1000, 1), "gb_per_day": round(rate * size * day / 1e9, 2)}

    return {
        "screens": FLEET_SCREENS,
        "interval_s": FLEET_INTERVAL_S,
        "jitter": "interval x uniform(0.8, 1.2): polls 48-72 s apart, 60 s on average",
        "requests_per_s": round(rate, 1),
        "requests_per_day": round(rate * day),
        "requests_per_s_after_fleet_wide_boot": round(FLEET_SCREENS / FLEET_BOOT_SPREAD_S, 1),
        "http_response": per_s(response),
        "http_request": per_s(request),
        "loopback_both_ways_tcp": per_s(polling["loopback_bytes_per_poll"]),
        "loopback_both_ways_tls": per_s(tls["loopback_bytes_per_poll"]) if tls else None,
        "nginx_cpu_share_of_one_core": round(polling["nginx"]["cpu_ms_per_1000_polls"] * rate / 1e6, 4),
        "content_change": {
            "manifest_download_bytes": manifest["response_bytes"],
            "fleet_manifest_bytes": manifest["response_bytes"] * FLEET_SCREENS,
            "demo_objects_bytes": data["bundle"]["object_bytes"],
            "fleet_first_install_bytes": (data["bundle"]["object_bytes"] + manifest["response_bytes"]) * FLEET_SCREENS,
        },
    }


# -- the row -------------------------------------------------------------------------------


def summarise(data: dict[str, Any]) -> tuple[list[Row], str]:
    settings, polling, tls, wire, fleet_ = (
        data["settings"],
        data["polling"],
        data["polling_https"],
        data["wire"],
        data["fleet"],
    )
    latency, nginx_ = polling["latency_ms"], polling["nginx"]
    target = FLEET_SCREENS / FLEET_INTERVAL_S
    passed = polling["polls"] > 0 and polling["answered_304"] == polling["polls"] and polling["polls_per_s"] >= target
    row = Row(
        f"Sync polling ({settings['screens']} screens, unchanged content, nginx; "
        f"every {settings['interval']:g} s ±20%, {settings['seconds']:g} s)",
        f"{polling['polls_per_s']:.0f} polls/s, {polling['response_bytes_per_poll']:.0f} bytes/poll, "
        f"304 share {100 * polling['share_304']:.1f}%, p95 {latency['p95']:.1f} ms",
        f"all 304, ≥ {target:.0f} polls/s (10,000 screens every 60 s)",
        passed,
    )
    first, bundle, change = data["first_sync"], data["bundle"], fleet_["content_change"]
    notes = (
        f"**Fleet.** nginx {data['machine']['nginx']} (one worker) served the published demo bundle "
        f"({bundle['objects']} objects, {bundle['object_bytes']:,} bytes; manifest {bundle['manifest_bytes']:,} bytes) "
        f"on loopback; the first real sync installed it ({first['downloaded']} files) in "
        f"{first['seconds'] * 1000:.0f} ms. Then {settings['screens']} screens on {settings['threads']} threads, "
        f"each poll the real `SyncClient.sync_once()`, made {polling['polls']:,} polls in {polling['seconds']:.0f} s: "
        f"{polling['polls_per_s']:.0f}/s of the {polling['offered_polls_per_s']:.0f}/s offered (polls began "
        f"{polling['late_ms']['p95']:.1f} ms after their due time at p95), {polling['answered_304']:,} answered 304, "
        f"{polling['answered_other']} otherwise, {polling['failed']} failed. HTTP latency median "
        f"{latency['median']:.2f} ms, p95 {latency['p95']:.2f}, max {latency['max']:.1f}; the whole unchanged "
        f"`sync_once()` {polling['sync_once_median_ms']:.2f} ms median. An unchanged poll is "
        f"{polling['response_bytes_per_poll']:.0f} bytes back (status line and headers: a 304 has no body) and "
        f"{polling['request_bytes_per_poll']:.0f} bytes out; sent by hand over a raw socket, nginx wrote "
        f"{wire['poll_304']['response_bytes']} bytes for it and {wire['manifest_200']['response_bytes']:,} for a full "
        f"manifest download. nginx counted {nginx_['requests']:,} requests on {nginx_['connections_accepted']:,} new "
        f"connections: the client closes its connection after every 304 (the body of a streamed response is never "
        f"read, so requests closes instead of pooling it), so each poll also pays a TCP handshake: "
        f"{polling['loopback_bytes_per_poll']:,} bytes per poll on the loopback interface, both ways, with TCP/IP "
        f"headers"
        + (
            f"; over HTTPS (TLS 1.3, a self-signed P-256 certificate, {tls['polls']:,} polls, "
            f"{100 * tls['share_304']:.1f}% 304, p95 {tls['latency_ms']['p95']:.1f} ms) a full TLS handshake per poll "
            f"makes it {tls['loopback_bytes_per_poll']:,} bytes"
            if tls
            else ""
        )
        + f". nginx used {nginx_['cpu_s']:.2f} s of CPU ({nginx_['cpu_ms_per_1000_polls']:.0f} ms per 1000 polls). "
        f"A 10,000-screen fleet polling every 60 s (±20% jitter) makes {fleet_['requests_per_s']:.0f} requests/s "
        f"({fleet_['requests_per_s_after_fleet_wide_boot']:.0f}/s for the first 30 s after a fleet-wide power cut): "
        f"{fleet_['http_response']['kbit_per_s']:.0f} kbit/s of HTTP responses "
        f"({fleet_['http_response']['gb_per_day']:.2f} GB a day), "
        f"{fleet_['loopback_both_ways_tcp']['kbit_per_s']:.0f} kbit/s on the wire both ways"
        + (f", {fleet_['loopback_both_ways_tls']['kbit_per_s']:.0f} kbit/s over HTTPS" if tls else "")
        + f"; one nginx worker would spend about {100 * fleet_['nginx_cpu_share_of_one_core']:.1f}% of a core on it "
        f"(plain HTTP). A content change costs each screen one manifest ({change['manifest_download_bytes']:,} bytes "
        f"here) plus the changed objects, once: the whole demo bundle to 10,000 screens is "
        f"{change['fleet_first_install_bytes'] / 1e9:.1f} GB."
    )
    return [row], notes


if __name__ == "__main__":
    sys.exit(main())
