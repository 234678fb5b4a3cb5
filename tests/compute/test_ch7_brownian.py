"""``ch7.brownian-heat``: dX = √(2D)dW from 0 and the heat equation (§7.3.1–7.3.2, Fig. 7.6).

Closed forms: X_t ~ N(0, 2Dt) per coordinate, so E|X_t|² = 2dDt with Var|X_t|² = 2d(2Dt)²;
bin masses of the heat kernel from the normal CDF; the kernel's peak (4πDt)^{−1/2}; the
heat equation conserves mass. Euler–Maruyama is exact for pure Brownian motion: X_N is a sum
of N independent N(0, 2DΔt), i.e. N(0, 2DT) whatever N. Tolerances: 5 standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from compute.experiment import checked_frames
from compute.experiments.ch7_brownian import BrownianHeat


def final(**params):
    frames = list(checked_frames(BrownianHeat(params)))
    return frames


def normal_cdf(x, var):
    return 0.5 * (1 + special.erf(np.asarray(x) / math.sqrt(2 * var)))


@pytest.mark.parametrize("dim", ["1", "2"])
def test_second_moment_grows_as_2dDt(dim):
    n, D, d = 20_000, 0.7, int(dim)
    frames = final(n_particles=n, D=D, T=1.0, n_steps=100, dim=dim, seed=1)
    assert frames[0]["t"] == 0.0 and frames[-1]["t"] == pytest.approx(1.0)
    for f in frames[1:]:
        t = f["t"]
        exact = 2 * d * D * t
        assert f["second_moment_exact"][-1] == pytest.approx(exact, rel=1e-9)
        se = 2 * D * t * math.sqrt(2 * d / n)
        assert abs(f["second_moment_now"] - exact) < 5 * se


def test_marginal_histograms_are_the_heat_kernel_bin_masses():
    n, D = 50_000, 1.0
    f = final(n_particles=n, D=D, T=1.0, n_steps=500, seed=2)[-1]
    edges = f["edges"]
    for s, hist in zip((0.2, 0.5, 1.0), f["marginal_hist"], strict=True):
        mass = np.diff(normal_cdf(edges, 2 * D * s))
        expected = mass / np.diff(edges)
        se = np.sqrt(mass * (1 - mass) / n) / np.diff(edges)
        assert np.all(np.abs(hist - expected) <= 5 * se + 1e-12), s
    # the kernel curves are the closed form, peak (4πDt)^{−1/2} at the node x = 0
    grid = f["grid"]
    assert grid[len(grid) // 2] == 0.0
    for s, kernel in zip((0.2, 0.5, 1.0), f["marginal_kernel"], strict=True):
        assert kernel.max() == pytest.approx(1 / math.sqrt(4 * math.pi * D * s), rel=1e-12)
        np.testing.assert_allclose(kernel, np.exp(-grid**2 / (4 * D * s))
                                   / math.sqrt(4 * math.pi * D * s), rtol=1e-12)


def test_heat_equation_by_fft_conserves_mass_and_is_the_kernel():
    """The notebook's delta had mass 2 (two grid points within Δx of 0): every curve was
    twice the kernel. Here mass 1 at every time and the curves coincide with the kernel."""
    for f in final(n_particles=1000, D=0.5, T=2.0, n_steps=40, seed=3)[1:]:
        assert f["pde_mass"] == pytest.approx(1.0, abs=1e-12)
        assert f["pde_error"] < 1e-9 * f["kernel_now"].max()
        np.testing.assert_allclose(f["pde"][-1], f["kernel_now"], atol=1e-9)


@pytest.mark.parametrize("n_steps", [10, 1000])
def test_marginals_do_not_depend_on_the_step_count(n_steps):
    """Kolmogorov–Smirnov distance of X_T to N(0, 2DT) below its 1 % critical value."""
    n, D, T = 20_000, 1.3, 1.0
    x = np.sort(final(n_particles=n, D=D, T=T, n_steps=n_steps, seed=4)[-1]["x"])
    cdf = normal_cdf(x, 2 * D * T)
    ks = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))
    assert ks < 1.63 / math.sqrt(n)


def test_a_live_change_of_D_adds_up_in_the_variance():
    n = 20_000
    exp = BrownianHeat({"n_particles": n, "D": 1.0, "T": 1.0, "n_steps": 100, "seed": 5})
    exp.set_steps_per_frame(10)
    frames = checked_frames(exp)
    for f in frames:
        if f["step"] == 50:
            exp.update_live({"D": 0.2})
            break
    f = list(frames)[-1]
    var = 2 * (1.0 * 0.5 + 0.2 * 0.5)
    assert f["second_moment_exact"][-1] == pytest.approx(var, rel=1e-9)
    assert abs(f["second_moment_now"] - var) < 5 * var * math.sqrt(2 / n)


def test_paths_are_the_first_particles_and_the_run_ends_at_T():
    frames = final(n_particles=1000, n_paths=7, T=0.5, n_steps=50, seed=6)
    last = frames[-1]
    assert last["step"] == 50 and last["paths"].shape == (7, 51)
    np.testing.assert_array_equal(last["paths"][:, -1], last["x"][:7])
    np.testing.assert_array_equal(last["paths"][:, 0], 0.0)
