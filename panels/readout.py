"""A small table of scalar read-outs (a :class:`compute.views.Readout`)."""

from __future__ import annotations

import html
import math
import time
from collections.abc import Mapping
from typing import Any

from pyqtgraph.Qt import QtCore, QtWidgets

from compute.views import Readout

from .base import ViewPanel
from .theme import Theme

NOT_A_NUMBER = "—"
RENDER_HZ = 10  # the table is laid out at most this often
VALUE_ROOM = 10  # characters a value may grow to without changing the table's columns
MOST_HEIGHT_SHARE = 0.35  # the largest share of a window's height the read-outs take

class ReadoutPanel(ViewPanel):
    """Label/value rows, formatted with each line's format string.

    Read-outs sit in a wide, low strip, so their lines are set in as many side-by-side
    columns as the width allows (the strip is then as low as it can be); a scroll area
    keeps an unusually long table from forcing the strip taller than
    :data:`MOST_HEIGHT_SHARE` of the window. A value that is not a
    number (NaN) shows as "—" with the reason in the tooltip.
    """

    view: Readout
    #: the table has another number of rows (a long value arrived, the width or the type
    #: changed): a strip sized for the old table may need another height
    rows_changed = QtCore.Signal()
    MARGIN = 8  # pixels around the table

    def __init__(self, view: Readout, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.label = QtWidgets.QLabel()
        self.label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        align = QtCore.Qt.AlignmentFlag
        self.label.setAlignment(align.AlignTop | align.AlignLeft)
        self.label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setMargin(self.MARGIN)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setWidget(self.label)
        self.layout().addWidget(scroll)
        self.values: dict[str, str] = {}
        self._widest: dict[str, int] = {}  # the longest text each line has shown
        self.columns = 1
        self._table_sizes: dict[str, QtCore.QSize] = {}
        self._rendered_at = 0.0
        self._render_timer = QtCore.QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(int(1000 / RENDER_HZ))
        self._render_timer.timeout.connect(self._render)
        self.style_items()

    def sizeHint(self) -> QtCore.QSize:
        """As tall as the table (the scroll area alone would ask for almost nothing)."""
        hint = self.label.sizeHint()
        return QtCore.QSize(hint.width() + self.MARGIN, hint.height() + self.MARGIN)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        rows = self.rows()
        self.columns = self._columns_for(self.width())
        self._render()
        self.updateGeometry()  # the table's height may have changed: layouts ask again
        if self.rows() != rows:
            self.rows_changed.emit()

    def rows(self) -> int:
        """The number of rows the table is set in."""
        return -(-len(self.view.lines) // max(self.columns, 1))

    def _columns_for(self, width: int) -> int:
        """The most columns whose table fits ``width`` pixels, with room for values to grow
        (to VALUE_ROOM characters), so the columns do not change as the numbers do."""
        best = 1
        for columns in range(2, len(self.view.lines) + 1):
            if self._table_size(columns).width() > width - 16:
                break
            best = columns
        return best

    def _table_size(self, columns: int) -> QtCore.QSize:
        """The size of the roomy table in ``columns`` columns. Laying out a rich-text table
        costs milliseconds and layouts ask for it many times at each resize, so sizes are
        kept per table text until the type changes."""
        table = self._table(columns, roomy=True)
        if table not in self._table_sizes:
            if len(self._table_sizes) > 256:  # values longer than VALUE_ROOM keep changing
                self._table_sizes.clear()
            self.label.setText(table)
            self._table_sizes[table] = self.label.sizeHint()
            self._render()
        return self._table_sizes[table]

    def height_for_width(self, width: int) -> int:
        """The height the table needs when the panel is ``width`` pixels wide."""
        return self._table_size(self._columns_for(width)).height() + self.MARGIN

    def style_items(self) -> None:
        t = self.theme
        self.label.setStyleSheet(
            f"background: {t.background}; color: {t.foreground}; "
            f"font-size: {t.font_pt:.0f}pt;"
        )
        self._table_sizes.clear()
        self._fit_columns()  # the type size changes how many columns fit

    def show_frame(self, frame: Mapping[str, Any]) -> None:
        outgrown = False
        for name, _, fmt in self.view.lines:
            if name in frame:
                text = format_value(frame[name], fmt)
                widest = max(VALUE_ROOM, self._widest.get(name, 0))
                outgrown |= len(text) > widest
                self._widest[name] = max(len(text), widest)
                self.values[name] = text
        if outgrown:  # a value longer than any before: fewer columns may fit now
            self._fit_columns()
        # numbers changing faster than a person reads are not worth laying out a table
        # each frame (a rich-text table costs milliseconds): at most RENDER_HZ, the
        # newest values always shown within 1/RENDER_HZ
        if time.monotonic() - self._rendered_at >= 1.0 / RENDER_HZ:
            self._render()
        elif not self._render_timer.isActive():
            self._render_timer.start()
        missing = [label for name, label, _ in self.view.lines
                   if self.values.get(name, NOT_A_NUMBER) == NOT_A_NUMBER]
        self.label.setToolTip(
            f"— : not defined yet at this point of the run ({', '.join(missing)})"
            if missing else "")

    def _render(self) -> None:
        self._rendered_at = time.monotonic()
        self.label.setText(self._table(self.columns))

    def _table(self, columns: int, roomy: bool = False) -> str:
        def value(name: str) -> str:
            text = self.values.get(name, NOT_A_NUMBER)
            return text.ljust(VALUE_ROOM, "0") if roomy else text

        cells = [f"<td>{html.escape(label)}</td><td align='right'>&nbsp;&nbsp;"
                 f"<b>{html.escape(value(name))}</b></td>"
                 for name, label, _ in self.view.lines]
        rows = -(-len(cells) // max(columns, 1))
        columns = -(-len(cells) // max(rows, 1))
        gap = "<td>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;</td>"
        body = "".join(
            "<tr>" + gap.join(cells[c * rows + r] if c * rows + r < len(cells) else "<td></td>"
                              for c in range(columns)) + "</tr>"
            for r in range(rows))
        return f"<table cellspacing='2'>{body}</table>"


def format_value(value: Any, fmt: str) -> str:
    """Format a scalar with ``fmt`` ("—" for NaN), falling back to ``str`` if the format
    does not fit."""
    try:
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return NOT_A_NUMBER
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)
