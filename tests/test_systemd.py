"""The systemd units and systemd/install.sh.

The units are checked by systemd's own parser (``systemd-analyze verify``) and its offline
security review, plus the keys a screen depends on; install.sh runs for real into a scratch
root (``--root``), twice, then uninstalls. None of this needs systemd as PID 1 or root.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from player.core.config import load_config

REPO = Path(__file__).resolve().parent.parent
UNITS = REPO / "systemd"
INSTALL = UNITS / "install.sh"
PLAYER = "signage-player.service"
SYNC = "signage-sync.service"
FEEDS = "signage-feeds.service"
SCREEN = "signage-screen.service"
SIGNAGE = "/opt/signage/venv/bin/signage"
# Commands that change the machine, not files: with --root, install.sh must run none of them.
SYSTEM_COMMANDS = (
    "apt-get",
    "dpkg-query",
    "useradd",
    "usermod",
    "groupadd",
    "systemctl",
    "pip",
    "pip3",
    "chown",
    "python3",
)
PI_CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=1234-02 rootfstype=ext4 fsck.repair=yes rootwait consoleblank=600"


def systemd_analyze() -> str:
    path = shutil.which("systemd-analyze")
    assert path, "systemd-analyze is missing: install the systemd package (apt-get install systemd)"
    return path


def read_unit(name: str) -> dict[str, list[tuple[str, str]]]:
    """Section -> (key, value) pairs in order; systemd allows a key more than once."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in (UNITS / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        key, _, value = line.partition("=")
        current.append((key.strip(), value.strip()))
    return sections


def values(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    return [v for k, v in unit.get(section, []) if k == key]


def one(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> str:
    found = values(unit, section, key)
    assert len(found) == 1, f"[{section}] {key}= should be set once, found {found}"
    return found[0]


def runnable_copy(name: str, folder: Path) -> Path:
    """The unit with ExecStart's binary swapped for an executable that exists here."""
    fake = folder / "bin" / "signage"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    text = (UNITS / name).read_text()
    assert SIGNAGE in text or name == SCREEN  # the screen wait runs only /bin/sh
    copy = folder / name
    copy.write_text(text.replace(SIGNAGE, str(fake)))
    return copy


def analyze(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([systemd_analyze(), *map(str, args)], capture_output=True, text=True, timeout=30, check=False)


# -- systemd's own checks ---------------------------------------------------------------------


@pytest.mark.parametrize("name", [PLAYER, SYNC, FEEDS, SCREEN])
def test_unit_verifies_without_a_single_warning(name: str, tmp_path: Path) -> None:
    result = analyze("verify", "--man=no", runnable_copy(name, tmp_path))
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0, output
    # verify exits 0 even for unknown keys and unparsable values: any output is a finding.
    assert output == "", output


def test_verify_does_report_what_it_does_not_understand(tmp_path: Path) -> None:
    """The test above means something only if verify complains about a broken unit."""
    broken = runnable_copy(PLAYER, tmp_path)
    broken.write_text(broken.read_text().replace("ProtectSystem=strict", "ProtectSytem=strict\nRestart=sometimes"))
    output = analyze("verify", "--man=no", broken)
    text = output.stdout + output.stderr
    assert "Unknown key" in text and "ProtectSytem" in text
    assert "sometimes" in text


@pytest.mark.parametrize(("name", "ceiling"), [(PLAYER, 1.7), (SYNC, 1.4), (FEEDS, 1.6), (SCREEN, 1.5)])
def test_offline_security_review_stays_low(name: str, ceiling: float, tmp_path: Path) -> None:
    # The score docs/deploy.md quotes; a lost hardening line raises it past the ceiling.
    result = analyze("security", "--offline=yes", "--no-pager", runnable_copy(name, tmp_path))
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= ceiling, result.stdout


# -- the keys a screen depends on ---------------------------------------------------------------

HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "RestrictSUIDSGID": "yes",
    "LockPersonality": "yes",
    "RestrictRealtime": "yes",
    "RestrictNamespaces": "yes",
    "SystemCallArchitectures": "native",
    "CapabilityBoundingSet": "",
}


@pytest.mark.parametrize("name", [PLAYER, SYNC, FEEDS])
def test_hardening_keys_are_set(name: str) -> None:
    unit = read_unit(name)
    for key, expected in HARDENING.items():
        assert one(unit, "Service", key) == expected, key


def test_player_service_shape() -> None:
    unit = read_unit(PLAYER)
    assert one(unit, "Service", "ExecStart") == f"{SIGNAGE} --config /etc/signage/player.yaml run --fullscreen"
    expected = {
        "Type": "notify",
        "NotifyAccess": "main",
        "WatchdogSec": "30",  # player/notify.py pings at half of WATCHDOG_USEC
        "Restart": "always",
        "RestartSec": "0",  # every 100 ms counts: the restart's first frame is what a dropped frame waits for
        "FileDescriptorStoreMax": "1",  # the kept screen (player/render/kms.py): no dark screen after a crash
        "RuntimeDirectoryPreserve": "restart",  # where the player vouches for the kept screen's frame
        "User": "signage",
        "Group": "signage",
        "KillSignal": "SIGTERM",
        "TimeoutStopSec": "10",
        "StandardOutput": "journal",
        "StandardError": "journal",
        "SyslogIdentifier": "signage-player",
    }
    for key, value in expected.items():
        assert one(unit, "Service", key) == value, key
    assert set(one(unit, "Service", "SupplementaryGroups").split()) == {"video", "render", "input"}
    assert "PYTHONUNBUFFERED=1" in values(unit, "Service", "Environment")
    assert "MALLOC_ARENA_MAX=2" in values(unit, "Service", "Environment")  # bounded heap over weeks
    # The sync token also signs the player's heartbeats and proof-of-play uploads.
    assert one(unit, "Service", "EnvironmentFile") == "-/etc/signage/sync.env"
    # SDL must choose its driver itself unless an operator forces one.
    assert not any(v.startswith("SDL_VIDEODRIVER") for v in values(unit, "Service", "Environment"))
    assert one(unit, "Service", "ReadWritePaths").lstrip("-") == "/var/lib/signage/state"
    # Never give up restarting: a start limit that trips leaves the screen dark.
    assert one(unit, "Unit", "StartLimitIntervalSec") == "0"
    assert "time-sync.target" in one(unit, "Unit", "After").split()
    assert "time-sync.target" in one(unit, "Unit", "Wants").split()
    assert one(unit, "Install", "WantedBy") == "multi-user.target"
    # DeviceAllow=char-drm is resolved when the service starts: after the GPU driver, then.
    assert SCREEN in one(unit, "Unit", "After").split() and SCREEN in one(unit, "Unit", "Wants").split()


def test_the_screen_wait_ends_when_the_device_is_there_and_never_holds_the_boot_for_good(tmp_path: Path) -> None:
    """Its shell loop, run here with /proc/devices and /dev/dri swapped for files of the test's."""
    unit = read_unit(SCREEN)
    assert one(unit, "Service", "Type") == "oneshot" and one(unit, "Unit", "Before") == PLAYER
    assert values(unit, "Service", "PrivateDevices") in ([], ["no"]), "it must see /dev/dri"
    script = one(unit, "Service", "ExecStart").removeprefix("/bin/sh -c ").strip("'").replace("$$", "$")
    assert "/proc/devices" in script and "/dev/dri/card*" in script
    (tmp_path / "devices").write_text("Character devices:\n  1 mem\n")
    (tmp_path / "dri").mkdir()
    local = script.replace("/proc/devices", str(tmp_path / "devices")).replace("/dev/dri", str(tmp_path / "dri"))
    waiting = subprocess.Popen(["sh", "-c", local], stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    assert waiting.poll() is None, "no driver yet: it waits"
    (tmp_path / "devices").write_text("Character devices:\n  1 mem\n226 drm\n")
    time.sleep(0.3)
    assert waiting.poll() is None, "the driver, but no card yet: it waits"
    (tmp_path / "dri" / "card1").write_text("")
    assert waiting.wait(timeout=2) == 0
    assert waiting.communicate()[0] == ""
    began = time.monotonic()
    (tmp_path / "dri" / "card1").unlink()
    gave_up = subprocess.run(["sh", "-c", local.replace("seq 300", "seq 5")], capture_output=True, text=True)
    assert gave_up.returncode == 0 and "the player starts without one" in gave_up.stdout
    assert time.monotonic() - began < 3


def test_player_keeps_the_display_devices() -> None:
    """KMSDRM needs the real /dev/dri and /dev/input, and the GPU driver may JIT."""
    unit = read_unit(PLAYER)
    assert values(unit, "Service", "PrivateDevices") in ([], ["no"])
    assert values(unit, "Service", "MemoryDenyWriteExecute") in ([], ["no"])
    allowed = {v.split()[0]: v.split()[1] for v in values(unit, "Service", "DeviceAllow")}
    # ProtectClock=yes implies DeviceAllow=char-rtc, and any DeviceAllow= turns the default
    # policy into an allow-list: without DRM and input on it, the screen stays dark.
    if allowed or values(unit, "Service", "ProtectClock") == ["yes"]:
        assert one(unit, "Service", "DevicePolicy") in ("closed", "strict")
        assert allowed.get("char-drm") == "rw"
        assert "r" in allowed.get("char-input", "")
    families = one(unit, "Service", "RestrictAddressFamilies").split()
    assert {"AF_UNIX", "AF_INET", "AF_INET6"} <= set(families)


def test_sync_service_shape() -> None:
    unit = read_unit(SYNC)
    assert one(unit, "Service", "ExecStart") == f"{SIGNAGE} --config /etc/signage/player.yaml sync"
    assert one(unit, "Service", "Type") == "notify"
    assert one(unit, "Service", "WatchdogSec") == "120"
    assert one(unit, "Service", "Restart") == "always"
    assert one(unit, "Service", "RestartSec") == "10"
    assert one(unit, "Service", "User") == "signage"
    assert one(unit, "Service", "EnvironmentFile") == "-/etc/signage/sync.env"
    assert one(unit, "Service", "PrivateDevices") == "yes"
    assert set(one(unit, "Service", "RestrictAddressFamilies").split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}
    # One mount for all three folders: rename(2) across two bind mounts fails with EXDEV.
    assert one(unit, "Service", "ReadWritePaths") == "/var/lib/signage"
    assert one(unit, "Unit", "ConditionPathExists") == "/etc/signage/publisher.pub"
    assert one(unit, "Unit", "StartLimitIntervalSec") == "0"
    assert "network-online.target" in one(unit, "Unit", "After").split()
    assert "network-online.target" in one(unit, "Unit", "Wants").split()


def test_feeds_service_shape() -> None:
    """Like sync (its own process, restarted, watched), and below the player in CPU and memory."""
    unit = read_unit(FEEDS)
    assert one(unit, "Service", "ExecStart") == f"{SIGNAGE} --config /etc/signage/player.yaml feeds"
    expected = {
        "Type": "notify",
        "NotifyAccess": "main",
        "WatchdogSec": "120",
        "Restart": "always",
        "RestartSec": "10",
        "User": "signage",
        "Group": "signage",
        "PrivateDevices": "yes",
        "PrivateTmp": "yes",  # Chromium's throw-away profiles
        "ReadWritePaths": "/var/lib/signage/media",  # feeds/ and web/ only
        "SyslogIdentifier": "signage-feeds",
        "OOMScoreAdjust": "500",  # the kernel takes a heavy page's browser before the player
    }
    for key, value in expected.items():
        assert one(unit, "Service", key) == value, key
    assert one(unit, "Service", "MemoryMax").endswith("M")
    assert int(one(unit, "Service", "Nice")) > 0
    # Chromium's JavaScript engine needs writable and executable memory.
    assert values(unit, "Service", "MemoryDenyWriteExecute") in ([], ["no"])
    assert {"AF_INET", "AF_INET6", "AF_UNIX"} <= set(one(unit, "Service", "RestrictAddressFamilies").split())
    assert values(unit, "Unit", "ConditionPathExists") == [], "it runs on every screen, idle when nothing is set up"
    assert one(unit, "Unit", "StartLimitIntervalSec") == "0"
    assert "network-online.target" in one(unit, "Unit", "After").split()
    assert one(unit, "Install", "WantedBy") == "multi-user.target"


def test_the_feeds_deadlines_stay_under_the_watchdog() -> None:
    """A fetch or a snapshot sends no watchdog ping while it runs: its longest allowed deadline is shorter."""
    from player.core.config import Config, parse_config
    from player.core.errors import ConfigError

    watchdog = float(one(read_unit(FEEDS), "Service", "WatchdogSec"))
    base = Config(source="x", playlists=Path("p"), media=Path("m"), state=Path("s"))
    assert (
        parse_config("feeds: {fetch_deadline: 90s, snapshot_deadline: 90s}", "x", base).feeds.fetch_deadline < watchdog
    )
    with pytest.raises(ConfigError):
        parse_config(f"feeds: {{snapshot_deadline: {watchdog:g}s}}", "x", base)


# -- install.sh into a scratch root ---------------------------------------------------------------


def test_install_script_parses_and_is_shellcheck_clean() -> None:
    subprocess.run(["bash", "-n", str(INSTALL)], check=True)
    assert os.access(INSTALL, os.X_OK), "install.sh must be executable"
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    result = subprocess.run(["shellcheck", str(INSTALL)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


@pytest.fixture
def install(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run install.sh --root ROOT [ARGS]; system commands on PATH only leave a trace."""
    root = tmp_path / "root"
    (root / "boot" / "firmware").mkdir(parents=True)
    (root / "boot" / "firmware" / "cmdline.txt").write_text(PI_CMDLINE + "\n")
    stubs, trace = tmp_path / "stubs", tmp_path / "system-calls"
    stubs.mkdir()
    for command in SYSTEM_COMMANDS:
        stub = stubs / command
        stub.write_text(f'#!/bin/sh\necho "{command} $*" >> "{trace}"\nexit 1\n')
        stub.chmod(0o755)

    def run(*args: str) -> list[str]:
        env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}"}
        result = subprocess.run(
            ["bash", str(INSTALL), "--root", str(root), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert not trace.exists(), f"--root ran system commands: {trace.read_text()}"
        return result.stdout.splitlines()

    run.root = root  # type: ignore[attr-defined]
    return run


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every path under root with its mode, size and modification time (ns)."""
    return {
        str(path.relative_to(root)): (path.lstat().st_mode, path.lstat().st_size, path.lstat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
    }


def changes(lines: list[str]) -> int:
    assert lines and lines[-1].startswith("changed: "), lines
    return int(lines[-1].removeprefix("changed: "))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_install_twice_into_a_scratch_root(install) -> None:  # type: ignore[no-untyped-def]
    root: Path = install.root
    first = install()
    assert changes(first) > 0
    for name in (SCREEN, PLAYER, SYNC, FEEDS):
        unit = root / "etc/systemd/system" / name
        assert unit.read_bytes() == (UNITS / name).read_bytes()
        assert mode(unit) == 0o644
    assert (root / "opt/signage/docs/feeds.md").read_bytes() == (REPO / "docs/feeds.md").read_bytes()
    for sub in ("playlists", "media", "state"):
        assert (root / "var/lib/signage" / sub).is_dir()
        assert not any((root / "var/lib/signage" / sub).iterdir()), "no demo content without --demo"

    config_path = root / "etc/signage/player.yaml"
    assert mode(config_path) == 0o640  # it may hold a sync token
    config = load_config(config_path, {})
    assert (config.playlists, config.media, config.state) == (
        Path("/var/lib/signage/playlists"),
        Path("/var/lib/signage/media"),
        Path("/var/lib/signage/state"),
    )
    assert config.timezone is None, "an installed screen uses the system's time zone"

    cmdline = (root / "boot/firmware/cmdline.txt").read_text()
    assert cmdline.count("\n") == 1
    words = cmdline.split()
    assert words == [*PI_CMDLINE.split()[:-1], "consoleblank=0", "vt.global_cursor_default=0"]
    assert (root / "boot/firmware/cmdline.txt.before-signage").read_text() == PI_CMDLINE + "\n"
    assert any(line.startswith("skipped (--root): apt-get install") for line in first)

    before = snapshot(root)
    second = install()
    assert changes(second) == 0
    assert [line for line in second[:-1] if line.startswith("changed")] == []
    assert snapshot(root) == before, "a second run must not touch any file"


def test_an_operators_config_and_content_are_kept(install) -> None:  # type: ignore[no-untyped-def]
    root: Path = install.root
    config = root / "etc/signage/player.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("playlists: /srv/mine\n")
    media = root / "var/lib/signage/media"
    media.mkdir(parents=True)
    (media / "poster.png").write_bytes(b"png")
    install("--demo")
    assert config.read_text() == "playlists: /srv/mine\n"
    assert [p.name for p in media.iterdir()] == ["poster.png"], "demo content only goes into empty folders"
    demo = sorted(p.name for p in (REPO / "playlists").iterdir())
    assert sorted(p.name for p in (root / "var/lib/signage/playlists").iterdir()) == demo


def test_uninstall_keeps_content_and_purge_removes_it(install) -> None:  # type: ignore[no-untyped-def]
    root: Path = install.root
    install()
    (root / "etc/signage/publisher.pub").write_text("key")
    (root / "var/lib/signage/media/poster.png").write_bytes(b"png")

    install("--uninstall")
    assert not (root / "etc/systemd/system" / PLAYER).exists()
    assert not (root / "etc/systemd/system" / SYNC).exists()
    assert not (root / "etc/systemd/system" / FEEDS).exists()
    assert not (root / "etc/signage/player.yaml").exists()
    assert not (root / "opt/signage").exists()
    assert (root / "etc/signage/publisher.pub").exists(), "the operator's key is not install.sh's to remove"
    assert (root / "var/lib/signage/media/poster.png").read_bytes() == b"png"

    assert changes(install("--uninstall")) == 0
    install("--uninstall", "--purge")
    assert not (root / "var/lib/signage").exists()
    assert not (root / "etc/signage").exists()
