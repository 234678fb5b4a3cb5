"""The particle view family on the real widget: points below the density threshold, a
density image above it or when the context menu asks for it, for 2D clouds and for
particles sitting on a potential curve."""

import numpy as np
import pytest

from compute.views import Particles
from panels import create_panel
from panels.particles import DRAW_MODES

pytestmark = pytest.mark.gui


def shown(qtbot, view, frame):
    panel = create_panel(view)
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    panel.show()
    qtbot.waitExposed(panel)
    draw(qtbot, panel, frame)
    return panel


def draw(qtbot, panel, frame):
    """Show a frame and paint it (after the view box has auto-ranged on it)."""
    panel.update_frame(frame)
    panel.plot.getViewBox().updateAutoRange()  # pyqtgraph does it lazily before a paint
    qtbot.wait(30)
    panel.plot_widget.viewport().repaint()


def painted_pixels(panel):
    """Pixels of the plot area that differ from the background."""
    image = panel.plot_widget.grab().toImage()
    arr = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(
        image.height(), image.bytesPerLine())[:, : 4 * image.width()].reshape(
        image.height(), image.width(), 4)
    return int(np.count_nonzero(np.any(arr[..., :3] < 200, axis=-1)))


def cloud_2d(n, seed=0):
    rng = np.random.default_rng(seed)
    return {"step": 1, "t": 0.0, "x": rng.standard_normal(n), "y": rng.standard_normal(n)}


def test_small_clouds_are_points_large_ones_a_density_image(qtbot):
    view = Particles("p", "P", x="x", y="y", density_threshold=5000)
    panel = shown(qtbot, view, cloud_2d(2000))
    assert panel.isVisible() and panel.cloud.mode == "auto"
    assert not panel.cloud.drew_density
    draw(qtbot, panel, cloud_2d(50_000))
    assert panel.cloud.drew_density
    # the data fill the view: the cloud's bounds sit inside the visible range, which is
    # not much larger than them
    (x0, x1), (y0, y1) = panel.plot.getViewBox().viewRange()
    b = panel.cloud.boundingRect()
    assert x0 <= b.left() and b.right() <= x1 and x1 - x0 < 1.5 * b.width()
    assert y0 <= b.top() and b.bottom() <= y1 and y1 - y0 < 1.5 * b.height()
    assert painted_pixels(panel) > 5000


def test_the_context_menu_switches_between_points_and_density(qtbot):
    view = Particles("p", "P", x="x", y="y")
    panel = shown(qtbot, view, cloud_2d(3000))
    assert set(panel.mode_actions) == set(DRAW_MODES)
    panel.mode_actions["density"].trigger()
    panel.plot_widget.viewport().repaint()
    assert panel.cloud.mode == "density" and panel.cloud.drew_density
    assert panel.mode_actions["density"].isChecked()
    panel.mode_actions["points"].trigger()
    draw(qtbot, panel, cloud_2d(100_000, seed=1))
    assert panel.cloud.mode == "points" and not panel.cloud.drew_density
    assert not panel.mode_actions["density"].isChecked()


def test_particles_on_a_curve_become_a_density_band_along_it(qtbot):
    grid = np.linspace(-2.5, 2.5, 400)
    U = 0.25 * (grid**2 - 1) ** 2
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(-1, 0.3, 500_000), rng.normal(1, 0.3, 500_000)])
    frame = {"step": 1, "t": 0.0, "x": x.astype(np.float32), "grid": grid, "U": U}
    view = Particles("p", "P", x="x", curve=("grid", "U"), on_curve=True, xrange=(-2.5, 2.5))
    panel = shown(qtbot, view, frame)
    assert panel.cloud.drew_density
    assert panel.cloud._curve is not None and panel.cloud._y.size == 0  # no per-particle y
    assert painted_pixels(panel) > 2000
    # below the threshold the particles are markers lifted above the curve again
    draw(qtbot, panel, {**frame, "x": x[:1000]})
    assert not panel.cloud.drew_density and panel.cloud._y.size == 1000


def test_density_band_paints_a_million_particles_in_a_display_frame(qtbot):
    """Not a timing assertion (bench/langevin_scale.py measures that): the band path does
    no per-particle Python work, so one paint of 10⁶ particles is well under a second."""
    import time

    grid = np.linspace(-2.5, 2.5, 400)
    x = np.random.default_rng(3).normal(0, 1, 1_000_000).astype(np.float32)
    view = Particles("p", "P", x="x", curve=("grid", "U"), on_curve=True)
    panel = shown(qtbot, view, {"step": 1, "t": 0.0, "x": x, "grid": grid, "U": grid**2})
    start = time.perf_counter()
    panel.update_frame({"step": 2, "t": 0.0, "x": x[::-1].copy(), "grid": grid, "U": grid**2})
    panel.plot_widget.viewport().repaint()
    assert time.perf_counter() - start < 1.0
    assert panel.cloud.drew_density


def test_binned_particles_draw_the_same_band_as_their_positions(qtbot):
    """A frame carrying the positions already binned (the view's ``density`` fields) draws
    the band from the bins: the pixel columns hold the same counts as binning x, up to the
    particles of the fine bins cut by a column edge (shared in proportion)."""
    grid = np.linspace(-2.5, 2.5, 400)
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(-1, 0.3, 60_000), rng.normal(1, 0.3, 40_000)])
    edges = np.linspace(-7.5, 7.5, 6001)
    counts = np.histogram(x, edges)[0].astype(float)
    frame = {"step": 1, "t": 0.0, "x": x, "grid": grid, "U": 0.25 * (grid**2 - 1) ** 2,
             "density_edges": edges, "density_counts": counts}
    view = Particles("p", "P", x="x", curve=("grid", "U"), on_curve=True, xrange=(-2.5, 2.5),
                     density=("density_edges", "density_counts"))
    panel = shown(qtbot, view, frame)
    cloud = panel.cloud
    assert cloud.drew_density and cloud._binned is not None and cloud._x.size == 0
    assert painted_pixels(panel) > 2000
    b = cloud.boundingRect()  # the band spans the occupied bins
    assert b.left() <= x.min() and b.right() >= x.max() and b.right() - b.left() < 6
    scale, offset, columns = 200 / 5.2, 100.0, 200  # 200 columns over [−2.6, 2.6]
    from_bins = cloud._band_counts(scale, offset, columns)
    cloud.set_on_curve(x, grid, frame["U"])
    from_x = cloud._band_counts(scale, offset, columns)
    assert from_bins.sum() == pytest.approx(from_x.sum())
    # a column edge cuts at most one fine bin: the difference is within that bin's count
    cut = counts[np.searchsorted(edges, (np.arange(columns + 1) - offset) / scale) - 1]
    assert np.all(np.abs(from_bins - from_x) <= cut[:-1] + cut[1:])
    # points mode still draws the positions
    panel.set_draw_mode("points")
    qtbot.wait(30)
    panel.plot_widget.viewport().repaint()
    assert not cloud.drew_density and cloud._x.size == x.size
