"""ch3.lr-gradient-field: gradient, steepest start, monotone descent, drift on separable
data towards the max-margin direction, a finite optimum on overlapping data."""

import math

import numpy as np
import pytest

from compute import classifiers as cl
from compute.experiment import checked_frames
from compute.experiments.ch3_lr_field import LRGradientField, max_margin_direction


def run(params, speed=100):
    exp = LRGradientField(params)
    exp.set_steps_per_frame(speed)
    return list(checked_frames(exp))[-1], exp


def gd(exp, w, lr, steps):
    out = [w]
    for _ in range(steps):
        w = w - lr * exp.grad(w)
        out.append(w)
    return np.array(out)


@pytest.mark.parametrize("params", [{}, {"bias": True, "l2": 0.2}])
def test_gradient_matches_finite_differences(params):
    exp = LRGradientField(params)
    w = np.random.default_rng(0).standard_normal(exp.phi.shape[1])
    h = 1e-6
    fd = [(exp.loss(w + h * e) - exp.loss(w - h * e)) / (2 * h) for e in np.eye(len(w))]
    np.testing.assert_allclose(exp.grad(w), fd, atol=1e-8)
    loss, g = exp._slice(w[None, :2], w[2] if len(w) == 3 else 0.0)
    assert loss[0] == pytest.approx(exp.loss(w), rel=1e-12)
    np.testing.assert_allclose(g[0], exp.grad(w)[:2], atol=1e-12)


def test_default_start_is_the_arrow_grid_point_of_largest_gradient():
    exp = LRGradientField()
    gx, gy = np.meshgrid(exp.qx, exp.qx)
    norms = [np.linalg.norm(exp.grad(np.array([a, b]))) for a, b in zip(gx.ravel(), gy.ravel(),
                                                                        strict=True)]
    i = int(np.argmax(norms))
    np.testing.assert_allclose(exp.start, [gx.ravel()[i], gy.ravel()[i]])


def test_hessian_at_zero_bounds_every_hessian_so_small_steps_descend():
    exp = LRGradientField()
    limit = exp.gd_limit(np.zeros(2))
    lam0 = 2.0 / limit
    for w in np.random.default_rng(1).standard_normal((20, 2)) * 3:
        p = cl.sigmoid(exp.phi @ w)
        h = (exp.phi * (p * (1 - p))[:, None]).T @ exp.phi / len(exp.y)
        assert np.linalg.eigvalsh(h).max() <= lam0 + 1e-12
    path = gd(exp, exp.start, 0.9 * limit, 300)
    losses = np.array([exp.loss(w) for w in path])
    assert (np.diff(losses) <= 1e-15).all()


def test_notebook_data_are_separable_and_the_weights_drift_off():
    exp = LRGradientField()
    u, margin = max_margin_direction(exp.x, exp.y)
    assert margin > 0
    s = 2 * exp.y - 1
    # no direction has a larger margin (dense check), and u attains it on ≥ 2 points
    a = np.linspace(-np.pi, np.pi, 20001)
    dirs = np.stack([np.cos(a), np.sin(a)], 1)
    assert (s[:, None] * (exp.x @ dirs.T)).min(0).max() <= margin + 1e-9
    assert np.sort(s * (exp.x @ u))[1] == pytest.approx(margin, abs=1e-6)
    path = gd(exp, exp.start, 1.5, 4000)
    norms = np.linalg.norm(path, axis=1)
    assert norms[4000] > norms[1000] > norms[200]  # no finite minimiser: |ω| keeps growing
    # ... like log t: equal ratios of t give nearly equal increments
    assert (norms[4000] - norms[1000]) == pytest.approx(norms[1000] - norms[250], rel=0.3)
    angle = [math.degrees(math.acos(w @ u / np.linalg.norm(w))) for w in path[[200, 1000, 4000]]]
    assert angle[0] > angle[1] > angle[2]


@pytest.mark.parametrize("params", [{"flip": 0.15}, {"std": 2.0}, {"l2": 0.1}])
def test_overlap_or_penalty_gives_a_finite_optimum_every_start_reaches(params):
    exp = LRGradientField(params)
    w_star = exp.optimum()
    assert w_star is not None
    assert np.abs(exp.grad(w_star)).max() < 1e-9
    for start in ([3.0, -3.0], [-3.5, 2.0]):
        end = gd(exp, np.array(start), 1.0, 3000)[-1]
        np.testing.assert_allclose(end, w_star, atol=1e-4)


def test_frames_report_separability_and_finish():
    f, _ = run({"steps": 40}, speed=10)
    assert f["step"] == 40 and f["status"] == "done"
    assert f["separable"].startswith("yes") and math.isnan(f["loss_star"])
    assert f["loss"][-1] < f["loss"][0]
    f, _ = run({"steps": 40, "flip": 0.15}, speed=10)
    assert f["separable"] == "no" and np.isfinite(f["markers"][2]).all()
