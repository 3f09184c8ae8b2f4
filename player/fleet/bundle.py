"""The published bundle: a signed manifest naming content-addressed objects.

Layout under a publish folder (any static web server or object store can serve it)::

    objects/<sha256>                     every file, stored once under its hash
    channels/<channel>/manifest.json     the signed manifest of one channel

``manifest.json`` is ``{"format": 1, "key": KEY_ID, "payload": "<JSON text>",
"signature": "<base64 Ed25519 signature of the payload's UTF-8 bytes>", "rotations": [...]}``.
Signing the payload text as it is avoids any question of how JSON is normalised. The payload
lists each logical path (``playlists/NAME.yaml`` or ``media/PATH``) with its sha256 and size,
the channel, a version, and when it was issued and expires.

``rotations`` (optional) is the key's history: statements, each signed by an old key, that
hand trust on to a new one (:func:`sign_rotation`). A screen that trusts an old key follows
them, one signature at a time, to the key that signed the manifest (:func:`verify_chain`).
Pure, apart from key files.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from player.core.errors import BundleError
from player.core.loader import is_playlist_file
from player.ops.atomic import write_bytes_atomic

FORMAT = 1
MAX_MANIFEST_BYTES = 8 * 1024 * 1024
MAX_FILES = 100_000
MAX_ROTATIONS = 64  # a key's history, carried in every manifest
ROTATION = "signage-key-rotation"  # a statement's type: no manifest payload can be taken for one
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHANNEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class FileEntry:
    path: str  # logical: playlists/NAME.yaml or media/PATH
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    channel: str
    version: int
    issued: datetime
    expires: datetime
    files: tuple[FileEntry, ...]

    def payload(self) -> bytes:
        document = {
            "channel": self.channel,
            "version": self.version,
            "issued": self.issued.astimezone(UTC).isoformat(),
            "expires": self.expires.astimezone(UTC).isoformat(),
            "files": {f.path: {"sha256": f.sha256, "size": f.size} for f in sorted(self.files, key=lambda f: f.path)},
        }
        return json.dumps(document, indent=1, sort_keys=True).encode("utf-8")


def channel_name(value: str) -> str:
    if not _CHANNEL.fullmatch(value):
        raise ValueError(f"{value!r} is not a channel name: letters, digits, '.', '_' and '-' (up to 64)")
    return value


def manifest_path(channel: str) -> str:
    """Where a channel's manifest lives, relative to the bundle's root."""
    return f"channels/{channel_name(channel)}/manifest.json"


_UNPORTABLE = '<>:"|?*'  # characters a FAT or exFAT USB stick, or an SMB share, cannot hold in a name


def check_distinct(paths: list[str]) -> None:
    """Refuse two paths that differ only in case: a case-insensitive filesystem holds one of them."""
    seen: dict[str, str] = {}
    for path in paths:
        other = seen.setdefault(path.casefold(), path)
        if other != path:
            raise BundleError(
                f"manifest paths {other!r} and {path!r} differ only in case: a screen whose folder is on a "
                "case-insensitive filesystem (a USB stick) would hold only one of them; rename one"
            )


def check_logical_path(path: str) -> str:
    """Refuse anything that could land outside the playlists and media folders."""
    pure = PurePosixPath(path)
    parts = pure.parts
    bad = (
        not path
        or "\\" in path
        or any(ord(char) < 32 or ord(char) == 127 for char in path)  # a newline, a NUL, an escape...
        or any(char in _UNPORTABLE for char in path)
        or any(part.endswith((" ", ".")) for part in parts)  # FAT and exFAT drop them: two names become one
        or pure.is_absolute()
        or ".." in parts
        or str(pure) != path
        or len(parts) < 2
        or any(part.startswith(".") for part in parts)
    )
    if bad:
        raise BundleError(
            f"manifest path {path!r} is not allowed (absolute, '..', hidden, a control character, one of "
            f"{_UNPORTABLE} that some filesystems cannot hold, a name ending in a dot or space, or malformed)"
        )
    if parts[0] == "playlists":
        if len(parts) != 2 or not is_playlist_file(parts[1]):
            raise BundleError(f"manifest path {path!r}: playlists must be playlists/NAME.yaml")
    elif parts[0] != "media":
        raise BundleError(f"manifest path {path!r} is outside the playlists and media folders")
    return path


@dataclass(frozen=True)
class Rotation:
    """A signed statement: the key ``old`` (an id) hands trust on to ``new`` from ``issued`` on."""

    old: str
    new: Ed25519PublicKey
    issued: datetime


def sign(manifest: Manifest, key: Ed25519PrivateKey, rotations: list[dict[str, str]] | None = None) -> bytes:
    """The manifest.json file for ``manifest``, signed with ``key``, carrying the key's history."""
    payload = manifest.payload()
    document: dict[str, object] = {
        "format": FORMAT,
        "key": key_id(key.public_key()),
        "payload": payload.decode("utf-8"),
        "signature": base64.b64encode(key.sign(payload)).decode("ascii"),
    }
    if rotations:
        document["rotations"] = rotations
    return json.dumps(document, indent=1).encode("utf-8") + b"\n"


def sign_rotation(old: Ed25519PrivateKey, new: Ed25519PublicKey, now: datetime) -> dict[str, str]:
    """The statement, signed with ``old``, that screens trusting it may trust ``new`` instead."""
    payload = json.dumps(
        {"type": ROTATION, "old": key_id(old.public_key()), "new": public_key_text(new), "issued": now.isoformat()},
        sort_keys=True,
    ).encode("utf-8")
    return {"payload": payload.decode("utf-8"), "signature": base64.b64encode(old.sign(payload)).decode("ascii")}


def read_rotation(statement: object, signer: Ed25519PublicKey) -> Rotation | None:
    """The rotation ``statement`` says, if ``signer`` signed it; None for one it did not sign."""
    if not isinstance(statement, dict):
        return None
    try:
        payload = statement["payload"].encode("utf-8")
        body = json.loads(payload)
        if body["type"] != ROTATION or body["old"] != key_id(signer):
            return None
        signer.verify(base64.b64decode(statement["signature"], validate=True), payload)
        return Rotation(body["old"], parse_public_key_text(body["new"]), _instant(body["issued"]))
    except (InvalidSignature, ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        return None


def verify(data: bytes, key: Ed25519PublicKey) -> Manifest:
    """Check a manifest.json's signature with ``key`` (or a key it rotated to) and parse it."""
    return verify_chain(data, key)[0]


def verify_chain(data: bytes, trusted: Ed25519PublicKey) -> tuple[Manifest, Ed25519PublicKey]:
    """Check a manifest.json's signature and parse it; also the key that signed it.

    That is ``trusted`` itself, or a key ``trusted`` handed on to through the document's
    rotation statements, each verified with the key before it: nobody without a trusted key
    can add a link.

    Raises:
        BundleError: oversized, malformed, signed by a key not reached from ``trusted``, or
            listing bad paths.
    """
    if len(data) > MAX_MANIFEST_BYTES:
        raise BundleError(f"manifest is {len(data):,} bytes, over the {MAX_MANIFEST_BYTES:,} byte cap")
    try:
        document = json.loads(data)
        payload = document["payload"].encode("utf-8")
        signature = base64.b64decode(document["signature"], validate=True)
        if document.get("format") != FORMAT:
            raise BundleError(f"manifest format {document.get('format')!r} is not supported (expected {FORMAT})")
        statements = document.get("rotations", [])
        if not isinstance(statements, list) or len(statements) > MAX_ROTATIONS:
            raise BundleError(f"manifest rotations must be a list of at most {MAX_ROTATIONS} statements")
    except RecursionError:  # json's nesting limit: "[[[[..." is no manifest, and must not end the service
        raise BundleError("manifest is not a signed manifest document: nested too deep") from None
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as error:
        raise BundleError(f"manifest is not a signed manifest document: {error}") from None
    signer = trusted
    for _ in range(len(statements) + 1):  # a cycle of statements (A to B to A) ends here too
        try:
            signer.verify(signature, payload)
            return parse_payload(payload), signer
        except InvalidSignature:
            pass
        handed_on = next((r for s in statements if (r := read_rotation(s, signer)) is not None), None)
        if handed_on is None:
            break
        signer = handed_on.new
    raise BundleError(
        f"manifest signature does not verify with the trusted public key {key_id(trusted)} nor any key it "
        "handed on to (tampered, or signed with another key)"
    )


def parse_payload(payload: bytes) -> Manifest:
    try:
        body = json.loads(payload)
        files = body["files"]
        if not isinstance(files, Mapping) or len(files) > MAX_FILES:
            raise BundleError("manifest files must be a mapping of at most 100,000 entries")
        entries = []
        for path, info in files.items():
            sha, size = info["sha256"], info["size"]
            if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
                raise BundleError(f"manifest entry {path!r}: sha256 must be 64 lowercase hex digits")
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise BundleError(f"manifest entry {path!r}: size must be a whole number of bytes")
            entries.append(FileEntry(check_logical_path(path), sha, size))
        check_distinct([entry.path for entry in entries])
        version = body["version"]
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise BundleError("manifest version must be a whole number from 1")
        return Manifest(
            channel=channel_name(body["channel"]),
            version=version,
            issued=_instant(body["issued"]),
            expires=_instant(body["expires"]),
            files=tuple(sorted(entries, key=lambda e: e.path)),
        )
    except BundleError:
        raise
    except RecursionError:  # only a signed payload gets here, but a publisher's bug must not end the service
        raise BundleError("manifest payload is malformed: nested too deep") from None
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise BundleError(f"manifest payload is malformed: {error}") from None


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"time {text!r} has no offset")
    return value.astimezone(UTC)


# -- keys -----------------------------------------------------------------------------------


def public_key_text(key: Ed25519PublicKey) -> str:
    """A public key as base64 of its 32 raw bytes (as rotation statements and trust.json hold it)."""
    return base64.b64encode(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def parse_public_key_text(text: str) -> Ed25519PublicKey:
    """The key :func:`public_key_text` wrote (ValueError if ``text`` is not one)."""
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_keys(folder: Path) -> tuple[Path, Path]:
    """Write ``publisher.key`` (private, mode 0600) and ``publisher.pub`` into ``folder``."""
    private_path, public_path = folder / "publisher.key", folder / "publisher.pub"
    if private_path.exists():
        raise FileExistsError(f"{private_path} exists; refusing to overwrite a signing key")
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    folder.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(private_path, private, mode=0o600)
    write_bytes_atomic(public_path, public, mode=0o644)
    return private_path, public_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The publisher's signing key; refused unless only its owner may read it (as ``keygen`` writes it)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise BundleError(f"cannot read the signing key {path}: {error}") from None
    if mode & 0o077:
        raise BundleError(
            f"the signing key {path} can be read by others (mode {stat.S_IMODE(mode):04o}): whoever read it can "
            f"sign content every screen installs. Run `chmod 600 {path}`, and if others may have read it, "
            "make a new key (docs/fleet.md, \"Rotating the key\")"
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise BundleError(f"cannot read the signing key {path}: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BundleError(f"{path} is not an Ed25519 private key (make one with `signage keygen`)")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, TypeError) as error:
        raise BundleError(f"cannot read the public key {path}: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BundleError(f"{path} is not an Ed25519 public key (publisher.pub from `signage keygen`)")
    return key
