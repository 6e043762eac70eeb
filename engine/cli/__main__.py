"""`python -m engine.cli`: the `remud` command."""

import sys

from engine.cli import main

sys.exit(main())
