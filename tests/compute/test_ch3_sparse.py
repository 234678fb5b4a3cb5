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
