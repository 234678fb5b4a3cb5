"""The matrices view family on the real widget: values printed, NaN blank, in-place updates."""

import numpy as np
import pytest

from compute.views import Matrices
from panels import create_panel
from panels.matrices import MatricesPanel
from panels.theme import LIGHT, PRESENTATION

pytestmark = pytest.mark.gui

VIEW = Matrices("m", "Worked", matrices=("a", "b", "c"), titles_field="titles", boxes="boxes")


@pytest.fixture
def panel(qtbot):
    p = create_panel(VIEW, LIGHT)
    assert isinstance(p, MatricesPanel)
    qtbot.addWidget(p)
    p.resize(700, 400)
    p.show()
    qtbot.waitExposed(p)
    return p


def frame(c_filled=4):
    c = np.full((2, 2), np.nan)
    c.ravel()[:c_filled] = [1, 2, 3, 4][:c_filled]
    return {"a": np.array([[1.0, -2.0], [3.0, 4.0]]), "b": np.array([5.0, 6.0]), "c": c,
            "titles": np.array(["A", "b", "C"]), "boxes": np.array([[0, 1, 0, 1, 2]])}


def shown_texts(panel):
    return sorted(t.textItem.toPlainText() for t in panel.cell_texts.values() if t.isVisible())


def test_values_titles_and_boxes_are_drawn_inside_the_view(panel):
    panel.update_frame(frame())
    assert panel.isVisible()
    assert [t.textItem.toPlainText() for t in panel.title_items] == ["A", "b", "C"]
    assert shown_texts(panel) == sorted(["1", "-2", "3", "4", "5", "6", "1", "2", "3", "4"])
    assert len(panel.box_items) == 1
    (x0, x1), (y0, y1) = panel.plot.getViewBox().viewRange()
    for k, m in enumerate(panel.mats):
        ox, oy = panel.origins[k]
        assert x0 <= ox and ox + m.shape[1] <= x1 and y0 <= oy and oy + m.shape[0] <= y1
    assert "C[2, 1] = 3" in panel.hover_text(panel.origins[2][0] + 0.5,
                                             panel.origins[2][1] + 1.5)


def test_nan_entries_stay_blank_and_fill_in_without_rebuilding(panel):
    panel.update_frame(frame(c_filled=1))
    texts_before = dict(panel.cell_texts)
    assert shown_texts(panel).count("1") == 2  # a's 1 and c's first entry
    c_cells = [t for (k, _, _), t in panel.cell_texts.items() if k == 2]
    assert sum(t.isVisible() for t in c_cells) == 1
    panel.update_frame(frame(c_filled=3))
    assert panel.cell_texts == texts_before  # same items, new values
    assert sum(t.isVisible() for t in c_cells) == 3
    assert "not computed yet" in panel.hover_text(panel.origins[2][0] + 1.5,
                                                  panel.origins[2][1] + 1.5)


def test_empty_fields_are_left_out_and_the_layout_follows_the_shape(panel, qtbot):
    f = frame()
    f["b"] = np.zeros((0, 0))
    panel.update_frame(f)
    assert panel.mats[1] is None and len(panel.title_items) == 2
    panel.resize(300, 700)  # a tall panel stacks the matrices
    qtbot.wait(50)
    ys = {panel.origins[k][1] for k in (0, 2)}
    assert len(ys) == 2
    panel.apply_theme(PRESENTATION)
    assert len(panel.title_items) == 2
