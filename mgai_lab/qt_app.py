"""Creating the QApplication, offscreen when there is no display."""

from __future__ import annotations

import os
import sys


def ensure_qapp(headless: bool = False):
    """The QApplication, created if needed; ``headless`` (or no display) uses offscreen Qt."""
    if headless or (sys.platform.startswith("linux") and not os.environ.get("DISPLAY")
                    and not os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from pyqtgraph.Qt import QtWidgets

    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication(sys.argv[:1])
        app.setApplicationName("MGAI Lab")
        app.setOrganizationName("mgai-lab")
    return app
