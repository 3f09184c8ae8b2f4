"""The status file: what the screen shows and what is wrong, rewritten atomically.

Written on every slide change and every reload, and at least every ``STATUS_REFRESH_S``
otherwise (a static slide, the panel off), so monitoring (and tests) can read it at any
moment and always get a whole document, and a file much older than that means the player
stopped (``player.ops.liveness``). Keys are stable; later features only add.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from player.core.errors import Problem
from player.ops.atomic import write_bytes_atomic

STATUS_REFRESH_S = 60.0  # the longest the file goes unrewritten while the player runs


@dataclass(frozen=True)
class Status:
    time: datetime
    playlist: str | None
    slide_id: str | None
    slide_index: int | None
    loaded: Sequence[str]
    problems: Sequence[Problem]
    content_version: int | None = None
    extra: Mapping[str, object] = field(default_factory=dict)  # screen, uptime, version, health

    def as_json(self) -> dict[str, object]:
        return {
            "time": self.time.astimezone(UTC).isoformat(),
            "playlist": self.playlist,
            "slide_id": self.slide_id,
            "slide_index": self.slide_index,
            "loaded": list(self.loaded),
            "errors": [
                {
                    "file": p.location.file,
                    "line": p.location.line,
                    "col": p.location.col,
                    "message": f"{p.field}: {p.message}" if p.field else p.message,
                }
                for p in self.problems
            ],
            "content_version": self.content_version,
            **self.extra,
        }


def write_status(path: Path, status: Status) -> None:
    """Replace the status file atomically (readers never see half of it)."""
    data = json.dumps(status.as_json(), ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
    write_bytes_atomic(path, data)


def read_status(path: Path) -> dict[str, object]:
    """The status document at ``path``. Raises OSError (no file) or ValueError (not JSON)."""
    loaded: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return loaded
