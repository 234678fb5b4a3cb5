"""``python -m mgai_lab`` is the lab's command line (see ``mgai_lab.cli``)."""

import sys

from .cli import main

sys.exit(main())
