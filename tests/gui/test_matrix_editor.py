"""The matrix editor on the real widget, offscreen: typing cells, bad entries, resizing."""

import math

import pytest
from pyqtgraph.Qt import QtCore, QtWidgets

from compute.params import Float, Matrix
from mgai_lab.param_panel import MatrixEditor, ParamPanel

pytestmark = pytest.mark.gui

A = Matrix("A", [[1, 0], [0, 1]], -3, 3, label="A")
R = Matrix("R", [[5, None], [4, 2]], 0, 5, missing=True, max_shape=(3, 4), label="R")


def type_into_cell(qtbot, editor, row, col, text):
    """Open the cell's editor, type ``text`` and press Enter, as a user does."""
    table = editor.table
    table.setCurrentCell(row, col)
    table.editItem(table.item(row, col))
    # the visible line edit: an earlier cell's closed editor may await its deleteLater
    shown = [e for e in table.findChildren(QtWidgets.QLineEdit) if e.isVisible()]
    assert len(shown) == 1
    line = shown[0]
    line.selectAll()
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.item(row, col).text() == text)  # the delegate committed


@pytest.fixture
def editor(qtbot):
    e = MatrixEditor(A)
    qtbot.addWidget(e)
    e.show()
    qtbot.waitExposed(e)
    return e


def test_shows_the_default_and_emits_a_good_edit(editor, qtbot):
    assert editor.isVisible() and editor.table.isVisible()
    assert editor.texts() == [["1", "0"], ["0", "1"]]
    assert editor.table.height() >= editor.table.rowHeight(0) * 2
    with qtbot.waitSignal(editor.sigChanged) as blocker:
        type_into_cell(qtbot, editor, 0, 1, "2.5")
    assert blocker.args == [((1.0, 2.5), (0.0, 1.0))]
    assert editor.value() == ((1.0, 2.5), (0.0, 1.0))
    assert not editor.message.isVisible()


def test_a_non_numeric_cell_is_named_and_the_last_good_matrix_kept(editor, qtbot):
    emitted = []
    editor.sigChanged.connect(emitted.append)
    type_into_cell(qtbot, editor, 1, 0, "abc")
    assert not emitted
    assert editor.value() == ((1.0, 0.0), (0.0, 1.0))
    assert editor.message.isVisible()
    assert "entry (2, 1)" in editor.error_text() and "'abc' is not a number" in editor.error_text()
    assert editor.table.item(1, 0).background().color().name() == "#f8c0c0"
    # out of range is refused the same way, naming the entry
    type_into_cell(qtbot, editor, 1, 0, "7")
    assert "entry (2, 1) = 7 is above the maximum 3" in editor.error_text()
    # fixing the cell clears the message and emits
    type_into_cell(qtbot, editor, 1, 0, "-2")
    assert emitted == [((1.0, 0.0), (-2.0, 1.0))]
    assert not editor.message.isVisible()
    assert editor.table.item(1, 0).background().style() == QtCore.Qt.BrushStyle.NoBrush


def test_missing_entries_and_resizing(qtbot):
    e = MatrixEditor(R)
    qtbot.addWidget(e)
    e.show()
    assert e.texts() == [["5", "?"], ["4", "2"]]
    assert math.isnan(e.value()[0][1])
    emitted = []
    e.sigChanged.connect(emitted.append)
    type_into_cell(qtbot, e, 1, 1, "?")
    assert math.isnan(emitted[-1][1][1])
    qtbot.mouseClick(e.buttons["add_row"], QtCore.Qt.MouseButton.LeftButton)
    assert e.table.rowCount() == 3 and len(emitted[-1]) == 3
    assert not e.buttons["add_row"].isEnabled()  # 3 rows is the largest size
    qtbot.mouseClick(e.buttons["add_col"], QtCore.Qt.MouseButton.LeftButton)
    assert e.table.columnCount() == 3 and e.value()[2] == (0.0, 0.0, 0.0)
    qtbot.mouseClick(e.buttons["del_row"], QtCore.Qt.MouseButton.LeftButton)
    assert e.table.rowCount() == 2


def test_in_the_parameter_panel_an_edit_reaches_edited_and_a_refusal_restores(qtbot):
    panel = ParamPanel((Float("x", 1.0, 0.0, 2.0), A), {"x": 1.0, "A": A.default})
    qtbot.addWidget(panel)
    panel.resize(400, 500)
    panel.show()
    qtbot.waitExposed(panel)
    item = next(iter(panel.root.child("A").items))
    editor = item.widget
    assert isinstance(editor, MatrixEditor) and editor.isVisible()
    assert editor.height() > 40
    with qtbot.waitSignal(panel.edited) as blocker:
        type_into_cell(qtbot, editor, 0, 0, "0")
    assert blocker.args == ["A", ((0.0, 0.0), (0.0, 1.0))]
    # the page answers a refused value (say, a singular matrix) by restoring the good one
    panel.set_values({"A": ((2.0, 0.0), (0.0, 1.0))})
    assert editor.texts() == [["2", "0"], ["0", "1"]] and not editor.message.isVisible()
