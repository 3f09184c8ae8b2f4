"""The prepared-slide cache on disk: pictures already decoded and fitted to this screen.

A screen plays the same playlist for weeks. Decoding a 4000x3000 JPEG and resizing it to
1920x1080 costs about 100 ms of CPU at every change, loop after loop; reading the 6 MB of
pixels it came to costs a few. So each prepared picture is kept under the state folder
(``state/prepared/``), named by what it was made from: the source's content (its sha256)
and everything that changes the pixels (frame size, fit, focus, background, the pixel limit,
and this format's version). A new file, a new fit or another screen size is another name;
nothing is ever served stale, and the same picture copied again, renamed or installed again
by sync is found under its old name.

Hashing reads the whole file, so it is done once per version of a file (:class:`SourceIds`
remembers a path's sha256 by its inode, size and mtime) and, while the player runs, on the
painter's decoder thread with the decoding, never during a transition. A file larger than
:data:`HASH_LIMIT` (no picture worth showing is) is named by path, inode, size and mtime
instead, so a huge file cannot make anything wait on its hash.

Each file is a header (magic, width, height, length, CRC-32 of the pixels) and the RGB
pixels. A torn or corrupted file (a power cut mid-write, a bad SD card) fails the length or
the checksum, is deleted and made again: never shown. Files are written to a temporary name
and renamed; not fsynced, because a lost or torn file costs one decode, and the checksum
catches it. The folder is bounded in bytes, least recently used out. Pygame-free: it stores
:class:`~player.media.images.Picture` values, and any thread may use it (a lock orders them).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from player.media.fit import Focus, Rgba, Size
from player.media.images import Picture

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # part of every name (3: named by content): a change in how pictures are made retires old files
HASH_LIMIT = 256 * 2**20  # bytes: larger sources are named by their stat, not hashed
_MAGIC = b"SGPREP1\n"
_HEADER = struct.Struct("<8sIIQI")  # magic, width, height, pixel bytes, CRC-32 of the pixels
_SUFFIX = ".rgb"


@dataclass(frozen=True)
class PreparedKey:
    """Everything that decides a prepared picture's pixels."""

    source: str  # "sha256:<hex>" of the source, or "file:<path>:<inode>:<size>:<mtime_ns>" (see SourceIds)
    size: Size
    fit: str
    focus: Focus
    background: Rgba
    max_pixels: int
    kind: str  # "raster" or "svg": two decoders

    def name(self) -> str:
        text = repr((FORMAT_VERSION, self.source, self.size, self.fit, self.focus, self.background,
                     self.max_pixels, self.kind))
        return hashlib.sha256(text.encode()).hexdigest() + _SUFFIX


Stat = tuple[str, int, int, int]  # path, inode, size, mtime_ns: one version of a file, as far as stat tells
Hasher = Callable[[Path], tuple[str, int]]  # a file's sha256 and size: player.ops.hashing.sha256_file


class SourceIds:
    """What names a source in the cache: its sha256, hashed once per version of the file.

    Versions are told apart by inode, size and mtime (to the nanosecond): the contract of
    the folder is that files are replaced by rename, which gives a new inode. Bounded, least
    recently used out. Any thread. Without ``hasher`` every source is named by its stat.
    """

    def __init__(self, hasher: Hasher | None, limit: int = 4096) -> None:
        self.hasher = hasher
        self.limit = limit
        self.hashed = 0  # files read to hash them: what tests and the bench count
        self._ids: OrderedDict[Stat, str] = OrderedDict()
        self._lock = threading.Lock()

    def known(self, stat: Stat) -> str | None:
        """The source id of this version of a file, if it was worked out before (no I/O)."""
        if stat[2] > HASH_LIMIT or self.hasher is None:
            return by_stat(stat)
        with self._lock:
            return self._ids.get(stat)

    def resolve(self, stat: Stat) -> str:
        """The source id, hashing the file if this version was not seen (reads it all).

        Raises OSError if the file cannot be read or changed while it was read.
        """
        known = self.known(stat)
        if known is not None:
            return known
        path = Path(stat[0])
        assert self.hasher is not None  # else known() named it
        digest, size = self.hasher(path)
        after = os.stat(path, follow_symlinks=False)
        if (after.st_ino, after.st_size, after.st_mtime_ns) != stat[1:] or size != stat[2]:
            raise OSError(f"{path} changed while it was read")
        source = f"sha256:{digest}"
        with self._lock:
            self.hashed += 1
            self._ids[stat] = source
            self._ids.move_to_end(stat)
            while len(self._ids) > self.limit:
                self._ids.popitem(last=False)
        return source


def by_stat(stat: Stat) -> str:
    """A source's name from its stat alone: for huge files, and for pictures on their way."""
    return "file:{}:{}:{}:{}".format(*stat)


class PreparedCache:
    """The cache folder, at most ``max_bytes`` of pictures. Any thread (one at a time, by a lock).

    ``hasher`` names sources by content (see :class:`SourceIds`).
    """

    def __init__(self, folder: Path, max_bytes: int, hasher: Hasher | None = None) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.hits = 0
        self.misses = 0
        self.sources = SourceIds(hasher)  # the names of the sources' versions seen, by stat
        self._sizes: OrderedDict[str, int] = OrderedDict()  # name -> bytes, least recently used first
        self._failing = False
        self._lock = threading.RLock()
        with contextlib.suppress(OSError):
            entries = [e for e in os.scandir(folder) if e.name.endswith(_SUFFIX) and e.is_file(follow_symlinks=False)]
            for entry in sorted(entries, key=lambda e: e.stat().st_mtime_ns):
                self._sizes[entry.name] = entry.stat().st_size

    @property
    def total_bytes(self) -> int:
        return sum(self._sizes.values())

    def __contains__(self, key: object) -> bool:
        """Whether a file for ``key`` is there (not whether it is intact: :meth:`get` checks that)."""
        return isinstance(key, PreparedKey) and (self.folder / key.name()).is_file()

    def get(self, key: PreparedKey) -> Picture | None:
        """The picture made for ``key`` before, or None (missing, torn or corrupted: then deleted)."""
        with self._lock:
            return self._get(key)

    def put(self, key: PreparedKey, picture: Picture) -> None:
        """Keep ``picture`` under ``key``; a full or read-only disk only costs the saving."""
        with self._lock:
            self._put(key, picture)

    def _get(self, key: PreparedKey) -> Picture | None:
        name = key.name()
        path = self.folder / name
        try:
            with open(path, "rb", buffering=0) as handle:
                data = handle.read()
        except OSError:
            self._sizes.pop(name, None)
            self.misses += 1
            return None
        picture = _parse(data, key.size)
        if picture is None:
            log.warning("prepared-slide cache: %s is damaged; it is made again", path)
            self._drop(name)
            self.misses += 1
            return None
        self._sizes[name] = len(data)
        self._sizes.move_to_end(name)
        with contextlib.suppress(OSError):  # its age is what eviction goes by, across restarts too
            os.utime(path)
        self.hits += 1
        return picture

    def _put(self, key: PreparedKey, picture: Picture) -> None:
        name = key.name()
        header = _HEADER.pack(_MAGIC, picture.size[0], picture.size[1], len(picture.data), zlib.crc32(picture.data))
        temporary = self.folder / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(temporary, "wb") as handle:
                handle.write(header)
                handle.write(picture.data)
            os.replace(temporary, self.folder / name)
        except OSError as error:
            with contextlib.suppress(OSError):
                temporary.unlink()
            if not self._failing:
                self._failing = True
                log.warning("prepared-slide cache: cannot write to %s (%s); pictures are decoded each time",
                            self.folder, error)
            return
        self._failing = False
        self._sizes[name] = len(header) + len(picture.data)
        self._sizes.move_to_end(name)
        while self.total_bytes > self.max_bytes and len(self._sizes) > 1:
            self._drop(next(iter(self._sizes)))

    def _drop(self, name: str) -> None:
        self._sizes.pop(name, None)
        with contextlib.suppress(OSError):
            (self.folder / name).unlink()


def _parse(data: bytes, size: Size) -> Picture | None:
    """The picture in a cache file's bytes, if they are whole and match ``size``."""
    if len(data) < _HEADER.size:
        return None
    magic, width, height, length, crc = _HEADER.unpack_from(data)
    pixels = memoryview(data)[_HEADER.size :]  # a view, not a 6 MB copy
    if magic != _MAGIC or (width, height) != tuple(size) or length != len(pixels) or length != width * height * 3:
        return None
    if zlib.crc32(pixels) != crc:
        return None
    return Picture((width, height), pixels)
