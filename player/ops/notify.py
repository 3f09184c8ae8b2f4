"""systemd's notify protocol, in a few lines: READY=1, WATCHDOG=1 and STATUS= as datagrams
to $NOTIFY_SOCKET. No dependency; without $NOTIFY_SOCKET every call does nothing.

Also systemd's file-descriptor store: :meth:`Notifier.store` hands the manager an open file
to keep while the service restarts, and :func:`handed_back` finds the ones it passed to this
process (``LISTEN_FDS``). The player keeps its screen there (player/render/kms.py), so the
last frame stays up through a restart. A frame that no live player stands behind must not
stay up for ever (a player that crashes at every start would freeze it), so the player
vouches for it: it touches a note in its runtime folder at its first frame and at every
watchdog ping, and a start finding the note older than :data:`KEPT_SCREEN_TRUST_S` lets the
screen go (:func:`release_unvouched_screen`) before anything else can fail.

The variables come from the caller (the CLI passes ``env.environ``), never from ``os.environ``:
a test or an embedding program decides whether there is a service manager to talk to.
"""

from __future__ import annotations

import array
import contextlib
import os
import socket
import time
from collections.abc import Mapping, MutableMapping
from pathlib import Path

FIRST_PASSED_FD = 3  # sd_listen_fds(3): passed descriptors start after stdin, stdout and stderr
KEPT_SCREEN = "screen"  # the name the player's screen is kept under in the store
# How long a kept frame stays up without a live player vouching for it: four watchdog pings
# (WatchdogSec=30 in the unit, a ping every 15 s) and a restart or two.
KEPT_SCREEN_TRUST_S = 60.0
_VOUCH_NOTE = "screen-vouched"  # in $RUNTIME_DIRECTORY (RuntimeDirectoryPreserve=restart keeps it)
_LISTEN_VARIABLES = ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES")


def handed_back(environ: Mapping[str, str], pid: int) -> dict[str, int]:
    """The descriptors systemd passed to process ``pid`` (its store's, after a restart), by name.

    Empty unless ``LISTEN_PID`` is ``pid``: the variables may be left over from a parent.
    """
    count = environ.get("LISTEN_FDS", "")
    if environ.get("LISTEN_PID") != str(pid) or not count.isdigit():
        return {}
    names = environ.get("LISTEN_FDNAMES", "").split(":")
    return {
        (names[index] if index < len(names) and names[index] else f"unnamed{index}"): FIRST_PASSED_FD + index
        for index in range(int(count))
    }


def vouch_note(environ: Mapping[str, str]) -> Path | None:
    """The note a live player touches to stand behind its kept screen; None outside systemd."""
    folder = environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
    return Path(folder) / _VOUCH_NOTE if folder else None


def release_unvouched_screen(environ: MutableMapping[str, str], now: float) -> bool:
    """At start: let a kept screen go if no player vouched for it lately; True if it was let go.

    ``now``: seconds since boot (``CLOCK_BOOTTIME``, as the note is written): the kept screen
    lives only as long as the boot, and the wall clock may step when NTP answers.

    Run first thing (player/cli/launch.py), so that a player that fails later in its start
    (a broken config, a failed upgrade) cannot keep an old frame up: after
    :data:`KEPT_SCREEN_TRUST_S` the kernel shows the console again. The screen's descriptor
    is closed, systemd is told to close its copy, and the ``LISTEN_*`` variables are removed
    from ``environ`` (as ``sd_listen_fds(1)`` does), so that nothing later takes the
    descriptor's number for the screen.
    """
    fd = handed_back(environ, os.getpid()).get(KEPT_SCREEN)
    if fd is None:
        return False
    note = vouch_note(environ)
    try:
        vouched_at = float(note.read_text()) if note is not None else None
    except (OSError, ValueError):
        vouched_at = None
    # (-1: the note is rounded to the millisecond; a note from further in the future is not trusted.)
    if vouched_at is not None and -1.0 <= now - vouched_at <= KEPT_SCREEN_TRUST_S:
        return False
    with contextlib.suppress(OSError):
        os.close(fd)
    notifier = Notifier(environ)
    notifier.forget(KEPT_SCREEN)
    notifier.close()
    for name in _LISTEN_VARIABLES:
        environ.pop(name, None)
    return True


class Notifier:
    """Talks to the service manager named by ``environ`` (``NOTIFY_SOCKET``, ``WATCHDOG_USEC``,
    ``WATCHDOG_PID``), if any: ``Notifier({})`` is one that says nothing."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        path = environ.get("NOTIFY_SOCKET", "")
        # An abstract socket is written with a leading "@" and addressed with a NUL byte.
        self.address = "\0" + path[1:] if path.startswith("@") else path
        self.watchdog_interval: float | None = None
        usec = environ.get("WATCHDOG_USEC", "")
        pid = environ.get("WATCHDOG_PID", "")
        if usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid())):
            self.watchdog_interval = int(usec) / 1_000_000 / 2  # ping at half the timeout
        self._socket: socket.socket | None = None
        self._last_status = ""
        self.handed_back = handed_back(environ, os.getpid())
        self._vouch_note = vouch_note(environ)
        self._vouching = False
        self._last_alive = -1.0e9

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, message: str, fds: tuple[int, ...] = ()) -> None:
        if not self.address:
            return
        if self._socket is None:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        # Not socket.send_fds: Python 3.11's drops the address, and a datagram socket needs it.
        rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        # The manager may be gone (shutting down): never let that stop the screen.
        with contextlib.suppress(OSError):
            self._socket.sendmsg([message.encode("utf-8")], rights, 0, self.address)

    def store(self, name: str, fd: int) -> None:
        """Ask the manager to keep ``fd`` open while the service restarts (``FileDescriptorStoreMax=``)."""
        self.send(f"FDSTORE=1\nFDNAME={name}", (fd,))

    def forget(self, name: str) -> None:
        """Ask the manager to close the descriptors it keeps under ``name``."""
        self.send(f"FDSTOREREMOVE=1\nFDNAME={name}")

    def ready(self) -> None:
        self.send("READY=1")

    def alive(self) -> None:
        """A watchdog ping, at most one a second however often it is called (a download's every piece)."""
        now = time.monotonic()
        if self.watchdog_interval is not None and now - self._last_alive >= 1.0:
            self._last_alive = now
            self.watchdog()

    def watchdog(self) -> None:
        self.send("WATCHDOG=1")
        if self._vouching:
            self.vouch()

    def vouch(self) -> None:
        """Stand behind the kept screen's frame: now, and at every watchdog ping from here on."""
        self._vouching = True
        if self._vouch_note is None:
            return
        partial = self._vouch_note.with_name(self._vouch_note.name + ".partial")
        with contextlib.suppress(OSError):  # a full /run must not stop the screen
            # Renamed into place: a start never reads half a number. (/run is memory: no fsync.)
            partial.write_text(f"{time.clock_gettime(time.CLOCK_BOOTTIME):.3f}")
            os.replace(partial, self._vouch_note)

    def status(self, text: str) -> None:
        if text != self._last_status:
            self._last_status = text
            self.send(f"STATUS={text}")

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
