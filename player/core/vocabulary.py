"""The words the playlists, the config, the decoders and the screen share, each defined once.

The loader and the config reader check files against these; media and render take their
choices from here, so a fit or a file type added in one place is known everywhere.
"""

from __future__ import annotations

FITS: tuple[str, ...] = ("contain", "cover", "stretch")
"""How a picture fills its frame: letterbox, fill and crop, or ignore its aspect."""

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names in files, Monday first: the index is ``date.weekday()``."""

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".svg", ".bmp"})
"""Still images the player decodes (SVG by nanosvg, the rest by Pillow)."""

VIDEO_SUFFIXES = frozenset({".mp4", ".webm", ".mkv", ".mov", ".m4v"})

DEFAULT_FONTS: tuple[str, ...] = (
    "Noto Sans:bold",
    "Noto Sans CJK KR:bold",
    "Noto Sans CJK JP:bold",
    "Noto Sans CJK SC:bold",
    "Noto Sans CJK TC:bold",
    "Noto Sans Arabic:bold",
    "Noto Sans Hebrew:bold",
    "Noto Sans Thai:bold",
    "Noto Color Emoji",
    "DejaVu Sans:bold",
)
"""Noto Sans for Latin, Greek and Cyrillic, drawn to match Noto Sans CJK beside it in weight
and proportion; Noto Sans CJK in its Korean, Japanese, Simplified and Traditional Chinese
forms (one file; a slide's language picks the form, Korean when none says); Arabic, Hebrew
and Thai; colour emoji; DejaVu for the symbols the others lack. Absent ones are skipped
(Debian: fonts-noto-core, fonts-noto-cjk, fonts-noto-color-emoji, fonts-dejavu-core)."""
