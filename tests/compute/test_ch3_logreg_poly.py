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
