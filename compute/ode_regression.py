"""Regression with an ODE model (§2.2.2): estimate γ and c in ẋ = −γx + c·g(t) from noisy
samples, next to a direct polynomial fit (Qt-free; numpy, and scipy for Savitzky–Golay).

The forcing is g(t) = A sin ωt + B cos ωt (sin t in Example 2.2.1, cos 2t in Exercise 2.2.3),
for which the linear ODE has a closed-form solution. Three estimators of (γ, c):

- derivative least squares (the notebook): central differences ẋᵢ ≈ (xᵢ₊₁ − xᵢ₋₁)/(2Δt),
  then ẋᵢ ≈ −γxᵢ + c·g(tᵢ); noisy samples make ẋ very noisy (std ≈ σ/(√2Δt)) and put
  noise into the regressor x (errors in variables), which biases γ toward 0;
- Savitzky–Golay least squares: a polynomial of order p fitted by least squares in a
  sliding window of w samples gives both a smoothed xᵢ and its derivative ẋᵢ (exact for
  polynomials of degree ≤ p), then the same regression; the window averages the noise;
- integral least squares: xᵢ ≈ x₀ − γ∫₀^tᵢ x + c∫₀^tᵢ g, which integrates the noise down
  instead of differentiating it up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True)
class Forcing:
    """g(t) = A sin ωt + B cos ωt."""

    A: float
    B: float
    omega: float

    def __call__(self, t: np.ndarray | float) -> np.ndarray:
        return self.A * np.sin(self.omega * t) + self.B * np.cos(self.omega * t)

    def integral(self, t: np.ndarray) -> np.ndarray:
        """∫₀ᵗ g(s) ds."""
        w = self.omega
        return self.A * (1.0 - np.cos(w * t)) / w + self.B * np.sin(w * t) / w


def forced_solution(t: np.ndarray, gamma: float, x0: float, c: float, g: Forcing
                    ) -> np.ndarray:
    """The exact solution of ẋ = −γx + c·g(t), x(0) = x₀: a transient C e^{−γt} plus the
    periodic response P sin ωt + Q cos ωt with [γ −ω; ω γ][P; Q] = c[A; B]."""
    w = g.omega
    den = gamma * gamma + w * w
    P = c * (gamma * g.A + w * g.B) / den
    Q = c * (gamma * g.B - w * g.A) / den
    return (x0 - Q) * np.exp(-gamma * t) + P * np.sin(w * t) + Q * np.cos(w * t)


def book_eq_2_6(t: np.ndarray) -> np.ndarray:
    """The printed Eq. (2.6), e^{−2t} + (sin t − 2 cos t)/√5 (it solves neither the ODE nor
    x(0) = 1; kept to reproduce the notebook)."""
    return np.exp(-2 * t) + (np.sin(t) - 2 * np.cos(t)) / np.sqrt(5.0)


def central_derivative(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(xᵢ₊₁ − xᵢ₋₁)/(tᵢ₊₁ − tᵢ₋₁) inside, one-sided differences at the two ends."""
    return np.gradient(x, t, edge_order=1)


def derivative_ls(t: np.ndarray, x: np.ndarray, g: Forcing) -> tuple[float, float]:
    """(γ, c) minimising Σ (ẋᵢ + γxᵢ − c·g(tᵢ))² with finite-difference ẋ."""
    design = np.stack([-x, g(t)], axis=1)
    (gamma, c), *_ = np.linalg.lstsq(design, central_derivative(t, x), rcond=None)
    return float(gamma), float(c)


def savgol_smooth(t: np.ndarray, x: np.ndarray, window: int, order: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Savitzky–Golay: the value and the derivative at tᵢ of the order-p polynomial fitted to
    the w samples around it (the first and last w/2 points use the end windows). The
    samples must be equally spaced."""
    from scipy.signal import savgol_filter  # lazy: scipy is slow to import

    dt = float(t[1] - t[0])
    return (savgol_filter(x, window, order, deriv=0, mode="interp"),
            savgol_filter(x, window, order, deriv=1, delta=dt, mode="interp"))


def savgol_ls(t: np.ndarray, x: np.ndarray, g: Forcing, window: int, order: int
              ) -> tuple[float, float]:
    """(γ, c) minimising Σ (ẋᵢ + γx̃ᵢ − c·g(tᵢ))² with the Savitzky–Golay x̃ and ẋ."""
    smooth, slope = savgol_smooth(t, x, window, order)
    design = np.stack([-smooth, g(t)], axis=1)
    (gamma, c), *_ = np.linalg.lstsq(design, slope, rcond=None)
    return float(gamma), float(c)


def cumulative_trapezoid(t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """∫₀^tᵢ x by the trapezoid rule, starting at 0."""
    steps = 0.5 * (x[1:] + x[:-1]) * np.diff(t)
    return np.concatenate([[0.0], np.cumsum(steps)])


def integral_ls(t: np.ndarray, x: np.ndarray, g: Forcing) -> tuple[float, float, float]:
    """(x₀, γ, c) minimising Σ (xᵢ − x₀ + γ∫₀^tᵢ x − c∫₀^tᵢ g)²."""
    design = np.stack([np.ones_like(t), -cumulative_trapezoid(t, x), g.integral(t)], axis=1)
    (x0, gamma, c), *_ = np.linalg.lstsq(design, x, rcond=None)
    return float(x0), float(gamma), float(c)


def derivative_loss(t: np.ndarray, x: np.ndarray, g: Forcing, gammas: np.ndarray,
                    cs: np.ndarray) -> np.ndarray:
    """The derivative-LS loss Σ (ẋᵢ + γxᵢ − c·g(tᵢ))² on a (len(cs), len(gammas)) grid."""
    xd = central_derivative(t, x)
    gt = g(t)
    G, C = np.meshgrid(gammas, cs)
    # expand the quadratic form once: every grid point costs O(1)
    sxx, sgg, sdd = x @ x, gt @ gt, xd @ xd
    sxd, sgd, sxg = x @ xd, gt @ xd, x @ gt
    return (sdd + G * G * sxx + C * C * sgg + 2 * G * sxd - 2 * C * sgd - 2 * G * C * sxg)


def attenuated_gamma(t: np.ndarray, x_true: np.ndarray, g: Forcing, gamma: float,
                     sigma: np.ndarray) -> np.ndarray:
    """Errors-in-variables limit of derivative LS: with noise of variance σ² in the regressor
    x (and independent noise in ẋ), γ̂ → γ·S/(S + σ²), S the mean square of x left after
    projecting out g (the part of x that identifies γ)."""
    gt = g(t)
    resid = x_true - gt * (gt @ x_true) / (gt @ gt)
    S = float(resid @ resid) / len(t)
    return gamma * S / (S + np.asarray(sigma, dtype=float) ** 2)


def integrate(gamma: float, c: float, g: Forcing, x0: float, t_end: float, dt: float,
              method: str) -> tuple[np.ndarray, np.ndarray]:
    """ẋ = −γx + c·g(t) from x(0) = x₀ to t_end with steps dt: "euler" (the notebook) or
    "rk4". Returns the time grid and the states."""
    n = max(1, int(np.ceil(t_end / dt - 1e-9)))
    t = np.linspace(0.0, n * dt, n + 1)
    x = np.empty(n + 1)
    x[0] = x0
    # the forcing at every (half) step, evaluated once: the loop does scalar arithmetic only
    force = (c * g(t)).tolist()
    half = (c * g(t[:-1] + dt / 2)).tolist()
    v = float(x0)
    for k in range(n):
        if method == "euler":
            v = v + dt * (-gamma * v + force[k])
        else:
            k1 = -gamma * v + force[k]
            k2 = -gamma * (v + dt / 2 * k1) + half[k]
            k3 = -gamma * (v + dt / 2 * k2) + half[k]
            k4 = -gamma * (v + dt * k3) + force[k + 1]
            v = v + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        x[k + 1] = v
    return t, x


def mismatch_given_gamma(t: np.ndarray, x: np.ndarray, g: Forcing, gamma: float
                         ) -> tuple[float, float, float]:
    """Trajectory mismatch for a trial γ: the solution x₀e^{−γt} + c·φ_γ(t) is linear in
    (x₀, c), so both are solved by least squares; returns (mismatch Σ residual², x₀, c)."""
    basis = np.stack([np.exp(-gamma * t), forced_solution(t, gamma, 0.0, 1.0, g)], axis=1)
    (x0, c), *_ = np.linalg.lstsq(basis, x, rcond=None)
    r = x - basis @ np.array([x0, c])
    return float(r @ r), float(x0), float(c)


def golden_section(fn: Callable[[float], float], lo: float, hi: float
                   ) -> Iterator[tuple[float, float, float, float]]:
    """Golden-section search for a minimum of fn on [lo, hi], no optimisation library:
    yields (best point, its value, bracket lo, bracket hi) after each iteration."""
    a, b = lo, hi
    x1, x2 = b - GOLDEN * (b - a), a + GOLDEN * (b - a)
    f1, f2 = fn(x1), fn(x2)
    while True:
        if f1 <= f2:
            b, x2, f2 = x2, x1, f1
            x1 = b - GOLDEN * (b - a)
            f1 = fn(x1)
        else:
            a, x1, f1 = x1, x2, f2
            x2 = a + GOLDEN * (b - a)
            f2 = fn(x2)
        best, value = (x1, f1) if f1 <= f2 else (x2, f2)
        yield best, value, a, b


def until_it_leaves(curve: np.ndarray, bound: float) -> np.ndarray:
    """``curve`` up to the first point where |curve| exceeds ``bound``, NaN from there on: an
    extrapolating polynomial is drawn until it leaves the plot, not when it swings back."""
    out = np.array(curve, dtype=float)
    away = np.flatnonzero(~(np.abs(out) <= bound))
    if len(away):
        out[away[0]:] = np.nan
    return out
