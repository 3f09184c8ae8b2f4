"""The state folder (``state/``, ``/var/lib/signage/state`` on a screen): every file in it, named once.

Several processes share it: the player writes the status file, proof of play, the
screenshot and the video-length cache; ``signage sync`` writes ``sync/``; ``signage status``,
``report`` and ``screenshot`` read them. Every writer here replaces its file atomically
(:mod:`player.ops.atomic`), so a reader sees the old file or the new one.

Readers of files that only help (caches, the sync client's notes, the clock's hints) treat a
missing, torn or foreign file as empty: a power cut mid-write or a hand edit must never keep
the screen dark. ``read_status`` alone raises, because ``signage status`` says why it
cannot answer.

Layout::

    state/
      status.json            what the screen shows now (player.ops.status)
      screenshot.png         the last frame asked for by SIGUSR1
      video-durations.json   video lengths by content sha256 (player.content.durations)
      proof/                 proof-YYYY-MM-DD.jsonl, one line a play (player.ops.proof)
      prepared/              pictures decoded and fitted to the screen (player.media.prepared)
      gl.json                what GL this display has, asked once (player.render.glprobe)
      sync/                  the sync client's own (player.fleet.sync)
        manifest.json        the installed manifest, as signed
        http.json            its ETag and Last-Modified, for the next conditional GET
        installed.json       version, channel, expiry, signing key and files installed
        trust.json           the key trusted now: the pinned one, or one it handed on to
        last.json            when the last poll succeeded, and the last error
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

from player.ops.atomic import write_bytes_atomic
from player.ops.status import Status, read_status, write_status


def read_json_object(path: Path) -> dict[str, object]:
    """A JSON object from ``path``; ``{}`` if the file is missing, unreadable, torn or not an object."""
    try:
        value = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def write_json_atomic(path: Path, value: object, *, indent: int | None = None, sort_keys: bool = False) -> None:
    """Replace ``path`` with ``value`` as JSON (UTF-8, ASCII-escaped), atomically."""
    write_bytes_atomic(path, json.dumps(value, indent=indent, sort_keys=sort_keys).encode())


def read_durations(path: Path) -> dict[str, float]:
    """The video-length cache (``video-durations.json``): seconds by content sha256; non-numbers left out."""
    return {k: float(v) for k, v in read_json_object(path).items() if isinstance(v, int | float)}


def write_durations(path: Path, by_hash: Mapping[str, float]) -> None:
    write_json_atomic(path, dict(by_hash), indent=1, sort_keys=True)


@dataclass(frozen=True)
class Installed:
    """What ``signage sync`` installed last (``sync/installed.json``); all None before the first install."""

    version: int | None = None
    channel: str | None = None
    expires: str | None = None  # ISO 8601, as recorded after the signature was checked
    files: Mapping[str, str] | None = field(default=None, repr=False)  # logical path -> sha256
    key: str | None = None  # the id of the key that signed it: versions count per key

    def as_json(self) -> dict[str, object]:
        files = dict(self.files) if self.files is not None else None
        fields = {"version": self.version, "channel": self.channel, "expires": self.expires, "key": self.key}
        return {**fields, "files": files}


@dataclass(frozen=True)
class Trust:
    """``sync/trust.json``: the key a screen trusts now, and the pinned key it was reached from."""

    pinned: str | None = None  # the id of sync.pubkey when this was written
    key: str | None = None  # base64 of the trusted key's raw bytes


@dataclass(frozen=True)
class LastSync:
    """``sync/last.json``: when the last poll succeeded and the last error (None: the last poll worked)."""

    last_success: str | None = None  # ISO 8601
    last_error: str | None = None


@dataclass(frozen=True)
class StateDir:
    """The state folder: its files' names, and a typed reader and writer for each. Make one with :meth:`at`."""

    root: Path
    # The player's files.
    status: Path
    screenshot: Path
    video_durations: Path  # read and written with read_durations and write_durations
    proof: Path  # the folder; player.ops.proof.ProofLog names the files in it
    prepared: Path  # the folder; player.media.prepared.PreparedCache names the files in it
    gl_note: Path
    # The sync client's files, all under sync/.
    sync: Path
    manifest: Path
    http_validators: Path
    installed: Path
    trust: Path
    last_sync: Path

    @classmethod
    def at(cls, root: Path) -> StateDir:
        """The layout of the state folder at ``root`` (the module docstring draws it)."""
        sync = root / "sync"
        return cls(
            root=root,
            status=root / "status.json",
            screenshot=root / "screenshot.png",
            video_durations=root / "video-durations.json",
            proof=root / "proof",
            prepared=root / "prepared",
            gl_note=root / "gl.json",
            sync=sync,
            manifest=sync / "manifest.json",
            http_validators=sync / "http.json",
            installed=sync / "installed.json",
            trust=sync / "trust.json",
            last_sync=sync / "last.json",
        )

    def make(self) -> None:
        """Create the folder and ``sync/`` (watched by the player before sync first runs). Raises OSError."""
        self.sync.mkdir(parents=True, exist_ok=True)

    # -- the player's files -------------------------------------------------------------

    def read_status(self) -> dict[str, object]:
        """The status document. Raises OSError (no file) or ValueError (torn, not JSON): the caller says which."""
        return read_status(self.status)

    def write_status(self, status: Status) -> None:
        write_status(self.status, status)

    # -- the sync client's files --------------------------------------------------------

    def has_manifest(self) -> bool:
        return self.manifest.exists()

    def read_manifest(self) -> bytes:
        """The installed manifest as it was signed (OSError if there is none)."""
        return self.manifest.read_bytes()

    def write_manifest(self, data: bytes) -> None:
        """The manifest exactly as signed (it was verified before this is called)."""
        write_bytes_atomic(self.manifest, data)

    def manifest_issued(self) -> datetime | None:
        """When the installed manifest was issued; None without one, or if it cannot be read."""
        try:
            document = json.loads(self.manifest.read_bytes())
            issued = json.loads(document["payload"])["issued"]
            return datetime.fromisoformat(issued)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def manifest_signer(self) -> str | None:
        """The id of the key that signed the installed manifest, as its document says; None if unreadable."""
        key = read_json_object(self.manifest).get("key")
        return key if isinstance(key, str) else None

    def read_trust(self) -> Trust:
        data = read_json_object(self.trust)
        pinned, key = data.get("pinned"), data.get("key")
        return Trust(pinned if isinstance(pinned, str) else None, key if isinstance(key, str) else None)

    def write_trust(self, trust: Trust) -> None:
        write_json_atomic(self.trust, {"pinned": trust.pinned, "key": trust.key}, indent=1)

    def read_http_validators(self) -> dict[str, str]:
        """The last manifest response's ``etag`` and ``last_modified`` (text values only)."""
        return {k: v for k, v in read_json_object(self.http_validators).items() if isinstance(v, str)}

    def write_http_validators(self, validators: Mapping[str, str]) -> None:
        write_json_atomic(self.http_validators, dict(validators))

    def read_installed(self) -> Installed:
        data = read_json_object(self.installed)
        version, channel, expires, files, key = (
            data.get(k) for k in ("version", "channel", "expires", "files", "key")
        )
        return Installed(
            version if isinstance(version, int) else None,
            channel if isinstance(channel, str) else None,
            expires if isinstance(expires, str) else None,
            MappingProxyType({str(k): str(v) for k, v in files.items()}) if isinstance(files, dict) else None,
            key if isinstance(key, str) else None,
        )

    def write_installed(self, installed: Installed) -> None:
        write_json_atomic(self.installed, installed.as_json(), indent=1)

    def read_last_sync(self) -> LastSync:
        data = read_json_object(self.last_sync)
        success, error = data.get("last_success"), data.get("last_error")
        return LastSync(success if isinstance(success, str) else None, error if isinstance(error, str) else None)

    def record_sync(self, *, succeeded_at: str | None, error: str | None) -> None:
        """Note a poll in ``sync/last.json``: its time if it succeeded (else the last success stays), and its error.

        Raises OSError (the caller decides whether a full disk matters).
        """
        last = read_json_object(self.last_sync)
        if succeeded_at is not None:
            last["last_success"] = succeeded_at
        last["last_error"] = error
        write_json_atomic(self.last_sync, last)

