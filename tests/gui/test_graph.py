"""The Graph view family on the real widget, offscreen: nodes, colours, edges, clicks."""

import numpy as np
import pytest
from _clicks import click_at

from compute.views import Graph
from panels import create_panel
from panels.graph import GraphPanel, edge_geometry
from panels.theme import LIGHT, PRESENTATION

pytestmark = pytest.mark.gui

SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])


def make_panel(qtbot, view, theme=LIGHT):
    panel = create_panel(view, theme)
    assert isinstance(panel, GraphPanel)
    qtbot.addWidget(panel)
    panel.resize(600, 500)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def frame(**extra):
    out = {"step": 0, "t": 0.0, "positions": SQUARE,
           "edges": np.array([[0, 1], [1, 2], [2, 3], [3, 0]])}
    out.update(extra)
    return out


def test_nodes_sit_at_their_positions_coloured_by_value(qtbot):
    panel = make_panel(qtbot, Graph("g", "graph", values="x", labels="names"))
    values = np.array([-1.0, 0.0, 0.5, 2.0])
    panel.update_frame(frame(x=values, names=np.array(["a", "b", "c", "d"])))
    qtbot.wait(20)
    xs, ys = panel.nodes.getData()
    np.testing.assert_allclose(np.stack([xs, ys], 1), SQUARE)
    brushes = [p.brush().color().name() for p in panel.nodes.points()]
    cmap = panel.colormap
    assert brushes[0] == cmap.map(0.0, mode="qcolor").name()  # lowest value: bottom of the map
    assert brushes[3] == cmap.map(1.0, mode="qcolor").name()  # highest: top
    assert panel.colorbar.levels() == (-1.0, 2.0)
    # every node inside the visible range, the drawing filling most of it
    (x0, x1), (y0, y1) = panel.plot.getViewBox().viewRange()
    assert x0 < 0 and x1 > 1 and y0 < 0 and y1 > 1
    assert max(x1 - x0, y1 - y0) < 3.0
    shown = [item for item in panel.node_labels if item.isVisible()]
    assert len(shown) == 4 and "a" in shown[0].toPlainText()
    assert panel.isVisible() and panel.plot_widget.width() > 100


def test_fixed_levels_and_classes(qtbot):
    panel = make_panel(qtbot, Graph("g", "graph", values="x", levels=(0.0, 10.0)))
    panel.update_frame(frame(x=np.array([0.0, 5.0, 10.0, 20.0])))
    assert panel.colorbar.levels() == (0.0, 10.0)
    brushes = [p.brush().color().name() for p in panel.nodes.points()]
    assert brushes[3] == brushes[2]  # clipped at the top level
    classed = make_panel(qtbot, Graph("c", "classes", classes="k"))
    classed.update_frame(frame(k=np.array([0, 1, 0, 2])))
    colors = [p.brush().color().name() for p in classed.nodes.points()]
    assert colors[0] == colors[2] == LIGHT.color(0).lower()
    assert colors[1] == LIGHT.color(1).lower() and colors[3] == LIGHT.color(2).lower()


def test_weights_set_the_band_and_zero_weight_edges_vanish(qtbot):
    panel = make_panel(qtbot, Graph("g", "graph", weights="w"))
    panel.update_frame(frame(w=np.array([1.0, 0.1, 0.0, 0.6])))
    drawn = [np.isfinite(item.getData()[0]).sum() // 2 if item.getData()[0] is not None else 0
             for item in panel.band_items]
    assert drawn == [1, 0, 1, 1]  # 0.1 lowest band, 0.6 third band, 1.0 top band, 0 not drawn
    widths = [item.opts["pen"].widthF() for item in panel.band_items
              if item.getData()[0] is not None and len(item.getData()[0])]
    assert widths == sorted(widths)


def test_directed_edges_have_heads_and_reverse_pairs_separate():
    pos = np.array([[0.0, 0.0], [1.0, 0.0]])
    lines, _, heads = edge_geometry(pos, np.array([[0, 1], [1, 0], [1, 1]]), True, 1.0)
    assert np.isfinite(heads[:2]).all() and not np.isfinite(heads[2]).any()
    # the two opposite arrows are parallel, on opposite sides of the axis
    assert lines[0, 0, 1] * lines[1, 0, 1] < 0
    # head tips at 65% along each edge
    assert heads[0, 1, 0] == pytest.approx(0.65) and heads[1, 1, 0] == pytest.approx(0.35)
    # the self-loop is a closed circle through its node
    loop = lines[2][np.isfinite(lines[2]).all(axis=1)]
    assert np.allclose(loop[0], loop[-1])
    assert np.min(np.hypot(*(loop - pos[1]).T)) < 1e-9


def test_highlighted_node_and_edges_are_drawn_in_the_highlight_colour(qtbot):
    view = Graph("g", "graph", highlight_node="k", highlight_edges="active", highlight_color="c",
                 directed=True)
    panel = make_panel(qtbot, view, PRESENTATION)
    panel.update_frame(frame(k=2, active=np.array([False, True, False, False]), c="#00A0A0"))
    xs, ys = panel.ring.getData()
    assert (xs[0], ys[0]) == (1.0, 1.0)
    x, y = panel.active_item.getData()
    pts = np.stack([x, y], 1)[np.isfinite(x)]
    assert pts[:, 0].min() > 0.9  # only the edge 1 → 2 (x = 1, shifted right of travel)
    assert panel.active_item.opts["pen"].color().name() == "#00a0a0"
    panel.update_frame(frame(k=-1, active=np.zeros(4, bool), c=""))
    assert len(panel.ring.getData()[0]) == 0
    assert len(panel.active_item.getData()[0] or []) == 0


def test_clicking_two_nodes_asks_to_toggle_their_edge(qtbot):
    panel = make_panel(qtbot, Graph("g", "graph", editable=True))
    panel.update_frame(frame())
    qtbot.wait(50)
    with qtbot.waitSignal(panel.interacted, timeout=2000) as blocker:
        click_at(qtbot, panel, 0.0, 0.0)
        assert panel.selected == 0 and len(panel.selection.getData()[0]) == 1
        click_at(qtbot, panel, 1.0, 1.0)
    assert blocker.args == ["toggle_edge", (0, 2)]
    assert panel.selected is None
    # a click on empty space clears a selection and emits nothing
    click_at(qtbot, panel, 0.0, 0.0)
    click_at(qtbot, panel, 0.5, 0.5)
    assert panel.selected is None


def test_a_graph_that_is_not_editable_ignores_clicks(qtbot):
    panel = make_panel(qtbot, Graph("g", "graph"))
    panel.update_frame(frame())
    qtbot.wait(50)
    seen = []
    panel.interacted.connect(lambda *a: seen.append(a))
    click_at(qtbot, panel, 0.0, 0.0)
    click_at(qtbot, panel, 1.0, 0.0)
    assert seen == [] and panel.selected is None


def test_large_graph_draws_quickly_without_labels(qtbot):
    import time

    n = 200
    ang = 2 * np.pi * np.arange(n) / n
    pos = np.stack([np.cos(ang), np.sin(ang)], 1)
    i, j = np.triu_indices(n, 1)
    edges = np.stack([i, j], 1)
    panel = make_panel(qtbot, Graph("g", "graph", values="x", labels="names"))
    f = {"positions": pos, "edges": edges, "x": np.arange(n, dtype=float),
         "names": np.array([str(k) for k in range(n)])}
    panel.update_frame(f)
    start = time.perf_counter()
    panel.update_frame(dict(f, x=np.arange(n, dtype=float)[::-1].copy()))
    assert time.perf_counter() - start < 2.0  # generous: a shared CPU; typically ~0.1 s
    assert not any(item.isVisible() for item in panel.node_labels)
