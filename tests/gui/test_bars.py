"""The bars view family on the real widget: categories, series, exact markers, NaN bars."""

import numpy as np
import pytest
from pyqtgraph.Qt import QtGui

from compute.views import Bars
from panels import create_panel
from panels.bars import BarsPanel
from panels.theme import LIGHT, PRESENTATION

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot):
    view = Bars("b", "Bars", values="v", labels="lab", names="names", reference="ref",
                highlight="best")
    p = create_panel(view, LIGHT)
    assert isinstance(p, BarsPanel)
    qtbot.addWidget(p)
    p.resize(600, 400)
    p.show()
    qtbot.waitExposed(p)
    return p


def heights(item):
    return np.asarray(item.opts["height"], dtype=float)


def test_one_bar_item_per_series_with_category_ticks_and_visible_range(panel):
    frame = {"v": np.array([[1.0, 2.0, 3.0], [0.5, 1.5, 2.5]]),
             "lab": np.array(["a", "b", "c"]), "names": np.array(["s1", "s2"]),
             "ref": np.array([1.0, 2.0, 3.0]), "best": 2}
    panel.update_frame(frame)
    assert panel.isVisible() and len(panel.bar_items) == 2
    np.testing.assert_allclose(heights(panel.bar_items[0]), [1, 2, 3])
    ticks = [t for _, t in panel.plot.getAxis("bottom")._tickLevels[0]]
    assert ticks == ["a", "b", "c"]
    (x0, x1), (y0, y1) = panel.plot.getViewBox().viewRange()
    assert x0 < -0.3 and x1 > 2.3 and y0 <= 0 and y1 >= 3  # every bar inside the view
    _xs, ys = panel.reference.getData()
    np.testing.assert_allclose(ys, [1, 2, 3])  # the exact markers
    assert len([t for t in panel.texts if t.isVisible()]) == 6
    assert "c" in panel.hover_text(2.0, 1.0) and "s2 = 2.5" in panel.hover_text(2.0, 1.0)


def test_nan_bars_are_empty_and_the_highlight_is_coloured(qtbot):
    view = Bars("b", "P", values="p", highlight="best", yrange=(0.0, 1.0))
    p = create_panel(view, PRESENTATION)
    qtbot.addWidget(p)
    p.show()
    p.update_frame({"p": np.array([0.2, np.nan, 0.8]), "best": 2})
    np.testing.assert_allclose(heights(p.bar_items[0]), [0.2, 0.0, 0.8])
    brushes = p.bar_items[0].opts["brushes"]
    assert brushes[2].color().name() != brushes[0].color().name()  # the marked category
    (_, _), (y0, y1) = p.plot.getViewBox().viewRange()
    assert y0 < 0.0 + 0.05 and y1 > 0.99  # a probability axis fixed to [0, 1]
    assert p.legend is None  # nothing to explain: no empty legend box


def test_log_axis_leaves_out_non_positive_values(qtbot):
    view = Bars("b", "S", values="s", logy=True)
    p = create_panel(view, LIGHT)
    qtbot.addWidget(p)
    p.update_frame({"s": np.array([100.0, 10.0, 0.0])})
    h = heights(p.bar_items[0])
    assert h[0] > h[1] > 0 and h[2] == 0  # log10 heights above the floor; 0 left out


def test_masked_categories_are_greyed(qtbot):
    """Tokens a top-k or top-p filter removed stay on the axis, drawn grey."""
    view = Bars("b", "B", values="v", labels="c", mask="m")
    panel = create_panel(view)
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    panel.show()
    p = np.array([0.4, 0.3, 0.2, 0.1])
    panel.update_frame({"v": p, "c": np.array(list("abcd")), "m": np.arange(4) >= 2})
    colors = [b.color().name(QtGui.QColor.NameFormat.HexArgb)
              for b in panel.bar_items[0].opts["brushes"]]
    assert colors[0] == colors[1] and colors[2] == colors[3] and colors[0] != colors[2]
    assert panel.isVisible()
