"""Decoding pictures and video into plain bytes (Pillow, PyAV). No pygame."""
