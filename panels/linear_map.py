"""What a 2×2 matrix does to the plane (a :class:`compute.views.LinearMap`).

The unit grid, the unit circle and a shape are drawn faded, then their images under A;
the image of the unit circle is an ellipse whose semi-axes σ₁u₁, σ₂u₂ are drawn as the
singular axes; the image of the unit square is shaded (its area is |det A|); real
eigen-directions are lines through the origin; Ae₁ and Ae₂ (the columns of A) are arrows.
Orbits, point clouds, extra curves and arrows can be laid over the same equal-aspect plane,
which is framed on whatever is drawn so the data fill the box.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from compute import linalg2d as la
from compute.views import LinearMap

from .base import PlotPanel
from .particles import PointCloudItem
from .theme import Theme

GRID = la.grid_lines(5, 1.0)
CIRCLE = la.unit_circle(240)
SQUARE = la.unit_square()
PAD = 0.08  # padding around the drawn data, as a fraction of its span


def polygon_item() -> QtWidgets.QGraphicsPolygonItem:
    item = QtWidgets.QGraphicsPolygonItem()
    return item


def set_polygon(item: QtWidgets.QGraphicsPolygonItem, points: np.ndarray) -> None:
    item.setPolygon(QtGui.QPolygonF([QtCore.QPointF(float(x), float(y)) for x, y in points]))


class LinearMapPanel(PlotPanel):
    """One equal-aspect plot with the map's geometry and the overlays the view names."""

    view: LinearMap

    def __init__(self, view: LinearMap, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.plot.setAspectLocked(True)
        self.set_labels(view.xlabel, view.ylabel)
        add = self.plot.addItem
        self.area = polygon_item()
        self.shape_fill = polygon_item()
        self.grid0 = pg.PlotDataItem(connect="finite")
        self.grid1 = pg.PlotDataItem(connect="finite")
        self.circle0 = pg.PlotDataItem()
        self.circle1 = pg.PlotDataItem()
        self.shape0 = pg.PlotDataItem()
        self.shape1 = pg.PlotDataItem()
        self.axes_sv = pg.PlotDataItem(connect="pairs")
        self.basis = [pg.PlotDataItem(), pg.PlotDataItem()]
        self.heads = [pg.ArrowItem(headLen=12, tailLen=None) for _ in range(2)]
        self.eigen_lines = [pg.InfiniteLine(pos=(0, 0)), pg.InfiniteLine(pos=(0, 0))]
        self.orbit_line = pg.PlotDataItem()
        self.orbit_dots = pg.ScatterPlotItem(pxMode=True)
        self.cloud = PointCloudItem()
        self.arrows = pg.PlotDataItem(connect="pairs")
        self.curve_items: list[pg.PlotDataItem] = []
        self.curve_names: list[str] = []
        self.grid0.setData(GRID[:, 0], GRID[:, 1], connect="finite")  # the originals: once
        self.circle0.setData(CIRCLE[:, 0], CIRCLE[:, 1])
        for item in (self.area, self.shape_fill, self.grid0, self.grid1, self.circle0,
                     self.shape0, self.cloud, self.arrows, self.circle1, self.shape1,
                     self.axes_sv, *self.basis, self.orbit_line, self.orbit_dots):
            add(item)
        for head in self.heads:
            add(head)
        for line in self.eigen_lines:
            self.plot.addItem(line, ignoreBounds=True)
        self.A: np.ndarray | None = None
        self.labels: dict[str, pg.TextItem] = {}
        self.label_points: dict[str, tuple[float, float]] = {}
        self.style_items()

    # -- styling -------------------------------------------------------------------------
    def _color(self, color: str, alpha: int) -> QtGui.QColor:
        c = pg.mkColor(color)
        c.setAlpha(alpha)
        return c

    def style_items(self) -> None:
        super().style_items()
        t = self.theme
        thin = max(1.0, t.line_width / 2)
        fg = t.foreground
        self.grid0.setPen(pg.mkPen(self._color(fg, 45), width=thin))
        self.grid1.setPen(pg.mkPen(self._color(t.color(0), 150), width=thin))
        self.circle0.setPen(pg.mkPen(self._color(fg, 90), width=thin,
                                     style=QtCore.Qt.PenStyle.DashLine))
        self.circle1.setPen(self.pen(t.color(0), 1.2))
        self.shape0.setPen(pg.mkPen(self._color(fg, 90), width=thin))
        self.shape1.setPen(self.pen(t.color(1), 1.0))
        for item, color, alpha in ((self.area, t.color(4), 70), (self.shape_fill, t.color(1), 60)):
            pen = QtGui.QPen(self._color(color, 200))
            pen.setCosmetic(True)
            pen.setWidthF(thin)
            item.setPen(pen)
            item.setBrush(QtGui.QBrush(self._color(color, alpha)))
        self.axes_sv.setPen(self.pen(t.reference, 1.3, QtCore.Qt.PenStyle.DashLine))
        for k, (line, head) in enumerate(zip(self.basis, self.heads, strict=True)):
            color = t.color(2 + k)
            line.setPen(self.pen(color, 1.3))
            head.setStyle(brush=pg.mkBrush(color), pen=pg.mkPen(color),
                          headLen=int(10 + 2 * t.line_width))
        for line in self.eigen_lines:
            line.setPen(pg.mkPen(self._color(t.color(3), 170), width=thin,
                                 style=QtCore.Qt.PenStyle.DotLine))
        self.orbit_line.setPen(pg.mkPen(self._color(fg, 70), width=thin))
        self.cloud.set_colors(t.accent, t.palette)
        self.cloud.set_size(t.marker_px * 0.8)
        self.arrows.setPen(pg.mkPen(self._color(t.color(5), 200), width=thin))
        for i, item in enumerate(self.curve_items):
            item.setPen(self.pen(self.curve_color(i), 1.0))
        for item in getattr(self, "labels", {}).values():
            item.setFont(self._label_font())

    def curve_color(self, i: int) -> str:
        """Colours of the overlay curves: after the ones the map's own items use."""
        return self.theme.color((6, 1, 5, 2, 3)[i % 5])

    def _label(self, key: str, text: str, x: float, y: float, color: str) -> None:
        """A text label at a point (the tips of Ae₁, σ₁u₁, …), created once per key."""
        item = self.labels.get(key)
        if item is None:
            item = pg.TextItem(anchor=(0.0, 1.0))
            item.setFont(self._label_font())
            self.plot.addItem(item, ignoreBounds=True)
            self.labels[key] = item
        if (item.textItem.toPlainText(), item.color.name()) != (text, pg.mkColor(color).name()):
            item.setText(text, color=color)
        item.setPos(float(x), float(y))
        self.label_points[key] = (float(x), float(y))
        item.setVisible(bool(np.isfinite(x) and np.isfinite(y)))

    def _label_font(self) -> QtGui.QFont:
        font = QtGui.QFont()
        font.setPointSizeF(self.theme.font_pt)
        return font

    def _hide_label(self, key: str) -> None:
        if key in self.labels:
            self.labels[key].setVisible(False)

    # -- drawing -------------------------------------------------------------------------
    def show_frame(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        if view.matrix not in frame:
            return
        A = np.asarray(frame[view.matrix], dtype=float).reshape(2, 2)
        self.A = A
        boxes: list[np.ndarray] = []
        orig = view.show_original
        if view.grid:
            g1 = la.apply(A, GRID)
            self.grid1.setData(g1[:, 0], g1[:, 1], connect="finite")
            self.grid0.setVisible(orig)
            boxes.append(g1)
            if orig:
                boxes.append(GRID)
        for item in (self.grid0, self.grid1):
            item.setVisible(view.grid and (item is self.grid1 or orig))
        if view.circle:
            c1 = la.apply(A, CIRCLE)
            self.circle1.setData(c1[:, 0], c1[:, 1])
            boxes.append(c1)
            if orig:
                boxes.append(CIRCLE)
        self.circle0.setVisible(view.circle and orig)
        self.circle1.setVisible(view.circle)
        if view.det_area:
            set_polygon(self.area, la.apply(A, SQUARE))
        self.area.setVisible(view.det_area)
        t = self.theme
        if view.singular:
            U, s, _ = la.svd2(A)
            ends = np.array([-s[0] * U[:, 0], s[0] * U[:, 0], -s[1] * U[:, 1], s[1] * U[:, 1]])
            self.axes_sv.setData(ends[:, 0], ends[:, 1], connect="pairs")
            for k, name in enumerate(("σ₁u₁", "σ₂u₂")):
                tip = -ends[2 * k] if A[:, 0] @ -ends[2 * k] < 0 else ends[2 * k]
                if s[k] > 1e-9:
                    self._label(f"sv{k}", name, *tip, t.reference)
                else:
                    self._hide_label(f"sv{k}")
        else:
            self._hide_label("sv0")
            self._hide_label("sv1")
        self.axes_sv.setVisible(view.singular)
        for k in range(2):
            col = A[:, k]
            self.basis[k].setData([0.0, col[0]], [0.0, col[1]])
            self.heads[k].setPos(col[0], col[1])
            self.heads[k].setStyle(angle=180 - math.degrees(math.atan2(col[1], col[0])))
            shown = view.basis and bool(np.hypot(*col) > 1e-9)
            self.basis[k].setVisible(shown)
            self.heads[k].setVisible(shown)
            if shown:
                boxes.append(np.array([[0.0, 0.0], col]))
                self._label(f"e{k}", ("Ae₁", "Ae₂")[k], *col, t.color(2 + k))
            else:
                self._hide_label(f"e{k}")
        self._set_eigen(A)
        if view.shape and view.shape in frame:
            shape = np.asarray(frame[view.shape], dtype=float).reshape(-1, 2)
            closed = np.vstack([shape, shape[:1]])
            mapped = la.apply(A, closed)
            if self.changed(frame, view.shape):
                self.shape0.setData(closed[:, 0], closed[:, 1])
            self.shape1.setData(mapped[:, 0], mapped[:, 1])
            set_polygon(self.shape_fill, mapped)
            boxes.append(mapped)
            if orig:
                boxes.append(closed)
        has_shape = bool(view.shape and view.shape in frame)
        self.shape0.setVisible(has_shape and orig)
        self.shape1.setVisible(has_shape)
        self.shape_fill.setVisible(has_shape)
        boxes += self._overlays(frame)
        self._frame_range(boxes)

    def _set_eigen(self, A: np.ndarray) -> None:
        eig = la.eig2(A) if self.view.eigen else None
        for k, line in enumerate(self.eigen_lines):
            if eig is None or not eig.real or (k == 1 and eig.defective):
                line.setVisible(False)
                continue
            v = eig.vectors[:, k]
            line.setAngle(math.degrees(math.atan2(v[1], v[0])))
            line.setVisible(True)

    def _overlays(self, frame: Mapping[str, Any]) -> list[np.ndarray]:
        view = self.view
        boxes = []
        if view.orbit and view.orbit in frame:
            pts = np.asarray(frame[view.orbit], dtype=float).reshape(-1, 2)
            pts = pts[np.isfinite(pts).all(axis=1)]
            if view.orbit_lines:
                self.orbit_line.setData(pts[:, 0], pts[:, 1])
            n = len(pts)
            if n:
                alpha = np.linspace(60, 255, n).astype(int)
                base = pg.mkColor(self.theme.accent)
                brushes = [pg.mkBrush(base.red(), base.green(), base.blue(), int(a))
                           for a in alpha]
                sizes = np.full(n, self.theme.marker_px)
                sizes[-1] = self.theme.marker_px * 1.8  # the newest point
                self.orbit_dots.setData(pts[:, 0], pts[:, 1], brush=brushes, size=sizes,
                                        pen=None)
                boxes.append(pts)
            else:
                self.orbit_dots.clear()
        if view.points and view.points in frame:
            pts = np.asarray(frame[view.points], dtype=float).reshape(-1, 2)
            pts = pts[np.isfinite(pts).all(axis=1)]
            self.cloud.set_data(pts[:, 0], pts[:, 1])
            if len(pts) > 20:
                boxes.append(np.percentile(pts, [0.5, 99.5], axis=0))
            elif len(pts):
                boxes.append(pts)
        if view.curves and view.curves in frame:
            curves = np.asarray(frame[view.curves], dtype=float)
            if curves.ndim == 2:
                curves = curves[None]
            names = [str(s) for s in frame[view.curve_names]] if (
                view.curve_names and view.curve_names in frame) else []
            names = (names + [""] * len(curves))[: len(curves)]
            self._ensure_curves(names)
            for i, (item, c) in enumerate(zip(self.curve_items, curves, strict=True)):
                item.setData(c[:, 0], c[:, 1], connect="finite")
                ok = c[np.isfinite(c).all(axis=1)]
                if len(ok):
                    boxes.append(ok)
                    if names[i]:  # the curve's name at its end
                        self._label(f"curve{i}", names[i], *ok[-1], self.curve_color(i))
                else:
                    self._hide_label(f"curve{i}")
        if view.vectors and all(n in frame for n in view.vectors):
            X, Y, U, V = (np.asarray(frame[n], dtype=float).ravel() for n in view.vectors)
            self._set_arrows(X, Y, U, V)
        return boxes

    def _ensure_curves(self, names: list[str]) -> None:
        """One item per curve, rebuilt only when the number of curves changes."""
        if len(names) == len(self.curve_items):
            self.curve_names = names
            return
        for item in self.curve_items:
            self.plot.removeItem(item)
        for i in range(len(self.curve_items)):
            self._hide_label(f"curve{i}")
        self.curve_items = []
        for i in range(len(names)):
            item = pg.PlotDataItem(pen=self.pen(self.curve_color(i), 1.0))
            self.plot.addItem(item)
            self.curve_items.append(item)
        self.curve_names = names

    def _set_arrows(self, X, Y, U, V) -> None:
        """Arrows of length proportional to (U, V), the longest 0.9 of the point spacing."""
        ok = np.isfinite(X) & np.isfinite(Y) & np.isfinite(U) & np.isfinite(V)
        X, Y, U, V = X[ok], Y[ok], U[ok], V[ok]
        if not len(X):
            self.arrows.clear()
            return
        span = max(np.ptp(X), np.ptp(Y), 1e-12)
        spacing = span / max(math.sqrt(len(X)) - 1, 1)
        norm = np.hypot(U, V)
        scale = 0.9 * spacing / max(float(norm.max()), 1e-300)
        x1, y1 = X + scale * U, Y + scale * V
        head = 0.3 * scale * norm
        ux, uy = np.where(norm > 0, U / np.where(norm > 0, norm, 1), 0), np.where(
            norm > 0, V / np.where(norm > 0, norm, 1), 0)
        c, s = math.cos(math.radians(150)), math.sin(math.radians(150))
        hx1, hy1 = x1 + head * (c * ux - s * uy), y1 + head * (s * ux + c * uy)
        hx2, hy2 = x1 + head * (c * ux + s * uy), y1 + head * (-s * ux + c * uy)
        xs = np.stack([X, x1, x1, hx1, x1, hx2], axis=1).ravel()
        ys = np.stack([Y, y1, y1, hy1, y1, hy2], axis=1).ravel()
        self.arrows.setData(xs, ys, connect="pairs")

    def _frame_range(self, boxes: list[np.ndarray]) -> None:
        """Frame everything drawn, padded; the locked aspect then fills the box."""
        if not boxes:
            return
        pts = np.concatenate([b.reshape(-1, 2) for b in boxes])
        pts = pts[np.isfinite(pts).all(axis=1)]
        if not len(pts):
            return
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        span = max(float((hi - lo).max()), 1e-6)
        pad = PAD * span
        self.plot.setRange(xRange=(lo[0] - pad, hi[0] + pad), yRange=(lo[1] - pad, hi[1] + pad),
                           padding=0)
        # labels right of the middle extend leftwards, so none runs off the right edge
        middle = 0.5 * (lo[0] + hi[0])
        for key, item in self.labels.items():
            x, _ = self.label_points.get(key, (0.0, 0.0))
            item.setAnchor((1.0, 1.0) if x > middle else (0.0, 1.0))

    def hover_text(self, x: float, y: float) -> str:
        text = f"{self.view.title}: x = ({x:.4g}, {y:.4g})"
        if self.A is not None:
            det = float(np.linalg.det(self.A))
            if abs(det) > 1e-12:
                pre = np.linalg.solve(self.A, [x, y])
                text += f", preimage A⁻¹x = ({pre[0]:.4g}, {pre[1]:.4g})"
            else:
                text += ", A is singular (no preimage map)"
        return text
