"""Small weighted graphs: presets, adjacency and Laplacian matrices, layouts (Qt-free).

A graph here is an (n, n) symmetric adjacency matrix A with non-negative weights and a zero
diagonal; its Laplacian is L = D − A with D = diag(A·1). The same objects feed the Chapter 2
graph dynamics (consensus ẋ = −Lx, the heat equation on a path), Chapter 1's Laplacian
spectrum and spectral embedding, and, directed, Chapter 7's Markov chains.
"""

from __future__ import annotations

import numpy as np

PRESETS = ("ring", "path", "complete", "star", "barbell", "random")


def from_edges(n: int, edges, weights=None) -> np.ndarray:
    """The symmetric adjacency matrix of an undirected edge list (weights default to 1)."""
    A = np.zeros((n, n))
    edges = np.asarray(edges, dtype=int).reshape(-1, 2)
    w = np.ones(len(edges)) if weights is None else np.asarray(weights, dtype=float)
    for (i, j), wij in zip(edges, w, strict=True):
        if i != j:
            A[i, j] = A[j, i] = wij
    return A


def ring(n: int) -> np.ndarray:
    """The cycle C_n."""
    return from_edges(n, [(i, (i + 1) % n) for i in range(n)])


def path(n: int) -> np.ndarray:
    """The path P_n."""
    return from_edges(n, [(i, i + 1) for i in range(n - 1)])


def complete(n: int) -> np.ndarray:
    """The complete graph K_n."""
    return np.ones((n, n)) - np.eye(n)


def star(n: int) -> np.ndarray:
    """Node 0 joined to every other node."""
    return from_edges(n, [(0, i) for i in range(1, n)])


def barbell(n: int) -> np.ndarray:
    """Two complete graphs on ⌈n/2⌉ and ⌊n/2⌋ nodes joined by one edge (two communities)."""
    a = (n + 1) // 2
    A = np.zeros((n, n))
    A[:a, :a] = complete(a)
    A[a:, a:] = complete(n - a)
    A[a - 1, a] = A[a, a - 1] = 1.0
    return A


def random_gnp(n: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Erdős–Rényi G(n, p): each pair joined with probability p."""
    upper = np.triu(rng.random((n, n)) < p, 1)
    A = upper.astype(float)
    return A + A.T


def make(name: str, n: int, p: float = 0.3, rng: np.random.Generator | None = None) -> np.ndarray:
    """A preset graph by name (one of PRESETS)."""
    if name == "ring":
        return ring(n)
    if name == "path":
        return path(n)
    if name == "complete":
        return complete(n)
    if name == "star":
        return star(n)
    if name == "barbell":
        return barbell(n)
    if name == "random":
        return random_gnp(n, p, rng if rng is not None else np.random.default_rng(0))
    raise ValueError(f"unknown graph {name!r} (choose from {', '.join(PRESETS)})")


def laplacian(A: np.ndarray) -> np.ndarray:
    """L = D − A."""
    A = np.asarray(A, dtype=float)
    return np.diag(A.sum(axis=1)) - A


def edge_list(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges (m, 2) with i < j and their weights (m,) of a symmetric adjacency matrix."""
    i, j = np.nonzero(np.triu(A, 1))
    return np.stack([i, j], axis=1), A[i, j]


def toggle_edge(A: np.ndarray, i: int, j: int, weight: float = 1.0) -> np.ndarray:
    """A copy of A with the edge {i, j} removed if present, else added with ``weight``."""
    if i == j:
        raise ValueError("a graph of this kind has no self-loops")
    B = np.array(A, dtype=float)
    B[i, j] = B[j, i] = 0.0 if B[i, j] != 0 else weight
    return B


def components(A: np.ndarray) -> int:
    """Number of connected components (= multiplicity of the Laplacian's eigenvalue 0)."""
    n = len(A)
    seen = np.zeros(n, dtype=bool)
    count = 0
    for s in range(n):
        if seen[s]:
            continue
        count += 1
        stack = [s]
        seen[s] = True
        while stack:
            k = stack.pop()
            for m in np.flatnonzero(A[k] != 0):
                if not seen[m]:
                    seen[m] = True
                    stack.append(m)
    return count


def circle_layout(n: int) -> np.ndarray:
    """Nodes on the unit circle, node 0 at the top, counter-clockwise."""
    a = np.pi / 2 + 2 * np.pi * np.arange(n) / n
    return np.stack([np.cos(a), np.sin(a)], axis=1)


def line_layout(n: int) -> np.ndarray:
    """Nodes on a horizontal line at x = 0, 1, …, n − 1."""
    return np.stack([np.arange(n, dtype=float), np.zeros(n)], axis=1)


def spring_layout(A: np.ndarray, seed: int = 0, iterations: int = 200) -> np.ndarray:
    """A force-directed (Fruchterman–Reingold) layout, deterministic for a seed, in [−1, 1]²."""
    n = len(A)
    if n == 1:
        return np.zeros((1, 2))
    rng = np.random.default_rng(seed)
    pos = circle_layout(n) + 0.05 * rng.standard_normal((n, 2))
    k = 1.0 / np.sqrt(n)
    temp = 0.1
    for _ in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.maximum(np.hypot(delta[..., 0], delta[..., 1]), 1e-3)
        force = (k * k / dist**2 - (A != 0) * dist / k)[..., None] * delta
        disp = force.sum(axis=1)
        length = np.maximum(np.hypot(disp[:, 0], disp[:, 1]), 1e-9)[:, None]
        pos += disp / length * np.minimum(length, temp)
        temp *= 0.98
    pos -= pos.mean(axis=0)
    return pos / max(np.abs(pos).max(), 1e-12)


def heat_flow(L: np.ndarray, x0: np.ndarray, t: float | np.ndarray,
              eig: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """e^{−tL}x0 through the eigendecomposition of the symmetric L (or the given ``eig`` =
    (eigenvalues, eigenvectors)); t scalar or (m,)."""
    lam, V = np.linalg.eigh(L) if eig is None else eig
    coef = V.T @ x0
    t = np.asarray(t, dtype=float)
    return (V * np.exp(-np.multiply.outer(t, lam))[..., None, :]) @ coef
