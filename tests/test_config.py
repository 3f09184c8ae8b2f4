"""Tests for player.core.config: each top-level key's reader, the order problems are listed in, precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core.config import Config, IdleConfig, apply_environment, parse_config
from player.core.errors import ConfigError
from player.core.vocabulary import DEFAULT_FONTS, IMAGE_SUFFIXES

SOURCE = "/srv/config/player.yaml"
BASE = Config(source=SOURCE, playlists=Path("/p"), media=Path("/m"), state=Path("/s"))


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, SOURCE, BASE)
    return [str(p) for p in caught.value.problems]


def test_folders_are_relative_to_the_config_folders_parent() -> None:
    config = parse_config("playlists: lists\nmedia: /abs/media\nstate: var/state\n", SOURCE, BASE)
    assert (config.playlists, config.media, config.state) == (Path("/srv/lists"), Path("/abs/media"), Path("/srv/var/state"))


def test_each_section_reads_into_its_own_record() -> None:
    text = (
        "timezone: Asia/Seoul\nfonts: [' Noto Sans ', Other]\nmax_megapixels: 20\nscreen_id: lobby-1\n"
        "display: {size: 1920x1080, rotate: 90, on_hours: {mon: '07:00-23:00'}}\nvideo: {decoder: software}\n"
        "sync: {url: 'https://cdn.example', pubkey: keys/pub.pem, interval: 30}\n"
        "reporting: {keep_days: 7}\nwatch: {poll: true}\n"
    )
    config = parse_config(text, SOURCE, BASE)
    assert config.timezone == "Asia/Seoul" and config.fonts == ("Noto Sans", "Other") and config.max_megapixels == 20.0
    assert config.screen_id == "lobby-1" and config.video_decoder == "software"
    assert config.display.size == (1920, 1080) and config.display.rotate == 90
    assert config.display.on_hours is not None and config.display.on_hours[1] == ()  # days not named are off
    assert config.sync.pubkey == Path("/srv/keys/pub.pem") and config.sync.interval == 30.0
    assert config.reporting.keep_days == 7 and config.watch.poll is True


def test_the_defaults_come_from_the_vocabulary() -> None:
    assert BASE.fonts == DEFAULT_FONTS


@pytest.mark.parametrize("suffix", sorted(IMAGE_SUFFIXES))
def test_an_idle_scalar_with_an_image_suffix_is_a_picture(suffix: str) -> None:
    assert parse_config(f"idle: logo{suffix.upper()}\n", SOURCE, BASE).idle == IdleConfig(image=f"logo{suffix.upper()}")


def test_an_idle_scalar_otherwise_is_a_colour() -> None:
    assert parse_config("idle: '#ff0000'\n", SOURCE, BASE).idle.color == (255, 0, 0, 255)
    assert parse_config("idle: {color: navy, text: Back soon}\n", SOURCE, BASE).idle == IdleConfig((0, 0, 128, 255), None, "Back soon")


def test_a_bad_time_zone_falls_back_to_the_systems_and_is_reported() -> None:
    assert problems("timezone: Nowhere/Land\n") == [
        f"{SOURCE}:1:11: timezone: unknown time zone 'Nowhere/Land': use an IANA name such as \"Europe/London\""
    ]


def test_problems_are_listed_in_the_readers_order_whatever_the_files() -> None:
    found = problems("watch: {debounce: 99}\ndisplay: {rotate: 45}\nstate: 3\nbogus: 1\n")
    assert [p.split(": ", 1)[1].split(":")[0] for p in found] == ["bogus", "state", "display.rotate", "watch.debounce"]
    assert "did you mean" in found[0] or "known fields" in found[0]


def test_environment_overrides_folders_and_zone() -> None:
    config = apply_environment(BASE, {"SIGNAGE_STATE": "/var/x", "SIGNAGE_TIMEZONE": "UTC", "SIGNAGE_MEDIA": ""})
    assert (config.state, config.timezone, config.media) == (Path("/var/x"), "UTC", Path("/m"))
