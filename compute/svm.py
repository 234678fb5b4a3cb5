"""The soft-margin SVM (§3.2.4) through its dual, solved by SMO: pairs of multipliers
moved along the constraint Σ λ_i y_i = 0, the maximal violating pair first (Keerthi et al.).

Dual, as a minimisation: f(λ) = ½ λᵀQλ − Σ λ_i, Q_ij = y_i y_j K_ij, 0 ≤ λ_i ≤ C,
Σ λ_i y_i = 0, with the Gram matrix K_ij = k(x_i, x_j): x_iᵀx_j for the linear SVM, or a
kernel such as the RBF exp(−γ|x_i − x_j|²). Its gradient G = Qλ − 1 gives
G_t = y_t f₀(x_t) − 1 with f₀(x) = Σ λ_i y_i k(x_i, x) (= wᵀx, w = Σ λ_i y_i x_i, when linear).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
TAU = 1e-12  # curvature floor of a pair step


@dataclass
class SMO:
    """State of one SMO run on data (x, y ∈ {−1, +1}) at box bound C; ``K`` the Gram matrix
    x xᵀ when the caller already has it (runs at several C share it)."""

    x: Array
    y: Array
    C: float
    K: Array | None = None
    lam: Array = field(init=False)
    G: Array = field(init=False)
    iterations: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        if self.K is None:
            self.K = self.x @ self.x.T
        self.lam = np.zeros(len(self.y))
        self.G = -np.ones(len(self.y))

    def _sets(self) -> tuple[Array, Array]:
        lam, y, C = self.lam, self.y, self.C
        up = ((y > 0) & (lam < C)) | ((y < 0) & (lam > 0))
        low = ((y < 0) & (lam < C)) | ((y > 0) & (lam > 0))
        return up, low

    def warm_start(self, lam: Array) -> SMO:
        """Start from multipliers ``lam`` (feasible for this C: a solution at a smaller C)."""
        self.lam = np.array(lam, dtype=float)
        self.G = self.y * (self.K @ (self.lam * self.y)) - 1.0
        return self

    def gap(self) -> float:
        """m(λ) − M(λ) ≥ 0, zero exactly at a KKT point (the stopping measure)."""
        up, low = self._sets()
        if not up.any() or not low.any():
            return 0.0
        v = -self.y * self.G
        return float(v[up].max() - v[low].min())

    def step(self) -> bool:
        """One pair update; False when no violating pair is left (tolerance 1e-9)."""
        up, low = self._sets()
        if not up.any() or not low.any():
            return False
        v = -self.y * self.G
        i = int(np.flatnonzero(up)[np.argmax(v[up])])
        j = int(np.flatnonzero(low)[np.argmin(v[low])])
        b = v[i] - v[j]
        if b <= 1e-9:
            return False
        K, y, lam, C = self.K, self.y, self.lam, self.C
        a = max(K[i, i] + K[j, j] - 2.0 * K[i, j], TAU)
        t = b / a
        t = min(t, C - lam[i] if y[i] > 0 else lam[i])
        t = min(t, lam[j] if y[j] > 0 else C - lam[j])
        lam[i] += y[i] * t
        lam[j] -= y[j] * t
        # G = Qλ − 1 changes by t·(y_i Q[:, i] − y_j Q[:, j]) = t·y·(K[:, i] − K[:, j])
        self.G += t * y * (K[:, i] - K[:, j])
        self.iterations += 1
        return True

    def solve(self, max_iter: int = 100_000, tol: float = 1e-9) -> SMO:
        for _ in range(max_iter):
            if self.gap() < tol or not self.step():
                break
        return self

    @property
    def w(self) -> Array:
        """Σ λ_i y_i x_i: the normal of the boundary (the linear kernel only)."""
        return (self.lam * self.y) @ self.x

    def decision(self, k_rows: Array) -> Array:
        """f(x) = Σ λ_i y_i k(x_i, x) + b at points whose kernel rows (m, n) are given."""
        return k_rows @ (self.lam * self.y) + self.b

    def norm2(self) -> float:
        """|w|² = λᵀQλ = λᵀ(G + 1), the squared norm of w in the kernel's feature space."""
        return float(self.lam @ (self.G + 1.0))

    def margins(self) -> Array:
        """y_i f(x_i) for the training points (= G_i + 1 + y_i b)."""
        return self.G + 1.0 + self.y * self.b

    @property
    def b(self) -> float:
        """From the free multipliers (0 < λ < C): b = y_t − wᵀx_t = −y_t G_t; without one,
        the middle of the interval the KKT conditions allow."""
        v = -self.y * self.G
        free = (self.lam > 1e-9 * max(self.C, 1.0)) & (self.lam < self.C * (1 - 1e-9))
        if free.any():
            return float(v[free].mean())
        up, low = self._sets()
        if not up.any() or not low.any():
            return 0.0
        return float(0.5 * (v[up].max() + v[low].min()))

    def dual_value(self) -> float:
        """The dual objective Σλ − ½|w|² (to be maximised)."""
        return float(self.lam.sum() - 0.5 * self.norm2())

    def slacks(self) -> Array:
        """ξ_i = max(0, 1 − y_i f(x_i)) at the current (λ, b)."""
        return np.maximum(0.0, 1.0 - self.margins())

    def primal_value(self) -> float:
        """½|w|² + C Σ ξ_i with ξ_i = max(0, 1 − y_i f(x_i)) at the current (w, b)."""
        return float(0.5 * self.norm2() + self.C * self.slacks().sum())

    def support(self, tol: float = 1e-7) -> Array:
        """Support vectors: λ_i > 0."""
        return self.lam > tol * max(self.C, 1e-300)
