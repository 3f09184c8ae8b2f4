"""``signage validate``: every problem in the playlists and the media they name, as FILE:LINE:COL."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from player.cli.command import ExitStatus, add_command
from player.cli.layoutcheck import layout_problems
from player.cli.options import in_cwd
from player.cli.textcheck import frame_size, text_problems
from player.content.durations import DurationCache
from player.content.folder import load_paths, media_problems, playlist_files
from player.core.errors import Problem, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from player.cli.command import Subcommands
    from player.core.config import Config
    from player.core.loader import MediaRef
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
    # The media of every slide that could be read, also in files with other problems: a
    # missing picture is reported with them, not only once they are fixed (issue 18).
    problems = [
        *result.problems,
        *media_problems(result.media, config.media),
        *video_problems(result.media, config),
    ]
    # Text set as the screen would set it: what does not fit, what no font draws. Warnings:
    # the slide still plays.
    warnings = text_problems(result.playlists, config)
    # Layouts as they fall on this screen: QR codes a phone can read, feeds that exist.
    layout_errors, layout_warnings = layout_problems(result.layouts, result.playlists, config, frame_size(config))
    problems += layout_errors
    warnings += layout_warnings
    for problem in sorted([*problems, *warnings], key=lambda p: p.location):
        print(problem, file=env.stdout)
    also = f", {len(warnings)} warning(s)" if warnings else ""
    if problems:
        files = len({p.location.file for p in problems})
        print(f"{len(problems)} problem(s) in {files} file(s){also}", file=env.stderr)
        return ExitStatus.CONTENT_ERROR
    slides = sum(len(p.slides) for p in result.playlists)
    layouts = f", {len(result.layouts)} layout(s)" if result.layouts else ""
    print(f"{len(result.playlists)} playlist(s), {slides} slide(s){layouts}: OK{also}", file=env.stderr)
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


def video_problems(named: Iterable[MediaRef], config: Config) -> list[Problem]:
    """Video slides need PyAV, and files it can read."""
    videos = [ref for ref in named if ref.field.endswith(".video")]
    if not videos:
        return []
    from player.media.video import av_available  # loaded, with PyAV, only when a video is named

    if not av_available():
        message = "video slides need PyAV: install the video extra (pip install 'signage-player[video]')"
        return [Problem(ref.location, ref.field, message) for ref in videos]
    cache = DurationCache(config.media, None)
    cache.lengths({ref.path for ref in videos if (config.media / ref.path).is_file()})
    return [
        Problem(ref.location, ref.field, f"cannot play {ref.path}: {cache.problems[ref.path]}")
        for ref in videos
        if ref.path in cache.problems
    ]
