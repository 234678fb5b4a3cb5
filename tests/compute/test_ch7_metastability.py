"""``ch7.langevin-metastability-exercise`` (Exercise 7.3.2): Arrhenius sweep and currents.

* sweep: hops between the cores, monitored every EM step (levels shifted out by the mean
  overshoot 0.5826√(2DΔt)), have rate 1/MFPT(−c → c) from the double integral; the exact
  curve's slope in log(rate) vs 1/D tends to −ΔU = −1/4;
* rotational drift −(I + γA)x: the EM chain x ← Mx + √(2DΔt)ξ with M = (1 − Δt)I − γΔtA has
  stationary covariance D/(1 − Δt(1 + γ²)/2)·I (MMᵀ = ((1 − Δt)² + γ²Δt²)I) and turns by
  −atan(γΔt/(1 − Δt)) per step on average (the noise's angle is symmetric about Mx);
* shear −x + (γy², 0): E x = γE y² = γD/(1 − Δt/2) for the EM chain — the law moved;
* ring: uniform law, current F/L.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from compute.experiment import checked_frames
from compute.experiments.ch7_metastability import INV_D, LangevinMetastability
from compute.fokker_planck import mfpt
from compute.potentials import double_well

OVERSHOOT = -float(special.zeta(0.5)) / math.sqrt(2.0 * math.pi)


def run(steps, speed=50, **params):
    exp = LangevinMetastability(params)
    exp.set_steps_per_frame(speed)
    for f in checked_frames(exp):
        if f["step"] >= steps:
            return exp, f
    raise AssertionError


def test_sweep_rates_are_one_over_the_mean_first_passage_time():
    n, dt = 1000, 0.01
    _, f = run(2000, sweep_particles=n, n_particles=1000, dt=dt, seed=1)
    t = f["t"]
    for inv, rate, hops in zip(INV_D, f["rate"], f["hops"], strict=True):
        D = 1 / inv
        c = 0.5 + OVERSHOOT * math.sqrt(2 * D * dt)
        expected = 1 / mfpt(double_well(), D, -c, c)
        # started from the Boltzmann law: a stationary renewal count, CV of a gap ≤ 1
        assert rate == pytest.approx(expected, rel=4.5 / math.sqrt(expected * n * t) + 0.02), \
            (inv, rate, expected, hops)
    # exact curve field and the Arrhenius asymptote of the exact rate
    np.testing.assert_allclose(f["rate_exact"][[0, -1]],
                               [1 / mfpt(double_well(), 1 / INV_D[0], -0.5, 0.5),
                                1 / mfpt(double_well(), 1 / INV_D[-1], -0.5, 0.5)], rtol=1e-9)
    far = [math.log(mfpt(double_well(), 1 / v, -0.5, 0.5)) for v in (30.0, 40.0)]
    assert (far[1] - far[0]) / 10.0 == pytest.approx(0.25, abs=0.01)
    assert f["slope"] == pytest.approx(f["exact_slope"], abs=0.05)


def test_rotational_drift_keeps_the_gaussian_and_turns_at_gamma():
    n, dt, D, gamma = 10_000, 0.01, 0.5, 2.0
    _, f = run(1000, n_particles=n, sweep_particles=100, dt=dt, D=D, gamma=gamma, seed=2)
    var = D / (1 - dt * (1 + gamma**2) / 2)
    assert abs(f["second_moment"] - 2 * var) < 5 * 2 * var / math.sqrt(n)
    omega = -math.atan(gamma * dt / (1 - dt)) / dt
    steps_counted = f["step"]
    assert abs(f["omega"] - omega) < 5 * math.pi / math.sqrt(n * steps_counted) / dt
    assert f["omega"] < -0.9 * gamma
    # the estimated current circulates like the exact one
    J = np.stack([f["J_x"], f["J_y"]])
    E = np.stack([f["Jx_exact"], f["Jy_exact"]])
    sel = np.hypot(*J) > 0
    cos = np.sum(J[:, sel] * E[:, sel]) / (np.linalg.norm(J[:, sel]) * np.linalg.norm(E[:, sel]))
    assert cos > 0.9
    # the Boltzmann cell densities integrate to one over the box (mass outside ≈ e^{−9})
    assert f["boltzmann2d"].sum() * (6 / 14) ** 2 == pytest.approx(1.0, abs=1e-3)
    # radial Boltzmann density of the quadratic: (r/D)e^{−r²/2D}, bin-averaged
    edges = f["r_edges"]
    mass = np.diff(-np.exp(-(edges**2) / (2 * D)))
    np.testing.assert_allclose(f["r_boltzmann"], mass / np.diff(edges), atol=2e-3)


def test_without_the_rotation_there_is_no_current():
    _, f = run(800, n_particles=10_000, sweep_particles=100, gamma=0.0, seed=3)
    _, g = run(800, n_particles=10_000, sweep_particles=100, gamma=2.0, seed=3)
    assert np.abs(f["Jx_exact"]).max() == 0.0
    size = np.mean(np.hypot(f["J_x"], f["J_y"]))
    assert size < 0.25 * np.mean(np.hypot(g["J_x"], g["J_y"]))
    assert abs(f["omega"]) < 0.1


def test_a_shear_drift_moves_the_stationary_law():
    n, dt, D, gamma = 10_000, 0.01, 0.5, 1.0
    _, f = run(600, n_particles=n, sweep_particles=100, drift="shear", gamma=gamma, D=D,
               dt=dt, seed=4)
    mean_x = gamma * D / (1 - dt / 2)
    # Var x ≤ D + γ²Var(y²) ≈ D + 2γ²D²
    assert abs(f["mean_x"] - mean_x) < 5 * math.sqrt((D + 2 * gamma**2 * D**2) / n)


def test_ring_has_a_uniform_law_and_current_F_over_L():
    D, F = 0.5, 2.0
    _, f = run(1000, n_particles=1000, sweep_particles=100, D=D, F=F, seed=5)
    n, t = 5000, f["t"]
    assert abs(f["ring_current"] - F) < 5 * math.sqrt(2 * D / (t * n))
    width = np.diff(f["ring_edges"])
    se = np.sqrt(width * (1 - width) / n) / width
    assert np.all(np.abs(f["ring_hist"] - 1.0) < 5 * se)
