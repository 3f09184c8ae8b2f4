"""`signage validate` lists a file's missing media together with its other problems (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.core.errors import PlaylistError
from player.core.loader import MediaRef, load_playlist, read_playlist

BROKEN = """\
name: b
schedule:
  start: 2018-02-09
  end: 2018-02-01
defaults:
  background_image: backdrop.png
slides:
  - image: Kenya.png
    duration: 5
  - text: hi
    duration: x
"""


def test_missing_media_is_reported_with_the_files_other_problems(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "playlists").mkdir()
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "kenya.png").write_bytes(b"")
    (tmp_path / "playlists" / "b.yaml").write_text(BROKEN)
    result = run_cli("validate")
    where = f"{tmp_path}/playlists/b.yaml"
    assert result.status == 1
    assert result.stdout.splitlines() == [
        f"{where}:4:8: schedule.end: end (2018-02-01) must come after start (2018-02-09)",
        f"{where}:8:5: slides[0].image: media file 'Kenya.png' not found in {tmp_path}/media; "
        "did you mean 'kenya.png'? (names are case-sensitive)",
        f"{where}:8:5: slides[0].background_image: media file 'backdrop.png' not found in {tmp_path}/media; "
        "add it there or fix the name",
        f"{where}:10:5: slides[1].background_image: media file 'backdrop.png' not found in {tmp_path}/media; "
        "add it there or fix the name",
        f"{where}:11:15: slides[1].duration: 'x' is not a duration: use seconds (8, 2.5) or units like \"8s\", "
        '"1m30s", "500ms"',
    ]
    assert result.stderr == "5 problem(s) in 1 file(s)\n"


def test_a_file_with_problems_still_names_its_media_but_is_not_played() -> None:
    reading = read_playlist(BROKEN, "b.yaml")
    assert reading.playlist is None and len(reading.problems) == 2
    assert [(ref.location.line, ref.field, ref.path) for ref in reading.media] == [
        (8, "slides[0].image", "Kenya.png"),
        (8, "slides[0].background_image", "backdrop.png"),
        (10, "slides[1].background_image", "backdrop.png"),
    ]
    assert all(isinstance(ref, MediaRef) for ref in reading.media)
    with pytest.raises(PlaylistError):  # the player's rule is unchanged: a file with problems is not played
        load_playlist(BROKEN, "b.yaml")
