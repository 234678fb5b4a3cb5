"""The transport bar: play/pause, single step, reset and speed for the current tab."""

from __future__ import annotations

from pyqtgraph.Qt import QtCore, QtGui, QtWidgets


def transport_icon(kind: str, color: str, size: int = 64) -> QtGui.QIcon:
    """Play, pause, step or reset drawn in ``color`` (so icons follow the theme)."""
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(QtGui.QColor(color))
    s = size

    def triangle(x0: float, x1: float) -> None:
        painter.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(x0, 0.18 * s),
                                             QtCore.QPointF(x1, 0.5 * s),
                                             QtCore.QPointF(x0, 0.82 * s)]))

    if kind == "play":
        triangle(0.25 * s, 0.8 * s)
    elif kind == "pause":
        painter.drawRect(QtCore.QRectF(0.25 * s, 0.2 * s, 0.17 * s, 0.6 * s))
        painter.drawRect(QtCore.QRectF(0.58 * s, 0.2 * s, 0.17 * s, 0.6 * s))
    elif kind == "step":
        triangle(0.2 * s, 0.65 * s)
        painter.drawRect(QtCore.QRectF(0.68 * s, 0.2 * s, 0.12 * s, 0.6 * s))
    else:  # reset: an open circle with an arrow head
        pen = QtGui.QPen(QtGui.QColor(color), 0.1 * s)
        painter.setPen(pen)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawArc(QtCore.QRectF(0.2 * s, 0.2 * s, 0.6 * s, 0.6 * s), 90 * 16, 300 * 16)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(QtGui.QColor(color))
        painter.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(0.5 * s, 0.05 * s),
                                             QtCore.QPointF(0.68 * s, 0.2 * s),
                                             QtCore.QPointF(0.5 * s, 0.35 * s)]))
    painter.end()
    return QtGui.QIcon(pixmap)


class TransportBar(QtWidgets.QToolBar):
    """Play/pause, single step, reset and speed (steps per frame) for the current tab."""

    def __init__(self, parent=None):
        super().__init__("Transport", parent)
        self.setObjectName("transport")
        self.playing = False
        self.play_action = QtGui.QAction("Play", self)
        self.play_action.setShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Space))
        self.play_action.setToolTip("Play / pause (Space)")
        self.step_action = QtGui.QAction("Step", self)
        self.step_action.setShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Right))
        self.step_action.setToolTip("Single frame (Right arrow)")
        self.reset_action = QtGui.QAction("Reset", self)
        self.reset_action.setShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_R))
        self.reset_action.setToolTip("Restart with the current parameters (R)")
        for action in (self.play_action, self.step_action, self.reset_action):
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)
        self.addSeparator()
        self.addWidget(QtWidgets.QLabel(" speed "))
        self.speed = QtWidgets.QSpinBox()
        self.speed.setRange(1, 10_000)
        self.speed.setSuffix(" steps/frame")
        self.speed.setToolTip("Internal steps computed per displayed frame")
        self.speed.setKeyboardTracking(False)
        self.addWidget(self.speed)
        self.addSeparator()
        self.set_icon_color("#303030")

    def set_icon_color(self, color: str) -> None:
        self.icon_color = color
        self.step_action.setIcon(transport_icon("step", color))
        self.reset_action.setIcon(transport_icon("reset", color))
        self.show_playing(self.playing)

    def show_playing(self, playing: bool) -> None:
        self.playing = playing
        self.play_action.setIcon(transport_icon("pause" if playing else "play", self.icon_color))
        self.play_action.setText("Pause" if playing else "Play")

    def show_speed(self, steps_per_frame: int, maximum: int | None = None) -> None:
        """Show a tab's speed without sending it back to the tab."""
        self.speed.blockSignals(True)
        if maximum is not None:
            self.speed.setMaximum(maximum)
        self.speed.setValue(steps_per_frame)
        self.speed.blockSignals(False)
