"""The player's exception tree.

Every error the player raises on purpose derives from :class:`PlayerError`. Leaves also
inherit the built-in they resemble, so callers that only know the standard library still
catch them sensibly. Exit codes are chosen only at the CLI edge (``player.cli.main``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import yaml


class Location(NamedTuple):
    """Where in a file something was found (1-based line and column). Sorts by file, line, column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class PlayerError(Exception):
    """Root of every error the player raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One validation problem, pointing at the offending YAML node."""

    location: Location
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.field}: " if self.field else ""
        return f"{self.location}: {where}{self.message}"

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "col": self.location.col,
            "field": self.field,
            "message": self.message,
        }


class ContentError(PlayerError, ValueError):
    """Content (a playlist, a config file) is invalid. Not worth retrying until the file changes.

    Carries every problem found, so one run reports all of them.
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class PlaylistError(ContentError):
    """A playlist file failed validation."""


class ConfigError(ContentError):
    """The player's configuration file failed validation."""


class MediaError(PlayerError, OSError):
    """A media file cannot be shown (missing, corrupt, too large, unsupported).

    Worth retrying only after the file changes; the render loop skips the slide meanwhile.
    """


class DocumentTooBig(PlayerError, ValueError):
    """A YAML document asks for more work than the loader allows (an alias bomb, say).

    The loader turns it into a :class:`Problem` at ``node``; it never reaches a caller.
    """

    def __init__(self, node: yaml.Node) -> None:
        super().__init__("the document is too large to load")
        self.node = node


class MediaNotReady(MediaError):
    """The file was modified a moment ago and may still be growing: try again shortly."""


class DisplayError(PlayerError, RuntimeError):
    """The screen could not be opened or drawn on. The CLI falls back where it can."""


class NoDisplay(DisplayError):
    """SDL found no display to open (no X11/Wayland session, no KMS device)."""


class GpuUnavailable(DisplayError):
    """No accelerated SDL renderer could be created for the window, or it failed its self-test."""


class KeptScreenUnusable(DisplayError):
    """The screen kept in systemd's store cannot show frames (not the display's master, no screen, a failed ioctl)."""


class UsageError(PlayerError, ValueError):
    """The command line was used wrongly (bad option value, bad time)."""


class BundleError(PlayerError, ValueError):
    """A published bundle was refused (bad signature, rollback, expired, bad paths, bad hash).

    Not worth retrying until the server's content changes; the content on disk is kept.
    """


class SyncError(PlayerError, OSError):
    """The server could not be reached or answered wrongly (offline, HTTP error, timeout).

    Worth retrying later (with back-off); the content on disk is kept.
    """


class StorageError(SyncError):
    """The screen's own disk refused a write during a sync (full, read-only, quota).

    The partial download is removed and the content in place is left as it was.
    """


class FeedError(PlayerError, OSError):
    """A feed source could not be fetched, or did not hold what its config asks for.

    Worth retrying at the source's next time (``signage feeds`` backs off); the feed's last
    good data stays in its file meanwhile.
    """


class FeedDataError(PlayerError, ValueError):
    """A feed's data file (``media/feeds/NAME.json``) is not one: the player skips it."""


class WebshotError(PlayerError, OSError):
    """A web page's snapshot could not be taken (no browser, the page did not load in time, a bad picture).

    Worth retrying at the page's next time; the last good snapshot stays on screen meanwhile.
    """
