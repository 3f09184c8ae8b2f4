"""The ``render`` command: what the screen shows at an instant, or a contact sheet, as a PNG.

Headless (SDL's dummy driver) and deterministic. The render modules, and pygame with them,
are imported only when the command runs, so ``signage validate`` starts fast without SDL.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from player.cli.options import DEFAULT_SIZE, instant, load_content, load_timetable, size_option, zone_of
from player.core.config import Config
from player.core.errors import UsageError
from player.ops.environment import Environment

if TYPE_CHECKING:
    from concurrent.futures import Future

    from player.media.prepared import PreparedCache
    from player.render.slides import Painter
    from player.render.text import FontChain



def add_render_command(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    render = commands.add_parser(
        "render",
        help="write what the screen shows at an instant (or a contact sheet) to a PNG, without a display",
        description="Headless and deterministic: the frame at T, mid-transition if T falls in one.",
    )
    render.add_argument("--at", metavar="T", help="the instant to render")
    render.add_argument("--sheet", action="store_true", help="a contact sheet of each slide in --from..--to")
    render.add_argument("--from", dest="start", metavar="T1", help="start of the contact sheet's span")
    render.add_argument("--to", dest="end", metavar="T2", help="end of the contact sheet's span")
    render.add_argument("--out", type=Path, required=True, metavar="FILE.png", help="where to write the PNG")
    render.add_argument("--size", metavar="WxH", help="screen size (default: display.size, else 1920x1080)")
    render.set_defaults(command=cmd_render)


def cmd_render(args: argparse.Namespace, config: Config, env: Environment) -> int:
    size = size_option(args.size) or config.display.size or DEFAULT_SIZE
    out: Path = args.out if args.out.is_absolute() else env.cwd / args.out
    if args.sheet:
        if not (args.start and args.end):
            raise UsageError("--sheet needs --from and --to")
        start, end = instant(args.start, config, "--from"), instant(args.end, config, "--to")
        if end <= start:
            raise UsageError("--to must be after --from")
        return write_sheet(config, env, (start, end), size, out)
    if not args.at:
        raise UsageError("give --at T (or --sheet --from T1 --to T2)")
    content = load_content(config, env)
    from player.render.display import open_display

    open_display(env.environ, headless=True)
    from player.render.headless import render_at
    from player.render.screen import logical_size
    from player.render.software import save_png

    painter = painter_for(config, env, logical_size(size, config.display.rotate))
    at, rotate = instant(args.at, config, "--at"), config.display.rotate
    save_png(render_at(content.timetable, painter, at, rotate, content.layouts, content.feeds), out)
    return _written(out, env)


def write_sheet(
    config: Config, env: Environment, span: tuple[datetime, datetime], size: tuple[int, int], out: Path
) -> int:
    """Write the contact sheet of ``span`` (thumbnails of a ``size`` screen) to ``out``."""
    timetable = load_timetable(config, env)
    from player.render.display import open_display

    open_display(env.environ, headless=True)
    from player.render.headless import contact_sheet
    from player.render.software import save_png

    save_png(contact_sheet(timetable, painter_for(config, env, size), *span, zone_of(config)), out)
    return _written(out, env)


def painter_for(
    config: Config,
    env: Environment,
    size: tuple[int, int],
    fonts: FontChain | None = None,
    settle: float = 0.0,
    decode_ahead: bool = False,
    *,
    prepared: PreparedCache | Literal["configured"] | None = "configured",
    first: Future[None] | None = None,
) -> Painter:
    """The configured painter for frames of ``size`` (fonts resolved here unless given);
    ``decode_ahead`` for a running player (render draws in order, alone). ``prepared``: the
    prepared-slide cache (None: none); ``first``: see decode_first_picture."""
    from player.render.slides import Painter
    from player.render.text import FontChain

    return Painter(
        config.media,
        size,
        fonts or FontChain.resolve(config.fonts),
        margins=config.display.margins,
        text_floor=config.display.text_floor,
        max_megapixels=config.max_megapixels,
        idle=config.idle,
        settle=settle,
        wall=env.now,
        prepared=prepared_cache(config) if prepared == "configured" else prepared,
        decode_ahead=decode_ahead,
        first=first,
    )


def prepared_cache(config: Config) -> PreparedCache | None:
    """The prepared-slide cache under the state folder, None if configured off (``prepared_cache_mb: 0``)."""
    from player.media.prepared import PreparedCache
    from player.ops.hashing import sha256_file
    from player.ops.statedir import StateDir

    mb = config.prepared_cache_mb
    return PreparedCache(StateDir.at(config.state).prepared, mb * 2**20, sha256_file) if mb else None


def _written(out: Path, env: Environment) -> int:
    print(out, file=env.stdout)
    return 0
