"""Exact references for 1D Langevin dynamics dX = −U′(X)dt + √(2D)dW (§7.3.3).

* :func:`boltzmann_stats`: Z = ∫e^{−U/D}dx and the Boltzmann moments, by quadrature;
* :func:`mfpt`: the mean first-passage time a → b by the double-integral formula;
* :class:`FokkerPlanck1D`: the Fokker–Planck generator on a grid, its spectrum (the gap λ₁
  is the relaxation rate of the well populations) and its semigroup, which evolves any
  initial law (e.g. the particles' histogram) exactly in time.

The generator is discretised as a birth–death chain on cell centres with rates
(D/h²)·exp(−(U_j − U_i)/(2D)) between neighbours: it satisfies detailed balance with respect
to e^{−U/D} exactly and reproduces L f = D f″ − U′ f′ to O(h²). Its symmetrised form is a
symmetric tridiagonal matrix, diagonalised once per (U, D).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .potentials import Potential1D

SEARCH = (-12.0, 12.0)


def domain(potential: Potential1D, D: float, depth: float = 36.0) -> tuple[float, float]:
    """The interval where U − min U ≤ depth·D (mass outside ≲ e^{−depth}), inside SEARCH."""
    x = np.linspace(*SEARCH, 24001)
    u = potential.U(x)
    inside = np.flatnonzero(u - np.nanmin(u) <= depth * D) if np.isfinite(u).any() else []
    if len(inside) == 0:
        return SEARCH
    lo, hi = x[max(inside[0] - 1, 0)], x[min(inside[-1] + 1, len(x) - 1)]
    return float(lo), float(hi)


def _simpson(y: np.ndarray, h: float) -> float:
    """Composite Simpson's rule on an odd number of equally spaced samples."""
    return float(h / 3.0 * (y[0] + y[-1] + 4.0 * y[1:-1:2].sum() + 2.0 * y[2:-1:2].sum()))


@dataclass(frozen=True)
class BoltzmannStats:
    """Z and moments of p = e^{−U/D}/Z."""

    Z: float
    mean: float
    x2: float
    x4: float
    U: float


def boltzmann_stats(potential: Potential1D, D: float, n: int = 40001) -> BoltzmannStats:
    """Z = ∫e^{−U/D}dx, ⟨x⟩, ⟨x²⟩, ⟨x⁴⟩, ⟨U⟩ by Simpson's rule on the support (error ≪ 1e-9)."""
    lo, hi = domain(potential, D)
    x = np.linspace(lo, hi, n | 1)
    h = x[1] - x[0]
    u = potential.U(x)
    w = np.exp(-u / D)
    Z = _simpson(w, h)

    def mean(f: np.ndarray) -> float:
        return _simpson(f * w, h) / Z

    return BoltzmannStats(Z=Z, mean=mean(x), x2=mean(x * x), x4=mean(x**4), U=mean(u))


def mfpt(potential: Potential1D, D: float, a: float, b: float, n: int = 20001) -> float:
    """Mean first-passage time from a to b, the far side reflecting at infinity:

        a < b:  T = (1/D) ∫_a^b e^{U(y)/D} ∫_{−∞}^y e^{−U(z)/D} dz dy,
        a > b:  T = (1/D) ∫_b^a e^{U(y)/D} ∫_y^{+∞} e^{−U(z)/D} dz dy.
    """
    if a == b:
        return 0.0
    lo, hi = domain(potential, D)
    sign = 1.0 if a < b else -1.0
    # put the integration in the a < b orientation by mirroring x → −x
    U: Callable[[np.ndarray], np.ndarray] = potential.U if sign > 0 else (lambda x: potential.U(-x))
    a, b = sign * a, sign * b
    lo_, _hi = (lo, hi) if sign > 0 else (-hi, -lo)
    # inner integral on [lo_, y] for y ∈ [a, b]: cumulative trapezoid on a fine grid
    left = min(lo_, a)
    # a is a node: the outer integral starts exactly there
    y = np.concatenate([np.linspace(left, a, n)[:-1], np.linspace(a, b, n)])
    uy = U(y)
    ref = float(uy.min())
    w = np.exp(-(uy - ref) / D)
    inner = np.concatenate([[0.0], np.cumsum(0.5 * (w[1:] + w[:-1]) * np.diff(y))])
    ys, us, fs = y[n - 1:], uy[n - 1:], inner[n - 1:]
    top = float(us.max())
    outer = np.exp((us - top) / D) * fs
    integral = float(np.sum(0.5 * (outer[1:] + outer[:-1]) * np.diff(ys)))
    return integral * math.exp((top - ref) / D) / D


class FokkerPlanck1D:
    """The Fokker–Planck generator of dX = −U′dt + √(2D)dW on cell centres of [lo, hi].

    ``x`` the nodes, ``lam`` the relaxation rates 0 = λ₀ < λ₁ < … (ascending), ``V`` the
    orthonormal eigenvectors of the symmetrised generator S = Π^{1/2} Q Π^{−1/2}, ``sq``
    = √π (π ∝ e^{−U/D}, unnormalised). Laws are node masses (vectors summing to 1).
    """

    def __init__(self, potential: Potential1D, D: float, lo: float | None = None,
                 hi: float | None = None, h: float = 0.01):
        if lo is None or hi is None:
            lo, hi = domain(potential, D, depth=30.0)
        m = max(round((hi - lo) / h), 8)
        self.h = h = (hi - lo) / m
        self.x = x = lo + h * (np.arange(m) + 0.5)
        u = potential.U(x)
        up = (D / h**2) * np.exp(-(u[1:] - u[:-1]) / (2 * D))
        down = (D / h**2) * np.exp(-(u[:-1] - u[1:]) / (2 * D))
        self.sq = np.exp(-(u - u.min()) / (2 * D))
        off = np.sqrt(up * down)
        diag = -np.concatenate([up, [0.0]]) - np.concatenate([[0.0], down])
        # A few hundred nodes: numpy's dense eigh takes milliseconds, and sparing scipy.linalg
        # (0.3 s to import) keeps it off the lab's start-up path (the home experiment).
        neg_lam, V = np.linalg.eigh(np.diag(diag) + np.diag(off, 1) + np.diag(off, -1))
        order = np.argsort(-neg_lam)
        self.lam = np.maximum(-neg_lam[order], 0.0)
        self.V = V[:, order]

    @property
    def gap(self) -> float:
        """λ₁: the slowest relaxation rate (the spectral gap)."""
        return float(self.lam[1])

    def stationary(self) -> np.ndarray:
        p = self.sq**2
        return p / p.sum()

    def masses(self, samples: np.ndarray) -> np.ndarray:
        """The law of ``samples`` as node masses: each sample split linearly between its
        two neighbouring nodes (:meth:`point_mass` for many), mass outside the end nodes
        put on them. This keeps the samples' mean; nearest-node masses moved each sample by
        up to h/2, across the barrier for particles started near its top."""
        x = self.x
        pos = (np.asarray(samples, dtype=float).ravel() - x[0]) / self.h
        j = np.clip(np.floor(pos), 0, len(x) - 2).astype(np.int64)
        w = np.clip(pos - j, 0.0, 1.0)
        p = (np.bincount(j, 1.0 - w, minlength=len(x))
             + np.bincount(j + 1, w, minlength=len(x)))
        return p / max(p.sum(), 1.0)

    def point_mass(self, x0: float) -> np.ndarray:
        """x₀ split linearly between its two neighbouring nodes."""
        return self.masses(np.array([x0]))

    def observable_modes(self, p0: np.ndarray, f: np.ndarray) -> np.ndarray:
        """c_k such that E[f(X_t)] = Σ_k c_k e^{−λ_k t} for X_0 ~ p0 (node masses)."""
        a = (p0 / self.sq) @ self.V
        b = self.V.T @ (self.sq * f)
        return a * b

    def expectation(self, p0: np.ndarray, f: np.ndarray, times) -> np.ndarray:
        """E[f(X_t) | X_0 ~ p0] at each time."""
        c = self.observable_modes(p0, f)
        t = np.atleast_1d(np.asarray(times, dtype=float))
        return np.exp(-np.outer(t, self.lam)) @ c

    def evolve(self, p0: np.ndarray, t: float) -> np.ndarray:
        """The node masses at time t from p0."""
        a = (p0 / self.sq) @ self.V
        return self.sq * (self.V @ (a * np.exp(-self.lam * t)))


def fitted_relaxation_rate(t: np.ndarray, r: np.ndarray, r_eq: float, se: float,
                           t_from: float, min_points: int = 8) -> float:
    """The rate λ̂ of r(t) − r_eq ∝ e^{−λ̂t}, fitted by least squares to log|r − r_eq| on
    t ≥ ``t_from`` while the deviation stands above 5 standard errors ``se``; NaN when fewer
    than ``min_points`` points qualify (no relaxation visible above the noise)."""
    t = np.asarray(t, dtype=float)
    dev = np.abs(np.asarray(r, dtype=float) - r_eq)
    start = int(np.searchsorted(t, t_from))
    low = np.flatnonzero(dev[start:] <= 5.0 * se)
    stop = start + (int(low[0]) if low.size else len(t) - start)
    if stop - start < min_points:
        return math.nan
    tt, yy = t[start:stop], np.log(dev[start:stop])
    tc = tt - tt.mean()
    denom = float(tc @ tc)
    if denom <= 0:
        return math.nan
    return float(-(tc @ (yy - yy.mean())) / denom)
