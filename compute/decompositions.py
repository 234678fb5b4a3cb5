"""SVD and eigen-decomposition as the book computes them by hand, and low-rank completion.

* :func:`svd_via_eig` follows §1.2.1's "Summary of Steps": eigen-decompose XᵀX, take
  σ_i = √λ_i in descending order, u_i = X v_i / σ_i for σ_i ≠ 0, complete U to an
  orthonormal basis, assemble X = U S Vᵀ. Every intermediate is returned.
* :func:`hard_impute_step` is one step of the alternating completion of Exercise 1.2.2:
  fill the unobserved entries from the current estimate, truncate to rank k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# λ_i(XᵀX) ≤ EIG_ZERO_TOL · λ_1 counts as zero: forming XᵀX squares the condition number,
# so round-off leaves "zero" eigenvalues near 1e-16 λ_1, i.e. σ near 1e-8 σ_1.
EIG_ZERO_TOL = 1e-12


def complete_basis(Q: np.ndarray, m: int) -> np.ndarray:
    """Extend the orthonormal columns of Q (m × r) to an orthonormal basis of R^m (m × m)
    by Gram–Schmidt against the standard basis vectors, in order."""
    cols = [Q[:, j] for j in range(Q.shape[1])]
    for e in np.eye(m):
        if len(cols) == m:
            break
        v = e.copy()
        for _ in range(2):  # twice is enough (re-orthogonalisation)
            for c in cols:
                v -= (c @ v) * c
        norm = np.linalg.norm(v)
        if norm > 1e-8:
            cols.append(v / norm)
    return np.stack(cols, axis=1) if cols else np.zeros((m, 0))


def sign_fix(V: np.ndarray) -> np.ndarray:
    """Columns flipped so that each one's largest-magnitude entry is positive (eigenvectors
    are defined up to sign; this makes the hand computation's choice reproducible)."""
    V = V.copy()
    for j in range(V.shape[1]):
        i = int(np.argmax(np.abs(V[:, j])))
        if V[i, j] < 0:
            V[:, j] *= -1
    return V


@dataclass(frozen=True)
class SVDSteps:
    """Every intermediate of the hand computation for X (m × n)."""

    X: np.ndarray
    XtX: np.ndarray  # (n, n)
    eigenvalues: np.ndarray  # (n,) of XᵀX, descending (clipped at 0)
    V: np.ndarray  # (n, n) eigenvectors of XᵀX, in the same order
    sigma: np.ndarray  # (n,) √λ
    rank: int
    U_partial: np.ndarray  # (m, r) u_i = X v_i / σ_i for the nonzero σ_i
    U: np.ndarray  # (m, m) completed
    S: np.ndarray  # (m, n) diagonal σ_i
    reconstruction: np.ndarray  # U S Vᵀ

    @property
    def singular_values(self) -> np.ndarray:
        """All min(m, n) singular values, descending, zeros included."""
        m, n = self.X.shape
        return self.sigma[: min(m, n)]


def svd_via_eig(X: np.ndarray) -> SVDSteps:
    """§1.2.1's five steps for X (m × n)."""
    X = np.asarray(X, dtype=float)
    m, n = X.shape
    XtX = X.T @ X
    lam, V = np.linalg.eigh(XtX)
    order = np.argsort(lam)[::-1]
    lam = np.clip(lam[order], 0.0, None)
    V = sign_fix(V[:, order])
    top = lam[0] if lam.size else 0.0
    lam = np.where(lam > EIG_ZERO_TOL * top, lam, 0.0) if top > 0 else np.zeros_like(lam)
    sigma = np.sqrt(lam)
    rank = min(int(np.sum(lam > 0)), m, n)
    U_partial = (X @ V[:, :rank]) / sigma[:rank] if rank else np.zeros((m, 0))
    U = complete_basis(U_partial, m)
    S = np.zeros((m, n))
    k = min(m, n)
    S[np.arange(k), np.arange(k)] = sigma[:k]
    return SVDSteps(X, XtX, lam, V, sigma, rank, U_partial, U, S, U @ S @ V.T)


def truncate(Z: np.ndarray, k: int) -> np.ndarray:
    """The best rank-k approximation of Z (Eckart–Young): U_k S_k V_kᵀ."""
    U, s, Vt = np.linalg.svd(Z, full_matrices=False)
    return (U[:, :k] * s[:k]) @ Vt[:k]


def hard_impute_step(X: np.ndarray, R: np.ndarray, observed: np.ndarray, k: int) -> np.ndarray:
    """X' = P_k(P_Ω(R) + P_Ω⊥(X)): observed entries from R, the rest from X, then rank k."""
    return truncate(np.where(observed, R, X), k)


def initial_fill(R: np.ndarray, observed: np.ndarray, how: str) -> np.ndarray:
    """The starting matrix: observed entries, gaps filled with zeros or row/column means."""
    R0 = np.where(observed, R, 0.0)
    if how == "zeros":
        return R0
    axis = 0 if how == "column-means" else 1
    counts = observed.sum(axis=axis, keepdims=True)
    means = np.divide(R0.sum(axis=axis, keepdims=True), counts,
                      out=np.zeros_like(R0.sum(axis=axis, keepdims=True)), where=counts > 0)
    return np.where(observed, R, np.broadcast_to(means, R.shape))
