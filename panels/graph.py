"""Graphs: nodes at positions coloured by a value, weighted (directed) edges (``Graph``).

Used by the computational graphs of automatic differentiation (a sweep lighting up node by
node), graph dynamics (consensus, heat on a path: nodes coloured by their state) and, later,
Laplacian spectra and Markov chains. Edges are drawn as a few line items (one per band of
weights), so a graph of a few hundred nodes and thousands of edges redraws in milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui

from compute.views import Graph

from .base import PlotPanel
from .theme import Theme

WEIGHT_BANDS = 4  # edges are drawn in this many width/opacity bands of |w| / max|w|
LABELS_UP_TO = 40  # node labels are written for graphs with at most this many nodes
PICK_PX = 14.0  # a click this close to a node (in pixels, beyond its radius) picks it
HEAD = 0.045  # arrow-head length, as a fraction of the drawing's span
LOOP = 0.07  # self-loop radius, as a fraction of the drawing's span
PARALLEL = 0.018  # offset of a directed edge whose reverse is drawn too


def node_size_px(theme: Theme, n: int) -> float:
    """Disc diameter in pixels: large for small graphs, smaller when crowded."""
    base = theme.marker_px * (3.2 if n <= 12 else 2.2 if n <= 40 else 1.4)
    return max(base, 4.0)


def edge_geometry(pos: np.ndarray, edges: np.ndarray, directed: bool, span: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Polylines of the edges: (m, k, 2) points (NaN-padded), midpoints (m, 2), and heads.

    A straight edge is two points; a directed edge whose reverse also exists is shifted to
    its right so the pair reads as two arrows; a self-loop is a small circle pointing away
    from the centre of the drawing. ``heads`` (m, 3, 2) are the arrow-head strokes (left
    tip, tip, right tip) placed at 65% of the edge, NaN for loops and undirected graphs.
    """
    m = len(edges)
    k = 25
    lines = np.full((m, k, 2), np.nan)
    mids = np.zeros((m, 2))
    heads = np.full((m, 3, 2), np.nan)
    if m == 0:
        return lines, mids, heads
    centre = pos.mean(axis=0)
    i, j = edges[:, 0], edges[:, 1]
    loop = i == j
    for e in np.flatnonzero(loop):
        a = pos[i[e]]
        out = a - centre
        norm = np.hypot(*out)
        out = out / norm if norm > 1e-12 else np.array([0.0, 1.0])
        r = LOOP * span
        c = a + r * out
        ang = np.linspace(0.0, 2 * np.pi, k) + np.arctan2(-out[1], -out[0])
        lines[e] = c + r * np.stack([np.cos(ang), np.sin(ang)], axis=1)
        mids[e] = c + r * out
    s = ~loop
    if not s.any():
        return lines, mids, heads
    a, b = pos[i[s]], pos[j[s]]
    d = b - a
    length = np.hypot(d[:, 0], d[:, 1])[:, None]
    u = np.where(length > 0, d / np.where(length > 0, length, 1.0), [1.0, 0.0])
    normal = np.stack([u[:, 1], -u[:, 0]], axis=1)  # to the right of the direction of travel
    shift = np.zeros_like(a)
    if directed:
        n = len(pos)
        code = i * n + j
        reverse = np.isin(j[s] * n + i[s], code)
        shift[reverse] = PARALLEL * span * normal[reverse]
    lines[s, 0] = a + shift
    lines[s, 1] = b + shift
    # labels before the middle and heads after it on a directed edge, so neither hides the other
    mids[s] = a + (0.4 if directed else 0.5) * d + shift
    if directed:
        tip = a + 0.65 * d + shift
        h = HEAD * span
        c, sn = np.cos(np.deg2rad(25)), np.sin(np.deg2rad(25))
        back = -u
        left = np.stack([c * back[:, 0] - sn * back[:, 1], sn * back[:, 0] + c * back[:, 1]], 1)
        right = np.stack([c * back[:, 0] + sn * back[:, 1], -sn * back[:, 0] + c * back[:, 1]], 1)
        heads[s] = np.stack([tip + h * left, tip, tip + h * right], axis=1)
    return lines, mids, heads


def _polyline_xy(lines: np.ndarray, heads: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Flatten polylines (and head strokes) into x, y arrays separated by NaN."""
    parts = [np.concatenate([lines, np.full((len(lines), 1, 2), np.nan)], axis=1).reshape(-1, 2)]
    if heads is not None and len(heads):
        ok = np.isfinite(heads).all(axis=(1, 2))
        if ok.any():
            h = heads[ok]
            parts.append(np.concatenate([h, np.full((len(h), 1, 2), np.nan)],
                                        axis=1).reshape(-1, 2))
    flat = np.concatenate(parts) if parts else np.zeros((0, 2))
    finite = np.isfinite(flat).all(axis=1)
    keep = finite | np.concatenate([[False], finite[:-1]])  # one NaN between pieces
    flat = flat[keep]
    return flat[:, 0], flat[:, 1]


class GraphPanel(PlotPanel):
    """A :class:`compute.views.Graph` view."""

    view: Graph

    def __init__(self, view: Graph, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.band_items = [pg.PlotDataItem(connect="finite") for _ in range(WEIGHT_BANDS)]
        for item in self.band_items:
            self.plot.addItem(item)
        self.active_item = pg.PlotDataItem(connect="finite")
        self.plot.addItem(self.active_item)
        self.nodes = pg.ScatterPlotItem(pxMode=True)
        self.plot.addItem(self.nodes)
        self.ring = pg.ScatterPlotItem(pxMode=True)
        self.plot.addItem(self.ring)
        self.selection = pg.ScatterPlotItem(pxMode=True)
        self.plot.addItem(self.selection)
        self.node_labels: list[pg.TextItem] = []
        self.edge_label_items: list[pg.TextItem] = []
        self.colormap = pg.colormap.get(view.colormap)
        self.colorbar: pg.ColorBarItem | None = None
        if view.values:
            self.colorbar = pg.ColorBarItem(values=view.levels or (0.0, 1.0),
                                            colorMap=self.colormap, interactive=False, width=15)
            self.plot.layout.addItem(self.colorbar, 2, 5)
            self.plot.layout.setColumnFixedWidth(4, 5)
        self.plot.setAspectLocked(True)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.getViewBox().setMouseEnabled(x=False, y=False)
        self.positions = np.zeros((0, 2))
        self.node_values: np.ndarray | None = None
        self.selected: int | None = None
        self.span = 1.0
        self.plot.scene().sigMouseClicked.connect(self._on_click)
        self.style_items()

    # -- drawing -----------------------------------------------------------------------
    def style_items(self) -> None:
        super().style_items()
        if self.colorbar is not None:
            font = QtGui.QFont()
            font.setPointSizeF(self.theme.font_pt)
            axis = self.colorbar.axis
            axis.setTextPen(pg.mkPen(self.theme.foreground))
            axis.setPen(pg.mkPen(self.theme.foreground))
            axis.setStyle(tickFont=font)
            if self.view.value_label:
                axis.setLabel(self.view.value_label, color=self.theme.foreground,
                              **{"font-size": f"{self.theme.font_pt:.0f}pt"})

    def show_frame(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        if view.positions not in frame or view.edges not in frame:
            return
        pos = np.asarray(frame[view.positions], dtype=float).reshape(-1, 2)
        edges = np.asarray(frame[view.edges], dtype=int).reshape(-1, 2)
        n = len(pos)
        if self.changed(frame, view.positions) or len(pos) != len(self.positions):
            self._frame_range(pos)
        self.positions = pos
        weights = (np.asarray(frame[view.weights], dtype=float)
                   if view.weights and view.weights in frame else None)
        lines, mids, heads = edge_geometry(pos, edges, view.directed, self.span)
        self._draw_edges(lines, heads, weights)
        self._draw_active(frame, lines, heads)
        size = node_size_px(self.theme, n)
        brushes = self._node_brushes(frame, n)
        outline = pg.mkPen(self.theme.foreground, width=max(1.0, self.theme.line_width / 2))
        self.nodes.setData(pos[:, 0], pos[:, 1], size=size, brush=brushes, pen=outline)
        self._draw_ring(frame, pos, size)
        self._draw_selection(pos, size)
        self._draw_labels(frame, pos, mids, n, edges)

    def _frame_range(self, pos: np.ndarray) -> None:
        if not len(pos):
            return
        lo, hi = pos.min(axis=0), pos.max(axis=0)
        self.span = float(max(np.max(hi - lo), 1e-9))
        pad = 0.18 * self.span
        self.plot.setRange(xRange=(lo[0] - pad, hi[0] + pad), yRange=(lo[1] - pad, hi[1] + pad),
                           padding=0)

    def _draw_edges(self, lines: np.ndarray, heads: np.ndarray,
                    weights: np.ndarray | None) -> None:
        m = len(lines)
        if weights is None or len(weights) != m:
            band = np.full(m, WEIGHT_BANDS - 1)
        else:
            w = np.abs(weights)
            top = float(w.max()) if m and np.isfinite(w).all() and w.max() > 0 else 1.0
            frac = np.where(np.isfinite(w), w / top, 0.0)
            band = np.ceil(frac * WEIGHT_BANDS).astype(int) - 1  # −1: weight 0, not drawn
        for b, item in enumerate(self.band_items):
            sel = band == b
            if not sel.any():
                item.setData([], [])
                continue
            x, y = _polyline_xy(lines[sel], heads[sel])
            item.setData(x, y, connect="finite")
            color = pg.mkColor(self.theme.foreground)
            color.setAlpha(int(70 + 185 * (b + 1) / WEIGHT_BANDS))
            width = self.theme.line_width * (0.6 + 1.4 * (b + 1) / WEIGHT_BANDS)
            item.setPen(pg.mkPen(color, width=width))

    def _highlight_color(self, frame: Mapping[str, Any]) -> str:
        name = self.view.highlight_color
        if name and name in frame and str(frame[name]):
            return str(frame[name])
        return self.theme.reference

    def _draw_active(self, frame: Mapping[str, Any], lines: np.ndarray, heads: np.ndarray) -> None:
        name = self.view.highlight_edges
        mask = np.asarray(frame[name], dtype=bool) if name and name in frame else None
        if mask is None or mask.shape != (len(lines),) or not mask.any():
            self.active_item.setData([], [])
            return
        x, y = _polyline_xy(lines[mask], heads[mask])
        self.active_item.setData(x, y, connect="finite")
        self.active_item.setPen(pg.mkPen(self._highlight_color(frame),
                                         width=self.theme.line_width * 2.6))

    def _node_brushes(self, frame: Mapping[str, Any], n: int) -> list:
        view = self.view
        self.node_values = None
        if view.values and view.values in frame:
            values = np.asarray(frame[view.values], dtype=float).reshape(-1)[:n]
            self.node_values = values
            finite = values[np.isfinite(values)]
            if view.levels_field and view.levels_field in frame:
                lo, hi = (float(v) for v in frame[view.levels_field])
                if not hi > lo:
                    lo, hi = lo - 0.5, hi + 0.5
            elif view.levels is not None:
                lo, hi = view.levels
            elif finite.size:
                lo, hi = float(finite.min()), float(finite.max())
                if hi - lo < 1e-12 * max(1.0, abs(hi)):
                    lo, hi = lo - 0.5, hi + 0.5
            else:
                lo, hi = 0.0, 1.0
            if self.colorbar is not None:
                self.colorbar.setLevels((lo, hi))
            frac = np.clip((np.nan_to_num(values, nan=lo) - lo) / (hi - lo), 0.0, 1.0)
            brushes = [pg.mkBrush(c) for c in self.colormap.map(frac, mode="qcolor")]
            # a node without a value yet (NaN: a sweep has not reached it) is drawn hollow
            return [b if np.isfinite(v) else pg.mkBrush(self.theme.background)
                    for b, v in zip(brushes, values, strict=False)]
        if view.classes and view.classes in frame:
            classes = np.asarray(frame[view.classes], dtype=int).reshape(-1)[:n]
            return [pg.mkBrush(self.theme.color(int(c))) for c in classes]
        return [pg.mkBrush(self.theme.accent)] * n

    def _draw_ring(self, frame: Mapping[str, Any], pos: np.ndarray, size: float) -> None:
        name = self.view.highlight_node
        k = int(frame[name]) if name and name in frame else -1
        if 0 <= k < len(pos):
            self.ring.setData([pos[k, 0]], [pos[k, 1]], size=size * 1.55, brush=None,
                              pen=pg.mkPen(self._highlight_color(frame),
                                           width=self.theme.line_width * 2))
        else:
            self.ring.clear()

    def _draw_selection(self, pos: np.ndarray, size: float) -> None:
        k = self.selected
        if k is not None and 0 <= k < len(pos):
            pen = pg.mkPen(self.theme.foreground, width=self.theme.line_width * 1.5,
                           style=QtCore.Qt.PenStyle.DashLine)
            self.selection.setData([pos[k, 0]], [pos[k, 1]], size=size * 1.9, brush=None, pen=pen)
        else:
            self.selection.clear()

    def _text_items(self, pool: list[pg.TextItem], count: int, anchor) -> list[pg.TextItem]:
        while len(pool) < count:
            item = pg.TextItem(anchor=anchor)
            item.setZValue(20)  # above edges and nodes
            self.plot.addItem(item)
            pool.append(item)
        for i, item in enumerate(pool):
            item.setVisible(i < count)
        return pool[:count]

    def _draw_labels(self, frame: Mapping[str, Any], pos: np.ndarray, mids: np.ndarray, n: int,
                     edges: np.ndarray) -> None:
        view = self.view
        labels = [str(s) for s in frame[view.labels]] if view.labels and view.labels in frame \
            else []
        if n > LABELS_UP_TO:
            labels = []
        items = self._text_items(self.node_labels, min(len(labels), n), (0.5, 0.0))
        size = node_size_px(self.theme, n)
        vb = self.plot.getViewBox()
        px = vb.viewPixelSize()[1] if vb.width() > 0 else 0.0
        drop = 0.6 * size * px if px > 0 else 0.06 * self.span
        html_style = f"color:{self.theme.foreground}; font-size:{self.theme.font_pt:.0f}pt;"
        bg = pg.mkColor(self.theme.background)
        fill = f"rgba({bg.red()},{bg.green()},{bg.blue()},0.7)"
        for item, text, p in zip(items, labels, pos, strict=False):
            item.setHtml(f"<div style='{html_style} background-color:{fill}' align='center'>"
                         f"{text.replace(chr(10), '<br>')}</div>")
            item.textItem.setTextWidth(-1)
            item.textItem.setTextWidth(item.textItem.boundingRect().width())
            item.setPos(float(p[0]), float(p[1]) - drop)
        elabels = [str(s) for s in frame[view.edge_labels]] \
            if view.edge_labels and view.edge_labels in frame else []
        eitems = self._text_items(self.edge_label_items, min(len(elabels), len(mids)), (0.5, 0.5))
        for item, text, p in zip(eitems, elabels, mids, strict=False):
            item.setHtml(f"<span style='{html_style} background-color:{fill}'>"
                         f"{text.replace(chr(10), '<br>')}</span>")
            item.setPos(float(p[0]), float(p[1]))

    # -- interaction -------------------------------------------------------------------
    def node_at(self, scene_pos: QtCore.QPointF) -> int | None:
        """The node under a scene position (within its disc and a few pixels), or None."""
        if not len(self.positions):
            return None
        vb = self.plot.getViewBox()
        point = vb.mapSceneToView(scene_pos)
        pw, ph = vb.viewPixelSize()
        if pw <= 0 or ph <= 0:
            return None
        dx = (self.positions[:, 0] - point.x()) / pw
        dy = (self.positions[:, 1] - point.y()) / ph
        dist = np.hypot(dx, dy)
        k = int(np.argmin(dist))
        limit = 0.5 * node_size_px(self.theme, len(self.positions)) + PICK_PX
        return k if dist[k] <= limit else None

    def _on_click(self, event) -> None:
        if not self.view.editable or event.button() != QtCore.Qt.MouseButton.LeftButton:
            return
        k = self.node_at(event.scenePos())
        if k is None:
            self.selected = None
        elif self.selected is None:
            self.selected = k
        elif self.selected == k:
            self.selected = None
        else:
            i, self.selected = self.selected, None
            event.accept()
            pair = (i, k) if self.view.directed else (min(i, k), max(i, k))
            self.interacted.emit("toggle_edge", pair)
        size = node_size_px(self.theme, len(self.positions))
        self._draw_selection(self.positions, size)

    def hover_text(self, x: float, y: float) -> str:
        if not len(self.positions):
            return super().hover_text(x, y)
        d = np.hypot(self.positions[:, 0] - x, self.positions[:, 1] - y)
        k = int(np.argmin(d))
        if d[k] > 0.08 * self.span:
            return f"{self.view.title}"
        text = f"{self.view.title}: node {k}"
        if self.node_values is not None and k < len(self.node_values):
            text += f", value = {self.node_values[k]:.5g}"
        return text
