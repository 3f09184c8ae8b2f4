"""The ``signage`` command: the parser, the dispatch, and the one place errors become exit codes.

Each subcommand lives in the module of its group (``validate``, ``schedule``, ``screen``,
``fleet``, ``report``) as a function ``(args, config, env) -> int``; the :class:`Environment`
carries the streams, variables, working folder and clocks, so tests run the whole CLI in-process.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from player import __version__
from player.cli.command import Command, ExitStatus
from player.cli.feeds import add_feeds_command
from player.cli.fleet import add_fleet_commands
from player.cli.options import in_cwd
from player.cli.report import add_report_commands
from player.cli.schedule import add_schedule_command
from player.cli.validate import add_validate_command
from player.content.folder import system_timezone
from player.core.config import Config, default_config_path, load_config
from player.core.errors import ContentError, PlayerError, UsageError
from player.core.values import parse_timezone
from player.ops.environment import Environment


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """Run the CLI; returns the exit status (``python -m player`` exits with it)."""
    env = env or Environment()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed its message
        return int(exit_.code or 0)
    setup_logging(args.verbose, env.stderr)
    try:
        config = resolve_config(args, env)
        command: Command = args.command
        return command(args, config, env)
    except UsageError as error:
        print(f"signage: error: {error}", file=env.stderr)
        return ExitStatus.USAGE_ERROR
    except ContentError as error:
        for problem in error.problems:
            print(problem, file=env.stderr)
        return ExitStatus.CONTENT_ERROR
    except PlayerError as error:
        print(f"signage: {error}", file=env.stderr)
        return ExitStatus.FAILURE
    except KeyboardInterrupt:
        return ExitStatus.OK


def build_parser() -> argparse.ArgumentParser:
    """The options every command shares, then each group's commands, in ``--help``'s order."""
    parser = argparse.ArgumentParser(
        prog="signage",
        description="A digital-signage player: scheduled slides from YAML playlists.",
        epilog="Run `signage COMMAND --help` for a command's options. Exit status: 0 ok, "
        "1 content errors, 2 usage errors, 3 (signage status) the player is not running.",
    )
    parser.add_argument("--version", action="version", version=f"signage {__version__}")
    parser.add_argument("--config", type=Path, help="config file (default: config/player.yaml, else /etc/signage)")
    parser.add_argument("--playlists", type=Path, metavar="DIR", help="playlists folder (overrides config)")
    parser.add_argument("--media", type=Path, metavar="DIR", help="media folder (overrides config)")
    parser.add_argument("--state", type=Path, metavar="DIR", help="where status, logs and caches go")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log detail (-vv for debug)")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    add_validate_command(commands)
    add_schedule_command(commands)
    from player.cli.run import add_render_commands  # pygame itself is imported only when they run

    add_render_commands(commands)
    add_fleet_commands(commands)
    add_feeds_command(commands)
    add_report_commands(commands)
    return parser


def setup_logging(verbosity: int, stream: TextIO) -> None:
    """Plain lines with levels: readable on a terminal and in the journal (no colour)."""
    level = logging.WARNING - 10 * min(verbosity + 1, 2)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("player")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def resolve_config(args: argparse.Namespace, env: Environment) -> Config:
    """Defaults, then the file, then the environment, then the command line."""
    path = args.config or (Path(env.environ["SIGNAGE_CONFIG"]) if env.environ.get("SIGNAGE_CONFIG") else None)
    path = in_cwd(path or default_config_path(env.cwd), env)
    if args.config and not path.exists():
        raise UsageError(f"config file {path} does not exist")
    config = load_config(path, env.environ)
    config = replace(
        config,
        playlists=in_cwd(args.playlists, env) if args.playlists else config.playlists,
        media=in_cwd(args.media, env) if args.media else config.media,
        state=in_cwd(args.state, env) if args.state else config.state,
    )
    if config.timezone is None:
        config = replace(config, timezone=system_timezone(env.environ))
    else:
        try:
            parse_timezone(config.timezone)
        except ValueError as error:
            raise UsageError(f"SIGNAGE_TIMEZONE: {error}") from None
    return config


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
