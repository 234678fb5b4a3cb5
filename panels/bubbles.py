"""Values on a few nodes drawn as discs of area proportional to the value (``Bubbles``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg

from compute.views import Bubbles

from .base import PlotPanel
from .theme import Theme

MAX_DIAMETER_PX = 60.0


class BubblesPanel(PlotPanel):
    """A :class:`compute.views.Bubbles` view: one disc and one value label per node."""

    view: Bubbles

    def __init__(self, view: Bubbles, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.discs = pg.ScatterPlotItem(pxMode=True)
        self.ring = pg.ScatterPlotItem(pxMode=True)
        self.plot.addItem(self.discs)
        self.plot.addItem(self.ring)
        self.labels: list[pg.TextItem] = []
        self._range: tuple = (None, None)
        self.plot.setAspectLocked(True)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.style_items()

    def show_frame(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        if view.centers not in frame or view.values not in frame:
            return
        centers = np.asarray(frame[view.centers], dtype=float)
        values = np.clip(np.asarray(frame[view.values], dtype=float), 0.0, view.max_value)
        frac = values / view.max_value
        largest = self._largest_diameter(centers)
        sizes = np.maximum(largest * np.sqrt(frac), 2.0)
        fill = pg.mkColor(self.theme.accent)
        fill.setAlpha(200)
        self.discs.setData(centers[:, 0], centers[:, 1], size=sizes, brush=pg.mkBrush(fill),
                           pen=pg.mkPen(self.theme.foreground, width=1))
        self._set_labels(centers, values)
        highlight = frame.get(view.highlight) if view.highlight else None
        if highlight is not None and 0 <= int(highlight) < len(centers):
            c = centers[int(highlight)]
            self.ring.setData([c[0]], [c[1]], size=largest * 1.15, brush=None,
                              pen=pg.mkPen(self.theme.reference, width=self.theme.line_width * 1.5))
        else:
            self.ring.clear()

    def _largest_diameter(self, centers: np.ndarray) -> float:
        """The diameter of a full disc in pixels: at most MAX_DIAMETER_PX (scaled with the
        type) and small enough that neighbouring discs and their labels do not overlap."""
        largest = MAX_DIAMETER_PX * self.theme.font_pt / 9.0
        if len(centers) > 1:
            gaps = np.linalg.norm(centers[:, None] - centers[None], axis=-1)
            gap = float(gaps[gaps > 0].min()) if (gaps > 0).any() else 0.0
            px, py = self.plot.getViewBox().viewPixelSize()
            if gap > 0 and px > 0 and py > 0:
                largest = min(largest, 0.6 * gap / max(px, py))
        return max(largest, 4.0)

    def _set_labels(self, centers: np.ndarray, values: np.ndarray) -> None:
        while len(self.labels) < len(centers):
            label = pg.TextItem(anchor=(0.5, -0.6))
            self.plot.addItem(label)
            self.labels.append(label)
        for i, label in enumerate(self.labels):
            if i < len(centers):
                label.setText(self.view.value_format.format(values[i]), color=self.theme.foreground)
                label.setPos(*centers[i])
                label.show()
            else:
                label.hide()
        span = np.ptp(centers, axis=0).max() if len(centers) > 1 else 1.0
        lo, hi = centers.min(axis=0) - 0.5 * span / 2, centers.max(axis=0) + 0.5 * span / 2
        self._range = ((lo[0], hi[0]), (lo[1], hi[1]))
        self.plot.setRange(xRange=self._range[0], yRange=self._range[1], padding=0.05)

    def fixed_range(self):
        """The nodes' layout frames the view (the discs are drawn in pixels around them)."""
        return self._range
