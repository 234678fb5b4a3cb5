#!/usr/bin/env python3
"""MGAI Lab launcher.

    python3 main.py [options]            the lab's window (same as ``mgai-lab``)
    python3 main.py list|describe|run|render ...   the command line (``mgai-lab --help``)
    python3 main.py test [pytest args]   the whole test suite, headless

The first run creates ``.venv`` beside this file and installs the lab into it (see
``mgai_lab/bootstrap.py``); later runs start at once.
"""

import os
import sys

from mgai_lab.bootstrap import ensure_environment


def run_tests(args: list[str]) -> int:
    """Run pytest on ``tests/`` offscreen, on both cores when pytest-xdist is there."""
    import pytest

    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.chdir(os.path.dirname(os.path.abspath(__file__)))
    return pytest.main(["-n", "2", *args] if "-n" not in args else args)


if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv[:1] == ["test"]:
        ensure_environment(extras=("test",))
        sys.exit(run_tests(argv[1:]))
    ensure_environment()
    from mgai_lab.cli import main

    sys.exit(main(argv))
