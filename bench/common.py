"""What the benchmarks share: results and table rows, the machine's description, a private
Xvfb, generated photos, and a sampler of a process tree's CPU time and memory.

Every benchmark script imports this as ``common`` (each runs as ``python bench/X.py``, so
``bench/`` is on ``sys.path``). Nothing here starts anything at import time.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
SIGNAGE = [sys.executable, "-m", "player"]
SCREEN = (1920, 1080)
QUIET_SDL = {"PYGAME_HIDE_SUPPORT_PROMPT": "1", "SDL_AUDIODRIVER": "dummy"}


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the results table. ``passed`` is None when a figure has no goal."""

    figure: str
    value: str
    goal: str
    passed: bool | None

    @property
    def result(self) -> str:
        return "n/a" if self.passed is None else "PASS" if self.passed else "FAIL"

    def markdown(self) -> str:
        return f"| {self.figure} | {self.value} | {self.goal} | {self.result} |"


TABLE_HEADER = ("| figure | value | goal | result |", "|---|---|---|---|")


def report(name: str, rows: Sequence[Row], notes: str, data: dict[str, object]) -> None:
    """Print the rows as markdown and write ``results/NAME.json`` (rows, notes and raw data)."""
    RESULTS.mkdir(exist_ok=True)
    record = {"rows": [{**asdict(row), "result": row.result} for row in rows], "notes": notes, "data": data}
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=1, default=str) + "\n")
    print("\n".join(TABLE_HEADER))
    for row in rows:
        print(row.markdown())
    print()
    print(notes)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile (the same rule as the player's TransitionReport.p99_ms)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else float("nan")


def mb(size: float) -> str:
    return f"{size / 2**20:.0f} MB"


# -- the machine ---------------------------------------------------------------------------


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    os.environ.update(QUIET_SDL)
    import PIL
    import pygame

    sdl = ".".join(str(n) for n in pygame.get_sdl_version())
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "ram": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "pygame-ce": pygame.version.ver,
        "sdl": sdl,
        "pillow": PIL.__version__,
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


# -- a private X server --------------------------------------------------------------------


@contextlib.contextmanager
def xvfb(size: tuple[int, int] = SCREEN, depth: int = 24) -> Iterator[Xvfb]:
    """Start Xvfb on a free display number; stop it on the way out, whatever happened."""
    for number in range(91, 140):
        if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        process = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", f"{size[0]}x{size[1]}x{depth}", "-nolisten", "tcp", "-noreset"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            if _wait_for_socket(process, Path(f"/tmp/.X11-unix/X{number}")):
                yield Xvfb(f":{number}", process)
                return
        finally:
            stop(process)
    raise RuntimeError("no free X display number in :91..:139")


@dataclass(frozen=True)
class Xvfb:
    display: str
    process: subprocess.Popen[bytes]

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for a client of this server."""
        return {**os.environ, **QUIET_SDL, "DISPLAY": self.display, **extra}

    def cpu_seconds(self) -> float:
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system

    def screenshot(self):  # type: ignore[no-untyped-def]
        """The whole screen as a PIL image (Pillow speaks XCB itself: no xwd or import needed)."""
        from PIL import ImageGrab

        return ImageGrab.grab(xdisplay=self.display)


def _wait_for_socket(process: subprocess.Popen[bytes], socket_path: Path, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False  # lost a race for the number: the caller tries the next one
        if socket_path.exists():
            time.sleep(0.2)  # the socket appears just before the server accepts on it
            return True
        time.sleep(0.05)
    return False


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 5 s; always reaps. Safe to call on an exited process."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


# -- content -------------------------------------------------------------------------------


def photo(path: Path, size: tuple[int, int], seed: int, quality: int = 90) -> None:
    """A photo-like JPEG: gradients, overlapping soft discs and grain, distinct per seed.

    Grain matters: it gives the file a photo's entropy (about 3.6 MB at 4000x3000), so
    decoding costs what a real photo costs.
    """
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    small = (size[0] // 4, size[1] // 4)
    gradient = Image.linear_gradient("L")
    picture = Image.merge("RGB", [gradient.rotate(rng.choice((0, 90, 180, 270))).resize(small) for _ in range(3)])
    draw = ImageDraw.Draw(picture)
    for _ in range(40):
        x, y = rng.randrange(small[0]), rng.randrange(small[1])
        r = rng.randrange(small[0] // 40, small[0] // 6)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    picture = picture.filter(ImageFilter.GaussianBlur(2)).resize(size, Image.Resampling.BICUBIC)
    picture = Image.blend(picture, Image.effect_noise(size, 60).convert("RGB"), 0.12)
    picture.save(path, quality=quality)


def photo_copies(media: Path, distinct: int, count: int, seed: int) -> list[str]:
    """``count`` photo files in ``media`` made of ``distinct`` generated 4000x3000 photos, each
    copy with its own bytes after the JPEG's end marker: ignored by decoders, but another
    file's hash, so the player's prepared-slide cache (named by content) sees ``count``
    pictures. Returns their names, in order."""
    originals = [media / f"photo-{n}.jpg" for n in range(distinct)]
    for n, path in enumerate(originals):
        photo(path, (4000, 3000), seed=seed + n)
    names = [f"slide-{n:03}.jpg" for n in range(count)]
    for n, name in enumerate(names):
        (media / name).write_bytes(originals[n % distinct].read_bytes() + f"copy {n}".encode())
    for path in originals:
        path.unlink()
    return names


def content_root(root: Path, playlists: dict[str, str], config: str = "timezone: UTC\n") -> Path:
    """A player folder (config/, playlists/, media/, state/) to run ``signage`` in."""
    for folder in ("config", "playlists", "media", "state"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "config" / "player.yaml").write_text(config)
    for name, text in playlists.items():
        (root / "playlists" / name).write_text(text)
    return root


# -- watching a process --------------------------------------------------------------------


@dataclass
class Watched:
    """A process's CPU time (its own and its children's) and memory, sampled while it ran."""

    cpu_s: float = 0.0
    peak_rss: int = 0
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, cpu_s)
    rss_timeline: list[tuple[float, int]] = field(default_factory=list)  # (seconds since start, bytes)
    log: str = ""
    libraries: tuple[str, ...] = ()  # GL libraries mapped at the probe
    memory: list[tuple[str, int]] = field(default_factory=list)  # RSS by mapping at the probe


def tree_cpu_rss(process: psutil.Process) -> tuple[float, int]:
    """User+system seconds of the process, its reaped children and its live descendants; their RSS."""
    times = process.cpu_times()
    cpu = times.user + times.system + times.children_user + times.children_system
    rss = process.memory_info().rss
    for child in process.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            child_times = child.cpu_times()
            cpu += child_times.user + child_times.system
            rss += child.memory_info().rss
    return cpu, rss


def high_water_mark(pid: int) -> int:
    """VmHWM: the kernel's own record of the process's peak RSS (bytes)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


GL_LIBRARIES = ("libGLX_mesa", "swrast_dri", "libgallium", "libLLVM", "libEGL_mesa")


def mapped_libraries(pid: int, names: Sequence[str] = GL_LIBRARIES) -> tuple[str, ...]:
    """Which of ``names`` appear in the process's memory map (which GL driver it loaded)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return ()
    return tuple(name for name in names if name in maps)


def memory_by_mapping(pid: int, top: int = 5) -> list[tuple[str, int]]:
    """The process's RSS grouped by what is mapped (a library, [heap], anonymous), largest first."""
    groups: dict[str, int] = {}
    name = "?"
    try:
        lines = Path(f"/proc/{pid}/smaps").read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        parts = line.split()
        if parts and not parts[0].endswith(":"):  # a mapping's header line
            name = (
                Path(parts[5]).name
                if len(parts) > 5 and parts[5].startswith("/")
                else (parts[5] if len(parts) > 5 else "anonymous")
            )
        elif parts and parts[0] == "Rss:":
            groups[name] = groups.get(name, 0) + int(parts[1]) * 1024
    return sorted(groups.items(), key=lambda item: -item[1])[:top]


def watch(
    command: Sequence[str],
    seconds: float,
    *,
    env: dict[str, str],
    cwd: Path,
    log_path: Path,
    probe_at: float | None = None,
    on_probe: Callable[[], None] | None = None,
    interval: float = 0.25,
) -> Watched:
    """Run ``command`` for ``seconds``, sampling its tree's CPU and RSS every ``interval``.

    At ``probe_at`` seconds it notes the GL libraries and the memory map, and calls
    ``on_probe`` (a screenshot). CPU is read just before the process is stopped, so it
    covers start-up and ``seconds`` of running, and nothing of shutting down.
    """
    watched = Watched()
    probed = probe_at is None
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        started = time.monotonic()
        try:
            info = psutil.Process(process.pid)
            while (elapsed := time.monotonic() - started) < seconds:
                if process.poll() is not None:
                    raise RuntimeError(f"{command[0]} exited early ({process.returncode}): see {log_path}")
                cpu, rss = tree_cpu_rss(info)
                watched.timeline.append((elapsed, cpu))
                watched.rss_timeline.append((elapsed, rss))
                watched.peak_rss = max(watched.peak_rss, rss)
                if not probed and probe_at is not None and elapsed >= probe_at:
                    probed = True
                    watched.libraries = mapped_libraries(process.pid)
                    watched.memory = memory_by_mapping(process.pid)
                    if on_probe is not None:
                        on_probe()
                time.sleep(min(interval, max(0.0, seconds - elapsed)))
            watched.cpu_s, rss = tree_cpu_rss(info)
            watched.timeline.append((time.monotonic() - started, watched.cpu_s))
            watched.peak_rss = max(watched.peak_rss, rss, high_water_mark(process.pid))
        finally:
            stop(process)
    watched.log = log_path.read_text(errors="replace")
    return watched
