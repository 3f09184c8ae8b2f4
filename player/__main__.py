"""``python -m player`` is the ``signage`` command."""

import sys

from player.cli.launch import main

sys.exit(main())
