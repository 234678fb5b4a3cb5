"""§2.2.1 (eq. 2.4, Exercises 2.2.1–2.2.2): ẋ = f(t), solved by integration, and
autonomous ẋ = f(x) on the phase line."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ..experiment import Diverged, Experiment, Frame
from ..history import History
from ..ode import STEPPERS
from ..params import Choice, Float, Int
from ..registry import register
from ..views import Curves, Heatmap, Readout, Series

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


AUTONOMOUS_CASES = ("sin", "exp", "classifier", "moving")
X_MAX = 50.0  # a trajectory beyond this has blown up (case II): it stops there


def autonomous_rhs(case: str, a: float, amp: float, omega: float, x: np.ndarray,
                   t: np.ndarray | float) -> np.ndarray:
    """ẋ = sin(ax), exp(ax), x − x³, or (x − c) − (x − c)³ with c(t) = A sin ωt."""
    if case == "sin":
        return np.sin(a * x)
    if case == "exp":
        return np.exp(np.minimum(a * x, 700.0))
    c = amp * np.sin(omega * t) if case == "moving" else 0.0
    u = x - c
    return u - u**3


def sin_solution(a: float, x0: np.ndarray, t: float) -> np.ndarray:
    """Case I by separation of variables: tan(ax/2) = tan(ax₀/2)e^{at}, on the branch of
    x₀ (x stays between the fixed points kπ/a around it)."""
    x0 = np.asarray(x0, dtype=float)
    k = np.round(a * x0 / (2 * np.pi))
    u0 = a * x0 / 2 - k * np.pi  # in [−π/2, π/2]
    return 2 * (k * np.pi + np.arctan(np.tan(u0) * np.exp(a * t))) / a


def exp_solution(a: float, x0: np.ndarray, t: float) -> np.ndarray:
    """Case II: x = −ln(e^{−ax₀} − at)/a (NaN after the blow-up time e^{−ax₀}/a, a > 0)."""
    arg = np.exp(-a * np.asarray(x0, dtype=float)) - a * t
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(arg > 0, -np.log(np.where(arg > 0, arg, 1.0)) / a, np.nan)


def stable_fixed_points(a: float, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Fixed points kπ/a of sin(ax) in [lo, hi], split into stable (f' = a(−1)^k < 0) and
    unstable ones."""
    if a == 0:
        return np.empty(0), np.empty(0)
    k = np.arange(math.ceil(min(lo * a, hi * a) / math.pi),
                  math.floor(max(lo * a, hi * a) / math.pi) + 1)
    pts = k * math.pi / a + 0.0  # (+0.0: no "−0")
    stable = a * (-1.0) ** k < 0
    return np.sort(pts[stable]), np.sort(pts[~stable])


@register
class Ode1DAutonomous(Experiment):
    id = "ch2.ode-1d-autonomous"
    title = "Autonomous 1D ODEs: phase line, fixed points, an ODE as a classifier"
    section = "2.2.1"
    family = "phase portrait"
    summary = ("ẋ = f(x): particles slide along the phase line to the stable fixed points "
               "(f' < 0); ẋ = exp(ax) blows up in finite time; x − x³ classifies by sign.")
    explanation = (
        "An autonomous ODE ẋ = f(x) moves x along the line in the direction of the sign of "
        "f, so the picture of f against x, the phase line, tells everything: zeros of f are "
        "fixed points, stable where f' < 0 (filled) and unstable where f' > 0. For "
        "ẋ = sin(ax) the fixed points are kπ/a with f' = a(−1)ᵏ; each start goes to the "
        "stable point of its basin and never crosses a fixed point. Flip the sign of a and "
        "stable and unstable swap. ẋ = exp(ax) has no fixed point; for a > 0 the solution "
        "x = −ln(exp(−ax₀) − at)/a blows up at the finite time t* = exp(−ax₀)/a. The ODE "
        "ẋ = x − x³ is a classifier: it sends x₀ > 0 to +1 and x₀ < 0 to −1. With a moving "
        "boundary c(t) = A sin ωt the particles follow c(t) ± 1 while ω is small and fail "
        "to keep up as ω grows."
    )
    equations = (
        r"$\dot x = f(x):\ f(x^*) = 0,\ \mathrm{stable\ iff}\ f'(x^*) < 0$",
        r"$\dot x = \sin(ax):\ \tan\frac{ax}{2} = \tan\frac{ax_0}{2}\,e^{at},\quad"
        r" x^* = \frac{k\pi}{a}$",
        r"$\dot x = e^{ax}:\ x = -\frac{1}{a}\ln(e^{-ax_0} - at),\quad"
        r" t^* = \frac{e^{-ax_0}}{a}$",
        r"$\dot x = (x - c) - (x - c)^3,\quad c(t) = A\sin\omega t$",
    )
    params = (
        Choice("case", "sin", AUTONOMOUS_CASES, label="f(x)",
               help="sin: ẋ = sin(ax); exp: ẋ = exp(ax); classifier: ẋ = x − x³; moving: "
                    "ẋ = (x − c) − (x − c)³, c = A sin ωt."),
        Float("a", 1.0, -3.0, 3.0, label="a", help="Rate a of sin(ax) and exp(ax)."),
        Int("n_ic", 21, 1, 200, label="starts", help="Initial conditions, evenly spread."),
        Float("T", 10.0, 1.0, 50.0, label="horizon T"),
        Float("dt", 1e-3, 1e-4, 0.1, log=True, live=True, label="dt", help="Time step."),
        Choice("integrator", "rk4", ("euler", "rk4"), live=True, help="euler or rk4."),
        Float("A", 0.5, 0.0, 2.0, label="A", help="Amplitude of the moving boundary."),
        Float("omega", 1.0, 0.0, 5.0, label="ω", help="Frequency of the moving boundary."),
    )
    views = (
        Curves("phase_line", "Phase line: f(x) against x, fixed points, particles",
               series=(Series("f_curve", x="x_grid", label="f(x)"),
                       Series("stable_y", x="stable_x", label="stable, f′ negative",
                              style="dots"),
                       Series("unstable_y", x="unstable_x", label="unstable, f′ positive",
                              style="dots"),
                       Series("particles_f", x="x", label="particles", style="dots")),
               hlines=("zero",), xlabel="x", ylabel="ẋ = f(x)"),
        Curves("fan", "x(t) of every start, coloured by where it ends",
               series=(Series("x_hist", x="t_hist", label="trajectories", style="fan",
                              classes="limit_class"),
                       Series("boundary_hist", x="t_hist", label="boundary c(t)")),
               xlabel="t", ylabel="x"),
        Heatmap("sign_map", "sign f(t, x) for the moving boundary, with the trajectories",
                field="sign_map", extent="sign_extent", levels=(-1.0, 1.0),
                colormap="CET-D1", paths="sign_paths", path_label="trajectories x(t)",
                xlabel="t", ylabel="x"),
        Curves("blow_up", "Blow-up time t* against x₀",
               series=(Series("t_star_exact", x="x0_grid", label="exp(−ax₀)/a"),
                       Series("t_star", x="x0", label="numerical", style="dots")),
               xlabel="x₀", ylabel="t*", logy=True),
        Readout("readout", "Autonomous ODE", area="bottom", lines=(
            ("fixed_text", "fixed points", "{}"),
            ("outcome", "where the starts went", "{}"),
        )),
    )
    frame_fields = {
        "x": "(k,) positions (NaN once blown up)", "x0": "(k,) the starts",
        "x_grid": "(400,) x grid", "f_curve": "(400,) f(x) (at the current t for moving)",
        "stable_x": "(s,) stable fixed points", "stable_y": "(s,) zeros",
        "unstable_x": "(u,) unstable fixed points", "unstable_y": "(u,) zeros",
        "particles_f": "(k,) f at the particles", "zero": "0",
        "t_hist": "(m,) times", "x_hist": "(k, m) trajectories",
        "limit_class": "(k,) index of the stable point (or sign) each start goes to",
        "boundary_hist": "(m,) c(t) (NaN unless moving)",
        "sign_map": "(n, m) sign of f over (t, x)", "sign_extent": "(4,) 0, T, xmin, xmax",
        "sign_paths": "(k, m, 2) the trajectories as (t, x) paths over the sign map",
        "x0_grid": "(200,) x₀ grid", "t_star_exact": "(200,) exp(−ax₀)/a",
        "t_star": "(k,) numerical blow-up times (NaN: not blown up)",
        "fixed_text": "read-out", "outcome": "read-out",
    }
    history_fields = ("t_hist", "x_hist", "boundary_hist")
    nonfinite_fields = frozenset({"x", "x_hist", "particles_f", "boundary_hist", "t_star",
                                  "sign_paths",
                                  "t_star_exact", "f_curve"})
    default_steps_per_frame = 20

    @classmethod
    def hidden_views(cls, p) -> frozenset[str]:
        hidden = set()
        if p["case"] != "moving":
            hidden.add("sign_map")
        if p["case"] != "exp" or p["a"] <= 0:
            hidden.add("blow_up")
        return frozenset(hidden)

    def _span(self) -> tuple[float, float]:
        return (-2.0, 2.0) if self.p["case"] in ("classifier", "moving") \
            else (-2 * math.pi, 2 * math.pi)

    def _f(self, x: np.ndarray, t) -> np.ndarray:
        p = self.p
        return autonomous_rhs(p["case"], p["a"], p["A"], p["omega"], x, t)

    def frames(self) -> Iterator[Frame]:
        p = self.p
        lo, hi = self._span()
        k = p["n_ic"]
        x0 = np.linspace(lo, hi, k) if k > 1 else np.array([0.5 * (lo + hi) + 0.1])
        self.x0 = x0
        self.x_grid = np.linspace(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo), 400)
        if p["case"] == "sin":
            self.stable, self.unstable = stable_fixed_points(p["a"], *self.x_grid[[0, -1]])
        elif p["case"] in ("classifier", "moving"):
            self.stable, self.unstable = np.array([-1.0, 1.0]), np.array([0.0])
        else:
            self.stable = self.unstable = np.empty(0)
        self.fixed_text = self._fixed_text()
        T = p["T"]
        self.sign_extent = np.array([0.0, T, lo, hi])
        tt, xx = np.meshgrid(np.linspace(0, T, 300), np.linspace(lo, hi, 200))
        self.sign_map = np.sign(self._f(xx, tt)) if p["case"] == "moving" \
            else np.zeros((2, 2))
        self.x0_grid = np.linspace(lo, hi, 200)
        a = p["a"]
        self.t_star_exact = np.exp(-a * self.x0_grid) / a if p["case"] == "exp" and a > 0 \
            else np.full(200, np.nan)
        self.t_star = np.full(k, np.nan)
        self.hist = History(shape=(k + 1,), capacity=4096)
        x, t, step = x0.copy(), 0.0, 0
        self._record(x, t)
        yield self._frame(step, x, t)
        while t < T - 1e-12:
            stepper = STEPPERS[self.p["integrator"]]

            def f(y: np.ndarray) -> np.ndarray:  # (x, t) with ṫ = 1
                return np.stack([self._f(y[:, 0], y[:, 1]), np.ones(len(y))], axis=1)

            for _ in range(self.steps_per_frame):
                if t >= T - 1e-12:
                    break
                h = min(self.p["dt"], T - t)
                alive = np.isfinite(x)
                y = stepper(f, np.stack([x[alive], np.full(alive.sum(), t)], axis=1), h)
                x[alive] = y[:, 0]
                t += h
                step += 1
                gone = alive & ~(np.abs(np.where(np.isfinite(x), x, np.inf)) < X_MAX)
                self.t_star[gone] = t
                x[gone] = np.nan
            self._record(x, t)
            yield self._frame(step, x, t)

    def _fixed_text(self) -> str:
        case = self.p["case"]
        if case == "exp":
            return "none: exp(ax) > 0 everywhere"
        if case == "sin" and self.p["a"] == 0:
            return "every x (f = 0)"
        fmt = ", ".join
        return (f"stable {fmt(f'{v:.3g}' for v in self.stable)}; "
                f"unstable {fmt(f'{v:.3g}' for v in self.unstable)}"
                + (" (around c(t))" if case == "moving" else ""))

    def _record(self, x: np.ndarray, t: float) -> None:
        p = self.p
        c = self._boundary(t) if p["case"] == "moving" else math.nan
        self.hist.append(t, (*x, c))

    def _boundary(self, t: float) -> float:
        p = self.p
        return p["A"] * math.sin(p["omega"] * t) if p["case"] == "moving" else 0.0

    def _classes(self, x: np.ndarray, t: float) -> np.ndarray:
        """The stable point each trajectory heads for (its nearest; for the moving
        boundary, the side of c(t) it is on), len(stable) once blown up."""
        if not len(self.stable):
            return np.where(np.isfinite(x), 0, 1)
        if self.p["case"] == "moving":
            return np.where(x >= self._boundary(t), 1, 0)
        d = np.abs(np.where(np.isfinite(x), x, 1e9)[:, None] - self.stable[None])
        return np.where(np.isfinite(x), np.argmin(d, axis=1), len(self.stable))

    def tracking_error(self) -> float:
        """How far the particles stay from the point c(t) + sign(x₀) they should follow:
        the mean of |x − c(t) − sign(x₀)| over the particles and the last quarter of the
        run so far (small: tracking; about 1: lost)."""
        v = self.hist.values
        rows = v[len(v) - max(1, len(v) // 4):]
        target = rows[:, -1:] + np.sign(self.x0)[None]
        return float(np.nanmean(np.abs(rows[:, :-1] - target)))

    def _frame(self, step: int, x: np.ndarray, t: float) -> Frame:
        v = self.hist.values
        x_hist = v[:, :-1].T.copy()
        classes = self._classes(x, t)
        counts = np.bincount(classes, minlength=len(self.stable) + 1)
        names = [f"{s:.3g}" for s in self.stable] or ["finite"]
        parts = [f"{n}: {c}" for n, c in zip(names, counts, strict=False) if c]
        if self.p["case"] == "exp":
            parts.append(f"blown up: {int(np.isfinite(self.t_star).sum())}")
        if self.p["case"] == "moving":
            parts.append(f"distance from c(t) + sign x₀: {self.tracking_error():.3g}")
        return {
            "step": step, "t": t, "x": x.copy(), "x0": self.x0,
            "x_grid": self.x_grid, "f_curve": self._f(self.x_grid, t),
            # (for the moving boundary the fixed points ride on c(t))
            "stable_x": self.stable + self._boundary(t), "stable_y": np.zeros(len(self.stable)),
            "unstable_x": self.unstable + self._boundary(t),
            "unstable_y": np.zeros(len(self.unstable)),
            "particles_f": self._f(x, t), "zero": 0.0,
            "t_hist": self.hist.x, "x_hist": x_hist, "limit_class": classes,
            "sign_paths": np.stack([np.broadcast_to(self.hist.x, x_hist.shape), x_hist], -1),
            "boundary_hist": v[:, -1], "sign_map": self.sign_map,
            "sign_extent": self.sign_extent, "x0_grid": self.x0_grid,
            "t_star_exact": self.t_star_exact, "t_star": self.t_star.copy(),
            "fixed_text": self.fixed_text, "outcome": "; ".join(parts),
        }
