"""Reading content folders: the I/O edge in front of the pure loader."""

from __future__ import annotations

import contextlib
import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from player.core.errors import Location, MediaError, Problem
from player.core.loader import LoadResult, MediaRef, is_playlist_file, load_playlists
from player.core.model import Playlist
from player.media.files import check_in_folder, refusal

READ_LIMIT = 1024 * 1024 + 1  # one byte past the loader's limit, so it can say "too big"


def playlist_files(folder: Path) -> list[Path]:
    """The playlist files directly inside ``folder``, sorted; editor droppings skipped."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [path for path in entries if is_playlist_file(path.name) and path.is_file()]


def read_sources(paths: Iterable[Path]) -> tuple[dict[str, bytes], list[Problem]]:
    """Read each file (at most :data:`READ_LIMIT` bytes), naming it by its path."""
    sources: dict[str, bytes] = {}
    problems: list[Problem] = []
    for path in paths:
        try:
            with path.open("rb") as handle:
                sources[str(path)] = handle.read(READ_LIMIT)
        except OSError as error:
            problems.append(Problem(Location(str(path), 1, 1), "", f"cannot read the file: {error.strerror}"))
    return sources, problems


def load_folder(folder: Path, default_timezone: str) -> LoadResult:
    """Load every playlist in ``folder``."""
    return load_paths(playlist_files(folder), default_timezone)


def load_paths(paths: Iterable[Path], default_timezone: str) -> LoadResult:
    sources, problems = read_sources(paths)
    result = load_playlists(sources, default_timezone=default_timezone)
    return LoadResult(result.playlists, (*problems, *result.problems), result.media, result.layouts)


def missing_media(playlists: Iterable[Playlist], media: Path) -> list[Problem]:
    """A problem for each slide whose media file is not a plain file in the media folder.

    Missing, or what the player refuses to open (player/media/files.py): a symbolic link, a
    FIFO or device, a file reached through a folder that links out of ``media``.
    """
    named = [
        MediaRef(slide.location, f"slides[{index}].{field}", path)
        for playlist in playlists
        for index, slide in enumerate(playlist.slides)
        for path, field in ((slide.media, slide.kind), (slide.background_image, "background_image"))
        if path
    ]
    return media_problems(named, media)


def media_problems(named: Iterable[MediaRef], media: Path) -> list[Problem]:
    """A problem for each media file named that is missing or refused (see :func:`missing_media`).

    ``LoadResult.media`` names the media of files with problems too, so validate reports
    them together with the file's other problems.
    """
    problems = []
    for ref in named:
        why = _media_problem(media, ref.path)
        if why is not None:
            problems.append(Problem(ref.location, ref.field, why))
    return problems


def _media_problem(media: Path, path: str) -> str | None:
    if not os.path.lexists(media / path):
        return f"media file {path!r} not found in {media}; {_suggestion(media, path)}"
    try:
        check_in_folder(media / path, media)
    except MediaError as error:
        return f"media file {path!r} refused: {refusal(error, media / path)}"
    return None


def _suggestion(media: Path, path: str) -> str:
    """What to do about a missing media file: the name meant, when one is close enough."""
    folder = (media / path).parent
    try:
        names = [entry.name for entry in os.scandir(folder) if not entry.name.startswith(".")]
    except OSError:
        names = []
    wanted = Path(path).name
    same_but_case = [name for name in names if name.lower() == wanted.lower()]
    close = same_but_case or difflib.get_close_matches(wanted, names, n=1, cutoff=0.75)
    if not close:
        return "add it there or fix the name"
    meant = str(Path(path).parent / close[0]) if Path(path).parent != Path(".") else close[0]
    why = " (names are case-sensitive)" if same_but_case else ""
    return f"did you mean {meant!r}?{why}"


def system_timezone(environ: Mapping[str, str]) -> str:
    """The machine's IANA zone: $TZ, /etc/timezone, or /etc/localtime's link; else UTC."""
    from zoneinfo import ZoneInfo

    candidates = [environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text().strip())
    try:
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for name in candidates:
        if name:
            try:
                ZoneInfo(name)
                return name
            except (ValueError, OSError):
                continue
    return "UTC"
