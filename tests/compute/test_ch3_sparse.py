"""ch3.l1-l2-sparse-recovery: closed-form minimum-norm points, basis pursuit, ISTA, phase map."""

import math

import numpy as np
import pytest

from compute import sparse as sp
from compute.experiment import checked_frames
from compute.experiments.ch3_sparse import L1L2SparseRecovery
from compute.params import ParamError


def on_line(a, b, s):
    """Points of a·x = b parametrised by s along the line."""
    a = np.asarray(a, float)
    d = np.array([-a[1], a[0]]) / np.linalg.norm(a)
    return sp.min_l2_on_line(a, b) + s[:, None] * d


def test_book_example_values():
    exp = L1L2SparseRecovery()
    f = next(checked_frames(exp))
    np.testing.assert_allclose(f["x_l2"], [0.2, 0.4])  # min x1² + x2², x1 + 2x2 = 1
    np.testing.assert_allclose(f["x_l1"], [0.0, 0.5])  # min |x1| + |x2|
    assert f["x_l1"].shape == f["x_l2"].shape == (2,)
    # each beats the other in its own norm
    assert np.abs(f["x_l1"]).sum() < np.abs(f["x_l2"]).sum()
    assert np.linalg.norm(f["x_l2"]) < np.linalg.norm(f["x_l1"])


@pytest.mark.parametrize(("a", "b", "p"), [((1, 2), 1, 2.0), ((-3, 0.5), 2, 1.5),
                                           ((0.7, -0.2), -1, 3.0), ((2, 1), 1, 1.0),
                                           ((1, -4), 3, 0.5)])
def test_minimisers_agree_with_a_dense_search_along_the_line(a, b, p):
    pts = on_line(a, b, np.linspace(-20, 20, 400001))
    best = pts[np.argmin(sp.lp_norm(pts, p))]
    x = sp.min_lp_on_line(np.array(a, float), b, p)
    assert np.dot(a, x) == pytest.approx(b)
    assert sp.lp_norm(x, p) <= sp.lp_norm(best, p) + 1e-12  # no point of the line beats it
    np.testing.assert_allclose(x, best, atol=1e-3)
    x2 = sp.min_l2_on_line(np.array(a, float), b)
    aa = np.array(a, float)[None]
    np.testing.assert_allclose(x2, (aa.T @ np.linalg.inv(aa @ aa.T) * b).ravel())


def test_l1_minimiser_is_not_unique_on_a_tie():
    pts = on_line((1, 1), 1, np.linspace(-0.5, 0.5, 11))
    inside = pts[(pts >= -1e-12).all(axis=1)]
    np.testing.assert_allclose(np.abs(inside).sum(1), 1.0)  # a whole segment of minimisers
    f = next(checked_frames(L1L2SparseRecovery({"a1": 1.0, "a2": -1.0})))
    assert f["l1_unique"].startswith("no")


def test_basis_pursuit_recovers_minimum_l2_is_dense_and_failure_below_the_bound():
    rng = np.random.default_rng(0)
    A, x0 = sp.sparse_problem(200, 60, 10, "gaussian", rng)
    b = A @ x0
    assert sp.recovered(sp.basis_pursuit(A, b), x0, 1e-6)
    x2 = sp.min_norm_solution(A, b)
    np.testing.assert_allclose(A @ x2, b, atol=1e-10)
    assert (np.abs(x2) > 1e-6).sum() > 150
    fails = 0
    for _ in range(5):
        A, x0 = sp.sparse_problem(200, 12, 10, "gaussian", rng)  # m ≪ 2k ln(n/k) ≈ 60
        fails += not sp.recovered(sp.basis_pursuit(A, A @ x0), x0)
    assert fails == 5


def test_ista_decreases_the_lasso_objective_and_zero_above_lambda_max():
    rng = np.random.default_rng(1)
    A, x0 = sp.sparse_problem(80, 30, 5, "bernoulli", rng)
    b = A @ x0 + 0.01 * rng.standard_normal(30)
    s = 1.0 / np.linalg.norm(A, 2) ** 2
    w = np.zeros(80)
    objs = []
    for _ in range(300):
        w = sp.ista_step(A, b, w, 0.05, s)
        objs.append(sp.lasso_objective(A, b, w, 0.05))
    assert (np.diff(objs) <= 1e-12).all()
    lam_max = np.abs(A.T @ b).max()
    w = sp.ista_step(A, b, np.zeros(80), 1.0001 * lam_max, s)
    assert not w.any()
    assert sp.ista_step(A, b, np.zeros(80), 0.99 * lam_max, s).any()


def test_bound_curve_solves_its_equation():
    d = np.array([0.1, 0.3, 0.5])
    r = sp.sample_bound_rho(d)
    np.testing.assert_allclose(2 * r * np.log(1 / (r * d)), 1.0, atol=1e-9)
    assert math.isnan(sp.sample_bound_rho(np.array([1.0]))[0])


def test_phase_map_fills_in_progressively_and_level_sets_touch():
    exp = L1L2SparseRecovery({"pt_grid": 4, "trials": 1, "pt_n": 20, "n": 40, "m": 20, "k": 3})
    frames = checked_frames(exp)
    pending = []
    for _ in range(7):
        f = next(frames)
        pending.append(int(np.isnan(f["success"]).sum()))
    assert pending[0] == 16 and pending == sorted(pending, reverse=True) and pending[-1] == 0
    assert f["err_l1"] < 1e-6
    for _ in range(100):  # the level sets grow to the touching radius, never beyond
        f = next(frames)
        assert np.abs(f["sets"][1]).sum(1).max() <= np.abs(f["x_l1"]).sum() + 1e-12
        assert np.linalg.norm(f["sets"][2], axis=1).max() <= np.linalg.norm(f["x_l2"]) + 1e-12


@pytest.mark.parametrize(("params", "name"), [({"a1": 0.0, "a2": 0.0}, "a1"),
                                              ({"n": 50, "m": 60}, "m"),
                                              ({"m": 20, "k": 30}, "k")])
def test_invalid_combinations_are_refused(params, name):
    with pytest.raises(ParamError) as err:
        L1L2SparseRecovery(params)
    assert err.value.name == name


def kkt_violation(A, b, w, lam):
    """Largest violation of the Lasso optimality conditions at λ, relative to λ:
    a_jᵀ(b − Aw) = λ sign(w_j) where w_j ≠ 0 and |a_jᵀ(b − Aw)| ≤ λ elsewhere."""
    c = A.T @ (b - A @ w)
    on = w != 0
    eq = np.abs(c[on] - lam * np.sign(w[on])).max(initial=0.0)
    box = np.maximum(np.abs(c[~on]) - lam, 0.0).max(initial=0.0)
    return max(eq, box) / lam


@pytest.mark.parametrize("noise", [0.0, 0.05])
def test_lasso_path_satisfies_kkt_at_and_between_breakpoints(noise):
    rng = np.random.default_rng(3)
    A, x0 = sp.sparse_problem(40, 20, 4, "gaussian", rng)
    b = A @ x0 + noise * rng.standard_normal(20)
    path = sp.LassoPath(A, b, 1e-3)
    while path.step():
        pass
    lams = np.array(path.lambdas)
    assert lams[0] == pytest.approx(np.abs(A.T @ b).max())  # w = 0 from λ_max = ‖Aᵀb‖∞ up
    assert (np.diff(lams) < 0).all() and len(lams) > 3
    np.testing.assert_array_equal(path.at(1.5 * lams[0]), 0.0)
    for lam, w in zip(lams, path.coefs, strict=True):
        assert kkt_violation(A, b, w, lam) < 1e-9
    for lo, hi in zip(lams[1:], lams[:-1], strict=True):  # the path is affine in between
        mid = 0.5 * (lo + hi)
        assert kkt_violation(A, b, path.at(mid), mid) < 1e-9


def test_lasso_path_matches_ista_and_is_drawn_one_breakpoint_per_frame():
    exp = L1L2SparseRecovery({"n": 60, "m": 30, "k": 4, "solver": "ISTA", "lam": 0.02, "pt_grid": 4,
                "trials": 1})
    frames = checked_frames(exp)
    f = [next(frames) for _ in range(40)]
    frames.close()
    sizes = [len(x["path_lambda"]) for x in f]
    assert sizes[0] == 1 and all(0 <= d <= 1 for d in np.diff(sizes))
    last = f[-1]
    assert last["path_coef"].shape == (60, sizes[-1])
    assert "done" in last["path_text"]
    path = sp.LassoPath(exp.A, exp.b, 1e-3)
    while path.step():
        pass
    w = np.zeros(60)
    step = 1.0 / np.linalg.norm(exp.A, 2) ** 2
    for _ in range(5000):
        w = sp.ista_step(exp.A, exp.b, w, 0.02, step)
    np.testing.assert_allclose(path.at(0.02), w, atol=1e-7)
    assert set(np.flatnonzero(last["path_classes"] == 0)) == set(np.flatnonzero(exp.x0))
