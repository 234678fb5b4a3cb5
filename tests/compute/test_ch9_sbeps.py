"""ch9.sbeps and compute/sinkhorn.py: entropic OT against its Gaussian closed form (§5 checks)."""

import numpy as np
import pytest
from scipy import stats

from compute import ParamError, checked_frames
from compute.experiments.ch9_bridge import initial_law
from compute.experiments.ch9_sbeps import (
    SchrodingerEpsilon,
    linear_transport_cost,
    symmetric_root,
)
from compute.gmm import GaussianMixture
from compute.sinkhorn import (
    Sinkhorn,
    entropic_gaussian_covariance,
    grid_log_weights,
    mixture_cdf,
    monotone_map,
)

S0, S1 = 1.0, 0.5
GRID = np.linspace(-7.0, 7.0, 400)  # 7σ₀ on each side, spacing 0.035


def gaussian_solver(eps, s0=S0, s1=S1, grid=GRID):
    return Sinkhorn(grid, grid, -0.5 * grid**2 / s0**2, -0.5 * grid**2 / s1**2, eps)


@pytest.mark.parametrize("eps", [10.0, 1.0, 0.1, 0.01])
def test_grid_coupling_covariance_matches_the_closed_form(eps):
    solver = gaussian_solver(eps)
    assert solver.solve(tol=1e-13) < 1e-13
    # the trapezoid rule is spectrally accurate for Gaussians resolved by the grid
    # (√ε ≥ 0.1 ≫ spacing 0.035), so the grid covariance is the continuum one
    assert solver.covariance() == pytest.approx(entropic_gaussian_covariance(S0, S1, eps),
                                                abs=1e-7)
    # and E(y − T(x))² = 2σ₁(σ₁ − c_ε/σ₀) for the monotone map T(x) = (σ₁/σ₀)x
    pi = solver.coupling()
    spread = np.sum(pi * (GRID[None, :] - S1 / S0 * GRID[:, None]) ** 2)
    c = entropic_gaussian_covariance(S0, S1, eps)
    assert spread == pytest.approx(2 * S1 * (S1 - c / S0), abs=1e-6)


def test_closed_form_limits():
    assert entropic_gaussian_covariance(S0, S1, 1e-12) == pytest.approx(S0 * S1, rel=1e-10)
    big = 1e8
    assert entropic_gaussian_covariance(S0, S1, big) == pytest.approx((S0 * S1) ** 2 / big,
                                                                      rel=1e-6)
    eps = np.logspace(-3, 3, 50)
    assert np.all(np.diff(entropic_gaussian_covariance(S0, S1, eps)) < 0)


def test_small_and_large_eps_limits_of_the_coupling():
    small = gaussian_solver(2e-3)
    small.solve(tol=1e-10)
    assert small.covariance() == pytest.approx(S0 * S1, abs=2e-3)
    large = gaussian_solver(1e3)
    large.solve(tol=1e-13)
    assert abs(large.covariance()) < 1e-3
    # ε → ∞: the coupling is the product of its marginals
    np.testing.assert_allclose(large.coupling(), np.outer(large.a, large.b), atol=1e-6)


def test_marginal_error_falls_to_round_off():
    solver = gaussian_solver(0.1)
    errors = solver.iterate(150)
    assert errors[-1] < 1e-14
    # monotone decrease until round-off (each Sinkhorn half-step is a KL projection)
    big = errors[errors > 1e-13]
    assert np.all(np.diff(big) <= 1e-15)


def test_coupling_concentrates_on_the_monotone_map_as_eps_shrinks():
    mix0 = initial_law(2.0, 0.35, 0.5)
    grid = np.linspace(-4.5, 4.5, 400)
    target = GaussianMixture(np.zeros((1, 1)), np.array([0.45]), np.ones(1))
    tmap = monotone_map(mix0, 0.0, 0.45, grid)
    spreads = []
    solver = Sinkhorn(grid, grid, grid_log_weights(mix0, grid), grid_log_weights(target, grid),
                      1.0)
    for eps in (1.0, 0.1, 0.01, 0.003):
        solver.set_eps(eps)
        solver.solve(tol=1e-10)
        pi = solver.coupling()
        spreads.append(np.sum(pi * (grid[None, :] - tmap[:, None]) ** 2))
    assert np.all(np.diff(spreads) < 0), spreads
    assert spreads[-1] < 0.01
    # ... so its covariance tends to Cov(x, T(x)), computed by quadrature
    a = solver.a
    limit = a @ (grid * tmap) - (a @ grid) * (a @ tmap)
    assert solver.covariance() == pytest.approx(limit, abs=5e-3)


def test_monotone_map_pushes_p0_onto_p1():
    mix0 = initial_law(2.0, 0.35, 0.3)
    x = np.linspace(-6, 6, 2001)
    t = monotone_map(mix0, 0.4, 0.7, x)
    assert np.all(np.diff(t) > 0) and np.all(np.isfinite(t))
    # F₁(T(x)) = F₀(x), in both tails
    np.testing.assert_allclose(stats.norm.cdf(t, 0.4, 0.7), mixture_cdf(mix0, x), atol=1e-12)
    np.testing.assert_allclose(stats.norm.sf(t, 0.4, 0.7), mixture_cdf(mix0, x, upper=True),
                               rtol=1e-8, atol=1e-300)


def test_the_log_domain_survives_tiny_eps_and_far_apart_modes():
    mix0 = initial_law(4.0, 0.05, 0.5)  # modes at ±4 with std 0.05: the gap has e^-3200
    grid = np.linspace(-5, 5, 300)
    target = GaussianMixture(np.zeros((1, 1)), np.array([0.3]), np.ones(1))
    solver = Sinkhorn(grid, grid, grid_log_weights(mix0, grid), grid_log_weights(target, grid),
                      1e-3)
    errors = solver.iterate(300)
    assert np.all(np.isfinite(errors)) and np.all(np.isfinite(solver.coupling()))
    assert solver.marginal_error() < errors[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_part2_both_roots_give_the_law_and_the_symmetric_one_moves_least(seed):
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(2, 2))
    sigma = m @ m.T + 0.1 * np.eye(2)
    mu = rng.normal(size=2)
    sym = symmetric_root(sigma)
    chol = np.linalg.cholesky(sigma)
    for w in (sym, chol):
        np.testing.assert_allclose(w @ w.T, sigma, atol=1e-12)
    np.testing.assert_allclose(sym, sym.T, atol=1e-14)
    assert np.all(np.linalg.eigvalsh(sym) > 0)
    # E‖x − z‖² = ‖μ‖² + tr Σ + d − 2 tr W; the symmetric root attains the OT value
    # ‖μ‖² + tr Σ + d − 2 tr Σ^½, the minimum over all W = Σ^½Q (Q orthogonal)
    w2 = mu @ mu + np.trace(sigma) + 2 - 2 * np.trace(sym)
    assert linear_transport_cost(mu, sym) == pytest.approx(w2, rel=1e-12)
    assert linear_transport_cost(mu, sym) <= linear_transport_cost(mu, chol) + 1e-12
    for angle in np.linspace(0.1, 6.2, 15):
        q = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        assert linear_transport_cost(mu, sym) < linear_transport_cost(mu, sym @ q)
    # Monte-Carlo check of the cost formula
    z = rng.normal(size=(200_000, 2))
    for w in (sym, chol):
        d2 = np.sum((mu + z @ w.T - z) ** 2, axis=1)
        assert d2.mean() == pytest.approx(linear_transport_cost(mu, w),
                                          abs=5 * d2.std() / np.sqrt(len(z)))


def test_part2_refuses_a_covariance_that_is_not_positive_definite():
    with pytest.raises(ParamError) as info:
        SchrodingerEpsilon({"s11": 1.0, "s22": 1.0, "s12": 1.0})
    assert info.value.name == "s12"
    exp = SchrodingerEpsilon()
    with pytest.raises(ParamError):
        exp.update_live({"s12": 2.0})


def test_experiment_converges_and_its_sweep_follows_the_closed_form():
    exp = SchrodingerEpsilon({"n_grid": 200})
    frames = checked_frames(exp)
    frame = next(frames)
    for _ in range(400):
        frame = next(frames)
        if len(frame["eps_ladder"]) >= 10:
            break
    assert frame["marginal_error"] < 1e-12
    assert frame["c_grid"] == pytest.approx(frame["c_eps_exact"], abs=1e-6)
    # sweep values with √ε well above the grid spacing (0.07) are on the closed form
    resolved = frame["eps_ladder"] >= 0.02
    np.testing.assert_allclose(frame["c_ladder"][resolved],
                               entropic_gaussian_covariance(S0, S1,
                                                            frame["eps_ladder"][resolved]),
                               atol=1e-6)
    # a live change of ε warm-starts and converges again
    exp.update_live({"eps": 1.0})
    for _ in range(50):
        frame = next(frames)
    assert frame["eps_value"] == 1.0 and frame["marginal_error"] < 1e-12
    assert frame["c_grid"] == pytest.approx(entropic_gaussian_covariance(S0, S1, 1.0), abs=1e-6)
