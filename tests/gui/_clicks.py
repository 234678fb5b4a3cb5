"""What the GUI tests do as a user does with the mouse."""

from pyqtgraph.Qt import QtCore


def click_at(qtbot, panel, x: float, y: float) -> None:
    """A left click on ``panel``'s plot at the data coordinates (x, y)."""
    vb = panel.plot.getViewBox()
    scene = vb.mapViewToScene(QtCore.QPointF(x, y))
    point = panel.plot_widget.mapFromScene(scene)
    qtbot.mouseClick(panel.plot_widget.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=point)
