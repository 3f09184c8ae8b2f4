"""The sync client: pulls a signed bundle into the hot folder, safely.

Runs as its own process, so a stalled network can never freeze the screen; the folders are
the only thing it shares with the player. Nothing unverified reaches them:

1. One conditional GET of the channel's manifest (ETag / Last-Modified): unchanged content
   costs one 304.
2. The manifest must verify with the pinned key, not be older than what is installed (a
   rollback), not be expired, and name only paths inside playlists/ and media/.
3. Files whose sha256 differs from the disk are streamed to hidden temporary files in the
   target folder (same filesystem), capped at the declared size, resumed with Range after
   an interruption, and hash-checked.
4. Media are installed first and playlists last, each by fsync + atomic rename, so the
   player never sees a playlist whose media are missing. Files this client installed
   earlier and the manifest no longer lists are then removed (never files put there by
   hand). The installed manifest is saved last.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import logging
import os
import random
import shutil
import stat
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import BinaryIO, TextIO

import requests
import urllib3
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from player.core.errors import BundleError, StorageError, SyncError
from player.fleet.bundle import (
    MAX_MANIFEST_BYTES,
    FileEntry,
    Manifest,
    key_id,
    manifest_path,
    parse_public_key_text,
    public_key_text,
    verify_chain,
)
from player.ops.atomic import fsync_folder
from player.ops.hashing import sha256_file
from player.ops.statedir import Installed, StateDir, Trust

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
PARTIAL_PREFIX = ".sync-"
MAX_REDIRECTS = 5  # within the configured origin (SyncClient._get)
ALIVE_EVERY_S = 5.0  # how often a waiting client says it is alive (SyncClient._wait)
CLOCK_SKEW = timedelta(hours=1)  # how far behind a publisher's clock a screen's may be (SyncClient._check_clock)


@dataclass(frozen=True)
class SyncSettings:
    url: str
    pubkey: Ed25519PublicKey
    channel: str = "default"
    token: str | None = None
    interval: float = 60.0
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    max_backoff: float = 900.0
    # A whole poll (the manifest and every object) gives up after this: a server that trickles
    # a byte every few seconds never trips the read timeout, and would hold the poll for ever.
    poll_deadline: float = 600.0
    # And a transfer slower than this, over a whole window, is given up at once: the deadline
    # alone would let a server hold a screen's poll for ten minutes every time.
    min_rate: float = 512.0  # bytes a second
    rate_window: float = 30.0  # seconds


@dataclass(frozen=True)
class SyncOutcome:
    version: int | None
    not_modified: bool = False
    downloaded: int = 0
    downloaded_bytes: int = 0
    installed: int = 0
    removed: int = 0


class SyncClient:
    """One screen's sync: :meth:`sync_once` does a poll; :meth:`run` loops with back-off."""

    def __init__(
        self,
        settings: SyncSettings,
        playlists: Path,
        media: Path,
        state: Path,
        *,
        session: requests.Session | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        progress: TextIO | None = None,
        alive: Callable[[], None] = lambda: None,
        report: Callable[[str], None] = lambda _: None,
    ) -> None:
        """``alive`` is called while the client makes progress (each piece of a body, each
        file, and while it waits between polls), so a service manager's watchdog can tell a
        poll that hangs (a DNS lookup that never returns) from a long one; ``report`` gets a
        line after every poll (systemd's STATUS=)."""
        self.settings = settings
        self.folders = {"playlists": playlists, "media": media}
        self.state = StateDir.at(state)
        self.session = session or requests.Session()
        self._now = now
        self._progress = progress
        self._alive = alive
        self._report = report
        self._complete_short = False
        self._deadline = float("inf")  # the current poll's, by time.monotonic (sync_once)
        self._trusted = self._trusted_key()

    def _trusted_key(self) -> Ed25519PublicKey:
        """The key manifests must lead back to: the pinned one, or the one it last handed on to.

        A pinned key other than the one trust.json was reached from is the operator re-pinning
        (the way out of a compromised key): trust starts again from it, and versions count
        afresh from its first manifest.
        """
        pinned = self.settings.pubkey
        trust = self.state.read_trust()
        if trust.pinned == key_id(pinned) and trust.key:
            try:
                return parse_public_key_text(trust.key)
            except ValueError:
                log.warning("%s is damaged: trusting the pinned key %s again", self.state.trust, key_id(pinned))
        elif trust.pinned is not None:
            log.warning(
                "the pinned key is now %s (it was %s): trusting it from now on, with versions counted afresh "
                "from its first manifest",
                key_id(pinned),
                trust.pinned,
            )
        return pinned

    # -- one poll --------------------------------------------------------------------------

    def sync_once(self) -> SyncOutcome:
        """Poll once and install a new manifest if there is one.

        Raises:
            SyncError: the server could not be reached or answered wrongly (retry later).
            BundleError: the manifest or an object was refused (kept the content on disk).
        """
        self._deadline = time.monotonic() + self.settings.poll_deadline
        installed = self.state.read_installed()
        data, validators = self._fetch_manifest()
        if data is None:
            self._check_unchanged(installed)
            return SyncOutcome(installed.version, not_modified=True)
        manifest, signer = verify_chain(data, self._trusted)
        self._check(manifest, installed, key_id(signer))
        outcome = self._install(manifest, installed, key_id(signer))
        self.state.write_manifest(data)
        self.state.write_http_validators(validators)
        self._trust(signer)
        return outcome

    def _trust(self, signer: Ed25519PublicKey) -> None:
        """Record the key that signed what was just installed as the one to trust from now on."""
        pinned = key_id(self.settings.pubkey)
        if key_id(signer) != key_id(self._trusted):
            log.warning(
                "trusting key %s from now on: key %s handed on to it in a signed statement; manifests signed "
                "by the old key are refused",
                key_id(signer),
                key_id(self._trusted),
            )
        if self.state.read_trust() != Trust(pinned, public_key_text(signer)):
            self.state.write_trust(Trust(pinned, public_key_text(signer)))
        self._trusted = signer

    def _check(self, manifest: Manifest, installed: Installed, signer: str, floor: datetime | None = None) -> None:
        """Refuse ``manifest`` for another channel, a rollback, a wrong clock, a replay or its expiry.

        ``floor``: the installed manifest's issue time when the caller has it at hand (a 304
        has just read and verified it); otherwise it is read from the state folder.
        """
        if manifest.channel != self.settings.channel:
            raise BundleError(f"manifest is for channel {manifest.channel!r}, not {self.settings.channel!r}")
        # Versions count per channel: a screen moved to another channel takes that channel's newest.
        same_channel = installed.channel in (None, manifest.channel)
        # And per key: a new key (handed on to, or pinned anew by the operator) starts its own
        # count, so the version 10^18 a leaked key signed does not lock out the new key's content.
        same_key = (installed.key or self.state.manifest_signer()) in (None, signer)
        current = installed.version if same_channel and same_key else None
        if current is not None and manifest.version < current:
            raise BundleError(
                f"manifest version {manifest.version} is older than the installed {current}: refused as a rollback"
                " (to go back, publish the old content as a new version)"
            )
        if current is not None and manifest.version == current and installed.files != _file_map(manifest):
            raise BundleError(f"manifest version {current} was installed with different files: refused")
        if same_key:  # a leaked key's far-future issue time must not stop the clock for the new key
            self._check_clock(manifest, same_channel, floor if floor is not None else self.state.manifest_issued())
        if manifest.expires <= self._now():
            raise BundleError(f"manifest version {manifest.version} expired at {manifest.expires.isoformat()}")

    def _check_clock(self, manifest: Manifest, same_channel: bool, floor: datetime | None) -> None:
        """The installed manifest's issue time is a floor for time itself.

        A clock well before it (more than :data:`CLOCK_SKEW`: publisher and screen clocks differ a
        little) is wrong (set back, or a board without a battery booted at an old date),
        and with it any expiry check: a manifest that expired weeks ago would look valid. And a
        manifest of the same channel issued before the installed one is a replay.
        """
        if floor is None:
            return
        now = self._now()
        if now < floor - CLOCK_SKEW:
            raise BundleError(
                f"the clock says {now.isoformat()}, before the installed manifest was issued "
                f"({floor.isoformat()}): the clock is wrong, so expiry cannot be checked, and nothing is "
                "installed until it is right (check time sync: timedatectl)"
            )
        if same_channel and manifest.issued < floor:
            raise BundleError(
                f"manifest version {manifest.version} was issued at {manifest.issued.isoformat()}, before the "
                f"installed one ({floor.isoformat()}): refused as a replay"
            )

    def _check_unchanged(self, installed: Installed) -> None:
        """A 304: the installed manifest is still what the server serves. Believe it only anew.

        It is verified again with the pinned key (the key may have been re-pinned since) and
        checked as a new one would be, expiry included: nothing in installed.json, which is
        not signed, is trusted on its own. A manifest that no longer verifies drops the HTTP
        validators, so the next poll fetches the server's manifest in full.
        """
        try:
            saved, signer = verify_chain(self.state.read_manifest(), self._trusted)
        except OSError as error:
            self.state.write_http_validators({})  # so the next poll asks without them, and gets it whole
            raise SyncError(f"installed manifest unreadable ({error}); the next poll fetches it in full") from None
        except BundleError as error:
            self.state.write_http_validators({})
            raise BundleError(f"installed manifest refused: {error}") from None
        if saved.expires <= self._now():
            raise BundleError(
                f"manifest version {saved.version} expired at {saved.expires.isoformat()} and the server "
                "still serves it: the publisher must publish again (signage publish renews it)"
            )
        if installed.version is not None:
            # The same channel and files as installed, not a rollback; the clock not before it.
            self._check(saved, installed, key_id(signer), floor=saved.issued)

    def _past_deadline(self, what: str) -> None:
        """Raise SyncError once the poll's deadline has passed (called as bytes arrive)."""
        self._alive()
        if time.monotonic() > self._deadline:
            raise SyncError(
                f"{what}: the poll's {self.settings.poll_deadline:.0f} s deadline passed (the server is too "
                "slow: treated as down); the content stays, and the next poll resumes"
            )

    def _pace(self, what: str) -> Pace:
        return Pace(what, self.settings.min_rate, self.settings.rate_window)

    def _fetch_manifest(self) -> tuple[bytes | None, dict[str, str]]:
        url = f"{self.settings.url.rstrip('/')}/{manifest_path(self.settings.channel)}"
        headers = self._auth()
        cached = self.state.read_http_validators()
        if self.state.has_manifest():
            if cached.get("etag"):
                headers["If-None-Match"] = cached["etag"]
            if cached.get("last_modified"):
                headers["If-Modified-Since"] = cached["last_modified"]
        conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
        try:
            with self._get(url, headers) as response:
                if response.status_code == 304:
                    _ = response.content  # read the (empty) body, so the connection is reused
                    if not conditional:
                        raise SyncError(
                            f"manifest: the server answered 304 Not Modified to a request that was not "
                            f"conditional ({url}): ignored (a broken cache or proxy in between?)"
                        )
                    return None, cached
                if response.status_code != 200:
                    raise SyncError(f"manifest: HTTP {response.status_code} from {url}")
                data = bytearray()
                pace = self._pace("manifest")
                for chunk in _arriving(response):
                    self._past_deadline("manifest")
                    pace.arrived(len(chunk))
                    data += chunk
                    if len(data) > MAX_MANIFEST_BYTES:
                        raise BundleError(f"manifest from {url} is over the {MAX_MANIFEST_BYTES:,} byte cap")
                validators = {
                    "etag": response.headers.get("ETag", ""),
                    "last_modified": response.headers.get("Last-Modified", ""),
                }
                return bytes(data), validators
        except requests.RequestException as error:
            raise SyncError(f"manifest: {_reason(error)} ({url})") from None

    # -- installing ------------------------------------------------------------------------

    def _install(self, manifest: Manifest, installed: Installed, signer: str) -> SyncOutcome:
        ready: dict[str, Path] = {}  # sha256 -> a verified temporary file
        needed = [entry for entry in manifest.files if not self._on_disk(entry)]
        self._clear_the_way(needed, manifest, installed)
        downloaded_bytes = 0
        try:
            for entry in needed:
                self._alive()
                if entry.sha256 not in ready:
                    ready[entry.sha256] = self._download(entry)
                    downloaded_bytes += entry.size
            # Media before playlists: a playlist never lands before the files it names.
            order = sorted(needed, key=lambda e: (not e.path.startswith("media/"), e.path))
            uses = {sha: sum(1 for e in order if e.sha256 == sha) for sha in ready}
            for entry in order:
                uses[entry.sha256] -= 1
                self._place(entry, ready[entry.sha256], last_use=uses[entry.sha256] == 0)
        except StorageError:
            # This version cannot be installed now: give the space back to the player.
            for verified in ready.values():
                verified.unlink(missing_ok=True)
            raise
        removed = self._remove_obsolete(manifest, installed)
        self.state.write_installed(
            Installed(manifest.version, manifest.channel, manifest.expires.isoformat(), _file_map(manifest), signer)
        )
        if needed or removed:
            log.info(
                "installed version %d: %d file(s) downloaded (%d bytes), %d removed",
                manifest.version,
                len(ready),
                downloaded_bytes,
                removed,
            )
        return SyncOutcome(manifest.version, False, len(ready), downloaded_bytes, len(needed), removed)

    def _target(self, logical: str) -> Path:
        """Where ``logical`` goes; SyncError if a folder on the way is a symbolic link.

        Sync never writes, nor deletes, through a link: one planted at ``media/campaign`` would
        take both outside the folder.
        """
        top, _, rest = logical.partition("/")
        here = self.folders[top]
        for part in PurePosixPath(rest).parts[:-1]:
            here = here / part
            if here.is_symlink():
                raise SyncError(f"{logical}: {here} is a symbolic link; sync never writes through one: remove it")
        return self.folders[top] / rest

    def _clear_the_way(self, needed: list[FileEntry], manifest: Manifest, installed: Installed) -> None:
        """Make room where a file goes and a folder stands, or a folder goes and a file stands.

        What stands in the way is removed only if nothing is lost: an empty folder, a file this
        client installed that the new manifest drops, or this client's own temporary files. A
        legitimate bundle changes shape this way (media/promo a file in one version, a folder in
        the next). Anything else (a folder someone filled by hand) refuses the version, by
        name, before a byte is downloaded; the content on screen stays as it is.
        """
        keep = {entry.path for entry in manifest.files}
        dropped = {self._target(p): sha for p, sha in (installed.files or {}).items() if p not in keep}

        def ours(path: Path) -> bool:
            if not stat.S_ISREG(path.lstat().st_mode):
                return False
            return path.name.startswith(PARTIAL_PREFIX) or (
                path in dropped and sha256_file(path)[0] == dropped[path]
            )

        obstacles = [found for entry in needed if (found := self._in_the_way(entry)) is not None]
        for path, entry in obstacles:
            inside = [Path(root, name) for root, _, names in os.walk(path) for name in names]
            if not all(ours(file) for file in (inside if path.is_dir() else [path])):
                kind = "a folder" if path.is_dir() else "a file"
                goes = "a file" if path == self._target(entry.path) else "a folder"
                raise SyncError(
                    f"{self._logical(path, entry)} is {kind} on this screen, where version {manifest.version} puts "
                    f"{goes} ({entry.path}): move it away; the content on screen stays as it is until then"
                )
        for path, _ in obstacles:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
            log.info("removed %s: version %d puts another kind of entry there", path, manifest.version)

    def _in_the_way(self, entry: FileEntry) -> tuple[Path, FileEntry] | None:
        """A file where ``entry`` needs a folder, or a folder where it goes; None if the way is clear."""
        target = self._target(entry.path)  # refuses folders that are links
        top = self.folders[entry.path.partition("/")[0]]
        for folder in reversed(target.parents[: len(target.relative_to(top).parts) - 1]):
            if not folder.exists():
                return None
            if not folder.is_dir():
                return folder, entry
        # A file, a FIFO or a link there is replaced by the rename, unread and unfollowed.
        return (target, entry) if target.is_dir() and not target.is_symlink() else None

    def _logical(self, path: Path, entry: FileEntry) -> str:
        top = entry.path.partition("/")[0]
        return f"{top}/{path.relative_to(self.folders[top]).as_posix()}"

    def _on_disk(self, entry: FileEntry) -> bool:
        """Whether ``entry`` is in place: a plain file with its hash (nothing else is read: a FIFO would block)."""
        self._alive()  # hashing a hundred thousand files takes a while
        target = self._target(entry.path)
        try:
            info = target.lstat()
            if not stat.S_ISREG(info.st_mode) or info.st_size != entry.size:
                return False
            return sha256_file(target)[0] == entry.sha256
        except OSError:
            return False

    def _download(self, entry: FileEntry) -> Path:
        """Stream one object to a hidden temporary file next to its target and verify it."""
        target = self._target(entry.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.parent / f"{PARTIAL_PREFIX}{entry.sha256}.part"
        try:
            info: os.stat_result | None = partial.lstat()
        except FileNotFoundError:
            info = None
        have = info.st_size if info is not None else 0
        # The .sync- names are this client's: anything but a plain file there (a link planted to
        # have object bytes appended to a file elsewhere) is removed, and the download starts over.
        if info is not None and (not stat.S_ISREG(info.st_mode) or have > entry.size):
            partial.unlink()
            have = 0
        url = f"{self.settings.url.rstrip('/')}/objects/{entry.sha256}"
        if have < entry.size or entry.size == 0:
            have = self._fetch_object(url, entry, partial, have)
        if have != entry.size:
            if self._complete_short:
                partial.unlink(missing_ok=True)
                raise BundleError(f"{entry.path}: the server sent {have} bytes, not the {entry.size} declared: refused")
            raise SyncError(f"{entry.path}: got {have} of {entry.size} bytes; will resume")
        if sha256_file(partial)[0] != entry.sha256:
            partial.unlink()
            raise BundleError(f"{entry.path}: content does not match its sha256 in the manifest (tampered?): refused")
        return partial

    def _fetch_object(self, url: str, entry: FileEntry, partial: Path, have: int) -> int:
        headers = self._auth()
        self._complete_short = False
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            with self._get(url, headers) as response:
                have, mode = _resume_from(response, entry, partial, have, url)
                # Keep every byte that arrived before a cut (urllib3 would drop the last read),
                # so the next try resumes from where this one stopped.
                response.raw.enforce_content_length = False
                received = 0
                pace = self._pace(entry.path)
                with _open_partial(partial, mode) as handle:
                    try:
                        for chunk in _arriving(response):
                            self._past_deadline(f"{entry.path}: stopped at byte {have}")
                            pace.arrived(len(chunk))
                            if have + len(chunk) > entry.size:
                                handle.close()
                                partial.unlink()
                                raise BundleError(
                                    f"{entry.path}: the server sent more than the {entry.size} bytes declared: refused"
                                )
                            handle.write(chunk)
                            have += len(chunk)
                            received += len(chunk)
                            self._show_progress(entry, have)
                        # A whole response (its own Content-Length met) that is still short of the
                        # manifest's size is not a broken connection but wrong content.
                        declared = response.headers.get("Content-Length", "")
                        whole = declared.isdigit() and received >= int(declared)
                        self._complete_short = whole and have < entry.size
                    finally:
                        if not handle.closed:
                            handle.flush()
                            os.fsync(handle.fileno())
        except SyncError:
            raise
        except requests.RequestException as error:
            raise SyncError(f"{entry.path}: {_reason(error)}; will resume from byte {have}") from None
        except OSError as error:  # the write side: disk full, read-only, quota
            partial.unlink(missing_ok=True)
            raise _storage_error(entry, partial.parent, error) from None
        finally:
            self._end_progress()
        return have

    def _place(self, entry: FileEntry, source: Path, last_use: bool) -> None:
        """Put a verified file in place by fsync + atomic rename (a copy if others need it too)."""
        target = self._target(entry.path)
        # Its folder may not exist yet: an object shared by several names was downloaded next to the first.
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _storage_error(entry, target.parent, error) from None
        if last_use:
            os.replace(source, target)
        else:
            temporary = target.parent / f"{PARTIAL_PREFIX}{entry.sha256}.{os.getpid()}.copy"
            try:
                shutil.copyfile(source, temporary)
                with temporary.open("rb") as handle:
                    os.fsync(handle.fileno())
            except OSError as error:
                temporary.unlink(missing_ok=True)
                raise _storage_error(entry, target.parent, error) from None
            os.replace(temporary, target)
        fsync_folder(target.parent)

    def _remove_obsolete(self, manifest: Manifest, installed: Installed) -> int:
        """Remove files this client installed that the new manifest no longer lists."""
        keep = {entry.path for entry in manifest.files}
        removed = 0
        for logical, sha in (installed.files or {}).items():
            if logical in keep:
                continue
            target = self._target(logical)
            try:
                if not stat.S_ISREG(target.lstat().st_mode):
                    continue  # replaced by hand (and a FIFO must never be read)
                if sha256_file(target)[0] != sha:
                    continue  # changed by hand since: not ours any more
                target.unlink()
                removed += 1
            except OSError:
                continue
        return removed

    # -- plumbing --------------------------------------------------------------------------

    def _auth(self) -> dict[str, str]:
        """The headers of every GET: the token, and no compression (objects are pictures and videos,
        compressed already; an uncompressed body cannot be a decompression bomb)."""
        headers = {"Accept-Encoding": "identity"}
        if self.settings.token:
            headers["Authorization"] = f"Bearer {self.settings.token}"
        return headers

    def _get(self, url: str, headers: dict[str, str]) -> requests.Response:
        """A streamed GET that follows redirects only within the configured URL's origin.

        Not requests' own following: it goes to any host (a cloud's metadata address, another
        scheme, https to http). A redirect elsewhere is refused before anything connects there.
        """
        origin = _origin(self.settings.url)
        for _ in range(MAX_REDIRECTS + 1):
            response = self.session.get(
                url, headers=headers, stream=True, timeout=self._timeouts(), allow_redirects=False
            )
            if not response.is_redirect:
                return response
            target = urllib.parse.urljoin(url, response.headers.get("Location", ""))
            response.close()
            if _origin(target) != origin:
                raise SyncError(
                    f"redirect from {url} to {target} refused: sync follows redirects only within "
                    f"{origin[0]}://{origin[1]}:{origin[2]} (the URL in sync.url)"
                )
            url = target
        raise SyncError(f"more than {MAX_REDIRECTS} redirects from {url}")

    def _timeouts(self) -> tuple[float, float]:
        return (self.settings.connect_timeout, self.settings.read_timeout)

    def _show_progress(self, entry: FileEntry, have: int) -> None:
        if self._progress is not None and entry.size:
            width = 30
            done = int(width * have / entry.size)
            bar = "#" * done + "." * (width - done)
            self._progress.write(f"\r{entry.path[:40]:40} [{bar}] {have / 2**20:6.1f}/{entry.size / 2**20:.1f} MB")
            self._progress.flush()

    def _end_progress(self) -> None:
        if self._progress is not None:
            self._progress.write("\n")
            self._progress.flush()

    # -- the loop --------------------------------------------------------------------------

    def _record(self, error: str | None) -> None:
        """state/sync/last.json: when the last poll succeeded, and the last error (for status)."""
        with contextlib.suppress(OSError):
            self.state.record_sync(succeeded_at=self._now().isoformat() if error is None else None, error=error)

    def run(self, stop: threading.Event, *, once: bool = False, first_delay: float | None = None) -> int:
        """Poll until ``stop`` is set; with ``once``, poll once and return 0 or 1."""
        failures = 0
        if not once:
            # A fleet that boots together (after a power cut) must not poll in step.
            delay = random.uniform(0, min(self.settings.interval, 30.0)) if first_delay is None else first_delay
            if self._wait(stop, delay):
                return 0
        while True:
            error = self._poll()
            if error is None:
                failures = 0
            else:
                failures += 1
                if once:
                    log.error("sync failed: %s", error)
                    return 1
                delay = min(self.settings.max_backoff, 5.0 * 2 ** (failures - 1)) * random.uniform(0.5, 1.0)
                log.warning("sync failed: %s; keeping the content on disk, retrying in %.0f s", error, delay)
                if self._wait(stop, delay):
                    return 0
                continue
            if once:
                return 0
            if self._wait(stop, self.settings.interval * random.uniform(0.8, 1.2)):
                return 0

    def _wait(self, stop: threading.Event, seconds: float) -> bool:
        """``stop.wait(seconds)``, saying it is alive every few seconds meanwhile."""
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            self._alive()
            if stop.wait(min(left, ALIVE_EVERY_S)):
                return True
        self._alive()
        return stop.is_set()

    def _poll(self) -> Exception | None:
        """One poll, recorded in last.json; what it failed with, if it did. Never raises: whatever
        one poll raises (a bug included), the service logs it and polls on."""
        try:
            outcome = self.sync_once()
        except (SyncError, BundleError, OSError) as error:
            self._record(str(error))
            self._report(f"last poll failed: {error}"[:200])
            return error
        except Exception as error:
            log.error("sync: unexpected %s in a poll (a bug worth reporting)", type(error).__name__, exc_info=True)
            failure = SyncError(f"unexpected {type(error).__name__}: {error}")
            self._record(str(failure))
            self._report(f"last poll failed: {failure}"[:200])
            return failure
        self._record(None)
        self._report(f"version {outcome.version} installed; last poll at {self._now():%Y-%m-%d %H:%M:%S %Z} worked")
        if outcome.not_modified:
            log.debug("manifest unchanged (version %s)", outcome.version)
        return None


class Pace:
    """Gives a transfer up (SyncError) when a whole window passes below the minimum rate."""

    def __init__(self, what: str, min_rate: float, window: float) -> None:
        self.what, self.min_rate, self.window = what, min_rate, window
        self._since = time.monotonic()
        self._bytes = 0

    def arrived(self, count: int) -> None:
        self._bytes += count
        now = time.monotonic()
        elapsed = now - self._since
        if elapsed < self.window:
            return
        if self._bytes < self.min_rate * elapsed:
            raise SyncError(
                f"{self.what}: {self._bytes} bytes in {elapsed:.0f} s, under the minimum of {self.min_rate:.0f} bytes "
                "a second (a server or link too slow to finish: treated as down); the next poll resumes"
            )
        self._since, self._bytes = now, 0


def _origin(url: str) -> tuple[str, str, int]:
    """A URL's scheme, host and port (the default port when it names none)."""
    parts = urllib.parse.urlsplit(url)
    return (parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80))


def token_in_clear(url: str) -> bool:
    """Whether a bearer token sent to ``url`` would cross a network unencrypted: plain http to
    anything but this machine (loopback, where a local proxy or a test server listens)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http":
        return False
    host = parts.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a name: it may resolve anywhere


def _open_partial(partial: Path, mode: str) -> BinaryIO:
    """The partial file for appending ("ab") or from the start ("wb"), never through a link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_APPEND if mode == "ab" else os.O_TRUNC)
    handle: BinaryIO = os.fdopen(os.open(partial, flags, 0o644), mode)  # type: ignore[assignment]
    return handle


def _arriving(response: requests.Response) -> Iterator[bytes]:
    """A body piece by piece as the socket delivers it (at most CHUNK bytes each).

    Not ``iter_content``: it waits until a whole 64 KB chunk has arrived, so a server that
    trickles a byte every few seconds would hold it for hours without the poll's deadline
    ever being looked at. ``read1`` returns what the next read brings.
    """
    while True:
        # urllib3's errors become requests' ones, as iter_content has them (the callers catch those).
        try:
            chunk = response.raw.read1(CHUNK)
        except urllib3.exceptions.ReadTimeoutError as error:
            raise requests.ConnectionError(error) from error
        except urllib3.exceptions.ProtocolError as error:
            raise requests.exceptions.ChunkedEncodingError(error) from error
        except urllib3.exceptions.SSLError as error:
            raise requests.exceptions.SSLError(error) from error
        if not chunk:
            return
        yield chunk


def _resume_from(response: requests.Response, entry: FileEntry, partial: Path, have: int, url: str) -> tuple[int, str]:
    """Where the answer to an object GET starts (and so how to open the partial file), or SyncError."""
    if response.status_code == 200:
        return 0, "wb"  # the server ignored the Range: start again
    if response.status_code == 206 and have:
        return have, "ab"
    if response.status_code == 416:
        partial.unlink(missing_ok=True)
    raise SyncError(f"{entry.path}: HTTP {response.status_code} from {url}")


def _file_map(manifest: Manifest) -> dict[str, str]:
    return {entry.path: entry.sha256 for entry in manifest.files}


def _storage_error(entry: FileEntry, folder: Path, error: OSError) -> StorageError:
    why = error.strerror or str(error)
    hint = "free some space" if error.errno in (errno.ENOSPC, errno.EDQUOT) else "check the folder"
    return StorageError(
        f"{entry.path}: cannot write to {folder}: {why}; the download was removed and the content "
        f"on screen is unchanged ({hint}, the next sync tries again)"
    )


def _reason(error: requests.RequestException) -> str:
    # A timeout while reading the body comes wrapped in a ConnectionError by requests.
    if isinstance(error, requests.Timeout) or "timed out" in str(error).lower():
        return "timed out"
    if isinstance(error, requests.ConnectionError):
        return "cannot connect or the connection broke"
    return type(error).__name__

