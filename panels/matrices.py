"""Small matrices side by side with their values printed (a :class:`compute.views.Matrices`):
a worked computation laid out as the book writes it, filling in entry by entry.

Items are built once per layout (the shapes and titles shown) and then updated in place:
a frame that only changes values costs a few image uploads and the texts that changed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from compute.views import Matrices

from .base import PlotPanel
from .theme import Theme

GAP = 1.0  # cells between two matrices
TITLE_ROOM = 1.3  # cells above each matrix for its title


def as_matrix(value: Any) -> np.ndarray:
    """A 2D float array from a 2D field, a 1D field (a row) or a scalar (1×1)."""
    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a[None, :]
    if a.ndim > 2:
        return a.reshape(a.shape[0], -1)
    return a


class MatricesPanel(PlotPanel):
    """Cells as images on a symmetric colour scale, values as text, titles above."""

    view: Matrices

    def __init__(self, view: Matrices, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.lut = pg.colormap.get(view.colormap).getLookupTable(nPts=256, alpha=True)
        self.images: list[pg.ImageItem | None] = []
        self.cell_texts: dict[tuple[int, int, int], pg.TextItem] = {}
        self.title_items: list[pg.TextItem] = []
        self.outline_items: list[QtWidgets.QGraphicsRectItem] = []
        self.box_items: list[QtWidgets.QGraphicsRectItem] = []
        self.mats: list[np.ndarray | None] = []
        self.origins: list[tuple[float, float]] = []
        self.titles: list[str] = []
        self.boxes = np.zeros((0, 5))
        self._layout_key: tuple | None = None
        self._shown: list[np.ndarray | None] = []
        self.style_items()

    def style_items(self) -> None:
        super().style_items()
        self.plot.showGrid(x=False, y=False)
        if self.mats:
            self._layout_key = None  # rebuild with the theme's fonts and colours
            self._draw()

    def _font(self, scale: float = 1.0, bold: bool = False) -> QtGui.QFont:
        font = QtGui.QFont()
        font.setPointSizeF(self.theme.font_pt * scale)
        font.setBold(bold)
        return font

    # -- frames --------------------------------------------------------------------------
    def show_frame(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        if not self.changed(frame, *view.matrices, view.titles_field, view.boxes):
            return
        mats = [as_matrix(frame[name]) if name in frame else None for name in view.matrices]
        self.mats = [m if m is not None and m.size else None for m in mats]  # 0×0: unused
        titles = list(view.titles)
        if view.titles_field and view.titles_field in frame:
            titles = [str(s) for s in frame[view.titles_field]]
        self.titles = (titles + list(view.matrices[len(titles):]))[: len(view.matrices)]
        self.boxes = (np.asarray(frame[view.boxes], dtype=float).reshape(-1, 5)
                      if view.boxes and view.boxes in frame else np.zeros((0, 5)))
        self._draw()

    def _draw(self) -> None:
        key = (tuple(None if m is None else m.shape for m in self.mats), tuple(self.titles))
        if key != self._layout_key:
            self._rebuild()
            self._layout_key = key
        self._update_values()
        self._draw_boxes()

    # -- layout --------------------------------------------------------------------------
    def _place(self, per_row: int) -> tuple[list[tuple[float, float]], float, float]:
        """Origins of the matrices, ``per_row`` to a row, and the total width and height."""
        origins: list[tuple[float, float]] = []
        x = y = 0.0
        row_height = width = 0.0
        count = 0
        for m in self.mats:
            if m is None:
                origins.append((math.nan, math.nan))
                continue
            if count and count % per_row == 0:
                x = 0.0
                y += row_height + TITLE_ROOM + GAP
                row_height = 0.0
            origins.append((x, y + TITLE_ROOM))
            x += m.shape[1] + GAP
            width = max(width, x - GAP)
            row_height = max(row_height, m.shape[0])
            count += 1
        return origins, width, y + TITLE_ROOM + row_height

    def _layout(self) -> None:
        """Origins (x, y) of the matrices: rows of matrices, as many per row as make the
        cells largest in the panel's current shape."""
        shown = sum(m is not None for m in self.mats)
        vb = self.plot.getViewBox()
        aspect = (vb.width() / vb.height()) if vb.height() > 10 and vb.width() > 10 else 1.6
        best = None
        for per_row in range(1, max(shown, 1) + 1):
            origins, width, height = self._place(per_row)
            cell = min(aspect / max(width, 1e-9), 1.0 / max(height, 1e-9))
            if best is None or cell > best[0] * 1.0001:
                best = (cell, origins)
        self.origins = best[1]

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.mats:
            self._layout_key = None
            self._draw()

    def _clear(self) -> None:
        """Hide every item; rebuilding takes them from the pools again (creating text
        items is the expensive part of a worked step that changes layout every frame)."""
        for item in (*[i for i in self.images if i is not None], *self.outline_items):
            self.plot.removeItem(item)
        for text in (*self.cell_texts.values(), *self.title_items):
            text.setVisible(False)
        self._free_texts = [*self.cell_texts.values(), *self.title_items]
        self.images, self.title_items, self.outline_items = [], [], []
        self.cell_texts = {}
        self._shown = []

    def _text(self, text: str, anchor: tuple[float, float], x: float, y: float,
              font: QtGui.QFont) -> pg.TextItem:
        """A text item from the pool (or a new one), placed and shown."""
        pool = getattr(self, "_free_texts", [])
        if pool:
            item = pool.pop()
        else:
            item = pg.TextItem()
            self.plot.addItem(item)
        item.setAnchor(anchor)
        item.setFont(font)
        item.setText(text, color=self.theme.foreground)
        item.setPos(x, y)
        item.setVisible(True)
        return item

    def _rebuild(self) -> None:
        """Items for the current shapes and titles (values are set by _update_values)."""
        self._clear()
        self._layout()
        fg = self.theme.foreground
        pen = QtGui.QPen(pg.mkColor(fg))
        pen.setCosmetic(True)
        pen.setWidthF(max(1.0, self.theme.line_width / 2))
        bold_font = self._font(1.0, bold=True)
        cell_font, small_font = self._font(0.95), self._font(0.8)
        xs, ys = [0.0], [0.0]
        for k, m in enumerate(self.mats):
            if m is None:
                self.images.append(None)
                self._shown.append(None)
                continue
            x0, y0 = self.origins[k]
            rows, cols = m.shape
            image = pg.ImageItem(axisOrder="row-major")
            image.setOpacity(0.75)
            self.plot.addItem(image)
            self.images.append(image)
            self._shown.append(None)
            outline = QtWidgets.QGraphicsRectItem(x0, y0, cols, rows)
            outline.setPen(pen)
            self.plot.addItem(outline)
            self.outline_items.append(outline)
            self.title_items.append(self._text(self.titles[k], (0.5, 1.0), x0 + cols / 2,
                                               y0 - 0.1, bold_font))
            if max(rows, cols) <= self.view.max_printed:
                font = cell_font if max(rows, cols) <= 6 else small_font
                for r in range(rows):
                    for c in range(cols):
                        self.cell_texts[(k, r, c)] = self._text(
                            "", (0.5, 0.5), x0 + c + 0.5, y0 + r + 0.5, font)
            xs += [x0, x0 + cols]
            ys += [y0 - TITLE_ROOM, y0 + rows]
        self.plot.setRange(xRange=(min(xs) - 0.3, max(xs) + 0.3),
                           yRange=(min(ys) - 0.1, max(ys) + 0.3), padding=0)

    def _update_values(self) -> None:
        for k, m in enumerate(self.mats):
            if m is None:
                continue
            before = self._shown[k]
            if before is not None and np.array_equal(before, m, equal_nan=True):
                continue
            self._shown[k] = m.copy()
            finite = m[np.isfinite(m)]
            top = float(np.abs(finite).max()) if finite.size else 1.0
            top = top if top > 0 else 1.0
            self.images[k].setImage(m.astype(np.float32), levels=(-top, top), lut=self.lut,
                                    autoLevels=False)
            x0, y0 = self.origins[k]  # (after the data: the rect scales the image's pixels)
            self.images[k].setRect(QtCore.QRectF(x0, y0, m.shape[1], m.shape[0]))
            rows, cols = m.shape
            for r in range(rows):
                for c in range(cols):
                    text = self.cell_texts.get((k, r, c))
                    if text is None:
                        continue
                    v = m[r, c]
                    if np.isfinite(v):
                        text.setText(self._fmt(v), color=self._text_color(v, top))
                        text.setVisible(True)
                    else:
                        text.setVisible(False)

    def _text_color(self, v: float, top: float) -> str:
        """Black or white, whichever reads better on the cell's colour (the colormap entry
        at 75% opacity over the theme background)."""
        idx = int(np.clip((v + top) / (2 * top), 0.0, 1.0) * (len(self.lut) - 1))
        r, g, b = (float(c) for c in self.lut[idx][:3])
        bg = pg.mkColor(self.theme.background)
        r, g, b = (0.75 * c + 0.25 * o for c, o in zip((r, g, b), (bg.red(), bg.green(),
                                                                     bg.blue()), strict=True))
        return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#FFFFFF"

    def _fmt(self, v: float) -> str:
        text = self.view.value_format.format(v)
        return "0" if text in ("-0", "0.0", "-0.0") else text

    def _draw_boxes(self) -> None:
        for item in self.box_items:
            self.plot.removeItem(item)
        self.box_items = []
        pen = QtGui.QPen(pg.mkColor(self.theme.reference))
        pen.setCosmetic(True)
        pen.setWidthF(self.theme.line_width * 1.6)
        for k, r, c, nr, nc in self.boxes:
            k = int(k)
            if not 0 <= k < len(self.mats) or self.mats[k] is None:
                continue
            x0, y0 = self.origins[k]
            rect = QtWidgets.QGraphicsRectItem(x0 + c, y0 + r, nc, nr)
            rect.setPen(pen)
            self.plot.addItem(rect)
            self.box_items.append(rect)

    # -- hover ---------------------------------------------------------------------------
    def cell_at(self, x: float, y: float) -> tuple[int, int, int] | None:
        """(matrix, row, column) under plot point (x, y), or None."""
        for k, m in enumerate(self.mats):
            if m is None:
                continue
            x0, y0 = self.origins[k]
            rows, cols = m.shape
            if x0 <= x < x0 + cols and y0 <= y < y0 + rows:
                return k, int(y - y0), int(x - x0)
        return None

    def hover_text(self, x: float, y: float) -> str:
        where = self.cell_at(x, y)
        if where is None:
            return self.view.title
        k, r, c = where
        v = self.mats[k][r, c]
        shown = "not computed yet" if not np.isfinite(v) else f"{v:.6g}"
        return f"{self.view.title}: {self.titles[k]}[{r + 1}, {c + 1}] = {shown}"
