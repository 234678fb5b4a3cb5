"""What the rendered grid (``render --theme presentation``) shows at 1920x1080, as a person
sees it: read-outs with all their lines, tick labels that do not run together.

Chapter 3's review found a read-out that scrolled (ch3.optimizer-zoo), one showing 2 of
its 4 lines (ch3.momentum-phase-portrait) and a spectra plot whose log-axis labels ran
together (ch3.sparse-projection-inference).
"""

from __future__ import annotations

import numpy as np
import pytest
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from compute.views import Curves, Readout, Series
from mgai_lab import api
from panels import create_panel
from panels.grid import PanelGrid
from panels.readout import MOST_HEIGHT_SHARE, ReadoutPanel
from panels.theme import PRESENTATION

pytestmark = pytest.mark.gui
SCREEN = (1920, 1080)


def rendered_grid(qtbot, qapp, views, frame, size=SCREEN) -> PanelGrid:
    """The grid as :func:`mgai_lab.render.render_frame` draws it: shown off screen, fed
    the frame, one pass of the event loop before the picture is taken."""
    grid = PanelGrid(views, PRESENTATION)
    qtbot.addWidget(grid)
    grid.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    grid.resize(*size)
    grid.show()
    grid.update_frame(frame)
    qapp.processEvents()
    return grid


def readout_of(grid: PanelGrid) -> ReadoutPanel:
    return next(p for p in grid.panels if isinstance(p, ReadoutPanel))


def assert_every_line_shown(panel: ReadoutPanel) -> None:
    """The whole table is inside the read-out's visible area: nothing to scroll to."""
    scroll = panel.findChild(QtWidgets.QScrollArea)
    table = panel.label.sizeHint()
    assert table.height() <= scroll.viewport().height(), (
        f"the table needs {table.height()} px, {scroll.viewport().height()} px are shown")
    assert not scroll.verticalScrollBar().isVisible()
    assert panel.label.text().count("<tr>") * panel.columns >= len(panel.view.lines)


FIVE_PLOTS = tuple(Curves(f"c{i}", f"plot {i}", series=(Series("y", x="x"),), xlabel="x",
                          ylabel="y") for i in range(5))
PLOT_FRAME = {"x": np.arange(50.0), "y": np.sin(np.arange(50.0) / 5)}


@pytest.mark.parametrize("value_chars", [8, 90])  # values in 2×2 (short) or 4×1 (long)
def test_a_rendered_read_out_under_five_plots_shows_all_four_lines(qtbot, qapp, value_chars):
    readout = Readout("numbers", "Numbers", lines=tuple(
        (f"v{i}", f"quantity number {i}", "{}") for i in range(4)))
    frame = {**PLOT_FRAME, **{f"v{i}": "x" * value_chars for i in range(4)}}
    grid = rendered_grid(qtbot, qapp, (*FIVE_PLOTS, readout), frame)
    panel = readout_of(grid)
    assert_every_line_shown(panel)
    if value_chars > 50:
        assert panel.columns == 1  # (four rows: the case that showed two of them)
    plots = [p for p in grid.panels if p is not panel]
    assert min(p.height() for p in plots) > 150  # the plots share what is left
    assert grid.size() == QtCore.QSize(*SCREEN)


def test_an_unusually_long_read_out_scrolls_instead_of_crowding_out_the_plots(qtbot, qapp):
    readout = Readout("numbers", "Numbers", lines=tuple(
        (f"v{i}", f"quantity number {i}", "{}") for i in range(40)))
    frame = {**PLOT_FRAME, **{f"v{i}": "y" * 90 for i in range(40)}}
    grid = rendered_grid(qtbot, qapp, (*FIVE_PLOTS, readout), frame)
    cell = next(c for c in grid.cells if c.panel is readout_of(grid))
    assert grid.size() == QtCore.QSize(*SCREEN)  # (not raised to fit the table)
    assert cell.height() <= MOST_HEIGHT_SHARE * SCREEN[1] + 1
    assert min(c.height() for c in grid.cells if c is not cell) > 150


@pytest.mark.parametrize("exp_id", ["ch3.optimizer-zoo", "ch3.momentum-phase-portrait",
                                    "ch3.sparse-projection-inference"])
def test_chapter_3_read_outs_show_every_line_when_rendered_for_a_projector(qtbot, qapp,
                                                                           exp_id):
    experiment = api.prepare(exp_id)
    frame = api.run_experiment(experiment, 60, keep="last").last  # (as reviewed)
    grid = rendered_grid(qtbot, qapp, type(experiment).views, frame)
    assert_every_line_shown(readout_of(grid))


def test_a_read_out_takes_fewer_columns_when_its_values_grow_long(qtbot):
    """Columns were fitted to the table before the first frame: long values arriving
    later kept them, and the table ran past the panel's width."""
    view = Readout("r", "numbers", lines=tuple((f"v{i}", f"label {i}", "{}")
                                               for i in range(4)))
    panel = ReadoutPanel(view, PRESENTATION)
    qtbot.addWidget(panel)
    panel.resize(1200, 200)
    panel.show()
    panel.update_frame({f"v{i}": 1 for i in range(4)})
    qtbot.wait(150)
    wide = panel.columns
    panel.update_frame({f"v{i}": "a long value " * 4 for i in range(4)})
    qtbot.wait(150)
    assert panel.columns < wide
    assert panel.label.sizeHint().width() <= panel.width()


# -- log-axis tick labels -------------------------------------------------------------------
def tick_label_rects(panel, axis_name: str) -> list[QtCore.QRectF]:
    """Where the axis draws its tick labels (the rectangles of the non-empty ones)."""
    axis = panel.plot.getAxis(axis_name)
    image = QtGui.QImage(10, 10, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [rect for rect, _, text in texts if text]


def log_plot(qtbot, height: int, lo: float, hi: float):
    view = Curves("s", "spectrum", series=(Series("sigma", x="i"),), xlabel="i",
                  ylabel="σᵢ", logy=True, logx=True)
    panel = create_panel(view, PRESENTATION)
    qtbot.addWidget(panel)
    panel.resize(900, height)
    panel.show()
    qtbot.waitExposed(panel)
    i = np.arange(1.0, 65.0)
    panel.update_frame({"i": i, "sigma": np.geomspace(hi, lo, i.size)})
    qtbot.wait(50)
    return panel


@pytest.mark.parametrize(("lo", "hi"), [(1.2, 9.5), (0.05, 0.5), (1e-10, 10.0)])
@pytest.mark.parametrize("height", [180, 260, 600])
def test_log_axis_tick_labels_never_run_together(qtbot, lo, hi, height):
    """Sub-decade ranges (every minor tick a label candidate) and many decades, on plots
    as short as a presentation grid's cells and taller: labels apart, at least two."""
    panel = log_plot(qtbot, height, lo, hi)
    for axis_name in ("left", "bottom"):
        rects = tick_label_rects(panel, axis_name)
        assert len(rects) >= 2, f"{axis_name}: fewer than two tick labels"
        for k, rect in enumerate(rects):
            assert not any(rect.intersects(other) for other in rects[k + 1:]), (
                f"{axis_name} tick labels overlap on a {height} px plot")


def test_a_taller_log_plot_labels_more_of_its_minor_ticks(qtbot):
    """Labels are dropped only for want of room."""
    short, tall = (len(tick_label_rects(log_plot(qtbot, h, 1.2, 9.5), "left"))
                   for h in (180, 600))
    assert tall > short


# -- the window's read-out strip -------------------------------------------------------------
def test_the_window_strip_grows_when_long_values_add_rows_to_its_read_out(window, qtbot):
    """ch3.optimizer-zoo's contraction line arrives long after the strip was sized for
    the short first values: the table takes one column and four rows, and the strip
    grows to show them all (at 1600x1000, as a lecturer opens it)."""
    window.resize(1600, 1000)
    page = window.open_experiment("ch3.optimizer-zoo", playing=True)
    qtbot.waitUntil(lambda: page.frames_shown >= 30 and page._sized, timeout=20_000)
    page.pause()
    qtbot.wait(400)  # (the first layout, then the strip's growth, after the show)
    panel = page.panels["race"]
    assert panel.rows() == 4
    assert_every_line_shown(panel)
