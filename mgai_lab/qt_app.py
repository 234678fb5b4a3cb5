"""Creating the QApplication (offscreen when there is no display), and keeping Python's
cyclic garbage collector on the GUI thread.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import tempfile

COLLECT_INTERVAL_MS = 500
HEADLESS_SCREEN = (1920, 1080)  # a projector's screen, not Qt's default 800x800

_collector = None


def offscreen_platform(screen: tuple[int, int] = HEADLESS_SCREEN) -> str:
    """The ``QT_QPA_PLATFORM`` value for offscreen Qt with one screen of size ``screen``.

    Full-screen windows (presentation mode) take the screen's size, so headless renders and
    tests of presentation mode see a 1920x1080 projector rather than Qt's default 800x800.
    """
    config = {"screens": [{"name": "offscreen", "x": 0, "y": 0, "width": int(screen[0]),
                           "height": int(screen[1]), "logicalDpiX": 96, "logicalDpiY": 96}]}
    path = os.path.join(tempfile.gettempdir(), f"mgai-lab-screen-{screen[0]}x{screen[1]}.json")
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(config, handle)
    os.replace(tmp, path)
    return f"offscreen:configfile={path}"


def ensure_qapp(headless: bool = False, screen: tuple[int, int] | None = None):
    """The QApplication, created if needed; ``headless`` (or no display) uses offscreen Qt
    with one screen of size ``screen`` (default :data:`HEADLESS_SCREEN`)."""
    no_display = sys.platform.startswith("linux") and not os.environ.get("DISPLAY") \
        and not os.environ.get("WAYLAND_DISPLAY")
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if (headless or no_display) and platform in ("", "offscreen"):
        os.environ["QT_QPA_PLATFORM"] = offscreen_platform(screen or HEADLESS_SCREEN)
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


def release_collector() -> None:
    """Undo :func:`collect_on_gui_thread`: stop the timer, let Python collect again.

    For a script or a notebook that rendered offscreen (``mgai_lab.api``): it runs no event
    loop, so the timer would never fire and cycles would never be collected.
    """
    global _collector
    if _collector is None:
        return
    _collector.stop()
    _collector = None
    gc.enable()
