"""A window-wide menu action in one call (the controllers' shared helper)."""

from __future__ import annotations

from collections.abc import Callable

from pyqtgraph.Qt import QtCore, QtGui, QtWidgets


def make_action(parent: QtWidgets.QWidget, text: str, slot: Callable, shortcut=None,
                tip: str = "", checkable: bool = False) -> QtGui.QAction:
    """An action on ``parent`` (so its shortcut works while the menu bar is hidden)."""
    action = QtGui.QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(QtGui.QKeySequence(shortcut))
        action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
    action.setToolTip(tip or text)
    action.setCheckable(checkable)
    action.triggered.connect(slot)
    parent.addAction(action)
    return action
