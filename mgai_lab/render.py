"""Rendering an experiment's views to image files without a window (CLI ``render``)."""

from __future__ import annotations

from pathlib import Path

from compute.experiment import Experiment, Frame

from .qt_app import ensure_qapp


def render_frame_png(experiment_cls: type[Experiment], frame: Frame, out: Path | str,
                     size: tuple[int, int] = (1200, 900), theme: str = "light") -> Path:
    """Draw every view of ``frame`` in a grid and save it as PNG (written atomically)."""
    app = ensure_qapp(headless=True)
    from pyqtgraph.Qt import QtCore

    from panels.grid import PanelGrid
    from panels.theme import THEMES

    from .presets import atomic_write

    grid = PanelGrid(experiment_cls.views, THEMES[theme])
    grid.resize(*size)
    grid.show()
    grid.update_frame(frame)
    app.processEvents()
    image = grid.grab().toImage()
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError(f"could not encode the PNG for {out}")
    grid.close()
    grid.deleteLater()
    return atomic_write(out, bytes(buffer.data()), overwrite=True)
