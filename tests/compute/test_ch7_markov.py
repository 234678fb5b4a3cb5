"""``ch7.markov-chain-zoo`` and ``ch7.pagerank-perron-frobenius`` (§7.4, Exercise 7.4.2).

Closed forms: the two-state chain's π = (P₁₀, P₀₁)/(P₀₁ + P₁₀) and eigenvalues {1, 1 − P₀₁ −
P₁₀} (its TV is exactly TV₀·λ₂ⁿ); the 3-cycle's cube roots of unity, period 3 and flux 1/3;
the lazy 3-cycle's |λ₂| = |ε + (1 − ε)ω|; the line chain's π_i ∝ ((1−α)/α)^i and |λ₂| =
cos(π/n) at α = ½; PageRank's exact rational π = (2/7, 2/7, 3/7), its characteristic
polynomial, the right iteration's limit 𝟙/n, damping scaling the non-unit spectrum by β.
"""

from __future__ import annotations

import cmath
import math
from fractions import Fraction

import numpy as np
import pytest

from compute import markov
from compute.experiment import checked_frames
from compute.experiments.ch7_markov import MarkovChainZoo, PageRankPerronFrobenius
from compute.params import ParamError


def frames(cls, count, **params):
    gen = checked_frames(cls(params))
    return [next(gen) for _ in range(count)]


def test_two_state_chain():
    fs = frames(MarkovChainZoo, 12)
    f = fs[-1]
    np.testing.assert_allclose(f["pi"], [0.3 / 0.5, 0.2 / 0.5], rtol=1e-12)
    np.testing.assert_allclose(np.sort(f["eig_re"]), [0.5, 1.0], atol=1e-12)
    assert f["reversible"] and np.abs(f["flux"]).max() < 1e-12
    # μ_n − π = (μ₀ − π)λ₂ⁿ exactly
    np.testing.assert_allclose(f["tv"], f["tv_bound"], rtol=1e-9)
    assert f["steps_to_tol"] == math.ceil(math.log(0.4 / 0.01) / math.log(2))
    # walkers follow μ_n: binomial tolerance per state
    n = 1000
    assert np.all(np.abs(f["walker_freq"] - f["mu"]) < 5 * np.sqrt(f["mu"] * (1 - f["mu"]) / n))


def test_three_cycle_is_periodic_and_irreversible_until_made_lazy():
    fs = frames(MarkovChainZoo, 10, chain="3-cycle")
    for f in fs:
        expected = np.zeros(3)
        expected[f["n"] % 3] = 1.0
        np.testing.assert_allclose(f["mu"], expected, atol=1e-12)
    f = fs[-1]
    roots = np.exp(2j * np.pi * np.arange(3) / 3)
    eig = f["eig_re"] + 1j * f["eig_im"]
    assert all(np.min(np.abs(eig - r)) < 1e-9 for r in roots)
    assert f["gap"] == pytest.approx(0.0, abs=1e-9) and f["period"] == 3
    assert f["steps_to_tol"] == -1
    assert f["flux"][0, 1] == pytest.approx(1 / 3) and not f["reversible"]
    # Cesàro averages converge to uniform: after n steps, counts differ by at most one
    assert markov.tv(f["cesaro"], np.full(3, 1 / 3)) <= 2 / (3 * (f["n"] + 1)) + 1e-12
    for eps in (0.1, 0.3, 0.6):
        g = frames(MarkovChainZoo, 1, chain="3-cycle", eps=eps)[0]
        w = cmath.exp(2j * math.pi / 3)
        assert g["lambda2"] == pytest.approx(abs(eps + (1 - eps) * w), rel=1e-9)
        assert g["period"] == 1 and g["steps_to_tol"] > 0


@pytest.mark.parametrize("alpha", [0.3, 0.5, 0.8])
def test_line_chain_is_reversible_with_geometric_law(alpha):
    n = 12
    f = frames(MarkovChainZoo, 1, chain="line", n_line=n, alpha=alpha)[0]
    r = (1 - alpha) / alpha
    expected = r ** np.arange(n)
    np.testing.assert_allclose(f["pi"], expected / expected.sum(), rtol=1e-9)
    assert f["reversible"]
    if alpha == 0.5:
        assert f["lambda2"] == pytest.approx(math.cos(math.pi / n), rel=1e-9)


def test_reducible_and_zero_row_matrices_are_refused():
    with pytest.raises(ParamError) as info:
        MarkovChainZoo({"chain": "custom", "matrix": [[1, 0], [0, 1]]})
    assert info.value.name == "matrix" and "reducible" in info.value.message
    with pytest.raises(ParamError) as info:
        MarkovChainZoo({"chain": "custom", "matrix": [[1, 1], [0, 0]]})
    assert info.value.name == "matrix" and "row 2" in info.value.message
    with pytest.raises(ParamError, match="start"):
        MarkovChainZoo({"chain": "two-state", "start": 5})


BOOK = [["0.05", "0.90", "0.05"], ["0.80", "0.10", "0.10"], ["0.10", "0.00", "0.90"]]


def test_pagerank_stationary_law_is_the_exact_rational_solution():
    exact = markov.rational_stationary([[Fraction(x) for x in row] for row in BOOK])
    assert exact == [Fraction(2, 7), Fraction(2, 7), Fraction(3, 7)]
    f = frames(PageRankPerronFrobenius, 200)[-1]
    np.testing.assert_allclose(f["pi"], [float(x) for x in exact], rtol=1e-12)
    np.testing.assert_allclose(f["iterate"], f["pi"], atol=1e-12)


def test_pagerank_spectrum_and_error_decay():
    P = np.array([[float(x) for x in row] for row in BOOK])
    coeffs = np.poly(P)  # characteristic polynomial
    assert coeffs[1] == pytest.approx(-np.trace(P))
    roots = np.roots(coeffs)
    lam2 = sorted(np.abs(roots))[-2]
    f = frames(PageRankPerronFrobenius, 61)[-1]
    assert f["lambda2"] == pytest.approx(lam2, rel=1e-9)
    # the subdominant eigenvalues are real, 0.822 and −0.772: the slowest mode does not
    # oscillate (the −0.772 mode alternates in sign but dies faster)
    assert np.all(np.abs(np.imag(roots)) < 1e-12)
    assert sorted(np.real(roots))[0] == pytest.approx(-0.7722609, abs=1e-6)
    k, err = f["k"], f["error"]
    sel = (k >= 20) & (k <= 60)
    slope = np.polyfit(k[sel], np.log(err[sel]), 1)[0]
    assert math.exp(slope) == pytest.approx(lam2, rel=0.03)
    assert f["iterations_to_tol"] == markov.steps_to_tv(P, np.array([1.0, 0, 0]), f["pi"],
                                                        1e-6)


def test_pagerank_checks_and_the_wrong_side():
    P = np.array([[float(x) for x in row] for row in BOOK])
    assert markov.is_irreducible(P) and markov.period(P) == 1
    fwd, bwd = markov.cycle_products(P, (0, 1, 2))
    assert fwd == pytest.approx(0.9 * 0.1 * 0.1) and bwd == 0.0  # P₂₁ = 0: not reversible
    f = frames(PageRankPerronFrobenius, 120, side="right")[-1]
    np.testing.assert_allclose(f["iterate"], np.full(3, 1 / 3), atol=1e-9)
    assert f["checks_text"] == "yes | yes | no"


@pytest.mark.parametrize("beta", [0.85, 0.6])
def test_damping_scales_every_non_unit_eigenvalue_by_beta(beta):
    P = np.array([[float(x) for x in row] for row in BOOK])
    f = frames(PageRankPerronFrobenius, 1, beta=beta)[0]
    lam_P = markov.spectrum(P)
    lam_G = f["eig_re_G"] + 1j * f["eig_im_G"]
    np.testing.assert_allclose(np.sort_complex(lam_G[1:]), np.sort_complex(beta * lam_P[1:]),
                               atol=1e-9)
    assert f["lambda2"] == pytest.approx(beta * markov.second_modulus(P), rel=1e-9)
