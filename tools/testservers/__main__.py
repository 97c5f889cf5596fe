"""``python -m tools.testservers``: see :mod:`tools.testservers.cli`."""

import sys

from tools.testservers.cli import main

sys.exit(main())
