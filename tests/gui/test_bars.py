"""The bars view family on the real widget: grouped bars, the exact law, masked categories."""

import numpy as np
import pytest

from compute.views import Bars
from panels import create_panel

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot):
    view = Bars("b", "B", values="v", categories="c", names="n", reference="r", mask="m",
                highlight="h", yrange=(0.0, 1.0))
    widget = create_panel(view)
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def frame(k=2, m=8):
    p = np.array([0.4, 0.2, 0.15, 0.1, 0.06, 0.04, 0.03, 0.02])[:m]
    return {"step": 1, "t": 0.0, "v": np.vstack([p] * k),
            "c": np.array([f"w{i}" for i in range(m)]),
            "n": np.array(["original", "transformed"][:k]), "r": p, "m": np.arange(m) >= 5,
            "h": 0}


def test_groups_sit_side_by_side_within_each_category(panel):
    panel.update_frame(frame())
    assert len(panel.groups) == 2 and panel.isVisible()
    x0 = panel.groups[0].opts["x"]
    x1 = panel.groups[1].opts["x"]
    assert np.all(x1 > x0) and np.all(x1 - x0 < 0.5)
    np.testing.assert_allclose(panel.groups[0].opts["height"], frame()["v"][0])
    # the exact law: one segment across each category, at its value
    xs, ys = panel.reference.getData()
    assert len(xs) == 16 and np.allclose(ys[::2], frame()["r"])
    # ticks carry the category names; the probability axis is fixed to [0, 1]
    ticks = panel.plot.getAxis("bottom")._tickLevels[0]
    assert [t[1] for t in ticks] == [f"w{i}" for i in range(8)]
    lo, hi = panel.plot.getViewBox().viewRange()[1]
    assert lo <= 0.0 and 1.0 <= hi < 1.1


def test_masked_categories_are_greyed_and_the_group_count_can_change(panel):
    panel.update_frame(frame())
    brushes = panel.groups[0].opts["brushes"]
    colors = [b.color().name() for b in brushes]
    assert len(set(colors[:5])) == 1 and colors[5] != colors[0]
    panel.update_frame(frame(k=1, m=5))
    assert len(panel.groups) == 1
    assert [t[1] for t in panel.plot.getAxis("bottom")._tickLevels[0]] == \
        [f"w{i}" for i in range(5)]
