#!/bin/sh
# `make demo`: play the bundled campaign as it ran on 10 February 2018 in Seoul.
# On a desktop (X11/Wayland) it opens a window; on a bare console it plays full screen;
# with no display at all it writes the demo's contact sheet and prints its path.
set -eu
cd "$(dirname "$0")/.."
mode="--fullscreen"
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  mode="--windowed"
fi
.venv/bin/signage validate
echo "Playing the demo (q or Esc quits a window; Ctrl-C stops it)..."
exec .venv/bin/signage run $mode --at 2018-02-10T08:59:50 --or-sheet state/demo-sheet.png ${DEMO_ARGS:-}
