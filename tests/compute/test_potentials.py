"""The one-dimensional potentials of the Langevin experiments, against closed forms.

Expected values come from the formulas themselves (roots of U′, U″ at the landmarks,
Kramers' formula) and from ``scipy.integrate.quad``, never from the module under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from compute.potentials import (
    boltzmann,
    boltzmann_mass,
    double_well,
    kramers_rate,
    landmarks,
    quadratic,
    second_derivative,
    triple_well,
)

LAB_GRID = np.linspace(-2.5, 2.5, 400)  # the experiment's grid: 0 is not a grid point
ODD_GRID = np.linspace(-2.5, 2.5, 401)  # 0 and ±1 are grid points

POTENTIALS = {
    "double": double_well(),
    "tilted+": double_well(0.1),
    "tilted-": double_well(-0.23),
    "triple": triple_well(),
    "quadratic": quadratic(2.5),
}


def _Z(potential, D, lo=-8.0, hi=8.0):
    """Z = ∫ exp(−U/D) dx by adaptive quadrature (the tails beyond |x| = 8 are < e^{-900})."""
    def w(x):
        return math.exp(-float(potential.U(np.array(x))) / D)

    return integrate.quad(w, lo, hi, points=[-math.sqrt(2), -1.0, 0.0, 1.0, math.sqrt(2)],
                          limit=400, epsabs=0, epsrel=1e-12)[0]


def _mass(potential, D, a, b):
    """∫_a^b exp(−U/D) dx / Z by quadrature."""
    def w(x):
        return math.exp(-float(potential.U(np.array(x))) / D)

    a, b = max(a, -8.0), min(b, 8.0)
    return integrate.quad(w, a, b, limit=400, epsabs=0, epsrel=1e-12)[0] / _Z(potential, D)


def _tilted_critical_points(tilt):
    """Real roots of U′(x) = x³ − x + ε, sorted (three when |ε| < 2/(3√3))."""
    roots = np.roots([1.0, 0.0, -1.0, tilt])
    return np.sort(roots[np.abs(roots.imag) < 1e-9].real)


# -- U and U′ -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(POTENTIALS))
def test_derivative_is_the_derivative_of_U(name):
    """U′ equals the central difference (U(x+h) − U(x−h))/2h, whose error is h²U‴/6."""
    pot = POTENTIALS[name]
    x = np.linspace(-2.5, 2.5, 1001)
    h = 1e-5
    fd = (pot.U(x + h) - pot.U(x - h)) / (2 * h)
    # truncation h²|U‴|/6 < 1e-8 on [−2.5, 2.5]; rounding ~ ε|U|/h < 1e-9
    np.testing.assert_allclose(pot.dU(x), fd, rtol=0, atol=1e-7)


def test_closed_form_values():
    dw, tw = double_well(), triple_well()
    np.testing.assert_allclose(dw.U(np.array([-1.0, 0.0, 1.0])), [0.0, 0.25, 0.0], atol=1e-15)
    np.testing.assert_allclose(dw.dU(np.array([-1.0, 0.0, 1.0])), 0.0, atol=1e-15)
    r = math.sqrt(2.0)
    np.testing.assert_allclose(tw.U(np.array([-r, 0.0, r])), 0.0, atol=1e-15)
    b = math.sqrt(2.0 / 3.0)
    np.testing.assert_allclose(tw.U(np.array([-b, b])), 8.0 / 27.0, rtol=1e-14)
    x = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(double_well(0.3).U(x) - dw.U(x), 0.3 * x, atol=1e-14)
    np.testing.assert_allclose(quadratic(2.5).U(x), 1.25 * x * x)


def test_potential_names_are_the_choice_strings():
    assert double_well().name == "double-well"
    assert double_well(0.1).name == "tilted-double-well"
    assert triple_well().name == "triple-well"
    assert quadratic().name == "quadratic"


# -- landmarks and curvatures -------------------------------------------------------------
@pytest.mark.parametrize("grid", [LAB_GRID, ODD_GRID], ids=["even", "odd"])
def test_landmarks_double_well(grid):
    minima, barriers = landmarks(double_well(), grid)
    np.testing.assert_allclose(minima, [-1.0, 1.0], atol=1e-10)
    np.testing.assert_allclose(barriers, [0.0], atol=1e-10)


@pytest.mark.parametrize("grid", [LAB_GRID, ODD_GRID], ids=["even", "odd"])
def test_landmarks_triple_well(grid):
    minima, barriers = landmarks(triple_well(), grid)
    r, b = math.sqrt(2.0), math.sqrt(2.0 / 3.0)
    np.testing.assert_allclose(minima, [-r, 0.0, r], atol=1e-10)
    np.testing.assert_allclose(barriers, [-b, b], atol=1e-10)


@pytest.mark.parametrize("tilt", [0.1, -0.23, 0.38])
def test_landmarks_tilted_double_well_are_the_roots_of_the_cubic(tilt):
    """x³ − x + ε = 0 has three real roots for |ε| < 2/(3√3) ≈ 0.385: minimum, barrier, minimum."""
    lo, mid, hi = _tilted_critical_points(tilt)
    minima, barriers = landmarks(double_well(tilt), LAB_GRID)
    np.testing.assert_allclose(minima, [lo, hi], atol=1e-10)
    np.testing.assert_allclose(barriers, [mid], atol=1e-10)


def test_landmarks_beyond_the_critical_tilt_leave_a_single_well():
    tilt = 0.45  # > 2/(3√3): one real root of U′
    (root,) = _tilted_critical_points(tilt)
    minima, barriers = landmarks(double_well(tilt), LAB_GRID)
    np.testing.assert_allclose(minima, [root], atol=1e-10)
    assert barriers.size == 0


def test_landmarks_quadratic():
    minima, barriers = landmarks(quadratic(2.5), LAB_GRID)
    np.testing.assert_allclose(minima, [0.0], atol=1e-10)
    assert barriers.size == 0


def test_second_derivative_closed_forms():
    """Double well: U″ = 3x² − 1 (2 at ±1, −1 at 0); triple well: U″(0) = 2, U″(±√2) = 8,
    U″(±√(2/3)) = −8/3; quadratic: λ."""
    np.testing.assert_allclose(second_derivative(double_well(), np.array([-1.0, 0.0, 1.0])),
                               [2.0, -1.0, 2.0], rtol=1e-8)
    r, b = math.sqrt(2.0), math.sqrt(2.0 / 3.0)
    np.testing.assert_allclose(second_derivative(triple_well(), np.array([0.0, r, -b, b])),
                               [2.0, 8.0, -8.0 / 3.0, -8.0 / 3.0], rtol=1e-8)
    np.testing.assert_allclose(second_derivative(quadratic(2.5), np.linspace(-2, 2, 5)), 2.5,
                               rtol=1e-8)
    x = np.linspace(-2, 2, 17)
    np.testing.assert_allclose(second_derivative(double_well(0.2), x), 3 * x * x - 1,
                               rtol=0, atol=1e-7)


# -- Boltzmann law ------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(POTENTIALS))
@pytest.mark.parametrize("D", [0.05, 0.3, 1.5])
def test_boltzmann_is_normalised_exp_minus_U_over_D(name, D):
    pot = POTENTIALS[name]
    grid = np.linspace(-6.0, 6.0, 6001)
    p = boltzmann(pot, D, grid)
    assert np.trapezoid(p, grid) == pytest.approx(1.0, abs=1e-12)
    expected = np.exp(-pot.U(grid) / D) / _Z(pot, D)
    # The trapezoid rule on a smooth integrand that vanishes with all its derivatives at the
    # ends is spectrally accurate, so the grid's Z agrees with quad to near round-off.
    np.testing.assert_allclose(p, expected, rtol=1e-9, atol=1e-12 * expected.max())


@pytest.mark.parametrize("D", [0.1, 0.3, 1.0])
def test_boltzmann_on_the_lab_grid(D):
    """On [−2.5, 2.5] the mass outside is < 1e-4 for D ≤ 1, so Z on the grid is Z on ℝ."""
    pot = double_well()
    p = boltzmann(pot, D, LAB_GRID)
    expected = np.exp(-pot.U(LAB_GRID) / D) / _Z(pot, D)
    np.testing.assert_allclose(p, expected, rtol=2e-4, atol=0)


@pytest.mark.parametrize("D", [0.05, 0.3, 1.0])
def test_boltzmann_barrier_to_well_ratio(D):
    """p(0)/p(±1) = exp(−ΔU/D) = e^{−1/(4D)}."""
    p = boltzmann(double_well(), D, ODD_GRID)
    i0, im, ip = (int(np.argmin(np.abs(ODD_GRID - v))) for v in (0.0, -1.0, 1.0))
    assert p[i0] / p[ip] == pytest.approx(math.exp(-1.0 / (4.0 * D)), rel=1e-12)
    assert p[im] == pytest.approx(p[ip], rel=1e-12)


@pytest.mark.parametrize("D", [0.2, 1.0])
def test_boltzmann_of_the_quadratic_is_the_gaussian(D):
    """U = λx²/2 gives N(0, D/λ) (the OU stationary law of the book)."""
    lam = 2.5
    grid = np.linspace(-6.0, 6.0, 4001)
    gauss = np.sqrt(lam / (2 * np.pi * D)) * np.exp(-lam * grid**2 / (2 * D))
    np.testing.assert_allclose(boltzmann(quadratic(lam), D, grid), gauss, rtol=1e-10,
                               atol=1e-14)


@pytest.mark.parametrize("D", [0.05, 0.3, 1.5])
def test_boltzmann_mass_of_the_right_half_is_one_half(D):
    """U is even, so P(x > 0) = 1/2 exactly (0 is a node of the quadrature grid)."""
    assert boltzmann_mass(double_well(), D, 0.0, np.inf) == pytest.approx(0.5, abs=1e-12)
    assert boltzmann_mass(triple_well(), D, 0.0, np.inf) == pytest.approx(0.5, abs=1e-12)
    assert boltzmann_mass(double_well(), D, -np.inf, np.inf) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("tilt", [0.1, -0.23])
@pytest.mark.parametrize("D", [0.1, 0.3, 1.0])
@pytest.mark.parametrize("interval", ["right-of-barrier", "left-of-barrier", "inner"])
def test_boltzmann_mass_matches_quad(tilt, D, interval):
    pot = double_well(tilt)
    barrier = _tilted_critical_points(tilt)[1]
    a, b = {"right-of-barrier": (barrier, np.inf), "left-of-barrier": (-np.inf, barrier),
            "inner": (-0.37, 0.81)}[interval]
    got = boltzmann_mass(pot, D, a, b)
    expected = _mass(pot, D, a, b)
    # The documented method is a trapezoid over the grid nodes inside [a, b] (spacing
    # h = 12/24000): an end that falls between nodes loses at most h·p(end), the O(h²)
    # trapezoid error is far smaller.
    h = 12.0 / 24000
    Z = _Z(pot, D)
    p_end = sum(math.exp(-float(pot.U(np.array(e))) / D) / Z for e in (a, b) if np.isfinite(e))
    assert got == pytest.approx(expected, abs=h * p_end + 1e-9)


# -- Kramers ------------------------------------------------------------------------------
@pytest.mark.parametrize("D", [0.05, 0.1, 0.25, 0.3, 1.0])
def test_kramers_rate_double_well(D):
    """k = √(U″(1)|U″(0)|)/(2π)·e^{−ΔU/D} = (√2/2π)·e^{−1/(4D)}."""
    expected = math.sqrt(2.0) / (2 * math.pi) * math.exp(-1.0 / (4.0 * D))
    assert kramers_rate(double_well(), D, -1.0, 0.0) == pytest.approx(expected, rel=1e-8)
    assert kramers_rate(double_well(), D, 1.0, 0.0) == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("D", [0.1, 0.3])
def test_kramers_rate_triple_well_and_tilted(D):
    """Triple well from 0 over √(2/3): √(2·8/3)/(2π)·e^{−(8/27)/D}; tilted: from the roots."""
    b = math.sqrt(2.0 / 3.0)
    expected = math.sqrt(2.0 * 8.0 / 3.0) / (2 * math.pi) * math.exp(-8.0 / 27.0 / D)
    assert kramers_rate(triple_well(), D, 0.0, b) == pytest.approx(expected, rel=1e-8)

    tilt = 0.1
    lo, mid, _ = _tilted_critical_points(tilt)
    pot = double_well(tilt)

    def U(x):
        return 0.25 * (x * x - 1) ** 2 + tilt * x

    expected = (math.sqrt((3 * lo**2 - 1) * abs(3 * mid**2 - 1)) / (2 * math.pi)
                * math.exp(-(U(mid) - U(lo)) / D))
    assert kramers_rate(pot, D, lo, mid) == pytest.approx(expected, rel=1e-7)
