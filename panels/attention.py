"""Attention weights (a :class:`compute.views.Attention`): heads × queries × keys.

Two renderings of the same weights, switched by a toggle above the plot:

* **heat maps** — one map per head (laid out in a grid), queries down, keys across, token
  labels on both axes, one colour scale shared by all heads, the weights printed in the
  cells of small maps; NaN rows (not computed yet) stay empty;
* **head view** — as in BertViz: the queries in a left column, the keys in a right column,
  each query joined to each key by a line whose opacity is the weight, one colour per head.

The value under the cursor goes to the status bar (:meth:`AttentionPanel.hover_text`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from compute.views import Attention

from .base import PlotPanel
from .theme import Theme

MODES = ("heatmap", "lines")
MODE_TITLES = {"heatmap": "Heat maps", "lines": "Head view (lines)"}
GAP = 0.6  # space between the maps of two heads, in cells
TEXT_MARGIN_PX = 4.0  # a TextItem's document margin, around its text on every side
ANNOTATE_MAX_CELLS = 120  # print the weights when all maps hold at most this many cells
OPACITY_BINS = 16  # the head view groups lines into this many opacity levels
LINE_X = (0.0, 1.0)  # abscissae of the query and key columns in the head view


def as_heads(weights: np.ndarray) -> np.ndarray:
    """(H, n, m) float array from an (H, n, m) or (n, m) field."""
    w = np.asarray(weights, dtype=float)
    if w.ndim == 2:
        w = w[None]
    if w.ndim != 3:
        raise ValueError(f"attention weights must be (H, n, m) or (n, m), got shape {w.shape}")
    return w


def head_grid(n_heads: int) -> tuple[int, int]:
    """(rows, columns) of the heat-map grid: side by side up to three heads, then square."""
    if n_heads <= 3:
        return 1, max(n_heads, 1)
    cols = math.ceil(math.sqrt(n_heads))
    return math.ceil(n_heads / cols), cols


def shared_levels(w: np.ndarray, fixed: tuple[float, float] | None) -> tuple[float, float]:
    """The colour range every head uses: ``fixed``, else [0, largest finite weight]."""
    if fixed is not None:
        return float(fixed[0]), float(fixed[1])
    finite = w[np.isfinite(w)]
    top = float(finite.max()) if finite.size else 1.0
    return 0.0, top if top > 0 else 1.0


def labels_of(frame: Mapping[str, Any], name: str | None, count: int, stem: str) -> list[str]:
    """``count`` labels from a frame field, padded with ``stem i``."""
    given = [str(s) for s in frame[name]] if name and name in frame else []
    return (given + [f"{stem} {i + 1}" for i in range(len(given), count)])[:count]


class AttentionPanel(PlotPanel):
    """Heat maps per head, or the head view; a toggle switches between them."""

    view: Attention

    def __init__(self, view: Attention, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.mode = view.mode if view.mode in MODES else "heatmap"
        self.mode_box = QtWidgets.QComboBox()
        for mode in MODES:
            self.mode_box.addItem(MODE_TITLES[mode], mode)
        self.mode_box.setCurrentIndex(MODES.index(self.mode))
        self.mode_box.setToolTip("Show the weights as heat maps or as BertViz-style lines")
        self.mode_box.currentIndexChanged.connect(lambda i: self.set_mode(MODES[i]))
        bar = QtWidgets.QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 0)
        bar.addWidget(self.mode_box)
        bar.addStretch(1)
        self.layout().insertLayout(0, bar)

        self.plot.invertY(True)  # query 0 at the top, as a matrix is written
        self.colormap = pg.colormap.get(view.colormap)
        self.images: list[pg.ImageItem] = []
        self.head_titles: list[pg.TextItem] = []
        self.cell_texts: list[pg.TextItem] = []
        self.token_texts: list[pg.TextItem] = []
        self.line_items: list[pg.PlotCurveItem] = []
        self.legend_keys: list[pg.PlotDataItem] = []
        self.colorbar = pg.ColorBarItem(colorMap=self.colormap, values=view.levels or (0.0, 1.0),
                                        interactive=False)
        self.colorbar.setImageItem(pg.ImageItem(axisOrder="row-major"), insert_in=self.plot)
        self.weights: np.ndarray | None = None
        self._built: tuple | None = None
        self.queries: list[str] = []
        self.keys: list[str] = []
        self.heads: list[str] = []
        self.levels = view.levels or (0.0, 1.0)
        self.title_band = 0.0  # room above each row of maps for the head titles, in cells
        self.set_labels(view.key_axis, view.query_axis)
        self.style_items()

    def text_item(self, text: str, color: str, anchor: tuple[float, float],
                  x: float, y: float, bold: bool = False) -> pg.TextItem:
        """A label in the theme's font size, placed at (x, y) and added to the plot."""
        item = pg.TextItem(text, color=color, anchor=anchor)
        font = QtGui.QFont()
        font.setPointSizeF(self.theme.font_pt)
        font.setBold(bold)
        item.setFont(font)
        item.setPos(x, y)
        self.plot.addItem(item)
        return item

    # -- mode ----------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        """Switch between "heatmap" and "lines"; redraws the last weights."""
        if mode not in MODES:
            raise ValueError(f"unknown attention mode {mode!r}")
        if self.mode_box.currentIndex() != MODES.index(mode):
            self.mode_box.setCurrentIndex(MODES.index(mode))  # calls back here
            return
        self.mode = mode
        self._built = None
        self._draw()

    # -- frames --------------------------------------------------------------------------
    def show_frame(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        if view.weights not in frame:
            return
        if not self.changed(frame, view.weights, view.query_labels, view.key_labels,
                            view.head_labels):
            return
        w = as_heads(frame[view.weights])
        n_heads, n, m = w.shape
        queries = labels_of(frame, view.query_labels, n, view.query_axis)
        keys = labels_of(frame, view.key_labels, m, view.key_axis)
        heads = labels_of(frame, view.head_labels, n_heads, "head")
        same_labels = (queries, keys, heads) == (self.queries, self.keys, self.heads)
        if same_labels and self.weights is not None and self.weights.shape == w.shape \
                and np.array_equal(self.weights, w, equal_nan=True):
            return  # the same weights again (a new array of equal values)
        self.weights = w.copy()
        self.queries, self.keys, self.heads = queries, keys, heads
        self.levels = shared_levels(w, view.levels)
        self._draw()

    def _clear(self) -> None:
        for item in (*self.images, *self.head_titles, *self.cell_texts, *self.token_texts,
                     *self.line_items):
            self.plot.removeItem(item)
        for item in self.legend_keys:
            self.remove_legend_entry(item)
        self.images, self.head_titles, self.cell_texts = [], [], []
        self.cell_index = {}
        self.token_texts, self.line_items, self.legend_keys = [], [], []

    def _draw(self) -> None:
        if self.weights is None:
            self._clear()
            return
        if self.mode == "heatmap":
            key = ("heatmap", self.weights.shape, tuple(self.queries), tuple(self.keys),
                   tuple(self.heads), self.levels)
            if key == self._built:
                self._update_heatmaps()  # same layout: new values in place
                return
            self._clear()
            self._draw_heatmaps()
            self._built = key
        else:
            self._clear()
            self._draw_lines()
            self._built = None

    # -- heat maps -----------------------------------------------------------------------
    def block_origin(self, h: int) -> tuple[float, float]:
        """Top-left corner (x, y) of head h's map in plot coordinates."""
        _, n, m = self.weights.shape
        _, cols = head_grid(self.weights.shape[0])
        r, c = divmod(h, cols)
        return c * (m + GAP), r * (n + self._row_gap())

    def _row_gap(self) -> float:
        """Space between two rows of maps, in cells: the gap, or the head titles' band
        where that is taller (on a short view, titles in a fixed gap ran over the maps)."""
        return max(2 * GAP, self.title_band)

    def _title_band(self, shape: tuple[int, int, int]) -> float:
        """The head titles' height in cells of the view's present height (0: one head)."""
        n_heads, n, _ = shape
        if n_heads == 1:
            return 0.0
        rows, _ = head_grid(n_heads)
        title_px = self._text_height_px() + 2 * TEXT_MARGIN_PX + 2
        height = self.plot.getViewBox().height()
        height = height if height > 10 else 300.0
        cell_px = max((height - rows * title_px) / (rows * n), 1.0)
        return title_px / cell_px

    def _draw_heatmaps(self) -> None:
        w = self.weights
        n_heads, n, m = w.shape
        lut = self.colormap.getLookupTable(nPts=256, alpha=True)
        lo, hi = self.levels
        self.title_band = self._title_band(w.shape)
        for h in range(n_heads):
            x0, y0 = self.block_origin(h)
            image = pg.ImageItem(axisOrder="row-major")
            image.setImage(w[h].astype(np.float32), levels=(lo, hi), lut=lut, autoLevels=False)
            image.setRect(QtCore.QRectF(x0, y0, m, n))
            self.plot.addItem(image)
            self.images.append(image)
            if n_heads > 1:
                self.head_titles.append(self.text_item(
                    self.heads[h], self.theme.color(h), (0.5, 1.0), x0 + m / 2, y0, bold=True))
        self.colorbar.setImageItem(self.images)
        self.colorbar.setLevels((lo, hi))
        self.colorbar.show()
        width_px, height_px = self._cell_px(w.shape)
        fits = width_px >= 1.1 * self._text_px("0.00") and height_px >= self._text_height_px()
        if n_heads * n * m <= ANNOTATE_MAX_CELLS and fits:  # values printed where they fit
            self._annotate(w)
            self._update_texts(w, lo, hi)
        self._set_ticks(w.shape)
        rows, cols = head_grid(n_heads)
        self.plot.showAxis("left")
        self.plot.showAxis("bottom")
        self.plot.setRange(xRange=(0, cols * (m + GAP) - GAP),
                           yRange=(-self.title_band, rows * (n + self._row_gap()) -
                                   self._row_gap()), padding=0.02)

    def _annotate(self, w: np.ndarray) -> None:
        """One text item per cell (filled and shown by _update_texts)."""
        n_heads, n, m = w.shape
        self.cell_index: dict[tuple[int, int, int], pg.TextItem] = {}
        for h in range(n_heads):
            x0, y0 = self.block_origin(h)
            for i in range(n):
                for j in range(m):
                    text = self.text_item("", self.theme.foreground, (0.5, 0.5),
                                          x0 + j + 0.5, y0 + i + 0.5)
                    self.cell_texts.append(text)
                    self.cell_index[(h, i, j)] = text

    def _update_texts(self, w: np.ndarray, lo: float, hi: float) -> None:
        for (h, i, j), text in getattr(self, "cell_index", {}).items():
            value = w[h, i, j]
            if not np.isfinite(value):
                text.setVisible(False)
                continue
            frac = (value - lo) / (hi - lo) if hi > lo else 0.0
            color = "#000000" if frac > 0.6 else "#FFFFFF"  # readable on viridis
            label = f"{value:.2f}"
            if text.textItem.toPlainText() != label or text.color.name() != color.lower():
                text.setText(label, color=color)
            text.setVisible(True)

    def _update_heatmaps(self) -> None:
        w = self.weights
        lo, hi = self.levels
        for h, image in enumerate(self.images):
            image.setImage(w[h].astype(np.float32), autoLevels=False, levels=(lo, hi))
        if self.cell_texts:
            self._update_texts(w, lo, hi)

    def _cell_px(self, shape: tuple[int, int, int]) -> tuple[float, float]:
        """Width and height of one cell in pixels (the view box's size over the cells
        across and down, titles included)."""
        n_heads, n, m = shape
        rows, cols = head_grid(n_heads)
        vb = self.plot.getViewBox()
        width = vb.width() if vb.width() > 10 else 500.0
        height = vb.height() if vb.height() > 10 else 300.0
        down = rows * n + (rows - 1) * self._row_gap() + self.title_band
        return width / (cols * (m + GAP)), height / down

    def _text_px(self, text: str) -> float:
        return float(self._metrics().horizontalAdvance(text))

    def _text_height_px(self) -> float:
        return float(self._metrics().height())

    def _metrics(self) -> QtGui.QFontMetrics:
        font = QtGui.QFont()
        font.setPointSizeF(self.theme.font_pt)
        return QtGui.QFontMetrics(font)

    def _set_ticks(self, shape: tuple[int, int, int]) -> None:
        n_heads, n, m = shape
        _, cols = head_grid(n_heads)
        widest = max((self._text_px(k) for k in self.keys), default=1.0) * 1.15
        step = max(1, math.ceil(m * cols / 24), math.ceil(widest / self._cell_px(shape)[0]))
        bottom = [(c * (m + GAP) + j + 0.5, self.keys[j])
                  for c in range(min(cols, n_heads)) for j in range(0, m, step)]
        rows, _ = head_grid(n_heads)
        vstep = max(1, math.ceil(n * rows / 24),
                    math.ceil(1.05 * self._text_height_px() / self._cell_px(shape)[1]))
        left = [(r * (n + self._row_gap()) + i + 0.5, self.queries[i])
                for r in range(rows) for i in range(0, n, vstep)]
        self.plot.getAxis("bottom").setTicks([bottom, []])
        self.plot.getAxis("left").setTicks([left, []])

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.weights is not None and self.mode == "heatmap":
            self._built = None  # the cells changed size: ticks and printed values follow
            self._draw()

    # -- head view -----------------------------------------------------------------------
    def _draw_lines(self) -> None:
        w = self.weights
        n_heads, n, m = w.shape
        lo, hi = self.levels
        self.colorbar.hide()
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        height = max(n, m)
        yq = (np.arange(n) + 0.5) * height / n
        yk = (np.arange(m) + 0.5) * height / m
        x0, x1 = LINE_X
        inset = 0.04
        for h in range(n_heads):
            color = pg.mkColor(self.theme.color(h))
            frac = np.clip((w[h] - lo) / (hi - lo), 0.0, 1.0) if hi > lo else w[h] * 0
            frac = np.where(np.isfinite(frac), frac, 0.0)
            bins = np.minimum((frac * OPACITY_BINS).astype(int), OPACITY_BINS - 1)
            for b in range(OPACITY_BINS):
                i, j = np.nonzero((bins == b) & (frac > 0.5 / OPACITY_BINS))
                if not i.size:
                    continue
                xs = np.repeat([[x0 + inset, x1 - inset]], i.size, axis=0).ravel()
                ys = np.stack([yq[i], yk[j]], axis=1).ravel()
                c = pg.mkColor(color)
                c.setAlpha(int(255 * (b + 0.5) / OPACITY_BINS))
                item = pg.PlotCurveItem(xs, ys, connect="pairs",
                                        pen=pg.mkPen(c, width=self.theme.line_width * 1.6))
                self.plot.addItem(item)
                self.line_items.append(item)
        fg = self.theme.foreground
        for i, label in enumerate(self.queries):
            self.token_texts.append(self.text_item(label, fg, (1.0, 0.5), x0, yq[i]))
        for j, label in enumerate(self.keys):
            self.token_texts.append(self.text_item(label, fg, (0.0, 0.5), x1, yk[j]))
        if n_heads > 1:
            for h in range(n_heads):
                key = pg.PlotDataItem(pen=self.pen(self.theme.color(h), 1.6))
                self.add_legend_entry(key, self.heads[h])
                self.legend_keys.append(key)
        self.plot.setRange(xRange=(x0 - 0.45, x1 + 0.45), yRange=(0, height), padding=0.04)

    # -- styling and hover ---------------------------------------------------------------
    def style_items(self) -> None:
        super().style_items()
        self.plot.showGrid(x=False, y=False)  # grid lines would cut through the cells
        axis = self.colorbar.getAxis("right") if hasattr(self.colorbar, "getAxis") else None
        if axis is not None:
            axis.setTextPen(pg.mkPen(self.theme.foreground))
            font = QtGui.QFont()
            font.setPointSizeF(self.theme.font_pt * 0.9)
            axis.setStyle(tickFont=font)
        if self.weights is not None:
            self._built = None
            self._draw()

    def weight_at(self, x: float, y: float) -> tuple[int, int, int] | None:
        """(head, query, key) of the heat-map cell at plot point (x, y), or None."""
        if self.weights is None or self.mode != "heatmap":
            return None
        n_heads, n, m = self.weights.shape
        for h in range(n_heads):
            x0, y0 = self.block_origin(h)
            if x0 <= x < x0 + m and y0 <= y < y0 + n:
                return h, int(y - y0), int(x - x0)
        return None

    def hover_text(self, x: float, y: float) -> str:
        where = self.weight_at(x, y)
        if where is None:
            return self.view.title
        h, i, j = where
        value = self.weights[h, i, j]
        shown = "not computed yet" if not np.isfinite(value) else f"{value:.5g}"
        head = f"{self.heads[h]}: " if self.weights.shape[0] > 1 else ""
        return (f"{self.view.title}: {head}{self.view.query_axis} {self.queries[i]} → "
                f"{self.view.key_axis} {self.keys[j]}: weight = {shown}")
