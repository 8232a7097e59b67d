"""``python -m carteiro``: the command-line interface."""

import sys

from carteiro.cli import main

sys.exit(main())
