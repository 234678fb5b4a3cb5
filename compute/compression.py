"""Compressing a trained network's first layer for faster inference (§3.4.3): a small
softmax MLP in numpy, and four ways to replace its dense d → H layer x ↦ W₁x + b₁ by a
cheaper one with a budget k:

* ``svd``: truncated SVD W₁ ≈ U_k S_k V_kᵀ (Eckart–Young: the best rank-k approximation),
  computed as (U_k S_k)(V_kᵀx): project the input on V_k, then map k numbers to H;
* ``pca``: project the centred input on its top-k principal directions P_k and apply W₁P_k
  (the mean's image W₁μ folds into the bias);
* ``gradient``: project the input on the top-k eigenvectors Q_k of the gradient covariance
  Σ_t ∇W₁ᵀ∇W₁ accumulated during training (the input directions training moved W₁ along)
  and apply W₁Q_k;
* ``prune``: keep the largest-magnitude entries of W₁ — as many as the rank-k methods
  multiply, k(d + H) (all of them from k = dH/(d + H) on) — stored sparse.

All four cost k(d + H) multiply-adds per input against dH for the dense layer, so a
low-rank layer is cheaper only for k < dH/(d + H).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Array = np.ndarray
METHODS = ("svd", "pca", "gradient", "prune")


# -- the network -------------------------------------------------------------------------
@dataclass(frozen=True)
class SoftmaxMLP:
    """logits = W₂ relu(W₁x + b₁) + b₂ with θ = (W₁ (H×d), b₁, W₂ (C×H), b₂) flattened."""

    inputs: int
    hidden: int
    classes: int

    @property
    def size(self) -> int:
        d, h, c = self.inputs, self.hidden, self.classes
        return h * d + h + c * h + c

    def unpack(self, theta: Array) -> tuple[Array, Array, Array, Array]:
        d, h, c = self.inputs, self.hidden, self.classes
        i = h * d
        return (theta[:i].reshape(h, d), theta[i:i + h], theta[i + h:i + h + c * h].reshape(c, h),
                theta[i + h + c * h:])

    def init(self, rng: np.random.Generator) -> Array:
        """He-scaled Gaussian weights, zero biases."""
        d, h, c = self.inputs, self.hidden, self.classes
        theta = np.zeros(self.size)
        theta[:h * d] = rng.standard_normal(h * d) * np.sqrt(2.0 / d)
        j = h * d + h
        theta[j:j + c * h] = rng.standard_normal(c * h) * np.sqrt(2.0 / h)
        return theta

    def head(self, theta: Array, pre: Array) -> Array:
        """Logits from the first layer's pre-activations W₁x + b₁ (n, H)."""
        _, _, W2, b2 = self.unpack(theta)
        return np.maximum(pre, 0.0) @ W2.T + b2

    def logits(self, theta: Array, X: Array) -> Array:
        W1, b1, _, _ = self.unpack(theta)
        return self.head(theta, X @ W1.T + b1)

    def loss_grad(self, theta: Array, X: Array, y: Array) -> tuple[float, Array]:
        """Mean cross-entropy of softmax(logits) against labels y, and its gradient."""
        W1, b1, W2, b2 = self.unpack(theta)
        a = X @ W1.T + b1
        hid = np.maximum(a, 0.0)
        z = hid @ W2.T + b2
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        n = len(y)
        loss = float(-np.log(p[np.arange(n), y] + 1e-300).mean())
        dz = p
        dz[np.arange(n), y] -= 1.0
        dz /= n
        da = (dz @ W2) * (a > 0)
        grad = np.concatenate([(da.T @ X).ravel(), da.sum(0), (dz.T @ hid).ravel(), dz.sum(0)])
        return loss, grad


def accuracy(logits: Array, y: Array) -> float:
    return float((logits.argmax(axis=1) == y).mean())


# -- compressed first layers ---------------------------------------------------------------
def break_even_rank(d: int, h: int) -> float:
    """k below which a rank-k factorisation multiplies less than the dense layer: dH/(d + H)."""
    return d * h / (d + h)


def flops(method: str, k: int, d: int, h: int) -> int:
    """Multiply-adds per input of the compressed first layer (the dense one: dH)."""
    if method == "dense":
        return d * h
    if method == "svd":  # the rank of W₁ is at most min(d, H)
        return min(k, d, h) * (d + h)
    if method in ("pca", "gradient"):
        return min(k, d) * (d + h)
    if method == "prune":
        return min(k * (d + h), d * h)
    raise ValueError(f"unknown method {method!r}")


def eckart_young_error(s: Array, k: int) -> float:
    """‖W − W_k‖²_F of the best rank-k approximation: the sum of the dropped σᵢ²."""
    return float(np.sum(np.asarray(s)[k:] ** 2))


def prune(W: Array, keep: int, order: Array | None = None) -> Array:
    """W with all but its ``keep`` largest-magnitude entries set to zero (``order``: the
    flat indices by decreasing |w|, when already sorted)."""
    out = np.zeros_like(W)
    if keep >= W.size:
        return W.copy()
    if order is None:
        order = np.argsort(-np.abs(W).ravel(), kind="stable")
    idx = order[:keep]
    out.flat[idx] = W.flat[idx]
    return out


class Compressor:
    """The three compressions of one trained first layer W₁ (H×d), b₁, for any budget k.

    The SVD of W₁, the PCA of the training inputs and the magnitude order of W₁'s entries
    are computed once; :meth:`layer` builds the rank-k or pruned layer from them.
    """

    def __init__(self, W1: Array, b1: Array, X_train: Array, grad_cov: Array | None = None):
        self.W1, self.b1 = W1, b1
        self.h, self.d = W1.shape
        U, s, Vt = np.linalg.svd(W1, full_matrices=False)
        self.U, self.s, self.Vt = U, s, Vt
        self.mean = X_train.mean(axis=0)
        _, sx, Pt = np.linalg.svd(X_train - self.mean, full_matrices=False)
        self.P = Pt.T  # (d, m) principal directions, m = min(n, d)
        self.variances = np.zeros(self.d)
        self.variances[: len(sx)] = sx**2 / len(X_train)
        self.magnitude_order = np.argsort(-np.abs(W1).ravel(), kind="stable")
        G = np.zeros((self.d, self.d)) if grad_cov is None else grad_cov
        lam, Q = np.linalg.eigh(0.5 * (G + G.T))
        self.grad_eigenvalues, self.Q = lam[::-1], Q[:, ::-1]  # decreasing

    def layer(self, method: str, k: int) -> CompressedLayer:
        d, h = self.d, self.h
        if method == "svd":
            r = min(k, len(self.s))
            return CompressedLayer(method, k, A=self.U[:, :r] * self.s[:r], B=self.Vt[:r],
                                   bias=self.b1)
        if method == "pca":
            Pk = self.P[:, :k]
            return CompressedLayer(method, k, A=self.W1 @ Pk, B=Pk.T,
                                   bias=self.b1 + self.W1 @ self.mean, shift=self.mean)
        if method == "gradient":
            Qk = self.Q[:, :k]
            return CompressedLayer(method, k, A=self.W1 @ Qk, B=Qk.T, bias=self.b1)
        if method == "prune":
            import scipy.sparse as sp

            W = prune(self.W1, flops("prune", k, d, h), self.magnitude_order)
            return CompressedLayer(method, k, sparse=sp.csr_matrix(W), bias=self.b1)
        raise ValueError(f"unknown method {method!r}")

    def reconstruct(self, method: str, k: int, X: Array) -> Array:
        """What the rank-k layer sees of the inputs X (n, d): V_kV_kᵀx (svd),
        μ + P_kP_kᵀ(x − μ) (pca) or Q_kQ_kᵀx (gradient)."""
        if method == "svd":
            V = self.Vt[:k].T
            return X @ V @ V.T
        if method == "gradient":
            Qk = self.Q[:, :k]
            return X @ Qk @ Qk.T
        Pk = self.P[:, :k]
        return self.mean + (X - self.mean) @ Pk @ Pk.T


@dataclass
class CompressedLayer:
    """x ↦ A(B(x − shift)) + bias (rank k), or x ↦ Sx + bias with S sparse (pruned)."""

    method: str
    k: int
    A: Array | None = None
    B: Array | None = None
    bias: Array | None = None
    shift: Array | None = None
    sparse: object = None

    def __call__(self, X: Array) -> Array:
        if self.sparse is not None:
            return (self.sparse @ X.T).T + self.bias
        Z = X if self.shift is None else X - self.shift
        return (Z @ self.B.T) @ self.A.T + self.bias

    @property
    def matrix(self) -> Array:
        """The H×d matrix the layer applies in place of W₁: A B, or the pruned W₁."""
        return self.sparse.toarray() if self.sparse is not None else self.A @ self.B

    @property
    def mults(self) -> int:
        """Multiply-adds per input, counted from the stored matrices."""
        if self.sparse is not None:
            return int(self.sparse.nnz)
        return int(self.A.size + self.B.size)
