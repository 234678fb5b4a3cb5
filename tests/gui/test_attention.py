"""The attention view family on the real widget, offscreen: heat maps, head view, hover."""

import numpy as np
import pytest
from pyqtgraph.Qt import QtCore

from compute.views import Attention
from panels import create_panel
from panels.attention import OPACITY_BINS, TEXT_MARGIN_PX, AttentionPanel, head_grid
from panels.theme import LIGHT, PRESENTATION

pytestmark = pytest.mark.gui


def softmax_rows(scores):
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def frame_of(H=2, n=3, m=4, filled=None, seed=0):
    rng = np.random.default_rng(seed)
    w = softmax_rows(rng.normal(size=(H, n, m)) * 2)
    if filled is not None:
        w[:, filled:] = np.nan  # rows not computed yet
    return {
        "alpha": w,
        "queries": np.array([f"q{i}" for i in range(n)]),
        "keys": np.array([f"k{j}" for j in range(m)]),
        "heads": np.array([f"head {h + 1}" for h in range(H)]),
    }


VIEW = Attention("att", "Attention", weights="alpha", query_labels="queries",
                 key_labels="keys", head_labels="heads")


@pytest.fixture
def panel(qtbot):
    p = create_panel(VIEW, LIGHT)
    assert isinstance(p, AttentionPanel)
    qtbot.addWidget(p)
    p.resize(700, 450)
    p.show()
    qtbot.waitExposed(p)
    return p


def test_heatmaps_one_per_head_share_one_colour_scale(panel):
    frame = frame_of(H=3, n=3, m=4)
    panel.update_frame(frame)
    assert panel.isVisible() and panel.plot_widget.isVisible()
    assert len(panel.images) == 3
    assert {tuple(im.levels) for im in panel.images} == {(0.0, 1.0)}
    assert panel.colorbar.isVisible()
    # every head's map is inside the visible range
    (x0, x1), (y0, y1) = panel.plot.getViewBox().viewRange()
    for image in panel.images:
        rect = image.mapRectToView(image.boundingRect())
        assert x0 <= rect.left() and rect.right() <= x1
        assert y0 <= rect.top() and rect.bottom() <= y1
    # the weights are printed in the (small) maps, and token labels sit on both axes
    assert len(panel.cell_texts) == 3 * 3 * 4
    bottom = [label for _, label in panel.plot.getAxis("bottom")._tickLevels[0]]
    left = [label for _, label in panel.plot.getAxis("left")._tickLevels[0]]
    assert bottom[:4] == ["k0", "k1", "k2", "k3"] and left == ["q0", "q1", "q2"]
    assert [t.textItem.toPlainText() for t in panel.head_titles] == ["head 1", "head 2",
                                                                      "head 3"]


def test_without_fixed_levels_the_scale_is_shared_from_the_largest_weight(qtbot):
    view = Attention("att", "Attention", weights="alpha", levels=None)
    p = create_panel(view, LIGHT)
    qtbot.addWidget(p)
    frame = frame_of(H=2)
    p.update_frame(frame)
    top = float(np.nanmax(frame["alpha"]))
    assert {tuple(im.levels) for im in p.images} == {(0.0, top)}


def test_rows_fill_in_and_nan_rows_are_drawn_empty(panel):
    panel.update_frame(frame_of(H=2, n=3, m=4, filled=1))
    shown = [t for t in panel.cell_texts if t.isVisible()]
    assert len(shown) == 2 * 1 * 4  # only the computed row is printed
    image = panel.images[0]
    image.render()
    qimage = image.qimage
    assert QtCore.Qt.GlobalColor  # (Qt loaded)
    assert (qimage.pixel(0, 0) >> 24) & 0xFF == 255  # computed row: opaque
    assert (qimage.pixel(0, 2) >> 24) & 0xFF == 0  # NaN row: transparent
    panel.update_frame(frame_of(H=2, n=3, m=4, filled=3))
    assert sum(t.isVisible() for t in panel.cell_texts) == 2 * 3 * 4


def test_hover_names_head_query_key_and_the_weight(panel):
    frame = frame_of(H=2, n=3, m=4, filled=2)
    panel.update_frame(frame)
    x0, y0 = panel.block_origin(1)
    text = panel.hover_text(x0 + 2.5, y0 + 1.5)
    value = frame["alpha"][1, 1, 2]
    assert "head 2" in text and "q1" in text and "k2" in text and f"{value:.5g}" in text
    assert "not computed yet" in panel.hover_text(x0 + 0.5, y0 + 2.5)
    emitted = []
    panel.hovered.connect(emitted.append)
    vb = panel.plot.getViewBox()
    scene_pos = vb.mapViewToScene(QtCore.QPointF(x0 + 2.5, y0 + 1.5))
    panel._on_mouse_moved(scene_pos)
    assert emitted and "k2" in emitted[-1]


def test_head_view_lines_have_opacity_of_the_weight_and_a_colour_per_head(panel, qtbot):
    frame = frame_of(H=2, n=3, m=4)
    panel.update_frame(frame)
    panel.mode_box.setCurrentIndex(1)  # the toggle a user clicks
    assert panel.mode == "lines"
    assert not panel.images and panel.line_items and not panel.colorbar.isVisible()
    colors = {}
    for item in panel.line_items:
        pen = item.opts["pen"]
        c = pen.color()
        colors.setdefault((c.red(), c.green(), c.blue()), []).append(c.alpha())
    assert len(colors) == 2  # one colour per head
    # the opacity levels match the weights binned into OPACITY_BINS
    w = frame["alpha"]
    expected = {int(255 * (min(int(v * OPACITY_BINS), OPACITY_BINS - 1) + 0.5) / OPACITY_BINS)
                for v in w.ravel() if v > 0.5 / OPACITY_BINS}
    assert set().union(*map(set, colors.values())) == expected
    # the segments join query rows to key rows: total segments = weights above the floor
    segments = sum(len(item.xData) // 2 for item in panel.line_items)
    assert segments == int((w > 0.5 / OPACITY_BINS).sum())
    labels = [t.textItem.toPlainText() for t in panel.token_texts]
    assert labels == ["q0", "q1", "q2", "k0", "k1", "k2", "k3"]
    panel.set_mode("heatmap")
    assert panel.mode_box.currentIndex() == 0 and len(panel.images) == 2


def test_general_shapes_layout_and_theme(qtbot):
    view = Attention("att", "Attention", weights="alpha", mode="lines")
    p = create_panel(view, PRESENTATION)
    qtbot.addWidget(p)
    p.resize(800, 600)
    p.show()
    frame = frame_of(H=5, n=6, m=9)
    p.update_frame({"alpha": frame["alpha"]})  # no labels: numbered
    assert p.mode == "lines" and p.queries[0] == "query 1" and p.keys[-1] == "key 9"
    p.set_mode("heatmap")
    assert head_grid(5) == (2, 3) and len(p.images) == 5
    assert not p.cell_texts  # 270 cells: too many to print
    p.update_frame({"alpha": frame["alpha"][0]})  # a single (n, m) map
    assert len(p.images) == 1
    p.apply_theme(LIGHT)
    assert len(p.images) == 1
    assert p.plot.titleLabel.text in ("", None) or not p.plot.titleLabel.isVisible()


def test_a_short_view_in_presentation_type_keeps_titles_and_values_readable(qtbot):
    """Four heads of 5×5 in a short presentation cell (the tiny transformer's, 1920×1080):
    the head titles sit in a band of their own above each row of maps, the printed
    weights appear only once cells are taller than the text, the query ticks thin out."""
    panel = create_panel(VIEW, PRESENTATION)
    qtbot.addWidget(panel)
    panel.resize(900, 230)
    panel.show()
    qtbot.waitExposed(panel)
    panel.update_frame(frame_of(H=4, n=5, m=5))
    qtbot.wait(20)

    def scene_rect(item):
        return item.mapRectToScene(item.boundingRect())

    maps = [scene_rect(image) for image in panel.images]
    titles = [scene_rect(title.textItem) for title in panel.head_titles]
    visible = panel.plot.getViewBox().sceneBoundingRect()
    assert len(titles) == 4 and all(t.isVisible() for t in panel.head_titles)
    for title in titles:  # (the text's margin may touch the map below it)
        assert visible.contains(title)
        text = title.adjusted(0, TEXT_MARGIN_PX, 0, -TEXT_MARGIN_PX)
        assert not any(text.intersects(m) for m in maps)
    assert not any(text.isVisible() for text in panel.cell_texts)
    assert len(panel.plot.getAxis("left")._tickLevels[0]) < 10  # 10 queries: some skipped

    panel.resize(900, 700)  # tall enough: every weight printed, every query named
    qtbot.waitUntil(lambda: sum(t.isVisible() for t in panel.cell_texts) == 4 * 5 * 5)
    assert len(panel.plot.getAxis("left")._tickLevels[0]) == 10
