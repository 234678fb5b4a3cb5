"""Two-dimensional test functions f(θ) for optimizers, with analytic gradient and Hessian.

Every function takes θ of shape (..., 2) and is vectorised over the leading axes, so the same
code evaluates one iterate, a batch of starts, or a whole plotting grid. Each landscape also
carries what tests and readouts need: its known minimisers, its optimal value f* (None when f
is unbounded below), its saddle points, a plot window and a default start.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

LANDSCAPES = ("quadratic", "rosenbrock", "himmelblau", "saddle")


@dataclass(frozen=True)
class Landscape:
    """f, ∇f and ∇²f on arrays of points (..., 2), with landmarks and a plot window.

    ``extent`` is (xmin, xmax, ymin, ymax); ``minimisers`` (m, 2) and ``saddles`` (s, 2) are
    critical points (m may be 0); ``f_star`` is the global minimum value or None.
    """

    name: str
    formula: str
    value: Callable[[Array], Array]
    grad: Callable[[Array], Array]
    hessian: Callable[[Array], Array]
    extent: tuple[float, float, float, float]
    start: tuple[float, float]
    f_star: float | None
    minimisers: Array
    saddles: Array

    @property
    def landmarks(self) -> Array:
        """Points distances are measured to: the minimisers, else the saddles (m, 2)."""
        return self.minimisers if len(self.minimisers) else self.saddles

    def distance(self, theta: ArrayLike) -> Array:
        """Euclidean distance of each point (..., 2) to the nearest landmark."""
        theta = np.asarray(theta, dtype=float)
        diff = theta[..., None, :] - self.landmarks
        return np.sqrt((diff * diff).sum(axis=-1)).min(axis=-1)

    def gd_limit(self) -> float:
        """2/λmax of the Hessian at the landmarks: GD with η above it cannot settle there."""
        lam = np.linalg.eigvalsh(self.hessian(self.landmarks))
        return float(2.0 / lam.max())


def _split(theta: ArrayLike) -> tuple[Array, Array]:
    theta = np.asarray(theta, dtype=float)
    return theta[..., 0], theta[..., 1]


def _sym2(a: Array, b: Array, c: Array) -> Array:
    """Stack [[a, b], [b, c]] on the last two axes (broadcasting a, b, c)."""
    a, b, c = np.broadcast_arrays(a, b, c)
    return np.stack([np.stack([a, b], -1), np.stack([b, c], -1)], -2)


def quadratic(kappa: float = 10.0, angle_deg: float = 30.0) -> Landscape:
    """f = ½ θᵀAθ with A = R(angle)·diag(1, 1/κ)·R(angle)ᵀ.

    Scaling: λmax = L = 1 and λmin = μ = 1/κ, so GD is stable for 0 < η < 2 whatever κ, and
    the long axis of the elliptic contours (the eigenvector of 1/κ) points at angle + 90°.
    """
    phi = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(phi), -np.sin(phi)], [np.sin(phi), np.cos(phi)]])
    A = rot @ np.diag([1.0, 1.0 / kappa]) @ rot.T
    A = 0.5 * (A + A.T)  # exactly symmetric in floating point

    def value(theta: Array) -> Array:
        theta = np.asarray(theta, dtype=float)
        return 0.5 * np.einsum("...i,ij,...j->...", theta, A, theta)

    def grad(theta: Array) -> Array:
        return np.asarray(theta, dtype=float) @ A

    def hessian(theta: Array) -> Array:
        return np.broadcast_to(A, (*np.shape(theta)[:-1], 2, 2)).copy()

    return Landscape(
        name="quadratic",
        formula=f"½θᵀAθ, eigenvalues 1 and 1/κ = {1 / kappa:.3g}, rotated by {angle_deg:g}°",
        value=value, grad=grad, hessian=hessian,
        extent=(-4.0, 4.0, -4.0, 4.0), start=(-3.5, 2.5), f_star=0.0,
        minimisers=np.zeros((1, 2)), saddles=np.zeros((0, 2)),
    )


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Landscape:
    """f = (a − x)² + b(y − x²)²: a curved, flat-bottomed valley; minimum (a, a²), f* = 0."""

    def value(theta: Array) -> Array:
        x, y = _split(theta)
        return (a - x) ** 2 + b * (y - x * x) ** 2

    def grad(theta: Array) -> Array:
        x, y = _split(theta)
        r = y - x * x
        return np.stack([-2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r], axis=-1)

    def hessian(theta: Array) -> Array:
        x, y = _split(theta)
        return _sym2(2.0 - 4.0 * b * y + 12.0 * b * x * x, -4.0 * b * x, 2.0 * b + 0.0 * x)

    return Landscape(
        name="rosenbrock", formula=f"({a:g} − x)² + {b:g}(y − x²)²",
        value=value, grad=grad, hessian=hessian,
        extent=(-2.0, 2.0, -1.0, 3.0), start=(-1.2, 1.0), f_star=0.0,
        minimisers=np.array([[a, a * a]]), saddles=np.zeros((0, 2)),
    )


def _himmelblau_parts(theta: Array) -> tuple[Array, Array, Array, Array]:
    x, y = _split(theta)
    return x, y, x * x + y - 11.0, x + y * y - 7.0


def _himmelblau_value(theta: Array) -> Array:
    _, _, u, v = _himmelblau_parts(theta)
    return u * u + v * v


def _himmelblau_grad(theta: Array) -> Array:
    x, y, u, v = _himmelblau_parts(theta)
    return np.stack([4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v], axis=-1)


def _himmelblau_hessian(theta: Array) -> Array:
    x, y, u, v = _himmelblau_parts(theta)
    return _sym2(4.0 * u + 8.0 * x * x + 2.0, 4.0 * (x + y), 4.0 * v + 8.0 * y * y + 2.0)


def newton_refine(grad: Callable[[Array], Array], hessian: Callable[[Array], Array],
                  points: ArrayLike, iterations: int = 30) -> Array:
    """Critical points near ``points`` (n, 2) by Newton's method on ∇f = 0."""
    pts = np.array(points, dtype=float)
    for _ in range(iterations):
        pts = pts - np.linalg.solve(hessian(pts), grad(pts)[..., None])[..., 0]
    return pts


# Himmelblau's four minima (f* = 0; (3, 2) is exact) and its four saddles, from rough guesses.
_HIMMELBLAU_MINIMA = newton_refine(
    _himmelblau_grad, _himmelblau_hessian,
    [[3.0, 2.0], [-2.8, 3.1], [-3.8, -3.3], [3.6, -1.8]])
_HIMMELBLAU_SADDLES = newton_refine(
    _himmelblau_grad, _himmelblau_hessian,
    [[0.1, 2.9], [-3.1, -0.1], [3.4, 0.1], [-0.1, -2.0]])


def himmelblau() -> Landscape:
    """f = (x² + y − 11)² + (x + y² − 7)²: four global minima with f* = 0, non-convex."""
    return Landscape(
        name="himmelblau", formula="(x² + y − 11)² + (x + y² − 7)²",
        value=_himmelblau_value, grad=_himmelblau_grad, hessian=_himmelblau_hessian,
        extent=(-5.0, 5.0, -5.0, 5.0), start=(-0.5, 0.5), f_star=0.0,
        minimisers=_HIMMELBLAU_MINIMA.copy(), saddles=_HIMMELBLAU_SADDLES.copy(),
    )


def saddle() -> Landscape:
    """f = x² − y²: one saddle at the origin and no minimum (f is unbounded below)."""

    def value(theta: Array) -> Array:
        x, y = _split(theta)
        return x * x - y * y

    def grad(theta: Array) -> Array:
        x, y = _split(theta)
        return np.stack([2.0 * x, -2.0 * y], axis=-1)

    def hessian(theta: Array) -> Array:
        x, _ = _split(theta)
        return _sym2(2.0 + 0.0 * x, 0.0 * x, -2.0 + 0.0 * x)

    return Landscape(
        name="saddle", formula="x² − y² (unbounded below)",
        value=value, grad=grad, hessian=hessian,
        extent=(-3.0, 3.0, -3.0, 3.0), start=(2.5, 0.05), f_star=None,
        minimisers=np.zeros((0, 2)), saddles=np.zeros((1, 2)),
    )


def make_landscape(name: str, kappa: float = 10.0, angle_deg: float = 30.0) -> Landscape:
    """The landscape called ``name`` (one of :data:`LANDSCAPES`)."""
    if name == "quadratic":
        return quadratic(kappa, angle_deg)
    if name == "rosenbrock":
        return rosenbrock()
    if name == "himmelblau":
        return himmelblau()
    if name == "saddle":
        return saddle()
    raise ValueError(f"unknown landscape {name!r} (choose from {', '.join(LANDSCAPES)})")
