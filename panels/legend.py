"""Where a plot's legend goes: a strip above the data, a column beside it, or the emptiest
corner of the data.

A legend over the data hides what the room should see. In order of preference:

* ``strip``: the entries in as few rows as fit the plot's width, above the plot area,
  when that strip takes at most MAX_STRIP_SHARE of the panel's height;
* ``side``: one column to the right of the plot area, when it takes at most
  MAX_SIDE_SHARE of the panel's width (short, wide plots);
* ``corner``: inside the plot area, in the corner holding the fewest data points, if it
  covers at most MAX_COVERED of them (re-chosen every frame while there);
* otherwise the strip, however tall: the plot gets smaller, but no data are hidden.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore

MAX_STRIP_SHARE = 0.25
MAX_SIDE_SHARE = 0.3
MAX_COVERED = 0.05
SAMPLE = 2000  # points per item looked at when counting points under a rectangle
CORNERS = ((1, 0), (0, 0), (1, 1), (0, 1))  # (x, y) anchors: top right first (preferred)
SIDE_COLUMN = 2  # the plot layout's column of the (hidden) right axis


class PlotLegend:
    """A :class:`pyqtgraph.LegendItem` of one PlotItem, kept off the data."""

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.item = pg.LegendItem(offset=None, horSpacing=12)
        self.columns = 0
        self.mode = "strip"
        self.corner = CORNERS[0]
        self._panel = QtCore.QSizeF()
        self._place()

    @property
    def entries(self) -> int:
        return len(self.item.items)

    def fit(self, panel: QtCore.QSizeF) -> None:
        """Choose the placement for a panel of this size (on resize and new entries)."""
        self._panel = QtCore.QSizeF(panel)
        self.item.setVisible(bool(self.entries))
        self.follow_data()

    def follow_data(self) -> None:
        """Place the legend by the order of preference of the module's docstring."""
        mode, corner = "strip", self.corner
        strip_height = self._layout_strip()
        if self.entries and strip_height > MAX_STRIP_SHARE * self._panel.height():
            self._set_columns(1)
            if self.item.width() + 12 <= MAX_SIDE_SHARE * self._panel.width() and \
                    self.item.height() <= self.plot.getViewBox().height():
                mode = "side"
            else:
                counts = [self.points_under(self._corner_rect(c)) for c in CORNERS]
                best = int(np.argmin([covered for covered, _ in counts]))
                covered, total = counts[best]
                if covered <= MAX_COVERED * total:
                    mode, corner = "corner", CORNERS[best]
            if mode == "strip":  # (a corner legend keeps its one column)
                strip_height = self._layout_strip()
        layout = self.plot.layout
        layout.setRowFixedHeight(0, strip_height if mode == "strip" else 0)
        layout.setColumnFixedWidth(SIDE_COLUMN, self.item.width() + 12 if mode == "side" else 0)
        if (mode, corner) != (self.mode, self.corner):
            self.mode, self.corner = mode, corner
            self._place()

    def view_moved(self, *_: object) -> None:
        """The view re-ranged under a corner legend (views re-range as they paint, after the
        frame that placed it): place it again if it now covers more than its share."""
        if self.mode == "corner":
            covered, total = self.points_under(self.rect())
            if covered > MAX_COVERED * total:
                self.follow_data()

    def _layout_strip(self) -> float:
        """Lay the entries out in as few rows as fit the plot's width; their height."""
        n = self.entries
        width = max(self.plot.width() - 16, 50)
        for rows in range(1, max(n, 1) + 1):  # one row, then two, ... until it fits
            self._set_columns(-(-max(n, 1) // rows))
            if self.item.width() <= width:
                break
        return self.item.height() + 4 if n else 0

    def _set_columns(self, columns: int) -> None:
        """Lay the entries out in ``columns`` and size the legend to their preferred size.

        (pyqtgraph's own ``updateSize`` adds up the entries' current widths, which its
        layout has just stretched to the legend's width: each call widened the legend, a
        histogram's legend reached 200 000 px in a few relayouts.)
        """
        if columns != self.columns:
            self.columns = columns
            self.item.setColumnCount(columns)
        layout = self.item.layout
        layout.invalidate()
        size = layout.effectiveSizeHint(QtCore.Qt.SizeHint.PreferredSize)
        self.item.setGeometry(0, 0, size.width(), size.height())

    def _place(self) -> None:
        if self.mode == "strip":  # above the plot area, right-aligned in the title row
            self.item.setParentItem(self.plot)
            self.item.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-8, 2))
        elif self.mode == "side":  # right of the plot area, centred
            self.item.setParentItem(self.plot)
            self.item.anchor(itemPos=(1, 0.5), parentPos=(1, 0.5), offset=(-4, 0))
        else:
            x, y = self.corner
            self.item.setParentItem(self.plot.getViewBox())
            self.item.anchor(itemPos=(x, y), parentPos=(x, y),
                             offset=(-6 if x else 6, -6 if y else 6))

    def _corner_rect(self, corner: tuple[int, int]) -> QtCore.QRectF:
        """The legend's rectangle, in scene coordinates, if it sat in ``corner``."""
        area = self.plot.getViewBox().sceneBoundingRect()
        w, h = self.item.width() + 6, self.item.height() + 6
        x = area.right() - w if corner[0] else area.left()
        y = area.bottom() - h if corner[1] else area.top()
        return QtCore.QRectF(x, y, w, h)

    def rect(self) -> QtCore.QRectF | None:
        """The legend's rectangle in scene coordinates (None without entries)."""
        if not self.entries or not self.item.isVisible():
            return None
        return self.item.sceneBoundingRect()

    def points_under(self, rect: QtCore.QRectF) -> tuple[int, int]:
        """(points under ``rect``, points in view), over a sample of each item's points."""
        vb = self.plot.getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        corner_a = vb.mapSceneToView(rect.topLeft())
        corner_b = vb.mapSceneToView(rect.bottomRight())
        rx0, rx1 = sorted((corner_a.x(), corner_b.x()))
        ry0, ry1 = sorted((corner_a.y(), corner_b.y()))
        covered = total = 0
        for x, y in _item_points(vb):
            shown = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
            under = shown & (x >= rx0) & (x <= rx1) & (y >= ry0) & (y <= ry1)
            covered += int(under.sum())
            total += int(shown.sum())
        return covered, total


def _item_points(vb: pg.ViewBox):
    """(x, y) arrays (a sample) of the point-like data items in ``vb``."""
    for item in vb.addedItems:
        if not item.isVisible():
            continue
        if isinstance(item, (pg.PlotDataItem, pg.ScatterPlotItem)):
            x, y = item.getData()
        elif hasattr(item, "point_data"):  # a particle cloud (panels.particles)
            x, y = item.point_data()
        else:
            continue
        if x is None or y is None or len(x) == 0:
            continue
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if len(x) == len(y) + 1:  # a histogram in step mode: bin edges against counts
            x = 0.5 * (x[:-1] + x[1:])
        n = min(len(x), len(y))
        x, y = x[:n], y[:n]
        stride = max(1, len(x) // SAMPLE)
        x, y = x[::stride], y[::stride]
        ok = np.isfinite(x) & np.isfinite(y)
        yield x[ok], y[ok]
