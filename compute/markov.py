"""Finite Markov chains with a row-stochastic P: μ_{n+1}ᵀ = μ_nᵀP (§7.4).

Stationary laws (left eigenvector, πᵀP = πᵀ), irreducibility and period from the graph of
non-zero entries, the spectrum and gap, total variation, detailed balance and Kolmogorov's
cycle criterion, the flux matrix, the power method on either side (the book's right
iteration π ← Pπ converges to the all-ones direction), damping (Google matrix), exact
rational stationary laws, and dynamic programming on graphs (Bellman, Dijkstra, absorbing
chains, forward marginals).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from fractions import Fraction

import numpy as np

from .params import ParamError


def normalise_rows(M: np.ndarray, name: str = "matrix") -> np.ndarray:
    """Rows scaled to sum to one (the editor's auto-normalisation); a matrix that is not
    square, has fewer than two states, a row of zeros or a negative entry is refused naming
    the parameter."""
    M = np.asarray(M, dtype=float)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ParamError(name, f"a transition matrix is square; this one is "
                               f"{M.shape[0]}×{M.shape[1] if M.ndim == 2 else 1}")
    if len(M) < 2:
        raise ParamError(name, "a chain needs at least two states")
    if np.any(M < 0):
        i, j = np.argwhere(M < 0)[0]
        raise ParamError(name, f"entry ({i + 1}, {j + 1}) is negative: transition "
                               "probabilities are ≥ 0")
    sums = M.sum(axis=1)
    if np.any(sums <= 0):
        i = int(np.flatnonzero(sums <= 0)[0])
        raise ParamError(name, f"row {i + 1} sums to 0: state {i} must go somewhere")
    return M / sums[:, None]


def reachable(P: np.ndarray, start: int) -> set[int]:
    seen, queue = {start}, deque([start])
    while queue:
        i = queue.popleft()
        for j in np.flatnonzero(P[i] > 0):
            if int(j) not in seen:
                seen.add(int(j))
                queue.append(int(j))
    return seen


def is_irreducible(P: np.ndarray) -> bool:
    """Every state reaches every other through positive entries (strong connectivity)."""
    n = len(P)
    return len(reachable(P, 0)) == n and len(reachable(P.T, 0)) == n


def irreducibility_problem(P: np.ndarray) -> str | None:
    """None if irreducible, else a sentence naming states that cannot reach each other."""
    n = len(P)
    for i in range(n):
        r = reachable(P, i)
        if len(r) < n:
            missing = sorted(set(range(n)) - r)
            return (f"the chain is reducible: state {i} never reaches state(s) "
                    f"{', '.join(map(str, missing[:5]))}, so the stationary law is not unique")
    return None


def period(P: np.ndarray) -> int:
    """gcd of the cycle lengths through state 0 (the period of an irreducible chain)."""
    level = {0: 0}
    queue = deque([0])
    g = 0
    while queue:
        i = queue.popleft()
        for j in np.flatnonzero(P[i] > 0):
            j = int(j)
            if j not in level:
                level[j] = level[i] + 1
                queue.append(j)
            else:
                g = math.gcd(g, level[i] + 1 - level[j])
    return abs(g) if g else 0


def stationary(P: np.ndarray) -> np.ndarray:
    """π with πᵀP = πᵀ, Σπ = 1 (unique for an irreducible chain)."""
    n = len(P)
    A = np.vstack([P.T - np.eye(n), np.ones((1, n))])
    b = np.concatenate([np.zeros(n), [1.0]])
    pi = np.linalg.lstsq(A, b, rcond=None)[0]
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def rational_stationary(P_rational: list[list[Fraction]]) -> list[Fraction]:
    """The exact stationary law of a chain given with rational entries (Gaussian
    elimination in fractions on πᵀ(P − I) = 0 with Σπ = 1)."""
    n = len(P_rational)
    rows = [[P_rational[j][i] - (1 if i == j else 0) for j in range(n)] + [Fraction(0)]
            for i in range(n - 1)]
    rows.append([Fraction(1)] * n + [Fraction(1)])
    for col in range(n):
        pivot = next(r for r in range(col, n) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col and rows[r][col] != 0:
                f = rows[r][col] / rows[col][col]
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [rows[i][n] / rows[i][i] for i in range(n)]


def spectrum(P: np.ndarray) -> np.ndarray:
    """Eigenvalues sorted by decreasing modulus (then by real part)."""
    w = np.linalg.eigvals(P)
    order = np.lexsort((-w.real, -np.round(np.abs(w), 12)))
    return w[order]


def second_modulus(P: np.ndarray) -> float:
    """|λ₂|: the largest modulus among the eigenvalues other than one copy of 1."""
    w = spectrum(P)
    idx = int(np.argmin(np.abs(w - 1.0)))
    rest = np.delete(w, idx)
    return float(np.max(np.abs(rest))) if rest.size else 0.0


def tv(mu: np.ndarray, nu: np.ndarray) -> float:
    """Total variation ½Σ|μ − ν|."""
    return 0.5 * float(np.abs(np.asarray(mu) - np.asarray(nu)).sum())


def steps_to_tv(P: np.ndarray, mu0: np.ndarray, pi: np.ndarray, tol: float,
                max_steps: int = 100_000) -> int:
    """The first n with ‖μ₀ᵀPⁿ − π‖_TV ≤ tol (−1 if not reached within max_steps)."""
    mu = np.asarray(mu0, dtype=float)
    for n in range(max_steps + 1):
        if tv(mu, pi) <= tol:
            return n
        mu = mu @ P
    return -1


def flux(P: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """F_ij = π_iP_ij − π_jP_ji: zero for every pair iff detailed balance holds."""
    Q = pi[:, None] * P
    return Q - Q.T


def is_reversible(P: np.ndarray, pi: np.ndarray, atol: float = 1e-12) -> bool:
    return bool(np.all(np.abs(flux(P, pi)) <= atol))


def cycle_products(P: np.ndarray, cycle: tuple[int, ...]) -> tuple[float, float]:
    """Kolmogorov's criterion on a cycle: (Π forward P, Π backward P); equal on every
    cycle iff the chain is reversible."""
    fwd = math.prod(P[cycle[i], cycle[(i + 1) % len(cycle)]] for i in range(len(cycle)))
    bwd = math.prod(P[cycle[(i + 1) % len(cycle)], cycle[i]] for i in range(len(cycle)))
    return float(fwd), float(bwd)


def google_matrix(P: np.ndarray, beta: float) -> np.ndarray:
    """G = βP + (1 − β)𝟙𝟙ᵀ/n: every non-unit eigenvalue of P is multiplied by β."""
    n = len(P)
    return beta * P + (1.0 - beta) / n


def lazy(P: np.ndarray, eps: float) -> np.ndarray:
    """(1 − ε)P + εI."""
    return (1.0 - eps) * P + eps * np.eye(len(P))


# -- the chains of §7.4 -------------------------------------------------------------------
def two_state() -> np.ndarray:
    return np.array([[0.8, 0.2], [0.3, 0.7]])


def three_cycle() -> np.ndarray:
    return np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])


def line_chain(n: int, alpha: float) -> np.ndarray:
    """P(i, i−1) = α, P(i, i+1) = 1 − α, with self-loops at the ends: P(0,0) = α,
    P(n−1,n−1) = 1 − α. Reversible with π_i ∝ ((1−α)/α)^i."""
    P = np.zeros((n, n))
    for i in range(n):
        P[i, max(i - 1, 0)] += alpha
        P[i, min(i + 1, n - 1)] += 1.0 - alpha
    return P


# -- dynamic programming on graphs (§7.4.1) -----------------------------------------------
def bellman_finite_horizon(cost: np.ndarray, T: int, target: int, gamma: float = 1.0,
                           maximise: bool = False) -> np.ndarray:
    """V_n(x) for n = T, T−1, …, 0 (rows), ``cost`` (n, n) with inf for no edge:
    V_T = 0 at the target and ±inf elsewhere; V_n(x) = opt_y {c(x, y) + γV_{n+1}(y)}, the
    target absorbing at zero cost (staying there is free)."""
    n = len(cost)
    bad = -np.inf if maximise else np.inf
    C = np.where(np.isfinite(cost), cost, bad)  # no edge: never chosen
    C[target, :] = bad
    C[target, target] = 0.0
    V = np.full((T + 1, n), bad)
    V[T, target] = 0.0
    for k in range(T - 1, -1, -1):
        cand = C + gamma * V[k + 1][None, :]
        V[k] = cand.max(axis=1) if maximise else cand.min(axis=1)
    return V


def dijkstra(cost: np.ndarray, target: int) -> np.ndarray:
    """Shortest-path costs to ``target`` (edges i → j with cost[i, j] < inf)."""
    n = len(cost)
    dist = np.full(n, np.inf)
    dist[target] = 0.0
    heap = [(0.0, target)]
    while heap:
        d, j = heapq.heappop(heap)
        if d > dist[j]:
            continue
        for i in range(n):
            c = cost[i, j]
            if np.isfinite(c) and d + c < dist[i]:
                dist[i] = d + c
                heapq.heappush(heap, (dist[i], i))
    return dist


def absorbing_expected_cost(P: np.ndarray, cost: np.ndarray, target: int) -> np.ndarray:
    """V = (I − Q)⁻¹c for a random routing P to an absorbing ``target``: Q is P restricted
    to the transient states, c the expected one-step cost Σ_y P(x, y)c(x, y)."""
    n = len(P)
    keep = [i for i in range(n) if i != target]
    Q = P[np.ix_(keep, keep)]
    step = np.array([np.sum(P[i] * np.where(P[i] > 0, cost[i], 0.0)) for i in keep])
    V = np.zeros(n)
    V[keep] = np.linalg.solve(np.eye(len(keep)) - Q, step)
    return V


def forward_marginals(P: np.ndarray, mu0: np.ndarray, T: int) -> np.ndarray:
    """μ_n for n = 0..T (rows), O(T·|S|²)."""
    out = [np.asarray(mu0, dtype=float)]
    for _ in range(T):
        out.append(out[-1] @ P)
    return np.array(out)
