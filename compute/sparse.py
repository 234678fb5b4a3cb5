"""Sparse solutions of underdetermined systems Ax = b (§3.4.1–3.4.2): closed-form minimum-norm
points of a line in the plane, basis pursuit as a linear programme, ISTA for the Lasso."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def min_l2_on_line(a: Array, b: float) -> Array:
    """The point of a·x = b nearest the origin: aᵀ(aaᵀ)⁻¹b = a·b/|a|²."""
    a = np.asarray(a, dtype=float)
    return a * b / float(a @ a)


def min_l1_on_line(a: Array, b: float) -> Array:
    """A point of a·x = b of least ℓ1 norm: on the axis of the largest |a_j|, x_j = b/a_j.

    Unique iff |a₁| ≠ |a₂|; on a tie the first axis is returned (every point of the segment
    between the two axis points is then a minimiser).
    """
    a = np.asarray(a, dtype=float)
    j = int(np.argmax(np.abs(a)))
    x = np.zeros_like(a)
    x[j] = b / a[j]
    return x


def min_lp_on_line(a: Array, b: float, p: float) -> Array:
    """A point of a·x = b of least ℓp (quasi-)norm.

    p > 1: Hölder's equality case x_i ∝ sign(a_i)|a_i|^(1/(p−1)), scaled onto the line.
    p ≤ 1: the (quasi-)norm is concave along the line between the axes, so a minimiser is an
    axis point — the same as for ℓ1.
    """
    a = np.asarray(a, dtype=float)
    if p <= 1.0:
        return min_l1_on_line(a, b)
    d = np.sign(a) * np.abs(a) ** (1.0 / (p - 1.0))
    return d * b / float(a @ d)


def lp_norm(x: Array, p: float) -> Array:
    """(Σ|x_i|^p)^(1/p) over the last axis."""
    return (np.abs(x) ** p).sum(axis=-1) ** (1.0 / p)


def lp_sphere(radius: float, p: float, n: int = 257) -> Array:
    """(n, 2) points of the ℓp sphere of ``radius`` in the plane (a closed curve)."""
    t = np.linspace(0.0, 2.0 * math.pi, n)
    c, s = np.cos(t), np.sin(t)
    return radius * np.column_stack([np.sign(c) * np.abs(c) ** (2.0 / p),
                                     np.sign(s) * np.abs(s) ** (2.0 / p)])


def basis_pursuit(A: Array, b: Array) -> Array:
    """min ‖x‖₁ s.t. Ax = b as the LP min 1ᵀ(u + v), [A, −A](u; v) = b, u, v ≥ 0 (HiGHS)."""
    from scipy.optimize import linprog

    n = A.shape[1]
    res = linprog(np.ones(2 * n), A_eq=np.hstack([A, -A]), b_eq=b, bounds=(0, None),
                  method="highs")
    if res.status != 0:
        raise ValueError(f"basis pursuit LP failed: {res.message}")
    return res.x[:n] - res.x[n:]


def min_norm_solution(A: Array, b: Array) -> Array:
    """The minimum-ℓ2 solution A⁺b of Ax = b (dense in general)."""
    return np.linalg.lstsq(A, b, rcond=None)[0]


def soft_threshold(x: Array, t: float) -> Array:
    """sign(x)·max(|x| − t, 0), the proximal map of t‖·‖₁."""
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


def lasso_objective(A: Array, b: Array, w: Array, lam: float) -> float:
    """½‖Aw − b‖² + λ‖w‖₁."""
    r = A @ w - b
    return 0.5 * float(r @ r) + lam * float(np.abs(w).sum())


def ista_step(A: Array, b: Array, w: Array, lam: float, step: float) -> Array:
    """w ← S_{λs}(w − s·Aᵀ(Aw − b)); monotone in the Lasso objective for s ≤ 1/‖A‖²."""
    return soft_threshold(w - step * (A.T @ (A @ w - b)), lam * step)


def sparse_problem(n: int, m: int, k: int, matrix: str, rng: np.random.Generator
                   ) -> tuple[Array, Array]:
    """A (m, n) with unit-variance-per-column-scaled entries (Gaussian or ±1 Bernoulli, /√m)
    and a k-sparse x₀ with Gaussian non-zeros on a random support."""
    if matrix == "bernoulli":
        A = rng.choice([-1.0, 1.0], size=(m, n))
    else:
        A = rng.standard_normal((m, n))
    A /= math.sqrt(m)
    x0 = np.zeros(n)
    x0[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
    return A, x0


def recovered(x: Array, x0: Array, tol: float = 1e-4) -> bool:
    """Exact recovery up to solver tolerance: ‖x − x₀‖∞ ≤ tol·max(1, ‖x₀‖∞)."""
    return bool(np.abs(x - x0).max() <= tol * max(1.0, float(np.abs(x0).max())))


def sample_bound_rho(delta: Array) -> Array:
    """ρ = k/m on the curve m = 2k ln(n/k) at δ = m/n: the root of 2ρ ln(1/(ρδ)) = 1
    on its rising branch (recovery is expected below it; NaN where 2ρ ln(1/(ρδ)) < 1 for every
    ρ, i.e. the rule predicts recovery for all k), by bisection."""
    out = np.empty_like(np.asarray(delta, dtype=float))
    for i, d in enumerate(np.asarray(delta, dtype=float)):
        g = lambda r, d=d: 2.0 * r * math.log(1.0 / (r * d)) - 1.0  # noqa: E731
        top = 1.0 / (math.e * d)  # g is largest at ρ = 1/(eδ)
        top = min(top, 1.0)
        if g(top) < 0:
            out[i] = math.nan
            continue
        lo, hi = 1e-9, top
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if g(mid) < 0 else (lo, mid)
        out[i] = 0.5 * (lo + hi)
    return out


class LassoPath:
    """The exact Lasso path w(λ) of ½‖Aw − b‖² + λ‖w‖₁, one breakpoint per :meth:`step`
    (the homotopy / LARS-Lasso method of Osborne et al. and Efron et al.).

    Between breakpoints w is affine in λ: on the active set 𝒜 with signs s the optimality
    conditions A_𝒜ᵀ(b − Aw) = λs give w_𝒜(λ) = (A_𝒜ᵀA_𝒜)⁻¹(A_𝒜ᵀb − λs). Starting at
    λ_max = ‖Aᵀb‖∞ (w = 0 above it), λ decreases until an inactive correlation
    |a_jᵀ(b − Aw)| reaches λ (j joins) or an active coefficient reaches 0 (it leaves).
    The path stops at ``lam_min`` or once the active columns span Rᵐ.
    """

    def __init__(self, A: Array, b: Array, lam_min_ratio: float = 1e-3):
        self.A, self.b = np.asarray(A, dtype=float), np.asarray(b, dtype=float)
        c = self.A.T @ self.b
        self.lam = float(np.abs(c).max())
        self.lam_min = lam_min_ratio * self.lam
        self.w = np.zeros(self.A.shape[1])
        j = int(np.argmax(np.abs(c)))
        self.active = [j] if self.lam > 0 else []
        self.signs = {j: float(np.sign(c[j]))} if self.lam > 0 else {}
        self.lambdas = [self.lam]
        self.coefs = [self.w.copy()]
        self.done = self.lam <= 0.0

    def step(self) -> bool:
        """Advance to the next breakpoint (or to ``lam_min``); False once the path is done."""
        if self.done:
            return False
        A, act = self.A, self.active
        s = np.array([self.signs[j] for j in act])
        Aa = A[:, act]
        d = np.linalg.solve(Aa.T @ Aa, s)  # dw_𝒜/d(−λ)
        c = A.T @ (self.b - A @ self.w)  # correlations; |c_𝒜| = λ
        rate = A.T @ (Aa @ d)  # dc/d(−λ); = s on 𝒜
        lam, tiny = self.lam, 1e-12 * max(self.lam, 1e-300)
        t_best, event = lam - self.lam_min, None
        inactive = np.setdiff1d(np.arange(A.shape[1]), act)
        with np.errstate(divide="ignore", invalid="ignore"):
            for sign in (1.0, -1.0):  # c_j − t·rate_j = ±(λ − t)
                t = (lam - sign * c[inactive]) / (1.0 - sign * rate[inactive])
                ok = np.isfinite(t) & (t > tiny)
                if ok.any():
                    i = int(np.argmin(np.where(ok, t, np.inf)))
                    if t[i] < t_best:
                        t_best, event = float(t[i]), ("join", int(inactive[i]), sign)
            t_zero = -self.w[act] / d
            ok = np.isfinite(t_zero) & (t_zero > tiny)
            if ok.any():
                i = int(np.argmin(np.where(ok, t_zero, np.inf)))
                if t_zero[i] < t_best:
                    t_best, event = float(t_zero[i]), ("leave", act[i], 0.0)
        self.w[act] += t_best * d
        self.lam = lam - t_best
        if event is None:
            self.done = True
        elif event[0] == "join":
            act.append(event[1])
            self.signs[event[1]] = event[2]
            if len(act) >= min(A.shape):
                self.done = True
        else:
            self.w[event[1]] = 0.0
            act.remove(event[1])
            del self.signs[event[1]]
        self.lambdas.append(self.lam)
        self.coefs.append(self.w.copy())
        return True

    def at(self, lam: float) -> Array:
        """w(λ) on the part of the path computed so far (affine between breakpoints; zero
        above λ_max)."""
        lams = np.array(self.lambdas)
        if lam >= lams[0]:
            return np.zeros_like(self.w)
        if lam <= lams[-1]:
            return self.coefs[-1].copy()
        i = int(np.searchsorted(-lams, -lam))  # lams[i-1] > lam ≥ lams[i]
        u = (lams[i - 1] - lam) / (lams[i - 1] - lams[i])
        return (1 - u) * self.coefs[i - 1] + u * self.coefs[i]
