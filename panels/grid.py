"""All views of an experiment in one grid widget: for rendering to files and recording.

In the window each view sits in a dock whose title bar names it; here each cell carries the
view's title above its panel instead (plots draw no title of their own).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pyqtgraph.Qt import QtCore, QtWidgets

from compute.views import Readout, View

from . import create_panel
from .base import ViewPanel
from .readout import MOST_HEIGHT_SHARE
from .theme import LIGHT, Theme


class TitledPanel(QtWidgets.QWidget):
    """A panel with its view's title above it."""

    def __init__(self, panel: ViewPanel, parent=None):
        super().__init__(parent)
        self.panel = panel
        self.setWindowTitle(panel.view.title)  # (named in SVG exports)
        self.title = QtWidgets.QLabel(panel.view.title)
        self.title.setAlignment(QtCore.Qt.AlignmentFlag.AlignHCenter)
        self.title.setWordWrap(True)  # a long title takes two lines, never the grid's width
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title)
        layout.addWidget(panel, 1)

    def apply_theme(self, theme: Theme) -> None:
        self.title.setStyleSheet(f"color: {theme.foreground}; font-weight: bold; "
                                 f"font-size: {theme.font_pt * 1.1:.0f}pt;")


class PanelGrid(QtWidgets.QWidget):
    """The views laid out two per row (read-outs in a narrow last row), each titled.

    A read-out's row is as tall as its lines (up to :data:`MOST_HEIGHT_SHARE` of the
    grid); the plots share the rest in equal rows. (The titles wrap, so the grid lays
    its rows out by height-for-width, which takes each cell's size hint as its minimum:
    the plots' 480 px hints did not fit, and every row, the read-out's included, was
    squeezed alike, down to a line or two of the read-out.)

    ``hidden`` names views left out (those a parameter choice makes meaningless).
    """

    def __init__(self, views: tuple[View, ...], theme: Theme = LIGHT, parent=None,
                 hidden: Iterable[str] = ()):
        super().__init__(parent)
        hidden = set(hidden)
        self.panels: list[ViewPanel] = [create_panel(v, theme) for v in views
                                        if v.key not in hidden]
        self.cells = [TitledPanel(p) for p in self.panels]
        layout = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        # the grid is the size it is given (a render's, a video's): its layout never
        # raises it to the layout's minimum, as Qt does for a top-level widget
        layout.setSizeConstraint(QtWidgets.QLayout.SizeConstraint.SetNoConstraint)
        plots = [c for c in self.cells if not isinstance(c.panel.view, Readout)]
        readouts = [c for c in self.cells if isinstance(c.panel.view, Readout)]
        self.readout_cells = readouts
        Policy = QtWidgets.QSizePolicy.Policy
        for cell in self.cells:
            cell.panel.setSizePolicy(Policy.Preferred,
                                     Policy.Fixed if cell in readouts else Policy.Ignored)
        columns = 1 if len(plots) == 1 else 2
        for i, cell in enumerate(plots):
            layout.addWidget(cell, i // columns, i % columns)
        row = (len(plots) + columns - 1) // columns
        for j, cell in enumerate(readouts):  # read-outs side by side in the last row(s)
            layout.addWidget(cell, row + j // columns, j % columns,
                             1, columns if len(readouts) == 1 else 1)
            layout.setRowStretch(row + j // columns, 0)
        for r in range(row):
            layout.setRowStretch(r, 1)
        for c in range(columns):
            layout.setColumnStretch(c, 1)
        self.apply_theme(theme)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        most = int(self.height() * MOST_HEIGHT_SHARE)
        for cell in self.readout_cells:  # an unusually long table scrolls beyond this
            cell.panel.setMaximumHeight(max(most - cell.title.sizeHint().height(), 40))

    def update_frame(self, frame: Mapping[str, Any]) -> None:
        for panel in self.panels:
            panel.update_frame(frame)

    def apply_theme(self, theme: Theme) -> None:
        # the text colour too: the sheet reaches the views' own controls (a mode box), whose
        # default dark text vanished on the dark themes' background
        self.setStyleSheet(f"background: {theme.background}; color: {theme.foreground};")
        for cell in self.cells:
            cell.apply_theme(theme)
            cell.panel.apply_theme(theme)
