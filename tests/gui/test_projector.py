"""What a lecturer sees on the projector: one test per defect of the projector review.

Each test looks at the real widgets as a person would (visible, sized, ranged, readable),
not only at the text they were given.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from compute.views import Curves, Particles, Series
from mgai_lab.settings import Settings
from mgai_lab.window import MainWindow, layout_version
from panels import DARK, LIGHT, PRESENTATION, create_panel
from panels.legend import MAX_COVERED, PlotLegend
from panels.readout import NOT_A_NUMBER, ReadoutPanel

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]
LANGEVIN, SGM, UTURN = "ch7.langevin-double-well", "ch9.sgm9", "ch9.uturn"
TIMEOUT = 20_000


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(settings=Settings(tmp_path / "settings.json"))
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    yield win
    win.shutdown()


def running(window, qtbot, exp_id, frames=3, **values):
    page = window.open_experiment(exp_id, values or None, playing=True)
    qtbot.waitUntil(lambda: page.frames_shown >= frames, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: page._sized and page.isVisible(), timeout=TIMEOUT)
    qtbot.wait(400)  # the first layout is applied after the page is shown
    return page


def shown_panel(qtbot, view, frame):
    panel = create_panel(view, LIGHT)
    qtbot.addWidget(panel)
    panel.resize(500, 350)
    panel.show()
    panel.update_frame(frame)
    qtbot.wait(50)
    return panel


# -- 1. axes keep their values through a restyle ------------------------------------------
def test_a_restyle_during_a_run_keeps_axis_values_unscaled(qtbot):
    """A theme change while the range is below 1 froze the SI prefix at milli: a fraction
    of 0.4–0.7 read 400–700, with no unit shown."""
    view = Curves("c", "fraction", series=(Series("f", x="t"),), ylabel="fraction")
    t = np.linspace(0.0, 0.9, 50)
    panel = shown_panel(qtbot, view, {"t": t, "f": 0.4 + 0.3 * t / t[-1]})
    for theme in (PRESENTATION, DARK, LIGHT):
        panel.apply_theme(theme)
        for name in ("left", "bottom"):
            axis = panel.plot.getAxis(name)
            assert axis.autoSIPrefixScale == 1.0 and axis.labelUnitPrefix == ""
            assert axis.tickStrings([0.5], axis.autoSIPrefixScale, 0.1) == ["0.5"]


# -- 2. the message bar is seen --------------------------------------------------------------
def test_a_message_is_visible_on_the_page(window, qtbot):
    page = running(window, qtbot, LANGEVIN, frames=1)
    assert not page.message.isVisible()
    page.report("warning", "Preset refused: D: must be at most 2")
    assert page.message.isVisible() and page.message.height() > 10
    assert page.message.text.isVisible()
    page.message.close_button.click()
    assert not page.message.isVisible()


# -- 3. presentation mode: plots first, everything on screen, layout back after ----------
def test_presentation_fits_the_screen_and_leaving_restores_the_layout(window, qtbot):
    page = running(window, qtbot, SGM)
    before = {k: d.geometry() for k, d in page.docks.items() if d.isVisible()}
    legend = page.panels["particles"].legend_rect()
    window.appearance.set_presentation(True)
    qtbot.waitUntil(lambda: window.width() == 1920, timeout=TIMEOUT)
    qtbot.wait(400)
    assert not page.docks["parameters"].isVisible()
    assert not page.docks["explanation"].isVisible()
    screen = QtCore.QRect(0, 0, 1920, 1080)
    shown = page.shown_view_docks()
    assert page.docks["particles"] in shown
    for dock in shown:
        top_left = dock.mapTo(window, QtCore.QPoint(0, 0))
        assert screen.contains(QtCore.QRect(top_left, dock.size())), dock.objectName()
    window.appearance.toggle_side_panes()  # F6 brings the parameters back
    qtbot.waitUntil(lambda: page.docks["parameters"].isVisible(), timeout=TIMEOUT)
    window.appearance.set_presentation(False)
    qtbot.waitUntil(lambda: page._presenting_state is None, timeout=TIMEOUT)
    qtbot.wait(200)
    after = {k: d.geometry() for k, d in page.docks.items() if d.isVisible()}
    assert after == before
    assert page.panels["particles"].legend_rect() == legend


def test_quitting_while_presenting_remembers_the_normal_layout(window, qtbot):
    """The next session opens the layout presentation mode would have restored, with the
    side panes, not the presentation layout."""
    page = running(window, qtbot, LANGEVIN)
    page.pause()
    normal = bytes(page.saveState(layout_version(LANGEVIN)))
    app_font = QtGui.QFont(QtWidgets.QApplication.font())
    window.appearance.set_presentation(True)
    qtbot.waitUntil(lambda: window.width() == 1920, timeout=TIMEOUT)
    qtbot.wait(400)
    assert not page.docks["parameters"].isVisible()
    assert QtWidgets.QApplication.font().pointSizeF() > app_font.pointSizeF()
    window.shutdown()
    assert window.settings.layout(LANGEVIN) == normal
    # the process's font is given back: later windows are not in presentation type
    assert QtWidgets.QApplication.font() == app_font


# -- 4. views follow their data --------------------------------------------------------------
def test_a_plot_ranges_to_its_data_and_keeps_still_while_it_fits(qtbot):
    view = Particles("p", "cloud", x="x", y="y")
    rng = np.random.default_rng(0)
    cloud = rng.normal([40.0, -3.0], [20.0, 2.0], size=(2000, 2))
    panel = shown_panel(qtbot, view, {"x": cloud[:, 0], "y": cloud[:, 1]})
    vb = panel.plot.getViewBox()
    (x0, x1), (y0, y1) = vb.viewRange()
    assert x0 <= cloud[:, 0].min() and cloud[:, 0].max() <= x1
    assert y0 <= cloud[:, 1].min() and cloud[:, 1].max() <= y1
    assert np.ptp(cloud[:, 0]) / (x1 - x0) > 0.6  # filled, not a blob in a corner
    moved = cloud + 0.5  # a small move stays inside: the axes keep still
    panel.update_frame({"x": moved[:, 0], "y": moved[:, 1]})
    qtbot.wait(20)
    assert vb.viewRange() == [[x0, x1], [y0, y1]]


# -- 5. legends beside the data, no second title ---------------------------------------------
def test_legends_sit_off_the_data_and_plots_carry_no_title(qtbot):
    view = Curves("c", "two curves", series=(Series("a", label="exact"),
                                             Series("b", label="simulated")))
    x = np.linspace(0, 1, 200)
    panel = shown_panel(qtbot, view, {"a": np.sin(6 * x), "b": np.cos(6 * x)})
    assert not panel.plot.titleLabel.isVisible()
    legend = panel.legend_rect()
    assert legend is not None and legend.height() > 5
    assert not legend.intersects(panel.plot.getViewBox().sceneBoundingRect())


def test_a_series_not_computed_yet_is_an_empty_curve_without_warnings(qtbot, recwarn):
    """All-NaN dots (a quantity not measured yet) draw nothing, and warn of nothing."""
    view = Curves("c", "timings", series=(Series("a", x="n", style="dots", label="measured"),
                                          Series("b", x="n", label="fit")))
    n = np.arange(1.0, 6.0)
    panel = shown_panel(qtbot, view, {"n": n, "a": np.full(5, np.nan), "b": n**2})
    qtbot.wait(20)
    dots, fit = (items[0] for items in panel.lines)
    assert dots.xData is None or len(dots.xData) == 0
    assert len(fit.xData) == 5 and panel.plot.getViewBox().viewRange()[1][1] >= 25
    panel.update_frame({"n": n, "a": n**2 + 1, "b": n**2})  # measured later: drawn
    assert len(dots.xData) == 5
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_histogram_in_step_mode_counts_its_bins_under_a_legend(qtbot):
    """Step-mode curves hold one more edge than counts: the corner search must pair them."""
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    counts = np.ones(60)
    widget.getPlotItem().addItem(pg.PlotDataItem(np.linspace(0, 1, 61), counts,
                                                 stepMode="center"))
    widget.getPlotItem().getViewBox().setRange(xRange=(0, 1), yRange=(0, 2), padding=0)
    qtbot.wait(20)
    legend = PlotLegend(widget.getPlotItem())
    covered, total = legend.points_under(widget.getPlotItem().getViewBox().sceneBoundingRect())
    assert covered == total == len(counts)


def test_a_legend_keeps_its_size_through_relayouts(qtbot):
    """Re-laying a legend out (every resize, every new entry) must not widen it."""
    view = Curves("c", "two curves", series=(Series("a", label="simulated"),
                                             Series("b", label="exact density of the bridge")))
    x = np.linspace(0, 1, 50)
    panel = shown_panel(qtbot, view, {"a": x, "b": 2 * x})
    first = panel.legend_rect().size()
    for _ in range(6):
        panel.fit_legend()
        qtbot.wait(20)
    assert panel.legend_rect().size() == first


def test_a_corner_legend_is_one_column_over_an_empty_corner(qtbot):
    """When the strip would take too much height the legend sits in the emptiest corner,
    one entry per row (two columns had spread it over the data; the layout audit counts
    the points it covers in the real window)."""
    view = Curves("c", "three curves", series=tuple(
        Series(k, label=f"curve {k}: a longer label") for k in "abc"))
    x = np.linspace(0, 1, 60)
    # curves hugging the lower left: the top right stays empty once the view has ranged
    # to the data (straight lines from corner to corner left too little room there)
    frame = {k: (1 - i / 10) * (1 - x) ** 3 for i, k in enumerate("abc")}
    panel = create_panel(view, LIGHT)
    qtbot.addWidget(panel)
    panel.resize(395, 200)
    panel.show()
    panel.update_frame(frame)
    qtbot.wait(100)
    legend = panel.legend
    assert legend.mode == "corner" and legend.columns == 1
    assert legend.rect().width() < 0.6 * panel.plot.getViewBox().sceneBoundingRect().width()
    covered, total = legend.points_under(legend.rect())
    assert covered <= MAX_COVERED * total


def test_a_corner_legend_moves_when_the_view_reranges_under_it(qtbot):
    """Views re-range as they paint, after the frame that placed the legend: a corner that
    was empty in the old range but holds data in the new one is left (it hid 9 of 34
    points of ch3.momentum-phase-portrait's distance plot in the layout audit)."""
    view = Curves("c", "three curves", series=tuple(
        Series(k, label=f"curve {k}: a longer label") for k in "abc"))
    panel = create_panel(view, LIGHT)
    qtbot.addWidget(panel)
    panel.resize(395, 200)
    panel.show()
    x = np.linspace(0, 1, 60)
    panel.update_frame({k: (1 - i / 10) * (1 - x) ** 3 for i, k in enumerate("abc")})
    qtbot.wait(100)
    legend = panel.legend
    assert legend.mode == "corner"
    # the same curves mirrored: the corner the legend sits in fills with points
    panel.update_frame({k: (1 - i / 10) * x ** 3 + 5 for i, k in enumerate("abc")})
    qtbot.wait(100)
    covered, total = legend.points_under(legend.rect())
    assert covered <= MAX_COVERED * total, (legend.mode, legend.corner)


# -- 6. the main view gets the room, read-outs the height of their lines ---------------------
def test_the_main_view_is_the_largest_and_read_outs_are_low(window, qtbot):
    page = running(window, qtbot, UTURN)
    areas = {d.objectName(): d.width() * d.height() for d in page.shown_view_docks()
             if d is not page.docks["readout"]}
    assert max(areas, key=areas.get) == "dock:particles"
    readout = page.panels["readout"]
    assert readout.height() >= readout.height_for_width(readout.width()) - 8
    assert page.docks["readout"].height() < 0.3 * page.height()


# -- 8. views a parameter makes meaningless are hidden ----------------------------------------
def test_the_training_loss_is_hidden_unless_a_network_is_trained(window, qtbot):
    page = running(window, qtbot, SGM)
    assert not page.docks["loss"].isVisible()
    assert page.docks["particles"].isVisible()
    assert page.cls.hidden_views({**page.session.values, "score": "network"}) == frozenset()


# -- 9. text: equations fit, NaN reads "—", the browser follows the tab ------------------------
def test_equations_fit_the_explanation_pane(window, qtbot):
    page = running(window, qtbot, LANGEVIN, frames=1)
    pane = page.explanation
    pane.render_equations()
    pane.resize(260, pane.height())
    qtbot.wait(50)
    room = pane.viewport().width()
    html = pane.toHtml()
    widths = [int(part.split('"')[0]) for part in html.split('width="')[1:]]
    assert widths and max(widths) <= room


def test_an_equation_that_cannot_render_is_shown_as_its_source(qtbot, capsys):
    """A mathtext error names the equation on stderr; the pane shows the source text."""
    from compute import registry
    from mgai_lab.explanation import ExplanationPane

    good = registry.get(LANGEVIN)
    broken = type("Broken", (good,), {"equations": (r"$\begin{pmatrix} a \end{pmatrix}$",
                                                    *good.equations)})
    pane = ExplanationPane(broken)
    qtbot.addWidget(pane)
    pane.resize(400, 500)
    pane.show()
    pane.render_equations()
    qtbot.wait(50)
    assert pane.isVisible() and pane.equations_ready
    assert "begin{pmatrix}" in pane.toPlainText()
    assert "equation 0 of ch7.langevin-double-well failed to render" in capsys.readouterr().err


def test_a_nan_read_out_shows_a_dash_with_the_reason(qtbot):
    from compute.views import Readout

    panel = ReadoutPanel(Readout("r", "numbers", lines=(("a", "rate", "{:.3f}"),
                                                         ("b", "count", "{:d}"))), LIGHT)
    qtbot.addWidget(panel)
    panel.show()
    panel.update_frame({"a": float("nan"), "b": 3})
    qtbot.wait(150)  # (the table is laid out at most ten times a second)
    assert "nan" not in panel.label.text().lower() and NOT_A_NUMBER in panel.label.text()
    assert "rate" in panel.label.toolTip()


def test_the_browser_highlights_the_current_tab(window, qtbot):
    first = running(window, qtbot, LANGEVIN, frames=1)
    running(window, qtbot, SGM, frames=1)
    window.tab_groups.current.setCurrentWidget(first)
    item = window.browser.tree.currentItem()
    assert item is not None and item.data(0, QtCore.Qt.ItemDataRole.UserRole) == LANGEVIN


# -- 10. recording and export ----------------------------------------------------------------
def run_cli(*args: str, stdout=subprocess.PIPE) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "mgai_lab", *args], cwd=ROOT, env=env,
                          stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=300)


def test_a_rendered_video_has_exactly_the_size_asked_for(tmp_path):
    import imageio.v2 as imageio

    out = tmp_path / "v.mp4"
    result = run_cli("render", LANGEVIN, "--frames", "3", "--size", "1200x900", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert imageio.get_reader(out).get_data(0).shape == (900, 1200, 3)


def test_rendering_into_a_missing_folder_is_refused(tmp_path):
    out = tmp_path / "no" / "such" / "folder" / "v.png"
    result = run_cli("render", LANGEVIN, "--frames", "2", "--out", str(out))
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert not (tmp_path / "no").exists()


def test_listing_into_a_closed_pipe_ends_quietly():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "mgai_lab", "list", "--json"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader (`| head`) is gone before the lab writes
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and b"Traceback" not in err


def test_exporting_all_views_shows_the_views_only(window, qtbot, tmp_path):
    page = running(window, qtbot, LANGEVIN)
    png = window.exports.image_to(tmp_path / "all.png")
    image = QtGui.QImage(str(png))
    docks = page.shown_view_docks()
    left = min(d.mapTo(window, QtCore.QPoint(0, 0)).x() for d in docks)
    right = max(d.mapTo(window, QtCore.QPoint(d.width(), 0)).x() for d in docks)
    assert image.width() == right - left  # no parameters or explanation beside them
    assert image.width() < page.width()
    svg = window.exports.image_to(tmp_path / "all.svg").read_text(encoding="utf-8")
    for dock in docks:
        assert dock.windowTitle() in svg  # each view named, as in the window


# -- 11. typed input gets an answer ----------------------------------------------------------
@pytest.mark.parametrize(("typed", "reason"), [("abc", "not a number"),
                                               ("99", "outside the range")])
def test_typed_values_that_are_not_taken_say_why(window, qtbot, typed, reason):
    page = running(window, qtbot, LANGEVIN, frames=1)
    item = page.param_panel.root.child("D").items
    spin = next(iter(item)).spin
    before = page.session.values["D"]
    spin.lineEdit().setText(typed)
    spin.editingFinishedEvent()
    assert page.message.isVisible() and reason in page.message.text.text()
    assert "D" in page.message.text.text()
    assert page.session.values["D"] == before and spin.value() == before


def test_a_refused_preset_save_does_not_say_saved(window, qtbot, tmp_path):
    page = running(window, qtbot, LANGEVIN, frames=1)
    target = tmp_path / "p.json"
    assert window.presets.save_to(target) == target
    window.statusBar().clearMessage()
    assert window.presets.save_to(target) is None
    assert "saved" not in window.statusBar().currentMessage()
    assert page.message.isVisible() and "not overwritten" in page.message.text.text()
