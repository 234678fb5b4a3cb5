"""The heat equation ∂ₜp = D∂ₓ²p and Brownian motion dX = √(2D)dW (§7.3.1–7.3.2).

* :func:`heat_kernel`: p_t(x) = (4πDt)^{−1/2} e^{−x²/4Dt};
* :func:`spectral_heat`: the heat equation solved by FFT on a periodic grid (multiplying each
  Fourier mode by e^{−Dk²t}, i.e. convolving with the heat kernel): mass is conserved exactly;
* :func:`gaussian_transfer_matrix_apply`: one Chapman–Kolmogorov step p ← K_ε p with the
  short-time propagator on a grid (a convolution, applied by FFT);
* :class:`IntervalDiffusion`: Brownian motion on [0, L] with absorbing or reflecting walls by
  eigenfunction series: density, survival S(t), first-passage density, exit-side flux.
"""

from __future__ import annotations

import math

import numpy as np

BOUNDARIES = ("absorbing", "reflecting", "mixed")


def heat_kernel(x: np.ndarray, t: float, D: float, x0: float = 0.0) -> np.ndarray:
    """(4πDt)^{−1/2} exp(−(x − x₀)²/(4Dt)); a zero array at t = 0."""
    x = np.asarray(x, dtype=float)
    if t <= 0:
        return np.zeros_like(x)
    return np.exp(-((x - x0) ** 2) / (4 * D * t)) / math.sqrt(4 * math.pi * D * t)


def spectral_heat(p0: np.ndarray, dx: float, D: float, t: float) -> np.ndarray:
    """p_t from p_0 on a periodic uniform grid: each Fourier mode times e^{−Dk²t}."""
    k = 2 * np.pi * np.fft.rfftfreq(len(p0), d=dx)
    return np.fft.irfft(np.fft.rfft(p0) * np.exp(-D * k * k * t), n=len(p0))


def gaussian_step(p: np.ndarray, dx: float, D: float, eps: float) -> np.ndarray:
    """One Chapman–Kolmogorov step p_{t+ε}(x) = Σ_x' K(x, x'; ε) p_t(x') Δx with the short-time
    propagator K = (4πDε)^{−1/2} e^{−(x−x')²/4Dε} sampled on the grid (a Toeplitz matrix,
    applied as a convolution); mass that would land outside the grid is lost (the domain's
    truncation)."""
    from scipy.signal import fftconvolve

    half = min(len(p) - 1, math.ceil(8 * math.sqrt(2 * D * eps) / dx) + 1)
    offsets = dx * np.arange(-half, half + 1)
    kernel = heat_kernel(offsets, eps, D) * dx
    return fftconvolve(p, kernel, mode="same")


class IntervalDiffusion:
    """Brownian motion dX = √(2D)dW on [0, L] started at x₀, walls absorbing (p = 0),
    reflecting (∂ₓp = 0) or mixed (absorbing at 0, reflecting at L), by eigen-series.

    Modes: absorbing sin(nπx/L), n ≥ 1; reflecting 1 and cos(nπx/L); mixed sin((n−½)πx/L);
    each decays at rate D·k_n².
    """

    def __init__(self, L: float, x0: float, D: float, boundary: str, terms: int = 4000):
        if boundary not in BOUNDARIES:
            raise ValueError(f"unknown boundary {boundary!r}")
        self.L, self.x0, self.D, self.boundary = L, x0, D, boundary
        n = np.arange(1, terms + 1, dtype=float)
        self.k = (n - 0.5) * np.pi / L if boundary == "mixed" else n * np.pi / L
        self.rate = D * self.k**2

    def _terms(self, t: float) -> int:
        """Modes needed at time t (e^{−Dk²t} below 1e-17 after that)."""
        if t <= 0:
            return len(self.k)
        kmax = math.sqrt(40.0 / (self.D * t))
        return int(min(len(self.k), np.searchsorted(self.k, kmax) + 2))

    def density(self, x: np.ndarray, t: float) -> np.ndarray:
        """p(x, t) of the surviving mass (integrates to S(t)); reflecting: to 1."""
        m = self._terms(t)
        k, decay = self.k[:m], np.exp(-self.rate[:m] * t)
        x = np.asarray(x, dtype=float)
        if self.boundary == "reflecting":
            coeff = (2 / self.L) * np.cos(k * self.x0) * decay
            return 1 / self.L + np.cos(np.outer(x, k)) @ coeff
        coeff = (2 / self.L) * np.sin(k * self.x0) * decay
        return np.sin(np.outer(x, k)) @ coeff

    def survival(self, t) -> np.ndarray:
        """S(t) = P(τ > t): absorbing Σ_{n odd}(4/nπ)sin(nπx₀/L)e^{−Dn²π²t/L²}."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        if self.boundary == "reflecting":
            return np.ones_like(t)
        m = self._terms(float(t[t > 0].min()) if np.any(t > 0) else 0.0)
        k = self.k[:m]
        # ∫_0^L sin(kx)dx = (1 − cos kL)/k
        coeff = (2 / self.L) * np.sin(k * self.x0) * (1 - np.cos(k * self.L)) / k
        return np.clip(np.exp(-np.outer(t, self.rate[:m])) @ coeff, 0.0, 1.0)

    def passage_density(self, t) -> np.ndarray:
        """f(t) = −dS/dt, the density of the first exit time."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        if self.boundary == "reflecting":
            return np.zeros_like(t)
        m = self._terms(float(t[t > 0].min()) if np.any(t > 0) else 0.0)
        k = self.k[:m]
        coeff = (2 / self.L) * np.sin(k * self.x0) * (1 - np.cos(k * self.L)) / k * self.rate[:m]
        return np.exp(-np.outer(t, self.rate[:m])) @ coeff

    def exit_right_by(self, t: float) -> float:
        """P(X_τ = L, τ ≤ t) for absorbing walls: the flux through L integrated to t,
        Σ (2/nπ)(−1)^{n+1} sin(nπx₀/L)(1 − e^{−Dn²π²t/L²}) → x₀/L."""
        if self.boundary != "absorbing":
            return 0.0
        n = np.arange(1, len(self.k) + 1)
        terms = 2 / (n * np.pi) * (-1.0) ** (n + 1) * np.sin(self.k * self.x0) \
            * -np.expm1(-self.rate * t)
        return float(terms.sum())

    @property
    def exit_right(self) -> float:
        """P(X_τ = L) = x₀/L (absorbing walls)."""
        return self.x0 / self.L if self.boundary == "absorbing" else float("nan")

    @property
    def mean_exit_time(self) -> float:
        """E τ: absorbing x₀(L − x₀)/(2D); mixed x₀(2L − x₀)/(2D); reflecting ∞."""
        if self.boundary == "absorbing":
            return self.x0 * (self.L - self.x0) / (2 * self.D)
        if self.boundary == "mixed":
            return self.x0 * (2 * self.L - self.x0) / (2 * self.D)
        return math.inf

    @property
    def decay_rate(self) -> float:
        """The asymptotic decay rate of S(t): D k₁² (Dπ²/L² for absorbing walls)."""
        return 0.0 if self.boundary == "reflecting" else float(self.rate[0])

    def mean_truncated_exit_time(self, t: float) -> float:
        """E[min(τ, t)] = ∫_0^t S(s) ds."""
        if self.boundary == "reflecting":
            return t
        k = self.k
        coeff = (2 / self.L) * np.sin(k * self.x0) * (1 - np.cos(k * self.L)) / k
        return float(np.sum(coeff * -np.expm1(-self.rate * t) / self.rate))
