"""``ch7.path-integral-ck``: Chapman–Kolmogorov composition and path statistics (§7.3.2).

* semigroup: N compositions of the grid propagator K_ε reproduce the heat kernel of
  variance 2Dt for every N (the grid Gaussian's aliasing error is ~e^{−2π²σ²/Δx²});
* Σ|ΔX|² = 2Dε·χ²_{dN}: mean 2dDt, sd 2Dt√(2d/N); the action χ²_{dN}/2 has mean dN/2;
* E|X_t|² = 2dDt; bridges are pinned at both ends with Var B_s = 2D s(t − s)/t.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from compute.experiment import checked_frames
from compute.experiments.ch7_path_integral import PathIntegralCK, sample_bridges


def frames(count, speed=1, **params):
    exp = PathIntegralCK(params)
    exp.set_steps_per_frame(speed)
    gen = checked_frames(exp)
    return exp, gen, [next(gen) for _ in range(count)]


@pytest.mark.parametrize("n_slices", [1, 7, 100])
def test_composition_is_the_heat_kernel_for_every_slicing(n_slices):
    D, t, dx = 0.8, 1.0, 0.02
    _, _, fs = frames(n_slices + 1, speed=1, D=D, t=t, n_slices=n_slices, dx=dx, x0=0.3)
    for f in fs:
        k = min(f["k"], n_slices)
        s = k * t / n_slices
        g = f["grid"]
        exact = np.exp(-((g - 0.3) ** 2) / (4 * D * s)) / math.sqrt(4 * math.pi * D * s)
        np.testing.assert_allclose(f["kernel"], exact, rtol=1e-12)
        assert f["l1_error"] < 1e-6, (k, f["l1_error"])
        # mass lost beyond ±6√(2Dt) is ~1e-9
        assert f["mass"] == pytest.approx(1.0, abs=1e-8)
    assert fs[-1]["k"] == n_slices


def test_quadratic_variation_and_action_statistics():
    D, t, N = 0.5, 2.0, 40
    for d in (1, 3):
        _, _, fs = frames(20, D=D, t=t, n_slices=N, dim=d, seed=d)
        f = fs[-1]
        n = f["paths_sampled"]
        mean, sd = 2 * d * D * t, 2 * D * t * math.sqrt(2 * d / N)
        assert abs(f["qv_mean"] - mean) < 5 * sd / math.sqrt(n)
        # sd of the sample sd of a χ²-like variable: ≈ sd·√((κ − 1)/(4n)), κ = 3 + 12/(dN)
        kurt = 3 + 12 / (d * N)
        assert abs(f["qv_sd"] - sd) < 5 * sd * math.sqrt((kurt - 1) / (4 * n))
        assert f["action_mean"] == pytest.approx(f["qv_mean"] / (4 * D * t / N), rel=1e-12)
        assert abs(f["action_mean"] - d * N / 2) < 5 * math.sqrt(d * N / 2) / math.sqrt(n)
        # E|X_t|² = 2dDt, Var|X_t|² = 2d(2Dt)²
        assert abs(f["end_second_moment"] - mean) < 5 * 2 * D * t * math.sqrt(2 * d / n)
        # the reference densities integrate to one over ±5 sd
        assert np.trapezoid(f["qv_pdf"], f["qv_grid"]) == pytest.approx(1.0, abs=2e-3)


def test_action_diverges_with_N_while_the_law_does_not():
    exp, gen, _ = frames(3, n_slices=10, seed=3)
    exp.update_live({"n_slices": 1000})
    f = [next(gen) for _ in range(3)][-1]
    assert f["k"] == 3 and f["bridges"].shape[1] == 1001
    assert f["action_mean"] == pytest.approx(500, rel=0.02)
    assert f["qv_mean"] == pytest.approx(2.0, rel=0.02)  # 2Dt with D = t = 1
    np.testing.assert_array_equal(f["n_seen"], [10, 1000])


def test_bridges_are_pinned_and_have_the_bridge_variance():
    rng = np.random.default_rng(0)
    D, t, N, n = 0.7, 2.0, 20, 40_000
    b = sample_bridges(rng, n, N, t, D, -0.5, 1.5)
    np.testing.assert_allclose(b[:, 0], -0.5, atol=1e-12)
    np.testing.assert_allclose(b[:, -1], 1.5, atol=1e-12)
    s = t * np.arange(N + 1) / N
    var = 2 * D * s * (t - s) / t
    mean = -0.5 + 2.0 * s / t
    inner = slice(1, N)
    assert np.all(np.abs(b.mean(axis=0)[inner] - mean[inner]) < 5 * np.sqrt(var[inner] / n))
    assert np.all(np.abs(b.var(axis=0)[inner] - var[inner]) < 5 * var[inner] * math.sqrt(2 / n))
