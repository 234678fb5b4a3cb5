"""Integrators for ordinary differential equations ẏ = f(y), vectorised over many states.

Every integrator takes a batch of states ``y`` of shape (k, d) and a step ``h`` that is a
scalar or a (k, 1) array, so forward and backward trajectories (h < 0) advance together.
Explicit Euler and RK4 work for any system; leapfrog (velocity Verlet, kick–drift–kick)
needs a mechanical system y = (x, v) with ẋ = v, v̇ = a(x, v): it is symplectic when the
force does not depend on v, and stays explicit when it does (the damping force is taken at
the half-step velocity). :func:`stable_step` gives the largest step for which a method is
stable on the linearisation ẏ = Jy, which the experiments quote when a run blows up.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Field = Callable[[np.ndarray], np.ndarray]
"""f(y): (k, d) states -> (k, d) velocities."""

INTEGRATORS = ("euler", "rk4", "leapfrog")


def euler_step(f: Field, y: np.ndarray, h) -> np.ndarray:
    """One explicit Euler step y + h f(y) (first order)."""
    return y + h * f(y)


def rk4_step(f: Field, y: np.ndarray, h) -> np.ndarray:
    """One classical Runge–Kutta step (fourth order)."""
    k1 = f(y)
    k2 = f(y + 0.5 * h * k1)
    k3 = f(y + 0.5 * h * k2)
    k4 = f(y + h * k3)
    return y + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def leapfrog_step(f: Field, y: np.ndarray, h) -> np.ndarray:
    """One kick–drift–kick step of a mechanical system y = (x, v), f(y) = (v, a(x, v)).

    v½ = v + (h/2)a(x, v); x' = x + h v½; v' = v½ + (h/2)a(x', v½). For a(x) alone this
    is velocity Verlet: symplectic and time-reversible, the energy error stays bounded.
    """
    x, v = y[:, :1], y[:, 1:2]
    half = v + 0.5 * h * f(y)[:, 1:2]
    x1 = x + h * half
    y_mid = np.concatenate([x1, half], axis=1)
    v1 = half + 0.5 * h * f(y_mid)[:, 1:2]
    return np.concatenate([x1, v1], axis=1)


STEPPERS: dict[str, Callable[[Field, np.ndarray, object], np.ndarray]] = {
    "euler": euler_step,
    "rk4": rk4_step,
    "leapfrog": leapfrog_step,
}

ORDER = {"euler": 1, "rk4": 4, "leapfrog": 2}


def integrate(f: Field, y0: np.ndarray, h: float, n: int, method: str = "rk4") -> np.ndarray:
    """The states after 0, 1, …, n steps: an (n + 1, k, d) array (y0 is (k, d) or (d,))."""
    step = STEPPERS[method]
    y = np.atleast_2d(np.asarray(y0, dtype=float))
    out = np.empty((n + 1, *y.shape))
    out[0] = y
    for i in range(n):
        y = step(f, y, h)
        out[i + 1] = y
    return out


def one_step_matrix(method: str, J: np.ndarray, h: float) -> np.ndarray:
    """The linear map y ↦ y' of one step of ``method`` applied to ẏ = Jy."""
    J = np.asarray(J, dtype=float)
    d = J.shape[0]
    basis = np.eye(d)
    step = STEPPERS[method]
    return step(lambda y: y @ J.T, basis, h).T


def amplification(method: str, J: np.ndarray, h: float) -> float:
    """Spectral radius of the one-step map: above 1 the numerical solution grows."""
    return float(np.max(np.abs(np.linalg.eigvals(one_step_matrix(method, J, h)))))


def stable_step(method: str, J: np.ndarray, h_max: float = 1e3) -> float:
    """The largest step h (up to ``h_max``) for which ``method`` does not amplify ẏ = Jy.

    Found by bisection on the spectral radius of the one-step map, which is ≤ 1 on an
    interval (0, h*] for the methods here. Returns 0.0 when no step is stable (explicit
    Euler on an undamped rotation, or a system whose own solutions grow).
    """
    tol = 1e-12
    hi = h_max
    if amplification(method, J, hi) <= 1 + tol:
        return h_max
    # a small step, yet large enough that a growth factor 1 + O(h²) shows above round-off
    lo = 1e-3 / max(float(np.abs(J).max()), 1e-12)
    if amplification(method, J, lo) > 1 + tol:
        return 0.0
    for _ in range(45):
        mid = 0.5 * (lo + hi)
        if amplification(method, J, mid) <= 1 + tol:
            lo = mid
        else:
            hi = mid
    return lo


def blow_up_reason(method: str, J: np.ndarray, h: float) -> str:
    """Why a run grew without bound, for a message: the step (with the stable step) or
    the system itself (an eigenvalue with positive real part)."""
    lam = np.linalg.eigvals(np.asarray(J, dtype=float))
    top = lam[np.argmax(lam.real)]
    if top.real > 1e-12:
        return (f"the system itself grows: the Jacobian has the eigenvalue {_complex(top)} "
                f"with positive real part, so solutions grow like exp({top.real:.3g} t)")
    h_star = stable_step(method, J)
    name = {"euler": "explicit Euler", "rk4": "RK4", "leapfrog": "leapfrog"}[method]
    if h_star <= 0:
        return (f"{name} is unstable at every step for the Jacobian eigenvalues "
                f"{', '.join(_complex(v) for v in lam)}; use rk4 or leapfrog")
    return (f"{name} is unstable at dt = {abs(h):.3g} for the Jacobian eigenvalues "
            f"{', '.join(_complex(v) for v in lam)}: the stable step is dt < {h_star:.3g}")


def _complex(z: complex) -> str:
    z = complex(z)
    if abs(z.imag) < 1e-12:
        return f"{z.real:.3g}"
    sign = "+" if z.imag >= 0 else "−"
    return f"{z.real:.3g} {sign} {abs(z.imag):.3g}i"
