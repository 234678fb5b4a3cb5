"""ch3.logreg-polynomial-features: convexity, separability, unique regularised optimum."""

import numpy as np
import pytest

from compute import classifiers as cl
from compute.experiment import checked_frames
from compute.experiments.ch3_logreg_poly import LogRegPolynomialFeatures as LogRegPoly
from compute.params import ParamError


def last_frame(params, speed=1000):
    exp = LogRegPoly(params)
    exp.set_steps_per_frame(speed)
    return list(checked_frames(exp))[-1], exp


@pytest.mark.parametrize("degree", [1, 2, 4])
def test_loss_is_convex_along_random_lines(degree):
    exp = LogRegPoly({"degree": degree, "regularise": False, "sens_index": 0})
    phi = exp.models[1][0]
    rng = np.random.default_rng(0)
    for _ in range(5):
        w0, d = rng.standard_normal((2, phi.shape[1]))
        s = np.linspace(-3, 3, 61)
        f = np.array([cl.logistic_loss(w0 + t * d, phi, exp.y) for t in s])
        assert (f[:-2] - 2 * f[1:-1] + f[2:]).min() >= -1e-12


def test_circle_threshold_linear_is_no_better_than_majority_quadratic_separates():
    f, _ = last_frame({"dataset": "circle-threshold", "n": 100, "regularise": False,
                       "solver": "Newton", "iterations": 40})
    assert f["acc_linear"] <= f["majority"] + 0.03
    assert f["acc_poly"] == 1.0
    assert f["loss"][1, -1] < 1e-3  # separable: the loss heads to 0 (no finite optimum)


def test_newton_and_gd_reach_the_same_unique_regularised_optimum():
    newton, exp = last_frame({"solver": "Newton", "iterations": 30, "C": 0.1})
    gd, _ = last_frame({"solver": "GD", "iterations": 6000, "C": 0.1, "lr": 1.0})
    assert newton["grad_norm"] < 1e-10
    assert gd["loss"][1, -1] == pytest.approx(newton["loss"][1, -1], rel=1e-6)
    phi, _, l2 = exp.models[1]
    w = cl.logistic_optimum(phi, exp.y, l2)
    assert cl.logistic_loss(w, phi, exp.y, l2) == pytest.approx(newton["loss"][1, -1], rel=1e-12)


def test_sensitivity_curve_has_its_minimum_at_the_optimum():
    f, _ = last_frame({"solver": "Newton", "iterations": 30, "sens_width": 2.0})
    i = int(np.argmin(f["sens_loss"]))
    assert f["sens_x"][i] == pytest.approx(f["sens_value"], abs=2 * 2.0 / 200)
    assert f["sens_loss"][len(f["sens_loss"]) // 2] == pytest.approx(f["loss"][1, -1], rel=1e-9)


def test_swept_index_beyond_the_features_is_refused():
    with pytest.raises(ParamError, match="sens_index"):
        LogRegPoly({"degree": 1, "sens_index": 3})


def test_lbfgs_reaches_the_newton_optimum_without_raising_the_loss():
    """The penalised loss is strictly convex: L-BFGS (Armijo steps, so the loss never rises)
    and Newton's method must land on the same unique minimiser."""
    f, exp = last_frame({"solver": "L-BFGS", "iterations": 60, "C": 0.1}, speed=1)
    phi, _, l2 = exp.models[1]
    w = cl.logistic_optimum(phi, exp.y, l2)
    assert f["grad_norm"] < 1e-8
    assert f["loss"][1, -1] == pytest.approx(cl.logistic_loss(w, phi, exp.y, l2), rel=1e-10)
    assert (np.diff(f["loss"], axis=1) <= 1e-15).all()


def test_lbfgs_on_a_quadratic_matches_the_linear_solve():
    from compute.lbfgs import LBFGS

    rng = np.random.default_rng(1)
    m = rng.standard_normal((6, 6))
    a, b = m @ m.T + np.eye(6), rng.standard_normal(6)
    opt = LBFGS(lambda w: 0.5 * w @ a @ w - b @ w, lambda w: a @ w - b, np.zeros(6))
    for _ in range(200):
        opt.step()
    np.testing.assert_allclose(opt.w, np.linalg.solve(a, b), atol=1e-9)


def test_two_circles_area_ratio_and_degree_four_separates():
    """Label 1 covers the two disjoint disks: a share 2πr²/s² of the square (r = 0.7,
    s = 3); the degree-4 product of the circles' equations is negative exactly inside one
    of them, so degree-4 features separate the data."""
    exp = LogRegPoly({"dataset": "two-circles", "n": 1000, "degree": 4})
    share = 2 * np.pi * 0.49 / 9.0
    sd = np.sqrt(share * (1 - share) / 2000)
    assert abs(exp.y.mean() - share) < 4 * sd
    x = exp.x
    q = ((x[:, 0] - 0.8) ** 2 + x[:, 1] ** 2 - 0.49) * ((x[:, 0] + 0.8) ** 2 + x[:, 1] ** 2 - 0.49)
    np.testing.assert_array_equal(q < 0, exp.y == 1)
    f, _ = last_frame({"dataset": "two-circles", "n": 100, "degree": 4, "regularise": False,
                       "solver": "Newton", "iterations": 40})
    assert f["acc_poly"] == 1.0


@pytest.mark.parametrize("gap", [0.0, 0.5])
def test_circle_square_classes_are_gap_apart_and_a_conic_separates(gap):
    exp = LogRegPoly({"dataset": "circle-square", "n": 150, "gap": gap})
    x0, x1 = exp.x[exp.y == 0], exp.x[exp.y == 1]
    assert len(x0) == len(x1) == 150
    assert np.linalg.norm(x0, axis=1).max() <= 1.0
    assert np.abs(x1).max(axis=1).min() > 1.0 + gap and np.abs(x1).max() <= 2.0
    d = np.linalg.norm(x0[:, None] - x1[None], axis=-1).min()
    assert d >= gap
    f, _ = last_frame({"dataset": "circle-square", "n": 150, "gap": gap, "regularise": False,
                       "solver": "Newton", "iterations": 40})
    assert f["acc_poly"] == 1.0
    assert f["acc_linear"] <= f["majority"] + 0.05
