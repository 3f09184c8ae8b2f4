"""Publishing: the playlists and media folders become a signed static bundle.

Every file is stored once under ``objects/<sha256>``; the channel's manifest names them.
Objects are written before the manifest, so a server never lists a file it does not have.
Re-publishing unchanged content writes nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from player.content.folder import load_folder, missing_media, playlist_files
from player.core.errors import BundleError, ContentError, Location, MediaError, Problem
from player.fleet.bundle import (
    MAX_ROTATIONS,
    FileEntry,
    Manifest,
    check_distinct,
    check_logical_path,
    key_id,
    manifest_path,
    parse_payload,
    public_key_text,
    sign,
    sign_rotation,
    verify,
)
from player.media.files import check_in_folder, refusal
from player.ops.atomic import write_bytes_atomic
from player.ops.hashing import sha256_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishResult:
    version: int
    files: int
    new_objects: int
    unchanged: bool  # the content was already published: nothing was written


def collect(playlists: Path, media: Path, default_timezone: str) -> list[tuple[str, Path]]:
    """The files to publish as (logical path, file); refuses content that fails validation.

    Only plain files inside the two folders: a symbolic link (it could point at the signing
    key or /etc/shadow, and its target would be served to every screen), a FIFO or a device
    (reading it would never end) is a problem, like a playlist that fails validation.
    """
    result = load_folder(playlists, default_timezone)
    problems = [*result.problems, *missing_media(result.playlists, media)]
    files = [(f"playlists/{path.name}", path) for path in playlist_files(playlists)]
    for root, dirs, names in os.walk(media):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                path = Path(root, name)
                files.append((f"media/{path.relative_to(media).as_posix()}", path))
    for logical, path in files:
        try:
            check_in_folder(path, media if logical.startswith("media/") else playlists)
            check_logical_path(logical)  # what screens would refuse, refused here first
        except MediaError as error:
            problems.append(Problem(Location(str(path), 1, 1), logical, f"not published: {refusal(error, path)}"))
        except BundleError as error:
            problems.append(Problem(Location(str(path), 1, 1), logical, f"not published: {error}"))
    try:
        check_distinct([logical for logical, _ in files])
    except BundleError as error:
        problems.append(Problem(Location(str(media), 1, 1), "media", f"not published: {error}"))
    if problems:
        raise ContentError(problems)
    return files


def publish(
    files: list[tuple[str, Path]],
    out: Path,
    key: Ed25519PrivateKey,
    *,
    channel: str,
    now: datetime,
    expires: timedelta,
    renew: bool = False,
    new_key: bool = False,
    rotate_from: Ed25519PrivateKey | None = None,
) -> PublishResult:
    """Write the objects and the signed manifest of ``files`` into ``out``.

    With ``rotate_from`` (the old private key), first sign the statement that hands trust on
    from it to ``key``, and keep it in ``out/keys/rotations.json``: every manifest published
    from then on carries the key's whole history, so a screen that still trusts any earlier
    key follows it to this one, and no screen needs its pinned key replaced.

    Raises:
        BundleError: the last manifest here was signed by another key (screens pinned to
            that key would refuse this one) and neither ``new_key`` nor a rotation statement
            says this is a rotation.
    """
    manifest_file = out / manifest_path(channel)
    rotations = _read_rotations(out)
    if rotate_from is not None:
        found = _previous(manifest_file, rotate_from)  # the old key's manifest, verified with it
        _hand_on(out, rotations, rotate_from, key, now)
        new_key = True
    else:
        found = _previous(manifest_file, key)
    previous = found[0] if found else None
    if found and _is_rotation(manifest_file, found[1], key, new_key or _handed_to(rotations, found[1], key)):
        renew = True  # the same content must be signed again, with the new key
    entries, new_objects = _write_objects(files, out / "objects")
    current = tuple(sorted(entries, key=lambda e: e.path))
    if previous is not None and previous.files == current and not renew and previous.expires > now:
        return PublishResult(previous.version, len(current), new_objects, unchanged=True)
    version = previous.version + 1 if previous else 1
    manifest = Manifest(channel=channel, version=version, issued=now, expires=now + expires, files=current)
    previous_mtime = int(manifest_file.stat().st_mtime) if manifest_file.exists() else None
    write_bytes_atomic(manifest_file, sign(manifest, key, rotations))
    if previous_mtime is not None and int(manifest_file.stat().st_mtime) <= previous_mtime:
        # Web servers derive ETag and Last-Modified from whole-second mtimes (and size): a
        # same-size manifest rewritten within the second would look unchanged to every screen.
        later = previous_mtime + 1
        os.utime(manifest_file, (later, later))
    return PublishResult(version, len(current), new_objects, unchanged=False)


def _write_objects(files: list[tuple[str, Path]], objects: Path) -> tuple[list[FileEntry], int]:
    """Each file under ``objects/<sha256>``, unless it is there intact; the entries, and how many were written."""
    entries = []
    new_objects = 0
    objects.mkdir(parents=True, exist_ok=True)
    for logical, path in files:
        digest, size = sha256_file(path)
        target = objects / digest
        # An object already here is believed only if it still hashes to its name (a corrupted
        # one would otherwise be served, and refused by every screen, for ever).
        if not _intact(target, digest, size):
            temporary = objects / f".{digest}.tmp"
            shutil.copyfile(path, temporary)
            os.replace(temporary, target)
            new_objects += 1
        entries.append(FileEntry(logical, digest, size))
    return entries, new_objects


def _hand_on(
    out: Path, rotations: list[dict[str, str]], old: Ed25519PrivateKey, new: Ed25519PrivateKey, now: datetime
) -> None:
    """Add the statement handing trust on from ``old`` to ``new`` to ``rotations`` and to ``out``."""
    if key_id(old.public_key()) == key_id(new.public_key()):
        raise BundleError("--rotate-from names the key being published with: give the old key")
    if not _handed_to(rotations, key_id(old.public_key()), new):  # not twice when run again
        rotations.append(sign_rotation(old, new.public_key(), now))
    write_bytes_atomic(_rotations_file(out), json.dumps(rotations, indent=1).encode() + b"\n")


def _rotations_file(out: Path) -> Path:
    return out / "keys" / "rotations.json"


def _read_rotations(out: Path) -> list[dict[str, str]]:
    """The rotation statements kept in ``out`` (signed, so screens check each; only their shape is checked here)."""
    path = _rotations_file(out)
    if not path.exists():
        return []
    try:
        statements = json.loads(path.read_bytes())
        if not isinstance(statements, list) or not all(
            isinstance(s, dict) and isinstance(s.get("payload"), str) and isinstance(s.get("signature"), str)
            for s in statements
        ):
            raise ValueError("not a list of signed statements")
    except (OSError, ValueError, RecursionError) as error:
        raise BundleError(
            f"{path} cannot be read ({error}): put back the last good copy (every published manifest carries "
            "the same list, under \"rotations\")"
        ) from None
    if len(statements) >= MAX_ROTATIONS:
        raise BundleError(f"{path} holds {len(statements)} rotations, the most a manifest carries")
    return statements


def _handed_to(rotations: list[dict[str, str]], old: str | None, key: Ed25519PrivateKey) -> bool:
    """Whether a statement in ``rotations`` names ``old`` handing on to ``key`` (checked by screens, not here)."""
    ours = public_key_text(key.public_key())
    for statement in rotations:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            body = json.loads(statement["payload"])
            if body.get("old") == old and body.get("new") == ours:
                return True
    return False


def _is_rotation(manifest_file: Path, signed_by: str | None, key: Ed25519PrivateKey, new_key: bool) -> bool:
    """True if ``key`` is not the one that signed the last manifest; refused unless ``new_key``."""
    ours = key_id(key.public_key())
    if signed_by and signed_by != ours and not new_key:
        raise BundleError(
            f"{manifest_file} was signed by key {signed_by}, and this key is {ours}: screens that pin the "
            "old key would refuse every update. Use the old key, or, to rotate keys, follow docs/fleet.md "
            '"Rotating the key": pass --rotate-from OLD_KEY (screens follow by themselves), or --new-key '
            "once every screen is re-pinned"
        )
    return bool(signed_by) and signed_by != ours


def _previous(manifest_file: Path, key: Ed25519PrivateKey) -> tuple[Manifest, str | None] | None:
    """The manifest last published here and the id of the key that signed it.

    One that names this key must verify with it: the out folder is a web server's, and a
    manifest someone else wrote there (version 10^18, say) must not become the base of the
    next version. One signed by another key is a rotation (:func:`_is_rotation` decides).
    """
    if not manifest_file.exists():
        return None
    try:
        data = manifest_file.read_bytes()
        document = json.loads(data)
        signed_by = document.get("key")
        if signed_by in (None, key_id(key.public_key())):
            return verify(data, key.public_key()), signed_by
        return parse_payload(document["payload"].encode("utf-8")), signed_by
    except BundleError as error:
        raise BundleError(
            f"{manifest_file} is not signed by this key ({error}): someone else wrote it, or it is damaged. "
            "Find out how it got there, then put back the last good one: every screen keeps a copy "
            "as signed, in its state folder (sync/manifest.json)"
        ) from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise BundleError(
            f"{manifest_file} exists but cannot be read ({error}); move it away to start the versions again"
        ) from None


def _intact(target: Path, digest: str, size: int) -> bool:
    try:
        return target.stat().st_size == size and sha256_file(target)[0] == digest
    except OSError:
        return False


def parse_expiry(text: str) -> timedelta:
    """``7d``, ``12h``, ``90m`` or seconds."""
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    value = text.strip().lower()
    try:
        seconds = float(value[:-1]) * units[value[-1]] if value[-1] in units else float(value)
    except (ValueError, IndexError):
        raise ValueError(f"{text!r} is not a duration: use e.g. 7d, 12h, 90m") from None
    if seconds <= 0:
        raise ValueError("the expiry must be in the future")
    return timedelta(seconds=seconds)
