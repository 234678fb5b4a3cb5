"""A small table of scalar read-outs (a :class:`compute.views.Readout`)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from pyqtgraph.Qt import QtCore, QtWidgets

from compute.views import Readout

from .base import ViewPanel
from .theme import Theme

ROWS_PER_COLUMN = 5


class ReadoutPanel(ViewPanel):
    """Label/value rows, formatted with each line's format string.

    Long read-outs are set in side-by-side columns of ROWS_PER_COLUMN lines, since they
    sit in a wide, low strip; a scroll area keeps them from forcing the strip taller.
    """

    view: Readout

    def __init__(self, view: Readout, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.label = QtWidgets.QLabel()
        self.label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        align = QtCore.Qt.AlignmentFlag
        self.label.setAlignment(align.AlignTop | align.AlignLeft)
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setMargin(8)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setWidget(self.label)
        self.layout().addWidget(scroll)
        self.values: dict[str, str] = {}
        self.style_items()
        self._render()

    def sizeHint(self) -> QtCore.QSize:
        """As tall as the table (the scroll area alone would ask for almost nothing)."""
        hint = self.label.sizeHint()
        return QtCore.QSize(hint.width() + 8, hint.height() + 8)

    def style_items(self) -> None:
        t = self.theme
        self.label.setStyleSheet(
            f"background: {t.background}; color: {t.foreground}; "
            f"font-size: {t.font_pt * 1.2:.0f}pt;"
        )

    def show_frame(self, frame: Mapping[str, Any]) -> None:
        for name, _, fmt in self.view.lines:
            if name in frame:
                self.values[name] = format_value(frame[name], fmt)
        self._render()

    def _render(self) -> None:
        cells = [f"<td>{html.escape(label)}</td><td align='right'>&nbsp;&nbsp;"
                 f"<b>{html.escape(self.values.get(name, '—'))}</b></td>"
                 for name, label, _ in self.view.lines]
        columns = -(-len(cells) // ROWS_PER_COLUMN)
        rows = -(-len(cells) // max(columns, 1))
        gap = "<td>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;</td>"
        body = "".join(
            "<tr>" + gap.join(cells[c * rows + r] if c * rows + r < len(cells) else "<td></td>"
                              for c in range(columns)) + "</tr>"
            for r in range(rows))
        self.label.setText(f"<table cellspacing='2'>{body}</table>")


def format_value(value: Any, fmt: str) -> str:
    """Format a scalar with ``fmt``, falling back to ``str`` if the format does not fit."""
    try:
        if hasattr(value, "item"):
            value = value.item()
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)
