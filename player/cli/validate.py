"""``signage validate``: every problem in the playlists and the media they name, as FILE:LINE:COL."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from player.cli.command import ExitStatus, add_command
from player.cli.options import in_cwd
from player.content.durations import DurationCache
from player.content.folder import load_paths, missing_media, playlist_files
from player.core.errors import Problem, UsageError

if TYPE_CHECKING:
    from player.cli.command import Subcommands
    from player.core.config import Config
    from player.core.model import Playlist
    from player.ops.environment import Environment


def add_validate_command(commands: Subcommands) -> None:
    """``signage validate``."""
    validate = add_command(commands, "validate", cmd_validate)
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="playlist files or folders")


def cmd_validate(args: argparse.Namespace, config: Config, env: Environment) -> int:
    """check playlists and report every error as FILE:LINE:COL

    Check playlist files (default: the playlists folder) and the media they name.
    """
    result = load_paths(_playlist_paths(args.paths or [config.playlists], env), config.timezone or "UTC")
    problems = [
        *result.problems,
        *missing_media(result.playlists, config.media),
        *video_problems(result.playlists, config),
    ]
    for problem in sorted(problems, key=lambda p: p.location):
        print(problem, file=env.stdout)
    if problems:
        files = len({p.location.file for p in problems})
        print(f"{len(problems)} problem(s) in {files} file(s)", file=env.stderr)
        return ExitStatus.CONTENT_ERROR
    slides = sum(len(p.slides) for p in result.playlists)
    print(f"{len(result.playlists)} playlist(s), {slides} slide(s): OK", file=env.stderr)
    return ExitStatus.OK


def _playlist_paths(given: list[Path], env: Environment) -> list[Path]:
    """The playlist files named, folders expanded to the playlist files in them."""
    paths: list[Path] = []
    for path in (in_cwd(p, env) for p in given):
        if path.is_dir():
            paths.extend(playlist_files(path))
        elif path.exists():
            paths.append(path)
        else:
            raise UsageError(f"{path} does not exist")
    return paths


def video_problems(playlists: tuple[Playlist, ...], config: Config) -> list[Problem]:
    """Video slides need PyAV, and files it can read."""
    videos = [(i, s) for p in playlists for i, s in enumerate(p.slides) if s.kind == "video" and s.media]
    if not videos:
        return []
    from player.media.video import av_available  # loaded, with PyAV, only when a video is named

    if not av_available():
        message = "video slides need PyAV: install the video extra (pip install 'signage-player[video]')"
        return [Problem(s.location, f"slides[{i}].video", message) for i, s in videos]
    cache = DurationCache(config.media, None)
    cache.lengths({s.media for _, s in videos if s.media and (config.media / s.media).is_file()})
    return [
        Problem(s.location, f"slides[{i}].video", f"cannot play {s.media}: {cache.problems[s.media]}")
        for i, s in videos
        if s.media in cache.problems
    ]
