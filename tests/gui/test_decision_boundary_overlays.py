"""The decision-boundary panel's overlays: further probability levels, segments and a
second classifier's boundary, each with its legend entry."""

import numpy as np
import pytest

from compute.views import DecisionBoundary
from panels import create_panel
from panels.theme import LIGHT

pytestmark = pytest.mark.gui


def test_levels_segments_and_reference_are_drawn(qtbot):
    view = DecisionBoundary("d", "Map", levels=(0.25, 0.75), segments="seg",
                            segments_label="slack", reference="ref", reference_label="LR")
    panel = create_panel(view, LIGHT)
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    panel.show()
    qtbot.waitExposed(panel)
    gx = np.linspace(-1, 1, 20)
    prob = np.tile(1 / (1 + np.exp(-3 * gx)), (20, 1))
    seg = np.array([[[0.0, 0.0], [0.5, 0.5]], [[-0.5, 0.2], [-0.2, 0.2]]])
    frame = {"probability": prob, "extent": np.array([-1.0, 1.0, -1.0, 1.0]),
             "points": np.zeros((2, 2)), "labels": np.array([0, 1]), "seg": seg,
             "ref": prob.T}
    panel.update_frame(frame)
    labels = [label.text for _, label in panel.legend.item.items]
    assert labels[:2] == ["LR", "slack"]
    assert all(item.data is not None for item in panel.level_lines)
    assert panel.reference.data is not None
    np.testing.assert_allclose(panel.segments.getData()[0], [0.0, 0.5, -0.5, -0.2])
    # a flat reference map (overlay off) has no boundary to draw
    panel.update_frame({**frame, "ref": np.full((20, 20), 0.5)})
    assert panel.reference.data is None
