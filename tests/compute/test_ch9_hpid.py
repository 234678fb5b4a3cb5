"""ch9.hpid: the Harmonic PID sampler against its closed forms (catalogue §18 checks)."""

import numpy as np
import pytest
from scipy import stats

from compute import checked_frames
from compute.experiments.ch9_hpid import (
    HarmonicPID,
    bridge_move,
    certainty,
    crossing_time,
    harmonic_coefficients,
    hpid_step,
    make_target,
    marginal,
    tilted_posterior,
)

MU, SIGMA = 2.0, 0.5
TARGET = make_target("1D", MU, SIGMA)
Y = np.linspace(-12, 12, 48_001)  # quadrature grid in y (spacing 5e-4)


def book_coefficients(beta, t):
    """A and B written as in the catalogue: √β(coth((1−t)√β) − coth√β), √β/sinh((1−t)√β)."""
    s = np.sqrt(beta)
    return (s * (1 / np.tanh((1 - t) * s) - 1 / np.tanh(s)), s / np.sinh((1 - t) * s))


def target_density(y):
    return 0.5 * (stats.norm.pdf(y, -MU, SIGMA) + stats.norm.pdf(y, MU, SIGMA))


def last_frame(exp):
    """The final frame of a run that ends at t = 1 (at 50 steps a frame)."""
    exp.set_steps_per_frame(50)
    frame = None
    for frame in checked_frames(exp):  # noqa: B007 - the last one is kept
        pass
    return frame


def run(target, beta, n, n_steps, scheme, seed=0, stop=1.0):
    """Particles from 0 to time ``stop`` (a multiple of 1/n_steps)."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, target.dim))
    dt = 1.0 / n_steps
    for k in range(round(stop * n_steps)):
        x, _, _ = hpid_step(target, beta, x, k * dt, dt, rng, scheme)
    return x


@pytest.mark.parametrize("beta", [0.3, 10.0, 100.0])
@pytest.mark.parametrize("t", [0.0, 0.2, 0.7, 0.99])
def test_coefficients_match_the_book_forms(beta, t):
    co = harmonic_coefficients(beta, t)
    a, b = book_coefficients(beta, t)
    assert co["A"] == pytest.approx(a, rel=1e-10, abs=1e-12)
    assert co["B"] == pytest.approx(b, rel=1e-12)
    assert co["cosh"] == pytest.approx(np.cosh((1 - t) * np.sqrt(beta)), rel=1e-14)
    if t > 0:  # x_t | x₁ = y ~ N(c y, v) is the same Gaussian as w's tilt: A = c²/v, B = c/v
        assert co["A"] == pytest.approx(co["c"] ** 2 / co["v"], rel=1e-10)
        assert co["B"] == pytest.approx(co["c"] / co["v"], rel=1e-10)


@pytest.mark.parametrize("t", [0.0, 0.3, 0.9, 0.999])
def test_small_beta_gives_the_follmer_limits(t):
    for beta in (0.0, 1e-12, 1e-8):
        co = harmonic_coefficients(beta, t)
        assert co["A"] == pytest.approx(t / (1 - t), rel=1e-6, abs=1e-12)
        assert co["B"] == pytest.approx(1 / (1 - t), rel=1e-6)
        assert co["cosh"] == pytest.approx(1.0, abs=1e-6)
        assert co["c"] == pytest.approx(t, abs=1e-9) and co["v"] == pytest.approx(t * (1 - t))
    # and continuity: a tiny β differs from the limit by O(β)
    co = harmonic_coefficients(1e-4, t)
    assert co["A"] == pytest.approx(t / (1 - t), rel=1e-3, abs=1e-6)


@pytest.mark.parametrize(("beta", "t", "x"), [(0.0, 0.3, 0.4), (10.0, 0.5, -0.7),
                                              (100.0, 0.8, 1.3), (3.0, 0.95, 0.1)])
def test_closed_form_xhat_matches_quadrature_of_w(beta, t, x):
    co = harmonic_coefficients(beta, t)
    omega, mean = tilted_posterior(TARGET, co["A"], co["B"], np.array([[x]]))
    xhat = float(omega[:, 0] @ mean[:, 0, 0])
    log_w = np.log(target_density(Y)) - co["A"] * Y**2 / 2 + co["B"] * x * Y
    w = np.exp(log_w - log_w.max())
    assert xhat == pytest.approx(np.trapezoid(Y * w, Y) / np.trapezoid(w, Y), abs=1e-9)
    # ω_k is the posterior mass of mode k: quadrature of w restricted to each component
    part = np.exp(np.log(0.5 * stats.norm.pdf(Y, MU, SIGMA)) - co["A"] * Y**2 / 2
                  + co["B"] * x * Y - log_w.max())
    assert omega[1, 0] == pytest.approx(np.trapezoid(part, Y) / np.trapezoid(w, Y), abs=1e-9)


def test_closed_form_xhat_in_2d_matches_quadrature():
    target = make_target("2D", MU, SIGMA)
    co = harmonic_coefficients(5.0, 0.6)
    x = np.array([[0.8, -1.9]])
    omega, mean = tilted_posterior(target, co["A"], co["B"], x)
    xhat = np.einsum("kn,knd->nd", omega, mean)[0]
    g = np.linspace(-6, 6, 601)
    gx, gy = np.meshgrid(g, g)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    log_w = (target.log_density(pts) - co["A"] * (pts**2).sum(1) / 2 + co["B"] * pts @ x[0])
    w = np.exp(log_w - log_w.max())
    np.testing.assert_allclose(xhat, (w @ pts) / w.sum(), atol=1e-6)


def test_the_weights_are_the_bayes_posterior_of_the_harmonic_bridge_law():
    """ω_k(t, x) = P(mode k | x_t = x) for x_t = c x₁ + √v ξ: w is the law of x₁ given x_t."""
    x = np.linspace(-4, 4, 41)[:, None]
    for beta, t in ((0.0, 0.4), (30.0, 0.7)):
        co = harmonic_coefficients(beta, t)
        omega, _ = tilted_posterior(TARGET, co["A"], co["B"], x)
        noisy = TARGET.noised(co["c"], co["v"])
        np.testing.assert_allclose(omega.T, noisy.responsibilities(x), atol=1e-12)


def test_drift_is_the_gradient_of_the_log_green_function_convolution():
    """u* = ∂_x log ∫ p(y) G₋(t;x;y)/G₊(1;y;0) dy with the book's explicit ratio (Ex. 9.5.1)."""
    beta, t = 7.0, 0.45
    s = np.sqrt(beta)

    def log_h(x):
        expo = -0.5 * s * ((x**2 + Y**2) / np.tanh((1 - t) * s) - Y**2 / np.tanh(s)
                           - 2 * x * Y / np.sinh((1 - t) * s))
        integrand = target_density(Y) * np.exp(expo - expo.max())
        return np.log(np.trapezoid(integrand, Y)) + expo.max()

    co = harmonic_coefficients(beta, t)
    for x in (-1.2, 0.05, 0.9):
        h = 1e-4
        numeric = (log_h(x + h) - log_h(x - h)) / (2 * h)
        omega, mean = tilted_posterior(TARGET, co["A"], co["B"], np.array([[x]]))
        closed = co["B"] * (omega[:, 0] @ mean[:, 0, 0] - x * co["cosh"])
        assert closed == pytest.approx(numeric, abs=1e-6)


@pytest.mark.parametrize("beta", [0.0, 10.0, 100.0])
def test_exact_scheme_reproduces_the_marginals_and_the_target(beta):
    n = 4000
    for stop in (0.3, 0.7, 1.0):
        x = run(TARGET, beta, n, 40, "exact", seed=int(10 * stop), stop=stop)[:, 0]
        law = marginal(TARGET, beta, stop)

        def cdf(v, law=law):
            return sum(w * stats.norm.cdf(v, m[0], s)
                       for w, m, s in zip(law.weights, law.means, law.sigma, strict=True))

        assert stats.kstest(x, cdf).pvalue > 1e-3
    # t = 1: the target itself (mean 0, variance μ² + σ², half the mass on each side)
    assert abs(x.mean()) < 4 * np.sqrt((MU**2 + SIGMA**2) / n)
    assert abs(np.mean(x > 0) - 0.5) < 4 * np.sqrt(0.25 / n)


@pytest.mark.parametrize("beta", [0.0, 10.0, 100.0])
def test_euler_terminal_samples_reproduce_the_target(beta):
    n, n_steps = 10_000, 2000
    x = run(TARGET, beta, n, n_steps, "euler", seed=7)[:, 0]
    var = MU**2 + SIGMA**2
    # kurtosis of the two-mode target: E(x⁴)/var² = (μ⁴ + 6μ²σ² + 3σ⁴)/var²
    kurt = (MU**4 + 6 * MU**2 * SIGMA**2 + 3 * SIGMA**4) / var**2
    se_var = var * np.sqrt((kurt - 1) / n)
    # Euler–Maruyama is weak order 1; the stiffest linear rate of the drift is
    # √β coth((1−t)√β) ≥ √β, so allow a relative bias of (1 + √β)Δt on the variance
    rel_bias = (1 + np.sqrt(beta)) / n_steps
    assert abs(x.mean()) < 4 * np.sqrt(var / n)
    assert abs(x.var() - var) < 4 * se_var + rel_bias * var
    assert abs(np.mean(x > 0) - 0.5) < 4 * np.sqrt(0.25 / n)
    within = x - np.sign(x) * MU  # modes 8σ apart: the sign finds the mode
    assert abs(within.std() - SIGMA) < 4 * SIGMA / np.sqrt(2 * n) + rel_bias * SIGMA


def test_closed_form_certainty_matches_quadrature_and_the_simulation():
    times = np.array([0.0, 0.1, 0.4, 0.8])
    beta = 10.0
    closed = certainty(TARGET, beta, times)
    assert closed[0] == 0.5  # x = 0 knows nothing: max π
    grid = np.linspace(-8, 8, 20_001)
    for t, value in zip(times[1:], closed[1:], strict=True):
        co = harmonic_coefficients(beta, t)
        omega, _ = tilted_posterior(TARGET, co["A"], co["B"], grid[:, None])
        dens = np.exp(marginal(TARGET, beta, t).log_density(grid[:, None]))
        assert value == pytest.approx(np.trapezoid(dens * omega.max(axis=0), grid), abs=1e-6)
    # 2D: the 3×3 grid, against a 2D trapezoid rule
    target = make_target("2D", MU, SIGMA)
    t = 0.7
    co = harmonic_coefficients(beta, t)
    g = np.linspace(-6, 6, 601)
    gx, gy = np.meshgrid(g, g)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    omega, _ = tilted_posterior(target, co["A"], co["B"], pts)
    dens = np.exp(marginal(target, beta, t).log_density(pts))
    quad = (dens * omega.max(axis=0)).sum() * (g[1] - g[0]) ** 2
    assert certainty(target, beta, np.array([t]))[0] == pytest.approx(quad, abs=1e-4)
    # the simulated E max ω at t = 0.4 (exact scheme) within Monte-Carlo error
    n = 4000
    x = run(TARGET, beta, n, 50, "exact", seed=3, stop=0.4)
    co = harmonic_coefficients(beta, 0.4)
    best = tilted_posterior(TARGET, co["A"], co["B"], x)[0].max(axis=0)
    assert abs(best.mean() - closed[2]) < 4 * best.std() / np.sqrt(n)


def test_decision_time_increases_with_beta():
    times = np.linspace(0, 1, 401)[:-1]
    betas = [0.0, 1.0, 3.0, 10.0, 30.0, 100.0]
    decision = [crossing_time(times, certainty(TARGET, b, times), 0.9) for b in betas]
    assert np.all(np.diff(decision) > 0), decision
    assert certainty(TARGET, 10.0, np.array([0.999]))[0] > 0.99  # certain at the end
    # the simulated decision times are ordered the same way
    sim = []
    for beta in (0.0, 100.0):
        frame = last_frame(HarmonicPID({"beta": beta, "n_particles": 2000, "n_steps": 1000,
                                        "seed": 1}))
        sim.append(frame["t_decision_sim"])
        assert frame["t_decision_sim"] == pytest.approx(frame["t_decision"], abs=0.05)
    assert sim[0] < sim[1]


def test_last_step_is_finite_and_lands_on_the_target_scale():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 2, (1000, 1))
    for beta in (0.0, 100.0):
        for scheme in ("euler", "exact"):
            new, _, xhat = hpid_step(TARGET, beta, x, 1 - 1e-3, 1e-3, rng, scheme)
            assert np.all(np.isfinite(new)) and np.all(np.isfinite(xhat))
            # the last step moves onto x̂ up to noise of variance Δt (euler) or exactly to y
            assert np.sqrt(np.mean((new - xhat) ** 2)) < 0.1
    # the bridge move with zero time left stays at the end point
    y = np.ones((3, 1))
    np.testing.assert_allclose(bridge_move(5.0, x[:3], y, 0.9, 0.1, rng), y)


def test_experiment_2d_runs_and_reaches_the_nine_modes():
    frame = last_frame(HarmonicPID({"dimension": "2D", "n_particles": 1000, "n_steps": 1000,
                                    "scheme": "exact", "seed": 2}))
    assert frame["t"] == pytest.approx(1.0)
    target = make_target("2D", MU, SIGMA)
    pts = np.column_stack([frame["px"], frame["py"]])
    counts = np.bincount(target.nearest(pts), minlength=9) / len(pts)
    assert np.all(np.abs(counts - 1 / 9) < 4 * np.sqrt((1 / 9) * (8 / 9) / len(pts)))
    assert frame["var1_exact"] == pytest.approx(2 / 3 * MU**2 + SIGMA**2)
