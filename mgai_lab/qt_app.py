"""Creating the QApplication (offscreen when there is no display), and keeping Python's
cyclic garbage collector on the GUI thread.
"""

from __future__ import annotations

import gc
import os
import sys

COLLECT_INTERVAL_MS = 500

_collector = None


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
    collect_on_gui_thread()
    return app


def collect_on_gui_thread() -> None:
    """Run the cyclic garbage collector from a GUI-thread timer only.

    Python collects cycles in whichever thread happens to allocate. If a cycle holds a Qt
    object (pyqtgraph items hold many), a worker thread would run its destructor, which
    takes Qt's signal lock while waiting for the GIL held by the GUI thread: a deadlock
    seen in the test suite. Automatic collection is switched off; a timer collects here.
    """
    global _collector
    if _collector is not None:
        return
    from pyqtgraph.Qt import QtCore

    thresholds = gc.get_threshold()

    def collect() -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return

    gc.disable()
    _collector = QtCore.QTimer()
    _collector.setInterval(COLLECT_INTERVAL_MS)
    _collector.timeout.connect(collect)
    _collector.start()
