"""Which OpenGL implementation SDL's renderer got: a GPU, or Mesa drawing on the CPU.

SDL does not say, and pygame-ce exposes no renderer info, so this asks OpenGL itself
(``glGetString(GL_RENDERER)``) through whichever GL library is loaded; with libglvnd both
libGL and libGLESv2 answer for the context current on this thread, which SDL's renderer has
just made current.
"""

from __future__ import annotations

import ctypes

GL_RENDERER = 0x1F01
_LIBRARIES = ("libGL.so.1", "libGLESv2.so.2")
# Mesa's CPU rasterisers, as GL_RENDERER names them ("llvmpipe (LLVM 15.0.6, 256 bits)").
_SOFTWARE_RASTERISERS = ("llvmpipe", "softpipe", "swrast", "software rasterizer")


def current_gl_renderer() -> str | None:
    """GL_RENDERER of the context current on this thread; None without one (SDL's own software renderer)."""
    for name in _LIBRARIES:
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        get_string = library.glGetString
        get_string.restype = ctypes.c_char_p
        get_string.argtypes = [ctypes.c_uint]
        answer = get_string(GL_RENDERER)
        if answer:
            return bytes(answer).decode("utf-8", "replace")
    return None


def is_software_rasteriser(gl_renderer: str) -> bool:
    """True for a GL that draws on the CPU: there, textures only add a copy of every slide and LLVM's memory."""
    name = gl_renderer.casefold()
    return any(word in name for word in _SOFTWARE_RASTERISERS)
