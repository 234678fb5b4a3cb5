"""Starting the GUI: the QApplication, the main window and the first experiment."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import Any

from .qt_app import ensure_qapp

STARTUP_PROBE = "MGAI_LAB_STARTUP_PROBE"  # print the time of the first painted frame, then quit


def run_gui(experiment_id: str | None, values: Mapping[str, Any] | None = None, *,
            present: bool = False, playing: bool = False, device: str = "auto",
            screenshot: str | None = None, screenshot_frames: int = 200,
            size: tuple[int, int] | None = None, speed: int | None = None,
            compare: Mapping[str, Any] | None = None, lecture: str | None = None) -> int:
    """Open the window on ``experiment_id`` and run the event loop; returns the exit status.

    Without an id the window reopens the last experiment of the previous session. With a
    ``lecture`` file, the lecture's first step opens instead.

    With ``compare`` (B's values) the experiment opens twice, as an A/B comparison.

    With ``screenshot`` the lab plays ``screenshot_frames`` frames, saves the whole window
    to that PNG and quits (used for the README's picture).
    """
    from compute import blas, registry

    # One BLAS thread for the GUI thread as for the worker (DESIGN §4): the home experiment
    # sets up on the GUI thread, where OpenBLAS spinning up a second thread on a busy
    # 2-core machine made one small eigh take 0.36 s instead of 0.01 s.
    blas.use_one_thread()
    app = ensure_qapp(screen=size if present else None)
    from pyqtgraph.Qt import QtCore

    from .cli import DEFAULT_EXPERIMENT
    from .window import MainWindow

    window = MainWindow(device=device)
    if experiment_id is None:
        last = window.settings.get("last_experiment")
        experiment_id = last if last in {info.id for info in registry.catalog()} \
            else DEFAULT_EXPERIMENT
    if size:
        window.resize(*size)
    page = window.lecture.open_file(lecture) if lecture else None
    if page is None:
        page = window.open_experiment(experiment_id, values,
                                      playing=playing or bool(screenshot))
    if screenshot:
        page.play()  # (a lecture's first step may start paused)
    if speed:
        page.set_speed(speed)
        window.transport.speed.setValue(page.session.speed)
    window.show()
    if compare:  # --compare: B beside A (mgai_lab.compare)
        window.compare.start(page, compare)
    app.aboutToQuit.connect(window.shutdown)
    if os.environ.get(STARTUP_PROBE):
        _install_startup_probe(app, page)
    if screenshot:
        _install_screenshot(app, window, page, screenshot, screenshot_frames)
    if present:
        window.appearance.set_presentation(True)
    QtCore.QTimer.singleShot(0, window.raise_)
    return app.exec()


def _install_startup_probe(app, page) -> None:
    """After the first frame is drawn, print the wall-clock time and whether torch loaded."""
    from pyqtgraph.Qt import QtCore

    def check() -> None:
        if page.frames_shown:
            app.processEvents()
            print(f"first-frame-painted {time.time():.6f} torch-imported "
                  f"{'torch' in sys.modules}", flush=True)
            app.quit()
        else:
            QtCore.QTimer.singleShot(5, check)

    QtCore.QTimer.singleShot(0, check)


def _install_screenshot(app, window, page, path: str, frames: int) -> None:
    """Save the window to ``path`` once ``frames`` frames have been drawn, then quit."""
    from pyqtgraph.Qt import QtCore

    def check() -> None:
        if page.frames_shown < frames:
            QtCore.QTimer.singleShot(20, check)
            return
        page.pause()
        page.explanation.render_equations()
        app.processEvents()
        if not window.grab().save(path):
            print(f"mgai-lab: could not write the screenshot {path}", file=sys.stderr)
        app.quit()

    QtCore.QTimer.singleShot(0, check)
