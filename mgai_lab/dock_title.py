"""A dock title bar whose title wraps onto a second line instead of being cut with "…".

A view's title lives in its dock's title bar only (plots draw none), and Qt's own title
bar elides a long title in a narrow dock, which presentation mode's large type makes
common. This bar keeps the float and close buttons and can still be dragged to move the
dock (the dock handles mouse presses the bar does not take).
"""

from __future__ import annotations

from pyqtgraph.Qt import QtCore, QtWidgets


class DockTitleBar(QtWidgets.QWidget):
    """The title (word-wrapped) with float and close buttons."""

    def __init__(self, dock: QtWidgets.QDockWidget):
        super().__init__(dock)
        self.dock = dock
        self.label = QtWidgets.QLabel(dock.windowTitle())
        self.label.setWordWrap(True)
        self.label.setTextFormat(QtCore.Qt.TextFormat.PlainText)
        self.label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                                 QtWidgets.QSizePolicy.Policy.Preferred)
        style = self.style()
        self.float_button = self._button(
            style.standardIcon(QtWidgets.QStyle.StandardPixmap.SP_TitleBarNormalButton),
            "Float or dock this view", lambda: dock.setFloating(not dock.isFloating()))
        self.close_button = self._button(
            style.standardIcon(QtWidgets.QStyle.StandardPixmap.SP_TitleBarCloseButton),
            "Close this view", dock.close)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(4, 1, 2, 1)
        layout.setSpacing(2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.float_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.close_button, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        self._hint: tuple | None = None
        dock.windowTitleChanged.connect(self._set_title)

    def _button(self, icon, tip: str, slot) -> QtWidgets.QToolButton:
        button = QtWidgets.QToolButton(self)
        button.setIcon(icon)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.setIconSize(QtCore.QSize(10, 10))
        button.clicked.connect(slot)
        return button

    def _set_title(self, text: str) -> None:
        self.label.setText(text)
        self._hint = None
        self.updateGeometry()

    def _label_width(self, width: int) -> int:
        margins = self.layout().contentsMargins()
        buttons = self.float_button.sizeHint().width() + self.close_button.sizeHint().width()
        return max(width - margins.left() - margins.right() - buttons - 6, 20)

    def sizeHint(self) -> QtCore.QSize:
        """As tall as the wrapped title needs at the bar's present width (layouts ask
        often: the answer is kept until the width, the title or the font changes)."""
        width = self.width() if self.width() > 40 else 400
        key = (width, self.label.font().key())
        if self._hint is None or self._hint[0] != key:
            margins = self.layout().contentsMargins()
            label = self.label.heightForWidth(self._label_width(width))
            buttons = self.close_button.sizeHint().height()
            height = max(label, buttons) + margins.top() + margins.bottom()
            self._hint = (key, QtCore.QSize(width, height))
        return self._hint[1]

    def minimumSizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(40, self.sizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()  # the title may take more or fewer lines now

    def is_elided(self) -> bool:
        """Whether the title does not fit (for the layout audit)."""
        return self.label.height() + 1 < self.label.heightForWidth(self.label.width())
