"""``python -m player`` is the ``signage`` command."""

import sys

from player.cli import main

sys.exit(main())
