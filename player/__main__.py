"""``python -m player`` is the ``signage`` command."""

import sys

from player.cli.main import main

sys.exit(main())
