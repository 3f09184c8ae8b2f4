"""systemd's notify protocol, in a few lines: READY=1, WATCHDOG=1 and STATUS= as datagrams
to $NOTIFY_SOCKET. No dependency; without $NOTIFY_SOCKET every call does nothing.

The variables come from the caller (the CLI passes ``env.environ``), never from ``os.environ``:
a test or an embedding program decides whether there is a service manager to talk to.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Mapping


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

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, message: str) -> None:
        if not self.address:
            return
        if self._socket is None:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        # The manager may be gone (shutting down): never let that stop the screen.
        with contextlib.suppress(OSError):
            self._socket.sendto(message.encode("utf-8"), self.address)

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
