"""Total-variation denoising (§3.4.2): the smoothed TV energy of an image, its gradient, an
explicit gradient step and a lagged-diffusivity (semi-implicit) step that never raises it.

Images are (n, n) arrays, row 0 at the top. Differences are forward, with no difference
across the last row or column (the notebook's convention), so the same edge set serves both
variants of the energy:

* ``isotropic`` (notebook): λ Σ_pixels √(ε² + (∂ₓu)² + (∂ᵧu)²);
* ``pairwise`` (book): λ Σ_neighbour pairs √(ε² + (u_i − u_j)²).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
VARIANTS = ("isotropic", "pairwise")
SHAPES = ("U", "checkerboard", "disk")


def test_image(shape: str, n: int) -> Array:
    """A binary image in [0, 1]: the notebook's U (margin n//6, stroke 7n/64), a 4×4
    checkerboard, or a centred disk."""
    img = np.zeros((n, n))
    if shape == "U":
        m, s = n // 6, max(1, round(7 * n / 64))
        img[m:n - m, m:m + s] = 1.0
        img[m:n - m, n - m - s:n - m] = 1.0
        img[n - m - s:n - m, m:n - m] = 1.0
    elif shape == "checkerboard":
        k = np.arange(n) * 4 // n
        img = ((k[:, None] + k[None, :]) % 2).astype(float)
    else:
        r = np.hypot(*np.meshgrid(np.arange(n) - (n - 1) / 2, np.arange(n) - (n - 1) / 2))
        img = (r < n / 3).astype(float)
    return img


def diffs(u: Array) -> tuple[Array, Array]:
    """Forward differences (∂ₓu, ∂ᵧu), zero in the last column / row."""
    dx = np.zeros_like(u)
    dy = np.zeros_like(u)
    dx[:, :-1] = u[:, 1:] - u[:, :-1]
    dy[:-1, :] = u[1:, :] - u[:-1, :]
    return dx, dy


def div(px: Array, py: Array) -> Array:
    """−Dᵀ(px, py): the discrete divergence adjoint to :func:`diffs` (px, py zero on the
    last column / row)."""
    out = np.zeros_like(px)
    out[:, :-1] += px[:, :-1]
    out[:, 1:] -= px[:, :-1]
    out[:-1, :] += py[:-1, :]
    out[1:, :] -= py[:-1, :]
    return out


def energy(u: Array, w: Array, lam: float, eps: float, variant: str = "isotropic") -> float:
    """E(u) = ½|u − w|² + λ·TV_ε(u)."""
    dx, dy = diffs(u)
    if variant == "isotropic":
        tv = np.sqrt(eps**2 + dx * dx + dy * dy).sum()
    else:
        tv = np.sqrt(eps**2 + dx[:, :-1] ** 2).sum() + np.sqrt(eps**2 + dy[:-1, :] ** 2).sum()
    r = u - w
    return 0.5 * float((r * r).sum()) + lam * float(tv)


def _weights(u: Array, eps: float, variant: str) -> tuple[Array, Array]:
    """The diffusivities 1/√(…) on x- and y-differences."""
    dx, dy = diffs(u)
    if variant == "isotropic":
        c = 1.0 / np.sqrt(eps**2 + dx * dx + dy * dy)
        return c, c
    return 1.0 / np.sqrt(eps**2 + dx * dx), 1.0 / np.sqrt(eps**2 + dy * dy)


def gradient(u: Array, w: Array, lam: float, eps: float, variant: str = "isotropic") -> Array:
    """∇E = (u − w) − λ div(c·∇u), c the diffusivity of the variant."""
    dx, dy = diffs(u)
    cx, cy = _weights(u, eps, variant)
    return (u - w) - lam * div(cx * dx, cy * dy)


def safe_step(lam: float, eps: float) -> float:
    """1/L with L = 1 + 8λ/ε ≥ the Lipschitz constant of ∇E (|D|² ≤ 8, curvature of
    √(ε² + t²) ≤ 1/ε): explicit steps of this size never raise E."""
    return 1.0 / (1.0 + 8.0 * lam / eps)


def notebook_step(lam: float) -> float:
    """The notebook's step 0.08/(1 + 4λ) (ignores ε: too large for small ε)."""
    return 0.08 / (1.0 + 4.0 * lam)


def explicit_step(u: Array, w: Array, lam: float, eps: float, step: float, variant: str,
                  clip: bool) -> Array:
    """u − s∇E(u), then clipped to [0, 1] if ``clip`` (projected gradient descent)."""
    u = u - step * gradient(u, w, lam, eps, variant)
    return np.clip(u, 0.0, 1.0) if clip else u


def midpoint_step(u: Array, w: Array, lam: float, eps: float, step: float, variant: str,
                  clip: bool) -> Array:
    """The explicit midpoint rule (second-order Runge–Kutta) on the flow du/dt = −∇E:
    u − s∇E(u − (s/2)∇E(u)), then clipped to [0, 1] if ``clip``. On a quadratic with
    curvature h each mode is multiplied by 1 − sh + (sh)²/2, in [½, 1] for sh ≤ 1: with the
    safe step every mode, hence E, decreases."""
    half = u - 0.5 * step * gradient(u, w, lam, eps, variant)
    u = u - step * gradient(half, w, lam, eps, variant)
    return np.clip(u, 0.0, 1.0) if clip else u


CHAMBOLLE_TAU = 0.125  # Chambolle's step τ ≤ 1/8 (|D|² ≤ 8)


def dual_image(p: tuple[Array, Array], w: Array, lam: float) -> Array:
    """The primal image of a dual field p: u = w + λ div p (the minimiser over u of the
    Lagrangian ½|u − w|² + λ⟨p, ∇u⟩)."""
    return w + lam * div(*p)


def chambolle_step(p: tuple[Array, Array], w: Array, lam: float, variant: str,
                   tau: float = CHAMBOLLE_TAU) -> tuple[Array, Array]:
    """One step of Chambolle's dual projection algorithm for the exact TV (ε = 0).

    TV(u) = max_{|p| ≤ 1} ⟨p, ∇u⟩, so the minimiser of ½|u − w|² + λTV(u) is
    u = w + λ div p with p minimising |div p + w/λ|² over the unit balls. With
    g = ∇(div p + w/λ) the step is p ← (p + τg)/(1 + τ|g|) (Chambolle 2004), which keeps
    |p| ≤ 1 at every pixel: per pixel over (pₓ, pᵧ) for the isotropic TV, per edge for the
    pairwise one.
    """
    if lam <= 0.0:
        return p
    gx, gy = diffs(div(*p) + w / lam)
    if variant == "isotropic":
        nx = ny = np.sqrt(gx * gx + gy * gy)
    else:
        nx, ny = np.abs(gx), np.abs(gy)
    return (p[0] + tau * gx) / (1.0 + tau * nx), (p[1] + tau * gy) / (1.0 + tau * ny)


def dual_norm(p: tuple[Array, Array], variant: str) -> Array:
    """|p| per pixel (isotropic) or the larger of |pₓ|, |pᵧ| (pairwise): ≤ 1 when feasible."""
    if variant == "isotropic":
        return np.sqrt(p[0] ** 2 + p[1] ** 2)
    return np.maximum(np.abs(p[0]), np.abs(p[1]))


def duality_gap(p: tuple[Array, Array], w: Array, lam: float, variant: str) -> float:
    """P(u) − D(p) ≥ 0 for u = w + λ div p, with P the exact (ε = 0) energy and
    D(p) = ½|w|² − ½|w + λ div p|² its dual; zero exactly at the solution."""
    u = dual_image(p, w, lam)
    primal = energy(u, w, lam, 0.0, variant)
    dual = 0.5 * float((w * w).sum()) - 0.5 * float((u * u).sum())
    return primal - dual


def difference_matrix(n: int) -> Any:
    """D (2n², n²), a scipy sparse matrix: rows of ∂ₓ then ∂ᵧ on the row-major pixels (zero
    rows at the edges). scipy is imported here, not at start-up."""
    import scipy.sparse as sps

    e = np.ones(n)
    d1 = sps.diags([-e, e[:-1]], [0, 1], shape=(n, n)).tolil()
    d1[n - 1, n - 1] = 0.0
    eye = sps.identity(n)
    return sps.vstack([sps.kron(eye, d1), sps.kron(d1, eye)]).tocsr()


def lagged_diffusivity_step(u: Array, w: Array, lam: float, eps: float, variant: str,
                            D: Any) -> Array:
    """Solve (I + λDᵀCD)v = w with the diffusivities C frozen at u.

    √(ε² + t²) ≤ √(ε² + t₀²) + (t² − t₀²)/(2√(ε² + t₀²)), so the step minimises a quadratic
    majoriser of E that touches it at u: E(v) ≤ E(u) whatever λ and ε (no step size).
    """
    import scipy.sparse as sps
    from scipy.sparse.linalg import spsolve

    cx, cy = _weights(u, eps, variant)
    c = np.concatenate([cx.ravel(), cy.ravel()])
    A = sps.identity(u.size, format="csc") + lam * (D.T @ sps.diags(c) @ D).tocsc()
    return spsolve(A, w.ravel()).reshape(u.shape)


def psnr(u: Array, clean: Array) -> float:
    """10 log₁₀(1/MSE) against the clean image (peak 1), in dB."""
    mse = float(np.mean((u - clean) ** 2))
    return 10.0 * np.log10(1.0 / max(mse, 1e-30))
