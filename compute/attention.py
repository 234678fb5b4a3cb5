"""Multi-head attention, the feed-forward map and LayerNorm as written in §1.1.5 (numpy).

One refinement step of the book's "token to be predicted" t̂:

    Q_h = t̂ W_Q^h,  K_h = X W_K^h,  V_h = X W_V^h,
    α_h = softmax(Q_h K_hᵀ / (τ √d_h)),  z_h = Σ_i α_{i,h} V_{h,i},
    z = Concat(z_1, …, z_H) W_O,
    t̂' = LayerNorm(σ(W₂ σ(W₁ z) + b)),

and the next-token law p = softmax(W_out t̂ + b_out). :func:`refine` returns every
intermediate, so an experiment can show the computation part by part.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


class LayerNormUndefined(ArithmeticError):
    """LayerNorm of a constant vector with ε = 0 is 0/0."""


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x_i) / Σ_j exp(x_j), computed stably (the maximum subtracted first)."""
    x = np.asarray(x, dtype=float)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def gelu(x: np.ndarray) -> np.ndarray:
    """GELU(x) = x Φ(x), Φ(x) = ½(1 + erf(x/√2)) (the exact form, not the tanh fit)."""
    from scipy.special import erf

    x = np.asarray(x, dtype=float)
    return x * 0.5 * (1.0 + erf(x / math.sqrt(2.0)))


ACTIVATIONS = {"ReLU": relu, "GELU": gelu}


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
               eps: float) -> tuple[np.ndarray, float, float]:
    """((x − μ)/√(σ² + ε) ⊙ γ + β, μ, σ²) with μ, σ² the mean and (biased) variance of x."""
    x = np.asarray(x, dtype=float)
    mu = float(x.mean())
    var = float(((x - mu) ** 2).mean())
    if var + eps <= 0.0:
        raise LayerNormUndefined("LayerNorm of a constant vector with ε = 0 is 0/0")
    return (x - mu) / math.sqrt(var + eps) * gamma + beta, mu, var


@dataclass(frozen=True)
class Weights:
    """Every weight of one refinement step; per-head lists hold (d, d_h) matrices."""

    W_Q: Sequence[np.ndarray]
    W_K: Sequence[np.ndarray]
    W_V: Sequence[np.ndarray]
    W_O: np.ndarray  # (Σ d_h, d)
    W_1: np.ndarray  # (d, d)
    W_2: np.ndarray  # (d, d)
    b: np.ndarray  # (d,)
    gamma: np.ndarray  # (d,)
    beta: np.ndarray  # (d,)
    W_out: np.ndarray  # (v, d)
    b_out: np.ndarray  # (v,)

    @property
    def heads(self) -> int:
        return len(self.W_Q)


def refine(t_hat: np.ndarray, X: np.ndarray, w: Weights, *, scale: float,
           temperature: float = 1.0, activation: str = "GELU",
           ln_eps: float = 1e-5) -> dict[str, np.ndarray | float]:
    """One step t̂ → t̂' with every intermediate (per-head lists stacked on axis 0).

    ``scale`` is the divisor √d_h of the scores; ``temperature`` divides them too.
    Raises :class:`LayerNormUndefined` for a constant pre-norm vector with ε = 0.
    """
    act = ACTIVATIONS[activation]
    Q = np.stack([t_hat @ Wq for Wq in w.W_Q])  # (H, d_h)
    K = np.stack([X @ Wk for Wk in w.W_K])  # (H, n, d_h)
    V = np.stack([X @ Wv for Wv in w.W_V])  # (H, n, d_h)
    scores = np.einsum("hd,hnd->hn", Q, K) / (scale * temperature)  # (H, n)
    alpha = softmax(scores, axis=-1)
    z_heads = np.einsum("hn,hnd->hd", alpha, V)  # (H, d_h)
    concat = z_heads.reshape(-1)
    z = concat @ w.W_O
    hidden = act(w.W_1 @ z)
    pre_norm = act(w.W_2 @ hidden + w.b)
    t_next, mu, var = layer_norm(pre_norm, w.gamma, w.beta, ln_eps)
    logits = w.W_out @ t_next + w.b_out
    return {
        "Q": Q, "K": K, "V": V, "scores": scores, "alpha": alpha, "z_heads": z_heads,
        "concat": concat, "z": z, "hidden": hidden, "pre_norm": pre_norm, "mu": mu,
        "var": var, "t_next": t_next, "logits": logits, "probs": softmax(logits),
    }


def random_weights(d: int, heads: int, vocab: int, rng: np.random.Generator,
                   init_scale: float = 1.0, random_affine: bool = False) -> Weights:
    """Gaussian weights with standard deviation init_scale/√d (b, β, b_out zero, γ = 1
    unless ``random_affine``)."""
    if d % heads:
        raise ValueError(f"H = {heads} does not divide d = {d}")
    dh = d // heads
    s = init_scale / math.sqrt(d)

    def g(*shape):
        return rng.normal(0.0, s, size=shape)

    gamma = 1.0 + 0.3 * rng.normal(size=d) if random_affine else np.ones(d)
    beta = 0.3 * rng.normal(size=d) if random_affine else np.zeros(d)
    return Weights(W_Q=[g(d, dh) for _ in range(heads)], W_K=[g(d, dh) for _ in range(heads)],
                   W_V=[g(d, dh) for _ in range(heads)], W_O=g(d, d), W_1=g(d, d), W_2=g(d, d),
                   b=np.zeros(d), gamma=gamma, beta=beta, W_out=g(vocab, d),
                   b_out=np.zeros(vocab))


def pca_2d(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, (d, 2) projection) onto the two leading principal directions of the rows of X
    (the identity's first columns when d = 2)."""
    X = np.asarray(X, dtype=float)
    d = X.shape[1]
    if d <= 2:
        return np.zeros(d), np.eye(d)[:, :2]
    mean = X.mean(axis=0)
    _, _, Vt = np.linalg.svd(X - mean, full_matrices=False)
    P = Vt[:2].T
    if P.shape[1] < 2:
        P = np.concatenate([P, np.zeros((d, 2 - P.shape[1]))], axis=1)
    return mean, P
