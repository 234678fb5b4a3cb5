"""ch3.xor-linear-failure: symmetry of the linear problem, the exact quadratic separator."""

import numpy as np
import pytest

from compute import classifiers as cl
from compute.experiment import checked_frames
from compute.experiments.ch3_xor import LN2, XorLinearFailure

X, Y = cl.XOR_CORNERS, cl.XOR_LABELS


def last_frame(params, speed=500):
    exp = XorLinearFailure(params)
    exp.set_steps_per_frame(speed)
    frames = list(checked_frames(exp))
    return frames[-1]


def test_linear_gradient_vanishes_at_zero_and_minimum_is_ln2():
    phi = cl.polynomial_features(X, 1)
    np.testing.assert_allclose(cl.logistic_grad(np.zeros(3), phi, Y), 0.0, atol=1e-15)
    assert cl.logistic_loss(np.zeros(3), phi, Y) == pytest.approx(np.log(2))
    # convex (PSD Hessian) with zero gradient at 0: 0 is the global minimiser
    assert np.linalg.eigvalsh(cl.logistic_hessian(np.zeros(3), phi)).min() > 0


def test_no_line_classifies_more_than_three_points():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((20000, 3))
    right = ((cl.polynomial_features(X, 1) @ w.T > 0) == (Y[:, None] > 0.5)).sum(axis=0)
    assert right.max() == 3


def test_quadratic_combination_separates_xor_exactly():
    phi = cl.polynomial_features(X, 2)  # 1, x1, x2, x1², x1x2, x2²
    w = np.array([-0.5, 1.0, 1.0, 0.0, -2.0, 0.0])  # x1 + x2 − 2x1x2 − ½
    assert np.array_equal(phi @ w > 0, Y > 0.5)
    # scaling that direction drives the loss to 0: no finite minimiser
    losses = [cl.logistic_loss(s * w, phi, Y) for s in (1, 10, 100)]
    assert losses[0] > losses[1] > losses[2] and losses[2] < 1e-20


def test_training_collapses_linear_to_half_and_quadratic_to_zero_loss():
    f = last_frame({"iterations": 2000})
    assert f["loss"][0, -1] == pytest.approx(LN2, abs=1e-9)
    assert f["w_norm"] < 1e-6
    np.testing.assert_allclose(f["prob_linear"], 0.5, atol=1e-6)
    assert f["acc_linear"] == 0.5 and f["acc_model"] == 1.0
    assert f["loss"][1, -1] < 0.05
    # the quadratic weights keep growing (separable: no finite optimum)
    assert f["norm"][1, -1] > f["norm"][1, len(f["norm"][1]) // 2] > f["norm"][1, 1]


def test_network_separates_xor_from_a_good_start_and_planes_are_its_units():
    f = last_frame({"model": "network", "hidden": 2, "seed": 3})
    assert f["acc_model"] == 1.0 and f["loss"][1, -1] < 0.01
    assert f["hyperplanes"].shape == (2, 3)


def test_stalled_network_sits_at_half_ln2():
    """Seed 0 stalls with two points fitted and two at p = ½: loss (2 ln 2)/4."""
    f = last_frame({"model": "network", "hidden": 2, "seed": 0})
    assert f["loss"][1, -1] == pytest.approx(LN2 / 2, abs=2e-3)


def test_frames_stop_at_the_iteration_count_and_show_maps():
    f = last_frame({"iterations": 25}, speed=10)
    assert f["step"] == 25
    assert f["prob_model"].shape == f["prob_linear"].shape == (120, 120)
    assert f["points"].shape == (4, 2)
