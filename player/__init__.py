"""signage: a digital-signage content player.

Importing this package is cheap and side-effect free: pygame is only imported by the
render modules, when a command needs the screen.
"""

__version__ = "0.1.0"
