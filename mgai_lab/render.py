"""Rendering an experiment's views to files without a window (the CLI's ``render``).

PNG and SVG show the final frame; MP4 and GIF record every frame pulled. The views are
laid out by :class:`panels.grid.PanelGrid`, the same grid the GUI records from.
"""

from __future__ import annotations

from pathlib import Path

from compute.experiment import Experiment, Frame

from .export import VIDEO_FORMATS, ExportError, Recorder, write_png, write_svg
from .qt_app import ensure_qapp

SUFFIXES = (".png", ".svg", *VIDEO_FORMATS)

__all__ = ["SUFFIXES", "ExportError", "Renderer", "render_frame_png"]


class Renderer:
    """A context manager: feed frames with :meth:`add_frame` (videos), end with :meth:`finish`.

    Leaving the block without :meth:`finish` (an error, Ctrl-C) removes a partial video.
    """

    def __init__(self, experiment_cls: type[Experiment], out: Path | str,
                 size: tuple[int, int] = (1200, 900), theme: str = "light", *,
                 fps: float = 30.0, hidden: frozenset[str] = frozenset()):
        self.app = ensure_qapp(headless=True)
        from panels.theme import THEMES

        self.cls = experiment_cls
        self.out = Path(out)
        self.size = size
        self.theme = THEMES[theme]
        self.video = self.out.suffix.lower() in VIDEO_FORMATS
        self.hidden = hidden
        self.recorder = (Recorder(experiment_cls, self.out, self.theme, size=size, fps=fps,
                                  hidden_views=hidden) if self.video else None)
        self.done = False

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.recorder is not None and not self.done:
            self.recorder.abort()

    def add_frame(self, frame: Frame) -> None:
        self.recorder.add_frame(frame)

    def finish(self, last_frame: Frame) -> Path:
        """Write the file: the recording, or the last frame as PNG/SVG."""
        self.done = True
        if self.recorder is not None:
            return self.recorder.stop()
        return render_frame(self.cls, last_frame, self.out, self.size, self.theme, self.hidden)


def render_frame(experiment_cls: type[Experiment], frame: Frame, out: Path,
                 size: tuple[int, int], theme, hidden: frozenset[str] = frozenset()) -> Path:
    """Every view of ``frame`` in a grid, saved as PNG or SVG by the suffix of ``out``."""
    from pyqtgraph.Qt import QtCore

    from panels.grid import PanelGrid

    app = ensure_qapp(headless=True)
    grid = PanelGrid(experiment_cls.views, theme, hidden=hidden)
    grid.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    grid.resize(*size)
    grid.show()
    grid.update_frame(frame)
    app.processEvents()
    try:
        if out.suffix.lower() == ".svg":
            return write_svg(grid.panels, out, titled=grid.cells)
        return write_png([grid], out)
    finally:
        grid.close()
        grid.deleteLater()


def render_frame_png(experiment_cls: type[Experiment], frame: Frame, out: Path | str,
                     size: tuple[int, int] = (1200, 900), theme: str = "light") -> Path:
    """Convenience: the final-frame PNG (used by scripts and tests)."""
    from panels.theme import THEMES

    return render_frame(experiment_cls, frame, Path(out), size, THEMES[theme])
