"""One-dimensional optimal transport on grids: entropic OT by Sinkhorn, and the monotone map.

The static Schrödinger bridge with a Brownian reference of variance ε per unit time is the
entropic OT problem min_π KL(π ‖ p₀ ⊗ N(y; x, ε)) under the marginal constraints; Sinkhorn
(IPF) solves it by alternately rescaling the rows and the columns of a Gibbs kernel. As
ε → 0 the coupling concentrates on the monotone (quantile) map, which in 1D is the optimal
transport (Brenier) map. Small ε makes the kernel exp(−(x−y)²/2ε) underflow, so the
iteration keeps dual potentials in the log domain and scales a stabilised kernel (Schmitzer's
absorption): cheap matrix-vector products, with the scalings absorbed into the potentials
before they overflow.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .gmm import GaussianMixture

Array = NDArray[np.float64]
LOG_FLOOR = -200.0  # grid weights below e^-200 are raised to it (they carry no mass)
ABSORB = 40.0  # absorb the scalings into the potentials once |log u| or |log v| exceeds this
# Kernel entries below e^-400 are flushed to 0: with the floor and |log u|, |log v| < ABSORB
# every product in the matrix-vector steps stays far above the subnormal range (~e^-708),
# where floating-point arithmetic is ~100 times slower.
FLUSH = -400.0


def logsumexp(a: Array, axis: int | None = None) -> Array:
    """log Σ exp(a) along ``axis``, shifted by the maximum (no overflow)."""
    top = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - top), axis=axis, keepdims=True)) + top
    return out.squeeze() if axis is None else np.squeeze(out, axis=axis)


def entropic_gaussian_covariance(s0: float, s1: float, eps: float | Array) -> float | Array:
    """Cov(x, y) of the entropic OT coupling of N(m₀, s₀²) and N(m₁, s₁²): ½(√(4s₀²s₁²+ε²) − ε).

    Tends to s₀s₁ (the monotone map) as ε → 0 and to 0 (independence) as ε → ∞.
    """
    eps = np.asarray(eps, dtype=float)
    # ½(√(4q²+ε²) − ε) = 2q² / (√(4q²+ε²) + ε): no cancellation at large ε
    out = 2.0 * (s0 * s1) ** 2 / (np.sqrt(4.0 * (s0 * s1) ** 2 + eps**2) + eps)
    return float(out) if out.ndim == 0 else out


def grid_log_weights(mixture: GaussianMixture, grid: Array) -> Array:
    """log of the normalised weights of a 1D mixture sampled on ``grid`` (floored, finite)."""
    logp = mixture.log_density(grid[:, None])
    logp = logp - logsumexp(logp)
    return np.maximum(logp, LOG_FLOOR)


def mixture_cdf(mixture: GaussianMixture, x: Array, upper: bool = False) -> Array:
    """P(X ≤ x) of a 1D mixture (or P(X > x) with ``upper``, accurate in the right tail)."""
    from scipy.special import ndtr  # scipy is imported on first use (start-up cost)

    z = (np.asarray(x, dtype=float)[..., None] - mixture.means[:, 0]) / mixture.sigma
    return (ndtr(-z if upper else z) * mixture.weights).sum(axis=-1)


def monotone_map(mixture: GaussianMixture, mean1: float, std1: float, x: Array) -> Array:
    """The increasing map T = F₁⁻¹∘F₀ pushing a 1D mixture onto N(mean1, std1²).

    Left of the median the CDF is used, right of it the survival function, so both tails
    keep their precision (no ndtri(1) = ∞).
    """
    from scipy.special import ndtri

    x = np.asarray(x, dtype=float)
    lower = mixture_cdf(mixture, x)
    upper = mixture_cdf(mixture, x, upper=True)
    tiny = np.finfo(float).tiny
    z = np.where(lower < 0.5, ndtri(np.maximum(lower, tiny)), -ndtri(np.maximum(upper, tiny)))
    return mean1 + std1 * z


class Sinkhorn:
    """Entropic OT between weights a on grid x and b on grid y, cost (x−y)²/2, parameter ε.

    The coupling is π_ij = u_i K_ij v_j with K_ij = exp((f_i + g_j − C_ij)/ε); f, g are
    dual potentials (cost units) and u, v the scalings of the current Sinkhorn sweep. One
    iteration is u ← a/(Kv), v ← b/(Kᵀu) (the column marginal is then exact); the row
    marginal error ‖u⊙Kv − a‖₁ measures convergence.
    """

    def __init__(self, x: Array, y: Array, log_a: Array, log_b: Array, eps: float):
        self.x = np.asarray(x, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.cost = 0.5 * (self.x[:, None] - self.y[None, :]) ** 2
        self.log_a = np.maximum(log_a - logsumexp(log_a), LOG_FLOOR)
        self.log_b = np.maximum(log_b - logsumexp(log_b), LOG_FLOOR)
        self.a = np.exp(self.log_a)
        self.b = np.exp(self.log_b)
        self.f = np.zeros(len(self.x))
        self.g = np.zeros(len(self.y))
        self.u = np.ones(len(self.x))
        self.v = np.ones(len(self.y))
        self.eps = float(eps)
        self.iterations = 0
        self._rebuild()

    # -- state --------------------------------------------------------------------------
    def _rebuild(self) -> None:
        expo = (self.f[:, None] + self.g[None, :] - self.cost) / self.eps
        expo[expo < FLUSH] = -np.inf
        self.kernel = np.exp(expo)

    def _absorb(self) -> None:
        self.f += self.eps * np.log(self.u)
        self.g += self.eps * np.log(self.v)
        self.u = np.ones_like(self.u)
        self.v = np.ones_like(self.v)

    def _log_iteration(self) -> None:
        """One Sinkhorn iteration in the log domain (never underflows), then a fresh kernel."""
        self._absorb()
        eps = self.eps
        self.f = eps * self.log_a - eps * logsumexp((self.g[None, :] - self.cost) / eps, axis=1)
        self.g = eps * self.log_b - eps * logsumexp((self.f[:, None] - self.cost) / eps, axis=0)
        self._rebuild()

    def set_eps(self, eps: float) -> None:
        """Change ε keeping the potentials (a warm start: they converge as ε → 0)."""
        self._absorb()
        self.eps = float(eps)
        self._rebuild()

    @property
    def potentials(self) -> tuple[Array, Array]:
        """The full dual potentials (f + ε log u, g + ε log v)."""
        return self.f + self.eps * np.log(self.u), self.g + self.eps * np.log(self.v)

    # -- iterating ----------------------------------------------------------------------
    def marginal_error(self) -> float:
        """‖π𝟙 − a‖₁ + ‖πᵀ𝟙 − b‖₁ of the current coupling."""
        rows = self.u * (self.kernel @ self.v)
        cols = self.v * (self.kernel.T @ self.u)
        return float(np.abs(rows - self.a).sum() + np.abs(cols - self.b).sum())

    def iterate(self, n: int) -> Array:
        """Run ``n`` iterations; returns the row-marginal error before each of them."""
        errors = np.empty(n)
        for k in range(n):
            kv = self.kernel @ self.v
            errors[k] = np.abs(self.u * kv - self.a).sum()
            with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                u = self.a / kv
                v = self.b / (self.kernel.T @ u)
            if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v)) and u.min() > 0
                    and v.min() > 0):
                self._log_iteration()  # the stabilised kernel under- or overflowed
            else:
                self.u, self.v = u, v
                if max(np.abs(np.log(u)).max(), np.abs(np.log(v)).max()) > ABSORB:
                    self._absorb()
                    self._rebuild()
            self.iterations += 1
        return errors

    def solve(self, tol: float = 1e-12, max_iter: int = 100_000, chunk: int = 50) -> float:
        """Iterate until the marginal error is below ``tol`` (or ``max_iter``); the error."""
        err = self.marginal_error()
        done = 0
        while err > tol and done < max_iter:
            n = min(chunk, max_iter - done)
            self.iterate(n)
            done += n
            err = self.marginal_error()
        return err

    # -- results ------------------------------------------------------------------------
    def coupling(self) -> Array:
        """π (len(x), len(y)), summing to one."""
        return self.u[:, None] * self.kernel * self.v[None, :]

    def covariance(self, pi: Array | None = None) -> float:
        """Cov(x, y) under the coupling (or under ``pi``, a coupling on the same grids)."""
        pi = self.coupling() if pi is None else pi
        mx = self.x @ pi.sum(axis=1)
        my = pi.sum(axis=0) @ self.y
        return float(self.x @ pi @ self.y - mx * my)
