"""First-order optimizers exactly as §3.3 states them: GD (3.9), SGD, heavy ball (3.10),
Nesterov (3.11), PGD, AdaGrad, RMSProp and Adam.

An optimizer holds its iterate θ as an array of shape (..., d) and updates every leading index
independently, so one object can run a batch of starts at once. Hyperparameters are passed to
every :meth:`Optimizer.step` as a :class:`Hyper`, not stored: a learning rate changed between
two steps applies at the next step while θ, the previous iterate and the moments are kept.

Here f plays the role of the book's Σ_i L(x_i, θ) (a sum over the data, not a mean), and the
gradient g_t = ∇f(θ_t) is squared coordinate-wise in the adaptive methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]
GradFn = Callable[[Array], Array]

OPTIMIZERS = ("GD", "SGD", "heavy-ball", "Nesterov", "PGD", "AdaGrad", "RMSProp", "Adam")
CONSTRAINTS = ("ball", "box", "l1-ball", "simplex", "half-plane")


def project_simplex(v: ArrayLike, r: float = 1.0) -> Array:
    """Nearest point of {z ≥ 0, Σ z = r} to each v (..., d): sort-based (Held et al.)."""
    v = np.asarray(v, dtype=float)
    u = -np.sort(-v, axis=-1)
    css = np.cumsum(u, axis=-1) - r
    k = np.arange(1, v.shape[-1] + 1)
    rho = (u - css / k > 0).sum(axis=-1, keepdims=True)
    tau = np.take_along_axis(css, rho - 1, axis=-1) / rho
    return np.maximum(v - tau, 0.0)


def project_l1_ball(v: ArrayLike, r: float) -> Array:
    """Nearest point of {‖z‖₁ ≤ r} to each v (..., d): v itself inside, else the sign of v
    times the projection of |v| onto the simplex of radius r (Duchi et al.)."""
    v = np.asarray(v, dtype=float)
    inside = np.abs(v).sum(axis=-1, keepdims=True) <= r
    return np.where(inside, v, np.sign(v) * project_simplex(np.abs(v), r))


@dataclass(frozen=True)
class Constraint:
    """The convex set C of PGD, of size ``radius`` placed by ``centre`` (the start):

    * ``ball``: ‖θ − c‖₂ ≤ R; ``box``: |θ_i − c_i| ≤ R; ``l1-ball``: ‖θ − c‖₁ ≤ R (all
      centred at c, so the start is feasible);
    * ``simplex``: θ_i ≥ 0, Σ θ_i = R (fixed at the origin's corner: a start elsewhere is
      projected onto it);
    * ``half-plane``: θ₁ ≤ c₁ + R.
    """

    kind: str = "ball"
    centre: tuple[float, float] = (0.0, 0.0)
    radius: float = 1.0

    def project(self, theta: ArrayLike) -> Array:
        """Proj_C: the nearest point of C (ball: c + (θ−c)·min(1, R/‖θ−c‖); box: clipping;
        ℓ1 ball and simplex: sort-based; half-plane: clip θ₁)."""
        theta = np.asarray(theta, dtype=float)
        c = np.asarray(self.centre, dtype=float)
        if self.kind == "box":
            return np.clip(theta, c - self.radius, c + self.radius)
        if self.kind == "l1-ball":
            return c + project_l1_ball(theta - c, self.radius)
        if self.kind == "simplex":
            return project_simplex(theta, self.radius)
        if self.kind == "half-plane":
            out = theta.copy()
            out[..., 0] = np.minimum(out[..., 0], c[0] + self.radius)
            return out
        if self.kind != "ball":
            raise ValueError(f"unknown constraint {self.kind!r} (choose from {CONSTRAINTS})")
        d = theta - c
        norm = np.sqrt((d * d).sum(axis=-1, keepdims=True))
        scale = np.minimum(1.0, self.radius / np.maximum(norm, np.finfo(float).tiny))
        return c + d * scale

    def contains(self, theta: ArrayLike, tol: float = 1e-12) -> bool:
        """Whether θ (2,) lies in C (up to ``tol``)."""
        theta = np.asarray(theta, dtype=float)
        return bool(np.linalg.norm(self.project(theta) - theta) <= tol * max(1.0, self.radius))

    def boundary(self, n: int = 129, span: float = 100.0) -> Array:
        """Points (m, 2) tracing ∂C, for drawing the feasible set (a closed polygon; the
        simplex's segment; the half-plane's edge over ±``span``)."""
        c, r = np.asarray(self.centre, dtype=float), self.radius
        if self.kind == "box":
            corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]], dtype=float)
            return c + r * corners
        if self.kind == "l1-ball":
            corners = np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [1, 0]], dtype=float)
            return c + r * corners
        if self.kind == "simplex":
            return np.array([[r, 0.0], [0.0, r]])
        if self.kind == "half-plane":
            y = c[1] + np.linspace(-span, span, 4001)
            return np.column_stack([np.full_like(y, c[0] + r), y])
        s = np.linspace(0.0, 2.0 * np.pi, n)
        return c + r * np.stack([np.cos(s), np.sin(s)], axis=-1)

    def region(self, lo: ArrayLike, hi: ArrayLike) -> Array:
        """A closed polygon (m, 2) of C's part in the window [lo, hi], for shading: the
        ball, box and ℓ1 ball whole, the half-plane cut to the window (no rows when it
        misses it), the simplex its segment (no area)."""
        if self.kind != "half-plane":
            return self.boundary()
        lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
        edge = min(self.centre[0] + self.radius, hi[0])
        if edge <= lo[0]:
            return np.empty((0, 2))
        return np.array([[lo[0], lo[1]], [edge, lo[1]], [edge, hi[1]], [lo[0], hi[1]],
                         [lo[0], lo[1]]])


@dataclass(frozen=True)
class Hyper:
    """Hyperparameters of one step; each optimizer reads the ones its rule uses.

    ``beta`` is the momentum of heavy ball and Nesterov, ``rho`` the decay of RMSProp (the
    book's β there), ``noise`` the σ of SGD's gradient noise, ``constraint`` the set of PGD.
    ``eps_inside_root`` selects AdaGrad's η/√(G+ε) (book) or η/(√G+ε) (notebooks);
    ``rmsprop_bias_correction`` divides RMSProp's G by 1 − ρᵏ as Adam does (not in the book).
    """

    lr: float = 0.1
    beta: float = 0.9
    rho: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    eps_inside_root: bool = True
    noise: float = 0.0
    constraint: Constraint | None = None
    rmsprop_bias_correction: bool = False


class Optimizer:
    """Base class: the iterate θ (..., d), the step count t and the update :meth:`_update`."""

    name: ClassVar[str]
    #: uses the adaptive learning rate of the lab (AdaGrad, RMSProp, Adam)
    adaptive: ClassVar[bool] = False

    def __init__(self, theta0: ArrayLike):
        self.theta: Array = np.array(theta0, dtype=float)
        self.t = 0

    def step(self, grad: GradFn, hp: Hyper) -> Array:
        """Apply one update θ_t → θ_{t+1} and return the new θ (a new array)."""
        self.theta = self._update(grad, hp)
        self.t += 1
        return self.theta

    def _update(self, grad: GradFn, hp: Hyper) -> Array:
        raise NotImplementedError


class GD(Optimizer):
    """Gradient descent (3.9): θ_{t+1} = θ_t − η∇f(θ_t)."""

    name = "GD"

    def gradient(self, grad: GradFn, theta: Array, hp: Hyper) -> Array:
        """The gradient the rule uses at ``theta`` (exact here, noisy for SGD)."""
        return grad(theta)

    def _update(self, grad: GradFn, hp: Hyper) -> Array:
        return self.theta - hp.lr * self.gradient(grad, self.theta, hp)


class SGD(GD):
    """GD with the gradient replaced by ∇f(θ) + σξ, ξ ~ N(0, I) drawn afresh each step.

    This stands in for the book's random batch (the landscapes here have no data set): the
    batch gradient is an unbiased, noisy estimate of the full one.
    """

    name = "SGD"

    def __init__(self, theta0: ArrayLike, rng: np.random.Generator):
        super().__init__(theta0)
        self.rng = rng

    def gradient(self, grad: GradFn, theta: Array, hp: Hyper) -> Array:
        return grad(theta) + hp.noise * self.rng.standard_normal(theta.shape)


class PGD(GD):
    """Projected gradient descent: θ_{t+1} = Proj_C(θ_t − η∇f(θ_t)).

    ``before`` keeps the last unprojected point θ_t − η∇f(θ_t) (for drawing the projection).
    """

    name = "PGD"

    def __init__(self, theta0: ArrayLike):
        super().__init__(theta0)
        self.before = self.theta.copy()

    def _update(self, grad: GradFn, hp: Hyper) -> Array:
        if hp.constraint is None:
            raise ValueError("PGD needs Hyper.constraint")
        self.before = super()._update(grad, hp)
        return hp.constraint.project(self.before)


class HeavyBall(Optimizer):
    """Polyak's heavy ball (3.10): θ_{t+1} = θ_t + β(θ_t − θ_{t−1}) − η∇f(θ_t), θ_{−1} = θ_0."""

    name = "heavy-ball"
    #: evaluate the gradient at the look-ahead point θ_t + β(θ_t − θ_{t−1}) (Nesterov)
    look_ahead: ClassVar[bool] = False

    def __init__(self, theta0: ArrayLike):
        super().__init__(theta0)
        self.previous = self.theta.copy()

    def _update(self, grad: GradFn, hp: Hyper) -> Array:
        pushed = self.theta + hp.beta * (self.theta - self.previous)
        g = grad(pushed if self.look_ahead else self.theta)
        self.previous = self.theta
        return pushed - hp.lr * g


class Nesterov(HeavyBall):
    """Nesterov (3.11): as heavy ball, with ∇f taken at θ_t + β(θ_t − θ_{t−1})."""

    name = "Nesterov"
    look_ahead = True


class AdaGrad(Optimizer):
    """AdaGrad: G_t = Σ_{t'≤t} g_{t'}², θ_{t+1} = θ_t − η g_t/√(G_t + ε) (book).

    With ``eps_inside_root`` off the step is η g_t/(√G_t + ε), as in the notebooks.
    ``rate`` holds the last per-coordinate effective step η_α^(t) (the factor of g).
    """

    name = "AdaGrad"
    adaptive = True

    def __init__(self, theta0: ArrayLike):
        super().__init__(theta0)
        self.G = np.zeros_like(self.theta)
        self.rate = np.zeros_like(self.theta)

    def _update(self, grad: GradFn, hp: Hyper) -> Array:
        g = grad(self.theta)
        self.G = self.G + g * g
        denom = np.sqrt(self.G + hp.eps) if hp.eps_inside_root else np.sqrt(self.G) + hp.eps
        self.rate = hp.lr / denom
        return self.theta - self.rate * g


class RMSProp(Optimizer):
    """RMSProp: G_{t+1} = ρG_t + (1−ρ)g_t², θ_{t+1} = θ_t − η g_t/(√G_{t+1} + ε), G_0 = 0.

    No bias correction, as in the book: the first step is η/√(1−ρ) per coordinate (ε → 0).
    With ``Hyper.rmsprop_bias_correction`` G is divided by 1 − ρᵏ (k = 1, 2, …) as in Adam,
    and the first step is η.
    """

    name = "RMSProp"
    adaptive = True

    def __init__(self, theta0: ArrayLike):
        super().__init__(theta0)
        self.G = np.zeros_like(self.theta)
        self.rate = np.zeros_like(self.theta)

    def _update(self, grad: GradFn, hp: Hyper) -> Array:
        g = grad(self.theta)
        self.G = hp.rho * self.G + (1.0 - hp.rho) * g * g
        G = self.G / (1.0 - hp.rho ** (self.t + 1)) if hp.rmsprop_bias_correction else self.G
        self.rate = hp.lr / (np.sqrt(G) + hp.eps)
        return self.theta - self.rate * g


class Adam(Optimizer):
    """Adam with bias correction; the correction of update k = 1, 2, … uses β^k.

    m_{t+1} = β₁m_t + (1−β₁)g_t, G_{t+1} = β₂G_t + (1−β₂)g_t², m̂ = m_{t+1}/(1−β₁^{t+1}),
    Ĝ = G_{t+1}/(1−β₂^{t+1}), θ_{t+1} = θ_t − η m̂/(√Ĝ + ε). The book prints the exponent t,
    which would divide by zero at the first step; the counter here starts at 1.
    """

    name = "Adam"
    adaptive = True

    def __init__(self, theta0: ArrayLike):
        super().__init__(theta0)
        self.m = np.zeros_like(self.theta)
        self.G = np.zeros_like(self.theta)
        self.rate = np.zeros_like(self.theta)

    def _update(self, grad: GradFn, hp: Hyper) -> Array:
        g = grad(self.theta)
        k = self.t + 1  # this update's counter, starting at 1
        self.m = hp.beta1 * self.m + (1.0 - hp.beta1) * g
        self.G = hp.beta2 * self.G + (1.0 - hp.beta2) * g * g
        m_hat = self.m / (1.0 - hp.beta1**k)
        G_hat = self.G / (1.0 - hp.beta2**k)
        self.rate = hp.lr / (np.sqrt(G_hat) + hp.eps)  # the factor of m̂
        return self.theta - self.rate * m_hat


_CLASSES: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (GD, SGD, HeavyBall, Nesterov, PGD, AdaGrad, RMSProp, Adam)
}


def create(name: str, theta0: ArrayLike, rng: np.random.Generator | None = None) -> Optimizer:
    """The optimizer called ``name`` (one of :data:`OPTIMIZERS`) started at ``theta0``.

    SGD needs ``rng``, the generator of its gradient noise.
    """
    cls = _CLASSES.get(name)
    if cls is None:
        raise ValueError(f"unknown optimizer {name!r} (choose from {', '.join(OPTIMIZERS)})")
    if cls is SGD:
        if rng is None:
            raise ValueError("SGD needs a random generator for its gradient noise")
        return SGD(theta0, rng)
    return cls(theta0)
