"""All views of an experiment in one grid widget: for rendering to files and recording."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyqtgraph.Qt import QtWidgets

from compute.views import Readout, View

from . import create_panel
from .base import ViewPanel
from .theme import LIGHT, Theme


class PanelGrid(QtWidgets.QWidget):
    """The views laid out two per row (read-outs in a narrow last row)."""

    def __init__(self, views: tuple[View, ...], theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.setStyleSheet(f"background: {theme.background};")
        self.panels: list[ViewPanel] = [create_panel(v, theme) for v in views]
        layout = QtWidgets.QGridLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        plots = [p for p in self.panels if not isinstance(p.view, Readout)]
        readouts = [p for p in self.panels if isinstance(p.view, Readout)]
        columns = 1 if len(plots) == 1 else 2
        for i, panel in enumerate(plots):
            layout.addWidget(panel, i // columns, i % columns)
        row = (len(plots) + columns - 1) // columns
        for j, panel in enumerate(readouts):  # read-outs side by side in the last row(s)
            layout.addWidget(panel, row + j // columns, j % columns,
                             1, columns if len(readouts) == 1 else 1)
            layout.setRowStretch(row + j // columns, 0)
        for r in range(row):
            layout.setRowStretch(r, 1)
        for c in range(columns):
            layout.setColumnStretch(c, 1)

    def update_frame(self, frame: Mapping[str, Any]) -> None:
        for panel in self.panels:
            panel.update_frame(frame)

    def apply_theme(self, theme: Theme) -> None:
        self.setStyleSheet(f"background: {theme.background};")
        for panel in self.panels:
            panel.apply_theme(theme)
