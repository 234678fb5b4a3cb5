"""The DSM loss, its irreducible floor and the learned score (compute.score_net)."""

import subprocess
import sys

import numpy as np
import pytest
from scipy import integrate

from compute import Diverged, backend
from compute.diffusion import T_MIN, dsm_loss, exact_score_fn
from compute.gmm import GaussianMixture
from compute.schedules import Schedule

GRID = GaussianMixture.grid(3, 6.0, 0.5)
VP = Schedule("vp-linear")


def rng(seed=0):
    return np.random.default_rng(seed)


def per_sample_dsm(score_of, mixture, schedule, n, gen):
    """The DSM loss's Monte-Carlo definition, sample by sample with its own t ~ U(1e-4, 1):
    λ(t)‖s(x_t, t) + ε/√var_t‖²/d with x_t = α_t x₀ + √var_t ε. Returns the n terms."""
    terms = np.empty(n)
    x0 = mixture.sample(n, gen)[0]
    eps = gen.standard_normal(x0.shape)
    for i, t in enumerate(gen.uniform(T_MIN, 1.0, n)):
        alpha, var = float(schedule.alpha(t)), float(schedule.var(t))
        xt = alpha * x0[i:i + 1] + np.sqrt(var) * eps[i:i + 1]
        terms[i] = var * np.mean((score_of(xt, t) + eps[i] / np.sqrt(var)) ** 2)
    return terms


def test_module_import_does_not_import_torch():
    code = ("import sys, compute.score_net, compute.experiments.ch9_sgm; "
            "assert 'torch' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr


def test_irreducible_loss_equals_its_monte_carlo_definition():
    from compute.score_net import irreducible_loss

    mixture = GaussianMixture.grid(3, 6.0, 1.5)  # notebook "02": overlapping modes
    n = 3000
    exact = exact_score_fn(mixture, VP)
    terms = per_sample_dsm(exact, mixture, VP, n, rng(1))
    floor = irreducible_loss(mixture, VP, 60_000, rng(2))
    # the stratified estimator's SE is at most the plain one's with its sample count
    se = terms.std() * np.sqrt(1 / n + 1 / 60_000)
    assert floor == pytest.approx(terms.mean(), abs=4 * se)


@pytest.mark.parametrize("kind", ["vp-linear", "brownian"])
def test_irreducible_loss_of_one_gaussian_is_a_time_integral(kind):
    """For data N(μ, σ²I): s* − target = (1/√var − √var/v)ε − ασz/v, so per coordinate
    λ E‖s* − target‖² = α²σ²/v with v = α²σ² + var; the floor is its mean over t."""
    from compute.score_net import irreducible_loss

    s, sigma = Schedule(kind), 0.8
    gauss = GaussianMixture(np.array([[1.0, -2.0]]), sigma, 1.0)

    def per_t(t):
        a2s2 = float(s.alpha(t)) ** 2 * sigma**2
        return a2s2 / (a2s2 + float(s.var(t)))

    exact = integrate.quad(per_t, T_MIN, 1.0, limit=200)[0] / (1.0 - T_MIN)
    n = 200_000
    # per-sample terms are at most a few units: SE below 3/√n
    assert irreducible_loss(gauss, s, n, rng(3)) == pytest.approx(exact, abs=5 * 3 / np.sqrt(n))


def test_a_wrong_score_pays_its_squared_error_above_the_floor():
    """L(s) = L(s*) + E λ‖s − s*‖²/d: the floor is below the loss of N(0, I)'s score −x."""
    exact = exact_score_fn(GRID, VP)

    def wrong(x, t):
        return -x

    def gap(x, t):
        return wrong(x, t) - exact(x, t)

    n = 40_000
    floor = dsm_loss(exact, GRID, VP, n, rng(4))
    worse = dsm_loss(wrong, GRID, VP, n, rng(4))  # same pairs
    assert worse > floor
    # E λ‖wrong − s*‖²/d by the same stratified sampler (the cross term has mean zero)
    sq = _weighted_square(gap, n)
    assert worse - floor == pytest.approx(sq, rel=0.05)


def _weighted_square(diff, n):
    """E λ(t)‖diff(x_t, t)‖²/d over the forward process of the grid (t stratified)."""
    gen = rng(5)
    total, m = 0.0, 256
    for t in T_MIN + (1 - T_MIN) * (np.arange(m) + gen.random(m)) / m:
        x0 = GRID.sample(n // m, gen)[0]
        xt = float(VP.alpha(t)) * x0 + np.sqrt(float(VP.var(t))) * gen.standard_normal(x0.shape)
        total += float(VP.var(t)) * np.mean(diff(xt, t) ** 2)
    return total / m


# -- the network (torch) ------------------------------------------------------------------
needs_torch = pytest.mark.skipif(not backend.torch_installed(), reason="PyTorch not installed")


@pytest.fixture
def torch():
    """torch with one intra-op thread, as in the GUI worker (tiny batches lose from more)."""
    torch = backend.import_torch()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)


@needs_torch
def test_score_net_is_the_notebooks_mlp(torch):
    from compute.score_net import ScoreNet

    net = ScoreNet()
    assert sum(p.numel() for p in net.parameters()) == 8706
    acts = [m for m in net.modules() if isinstance(m, torch.nn.LogSigmoid)]
    assert len(acts) == 3
    out = net(torch.zeros(5, 2), torch.full((5,), 0.5))
    assert out.shape == (5, 2)


@needs_torch
def test_training_lowers_the_loss_and_is_reproducible(torch):
    from compute.score_net import DSMTrainer, irreducible_loss

    points = GRID.sample(500, rng(6))[0]
    a = DSMTrainer(points, VP, seed=3, lr=3e-3)
    before = dsm_loss(a.score_fn(), GRID, VP, 20_000, rng(7))
    first = a.train(10)
    last = a.train(300)
    after = dsm_loss(a.score_fn(), GRID, VP, 20_000, rng(7))  # same pairs
    assert a.steps_done == 310 and len(a.loss_history) == 2
    assert last < first and after < before
    assert after > irreducible_loss(GRID, VP, 20_000, rng(7))  # the floor is a floor
    b = DSMTrainer(points, VP, seed=3, lr=3e-3)
    assert b.train(10) == first  # same seed, same batches and weights


@needs_torch
def test_trainer_on_a_mixture_draws_fresh_data_and_score_fn_is_numpy(torch):
    from compute.score_net import DSMTrainer

    trainer = DSMTrainer(GRID, VP, seed=0, batch=32)
    assert np.isfinite(trainer.train(5))
    trainer.set_lr(1e-4)
    assert trainer.optimizer.param_groups[0]["lr"] == 1e-4
    out = trainer.score_fn()(rng(8).normal(size=(7, 2)), 0.3)
    assert isinstance(out, np.ndarray) and out.shape == (7, 2) and out.dtype == np.float64


@needs_torch
def test_nan_network_stops_the_run_with_a_reason(torch):
    from compute.score_net import DSMTrainer

    trainer = DSMTrainer(GRID, VP, seed=0)
    with torch.no_grad():
        next(trainer.model.parameters()).fill_(float("nan"))
    with pytest.raises(Diverged, match=r"learned score produced NaN at t=0\.25"):
        trainer.score_fn()(np.zeros((3, 2)), 0.25)
    with pytest.raises(Diverged, match="DSM loss is not finite"):
        trainer.train(2)


@needs_torch
def test_unknown_weighting_is_refused(torch):
    from compute.score_net import DSMTrainer

    with pytest.raises(ValueError, match="weighting"):
        DSMTrainer(GRID, VP, seed=0, weighting="snr")


@needs_torch
def test_sgm9_trains_then_samples(torch):
    import compute

    exp = compute.get("ch9.sgm9")({"score": "network", "train_steps": 200, "n_particles": 200,
                                   "steps": 40})
    frames = list(compute.checked_frames(exp))
    training = [f for f in frames if f["reverse_step"] == 0]
    assert training[0]["train_step"] > 0 and training[-1]["train_step"] == 200
    assert all(f["t"] == 1.0 for f in training)
    assert len(training[-1]["loss"]) == len(training[-1]["loss_step"]) >= 2
    last = frames[-1]
    assert last["t"] == 0.0 and last["step"] == 200 + 40
    assert last["score_loss"][0] > last["loss_floor"]
