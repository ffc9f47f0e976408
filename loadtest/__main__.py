"""``python -m loadtest <scenario> [options]``; see loadtest/README.md."""

import sys

from loadtest.cli import main

sys.exit(main())
