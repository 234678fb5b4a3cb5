"""Exact U-turns on a Gaussian mixture and the order parameters of §9.3 (Qt-free).

A U-turn noises a seed x₀ forward to T_u with the exact kernel x = αx₀ + √var·ε and runs the
reverse process back to 0. With the exact score the reverse SDE samples the posterior
p(x₀ | x), which for a mixture of N(μ_k, σ²I) is again a mixture: component k with the
noised responsibility w_k(x), then N(m_k(x), c·I) with m_k(x) = μ_k + (ασ²/v)(x − αμ_k),
c = σ²·var/v and v = α²σ² + var. Everything the U-turn panel plots follows from this law:

- the transition matrix T_jk = P(component of y₀ = k | component of x₀ = j) = E_{x~N_j} w_k(x),
  by tensor Gauss–Hermite quadrature over each noised component;
- the return probability P_same = Σ_j π_j T_jj = E_{x~p_Tu} Σ_k w_k(x)² (a collision
  probability);
- the auto-correlation C = tr Cov(E[x₀|x]) / tr Cov(x₀) (= tr Cov(x₀, y₀) / tr Cov(x₀));
- the seed distance: given the components (k, l) of x₀ and y₀, y₀ − x₀ ~ N(m_l − m_k, 2c·I)
  with m_l − m_k = (μ_l − μ_k)·var/v independent of x, so ‖y₀ − x₀‖ is a mixture of Rice
  laws weighted by π_k T_kl. Within one mode its mean is √(πσ²var/v); far out it tends to
  E‖x − x′‖ for independent draws.

The empirical score of N training points is the σ = 0 mixture; its collision probability
P_ret = E Σ_n w_n(x_t)² is the probability that a U-turn returns to its own training point
(the collapse/memorization order parameter of §9.3.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from .diffusion import forward_transition
from .gmm import GaussianMixture

Array = NDArray[np.float64]
GH_NODES = 40  # Gauss–Hermite nodes per axis: P_same within ~5e-5 of the converged value
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
CHUNK = 1 << 21  # entries of an (n, N) weight block held at once


# -- small closed forms ------------------------------------------------------------------
def rice_mean(nu, s):
    """E‖z‖ for z ~ N(m, s²I₂) with ‖m‖ = ν (the Rice mean): s√(π/2)·L_{1/2}(−ν²/2s²)."""
    from scipy.special import i0e, i1e  # scipy stays out of start-up (see the registry)

    u = np.asarray(nu, dtype=float) ** 2 / (4.0 * np.asarray(s, dtype=float) ** 2)
    return s * np.sqrt(np.pi / 2) * ((1 + 2 * u) * i0e(u) + 2 * u * i1e(u))


def rice_pdf(r, nu, s):
    """Density of ‖z‖ for z ~ N(m, s²I₂) with ‖m‖ = ν, at r ≥ 0."""
    from scipy.special import i0e

    r = np.asarray(r, dtype=float)
    return r / s**2 * np.exp(-((r - nu) ** 2) / (2 * s**2)) * i0e(r * nu / s**2)


def within_mode_distance(sigma: float, alpha: float, var: float) -> float:
    """E‖y₀ − x₀‖ when the U-turn stays in its mode: √(πσ²·var/v), v = α²σ² + var."""
    return float(np.sqrt(np.pi * sigma**2 * var / (alpha**2 * sigma**2 + var)))


def independent_distance(mixture: GaussianMixture) -> float:
    """E‖x − x′‖ for independent draws from a 2D mixture with one σ (the T_u → ∞ limit)."""
    sigma = _single_sigma(mixture)
    gap = _pair_distances(mixture.means)
    pairs = np.outer(mixture.weights, mixture.weights)
    return float(np.sum(pairs * rice_mean(gap, np.sqrt(2.0) * sigma)))


def top_eigenvalue(mixture: GaussianMixture) -> float:
    """Λ, the largest eigenvalue of the data covariance (2s²/3 + σ² on the 3×3 grid)."""
    return float(np.linalg.eigvalsh(mixture.covariance())[-1])


def speciation_time(mixture: GaussianMixture, schedule) -> float:
    """t_s of the spectral criterion α(t_s)²Λ = 1, i.e. B(t_s) = ln Λ for VP schedules.

    The Brownian schedule has α = 1; there the same signal-to-noise criterion reads
    var(t_s) = Λ, i.e. B(t_s) = Λ/2. Clipped to [0, 1].
    """
    lam = top_eigenvalue(mixture)
    if schedule.kind == "brownian":
        return schedule.time_of_B(0.5 * lam)
    return schedule.time_of_B(float(np.log(lam)))


def crossing_time(t: Array, y: Array, level: float = 0.5, log: bool = False) -> float:
    """First t where the decreasing curve y(t) falls to ``level`` (linear interpolation).

    ``log`` interpolates in log t (for geometric grids). NaN values (not yet computed) end
    the search; returns NaN when the curve has not reached ``level``.
    """
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    for i in range(len(y)):
        if not np.isfinite(y[i]):
            return float("nan")
        if y[i] <= level:
            if i == 0:
                return float(t[0])
            x0, x1 = (np.log(t[i - 1]), np.log(t[i])) if log else (t[i - 1], t[i])
            frac = (y[i - 1] - level) / (y[i - 1] - y[i])
            x = x0 + frac * (x1 - x0)
            return float(np.exp(x) if log else x)
    return float("nan")


# -- the exact law of a U-turn at one T_u --------------------------------------------------
@lru_cache(maxsize=8)
def gauss_hermite_2d(n: int) -> tuple[Array, Array]:
    """Nodes (n², 2) and weights (n²,) with Σ w f(z) ≈ E f(z) for z ~ N(0, I₂)."""
    z, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / np.sqrt(2 * np.pi)
    zx, zy = np.meshgrid(z, z)
    return np.column_stack([zx.ravel(), zy.ravel()]), np.outer(w, w).ravel()


@dataclass(frozen=True)
class UTurnLaw:
    """The exact law of (x₀, y₀) for a U-turn at one T_u (see the module docstring)."""

    alpha: float
    var: float
    weights: Array  # (K,) π
    transition: Array  # (K, K) T_jk = P(component of y₀ = k | component of x₀ = j)
    autocorr: float  # tr Cov(E[x₀|x]) / tr Cov(x₀)
    participation: float  # E 1/Σ_k w_k(x)²: how many modes share the posterior (1 to K)
    shift: Array  # (K, K) ‖m_l − m_k‖: distance of the posterior means of components k, l
    spread: float  # std per coordinate of y₀ − x₀ given both components: √(2c)

    @property
    def p_same(self) -> float:
        """P(y₀ in the component of x₀) = Σ_j π_j T_jj."""
        return float(self.weights @ np.diag(self.transition))

    @property
    def coupling(self) -> Array:
        """P(x₀ in j, y₀ in k) = π_j T_jk = E w_j w_k under p_Tu (symmetric)."""
        return self.weights[:, None] * self.transition

    def distance_mean(self) -> float:
        """E‖y₀ − x₀‖: the Rice means weighted by the component coupling."""
        return float(np.sum(self.coupling * rice_mean(self.shift, self.spread)))

    def distance_density(self, r: Array) -> Array:
        """Density of ‖y₀ − x₀‖ at the radii ``r``."""
        coupling = self.coupling.ravel()
        keep = coupling > 1e-12
        nu = self.shift.ravel()[keep]
        pdf = rice_pdf(np.asarray(r, dtype=float)[None, :], nu[:, None], self.spread)
        return coupling[keep] @ pdf


def uturn_law(mixture: GaussianMixture, alpha: float, var: float,
              nodes: int = GH_NODES) -> UTurnLaw:
    """The exact U-turn law of a 2D mixture with one σ, for the kernel (α, var)."""
    if mixture.dim != 2:
        raise ValueError("the U-turn quadrature is two-dimensional")
    sigma = _single_sigma(mixture)
    k = mixture.n_components
    z, gw = gauss_hermite_2d(nodes)
    noisy = mixture.noised(alpha, var)
    v = alpha**2 * sigma**2 + var
    x = (noisy.means[:, None, :] + np.sqrt(v) * z[None, :, :]).reshape(-1, 2)
    w = noisy.responsibilities(x).reshape(k, len(z), k)
    transition = np.einsum("q,jqk->jk", gw, w)
    participation = mixture.weights @ (1.0 / np.einsum("jqk,jqk->jq", w, w) @ gw)
    # posterior mean E[x₀|x] = (var/v)·Σ_k w_k μ_k + (ασ²/v)·x at every node
    post = (var / v) * (w @ mixture.means) + (alpha * sigma**2 / v) * x.reshape(k, len(z), 2)
    second = mixture.weights @ np.einsum("q,jq->j", gw, np.einsum("jqd,jqd->jq", post, post))
    first = mixture.mean()
    autocorr = (second - first @ first) / np.trace(mixture.covariance())
    return UTurnLaw(
        alpha=float(alpha), var=float(var), weights=mixture.weights,
        transition=transition, autocorr=float(autocorr), participation=float(participation),
        shift=_pair_distances(mixture.means) * (var / v),
        spread=float(np.sqrt(2 * sigma**2 * var / v)),
    )


def _single_sigma(mixture: GaussianMixture) -> float:
    if not np.allclose(mixture.sigma, mixture.sigma[0]):
        raise ValueError("the closed forms need one σ for every component")
    return float(mixture.sigma[0])


def _pair_distances(means: Array) -> Array:
    return np.sqrt(((means[:, None, :] - means[None, :, :]) ** 2).sum(-1))


# -- exact-posterior U-turns and forward bridges --------------------------------------------
def posterior_uturn(mixture: GaussianMixture, alpha: float, var: float, n: int,
                    rng: np.random.Generator) -> tuple[Array, NDArray[np.int64], Array, Array]:
    """``n`` exact U-turns: seeds x₀ and their components, x = αx₀ + √var·ε, y₀ ~ p(x₀ | x)."""
    x0, source = mixture.sample(n, rng)
    x = alpha * x0 + np.sqrt(var) * rng.standard_normal(x0.shape)
    y0, _ = mixture.posterior_sample(x, alpha, var, rng)
    return x0, source, x, y0


def bridge_sample(x_left: Array, t_left: float, x_right: Array, t_right: float, t: float,
                  schedule, rng: np.random.Generator) -> Array:
    """x_t given x at t_left < t ≤ t_right and at t_right, for the forward kernel of ``schedule``.

    Forward noising toward a fixed end point (t_left = now, t_right = T_u) and the way back
    to a fixed y₀ (t_left = 0, t_right = now) are both this Gaussian bridge: the exact paths
    of the forward process and of the reverse SDE with the exact score.
    """
    a, q = forward_transition(schedule, t_left, t)  # x_t | x_left
    b, r = forward_transition(schedule, t, t_right)  # x_right | x_t
    den = q * b * b + r
    if den <= 0.0:
        return np.array(x_left if q == 0.0 else x_right / b, dtype=float)
    mean = (a * r * x_left + b * q * x_right) / den
    return mean + np.sqrt(q * r / den) * rng.standard_normal(mean.shape)


# -- Monte-Carlo tallies of U-turn batches --------------------------------------------------
@dataclass
class UTurnTally:
    """Running Monte-Carlo statistics of U-turns at one T_u (batches may be merged)."""

    n_modes: int
    edges: Array  # histogram edges of ‖y₀ − x₀‖
    counts: NDArray[np.int64] = field(init=False)  # (K, K) source mode × mode of y₀
    hist: NDArray[np.int64] = field(init=False)
    n: int = 0
    dist_sum: float = 0.0
    cross: float = 0.0  # Σ x₀·y₀
    square: float = 0.0  # Σ ‖x₀‖²
    sum_x: Array = field(init=False)
    sum_y: Array = field(init=False)

    def __post_init__(self) -> None:
        self.counts = np.zeros((self.n_modes, self.n_modes), dtype=np.int64)
        self.hist = np.zeros(len(self.edges) - 1, dtype=np.int64)
        self.sum_x = np.zeros(2)
        self.sum_y = np.zeros(2)

    def add(self, x0: Array, source: NDArray[np.int64], y0: Array,
            mode_y0: NDArray[np.int64]) -> Array:
        """Add a batch; returns its seed distances ‖y₀ − x₀‖."""
        k = self.n_modes
        self.counts += np.bincount(source * k + mode_y0, minlength=k * k).reshape(k, k)
        dist = np.sqrt(((y0 - x0) ** 2).sum(axis=1))
        self.hist += np.histogram(dist, self.edges)[0]
        self.n += len(x0)
        self.dist_sum += float(dist.sum())
        self.cross += float(np.einsum("nd,nd->", x0, y0))
        self.square += float(np.einsum("nd,nd->", x0, x0))
        self.sum_x += x0.sum(axis=0)
        self.sum_y += y0.sum(axis=0)
        return dist

    @property
    def p_same(self) -> float:
        return float(np.trace(self.counts) / max(self.n, 1))

    def p_same_from(self, source: int) -> float:
        """P(y₀ in the mode of x₀ | x₀ from ``source``); NaN without such seeds."""
        row = self.counts[source].sum()
        return float(self.counts[source, source] / row) if row else float("nan")

    @property
    def transition(self) -> Array:
        """Row-normalised counts; a source never drawn gives a row of zeros."""
        rows = self.counts.sum(axis=1, keepdims=True)
        return self.counts / np.maximum(rows, 1)

    @property
    def distance_mean(self) -> float:
        return self.dist_sum / max(self.n, 1)

    @property
    def autocorr(self) -> float:
        """Σ_d Cov(x₀_d, y₀_d) / Σ_d Var(x₀_d) of the samples."""
        n = max(self.n, 1)
        mx, my = self.sum_x / n, self.sum_y / n
        return float((self.cross / n - mx @ my) / (self.square / n - mx @ mx))

    def density(self) -> Array:
        """The histogram as a density (seeds outside the edges still count in the total)."""
        return self.hist / (max(self.n, 1) * np.diff(self.edges))


# -- collapse with the empirical score ------------------------------------------------------
def collision_weights(points: Array, alpha: float, var: float, x: Array) -> Array:
    """Σ_n w_n(x)² for every probe x (m, d), w the responsibilities of the noised points."""
    noisy = GaussianMixture.empirical(points).noised(alpha, var)
    out = np.empty(len(x))
    step = max(1, CHUNK // max(len(points), 1))
    for i in range(0, len(x), step):
        w = noisy.responsibilities(x[i:i + step])
        out[i:i + step] = np.einsum("nk,nk->n", w, w)
    return out


def empirical_probes(points: Array, m: int, rng: np.random.Generator) -> tuple[Array, Array]:
    """Fixed probe seeds: ``m`` training points drawn uniformly, and standard noises.

    With the same seeds at every t, P_ret(t) is a smooth curve (common random numbers).
    """
    idx = rng.integers(len(points), size=m)
    return points[idx], rng.standard_normal((m, points.shape[1]))


def return_statistics(points: Array, alpha: float, var: float, seeds: Array,
                      noise: Array) -> tuple[float, float]:
    """(P_ret, mean participation ratio 1/Σw²) at one time, from fixed probe seeds."""
    w2 = collision_weights(points, alpha, var, alpha * seeds + np.sqrt(var) * noise)
    return float(w2.mean()), float(np.mean(1.0 / w2))
