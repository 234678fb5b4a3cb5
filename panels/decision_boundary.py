"""Decision boundaries of 2D classifiers: probability map, p = 0.5 line, data, overlays.

One panel for every classifier trained on points of the plane (logistic regression with
any features, small networks, SVMs): the map is tinted towards each class's colour by the
predicted probability, so the data points (drawn in the same class colours) stand out
where the classifier is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui

from compute.views import DecisionBoundary

from .base import PlotPanel
from .theme import Theme

FLAT = 1e-3  # a map whose probabilities span less than this has no boundary to draw
TINT = 0.6  # how far a certain pixel (p = 0 or 1) moves from the background to its class colour


def _rgb(color: str) -> np.ndarray:
    c = pg.mkColor(color)
    return np.array([c.red(), c.green(), c.blue()], dtype=float)


def line_segments(lines: np.ndarray, extent: tuple[float, float, float, float]) -> np.ndarray:
    """End points (2k, 2) of the lines a·x + b·y + c = 0 (k, 3) inside the box ``extent``.

    A line that misses the box gives a NaN pair (drawn as nothing).
    """
    x0, x1, y0, y1 = extent
    out = np.full((2 * len(lines), 2), np.nan)
    for i, (a, b, c) in enumerate(np.asarray(lines, dtype=float).reshape(-1, 3)):
        hits = []
        if abs(b) > 1e-12:
            hits += [(x, -(a * x + c) / b) for x in (x0, x1)]
        if abs(a) > 1e-12:
            hits += [(-(b * y + c) / a, y) for y in (y0, y1)]
        tol = 1e-9 * max(x1 - x0, y1 - y0)
        inside = [(x, y) for x, y in hits
                  if x0 - tol <= x <= x1 + tol and y0 - tol <= y <= y1 + tol]
        if len(inside) >= 2:
            pts = np.array(inside)
            # the two hits farthest apart (a corner hit counts twice)
            d = ((pts[:, None] - pts[None]) ** 2).sum(-1)
            j, k = np.unravel_index(int(d.argmax()), d.shape)
            out[2 * i], out[2 * i + 1] = pts[j], pts[k]
    return out


class DecisionBoundaryPanel(PlotPanel):
    """A :class:`compute.views.DecisionBoundary` view."""

    view: DecisionBoundary

    def __init__(self, view: DecisionBoundary, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.boundary = pg.IsocurveItem(level=0.5, axisOrder="row-major")
        self.boundary.setParentItem(self.image)
        # isocurve points sit on pixel centres; image pixels span [i, i+1]
        self.boundary.setTransform(QtGui.QTransform.fromTranslate(0.5, 0.5))
        self.hyperplanes = pg.PlotDataItem(connect="pairs")
        self.plot.addItem(self.hyperplanes)
        self.level_lines = [self._isocurve(level) for level in view.levels]
        self.reference = self._isocurve(0.5) if view.reference else None
        # the isocurve cannot enter a legend: an empty line with its pen stands in for it
        self.reference_key = pg.PlotDataItem()
        if view.reference:
            self.plot.addItem(self.reference_key)
            self.add_legend_entry(self.reference_key, view.reference_label)
        self.segments = pg.PlotDataItem(connect="pairs")
        if view.segments:
            self.plot.addItem(self.segments)
            self.add_legend_entry(self.segments, view.segments_label)
        self.classes: list[pg.ScatterPlotItem] = []
        self.rings = pg.ScatterPlotItem(pxMode=True)
        self.plot.addItem(self.rings)
        self.text = pg.TextItem(anchor=(0.5, 0.5))
        self.plot.addItem(self.text)
        self.text.setVisible(False)
        self.set_labels(view.xlabel, view.ylabel)
        if view.equal_aspect:
            self.plot.setAspectLocked(True)
        self.data: np.ndarray | None = None
        self.extent = (0.0, 1.0, 0.0, 1.0)
        self.style_items()

    def _isocurve(self, level: float) -> pg.IsocurveItem:
        item = pg.IsocurveItem(level=level, axisOrder="row-major")
        item.setParentItem(self.image)
        item.setTransform(QtGui.QTransform.fromTranslate(0.5, 0.5))
        return item

    # -- styling -----------------------------------------------------------------------
    def class_color(self, c: int) -> str:
        return self.theme.color(c)

    def _lut(self) -> np.ndarray:
        """256 colours from class 0's tint (p = 0) through the background to class 1's."""
        bg = _rgb(self.theme.background)
        s = np.linspace(-1.0, 1.0, 256)[:, None]
        c0, c1 = _rgb(self.class_color(0)), _rgb(self.class_color(1))
        lut = np.where(s < 0, bg + TINT * (-s) * (c0 - bg), bg + TINT * s * (c1 - bg))
        return np.clip(lut, 0, 255).astype(np.uint8)

    def style_items(self) -> None:
        super().style_items()
        self.image.setLookupTable(self._lut())
        self.boundary.setPen(pg.mkPen(self.theme.foreground, width=self.theme.line_width * 1.5))
        dashed = self.pen(self.theme.foreground + "A0", 0.7, QtCore.Qt.PenStyle.DashLine)
        self.hyperplanes.setPen(dashed)
        for item in self.level_lines:
            item.setPen(dashed)
        reference = self.pen(self.theme.reference, 1.2, QtCore.Qt.PenStyle.DashDotLine)
        if self.reference is not None:
            self.reference.setPen(reference)
        self.reference_key.setPen(reference)
        self.segments.setPen(self.pen(self.theme.foreground, 0.8))
        for c, item in enumerate(self.classes):
            item.setBrush(pg.mkBrush(self.class_color(c)))
            item.setPen(pg.mkPen(self.theme.foreground, width=max(1.0, self.theme.line_width / 2)))
            item.setSize(self.theme.marker_px * 1.3)
        self.rings.setPen(pg.mkPen(self.theme.foreground, width=self.theme.line_width))
        self.rings.setBrush(None)
        self.rings.setSize(self.theme.marker_px * 2.6)
        self.text.setColor(self.theme.foreground)
        font = QtGui.QFont()
        font.setPointSizeF(self.theme.font_pt * 1.3)
        self.text.setFont(font)
        self.text.fill = pg.mkBrush(self.theme.background + "D0")

    # -- drawing -----------------------------------------------------------------------
    def show_frame(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        if view.extent in frame and self.changed(frame, view.extent):
            self._set_extent(tuple(float(v) for v in frame[view.extent]))
        if view.probability in frame and self.changed(frame, view.probability):
            self._set_probability(np.asarray(frame[view.probability], dtype=float))
        if view.points and view.points in frame and self.changed(frame, view.points, view.labels):
            self._set_points(np.asarray(frame[view.points], dtype=float).reshape(-1, 2),
                             np.asarray(frame[view.labels]).astype(int)
                             if view.labels in frame else None)
        if view.highlight and view.highlight in frame and view.points in frame:
            pts = np.asarray(frame[view.points], dtype=float).reshape(-1, 2)
            mask = np.asarray(frame[view.highlight], dtype=bool)
            self.rings.setData(pts[mask, 0], pts[mask, 1])
        if view.reference and view.reference in frame and self.changed(frame, view.reference):
            ref = np.asarray(frame[view.reference], dtype=float)
            ref = np.where(np.isfinite(ref), ref, 0.5)
            self.reference.setData(ref if np.ptp(ref) > FLAT else None)
        if view.segments and view.segments in frame:
            seg = np.asarray(frame[view.segments], dtype=float).reshape(-1, 2)
            self.segments.setData(seg[:, 0], seg[:, 1], connect="pairs")
        if view.hyperplanes and view.hyperplanes in frame:
            seg = line_segments(np.asarray(frame[view.hyperplanes], dtype=float), self.extent)
            self.hyperplanes.setData(seg[:, 0], seg[:, 1], connect="pairs")
        if view.message:
            text = str(frame.get(view.message, "") or "")
            self.text.setVisible(bool(text))
            if text:
                self.text.setText(text)

    def _set_extent(self, extent: tuple[float, float, float, float]) -> None:
        self.extent = extent
        x0, x1, y0, y1 = extent
        self.image.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.text.setPos(0.5 * (x0 + x1), 0.5 * (y0 + y1))

    def _set_probability(self, p: np.ndarray) -> None:
        p = np.where(np.isfinite(p), p, 0.5)
        self.data = p
        if p.ndim == 3:  # class probabilities: mix the class tints
            bg = _rgb(self.theme.background)
            tints = np.stack([bg + TINT * (_rgb(self.class_color(c)) - bg)
                              for c in range(p.shape[-1])])
            rgb = np.clip(p @ tints, 0, 255).astype(np.uint8)
            self.image.setLookupTable(None)
            self.image.setImage(rgb, autoLevels=False, levels=(0, 255))
            self.boundary.setData(None)
            for item in self.level_lines:
                item.setData(None)
        else:
            self.image.setLookupTable(self._lut())
            self.image.setImage(p.astype(np.float32), autoLevels=False, levels=(0.0, 1.0))
            # p ≈ ½ everywhere: the level set p = ½ is rounding noise, not a boundary
            self.boundary.setData(p if np.ptp(p) > FLAT else None)
            for item in self.level_lines:
                item.setData(p if np.ptp(p) > FLAT else None)
        x0, x1, y0, y1 = self.extent
        self.image.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))

    def _set_points(self, pts: np.ndarray, labels: np.ndarray | None) -> None:
        labels = np.zeros(len(pts), dtype=int) if labels is None else labels
        n_classes = max(2, int(labels.max()) + 1) if labels.size else 2
        while len(self.classes) < n_classes:
            c = len(self.classes)
            item = pg.ScatterPlotItem(pxMode=True)
            self.plot.addItem(item)
            self.classes.append(item)
            self.add_legend_entry(item, f"y = {c}")
        self.style_items()
        for c, item in enumerate(self.classes):
            sel = labels == c
            item.setData(pts[sel, 0], pts[sel, 1])

    def fixed_range(self):
        """The map's extent frames the view (the mathematics of the grid fixes it)."""
        x0, x1, y0, y1 = self.extent
        return (x0, x1), (y0, y1)

    def hover_text(self, x: float, y: float) -> str:
        if self.data is None:
            return super().hover_text(x, y)
        x0, x1, y0, y1 = self.extent
        ny, nx = self.data.shape[:2]
        col = int((x - x0) / (x1 - x0) * nx) if x1 > x0 else -1
        row = int((y - y0) / (y1 - y0) * ny) if y1 > y0 else -1
        if 0 <= row < ny and 0 <= col < nx:
            value = self.data[row, col]
            shown = (f"P(y = 1) = {float(value):.3f}" if np.ndim(value) == 0 else
                     "P = " + ", ".join(f"{float(v):.2f}" for v in value))
            return f"{self.view.title}: x = {x:.4g}, y = {y:.4g}, {shown}"
        return super().hover_text(x, y)
