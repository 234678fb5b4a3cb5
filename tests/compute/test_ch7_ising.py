"""``ch7.ising-gibbs-metropolis``: heat-bath and Metropolis against exact results (§7.5).

References: exact enumeration of the 4×4 periodic lattice (2¹⁶ states), itself checked
against a row-to-row transfer matrix; Onsager's T_c, M(T) and energy per spin; the 1D
ring's ⟨x_ix_{i+1}⟩ = (t + t^{N−1})/(1 + t^N). Statistical tolerances: 5 standard errors from
batch means (batches much longer than the autocorrelation time).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from compute.experiment import checked_frames
from compute.experiments.ch7_ising import IsingGibbsMetropolis
from compute.ising import (
    IsingLattice,
    critical_temperature,
    enumerate_lattice,
    onsager_energy,
    onsager_magnetisation,
    ring_neighbour_correlation,
)
from compute.params import ParamError


def transfer_matrix_log_z(L, beta, J, h):
    """log Z of the L×L periodic lattice by the row-to-row transfer matrix (2^L states)."""
    rows = np.array(list(itertools.product([-1, 1], repeat=L)), dtype=float)
    within = np.sum(rows * np.roll(rows, -1, axis=1), axis=1)
    field = rows.sum(axis=1)
    between = rows @ rows.T
    half = 0.5 * beta * (J * within + h * field)
    T = np.exp(beta * J * between + half[:, None] + half[None, :])
    return float(np.log(np.trace(np.linalg.matrix_power(T, L))))


@pytest.mark.parametrize(("T", "h"), [(2.5, 0.0), (1.8, 0.0), (2.5, 0.3)])
def test_enumeration_agrees_with_the_transfer_matrix(T, h):
    beta, J = 1 / T, 1.0
    ex = enumerate_lattice(4, 4, beta, J, h)
    assert ex.log_Z == pytest.approx(transfer_matrix_log_z(4, beta, J, h), rel=1e-12)
    # ⟨E⟩ = −∂ log Z/∂β (central difference, h ∝ β in the weight)
    d = 1e-5
    dlogz = (transfer_matrix_log_z(4, beta + d, J, h)
             - transfer_matrix_log_z(4, beta - d, J, h)) / (2 * d)
    assert ex.energy == pytest.approx(-dlogz / 16, rel=1e-6)


def batch_mean_se(x, batches=40):
    x = np.asarray(x)
    b = x[: len(x) // batches * batches].reshape(batches, -1).mean(axis=1)
    return float(x.mean()), float(b.std(ddof=1) / math.sqrt(batches))


@pytest.mark.parametrize("scan", ["checkerboard", "random"])
@pytest.mark.parametrize("algorithm", ["heat-bath", "metropolis"])
@pytest.mark.parametrize(("T", "h"), [(2.5, 0.0), (2.5, 0.3)])
def test_both_samplers_reproduce_the_exact_4x4_averages(algorithm, scan, T, h):
    beta, J = 1 / T, 1.0
    ex = enumerate_lattice(4, 4, beta, J, h)
    rng = np.random.default_rng(7)
    lat = IsingLattice(rng.choice([-1, 1], size=(4, 4)))
    sweeps = 5000 if scan == "checkerboard" else 2000
    for _ in range(200):
        lat.sweep(rng, beta, J, h, algorithm, scan)
    E, absm, m2 = [], [], []
    for _ in range(sweeps):
        lat.sweep(rng, beta, J, h, algorithm, scan)
        m = lat.magnetisation()
        E.append(lat.energy(J, h) / 16)
        absm.append(abs(m))
        m2.append(m * m)
    for values, exact in ((E, ex.energy), (absm, ex.abs_m), (m2, ex.m2)):
        mean, se = batch_mean_se(values)
        assert abs(mean - exact) < 5 * se + 1e-3, (mean, exact, se)


def test_onsager_closed_forms():
    Tc = critical_temperature()
    assert Tc == pytest.approx(2 / math.log(1 + math.sqrt(2)))
    assert onsager_energy(Tc) == pytest.approx(-math.sqrt(2), abs=1e-6)
    assert onsager_magnetisation(Tc * 1.0001) == 0.0
    assert onsager_magnetisation(1.0) == pytest.approx((1 - math.sinh(2.0) ** -4) ** 0.125)
    # low temperature: u → −2J (every bond satisfied), high: u → 0
    assert onsager_energy(0.3) == pytest.approx(-2.0, abs=1e-6)
    assert abs(onsager_energy(50.0)) < 0.05


def test_large_lattice_below_tc_matches_onsager():
    """L = 64 at T = 2.0 from all-up: finite-size corrections are ~e^{−L/ξ} with ξ ≈ 1, far
    below the statistical error; |m| and E/N averaged over 400 sweeps per chain."""
    exp = IsingGibbsMetropolis({"L": 64, "T": 2.0, "initial": "all-up", "seed": 3})
    exp.set_steps_per_frame(50)
    frames = checked_frames(exp)
    for f in frames:
        if f["sweep"] >= 100:
            exp.update_live({"T": 2.0})  # restart the averages after the burn-in
            break
    for f in frames:
        if f["samples"] >= 400:
            break
    for k in range(2):
        assert f["abs_m_mean"][k] == pytest.approx(onsager_magnetisation(2.0), abs=0.01)
        assert f["energy_mean"][k] == pytest.approx(onsager_energy(2.0), abs=0.01)
    assert f["m_onsager"] == pytest.approx(onsager_magnetisation(2.0))
    assert f["Tc"] == pytest.approx(critical_temperature())


def test_ring_neighbour_correlation_is_the_transfer_matrix_value():
    L, T = 10, 1.0
    exact = ring_neighbour_correlation(L, 1 / T, 1.0)
    ex = enumerate_lattice(1, L, 1 / T, 1.0, 0.0, ring=True)
    assert ex.energy == pytest.approx(-exact, rel=1e-12)  # E/N = −J⟨x_i x_{i+1}⟩
    exp = IsingGibbsMetropolis({"L": L, "T": T, "lattice": "ring", "scan": "random",
                                "seed": 4})
    exp.set_steps_per_frame(100)
    traces = [[], []]
    for f in checked_frames(exp):
        if f["sweep"] >= 100:
            break
    lat_corr = f["ring_exact"]
    assert lat_corr == pytest.approx(exact, rel=1e-12)
    rng = np.random.default_rng(5)
    for k, algo in enumerate(("heat-bath", "metropolis")):
        lat = IsingLattice(np.ones((1, L)), ring=True)
        for _ in range(6000):
            lat.sweep(rng, 1 / T, 1.0, 0.0, algo, "random")
            traces[k].append(lat.neighbour_correlation())
        mean, se = batch_mean_se(traces[k][200:])
        assert abs(mean - exact) < 5 * se, (algo, mean, exact, se)


def test_checkerboard_metropolis_on_a_ring_is_not_ergodic():
    """The two half-sweep kernels of a 4-spin ring, multiplied: p is stationary, but the
    matrix has more than one eigenvalue of modulus one (zero-cost flips are deterministic)."""
    L, beta = 4, 1.0
    states = np.array(list(itertools.product([-1, 1], repeat=L)))
    index = {tuple(s): i for i, s in enumerate(states)}
    p = np.exp(beta * np.sum(states * np.roll(states, -1, axis=1), axis=1))
    p /= p.sum()

    def half(colour):
        P = np.zeros((16, 16))
        for i, s in enumerate(states):
            sites = [j for j in range(L) if j % 2 == colour]
            acc = [min(1.0, math.exp(-beta * 2 * s[j] * (s[j - 1] + s[(j + 1) % L])))
                   for j in sites]
            for flips in itertools.product([0, 1], repeat=len(sites)):
                t, prob = s.copy(), 1.0
                for j, f, a in zip(sites, flips, acc, strict=True):
                    prob *= a if f else 1 - a
                    t[j] = -t[j] if f else t[j]
                P[i, index[tuple(t)]] += prob
        return P

    P = half(0) @ half(1)
    np.testing.assert_allclose(p @ P, p, atol=1e-14)
    assert np.count_nonzero(np.abs(np.abs(np.linalg.eigvals(P)) - 1) < 1e-9) > 1
    # so the ring is always swept site by site, whatever the scan setting
    exp = IsingGibbsMetropolis({"lattice": "ring", "L": 16, "scan": "checkerboard"})
    assert "ergodic" in " ".join(exp.book_notes)


def test_odd_sizes_and_big_random_scans_are_refused():
    with pytest.raises(ParamError) as info:
        IsingGibbsMetropolis({"L": 7})
    assert info.value.name == "L"
    with pytest.raises(ParamError) as info:
        IsingGibbsMetropolis({"L": 128, "scan": "random"})
    assert info.value.name == "scan"


def test_frames_show_both_lattices_and_the_exact_4x4_values():
    exp = IsingGibbsMetropolis({"L": 4, "T": 2.5, "seed": 1})
    f = next(checked_frames(exp))
    ex = enumerate_lattice(4, 4, 0.4, 1.0, 0.0)
    assert f["spins_gibbs"].shape == f["spins_metropolis"].shape == (4, 4)
    np.testing.assert_array_equal(f["spins_gibbs"], f["spins_metropolis"])  # same start
    assert f["exact_energy"] == pytest.approx(ex.energy)
    assert f["exact_abs_m"] == pytest.approx(ex.abs_m)
