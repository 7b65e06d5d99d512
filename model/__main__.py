"""``python -m model ...``: the command line (see model.cli), exiting with its code."""

import sys

from model.cli import main

sys.exit(main())
