"""Chapter 2 linear systems ẋ = Ax: the exponential by eigen-decomposition against the SVD
(Exercise 2.3.2), against scipy's expm and the 2×2 closed forms."""

import numpy as np
import pytest
from scipy.linalg import expm

from compute import ParamError, checked_frames
from compute.experiments.ch2_linear_systems import (
    EdVsSvdExponential,
    ed_exponential,
    eigenvalues_2x2,
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
