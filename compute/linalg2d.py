"""Linear algebra of the plane: the book's 2×2 maps and what they do to shapes (Qt-free).

Used by the Chapter 1 experiments and by the linear-map view family, which draws the
geometry computed here: singular axes, eigen-directions, images of the unit grid and
circle, polygon areas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EIG_IMAG_TOL = 1e-12  # eigenvalues with |Im λ| below this (relative) count as real


def rotation(theta: float) -> np.ndarray:
    """R(θ) = [[cos θ, −sin θ], [sin θ, cos θ]]."""
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, -s], [s, c]])


def rotation_z(theta: float) -> np.ndarray:
    """The book's R_z(θ) in R³ (rotation about the z-axis)."""
    out = np.eye(3)
    out[:2, :2] = rotation(theta)
    return out


def scaling(sx: float, sy: float) -> np.ndarray:
    """S = diag(s_x, s_y)."""
    return np.diag([float(sx), float(sy)])


def shear(k: float) -> np.ndarray:
    """Horizontal shear [[1, k], [0, 1]]."""
    return np.array([[1.0, float(k)], [0.0, 1.0]])


def projection(axis: int) -> np.ndarray:
    """P₁ = diag(1, 0) (onto the x-axis, ``axis`` = 0) or P₂ = diag(0, 1)."""
    out = np.zeros((2, 2))
    out[axis, axis] = 1.0
    return out


def polygon_area(points: np.ndarray) -> float:
    """Signed area of a closed polygon (m, 2) by the shoelace formula (counter-clockwise > 0)."""
    x, y = points[:, 0], points[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def unit_circle(n: int = 200) -> np.ndarray:
    """(n + 1, 2) points of the unit circle, closed."""
    t = np.linspace(0.0, 2 * math.pi, n + 1)
    return np.stack([np.cos(t), np.sin(t)], axis=1)


def unit_square() -> np.ndarray:
    """The unit square [0, 1]² as a counter-clockwise polygon (4, 2)."""
    return np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])


def letter_f() -> np.ndarray:
    """A letter "F" polygon (counter-clockwise) of area 0.34 inside [0, 0.6] × [0, 1]: it has
    no symmetry, so reflections and rotations are easy to tell apart."""
    return np.array([[0.0, 0.0], [0.2, 0.0], [0.2, 0.4], [0.5, 0.4], [0.5, 0.6],
                     [0.2, 0.6], [0.2, 0.8], [0.6, 0.8], [0.6, 1.0], [0.0, 1.0]])


def grid_lines(n: int = 5, extent: float = 1.0, samples: int = 2) -> np.ndarray:
    """The lines x = c and y = c, c in n steps over [−extent, extent], as one (k, 2) array
    of segments separated by NaN rows (draw with connect="finite")."""
    values = np.linspace(-extent, extent, n)
    s = np.linspace(-extent, extent, samples)
    pieces = []
    for c in values:
        pieces.append(np.stack([np.full_like(s, c), s], axis=1))
        pieces.append(np.stack([s, np.full_like(s, c)], axis=1))
    gap = np.full((1, 2), np.nan)
    return np.concatenate([np.concatenate([p, gap]) for p in pieces])


def apply(A: np.ndarray, points: np.ndarray) -> np.ndarray:
    """A applied to the rows of ``points`` (..., 2): x ↦ Ax (NaN rows stay NaN)."""
    return points @ np.asarray(A, dtype=float).T


def svd2(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A = U diag(s) Vᵀ with s descending; the sign of each pair (u_i, v_i) is fixed so that
    v_i has a non-negative first nonzero component (so the axes do not flip between frames)."""
    U, s, Vt = np.linalg.svd(np.asarray(A, dtype=float))
    for i in range(len(s)):
        row = Vt[i]
        nz = np.flatnonzero(np.abs(row) > 1e-12)
        if nz.size and row[nz[0]] < 0:
            Vt[i] *= -1
            U[:, i] *= -1
    return U, s, Vt


@dataclass(frozen=True)
class Eigen2:
    """Eigenvalues of a real 2×2 matrix and, when they are real, unit eigenvectors."""

    values: np.ndarray  # (2,) complex, ordered by real part descending
    vectors: np.ndarray | None  # (2, 2) columns, real; None for a complex pair
    real: bool
    defective: bool  # a repeated eigenvalue with a single eigen-direction


def eig2(A: np.ndarray) -> Eigen2:
    """Eigen-decomposition of a 2×2 matrix from its trace and determinant."""
    A = np.asarray(A, dtype=float)
    tr, det = float(np.trace(A)), float(np.linalg.det(A))
    disc = tr * tr / 4 - det
    scale = max(1.0, abs(tr) / 2, math.sqrt(abs(det)))
    if disc < -EIG_IMAG_TOL * scale * scale:
        im = math.sqrt(-disc)
        values = np.array([tr / 2 + 1j * im, tr / 2 - 1j * im])
        return Eigen2(values, None, False, False)
    root = math.sqrt(max(disc, 0.0))
    lams = [tr / 2 + root, tr / 2 - root]
    vectors = []
    for lam in lams:
        M = A - lam * np.eye(2)
        # a null vector of M: orthogonal to its larger row (M has rank ≤ 1)
        row = M[0] if np.linalg.norm(M[0]) >= np.linalg.norm(M[1]) else M[1]
        if np.linalg.norm(row) < 1e-12 * scale:
            v = np.array([1.0, 0.0]) if not vectors else np.array([0.0, 1.0])
        else:
            v = np.array([-row[1], row[0]])
        vectors.append(v / np.linalg.norm(v))
    V = np.stack(vectors, axis=1)
    defective = abs(np.linalg.det(V)) < 1e-9
    return Eigen2(np.array(lams, dtype=complex), V, True, defective)


def interpolate(A: np.ndarray, s: float) -> np.ndarray:
    """(1 − s) I + s A: the straight path from the identity to A (the morph animation)."""
    return (1.0 - s) * np.eye(2) + s * np.asarray(A, dtype=float)


def orbit(A: np.ndarray, x0: np.ndarray, steps: int, b: np.ndarray | None = None) -> np.ndarray:
    """x_0, …, x_steps of x_{t+1} = A x_t (+ b), as a (steps + 1, 2) array."""
    A = np.asarray(A, dtype=float)
    out = np.empty((steps + 1, len(x0)))
    out[0] = x0
    for t in range(steps):
        out[t + 1] = A @ out[t] + (0 if b is None else b)
    return out


def ellipse(a: float, b: float, n: int = 200, center=(0.0, 0.0)) -> np.ndarray:
    """(n + 1, 2) points of the axis-aligned ellipse (x/a)² + (y/b)² = 1, closed."""
    return unit_circle(n) * np.array([a, b]) + np.asarray(center, dtype=float)


def covariance_ellipse(cov: np.ndarray, k: float = 1.0, n: int = 200,
                       center=(0.0, 0.0)) -> np.ndarray:
    """(n + 1, 2) points of {x : (x − μ)ᵀ Σ⁻¹ (x − μ) = k²}: the k-sigma ellipse."""
    lam, V = np.linalg.eigh(np.asarray(cov, dtype=float))
    root = V @ np.diag(np.sqrt(np.maximum(lam, 0.0))) @ V.T
    return k * apply(root, unit_circle(n)) + np.asarray(center, dtype=float)


def spd_sqrt(S: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    lam, V = np.linalg.eigh(np.asarray(S, dtype=float))
    return V @ np.diag(np.sqrt(np.maximum(lam, 0.0))) @ V.T


def format_number(z: complex, digits: int = 4) -> str:
    """A real or complex number for a read-out: '0.5', '0.766 + 0.643i'."""
    z = complex(z)
    if abs(z.imag) <= 1e-12 * max(1.0, abs(z.real)):
        return f"{z.real:.{digits}g}"
    sign = "+" if z.imag >= 0 else "−"
    return f"{z.real:.{digits}g} {sign} {abs(z.imag):.{digits}g}i"


def format_vector(v, digits: int = 4) -> str:
    """(1, 2) style text of a real vector."""
    return "(" + ", ".join(f"{float(x):.{digits}g}" for x in v) + ")"


def expm2(M: np.ndarray) -> np.ndarray:
    """exp(M) of a real 2×2 matrix in closed form (far cheaper than scipy's expm).

    With s = tr M/2 and B = M − sI, B² = −det(B)·I, so exp(M) = e^s (c(q)I + S(q)B) where
    q = −det B: c = cosh √q, S = sinh(√q)/√q for q > 0; c = cos √−q, S = sin(√−q)/√−q for
    q < 0; c = 1, S = 1 at q = 0.
    """
    M = np.asarray(M, dtype=float)
    s = 0.5 * (M[0, 0] + M[1, 1])
    B = M - s * np.eye(2)
    q = -(B[0, 0] * B[1, 1] - B[0, 1] * B[1, 0])
    r = np.sqrt(abs(q))
    if q > 0:
        c, S = np.cosh(r), (np.sinh(r) / r if r > 1e-8 else 1.0 + q / 6)
    else:
        c, S = np.cos(r), np.sinc(r / np.pi)
    return np.exp(s) * (c * np.eye(2) + S * B)
