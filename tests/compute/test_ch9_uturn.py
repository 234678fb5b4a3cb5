"""ch9.uturn: exact-posterior U-turn quadratures against closed forms and Monte Carlo."""

import numpy as np
import pytest
from scipy import integrate, stats

import compute
from compute import Diverged, ParamError, backend, checked_frames
from compute.diffusion import ReverseRun, empirical_score_fn, exact_score_fn
from compute.experiments import ch9_uturn
from compute.gmm import GaussianMixture
from compute.schedules import Schedule
from compute.uturn import (
    UTurnTally,
    bridge_sample,
    empirical_probes,
    independent_distance,
    posterior_uturn,
    return_statistics,
    rice_mean,
    rice_pdf,
    speciation_time,
    top_eigenvalue,
    uturn_law,
    within_mode_distance,
)

GRID = GaussianMixture.grid(3, 6.0, 0.5)
VP = Schedule("vp-linear", 0.1, 20.0)
EDGES = np.linspace(0.0, 25.0, 61)
UTurn = compute.get("ch9.uturn")


def kernel(t, schedule=VP):
    return float(schedule.alpha(t)), float(schedule.var(t))


def tally_of(x0, source, y0, mixture=GRID):
    tally = UTurnTally(mixture.n_components, EDGES)
    tally.add(x0, source, y0, mixture.nearest(y0))
    return tally


def autocorr_se(x0, y0):
    """Delta-method SE of Σ_d Cov(x₀_d, y₀_d)/Σ_d Var(x₀_d) (large-sample)."""
    xc, yc = x0 - x0.mean(0), y0 - y0.mean(0)
    den = (xc * xc).sum(1).mean()
    ratio = (xc * yc).sum(1).mean() / den
    influence = ((xc * yc).sum(1) - ratio * (xc * xc).sum(1)) / den
    return influence.std() / np.sqrt(len(x0))


# -- small closed forms ---------------------------------------------------------------------
@pytest.mark.parametrize(("nu", "s"), [(0.0, 1.0), (1.5, 0.7), (6.0, 1.0), (30.0, 2.0)])
def test_rice_mean_and_pdf_are_the_law_of_the_norm_of_a_2d_gaussian(nu, s):
    total, _ = integrate.quad(lambda r: rice_pdf(r, nu, s), 0, nu + 12 * s)
    mean, _ = integrate.quad(lambda r: r * rice_pdf(r, nu, s), 0, nu + 12 * s)
    assert total == pytest.approx(1.0, abs=1e-8)
    assert mean == pytest.approx(float(rice_mean(nu, s)), rel=1e-8)
    z = np.random.default_rng(0).normal(size=(200_000, 2)) * s + [nu, 0.0]
    norms = np.hypot(z[:, 0], z[:, 1])
    assert norms.mean() == pytest.approx(float(rice_mean(nu, s)), abs=4 * norms.std() / 447)


def test_speciation_time_solves_alpha_squared_lambda_equals_one():
    for spacing, sigma in [(6.0, 0.5), (4.0, 1.5), (10.0, 0.1)]:
        g = GaussianMixture.grid(3, spacing, sigma)
        lam = 2 * spacing**2 / 3 + sigma**2
        assert top_eigenvalue(g) == pytest.approx(lam, rel=1e-12)
        for kind in ("vp-linear", "vp-cosine"):
            s = Schedule(kind)
            t_s = speciation_time(g, s)
            assert float(s.alpha(t_s)) ** 2 * lam == pytest.approx(1.0, rel=1e-9)
        brownian = Schedule("brownian")  # var(t_s) = Λ, clipped at t = 1 (var(1) = 20.1)
        t_b = speciation_time(g, brownian)
        if lam < float(brownian.var(1.0)):
            assert float(brownian.var(t_b)) == pytest.approx(lam, rel=1e-9)
        else:
            assert t_b == 1.0
    # the notebook's grid: B(t_s) = 0.1 t + 9.95 t² = ln(24.25)
    t_s = speciation_time(GRID, VP)
    assert 0.1 * t_s + 9.95 * t_s**2 == pytest.approx(np.log(24.25), rel=1e-9)


# -- the exact law against independent closed forms -----------------------------------------
def test_single_gaussian_autocorr_and_distance_are_closed_form():
    """K = 1: E[x₀|x] is linear, C = α²σ²/v; and y₀ − x₀ ~ N(0, 2σ²var/v) exactly."""
    g = GaussianMixture(np.array([[1.0, -2.0]]), 0.7, [1.0])
    for t in (0.1, 0.4, 0.8):
        alpha, var = kernel(t)
        law = uturn_law(g, alpha, var)
        v = alpha**2 * 0.49 + var
        assert law.autocorr == pytest.approx(alpha**2 * 0.49 / v, rel=1e-10)
        assert law.distance_mean() == pytest.approx(within_mode_distance(0.7, alpha, var),
                                                    rel=1e-12)
        assert law.p_same == pytest.approx(1.0)


def test_two_modes_p_same_is_a_one_dimensional_logistic_integral():
    """Modes at (±a, 0): T₀₀ = E φ-weighted 1/(1 + exp(2αa x₁/v)) with x₁ ~ N(−αa, v)."""
    a, sigma = 2.0, 0.8
    g = GaussianMixture(np.array([[-a, 0.0], [a, 0.0]]), sigma, [0.5, 0.5])
    for t in (0.2, 0.4, 0.6):
        alpha, var = kernel(t)
        v = alpha**2 * sigma**2 + var

        def stay(z, alpha=alpha, v=v):
            x1 = -alpha * a + np.sqrt(v) * z
            return stats.norm.pdf(z) / (1 + np.exp(2 * alpha * a * x1 / v))

        expected, _ = integrate.quad(stay, -12, 12, epsabs=1e-12)
        assert uturn_law(g, alpha, var).p_same == pytest.approx(expected, abs=1e-6)


def test_p_same_falls_from_one_to_the_collision_floor():
    tus = np.linspace(0.005, 1.0, 60)
    p = np.array([uturn_law(GRID, *kernel(t)).p_same for t in tus])
    assert p[0] > 1 - 1e-6
    assert np.all(np.diff(p) < 1e-9)
    assert p[-1] == pytest.approx(1 / 9, abs=1e-3)
    # with a larger β_max, α(1) is smaller and the floor is reached more closely
    steep = Schedule("vp-linear", 0.1, 40.0)
    assert uturn_law(GRID, *kernel(1.0, steep)).p_same == pytest.approx(1 / 9, abs=1e-6)


def test_mode_participation_goes_from_one_to_the_number_of_modes():
    """E 1/Σ_k w_k²: one mode owns the posterior at small T_u, all 9 share it at T_u = 1."""
    assert uturn_law(GRID, *kernel(0.01)).participation == pytest.approx(1.0, abs=1e-6)
    steep = Schedule("vp-linear", 0.1, 40.0)
    assert uturn_law(GRID, *kernel(1.0, steep)).participation == pytest.approx(9.0, rel=1e-6)
    law = uturn_law(GRID, *kernel(0.5))
    assert 1 / law.p_same <= law.participation <= 9  # Jensen: E 1/Z ≥ 1/E Z


def test_autocorr_falls_from_one_to_zero():
    tus = np.linspace(0.005, 1.0, 40)
    c = np.array([uturn_law(GRID, *kernel(t)).autocorr for t in tus])
    assert c[0] > 0.999 and c[-1] < 2e-3  # C(1) ≈ α(1)²Λ ≈ 1e-3
    assert np.all(np.diff(c) < 1e-12)


def test_seed_distance_limits():
    alpha, var = kernel(0.05)  # small T_u: the U-turn stays in its mode
    law = uturn_law(GRID, alpha, var)
    assert law.distance_mean() == pytest.approx(within_mode_distance(0.5, alpha, var), rel=1e-6)
    steep = Schedule("vp-linear", 0.1, 40.0)  # T_u = 1 with α(1) ≈ e⁻¹⁰: independent draws
    far = uturn_law(GRID, *kernel(1.0, steep)).distance_mean()
    assert far == pytest.approx(independent_distance(GRID), rel=1e-6)
    # E‖x − x′‖ for independent draws, by Monte Carlo
    rng = np.random.default_rng(3)
    x, _ = GRID.sample(200_000, rng)
    d = np.hypot(*(x[:100_000] - x[100_000:]).T)
    assert d.mean() == pytest.approx(independent_distance(GRID), abs=4 * d.std() / np.sqrt(1e5))


def test_distance_density_is_normalised_and_has_the_exact_mean():
    law = uturn_law(GRID, *kernel(0.5))
    r = np.linspace(0, 30, 6001)
    density = law.distance_density(r)
    assert integrate.simpson(density, x=r) == pytest.approx(1.0, abs=1e-7)
    assert integrate.simpson(r * density, x=r) == pytest.approx(law.distance_mean(), rel=1e-7)


def test_transition_matrix_rows_uniform_limit_and_centre_speciates_first():
    for t in (0.1, 0.5, 0.9):
        np.testing.assert_allclose(uturn_law(GRID, *kernel(t)).transition.sum(axis=1), 1.0,
                                   atol=1e-12)
    steep = Schedule("vp-linear", 0.1, 40.0)
    np.testing.assert_allclose(uturn_law(GRID, *kernel(1.0, steep)).transition, 1 / 9,
                               atol=1e-8)
    centre, corners, edges = 4, [0, 2, 6, 8], [1, 3, 5, 7]
    for t in np.linspace(0.3, 0.7, 9):
        diag = np.diag(uturn_law(GRID, *kernel(t)).transition)
        # the centre (8 neighbours) loses its identity first, the corners (3) last
        assert diag[centre] < diag[edges].min() <= diag[edges].max() < diag[corners].min()
        np.testing.assert_allclose(diag[corners], diag[corners[0]], rtol=1e-9)  # symmetry


# -- Monte Carlo against the quadrature --------------------------------------------------
@pytest.mark.parametrize("tu", [0.3, 0.45, 0.6])
def test_posterior_sampler_matches_the_quadrature(tu):
    alpha, var = kernel(tu)
    law = uturn_law(GRID, alpha, var)
    n = 100_000
    x0, source, _, y0 = posterior_uturn(GRID, alpha, var, n, np.random.default_rng(int(tu * 100)))
    tally = tally_of(x0, source, y0)
    se = np.sqrt(law.p_same * (1 - law.p_same) / n)
    assert abs(tally.p_same - law.p_same) < 4 * se
    assert abs(tally.autocorr - law.autocorr) < 4 * autocorr_se(x0, y0)
    dist = np.hypot(*(y0 - x0).T)
    assert abs(tally.distance_mean - law.distance_mean()) < 4 * dist.std() / np.sqrt(n)
    counts = tally.counts.sum(axis=1, keepdims=True)
    entry_se = np.sqrt(law.transition * (1 - law.transition) / counts) + 1e-4
    assert np.all(np.abs(tally.transition - law.transition) < 5 * entry_se)
    np.testing.assert_allclose(tally.transition.sum(axis=1), 1.0)


def test_sde_uturns_with_the_exact_score_agree_with_the_posterior():
    tu, n, steps = 0.5, 6000, 60
    alpha, var = kernel(tu)
    law = uturn_law(GRID, alpha, var)
    rng = np.random.default_rng(11)
    x0, source = GRID.sample(n, rng)
    xt = alpha * x0 + np.sqrt(var) * rng.standard_normal(x0.shape)
    run = ReverseRun(xt, exact_score_fn(GRID, VP), VP, steps, "ratio", 1.0, rng, t_start=tu)
    run.advance(steps)
    tally = tally_of(x0, source, run.x)
    se = np.sqrt(law.p_same * (1 - law.p_same) / n)
    assert abs(tally.p_same - law.p_same) < 4 * se
    assert abs(tally.autocorr - law.autocorr) < 4 * autocorr_se(x0, run.x) + 0.005
    dist = np.hypot(*(run.x - x0).T)
    assert abs(tally.distance_mean - law.distance_mean()) < 4 * dist.std() / np.sqrt(n) + 0.02


def test_empirical_score_uturns_return_to_their_training_point_with_probability_p_ret():
    """P_ret(T_u) = E Σ_n w_n² is the chance that a U-turn from a training point ends there."""
    rng = np.random.default_rng(4)
    train = GRID.sample(100, rng)[0]
    tu, n, steps = 0.03, 3000, 60
    alpha, var = kernel(tu)
    own = rng.integers(100, size=n)
    xt = alpha * train[own] + np.sqrt(var) * rng.standard_normal((n, 2))
    run = ReverseRun(xt, empirical_score_fn(train, VP), VP, steps, "ratio", 1.0, rng,
                     t_start=tu)
    run.advance(steps)
    home = np.mean(GaussianMixture.empirical(train).nearest(run.x) == own)
    seeds, noise = empirical_probes(train, 20_000, rng)
    p_ret, _ = return_statistics(train, alpha, var, seeds, noise)
    assert 0.2 < p_ret < 0.9  # a T_u inside the collapse transition
    assert abs(home - p_ret) < 4 * np.sqrt(p_ret * (1 - p_ret) / n) + 0.01


def test_bridge_is_consistent_with_the_forward_kernel():
    """x_r ~ p(x_r | x_l), then x_m ~ bridge(x_l, x_r): x_m ~ p(x_m | x_l) = N(a x_l, q)."""
    rng = np.random.default_rng(2)
    n, (tl, tm, tr) = 200_000, (0.1, 0.3, 0.5)
    xl = np.full((n, 2), 1.5)
    a_rl = float(VP.alpha(tr) / VP.alpha(tl))
    xr = a_rl * xl + np.sqrt(float(VP.var(tr)) - a_rl**2 * float(VP.var(tl))) * rng.normal(
        size=(n, 2))
    xm = bridge_sample(xl, tl, xr, tr, tm, VP, rng)
    a = float(VP.alpha(tm) / VP.alpha(tl))
    q = float(VP.var(tm)) - a**2 * float(VP.var(tl))
    assert xm.mean() == pytest.approx(1.5 * a, abs=4 * np.sqrt(q / (2 * n)))
    assert xm.var() == pytest.approx(q, rel=0.01)
    np.testing.assert_allclose(bridge_sample(xl, tl, xr, tr, tr, VP, rng), xr, rtol=1e-12)
    np.testing.assert_allclose(bridge_sample(xl, 0.0, xr, tr, 0.0, VP, rng), xl)


# -- the experiment -------------------------------------------------------------------------
@pytest.mark.parametrize(("values", "name"), [
    ({"Tu": 0.0}, "Tu"), ({"Tu": 1.5}, "Tu"), ({"sigma": 0.0}, "sigma"),
    ({"steps": 0}, "steps"), ({"beta_min": 3.0, "beta_max": 2.0}, "beta_max"),
    ({"source_mode": 9}, "source_mode"), ({"batch": 0}, "batch"),
])
def test_bad_input_is_refused_naming_the_parameter(values, name):
    with pytest.raises(ParamError) as info:
        UTurn(values)
    assert info.value.name == name


def test_network_without_torch_is_refused(monkeypatch):
    monkeypatch.setattr(backend, "torch_installed", lambda: False)
    with pytest.raises(ParamError) as info:
        UTurn({"score": "network"})
    assert info.value.name == "score"


def test_a_nan_score_stops_the_run_with_a_message(monkeypatch):
    monkeypatch.setattr(ch9_uturn, "exact_score_fn",
                        lambda mixture, schedule: lambda x, t: np.full_like(x, np.nan))
    exp = UTurn({"score": "exact", "steps": 20, "batch": 128})
    exp.set_steps_per_frame(20)
    with pytest.raises(Diverged, match="exact score left the finite range"):
        for _ in checked_frames(exp):
            pass


def test_live_tu_change_with_the_posterior_is_instant_and_curves_are_reused():
    exp = UTurn({"batch": 512})
    frames = checked_frames(exp)
    first = next(frames)
    while first["curve_progress"] < 1:
        first = next(frames)
    second = next(frames)
    assert second["curve_p_same"] is first["curve_p_same"]  # cached: the panel skips it
    exp.update_live({"Tu": 0.8})
    after = next(frames)
    frames.close()
    law = uturn_law(GRID, *kernel(0.8))
    assert after["Tu"] == 0.8 and after["n_uturns"] == 512
    assert after["p_same_exact"] == pytest.approx(law.p_same)
    assert abs(after["p_same"] - law.p_same) < 4 * np.sqrt(law.p_same * (1 - law.p_same) / 512)
    assert after["transition"].shape == (9, 9) and after["y0"].shape == (512, 2)
    assert set(after["mc_Tu"]) == {0.5, 0.8}


@pytest.mark.parametrize("score", ["posterior", "exact"])
def test_sweep_fills_the_notebook_grid_and_matches_the_exact_curve(score):
    exp = UTurn({"score": score, "sweep": True, "n_sweep": 5, "batch": 2000, "steps": 60})
    frames = list(checked_frames(exp))
    last = frames[-1]
    assert last["progress"] == pytest.approx(1.0)
    np.testing.assert_allclose(last["mc_Tu"], np.linspace(0.02, 1.0, 5))
    for tu, p in zip(last["mc_Tu"], last["mc_p_same"], strict=True):
        exact = uturn_law(GRID, *kernel(tu)).p_same
        assert abs(p - exact) < 4 * np.sqrt(exact * (1 - exact) / 2000) + 1e-3


def test_eps_change_clears_the_dots_and_the_ode_uturn_keeps_more_identity():
    """The ODE U-turn is deterministic given x_Tu: it keeps the mode more often than the SDE."""
    exp = UTurn({"score": "exact", "batch": 2000, "steps": 40, "Tu": 0.5})
    exp.set_steps_per_frame(40)
    frames = checked_frames(exp)
    frame = next(frames)
    while frame["n_uturns"] == 0:
        frame = next(frames)
    sde = frame["p_same"]
    exp.update_live({"eps": 0.0})
    frame = next(frames)
    assert frame["n_uturns"] == 0 and len(frame["mc_Tu"]) == 0
    while frame["n_uturns"] == 0:
        frame = next(frames)
    frames.close()
    # E max_k w_k ≥ E Σ w_k² : the ODE lands in the most probable basin of x_Tu
    assert frame["p_same"] > sde + 0.05
