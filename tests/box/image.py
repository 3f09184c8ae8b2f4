"""The emulated signage box's disk: a Debian 12 console system with the checkout installed.

Two layers, so a run with a warm cache takes seconds here instead of minutes:

* the **base** (cached under ``/var/cache/signage-box/ARCH/``, rebuilt when its recipe
  changes): ``debootstrap --variant=minbase`` with systemd, udev, a kernel, python3 and
  python3-venv, which is what a new user's console machine has, plus the test's own access
  (an SSH server with a key of the cache's own) and a stand-in for NTP;
* the **install**, made afresh every run: the checkout copied in and the README's install,
  ``systemd/install.sh --demo``, run as root inside the chroot. Debian packages and wheels
  come through caches shared between runs (the download, not the install, is what is cached).

Everything here runs on the host as root with public tools only: debootstrap, chroot, mount
and mke2fs (``-d`` fills an ext4 image from a folder, so no loop device is needed).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(os.environ.get("SIGNAGE_BOX_CACHE", "/var/cache/signage-box"))
SUITE = "bookworm"
# What a new user's console machine has (the issue that found the first console crash
# describes it), and the test's own way in. Nothing the player needs: install.sh brings that.
BASE_PACKAGES = (
    "systemd",
    "systemd-sysv",
    "udev",
    "kmod",
    "python3",
    "python3-venv",
    "openssh-server",
)
KERNEL_PACKAGE = {"amd64": "linux-image-amd64", "arm64": "linux-image-arm64"}
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# Bump when the base recipe below changes in a way its inputs do not show.
RECIPE_VERSION = "3"

NETWORK_UNIT = """[Match]
Name=en* eth*

[Network]
DHCP=ipv4
"""

# The box cannot reach an NTP server (its network is restricted to the test's loopback
# forwards), so this unit tells the kernel the clock is synchronised at boot, the way
# systemd-timesyncd does on a real screen once NTP answers. The player's clock rule
# (player/clocktrust.py) reads exactly that flag. It exists only in the test's image.
FAKE_NTP_SCRIPT = r"""#!/usr/bin/python3
# The box test's stand-in for NTP: mark the kernel clock synchronised (adjtimex ADJ_STATUS,
# STA_UNSYNC cleared, small error bounds), as timesyncd does after its first answer.
import ctypes, ctypes.util
ADJ_OFFSET, ADJ_MAXERROR, ADJ_ESTERROR, ADJ_STATUS = 0x0001, 0x0004, 0x0008, 0x0010
class Timex(ctypes.Structure):
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("constant", ctypes.c_long), ("precision", ctypes.c_long), ("tolerance", ctypes.c_long),
                ("time_sec", ctypes.c_long), ("time_usec", ctypes.c_long), ("tick", ctypes.c_long),
                ("pad", ctypes.c_byte * 256)]
t = Timex(modes=ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR, maxerror=1000, esterror=1000, status=0)
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
state = libc.adjtimex(ctypes.byref(t))
print("clock marked synchronised, adjtimex state", state)
"""

FAKE_NTP_UNIT = """[Unit]
Description=Box test stand-in for NTP (marks the clock synchronised)
DefaultDependencies=no
Before=time-sync.target
Wants=time-sync.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/box-fake-ntp

[Install]
WantedBy=sysinit.target
"""


@dataclass(frozen=True)
class Image:
    """A bootable box: its disk image, kernel and initrd, and the key to log in with."""

    disk: Path
    kernel: Path
    initrd: Path
    ssh_key: Path
    install_log: Path


def run(*command: str | Path, log: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Run a command; its output goes to ``log`` (appended) so a failure can be read later."""
    with open(log or os.devnull, "a") as out:
        out.write(f"$ {' '.join(str(c) for c in command)}\n")
        out.flush()
        result = subprocess.run([str(c) for c in command], stdout=out, stderr=subprocess.STDOUT, env=env, check=False)
    if result.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:] if log else ""
        raise RuntimeError(f"{command[0]} exited {result.returncode}; log {log}:\n{tail}")


def debian_mirror() -> str:
    """The Debian mirror this machine's own apt uses (the box installs from the same place)."""
    for path in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        for line in path.read_text().splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
    listing = Path("/etc/apt/sources.list")
    if listing.exists():
        for line in listing.read_text().splitlines():
            words = line.split()
            if words[:1] == ["deb"] and "security" not in line:
                return next(w for w in words[1:] if "://" in w)
    raise RuntimeError("no Debian mirror found in /etc/apt/sources.list(.d): cannot build the box")


def base_key(arch: str) -> str:
    recipe = "\n".join([RECIPE_VERSION, SUITE, arch, *BASE_PACKAGES, KERNEL_PACKAGE[arch], NETWORK_UNIT, FAKE_NTP_SCRIPT])
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def ensure_base(arch: str, log: Path) -> Path:
    """The cached base system for ``arch`` (built now if missing or its recipe changed)."""
    home = CACHE / arch
    base = home / f"base-{base_key(arch)}"
    if (base / ".complete").exists():
        return base
    home.mkdir(parents=True, exist_ok=True)
    for stale in home.glob("base-*"):
        shutil.rmtree(stale, ignore_errors=True)
    partial = home / "base.partial"
    shutil.rmtree(partial, ignore_errors=True)
    include = ",".join((*BASE_PACKAGES, KERNEL_PACKAGE[arch]))
    foreign = ["--foreign"] if arch != host_arch() else []
    if foreign:
        register_binfmt(arch)
    run(
        "debootstrap", "--variant=minbase", f"--arch={arch}", f"--include={include}", *foreign,
        SUITE, partial, debian_mirror(), log=log,
    )
    if foreign:
        # A foreign architecture finishes its second stage under qemu-user (binfmt_misc).
        run("chroot", partial, "/debootstrap/debootstrap", "--second-stage", log=log)
    _configure_base(partial)
    (partial / ".complete").write_text(base_key(arch) + "\n")
    partial.rename(base)
    return base


QEMU_USER = {"arm64": "aarch64", "amd64": "x86_64"}


def register_binfmt(arch: str) -> None:
    """Let this kernel run ``arch`` programs through qemu-user (qemu-user-static's binfmt entry).

    The package registers it through systemd-binfmt, which a container or CI machine without
    systemd never runs; the entry's F flag makes it work inside the chroot as well.
    """
    binfmt = Path("/proc/sys/fs/binfmt_misc")
    name = f"qemu-{QEMU_USER[arch]}"
    if not (binfmt / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(binfmt)], check=True)
    if (binfmt / name).exists():
        return
    entry = Path(f"/usr/lib/binfmt.d/{name}.conf")
    if not entry.exists():
        raise RuntimeError(f"{entry} is missing: apt-get install qemu-user-static")
    (binfmt / "register").write_text(entry.read_text().strip())


def host_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


def _configure_base(root: Path) -> None:
    (root / "etc/hostname").write_text("signage-box\n")
    (root / "etc/hosts").write_text("127.0.0.1 localhost\n127.0.1.1 signage-box\n")
    (root / "etc/fstab").write_text("/dev/vda / ext4 defaults,errors=remount-ro 0 1\n")
    network = root / "etc/systemd/network/20-wired.network"
    network.parent.mkdir(parents=True, exist_ok=True)
    network.write_text(NETWORK_UNIT)
    _enable(root, "systemd-networkd.service", "multi-user.target")
    script = root / "usr/local/sbin/box-fake-ntp"
    script.write_text(FAKE_NTP_SCRIPT)
    script.chmod(0o755)
    (root / "etc/systemd/system/box-fake-ntp.service").write_text(FAKE_NTP_UNIT)
    _enable(root, "box-fake-ntp.service", "sysinit.target")
    # The box's root logs in with this key only (the test's way in, on a loopback port).
    key = root.parent / "ssh_key"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    ssh = root / "root/.ssh"
    ssh.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copy(key.with_suffix(".pub"), ssh / "authorized_keys")


def _enable(root: Path, unit: str, target: str) -> None:
    wants = root / "etc/systemd/system" / f"{target}.wants"
    wants.mkdir(parents=True, exist_ok=True)
    source = root / "etc/systemd/system" / unit
    link_target = f"/etc/systemd/system/{unit}" if source.exists() else f"/lib/systemd/system/{unit}"
    link = wants / unit
    if not link.is_symlink():
        link.symlink_to(link_target)


def checkout_files(checkout: Path) -> list[str]:
    """The files git knows (tracked, and untracked but not ignored), as they are now."""
    listing = subprocess.run(
        ["git", "-C", str(checkout), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=True,
    ).stdout
    return [name for name in listing.decode().split("\0") if name and (checkout / name).is_file()]


def copy_checkout(checkout: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest.parent / "checkout.tar"
    with tarfile.open(archive, "w") as tar:
        for name in checkout_files(checkout):
            tar.add(checkout / name, arcname=name)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="tar")
    archive.unlink()


class Chroot:
    """The kernel file systems and caches a package install needs, mounted for its duration."""

    def __init__(self, root: Path, arch: str) -> None:
        self.root = root
        self.caches = {
            CACHE / arch / "apt-archives": root / "var/cache/apt/archives",
            CACHE / arch / "pip": root / "root/.cache/pip",
        }
        self.mounted: list[Path] = []

    def __enter__(self) -> Chroot:
        for fs, where in (("proc", "proc"), ("sysfs", "sys")):
            self._mount(["-t", fs, fs], self.root / where)
        self._mount(["--rbind", "/dev"], self.root / "dev")
        for source, target in self.caches.items():
            source.mkdir(parents=True, exist_ok=True)
            self._mount(["--bind", str(source)], target)
        shutil.copy("/etc/resolv.conf", self.root / "etc/resolv.conf")
        return self

    def _mount(self, args: list[str], target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", *args, str(target)], check=True)
        self.mounted.append(target)

    def __exit__(self, *exc: object) -> None:
        for target in reversed(self.mounted):
            subprocess.run(["umount", "--recursive", "--lazy", str(target)], check=False)
        self.mounted.clear()


def build(checkout: Path, arch: str, work: Path) -> Image:
    """A fresh box disk for this checkout: the cached base plus a real ``install.sh --demo``."""
    work.mkdir(parents=True, exist_ok=True)
    log = work / "build.log"
    log.write_text("")
    base = ensure_base(arch, log)
    root = work / "rootfs"
    with fresh_copy(base, root, log):
        _install(checkout, arch, root, work, log)
        disk = work / "disk.img"
        disk.unlink(missing_ok=True)
        run("mkfs.ext4", "-q", "-F", "-L", "signage", "-d", root, disk, "4G", log=log)
        boot = root / "boot"
        shutil.copy(max(boot.glob("vmlinuz-*")), work / "vmlinuz")
        shutil.copy(max(boot.glob("initrd.img-*")), work / "initrd.img")
    return Image(disk, work / "vmlinuz", work / "initrd.img", CACHE / arch / "ssh_key", work / "install.log")


@contextlib.contextmanager
def fresh_copy(base: Path, root: Path, log: Path) -> Iterator[None]:
    """``root`` as a writable copy of ``base`` for the block: an overlay (the base is never
    written, and nothing is copied), or a plain copy where overlayfs cannot be mounted."""
    subprocess.run(["umount", "--lazy", str(root)], capture_output=True, check=False)  # a crashed run's
    for leftover in (root, root.with_name("rootfs.upper"), root.with_name("rootfs.work")):
        if leftover.exists():
            run("rm", "-rf", "--one-file-system", leftover, log=log)
    upper, scratch = root.with_name("rootfs.upper"), root.with_name("rootfs.work")
    for folder in (root, upper, scratch):
        folder.mkdir()
    options = f"lowerdir={base},upperdir={upper},workdir={scratch}"
    overlay = subprocess.run(["mount", "-t", "overlay", "overlay", "-o", options, str(root)], check=False).returncode == 0
    if not overlay:
        root.rmdir()
        run("cp", "-a", base, root, log=log)
    try:
        yield
    finally:
        if overlay:
            subprocess.run(["umount", str(root)], check=False)


def _install(checkout: Path, arch: str, root: Path, work: Path, log: Path) -> None:
    """Copy the checkout into ``root`` and run ``install.sh --demo`` there as root, as a new user would."""
    copy_checkout(checkout, root / "root/signage")
    # The chroot's pip reaches PyPI through this machine's CA bundle (PIP_CERT): the box's own
    # bundle does not know every CA a host network may put in the way.
    shutil.copy(HOST_CA_BUNDLE, root / "etc/ssl/host-ca-bundle.crt")
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "PIP_CERT": "/etc/ssl/host-ca-bundle.crt",
    }
    install_log = work / "install.log"
    install_log.write_text("")
    with Chroot(root, arch):
        run("chroot", root, "/root/signage/systemd/install.sh", "--demo", log=install_log, env=env)
    (root / "etc/ssl/host-ca-bundle.crt").unlink()
