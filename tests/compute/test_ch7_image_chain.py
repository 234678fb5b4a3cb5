"""``ch7.toy-image-diffusion-chain`` (Example 7.4.1, Exercise 7.4.1).

Exact: π = (16/37, 11/37, 10/37) from the book's decimals in fractions; the characteristic
polynomial and its roots; rows of P and P²; Kolmogorov's cycle products 0.003 ≠ 0.002 and a
single net current 0.0054 = 1/185 on every edge of the cycle; the picture's level histogram
is h₀ᵀPⁿ in law (independent pixels) and converges to π.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from compute import markov
from compute.experiment import checked_frames
from compute.experiments.ch7_image_chain import ToyImageChain, toy_image

BOOK = [["0.8", "0.15", "0.05"], ["0.2", "0.6", "0.2"], ["0.1", "0.2", "0.7"]]
P = np.array([[float(x) for x in row] for row in BOOK])


def run(count, **params):
    gen = checked_frames(ToyImageChain(params))
    return [next(gen) for _ in range(count)]


def test_exact_stationary_law_and_spectrum():
    exact = markov.rational_stationary([[Fraction(x) for x in row] for row in BOOK])
    assert exact == [Fraction(16, 37), Fraction(11, 37), Fraction(10, 37)]
    f = run(1)[0]
    assert f["pi_text"] == "16/37, 11/37, 10/37"
    np.testing.assert_allclose(f["pi"], [16 / 37, 11 / 37, 10 / 37], rtol=1e-12)
    # characteristic polynomial λ³ − tr λ² + … : roots are the eigenvalues
    coeffs = np.poly(P)
    assert coeffs[1] == pytest.approx(-2.1) and coeffs[3] == pytest.approx(-np.linalg.det(P))
    np.testing.assert_allclose(np.sort(f["eigenvalues"]), np.sort(np.roots(coeffs).real),
                               atol=1e-12)
    # λ² − 1.1λ + 0.285 = 0 for the two non-unit eigenvalues (λ³ poly divided by λ − 1)
    lam2 = (1.1 + math.sqrt(1.21 - 1.14)) / 2
    assert f["lambda2"] == pytest.approx(lam2, rel=1e-12)


@pytest.mark.parametrize("start", [2, 0])
def test_one_and_two_step_distributions(start):
    fs = run(3, start=start)
    np.testing.assert_allclose(fs[1]["mu"], P[start], rtol=1e-12)
    np.testing.assert_allclose(fs[2]["mu"], (P @ P)[start], rtol=1e-12)
    if start == 2:
        np.testing.assert_allclose(fs[2]["mu"], [0.19, 0.275, 0.535], rtol=1e-12)


def test_no_detailed_balance_and_one_circulating_current():
    f = run(1)[0]
    fwd, bwd = markov.cycle_products(P, (0, 1, 2))
    assert fwd == pytest.approx(0.003) and bwd == pytest.approx(0.002)
    F = markov.flux(P, f["pi"])
    net = F[0, 1]
    assert net == pytest.approx(1 / 185, rel=1e-9)
    assert F[1, 2] == pytest.approx(net) and F[2, 0] == pytest.approx(net)
    np.testing.assert_array_equal(f["current_edges"], [[0, 1], [1, 2], [2, 0]])


def test_a_reversible_edit_has_no_current():
    f = run(1, P=[[0.8, 0.15, 0.05], [0.2, 0.6, 0.2], [0.1, 0.3, 0.6]])[0]
    assert len(f["current_edges"]) == 0 and abs(f["net_current"]) < 1e-12


def test_picture_histogram_converges_to_pi_and_steps_to_tolerance():
    size = 64
    fs = run(61, size=size, tolerance=0.02)
    h0 = np.bincount(toy_image("shapes", size).ravel(), minlength=3) / size**2
    n_pix = size * size
    for f in fs[::10]:
        law = h0 @ np.linalg.matrix_power(P, f["n"])
        se = np.sqrt(law * (1 - law) / n_pix)
        assert np.all(np.abs(f["level_hist"] - law) < 5 * se + 1e-12)
    # the bound's step count is the first n with the exact TV below the tolerance
    tv = [markov.tv(h0 @ np.linalg.matrix_power(P, n), fs[0]["pi"]) for n in range(60)]
    first = next(n for n, d in enumerate(tv) if d <= 0.02)
    assert fs[-1]["steps_text"].endswith(f"| {first}")
