"""2D test functions: analytic derivatives, landmarks and the quadratic's documented scaling."""

import numpy as np
import pytest

from compute.landscapes import (
    LANDSCAPES,
    himmelblau,
    make_landscape,
    quadratic,
    rosenbrock,
    saddle,
)

CASES = {
    "quadratic-k1": quadratic(1.0, 0.0),
    "quadratic-k37": quadratic(37.5, -20.0),
    "quadratic-k1000": quadratic(1000.0, 75.0),
    "rosenbrock": rosenbrock(),
    "himmelblau": himmelblau(),
    "saddle": saddle(),
}


@pytest.fixture(params=list(CASES), ids=list(CASES))
def land(request):
    return CASES[request.param]


def _points(land, n=60, seed=0):
    x0, x1, y0, y1 = land.extent
    return np.random.default_rng(seed).uniform([x0, y0], [x1, y1], size=(n, 2))


def test_gradient_matches_central_differences(land):
    pts = _points(land)
    h = 1e-6
    fd = np.stack([(land.value(pts + h * e) - land.value(pts - h * e)) / (2 * h)
                   for e in np.eye(2)], axis=-1)
    scale = max(1.0, float(np.abs(land.value(pts)).max()))
    np.testing.assert_allclose(land.grad(pts), fd, rtol=1e-6, atol=1e-6 * scale)


def test_hessian_matches_differences_of_the_gradient(land):
    pts = _points(land, seed=1)
    h = 1e-6
    fd = np.stack([(land.grad(pts + h * e) - land.grad(pts - h * e)) / (2 * h)
                   for e in np.eye(2)], axis=-1)
    scale = max(1.0, float(np.abs(land.grad(pts)).max()))
    np.testing.assert_allclose(land.hessian(pts), fd, rtol=1e-6, atol=1e-6 * scale)
    np.testing.assert_array_equal(land.hessian(pts), np.swapaxes(land.hessian(pts), -1, -2))


def test_functions_are_vectorised_over_leading_axes(land):
    pts = _points(land, n=12).reshape(3, 4, 2)
    assert land.value(pts).shape == (3, 4)
    assert land.grad(pts).shape == (3, 4, 2)
    assert land.hessian(pts).shape == (3, 4, 2, 2)
    for i in range(3):
        for j in range(4):
            assert land.value(pts[i, j]) == pytest.approx(land.value(pts)[i, j], rel=1e-14)
            np.testing.assert_allclose(land.grad(pts[i, j]), land.grad(pts)[i, j], rtol=1e-14)


def test_minimisers_are_critical_points_with_value_f_star(land):
    if land.f_star is None:
        assert len(land.minimisers) == 0
        return
    assert len(land.minimisers) >= 1
    np.testing.assert_allclose(land.grad(land.minimisers), 0.0, atol=1e-10)
    np.testing.assert_allclose(land.value(land.minimisers), land.f_star, atol=1e-20)
    assert (np.linalg.eigvalsh(land.hessian(land.minimisers)) > 0).all()
    # f* is the minimum: no point of the window is lower
    assert land.value(_points(land, n=2000)).min() >= land.f_star


def test_saddles_are_critical_points_with_an_indefinite_hessian(land):
    if len(land.saddles) == 0:
        return
    np.testing.assert_allclose(land.grad(land.saddles), 0.0, atol=1e-10)
    lam = np.linalg.eigvalsh(land.hessian(land.saddles))
    assert (lam[:, 0] < 0).all() and (lam[:, 1] > 0).all()


def test_start_lies_in_the_window(land):
    x0, x1, y0, y1 = land.extent
    sx, sy = land.start
    assert x0 < sx < x1 and y0 < sy < y1


@pytest.mark.parametrize(("kappa", "angle"), [(1.0, 0.0), (10.0, 30.0), (1000.0, -65.0)])
def test_quadratic_scaling_lmax_one_and_valley_direction(kappa, angle):
    land = quadratic(kappa, angle)
    A = land.hessian(np.zeros(2))
    np.testing.assert_allclose(np.linalg.eigvalsh(A), [1.0 / kappa, 1.0], rtol=1e-12)
    phi = np.deg2rad(angle)
    slow = np.array([-np.sin(phi), np.cos(phi)])  # documented: the long axis at angle + 90°
    np.testing.assert_allclose(A @ slow, slow / kappa, atol=1e-14)
    theta = np.array([0.7, -1.3])
    assert land.value(theta) == pytest.approx(0.5 * theta @ A @ theta, rel=1e-14)
    assert land.gd_limit() == pytest.approx(2.0)


def test_known_values_of_the_classic_functions():
    assert rosenbrock().value(np.array([1.0, 1.0])) == 0.0
    assert rosenbrock().value(np.array([0.0, 0.0])) == 1.0  # (1 − 0)² + 100·0
    assert himmelblau().value(np.array([3.0, 2.0])) == 0.0  # the exact minimiser
    assert himmelblau().value(np.array([0.0, 0.0])) == 170.0  # 11² + 7²
    assert saddle().value(np.array([2.0, 3.0])) == -5.0
    assert len(himmelblau().minimisers) == 4
    assert len(himmelblau().saddles) == 4


def test_gd_limit_from_the_hand_computed_hessians():
    # Rosenbrock at (1, 1): [[2 − 4b·1 + 12b, −4b], [−4b, 2b]] = [[802, −400], [−400, 200]]
    lam_max = (1002.0 + np.sqrt(602.0**2 + 4 * 400.0**2)) / 2
    assert rosenbrock().gd_limit() == pytest.approx(2.0 / lam_max, rel=1e-12)
    # the saddle's Hessian is diag(2, −2): λmax = 2
    assert saddle().gd_limit() == pytest.approx(1.0)


def test_distance_to_the_nearest_landmark():
    q = quadratic(10.0, 30.0)
    pts = np.array([[3.0, 4.0], [0.0, -2.0]])
    np.testing.assert_allclose(q.distance(pts), [5.0, 2.0])
    h = himmelblau()
    assert h.distance(np.array([3.0, 2.5])) == pytest.approx(0.5)
    assert saddle().distance(np.array([-3.0, 4.0])) == pytest.approx(5.0)  # to the saddle


def test_make_landscape_by_name():
    for name in LANDSCAPES:
        assert make_landscape(name).name == name
    assert make_landscape("quadratic", 50.0, 0.0).hessian(np.zeros(2))[1, 1] == \
        pytest.approx(1 / 50)
    with pytest.raises(ValueError, match="unknown landscape"):
        make_landscape("everest")
