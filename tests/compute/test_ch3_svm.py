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


def solved(params, speed=100, frames=30):
    exp = SVMPrimalDual(params)
    exp.set_steps_per_frame(speed)
    gen = checked_frames(exp)
    f = [next(gen) for _ in range(frames)][-1]
    gen.close()
    return f, exp


def test_slack_segments_end_on_the_margin_with_length_xi_over_w():
    """A violator with y(wᵀx + b) = 1 − ξ reaches its margin line y(wᵀx′ + b) = 1 at the
    foot x′ = x + yξw/|w|², a distance ξ/|w| away; KKT puts λ = C on every violator."""
    f, exp = solved({"n": 60, "overlap": 1.0, "C": 0.5})
    assert f["duality_gap"] < 1e-6
    seg = f["slack_segments"]
    a, b_, c_ = f["margins"][1]
    w, b = np.array([a, b_]), c_ - 1.0
    y_of = {tuple(p): yy for p, yy in zip(exp.x, exp.ypm, strict=True)}
    xi_all = np.maximum(0, 1 - exp.ypm * (exp.x @ w + b))
    assert len(seg) == int((xi_all > 1e-9).sum()) > 0
    for start, end in seg:
        yy = y_of[tuple(start)]
        xi = 1 - yy * (start @ w + b)
        assert yy * (end @ w + b) == pytest.approx(1.0, abs=1e-9)
        assert np.linalg.norm(end - start) == pytest.approx(xi / np.linalg.norm(w), rel=1e-9)


def test_rbf_kernel_is_identity_in_the_far_limit():
    """Points far apart under a narrow RBF kernel: K = I, so the dual is ½|λ|² − Σλ with
    Σλy = 0, solved by λ_i = min(1, C) for balanced classes, and every point is a
    support vector on its margin (f(x_i) = y_i when C ≥ 1)."""
    from compute.experiments.ch3_svm import rbf_kernel

    x = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0]])
    y = np.array([1.0, -1.0, -1.0, 1.0])  # XOR: no line separates it
    K = rbf_kernel(x, x, 10.0)
    np.testing.assert_allclose(K, np.eye(4), atol=1e-100)
    for C in (0.3, 2.0):
        s = SMO(x, y, C, K).solve()
        np.testing.assert_allclose(s.lam, min(1.0, C), atol=1e-12)
        assert s.primal_value() == pytest.approx(s.dual_value(), abs=1e-9)
        if C >= 1:
            np.testing.assert_allclose(s.decision(K), y, atol=1e-12)


def test_rbf_run_satisfies_kkt_and_its_slacks_reach_the_margin_curve():
    f, exp = solved({"kernel": "rbf", "gamma": 0.7, "n": 60, "overlap": 1.2, "C": 1.0})
    assert f["duality_gap"] < 1e-6
    smo = SMO(exp.x, exp.ypm, 1.0, exp.K).solve()
    yf = smo.margins()
    lam = smo.lam
    assert (yf[lam < 1e-9] >= 1 - 1e-6).all()  # λ = 0 ⇒ on or outside the margin
    assert (yf[lam > 1 - 1e-9] <= 1 + 1e-6).all()  # λ = C ⇒ on or inside it
    from compute.experiments.ch3_svm import rbf_kernel

    seg = f["slack_segments"]
    assert len(seg) > 0
    ends = seg[:, 1]
    y_of = {tuple(p): yy for p, yy in zip(exp.x, exp.ypm, strict=True)}
    ys = np.array([y_of[tuple(p)] for p in seg[:, 0]])
    f_end = smo.decision(rbf_kernel(ends, exp.x, 0.7))
    np.testing.assert_allclose(ys * f_end, 1.0, atol=1e-6)
    assert f["margins"].shape == (0, 3) and "feature space" in f["w_text"]


def test_logistic_overlay_is_the_penalised_optimum_and_can_be_hidden():
    f, exp = solved({"n": 60}, frames=2)
    phi = np.column_stack([np.ones(len(exp.x)), exp.x])
    g = cl.logistic_grad(exp.lr_weights, phi, exp.y01, 1.0 / len(exp.x))
    assert np.linalg.norm(g) < 1e-10
    w = exp.lr_weights
    np.testing.assert_allclose(f["prob_lr"].ravel(), cl.sigmoid(w[0] + exp.grid @ w[1:]))
    exp.update_live({"show_lr": False})
    gen = checked_frames(exp)
    assert np.ptp(next(gen)["prob_lr"]) == 0.0
    gen.close()


def test_rbf_map_factorises_over_the_grid():
    from compute.experiments.ch3_svm import rbf_kernel

    exp = SVMPrimalDual({"kernel": "rbf", "n": 40, "gamma": 1.3})
    s = SMO(exp.x, exp.ypm, 1.0, exp.K).solve()
    direct = rbf_kernel(exp.grid, exp.x, 1.3) @ (s.lam * exp.ypm) + s.b
    np.testing.assert_allclose(exp._decision_grid(s), direct, atol=1e-12)
