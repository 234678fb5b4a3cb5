"""A fan of curves with classes: one legend entry per class when the series names them."""

import numpy as np
import pytest

from compute.views import Curves, Series
from panels import create_panel
from panels.theme import LIGHT

pytestmark = pytest.mark.gui


def test_fan_classes_get_their_labels(qtbot):
    view = Curves("c", "Fan", series=(Series("y", x="x", style="fan", classes="cls",
                                             class_labels=("on", "off")),))
    panel = create_panel(view, LIGHT)
    qtbot.addWidget(panel)
    panel.resize(600, 400)
    panel.show()
    qtbot.waitExposed(panel)
    y = np.arange(12.0).reshape(4, 3)
    panel.update_frame({"x": np.arange(3.0), "y": y, "cls": np.array([0, 1, 0, 1])})
    assert [label.text for _, label in panel.legend.item.items] == ["on", "off"]
