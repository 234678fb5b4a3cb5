"""The experiment browser: the registry as a tree by chapter and section, with a search box."""

from __future__ import annotations

import html

from pyqtgraph.Qt import QtCore, QtWidgets

from compute.registry import ExperimentInfo

ID_ROLE = QtCore.Qt.ItemDataRole.UserRole


class ExperimentBrowser(QtWidgets.QWidget):
    """Chapters → experiments (title, book section, one-line summary); emits ``open_requested``."""

    #: experiment id
    open_requested = QtCore.Signal(str)

    def __init__(self, experiments: list[ExperimentInfo],
                 unavailable: dict[str, str] | None = None, parent=None):
        super().__init__(parent)
        self.unavailable = unavailable or {}
        self.search = QtWidgets.QLineEdit()
        self.search.setPlaceholderText("Search id, title, section…")
        self.search.setClearButtonEnabled(True)
        self.tree = QtWidgets.QTreeWidget()
        self.tree.setHeaderLabels(["Experiment", "§"])
        self.tree.setColumnCount(2)
        self.tree.header().setStretchLastSection(False)
        header = self.tree.header()
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.summary.setMinimumHeight(60)
        self.summary.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        layout.addWidget(self.summary)
        self.items: dict[str, QtWidgets.QTreeWidgetItem] = {}
        self._haystack: dict[str, str] = {}
        self._infos = {info.id: info for info in experiments}
        self._populate(experiments)
        self.search.textChanged.connect(self.filter)
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemDoubleClicked.connect(self._activated)
        self.tree.currentItemChanged.connect(self._show_summary)

    def _populate(self, experiments: list[ExperimentInfo]) -> None:
        chapters: dict[int, QtWidgets.QTreeWidgetItem] = {}
        for info in experiments:
            chapter = info.chapter()
            parent = chapters.get(chapter)
            if parent is None:
                parent = QtWidgets.QTreeWidgetItem(self.tree, [f"Chapter {chapter}", ""])
                parent.setFlags(parent.flags() & ~QtCore.Qt.ItemFlag.ItemIsSelectable)
                parent.setExpanded(True)
                chapters[chapter] = parent
            mark = " †" if info.has_book_notes else ""
            item = QtWidgets.QTreeWidgetItem(parent, [info.title + mark, info.section])
            item.setData(0, ID_ROLE, info.id)
            tip = f"{info.id}\n§{info.section}: {info.summary}"
            if info.has_book_notes:
                tip += "\n† has book notes: the lab departs from the printed text here"
            reason = self.unavailable.get(info.id)
            if reason:
                item.setDisabled(True)
                tip += f"\nUnavailable: {reason}"
            item.setToolTip(0, tip)
            item.setToolTip(1, tip)
            self.items[info.id] = item
            item.setData(0, QtCore.Qt.ItemDataRole.AccessibleDescriptionRole, info.summary)
            self._haystack[info.id] = " ".join(
                (info.id, info.title, info.section, info.summary)).lower()

    def filter(self, text: str) -> None:
        """Show only experiments whose id, title, section or summary contain every word."""
        words = text.lower().split()
        for exp_id, item in self.items.items():
            hay = self._haystack[exp_id]
            item.setHidden(not all(w in hay for w in words))
        for i in range(self.tree.topLevelItemCount()):
            chapter = self.tree.topLevelItem(i)
            visible = any(not chapter.child(j).isHidden() for j in range(chapter.childCount()))
            chapter.setHidden(not visible)

    def select(self, experiment_id: str) -> None:
        item = self.items.get(experiment_id)
        if item is not None:
            self.tree.setCurrentItem(item)

    def _show_summary(self, item: QtWidgets.QTreeWidgetItem | None, _previous=None) -> None:
        """The selected experiment's section, one-line summary and book-notes marker."""
        info = self._infos.get(item.data(0, ID_ROLE)) if item is not None else None
        if info is None:
            self.summary.clear()
            return
        notes = "<br>† <i>book notes: the lab departs from the printed text</i>" \
            if info.has_book_notes else ""
        reason = self.unavailable.get(info.id)
        missing = f"<br><b>Unavailable:</b> {html.escape(reason)}" if reason else ""
        self.summary.setText(f"<b>§{html.escape(info.section)}</b> {html.escape(info.summary)}"
                             f"{notes}{missing}")

    def _activated(self, item: QtWidgets.QTreeWidgetItem, column: int = 0) -> None:
        exp_id = item.data(0, ID_ROLE)
        if exp_id and not item.isDisabled():
            self.open_requested.emit(exp_id)
