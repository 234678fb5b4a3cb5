"""Isotropic Gaussian mixtures: sampling, density, responsibilities, exact scores, posteriors.

The score-based diffusion experiments of Chapter 9 run without training because the noised
mixture is again a mixture: convolving N(μ_k, σ_k²I) with the forward kernel
x_t = αx₀ + √var·ε gives N(αμ_k, (α²σ_k² + var)I). A mixture with σ = 0 is the empirical
law of a data set (book eq. 9.6), so the same code gives the empirical score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
CHUNK = 1 << 22  # max entries of an (n, K) responsibility block held at once


def _cross(x: Array, means: Array) -> Array:
    """x @ means.T, without BLAS for the thin (d ≤ 8) case.

    With an inner dimension of 2, multithreaded BLAS spends its time starting threads:
    measured 10–20x slower than this loop over coordinates on a busy 2-core machine.
    """
    if x.shape[1] > 8:
        return x @ means.T
    out = np.multiply.outer(x[:, 0], means[:, 0])
    for j in range(1, x.shape[1]):
        out += np.multiply.outer(x[:, j], means[:, j])
    return out


@dataclass(frozen=True)
class GaussianMixture:
    """Σ_k π_k N(μ_k, σ_k² I) in d dimensions. ``sigma`` may be 0 (point masses)."""

    means: Array  # (K, d)
    sigma: Array  # (K,)
    weights: Array  # (K,), sums to 1

    def __post_init__(self) -> None:
        means = np.atleast_2d(np.asarray(self.means, dtype=float))
        k = means.shape[0]
        sigma = np.broadcast_to(np.asarray(self.sigma, dtype=float), (k,)).copy()
        weights = np.broadcast_to(np.asarray(self.weights, dtype=float), (k,)).copy()
        if np.any(sigma < 0) or np.any(weights < 0) or not np.isclose(weights.sum(), 1.0):
            raise ValueError("need sigma >= 0 and non-negative weights summing to 1")
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "sigma", sigma)
        object.__setattr__(self, "weights", weights)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def grid(cls, per_side: int = 3, spacing: float = 6.0, sigma: float = 0.5) -> GaussianMixture:
        """The book's grid of per_side² equal modes, centred at the origin (3×3: {−s,0,s}²)."""
        offsets = (np.arange(per_side) - (per_side - 1) / 2) * spacing
        gx, gy = np.meshgrid(offsets, offsets)
        means = np.column_stack([gx.ravel(), gy.ravel()])
        k = len(means)
        return cls(means, np.full(k, sigma), np.full(k, 1.0 / k))

    @classmethod
    def empirical(cls, points: Array) -> GaussianMixture:
        """Equal point masses on ``points`` (n, d): the training set of eq. 9.6."""
        points = np.atleast_2d(points)
        return cls(points, np.zeros(len(points)), np.full(len(points), 1.0 / len(points)))

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    # -- moments and sampling -----------------------------------------------------------
    def mean(self) -> Array:
        return self.weights @ self.means

    def covariance(self) -> Array:
        """Σ_k π_k (σ_k² I + μ_k μ_kᵀ) − m mᵀ."""
        m = self.mean()
        centred = self.means - m
        spread = self.weights @ self.sigma**2
        return (centred.T * self.weights) @ centred + np.eye(self.dim) * spread

    def sample(self, n: int, rng: np.random.Generator) -> tuple[Array, NDArray[np.int64]]:
        """``n`` draws and the component each came from."""
        labels = rng.choice(self.n_components, size=n, p=self.weights)
        x = self.means[labels] + self.sigma[labels, None] * rng.standard_normal((n, self.dim))
        return x, labels

    # -- the noised mixture -------------------------------------------------------------
    def noised(self, alpha: float, var: float) -> GaussianMixture:
        """The law of αx₀ + √var·ε for x₀ from this mixture."""
        return GaussianMixture(alpha * self.means, np.sqrt(alpha**2 * self.sigma**2 + var),
                               self.weights)

    # -- densities, responsibilities, scores --------------------------------------------
    def _log_terms(self, x: Array) -> Array:
        """log π_k + log N(x; μ_k, σ_k² I), shape (n, K); requires every σ_k > 0."""
        var = self.sigma**2
        sq = (np.einsum("nd,nd->n", x, x)[:, None] - 2 * _cross(x, self.means)
              + np.einsum("kd,kd->k", self.means, self.means)[None, :])
        np.maximum(sq, 0.0, out=sq)
        with np.errstate(divide="ignore"):  # a component of weight 0 has log-weight −inf
            log_w = np.log(self.weights)
        return (log_w[None, :] - 0.5 * sq / var[None, :]
                - 0.5 * self.dim * np.log(2 * np.pi * var)[None, :])

    def log_density(self, x: Array) -> Array:
        """log p(x) for x of shape (n, d)."""
        out = np.empty(len(x))
        for sl in self._chunks(len(x)):
            terms = self._log_terms(x[sl])
            top = terms.max(axis=1)
            out[sl] = top + np.log(np.exp(terms - top[:, None]).sum(axis=1))
        return out

    def responsibilities(self, x: Array) -> Array:
        """w_k(x) = P(component k | x), shape (n, K)."""
        terms = self._log_terms(x)
        terms -= terms.max(axis=1, keepdims=True)
        np.exp(terms, out=terms)
        terms /= terms.sum(axis=1, keepdims=True)
        return terms

    def score(self, x: Array) -> Array:
        """∇ log p(x) = Σ_k w_k(x)(μ_k − x)/σ_k², shape (n, d)."""
        out = np.empty_like(x, dtype=float)
        inv_var = 1.0 / self.sigma**2
        for sl in self._chunks(len(x)):
            w = self.responsibilities(x[sl]) * inv_var[None, :]
            out[sl] = w @ self.means - w.sum(axis=1, keepdims=True) * x[sl]
        return out

    def nearest(self, x: Array) -> NDArray[np.int64]:
        """Index of the nearest mean for every point (the usual mode assignment)."""
        out = np.empty(len(x), dtype=np.int64)
        for sl in self._chunks(len(x)):
            d2 = (np.einsum("nd,nd->n", x[sl], x[sl])[:, None] - 2 * _cross(x[sl], self.means)
                  + np.einsum("kd,kd->k", self.means, self.means)[None, :])
            out[sl] = d2.argmin(axis=1)
        return out

    def posterior_sample(self, x_t: Array, alpha: float, var: float,
                         rng: np.random.Generator) -> tuple[Array, NDArray[np.int64]]:
        """Exact draws of x₀ | x_t for x_t = αx₀ + √var·ε (and the component chosen).

        Component k is chosen with the noised mixture's responsibility; given k,
        x₀ ~ N(μ_k + (ασ_k²/v_k)(x_t − αμ_k), (σ_k² var / v_k) I) with v_k = α²σ_k² + var.
        """
        noisy = self.noised(alpha, var)
        n = len(x_t)
        labels = np.empty(n, dtype=np.int64)
        for sl in self._chunks(n):
            w = noisy.responsibilities(x_t[sl])
            u = rng.random(len(w))
            labels[sl] = np.minimum((w.cumsum(axis=1) < u[:, None]).sum(axis=1),
                                    self.n_components - 1)
        s2 = self.sigma[labels] ** 2
        v = alpha**2 * s2 + var
        mu = self.means[labels]
        mean = mu + (alpha * s2 / v)[:, None] * (x_t - alpha * mu)
        std = np.sqrt(s2 * var / v)
        return mean + std[:, None] * rng.standard_normal(x_t.shape), labels

    def _chunks(self, n: int):
        step = max(1, CHUNK // max(self.n_components, 1))
        return [slice(i, min(i + step, n)) for i in range(0, n, step)] or [slice(0, 0)]
