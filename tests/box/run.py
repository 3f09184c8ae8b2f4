"""``make box-test``: the README's install on an emulated Debian console machine, its real screen read.

Builds the box (tests/box/image.py), boots it under QEMU (tests/box/machine.py), and checks
what a person installing a screen would: the player comes up READY on the console, its
screen is the frame ``signage render --at T`` draws for the same content at the same instant,
it comes back after ``kill -9`` and after a reboot, a playlist dropped into the folder shows,
a bundle published on this machine reaches it over the network and shows, ``on_hours`` turns
the screen black and back, and ``signage status`` tells a dead player from a live one. It
measures boot to READY and to the first frame, and the player's RSS and CPU over 2 minutes.

One line per check; exit 1 if any failed. Screenshots and logs stay in the work folder.

    .venv/bin/python tests/box/run.py [--arch amd64|arm64] [--source DIR] [--work DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageChops

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path[:0] = [str(HERE), str(REPO)]

import image  # noqa: E402
from machine import WEB_ADDRESS, WEB_PORT, Box  # noqa: E402

from tests.httpserver import BundleServer  # noqa: E402

SIGNAGE = REPO / ".venv" / "bin" / "signage"
# A pixel "matches" within this many levels per channel (GPU and software compositors, and
# the virtio display's conversion, may round differently); a screen matches the render when
# this share of its pixels do.
CHANNEL_TOLERANCE = 40
MATCH_SHARE = 0.985
DROP_PLAYLIST = """name: box-drop
priority: 90
slides:
  - text: "Dropped into the folder"
    subtitle: "폴더에 넣은 재생목록"
    background: "#2a9d8f"
    color: "#ffffff"
    duration: 3600
"""
# A layout dropped into the folder: a zone of slides beside a text widget and a QR code (no
# ticker: a screen read is compared with renders 0.6 s apart, which a scrolling text never matches).
ZONE_PLAYLIST = """name: box-zone
slides:
  - text: "A layout on the console"
    background: "#2a9d8f"
    color: "#ffffff"
    duration: 3600
"""
LAYOUT = """name: box-layout
priority: 95
background: "#1d3557"
zones:
  - {name: main, area: [0, 0, 0.68, 1], playlists: box-zone}
  - {name: words, area: [0.68, 0, 0.32, 0.4], text: {text: "작은 것의 위대함", background: "#e63946"}}
  - {name: code, area: [0.68, 0.4, 0.32, 0.6], qr: "https://example.com/box-layout"}
"""
FLEET_PLAYLIST = """name: box-fleet
priority: 80
slides:
  - text: "Published to the fleet"
    subtitle: "From the publisher, signed"
    background: "#6d2e8c"
    color: "#ffffff"
    duration: 3600
"""


class Checks:
    """Prints one line per check and remembers the failures."""

    def __init__(self) -> None:
        self.failed: list[str] = []
        self.figures: dict[str, object] = {}

    def record(self, name: str, ok: bool, detail: str) -> bool:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)
        if not ok:
            self.failed.append(name)
        return ok

    def run(self, name: str, check: Callable[[], str]) -> bool:
        try:
            return self.record(name, True, check())
        except Exception as error:  # a failed check is reported, and the next one still runs
            return self.record(name, False, f"{type(error).__name__}: {error}")


class Screen:
    """Compares the box's real screen with ``signage render --at`` of the box's own content."""

    def __init__(self, box: Box, work: Path) -> None:
        self.box = box
        self.work = work
        self.shots = work / "shots"
        shutil.rmtree(self.shots, ignore_errors=True)
        self.shots.mkdir()
        self.count = 0
        self._content: tuple[str, Path] | None = None  # (what the box's content looked like, its copy)

    def dump(self, label: str, suffix: str = ".png") -> Path:
        self.count += 1
        return self.box.screendump(self.shots / f"{self.count:02d}-{label}{suffix}")

    def box_content(self) -> Path:
        """The box's config and folders, copied here, pointing at the copies (again only when they changed)."""
        listing = self.box.ssh(
            "cd /var/lib/signage && find playlists media -printf '%p %s %T@\\n' | sort;"
            " cat /etc/signage/player.yaml; readlink /etc/localtime; true"
        ).stdout
        if self._content is not None and self._content[0] == listing:
            return self._content[1]
        content = Path(tempfile.mkdtemp(prefix="content-", dir=self.work))
        tar = self.box.ssh_bytes("tar -C /var/lib/signage -cf - playlists media")
        with tarfile.open(fileobj=BytesIO(tar)) as archive:
            archive.extractall(content, filter="data")
        (content / "state").mkdir()
        config = self.box.ssh("cat /etc/signage/player.yaml").stdout
        zone = self.box.ssh("readlink /etc/localtime | sed 's|.*zoneinfo/||'; true").stdout.strip() or "UTC"
        (content / "player.yaml").write_text(config + f"\ntimezone: {zone}\n")
        self._content = (listing, content)
        return content

    def render(self, content: Path, at: datetime, size: tuple[int, int], out: Path) -> Path:
        subprocess.run(
            [
                str(SIGNAGE), "--config", str(content / "player.yaml"), "--playlists", str(content / "playlists"),
                "--media", str(content / "media"), "--state", str(content / "state"),
                "render", "--at", at.isoformat(), "--size", f"{size[0]}x{size[1]}", "--out", str(out),
            ],
            check=True, capture_output=True, env={**os.environ, "SDL_VIDEODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"},
        )
        return out

    def box_now(self) -> datetime:
        seconds = float(self.box.ssh("date +%s.%N").stdout)
        return datetime.fromtimestamp(seconds, UTC)

    def clock_offset(self) -> float:
        """Seconds the box's clock is ahead of this machine's (measured over SSH, mid-round-trip)."""
        before = time.time()
        box = self.box_now().timestamp()
        return box - (before + time.time()) / 2

    def record(
        self, label: str, seconds: float, stop: threading.Event | None = None, every: float = 0.25
    ) -> list[tuple[float, Path]]:
        """Read the screen ``every`` seconds for ``seconds`` (or until ``stop``): (host monotonic time, picture).

        As PPM: QEMU writes each screendump on the CPUs the box runs on, and reading every
        0.2 s as PNG slowed the box's own start by seconds.
        """
        shots: list[tuple[float, Path]] = []
        start = time.monotonic()
        while time.monotonic() - start < seconds and not (stop and stop.is_set()):
            taken = time.monotonic()
            # PPM: QEMU writes it without compressing, on the CPUs the box runs on.
            with contextlib.suppress(OSError):  # the monitor is not up yet
                shots.append((taken, self.dump(label, ".ppm")))
            time.sleep(max(0.0, every - (time.monotonic() - taken)))
        return shots

    def first_match(self, shots: list[tuple[float, Path]], offset: float, after_dark: bool = False) -> tuple[float, str]:
        """The earliest recorded screen that shows the render of its own instant.

        The screens go from not matching (console, black) to matching once, so a binary search
        finds the change with a handful of renders. ``after_dark``: the first match after the
        screen stopped matching (a dead player's last frame may stay up until the console
        takes over, and does not count as being back).
        """
        content = self.box_content()
        wall_minus_mono = time.time() - time.monotonic()
        verdicts: dict[int, tuple[bool, str]] = {}

        def matches(index: int) -> bool:
            if index not in verdicts:
                taken, shot = shots[index]
                at = datetime.fromtimestamp(taken + wall_minus_mono + offset, UTC)
                render = self.render(content, at, PILImage.open(shot).size, shot.with_name(shot.stem + "-render.png"))
                share = matching_share(shot, render)
                PILImage.open(shot).save(shot.with_suffix(".png"))  # for people to look at
                verdicts[index] = (share >= MATCH_SHARE, f"{share:.2%} of pixels match the render at {at:%H:%M:%S.%f} ({shot.stem}.png)")
            return verdicts[index][0]

        begin = 0
        if after_dark:
            # The first screen that differs from the one the dead player left (pixels alone).
            begin = next((i for i, (_, shot) in enumerate(shots) if not same_pictures(shot, shots[0][1])), len(shots))
            if begin == len(shots):
                return shots[0][0], f"the screen never changed in {len(shots)} screens read (never dark)"
        found = first_index(matches, begin, len(shots))
        if found == len(shots):
            raise AssertionError(f"none of {len(shots)} screens read matched its render (last {shots[-1][1].name})")
        return shots[found][0], verdicts[found][1]

    def matches_render(self, label: str, timeout: float = 60) -> str:
        """Wait until the screen shows the render of the instant it was read at; say how close."""
        deadline = time.monotonic() + timeout
        content = self.box_content()
        last = "never compared"
        while time.monotonic() < deadline:
            before = self.box_now()
            shot = self.dump(label)
            after = self.box_now()
            at = before + (after - before) / 2
            size = PILImage.open(shot).size
            # Renders a little before and after: if they differ, the screen was read mid-change
            # (a transition), where a fraction of a second of clock skew changes every pixel.
            instants = [at - timedelta(seconds=0.6), at, at + timedelta(seconds=0.6)]
            outs = [self.shots / f"{self.count:02d}-{label}-render{i}.png" for i in range(3)]
            with ThreadPoolExecutor(3) as pool:
                renders = list(pool.map(self.render, [content] * 3, instants, [size] * 3, outs))
            if not (same_pictures(renders[0], renders[1]) and same_pictures(renders[1], renders[2])):
                last = "mid-transition, read again"
                time.sleep(1.0)
                continue
            share = matching_share(shot, renders[1])
            last = f"{share:.2%} of pixels match the render at {at:%H:%M:%S.%f} ({shot.name} vs {renders[1].name})"
            if share >= MATCH_SHARE:
                return last
            time.sleep(1.0)
        raise AssertionError(f"the screen never matched its render: {last}")

    def is_black(self, label: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shot = self.dump(label)
            lightest = max(high for _, high in PILImage.open(shot).convert("RGB").getextrema())
            if lightest <= 8:
                return f"every pixel black ({shot.name})"
            time.sleep(1.0)
        raise AssertionError(f"the screen is not black: brightest channel {lightest} ({shot.name})")


def first_index(holds: Callable[[int], bool], low: int, high: int) -> int:
    """The first index in [low, high) where ``holds`` is true, for a predicate false then true (high: none)."""
    while low < high:
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle + 1
    return low


def same_pictures(a: Path, b: Path) -> bool:
    return ImageChops.difference(PILImage.open(a).convert("RGB"), PILImage.open(b).convert("RGB")).getbbox() is None


def matching_share(shot: Path, render: Path) -> float:
    screen = PILImage.open(shot).convert("RGB")
    expected = PILImage.open(render).convert("RGB")
    if screen.size != expected.size:
        return 0.0
    difference = ImageChops.difference(screen, expected).convert("L")
    histogram = difference.histogram()
    close = sum(histogram[: CHANNEL_TOLERANCE + 1])
    return close / (screen.size[0] * screen.size[1])


# -- the checks ---------------------------------------------------------------------------


def player_state(box: Box) -> dict[str, str]:
    text = box.ssh("systemctl show -p ActiveState,SubState,StatusText,NRestarts,MainPID signage-player").stdout
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def wait_ready(box: Box, timeout: float, since_pid: str = "") -> dict[str, str]:
    deadline = time.monotonic() + timeout
    state: dict[str, str] = {}
    while time.monotonic() < deadline:
        state = player_state(box)
        # Type=notify: active means READY=1 came, after the first frame was on screen.
        if state.get("ActiveState") == "active" and state.get("MainPID") not in ("0", since_pid):
            return state
        time.sleep(0.5)
    raise AssertionError(f"signage-player not READY within {timeout:.0f} s: {state}")


def player_journal(box: Box) -> str:
    """What the player printed this boot."""
    return box.ssh("journalctl -b -u signage-player -o cat --no-pager", check=False).stdout


def journal_warnings(journal: str) -> list[str]:
    """Lines of ``journal`` at WARNING or above, or that look like errors."""
    return [line for line in journal.splitlines() if any(w in line.lower() for w in ("warning", "error", "traceback"))]


def check_boot(box: Box, screen: Screen, checks: Checks) -> None:
    stop = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        recording = pool.submit(screen.record, "boot", 900, stop)
        try:
            ssh_s = box.wait_ssh(600)
            state = wait_ready(box, 300)
            ready_s = time.monotonic() - box.started_at
            # The first frame reaches the glass a few presents after READY: 0.4-0.6 s in most
            # runs, once over 1.5 s on a loaded host, so the screens are read for 4 s more.
            time.sleep(4.0)
        finally:
            stop.set()
        shots = recording.result()
    taken, first = screen.first_match(shots, screen.clock_offset())
    checks.figures["first_frame_s"] = round(taken - box.started_at, 1)
    checks.figures["first_frame_after_ready_s"] = round(taken - box.started_at - ready_s, 1)
    checks.record("first frame", True, f"{taken - box.started_at:.1f} s after power-on "
                  f"({taken - box.started_at - ready_s:+.1f} s from READY): {first}")
    checks.figures["ssh_s"] = round(ssh_s, 1)
    checks.figures["ready_s"] = round(ready_s, 1)
    # A restart at boot is a failed start (its journal line looks like a fault to whoever reads
    # it): the player waits for a screen that is not there yet instead (cli/run.py).
    journal = player_journal(box)
    waited = [line for line in journal.splitlines() if "no screen yet" in line or "the screen appeared after" in line]
    checks.record("ready", state.get("NRestarts") == "0",
                  f"active and READY {ready_s:.1f} s after power-on (SSH up at {ssh_s:.1f} s); "
                  f"{state.get('StatusText')}; restarts {state.get('NRestarts')}"
                  + (f"; {' / '.join(waited)}" if waited else ""))
    boot_us = box.ssh("systemctl show -p ActiveEnterTimestampMonotonic --value signage-player").stdout.strip()
    checks.figures["ready_after_kernel_s"] = round(int(boot_us) / 1e6, 1)
    first = screen.matches_render("screen", timeout=120)
    checks.record("screen", True, first)
    status = json.loads(box.ssh("cat /var/lib/signage/state/status.json").stdout)
    checks.figures["renderer"] = status.get("renderer")
    warnings = journal_warnings(player_journal(box))  # again: the start's lines are all in by now
    checks.record("clean start", not warnings, "; ".join(warnings[:5]) or f"no warning or error in the journal; renderer {status.get('renderer')}")


def check_cost(box: Box, checks: Checks, seconds: float = 120) -> str:
    """RSS and CPU of the player over ``seconds`` of playing the demo."""
    pid = player_state(box)["MainPID"]
    ticks = int(box.ssh("getconf CLK_TCK").stdout)

    def cpu_s() -> float:
        fields = box.ssh(f"cat /proc/{pid}/stat").stdout.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    def rss_mb() -> float:
        line = box.ssh(f"grep VmRSS /proc/{pid}/status").stdout
        return int(line.split()[1]) / 1024

    start_cpu, start = cpu_s(), time.monotonic()
    samples = []
    while time.monotonic() - start < seconds:
        samples.append(rss_mb())
        time.sleep(max(0.0, min(10.0, seconds - (time.monotonic() - start))))
    used = cpu_s() - start_cpu
    elapsed = time.monotonic() - start
    assert player_state(box)["MainPID"] == pid, "the player restarted while measured"
    checks.figures.update(rss_mb_min=round(min(samples), 1), rss_mb_max=round(max(samples), 1),
                          cpu_percent=round(100 * used / elapsed, 1), cost_seconds=round(elapsed))
    return (f"over {elapsed:.0f} s: CPU {used:.1f} s ({100 * used / elapsed:.1f}% of one emulated core), "
            f"RSS {min(samples):.1f}-{max(samples):.1f} MB")


def check_status(box: Box, want_live: bool) -> str:
    result = box.ssh("/opt/signage/venv/bin/signage --config /etc/signage/player.yaml status", check=False)
    first = result.stdout.strip().splitlines()[:3]
    said_live = result.returncode in (0, 1) and "not running" not in result.stdout
    assert said_live == want_live, f"exit {result.returncode}: {result.stdout.strip()} {result.stderr.strip()}"
    return f"exit {result.returncode}: {' | '.join(first)}"


KILL_BACK_S = 5.0


def check_kill(box: Box, screen: Screen) -> str:
    """kill -9, twice: the screen must be back within 5 s at least once, and both figures are said.

    The player keeps its screen in systemd's store (player/render/kms.py), so the dead
    player's last frame should stay up: "back" is then the first read, and the restart is
    proven by the new player taking the screen over and drawing the render of its instant.
    Twice because a kill in a transition or just before a slide change leaves a frame that is
    wrong until the new player's first, and that restart takes 4-6 s on this emulated box.
    """
    first = kill_once(box, screen)
    if first[0] <= KILL_BACK_S:
        return first[1]
    second = kill_once(box, screen)
    detail = f"first {first[1]}; then {second[1]}"
    assert second[0] <= KILL_BACK_S, detail
    return detail


def kill_once(box: Box, screen: Screen) -> tuple[float, str]:
    pid = player_state(box)["MainPID"]
    offset = screen.clock_offset()
    # The box's own clock too (/proc/uptime, as systemd's monotonic timestamps count), for kill to READY.
    killed_box = float(box.ssh(f"kill -9 {pid}; cut -d' ' -f1 /proc/uptime").stdout)
    killed = time.monotonic()
    # Nothing else asks the box anything meanwhile: polling it over SSH slowed the restart.
    shots = screen.record("after-kill", 12 if box.arch == "amd64" else 90)  # arm64 is emulated on x86: slow
    state = wait_ready(box, 60, since_pid=pid)
    taken, back = screen.first_match(shots, offset, after_dark=True)
    seconds = taken - killed
    ready_box = int(box.ssh("systemctl show -p ActiveEnterTimestampMonotonic --value signage-player").stdout) / 1e6
    new_pid = state["MainPID"]
    journal = box.ssh(f"journalctl -b _PID={new_pid} -o cat --no-pager", check=False).stdout
    took_over = "took over the screen the last player kept" in journal
    live = screen.matches_render("after-kill-live", timeout=30)
    return seconds, (f"new pid {new_pid} READY {ready_box - killed_box:.1f} s after kill -9 (the box's "
                     f"clock), screen back {seconds:.1f} s after it (read every 0.25 s); {back}; "
                     f"{'took over the kept screen' if took_over else 'opened the display anew'}, then {live}")


def check_drop(box: Box, screen: Screen) -> str:
    box.put("/var/lib/signage/playlists/box-drop.yaml", DROP_PLAYLIST.encode(), owner="signage:signage")
    shown = wait_status(box, lambda s: s.get("playlist") == "box-drop", 30)
    result = screen.matches_render("dropped", timeout=30)
    box.ssh("rm /var/lib/signage/playlists/box-drop.yaml")
    wait_status(box, lambda s: s.get("playlist") != "box-drop", 30)
    return f"shown in {shown:.1f} s; {result}"


def check_layout(box: Box, screen: Screen) -> str:
    """A layout dropped in shows as ``signage render`` draws it, its QR code readable on the real screen;
    and the feeds service, the third unit, runs."""
    import zxingcpp

    folder = "/var/lib/signage/playlists"
    box.put(f"{folder}/box-zone.yaml", ZONE_PLAYLIST.encode(), owner="signage:signage")
    box.put(f"{folder}/box-layout.yaml", LAYOUT.encode(), owner="signage:signage")
    shown = wait_status(box, lambda s: s.get("layout") == "box-layout" and s.get("playlist") == "box-zone", 30)
    result = screen.matches_render("layout", timeout=45)
    shot = screen.dump("layout-qr")
    codes = [code.text for code in zxingcpp.read_barcodes(PILImage.open(shot).convert("RGB"))]
    feeds = box.ssh("systemctl is-active signage-feeds", check=False).stdout.strip()
    box.ssh(f"rm {folder}/box-layout.yaml {folder}/box-zone.yaml")
    wait_status(box, lambda s: s.get("layout") is None, 30)
    if codes != ["https://example.com/box-layout"]:
        raise AssertionError(f"the QR code on the screen read {codes} ({shot.name})")
    if feeds != "active":
        raise AssertionError(f"signage-feeds is {feeds!r}, not active")
    return f"shown in {shown:.1f} s; {result}; QR code read back from the screen; signage-feeds {feeds}"


def wait_status(box: Box, predicate: Callable[[dict[str, object]], bool], timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        text = box.ssh("cat /var/lib/signage/state/status.json", check=False).stdout
        try:
            if predicate(json.loads(text)):
                return time.monotonic() - start
        except ValueError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"status never changed as expected: {text[:300]}")


def check_sync(box: Box, screen: Screen, work: Path, server_root: Path) -> str:
    publisher = work / "publisher"
    shutil.rmtree(publisher, ignore_errors=True)
    (publisher / "playlists").mkdir(parents=True)
    (publisher / "media").mkdir()
    (publisher / "playlists" / "box-fleet.yaml").write_text(FLEET_PLAYLIST)
    env = {**os.environ, "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    subprocess.run([str(SIGNAGE), "keygen", str(publisher / "keys")], check=True, capture_output=True, env=env)
    subprocess.run(
        [str(SIGNAGE), "--playlists", str(publisher / "playlists"), "--media", str(publisher / "media"),
         "publish", "--key", str(publisher / "keys/publisher.key"), "--out", str(server_root)],
        check=True, capture_output=True, env=env,
    )
    box.put("/etc/signage/publisher.pub", (publisher / "keys/publisher.pub").read_bytes())
    config = box.ssh("cat /etc/signage/player.yaml").stdout
    config = config.replace("  url: null", f"  url: http://{WEB_ADDRESS}:{WEB_PORT}", 1)
    config = config.replace("  pubkey: null", "  pubkey: /etc/signage/publisher.pub", 1)
    config = config.replace("  interval: 60", "  interval: 5", 1)
    box.put("/etc/signage/player.yaml", config.encode(), mode="0640", owner="root:signage")
    box.ssh("systemctl restart signage-sync")
    shown = wait_status(box, lambda s: s.get("playlist") == "box-fleet", 90)
    result = screen.matches_render("synced", timeout=30)
    last = box.ssh("cat /var/lib/signage/state/last.json 2>/dev/null || true").stdout.strip().replace("\n", " ")
    return f"installed and shown {shown:.1f} s after the sync service started; {result}; last.json {last[:160]}"


def set_display(box: Box, line: str) -> None:
    """Set a key of the display section of the box's config, then restart the player."""
    key = line.split(":", 1)[0].strip()
    config = box.ssh("cat /etc/signage/player.yaml").stdout.splitlines()
    config = [f"  {line}" if existing.strip().startswith(f"{key}:") else existing for existing in config]
    box.put("/etc/signage/player.yaml", ("\n".join(config) + "\n").encode(), mode="0640", owner="root:signage")
    pid = player_state(box)["MainPID"]
    box.ssh("systemctl restart signage-player", timeout=120)
    wait_ready(box, 60, since_pid=pid)


def check_on_hours(box: Box, screen: Screen) -> str:
    now = screen.box_now()
    # A window that closed a few minutes ago (in the box's zone, UTC): off now.
    off_window = f'["{(now - timedelta(hours=3)):%H:00}-{(now - timedelta(hours=1)):%H:00}"]'
    set_display(box, f"on_hours: {off_window}")
    black = screen.is_black("power-off")
    status = json.loads(box.ssh("cat /var/lib/signage/state/status.json").stdout)
    method = status.get("display_power", "?")
    assert status.get("display_on") is False, f"status does not say the display is off: {status}"
    set_display(box, "on_hours: always")
    back = screen.matches_render("power-on", timeout=60)
    return f"off window {off_window}: {black}, method {method}; back on: {back}"


def check_reboot(box: Box, screen: Screen, checks: Checks) -> str:
    box.ssh("systemctl reboot", check=False)
    box.started_at = time.monotonic()
    time.sleep(5)
    box.wait_ssh(600)
    wait_ready(box, 300)
    ready = time.monotonic() - box.started_at
    result = screen.matches_render("after-reboot", timeout=120)
    checks.figures["reboot_ready_s"] = round(ready, 1)
    return f"READY {ready:.1f} s after the reboot; {result}"


def print_journal(box: Box, lines: int = 60) -> None:
    """The end of the player's journal, when the box still answers: why a boot went wrong."""
    try:
        journal = box.ssh(f"journalctl -b -u signage-player -o cat --no-pager -n {lines}", check=False).stdout
    except Exception as error:  # the box may be gone: the console log is all there is then
        print(f"(no journal: {type(error).__name__}: {error})")
        return
    print(f"the player's journal, last {lines} lines:\n{journal}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=("amd64", "arm64"), default="amd64")
    parser.add_argument("--source", type=Path, default=REPO, help="the checkout to install (default: this one)")
    parser.add_argument("--work", type=Path, help="work folder (default: /var/tmp/signage-box/ARCH)")
    parser.add_argument("--cost-seconds", type=float, default=120, help="how long to measure RSS and CPU")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("box-test: needs root (debootstrap, chroot, mount)", file=sys.stderr)
        return 2
    work = args.work or Path("/var/tmp/signage-box") / args.arch
    checks = Checks()
    began = time.monotonic()
    try:
        built = image.build(args.source.resolve(), args.arch, work)
    except Exception as error:
        checks.record("image", False, str(error))
        return 1
    checks.record("image", True, f"built in {time.monotonic() - began:.0f} s ({built.disk}); install log {built.install_log}")
    server_root = work / "www"
    shutil.rmtree(server_root, ignore_errors=True)
    server_root.mkdir()
    with BundleServer(server_root) as server:
        box = Box(built, args.arch, work, web_port=int(server.url.rsplit(":", 1)[1]))
        screen = Screen(box, work)
        box.start()
        try:
            box.wait_qmp()
            try:
                check_boot(box, screen, checks)
            except Exception as error:
                checks.record("boot", False, f"{type(error).__name__}: {error} (console: {work / 'console.log'})")
                print_journal(box)
                return 1
            checks.run("cost", lambda: check_cost(box, checks, args.cost_seconds))
            checks.run("status (live)", lambda: check_status(box, want_live=True))
            checks.run("drop", lambda: check_drop(box, screen))
            checks.run("layout", lambda: check_layout(box, screen))
            checks.run("sync", lambda: check_sync(box, screen, work, server_root))
            checks.run("on_hours", lambda: check_on_hours(box, screen))
            checks.run("kill -9", lambda: check_kill(box, screen))
            box.ssh("systemctl stop signage-player")
            checks.run("status (dead)", lambda: check_status(box, want_live=False))
            box.ssh("systemctl start signage-player")
            checks.run("reboot", lambda: check_reboot(box, screen, checks))
        finally:
            box.stop()
    (work / "figures.json").write_text(json.dumps(checks.figures, indent=1) + "\n")
    print(f"figures: {json.dumps(checks.figures)}")
    print(f"screenshots: {screen.shots}; console: {work / 'console.log'}; took {time.monotonic() - began:.0f} s")
    if checks.failed:
        print(f"box-test FAILED: {', '.join(checks.failed)}")
        return 1
    print("box-test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
