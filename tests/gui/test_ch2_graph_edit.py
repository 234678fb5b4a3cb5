"""Chapter 2's editable graphs in the real window: clicking two nodes of the consensus graph
toggles their edge; the run keeps its state and flows on with the new Laplacian."""

import numpy as np
import pytest
from pyqtgraph.Qt import QtCore

from mgai_lab.window import MainWindow

pytestmark = pytest.mark.gui
TIMEOUT = 15_000


@pytest.fixture
def window(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    yield win
    win.shutdown()


def click_node(qtbot, panel, k):
    x, y = panel.positions[k]
    scene = panel.plot.getViewBox().mapViewToScene(QtCore.QPointF(float(x), float(y)))
    point = panel.plot_widget.mapFromScene(scene)
    qtbot.mouseClick(panel.plot_widget.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=point)


def test_clicking_two_nodes_adds_the_edge_and_the_flow_goes_on(window, qtbot):
    page = window.open_experiment("ch2.graph-consensus-ring", {"T": 100.0}, playing=True)
    qtbot.waitUntil(lambda: page.frames_shown >= 3, timeout=TIMEOUT)
    panel = page.panels["graph"]
    generation = page.session.generation
    click_node(qtbot, panel, 0)
    click_node(qtbot, panel, 2)  # a chord of the ring C₅
    qtbot.waitUntil(lambda: page.session.values["graph"] == "custom", timeout=TIMEOUT)
    A = np.array(page.session.values["A"])
    assert A[0, 2] == A[2, 0] == 1.0 and A.sum() == 12  # five ring edges and the chord
    qtbot.waitUntil(lambda: page.session.experiment.p["graph"] == "custom", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: page.last_frame is not None
                    and len(page.last_frame["edges"]) == 6, timeout=TIMEOUT)
    assert page.session.generation == generation  # no restart: the state was kept
    assert page.last_frame["t"] > 0
    # clicking the same pair again removes the chord
    click_node(qtbot, panel, 2)
    click_node(qtbot, panel, 0)
    qtbot.waitUntil(lambda: np.array(page.session.values["A"]).sum() == 10, timeout=TIMEOUT)


def test_a_graph_too_large_to_edit_says_so(window, qtbot):
    page = window.open_experiment("ch2.graph-consensus-ring", {"n": 30}, playing=False)
    qtbot.waitUntil(lambda: page.last_frame is not None, timeout=TIMEOUT)
    panel = page.panels["graph"]
    qtbot.wait(100)
    click_node(qtbot, panel, 0)
    click_node(qtbot, panel, 1)
    qtbot.waitUntil(lambda: page.message.level == "warning", timeout=TIMEOUT)
    assert "16" in page.message.text.text() and page.session.values["graph"] == "ring"
