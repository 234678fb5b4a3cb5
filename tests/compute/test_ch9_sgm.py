"""Reverse-time diffusion (compute.diffusion) and ch9.sgm9 / ch9.revnoise against closed forms."""

import itertools

import numpy as np
import pytest
from scipy import stats

import compute
from compute import ParamError, checked_frames
from compute.diffusion import (
    ReverseRun,
    exact_score_fn,
    forward_step,
    frame_chunk,
    mixture_responsibilities,
    mixture_score,
    reverse_noise,
    reverse_step,
    sample_quality,
    stray_reference,
    time_grid,
)
from compute.gmm import GaussianMixture
from compute.schedules import SCHEDULES, Schedule

GRID = GaussianMixture.grid(3, 6.0, 0.5)


def rng(seed=0):
    return np.random.default_rng(seed)


# -- scores -------------------------------------------------------------------------------
@pytest.mark.parametrize("mixture", [
    GaussianMixture.grid(3, 6.0, 0.5).noised(0.4, 0.84),
    GaussianMixture(np.array([[0.0, 1.0], [2.0, -1.0], [-3.0, 0.5]]), [0.4, 1.3, 0.8],
                    [0.2, 0.5, 0.3]),
    GaussianMixture.empirical(np.random.default_rng(3).normal(size=(50, 2))).noised(1.0, 0.05),
], ids=["grid", "unequal-sigma", "empirical"])
def test_fast_mixture_score_is_the_mixture_score(mixture):
    x = rng(1).normal(size=(3000, 2)) * 4  # several cache blocks for the empirical law
    np.testing.assert_allclose(mixture_score(mixture, x), mixture.score(x), rtol=1e-10,
                               atol=1e-10)
    np.testing.assert_allclose(mixture_responsibilities(mixture, x),
                               mixture.responsibilities(x), atol=1e-12)


@pytest.mark.parametrize("kind", SCHEDULES)
def test_exact_score_is_the_gradient_of_log_p_t(kind):
    """s*(x, t) = ∇ log p_t with p_t the grid pushed through N(α(t)x₀, var(t)I)."""
    s = Schedule(kind)
    score = exact_score_fn(GRID, s)
    x = rng(2).normal(size=(40, 2)) * 5
    h = 1e-5
    for t in (0.05, 0.3, 0.9):
        logp = GRID.noised(float(s.alpha(t)), float(s.var(t))).log_density
        fd = np.column_stack([(logp(x + e) - logp(x - e)) / (2 * h)
                              for e in (np.array([h, 0.0]), np.array([0.0, h]))])
        np.testing.assert_allclose(score(x, t), fd, rtol=1e-5, atol=1e-6)


def test_exact_score_limits():
    """s* ≈ 0 at a mode centre α_t μ_k at small t; s* ≈ (α μ_k − x)/v far from every mode."""
    s = Schedule("vp-linear")
    score = exact_score_fn(GRID, s)
    assert np.abs(score(float(s.alpha(1e-3)) * GRID.means, 1e-3)).max() < 1e-12
    t = 0.5
    alpha, v = float(s.alpha(t)), float(s.alpha(t) ** 2 * 0.25 + s.var(t))
    # far away along a diagonal the nearest corner dominates completely
    far = np.array([[60.0, 60.0]])
    corner = alpha * np.array([6.0, 6.0])
    np.testing.assert_allclose(score(far, t), (corner - far) / v, rtol=1e-10)


# -- the reverse process ------------------------------------------------------------------
def test_time_grid_never_reaches_zero_with_a_score_call():
    grid = time_grid(1000)
    assert grid[0] == 1.0 and grid[-1] == 0.0 and len(grid) == 1001
    # the score is evaluated at grid[:-1]; the last call is at t = 1/steps
    assert grid[:-1].min() == pytest.approx(1e-3)
    with pytest.raises(ValueError):
        time_grid(0)


def test_reverse_noise_modes():
    s = Schedule("brownian")
    t = 0.3
    assert reverse_noise("sde", 7.0, s, t) == pytest.approx(float(s.G(t)))
    assert reverse_noise("ode", 7.0, s, t) == 0.0
    assert reverse_noise("ratio", 2.5, s, t) == pytest.approx(2.5 * float(s.G(t)))
    assert reverse_noise("constant", 7.0, s, t) == 7.0
    with pytest.raises(ValueError):
        reverse_noise("heun", 1.0, s, t)


def test_eps_equal_G_is_andersons_reverse_sde():
    """dy = [f − G s]dt + √G dW̄ (eq. 9.2 with ∇·G = 0), one step by hand."""
    s = Schedule("vp-linear")
    score = exact_score_fn(GRID, s)
    x = rng(3).normal(size=(100, 2))
    noise = rng(4).normal(size=(100, 2))
    t, dt = 0.6, 0.01
    G = float(s.G(t))
    by_hand = x - (s.drift(x, t) - G * score(x, t)) * dt + np.sqrt(G * dt) * noise
    eps = reverse_noise("sde", 0.0, s, t)
    np.testing.assert_allclose(reverse_step(x, t, dt, score, s, eps, noise=noise), by_hand,
                               rtol=1e-12)
    # ratio 1 is the same process, draw for draw
    a = ReverseRun(x, score, s, 50, "sde", 0.0, rng(5))
    b = ReverseRun(x, score, s, 50, "ratio", 1.0, rng(5))
    a.advance(50), b.advance(50)
    np.testing.assert_array_equal(a.x, b.x)


def test_ode_is_deterministic_given_the_initial_points():
    s = Schedule("vp-linear")
    x = rng(6).normal(size=(200, 2))
    runs = [ReverseRun(x, exact_score_fn(GRID, s), s, 100, "ode", 0.0, rng(seed))
            for seed in (1, 2)]
    for run in runs:
        assert run.advance(1000) == 100 and run.done and run.t == 0.0
    np.testing.assert_array_equal(runs[0].x, runs[1].x)


@pytest.mark.parametrize("kind", SCHEDULES)
def test_ode_flow_of_a_gaussian_is_the_exact_affine_map(kind):
    """For data N(μ, σ²I) the probability-flow ODE keeps (y_t − α_t μ)/√v_t constant,
    v_t = α_t²σ² + var_t: it maps y₁ to μ + σ(y₁ − α₁μ)/√v₁."""
    s = Schedule(kind)
    mu, sigma = np.array([1.5, -0.5]), 0.7
    gauss = GaussianMixture(mu[None], sigma, 1.0)
    y1 = rng(7).normal(size=(50, 2)) * 2
    run = ReverseRun(y1, exact_score_fn(gauss, s), s, 4000, "ode")
    run.advance(4000)
    a1, v1 = float(s.alpha(1.0)), float(s.alpha(1.0) ** 2 * sigma**2 + s.var(1.0))
    np.testing.assert_allclose(run.x, mu + sigma * (y1 - a1 * mu) / np.sqrt(v1), atol=5e-3)


@pytest.mark.parametrize(("mode", "value"), [("ode", 0.0), ("sde", 0.0), ("ratio", 3.0),
                                             ("constant", 2.0)])
def test_every_reverse_noise_level_samples_a_gaussian_target(mode, value):
    """Started from p₁ exactly, any ε̃ ends with the law N(μ, σ²I) (mean and variance)."""
    s = Schedule("vp-linear")
    mu, sigma, n = np.array([2.0, -1.0]), 0.6, 4000
    gauss = GaussianMixture(mu[None], sigma, 1.0)
    start = gauss.noised(float(s.alpha(1.0)), float(s.var(1.0))).sample(n, rng(8))[0]
    run = ReverseRun(start, exact_score_fn(gauss, s), s, 500, mode, value, rng(9))
    run.advance(500)
    se_mean = sigma / np.sqrt(n)
    np.testing.assert_allclose(run.x.mean(0), mu, atol=5 * se_mean)
    np.testing.assert_allclose(run.x.var(0), sigma**2, rtol=5 * np.sqrt(2 / n) + 0.02)


@pytest.mark.parametrize("kind", SCHEDULES)
@pytest.mark.parametrize("mode", ["sde", "ode"])
def test_reverse_sde_and_ode_reproduce_the_grid(kind, mode):
    """Mode frequencies 1/9 (χ² test), within-mode RMS σ, strays at the Gaussian tail."""
    s = Schedule(kind)
    n = 3000
    start = GRID.noised(float(s.alpha(1.0)), float(s.var(1.0))).sample(n, rng(10))[0]
    run = ReverseRun(start, exact_score_fn(GRID, s), s, 500, mode, 1.0, rng(11))
    run.advance(500)
    q = sample_quality(run.x, GRID, 1.5)
    assert stats.chisquare(q.counts).pvalue > 1e-3
    # RMS² is a mean of 2n squared N(0, σ²) coordinates: relative SE √(2/2n)/2 ≈ 0.9%
    assert q.rms == pytest.approx(0.5, rel=0.04)
    tail = stray_reference(1.5, 0.5)
    assert abs(q.stray - tail) < 4 * np.sqrt(tail * (1 - tail) / n) + 0.003


def test_shared_rows_share_their_brownian_increments():
    """Blocks with the same ε̃ and the same start stay identical (common random numbers)."""
    s = Schedule("vp-linear")
    start = rng(12).normal(size=(30, 2))
    eps = np.repeat([1.0, 1.0, 2.0], 30)[:, None]
    run = ReverseRun(np.tile(start, (3, 1)), exact_score_fn(GRID, s), s, 40, "ratio", eps,
                     rng(13), shared_rows=3)
    run.advance(40)
    np.testing.assert_array_equal(run.x[:30], run.x[30:60])
    assert not np.allclose(run.x[:30], run.x[60:])


# -- metrics ------------------------------------------------------------------------------
def test_sample_quality_closed_forms():
    x = np.array([[6.0, 6.0], [6.3, 6.4], [0.0, 0.0], [3.0, 3.0]])
    q = sample_quality(x, GRID, 1.0)
    freq = q.counts / 4
    seen = freq > 0
    assert q.counts.sum() == 4
    assert q.mode_kl == pytest.approx(np.sum(freq[seen] * np.log(9 * freq[seen])))
    # squared distances to the nearest centre: 0, 0.25, 0, 18 (a tie broken to a centre)
    assert q.rms == pytest.approx(np.sqrt((0.25 + 18) / 8))
    assert q.stray == pytest.approx(0.25)
    uniform = sample_quality(GRID.means, GRID, 1.0)
    assert uniform.mode_kl == pytest.approx(0.0, abs=1e-15) and uniform.rms == 0.0


def test_stray_reference_is_the_gaussian_tail():
    assert stray_reference(1.5, 0.5) == pytest.approx(np.exp(-4.5))
    assert stray_reference(2.0, 1.0, dim=5) == pytest.approx(stats.chi2.sf(4.0, 5))


def test_frame_chunk_respects_speed_budget_and_minimum_frames():
    assert frame_chunk(10, 1000) == 10
    assert frame_chunk(100, 1000) == 50  # at least 20 frames per run
    assert frame_chunk(10, 5) == 1
    assert frame_chunk(10, 1000, 10**6, 1000.0) == 1  # over the per-frame budget


# -- the experiments ----------------------------------------------------------------------
def run_all(exp_id, params, speed=50):
    """Every frame of a run, ``speed`` steps a frame (what is tested does not depend on it)."""
    exp = compute.get(exp_id)(params)
    exp.set_steps_per_frame(speed)
    return list(checked_frames(exp))


def test_sgm9_runs_to_t0_and_samples_the_grid():
    frames = run_all("ch9.sgm9", {"n_particles": 2000, "steps": 400, "seed": 1})
    first, last = frames[0], frames[-1]
    assert first["t"] == 1.0 and last["t"] == 0.0 and last["reverse_step"] == 400
    assert len(frames) >= 21  # shown in at least twenty frames after the first
    assert last["mode_counts"].sum() == 2000
    assert stats.chisquare(last["mode_counts"]).pvalue > 1e-3
    assert last["rms"] == pytest.approx(0.5, rel=0.05)
    assert last["committed"] == pytest.approx(last["mode_fraction"].sum())
    assert last["committed"] > 0.99
    # the exact score's DSM loss is the floor (same Monte-Carlo pairs)
    assert last["score_loss"][0] == last["loss_floor"]
    # the trails are the first particles' paths, ending where they are
    np.testing.assert_array_equal(last["trails"][:, -1], last["x"][:25])
    assert last["trails"].shape[1] <= 257


def test_sgm9_commitment_grows_as_t_falls():
    """Posterior weights of p_t start flat (no particle committed) and end one-hot."""
    frames = run_all("ch9.sgm9", {"n_particles": 500, "steps": 200})
    committed = [f["committed"] for f in frames]
    assert committed[0] < 0.05 and committed[-1] > 0.99


def test_sgm9_empirical_score_is_memorising():
    """With few training points the empirical score reproduces them at t → 0."""
    frames = run_all("ch9.sgm9", {"score": "empirical", "n_train": 20, "n_particles": 300,
                                  "steps": 400, "prior": "exact"})
    x = frames[-1]["x"]
    train = GRID.sample(20, compute.backend.rng(0, 0))[0]
    dist = np.sqrt(((x[:, None] - train[None]) ** 2).sum(-1)).min(1)
    assert np.median(dist) < 0.1  # far below the mode std 0.5
    # its population DSM loss is above the floor of the exact score
    assert frames[-1]["score_loss"][0] > frames[-1]["loss_floor"]


def test_sgm9_live_eps_switches_to_the_ode():
    exp = compute.get("ch9.sgm9")({"n_particles": 50, "steps": 100})
    frames = checked_frames(exp)
    next(frames)
    exp.update_live({"eps_mode": "ode"})
    f = next(frames)
    assert f["reverse_step"] > 0
    frames.close()


@pytest.mark.parametrize(("params", "name"), [
    ({"beta_min": 2.0, "beta_max": 1.5}, "beta_max"),
    ({"sigma": 0.0}, "sigma"),
    ({"steps": 0}, "steps"),
])
def test_sgm9_rejects_bad_parameters(params, name):
    with pytest.raises(ParamError) as info:
        compute.get("ch9.sgm9")(params)
    assert info.value.name == name


@pytest.mark.parametrize("kind", SCHEDULES)
def test_forward_steps_compose_to_the_marginal_kernel(kind):
    """Uneven exact steps from a fixed x₀ land on N(α(t)x₀, var(t)I), whatever the grid."""
    s, n, t_end = Schedule(kind, 0.1, 8.0), 40_000, 0.6
    times = np.concatenate([[0.0], np.sort(rng(20).uniform(0, t_end, 30)), [t_end]])
    x0 = np.array([2.0, -1.0])
    x = np.tile(x0, (n, 1))
    step_rng = rng(21)
    for t, t_next in itertools.pairwise(times):
        x = forward_step(x, t, t_next, s, step_rng)
    alpha, var = float(s.alpha(t_end)), float(s.var(t_end))
    np.testing.assert_allclose(x.mean(0), alpha * x0, atol=5 * np.sqrt(var / n))
    np.testing.assert_allclose(x.var(0), var, rtol=5 * np.sqrt(2 / n))
    assert abs(np.corrcoef(x.T)[0, 1]) < 5 / np.sqrt(n)  # isotropic: no cross-covariance


def test_sgm9_forward_first_dissolves_the_data_then_brings_them_back():
    params = {"forward": True, "beta_max": 2.0, "n_particles": 4000, "steps": 200, "seed": 3}
    frames = run_all("ch9.sgm9", params)
    forward = [f for f in frames if f["process"].startswith("forward noising")]
    times = [f["t"] for f in forward]
    assert times[0] == 0.0 and times[-1] == 1.0 and np.all(np.diff(times) > 0)
    assert len(forward) >= 21 and forward[-1]["forward_step"] == 200
    # t = 0: the data themselves, committed to their modes; t = 1: p₁ = N-mixture with
    # mean α₁μ̄ = 0 and covariance α₁²Σ_data + var₁ I (α₁² = e^{-1.05} with β_max = 2)
    assert forward[0]["committed"] > 0.99
    s = Schedule("vp-linear", 0.1, 2.0)
    p1 = GRID.noised(float(s.alpha(1.0)), float(s.var(1.0)))
    x1 = forward[-1]["x"]
    c = p1.covariance()[0, 0]
    np.testing.assert_allclose(x1.mean(0), 0.0, atol=5 * np.sqrt(c / 4000))
    np.testing.assert_allclose(np.cov(x1.T), p1.covariance(), atol=5 * c * np.sqrt(2 / 4000))
    # the reverse run starts from those very points, with fresh trails, and ends on the grid
    first_reverse = frames[len(forward)]
    assert first_reverse["t"] == 1.0 and first_reverse["reverse_step"] == 0
    np.testing.assert_array_equal(first_reverse["x"], x1)
    assert first_reverse["trails"].shape[1] == 1
    last = frames[-1]
    assert last["t"] == 0.0 and last["process"] == "reverse SDE (ε˜ = G)"
    assert stats.chisquare(last["mode_counts"]).pvalue > 1e-3
    assert last["rms"] == pytest.approx(0.5, rel=0.05)
    assert list(last["score_loss_step"]) == [0.0]  # the loss marker counts training steps only


def test_network_score_without_torch_is_refused(monkeypatch):
    monkeypatch.setattr(compute.backend, "torch_installed", lambda: False)
    with pytest.raises(ParamError) as info:
        compute.get("ch9.sgm9")({"score": "network"})
    assert info.value.name == "score" and "PyTorch" in info.value.message


def test_prior_choices_have_the_moments_of_p1():
    from compute.experiments.ch9_sgm import prior_sample

    s = Schedule("brownian")
    n = 40_000
    p1 = GRID.noised(1.0, float(s.var(1.0)))
    for kind in ("matched", "exact"):
        x = prior_sample(kind, GRID, s, n, rng(14))
        se = p1.covariance()[0, 0] / np.sqrt(n)
        np.testing.assert_allclose(np.cov(x.T), p1.covariance(), rtol=0.04, atol=5 * se)
    x = prior_sample("standard", GRID, s, n, rng(15))
    np.testing.assert_allclose(x.var(0), float(s.var(1.0)), rtol=0.04)


def test_revnoise_fills_every_cell_and_fine_steps_hit_the_references():
    frames = run_all("ch9.revnoise", {"n_particles": 1500, "eps_values": ["0", "1", "5"],
                                      "step_counts": ["10", "500"]})
    last = frames[-1]
    assert last["cells_done"] == last["cells_total"] == 6
    assert np.isfinite(last["kl"]).all() and np.isnan(frames[0]["kl"]).all()
    # with 500 steps every ε̃ samples the grid: RMS → σ, strays → the Gaussian tail
    np.testing.assert_allclose(last["rms"][1], 0.5, rtol=0.05)
    n, tail = 1500, last["stray_ref"]
    assert np.all(np.abs(last["stray"][1] - tail) < 4 * np.sqrt(tail / n) + 0.005)
    # 10 steps with ε̃ = 5G inflate the modes (stiff Euler step near t = 0)
    assert last["rms"][0, 2] > last["rms"][1, 2] * 1.1


def test_revnoise_needs_a_row_and_a_step_count():
    cls = compute.get("ch9.revnoise")
    for name in ("eps_values", "step_counts"):
        with pytest.raises(ParamError) as info:
            cls({name: []})
        assert info.value.name == name
