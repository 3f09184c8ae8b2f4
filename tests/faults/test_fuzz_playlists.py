"""Playlist fuzzing: whatever the bytes, the loader loads or raises PlaylistError with a
location, in bounded time and memory. Never another exception."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from player.core.errors import PlaylistError
from player.core.loader import load_playlist
from tests.conftest import REPO

DEMO = [p.read_bytes() for p in sorted((REPO / "playlists").glob("*.yaml"))]
KEYS = ["name", "priority", "weight", "schedule", "defaults", "slides", "image", "text", "video", "duration",
        "transition", "timezone", "start", "end", "days", "hours", "tagline", "focus", "background", "color", "id"]


def check(data: bytes | str, budget_s: float = 2.0) -> None:
    """Load ``data``: a Playlist or a PlaylistError whose problems all have a location."""
    started = time.monotonic()
    try:
        load_playlist(data, "fuzz.yaml")
    except PlaylistError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.location.file == "fuzz.yaml" and problem.location.line >= 1 and problem.location.col >= 1
            assert str(problem).startswith("fuzz.yaml:")
    assert time.monotonic() - started < budget_s


scalars = st.one_of(
    st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.text(max_size=30), st.sampled_from(["cut", "fade", "auto", "8s", "1m30s", "#ff6a00", "06:00-24:00", "2018-02-09", "Asia/Seoul", "a.png", "../x.png"]),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=6)),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_random_documents(document: object) -> None:
    import yaml

    check(yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(DEMO), st.data())
def test_mutated_demo_playlists(original: bytes, data: st.DataObject) -> None:
    mutated = bytearray(original)
    for _ in range(data.draw(st.integers(1, 8))):
        kind = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        position = data.draw(st.integers(0, max(0, len(mutated) - 1)))
        if kind == "flip" and mutated:
            mutated[position] = data.draw(st.integers(0, 255))
        elif kind == "delete":
            del mutated[position : position + data.draw(st.integers(1, 40))]
        elif kind == "insert":
            mutated[position:position] = data.draw(st.sampled_from([b"\n", b": ", b"- ", b"&a ", b"*a", b"[", b"{", b"\t", b"!!python/object:os.system ", b"\xff\xfe", b"%YAML 9.9\n"]))
        else:
            del mutated[position:]
    check(bytes(mutated))


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000 + "]" * 5000,  # deeply nested
        "slides:\n" + "  " * 2000 + "- x\n",
        "priority: 1" + "0" * 5000 + "\nslides: [{text: a}]\n",  # huge number
        "weight: .nan\nslides: [{text: a}]\n",
        "slides:\n  - {text: a, duration: .inf}\n",
        "slides:\n  - {text: a, duration: 1e400}\n",
        "!!python/object/apply:os.system ['touch /tmp/pwned']\n",
        "slides: !!binary aGVsbG8=\n",
        "\ufeffslides: [{text: a}]\n",
    ],
)
def test_hostile_documents(text: str) -> None:
    check(text)
    assert not Path("/tmp/pwned").exists()


@pytest.mark.parametrize(
    "data",
    [
        "slides: [{text: 작은 것}]\n".encode("utf-16"),
        "slides: [{text: café}]\n".encode("latin-1"),
        b"\x00\x01\x02\x03slides",
        b"slides:\n  - text: \xc3\x28\n",
    ],
)
def test_wrong_encodings(data: bytes) -> None:
    check(data)


def test_billion_laughs_in_bounded_time_and_memory() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    for target in ("slides: *a11", "slides:\n  - text: a\n    tagline: *a11", "defaults: {focus: *a11}\nslides: [{text: a}]"):
        tracemalloc.start()
        check("\n".join(lines) + "\n" + target + "\n")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < 50 * 2**20


def test_ten_megabyte_file_is_refused_quickly() -> None:
    big = "  - text: " + "x" * 100 + "\n"
    data = ("slides:\n" + big * (10 * 2**20 // len(big))).encode()
    with pytest.raises(PlaylistError, match=r"over the limit"):
        started = time.monotonic()
        load_playlist(data, "big.yaml")
    assert time.monotonic() - started < 1
