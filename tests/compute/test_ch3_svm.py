"""ch3.svm-primal-dual: Example 3.2.2 in closed form, KKT conditions, strong duality,
agreement with an independent QP solver, and the effect of C."""

import numpy as np
import pytest

from compute import backend
from compute import classifiers as cl
from compute.experiment import checked_frames
from compute.experiments.ch3_svm import SWEEP, SVMPrimalDual, two_point_solution
from compute.svm import SMO

X2 = np.array([[1.0, 1.0], [-1.0, -1.0]])
Y2 = np.array([1.0, -1.0])


@pytest.mark.parametrize("C", [10.0, 1.0, 0.25, 0.1, 0.01])
def test_two_points_match_the_hand_solution(C):
    s = SMO(X2, Y2, C).solve()
    lam, w, b = two_point_solution(C)
    np.testing.assert_allclose(s.lam, [lam, lam], atol=1e-12)
    np.testing.assert_allclose(s.w, w, atol=1e-12)
    assert s.b == pytest.approx(b, abs=1e-12)
    if C >= 0.25:  # the box does not bind: hard margin, both points on it
        assert s.dual_value() == pytest.approx(0.5 * w @ w)  # strong duality: ¼
        assert 2 / np.linalg.norm(s.w) == pytest.approx(np.linalg.norm(X2[0] - X2[1]))
        assert s.support().all()
    # the dual along λ₁ = λ₂ = λ is 2λ − 4λ², maximal at ¼
    assert s.dual_value() == pytest.approx(2 * lam - 4 * lam * lam)


@pytest.fixture(scope="module")
def blobs():
    x, y = cl.gaussian_blobs(15, (-1.0, -1.0), (1.0, 1.0), 0.9, backend.rng(5, 0))
    return x, 2 * y - 1


def test_kkt_conditions_and_strong_duality(blobs):
    x, y = blobs
    C = 0.7
    s = SMO(x, y, C).solve()
    f = y * (x @ s.w + s.b)
    tol = 1e-6
    assert abs(s.lam @ y) < 1e-12
    assert (f[s.lam < tol] >= 1 - 1e-5).all()
    free = (s.lam > tol) & (s.lam < C - tol)
    np.testing.assert_allclose(f[free], 1.0, atol=1e-5)
    assert (f[s.lam > C - tol] <= 1 + 1e-5).all()
    assert s.primal_value() - s.dual_value() == pytest.approx(0.0, abs=1e-6)


def test_smo_agrees_with_an_independent_qp_solver(blobs):
    from scipy.optimize import minimize

    x, y = blobs
    C = 0.7
    Q = (y[:, None] * y[None, :]) * (x @ x.T)
    res = minimize(lambda a: 0.5 * a @ Q @ a - a.sum(), np.zeros(len(y)),
                   jac=lambda a: Q @ a - 1, bounds=[(0, C)] * len(y),
                   constraints=[{"type": "eq", "fun": lambda a: a @ y, "jac": lambda a: y}],
                   method="SLSQP", options={"ftol": 1e-14, "maxiter": 500})
    s = SMO(x, y, C).solve()
    np.testing.assert_allclose(s.w, (res.x * y) @ x, atol=1e-4)
    assert s.dual_value() == pytest.approx(-res.fun, rel=1e-7)


def test_dual_rises_monotonically_and_smaller_c_widens_the_margin():
    exp = SVMPrimalDual({"n": 40})
    frames = checked_frames(exp)
    f = None
    for _ in range(400):
        f = next(frames)
        if len(f["sweep_C"]) == len(SWEEP):
            break
    assert (np.diff(f["dual"]) >= -1e-12).all()
    assert f["duality_gap"] < 1e-6
    m, sv = f["sweep_margin"], f["sweep_sv"]
    assert len(m) == len(SWEEP)
    assert (np.diff(m) <= 1e-5 * m[:-1]).all()  # margin shrinks as C grows (to solver tol)
    assert sv[0] > sv[-1]


def test_live_c_restarts_the_solver_from_zero():
    exp = SVMPrimalDual()
    frames = checked_frames(exp)
    for _ in range(30):
        f = next(frames)
    exp.update_live({"C": 0.01})
    f = next(frames)
    f = next(frames)
    assert f["pairs"] <= 1
