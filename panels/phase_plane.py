"""Planar phase portraits (a :class:`compute.views.PhasePlane`): the flow sketched by
streamlines, nullclines, fixed points marked by type, energy level sets, separatrices, and
trajectories moving as points with trails. A click on the plane launches a trajectory
there (forward and backward in time); a click on a fixed point shows its Jacobian and
eigenvalues.

The static layers change only when the experiment's parameters change (the frames reuse
their arrays), so they are redrawn only then; each frame moves the heads and trails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore

from compute.views import PhasePlane

from .base import PlotPanel
from .theme import Theme

PICK_PX = 10  # a click this close to a fixed point selects it
ARROW_SHARE = 0.018  # arrow-head size as a share of the box
# marker symbol and filled (stable) or hollow (unstable) for each fixed-point type
KIND_STYLE = {
    "stable node": ("o", True), "stable spiral": ("o", True), "center": ("d", False),
    "unstable node": ("o", False), "unstable spiral": ("o", False), "saddle": ("x", True),
    "degenerate": ("s", False),
}


def _xy(poly: Any) -> tuple[np.ndarray, np.ndarray]:
    pts = np.asarray(poly, dtype=float).reshape(-1, 2)
    return pts[:, 0], pts[:, 1]


class PhasePlanePanel(PlotPanel):
    """A phase portrait with click-to-launch trajectories."""

    view: PhasePlane

    def __init__(self, view: PhasePlane, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.set_labels(view.xlabel, view.ylabel)
        if view.equal_aspect:
            self.plot.setAspectLocked(True)
        self.box = (0.0, 1.0, 0.0, 1.0)

        def curve(z: float) -> pg.PlotDataItem:
            item = pg.PlotDataItem(connect="finite")
            item.setZValue(z)
            self.plot.addItem(item)
            return item

        self.stream = curve(-10)
        self.arrow_heads = curve(-9)
        self.contours = curve(-8)
        self.null_x = curve(-7)
        self.null_y = curve(-7)
        self.highlight = curve(-6)
        self.level_set = curve(-6)
        self.stable = curve(-5)
        self.unstable = curve(-5)
        self.guides = curve(-5)
        self.trail_items: list[pg.PlotDataItem] = []
        self.heads = pg.ScatterPlotItem(pxMode=True)
        self.heads.setZValue(10)
        self.plot.addItem(self.heads)
        self.fixed = pg.ScatterPlotItem(pxMode=True)
        self.fixed.setZValue(11)
        self.plot.addItem(self.fixed)
        self.labels: list[pg.TextItem] = []
        self.info = pg.TextItem(anchor=(0, 1))
        self.info.setZValue(20)
        self.info.hide()
        self.plot.addItem(self.info)
        self.fixed_points = np.empty((0, 2))
        self.fixed_kinds: list[str] = []
        self.fixed_texts: list[str] = []
        self.selected: int | None = None
        self._legend_items: dict[str, Any] = {}
        self._kind_samples: dict[str, pg.ScatterPlotItem] = {}
        self.plot.scene().sigMouseClicked.connect(self._on_click)
        self.style_items()

    # -- styling -----------------------------------------------------------------------
    def _faint(self, alpha: int = 90) -> pg.QtGui.QColor:
        color = pg.mkColor(self.theme.foreground)
        color.setAlpha(alpha)
        return color

    def style_items(self) -> None:
        super().style_items()
        theme, thin = self.theme, max(1.0, self.theme.line_width / 2)
        self.stream.setPen(pg.mkPen(self._faint(70), width=thin))
        self.arrow_heads.setPen(pg.mkPen(self._faint(110), width=thin))
        self.contours.setPen(pg.mkPen(self._faint(120), width=thin))
        # trajectories take the palette from its start; the layers use its far end
        dash = QtCore.Qt.PenStyle.DashLine
        self.null_x.setPen(self.pen(theme.color(5), 0.8, dash))
        self.null_y.setPen(self.pen(theme.color(4), 0.8, dash))
        self.highlight.setPen(self.pen(theme.reference, 1.5))
        self.level_set.setPen(self.pen(theme.foreground, 1.2, QtCore.Qt.PenStyle.DotLine))
        self.stable.setPen(self.pen(theme.color(2), 1.1))
        self.unstable.setPen(self.pen(theme.color(3), 1.1))
        self.guides.setPen(self.pen(theme.color(8), 1.1, QtCore.Qt.PenStyle.DashDotLine))
        self.info.setColor(theme.foreground)
        font = pg.QtGui.QFont()
        font.setPointSizeF(theme.font_pt)
        self.info.setFont(font)
        small = pg.QtGui.QFont()
        small.setPointSizeF(0.85 * theme.font_pt)
        for label in self.labels:
            label.setFont(small)
        self.info.fill = pg.mkBrush(pg.mkColor(theme.background + "E0"))
        self.info.border = pg.mkPen(theme.foreground)
        for label in self.labels:
            label.setColor(self._faint(220))

    # -- drawing -----------------------------------------------------------------------
    def show_frame(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        if self.changed(frame, view.box) and view.box in frame:
            self._set_box(frame[view.box])
        if view.streamlines and self.changed(frame, view.streamlines, view.arrows):
            self.stream.setData(*_xy(frame.get(view.streamlines, np.empty((0, 2)))))
            if view.arrows and view.arrows in frame:
                self._set_arrows(np.asarray(frame[view.arrows], dtype=float).reshape(-1, 4))
        if view.contours and self.changed(frame, view.contours, view.contour_labels):
            self.contours.setData(*_xy(frame.get(view.contours, np.empty((0, 2)))))
            self._set_contour_labels(frame)
        if view.nullclines and self.changed(frame, *view.nullclines):
            for item, name, label in zip((self.null_x, self.null_y), view.nullclines,
                                         (f"{view.xlabel} nullcline", f"{view.ylabel} nullcline"),
                                         strict=True):
                self._set_curve(item, frame.get(name), label)
        if view.highlight and self.changed(frame, view.highlight):
            self._set_curve(self.highlight, frame.get(view.highlight), view.highlight_label)
        if view.level_set and self.changed(frame, view.level_set):
            self._set_curve(self.level_set, frame.get(view.level_set), view.level_set_label)
        if view.manifolds and self.changed(frame, *view.manifolds):
            for item, name, label in zip((self.stable, self.unstable), view.manifolds,
                                         ("stable manifold", "unstable manifold"), strict=True):
                self._set_curve(item, frame.get(name), label)
        if view.guides and self.changed(frame, view.guides):
            self._set_curve(self.guides, frame.get(view.guides), view.guides_label)
        if view.fixed_points and self.changed(frame, view.fixed_points, view.fixed_kinds,
                                              view.fixed_info):
            self._set_fixed(frame)
        if view.heads and view.heads in frame:
            self._set_trajectories(frame)

    def _set_box(self, box: Any) -> None:
        self.box = tuple(float(v) for v in np.asarray(box, dtype=float)[:4])
        x0, x1, y0, y1 = self.box
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def _set_curve(self, item: pg.PlotDataItem, poly: Any, label: str) -> None:
        pts = np.empty((0, 2)) if poly is None else np.asarray(poly, dtype=float).reshape(-1, 2)
        item.setData(pts[:, 0], pts[:, 1])
        self._legend(item, label, bool(np.isfinite(pts).any()) and bool(label))

    def _legend(self, item: Any, label: str, shown: bool) -> None:
        """Add or remove a legend entry so the legend lists only what is drawn."""
        if shown and label not in self._legend_items:
            self._legend_items[label] = item
            self.add_legend_entry(item, label)
        elif not shown and self._legend_items.get(label) is item:
            del self._legend_items[label]
            self.remove_legend_entry(item)

    def _set_arrows(self, arrows: np.ndarray) -> None:
        """A small arrow head (two strokes) at each seed, pointing along the flow."""
        if not len(arrows):
            self.arrow_heads.setData([], [])
            return
        x0, x1, y0, y1 = self.box
        sx, sy = ARROW_SHARE * (x1 - x0), ARROW_SHARE * (y1 - y0)
        px, py, dx, dy = arrows.T
        ux, uy = dx / (x1 - x0), dy / (y1 - y0)  # directions on the (box-normalised) screen
        n = np.hypot(ux, uy)
        n[n == 0] = 1
        ux, uy = ux / n, uy / n
        c, s = np.cos(np.deg2rad(150)), np.sin(np.deg2rad(150))
        tips = []
        for sign in (1, -1):
            hx = c * ux - sign * s * uy
            hy = sign * s * ux + c * uy
            tips.append((px + sx * hx, py + sy * hy))
        xs = np.stack([tips[0][0], px, tips[1][0], np.full_like(px, np.nan)], axis=1).ravel()
        ys = np.stack([tips[0][1], py, tips[1][1], np.full_like(py, np.nan)], axis=1).ravel()
        self.arrow_heads.setData(xs, ys)

    def _set_contour_labels(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        texts = [str(s) for s in frame.get(view.contour_labels, [])] if view.contour_labels else []
        pos = np.asarray(frame.get(view.contour_label_pos, np.empty((0, 2))),
                         dtype=float).reshape(-1, 2) if view.contour_label_pos else np.empty((0, 2))
        while len(self.labels) < len(texts):
            item = pg.TextItem(anchor=(0.5, 1.0))  # just above the level set's top
            font = pg.QtGui.QFont()
            font.setPointSizeF(0.85 * self.theme.font_pt)
            item.setFont(font)
            item.setZValue(-4)
            self.plot.addItem(item)
            self.labels.append(item)
        for i, item in enumerate(self.labels):
            shown = i < len(texts) and i < len(pos) and bool(np.isfinite(pos[i]).all())
            item.setVisible(shown)
            if shown:
                item.setText(texts[i], color=self._faint(220))
                item.setPos(float(pos[i, 0]), float(pos[i, 1]))

    def _set_fixed(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        pts = np.asarray(frame.get(view.fixed_points, np.empty((0, 2))), dtype=float).reshape(-1, 2)
        kinds = [str(s) for s in frame.get(view.fixed_kinds, [])] if view.fixed_kinds else []
        kinds = (kinds + ["fixed point"] * len(pts))[: len(pts)]
        self.fixed_points, self.fixed_kinds = pts, kinds
        self.fixed_texts = ([str(s) for s in frame.get(view.fixed_info, [])]
                            if view.fixed_info else [])
        size = self.theme.marker_px * 2.2
        spots = []
        for p, kind in zip(pts, kinds, strict=True):
            symbol, filled = KIND_STYLE.get(kind, ("o", True))
            color = self.theme.foreground
            spots.append({"pos": (float(p[0]), float(p[1])), "symbol": symbol, "size": size,
                          "pen": pg.mkPen(color, width=max(1.5, self.theme.line_width)),
                          "brush": pg.mkBrush(color if filled else self.theme.background)})
        self.fixed.setData(spots)
        for kind in set(self._kind_samples) - set(kinds):
            self._legend(self._kind_samples.pop(kind), kind, False)
        for kind in dict.fromkeys(kinds):
            sample = self._kind_samples.get(kind)
            if sample is None:
                symbol, filled = KIND_STYLE.get(kind, ("o", True))
                sample = self._kind_samples[kind] = pg.ScatterPlotItem(
                    symbol=symbol, size=size, pen=spots[0]["pen"],
                    brush=pg.mkBrush(self.theme.foreground if filled else self.theme.background))
            self._legend(sample, kind, True)
        if self.selected is not None and self.selected >= len(pts):
            self._select(None)
        elif self.selected is not None:
            self._select(self.selected)

    def _set_trajectories(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        heads = np.asarray(frame[view.heads], dtype=float).reshape(-1, 2)
        trails = (np.asarray(frame[view.trails], dtype=float)
                  if view.trails and view.trails in frame else np.empty((0, 0, 2)))
        dirs = (np.asarray(frame[view.directions], dtype=float)
                if view.directions and view.directions in frame else np.ones(len(heads)))
        k = len(heads)
        while len(self.trail_items) < k:
            item = pg.PlotDataItem(connect="finite")
            item.setZValue(5)
            self.plot.addItem(item)
            self.trail_items.append(item)
        colors = self._trajectory_colors(dirs)
        for i, item in enumerate(self.trail_items):
            if i >= k or i >= len(trails):
                item.setData([], [])
                continue
            item.setData(trails[i, :, 0], trails[i, :, 1])
            style = QtCore.Qt.PenStyle.DashLine if dirs[i] < 0 else None
            item.setPen(self.pen(colors[i], 1.0, style))
        ok = np.isfinite(heads).all(axis=1)
        brushes = [pg.mkBrush(c) for c, good in zip(colors, ok, strict=True) if good]
        self.heads.setData(heads[ok, 0], heads[ok, 1], brush=brushes,
                           pen=pg.mkPen(self.theme.foreground, width=1),
                           size=self.theme.marker_px * 1.8)

    def _trajectory_colors(self, dirs: np.ndarray) -> list[str]:
        """The experiment's own trajectories (forward only) in the accent colour, the ones
        launched by a click (a forward and a backward row) in the foreground colour, so
        neither is mistaken for a layer (manifolds, nullclines) drawn in the palette."""
        colors = []
        for i, d in enumerate(dirs):
            pair = (d < 0 and i > 0 and dirs[i - 1] > 0) or \
                (d > 0 and i + 1 < len(dirs) and dirs[i + 1] < 0)
            colors.append(self.theme.foreground if pair else self.theme.accent)
        return colors

    # -- interaction -------------------------------------------------------------------
    def fixed_point_at(self, scene_pos: QtCore.QPointF) -> int | None:
        """The fixed point under a scene position (within PICK_PX pixels), or None."""
        if not len(self.fixed_points):
            return None
        vb = self.plot.getViewBox()
        point = vb.mapSceneToView(scene_pos)
        pw, ph = vb.viewPixelSize()
        if pw <= 0 or ph <= 0:
            return None
        d = np.hypot((self.fixed_points[:, 0] - point.x()) / pw,
                     (self.fixed_points[:, 1] - point.y()) / ph)
        k = int(np.argmin(d))
        return k if d[k] <= PICK_PX + 0.5 * self.theme.marker_px * 2.2 else None

    def _select(self, k: int | None) -> None:
        self.selected = k
        if k is None or k >= len(self.fixed_points):
            self.info.hide()
            return
        text = self.fixed_texts[k] if k < len(self.fixed_texts) else self.fixed_kinds[k]
        self.info.setText(text, color=self.theme.foreground)
        p = self.fixed_points[k]
        x0, x1, y0, y1 = self.box
        # open towards the middle of the box so the text stays inside the plot
        self.info.setAnchor((0 if p[0] < 0.5 * (x0 + x1) else 1,
                             1 if p[1] < 0.5 * (y0 + y1) else 0))
        self.info.setPos(float(p[0]), float(p[1]))
        self.info.show()

    def _on_click(self, event) -> None:
        if event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        k = self.fixed_point_at(event.scenePos())
        if k is not None:
            event.accept()
            self._select(None if k == self.selected else k)
            return
        if self.selected is not None:
            self._select(None)
        if self.view.clickable:
            event.accept()
            point = vb.mapSceneToView(event.scenePos())
            self.interacted.emit("launch", (float(point.x()), float(point.y())))

    def fixed_range(self):
        """The experiment's box frames the portrait."""
        x0, x1, y0, y1 = self.box
        return (x0, x1), (y0, y1)

    def hover_text(self, x: float, y: float) -> str:
        hint = " (click: launch a trajectory)" if self.view.clickable else ""
        view = self.view
        return f"{view.title}: {view.xlabel} = {x:.4g}, {view.ylabel} = {y:.4g}{hint}"
