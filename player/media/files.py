"""What the decoders say about a file they cannot read at all, the same for stills and video.

A person fixes these in the folder, not in the file: the message says what to do there.
"""

from __future__ import annotations

from pathlib import Path

from player.core.errors import MediaError

EMPTY_HINT = "file is empty (0 bytes), probably a failed upload or copy; replace it"


def refuse_empty(path: Path) -> None:
    """Raise MediaError for a 0-byte file (OSError from the stat goes to the caller's wrapper)."""
    if path.stat().st_size == 0:
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
