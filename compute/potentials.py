"""One-dimensional potentials U(x) for Langevin experiments, with the landmarks tests need.

Each potential gives U and U' as vectorised numpy functions. :func:`landmarks` finds the
minima and barriers on a grid, so rates and hysteresis thresholds follow from U itself
rather than from constants written per potential.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Potential1D:
    """U(x) and its derivative; ``name`` is the user-facing choice string.

    ``cubic`` = (c3, c1, c0) when U′(x) = c3·x³ + c1·x + c0, which lets particle integrators
    evaluate the drift with fused in-place operations (10⁶ particles per step).
    """

    name: str
    U: Callable[[Array], Array]
    dU: Callable[[Array], Array]
    cubic: tuple[float, float, float] | None = None


def double_well(tilt: float = 0.0) -> Potential1D:
    """U = (x² − 1)²/4 + tilt·x: minima near ±1, barrier 1/4 at 0 when untilted (book Ex. 7.3.2)."""
    return Potential1D(
        "double-well" if tilt == 0 else "tilted-double-well",
        lambda x: 0.25 * (x * x - 1.0) ** 2 + tilt * x,
        lambda x: x * (x * x - 1.0) + tilt,
        cubic=(1.0, -1.0, float(tilt)),
    )


def quartic(alpha: float = 1.0, beta: float = 1.0, tilt: float = 0.0) -> Potential1D:
    """U = αx⁴/4 − βx²/2 + tilt·x: Chapter 2's double well x⁴/4 − x²/2 (book eq. 2.8) by
    default, minima at ±1 with U = −1/4 and the barrier top U = 0 at x = 0."""
    return Potential1D(
        "quartic",
        lambda x: x * x * (0.25 * alpha * x * x - 0.5 * beta) + tilt * x,
        lambda x: x * (alpha * x * x - beta) + tilt,
        cubic=(float(alpha), -float(beta), float(tilt)),
    )


def triple_well() -> Potential1D:
    """U = x²(x² − 2)²/4: equal minima at 0 and ±√2, barriers 8/27 at x² = 2/3."""
    return Potential1D(
        "triple-well",
        lambda x: 0.25 * x * x * (x * x - 2.0) ** 2,
        lambda x: 0.5 * x * (x * x - 2.0) * (3.0 * x * x - 2.0),
    )


def quadratic(stiffness: float = 1.0) -> Potential1D:
    """U = λx²/2: the Ornstein–Uhlenbeck case, a single well."""
    return Potential1D("quadratic", lambda x: 0.5 * stiffness * x * x, lambda x: stiffness * x,
                       cubic=(0.0, float(stiffness), 0.0))


def landmarks(potential: Potential1D, grid: Array) -> tuple[Array, Array]:
    """Local minima and local maxima (barriers) of U on ``grid``, refined by Newton on U'.

    The grid must extend past the outermost minima; the returned positions are sorted.
    """
    u = potential.U(grid)
    inner = slice(1, -1)
    is_min = (u[inner] < u[:-2]) & (u[inner] <= u[2:])
    is_max = (u[inner] > u[:-2]) & (u[inner] >= u[2:])
    return _refine(potential, grid[1:-1][is_min]), _refine(potential, grid[1:-1][is_max])


def _refine(potential: Potential1D, x: Array, h: float = 1e-6) -> Array:
    """A few Newton steps on U'(x) = 0 with a finite-difference U''."""
    x = np.asarray(x, dtype=float).copy()
    for _ in range(20):
        d2 = (potential.dU(x + h) - potential.dU(x - h)) / (2 * h)
        safe = np.where(np.abs(d2) > 1e-12, d2, 1.0)
        x -= potential.dU(x) / safe
    return np.sort(x)


def second_derivative(potential: Potential1D, x: Array, h: float = 1e-5) -> Array:
    """U''(x) by a central difference of U'."""
    return (potential.dU(x + h) - potential.dU(x - h)) / (2 * h)


def boltzmann(potential: Potential1D, D: float, grid: Array) -> Array:
    """The normalised stationary density exp(−U/D)/Z on a uniform ``grid`` (trapezoid Z)."""
    u = potential.U(grid)
    w = np.exp(-(u - u.min()) / D)
    return w / np.trapezoid(w, grid)


def boltzmann_mass(potential: Potential1D, D: float, a: float, b: float,
                   support: tuple[float, float] = (-6.0, 6.0), n: int = 24001) -> float:
    """Probability of [a, b] under exp(−U/D)/Z, by dense trapezoid quadrature on ``support``.

    The support must hold all but a negligible part of the mass (true for the lab's
    confining potentials and D ≤ 1.5).
    """
    x = np.linspace(*support, n)
    p = boltzmann(potential, D, x)
    inside = (x >= a) & (x <= b)
    return float(np.trapezoid(p[inside], x[inside]))


def kramers_rate(potential: Potential1D, D: float, x_min: float, x_barrier: float) -> float:
    """Kramers' escape rate from the well at ``x_min`` over ``x_barrier`` (overdamped).

    k = sqrt(U''(x_min)·|U''(x_b)|)/(2π) · exp(−(U(x_b) − U(x_min))/D), accurate for ΔU/D ≳ 3.
    """
    pts = np.array([x_min, x_barrier])
    c_min, c_bar = second_derivative(potential, pts)
    dU = float(potential.U(np.array([x_barrier]))[0] - potential.U(np.array([x_min]))[0])
    return float(np.sqrt(c_min * abs(c_bar)) / (2 * np.pi) * np.exp(-dU / D))
