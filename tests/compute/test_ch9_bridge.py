"""ch9.bridge: Brownian bridge against free Brownian motion (catalogue §4 checks)."""

import numpy as np
import pytest
from scipy import stats

from compute import checked_frames
from compute.experiments.ch9_bridge import (
    BrownianBridge,
    drift,
    initial_law,
    monotone_marginal,
    schrodinger_marginal,
)

N = 20_000
MU0, S0, MU_T, S_T = 2.0, 0.35, 0.0, 0.45


def finished(params):
    """An experiment whose sweep has reached T, and its frame generator."""
    exp = BrownianBridge({"n_particles": N, **params})
    frames = checked_frames(exp)
    frame = next(frames)
    while frame["t"] < 1.0 - 1e-12:
        frame = next(frames)
    return exp, frames, frame


def at_cursor(exp, frames, t):
    exp.update_live({"t_cursor": t})
    return next(frames)


def chi_square_ok(frame, hist_field, cdf):
    """Pearson's χ² of the histogram against bin probabilities from ``cdf``.

    With N = 20 000 draws the statistic is χ²(dof); dof + 5√(2 dof) is a ~1e-5 tail.
    """
    edges = frame["edges"]
    counts = np.rint(frame[hist_field] * N * np.diff(edges))
    expected = N * np.diff(cdf(edges))
    keep = expected >= 5
    stat = np.sum((counts[keep] - expected[keep]) ** 2 / expected[keep])
    dof = keep.sum() - 1
    return stat < dof + 5 * np.sqrt(2 * dof), (stat, dof)


def reference_cdf(frame):
    """The CDF of the frame's (quadrature) bridge reference density, piecewise linear."""
    xs = frame["ref_x"]
    dx = xs[1] - xs[0]
    cdf = np.concatenate([[0.0], np.cumsum(frame["bridge_ref"]) * dx])
    nodes = np.concatenate([xs - dx / 2, [xs[-1] + dx / 2]])
    return lambda e: np.interp(e, nodes, cdf)


def mixture_cdf(means, var):
    return lambda x: 0.5 * sum(stats.norm.cdf(x, m, np.sqrt(var)) for m in means)


def euler_bridge_noise(sigma, n_steps, k):
    """Variance of the bridge noise after k Euler steps: N_{j+1} = a_j² N_j + σ²Δt with
    a_j = (1 − t_{j+1})/(1 − t_j); the continuous bridge has σ²t(1 − t)."""
    dt = 1.0 / n_steps
    noise = 0.0
    for j in range(k):
        a = (1 - (j + 1) * dt) / (1 - j * dt)
        noise = a**2 * noise + sigma**2 * dt
    return noise


@pytest.fixture(scope="module")
def independent():
    return finished({"seed": 5})


@pytest.mark.parametrize("t", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_free_marginals_are_the_widening_mixture(independent, t):
    exp, frames, _ = independent
    frame = at_cursor(exp, frames, t)
    sigma = exp.p["sigma"]
    ok, info = chi_square_ok(frame, "free_hist", mixture_cdf((-MU0, MU0), S0**2 + sigma**2 * t))
    assert ok, info
    exact_std = np.sqrt(MU0**2 + S0**2 + sigma**2 * t)
    assert frame["free_std_exact"] == pytest.approx(exact_std, rel=1e-4)
    assert abs(frame["free_std"] - exact_std) < 4 * exact_std / np.sqrt(2 * N)


@pytest.mark.parametrize("t", [0.25, 0.5, 0.75, 1.0])
def test_bridge_marginals_are_the_closed_form_mixture(independent, t):
    exp, frames, _ = independent
    frame = at_cursor(exp, frames, t)
    sigma, n_steps = exp.p["sigma"], exp.p["n_steps"]
    k = round(t * n_steps)
    var = (1 - t) ** 2 * S0**2 + t**2 * S_T**2
    # the Euler scheme's bridge noise is the continuous σ²t(1−t) up to O(σ²Δt)
    noise = euler_bridge_noise(sigma, n_steps, k)
    assert abs(noise - sigma**2 * t * (1 - t)) <= sigma**2 / n_steps
    means = ((1 - t) * -MU0 + t * MU_T, (1 - t) * MU0 + t * MU_T)
    ok, info = chi_square_ok(frame, "bridge_hist", mixture_cdf(means, var + noise))
    assert ok, info
    continuous = (1 - t) ** 2 * MU0**2 + var + sigma**2 * t * (1 - t)
    assert frame["bridge_std_exact"] == pytest.approx(np.sqrt(continuous), rel=1e-4)
    assert abs(frame["bridge_mean"]) < 4 * np.sqrt(continuous / N)


def test_euler_bridge_lands_on_its_end_points_with_last_step_noise(independent):
    exp, _, frame = independent
    sigma, dt = exp.p["sigma"], 1.0 / exp.p["n_steps"]
    miss = exp.bridge - exp.x_end
    assert abs(miss.mean()) < 4 * sigma * np.sqrt(dt / N)
    assert miss.var() == pytest.approx(sigma**2 * dt, rel=4 * np.sqrt(2 / N))
    assert frame["landing_rms"] == pytest.approx(sigma * np.sqrt(dt), rel=4 * np.sqrt(2 / N))
    # independent coupling: x_T ~ N(μ_T, s_T²) regardless of x₀, about half the pairs swap
    assert stats.kstest(exp.x_end, "norm", args=(MU_T, S_T)).pvalue > 1e-3
    assert abs(frame["swap_fraction"] - 0.5) < 0.02


@pytest.mark.parametrize("sigma", [0.1, 1.0, 2.0])
def test_terminal_law_does_not_depend_on_sigma(sigma):
    exp, _, _ = finished({"sigma": sigma, "seed": 11})
    dt = 1.0 / exp.p["n_steps"]
    # N(μ_T, s_T²) plus the last Euler kick of variance σ²Δt
    law = stats.norm(MU_T, np.sqrt(S_T**2 + sigma**2 * dt))
    assert stats.kstest(exp.bridge, law.cdf).pvalue > 1e-3


@pytest.mark.parametrize("t", [0.0, 0.3, 0.9, 0.995])
def test_drift_is_the_doob_score_with_slope_minus_one_over_time_left(t):
    x = np.linspace(-3, 3, 7)
    for x_end in (-0.9, 0.0, 0.9):
        u = drift(x, t, x_end)
        np.testing.assert_allclose(np.diff(u) / np.diff(x), -1.0 / (1.0 - t), rtol=1e-12)
        assert drift(np.array([x_end]), t, x_end)[0] == 0.0
        for sigma in (0.3, 1.7):
            h = 1e-6  # σ²∂ₓ log N(x_T; x, σ²(T − t)) by central differences
            score = (stats.norm.logpdf(x_end, x + h, sigma * np.sqrt(1 - t))
                     - stats.norm.logpdf(x_end, x - h, sigma * np.sqrt(1 - t))) / (2 * h)
            np.testing.assert_allclose(sigma**2 * score, u, rtol=1e-6, atol=1e-6)


def test_monotone_coupling_never_swaps_and_matches_its_quadrature():
    exp, frames, frame = finished({"coupling": "monotone", "seed": 3})
    assert frame["swap_fraction"] == pytest.approx(0.0, abs=1e-12)
    # T pushes p₀ onto N(μ_T, s_T²) exactly
    assert stats.kstest(exp.x_end, "norm", args=(MU_T, S_T)).pvalue > 1e-3
    for t in (0.3, 0.7):
        frame = at_cursor(exp, frames, t)
        ok, info = chi_square_ok(frame, "bridge_hist", reference_cdf(frame))
        assert ok, info


def test_monotone_quadrature_has_the_right_end_laws():
    mix0 = initial_law(MU0, S0, 0.5)
    xs = np.linspace(-5, 5, 801)
    p0 = np.exp(mix0.log_density(xs[:, None]))
    np.testing.assert_allclose(monotone_marginal(mix0, MU_T, S_T, 0.6, 0.0, xs), p0, atol=2e-3)
    np.testing.assert_allclose(monotone_marginal(mix0, MU_T, S_T, 0.6, 1.0, xs),
                               stats.norm.pdf(xs, MU_T, S_T), atol=2e-3)


def test_schrodinger_coupling_sits_between_monotone_and_independent():
    swaps = []
    for sigma in (0.2, 0.6, 2.0):
        exp, frames, frame = finished({"coupling": "schrodinger", "sigma": sigma, "seed": 2})
        solver = exp.schrodinger_solver()
        assert solver.eps == pytest.approx(sigma**2)
        assert solver.marginal_error() < 1e-9
        # the sampled end points follow the grid coupling's column marginal ≈ N(μ_T, s_T²)
        assert stats.kstest(exp.x_end, "norm", args=(MU_T, S_T)).pvalue > 1e-3
        swaps.append(frame["swap_fraction"])
        # the bridge mixture's marginal (grid quadrature) against the particles
        frame = at_cursor(exp, frames, 0.5)
        ok, info = chi_square_ok(frame, "bridge_hist", reference_cdf(frame))
        assert ok, info
    assert 0.0 < swaps[0] < swaps[1] < swaps[2] < 0.5


def test_schrodinger_quadrature_has_the_right_end_laws():
    exp = BrownianBridge({"coupling": "schrodinger", "sigma": 0.6})
    solver = exp.schrodinger_solver()
    xs = np.linspace(-5, 5, 401)
    for t, exact in ((0.0, np.exp(exp.mix0.log_density(xs[:, None]))),
                     (1.0, stats.norm.pdf(xs, MU_T, S_T))):
        np.testing.assert_allclose(schrodinger_marginal(solver, 0.6, t, xs), exact, atol=5e-3)


def test_a_change_of_sigma_restarts_the_sweep_with_the_same_initial_points():
    exp = BrownianBridge({"n_particles": 2000, "seed": 1})
    frames = checked_frames(exp)
    first = [next(frames) for _ in range(3)]
    exp.update_live({"sigma": 1.5})
    after = next(frames)
    assert after["step"] > first[-1]["step"] and after["t"] < first[-1]["t"]
    np.testing.assert_array_equal(after["free_paths"][:, 0], first[0]["free_paths"][:, 0])
