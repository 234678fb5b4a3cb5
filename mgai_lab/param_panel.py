"""The parameter panel: a pyqtgraph ParameterTree built from an experiment's parameter spec.

Numbers get a spin box with a slider beside it (logarithmic where the spec says so), so a
lecturer can drag a value. Matrices get a :class:`MatrixEditor`, a small grid of cells.
Restart parameters carry a ⟳ mark; once changed they are listed as pending until the run
is reset.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from pyqtgraph.parametertree import Parameter, ParameterTree, registerParameterType
from pyqtgraph.parametertree.parameterTypes import WidgetParameterItem
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets
from pyqtgraph.widgets.SpinBox import SpinBox

from compute.params import Param, ParamError

SLIDER_STEPS = 1000
RESTART_MARK = " ⟳"
# rows an A/B comparison changes (mgai_lab.compare): dark text on amber in either theme
HIGHLIGHT_BRUSH = QtGui.QBrush(QtGui.QColor("#FFD166"))
HIGHLIGHT_TEXT = QtGui.QBrush(QtGui.QColor("#1A1A1A"))


class CheckedSpinBox(SpinBox):
    """A spin box that says why typed text is not taken, instead of ignoring or clamping it.

    pyqtgraph's spin box drops text it cannot read and clamps a value outside its bounds to
    the nearest bound, both silently. Here either is refused with :attr:`refused` (the
    text and the reason) and the box shows its value again; the arrows and the wheel still
    stop at the bounds.
    """

    #: typed text, reason
    refused = QtCore.Signal(str, str)

    def editingFinishedEvent(self) -> None:
        text = self.lineEdit().text()
        if text == self.lastText:
            return
        value = self.interpret()
        lo, hi = self.opts["bounds"]
        if value is False or (isinstance(value, float) and math.isnan(value)):
            reason = "is not a number"
        elif (lo is not None and value < lo) or (hi is not None and value > hi):
            reason = f"is outside the range {lo:g} … {hi:g}"
        else:
            super().editingFinishedEvent()
            return
        self.refused.emit(text.strip(), reason)
        self.setValue(self.value())  # show the value that still holds
        self.lineEdit().setText(self.lastText)


class SliderSpinItem(WidgetParameterItem):
    """A spin box and a slider for one number; the slider may map logarithmically."""

    def makeWidget(self) -> QtWidgets.QWidget:
        self.hideWidget = False
        opts = self.param.opts
        lo, hi = opts["limits"]
        self._lo, self._hi = float(lo), float(hi)
        self._log = bool(opts.get("log")) and self._hi > 0 and self._lo >= 0
        # a log slider starting at 0: position 0 is exactly 0, the rest spans 4 decades
        self._log_lo = self._lo if self._lo > 0 else self._hi * 1e-4
        self._is_int = bool(opts.get("int"))
        spin = CheckedSpinBox()
        spin.refused.connect(lambda text, reason: self.param.sigRefused.emit(text, reason))
        spin.setOpts(bounds=(lo, hi), int=self._is_int, dec=self._log or self._is_int,
                     step=1 if self._is_int else (0.1 if self._log else (hi - lo) / 100),
                     minStep=1 if self._is_int else 0, decimals=4,
                     suffix=opts.get("units", ""), compactHeight=False)
        spin.setMinimumWidth(80)
        slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        slider.setRange(0, SLIDER_STEPS)
        slider.setMinimumWidth(50)
        container = QtWidgets.QWidget()
        layout = QtWidgets.QHBoxLayout(container)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(spin, 2)
        layout.addWidget(slider, 3)
        self.spin, self.slider = spin, slider

        def set_value(value: float) -> None:
            spin.setValue(value)
            self._sync_slider(value)

        container.value = spin.value
        container.setValue = set_value
        container.sigChanged = spin.sigValueChanged
        container.sigChanging = spin.sigValueChanging
        spin.sigValueChanging.connect(lambda _, v: self._sync_slider(v))
        slider.valueChanged.connect(self._slider_moved)
        return container

    def _to_slider(self, value: float) -> int:
        if self._hi <= self._lo:
            return 0
        if self._log:
            if value <= 0:
                return 0
            frac = math.log(max(value, self._log_lo) / self._log_lo) / math.log(
                self._hi / self._log_lo)
            position = round(min(frac, 1.0) * SLIDER_STEPS)
            # with a range starting at 0, position 0 means exactly 0
            return max(position, 1) if self._lo == 0 else position
        frac = (value - self._lo) / (self._hi - self._lo)
        return round(min(max(frac, 0.0), 1.0) * SLIDER_STEPS)

    def _from_slider(self, position: int) -> float:
        frac = position / SLIDER_STEPS
        if self._log:
            if position == 0:
                return self._lo
            value = self._log_lo * (self._hi / self._log_lo) ** frac
            value = float(f"{value:.3g}")  # round to 3 significant digits while dragging
        else:
            value = self._lo + frac * (self._hi - self._lo)
        value = min(max(value, self._lo), self._hi)
        return float(round(value)) if self._is_int else value

    def _sync_slider(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(self._to_slider(float(value)))
        self.slider.blockSignals(False)

    def _slider_moved(self, position: int) -> None:
        if self._to_slider(float(self.spin.value())) != position:
            self.spin.setValue(self._from_slider(position))


class ParamTree(ParameterTree):
    """pyqtgraph's ParameterTree, dropping its wrapper of Qt's invisible root item before Qt
    frees the item.

    Qt creates and deletes that item itself, so shiboken is never told. While the Python tree
    outlived the widget (a cycle awaiting the collector), the freed address stayed registered,
    and the next object Qt put there was taken for the item: wrong wrappers handed out, and a
    segfault when Qt deleted that object (issue 10). ``destroyed`` comes before the items go.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None, showHeader: bool = True):
        super().__init__(parent, showHeader)
        state = vars(self)  # not self: the connection must not keep the tree alive
        self.destroyed.connect(lambda: state.pop("_invRootItem", None))


class SliderSpinParameter(Parameter):
    """A number shown with :class:`SliderSpinItem`; :attr:`sigRefused` carries typed text
    the spin box did not take, and why."""

    itemClass = SliderSpinItem
    sigRefused = QtCore.Signal(str, str)


registerParameterType("slidespin", SliderSpinParameter, override=True)


class MatrixEditor(QtWidgets.QWidget):
    """A grid of cells editing one matrix parameter, reusable wherever a matrix is typed.

    Every cell is checked with the parameter's own rules (a number, in range; "?" for a
    missing entry where the matrix allows it). A bad cell turns red and a message names
    the entry; :meth:`value` keeps returning the last good matrix and nothing is emitted,
    so the run keeps its last good state. A good edit emits :attr:`sigChanged` with the new
    matrix (a tuple of rows). Resizable matrices get buttons that add and remove rows and
    columns (new cells start at 0).
    """

    sigChanged = QtCore.Signal(object)
    #: the editor changed its size (rows or columns added or removed)
    resized = QtCore.Signal()

    CELL_WIDTH = 56

    def __init__(self, param: Param, value: Any = None, parent=None):
        super().__init__(parent)
        self.param = param
        self.table = QtWidgets.QTableWidget()
        self.table.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.table.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.horizontalHeader().setDefaultSectionSize(self.CELL_WIDTH)
        self.table.horizontalHeader().setMinimumSectionSize(24)
        self._row_height()
        self.table.setSizeAdjustPolicy(
            QtWidgets.QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.table.itemChanged.connect(self._cell_edited)
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #B00020;")
        self.message.hide()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.table)
        self.buttons: dict[str, QtWidgets.QToolButton] = {}
        if param.max_shape is not None:
            row = QtWidgets.QHBoxLayout()
            row.setSpacing(2)
            for key, text, tip in (("add_row", "+ row", "Add a row"),
                                   ("del_row", "− row", "Remove the last row"),
                                   ("add_col", "+ col", "Add a column"),
                                   ("del_col", "− col", "Remove the last column")):
                button = QtWidgets.QToolButton()
                button.setText(text)
                button.setToolTip(tip)
                button.clicked.connect(lambda _=False, k=key: self._resize(k))
                row.addWidget(button)
                self.buttons[key] = button
            row.addStretch(1)
            layout.addLayout(row)
        layout.addWidget(self.message)
        self._value = param.coerce(param.default if value is None else value)
        self._fill(self._value)

    def _row_height(self) -> None:
        """Rows as tall as the font needs (presentation mode enlarges the font)."""
        height = self.table.fontMetrics().height() + 8
        self.table.verticalHeader().setDefaultSectionSize(height)
        self.table.verticalHeader().setMinimumSectionSize(height)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange and hasattr(self, "table"):
            self._row_height()
            self.table.setFixedHeight(self._table_height())
            self.updateGeometry()
            self.resized.emit()

    # -- the value -------------------------------------------------------------------------
    def value(self) -> tuple[tuple[float, ...], ...]:
        """The last good matrix."""
        return self._value

    def setValue(self, value: Any) -> None:
        """Show ``value`` (validated by the parameter), clearing any error; emits nothing."""
        self._value = self.param.coerce(value)
        self._fill(self._value)

    @staticmethod
    def cell_text(v: float) -> str:
        return "?" if math.isnan(v) else f"{v:.6g}"

    def _fill(self, value) -> None:
        rows, cols = len(value), len(value[0])
        resized = (rows, cols) != (self.table.rowCount(), self.table.columnCount())
        self.table.blockSignals(True)
        try:
            self.table.setRowCount(rows)
            self.table.setColumnCount(cols)
            self.table.setHorizontalHeaderLabels([str(j + 1) for j in range(cols)])
            self.table.setVerticalHeaderLabels([str(i + 1) for i in range(rows)])
            for i, row in enumerate(value):
                for j, v in enumerate(row):
                    item = QtWidgets.QTableWidgetItem(self.cell_text(v))
                    item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
                    self.table.setItem(i, j, item)
        finally:
            self.table.blockSignals(False)
        self._show_error(None)
        self._update_buttons()
        if resized:  # a new shape: a new height (and the tree row follows)
            self.table.setFixedHeight(self._table_height())
            self.updateGeometry()
            self.resized.emit()

    def _table_height(self) -> int:
        t = self.table
        height = t.horizontalHeader().sizeHint().height() + 2 * t.frameWidth() + 2
        height += sum(t.rowHeight(i) for i in range(t.rowCount()))
        if t.columnCount() * self.CELL_WIDTH > 360:  # room for the horizontal scroll bar
            height += t.horizontalScrollBar().sizeHint().height()
        return height

    def sizeHint(self) -> QtCore.QSize:
        t = self.table
        width = t.verticalHeader().sizeHint().width() + t.columnCount() * self.CELL_WIDTH + 6
        height = self._table_height()
        if self.buttons:
            height += 26
        if self.message.isVisible():
            height += self.message.sizeHint().height()
        return QtCore.QSize(min(width, 380), height + 4)

    def texts(self) -> list[list[str]]:
        """The cells' current text (what the user typed)."""
        t = self.table
        return [[(t.item(i, j).text() if t.item(i, j) is not None else "")
                 for j in range(t.columnCount())] for i in range(t.rowCount())]

    # -- editing ---------------------------------------------------------------------------
    def _cell_edited(self, _item: QtWidgets.QTableWidgetItem) -> None:
        self.commit()

    def commit(self) -> bool:
        """Validate every cell; emit the matrix when all are good, else show the error."""
        try:
            rows = [[self.param.parse_entry(text, i, j) for j, text in enumerate(row)]
                    for i, row in enumerate(self.texts())]
            value = self.param.coerce(rows)
        except ParamError as exc:
            self._show_error(exc)
            return False
        self._show_error(None)
        if value != self._value:
            self._value = value
            self.sigChanged.emit(value)
        return True

    def error_text(self) -> str:
        return self.message.text() if self.message.isVisible() else ""

    def _show_error(self, exc: ParamError | None) -> None:
        bad = None
        if exc is not None:
            found = re.search(r"entry \((\d+), (\d+)\)", exc.message)
            if found:
                bad = (int(found.group(1)) - 1, int(found.group(2)) - 1)
        self.table.blockSignals(True)
        try:
            for i in range(self.table.rowCount()):
                for j in range(self.table.columnCount()):
                    item = self.table.item(i, j)
                    if item is not None:
                        item.setBackground(QtGui.QBrush(QtGui.QColor("#F8C0C0")) if (i, j) == bad
                                           else QtGui.QBrush())
        finally:
            self.table.blockSignals(False)
        was_shown = not self.message.isHidden()
        if exc is None:
            self.message.hide()
        else:
            self.message.setText(f"{self.param.label}: {exc.message} — the run keeps the "
                                 "last good matrix")
            self.message.show()
        if was_shown != (exc is not None):
            self.resized.emit()

    def _resize(self, action: str) -> None:
        value = [list(row) for row in self._value]
        rows, cols = len(value), len(value[0])
        if action == "add_row":
            value.append([0.0] * cols)
        elif action == "del_row" and rows > 1:
            value.pop()
        elif action == "add_col":
            value = [[*row, 0.0] for row in value]
        elif action == "del_col" and cols > 1:
            value = [row[:-1] for row in value]
        try:
            new = self.param.coerce(value)
        except ParamError as exc:
            self._show_error(exc)
            return
        self._value = new
        self._fill(new)
        self.sigChanged.emit(new)

    def _update_buttons(self) -> None:
        if not self.buttons:
            return
        rows, cols = self.table.rowCount(), self.table.columnCount()
        max_rows, max_cols = self.param.max_shape
        self.buttons["add_row"].setEnabled(rows < max_rows)
        self.buttons["del_row"].setEnabled(rows > 1)
        self.buttons["add_col"].setEnabled(cols < max_cols)
        self.buttons["del_col"].setEnabled(cols > 1)


class MatrixItem(WidgetParameterItem):
    """A matrix parameter: the editor on its own row below the name."""

    def makeWidget(self) -> QtWidgets.QWidget:
        self.hideWidget = False
        self.asSubItem = True
        editor = MatrixEditor(self.param.opts["spec"], self.param.opts.get("value"))
        editor.resized.connect(self._editor_resized)
        return editor

    def _editor_resized(self) -> None:
        sub = getattr(self, "subItem", None)
        if sub is None:
            return
        sub.setSizeHint(0, self.widget.sizeHint())
        tree = self.treeWidget()
        if tree is not None:
            tree.doItemsLayout()

    def updateDisplayLabel(self, value=None) -> None:
        value = self.param.value() if value is None else value
        self.displayLabel.setText(f"{len(value)}×{len(value[0])}" if value else "")


class MatrixParameter(Parameter):
    """A matrix shown with :class:`MatrixItem`."""

    itemClass = MatrixItem


registerParameterType("matrix", MatrixParameter, override=True)


def parameter_options(param: Param, value: Any) -> dict[str, Any]:
    """pyqtgraph Parameter options for one spec entry."""
    opts: dict[str, Any] = {
        "name": param.name,
        "title": param.label + ("" if param.live else RESTART_MARK),
        "value": list(value) if param.kind == "multi" else value,
        "default": list(param.default) if param.kind == "multi" else param.default,
        "tip": _tooltip(param),
    }
    if param.kind in ("float", "int"):
        opts.update(type="slidespin", limits=(param.min, param.max), log=param.log,
                    int=param.kind == "int", units=f" {param.unit}" if param.unit else "")
    elif param.kind == "seed":
        opts.update(type="int", limits=(0, 2**31 - 1))
    elif param.kind == "bool":
        opts.update(type="bool")
    elif param.kind == "choice":
        opts.update(type="list", limits=list(param.choices))
    elif param.kind == "multi":
        opts.update(type="checklist", limits=list(param.choices), exclusive=False)
    elif param.kind == "matrix":
        opts.update(type="matrix", spec=param, value=value, default=param.default)
    return opts


def _tooltip(param: Param) -> str:
    parts = [param.help] if param.help else []
    if param.kind in ("float", "int"):
        parts.append(f"range {param.min:g} … {param.max:g}{' ' + param.unit if param.unit else ''}")
    if param.kind == "matrix":
        if param.min is not None and param.max is not None:
            parts.append(f"each entry in {param.min:g} … {param.max:g}")
        if param.missing:
            parts.append("type ? for a missing entry")
    parts.append("applies live" if param.live else "applies on Reset (R)")
    return "\n".join(parts)


class ParamPanel(QtWidgets.QWidget):
    """Parameter tree for one experiment; emits :attr:`edited` for each user change."""

    #: name, value
    edited = QtCore.Signal(str, object)
    #: name, message: typed input that was not taken (not a number, out of range)
    refused = QtCore.Signal(str, str)

    def __init__(self, params: tuple[Param, ...], values: Mapping[str, Any], parent=None):
        super().__init__(parent)
        self.spec = {p.name: p for p in params}
        self.root = Parameter.create(
            name="params", type="group",
            children=[parameter_options(p, values[p.name]) for p in params],
        )
        self.tree = ParamTree(showHeader=False)
        self.tree.setParameters(self.root, showTop=False)
        # labels as wide as they need, the controls the rest: never a sideways scroll
        header = self.tree.header()
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.tree.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pending_label = QtWidgets.QLabel()
        self.pending_label.setWordWrap(True)
        self.pending_label.setStyleSheet(
            "background: #FFF3CD; color: #664D03; padding: 4px; border-radius: 3px;")
        self.pending_label.hide()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.pending_label)
        layout.addWidget(self.tree)
        self._quiet = False
        self.highlighted: set[str] = set()
        for child in self.root.children():
            child.sigValueChanged.connect(self._on_changed)
            if isinstance(child, SliderSpinParameter):
                name = child.name()
                child.sigRefused.connect(
                    lambda text, reason, n=name: self._on_refused(n, text, reason))

    def _on_changed(self, param: Parameter, value: Any) -> None:
        if self._quiet:
            return
        spec = self.spec[param.name()]
        if spec.kind == "multi":
            value = tuple(value)
        elif spec.kind in ("int", "seed"):
            value = int(value)
        elif spec.kind == "float":
            value = float(value)
        self.edited.emit(param.name(), value)

    def _on_refused(self, name: str, text: str, reason: str) -> None:
        value = self.root.child(name).value()
        self.refused.emit(name, f"{text!r} {reason}; {self.spec[name].label} stays {value:g}")

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` without emitting :attr:`edited` (after a preset or a refusal)."""
        self._quiet = True
        try:
            for name, value in values.items():
                if name in self.spec:
                    self.root.child(name).setValue(list(value) if isinstance(value, tuple)
                                                   else value)
        finally:
            self._quiet = False

    def highlight(self, names: set[str]) -> None:
        """Mark the rows of ``names`` (the parameters an A/B comparison changes): a bold
        label on amber; the other rows are shown plainly."""
        self.highlighted = set(names) & set(self.spec)
        bold = QtGui.QFont(self.tree.font())
        bold.setBold(True)
        for child in self.root.children():
            on = child.name() in self.highlighted
            for item in child.items:
                # plain rows keep no font of their own, so they follow a change of type size
                item.setData(0, QtCore.Qt.ItemDataRole.FontRole, bold if on else None)
                # (the label column only: a value shown as text keeps the theme's colour)
                item.setBackground(0, HIGHLIGHT_BRUSH if on else QtGui.QBrush())
                item.setForeground(0, HIGHLIGHT_TEXT if on else QtGui.QBrush())

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QtCore.QEvent.Type.FontChange and getattr(self, "highlighted", None):
            # the bold rows follow the new type size (presentation mode) once the tree has it
            QtCore.QTimer.singleShot(0, self._highlight_again)

    def _highlight_again(self) -> None:
        self.highlight(self.highlighted)

    def show_pending(self, names: set[str]) -> None:
        """List restart parameters changed since the run started."""
        if names:
            labels = ", ".join(self.spec[n].label for n in sorted(names))
            self.pending_label.setText(f"⟳ Press Reset (R) to apply: {labels}")
            self.pending_label.show()
        else:
            self.pending_label.hide()
