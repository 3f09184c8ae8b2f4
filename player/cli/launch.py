"""The ``signage`` program's entry point: for ``run``, the display's libraries start loading first.

Importing the CLI takes a second on a slow board (1 s on the emulated box); for ``run``
the native libraries SDL, pygame and Pillow will need load on a thread meanwhile
(:mod:`player.render.preload`), so a player restarted after a crash reaches its first frame
sooner. Every other command goes straight to :func:`player.cli.main.main`.

Before that, ``run`` lets go of a kept screen nobody vouched for lately
(:func:`player.ops.notify.release_unvouched_screen`): the first thing a start does, so that no
later failure can keep an old frame on the glass.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    if "run" in words:
        from player.ops.notify import release_unvouched_screen
        from player.render.preload import start_preloading

        release_unvouched_screen(os.environ, time.clock_gettime(time.CLOCK_BOOTTIME))
        start_preloading(os.environ)
    from player.cli.main import main as cli_main

    return cli_main(argv)
