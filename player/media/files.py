"""What the decoders say about a file they cannot read at all, the same for stills and video.

A person fixes these in the folder, not in the file: the message says what to do there.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from player.core.errors import MediaError

EMPTY_HINT = "file is empty (0 bytes), probably a failed upload or copy; replace it"
SYMLINK_HINT = "is a symbolic link: links are not followed (one can point anywhere); put the file itself in the folder"
SPECIAL_HINT = "is not a regular file (a FIFO, a socket or a device); put a picture or video file there"
OUTSIDE_HINT = "is outside the media folder (a folder on its way is a symbolic link); copy the file into the folder"


def check_in_folder(path: Path, folder: Path) -> os.stat_result:
    """The status of ``path``, a plain file in ``folder``; MediaError for anything a content folder must not hand over.

    A symbolic link (it could point at /dev/zero, at a FIFO that blocks every read for ever, or
    at a private file outside), a FIFO, socket or device, and a file reached through a folder
    that is a link out of ``folder``. ``folder`` itself may be a link (a media folder on a USB
    stick). Nothing is opened: a FIFO is refused before anything could block on it.
    """
    try:
        info = os.lstat(path)
    except OSError as exc:
        hint = unreadable(exc, "a file")
        raise MediaError(f"{path}: {exc.strerror or 'cannot read'}" + (f"; {hint}" if hint else "")) from None
    if stat.S_ISLNK(info.st_mode):
        raise MediaError(f"{path}: {SYMLINK_HINT}")
    if stat.S_ISDIR(info.st_mode):
        raise MediaError(f"{path}: {unreadable(IsADirectoryError(), 'a file')}")
    if not stat.S_ISREG(info.st_mode):
        raise MediaError(f"{path}: {SPECIAL_HINT}")
    if not path.parent.resolve().is_relative_to(folder.resolve()):
        raise MediaError(f"{path}: {OUTSIDE_HINT}")
    return info


def refusal(error: MediaError, path: Path) -> str:
    """What :func:`check_in_folder` said of ``path``, without the path it starts with (for
    messages that name the file their own way)."""
    return str(error).removeprefix(f"{path}: ")


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for reading only if it is a regular file: no link followed, never blocking on a FIFO.

    ``O_NOFOLLOW`` refuses a link in place of the file and ``O_NONBLOCK`` makes opening a FIFO
    return at once; ``fstat`` then checks what was opened, so a file swapped after a check
    cannot slip through.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # the last component is a symbolic link
            raise MediaError(f"{path}: {SYMLINK_HINT}") from None
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):  # the callers' wrappers say what to do about a folder
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        raise MediaError(f"{path}: {SPECIAL_HINT}")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def opened_path(handle: BinaryIO, path: Path) -> str:
    """A name that opens the very file ``handle`` has open, for libraries that want a name (FFmpeg, Pillow).

    ``/proc/self/fd/N`` reopens the open file itself, not whatever ``path`` names by now. Where
    there is no /proc (a Mac previewing), ``path`` itself, checked a moment ago.
    """
    proc = f"/proc/self/fd/{handle.fileno()}"
    return proc if os.path.exists(proc) else str(path)


def refuse_empty(path: Path, handle: BinaryIO) -> None:
    """Raise MediaError if the file ``handle`` has open (from :func:`open_regular`) is 0 bytes."""
    if os.fstat(handle.fileno()).st_size == 0:
        raise MediaError(f"{path}: {EMPTY_HINT}")


def unreadable(exc: BaseException, kind: str) -> str | None:
    """What to do about an ``exc`` from opening the file, or None if it came from its content.

    ``kind`` is what the slide expected, "an image" or "a video".
    """
    if isinstance(exc, FileNotFoundError):
        return "file not found; check the name in the playlist, or wait for sync to finish"
    if isinstance(exc, PermissionError):
        return "permission denied; make it readable by the player's user (chmod a+r)"
    if isinstance(exc, IsADirectoryError):
        return f"is a directory, not {kind}; point the playlist at a file"
    return None
