"""File hashing, apart from the signing code so the player need not load cryptography to hash."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def sha256_file(path: Path) -> tuple[str, int]:
    """The sha256 and size of the plain file at ``path``.

    Opened without following a link and without blocking, and checked to be a plain file
    before a byte is read: callers check with lstat first, but a FIFO swapped in between
    would otherwise block the hash for ever. Raises OSError for anything else.
    """
    fd = os.open(path, _FLAGS)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a plain file", str(path))
        digest = hashlib.sha256()
        size = 0
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
