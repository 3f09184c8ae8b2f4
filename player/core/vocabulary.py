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

DEFAULT_FONTS: tuple[str, ...] = ("DejaVu Sans:bold", "Noto Sans CJK KR:bold")
"""A Latin sans, then Noto Sans CJK KR (Hangul, kana and Chinese ideographs in one face)."""
