"""How the panel is switched outside on_hours: HDMI-CEC, vcgencmd where it works, the
compositor, or a black screen. The tools are stand-ins on PATH that log their arguments and
answer the way the real ones do (cec-ctl's output as v4l-utils' cec-ctl.cpp prints it)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pygame
import pytest

from player.core.loader import load_playlists
from player.core.model import HourWindow
from player.core.scheduler import Timetable
from player.ops.clock import ScaledClock
from player.ops.power import DisplayPower, PowerSchedule, cec_transmitted
from player.render.loop import Player
from player.render.powergate import PowerGate
from player.render.reporting import Reporter
from player.render.screen import Screen, open_screen
from player.render.slides import Painter
from player.render.text import FontChain
from tests.harness import stand_in, start_player, stop

GREEN = "name: house\nslides:\n  - {text: H, background: '#00ff00', transition: cut}\n"
WEEKDAYS = PowerSchedule("UTC", tuple((HourWindow(7 * 60, 23 * 60),) if day < 5 else () for day in range(7)))

# The panel's answer is read from a file beside the stand-in, so a test can change it:
# cec (acknowledges), nack (no CEC: nobody acknowledges), unconfigured (the adapter has no
# logical address, so nothing is sent), denied (the device cannot be opened).
CEC_CTL = r"""
dev=$2
answer=$(cat "$(dirname "$0")/panel")
if [ ! -e "$dev" ]; then echo "Failed to open $dev: No such file or directory" >&2; exit 1; fi
if [ "$answer" = denied ]; then echo "Failed to open $dev: Operation not permitted" >&2; exit 1; fi
printf 'Driver Info:\n\tDriver Name                : vc4_hdmi\n\tAdapter Name               : vc4-hdmi-0\n'
case "$*" in *--to*) ;; *) exit 0 ;; esac
if [ "$answer" = unconfigured ]; then printf '\nAdapter is unconfigured, please configure it first.\n' >&2; exit 0; fi
printf '\nTransmit from Playback Device 1 to TV (4 to 0):\nCEC_MSG_STANDBY (0x36)\n'
printf '\tSequence: 7 Tx Timestamp: 310.422s\n'
if [ "$answer" = nack ]; then printf '\tTx, Not Acknowledged (4), Max Retries\n'; fi
exit 0
"""
NOT_REGISTERED = """
echo 'vc_gencmd_read_response returned -1'
echo 'error=1 error_msg="Command not registered"'
exit {status}
"""
FIRMWARE_VCGENCMD = """
echo "display_power=${2:-1}"
"""


class Tools:
    """A folder of stand-in programs, the log of their calls, and a fake /dev/cec0."""

    def __init__(self, root: Path) -> None:
        self.bin = root / "bin"
        self.calls = root / "calls.log"
        self.cec_device = root / "dev" / "cec0"
        self.bin.mkdir()
        self.calls.touch()

    def cec_ctl(self, answer: str, device: bool = True) -> None:
        stand_in(self.bin, "cec-ctl", CEC_CTL, self.calls)
        self.panel(answer)
        if device:
            self.cec_device.parent.mkdir(exist_ok=True)
            self.cec_device.touch()

    def panel(self, answer: str) -> None:
        (self.bin / "panel").write_text(answer)

    def environ(self, **session: str) -> dict[str, str]:
        # Only the stand-ins: nothing this machine happens to have installed is found.
        return {"PATH": str(self.bin), **session}

    def detect(self, **session: str) -> DisplayPower:
        return DisplayPower.detect(self.environ(**session), cec_devices=[self.cec_device])

    def log(self) -> list[str]:
        return self.calls.read_text().splitlines()


@pytest.fixture
def tools(tmp_path: Path) -> Tools:
    return Tools(tmp_path)


@pytest.fixture
def loop(tmp_path: Path) -> Iterator[tuple[Screen, Painter]]:
    pygame.display.init()
    pygame.freetype.init()
    window = pygame.Window("t", (160, 90))
    yield open_screen(window, "software", 0), Painter(tmp_path, (160, 90), FontChain.resolve())
    window.destroy()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_cec_registers_probes_then_switches_the_panel(tools: Tools) -> None:
    tools.cec_ctl("cec")
    power = tools.detect()
    dev = tools.cec_device
    assert (power.method, power.detail) == ("cec", str(dev))
    assert tools.log() == [f"cec-ctl -d {dev} --playback", f"cec-ctl -d {dev} --to 0 --give-device-power-status"]
    assert power.set(False) and power.set(True)
    assert tools.log()[2:] == [f"cec-ctl -d {dev} --to 0 --standby", f"cec-ctl -d {dev} --to 0 --image-view-on"]


@pytest.mark.parametrize("answer", ["nack", "unconfigured", "denied"])
def test_a_panel_without_cec_falls_back(tools: Tools, answer: str) -> None:
    # cec-ctl exits 0 for a message nobody acknowledged: only its report tells.
    tools.cec_ctl(answer)
    assert tools.detect().method == "black"
    assert any("--give-device-power-status" in call for call in tools.log()) or answer == "denied"


def test_no_cec_device_is_not_probed(tools: Tools) -> None:
    tools.cec_ctl("cec", device=False)
    assert tools.detect().method == "black"
    assert tools.log() == []


def test_falls_back_to_vcgencmd_when_it_works(tools: Tools) -> None:
    tools.cec_ctl("nack")
    stand_in(tools.bin, "vcgencmd", FIRMWARE_VCGENCMD, tools.calls)
    power = tools.detect()
    assert power.method == "vcgencmd"
    assert power.set(False) and power.set(True)
    assert tools.log()[-3:] == ["vcgencmd display_power", "vcgencmd display_power 0", "vcgencmd display_power 1"]


@pytest.mark.parametrize("status", [0, 255])
def test_vcgencmd_that_is_not_registered_is_not_used(tools: Tools, status: int) -> None:
    # Raspberry Pi OS Bookworm (KMS): installed, but the firmware no longer drives the display.
    stand_in(tools.bin, "vcgencmd", NOT_REGISTERED.format(status=status), tools.calls)
    assert tools.detect().method == "black"
    assert tools.log() == ["vcgencmd display_power"]


def test_vcgencmd_that_does_nothing_is_reported(tools: Tools, caplog: pytest.LogCaptureFixture) -> None:
    # Bullseye's KMS: it answers, but keeps display_power=1 whatever it is asked.
    stand_in(tools.bin, "vcgencmd", 'echo "display_power=1"', tools.calls)
    power = tools.detect()
    with caplog.at_level(logging.WARNING, "player.ops.power"):
        assert not power.set(False)
    assert "display power (vcgencmd) off failed" in caplog.text


def test_compositors_as_before(tools: Tools) -> None:
    for name in ("wlr-randr", "xset"):
        stand_in(tools.bin, name, "exit 0", tools.calls)
    assert tools.detect().method == "black"  # installed, but no session to switch
    assert tools.detect(WAYLAND_DISPLAY="wayland-1").method == "wlr-randr"
    xset = tools.detect(DISPLAY=":0")
    assert xset.method == "xset" and xset.set(False)
    assert tools.log()[-1] == "xset +dpms dpms force off"


def test_nothing_available_is_black(tools: Tools) -> None:
    power = tools.detect(DISPLAY=":0", WAYLAND_DISPLAY="wayland-1")
    assert (power.method, power.off_command, power.on_command) == ("black", None, None)
    assert power.set(False) and power.set(True)


def test_only_the_path_and_session_it_is_given_count(tools: Tools, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI passes ``env.environ``: this process's own PATH and session are not looked at."""
    stand_in(tools.bin, "xset", "exit 0", tools.calls)
    monkeypatch.setenv("PATH", f"{tools.bin}{os.pathsep}{os.environ.get('PATH', os.defpath)}")
    monkeypatch.setenv("DISPLAY", ":0")
    assert DisplayPower.detect({"PATH": str(tools.bin / "empty")}, cec_devices=[]).method == "black"
    assert tools.detect().method == "black"  # xset is on the PATH given, but there is no X11 session in it
    assert tools.detect(DISPLAY=":0").method == "xset"


def test_a_cec_panel_that_stops_answering_is_reported(tools: Tools, caplog: pytest.LogCaptureFixture) -> None:
    tools.cec_ctl("cec")
    power = tools.detect()
    tools.panel("nack")  # unplugged, or its CEC switched off in its menu
    with caplog.at_level(logging.WARNING, "player.ops.power"):
        assert not power.set(False)
    assert "display power (cec) off failed (not done): Tx, Not Acknowledged (4), Max Retries" in caplog.text


@pytest.mark.parametrize(
    ("output", "acknowledged"),
    [
        (
            "Transmit from Playback Device 1 to TV (4 to 0):\nCEC_MSG_STANDBY (0x36)\n\tSequence: 2 Tx Timestamp: 1.5s\n",
            True,
        ),
        ("\tSequence: 2 Tx Timestamp: 1.5s Rx Timestamp: 1.6s\n\tApproximate response time: 30 ms\n", True),
        ("\tSequence: 2 Tx Timestamp: 1.5s\n\tTx, OK, Rx, Timeout\n", True),  # acknowledged, no reply
        ("\tSequence: 2 Tx Timestamp: 1.5s\n\tTx, Not Acknowledged (4), Max Retries\n", False),
        ("\tSequence: 2 Tx Timestamp: 1.5s\n\tTx, Arbitration Lost (1), Max Retries\n", False),
        ("\nAdapter is unconfigured, please configure it first.\n", False),
        ("Driver Info:\n\tDriver Name : vc4_hdmi\n", False),  # the transmit ioctl failed: nothing printed
    ],
)
def test_cec_report(output: str, acknowledged: bool) -> None:
    assert cec_transmitted(output) is acknowledged


def test_the_loop_puts_a_cec_panel_to_standby_and_wakes_it(tools: Tools, loop: tuple[Screen, Painter]) -> None:
    screen, painter = loop
    tools.cec_ctl("cec")
    clock = ScaledClock(utc("2024-01-01T06:59:59"), 1.0)
    timetable = Timetable(load_playlists({"house.yaml": GREEN}).playlists)
    player = Player(timetable, clock, screen, painter, power=PowerGate(WEEKDAYS, tools.detect()))
    player.step()
    assert tools.log()[-1].endswith("--to 0 --standby")
    clock.jump(utc("2024-01-01T07:00:01"))
    player.step()
    assert tools.log()[-1].endswith("--to 0 --image-view-on")
    assert screen.read_pixels().get_at((3, 3))[:3] == (0, 255, 0)


def test_the_status_stays_fresh_while_the_panel_is_off(loop: tuple[Screen, Painter], tmp_path: Path) -> None:
    screen, painter = loop
    status = tmp_path / "status.json"
    clock = ScaledClock(utc("2024-01-01T03:00:00"), 1.0)
    timetable = Timetable(load_playlists({"house.yaml": GREEN}).playlists)
    player = Player(timetable, clock, screen, painter, power=PowerGate(WEEKDAYS), reporter=Reporter(status_path=status))
    player.step()
    first = status.read_text()
    player.reporter._status_written -= 61  # a minute of night passes, nothing changes on screen
    clock.jump(utc("2024-01-01T03:01:01"))
    player.step()
    assert status.read_text() != first  # rewritten: `signage status` would call a silent player dead


def test_black_method_end_to_end(tools: Tools, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    """The real player where nothing can switch the panel: black while off, slides again at opening."""
    stand_in(tools.bin, "vcgencmd", NOT_REGISTERED.format(status=0), tools.calls)
    tools.cec_ctl("nack", device=False)  # shadows a real one: on a Pi the player would find /dev/cec0
    environ = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    environ["PATH"] = f"{tools.bin}{os.pathsep}{environ.get('PATH', os.defpath)}"
    config = "timezone: UTC\ndisplay:\n  on_hours: '07:00-23:00'\n"
    # 60 content seconds of night at 15x: 4 real seconds of black, then the opening.
    (tmp_path / "screen").mkdir()
    running = start_player(
        tmp_path / "screen", {"house.yaml": GREEN}, "--at", "2024-01-01T06:59:00Z", "--speed", "15",
        config=config, environ=environ,
    )  # fmt: skip
    try:
        status = running.wait_for(lambda s: s.get("display_on") is False, timeout=15)
        assert status["display_power"] == "black"
        night = running.screenshot()
        assert {night.get_at((x, y))[:3] for x in (0, 160, 319) for y in (0, 90, 179)} == {(0, 0, 0)}
        result = run_cli("status", cwd=running.root)
        assert result.status == 0, result.stdout + result.stderr
        assert "black screen outside on_hours" in result.stdout and "display off by schedule" in result.stdout
        running.wait_for(lambda s: s.get("display_on") is True and s.get("playlist") == "house", timeout=15)
        assert running.screenshot().get_at((3, 3))[:3] == (0, 255, 0)
        log = running.log()
    finally:
        stop(running)
    assert [call for call in tools.log() if call.startswith("vcgencmd")] == ["vcgencmd display_power"]  # at start only
    [said] = [line for line in log.splitlines() if "display power:" in line]
    assert said.startswith("INFO") and "shows black outside display.on_hours" in said


def test_no_on_hours_probes_nothing(tools: Tools, tmp_path: Path) -> None:
    stand_in(tools.bin, "vcgencmd", FIRMWARE_VCGENCMD, tools.calls)
    environ = {**os.environ, "PATH": f"{tools.bin}{os.pathsep}{os.environ.get('PATH', os.defpath)}"}
    (tmp_path / "screen").mkdir()
    running = start_player(tmp_path / "screen", {"house.yaml": GREEN}, environ=environ)
    try:
        assert running.wait_for(lambda s: s.get("playlist") == "house", timeout=15)["display_power"] == "none"
    finally:
        stop(running)
    assert tools.log() == []


def test_configured_commands_are_the_method(tools: Tools) -> None:
    power = DisplayPower(f"echo off >> {tools.calls}", f"echo on >> {tools.calls}")
    assert power.method == "command" and power.set(False) and power.set(True)
    assert tools.log() == ["off", "on"]
