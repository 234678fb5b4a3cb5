"""Shared GUI-test set-up: the helper module (_clicks) is importable from every test here,
and ``window`` is a main window with its own settings file."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def window(qtbot, tmp_path):
    """A shown 1300x850 main window with a settings file of its own, shut down after the
    test (an open lecture's unsaved edits are let go, so no question is asked)."""
    from mgai_lab.settings import Settings
    from mgai_lab.window import MainWindow

    win = MainWindow(settings=Settings(tmp_path / "settings.json"))
    qtbot.addWidget(win)
    win.resize(1300, 850)
    win.show()
    yield win
    win.lecture.dirty = False
    win.shutdown()
