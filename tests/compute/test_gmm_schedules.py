"""Gaussian-mixture toolkit and forward schedules against closed forms."""

import numpy as np
import pytest
from scipy import integrate, stats

from compute.gmm import GaussianMixture
from compute.schedules import SCHEDULES, Schedule

RNG = np.random.default_rng(12345)


@pytest.mark.parametrize("kind", SCHEDULES)
def test_schedule_beta_is_the_derivative_of_B(kind):
    s = Schedule(kind)
    t = np.linspace(0.01, 0.99, 50)
    h = 1e-6
    np.testing.assert_allclose(s.beta(t), (s.B(t + h) - s.B(t - h)) / (2 * h), rtol=1e-5)
    assert float(s.B(0.0)) == pytest.approx(0.0, abs=1e-12)


def test_vp_linear_closed_form():
    s = Schedule("vp-linear", 0.1, 20.0)
    t = np.linspace(0, 1, 11)
    np.testing.assert_allclose(s.B(t), 0.1 * t + 9.95 * t**2)
    np.testing.assert_allclose(s.alpha(t) ** 2 + s.var(t), 1.0)


def test_brownian_is_book_eq_9_5():
    s = Schedule("brownian", 0.1, 20.0)
    t = np.linspace(0, 1, 11)
    np.testing.assert_allclose(s.alpha(t), 1.0)
    np.testing.assert_allclose(s.var(t), 2 * (0.1 * t + 9.95 * t**2))
    np.testing.assert_allclose(s.G(t), 2 * s.beta(t))


def test_cosine_ends_where_linear_ends():
    cos, lin = Schedule("vp-cosine"), Schedule("vp-linear")
    assert float(cos.alpha(1.0)) == pytest.approx(float(lin.alpha(1.0)), rel=1e-10)
    assert float(cos.alpha(0.0)) == pytest.approx(1.0)
    assert np.all(np.diff(cos.alpha(np.linspace(0, 1, 100))) < 0)


@pytest.mark.parametrize("kind", SCHEDULES)
def test_kernel_variance_solves_the_forward_moment_equation(kind):
    """d var/dt = −k β var + G, d α/dt = −½ k β α (k = 1 for VP, 0 for brownian)."""
    s = Schedule(kind)
    k = 0.0 if kind == "brownian" else 1.0
    t = np.linspace(0.05, 0.95, 19)
    h = 1e-6
    dvar = (s.var(t + h) - s.var(t - h)) / (2 * h)
    dalpha = (s.alpha(t + h) - s.alpha(t - h)) / (2 * h)
    np.testing.assert_allclose(dvar, -k * s.beta(t) * s.var(t) + s.G(t), rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(dalpha, -0.5 * k * s.beta(t) * s.alpha(t), rtol=1e-5, atol=1e-10)


def test_forward_sde_simulation_matches_kernel():
    s = Schedule("vp-linear")
    x0, n, steps = 2.0, 200_000, 400
    x = np.full(n, x0)
    dt = 0.6 / steps
    for i in range(steps):
        t = i * dt
        x = x + s.drift(x, t) * dt + np.sqrt(s.G(t) * dt) * RNG.standard_normal(n)
    a, v = float(s.alpha(0.6)), float(s.var(0.6))
    assert x.mean() == pytest.approx(a * x0, abs=4 * np.sqrt(v / n) + 0.01)
    assert x.var() == pytest.approx(v, rel=0.02)


def test_time_of_B_inverts_B():
    s = Schedule("vp-linear")
    for t in (0.0, 0.1, 0.5, 0.93):
        assert s.time_of_B(float(s.B(t))) == pytest.approx(t, abs=1e-9)


def test_grid_moments_and_covariance():
    g = GaussianMixture.grid(3, 6.0, 0.5)
    assert g.n_components == 9
    np.testing.assert_allclose(g.mean(), 0.0, atol=1e-12)
    # per coordinate: uniform on {−s, 0, s} has variance 2s²/3, plus σ²
    np.testing.assert_allclose(g.covariance(), np.eye(2) * (2 * 36 / 3 + 0.25), atol=1e-12)


def test_density_integrates_to_one_and_matches_scipy():
    g = GaussianMixture.grid(2, 3.0, 0.8)
    x = RNG.normal(size=(20, 2)) * 3
    expected = sum(0.25 * stats.multivariate_normal(m, 0.64 * np.eye(2)).pdf(x) for m in g.means)
    np.testing.assert_allclose(np.exp(g.log_density(x)), expected, rtol=1e-10)
    total, _ = integrate.dblquad(lambda y, x_: np.exp(g.log_density(np.array([[x_, y]])))[0],
                                 -10, 10, -10, 10, epsabs=1e-6)
    assert total == pytest.approx(1.0, abs=1e-4)


def test_score_is_gradient_of_log_density():
    g = GaussianMixture.grid(3, 6.0, 0.5).noised(0.7, 0.51)
    x = RNG.normal(size=(50, 2)) * 5
    h = 1e-5
    ex, ey = np.array([h, 0.0]), np.array([0.0, h])
    fd = np.column_stack([
        (g.log_density(x + ex) - g.log_density(x - ex)) / (2 * h),
        (g.log_density(x + ey) - g.log_density(x - ey)) / (2 * h),
    ])
    np.testing.assert_allclose(g.score(x), fd, rtol=1e-5, atol=1e-6)


def test_noised_mixture_is_the_law_of_the_forward_kernel():
    g = GaussianMixture.grid(3, 6.0, 0.5)
    x0, _ = g.sample(400_000, RNG)
    alpha, var = 0.6, 0.64
    xt = alpha * x0 + np.sqrt(var) * RNG.standard_normal(x0.shape)
    noisy = g.noised(alpha, var)
    scale = noisy.covariance()[0, 0]
    np.testing.assert_allclose(np.cov(xt.T), noisy.covariance(), rtol=0.01,
                               atol=5 * scale / np.sqrt(len(xt)))
    # a one-dimensional marginal against the exact mixture CDF (Kolmogorov–Smirnov)
    cdf = lambda u: sum(w * stats.norm(m[0], s).cdf(u)  # noqa: E731
                        for w, m, s in zip(noisy.weights, noisy.means, noisy.sigma, strict=True))
    assert stats.kstest(xt[:20_000, 0], cdf).pvalue > 1e-3


def test_empirical_mixture_score_is_eq_9_6():
    data = RNG.normal(size=(7, 2))
    var = 0.3
    emp = GaussianMixture.empirical(data).noised(1.0, var)
    x = RNG.normal(size=(5, 2))
    d2 = ((x[:, None, :] - data[None]) ** 2).sum(-1)
    w = np.exp(-d2 / (2 * var))
    w /= w.sum(1, keepdims=True)
    expected = (w[:, :, None] * (data[None] - x[:, None, :])).sum(1) / var
    np.testing.assert_allclose(emp.score(x), expected, rtol=1e-10)


def test_posterior_sampler_reproduces_the_prior_marginal():
    """x₀ ~ p, x_t from the kernel, x₀' ~ p(x₀ | x_t): then x₀' ~ p and (x₀', x_t) ~ (x₀, x_t)."""
    g = GaussianMixture.grid(3, 4.0, 0.7)
    n, alpha, var = 300_000, 0.5, 0.75
    x0, _ = g.sample(n, RNG)
    xt = alpha * x0 + np.sqrt(var) * RNG.standard_normal(x0.shape)
    x0b, labels_b = g.posterior_sample(xt, alpha, var, RNG)
    np.testing.assert_allclose(np.cov(x0b.T), g.covariance(), rtol=0.02,
                               atol=5 * g.covariance()[0, 0] / np.sqrt(n))
    np.testing.assert_allclose(np.bincount(labels_b, minlength=9) / n, 1 / 9, atol=0.004)
    cross = (x0 * xt).mean(0)
    cross_b = (x0b * xt).mean(0)
    np.testing.assert_allclose(cross_b, cross, rtol=0.02, atol=0.05)


def test_posterior_of_a_single_gaussian_is_the_conjugate_formula():
    g = GaussianMixture(np.array([[1.0, -2.0]]), 0.8, 1.0)
    alpha, var = 0.9, 0.19
    xt = np.tile([[0.3, 0.4]], (200_000, 1))
    x0, _ = g.posterior_sample(xt, alpha, var, RNG)
    prec = 1 / 0.64 + alpha**2 / var
    mean = (np.array([1.0, -2.0]) / 0.64 + alpha * np.array([0.3, 0.4]) / var) / prec
    np.testing.assert_allclose(x0.mean(0), mean, atol=0.005)
    np.testing.assert_allclose(x0.var(0), 1 / prec, rtol=0.02)


def test_nearest_mode():
    g = GaussianMixture.grid(3, 6.0, 0.5)
    assert list(g.nearest(g.means + 0.1)) == list(range(9))
