"""The image gallery family on the real widget: grid, captions, RGB and scalar images."""

import numpy as np
import pytest

from compute.views import Gallery
from panels import create_panel
from panels.gallery import GalleryPanel, gallery_grid
from panels.theme import LIGHT

pytestmark = pytest.mark.gui


def test_scalar_images_in_a_grid_with_captions_and_hover(qtbot):
    view = Gallery("g", "Digits", images="im", labels="lab", columns=3)
    p = create_panel(view, LIGHT)
    assert isinstance(p, GalleryPanel)
    qtbot.addWidget(p)
    p.resize(600, 400)
    p.show()
    qtbot.waitExposed(p)
    images = np.arange(5 * 8 * 8, dtype=float).reshape(5, 8, 8)
    p.update_frame({"im": images, "lab": np.array(list("abcde"))})
    assert p.isVisible() and sum(item.isVisible() for item in p.items) == 5
    assert [c.textItem.toPlainText() for c in p.captions[:5]] == list("abcde")
    assert gallery_grid(5, 3) == (2, 3)
    (x0, x1), (y0, y1) = p.plot.getViewBox().viewRange()
    for cx, cy, w, h in p.cells:
        assert x0 <= cx and cx + w <= x1 and y0 <= cy and cy + h <= y1
    # each image on its own range ("each"): the first image spans its min..max
    assert tuple(p.items[0].levels) == (0.0, 63.0)
    cx, cy, w, h = p.cells[1]
    assert "b [0, 0] = 64" in p.hover_text(cx + 0.01 * w, cy + 0.01 * h)
    p.update_frame({"im": images[:2], "lab": np.array(["x", "y"])})
    assert sum(item.isVisible() for item in p.items) == 2


def test_rgb_images_and_fixed_levels(qtbot):
    view = Gallery("g", "Frames", images="im", levels=(0.0, 1.0))
    p = create_panel(view, LIGHT)
    qtbot.addWidget(p)
    p.show()
    rgb = np.zeros((1, 4, 6, 3))
    rgb[0, :, :, 1] = 1.0  # pure green
    p.update_frame({"im": rgb})
    p.items[0].render()
    pixel = p.items[0].qimage.pixelColor(0, 0)
    assert (pixel.red(), pixel.green(), pixel.blue()) == (0, 255, 0)
    _x0, _y0, w, h = p.cells[0]
    assert w > h  # a 4×6 image keeps its aspect
