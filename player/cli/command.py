"""What ``cli/main.py`` and every command module agree on: the exit statuses, the signature
of a command, and how one is registered.

It imports nothing else of ``player.cli``, so every command module can import it and
none needs ``main`` (which imports them all).
"""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING, TypeAlias

from player.core.config import Config
from player.ops.environment import Environment

if TYPE_CHECKING:
    # argparse's class is generic only in typeshed, not at run time: named here, once.
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


class ExitStatus(IntEnum):
    """``signage``'s exit statuses, the same for every command."""

    OK = 0
    CONTENT_ERROR = 1  # a playlist, config or media problem: fix the content
    USAGE_ERROR = 2  # the command line was wrong
    FAILURE = 3  # something else went wrong (a bug, or the machine)


Command: TypeAlias = Callable[[argparse.Namespace, Config, Environment], int]
"""A subcommand: its parsed arguments, the resolved config and the outside world in; the exit status out."""


def add_command(commands: Subcommands, name: str, command: Command) -> argparse.ArgumentParser:
    """Register ``signage NAME``, run by ``command``; returns its parser, for the options.

    The command's docstring is its help, written for the person at the terminal: the first
    paragraph is its line in ``signage --help``, the rest the description atop
    ``signage NAME --help`` (argparse re-flows both). Under ``python -OO`` they are blank.
    """
    summary, _, details = (inspect.getdoc(command) or "").partition("\n\n")
    parser = commands.add_parser(name, help=summary, description=details)
    parser.set_defaults(command=command)
    return parser
