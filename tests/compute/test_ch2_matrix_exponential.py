"""ch2.matrix-exponential-properties (Exercise 2.3.1): identities to round-off and the
Baker–Campbell–Hausdorff rate for non-commuting pairs."""

import numpy as np
import pytest
from scipy.linalg import expm

from compute import checked_frames
from compute.experiments.ch2_matrix_exponential import (
    MatrixExponentialProperties,
    random_pair,
    splitting_error,
)


def last(params):
    return list(checked_frames(MatrixExponentialProperties(params)))[-1]


@pytest.mark.parametrize("jordan", [False, True])
def test_identities_hold_to_round_off(jordan):
    fr = last({"commute": True, "jordan": jordan, "dim": 4})
    assert fr["commute_err"] < 1e-13 and fr["similar_err"] < 1e-12 and fr["det_err"] < 1e-12
    assert np.abs(fr["commutator"]).max() < 1e-14
    assert fr["split_err"].max() < 1e-13 * np.exp(2 * 3.0 * 2)  # round-off of e^{ε(A+B)}


def test_non_commuting_splitting_error_follows_bch_with_slope_two():
    A, B = random_pair(3, 0, False, False)
    C = np.linalg.norm(A @ B - B @ A, 2)
    for eps in (1e-3, 1e-2):
        assert splitting_error(A, B, eps) == pytest.approx(0.5 * eps**2 * C, rel=0.05)
    fr = last({})
    assert len(fr["eps_done"]) == 48 and fr["slope"] == pytest.approx(2.0, abs=0.02)
    np.testing.assert_allclose(fr["det_exp"], fr["exp_tr"], rtol=1e-11)


def test_jordan_block_det_equals_exp_trace():
    A = 0.3 * np.eye(5) + np.eye(5, k=1)
    assert np.linalg.det(expm(A)) == pytest.approx(np.exp(1.5), rel=1e-13)
