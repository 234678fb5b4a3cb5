"""The layout audit: every registered experiment in the real window, as a lecturer sees it.

For each experiment, in one shared window: open it at 1600x1000, play a few frames, check
what a person sees (docks large enough, every plot showing its data, no title, axis label
or parameter label cut, legends off the data, the message bar visible when set), drive
its transport (live change, reset, single step), then the same checks in presentation mode
on a 1920x1080 screen, and that leaving presentation mode restores the layout exactly.
The displayed frame rate is printed (a figure for people, never an assertion).

An experiment added later passes these checks for free or fails CI.
"""

from __future__ import annotations

import math
import time

import pytest
from pyqtgraph.Qt import QtGui, QtWidgets

import compute
from mgai_lab.settings import Settings
from mgai_lab.window import MainWindow
from panels.base import PlotPanel
from panels.legend import MAX_COVERED
from panels.readout import MOST_HEIGHT_SHARE, ReadoutPanel

pytestmark = pytest.mark.gui
IDS = [info.id for info in compute.catalog()]
TIMEOUT = 20_000
MIN_PLOT = (220, 150)  # smallest useful plot dock at 1600x1000 (width, height)
MIN_SHARE = 0.3  # data span / view span below which the data look lost in the plot
PLAY_SECONDS = 0.4  # played before checking, and the span of the frame-rate figure


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    """One window for the module's experiments (opening a window costs more than a tab)."""
    win = MainWindow(settings=Settings(tmp_path_factory.mktemp("audit") / "settings.json"))
    win.resize(1600, 1000)
    win.show()
    yield win
    win.close()
    win.deleteLater()
    qapp.processEvents()


def settle(qtbot, page, look_ms: int = 60, most_ms: int = 1500) -> None:
    """Let relayouts and repaints finish: wait until the page has no relayout pending and
    what a person sees of its layout is the same at two looks ``look_ms`` apart (a fixed
    300 ms wait cost the audit a second an experiment and was still a guess)."""
    qtbot.wait(look_ms)
    last, waited = seen_layout(page), look_ms
    while waited < most_ms:
        qtbot.wait(look_ms)
        waited += look_ms
        now = seen_layout(page)
        if now == last and not page.layout_pending:
            return
        last = now


def shown_docks(page) -> list[tuple[str, QtWidgets.QDockWidget]]:
    """The view docks a person sees now (not hidden, closed or behind another tab)."""
    return [(dock.objectName().removeprefix("dock:"), dock) for dock in page.shown_view_docks()]


def seen_layout(page) -> dict[str, tuple]:
    """What a person sees of the page's layout: each shown dock's place and size. (Qt's
    saved state also holds the stale size of a dock behind a tab; legends follow the data,
    which move while presenting: test_projector checks them on a paused run.)"""
    return {name: (dock.isVisible(), dock.geometry())
            for name, dock in [*shown_docks(page), ("parameters", page.docks["parameters"]),
                               ("explanation", page.docks["explanation"])]}


def check_dock_sizes(page, minimum: tuple[int, int]) -> list[str]:
    problems = []
    for key, dock in shown_docks(page):
        panel = page.panels[key]
        if isinstance(panel, ReadoutPanel):
            need = panel.height_for_width(panel.width())
            capped = dock.height() >= int(page.height() * MOST_HEIGHT_SHARE) - 2  # scrolls
            if panel.height() < need - 8 and not capped:
                problems.append(f"read-out {key} is {panel.height()} px tall, needs {need}")
        elif dock.width() < minimum[0] or dock.height() < minimum[1]:
            problems.append(f"view {key} dock is {dock.width()}x{dock.height()}, smaller "
                            f"than {minimum[0]}x{minimum[1]}")
    return problems


def _contains(view: tuple[float, float], data: tuple[float, float]) -> bool:
    slack = 1e-6 * max(1.0, abs(view[1] - view[0]))
    return view[0] <= data[0] + slack and data[1] - slack <= view[1]


def check_ranges(page) -> list[str]:
    """Each plot shows all of its data, or the range its view fixes; and the data is not
    lost in a corner (it spans a reasonable share of every axis that follows it)."""
    problems = []
    for key, _ in shown_docks(page):
        panel = page.panels[key]
        if not isinstance(panel, PlotPanel):
            continue
        panel.plot_widget.viewport().repaint()  # (ranges follow the data as they paint)
        vb = panel.plot.getViewBox()
        view = vb.viewRange()
        bounds = vb.childrenBounds()
        fixed = panel.fixed_range()
        shares = []
        for axis, name in ((0, "x"), (1, "y")):
            data = bounds[axis]
            if fixed[axis] is not None:
                if not _contains((view[axis][0] - 1e-9, view[axis][1] + 1e-9),
                                 (min(fixed[axis]), max(fixed[axis]))):
                    problems.append(f"{key}: {name} range {view[axis]} misses the fixed "
                                    f"range {fixed[axis]}")
                continue
            if data is None or not all(map(math.isfinite, data)) or not vb.follows_data(axis):
                continue
            if not _contains(view[axis], data):
                problems.append(f"{key}: {name} range {view[axis]} does not contain its data "
                                f"{tuple(data)}")
            span, used = view[axis][1] - view[axis][0], data[1] - data[0]
            if used > 0 and span > 0:
                shares.append((used / span, name, tuple(data), view[axis]))
        # the data fill each axis that follows them (an equal-aspect view: one of them)
        lacking = [s for s in shares if s[0] < MIN_SHARE]
        if lacking and (not panel.view_locks_aspect() or len(lacking) == len(shares)):
            share, name, data, span = lacking[0]
            problems.append(f"{key}: data {data} use {share:.0%} of the {name} range {span}")
    return problems


def _axis_label_fits(axis) -> bool:
    if not axis.isVisible() or not axis.labelText:
        return True
    text = axis.label.boundingRect().width()
    length = axis.width() if axis.orientation in ("bottom", "top") else axis.height()
    return text <= length + 1


def check_texts(page) -> list[str]:
    """No dock title, axis label or parameter label cut off."""
    problems = []
    for key, dock in shown_docks(page):
        title = dock.titleBarWidget()
        if title is not None and getattr(title, "is_elided", lambda: False)():
            problems.append(f"{key}: dock title {dock.windowTitle()!r} is cut off")
        panel = page.panels[key]
        if isinstance(panel, PlotPanel):
            for name in ("left", "bottom"):
                axis = panel.plot.getAxis(name)
                if not _axis_label_fits(axis):
                    problems.append(f"{key}: {name} axis label {axis.labelText!r} is longer "
                                    f"than the axis")
    if page.docks["parameters"].isVisible():
        tree = page.param_panel.tree
        metrics = QtGui.QFontMetrics(tree.font())
        for i in range(tree.topLevelItemCount()):
            item = tree.topLevelItem(i)
            needed = metrics.horizontalAdvance(item.text(0)) + tree.indentation()
            if needed > tree.columnWidth(0) + 2:
                problems.append(f"parameter label {item.text(0)!r} is cut off")
            widget = tree.itemWidget(item, 1)
            if widget is not None and widget.isVisible() and \
                    widget.width() < widget.minimumSizeHint().width():
                problems.append(f"parameter {item.text(0)!r}: its control is squeezed")
        if tree.horizontalScrollBar().isVisible():
            problems.append("the parameter list scrolls sideways (values cut off)")
    return problems


def check_legends(page) -> list[str]:
    """Legends sit outside the data: in a strip above the plot area, or over at most
    MAX_COVERED of the plotted points."""
    problems = []
    for key, _ in shown_docks(page):
        panel = page.panels[key]
        if not isinstance(panel, PlotPanel) or panel.legend_rect() is None:
            continue
        rect = panel.legend_rect()
        if panel.legend.mode != "corner":  # a strip above or a column beside the plot
            overlap = rect.intersected(panel.plot.getViewBox().sceneBoundingRect())
            if overlap.width() * overlap.height() > 1.0:
                problems.append(f"{key}: the legend covers part of the data area")
        else:
            covered, total = panel.legend.points_under(rect)
            if total and covered > MAX_COVERED * total:
                problems.append(f"{key}: the legend covers {covered} of {total} points")
    return problems


def check_message_bar(page, qtbot) -> list[str]:
    page.report("info", "a message a person must see")
    qtbot.wait(50)
    bar = page.message
    problems = [] if bar.isVisible() and bar.height() > 10 else [
        "the message bar is set but not visible"]
    bar.clear()
    return problems


def audit(page, qtbot, minimum) -> list[str]:
    return (check_dock_sizes(page, minimum) + check_ranges(page) + check_texts(page)
            + check_legends(page) + check_message_bar(page, qtbot))


def frames_reach(qtbot, page, n):
    start = page.frames_shown
    qtbot.waitUntil(lambda: page.frames_shown >= start + n or page.message.level == "info",
                    timeout=TIMEOUT)


def play_for(qtbot, page, seconds: float) -> float:
    """Play ``seconds``; returns the frames shown per second meanwhile."""
    page.play()
    start, shown = time.monotonic(), page.frames_shown
    qtbot.wait(int(seconds * 1000))
    return (page.frames_shown - shown) / (time.monotonic() - start)


@pytest.mark.parametrize("exp_id", IDS)
def test_every_experiment_in_the_window(window, qtbot, exp_id):
    window.appearance.set_presentation(False)
    window.showNormal()
    window.resize(1600, 1000)
    page = window.open_experiment(exp_id)
    assert window.current_page() is page and page.isVisible()
    frames_reach(qtbot, page, 1)  # the first frame is shown paused
    fps = play_for(qtbot, page, PLAY_SECONDS)
    page.pause()
    settle(qtbot, page)
    problems = [f"1600x1000: {p}" for p in audit(page, qtbot, MIN_PLOT)]

    # a live parameter changes the running experiment without a restart
    live = [p for p in page.cls.params if p.live and p.kind in ("float", "int")]
    if live:
        param = live[0]
        target = param.max if page.session.values[param.name] != param.max else param.min
        if not page.session.worker.isRunning():  # the run reached its end meanwhile
            page.reset()
        generation = page.session.generation
        page.param_panel.root.child(param.name).setValue(target)
        page.play()
        qtbot.waitUntil(lambda: page.session.experiment.p[param.name] == target,
                        timeout=TIMEOUT)
        assert page.session.generation == generation
        page.param_panel.root.child(param.name).setValue(param.default)

    # reset starts a new generation; then, paused, exactly one frame per step
    generation = page.session.generation
    page.reset()
    assert page.session.generation == generation + 1
    page.pause()
    qtbot.waitUntil(lambda: page.session.worker.idle, timeout=TIMEOUT)  # no frame in flight
    made = page.session.worker.frames_made
    page.step()
    qtbot.waitUntil(lambda: page.session.worker.frames_made == made + 1, timeout=TIMEOUT)
    qtbot.wait(100)
    assert page.session.worker.frames_made == made + 1

    # presentation mode on a 1920x1080 screen: the plots first, readable
    before = seen_layout(page)
    window.appearance.set_presentation(True)
    qtbot.waitUntil(lambda: window.width() == 1920, timeout=TIMEOUT)
    play_for(qtbot, page, 0.3)
    page.pause()
    settle(qtbot, page)
    font_px = window.appearance.theme.font_pt * 96 / 72
    minimum = (int(16 * font_px), int(9 * font_px))
    problems += [f"presentation: {p}" for p in audit(page, qtbot, minimum)]
    window.appearance.set_presentation(False)
    qtbot.waitUntil(lambda: page._presenting_state is None, timeout=TIMEOUT)
    settle(qtbot, page)
    assert seen_layout(page) == before, "leaving presentation changed the layout"

    print(f"\n{exp_id}: {fps:.1f} fps displayed at 1600x1000 over {PLAY_SECONDS:g} s")
    worker = page.session.worker
    window.close_tab(window.tab_groups.current.indexOf(page))
    assert worker is None or not worker.isRunning()
    assert not problems, "\n".join(problems)
