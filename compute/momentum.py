"""Momentum on a quadratic, mode by mode: the linear iteration of GD, heavy ball (3.10) and
Nesterov (3.11) on f = ½hθ², its eigenvalues, where it is stable, where heavy ball is
critically damped, the tuned parameters, and the damped oscillator it approximates.

With a = ηh and the velocity v_t = θ_t − θ_{t−1}, one step maps (θ_t, v_t) linearly:

* GD: θ' = (1 − a)θ, v' = −aθ;
* heavy ball: v' = βv − aθ, θ' = θ + v' (characteristic polynomial z² − (1 + β − a)z + β);
* Nesterov: θ' = (1 − a)(θ + βv), v' = θ' − θ (z² − (1 − a)(1 + β)z + (1 − a)β).

GD is heavy ball with β = 0. Counting time in steps, the second differences give the damped
oscillator θ″ + γθ′ + aθ = 0 with γ = 1 − β (heavy ball) or γ = 1 − β + βa (Nesterov's extra
Hessian damping); with time step h, η = h² and γ_phys = (1 − β)/h it is θ″ + γ_phys θ′ + ∇f = 0.
The spectral radius itself is :func:`compute.experiments.ch3_optimizer_zoo.iteration_radius`.
"""

from __future__ import annotations

import math

import numpy as np

METHODS = ("GD", "heavy-ball", "Nesterov")


def iteration_matrix(method: str, eta: float, beta: float | np.ndarray, h: float) -> np.ndarray:
    """The 2×2 matrix M with (θ_{t+1}, v_{t+1}) = M (θ_t, v_t) on f = ½hθ² (for an array
    of β, a stack of matrices of shape (..., 2, 2))."""
    a = eta * h
    b = np.asarray(beta, dtype=float)
    M = np.empty((*b.shape, 2, 2))
    M[..., 0, 0], M[..., 1, 0] = 1.0 - a, -a
    if method == "GD":
        M[..., 0, 1] = M[..., 1, 1] = 0.0
    elif method == "heavy-ball":
        M[..., 0, 1] = M[..., 1, 1] = b
    elif method == "Nesterov":
        M[..., 0, 1] = M[..., 1, 1] = (1.0 - a) * b
    else:
        raise ValueError(f"unknown method {method!r} (choose from {', '.join(METHODS)})")
    return M


def iteration_eigenvalues(method: str, eta: float, beta: float | np.ndarray,
                          h: float) -> np.ndarray:
    """The two eigenvalues of :func:`iteration_matrix` (complex, shape (..., 2)): the one
    with the larger modulus first, of a complex pair the one with Im ≥ 0."""
    z = np.linalg.eigvals(iteration_matrix(method, eta, beta, h)).astype(complex)
    key = np.abs(z) + 1e-9 * np.sign(z.imag)  # larger modulus first, then Im ≥ 0
    return np.take_along_axis(z, np.argsort(-key, axis=-1), axis=-1)


def stability_limit(method: str, beta: float) -> float:
    """For 0 ≤ β < 1, the iteration contracts iff 0 < a = ηh < this bound: GD 2, heavy
    ball 2(1 + β), Nesterov (2 + 2β)/(1 + 2β) (where an eigenvalue crosses z = −1)."""
    if method == "GD":
        return 2.0
    if method == "heavy-ball":
        return 2.0 * (1.0 + beta)
    if method == "Nesterov":
        return (2.0 + 2.0 * beta) / (1.0 + 2.0 * beta)
    raise ValueError(f"unknown method {method!r}")


def critical_beta(a: float) -> float | None:
    """Heavy ball's critical damping β = (1 − √a)² for 0 < a < 1 (the double root
    z = 1 − √a); above it the eigenvalues are complex (a spiral), below real (a node)."""
    if not 0.0 < a < 1.0:
        return None
    return (1.0 - math.sqrt(a)) ** 2


def tuned(method: str, mu: float, L: float) -> tuple[float, float, float]:
    """(η, β, rate) of the classical tuning for curvatures in [μ, L], κ = L/μ.

    Heavy ball: η = 4/(√L + √μ)², β = ((√κ − 1)/(√κ + 1))², rate (√κ − 1)/(√κ + 1).
    Nesterov: η = 1/L, β = (√κ − 1)/(√κ + 1), rate 1 − 1/√κ (a double root on the μ mode).
    GD: η = 2/(μ + L), rate (κ − 1)/(κ + 1).
    """
    q = math.sqrt(L / mu)
    if method == "heavy-ball":
        rate = (q - 1) / (q + 1)
        return 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2, rate * rate, rate
    if method == "Nesterov":
        return 1.0 / L, (q - 1) / (q + 1), 1.0 - 1.0 / q
    if method == "GD":
        return 2.0 / (mu + L), 0.0, (q * q - 1) / (q * q + 1)
    raise ValueError(f"unknown method {method!r}")


def continuous_damping(method: str, eta: float, beta: float, h: float) -> float:
    """γ of the damped oscillator θ″ + γθ′ + ηhθ = 0 (time in steps) that the method
    approximates: 1 − β for heavy ball (1 for GD, its β = 0), 1 − β + βηh for Nesterov."""
    if method == "GD":
        return 1.0
    if method == "heavy-ball":
        return 1.0 - beta
    if method == "Nesterov":
        return 1.0 - beta + beta * eta * h
    raise ValueError(f"unknown method {method!r}")
