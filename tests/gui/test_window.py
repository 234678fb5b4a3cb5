"""The window on the real widgets, offscreen: transport, pending restarts, keys, search,
errors shown in their tab, closing. (Every experiment is opened, played, changed live,
reset, stepped and closed in the window by ``test_layout_audit.py``.)"""

import numpy as np
import pytest
from pyqtgraph.Qt import QtCore

import compute
from compute import Experiment, Float, register, registry
from compute.views import Curves, Series
from mgai_lab import worker as worker_module
from mgai_lab.page import ExperimentPage
from mgai_lab.window import MainWindow

pytestmark = pytest.mark.gui
# one experiment per chapter stands for all in the shell's own tests; every experiment is
# opened, played, driven and closed in the window by the layout audit
PROBE_IDS = [cls.id for cls in registry.representatives(compute.all_experiments())]
TIMEOUT = 15_000


@pytest.fixture
def window(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    yield win
    win.shutdown()


def frames_reach(qtbot, page, n):
    start = page.frames_shown
    qtbot.waitUntil(lambda: page.frames_shown >= start + n, timeout=TIMEOUT)


def test_restart_parameter_is_pending_until_reset(window, qtbot):
    page = window.open_experiment("ch7.langevin-double-well")
    frames_reach(qtbot, page, 1)
    page.param_panel.root.child("n_particles").setValue(123)
    assert page.session.pending == {"n_particles"}
    assert page.param_panel.pending_label.isVisibleTo(page.param_panel)
    assert page.session.experiment.p["n_particles"] == 30  # not applied yet
    page.reset()
    frames_reach(qtbot, page, 1)
    assert page.session.experiment.p["n_particles"] == 123
    assert page.last_frame["x"].shape == (123,)
    assert not page.param_panel.pending_label.isVisibleTo(page.param_panel)


def test_keyboard_transport(window, qtbot):
    page = window.open_experiment("ch7.langevin-double-well")
    frames_reach(qtbot, page, 1)
    window.activateWindow()
    window.tab_groups.current.setFocus()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: page.session.playing)
    frames_reach(qtbot, page, 2)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not page.session.playing)
    generation = page.session.generation
    qtbot.keyClick(window, QtCore.Qt.Key.Key_R)
    assert page.session.generation == generation + 1
    made = page.session.worker.frames_made
    qtbot.keyClick(window, QtCore.Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: page.session.worker.frames_made >= made + 1, timeout=TIMEOUT)


def test_speed_reaches_the_experiment(window, qtbot):
    page = window.open_experiment("ch7.langevin-double-well")
    frames_reach(qtbot, page, 1)
    window.transport.speed.setValue(37)
    page.play()
    frames_reach(qtbot, page, 2)
    qtbot.waitUntil(lambda: page.session.experiment.steps_per_frame == 37, timeout=TIMEOUT)
    first = page.last_frame["step"]
    frames_reach(qtbot, page, 1)
    assert (page.last_frame["step"] - first) % 37 == 0


def test_browser_search_and_open(window, qtbot):
    browser = window.browser
    browser.search.setText("double well")
    visible = [i for i, item in browser.items.items() if not item.isHidden()]
    assert "ch7.langevin-double-well" in visible  # (Chapter 2 has double wells too)
    assert all("double-well" in i for i in visible)
    browser.search.setText("7.3.3")
    assert "ch7.langevin-double-well" in [i for i, it in browser.items.items() if not it.isHidden()]
    browser.search.setText("no such thing")
    assert all(item.isHidden() for item in browser.items.values())
    browser.search.clear()
    with qtbot.waitSignal(browser.open_requested) as blocker:
        browser._activated(browser.items["ch7.langevin-double-well"])
    assert blocker.args == ["ch7.langevin-double-well"]


def test_only_explanations_on_screen_render_their_equations(window, qtbot):
    """Equations cost matplotlib up to ~0.5 s each on the GUI thread: tabs opened in a row
    render theirs once shown, not all at once."""
    pages = [window.open_experiment(i, new_tab=True) for i in PROBE_IDS[:3]]
    qtbot.waitUntil(lambda: pages[-1].explanation.equations_ready, timeout=TIMEOUT)
    assert not any(page.explanation.equations_ready for page in pages[:-1])
    window.tab_groups.current.setCurrentWidget(pages[0])
    qtbot.waitUntil(lambda: pages[0].explanation.equations_ready, timeout=TIMEOUT)


class ExplodingAt(Experiment):
    """A test experiment that raises inside frames() after a few frames."""

    id = "ch0.exploding"
    title = "Exploding test experiment"
    section = "0"
    family = "test"
    summary = "raises after a few frames"
    explanation = "used by the tests"
    params = (Float("when", 3, 0, 100),)
    views = (Curves("c", "c", series=(Series("y"),)),)
    frame_fields = {"y": "(3,) numbers"}

    def frames(self):
        for k in range(10**9):
            if k >= self.p["when"]:
                raise ZeroDivisionError("boom in frames()")
            yield {"step": k, "t": float(k), "y": np.arange(3.0) * k}


def test_error_in_frames_is_shown_and_other_experiments_keep_running(window, qtbot):
    healthy = window.open_experiment("ch7.langevin-double-well", playing=True)
    broken = ExperimentPage(ExplodingAt, device="cpu")
    window.tab_groups.current.addTab(broken, "broken")
    broken.start(playing=True)
    qtbot.waitUntil(lambda: broken.message.level == "error", timeout=TIMEOUT)
    assert "boom in frames()" in broken.message.text.text()
    assert "ZeroDivisionError" in broken.message.details.toPlainText()
    assert not broken.session.playing
    frames_reach(qtbot, healthy, 3)  # the other experiment is unaffected
    broken.close_session()


def test_no_worker_left_after_closing_the_window(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    pages = [win.open_experiment(i, playing=True, new_tab=True) for i in PROBE_IDS]
    workers = [p.session.worker for p in pages]
    # hidden tabs run on at a reduced rate: every worker keeps producing frames
    for worker in workers:
        made = worker.frames_made
        qtbot.waitUntil(lambda w=worker, m=made: w.frames_made > m or not w.isRunning(),
                        timeout=TIMEOUT)
    win.close()
    assert all(w.isFinished() for w in workers)
    assert not worker_module._LIVE_WORKERS


def test_registering_twice_with_another_class_is_refused():
    class Clash(ExplodingAt):
        id = "ch7.langevin-double-well"

    with pytest.raises(ValueError, match="is used by"):
        register(Clash)
