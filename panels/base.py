"""Base classes shared by every view family.

A panel draws one Qt-free view description (``compute.views``) from frames. Frames reuse
array objects that did not change (a potential curve, a landscape), so panels redraw an
item only when the object behind its field is new: :meth:`ViewPanel.changed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from compute.views import View

from .theme import LIGHT, Theme

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)


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


class PlotPanel(ViewPanel):
    """A panel built on one :class:`pyqtgraph.PlotWidget` with themed axes and legend."""

    def __init__(self, view: View, theme: Theme = LIGHT, parent=None):
        super().__init__(view, theme, parent)
        self.plot_widget = pg.PlotWidget()
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setMenuEnabled(True)
        self.legend: pg.LegendItem | None = None
        self.layout().addWidget(self.plot_widget)
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
        self.refresh_axis_cache()

    def add_legend(self) -> pg.LegendItem:
        if self.legend is None:
            self.legend = self.plot.addLegend(offset=(-10, 10))
            self.style_legend()
        return self.legend

    def set_labels(self, xlabel: str, ylabel: str) -> None:
        self.plot.setLabel("bottom", xlabel)
        self.plot.setLabel("left", ylabel)

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
            axis.enableAutoSIPrefix(False)
            label_style = {"color": theme.foreground, "font-size": f"{theme.font_pt * 1.1:.0f}pt"}
            axis.setLabel(axis.labelText, units=axis.labelUnits, **label_style)
        self.plot.showGrid(x=True, y=True, alpha=theme.grid_alpha)
        self.plot.setTitle(self.view.title, color=theme.foreground,
                           size=f"{theme.font_pt * 1.1:.0f}pt")
        if self.legend is not None:
            self.style_legend()
        self.refresh_axis_cache()

    def style_legend(self) -> None:
        """Legend colours and font from the theme (also for entries added later)."""
        theme = self.theme
        legend = self.legend
        legend.opts["labelTextColor"] = pg.mkColor(theme.foreground)
        legend.opts["labelTextSize"] = f"{theme.font_pt:.0f}pt"
        for _, label in legend.items:
            label.setText(label.text, color=theme.foreground, size=f"{theme.font_pt:.0f}pt")
        legend.setBrush(pg.mkBrush(theme.background + "C0"))
        legend.setPen(pg.mkPen(theme.foreground + "60"))

    def _on_mouse_moved(self, pos: QtCore.QPointF) -> None:
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            return
        point = vb.mapSceneToView(pos)
        self.hovered.emit(self.hover_text(point.x(), point.y()))

    def hover_text(self, x: float, y: float) -> str:
        """Status-bar text for the data point under the mouse."""
        return f"{self.view.title}: x = {x:.4g}, y = {y:.4g}"
