"""ch9.spacetime: the graph-Laplacian forward process against closed forms."""

import itertools

import numpy as np
import pytest
from scipy import integrate, linalg, stats

import compute
from compute import ParamError, checked_frames
from compute.diffusion import ReverseRun, sample_quality
from compute.experiments.ch9_spacetime import (
    GraphDiffusion,
    forward_times,
    grid_laplacian,
    make_patterns,
    tile,
)
from compute.gmm import GaussianMixture
from compute.schedules import Schedule


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("side", [2, 3, 8])
def test_grid_laplacian_spectrum_is_the_kronecker_sum_of_paths(side):
    """Δ of the n×n grid = Δ_path ⊕ Δ_path; path eigenvalues 2 − 2cos(πj/n)."""
    lap = grid_laplacian(side)
    np.testing.assert_allclose(lap, lap.T)
    np.testing.assert_allclose(lap.sum(axis=1), 0.0, atol=1e-12)
    path = 2 - 2 * np.cos(np.pi * np.arange(side) / side)
    expected = np.sort((path[:, None] + path[None, :]).ravel())
    np.testing.assert_allclose(np.linalg.eigvalsh(lap), expected, atol=1e-10)


@pytest.mark.parametrize("side", range(4, 17))
def test_patterns_are_distinct_binary_images(side):
    pats = make_patterns(side)
    assert pats.shape == (8, side * side) and set(np.unique(pats)) <= {0.0, 1.0}
    dist = np.sqrt(((pats[:, None] - pats[None]) ** 2).sum(-1))
    assert dist[~np.eye(8, dtype=bool)].min() >= 1.0


def test_constant_G_covariance_is_the_closed_form():
    """G = g constant: Σ_t eigenvalues g(e^{2λt} − 1)/(2λ), → g t at λ = 0."""
    beta = 0.7
    proc = GraphDiffusion(4, 1.5, beta, beta)
    g = 2 * beta
    for t in (0.05, 0.4, 1.0):
        lam = proc.lam
        expected = np.where(lam < 0, g * np.expm1(2 * lam * t) / (2 * np.where(lam < 0, lam, 1)),
                            g * t)
        np.testing.assert_allclose(proc.cov(t), expected, rtol=1e-12)


def test_linear_beta_covariance_is_the_defining_integral():
    """Σ_t = ∫₀ᵗ e^{(t−s)L} G(s) e^{(t−s)Lᵀ} ds, G = 2β(s)I, as a matrix by quadrature."""
    side, kappa = 3, 0.8
    proc = GraphDiffusion(side, kappa, 0.1, 20.0)
    L = -kappa * grid_laplacian(side)
    t = 0.6
    beta = Schedule("brownian").beta

    def integrand(s):
        e = linalg.expm((t - s) * L)
        return (2 * float(beta(s)) * e @ e.T).ravel()

    sigma = integrate.quad_vec(integrand, 0.0, t, epsabs=1e-12)[0].reshape(side**2, -1)
    np.testing.assert_allclose(sigma, proc.U @ np.diag(proc.cov(t)) @ proc.U.T, atol=1e-9)
    np.testing.assert_allclose(proc.U @ np.diag(proc.mean_factor(t)) @ proc.U.T,
                               linalg.expm(t * L), atol=1e-12)


def test_covariance_solves_its_moment_equation_across_the_series_switch():
    """dΣ/dt = 2λΣ + G(t) for every eigenvalue, also for the tiny ones (series branch)."""
    proc = GraphDiffusion(4, 1.0, 0.1, 20.0)
    proc.lam = np.array([0.0, -1e-9, -1e-4, -2e-3, -0.5, -8.0])
    t, h = np.linspace(0.05, 0.95, 10), 1e-5
    for tt in t:
        d = (proc.cov(tt + h) - proc.cov(tt - h)) / (2 * h)
        np.testing.assert_allclose(d, 2 * proc.lam * proc.cov(tt) + proc.G(tt), rtol=1e-6)


def test_kappa_zero_is_the_brownian_schedule():
    proc = GraphDiffusion(5, 0.0, 0.1, 20.0)
    brown = Schedule("brownian", 0.1, 20.0)
    for t in (0.0, 0.2, 0.7, 1.0):
        np.testing.assert_allclose(proc.mean_factor(t), float(brown.alpha(t)))
        np.testing.assert_allclose(proc.cov(t), float(brown.var(t)), rtol=1e-12, atol=1e-15)
    assert proc.G(0.3) == pytest.approx(float(brown.G(0.3)))


def test_forward_transitions_have_the_kernel_moments():
    """Exact steps on a non-uniform grid: x_t has mean e^{tL}x₀ and covariance Σ_t."""
    side, n = 3, 40_000
    proc = GraphDiffusion(side, 2.0, 0.1, 5.0)
    x0 = make_patterns(4)[2][:9]
    times = forward_times(proc.schedule, 30)[:19]
    z = np.tile(proc.to_eigen(x0[None]), (n, 1))
    gen = rng(1)
    for t0, t1 in itertools.pairwise(times):
        z = proc.forward_step(z, t0, t1 - t0, gen.standard_normal(z.shape))
    t = times[-1]
    x = proc.to_pixels(z)
    cov = proc.U @ np.diag(proc.cov(t)) @ proc.U.T
    se = np.sqrt(np.diag(cov) / n)
    np.testing.assert_allclose(x.mean(0), linalg.expm(-2.0 * t * grid_laplacian(side)) @ x0,
                               atol=5 * se.max())
    np.testing.assert_allclose(np.cov(x.T), cov, atol=5 * np.diag(cov).max() * np.sqrt(2 / n))


def test_forward_times_grow_the_noise_std_linearly():
    s = Schedule("brownian", 0.1, 20.0)
    times = forward_times(s, 10)
    std = np.sqrt(s.var(times))
    np.testing.assert_allclose(std, np.linspace(0, std[-1], 11), atol=1e-6)
    assert times[0] == 0.0 and times[-1] == pytest.approx(1.0)


def test_score_is_the_gradient_of_the_kernel_mixture_density():
    side = 3
    proc = GraphDiffusion(side, 1.2, 0.1, 20.0)
    pats = make_patterns(4)[:3, :9]
    data = GaussianMixture(pats, 0.2, [0.5, 0.3, 0.2])
    t = 0.05
    decay, std = proc.mean_factor(t), np.sqrt(0.04 * proc.mean_factor(t) ** 2 + proc.cov(t))

    def logp(z):  # Σ_k π_k N(z; e^{λt}ẑ_k, diag(σ²e^{2λt} + Σ_t)) in eigen coordinates
        comps = [stats.multivariate_normal(decay * m, np.diag(std**2)).logpdf(z)
                 for m in proc.to_eigen(pats)]
        return np.logaddexp.reduce(np.log(data.weights)[:, None] + np.array(comps), axis=0)

    z = proc.to_eigen(pats[[0, 1]]) * decay + rng(2).normal(size=(2, 9)) * 0.3
    h = 1e-5
    fd = np.array([(logp(z + h * e) - logp(z - h * e)) / (2 * h) for e in np.eye(9)]).T
    np.testing.assert_allclose(proc.score_fn(data)(z, t), fd, rtol=1e-5, atol=1e-5)


def test_reverse_process_generates_the_patterns():
    """Exact score from the moment-matched p₁: pattern frequencies uniform, pixel RMS σ."""
    side, sigma, n = 4, 0.1, 800
    pats = make_patterns(side)[:4]
    data = GaussianMixture(pats, sigma, np.full(4, 0.25))
    proc = GraphDiffusion(side, 2.0, 0.1, 20.0)
    mean, cov = proc.p1_moments(data)
    start = mean + rng(3).standard_normal((n, side * side)) @ np.linalg.cholesky(cov).T
    run = ReverseRun(start, proc.score_fn(data), proc, 400, "sde", 1.0, rng(4))
    run.advance(400)
    q = sample_quality(proc.to_pixels(run.x), data, np.inf)
    assert stats.chisquare(q.counts).pvalue > 1e-3
    assert q.rms == pytest.approx(sigma, rel=0.1)


def test_tile_places_images_upright_with_gaps():
    imgs = np.arange(2 * 4, dtype=float).reshape(2, 4)  # two 2×2 images
    out = tile(imgs, 2, 2)
    assert out.shape == (2, 5) and np.isnan(out[:, 2]).all()
    np.testing.assert_array_equal(out[1, :2], [0, 1])  # image row 0 at the top
    np.testing.assert_array_equal(out[0, 3:], [6, 7])


def test_experiment_runs_forward_then_reverse():
    exp = compute.get("ch9.spacetime")({"side": 4, "steps": 100, "n_samples": 9})
    exp.set_steps_per_frame(10)
    frames = list(checked_frames(exp))
    phases = [f["phase"] for f in frames]
    assert phases[0] == "forward" and phases[-1] == "reverse"
    assert phases == sorted(phases)  # forward frames, then reverse frames
    assert frames[-1]["step"] == 200 and frames[-1]["t"] == 0.0
    assert frames[-1]["reverse_image"].shape == (14, 14)
    assert frames[-1]["rms"] < 0.2  # generated images sit on patterns (σ = 0.05)
    fwd = [f for f in frames if f["phase"] == "forward"]
    assert fwd[0]["coarse_keep"] == 1.0 and fwd[-1]["fine_keep"] < fwd[-1]["coarse_keep"]


def test_beta_order_is_checked():
    with pytest.raises(ParamError) as info:
        compute.get("ch9.spacetime")({"beta_min": 3.0, "beta_max": 2.0})
    assert info.value.name == "beta_max"
