"""Small 2D classifiers and their data: logistic regression on feature maps, a one-hidden-
layer network with hand-written backprop, toy data sets and probability maps on a grid.

Shared by the decision-boundary experiments of Chapters 3 and 4. Everything is numpy and
vectorised over the points; parameters are flat vectors so the optimizers of
:mod:`compute.optimizers` step them like any other θ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
PROB_CLIP = 1e-12  # probabilities are clipped to [c, 1 − c] inside the logs


# -- link and loss ------------------------------------------------------------------------
def sigmoid(z: Array) -> Array:
    """σ(z) = 1/(1 + e^(−z)), without overflow for large |z|."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def bce(p: Array, y: Array) -> float:
    """Mean binary cross-entropy −[y ln p + (1 − y) ln(1 − p)] (Eq. 3.4)."""
    p = np.clip(p, PROB_CLIP, 1.0 - PROB_CLIP)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))


def bce_logits(z: Array, y: Array) -> float:
    """Mean BCE of logits z: mean(softplus(z) − y·z), exact for any |z| (no clipping)."""
    z = np.asarray(z, dtype=float)
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


TIE = 1e-9  # |p − ½| below this is a coin flip, not a decision


def accuracy(p: Array, y: Array) -> float:
    """Share of points whose rule p > 1/2 (Eq. 3.5) gives their label; a tie p ≈ ½ counts ½
    (the rule then guesses), so a model stuck at p ≡ ½ scores exactly 0.5."""
    p = np.asarray(p, dtype=float)
    right = ((p > 0.5) == (np.asarray(y) > 0.5)).astype(float)
    return float(np.mean(np.where(np.abs(p - 0.5) < TIE, 0.5, right)))


# -- feature maps -----------------------------------------------------------------------
def monomial_powers(degree: int) -> list[tuple[int, int]]:
    """Exponents (i, j) of x₁ⁱx₂ʲ with 0 ≤ i + j ≤ degree, by total degree (1 first)."""
    return [(d - j, j) for d in range(degree + 1) for j in range(d + 1)]


def monomial_names(degree: int) -> list[str]:
    """Readable names of :func:`monomial_powers` ('1', 'x₁', 'x₂', 'x₁²', 'x₁x₂', …)."""
    sup = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

    def factor(name: str, k: int) -> str:
        return "" if k == 0 else name if k == 1 else name + str(k).translate(sup)

    return [factor("x₁", i) + factor("x₂", j) or "1" for i, j in monomial_powers(degree)]


def polynomial_features(x: Array, degree: int) -> Array:
    """φ(x) (n, m): every monomial of degree ≤ ``degree``, the constant 1 first (the bias)."""
    x = np.asarray(x, dtype=float).reshape(-1, 2)
    return np.stack([x[:, 0] ** i * x[:, 1] ** j for i, j in monomial_powers(degree)], axis=1)


@dataclass(frozen=True)
class FeatureScaler:
    """Standardises every feature column but the constant: (φ − mean)/std on the data.

    Gradient descent on raw monomials of high degree is hopelessly ill-conditioned; on
    standardised columns it is not. The model stays linear in the raw features.
    """

    mean: Array
    std: Array

    @classmethod
    def fit(cls, phi: Array) -> FeatureScaler:
        mean, std = phi.mean(axis=0), phi.std(axis=0)
        mean[0], std[0] = 0.0, 1.0
        return cls(mean, np.where(std > 1e-12, std, 1.0))

    def __call__(self, phi: Array) -> Array:
        return (phi - self.mean) / self.std


# -- logistic regression ------------------------------------------------------------------
def logistic_loss(w: Array, phi: Array, y: Array, l2: float = 0.0) -> float:
    """Mean BCE of σ(φw) plus (l2/2)‖w_{1:}‖² (the bias w₀ is not penalised)."""
    return bce_logits(phi @ w, y) + 0.5 * l2 * float(w[1:] @ w[1:])


def logistic_grad(w: Array, phi: Array, y: Array, l2: float = 0.0) -> Array:
    """∇ = (1/N) φᵀ(σ(φw) − y) + l2·(0, w₁, …)."""
    g = phi.T @ (sigmoid(phi @ w) - y) / len(y)
    g[1:] += l2 * w[1:]
    return g


def logistic_hessian(w: Array, phi: Array, l2: float = 0.0) -> Array:
    """H = (1/N) φᵀ diag(σ(1 − σ)) φ + l2·diag(0, 1, …): positive semidefinite (convex)."""
    p = sigmoid(phi @ w)
    h = (phi * (p * (1 - p))[:, None]).T @ phi / len(phi)
    h[np.arange(1, len(w)), np.arange(1, len(w))] += l2
    return h


def newton_step(w: Array, phi: Array, y: Array, l2: float = 0.0) -> Array:
    """One Newton step w − H⁻¹∇ (a tiny ridge keeps H invertible on separable data)."""
    h = logistic_hessian(w, phi, l2) + 1e-9 * np.eye(len(w))
    return w - np.linalg.solve(h, logistic_grad(w, phi, y, l2))


def logistic_optimum(phi: Array, y: Array, l2: float, iterations: int = 50) -> Array:
    """The minimiser of :func:`logistic_loss` for l2 > 0 (or overlapping classes), by Newton."""
    w = np.zeros(phi.shape[1])
    for _ in range(iterations):
        w = newton_step(w, phi, y, l2)
    return w


# -- a one-hidden-layer network -------------------------------------------------------------
ACTIVATIONS = ("tanh", "relu")


@dataclass(frozen=True)
class MLP:
    """f(x) = W₂·act(W₁x + b₁) + b₂, a logit; θ = (W₁ (H×2), b₁ (H), W₂ (H), b₂) flattened."""

    hidden: int
    activation: str = "tanh"

    @property
    def size(self) -> int:
        return 4 * self.hidden + 1

    def unpack(self, theta: Array) -> tuple[Array, Array, Array, float]:
        h = self.hidden
        return (theta[: 2 * h].reshape(h, 2), theta[2 * h: 3 * h], theta[3 * h: 4 * h],
                float(theta[4 * h]))

    def init(self, rng: np.random.Generator, scale: float = 0.5) -> Array:
        """Weights ~ N(0, scale²), biases 0 (the recipe of adaptive_relu_2D)."""
        h = self.hidden
        theta = np.zeros(self.size)
        theta[: 2 * h] = scale * rng.standard_normal(2 * h)
        theta[3 * h: 4 * h] = scale * rng.standard_normal(h)
        return theta

    def _act(self, a: Array) -> tuple[Array, Array]:
        if self.activation == "relu":
            return np.maximum(a, 0.0), (a > 0).astype(float)
        t = np.tanh(a)
        return t, 1.0 - t * t

    def logits(self, theta: Array, x: Array) -> Array:
        W1, b1, W2, b2 = self.unpack(theta)
        a = x @ W1.T + b1
        h = np.maximum(a, 0.0) if self.activation == "relu" else np.tanh(a)
        return h @ W2 + b2

    def loss_grad(self, theta: Array, x: Array, y: Array) -> tuple[float, Array]:
        """Mean BCE of σ(f(x)) and its gradient by backpropagation."""
        loss, grad = self.batch_loss_grad(theta[None], x, y)
        return float(loss[0]), grad[0]

    def batch_loss_grad(self, thetas: Array, x: Array, y: Array) -> tuple[Array, Array]:
        """Mean BCE and its gradient for S networks at once: thetas (S, size) → losses (S,),
        gradients (S, size) (one vectorised backpropagation, e.g. over random seeds)."""
        h_ = self.hidden
        W1 = thetas[:, : 2 * h_].reshape(-1, h_, 2)
        b1, W2 = thetas[:, 2 * h_: 3 * h_], thetas[:, 3 * h_: 4 * h_]
        b2 = thetas[:, 4 * h_]
        a = x @ W1.transpose(0, 2, 1) + b1[:, None, :]  # (S, n, H)
        h, dh = self._act(a)
        z = (h @ W2[:, :, None])[:, :, 0] + b2[:, None]
        dz = (sigmoid(z) - y) / len(y)
        da = dz[:, :, None] * W2[:, None, :] * dh
        grad = np.concatenate([(da.transpose(0, 2, 1) @ x).reshape(len(thetas), -1),
                               da.sum(1), (dz[:, None, :] @ h)[:, 0], dz.sum(1)[:, None]],
                              axis=1)
        loss = np.mean(np.logaddexp(0.0, z) - y * z, axis=1)
        return loss, grad

    def hyperplanes(self, theta: Array) -> Array:
        """(H, 3) lines W₁[k]·x + b₁[k] = 0 where hidden unit k switches (a, b, c)."""
        W1, b1, _, _ = self.unpack(theta)
        return np.column_stack([W1, b1])


# -- data --------------------------------------------------------------------------------
XOR_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_LABELS = np.array([0.0, 1.0, 1.0, 0.0])


def xor_data(per_corner: int, jitter: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """The four XOR corners (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0, each repeated ``per_corner``
    times with Gaussian jitter of standard deviation ``jitter``."""
    x = np.repeat(XOR_CORNERS, per_corner, axis=0)
    y = np.repeat(XOR_LABELS, per_corner)
    return x + jitter * rng.standard_normal(x.shape), y


def ellipse_ring(n: int, rng: np.random.Generator) -> tuple[Array, Array]:
    """LogReg2D's clean data: an inner ellipse (class 0) inside an elliptic ring (class 1).

    Class 0: radius 0.5·N(1, 0.15), y squashed by 0.5; class 1: radius 1.6·N(1, 0.10), y
    squashed by 0.75; uniform angles (drawn in the notebook's order from ``rng``).
    """
    r0 = 0.5 * rng.normal(1.0, 0.15, n)
    t0 = rng.uniform(0, 2 * np.pi, n)
    x0 = np.column_stack([r0 * np.cos(t0), 0.5 * r0 * np.sin(t0)])
    r1 = 1.6 * rng.normal(1.0, 0.10, n)
    t1 = rng.uniform(0, 2 * np.pi, n)
    x1 = np.column_stack([r1 * np.cos(t1), 0.75 * r1 * np.sin(t1)])
    return np.vstack([x0, x1]), np.concatenate([np.zeros(n), np.ones(n)])


def circle_threshold(n: int, rng: np.random.Generator, r2: float = 0.5) -> tuple[Array, Array]:
    """n uniform points of [−1, 1]², label 1 outside the circle x₁² + x₂² = r2."""
    x = rng.uniform(-1.0, 1.0, (n, 2))
    return x, ((x * x).sum(1) > r2).astype(float)


def circle_square(n: int, gap: float, rng: np.random.Generator, half: float = 2.0
                  ) -> tuple[Array, Array]:
    """A disk inside a square frame: class 0 uniform in the unit disk, class 1 uniform in
    the square [−half, half]² outside the square of half-side 1 + ``gap``, so the classes
    are at least ``gap`` apart (n points each; class 1 by rejection from the square)."""
    r = np.sqrt(rng.uniform(0.0, 1.0, n))
    t = rng.uniform(0.0, 2 * np.pi, n)
    x0 = np.column_stack([r * np.cos(t), r * np.sin(t)])
    inner = 1.0 + gap
    if inner >= half:
        raise ValueError(f"gap {gap} leaves no room for the square frame (half-side {half})")
    x1 = np.empty((0, 2))
    while len(x1) < n:
        cand = rng.uniform(-half, half, (2 * n, 2))
        x1 = np.vstack([x1, cand[np.abs(cand).max(axis=1) > inner]])
    return np.vstack([x0, x1[:n]]), np.concatenate([np.zeros(n), np.ones(n)])


def two_circles(n: int, rng: np.random.Generator, radius: float = 0.7, offset: float = 0.8,
                half: float = 1.5) -> tuple[Array, Array]:
    """n uniform points of [−half, half]², label 1 inside either circle of ``radius``
    centred at (±offset, 0) (the two-circles data of LogReg+NN-supervised-2D)."""
    x = rng.uniform(-half, half, (n, 2))
    inside = np.zeros(n, dtype=bool)
    for c in (-offset, offset):
        inside |= (x[:, 0] - c) ** 2 + x[:, 1] ** 2 < radius**2
    return x, inside.astype(float)


def gaussian_blobs(n: int, mean0: tuple[float, float], mean1: tuple[float, float],
                   std: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """n points of each class around its mean with isotropic standard deviation ``std``."""
    x0 = np.asarray(mean0) + std * rng.standard_normal((n, 2))
    x1 = np.asarray(mean1) + std * rng.standard_normal((n, 2))
    return np.vstack([x0, x1]), np.concatenate([np.zeros(n), np.ones(n)])


def degenerate(x: Array, y: Array) -> str | None:
    """Why (x, y) cannot train a 2D classifier, or None: one class only, or collinear points."""
    if len(np.unique(y)) < 2:
        return "only one class in the data: nothing to separate"
    centred = x - x.mean(axis=0)
    s = np.linalg.svd(centred, compute_uv=False)
    if len(s) < 2 or s[1] <= 1e-9 * max(s[0], 1e-300):
        return "all points lie on one line: the plane's second direction is undetermined"
    return None


# -- maps --------------------------------------------------------------------------------
def grid_points(extent: tuple[float, float, float, float], n: int) -> Array:
    """Centres of an n×n pixel grid over ``extent`` as (n·n, 2) points, row 0 at the bottom."""
    x0, x1, y0, y1 = extent
    gx = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    gy = y0 + (np.arange(n) + 0.5) * (y1 - y0) / n
    X, Y = np.meshgrid(gx, gy)
    return np.column_stack([X.ravel(), Y.ravel()])


def data_extent(x: Array, margin: float = 0.5) -> tuple[float, float, float, float]:
    """The data's bounding box grown by ``margin`` on every side."""
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])
