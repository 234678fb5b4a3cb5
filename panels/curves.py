"""Curves against a shared abscissa, with optional log axes (a :class:`compute.views.Curves`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore

from compute.views import Curves, Series

from .base import PlotPanel
from .theme import Theme


class CurvesPanel(PlotPanel):
    """One PlotDataItem per line; a (k, n) series becomes k lines named by its ``names``."""

    view: Curves

    def __init__(self, view: Curves, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.plot.setLogMode(x=view.logx, y=view.logy)
        if view.equal_aspect:
            self.plot.setAspectLocked(True)
        self.set_labels(view.xlabel, view.ylabel)
        self.lines: list[list[pg.PlotDataItem]] = [[] for _ in view.series]
        self.line_names: list[list[str]] = [[] for _ in view.series]
        self.markers: dict[str, pg.InfiniteLine] = {}
        for name in view.vlines:
            self.markers[name] = pg.InfiniteLine(angle=90)
        for name in view.hlines:
            self.markers[name] = pg.InfiniteLine(angle=0)
        for marker in self.markers.values():
            self.plot.addItem(marker)
        self.style_items()

    def _row_color(self, series_index: int, row: int) -> str:
        """Distinct colours across all rows of all series (a lone line takes the accent)."""
        if len(self.view.series) == 1 and len(self.lines[0]) <= 1:
            return self.theme.accent
        before = sum(max(len(rows), 1) for rows in self.lines[:series_index])
        return self.theme.color(before + row)

    def style_items(self) -> None:
        super().style_items()
        for si, series in enumerate(self.view.series):
            for row, item in enumerate(self.lines[si]):
                self._style_line(item, series, self._row_color(si, row))
        for marker in self.markers.values():
            marker.setPen(self.pen(self.theme.reference, 1.0, QtCore.Qt.PenStyle.DashLine))

    def _style_line(self, item: pg.PlotDataItem, series: Series, color: str) -> None:
        if series.style == "fan":
            return  # styled per class when drawn
        if series.style == "dots":
            item.setPen(None)
            item.setSymbol("o")
            item.setSymbolSize(self.theme.marker_px * 1.2)
            item.setSymbolBrush(pg.mkBrush(color))
            item.setSymbolPen(None)
        else:
            item.setPen(self.pen(color))

    def _ensure_rows(self, si: int, series: Series, names: list[str]) -> None:
        items = self.lines[si]
        if len(items) == len(names) and self.line_names[si] == names:
            return
        for item in items:
            self.plot.removeItem(item)
            self.remove_legend_entry(item)
        items.clear()
        for name in names:
            item = pg.PlotDataItem(stepMode="center" if series.style == "step" else None)
            item.setDownsampling(auto=True, method="peak")
            item.setClipToView(True)
            self.plot.addItem(item)
            items.append(item)
            if name:
                self.add_legend_entry(item, name)
        self.line_names[si] = names
        for row, item in enumerate(items):
            self._style_line(item, series, self._row_color(si, row))

    def _show_fan(self, si: int, series: Series, x: np.ndarray | None, y: np.ndarray,
                  classes: np.ndarray | None) -> None:
        """All rows as one item per class: paths separated by NaN, thin and translucent."""
        if classes is None:
            classes = np.zeros(y.shape[0], dtype=int)
        groups = [int(c) for c in np.unique(classes)]
        labels = series.class_labels
        names = [labels[g] if g < len(labels) else series.label if i == 0 else ""
                 for i, g in enumerate(groups)]
        self._ensure_rows(si, series, names)
        x = np.arange(y.shape[1], dtype=float) if x is None else np.asarray(x, dtype=float)
        for item, group in zip(self.lines[si], groups, strict=True):
            rows = y[classes == group]
            xs = np.concatenate([np.broadcast_to(x, rows.shape), np.full((len(rows), 1), np.nan)],
                                axis=1).ravel()
            ys = np.concatenate([rows, np.full((len(rows), 1), np.nan)], axis=1).ravel()
            _set_curve(item, xs, ys)
            color = pg.mkColor(self.theme.color(group) if len(groups) > 1 else self.theme.accent)
            color.setAlpha(110)
            item.setPen(pg.mkPen(color, width=max(1.0, self.theme.line_width / 2)))

    def show_frame(self, frame: Mapping[str, Any]) -> None:
        for si, series in enumerate(self.view.series):
            y = frame.get(series.y)
            if y is None:
                continue
            y = np.atleast_2d(np.asarray(y, dtype=float))
            if series.style == "fan":
                classes = frame.get(series.classes) if series.classes else None
                self._show_fan(si, series, frame.get(series.x) if series.x else None, y,
                               None if classes is None else np.asarray(classes))
                continue
            if series.names and series.names in frame:
                names = [str(s) for s in frame[series.names]]
            else:
                names = [series.label] if y.shape[0] == 1 else [f"{series.label} {i}"
                                                                for i in range(y.shape[0])]
            names = (names + [""] * y.shape[0])[: y.shape[0]]
            self._ensure_rows(si, series, names)
            x = frame.get(series.x) if series.x else None
            x = np.arange(y.shape[1]) if x is None else np.asarray(x, dtype=float)
            for row, item in enumerate(self.lines[si]):
                _set_curve(item, x, y[row])
        for name, marker in self.markers.items():
            if name in frame:
                value = float(frame[name])
                log = self.view.logx if marker.angle == 90 else self.view.logy
                shown = np.isfinite(value) and (value > 0 or not log)
                marker.setVisible(bool(shown))  # no marker for "no such time" (NaN)
                if shown:
                    marker.setValue(np.log10(value) if log else value)

    def hover_text(self, x: float, y: float) -> str:
        x = 10**x if self.view.logx else x
        y = 10**y if self.view.logy else y
        view = self.view
        return f"{view.title}: {view.xlabel} = {x:.5g}, {view.ylabel or 'y'} = {y:.5g}"


def _set_curve(item: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
    """A curve broken at its non-finite values; with no finite value at all (a quantity
    not computed yet), an empty curve (all-NaN points made pyqtgraph's bounds warn)."""
    if np.isfinite(y).any():
        item.setData(x, y, connect="finite")
    else:
        item.setData([], [])
