"""Reverse-time machinery shared by the score-based diffusion experiments of Chapter 9.

Stable API (used by ch9.sgm9, ch9.revnoise, ch9.spacetime and ch9.uturn):

- ``ScoreFn``: a callable ``score_fn(x, t) -> (n, d)`` for x of shape (n, d) and a float t.
- :func:`exact_score_fn` (noised mixture, closed form) and :func:`empirical_score_fn`
  (the score of N training points, book eq. 9.6); :func:`mixture_score` and
  :func:`mixture_responsibilities`: ``GaussianMixture.score``/``.responsibilities`` with a
  faster memory layout (the reverse step's hot loop).
- :func:`forward_step`: the exact transition of the forward process from t to a later t'
  (the forward animation of ch9.sgm9: data dissolving into noise).
- :func:`time_grid`: ``linspace(t_start, 0, steps + 1)``. A reverse run evaluates the score
  at the first ``steps`` points only, never at t = 0 (the notebooks' last call is at
  t = 1/steps).
- :func:`reverse_noise`: the reverse noise level ε̃(t) for a mode in :data:`EPS_MODES`:
  ``"sde"`` ε̃ = G(t) (Anderson's reverse SDE), ``"ode"`` ε̃ = 0 (probability-flow ODE),
  ``"ratio"`` ε̃ = value·G(t), ``"constant"`` ε̃ = value (value may be an array: one
  level per particle).
- :func:`reverse_step`: one Euler–Maruyama step from t to t − dt of
  dy = [f − ½(G + ε̃)·s]dt + √ε̃ dW̄ (forward-time notation).
- :class:`ReverseRun`: a reverse integration that advances a few steps at a time, so an
  experiment can yield frames between chunks; :func:`frame_chunk` sizes those chunks.
- :func:`sample_quality` / :class:`SampleQuality`: mode-frequency KL against the mixture
  weights (uniform for the grid), within-mode RMS per coordinate, fraction of stray points;
  :func:`stray_reference`: the Gaussian tail that stray fraction tends to.
- :func:`draw_data`, :func:`dsm_weight` and :func:`dsm_loss`: the denoising-score-matching
  loss of any score by Monte Carlo (the loss of the exact score is the irreducible floor).

``schedule`` arguments are anything with ``drift(x, t)``, ``G(t)`` (and, for the scores
and the DSM loss, ``alpha(t)`` and ``var(t)``): a :class:`compute.schedules.Schedule` or
another linear forward process (ch9.spacetime).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from .gmm import GaussianMixture

Array = NDArray[np.float64]
ScoreFn = Callable[[Array, float], Array]
EPS_MODES = ("sde", "ode", "ratio", "constant")
T_MIN = 1e-4  # smallest time of the DSM loss (the notebooks' t ~ U(1e-4, 1))
FRAME_BUDGET = 3e6  # particle × score-cost units per frame (~0.1 s on one core)
MIN_FRAMES = 20  # a run is shown in at least this many frames
BLOCK = 1 << 14  # (component, point) entries per block of the score: stays in cache


class ForwardProcess(Protocol):
    """What the reverse step needs from a forward process dx = f dt + √G dW."""

    def drift(self, x: Array, t: float) -> Array: ...

    def G(self, t: float): ...


# -- scores -------------------------------------------------------------------------------
def mixture_score(mixture: GaussianMixture, x: Array) -> Array:
    """∇ log p(x) of a mixture with every σ_k > 0, equal to ``mixture.score(x)``, ~8× faster.

    The (component, point) layout makes the log-sum-exp reductions run along contiguous
    rows instead of rows of length K (numpy is slow at many short reductions), in blocks
    that stay in cache; this lets 10⁴ particles take a reverse step in about a millisecond.
    """
    return _score(mixture.means, mixture.sigma**2, np.log(mixture.weights), x)


def mixture_responsibilities(mixture: GaussianMixture, x: Array) -> Array:
    """w_k(x), shape (n, K), equal to ``mixture.responsibilities(x)`` (faster, see above)."""
    out = np.empty((len(x), mixture.n_components))
    for rows, _, w in _weight_blocks(mixture.means, mixture.sigma**2,
                                     np.log(mixture.weights), x):
        out[rows] = w.T
    return out


def _weight_blocks(means: Array, var: Array, log_weights: Array, x: Array):
    """Yield (rows, xᵀ block (d, m), posterior weights w (K, m)) over cache-sized blocks."""
    scaled = means / var[:, None]  # (K, d)
    bias = (log_weights - 0.5 * np.einsum("kd,kd->k", means, scaled)
            - 0.5 * means.shape[1] * np.log(var))[:, None]
    equal_var = bool(np.all(var == var[0]))
    step = max(1, BLOCK // len(means))
    for i in range(0, len(x), step):
        xs = np.ascontiguousarray(x[i:i + step].T)  # (d, m): C-ordered products below
        logits = scaled @ xs  # (K, m)
        logits += bias
        if not equal_var:  # the −‖x‖²/(2σ_k²) term cancels in the softmax when σ_k are equal
            logits -= np.outer(0.5 / var, np.einsum("dn,dn->n", xs, xs))
        logits -= logits.max(axis=0)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=0)
        yield slice(i, i + step), xs, logits


def _score(means: Array, var: Array, log_weights: Array, x: Array) -> Array:
    """Σ_k w_k(x)(μ_k − x)/σ_k² for the mixture (means (K, d), σ_k² (K,), log π_k (K,))."""
    scaled = means / var[:, None]
    out = np.empty_like(x, dtype=float)
    for rows, xs, w in _weight_blocks(means, var, log_weights, x):
        pull = scaled.T @ w  # (d, m): Σ_k w_k μ_k/σ_k²
        pull -= ((1.0 / var) @ w) * xs  # − Σ_k (w_k/σ_k²) x
        out[rows] = pull.T
    return out


def exact_score_fn(mixture: GaussianMixture, schedule) -> ScoreFn:
    """The exact score of p_t: the mixture pushed through the kernel N(α(t)x₀, var(t)I).

    Component k of p_t is N(α μ_k, (α²σ_k² + var) I) (``GaussianMixture.noised``), written
    out here so that no mixture object is built per reverse step.
    """
    means, var0, log_weights = mixture.means, mixture.sigma**2, np.log(mixture.weights)

    def score(x: Array, t: float) -> Array:
        alpha = float(schedule.alpha(t))
        return _score(alpha * means, alpha**2 * var0 + float(schedule.var(t)), log_weights, x)

    return score


def empirical_score_fn(points: Array, schedule) -> ScoreFn:
    """The score of the noised empirical law of ``points`` (book eq. 9.6, any schedule)."""
    return exact_score_fn(GaussianMixture.empirical(points), schedule)


# -- the forward process ------------------------------------------------------------------
def forward_transition(schedule, t: float, t_next: float) -> tuple[float, float]:
    """(a, q) of the linear forward SDE's transition x_{t'} | x_t ~ N(a·x_t, q·I), t' ≥ t:
    a = α(t')/α(t) and q = var(t') − a²·var(t) (clipped at 0 against rounding)."""
    a = float(schedule.alpha(t_next)) / float(schedule.alpha(t))
    return a, max(float(schedule.var(t_next)) - a * a * float(schedule.var(t)), 0.0)


def forward_step(x: Array, t: float, t_next: float, schedule, rng: np.random.Generator) -> Array:
    """x at t_next ≥ t given x at t, drawn exactly from the forward kernel of ``schedule``.

    Composing these steps from 0 gives the marginal kernel N(α x₀, var I) for any step
    sizes, so the animation needs no discretisation.
    """
    a, q = forward_transition(schedule, t, t_next)
    return a * x + np.sqrt(q) * rng.standard_normal(x.shape)


# -- the reverse process ------------------------------------------------------------------
def time_grid(steps: int, t_start: float = 1.0) -> Array:
    """The ``steps + 1`` times t_start = t₀ > t₁ > … > t_steps = 0 of a reverse run."""
    if steps < 1:
        raise ValueError("a reverse run needs at least one step")
    return np.linspace(t_start, 0.0, steps + 1)


def reverse_noise(mode: str, value, schedule: ForwardProcess, t: float):
    """ε̃(t) for ``mode`` in :data:`EPS_MODES`; ``value`` may be an array (one per particle)."""
    if mode == "sde":
        return float(schedule.G(t))
    if mode == "ode":
        return 0.0
    if mode == "ratio":
        return value * float(schedule.G(t))
    if mode == "constant":
        return value
    raise ValueError(f"unknown reverse-noise mode {mode!r} (choose from {EPS_MODES})")


def reverse_step(x: Array, t: float, dt: float, score_fn: ScoreFn, schedule: ForwardProcess,
                 eps, rng: np.random.Generator | None = None,
                 noise: Array | None = None) -> Array:
    """One Euler–Maruyama step of dy = [f − ½(G + ε̃)s]dt + √ε̃ dW̄ from t down to t − dt.

    ``eps`` is ε̃ ≥ 0: a float, or an array broadcasting against ``x[:, :1]`` (one level per
    particle). The Brownian increment is ``noise`` (standard normal, shape of x) if given,
    else drawn from ``rng``; with ε̃ = 0 nothing is drawn, so the ODE is deterministic.
    """
    drift = schedule.drift(x, t) - 0.5 * (float(schedule.G(t)) + eps) * score_fn(x, t)
    out = x - drift * dt
    if np.any(np.asarray(eps) > 0):
        if noise is None:
            if rng is None:
                raise ValueError("a reverse step with noise needs rng or noise")
            noise = rng.standard_normal(x.shape)
        out += np.sqrt(np.asarray(eps) * dt) * noise
    return out


class ReverseRun:
    """A reverse integration on ``time_grid(steps, t_start)``, advanced a chunk at a time.

    ``eps_mode``/``eps_value`` may be changed between chunks (live parameters).
    ``eps_value`` may be an (n, 1) array: one level per particle. With ``shared_rows`` = R
    the n particles are R stacked blocks that share their Brownian increments (common random
    numbers), so blocks differing only in ε̃ differ only through ε̃.
    """

    def __init__(self, x: Array, score_fn: ScoreFn, schedule: ForwardProcess, steps: int,
                 eps_mode: str = "sde", eps_value=1.0, rng: np.random.Generator | None = None,
                 t_start: float = 1.0, shared_rows: int = 1):
        if len(x) % shared_rows:
            raise ValueError("the particle count must be a multiple of shared_rows")
        self.x = np.array(x, dtype=float)
        self.score_fn = score_fn
        self.schedule = schedule
        self.times = time_grid(steps, t_start)
        self.eps_mode = eps_mode
        self.eps_value = eps_value
        self.rng = rng
        self.shared_rows = shared_rows
        self.k = 0

    @property
    def steps(self) -> int:
        return len(self.times) - 1

    @property
    def t(self) -> float:
        """The current time (t_start before the first step, 0 at the end)."""
        return float(self.times[self.k])

    @property
    def done(self) -> bool:
        return self.k >= self.steps

    def advance(self, n: int) -> int:
        """Take up to ``n`` steps (fewer at the end); returns how many were taken."""
        taken = 0
        while taken < n and not self.done:
            t, t_next = self.times[self.k], self.times[self.k + 1]
            eps = reverse_noise(self.eps_mode, self.eps_value, self.schedule, t)
            noise = None
            if np.any(np.asarray(eps) > 0) and self.shared_rows > 1:
                block = self.rng.standard_normal((len(self.x) // self.shared_rows,
                                                  self.x.shape[1]))
                noise = np.tile(block, (self.shared_rows, 1))
            self.x = reverse_step(self.x, float(t), float(t - t_next), self.score_fn,
                                  self.schedule, eps, self.rng, noise)
            self.k += 1
            taken += 1
        return taken


def frame_chunk(requested: int, total: int, n_particles: int = 1, cost: float = 0.0) -> int:
    """Steps per frame: the speed setting, capped so a run spans ≥ MIN_FRAMES frames and a
    frame stays within FRAME_BUDGET units (``cost`` units per particle and step)."""
    by_budget = FRAME_BUDGET / max(n_particles * cost, 1.0)
    return int(max(1, min(requested, by_budget, total // MIN_FRAMES)))


# -- sample quality ------------------------------------------------------------------------
@dataclass(frozen=True)
class SampleQuality:
    """Quality of samples against a mixture (see :func:`sample_quality`)."""

    counts: NDArray[np.int64]  # (K,) points whose nearest centre is k
    mode_kl: float  # KL(frequencies ‖ weights), 0 log 0 = 0
    rms: float  # within-mode RMS distance to the nearest centre, per coordinate
    stray: float  # fraction of points farther than the radius from every centre


def sample_quality(x: Array, mixture: GaussianMixture, radius: float) -> SampleQuality:
    """Nearest-centre mode frequencies, their KL to the weights, within-mode RMS, strays."""
    nearest = mixture.nearest(x)
    counts = np.bincount(nearest, minlength=mixture.n_components)
    freq = counts / max(len(x), 1)
    seen = freq > 0
    kl = float(np.sum(freq[seen] * np.log(freq[seen] / mixture.weights[seen])))
    dist2 = np.sum((x - mixture.means[nearest]) ** 2, axis=1)
    rms = float(np.sqrt(dist2.mean() / mixture.dim)) if len(x) else 0.0
    stray = float(np.mean(dist2 > radius**2)) if len(x) else 0.0
    return SampleQuality(counts, kl, rms, stray)


def stray_reference(radius: float, sigma: float, dim: int = 2) -> float:
    """P(‖z‖ > radius) for z ~ N(0, σ²I_d): the stray fraction of well-separated modes.

    In 2D this is e^{−r²/(2σ²)}.
    """
    from scipy.special import gammaincc  # scipy stays out of start-up (see the registry)

    return float(gammaincc(0.5 * dim, 0.5 * (radius / sigma) ** 2))


# -- denoising score matching --------------------------------------------------------------
def draw_data(data: GaussianMixture | Array, n: int, rng: np.random.Generator) -> Array:
    """``n`` draws of x₀: from a mixture, or uniformly from a fixed training set (n, d)."""
    if isinstance(data, GaussianMixture):
        return data.sample(n, rng)[0]
    return data[rng.integers(len(data), size=n)]


def dsm_weight(weighting: str, var):
    """λ(t) of the DSM loss: ``"var"`` (the notebooks, λ = var_t) or ``"none"`` (λ = 1)."""
    if weighting == "var":
        return var
    if weighting == "none":
        return np.ones_like(var)
    raise ValueError(f"unknown DSM weighting {weighting!r} (choose 'var' or 'none')")


def dsm_loss(score_fn: ScoreFn, data: GaussianMixture | Array, schedule, n_mc: int,
             rng: np.random.Generator, n_times: int = 256, weighting: str = "var") -> float:
    """Monte-Carlo DSM loss E λ(t)‖s(x_t, t) + (x_t − α_t x₀)/var_t‖² / d (no ½).

    t ~ U(1e-4, 1), x₀ from ``data``, x_t = α_t x₀ + √var_t ε; averaged over samples and
    coordinates as in the notebooks. t is stratified: one uniform draw in each of
    ``n_times`` equal slices of [1e-4, 1], each with n_mc/n_times pairs (x₀, ε), so
    ``score_fn`` is called with one scalar t at a time and the spread of the loss over t
    adds almost no Monte-Carlo noise. The same ``rng`` state gives the same pairs for any
    score (common random numbers).
    """
    per_time = max(1, n_mc // n_times)
    total = 0.0
    slices = (np.arange(n_times) + rng.random(n_times)) / n_times
    for t in T_MIN + (1.0 - T_MIN) * slices:
        alpha, var = float(schedule.alpha(t)), float(schedule.var(t))
        x0 = draw_data(data, per_time, rng)
        eps = rng.standard_normal(x0.shape)
        xt = alpha * x0 + np.sqrt(var) * eps
        resid = score_fn(xt, float(t)) + eps / np.sqrt(var)
        total += float(dsm_weight(weighting, var)) * float(np.mean(resid**2))
    return total / n_times
