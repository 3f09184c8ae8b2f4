"""The emulated box running: QEMU, its monitor (QMP), its screen and a shell on it.

The box's network is QEMU user networking with ``restrict=on``: it reaches nothing, except a
forward of the box's SSH port to a host loopback port (the test's shell) and one ``guestfwd``
from a virtual address inside QEMU to a host loopback port (the test's web server). Its
screen is a ``virtio-vga`` read with QMP ``screendump``; the VNC display on a Unix socket is
only there because with ``-display none`` the screendump stops refreshing once a KMS client
takes the screen.
"""

from __future__ import annotations

import json
import os
import shlex
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from image import Image

# Inside QEMU's virtual network only: the box's way to the host's loopback web server.
WEB_ADDRESS = "10.0.2.100"
WEB_PORT = 8080

QEMU = {
    "amd64": ["qemu-system-x86_64", "-machine", "q35", "-device", "virtio-vga"],
    # Raspberry Pi OS is arm64: a generic arm64 board with a virtio GPU, as close as QEMU gets.
    "arm64": ["qemu-system-aarch64", "-machine", "virt", "-cpu", "cortex-a72", "-device", "virtio-gpu-pci"],
}
CONSOLE = {"amd64": "ttyS0", "arm64": "ttyAMA0"}


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Box:
    """One running box. ``start`` boots it; ``ssh`` runs a shell command on it as root."""

    image: Image
    arch: str
    work: Path
    web_port: int
    memory_mb: int = 1024
    process: subprocess.Popen[bytes] | None = None
    ssh_port: int = 0
    started_at: float = 0.0

    @property
    def qmp_path(self) -> Path:
        return self.work / "qmp.sock"

    def start(self) -> None:
        self.ssh_port = free_loopback_port()
        self.qmp_path.unlink(missing_ok=True)
        netdev = (
            f"user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22,"
            # cmd: runs once per connection (a tcp: target is a single connection, made at start).
            f"guestfwd=tcp:{WEB_ADDRESS}:{WEB_PORT}-cmd:socat - TCP:127.0.0.1:{self.web_port}"
        )
        command = [
            *QEMU[self.arch],
            # KVM guests hang or abort on these machines: emulate (TCG), two threads for two cores.
            "-accel", "tcg,thread=multi", "-smp", "2", "-m", str(self.memory_mb),
            "-kernel", str(self.image.kernel), "-initrd", str(self.image.initrd),
            "-append", f"root=/dev/vda rw console={CONSOLE[self.arch]} quiet",
            "-drive", f"file={self.image.disk},if=virtio,format=raw",
            "-netdev", netdev, "-device", "virtio-net-pci,netdev=net0",
            "-display", f"vnc=unix:{self.work / 'vnc.sock'}",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            "-serial", f"file:{self.work / 'console.log'}",
        ]
        self.started_at = time.monotonic()
        with open(self.work / "qemu.log", "wb") as errors:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    # -- QMP ------------------------------------------------------------------------------

    def qmp(self, command: str, **arguments: object) -> object:
        """One QMP command on a fresh connection (the monitor allows one at a time)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(30)
            sock.connect(str(self.qmp_path))
            stream = sock.makefile("rwb")
            json.loads(stream.readline())  # the greeting
            for message in ({"execute": "qmp_capabilities"}, {"execute": command, "arguments": arguments}):
                stream.write(json.dumps(message).encode() + b"\n")
                stream.flush()
                while True:
                    reply = json.loads(stream.readline())
                    if "return" in reply or "error" in reply:
                        break
            if "error" in reply:
                raise RuntimeError(f"QMP {command}: {reply['error']}")
            return reply["return"]

    def screendump(self, path: Path) -> Path:
        """The box's real screen, as QEMU's display device shows it, to a PNG or (cheaper) PPM file."""
        path.unlink(missing_ok=True)
        self.qmp("screendump", filename=str(path), format=path.suffix[1:])
        return path

    def wait_qmp(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.qmp_path.exists():
                try:
                    self.qmp("query-status")
                    return
                except OSError:
                    pass
            self.assert_running()
            time.sleep(0.2)
        raise TimeoutError("QEMU's monitor never answered")

    def assert_running(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"QEMU exited {self.process.returncode}: {(self.work / 'qemu.log').read_text()[-2000:]}")

    # -- the box's shell -------------------------------------------------------------------

    def _ssh_args(self, command: str) -> list[str]:
        return [
            "ssh", "-i", str(self.image.ssh_key), "-p", str(self.ssh_port),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            "-o", "ConnectTimeout=10", "-o", "BatchMode=yes",
            "root@127.0.0.1", command,
        ]

    def ssh(self, command: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``command`` on the box as root (through the loopback-forwarded SSH port)."""
        result = subprocess.run(self._ssh_args(command), capture_output=True, text=True, timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise RuntimeError(f"on the box: {command!r} exited {result.returncode}: {result.stderr.strip()}")
        return result

    def ssh_bytes(self, command: str, stdin: bytes = b"", timeout: float = 120) -> bytes:
        """Run ``command`` on the box with ``stdin``; its standard output, as bytes."""
        result = subprocess.run(self._ssh_args(command), input=stdin, capture_output=True, timeout=timeout, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"on the box: {command!r} exited {result.returncode}: {result.stderr.decode(errors='replace')}")
        return result.stdout

    def put(self, path: str, data: bytes, mode: str = "0644", owner: str = "root:root") -> None:
        """Write a file on the box atomically (temp file, then rename), as a person or sync would."""
        folder, name = os.path.split(path)
        temp = shlex.quote(f"{folder}/.{name}.part")
        self.ssh_bytes(f"cat > {temp} && chmod {mode} {temp} && chown {owner} {temp} && mv {temp} {shlex.quote(path)}", data)

    def wait_ssh(self, timeout: float) -> float:
        """Wait until the box answers on SSH; returns the seconds since QEMU started."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_running()
            try:
                if self.ssh("true", timeout=20, check=False).returncode == 0:
                    return time.monotonic() - self.started_at
            except subprocess.TimeoutExpired:
                pass
            time.sleep(1)
        raise TimeoutError(f"the box did not answer on SSH within {timeout:.0f} s (see {self.work / 'console.log'})")
