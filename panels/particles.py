"""Particle clouds: 1D positions sitting on a potential curve, or 2D points (DESIGN §5).

``ScatterPlotItem.setData`` does per-point Python work (~150 ms at 1e5 points), so clouds
use :class:`PointCloudItem`, which maps positions to device pixels with one numpy affine
transform per paint. Small clouds are drawn as round markers; large ones are rasterised
into an image of marker-sized cells with ``np.bincount`` and drawn with one ``drawImage``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui
from pyqtgraph.Qt.internals import PrimitiveArray  # (pinned pyqtgraph: see pyproject)

from compute.views import Particles

from .base import PlotPanel
from .theme import Theme

ROUND_MARKER_LIMIT = 5000  # above this many points the cloud is rasterised


def _rgba32(color: QtGui.QColor, alpha: int = 255) -> np.uint32:
    """A colour packed as the uint32 of little-endian RGBA8888 bytes."""
    return np.uint32(color.red() | color.green() << 8 | color.blue() << 16 | alpha << 24)


class PointCloudItem(pg.GraphicsObject):
    """Many points with a fixed size in pixels, cheap to update every frame.

    ``set_data(x, y, classes)`` stores references (no per-point work); the paint maps the
    points to device pixels. With ``classes`` (ints) each point takes the colour of its
    class from ``palette``.
    """

    def __init__(self, color: str = "#0072B2", size_px: float = 6.0):
        super().__init__()
        self._x = np.zeros(0)
        self._y = np.zeros(0)
        self._classes: np.ndarray | None = None
        self._bounds = QtCore.QRectF()
        self.size_px = size_px
        self._fragments = PrimitiveArray(QtGui.QPainter.PixmapFragment, 10)
        self._atlas: QtGui.QPixmap | None = None
        self._atlas_key: tuple | None = None
        self.set_colors(color, (color,))

    def set_colors(self, color: str, palette: tuple[str, ...]) -> None:
        self._qcolor = pg.mkColor(color)
        self._palette = [pg.mkColor(c) for c in palette]
        self._palette32 = np.array([_rgba32(c) for c in self._palette], dtype=np.uint32)
        # Density ramp for the raster: one point is clearly visible, piles get opaque.
        alpha = np.clip(110 + 35 * np.arange(256), 0, 255)
        alpha[0] = 0
        self._lut = np.array([_rgba32(self._qcolor, int(a)) for a in alpha], dtype=np.uint32)
        self.update()

    def set_size(self, size_px: float) -> None:
        self.size_px = size_px
        self.update()

    def set_data(self, x: np.ndarray, y: np.ndarray, classes: np.ndarray | None = None) -> None:
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        self._x, self._y, self._classes = x, y, classes
        self.prepareGeometryChange()
        if x.size:
            x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
            self._bounds = QtCore.QRectF(x0, y0, max(x1 - x0, 1e-12), max(y1 - y0, 1e-12))
        else:
            self._bounds = QtCore.QRectF()
        self.informViewBoundsChanged()  # the view box follows the data (auto range)
        self.update()

    def point_data(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x, self._y

    def boundingRect(self) -> QtCore.QRectF:
        return self._bounds

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        """Let ViewBox auto-range on the data (pyqtgraph's protocol)."""
        if not self._x.size:
            return None
        values = self._x if ax == 0 else self._y
        return float(values.min()), float(values.max())

    def pixelPadding(self) -> float:
        return self.size_px / 2

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        if not self._x.size:
            return
        tr = painter.transform()
        px = self._x * tr.m11() + self._y * tr.m21() + tr.m31()
        py = self._x * tr.m12() + self._y * tr.m22() + tr.m32()
        device = painter.device()
        width, height = device.width(), device.height()
        painter.save()
        painter.resetTransform()
        if px.size <= ROUND_MARKER_LIMIT:
            self._paint_markers(painter, px, py)
        else:
            self._paint_raster(painter, px, py, width, height)
        painter.restore()

    def _paint_markers(self, painter: QtGui.QPainter, px: np.ndarray, py: np.ndarray) -> None:
        """Round markers stamped from a pre-drawn sprite per colour, in one call.

        (An antialiased round pen per point cost about 3 ms per colour class at 1000
        points; stamping pixmap fragments costs a fraction of that.)
        """
        atlas, cell = self._sprite_atlas()
        self._fragments.resize(px.size)
        frags = self._fragments.ndarray()
        frags[:, 0] = px
        frags[:, 1] = py
        sprite = (0 if self._classes is None
                  else 1 + np.asarray(self._classes, dtype=np.int64) % len(self._palette))
        frags[:, 2] = sprite * cell
        frags[:, 3] = 0.0
        frags[:, 4:6] = cell
        frags[:, 6:10] = (1.0, 1.0, 0.0, 1.0)  # scale x, scale y, rotation, opacity
        painter.drawPixmapFragments(*self._fragments.drawargs(), atlas)

    def _sprite_atlas(self) -> tuple[QtGui.QPixmap, int]:
        """One antialiased disc per colour (the accent, then the palette), side by side."""
        cell = int(np.ceil(self.size_px)) + 2
        key = (cell, self.size_px, self._qcolor.rgba(), tuple(c.rgba() for c in self._palette))
        if self._atlas_key != key:
            colors = [self._qcolor, *self._palette]
            atlas = QtGui.QPixmap(cell * len(colors), cell)
            atlas.fill(QtCore.Qt.GlobalColor.transparent)
            sprite_painter = QtGui.QPainter(atlas)
            sprite_painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, True)
            sprite_painter.setPen(QtCore.Qt.PenStyle.NoPen)
            for i, color in enumerate(colors):
                sprite_painter.setBrush(color)
                sprite_painter.drawEllipse(QtCore.QRectF(i * cell + (cell - self.size_px) / 2,
                                                         (cell - self.size_px) / 2,
                                                         self.size_px, self.size_px))
            sprite_painter.end()
            self._atlas, self._atlas_key = atlas, key
        return self._atlas, cell

    def _paint_raster(self, painter: QtGui.QPainter, px: np.ndarray, py: np.ndarray,
                      width: int, height: int) -> None:
        cell = max(1, round(self.size_px / 3))
        gw, gh = width // cell + 1, height // cell + 1
        ix = (px * (1.0 / cell)).astype(np.int64)
        iy = (py * (1.0 / cell)).astype(np.int64)
        inside = (ix >= 0) & (ix < gw) & (iy >= 0) & (iy < gh)
        flat = iy[inside] * gw + ix[inside]
        if self._classes is None:
            counts = np.bincount(flat, minlength=gw * gh)
            np.minimum(counts, 255, out=counts)
            pixels = self._lut.take(counts)
        else:
            pixels = np.zeros(gw * gh, dtype=np.uint32)
            classes = self._classes[inside] % len(self._palette32)
            pixels[flat] = self._palette32[classes]
        image = QtGui.QImage(pixels.data, gw, gh, gw * 4, QtGui.QImage.Format.Format_RGBA8888)
        painter.drawImage(QtCore.QRectF(0, 0, gw * cell, gh * cell), image)


class ParticlesPanel(PlotPanel):
    """A :class:`compute.views.Particles` view."""

    view: Particles

    def __init__(self, view: Particles, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.curve = pg.PlotDataItem()
        self.cloud = PointCloudItem()
        self.trails = pg.PlotDataItem(connect="finite")
        self._lift_values = np.zeros(0)
        self.plot.addItem(self.curve)
        self.plot.addItem(self.trails)
        self.plot.addItem(self.cloud)
        self.set_labels(view.xlabel, view.ylabel)
        self._fixed_y = view.yrange
        if view.xrange:
            self.plot.setXRange(*view.xrange, padding=0.02)
        if view.yrange:
            self.plot.setYRange(*view.yrange, padding=0.02)
        if view.equal_aspect:
            self.plot.setAspectLocked(True)
        self.style_items()

    def fixed_range(self):
        return self.view.xrange, self._fixed_y

    def style_items(self) -> None:
        super().style_items()
        theme = self.theme
        self.curve.setPen(self.pen(theme.foreground))
        self.trails.setPen(pg.mkPen(theme.foreground + "50", width=max(1.0, theme.line_width / 2)))
        self.cloud.set_colors(theme.accent, theme.palette)
        self.cloud.set_size(theme.marker_px)

    def _lift(self, n: int) -> np.ndarray:
        """A fixed small height per particle above the curve, so a crowd reads as a cloud."""
        if self._lift_values.size != n:
            self._lift_values = np.random.default_rng(0).uniform(0.0, 0.06, n)
        low, high = self.plot.getViewBox().viewRange()[1]
        return self._lift_values * (high - low)

    def show_frame(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        if view.curve and self.changed(frame, *view.curve):
            gx, gy = frame[view.curve[0]], frame[view.curve[1]]
            self.curve.setData(gx, gy)
            if not view.yrange and view.on_curve:
                lo, hi = float(np.min(gy)), float(np.max(gy))
                hi = min(hi, lo + 4.0 * (np.percentile(gy, 50) - lo + 0.25))
                self._fixed_y = (lo, hi)  # the potential's own scale frames the particles
                self.plot.setYRange(lo, hi, padding=0.08)
        x = frame.get(view.x)
        if x is None:
            return
        if view.on_curve and view.curve:
            y = np.interp(x, frame[view.curve[0]], frame[view.curve[1]]) + self._lift(x.size)
        elif view.y:
            y = frame[view.y]
        else:
            y = np.zeros_like(x)
        classes = frame.get(view.color) if view.color else None
        self.cloud.set_data(x, y, classes)
        if view.trails and view.trails in frame:
            trails = frame[view.trails]  # (k, m, 2)
            padded = np.concatenate([trails, np.full((trails.shape[0], 1, 2), np.nan)], axis=1)
            flat = padded.reshape(-1, 2)
            self.trails.setData(flat[:, 0], flat[:, 1])
