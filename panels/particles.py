"""Particle clouds: 1D positions sitting on a potential curve, or 2D points (DESIGN §5).

``ScatterPlotItem.setData`` does per-point Python work (~150 ms at 1e5 points), so clouds
use :class:`PointCloudItem`, which maps positions to device pixels with one numpy affine
transform per paint. Small clouds are drawn as round markers; large ones are rasterised
into an image of marker-sized cells with ``np.bincount`` and drawn with one ``drawImage``.

Above the view's ``density_threshold`` (or when the context menu asks for it) the cloud is
a *density image*: log counts per pixel cell through a colour map, so 10⁶ particles read as
a distribution rather than a solid blot. Particles sitting on a curve (a potential) are then
binned along x only and drawn as a band following the curve: no per-particle height is
computed, which keeps 10⁶ particles within a display frame. When the frame carries the
positions already binned (the view's ``density`` fields, finer than a pixel), the band is
drawn from those bins and the positions are not read at all.
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
DRAW_MODES = ("auto", "points", "density")
DENSITY_COLORMAP = "viridis"


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
        self._curve: tuple[np.ndarray, np.ndarray] | None = None
        self._binned: tuple[np.ndarray, np.ndarray] | None = None  # edges, cumulative counts
        self._n = 0  # particles shown
        self._bounds = QtCore.QRectF()
        self.size_px = size_px
        self._fragments = PrimitiveArray(QtGui.QPainter.PixmapFragment, 10)
        self._atlas: QtGui.QPixmap | None = None
        self._atlas_key: tuple | None = None
        self.mode = "auto"
        self.density_threshold = 20_000
        self.drew_density = False  # what the last paint drew (for tests and the hover text)
        lut = pg.colormap.get(DENSITY_COLORMAP).getLookupTable(nPts=256, alpha=False)
        # transparent where empty, then the colour map, more opaque as the density grows
        alpha = np.clip(150 + 105 * np.linspace(0, 1, 256) ** 0.5, 0, 255).astype(np.uint32)
        self._density_lut = (lut[:, 0].astype(np.uint32) | lut[:, 1].astype(np.uint32) << 8
                             | lut[:, 2].astype(np.uint32) << 16 | alpha << 24)
        self._density_lut[0] = 0
        self.set_colors(color, (color,))

    def set_mode(self, mode: str) -> None:
        """``auto`` (density above ``density_threshold`` points), ``points`` or ``density``."""
        if mode not in DRAW_MODES:
            raise ValueError(f"unknown draw mode {mode!r}")
        self.mode = mode
        self.update()

    def density_active(self, n: int | None = None) -> bool:
        n = self._n if n is None else n
        return self.mode == "density" or (self.mode == "auto" and n > self.density_threshold)

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
        x = np.asarray(x)
        y = np.asarray(y)
        self._x, self._y, self._classes, self._curve = x, y, classes, None
        self._binned, self._n = None, x.size
        self.prepareGeometryChange()
        if x.size:
            x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
            self._bounds = QtCore.QRectF(x0, y0, max(x1 - x0, 1e-12), max(y1 - y0, 1e-12))
        else:
            self._bounds = QtCore.QRectF()
        self.informViewBoundsChanged()  # the view box follows the data (auto range)
        self.update()

    def set_on_curve(self, x: np.ndarray, grid: np.ndarray, values: np.ndarray) -> None:
        """Particles at positions x sitting on the curve (grid, values), drawn as a density
        band along the curve (no per-particle height is needed)."""
        x = np.asarray(x)
        self._x, self._binned, self._n = x, None, x.size
        self._place_on_curve(grid, values, (float(x.min()), float(x.max())) if x.size else None)

    def set_binned_on_curve(self, edges: np.ndarray, counts: np.ndarray, grid: np.ndarray,
                            values: np.ndarray) -> None:
        """Particles already binned (``counts`` between increasing ``edges``) sitting on the
        curve (grid, values), drawn as the density band without touching any position."""
        counts = np.asarray(counts, dtype=float)
        edges = np.asarray(edges, dtype=float)
        cumulative = np.concatenate([[0.0], np.cumsum(counts)])
        self._x, self._binned, self._n = np.zeros(0), (edges, cumulative), int(cumulative[-1])
        held = np.flatnonzero(counts)
        self._place_on_curve(grid, values,
                             (edges[held[0]], edges[held[-1] + 1]) if held.size else None)

    def _place_on_curve(self, grid: np.ndarray, values: np.ndarray,
                        extent: tuple[float, float] | None) -> None:
        """Keep the curve; bound the band by the curve over ``extent`` = (x min, x max)."""
        self._classes, self._y = None, np.zeros(0)
        self._curve = (np.asarray(grid, dtype=float), np.asarray(values, dtype=float))
        self.prepareGeometryChange()
        if extent is not None:
            x0, x1 = extent
            gy = np.interp([x0, x1], *self._curve)
            inside = (self._curve[0] >= x0) & (self._curve[0] <= x1)
            ys = np.concatenate([gy, self._curve[1][inside]])
            y0, y1 = float(ys.min()), float(ys.max())
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
        if not self._n or self._bounds.isNull():
            return None
        b = self._bounds
        return (b.left(), b.right()) if ax == 0 else (b.top(), b.bottom())

    def pixelPadding(self) -> float:
        return self.size_px / 2

    def paint(self, painter: QtGui.QPainter, option, widget=None) -> None:
        if not self._n:
            self.drew_density = False
            return
        tr = painter.transform()
        device = painter.device()
        width, height = device.width(), device.height()
        painter.save()
        painter.resetTransform()
        density = self.density_active()
        self.drew_density = density
        if self._curve is not None:
            self._paint_band(painter, tr, width, height)
        elif density and self._classes is None and tr.m21() == 0 and tr.m12() == 0:
            self._paint_density(painter, tr, width, height)
        else:
            px = self._x * tr.m11() + self._y * tr.m21() + tr.m31()
            py = self._x * tr.m12() + self._y * tr.m22() + tr.m32()
            if px.size <= ROUND_MARKER_LIMIT:
                self._paint_markers(painter, px, py)
            else:
                self._paint_raster(painter, px, py, width, height)
        painter.restore()

    def _density_pixels(self, counts: np.ndarray) -> np.ndarray:
        """Counts → RGBA through the colour map, on a log scale up to the largest count."""
        top = float(counts.max()) if counts.size else 0.0
        if top <= 0:
            return np.zeros(counts.shape, dtype=np.uint32)
        level = np.log1p(counts.astype(np.float32)) * np.float32(255.0 / np.log1p(top))
        return self._density_lut.take(level.astype(np.int32))

    def _paint_density(self, painter: QtGui.QPainter, tr: QtGui.QTransform, width: int,
                       height: int) -> None:
        """A 2D density image: log counts per pixel cell (axis-aligned view)."""
        cell = max(1, round(self.size_px / 3))
        gw, gh = width // cell + 1, height // cell + 1
        col = _spill_index(self._x, tr.m11() / cell, tr.m31() / cell, gw)
        row = _spill_index(self._y, tr.m22() / cell, tr.m32() / cell, gh)
        row *= gw + 2
        row += col
        counts = np.bincount(row, minlength=(gw + 2) * (gh + 2)).reshape(gh + 2, gw + 2)
        pixels = np.ascontiguousarray(self._density_pixels(counts[1:-1, 1:-1]))
        image = QtGui.QImage(pixels.data, gw, gh, gw * 4, QtGui.QImage.Format.Format_RGBA8888)
        painter.drawImage(QtCore.QRectF(0, 0, gw * cell, gh * cell), image)

    def _paint_band(self, painter: QtGui.QPainter, tr: QtGui.QTransform, width: int,
                    height: int) -> None:
        """Particles on a curve: counts per pixel column of x, drawn as a band of marker
        height just above the curve, coloured by density (or solid when few)."""
        cell = max(1, round(self.size_px / 3))
        gw = width // cell + 1
        counts = self._band_counts(tr.m11() / cell, tr.m31() / cell, gw)
        cols = np.flatnonzero(counts)
        if not cols.size:
            return
        grid, values = self._curve
        data_x = ((cols + 0.5) * cell - tr.m31()) / tr.m11()
        rows = (np.interp(data_x, grid, values) * tr.m22() + tr.m32()) / cell
        band = max(2, round(1.6 * self.size_px / cell))
        gh = height // cell + 1
        colors = self._density_pixels(counts[cols])
        r = (rows[:, None] - np.arange(1, band + 1)[None, :]).astype(np.int64)
        c = np.broadcast_to(cols[:, None], r.shape)
        ok = (r >= 0) & (r < gh)
        pixels = np.zeros(gw * gh, dtype=np.uint32)
        pixels[r[ok] * gw + c[ok]] = np.broadcast_to(colors[:, None], r.shape)[ok]
        image = QtGui.QImage(pixels.data, gw, gh, gw * 4, QtGui.QImage.Format.Format_RGBA8888)
        painter.drawImage(QtCore.QRectF(0, 0, gw * cell, gh * cell), image)

    def _band_counts(self, scale: float, offset: float, columns: int) -> np.ndarray:
        """Particles in each pixel column floor(x·scale + offset) = 0..columns−1: binned
        counts shared among the columns each bin overlaps, in proportion to the overlap
        (uniform within a bin), or the positions counted."""
        if self._binned is None:
            return _column_counts(self._x, scale, offset, columns)
        edges, cumulative = self._binned
        bounds = (np.arange(columns + 1) - offset) / scale  # column edges in data x
        return np.abs(np.diff(np.interp(bounds, edges, cumulative)))

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


def _spill_index(x: np.ndarray, scale: float, offset: float, cells: int) -> np.ndarray:
    """1 + floor(x·scale + offset), clipped into [0, cells + 1]: cells 1..cells are the
    image, 0 and cells + 1 collect the points left and right of it (no mask, no gather)."""
    dtype = np.dtype(x.dtype if x.dtype in (np.float32, np.float64) else np.float64)
    pos = np.multiply(x, dtype.type(scale), dtype=dtype)
    pos += dtype.type(offset + 1.0)
    np.clip(pos, 0.0, cells + 1.0, out=pos)
    return pos.astype(np.intp)


def _column_counts(x: np.ndarray, scale: float, offset: float, columns: int) -> np.ndarray:
    """Counts of floor(x·scale + offset) in 0..columns−1, in a few passes over x
    (≈ 5 ms for 10⁶ float32 points, against ≈ 20 with a mask and a gather)."""
    idx = _spill_index(x, scale, offset, columns)
    return np.bincount(idx, minlength=columns + 2)[1: columns + 1]


class ParticlesPanel(PlotPanel):
    """A :class:`compute.views.Particles` view.

    The plot's context menu has "Particles drawn as" → automatic / points / density image.
    """

    view: Particles

    def __init__(self, view: Particles, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.curve = pg.PlotDataItem()
        self.cloud = PointCloudItem()
        self.cloud.density_threshold = view.density_threshold
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
        self._add_mode_menu()
        self.style_items()

    def fixed_range(self):
        return self.view.xrange, self._fixed_y

    def _add_mode_menu(self) -> None:
        menu = self.plot.getViewBox().menu.addMenu("Particles drawn as")
        group = QtGui.QActionGroup(menu)
        self.mode_actions: dict[str, QtGui.QAction] = {}
        labels = {"auto": f"Automatic (density above {self.view.density_threshold:,})",
                  "points": "Points", "density": "Density image"}
        for mode in DRAW_MODES:
            action = menu.addAction(labels[mode])
            action.setCheckable(True)
            action.setChecked(mode == "auto")
            group.addAction(action)
            action.triggered.connect(lambda _=False, m=mode: self.set_draw_mode(m))
            self.mode_actions[mode] = action

    def set_draw_mode(self, mode: str) -> None:
        """``auto``, ``points`` or ``density`` (the context menu's choice)."""
        self.cloud.set_mode(mode)
        self.mode_actions[mode].setChecked(True)
        if self.last_frame is not None:
            self.show_frame(self.last_frame)

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
        x = np.asarray(x)
        density = self.cloud.density_active(x.size)
        if density and not view.y:
            # a 1D cloud as a density band: along the curve, or along y = 0
            if view.on_curve and view.curve:
                grid, values = frame[view.curve[0]], frame[view.curve[1]]
            else:
                grid, values = np.array([-1e300, 1e300]), np.zeros(2)
            if view.density and all(name in frame for name in view.density):
                # binned by the experiment: the positions are not read at all here
                edges, counts = frame[view.density[0]], frame[view.density[1]]
                self.cloud.set_binned_on_curve(edges, counts, grid, values)
            else:
                self.cloud.set_on_curve(x, grid, values)
        else:
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
