"""``ch7.bm-boundaries-exercise``: Brownian motion on [0, L] with walls (Exercise 7.3.1).

Closed forms (eigen-series and classical results): absorbing walls S(t) = Σ_{n odd}
(4/nπ) sin(nπx₀/L) e^{−Dn²π²t/L²}, P(X_τ = L) = x₀/L, E τ = x₀(L − x₀)/(2D), decay rate
Dπ²/L²; reflecting walls conserve mass and flatten to 1/L. Monitoring the walls only at
grid times overestimates S by O(√Δt); the bridge correction removes most of it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from compute.experiment import checked_frames
from compute.experiments.ch7_bm_boundaries import BrownianBoundaries
from compute.heat import IntervalDiffusion
from compute.params import ParamError


def run(speed=20, **params):
    exp = BrownianBoundaries(params)
    exp.set_steps_per_frame(speed)
    return list(checked_frames(exp))


def test_eigen_series_closed_forms():
    law = IntervalDiffusion(2.0, 0.6, 0.4, "absorbing")
    t = 0.7
    n = np.arange(1, 4001, 2)
    s = np.sum(4 / (n * np.pi) * np.sin(n * np.pi * 0.3) * np.exp(-0.4 * n**2 * np.pi**2 * t / 4))
    assert law.survival(t)[0] == pytest.approx(s, rel=1e-12)
    x = np.linspace(0, 2.0, 20001)
    assert np.trapezoid(law.density(x, t), x) == pytest.approx(s, rel=1e-6)
    assert law.exit_right_by(1e4) == pytest.approx(0.3, abs=1e-3)  # x₀/L, series to 4000
    assert law.mean_truncated_exit_time(1e4) == pytest.approx(0.6 * 1.4 / 0.8, rel=1e-6)
    refl = IntervalDiffusion(2.0, 0.6, 0.4, "reflecting")
    assert np.trapezoid(refl.density(x, 0.05), x) == pytest.approx(1.0, rel=1e-6)
    # early times, far from the walls: the free heat kernel
    free = np.exp(-((x - 0.6) ** 2) / (4 * 0.4 * 0.01)) / math.sqrt(4 * math.pi * 0.4 * 0.01)
    mid = (x > 0.3) & (x < 0.9)
    np.testing.assert_allclose(law.density(x[mid], 0.01), free[mid], atol=1e-6)


def test_absorbing_survival_follows_the_eigen_series_with_the_bridge_correction():
    n = 20_000
    frames = run(n_particles=n, dt=1e-3, horizon=0.5, bridge_correction=True, seed=1)
    for f in frames[1:]:
        s = f["survival_now"]
        se = math.sqrt(max(s * (1 - s), 1e-4) / n)
        assert abs(f["alive"] - s) < 5 * se + 2e-3, (f["t"], f["alive"], s)


def test_exit_side_mean_exit_time_and_decay_rate():
    n, L, x0, D = 20_000, 1.0, 0.3, 0.5
    frames = run(speed=50, n_particles=n, L=L, x0=x0, D=D, dt=1e-3, horizon=2.5,
                 bridge_correction=True, seed=2)
    f = frames[-1]
    assert f["alive"] < 1e-3  # S(2.5) ≈ 3e-6: every particle has left
    p_right = x0 / L
    assert abs(f["exits_right"] - p_right) < 5 * math.sqrt(p_right * (1 - p_right) / n)
    mean_tau = x0 * (L - x0) / (2 * D)
    assert f["mean_exit_time"] == pytest.approx(mean_tau)
    # sd τ ≤ E τ·√(5/3)… bounded here by the exact second moment of the exit time
    assert abs(f["mean_tau_truncated"] - mean_tau) < 5 * 0.2 / math.sqrt(n) + 2e-3
    assert f["decay_rate"] == pytest.approx(D * math.pi**2 / L**2, rel=1e-12)
    # the late survival decays at Dπ²/L²: S(t₂)/S(t₁) = e^{−rate(t₂−t₁)} (one mode left)
    t = f["history_t"]
    s = f["survival_exact"]
    i, j = np.searchsorted(t, 0.6), np.searchsorted(t, 1.0)
    assert s[j] / s[i] == pytest.approx(math.exp(-f["decay_rate"] * (t[j] - t[i])), rel=1e-3)


def test_reflecting_walls_conserve_mass_and_flatten_to_uniform():
    n, L = 20_000, 1.0
    frames = run(speed=50, n_particles=n, L=L, boundary="reflecting", horizon=2.0, seed=3)
    assert all(f["alive"] == 1.0 for f in frames)
    f = frames[-1]
    width = np.diff(f["edges"])
    p = width / L
    se = np.sqrt(p * (1 - p) / n) / width
    assert np.all(np.abs(f["hist"] - 1 / L) < 5 * se)
    np.testing.assert_allclose(f["p_exact"], 1 / L, atol=1e-6)  # e^{−Dπ²·2} ≈ 5e-5 × …


def test_monitoring_bias_scales_like_root_dt_and_the_bridge_removes_it():
    """S_Δt(t) − S(t) ≈ c√Δt: quadrupling Δt doubles the bias; the correction cuts it."""
    n, t_end = 100_000, 0.2
    bias = {}
    for dt, corr in ((1e-3, False), (4e-3, False), (4e-3, True)):
        f = run(speed=10, n_particles=n, dt=dt, horizon=t_end, bridge_correction=corr,
                seed=4)[-1]
        bias[dt, corr] = f["survival_bias"]
    se = math.sqrt(2 * 0.25 / n)
    assert bias[1e-3, False] > 10 * se
    assert 1.6 < bias[4e-3, False] / bias[1e-3, False] < 2.5
    assert abs(bias[4e-3, True]) < 0.25 * bias[4e-3, False]


def test_start_outside_the_interval_is_refused():
    with pytest.raises(ParamError) as info:
        BrownianBoundaries({"L": 1.0, "x0": 1.5})
    assert info.value.name == "x0" and "(0, 1)" in info.value.message
