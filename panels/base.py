"""Base classes shared by every view family.

A panel draws one Qt-free view description (``compute.views``) from frames. Frames reuse
array objects that did not change (a potential curve, a landscape), so panels redraw an
item only when the object behind its field is new: :meth:`ViewPanel.changed`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pyqtgraph as pg
import shiboken6
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from compute.views import View

from .legend import PlotLegend
from .theme import LIGHT, Theme

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)
LEGEND_FONT_SCALE = 0.85  # legend text a little smaller than the axis text
LEGEND_CHECK_EVERY = 15  # frames between checks of where a legend goes (every frame
# while it sits inside the plot, whose data move under it)
MIN_LABEL_SCALE = 0.7  # a long axis label shrinks to this share of its size, then wraps


def _values_as_they_are(axis: pg.AxisItem) -> None:
    """No SI prefix on the axis: tick labels show the values themselves.

    ``AxisItem.enableAutoSIPrefix(False)`` is not enough in pyqtgraph 0.14: it computes a
    prefix from the range at that moment (a range below 1 gives "milli", ×1000) and then
    stops updating it, so a restyle during a run froze axes at ×1000 with no unit shown.
    """
    axis.autoSIPrefix = False
    axis.autoSIPrefixScale = 1.0
    axis.labelUnitPrefix = ""
    axis._updateLabel()


LOG_LABEL_ORDER = (1, 2, 5, 3, 4, 6, 7, 8, 9)  # mantissas labelled first on a log axis
UNLABELLED = 0.0  # the "spacing" of a tick level drawn without labels (see ReadableAxis)


def _log_label_rank(log_value: float) -> int:
    """Where the tick at 10**log_value comes in :data:`LOG_LABEL_ORDER` (by its mantissa)."""
    mantissa = round(10 ** (log_value - math.floor(log_value)))
    return LOG_LABEL_ORDER.index(1 if mantissa >= 10 else mantissa)


class ReadableAxis(pg.AxisItem):
    """An axis whose log-scale tick labels never run together.

    On a log axis spanning less than a few decades pyqtgraph labels every minor tick
    (2, 3, … 9 times a power of ten) whatever the axis length: it skips its crowding check
    for the first tick level, so on a short plot the labels overlapped. Here a minor tick
    keeps its label only if the label fits on the axis clear of those placed before it
    (decades first, then mantissas in :data:`LOG_LABEL_ORDER`); the others stay as
    unlabelled ticks.
    """

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        levels = super().logTickValues(minVal, maxVal, size, stdTicks)
        if maxVal <= minVal or size <= 0:
            return levels
        metrics = QtGui.QFontMetricsF(self.style["tickFont"] or QtGui.QFont())
        placed: list[tuple[float, float]] = []  # (pixel position, half extent) of labels

        def label_span(value: float) -> tuple[float, float]:
            at = (value - minVal) / (maxVal - minVal) * size
            if self.orientation in ("left", "right"):
                return at, metrics.height() / 2
            text = self.logTickStrings([value], 1.0, None)[0]
            return at, (metrics.horizontalAdvance(text) + metrics.horizontalAdvance(" ")) / 2

        def clears(value: float) -> bool:
            """Inside the axis (pyqtgraph drops a label that is not) and off the others."""
            at, half = label_span(value)
            return half <= at <= size - half and all(
                abs(at - other) >= half + other_half for other, other_half in placed)

        readable = []
        for spacing, values in levels:
            if spacing is not None:  # decades, spaced by pyqtgraph's own crowding rule
                placed.extend(label_span(v) for v in values)
                readable.append((spacing, values))
                continue
            labelled = []
            for value in sorted(values, key=_log_label_rank):
                if clears(value):
                    placed.append(label_span(value))
                    labelled.append(value)
            if labelled:
                readable.append((None, sorted(labelled)))
            readable.append((UNLABELLED, [v for v in values if v not in labelled]))
        return readable

    def logTickStrings(self, values, scale, spacing):
        if spacing == UNLABELLED:
            return [""] * len(values)
        return super().logTickStrings(values, scale, spacing)


class ViewPanel(QtWidgets.QWidget):
    """One view of an experiment. Subclasses implement :meth:`show_frame`."""

    #: text for the status bar describing the value under the mouse
    hovered = QtCore.Signal(str)
    #: event name, payload: the user acted on the view (a click on a phase plane launches a
    #: trajectory, a click on two graph nodes toggles an edge). The page forwards it to the
    #: running experiment, which applies it before its next frame (``Experiment.on_event``).
    interacted = QtCore.Signal(str, object)

    def __init__(self, view: View, theme: Theme = LIGHT, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.view = view
        self.theme = theme
        self._seen: dict[str, int] = {}
        self.last_frame: Mapping[str, Any] | None = None
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    def update_frame(self, frame: Mapping[str, Any]) -> None:
        """Draw ``frame``; fields the view needs but the frame lacks are skipped."""
        self.last_frame = frame
        self.show_frame(frame)

    def show_frame(self, frame: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def changed(self, frame: Mapping[str, Any], *names: str | None) -> bool:
        """True if any named field is present and is a different object than last time."""
        fresh = False
        for name in names:
            if name is None or name not in frame:
                continue
            ident = id(frame[name])
            if self._seen.get(name) != ident:
                self._seen[name] = ident
                fresh = True
        return fresh

    def forget(self) -> None:
        """Forget what was drawn (after a reset) so the next frame redraws everything."""
        self._seen.clear()
        self.last_frame = None

    def apply_theme(self, theme: Theme) -> None:
        """Restyle for ``theme`` and redraw the last frame with it."""
        self.theme = theme
        self.style_items()
        if self.last_frame is not None:
            self.forget_and_redraw()

    def forget_and_redraw(self) -> None:
        frame = self.last_frame
        self.forget()
        if frame is not None:
            self.update_frame(frame)

    def style_items(self) -> None:
        """Hook: apply ``self.theme`` to the panel's own items."""

    def plot_items(self) -> list[pg.PlotItem]:
        """The pyqtgraph plot items of this panel (for export)."""
        return []


class SteppedViewBox(pg.ViewBox):
    """A ViewBox whose automatic range follows the data in steps, not every frame.

    pyqtgraph's auto-range refits the view to the data on every change, so a growing curve
    moves the axes (and makes every axis regenerate its ticks) at each frame. Here the
    range changes only when the data leave it or shrink to less than :attr:`SHRINK` of it,
    and a growing range takes :attr:`HEADROOM` extra room, so the axes stay still for many
    frames. The user's pan/zoom turns following off as usual; the plot's "A" button turns
    it back on.
    """

    SHRINK = 0.45
    HEADROOM = 0.12

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        #: views whose data this range follows too: the other side of an A/B comparison,
        #: whose axes are linked to this one (mgai_lab.compare)
        self.companions: list[pg.ViewBox] = []

    def data_bounds(self) -> list:
        """The bounds of this view's data and of its companions' (None: no data on an axis)."""
        bounds = self.childrenBounds()
        for other in self.companions:
            for ax, extra in enumerate(other.childrenBounds()):
                own = bounds[ax]
                if extra is not None:
                    bounds[ax] = list(extra) if own is None else [min(own[0], extra[0]),
                                                                  max(own[1], extra[1])]
        return bounds

    def linkedViewChanged(self, view, axis) -> None:
        """A companion's range is copied as it is: pyqtgraph would line views up by their
        place on screen, so plots beside each other with their axes at different heights
        would show different ranges."""
        if view not in self.companions:
            super().linkedViewChanged(view, axis)
            return
        if self.linksBlocked:
            return
        view.blockLink(True)
        try:
            lo, hi = view.viewRange()[axis]
            self.enableAutoRange(axis, False)
            if axis == pg.ViewBox.XAxis:
                self.setXRange(lo, hi, padding=0)
            else:
                self.setYRange(lo, hi, padding=0)
        finally:
            view.blockLink(False)

    def updateAutoRange(self) -> None:
        if self._updatingRange:
            return
        self._updatingRange = True
        try:
            if any(self.state["autoRange"]):
                self._follow(self.data_bounds(), self.viewRange())
        finally:
            self._autoRangeNeedsUpdate = False
            self._updatingRange = False

    def _follow(self, bounds, current) -> None:
        """Set the range of each following axis whose data left it or shrank inside it.

        With a locked aspect ratio one axis always has room to spare, so the view shrinks
        only when the data shrank along both axes, and both ranges are set together (the
        lock then widens one of them).
        """
        targets, grow, shrink = {}, False, []
        for ax in (0, 1):
            data = bounds[ax]
            if self.state["autoRange"][ax] is False or data is None:
                continue
            lo, hi = float(data[0]), float(data[1])
            if not (math.isfinite(lo) and math.isfinite(hi)):
                continue
            pad = (hi - lo) * self.suggestPadding(ax)
            lo, hi = lo - pad, hi + pad
            a, b = current[ax]
            inside = a <= lo and hi <= b
            targets[ax] = (lo, hi, inside)
            grow |= not inside
            shrink.append(inside and (hi - lo) < self.SHRINK * (b - a))
        locked = bool(self.state["aspectLocked"])
        if not targets or not (grow or (all(shrink) if locked else any(shrink))):
            return
        args = {}
        for ax, (lo, hi, inside) in targets.items():
            if not locked and inside and not shrink[list(targets).index(ax)]:
                continue  # this axis is fine as it is
            if not inside:  # growing: leave headroom so the next frames fit
                room = self.HEADROOM * (hi - lo)
                lo, hi = lo - room, hi + room
            args["xRange" if ax == 0 else "yRange"] = (lo, hi)
        self.setRange(**args, padding=0.0, disableAutoRange=False)

    def follows_data(self, axis: int) -> bool:
        """Whether the range of ``axis`` (0: x, 1: y) still follows the data."""
        return self.state["autoRange"][axis] is not False


class PlotPanel(ViewPanel):
    """A panel built on one :class:`pyqtgraph.PlotWidget` with themed axes and legend.

    The plot carries no title (the dock or the grid cell shows the view's title), its axes
    show values as they are (no SI prefix), its range follows the data in steps
    (:class:`SteppedViewBox`) unless the view fixes it, and its legend sits in a strip
    above the data, never over it.
    """

    def __init__(self, view: View, theme: Theme = LIGHT, parent=None):
        super().__init__(view, theme, parent)
        self.plot_widget = pg.PlotWidget(
            viewBox=SteppedViewBox(),
            axisItems={name: ReadableAxis(name) for name in ("left", "bottom")})
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(True)
        self.legend: PlotLegend | None = None
        self._frames_drawn = 0
        self.layout().addWidget(self.plot_widget)
        for name in ("left", "bottom", "right", "top"):
            _values_as_they_are(self.plot.getAxis(name))
        self._label_lengths: dict[str, float] = {}  # axis length each label was fitted to
        for name in ("left", "bottom"):  # an axis grows or shrinks as its neighbours change
            axis = self.plot.getAxis(name)
            axis.geometryChanged.connect(lambda a=axis: self._fit_axis_label(a))
        self._cache_axes(True)
        # axes move when the plot area changes size (a wider tick label, a new font)
        self.plot.getViewBox().sigResized.connect(self.refresh_axis_cache)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def _cache_axes(self, on: bool) -> None:
        """Axes (ticks, labels, grid) replay a QPicture of text on every paint, ~6 ms each
        at 800x600; cached as pixmaps they cost a blit. pyqtgraph calls update() when the
        range changes, which refreshes the cache."""
        mode = QtWidgets.QGraphicsItem.CacheMode
        for name in ("left", "bottom", "right", "top"):
            self.plot.getAxis(name).setCacheMode(
                mode.DeviceCoordinateCache if on else mode.NoCache)

    def refresh_axis_cache(self) -> None:
        """Drop the cached axis pixmaps and repaint the whole plot.

        A geometry or font change moves the axes without invalidating their caches, which
        left stale tick labels painted over the plot; rebuilding the caches here fixes it.
        """
        self._cache_axes(False)
        self._cache_axes(True)
        self.plot_widget.viewport().update()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_legend()
        self.fit_axis_labels()
        self.refresh_axis_cache()

    def fit_axis_labels(self) -> None:
        """Axis labels never run past their axis: a long label is set smaller (down to
        MIN_LABEL_SCALE of the theme's size) and, if still too long, on two lines."""
        for name in ("left", "bottom"):
            self._fit_axis_label(self.plot.getAxis(name))

    def _fit_axis_label(self, axis: pg.AxisItem) -> None:
        if not shiboken6.isValid(axis) or not axis.labelText or axis.label is None:
            return  # (a geometry change can arrive while Qt deletes the plot)
        length = axis.height() if axis.orientation in ("left", "right") else axis.width()
        if length <= 20 or self._label_lengths.get(axis.orientation) == length:
            return
        self._label_lengths[axis.orientation] = length
        full = self.theme.font_pt * 1.1
        axis.label.setTextWidth(-1)
        self._set_label_size(axis, full)
        width = axis.label.boundingRect().width()
        if width > length:
            self._set_label_size(axis, max(full * length / width * 0.95,
                                           full * MIN_LABEL_SCALE))
            if axis.label.boundingRect().width() > length:
                axis.label.setTextWidth(length)  # wrap onto a second line
        axis.resizeEvent()  # re-centre the label

    def _set_label_size(self, axis: pg.AxisItem, points: float) -> None:
        style = {"color": self.theme.foreground, "font-size": f"{points:.1f}pt"}
        if axis.labelStyle != style:
            axis.setLabel(axis.labelText, units=axis.labelUnits, **style)
            _values_as_they_are(axis)

    def add_legend(self) -> PlotLegend:
        """The legend (added once): a strip above the data, or the emptiest corner."""
        if self.legend is None:
            self.legend = PlotLegend(self.plot)
            self.style_legend()
            # the view re-ranges as it paints, after the frame that placed the legend: a
            # legend inside the data looks again, or it may end up over the new points
            self.plot.getViewBox().sigRangeChanged.connect(self.legend.view_moved)
        return self.legend

    def add_legend_entry(self, item, name: str) -> None:
        self.add_legend().item.addItem(item, name)
        self.fit_legend()

    def remove_legend_entry(self, item) -> None:
        if self.legend is not None:
            self.legend.item.removeItem(item)
            self.fit_legend()

    def fit_legend(self) -> None:
        if self.legend is not None:
            self.legend.fit(QtCore.QSizeF(self.size()))

    def update_frame(self, frame: Mapping[str, Any]) -> None:
        super().update_frame(frame)
        self._frames_drawn += 1
        if self.legend is not None and (self.legend.mode == "corner"
                                        or self._frames_drawn % LEGEND_CHECK_EVERY == 0):
            self.legend.follow_data()  # (a legend inside the plot avoids the data)

    def legend_rect(self) -> QtCore.QRectF | None:
        """The legend's rectangle in scene coordinates (None without entries)."""
        return self.legend.rect() if self.legend is not None else None

    def set_labels(self, xlabel: str, ylabel: str) -> None:
        self.plot.setLabel("bottom", xlabel)
        self.plot.setLabel("left", ylabel)
        self._label_lengths.clear()

    def view_locks_aspect(self) -> bool:
        """Whether x and y share one scale (then only one axis can be filled by the data)."""
        return bool(self.plot.getViewBox().state["aspectLocked"])

    def fixed_range(self) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
        """The (x, y) ranges the view fixes (None: the axis follows the data)."""
        return None, None

    def plot_items(self) -> list[pg.PlotItem]:
        return [self.plot]

    def pen(self, color: str, width_scale: float = 1.0, style=None) -> QtGui.QPen:
        pen = pg.mkPen(color, width=self.theme.line_width * width_scale)
        if style is not None:
            pen.setStyle(style)
        return pen

    def style_items(self) -> None:
        theme = self.theme
        self.plot_widget.setBackground(theme.background)
        font = QtGui.QFont()
        font.setPointSizeF(theme.font_pt)
        for name in ("left", "bottom", "right", "top"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(theme.foreground, width=max(1.0, theme.line_width / 2)))
            axis.setTextPen(pg.mkPen(theme.foreground))
            axis.setStyle(tickFont=font, tickTextOffset=max(3, int(theme.font_pt / 2)))
            self._set_label_size(axis, theme.font_pt * 1.1)
        self._label_lengths.clear()
        self.plot.showGrid(x=True, y=True, alpha=theme.grid_alpha)
        if self.legend is not None:
            self.style_legend()
        self.fit_axis_labels()
        self.refresh_axis_cache()

    def style_legend(self) -> None:
        """Legend colours and font from the theme (also for entries added later); the
        legend's text is never larger than the axis text."""
        theme = self.theme
        legend = self.legend.item
        size = f"{LEGEND_FONT_SCALE * theme.font_pt:.0f}pt"
        legend.opts["labelTextColor"] = pg.mkColor(theme.foreground)
        legend.opts["labelTextSize"] = size
        for _, label in legend.items:
            label.setText(label.text, color=theme.foreground, size=size)
        legend.setBrush(pg.mkBrush(theme.background + "C0"))
        legend.setPen(None)
        self.legend.columns = 0  # entry sizes changed: lay the entries out again
        self.fit_legend()

    def _on_mouse_moved(self, pos: QtCore.QPointF) -> None:
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            return
        point = vb.mapSceneToView(pos)
        self.hovered.emit(self.hover_text(point.x(), point.y()))

    def hover_text(self, x: float, y: float) -> str:
        """Status-bar text for the data point under the mouse."""
        return f"{self.view.title}: x = {x:.4g}, y = {y:.4g}"
