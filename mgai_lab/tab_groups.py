"""The window's tab groups: one, or two side by side (View → Split view) to compare runs.

The group that holds the focus is *current*: the transport bar, the menus and the status
bar act on its current tab.
"""

from __future__ import annotations

from collections.abc import Callable

from pyqtgraph.Qt import QtCore, QtWidgets

from .page import ExperimentPage


class TabGroups(QtCore.QObject):
    """Owns the splitter and its tab widgets; emits :attr:`current_changed` on a switch."""

    #: the current tab changed (to another tab, or to another group)
    current_changed = QtCore.Signal()

    def __init__(self, close_tab: Callable[[int, QtWidgets.QTabWidget], None],
                 parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self._close_tab = close_tab
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.groups: list[QtWidgets.QTabWidget] = []
        self.current = self._add_group()
        QtWidgets.QApplication.instance().focusChanged.connect(self._on_focus_changed)

    def _add_group(self) -> QtWidgets.QTabWidget:
        group = QtWidgets.QTabWidget()
        group.setTabsClosable(True)
        group.setMovable(True)
        group.setDocumentMode(True)
        group.tabCloseRequested.connect(lambda index, g=group: self._close_tab(index, g))
        group.currentChanged.connect(lambda _index, g=group: self.activate(g))
        group.tabBarClicked.connect(lambda _index, g=group: self.activate(g))
        self.groups.append(group)
        self.splitter.addWidget(group)
        return group

    def activate(self, group: QtWidgets.QTabWidget) -> None:
        """Make ``group`` the one the transport bar, menus and status bar act on."""
        if group in self.groups:
            self.current = group
            self.current_changed.emit()

    def _on_focus_changed(self, _old, new) -> None:
        widget = new
        while widget is not None:
            if widget in self.groups:
                if widget is not self.current:
                    self.activate(widget)
                return
            widget = widget.parentWidget()

    # -- pages ------------------------------------------------------------------------
    def pages(self) -> list[ExperimentPage]:
        return [g.widget(i) for g in self.groups for i in range(g.count())]

    def current_page(self) -> ExperimentPage | None:
        page = self.current.currentWidget()
        return page if isinstance(page, ExperimentPage) else None

    def add(self, page: ExperimentPage, title: str, tip: str) -> None:
        """Add ``page`` as the current tab of the current group."""
        index = self.current.addTab(page, title)
        self.current.setTabToolTip(index, tip)
        self.current.setCurrentIndex(index)

    def show_page(self, page: ExperimentPage) -> None:
        group, index = self.locate(page)
        group.setCurrentIndex(index)
        self.activate(group)

    def locate(self, page: ExperimentPage) -> tuple[QtWidgets.QTabWidget, int]:
        for group in self.groups:
            index = group.indexOf(page)
            if index >= 0:
                return group, index
        raise ValueError("page not in any tab group")

    # -- splitting ----------------------------------------------------------------------
    @property
    def split(self) -> bool:
        return len(self.groups) == 2

    def set_split(self, on: bool) -> None:
        """Two groups side by side (the current tab moves to the right), or one again."""
        if on and not self.split:
            right = self._add_group()
            page = self.current_page()
            if page is not None and self.current.count() > 1:
                self._move(page, right)
            self.splitter.setSizes([1, 1])
            self.activate(right)
        elif not on and self.split:
            left, right = self.groups
            if left.count() == 0:  # keep the group that still has tabs on the left
                left, right = right, left
            for page in [right.widget(i) for i in range(right.count())]:
                self._move(page, left)
            self.groups.remove(right)
            right.deleteLater()
            self.activate(left)

    def move_to_other_side(self) -> None:
        """Move the current tab to the other group (splitting the view if needed)."""
        page = self.current_page()
        if page is None:
            return
        if not self.split:
            self.set_split(True)
            return
        source = self.current
        target = self.groups[1] if source is self.groups[0] else self.groups[0]
        self._move(page, target)
        self.activate(target)
        if source.count() == 0:
            self.set_split(False)

    def removed_from(self, group: QtWidgets.QTabWidget) -> None:
        """After a tab closed: an emptied side of a split view goes away."""
        if group.count() == 0 and self.split:
            self.set_split(False)

    def _move(self, page: ExperimentPage, target: QtWidgets.QTabWidget) -> None:
        group, index = self.locate(page)
        title, tip = group.tabText(index), group.tabToolTip(index)
        group.removeTab(index)
        new_index = target.addTab(page, title)
        target.setTabToolTip(new_index, tip)
        target.setCurrentIndex(new_index)
