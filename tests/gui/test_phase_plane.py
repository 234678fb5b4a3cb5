"""The phase-plane view family on the real widget, offscreen: layers, trajectories, clicks
on the plane (launch) and on a fixed point (its Jacobian), and click-to-launch through the
whole window (panel → page → worker → experiment → next frame)."""

import numpy as np
import pytest
from _clicks import click_at
from pyqtgraph.Qt import QtCore

from compute.views import PhasePlane
from mgai_lab.window import MainWindow
from panels import create_panel
from panels.phase_plane import PhasePlanePanel
from panels.theme import LIGHT

pytestmark = pytest.mark.gui
VIEW = PhasePlane("phase", "phase plane", fixed_points="fp", fixed_kinds="kinds",
                  fixed_info="info", manifolds=("st", "un"))


def make_panel(qtbot, view=VIEW):
    panel = create_panel(view, LIGHT)
    assert isinstance(panel, PhasePlanePanel)
    qtbot.addWidget(panel)
    panel.resize(600, 500)
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def frame(**extra):
    out = {"step": 0, "t": 0.0, "box": np.array([-2.0, 2.0, -2.0, 2.0]),
           "streamlines": np.array([[0.0, 0.0], [0.5, 0.5], [np.nan, np.nan], [1, 1], [1, 2]]),
           "arrows": np.array([[0.0, 0.0, 1.0, 0.0]]),
           "fp": np.array([[-1.0, 0.0], [0.0, 0.0]]),
           "kinds": np.array(["center", "saddle"], dtype=object),
           "info": np.array(["center at (-1, 0)", "saddle at (0, 0)\nJ = [[0, 1], [1, 0]]"],
                            dtype=object),
           "st": np.array([[0.0, 0.0], [1.0, -1.0]]), "un": np.array([[0.0, 0.0], [1.0, 1.0]]),
           "heads": np.array([[1.0, 1.5], [0.5, -0.5]]),
           "trails": np.array([[[0.8, 1.2], [1.0, 1.5]], [[0.4, -0.4], [0.5, -0.5]]]),
           "directions": np.array([1.0, -1.0])}
    out.update(extra)
    return out


def test_layers_heads_and_trails_are_drawn(qtbot):
    panel = make_panel(qtbot)
    panel.update_frame(frame())
    qtbot.wait(20)
    xs, ys = panel.heads.getData()
    np.testing.assert_allclose(np.stack([xs, ys], 1), [[1.0, 1.5], [0.5, -0.5]])
    assert len(panel.fixed.points()) == 2
    assert panel.trail_items[1].opts["pen"].style() == QtCore.Qt.PenStyle.DashLine  # backward
    (x0, x1), (y0, y1) = panel.plot.getViewBox().viewRange()
    assert (x0, x1, y0, y1) == pytest.approx((-2, 2, -2, 2))
    names = [label.text for _, label in panel.legend.item.items]
    assert {"stable manifold", "unstable manifold", "saddle", "center"} <= set(names)


def test_click_on_the_plane_asks_to_launch_there(qtbot):
    panel = make_panel(qtbot)
    panel.update_frame(frame())
    qtbot.wait(50)
    with qtbot.waitSignal(panel.interacted, timeout=2000) as blocker:
        click_at(qtbot, panel, 1.2, -0.8)
    name, (x, y) = blocker.args
    assert name == "launch"
    vb = panel.plot.getViewBox()
    pw, ph = vb.viewPixelSize()
    assert abs(x - 1.2) < 2 * pw and abs(y + 0.8) < 2 * ph


def test_click_on_a_fixed_point_shows_its_jacobian_and_launches_nothing(qtbot):
    panel = make_panel(qtbot)
    panel.update_frame(frame())
    qtbot.wait(50)
    seen = []
    panel.interacted.connect(lambda *a: seen.append(a))
    click_at(qtbot, panel, 0.0, 0.0)
    assert seen == [] and panel.selected == 1
    assert panel.info.isVisible() and "J = [[0, 1], [1, 0]]" in panel.info.toPlainText()
    click_at(qtbot, panel, 0.0, 0.0)  # a second click closes it
    assert panel.selected is None and not panel.info.isVisible()


def test_click_launches_a_trajectory_in_the_running_experiment_within_a_frame(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    try:
        page = win.open_experiment("ch2.damped-harmonic-oscillator")
        qtbot.waitUntil(lambda: page.last_frame is not None, timeout=15_000)
        page.pause()
        qtbot.wait(100)
        panel = page.panels["phase"]
        qtbot.waitUntil(lambda: panel.plot.getViewBox().width() > 50, timeout=5000)
        shown = page.frames_shown
        box = page.last_frame["box"]
        target = (0.4 * box[1], 0.3 * box[3])
        click_at(qtbot, panel, *target)
        # the next frame drawn carries the new pair, without the run having to play
        qtbot.waitUntil(lambda: page.frames_shown > shown
                        and len(page.last_frame["heads"]) == 3, timeout=5000)
        heads = page.last_frame["heads"]
        pw, ph = panel.plot.getViewBox().viewPixelSize()
        assert abs(heads[1, 0] - target[0]) < 2 * pw and abs(heads[1, 1] - target[1]) < 2 * ph
        np.testing.assert_array_equal(heads[1], heads[2])
        assert list(page.last_frame["directions"]) == [1.0, 1.0, -1.0]
        xs, _ = panel.heads.getData()
        assert len(xs) == 3  # drawn
    finally:
        win.shutdown()
