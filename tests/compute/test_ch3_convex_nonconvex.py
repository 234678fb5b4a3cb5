"""ch3.convex-vs-nonconvex: LS solution, diagonal Hessian, the GD stability limit and rate,
backprop, and the non-convexity of the network slice."""

import numpy as np
import pytest

from compute.experiment import checked_frames
from compute.experiments.ch3_convex_nonconvex import ConvexVsNonconvex


@pytest.fixture(scope="module")
def exp():
    return ConvexVsNonconvex()


def test_least_squares_solves_the_normal_equations(exp):
    X, y = exp.design, exp.y
    np.testing.assert_allclose(X.T @ X @ exp.w_ls, X.T @ y, atol=1e-10)
    # the slice minimum is the LS point, with the LS loss
    w = np.array([exp.w_ls[1], exp.w_ls[2]])
    np.testing.assert_allclose(exp.convex_grad(w), 0.0, atol=1e-14)
    r = X @ exp.w_ls - y
    assert exp.convex_loss(w) == pytest.approx(0.5 * np.mean(r * r))


def test_convex_hessian_is_diagonal_with_the_moments(exp):
    x = exp.x
    assert abs(exp.hess[0, 1]) < 1e-14  # mean x³ = 0 on the symmetric grid
    np.testing.assert_allclose(np.diag(exp.hess), [np.mean(x**2), np.mean(x**4)])
    h = 1e-4
    w = np.array([0.3, -0.2])
    fd = np.array([[(exp.convex_loss(w + h * (ei + ej)) - exp.convex_loss(w + h * (ei - ej))
                     - exp.convex_loss(w - h * (ei - ej)) + exp.convex_loss(w - h * (ei + ej)))
                    / (4 * h * h) for ej in np.eye(2)] for ei in np.eye(2)])
    np.testing.assert_allclose(fd, exp.hess, atol=1e-6)


def gd(exp, eta, steps, start):
    w = np.array(start, float)
    out = [w]
    for _ in range(steps):
        w = w - eta * exp.convex_grad(w)
        out.append(w)
    return np.array(out) - exp.w_ls[1:]


def test_gd_stability_limit_and_best_rate(exp):
    lmin, lmax = exp.lam
    start = exp.w_ls[1:] + np.array([1.0, 1.0])
    assert np.linalg.norm(gd(exp, 0.99 * 2 / lmax, 400, start)[-1]) < 1e-3
    assert np.linalg.norm(gd(exp, 1.01 * 2 / lmax, 400, start)[-1]) > 10
    kappa = lmax / lmin
    err = np.linalg.norm(gd(exp, 2 / (lmin + lmax), 15, start), axis=1)
    rate = (kappa - 1) / (kappa + 1)
    np.testing.assert_allclose(err[1:] / err[:-1], rate, rtol=1e-9)


def test_network_gradient_matches_finite_differences(exp):
    th = exp.theta0 + 0.1
    g = exp.net.grad(th, exp.x, exp.y)
    h = 1e-6
    fd = [(exp.net.loss(th + h * e, exp.x, exp.y) - exp.net.loss(th - h * e, exp.x, exp.y))
          / (2 * h) for e in np.eye(len(th))]
    np.testing.assert_allclose(g, fd, atol=1e-8)


def test_slice_is_not_convex_and_starts_end_in_different_valleys(exp):
    m = 10 ** exp.nn_map  # the loss on the slice grid
    d2x = m[:, :-2] - 2 * m[:, 1:-1] + m[:, 2:]
    d2y = m[:-2, :] - 2 * m[1:-1, :] + m[2:, :]
    assert d2x.min() < 0 or d2y.min() < 0  # a direction of negative curvature
    e = ConvexVsNonconvex({"steps": 300})
    e.set_steps_per_frame(100)
    f = list(checked_frames(e))[-1]
    ends = f["nn_points"]
    spread = max(np.linalg.norm(a - b) for a in ends for b in ends)
    assert spread > 2.0
    assert (f["loss_convex"][:, -1] == pytest.approx(f["ls_loss"], rel=1e-6))


def test_too_large_step_is_marked_diverged_for_the_convex_paths():
    e = ConvexVsNonconvex({"lr": 2.0, "steps": 200})
    e.set_steps_per_frame(100)
    f = list(checked_frames(e))[-1]
    assert all("diverged" in n for n in f["convex_names"])


def test_coordinate_slice_moves_exactly_the_two_named_weights(exp):
    h = exp.p["hidden"]
    d = exp.D
    assert d[0, 0] == 1.0 and d[2 * h, 1] == 1.0 and np.abs(d).sum() == 2.0
    th = exp._on_slice(exp.theta0, np.array([0.3, -1.2]))
    diff = th - exp.theta0
    assert diff[0] == pytest.approx(0.3) and diff[2 * h] == pytest.approx(-1.2)
    assert np.count_nonzero(diff) == 2


@pytest.mark.parametrize("kind", ["random", "filter-normalised"])
def test_seeded_directions_define_the_map_and_the_slice_gd(kind):
    e = ConvexVsNonconvex({"directions": kind, "direction_seed": 3, "steps": 5})
    again = ConvexVsNonconvex({"directions": kind, "direction_seed": 3})
    other = ConvexVsNonconvex({"directions": kind, "direction_seed": 4})
    np.testing.assert_array_equal(e.D, again.D)
    assert not np.allclose(e.D, other.D)
    h = e.p["hidden"]
    if kind == "random":
        np.testing.assert_allclose(e.D.T @ e.D, np.eye(2), atol=1e-12)
    else:  # every filter has the norm of the same filter of θ₀, biases stay
        for col in e.D.T:
            np.testing.assert_allclose(np.abs(col[:h]), np.abs(e.theta0[:h]))
            assert np.linalg.norm(col[2 * h:3 * h]) == pytest.approx(
                np.linalg.norm(e.theta0[2 * h:3 * h]))
            assert not col[h:2 * h].any() and col[3 * h] == 0.0
    # the map is L(θ₀ + αd₁ + βd₂) at the pixel centres
    g = e._grid(e.nn_extent)[[0, 777, 4321]]
    direct = e.net.loss(e.theta0 + g @ e.D.T, e.x, e.y)
    np.testing.assert_allclose(10 ** e.nn_map.ravel()[[0, 777, 4321]], direct, rtol=1e-12)
    # one step of slice GD is GD on (α, β): ab ← ab − η Dᵀ∇L (no noise)
    e.set_steps_per_frame(1)
    frames = checked_frames(e)
    f0, f1 = next(frames), next(frames)
    frames.close()
    th0 = e._on_slice(e.theta0, f0["nn_points"][0])
    expected = f0["nn_points"][0] - e.p["lr"] * e.D.T @ e.net.grad(th0, e.x, e.y)
    np.testing.assert_allclose(f1["nn_points"][0], expected, atol=1e-12)
