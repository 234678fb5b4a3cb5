"""Heatmaps of 2D arrays with a colour bar, contours, trajectories and a vector field.

One panel serves both the plain image/heatmap family (a matrix, an attention map) and the
landscape family (a scalar field with optimizer paths and the −∇f field): the overlays are
simply absent when the view does not name their fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui

from compute.views import Heatmap

from .base import PlotPanel
from .theme import Theme

REGION_Z = 1  # shaded sets above the image and arrows, below the paths and markers
PATH_Z = 2
REGION_FILL = "#FFFFFF60"  # a light veil: visible on every colour map


class HeatmapPanel(PlotPanel):
    """A :class:`compute.views.Heatmap` view."""

    view: Heatmap

    def __init__(self, view: Heatmap, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.colormap = pg.colormap.get(view.colormap)
        self.colorbar = self.plot.addColorBar(self.image, colorMap=self.colormap,
                                              values=view.levels or (0.0, 1.0), interactive=False)
        self.contours: list[pg.IsocurveItem] = []
        self.arrows = pg.PlotDataItem(connect="pairs")
        self.plot.addItem(self.arrows)
        self.region_items: list[pg.PlotDataItem] = []
        self.region_names: list[str] = []
        self.path_items: list[pg.PlotDataItem] = []
        self.path_names: list[str] = []
        self.points = pg.ScatterPlotItem(pxMode=True)
        self.points.setZValue(PATH_Z + 1)
        self.plot.addItem(self.points)
        self.set_labels(view.xlabel, view.ylabel)
        if view.equal_aspect:
            self.plot.setAspectLocked(True)
        self.data: np.ndarray | None = None
        self.extent = (0.0, 1.0, 0.0, 1.0)
        self.style_items()

    # -- styling -----------------------------------------------------------------------
    def style_items(self) -> None:
        super().style_items()
        thin = max(1.0, self.theme.line_width / 2)
        for item in self.contours:
            item.setPen(pg.mkPen(self.theme.foreground + "90", width=thin))
        self.arrows.setPen(pg.mkPen(self.theme.foreground + "B0", width=thin))
        for i, item in enumerate(self.path_items):
            item.setPen(self.path_pen(i))
        for item in self.region_items:
            item.setPen(self.region_pen())
        axis = self.colorbar.getAxis("right") if hasattr(self.colorbar, "getAxis") else None
        if axis is not None:
            axis.setTextPen(pg.mkPen(self.theme.foreground))

    # -- drawing -----------------------------------------------------------------------
    def show_frame(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        if self.changed(frame, view.field, view.extent) and view.field in frame:
            self._set_image(np.asarray(frame[view.field], dtype=np.float32),
                            frame.get(view.extent) if view.extent else None)
        if view.vectors and self.changed(frame, *view.vectors):
            self._set_vectors(*(np.asarray(frame[n], dtype=float) for n in view.vectors))
        if view.paths and view.paths in frame:
            names = [str(s) for s in frame[view.names]] if view.names in frame else []
            self._set_paths(np.asarray(frame[view.paths], dtype=float), names)
        if view.regions and view.regions in frame:
            names = ([str(s) for s in frame[view.region_names]]
                     if view.region_names in frame else [])
            self._set_regions(np.asarray(frame[view.regions], dtype=float), names)
        if view.points and view.points in frame:
            pts = np.asarray(frame[view.points], dtype=float).reshape(-1, 2)
            ok = np.isfinite(pts).all(axis=1)
            # colour by the point's index (matching its path), then drop non-finite points
            brushes = [pg.mkBrush(self.theme.color(i)) for i in np.flatnonzero(ok)]
            self.points.setData(pts[ok, 0], pts[ok, 1], brush=brushes,
                                pen=pg.mkPen(self.theme.foreground, width=1),
                                size=self.theme.marker_px * 1.6)

    def _set_image(self, data: np.ndarray, extent) -> None:
        self.data = data
        finite = data[np.isfinite(data)]
        if self.view.levels is not None:
            levels = self.view.levels
        elif finite.size:
            levels = (float(finite.min()), float(finite.max()))
            if levels[1] <= levels[0]:
                levels = (levels[0] - 0.5, levels[0] + 0.5)
        else:
            levels = (0.0, 1.0)
        self.image.setImage(data, autoLevels=False, levels=levels)
        self.colorbar.setLevels(levels)
        ny, nx = data.shape
        if extent is None:
            extent = (0.0, float(nx), 0.0, float(ny))
        self.extent = tuple(float(v) for v in extent)
        x0, x1, y0, y1 = self.extent
        self.image.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        # frame the field; overlays far outside (a diverging path) must not zoom it away
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self._set_contours(data, levels)

    def _set_contours(self, data: np.ndarray, levels: tuple[float, float]) -> None:
        for item in self.contours:
            item.setParentItem(None)
            if item.scene() is not None:
                item.scene().removeItem(item)
        self.contours = []
        if not self.view.contours:
            return
        clean = np.where(np.isfinite(data), data, levels[1])
        pen = pg.mkPen(self.theme.foreground + "90", width=max(1.0, self.theme.line_width / 2))
        for level in np.linspace(*levels, self.view.contours + 2)[1:-1]:
            iso = pg.IsocurveItem(clean, float(level), pen=pen, axisOrder="row-major")
            iso.setParentItem(self.image)
            # isocurve points sit on pixel centres; image pixels span [i, i+1]
            iso.setTransform(QtGui.QTransform.fromTranslate(0.5, 0.5))
            self.contours.append(iso)

    def _set_vectors(self, X: np.ndarray, Y: np.ndarray, U: np.ndarray, V: np.ndarray) -> None:
        """Arrows of equal length (0.8 grid cell) along (U, V): a normalised quiver."""
        gx, gy = np.meshgrid(X, Y)
        step = 0.8 * min(np.ptp(X) / max(len(X) - 1, 1), np.ptp(Y) / max(len(Y) - 1, 1))
        norm = np.hypot(U, V)
        ok = np.isfinite(norm) & (norm > 0)
        ux = np.where(ok, U / np.where(ok, norm, 1), 0)[ok]
        uy = np.where(ok, V / np.where(ok, norm, 1), 0)[ok]
        x0, y0 = gx[ok] - 0.5 * step * ux, gy[ok] - 0.5 * step * uy
        x1, y1 = x0 + step * ux, y0 + step * uy
        head = 0.3 * step
        # two head strokes at ±150° from the shaft
        c, s = np.cos(np.deg2rad(150)), np.sin(np.deg2rad(150))
        hx1, hy1 = x1 + head * (c * ux - s * uy), y1 + head * (s * ux + c * uy)
        hx2, hy2 = x1 + head * (c * ux + s * uy), y1 + head * (-s * ux + c * uy)
        xs = np.stack([x0, x1, x1, hx1, x1, hx2], axis=1).ravel()
        ys = np.stack([y0, y1, y1, hy1, y1, hy2], axis=1).ravel()
        self.arrows.setData(xs, ys)

    def path_pen(self, i: int):
        """Path i's pen: its own theme colour, or the foreground for a one-label fan."""
        if self.view.path_label:
            return self.pen(self.theme.foreground, 0.6)
        return self.pen(self.theme.color(i))

    def _set_paths(self, paths: np.ndarray, names: list[str]) -> None:
        if paths.ndim == 2:
            paths = paths[None]
        if self.view.path_label:
            names = [self.view.path_label] * paths.shape[0]
        names = (names + [f"path {i}" for i in range(len(names), paths.shape[0])])[: paths.shape[0]]
        if names != self.path_names:
            for item in self.path_items:
                self.plot.removeItem(item)
                self.remove_legend_entry(item)
            self.path_items = []
            for i, name in enumerate(names):
                item = pg.PlotDataItem(pen=self.path_pen(i))
                item.setZValue(PATH_Z)
                self.plot.addItem(item)
                self.path_items.append(item)
                if i == 0 or not self.view.path_label:  # a fan: one entry for all
                    self.add_legend_entry(item, name)
            self.path_names = names
        for item, path in zip(self.path_items, paths, strict=True):
            item.setData(path[:, 0], path[:, 1], connect="finite")

    def region_pen(self):
        """A shaded set's outline: thick, dashed, in the text colour (not a path's colour)."""
        return self.pen(self.theme.foreground, 1.5, QtCore.Qt.PenStyle.DashLine)

    def _set_regions(self, regions: np.ndarray, names: list[str]) -> None:
        """Shaded closed polygons (NaN rows pad each to the common length)."""
        names = (names + [f"region {i}" for i in range(len(names), len(regions))])[
            : len(regions)]
        if names != self.region_names:
            for item in self.region_items:
                self.plot.removeItem(item)
                self.remove_legend_entry(item)
            self.region_items = []
            for name in names:
                item = pg.PlotDataItem(pen=self.region_pen(), fillLevel="enclosed",
                                       fillBrush=pg.mkBrush(REGION_FILL))
                item.setZValue(REGION_Z)
                self.plot.addItem(item)
                self.region_items.append(item)
                self.add_legend_entry(item, name)
            self.region_names = names
        for item, poly in zip(self.region_items, regions, strict=True):
            poly = poly[np.isfinite(poly).all(axis=1)]
            item.setData(poly[:, 0], poly[:, 1])

    def fixed_range(self):
        """The image's extent frames the view (overlays far outside must not zoom it away)."""
        x0, x1, y0, y1 = self.extent
        return (x0, x1), (y0, y1)

    def hover_text(self, x: float, y: float) -> str:
        if self.data is None:
            return super().hover_text(x, y)
        x0, x1, y0, y1 = self.extent
        ny, nx = self.data.shape
        col = int((x - x0) / (x1 - x0) * nx) if x1 > x0 else -1
        row = int((y - y0) / (y1 - y0) * ny) if y1 > y0 else -1
        if 0 <= row < ny and 0 <= col < nx:
            return (f"{self.view.title}: x = {x:.4g}, y = {y:.4g}, "
                    f"value = {float(self.data[row, col]):.5g}  [row {row}, col {col}]")
        return super().hover_text(x, y)
