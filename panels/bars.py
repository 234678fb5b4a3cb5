"""Bars over named categories against an exact law (a :class:`compute.views.Bars`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg

from compute.views import Bars

from .base import PlotPanel
from .theme import Theme

GROUP_WIDTH = 0.8  # share of a category's slot taken by its bars


class BarsPanel(PlotPanel):
    """One ``BarGraphItem`` per group, side by side in each category's slot; the reference
    law as a short thick line across each slot; masked categories in grey."""

    view: Bars

    def __init__(self, view: Bars, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.groups: list[pg.BarGraphItem] = []
        self.group_names: list[str] = []
        self.reference = pg.PlotDataItem(connect="pairs")
        self.ring = pg.PlotDataItem()
        self.plot.addItem(self.reference)
        self.plot.addItem(self.ring)
        self.set_labels(view.xlabel, view.ylabel)
        self.plot.getViewBox().setMouseEnabled(x=False, y=True)
        if view.names or view.reference:  # nothing to name: no empty legend box
            self.add_legend()
        self._categories: list[str] = []
        self._shape: tuple[int, int] = (0, 0)
        if view.reference and self.legend is not None:
            self.legend.addItem(self.reference, view.reference_label)
        self.style_items()

    def style_items(self) -> None:
        super().style_items()
        self.reference.setPen(self.pen(self.theme.reference, 2.2))
        self.ring.setPen(self.pen(self.theme.foreground, 1.2))
        for i, item in enumerate(self.groups):
            item.setOpts(pen=pg.mkPen(self.theme.foreground + "80", width=1))
            self._color_group(i, item, None)

    def _color_group(self, i: int, item: pg.BarGraphItem, mask: np.ndarray | None) -> None:
        color = pg.mkColor(self.theme.color(i) if len(self.groups) > 1 else self.theme.accent)
        grey = pg.mkColor(self.theme.foreground)
        grey.setAlpha(50)
        if mask is None:
            item.setOpts(brush=pg.mkBrush(color))
        else:
            item.setOpts(brushes=[pg.mkBrush(grey if m else color) for m in mask])

    def _ensure_groups(self, k: int, names: list[str]) -> None:
        if len(self.groups) == k and self.group_names == names:
            return
        for item in self.groups:
            self.plot.removeItem(item)
            if self.legend is not None:
                self.legend.removeItem(item)
        self.groups = []
        for i in range(k):
            item = pg.BarGraphItem(x=[0], height=[0], width=0.5)
            self.plot.addItem(item)
            self.groups.append(item)
            if names[i] and self.legend is not None:
                self.legend.addItem(item, names[i])
        self.group_names = names
        self.style_items()

    def show_frame(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        if view.values not in frame:
            return
        values = np.atleast_2d(np.asarray(frame[view.values], dtype=float))
        k, m = values.shape
        names = [str(s) for s in frame[view.names]] if view.names and view.names in frame \
            else [""] * k
        names = (names + [""] * k)[:k]
        self._ensure_groups(k, names)
        mask = np.asarray(frame[view.mask], dtype=bool) if view.mask and view.mask in frame \
            else None
        width = GROUP_WIDTH / k
        centers = np.arange(m, dtype=float)
        for i, item in enumerate(self.groups):
            x = centers - GROUP_WIDTH / 2 + width * (i + 0.5)
            heights = np.nan_to_num(values[i], nan=0.0)
            item.setOpts(x=x, height=heights, width=width * 0.92)
            self._color_group(i, item, mask)
        if view.reference and view.reference in frame:
            ref = np.asarray(frame[view.reference], dtype=float)
            xs = np.stack([centers - 0.45, centers + 0.45], axis=1).ravel()
            ys = np.repeat(ref, 2)
            self.reference.setData(xs, ys)
        if view.categories and view.categories in frame:
            labels = [str(c) for c in frame[view.categories]]
        else:
            labels = [str(i) for i in range(m)]
        if labels != self._categories or (k, m) != self._shape:
            self._categories, self._shape = labels, (k, m)
            step = max(1, int(np.ceil(m / 24)))  # at most ~24 tick labels
            ticks = [(float(i), labels[i]) for i in range(0, m, step)]
            self.plot.getAxis("bottom").setTicks([ticks, []])
            self.plot.setXRange(-0.6, m - 0.4, padding=0)
        if view.yrange:
            self.plot.setYRange(*view.yrange, padding=0.02)
        else:
            top = float(np.nanmax(values)) if values.size else 1.0
            if view.reference and view.reference in frame:
                top = max(top, float(np.nanmax(frame[view.reference])))
            self.plot.setYRange(0.0, max(top, 1e-12) * 1.08, padding=0)
        h = frame.get(view.highlight) if view.highlight else None
        if h is not None and 0 <= int(h) < m:
            c = float(h)
            top = float(np.nanmax(values[:, int(h)]))
            self.ring.setData([c - 0.5, c + 0.5, c + 0.5, c - 0.5, c - 0.5],
                              [0, 0, top * 1.04, top * 1.04, 0])
        else:
            self.ring.setData([], [])

    def hover_text(self, x: float, y: float) -> str:
        i = round(x)
        if 0 <= i < len(self._categories):
            return f"{self.view.title}: {self._categories[i]}, y = {y:.4g}"
        return super().hover_text(x, y)
