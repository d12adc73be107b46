"""`python -m daemon.cli`: the same as the `ouroboros` console script."""

import sys

from daemon.cli.commands import main

sys.exit(main())
