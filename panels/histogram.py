"""Histogram bars against an analytic density (a :class:`compute.views.Histogram`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore

from compute.views import Histogram

from .base import PlotPanel
from .theme import Theme


class HistogramPanel(PlotPanel):
    """Step-filled bars from ``edges``/``values`` with the reference density on top."""

    view: Histogram

    def __init__(self, view: Histogram, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.bars = pg.PlotCurveItem(x=np.zeros(1), y=np.zeros(0), stepMode="center", fillLevel=0)
        self.reference = pg.PlotDataItem(name=view.reference_label)
        self.plot.addItem(self.bars)
        self.plot.addItem(self.reference)
        self.add_legend_entry(self.bars, "simulated")
        if view.reference:
            self.add_legend_entry(self.reference, view.reference_label)
        self.set_labels(view.xlabel, view.ylabel)
        self.style_items()

    def style_items(self) -> None:
        super().style_items()
        accent = pg.mkColor(self.theme.accent)
        fill = pg.mkColor(accent)
        fill.setAlpha(110)
        self.bars.setPen(pg.mkPen(accent, width=max(1.0, self.theme.line_width / 2)))
        self.bars.setBrush(pg.mkBrush(fill))
        self.reference.setPen(self.pen(self.theme.reference, 1.3, QtCore.Qt.PenStyle.SolidLine))

    def show_frame(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        if view.edges in frame and view.values in frame:
            self.bars.setData(frame[view.edges], frame[view.values])
        if view.reference and self.changed(frame, *view.reference):
            self.reference.setData(frame[view.reference[0]], frame[view.reference[1]])
