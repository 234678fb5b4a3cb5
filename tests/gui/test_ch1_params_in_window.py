"""Chapter 1's bad input in the real window: each refusal names the entry and the run keeps
its last good state (a singular matrix where an inverse is needed, a non-numeric cell,
H not dividing d, a rank above the matrix size)."""

import pytest
from pyqtgraph.Qt import QtCore, QtWidgets

from mgai_lab.param_panel import MatrixEditor
from mgai_lab.window import MainWindow

pytestmark = pytest.mark.gui
TIMEOUT = 15_000


@pytest.fixture
def window(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    yield win
    win.shutdown()


def editor_of(page, name) -> MatrixEditor:
    item = next(iter(page.param_panel.root.child(name).items))
    return item.widget


def _open_cell_editor(table):
    shown = [e for e in table.findChildren(QtWidgets.QLineEdit) if e.isVisible()]
    return shown[0] if len(shown) == 1 else None


def type_into_cell(qtbot, editor, row, col, text, kept=True):
    table = editor.table
    table.setCurrentCell(row, col)
    table.editItem(table.item(row, col))
    # the cell's editor is the visible line edit: an earlier cell's closed editor may not
    # have been deleted yet (deleteLater), and typing into it would go nowhere
    qtbot.waitUntil(lambda: _open_cell_editor(table) is not None, timeout=TIMEOUT)
    line = _open_cell_editor(table)
    line.selectAll()
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, QtCore.Qt.Key.Key_Return)
    if kept:  # (a refused value is replaced by the last good one at once)
        qtbot.waitUntil(lambda: table.item(row, col).text() == text, timeout=TIMEOUT)


def test_singular_matrix_is_refused_naming_a_and_the_run_keeps_going(window, qtbot):
    good = [[1.0, 2.0], [-0.5, 1.5]]
    page = window.open_experiment("ch1.linear-maps-2d",
                                  {"map": "custom", "A": good, "inverse": True}, playing=True)
    qtbot.waitUntil(lambda: page.frames_shown >= 3, timeout=TIMEOUT)
    editor = editor_of(page, "A")
    assert editor.isVisible()
    generation = page.session.generation
    type_into_cell(qtbot, editor, 1, 0, "0.75", kept=False)  # [[1, 2], [0.75, 1.5]]: det 0
    qtbot.waitUntil(lambda: page.message.level == "warning", timeout=TIMEOUT)
    text = page.message.text.text()
    assert "'A'" in text and "singular" in text
    assert page.session.values["A"] == ((1.0, 2.0), (-0.5, 1.5))
    assert page.session.experiment.p["A"] == ((1.0, 2.0), (-0.5, 1.5))
    assert editor.texts() == [["1", "2"], ["-0.5", "1.5"]]  # the editor shows the good one
    assert page.session.generation == generation and page.session.playing
    shown = page.frames_shown
    qtbot.waitUntil(lambda: page.frames_shown > shown + 2, timeout=TIMEOUT)


def test_non_numeric_cell_is_named_and_nothing_reaches_the_run(window, qtbot):
    page = window.open_experiment("ch1.mha-ternary-exercise", playing=True)
    qtbot.waitUntil(lambda: page.frames_shown >= 3, timeout=TIMEOUT)
    editor = editor_of(page, "W_K2")
    before = page.session.values["W_K2"]
    type_into_cell(qtbot, editor, 0, 1, "minus one")
    assert "W_K²" in editor.error_text() and "entry (1, 2)" in editor.error_text()
    assert "'minus one' is not a number" in editor.error_text()
    assert page.session.values["W_K2"] == before == page.session.experiment.p["W_K2"]
    type_into_cell(qtbot, editor, 0, 1, "0")  # a good edit goes through (live)
    qtbot.waitUntil(lambda: page.session.experiment.p["W_K2"] == ((1.0, 0.0), (-1.0, 1.0)),
                    timeout=TIMEOUT)
    assert not editor.error_text()


@pytest.mark.parametrize(("exp_id", "start", "name", "value", "fragment"), [
    ("ch1.transformer-next-token", None, "H", 3, "does not divide d = 2"),
    ("ch1.matrix-completion", None, "k", 6, "above min(m, n) = 4"),
    ("ch1.mnist-svd", {"batch": 30}, "k", 40, "above the largest rank 29"),
])
def test_refusals_name_the_parameter_in_the_message_bar(window, qtbot, exp_id, start, name,
                                                          value, fragment):
    page = window.open_experiment(exp_id, start, playing=True)
    qtbot.waitUntil(lambda: page.frames_shown >= 2, timeout=TIMEOUT)
    before = dict(page.session.values)
    page.param_panel.root.child(name).setValue(value)
    qtbot.waitUntil(lambda: page.message.level == "warning", timeout=TIMEOUT)
    assert f"'{name}'" in page.message.text.text() and fragment in page.message.text.text()
    assert page.session.values == before
    assert page.param_panel.root.child(name).value() == before[name]
