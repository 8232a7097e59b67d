"""``python -m carteiro``: the command-line interface."""

import sys

from carteiro.cli.main import main

sys.exit(main())
