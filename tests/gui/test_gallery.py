"""The image gallery family on the real widget: grid, captions, RGB and scalar images."""

import numpy as np
import pytest
from pyqtgraph.Qt import QtCore

from compute.views import Gallery
from panels import create_panel
from panels.base import MIN_LABEL_SCALE
from panels.gallery import GalleryPanel, gallery_grid
from panels.theme import LIGHT, PRESENTATION

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


def shown_captions(panel: GalleryPanel) -> list:
    return [c for c in panel.captions if c.isVisible() and c.textItem.toPlainText()]


def scene_rect(item) -> QtCore.QRectF:
    return item.mapRectToScene(item.boundingRect())


def shown_gallery(qtbot, title: str, columns: int, theme, size: tuple[int, int]) -> GalleryPanel:
    """A gallery panel of ``size`` on screen, images in field "im", captions in "lab"."""
    panel = create_panel(Gallery("g", title, images="im", labels="lab", columns=columns), theme)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def caption_rects_apart_and_visible(panel: GalleryPanel) -> list[QtCore.QRectF]:
    """The shown captions' scene rectangles, checked inside the view and apart."""
    visible = panel.plot.getViewBox().sceneBoundingRect()
    captions = [scene_rect(c.textItem) for c in shown_captions(panel)]
    for i, rect in enumerate(captions):
        assert visible.contains(rect)
        assert not any(rect.intersects(other) for other in captions[i + 1:])
    return captions


@pytest.mark.parametrize("size", [(953, 286), (700, 330), (1800, 300)])
def test_captions_in_presentation_type_stay_apart_inside_the_view(qtbot, size):
    """Two rows of six images captioned in presentation type, as ch3's sparse projection
    shows them in a grid cell: no caption runs into another or into an image, none is cut
    by the view's edge (under the title above it), a caption that fits keeps its size and
    a long one shrinks no further than the axis labels do (it wraps instead)."""
    panel = shown_gallery(qtbot, "What the compressed layer sees", 6, PRESENTATION, size)
    labels = [f"digit {d}" for d in range(6)] + ["(after training)"] * 6
    panel.update_frame({"im": np.random.default_rng(0).random((12, 8, 8)),
                        "lab": np.array(labels)})
    qtbot.wait(20)
    captions = caption_rects_apart_and_visible(panel)
    images = [scene_rect(item) for item in panel.items[:12]]
    assert len(captions) == 12
    for rect in captions:
        assert not any(rect.intersects(image) for image in images)
    sizes = [c.textItem.font().pointSizeF() for c in shown_captions(panel)]
    assert sizes[:6] == [PRESENTATION.font_pt] * 6  # "digit k" fits: kept in full size
    assert min(sizes) >= PRESENTATION.font_pt * MIN_LABEL_SCALE - 0.01


def test_captions_follow_a_resize(qtbot):
    """Shrinking the view re-lays the gallery out: the captions still stay apart."""
    panel = shown_gallery(qtbot, "Digits", 4, PRESENTATION, (1200, 500))
    panel.update_frame({"im": np.ones((8, 8, 8)), "lab": np.array(["reconstruction"] * 8)})
    panel.resize(520, 360)
    qtbot.waitUntil(lambda: panel.plot.getViewBox().width() < 600)
    qtbot.wait(20)
    assert len(caption_rects_apart_and_visible(panel)) == 8


def test_captions_are_fitted_again_after_a_theme_change(qtbot):
    """Entering presentation mode doubles the type: the captions are fitted anew (the
    layout is kept between frames only while captions and size stay the same)."""
    panel = shown_gallery(qtbot, "Digits", 6, LIGHT, (953, 286))
    frame = {"im": np.ones((12, 8, 8)), "lab": np.array(["(after training)"] * 12)}
    panel.update_frame(frame)
    panel.apply_theme(PRESENTATION)
    panel.update_frame(frame)
    qtbot.wait(20)
    assert len(caption_rects_apart_and_visible(panel)) == 12
