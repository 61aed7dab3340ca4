"""``python -m nnlib.grading generate|grade ...`` (see nnlib/grading/cli.py)."""

import sys

from .cli import main

sys.exit(main())
