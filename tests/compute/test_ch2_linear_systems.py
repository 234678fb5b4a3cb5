"""Chapter 2 linear systems ẋ = Ax: the exponential by eigen-decomposition against the SVD
(Exercise 2.3.2), against scipy's expm and the 2×2 closed forms."""

import numpy as np
import pytest
from scipy.linalg import expm

from compute import Diverged, ParamError, checked_frames
from compute.experiments.ch2_linear_systems import (
    NB_A,
    EdVsSvdExponential,
    ForcedLinearR3,
    ed_exponential,
    eigenvalues_2x2,
    forced_solution,
    forced_solution_ed,
    steady_state,
    svd_exponential,
)

BOOK = np.array([[2.0, 1.0], [1.0, -1.0]])
SPD = np.array([[2.0, 1.0], [1.0, 3.0]])


@pytest.mark.parametrize("A", [BOOK, SPD, np.array([[1.0, 2.0], [0.0, -1.0]])])
def test_eigen_decomposition_gives_expm_to_round_off(A):
    # both are backward stable: relative agreement to a few hundred ulps at t‖A‖ ≈ 7
    for t in (0.0, 0.5, 1.0, 3.0):
        E = expm(t * A)
        assert np.linalg.norm(ed_exponential(A, t) - E, 2) <= 1e-12 * np.linalg.norm(E, 2)


def test_eigenvalues_follow_the_characteristic_polynomial_and_singular_values_are_their_moduli():
    lam = eigenvalues_2x2(BOOK)  # tr = 1, det = −3: λ = (1 ± √13)/2
    np.testing.assert_allclose(lam, [(1 + 13**0.5) / 2, (1 - 13**0.5) / 2])
    np.testing.assert_allclose(sorted(np.linalg.eigvalsh(BOOK)), sorted(lam.real))
    np.testing.assert_allclose(np.linalg.svd(BOOK, compute_uv=False), sorted(np.abs(lam))[::-1])


def test_svd_formula_fails_for_the_indefinite_matrix_and_the_gap_grows():
    gaps = [np.linalg.norm(svd_exponential(BOOK, t) - expm(t * BOOK), 2) for t in (0, 1, 2, 3)]
    assert gaps[0] == pytest.approx(2.0)  # UVᵀ = Q diag(1, −1) Qᵀ: ‖UVᵀ − I‖ = 2
    assert np.all(np.diff(gaps) > 0)


def test_svd_formula_is_exact_for_a_positive_definite_matrix():
    for t in (0.0, 1.0, 3.0):
        E = expm(t * SPD)
        assert np.linalg.norm(svd_exponential(SPD, t) - E, 2) <= 1e-12 * np.linalg.norm(E, 2)


def test_run_records_both_errors_and_refuses_a_jordan_block():
    exp = EdVsSvdExponential()
    exp.set_steps_per_frame(50)
    it = checked_frames(exp)
    frames = [next(it) for _ in range(8)]
    it.close()
    last = frames[-1]
    assert last["t"] == pytest.approx(3.0)
    assert np.all(last["ed_err_hist"] < 1e-12 * last["expm_norm_hist"])
    assert last["svd_err_hist"].min() >= 2.0 - 1e-9  # from ‖UVᵀ − I‖ = 2 upwards
    assert list(last["fixed_kinds"]) == ["saddle"]
    with pytest.raises(ParamError, match="not diagonalisable"):
        EdVsSvdExponential({"A": [[1.0, 1.0], [0.0, 1.0]]})


# -- the forced system ẋ = Ax + b (Fig 2.9) ------------------------------------------------
A_NB, B_NB = np.array(NB_A), np.array([1.0, 0.5, -0.5])


def final_frame(params, speed=200):
    exp = ForcedLinearR3(params)
    exp.set_steps_per_frame(speed)
    return list(checked_frames(exp))[-1]


def test_steady_state_solves_a_xbar_plus_b_equal_zero():
    xbar, _ = steady_state(A_NB, B_NB)
    # back substitution: −0.2x̄₃ = 0.5, −0.5x̄₂ + 0.3x̄₃ = −0.5, −x̄₁ + 0.5x̄₂ = −1
    np.testing.assert_allclose(xbar, [0.75, -0.5, -2.5])
    np.testing.assert_allclose(A_NB @ xbar + B_NB, 0, atol=1e-14)
    assert steady_state(np.diag([-1.0, -0.5, 0.0]), B_NB)[0] is None


@pytest.mark.parametrize("A", [A_NB, np.diag([-1.0, -0.5, 0.0]),
                               np.array([[-0.2, 1, 0], [-1, -0.2, 0], [0, 0, -0.5]])])
def test_eigen_formula_agrees_with_the_exponential_of_the_augmented_matrix(A):
    x0 = np.array([0.3, -0.2, 1.0])
    for t in (0.5, 3.0, 20.0):
        np.testing.assert_allclose(forced_solution_ed(A, B_NB, x0, t),
                                   forced_solution(A, B_NB, x0, t), rtol=1e-10, atol=1e-12)


def test_euler_error_against_the_closed_form_is_first_order():
    errors = [final_frame({"dt": dt})["err_hist"][-1] for dt in (0.02, 0.01)]
    assert errors[0] / errors[1] == pytest.approx(2.0, rel=0.05)


def test_slow_mode_gap_overshoot_and_linear_drift():
    xbar = np.array([0.75, -0.5, -2.5])
    gaps = [np.linalg.norm(forced_solution(A_NB, B_NB, np.zeros(3), T) - xbar) for T in (20, 40)]
    assert gaps[1] / gaps[0] == pytest.approx(np.exp(-0.2 * 20), rel=0.05)  # e^{λ_slow ΔT}
    fr = final_frame({}, speed=100)
    assert fr["t"] == pytest.approx(20.0)
    assert fr["x_hist"][0].max() > xbar[0] + 0.3  # x₁ overshoots x̄₁ (non-normal coupling)
    assert np.linalg.norm(fr["x"] - xbar) > 0.01  # not there yet at T = 20
    singular = [list(r) for r in NB_A[:2]] + [[0.0, 0.0, 0.0]]
    fr = final_frame({"A": singular, "T": 10.0})
    assert "no steady state" in fr["steady_text"]
    np.testing.assert_allclose(fr["x_hist"][2], -0.5 * fr["t_hist"], atol=1e-12)  # ẋ₃ = b₃


def test_an_unstable_system_stops_with_its_growing_eigenvalue():
    A = [[1.0, 0.5, 0.0], [0.0, -0.5, 0.3], [0.0, 0.0, 2.0]]
    with pytest.raises(Diverged, match="eigenvalue 2 with positive real part"):
        final_frame({"A": A, "T": 100.0})
