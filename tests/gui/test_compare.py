"""A/B compare (issue 15 §2) on the real window: two pages side by side, one transport,
highlighted differences, linked axes, the B − A read-out, and a clean end."""

import math

import pytest
from pyqtgraph.Qt import QtCore

from compute import registry
from compute.experiment import Experiment
from compute.params import Seed
from compute.views import Readout
from mgai_lab.compare_model import PairedRow, StepPairing, differences, scalar_fields, side_title
from mgai_lab.param_panel import HIGHLIGHT_BRUSH
from mgai_lab.settings import Settings
from mgai_lab.window import MainWindow

pytestmark = pytest.mark.gui
OU = "ch7.ou-process"
SMALL = {"n_particles": 200}
TIMEOUT = 15_000


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, shared_cache):
    # the equations of the About pane are rendered once for the module, not in every test
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared_cache))
    win = MainWindow(settings=Settings(tmp_path / "settings.json"))
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    yield win
    win.shutdown()


def compared(window, qtbot, **b_changes):
    """OU opened paused, compared with ``b_changes`` (default: λ = 2), first frames in."""
    a = window.open_experiment(OU, SMALL)
    comparison = window.compare.start(a, {**a.session.values, **(b_changes or {"lam": 2.0})})
    assert comparison is not None
    b = comparison.pages["B"]
    qtbot.waitUntil(lambda: a.last_frame is not None and b.last_frame is not None,
                    timeout=TIMEOUT)
    return comparison, a, b


def row_is_highlighted(page, name):
    items = list(page.param_panel.root.child(name).items)
    return items and all(item.background(0) == HIGHLIGHT_BRUSH for item in items)


def test_compare_side_by_side_linked_transport_axes_and_readout(window, qtbot):
    """One comparison, looked at in turn: the layout and the marks, the linked axes, one
    Play for both, the B − A read-out at a shared step, Step, Reset and speed."""
    comparison, a, b = compared(window, qtbot, lam=3.0)
    groups = window.tab_groups.groups
    assert len(groups) == 2 and window.split_action.isChecked()
    assert a.isVisible() and b.isVisible()
    assert a.width() > 500 and b.width() > 500
    assert a.mapTo(window, QtCore.QPoint(0, 0)).x() != b.mapTo(window, QtCore.QPoint(0, 0)).x()
    assert b.session.values["seed"] == a.session.values["seed"]
    assert b.session.values["lam"] == 3.0 and a.session.values["lam"] == 1.0
    titles = {page: group.tabText(group.indexOf(page)) for group in groups
              for page in (a, b) if group.indexOf(page) >= 0}
    assert titles == {a: "A: λ=1", b: "B: λ=3"}
    for page in (a, b):
        assert page.param_panel.highlighted == {"lam"}
        assert row_is_highlighted(page, "lam") and not row_is_highlighted(page, "D")
    dock, readout = window.compare.dock, window.compare.readout
    assert dock.isVisible() and dock.height() > 60
    assert "λ: 1 → 3" in readout.summary.text()

    # axes: each plot view is linked to its twin; a pan of one moves the other
    qtbot.waitUntil(lambda: comparison.laid_out, timeout=TIMEOUT)  # both in the same layout
    qtbot.wait(50)
    for key in ("particles", "histogram"):
        assert a.docks[key].size() == b.docks[key].size()
    links = comparison.linked_views()
    assert len(links) == sum(1 for p in a.panels.values() if p.plot_items())
    va = a.panels["histogram"].plot.getViewBox()
    vb = b.panels["histogram"].plot.getViewBox()
    assert (va, vb) in links
    va.translateBy(x=0.7, y=0.05)
    for axis in (0, 1):
        assert vb.viewRange()[axis] == pytest.approx(va.viewRange()[axis], rel=1e-6, abs=1e-9)
    vb.scaleBy((0.5, 0.5))
    assert va.viewRange()[0] == pytest.approx(vb.viewRange()[0], rel=1e-6, abs=1e-9)

    # one Play runs both, a second pauses both
    shown = (a.frames_shown, b.frames_shown)
    window.transport.play_action.trigger()
    assert a.session.playing and b.session.playing
    qtbot.waitUntil(lambda: a.frames_shown > shown[0] + 3 and b.frames_shown > shown[1] + 3,
                    timeout=TIMEOUT)
    window.transport.play_action.trigger()
    assert not a.session.playing and not b.session.playing

    # the read-out: B − A of the two pages' frames at the same step
    qtbot.waitUntil(lambda: a.session.worker.idle and b.session.worker.idle, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: a.last_frame["step"] == b.last_frame["step"]
                    and comparison.pairing.latest is not None
                    and comparison.pairing.latest.step == a.last_frame["step"], timeout=TIMEOUT)
    assert readout.isVisible() and readout.table.isVisible() and readout.table.height() > 40
    assert readout.step_label.text() == f"step {a.last_frame['step']:,}"
    fields = scalar_fields(a.last_frame)
    assert "var_stationary" in fields and "step" not in fields
    for name in ("var_stationary", "em_bound", "t"):
        fa, fb = float(a.last_frame[name]), float(b.last_frame[name])
        assert readout.cell(name, "A") == f"{fa:.6g}" and readout.cell(name, "B") == f"{fb:.6g}"
        assert readout.cell(name, "B − A") == f"{fb - fa:.6g}"
    assert float(readout.cell("var_stationary", "B − A")) == pytest.approx(0.5 / 3 - 0.5,
                                                                            rel=1e-5)

    # Step, Reset and the speed act on both
    steps = (a.last_frame["step"], b.last_frame["step"])
    window.transport.step_action.trigger()
    qtbot.waitUntil(lambda: a.last_frame["step"] > steps[0] and b.last_frame["step"] > steps[1],
                    timeout=TIMEOUT)
    generations = (a.session.generation, b.session.generation)
    window.transport.reset_action.trigger()
    assert (a.session.generation, b.session.generation) == (generations[0] + 1,
                                                            generations[1] + 1)
    assert comparison.pairing.latest is None and "waiting" in readout.step_label.text()
    window.transport.speed.setValue(7)
    assert a.session.speed == b.session.speed == 7


@pytest.mark.parametrize("close_first", ["A", "B"])
def test_closing_either_side_ends_the_link_cleanly(window, qtbot, close_first):
    comparison, a, b = compared(window, qtbot)
    links = comparison.linked_views()
    closing, staying = (a, b) if close_first == "A" else (b, a)
    group, index = window.tab_groups.locate(closing)
    window.close_tab(index, group)
    assert window.compare.comparison is None and not window.compare.dock.isVisible()
    assert window.pages() == [staying]
    group, index = window.tab_groups.locate(staying)
    assert group.tabText(index) == staying.cls.title
    assert staying.param_panel.highlighted == set() and not row_is_highlighted(staying, "lam")
    for va, vb in links:
        assert va.linkedView(0) is None and va.linkedView(1) is None
        assert va.companions == [] and vb.companions == []
    assert window.compare.linked(staying) == [staying]
    shown = staying.frames_shown
    window.transport.play_action.trigger()  # acts on the page left, nothing dangling
    qtbot.waitUntil(lambda: staying.frames_shown > shown + 2, timeout=TIMEOUT)
    assert not window.compare.end_action.isEnabled()


def test_the_dialog_refuses_ok_while_nothing_differs(window, qtbot):
    a = window.open_experiment(OU, SMALL)
    dialog = window.compare.ask()
    assert dialog is not None and dialog.isVisible()
    assert dialog.panel.root.child("lam").value() == 1.0
    assert "seed" not in dialog.panel.spec  # B shares A's seed
    qtbot.mouseClick(dialog.ok_button, QtCore.Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.message.isVisible()
    assert "Nothing differs" in dialog.message.text()
    assert window.pages() == [a]
    dialog.panel.root.child("D").setValue(1.5)
    assert dialog.panel.highlighted == {"D"} and not dialog.message.isVisible()
    dialog.panel.root.child("dt").setValue(2.0)  # Euler–Maruyama unstable at λ = 1
    assert dialog.message.isVisible() and "unstable" in dialog.message.text()
    assert dialog.b_values["dt"] == a.session.values["dt"]
    qtbot.mouseClick(dialog.ok_button, QtCore.Qt.MouseButton.LeftButton)
    comparison = window.compare.comparison
    assert comparison is not None and comparison.changed == ["D"]
    b = comparison.pages["B"]
    assert b.session.values["D"] == 1.5 and b.isVisible()
    # End comparison: both tabs stay, unlinked
    assert window.compare.end_action.isEnabled()
    qtbot.mouseClick(window.compare.readout.end_button, QtCore.Qt.MouseButton.LeftButton)
    assert window.compare.comparison is None and set(window.pages()) == {a, b}
    assert not window.compare.dock.isVisible() and a.param_panel.highlighted == set()
    window.tab_groups.show_page(a)
    window.transport.play_action.trigger()
    assert a.session.playing and not b.session.playing


def test_compare_with_nothing_changed_opens_nothing(window, qtbot):
    a = window.open_experiment(OU, SMALL)
    assert window.compare.start(a, dict(a.session.values)) is None
    assert window.pages() == [a] and len(window.tab_groups.groups) == 1
    assert "Nothing differs" in window.statusBar().currentMessage()
    assert window.compare.comparison is None and not window.compare.dock.isVisible()


class SeedOnly(Experiment):
    id = "test.seed-only"
    title = "Seed only"
    section = "0"
    family = "test"
    summary = explanation = "An experiment with nothing to change but its seed."
    params = (Seed(),)
    views = (Readout("readout", "Read-out", lines=(("t", "t", "{:.2f}"),)),)

    def frames(self):
        step = 0
        while True:
            step += 1
            yield {"step": step, "t": float(step)}


def test_an_experiment_without_parameters_cannot_be_compared(window, qtbot, monkeypatch):
    monkeypatch.setitem(registry._REGISTRY, SeedOnly.id, SeedOnly)
    window.open_experiment(SeedOnly.id)
    assert not window.compare.action.isEnabled()
    assert window.compare.ask() is None
    assert "no parameter to change" in window.statusBar().currentMessage()
    window.open_experiment(OU, SMALL)
    assert window.compare.action.isEnabled()


# -- the Qt-free part ------------------------------------------------------------------
def test_pairing_only_compares_frames_at_the_same_step():
    pairing = StepPairing(keep=3)
    assert pairing.add("A", 5, {"x": 1.0}) is None
    assert pairing.add("A", 10, {"x": 2.0}) is None
    pair = pairing.add("B", 5, {"x": 4.0, "y": 1.0})
    assert pair.step == 5 and [(r.field, r.a, r.b, r.diff) for r in pair.rows] == [
        ("x", 1.0, 4.0, 3.0)]
    assert pairing.add("B", 10, {"x": 1.0}).rows[0].diff == -1.0
    assert pairing.add("B", 5, {"x": 9.0}) is None  # older than the latest pair
    pairing.clear("A")
    assert pairing.latest is None and pairing.add("B", 15, {"x": 0.0}) is None
    assert math.isnan(PairedRow("x", math.inf, 1.0).diff)


def test_differences_titles_and_scalar_fields():
    import numpy as np

    cls = registry.get(OU)
    a = cls.spec().resolve({})
    b = {**a, "lam": 0.5, "integrator": "exact"}
    names = differences(cls.params, a, b)
    assert names == ["lam", "integrator"]
    assert side_title("B", cls.params, names, b) == "B: λ=0.5, integrator=exact"
    assert side_title("A", cls.params, [], a) == "A (same parameters)"
    assert len(side_title("A", cls.params, names, a, limit=10)) == 10
    frame = {"step": 3, "t": np.float32(0.5), "n": np.int64(2), "flag": True, "text": "x",
             "arr": np.zeros(3), "zero_d": np.array(1.5)}
    assert scalar_fields(frame) == {"t": 0.5, "n": 2.0, "zero_d": 1.5}


def test_linked_ranges_follow_the_data_of_both_sides(qtbot):
    import numpy as np
    import pyqtgraph as pg

    from panels.base import SteppedViewBox

    va, vb = SteppedViewBox(), SteppedViewBox()
    va.addItem(pg.PlotDataItem(np.array([0.0, 1.0]), np.array([0.0, 1.0])))
    vb.addItem(pg.PlotDataItem(np.array([-3.0, 0.5]), np.array([0.2, 5.0])))
    assert va.data_bounds() == va.childrenBounds()
    va.companions.append(vb)
    (x0, x1), (y0, y1) = va.data_bounds()
    assert (x0, x1) == pytest.approx((-3.0, 1.0)) and (y0, y1) == pytest.approx((0.0, 5.0))


def test_highlighted_rows_are_bold_and_plain_rows_keep_no_font(qtbot):
    from mgai_lab.param_panel import ParamPanel

    cls = registry.get(OU)
    panel = ParamPanel(cls.params, cls.spec().resolve({}))
    qtbot.addWidget(panel)
    panel.show()
    panel.highlight({"lam", "not-a-parameter"})
    assert panel.highlighted == {"lam"}
    (item,) = panel.root.child("lam").items
    assert item.font(0).bold() and item.background(0) == HIGHLIGHT_BRUSH
    panel.highlight(set())
    assert item.data(0, QtCore.Qt.ItemDataRole.FontRole) is None
    assert item.background(0) != HIGHLIGHT_BRUSH
