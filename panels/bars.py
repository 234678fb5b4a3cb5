"""Bars over named categories (a :class:`compute.views.Bars`): probabilities, spectra,
runtimes, weights; several series side by side, exact values as markers on top."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtGui

from compute.views import Bars

from .base import PlotPanel
from .theme import Theme

GROUP_WIDTH = 0.8  # share of a category's slot covered by its bars
PRINT_MAX_BARS = 12  # the values are printed above the bars up to this many bars


class BarsPanel(PlotPanel):
    """One BarGraphItem per series; category names on the bottom axis."""

    view: Bars

    def __init__(self, view: Bars, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.set_labels(view.xlabel, view.ylabel)
        if view.logy:
            self.plot.getAxis("left").setLogMode(False, True)
        self.bar_items: list[pg.BarGraphItem] = []
        self.series_names: list[str] = []
        self.reference = pg.ScatterPlotItem(pxMode=True, symbol="_")
        self.plot.addItem(self.reference)
        self.texts: list[pg.TextItem] = []
        self.values: np.ndarray | None = None
        self.labels: list[str] = []
        self.highlighted = -1
        self.masked = np.zeros(0, dtype=bool)
        self._ref_in_legend = False
        self.style_items()

    def style_items(self) -> None:
        super().style_items()
        font = QtGui.QFont()
        font.setPointSizeF(self.theme.font_pt * 0.9)
        for text in getattr(self, "texts", []):
            text.setFont(font)
            text.setColor(self.theme.foreground)
        self.plot.showGrid(x=False, y=True, alpha=self.theme.grid_alpha)
        self.reference.setPen(pg.mkPen(self.theme.reference, width=self.theme.line_width * 1.5))
        self.reference.setBrush(pg.mkBrush(self.theme.reference))
        self.reference.setSize(self.theme.marker_px * 4)
        for i, item in enumerate(self.bar_items):
            self._style_bar(item, i)

    def _style_bar(self, item: pg.BarGraphItem, i: int, n_bars: int | None = None) -> None:
        """Series colours; masked categories greyed; the highlighted category (a single
        series) in the reference colour."""
        color = self.theme.color(i) if len(self.bar_items) > 1 else self.theme.accent
        fill = pg.mkColor(color)
        fill.setAlpha(200)
        pen = pg.mkPen(self.theme.foreground, width=1)
        highlight = n_bars is not None and len(self.bar_items) == 1 \
            and 0 <= self.highlighted < n_bars
        masked = self.masked if n_bars is not None and len(self.masked) == n_bars else None
        if highlight or masked is not None:
            marked = pg.mkColor(self.theme.reference)
            marked.setAlpha(220)
            grey = pg.mkColor(self.theme.foreground)
            grey.setAlpha(60)
            brushes = [pg.mkBrush(grey if masked is not None and masked[j]
                                  else marked if highlight and j == self.highlighted else fill)
                       for j in range(n_bars)]
            item.setOpts(brushes=brushes, brush=None, pen=pen)
        else:
            item.setOpts(brush=pg.mkBrush(fill), brushes=None, pen=pen)

    def _ensure_series(self, names: list[str]) -> None:
        if names == self.series_names:
            return
        for item in self.bar_items:
            self.plot.removeItem(item)
            self.remove_legend_entry(item)
        self.bar_items = []
        for name in names:
            item = pg.BarGraphItem(x=[0.0], height=[0.0], width=0.5)
            self.plot.addItem(item)
            self.bar_items.append(item)
            if name:
                self.add_legend_entry(item, name)
        self.series_names = names
        for i, item in enumerate(self.bar_items):
            self._style_bar(item, i)

    def _height(self, v: np.ndarray) -> np.ndarray:
        if not self.view.logy:
            return v
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)

    def show_frame(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        if view.values not in frame:
            return
        values = np.atleast_2d(np.asarray(frame[view.values], dtype=float))
        s, k = values.shape
        self.values = values
        self.labels = [str(x) for x in frame[view.labels]] if (
            view.labels and view.labels in frame) else [str(i + 1) for i in range(k)]
        self.labels = (self.labels + [""] * k)[:k]
        names = [str(x) for x in frame[view.names]] if (
            view.names and view.names in frame) else [""] * s
        self._ensure_series((names + [""] * s)[:s])
        width = GROUP_WIDTH / s
        heights = self._height(values)
        finite = heights[np.isfinite(heights)]
        base = 0.0
        if view.logy:
            # a decade below the smallest bar (strictly), so that bar stays visible
            base = math.floor(float(finite.min()) - 1e-9) if finite.size else 0.0
        self.highlighted = int(frame[view.highlight]) if (
            view.highlight and view.highlight in frame) else -1
        self.masked = np.asarray(frame[view.mask], dtype=bool).ravel() if (
            view.mask and view.mask in frame) else np.zeros(0, dtype=bool)
        for i, item in enumerate(self.bar_items):
            x = np.arange(k) - GROUP_WIDTH / 2 + (i + 0.5) * width
            h = np.where(np.isfinite(heights[i]), heights[i], base)  # NaN: an empty bar
            item.setOpts(x=x, height=(h - base), y0=base, width=width * 0.92)
            self._style_bar(item, i, k)
        self._set_reference(frame, k)
        self._print_values(values, heights, width)
        step = max(1, math.ceil(k / 20))
        self.plot.getAxis("bottom").setTicks([[(j, self.labels[j]) for j in range(0, k, step)],
                                              []])
        self._set_range(heights, k, base)

    def _set_reference(self, frame: Mapping[str, Any], k: int) -> None:
        view = self.view
        if not view.reference or view.reference not in frame:
            self.reference.clear()
            return
        ref = self._height(np.asarray(frame[view.reference], dtype=float).ravel()[:k])
        ok = np.isfinite(ref)
        self.reference.setData(np.arange(k)[ok], ref[ok])
        if not self._ref_in_legend:
            self.add_legend_entry(self.reference, view.reference_label)
            self._ref_in_legend = True

    def _print_values(self, values: np.ndarray, heights: np.ndarray, width: float) -> None:
        """The values above the bars (few bars only); text items are reused."""
        s, k = values.shape
        wanted = [] if s * k > PRINT_MAX_BARS else [
            (i, j) for i in range(s) for j in range(k) if np.isfinite(heights[i, j])]
        font = QtGui.QFont()
        font.setPointSizeF(self.theme.font_pt * 0.9)
        while len(self.texts) < len(wanted):
            text = pg.TextItem(anchor=(0.5, 1.0))
            text.setFont(font)
            self.plot.addItem(text)
            self.texts.append(text)
        for n, text in enumerate(self.texts):
            if n >= len(wanted):
                text.setVisible(False)
                continue
            i, j = wanted[n]
            label = self.view.value_format.format(values[i, j])
            if text.textItem.toPlainText() != label:
                text.setText(label, color=self.theme.foreground)
            text.setPos(j - GROUP_WIDTH / 2 + (i + 0.5) * width, heights[i, j])
            text.setVisible(True)

    def _set_range(self, heights: np.ndarray, k: int, base: float) -> None:
        view = self.view
        self.plot.setXRange(-0.6, k - 0.4, padding=0)
        if view.yrange is not None and not view.logy:
            self.plot.setYRange(*view.yrange, padding=0.02)
            return
        finite = heights[np.isfinite(heights)]
        if not finite.size:
            return
        lo = min(base, float(finite.min()))
        hi = max(base, float(finite.max()))
        span = max(hi - lo, 1e-12)
        self.plot.setYRange(lo, hi + 0.18 * span, padding=0.02)  # room for the printed values

    def hover_text(self, x: float, y: float) -> str:
        if self.values is None:
            return self.view.title
        j = round(x)
        if not 0 <= j < self.values.shape[1]:
            return self.view.title
        parts = []
        for i, name in enumerate(self.series_names):
            v = self.values[i, j]
            shown = "—" if not np.isfinite(v) else self.view.value_format.format(v)
            parts.append(f"{name + ' = ' if name else ''}{shown}")
        return f"{self.view.title}: {self.labels[j]}: {', '.join(parts)}"
