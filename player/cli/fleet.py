"""``signage keygen``, ``publish`` and ``sync``: the fleet side of the CLI.

The fleet modules are imported only when one of these runs: a screen that only plays never
loads ``cryptography`` or ``requests``.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from player.cli.command import ExitStatus, add_command
from player.cli.options import in_cwd
from player.core.errors import BundleError, UsageError
from player.ops.waker import Waker

if TYPE_CHECKING:
    from player.cli.command import Subcommands
    from player.core.config import Config
    from player.fleet.sync import SyncSettings
    from player.ops.environment import Environment

log = logging.getLogger("player.fleet")


def add_fleet_commands(commands: Subcommands) -> None:
    """``signage keygen``, ``publish`` and ``sync``."""
    keygen = add_command(commands, "keygen", cmd_keygen)
    keygen.add_argument("dir", type=Path, metavar="DIR")

    publish = add_command(commands, "publish", cmd_publish)
    publish.add_argument("--key", type=Path, required=True, help="the publisher's private key")
    publish.add_argument("--out", type=Path, required=True, help="the folder a web server serves")
    publish.add_argument("--expires", default="7d", help="how long screens accept this manifest (default 7d)")
    publish.add_argument("--channel", default="default", help="the group of screens it is for (default: default)")
    publish.add_argument("--renew", action="store_true", help="sign a new version even if nothing changed")
    publish.add_argument(
        "--new-key", action="store_true", help="sign with a key other than the last manifest's (screens re-pinned)"
    )
    publish.add_argument(
        "--rotate-from",
        type=Path,
        metavar="OLD_KEY",
        help="hand trust on from this old private key to --key, in a statement screens follow by themselves",
    )

    sync = add_command(commands, "sync", cmd_sync)
    sync.add_argument("--url", help="the bundle's base URL (the publish --out folder as served)")
    sync.add_argument("--pubkey", type=Path, help="the publisher's public key file")
    sync.add_argument("--channel", help="which channel to follow")
    sync.add_argument("--interval", type=float, help="seconds between polls (default 60)")
    sync.add_argument("--once", action="store_true", help="poll once; exit 1 with the reason if it fails")
    sync.add_argument(
        "--deadline", type=float, help="give a poll up after S seconds, however slowly data still arrives (default 600)"
    )
    sync.add_argument(
        "--min-rate",
        metavar="BYTES/SECONDS",
        help="give a transfer up when fewer bytes arrive in that many seconds (default 15360/30: 512 bytes a second)",
    )


def cmd_keygen(args: argparse.Namespace, config: Config, env: Environment) -> int:
    """make a publisher key pair (publisher.key, publisher.pub)

    Writes DIR/publisher.key (Ed25519 private key, mode 0600: keep it on the publishing machine
    only) and DIR/publisher.pub (copy it to every screen).
    """
    from player.fleet.bundle import generate_keys

    try:
        private, public = generate_keys(in_cwd(args.dir, env))
    except FileExistsError as error:
        raise UsageError(str(error)) from None
    print(f"private key: {private} (keep it secret, mode 0600)", file=env.stdout)
    print(f"public key:  {public} (copy it to every screen)", file=env.stdout)
    return ExitStatus.OK


def cmd_publish(args: argparse.Namespace, config: Config, env: Environment) -> int:
    """write the playlists and media as a signed bundle for a static web server

    Refuses content that fails validation. Every file is stored once under objects/<sha256>;
    channels/NAME/manifest.json lists them, signed. Unchanged content writes nothing.
    """
    from player.fleet.bundle import channel_name, key_id, load_private_key
    from player.fleet.publish import collect, parse_expiry, publish

    try:
        expires = parse_expiry(args.expires)
        channel = channel_name(args.channel)
    except ValueError as error:
        raise UsageError(str(error)) from None
    key = load_private_key(in_cwd(args.key, env))
    old_key = load_private_key(in_cwd(args.rotate_from, env)) if args.rotate_from else None
    out = in_cwd(args.out, env)
    files = collect(config.playlists, config.media, config.timezone or "UTC")
    result = publish(
        files,
        out,
        key,
        channel=channel,
        now=env.now(),
        expires=expires,
        renew=args.renew,
        new_key=args.new_key,
        rotate_from=old_key,
    )
    if old_key is not None:
        print(
            f"key {key_id(old_key.public_key())} handed on to {key_id(key.public_key())}: screens that trust the "
            "old key follow by themselves; publish with the new key from now on",
            file=env.stdout,
        )
    if result.unchanged:
        print(f"unchanged: channel {channel} stays at version {result.version} ({result.files} files)", file=env.stdout)
    else:
        print(
            f"published channel {channel} version {result.version}: {result.files} files, "
            f"{result.new_objects} new object(s), expires in {args.expires}",
            file=env.stdout,
        )
    return ExitStatus.OK


def cmd_sync(args: argparse.Namespace, config: Config, env: Environment) -> int:
    """pull the signed bundle from a URL into the playlists and media folders

    Polls the manifest (one conditional request when nothing changed), verifies it with the pinned
    key, downloads changed files, checks every hash, and installs atomically. Settings default to
    the config's `sync` section; the token comes from there or $SIGNAGE_TOKEN.
    """
    from player.fleet.sync import SyncClient
    from player.ops.notify import Notifier

    settings = _sync_settings(args, config, env)
    for folder in (config.playlists, config.media, config.state):
        folder.mkdir(parents=True, exist_ok=True)
    # A progress bar on a terminal; under systemd, plain log lines.
    progress = env.stderr if env.stderr.isatty() else None
    # Under systemd (Type=notify, WatchdogSec=): ready once the settings hold, alive while it works.
    notifier = Notifier(env.environ)
    client = SyncClient(
        settings,
        config.playlists,
        config.media,
        config.state,
        progress=progress,
        alive=notifier.alive,
        report=notifier.status,
    )
    stop = threading.Event()
    if not args.once:
        _stop_on_signals(stop, (signal.SIGTERM, signal.SIGINT))
        log.info("syncing channel %s from %s every %.0f s", settings.channel, settings.url, settings.interval)
    notifier.ready()
    try:
        return client.run(stop, once=args.once)
    finally:
        notifier.stopping()
        notifier.close()


def _sync_settings(args: argparse.Namespace, config: Config, env: Environment) -> SyncSettings:
    """The command line over the config's ``sync`` section (the token: $SIGNAGE_TOKEN first).

    Raises:
        UsageError: a setting is missing or wrong, the key among them (a setup mistake, not a
            passing fault: exit 2, which systemd does not restart in a loop).
    """
    from player.fleet.bundle import channel_name, load_public_key
    from player.fleet.sync import SyncSettings, token_in_clear

    url = args.url or config.sync.url
    pubkey = args.pubkey or config.sync.pubkey
    if not url or not pubkey:
        raise UsageError("sync needs --url and --pubkey (or sync.url and sync.pubkey in the config)")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--url must be an http:// or https:// URL, got {url!r}")
    try:
        channel = channel_name(args.channel or config.sync.channel)
    except ValueError as error:
        raise UsageError(str(error)) from None
    try:
        key = load_public_key(in_cwd(pubkey, env))
    except BundleError as error:
        raise UsageError(f"{error}; check --pubkey or sync.pubkey") from None
    token = env.environ.get("SIGNAGE_TOKEN") or config.sync.token
    if token and token_in_clear(url):
        raise UsageError(
            f"the sync token would be sent in clear to {url}: use an https:// URL (or no token; "
            "plain http is allowed with a token only to this machine, for a local proxy)"
        )
    limits: dict[str, float] = {"poll_deadline": args.deadline} if args.deadline else {}
    if args.min_rate:
        count, _, seconds = args.min_rate.partition("/")
        try:
            limits["rate_window"] = float(seconds or 30)
            limits["min_rate"] = float(count) / limits["rate_window"]
        except (ValueError, ZeroDivisionError):
            raise UsageError(f"--min-rate must be BYTES/SECONDS, like 15360/30, not {args.min_rate!r}") from None
    return SyncSettings(
        url=url,
        pubkey=key,
        channel=channel,
        token=token,
        interval=args.interval or config.sync.interval,
        **limits,
    )


def _stop_on_signals(stop: threading.Event, signals: tuple[signal.Signals, ...]) -> None:
    """Set ``stop`` when one of ``signals`` arrives.

    Not ``stop.set()`` in the handler itself: it takes the Event's lock, which the interrupted
    main thread may be holding inside ``stop.wait()`` (a deadlock). The handler wakes a
    :class:`Waker`, which takes no lock, and a helper thread sets the Event.
    """
    waker = Waker()

    def relay() -> None:
        while not waker.wait(3600.0):
            pass
        stop.set()

    threading.Thread(target=relay, name="signal relay", daemon=True).start()
    for sig in signals:
        signal.signal(sig, lambda *_: waker.wake())
