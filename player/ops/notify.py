"""systemd's notify protocol, in a few lines: READY=1, WATCHDOG=1 and STATUS= as datagrams
to $NOTIFY_SOCKET. No dependency; without $NOTIFY_SOCKET every call does nothing.

Also systemd's file-descriptor store: :meth:`Notifier.store` hands the manager an open file
to keep while the service restarts, and :func:`handed_back` finds the ones it passed to this
process (``LISTEN_FDS``). The player keeps its screen there (player/render/kms.py).

The variables come from the caller (the CLI passes ``env.environ``), never from ``os.environ``:
a test or an embedding program decides whether there is a service manager to talk to.
"""

from __future__ import annotations

import array
import contextlib
import os
import socket
from collections.abc import Mapping

FIRST_PASSED_FD = 3  # sd_listen_fds(3): passed descriptors start after stdin, stdout and stderr


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

    def watchdog(self) -> None:
        self.send("WATCHDOG=1")

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
