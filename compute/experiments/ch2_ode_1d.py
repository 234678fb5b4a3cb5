"""§2.2.1 (eq. 2.4, Exercise 2.2.1): ẋ = f(t), an ODE solved by integration."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ..experiment import Diverged, Experiment, Frame
from ..history import History
from ..ode import STEPPERS
from ..params import Choice, Float
from ..registry import register
from ..views import Curves, Readout, Series

CURVE_POINTS = 500
BLOW_UP = 1e12


def forcing(case: str, a: float, t: np.ndarray) -> np.ndarray:
    """f(t) = sin(at) (case I) or exp(at) (case II)."""
    return np.sin(a * t) if case == "sin" else np.exp(a * t)


def explicit_solution(case: str, a: float, x0: float, t: np.ndarray) -> np.ndarray:
    """x(t) = x₀ + ∫₀ᵗ f: x₀ + (1 − cos at)/a for sin(at) (x₀ at a = 0), and
    x₀ + (e^{at} − 1)/a for exp(at) (x₀ + t at a = 0)."""
    t = np.asarray(t, dtype=float)
    if case == "sin":
        # (1 − cos at)/a = 2 sin²(at/2)/a = a t² sinc²(at/2π)/2, smooth through a = 0
        return x0 + 0.5 * a * t * t * np.sinc(a * t / (2 * np.pi)) ** 2
    return x0 + t * np.where(a * t == 0, 1.0, np.expm1(a * t) / np.where(a * t == 0, 1.0, a * t))


def adaptive_solution(case: str, a: float, x0: float, T: float) -> tuple[np.ndarray, np.ndarray]:
    """scipy's adaptive RK45 (rtol 1e-9) on [0, T]: its own step times and values."""
    from scipy.integrate import solve_ivp

    sol = solve_ivp(lambda t, x: [forcing(case, a, np.array(t))], (0.0, T), [x0],
                    method="RK45", rtol=1e-9, atol=1e-12)
    return sol.t, sol.y[0]


@register
class Ode1DExplicit(Experiment):
    id = "ch2.ode-1d-explicit"
    title = "ẋ = f(t): solving an ODE by integration"
    section = "2.2.1"
    family = "phase portrait"
    summary = ("ẋ = sin(at) stays bounded, ẋ = exp(at) grows or levels off: numerical "
               "integration against the closed forms, and the order of each method.")
    explanation = (
        "When the right-hand side depends on time only, the ODE is solved by integration: "
        "x(t) = x₀ + ∫₀ᵗ f(s) ds. For f = sin(at), x = x₀ + (1 − cos at)/a oscillates between "
        "x₀ and x₀ + 2/a; for f = exp(at), x = x₀ + (exp(at) − 1)/a grows exponentially when "
        "a > 0, levels off at x₀ + 1/|a| when a < 0, and grows linearly, x₀ + t, at a = 0. "
        "Drag a through 0 to see bounded → linear → exponential. The numerical solution "
        "(Euler, RK4 or scipy's adaptive RK45) is drawn over the closed form; its error on a "
        "log axis shows the order: halving dt halves Euler's error and divides RK4's by 16."
    )
    equations = (
        r"$\dot x = f(t),\qquad x(t) = x_0 + \int_0^t f(s)\,ds$",
        r"$f = \sin(at):\quad x = x_0 + \frac{1 - \cos(at)}{a}$",
        r"$f = e^{at}:\quad x = x_0 + \frac{e^{at} - 1}{a}\ \to\ x_0 + \frac{1}{|a|}"
        r"\ (a < 0)$",
    )
    params = (
        Choice("case", "sin", ("sin", "exp"), label="f(t)",
               help="sin: ẋ = sin(at) (case I); exp: ẋ = exp(at) (case II)."),
        Float("a", 1.0, -3.0, 3.0, label="a", help="Rate a; a change restarts."),
        Float("x0", 0.0, -3.0, 3.0, label="x₀", help="Start."),
        Float("T", 10.0, 1.0, 50.0, label="horizon T"),
        Float("dt", 0.01, 1e-4, 0.5, log=True, label="dt", help="Time step (Euler, RK4)."),
        Choice("integrator", "euler", ("euler", "rk4", "adaptive"), live=True,
               help="euler; rk4; adaptive: scipy's RK45 with its own steps (rtol 1e-9)."),
    )
    views = (
        Curves("x_t", "x(t): numerical over the closed form",
               series=(Series("x_exact_curve", x="t_curve", label="closed form"),
                       Series("x_hist", x="t_hist", label="numerical")),
               hlines=("bound_low", "bound_high"), xlabel="t", ylabel="x"),
        Curves("f_t", "The right-hand side f(t)",
               series=(Series("f_curve", x="t_curve", label="f(t)"),),
               xlabel="t", ylabel="f"),
        Curves("error", "|x_numerical − x_exact| (log axis)",
               series=(Series("err_hist", x="t_hist", label="error"),),
               xlabel="t", ylabel="error", logy=True),
        Readout("readout", "ẋ = f(t)", area="bottom", lines=(
            ("behaviour", "behaviour", "{}"),
            ("x_now", "x(t) now", "{:.6g}"),
            ("err_now", "error now", "{:.2e}"),
        )),
    )
    frame_fields = {
        "x": "the numerical x(t)", "t_curve": "(500,) times over [0, T]",
        "x_exact_curve": "(500,) the closed form", "f_curve": "(500,) f(t)",
        "t_hist": "(m,) times", "x_hist": "(m,) numerical x", "err_hist": "(m,) error",
        "bound_low": "x₀ + min(0, 2/a) (case I) or NaN",
        "bound_high": "x₀ + max(0, 2/a) (case I) or the asymptote x₀ + 1/|a| (case II, a < 0)",
        "behaviour": "read-out", "x_now": "x now", "err_now": "error now",
    }
    history_fields = ("t_hist", "x_hist", "err_hist")
    nonfinite_fields = frozenset({"bound_low", "bound_high", "err_hist"})
    default_steps_per_frame = 5

    def frames(self) -> Iterator[Frame]:
        p = self.p
        case, a, x0, T = p["case"], p["a"], p["x0"], p["T"]
        self.t_curve = np.linspace(0.0, T, CURVE_POINTS)
        self.x_curve = explicit_solution(case, a, x0, self.t_curve)
        self.f_curve = forcing(case, a, self.t_curve)
        if case == "sin":
            lo, hi = (x0, x0 + 2 / a) if a > 0 else (x0 + 2 / a, x0) if a < 0 else (x0, x0)
            self.behaviour = (f"bounded, between {lo:.4g} and {hi:.4g}" if a else
                              "x stays at x₀ (f = 0)")
        else:
            lo, hi = math.nan, (x0 + 1 / abs(a) if a < 0 else math.nan)
            self.behaviour = ("exponential growth" if a > 0 else "linear growth x₀ + t"
                              if a == 0 else f"levels off at x₀ + 1/|a| = {hi:.4g}")
        self.bounds = (lo, hi)
        hist = History(shape=(2,), capacity=4096)
        hist.append(0.0, (x0, math.nan))
        t, x, step = 0.0, x0, 0
        adaptive = None
        yield self._frame(step, t, x, hist)

        def f(y: np.ndarray) -> np.ndarray:  # (x, t) with ṫ = 1
            return np.stack([forcing(case, a, y[:, 1]), np.ones(len(y))], axis=1)

        while t < T - 1e-12:
            method = self.p["integrator"]
            if method == "adaptive":
                if adaptive is None:
                    adaptive = adaptive_solution(case, a, x0, T)
                ts, xs = adaptive  # reveal the solver's own steps as time goes on
                k = min(int(np.searchsorted(ts, t, side="right")) + self.steps_per_frame - 1,
                        len(ts) - 1)
                t, x = float(ts[k]), float(xs[k])
                step += 1
            else:
                for _ in range(self.steps_per_frame):
                    if t >= T - 1e-12:
                        break
                    h = min(self.p["dt"], T - t)
                    x = float(STEPPERS[method](f, np.array([[x, t]]), h)[0, 0])
                    t += h
                    step += 1
            if not math.isfinite(x) or abs(x) > BLOW_UP:
                raise Diverged(step, f"x passed 1e12: ẋ = exp(at) with a = {a:g} > 0 makes x "
                               f"grow like exp({a:g}t)/{a:g} (the equation itself, not the "
                               "step); shorten T")
            exact = float(explicit_solution(case, a, x0, np.array(t)))
            hist.append(t, (x, max(abs(x - exact), 1e-17)))
            yield self._frame(step, t, x, hist)

    def _frame(self, step: int, t: float, x: float, hist: History) -> Frame:
        v = hist.values
        return {
            "step": step, "t": t, "x": x, "t_curve": self.t_curve,
            "x_exact_curve": self.x_curve, "f_curve": self.f_curve, "t_hist": hist.x,
            "x_hist": v[:, 0], "err_hist": v[:, 1], "bound_low": self.bounds[0],
            "bound_high": self.bounds[1], "behaviour": self.behaviour, "x_now": x,
            "err_now": float(v[-1, 1]) if len(v) > 1 else 0.0,
        }
