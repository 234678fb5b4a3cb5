"""Forward noising processes of score-based diffusion (§9.1) on t ∈ [0, 1].

Each schedule is the linear SDE dx = −½·k(t)·β(t)·x dt + √(G(t)) dW started at x₀, whose
kernel is x_t | x₀ ~ N(α(t)·x₀, var(t)·I). Three are offered:

- ``vp-linear`` (the book's notebooks): k = 1, G = β = β_min + t(β_max − β_min),
  B(t) = ∫β, α = e^{−B/2}, var = 1 − α².
- ``vp-cosine``: a cosine-shaped ᾱ = α² with the same end point α(1) as ``vp-linear``
  (the usual cosine schedule has α(1) = 0, i.e. infinite β at t = 1).
- ``brownian`` (book eq. 9.5): no drift, G = 2β(t), α = 1, var = 2B(t).

The reverse process with noise level ε̃ (ε̃ = G: Anderson's reverse SDE, eq. 9.2; ε̃ = 0: the
probability-flow ODE) is dy = [f − ½(G + ε̃)·s(y, t)]dt + √ε̃ dW̄ in forward-time notation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SCHEDULES = ("vp-linear", "vp-cosine", "brownian")
COSINE_OFFSET = 0.008  # the s of the cosine schedule (Nichol & Dhariwal)


@dataclass(frozen=True)
class Schedule:
    """A forward process: drift coefficient, diffusion G(t), kernel α(t) and var(t)."""

    kind: str
    beta_min: float = 0.1
    beta_max: float = 20.0

    def __post_init__(self) -> None:
        if self.kind not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.kind!r} (choose from {SCHEDULES})")
        if not 0 <= self.beta_min <= self.beta_max or self.beta_max <= 0:
            raise ValueError("need 0 <= beta_min <= beta_max and beta_max > 0")

    # -- the linear β(t) and its integral (used by vp-linear and brownian) --------------
    def _beta_linear(self, t):
        return self.beta_min + t * (self.beta_max - self.beta_min)

    def _B_linear(self, t):
        return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t * t

    # -- the cosine angle θ(t): ᾱ = cos²θ(t)/cos²θ(0), θ linear in t -------------------
    def _theta(self):
        theta0 = 0.5 * math.pi * COSINE_OFFSET / (1 + COSINE_OFFSET)
        alpha1 = math.exp(-0.5 * self._B_linear(1.0))
        theta1 = math.acos(alpha1 * math.cos(theta0))
        return theta0, theta1

    def B(self, t):
        """∫₀ᵗ of the VP rate: −2·log α(t) for VP schedules; for brownian, var = 2B."""
        if self.kind == "vp-cosine":
            theta0, theta1 = self._theta()
            theta = theta0 + (theta1 - theta0) * np.asarray(t, dtype=float)
            return -2.0 * np.log(np.cos(theta) / math.cos(theta0))
        return self._B_linear(np.asarray(t, dtype=float))

    def beta(self, t):
        """dB/dt, the instantaneous rate."""
        if self.kind == "vp-cosine":
            theta0, theta1 = self._theta()
            theta = theta0 + (theta1 - theta0) * np.asarray(t, dtype=float)
            return 2.0 * (theta1 - theta0) * np.tan(theta)
        return self._beta_linear(np.asarray(t, dtype=float))

    def alpha(self, t):
        """Mean factor of the kernel: x_t | x₀ has mean α(t)·x₀."""
        if self.kind == "brownian":
            return np.ones_like(np.asarray(t, dtype=float))
        return np.exp(-0.5 * self.B(t))

    def var(self, t):
        """Variance (per coordinate) of the kernel."""
        if self.kind == "brownian":
            return 2.0 * self.B(t)
        return -np.expm1(-self.B(t))  # 1 − α², accurate for small t

    def G(self, t):
        """Diffusion coefficient squared of the forward SDE."""
        return (2.0 if self.kind == "brownian" else 1.0) * self.beta(t)

    def drift(self, x: np.ndarray, t: float) -> np.ndarray:
        """Forward drift f(x, t)."""
        if self.kind == "brownian":
            return np.zeros_like(x)
        return -0.5 * float(self.beta(t)) * x

    def prior_std(self) -> float:
        """Standard deviation of the reference law the reverse process starts from (t = 1).

        For VP schedules N(0, I) (exactly: N(α₁μ, α₁²σ² + 1 − α₁²)); for brownian the data are
        negligible against var(1), so N(0, var(1)·I).
        """
        return 1.0 if self.kind != "brownian" else float(np.sqrt(self.var(1.0)))

    def time_of_B(self, target: float) -> float:
        """The t ∈ [0, 1] with B(t) = target (clipped to the ends), by bisection."""
        lo, hi = 0.0, 1.0
        if target <= float(self.B(lo)):
            return lo
        if target >= float(self.B(hi)):
            return hi
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if float(self.B(mid)) < target else (lo, mid)
        return 0.5 * (lo + hi)
