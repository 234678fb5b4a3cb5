"""The heatmap's path overlay: one legend entry per named path, or one for a whole fan."""

import numpy as np
import pytest

from compute.views import Heatmap
from panels import create_panel
from panels.theme import LIGHT

pytestmark = pytest.mark.gui


def make(qtbot, **kwargs):
    view = Heatmap("h", "Heat", field="img", paths="paths", **kwargs)
    panel = create_panel(view, LIGHT)
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def frame(k):
    t = np.linspace(0, 1, 5)
    paths = np.stack([np.stack([t, t * i], 1) for i in range(k)])
    return {"img": np.zeros((3, 4)), "paths": paths}


def test_a_fan_of_paths_has_one_pen_and_one_legend_entry(qtbot):
    panel = make(qtbot, path_label="trajectories")
    panel.update_frame(frame(7))
    assert len(panel.path_items) == 7
    labels = [label.text for _, label in panel.legend.item.items]
    assert labels == ["trajectories"]
    colors = {item.opts["pen"].color().name() for item in panel.path_items}
    assert len(colors) == 1
    np.testing.assert_allclose(panel.path_items[3].getData()[1], np.linspace(0, 3, 5))


def test_named_paths_keep_one_entry_and_colour_each(qtbot):
    panel = make(qtbot)
    panel.update_frame(frame(3))
    labels = [label.text for _, label in panel.legend.item.items]
    assert labels == ["path 0", "path 1", "path 2"]
    assert len({item.opts["pen"].color().name() for item in panel.path_items}) == 3


def test_regions_are_filled_polygons_with_one_entry_each(qtbot):
    view = Heatmap("h", "Heat", field="img", regions="regions", region_names="region_names")
    panel = create_panel(view, LIGHT)
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    panel.show()
    qtbot.waitExposed(panel)
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], dtype=float)
    segment = np.vstack([[[2, 0], [0, 2]], np.full((3, 2), np.nan)])
    f = {"img": np.zeros((3, 4)), "regions": np.stack([square, segment]),
         "region_names": np.array(["C", "simplex"])}
    panel.update_frame(f)
    assert [label.text for _, label in panel.legend.item.items] == ["C", "simplex"]
    assert [item.opts["fillLevel"] for item in panel.region_items] == ["enclosed"] * 2
    np.testing.assert_allclose(panel.region_items[1].getData()[0], [2, 0])  # NaN rows dropped
    # the set changes live: no region at all (PGD removed) leaves no entry behind
    panel.update_frame({**f, "regions": np.empty((0, 2, 2)), "region_names": np.array([])})
    assert panel.region_items == [] and not panel.legend.item.items
