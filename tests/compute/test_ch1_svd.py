"""ch1.svd-by-hand, ch1.matrix-completion, ch1.svd-vs-ed-spd against derived facts.

Exercise 1.2.1 by hand: XᵀX = [[1,0,0,0,2],[0,16,0,0,0],[0,0,9,0,0],[0,0,0,0,0],
[2,0,0,0,4]], eigenvalues 16, 9, 5 (from [[1, 2], [2, 4]]), 0, 0, so σ = (4, 3, √5, 0).
Exercise 1.2.3 by hand: tr Σ = 7, det Σ = 8, λ = (7 ± √17)/2.
"""

import math

import numpy as np
import pytest

from compute.decompositions import complete_basis, hard_impute_step, initial_fill, svd_via_eig
from compute.experiment import checked_frames
from compute.experiments.ch1_svd import (
    BOOK_X,
    MatrixCompletion,
    SVDByHand,
    SVDvsEDCovariance,
)
from compute.params import ParamError

EXPERIMENTS = (SVDByHand, MatrixCompletion, SVDvsEDCovariance)


def frames_of(exp, n, speed=None):
    if speed:
        exp.set_steps_per_frame(speed)
    frames = checked_frames(exp)
    out = [next(frames) for _ in range(n)]
    frames.close()
    return out



# -- ch1.svd-by-hand ---------------------------------------------------------------------------
def test_book_matrix_by_hand():
    s = svd_via_eig(np.array(BOOK_X, dtype=float))
    np.testing.assert_array_equal(s.XtX, [[1, 0, 0, 0, 2], [0, 16, 0, 0, 0], [0, 0, 9, 0, 0],
                                          [0, 0, 0, 0, 0], [2, 0, 0, 0, 4]])
    np.testing.assert_allclose(s.eigenvalues, [16, 9, 5, 0, 0], atol=1e-12)
    np.testing.assert_allclose(s.singular_values, [4, 3, math.sqrt(5), 0], atol=1e-7)
    assert s.rank == 3


def test_the_run_exposes_all_singular_values_and_ends_at_x_equals_usvt():
    frames = frames_of(SVDByHand({"frames_per_step": 1}), 30)
    first, last = frames[0], frames[-1]
    assert first["stage"] == 0 and np.isnan(first["XtX"]).all()
    assert np.isnan(first["sigma_shown"]).all()
    stages = [f["stage"] for f in frames]
    assert stages == sorted(stages) and set(range(7)) <= set(stages)  # every step shown
    np.testing.assert_allclose(last["singular_values"], [4, 3, math.sqrt(5), 0], atol=1e-7)
    assert last["singular_values"].shape == (4,)
    assert list(last["singular_values"]) == sorted(last["singular_values"], reverse=True)
    np.testing.assert_allclose(last["USVt"], BOOK_X, atol=1e-12)
    assert last["residual"] < 1e-12 and last["rank"] == 3


@pytest.mark.parametrize(("m", "n", "deficient", "seed"), [
    (4, 5, False, 0), (5, 3, False, 1), (6, 6, True, 2), (3, 7, True, 3), (8, 8, False, 4),
    (2, 2, False, 5)])
def test_hand_svd_invariants(m, n, deficient, seed):
    exp = SVDByHand({"source": "random", "m": m, "n": n, "rank_deficient": deficient,
                     "seed": seed})
    X = exp.matrix()
    s = svd_via_eig(X)
    lam = np.linalg.eigvalsh(X.T @ X)[::-1]
    np.testing.assert_allclose(s.sigma, np.sqrt(np.clip(lam, 0, None)), atol=1e-6)
    assert s.rank == np.linalg.matrix_rank(X)
    if deficient:
        assert s.rank == min(m, n) - 1 or s.rank < min(m, n)
    Ur = s.U[:, : s.rank]
    np.testing.assert_allclose(Ur.T @ Ur, np.eye(s.rank), atol=1e-10)  # u_i orthonormal
    np.testing.assert_allclose(s.U.T @ s.U, np.eye(m), atol=1e-10)  # completed basis
    np.testing.assert_allclose(s.V.T @ s.V, np.eye(n), atol=1e-10)
    np.testing.assert_allclose(s.reconstruction, X, atol=1e-9)
    assert np.sum(s.singular_values**2) == pytest.approx(np.sum(X**2), rel=1e-10)
    # the u_i of nonzero σ span the column space, the v_i the row space (Errata 7)
    Vr = s.V[:, : s.rank]
    np.testing.assert_allclose(Ur @ Ur.T @ X, X, atol=1e-9)
    np.testing.assert_allclose(X @ Vr @ Vr.T, X, atol=1e-9)
    # numpy agrees up to signs (distinct σ): |u_iᵀ u_i'| = 1
    U2, sig2, Vt2 = np.linalg.svd(X)
    np.testing.assert_allclose(s.singular_values, sig2, atol=1e-7)
    distinct = [i for i in range(s.rank)
                if all(abs(sig2[i] - sig2[j]) > 1e-6 for j in range(len(sig2)) if j != i)]
    for i in distinct:
        assert abs(U2[:, i] @ s.U[:, i]) == pytest.approx(1.0, abs=1e-7)
        assert abs(Vt2[i] @ s.V[:, i]) == pytest.approx(1.0, abs=1e-7)


def test_zeroing_a_row_drops_the_rank_and_an_edit_restarts():
    exp = SVDByHand()
    frames = checked_frames(exp)
    for _ in range(20):
        next(frames)
    X = [list(r) for r in BOOK_X]
    X[0] = [0, 0, 0, 0, 0]
    exp.update_live({"X": X})
    frame = next(frames)
    assert frame["stage"] == 0 and frame["rank"] == 2
    np.testing.assert_allclose(frame["singular_values"], [4, 3, 0, 0], atol=1e-7)
    frames.close()


def test_complete_basis_is_orthonormal():
    q = np.array([[1.0], [1.0], [0.0]]) / math.sqrt(2)
    B = complete_basis(q, 3)
    np.testing.assert_allclose(B.T @ B, np.eye(3), atol=1e-14)
    np.testing.assert_allclose(B[:, 0], q[:, 0])


# -- ch1.matrix-completion -----------------------------------------------------------------
def completion_run(params, n_frames=300):
    exp = MatrixCompletion(params)
    exp.set_steps_per_frame(10)
    return exp, frames_of(exp, n_frames // 10)


@pytest.mark.parametrize("k", [1, 2])
def test_observed_error_never_increases_and_rank_stays_at_most_k(k):
    _exp, frames = completion_run({"k": k})
    rmse = frames[-1]["rmse_observed"]
    assert np.all(np.diff(rmse) <= 1e-12 * rmse[:-1] + 1e-15)  # monotone (Eckart–Young)
    for f in frames:
        assert np.linalg.matrix_rank(f["X"], tol=1e-8) <= k


def test_exact_fit_and_init_dependence_once_dof_reach_the_observations():
    fills = []
    for init in ("zeros", "column-means", "row-means"):
        exp, frames = completion_run({"k": 2, "init": init, "max_iter": 2000}, 2000)
        last = frames[-1]
        assert last["dof"] == 12 and last["n_observed"] == 10  # 2(4 + 4 − 2) ≥ 10
        assert last["rmse_now"] < 1e-6  # the observed entries are reproduced
        fills.append(last["X"][~exp.observed])
    spread = max(np.abs(a - b).max() for a in fills for b in fills)
    assert spread > 1e-3  # the gaps depend on the start: the completion is not unique
    exp, frames = completion_run({"k": 1})
    assert frames[-1]["dof"] == 7 and frames[-1]["rmse_now"] > 0.1  # too few dof: no fit


def test_random_low_rank_data_is_recovered_with_enough_observations():
    def gap_error(fraction, seed):
        _exp, frames = completion_run({"data": "random", "k": 2, "true_rank": 2, "m": 8,
                                      "n": 8, "fraction": fraction, "seed": seed,
                                      "max_iter": 2000}, 1000)
        return frames[-1]["rmse_missing"][-1]

    good = [gap_error(0.8, s) for s in range(3)]
    bad = [gap_error(0.3, s) for s in range(3)]
    assert max(good) < 1e-3  # noise-free: recovered
    assert min(bad) > 0.05  # 0.3·64 ≈ 19 < dof 28: recovery breaks down


def test_hard_impute_step_keeps_observed_from_r():
    rng = np.random.default_rng(0)
    R = rng.normal(size=(5, 5))
    obs = rng.random((5, 5)) < 0.7
    X0 = initial_fill(np.where(obs, R, np.nan), obs, "zeros")
    np.testing.assert_array_equal(X0[obs], R[obs])
    assert (X0[~obs] == 0).all()
    X1 = hard_impute_step(X0, np.where(obs, R, 0), obs, 5)  # full rank: nothing truncated
    np.testing.assert_allclose(X1, X0, atol=1e-12)


def test_rank_above_the_matrix_size_is_refused():
    with pytest.raises(ParamError) as info:
        MatrixCompletion({"k": 5})
    assert info.value.name == "k" and "above min(m, n) = 4" in info.value.message
    exp = MatrixCompletion({"k": 2})
    with pytest.raises(ParamError):
        exp.update_live({"k": 6})
    assert exp.p["k"] == 2


# -- ch1.svd-vs-ed-spd ----------------------------------------------------------------------
def test_eigenvalues_of_the_book_covariance_from_trace_and_determinant():
    exp = SVDvsEDCovariance()
    lam = exp.lam
    np.testing.assert_allclose(lam, [(7 + math.sqrt(17)) / 2, (7 - math.sqrt(17)) / 2])
    V = exp.V
    np.testing.assert_allclose(V.T @ V, np.eye(2), atol=1e-14)
    np.testing.assert_allclose(exp.sigma() @ V, V * lam, atol=1e-12)
    U, s, Vt = np.linalg.svd(exp.sigma())
    np.testing.assert_allclose(s, lam)  # SVD of an SPD matrix: its eigenvalues
    for i in range(2):
        assert abs(U[:, i] @ V[:, i]) == pytest.approx(1.0)  # U = V up to sign
        assert abs(Vt[i] @ V[:, i]) == pytest.approx(1.0)


def test_data_singular_values_are_root_n_lambda():
    S = SVDvsEDCovariance().sigma()
    n = 50
    Q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(n, 2)))
    lam, V = np.linalg.eigh(S)
    X = math.sqrt(n) * Q @ np.diag(np.sqrt(lam)) @ V.T  # XᵀX/n = Σ exactly
    np.testing.assert_allclose(X.T @ X / n, S, atol=1e-12)
    np.testing.assert_allclose(np.sort(np.linalg.svd(X, compute_uv=False)),
                               np.sort(np.sqrt(n * lam)))


def test_sample_eigenvalues_converge_and_whitening_gives_the_identity():
    exp = SVDvsEDCovariance({"n": 4000, "seed": 7})
    frame = frames_of(exp, 2, speed=2000)[1]  # 2000 samples per frame at most
    lam = exp.lam
    samples = frame["samples"]
    assert len(samples) == 4000
    sample = frame["compare_values"][2]
    # Var of a sample eigenvalue ≈ 2λ²/n: 5 standard errors
    np.testing.assert_allclose(sample, lam, atol=5 * math.sqrt(2 / 4000) * lam.max())
    W = np.diag(lam**-0.5) @ exp.V.T
    white = samples @ W.T
    np.testing.assert_allclose(np.cov(white.T, bias=True), np.eye(2),
                               atol=5 * math.sqrt(2 / 4000))


def test_score_is_the_gradient_of_the_log_density():
    exp = SVDvsEDCovariance({"mu_x": 1.0, "mu_y": -0.5})
    frame = frames_of(exp, 1)[0]
    S = exp.sigma()
    mu = np.array([1.0, -0.5])
    Sinv = np.linalg.inv(S)

    def logp(x):
        d = x - mu
        return -0.5 * d @ Sinv @ d - 0.5 * math.log((2 * math.pi) ** 2 * np.linalg.det(S))

    h = 1e-5
    for i in (0, 10, 40, 80):
        x = np.array([frame["score_x"][i], frame["score_y"][i]])
        fd = [(logp(x + h * e) - logp(x - h * e)) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose([frame["score_u"][i], frame["score_v"][i]], fd, rtol=1e-6,
                                   atol=1e-8)


def test_a_non_positive_definite_covariance_is_refused():
    with pytest.raises(ParamError) as info:
        SVDvsEDCovariance({"s12": 4.0})  # 16 > 4·3
    assert info.value.name == "s12"
