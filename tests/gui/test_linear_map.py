"""The linear-map view family on the real widget: geometry of a 2×2 map, equal aspect."""

import math

import numpy as np
import pytest

from compute import linalg2d as la
from compute.views import LinearMap
from panels import create_panel
from panels.linear_map import LinearMapPanel
from panels.theme import LIGHT, PRESENTATION

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot):
    view = LinearMap("m", "Map", matrix="A", shape="shape", orbit="orbit", curves="curves",
                     curve_names="names", vectors=("X", "Y", "U", "V"))
    p = create_panel(view, LIGHT)
    assert isinstance(p, LinearMapPanel)
    qtbot.addWidget(p)
    p.resize(700, 450)
    p.show()
    qtbot.waitExposed(p)
    return p


def frame(A):
    g = np.linspace(-1, 1, 3)
    X, Y = np.meshgrid(g, g)
    return {"A": np.asarray(A, float), "shape": la.letter_f(),
            "orbit": la.orbit(np.asarray(A, float), np.array([1.0, 0.5]), 5),
            "curves": la.unit_circle(50)[None] * 0.5, "names": np.array(["half circle"]),
            "X": X.ravel(), "Y": Y.ravel(), "U": -X.ravel(), "V": -Y.ravel()}


def test_images_of_circle_square_and_basis_follow_the_matrix(panel):
    A = np.array([[2.0, 1.0], [0.0, 0.5]])
    panel.update_frame(frame(A))
    assert panel.isVisible() and panel.circle1.isVisible()
    x, y = panel.circle1.getData()
    np.testing.assert_allclose(np.stack([x, y], 1), la.apply(A, la.unit_circle(240)))
    poly = panel.area.polygon()
    pts = np.array([[poly[i].x(), poly[i].y()] for i in range(poly.size())])
    assert abs(la.polygon_area(pts)) == pytest.approx(abs(np.linalg.det(A)))  # det as area
    bx, by = panel.basis[0].getData()
    assert (bx[-1], by[-1]) == (2.0, 0.0)  # Ae₁ is the first column
    _U, s, _ = la.svd2(A)
    ax, ay = panel.axes_sv.getData()
    assert math.hypot(ax[1], ay[1]) == pytest.approx(s[0])  # σ₁u₁
    visible_eigen = [line for line in panel.eigen_lines if line.isVisible()]
    assert len(visible_eigen) == 2  # eigenvalues 2 and 0.5: two real directions
    assert panel.labels["e0"].textItem.toPlainText() == "Ae₁"


def test_equal_aspect_frames_all_the_data(panel, qtbot):
    panel.update_frame(frame([[3.0, 0.0], [0.0, 0.2]]))
    qtbot.wait(20)
    vb = panel.plot.getViewBox()
    assert vb.state["aspectLocked"]
    (x0, x1), (y0, y1) = vb.viewRange()
    assert x0 <= -3.0 and x1 >= 3.0  # the stretched circle fits
    px_per_x = vb.width() / (x1 - x0)
    px_per_y = vb.height() / (y1 - y0)
    assert px_per_x == pytest.approx(px_per_y, rel=0.02)


def test_complex_eigenvalues_hide_the_eigen_lines_and_overlays_draw(panel):
    panel.update_frame(frame(la.rotation(0.7)))
    assert not any(line.isVisible() for line in panel.eigen_lines)
    assert len(panel.orbit_dots.data) == 6
    x, _ = panel.arrows.getData()
    assert len(x) == 9 * 6  # nine arrows, three strokes each
    assert "preimage" in panel.hover_text(0.5, 0.5)
    panel.update_frame(frame([[1.0, 1.0], [1.0, 1.0]]))
    assert "singular" in panel.hover_text(0.5, 0.5)
    panel.apply_theme(PRESENTATION)
    assert panel.circle1.isVisible()
