"""§3.3.3, Exercise 3.3.1: heavy ball and Nesterov as a damped oscillator, in the phase plane."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ..experiment import Experiment, Frame
from ..momentum import (
    continuous_damping,
    critical_beta,
    iteration_eigenvalues,
    iteration_matrix,
    stability_limit,
    tuned,
)
from ..ode import rk4_step
from ..optimizers import HeavyBall, Hyper, create
from ..params import Choice, Float, Int, Multi
from ..phase_plane import (
    LAYER_FIELDS,
    NONFINITE_PORTRAIT_FIELDS,
    fixed_point,
    launch_point,
    portrait_layers,
)
from ..registry import register
from ..views import Curves, Heatmap, PhasePlane, Readout, Series
from .ch2_oscillator import characteristic_roots, exact_solution
from .ch3_optimizer_zoo import iteration_radius

METHODS = ("GD", "heavy-ball", "Nesterov", "ODE")
ODE_SUBSTEPS = 16  # RK4 steps per unit of (step) time for the continuous method
GRID_N = 160  # pixels per side of the loss image
CURVE_PER_STEP = 4  # samples of the closed-form oscillator per iteration
MAX_CURVE = 4000
BLOW_UP = 1e6  # ‖(θ, v)‖ beyond this times the start's size: diverged
CONVERGED = 1e-13  # ‖(θ, v)‖ below this times the start's size: converged, iteration stops
RATE_WINDOW = 60
SHORT = {"GD": "GD", "heavy-ball": "HB", "Nesterov": "NAG", "ODE": "ODE"}
MAX_LAUNCHED = 6
LOCUS_N = 240


def oscillator_path(omega2: np.ndarray, gamma: np.ndarray, theta0: np.ndarray, v0: np.ndarray,
                    t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """θ(t), θ′(t) of θ″ + γθ′ + ω²θ = 0 per coordinate (closed form, Chapter 2's
    oscillator): arrays (n, d) for d coordinates with curvatures ω² and dampings γ."""
    cols = [exact_solution(math.sqrt(w2), g, x0, u0, t)
            for w2, g, x0, u0 in zip(omega2, gamma, theta0, v0, strict=True)]
    return np.stack([c[0] for c in cols], axis=1), np.stack([c[1] for c in cols], axis=1)


def flow_multipliers(a: float, gamma: float) -> np.ndarray:
    """e^λ for the roots λ of λ² + γλ + a = 0: the eigenvalues of the oscillator's flow over
    one unit of time, comparable with an iteration's eigenvalues."""
    z = np.exp(characteristic_roots(math.sqrt(a), gamma))
    return z[np.argsort(-(np.abs(z) + 1e-9 * np.sign(z.imag)))]


def multipliers(method: str, eta: float, beta: float, h: float) -> np.ndarray:
    """The two eigenvalues of one step of ``method`` on the mode of curvature h (for the
    continuous method: of its flow over one step of time, γ = 1 − β)."""
    if method == "ODE":
        return flow_multipliers(eta * h, continuous_damping("heavy-ball", eta, beta, h))
    return iteration_eigenvalues(method, eta, beta, h)


def spectral_radius(method: str, eta: float, beta: float, h: float) -> float:
    """Asymptotic contraction per step: the zoo's iteration radius, e^{max Re λ} for the ODE."""
    if method == "ODE":
        return float(np.abs(multipliers(method, eta, beta, h)).max())
    return iteration_radius(method, eta, beta, h)


class Runner:
    """One method's iterates (θ, v) on the quadratic, from (θ₀, v₀), recorded in full."""

    def __init__(self, method: str, h: np.ndarray, theta0: np.ndarray, v0: np.ndarray,
                 steps: int):
        self.method, self.h = method, h
        self.theta, self.v = theta0.copy(), v0.copy()
        self.path = np.full((steps + 1, 2, 2), np.nan)  # [t, (θ, v), coordinate]
        self.path[0] = theta0, v0
        self.k = 0
        self.size = max(float(np.linalg.norm(np.concatenate([theta0, v0]))), 1e-300)
        self.status = "running"
        if method != "ODE":
            self.opt = create(method, theta0)
            if isinstance(self.opt, HeavyBall):
                self.opt.previous = theta0 - v0  # v₀ = θ₀ − θ₋₁

    def advance(self, n: int, eta: float, beta: float) -> None:
        """Up to ``n`` more iterations (stops at the last step, on divergence or convergence)."""
        h, hp = self.h, Hyper(lr=eta, beta=beta)
        gamma = continuous_damping("heavy-ball", eta, beta, 1.0)
        for _ in range(n):
            if self.status != "running" or self.k + 1 >= len(self.path):
                return
            if self.method == "ODE":
                def f(y: np.ndarray) -> np.ndarray:
                    return np.stack([y[:, 1], -gamma * y[:, 1] - eta * h * y[:, 0]], axis=1)
                y = np.stack([self.theta, self.v], axis=1)
                for _ in range(ODE_SUBSTEPS):
                    y = rk4_step(f, y, 1.0 / ODE_SUBSTEPS)
                theta, v = y[:, 0].copy(), y[:, 1].copy()
            else:
                before = self.opt.theta
                theta = self.opt.step(lambda th: h * th, hp)
                v = theta - before
            size = float(np.linalg.norm(np.concatenate([theta, v])))
            if not math.isfinite(size) or size > BLOW_UP * max(self.size, 1.0):
                rho = spectral_radius(self.method, eta, beta, float(h.max()))
                self.status = (f"diverged at step {self.k + 1} (ρ = {rho:.4g} > 1: "
                               f"‖(θ, v)‖ passed {BLOW_UP:.0e})")
                return
            self.k += 1
            self.theta, self.v = theta, v
            self.path[self.k] = theta, v
            if size < CONVERGED * self.size:
                self.status = f"converged at step {self.k} (‖(θ, v)‖ < 1e-13 ‖(θ₀, v₀)‖)"
                return

    def measured_rate(self) -> float:
        """(‖y_k‖/‖y_{k−w}‖)^{1/w} over the last w ≤ 60 steps, y = (θ, v): the observed
        contraction per step (NaN before two steps)."""
        w = min(RATE_WINDOW, self.k)
        if w < 2:
            return float("nan")
        a = np.linalg.norm(self.path[self.k - w].ravel())
        b = np.linalg.norm(self.path[self.k].ravel())
        return float((b / a) ** (1.0 / w)) if a > 0 and b > 0 else float("nan")


@register
class MomentumPhasePortrait(Experiment):
    id = "ch3.momentum-phase-portrait"
    title = "Momentum as a damped oscillator: phase portraits and eigenvalues"
    section = "3.3.3"
    family = "phase portrait"
    summary = ("Heavy ball and Nesterov on a quadratic: node or spiral in the phase plane, the "
               "iteration's eigenvalues against the unit circle, and the damped-oscillator limit.")
    explanation = (
        "Heavy ball (3.10) with the velocity v = θₜ − θₜ₋₁ reads vₜ₊₁ = βvₜ − η∇f(θₜ), "
        "θₜ₊₁ = θₜ + vₜ₊₁: a ball with friction 1 − β rolling in the landscape. On the "
        "quadratic f = ½(h₁θ₁² + h₂θ₂²) (h₂ = κh₁) each coordinate is its own mode with "
        "a = ηh, and one step maps (θ, v) by a 2×2 matrix. Its two eigenvalues decide "
        "everything: real for β below the critical (1 − √a)² (an over-damped node), "
        "complex of modulus √β above it (an under-damped spiral), and the error contracts "
        "like ρᵗ with ρ the largest modulus; outside the unit circle the run diverges. "
        "Counting time in steps, the second difference is the damped oscillator "
        "θ″ + (1 − β)θ′ + aθ = 0 of Chapter 2, drawn beside the iterates; Nesterov "
        "(3.11) adds the Hessian damping βa. Drag β from 0 to 0.99: the eigenvalues of the "
        "slow mode meet on the real axis and leave it, the node turns into a spiral, and the "
        "rate first improves, then worsens. Every change of η, β or κ restarts the run from "
        "the start; click the phase plane to launch more orbits of the slow mode."
    )
    equations = (
        r"$v_{t+1} = \beta v_t - \eta\nabla f(\theta_t),\quad \theta_{t+1} = \theta_t + v_{t+1}$",
        r"$\theta_{t+1} = (1-a)\theta_t + \beta v_t,\quad v_{t+1} = -a\theta_t + \beta v_t,"
        r"\quad a = \eta h$",
        r"$z^2 - (1+\beta-a)z + \beta = 0,\qquad \beta_c = (1-\sqrt{a})^2$",
        r"$\mathrm{Nesterov:}\ z^2 - (1-a)(1+\beta)z + (1-a)\beta = 0$",
        r"$\ddot\theta + \gamma\dot\theta + \nabla f(\theta) = 0,\quad \eta = h^2,\ "
        r"\gamma = (1-\beta)/h$",
    )
    book_notes = (
        "The book asks for the mechanical picture (Exercise 3.3.1) without numbers; the lab "
        "uses the standard analysis of the quadratic: heavy ball is stable iff |β| < 1 and "
        "0 < ηh < 2(1 + β), Nesterov iff 0 < ηh < (2 + 2β)/(1 + 2β), and heavy ball is "
        "critically damped at β = (1 − √(ηh))².",
        "The book's rates (heavy ball O(1/T), GD O(1/T²) for strongly convex functions) are "
        "not what a quadratic shows: every method here converges linearly, like ρᵗ, with ρ "
        "the spectral radius of its iteration matrix (see the catalogue errata).",
        "The continuous curve counts time in steps (h = 1, so γ = 1 − β and ω² = ηh); in the "
        "book's scaling η = h², γ = (1 − β)/h it is the same curve with time stretched by h.",
    )
    params = (
        Choice("method", "heavy-ball", METHODS, live=True,
               help="The method analysed: GD, heavy ball (3.10), Nesterov (3.11), or the "
                    "continuous damped oscillator θ″ + (1 − β)θ′ + ∇f = 0 (RK4)."),
        Float("beta", 0.9, 0.0, 0.999, live=True, label="momentum β",
              help="Share of the previous step kept; friction 1 − β."),
        Float("eta", 0.05, 1e-4, 10.0, live=True, log=True, label="step η",
              help="Learning rate; a = ηh per mode."),
        Float("kappa", 10.0, 1.0, 1000.0, live=True, log=True, label="condition number κ",
              help="h₂/h₁: the steep direction's curvature over the flat one's."),
        Float("h1", 1.0, 0.01, 100.0, live=True, log=True, label="curvature h₁",
              help="Curvature of the flat direction θ₁ (the slow mode shown in the phase "
                   "plane); h₂ = κh₁."),
        Multi("compare", (), METHODS, live=True, label="also run",
              help="Other methods drawn on the landscape and the distance plot."),
        Float("theta0_1", 1.0, -5.0, 5.0, live=True, label="θ₀ (θ₁)", help="Start, θ₁."),
        Float("theta0_2", 0.5, -5.0, 5.0, live=True, label="θ₀ (θ₂)", help="Start, θ₂."),
        Float("v0_1", 0.0, -5.0, 5.0, live=True, label="v₀ (θ₁)",
              help="Start velocity θ₀ − θ₋₁, first coordinate."),
        Float("v0_2", 0.0, -5.0, 5.0, live=True, label="v₀ (θ₂)",
              help="Start velocity, second coordinate."),
        Int("steps", 200, 10, 5000, live=True, label="steps", help="Iterations of each run."),
    )
    views = (
        Heatmap("landscape", "Landscape f = ½(h₁θ₁² + h₂θ₂²) with trajectories", field="loss",
                extent="extent", contours=10, paths="paths", names="path_names",
                points="markers", xlabel="θ₁", ylabel="θ₂", equal_aspect=True),
        PhasePlane("phase", "Phase plane of the slow mode (θ₁, v₁)", xlabel="θ₁",
                   ylabel="v₁ = θ₁,ₜ − θ₁,ₜ₋₁", contours="contours",
                   guides="oscillator_curve", guides_label="damped oscillator (continuous)",
                   fixed_points="fixed_points", fixed_kinds="fixed_kinds",
                   fixed_info="fixed_info"),
        Curves("eigen", "Eigenvalues of the iteration (complex plane)",
               series=(Series("circle_im", x="circle_re", label="unit circle"),
                       Series("locus_im", x="locus_re", label="as β runs from 0 to 1"),
                       Series("eig1_im", x="eig1_re", label="slow mode (h₁)", style="dots"),
                       Series("eig2_im", x="eig2_re", label="fast mode (h₂)", style="dots")),
               xlabel="Re z", ylabel="Im z", equal_aspect=True),
        Curves("distance", "Distance ‖θₜ‖ (log axis) and the predicted slope log ρ",
               series=(Series("dist", x="t_iter", names="dist_names"),
                       Series("dist_cont", x="t_cont", label="damped oscillator"),
                       Series("dist_pred", x="t_pred", label="C ρᵗ (predicted)")),
               xlabel="step t", ylabel="‖θₜ‖", logy=True),
        Curves("theta1", "θ₁: iterates and the damped oscillator",
               series=(Series("theta1_cont", x="t_cont", label="damped oscillator"),
                       Series("theta1_iter", x="t_iter", label="iterates", style="dots")),
               xlabel="step t", ylabel="θ₁"),
        Readout("readout", "Momentum", area="bottom", lines=(
            ("status", "run", "{}"),
            ("eig_text", "z (slow; fast mode)", "{}"),
            ("rho_text", "ρ = max |z| (measured)", "{}"),
            ("regime_text", "regime (slow; fast), stability", "{}"),
        )),
    )
    frame_fields = {
        "loss": f"({GRID_N}, {GRID_N}) f on the grid, row 0 at the bottom",
        "extent": "(4,) θ₁ min, max, θ₂ min, max of the landscape image",
        "paths": "(k, n, 2) trajectories (θ₁, θ₂) so far: the methods, then the oscillator",
        "path_names": "(k,) their names",
        "markers": "(m, 2) current iterates",
        **LAYER_FIELDS,
        "heads": "(k, 2) current (θ₁, v₁) of the method and of launched orbits",
        "trails": "(k, n, 2) their orbits so far (NaN-padded)",
        "directions": "(k,) +1 (forward in time)",
        "oscillator_curve": "(n, 2) (θ₁, θ′₁) of the continuous limit over the run",
        "circle_re": "(n,) unit circle", "circle_im": "(n,) unit circle",
        "locus_re": "(n,) eigenvalue paths as β runs over [0, 1), both modes (NaN-separated)",
        "locus_im": "(n,) their imaginary parts",
        "eig1_re": "(2,) eigenvalues of the slow mode", "eig1_im": "(2,)",
        "eig2_re": "(2,) eigenvalues of the fast mode", "eig2_im": "(2,)",
        "t_iter": "(n,) steps 0 … t", "dist": "(k, n) ‖θₜ‖ of each method so far",
        "dist_names": "(k,) the methods",
        "t_cont": "(m,) times of the closed-form oscillator (up to now)",
        "dist_cont": "(m,) its ‖θ(t)‖", "theta1_cont": "(m,) its θ₁(t)",
        "t_pred": "(2,) ends of the predicted line", "dist_pred": "(2,) C ρᵗ there",
        "theta1_iter": "(n,) θ₁,ₜ of the method",
        "status": "running, converged or diverged at step k, per method",
        "eig_text": "read-out", "rho": "spectral radius of the method's iteration",
        "rho_measured": "observed contraction per step over the last 60 steps",
        "rho_text": "read-out of both",
        "regime_text": "node, spiral or unstable, per mode",
        "bound_text": "the stability bound on η",
        "tuning_text": "the classical tuning of heavy ball and Nesterov for κ",
    }
    history_fields = ("t_iter", "dist", "theta1_iter")
    nonfinite_fields = NONFINITE_PORTRAIT_FIELDS | {"paths", "locus_re", "locus_im",
                                                    "rho_measured", "dist", "theta1_iter",
                                                    "dist_pred"}
    default_steps_per_frame = 2
    max_steps_per_frame = 500

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        super().__init__(params, device=device)
        self.launched: list[np.ndarray] = []
        self.step = 0
        self._build()

    # -- set-up ------------------------------------------------------------------------
    def curvatures(self) -> np.ndarray:
        return np.array([self.p["h1"], self.p["h1"] * self.p["kappa"]])

    def methods(self) -> list[str]:
        main = self.p["method"]
        return [main] + [m for m in self.p["compare"] if m != main]

    def _build(self) -> None:
        """Restart every run from the start and redraw what depends on the parameters."""
        p, h = self.p, self.curvatures()
        eta, beta = p["eta"], p["beta"]
        self.theta0 = np.array([p["theta0_1"], p["theta0_2"]])
        self.v0 = np.array([p["v0_1"], p["v0_2"]])
        self.runners = [Runner(m, h, self.theta0, self.v0, p["steps"]) for m in self.methods()]
        method = p["method"]
        damp = "heavy-ball" if method == "ODE" else method
        gammas = np.array([continuous_damping(damp, eta, beta, float(c)) for c in h])
        self.gamma = gammas
        n = int(min(MAX_CURVE, CURVE_PER_STEP * p["steps"] + 1))
        self.t_curve = np.linspace(0.0, p["steps"], n)
        self.theta_c, self.v_c = oscillator_path(eta * h, gammas, self.theta0, self.v0,
                                                 self.t_curve)
        self.eigs = [multipliers(method, eta, beta, float(c)) for c in h]
        self.rho = max(spectral_radius(method, eta, beta, float(c)) for c in h)
        self.launch_runs = [self._orbit(pt) for pt in self.launched]
        self._portrait(float(h[0]), float(gammas[0]))
        self._landscape(h)
        self._texts(h)

    def _orbit(self, point: np.ndarray) -> Runner:
        """A launched orbit of the slow mode alone from (θ₁, v₁) = ``point``."""
        h1 = self.curvatures()[:1]
        return Runner(self.p["method"], h1, point[:1].copy(), point[1:].copy(), self.p["steps"])

    def _predicted(self, method: str, coord: int) -> np.ndarray:
        """(θ, v) of one mode over the run from the iteration matrix (for framing the views),
        cut where it grows past 4 times the start's size."""
        p, c = self.p, float(self.curvatures()[coord])
        y = np.array([self.theta0[coord], self.v0[coord]])
        if method == "ODE":
            return np.stack([self.theta_c[:, coord], self.v_c[:, coord]], axis=1)
        M = iteration_matrix(method, p["eta"], p["beta"], c)
        limit = 4.0 * max(float(np.linalg.norm(np.concatenate([self.theta0, self.v0]))), 1e-3)
        out = [y]
        for _ in range(min(p["steps"], 400)):
            y = M @ y
            if not np.isfinite(y).all() or np.abs(y).max() > limit:
                break
            out.append(y)
        return np.array(out)

    def _portrait(self, h1: float, gamma: float) -> None:
        """The static layers of the slow mode's phase plane: the flow of its continuous
        limit θ″ + γθ′ + ηh₁θ = 0, its energy levels, its fixed point."""
        a = self.p["eta"] * h1
        A = np.array([[0.0, 1.0], [-a, -gamma]])

        def field(y: np.ndarray) -> np.ndarray:
            return y @ A.T

        pts = [self._predicted(m, 0) for m in self.methods()]
        pts.append(np.stack([self.theta_c[:, 0], self.v_c[:, 0]], axis=1))
        pts += [point[None] for point in self.launched]
        allp = np.concatenate(pts)
        xr = 1.15 * max(float(np.abs(allp[:, 0]).max()), 1e-3)
        vr = 1.15 * max(float(np.abs(allp[:, 1]).max()), 0.05 * xr * math.sqrt(a), 1e-4)
        box = (-xr, xr, -vr, vr)
        e0 = 0.5 * self.v0[0] ** 2 + 0.5 * a * self.theta0[0] ** 2
        e0 = e0 if e0 > 0 else 0.5 * a * xr * xr / 4
        self.layers, _ = portrait_layers(
            field, box, energy=lambda x, v: 0.5 * v * v + 0.5 * a * x * x,
            levels=[e0 * s for s in (0.05, 0.25, 1.0)], fixed=[fixed_point(field, (0, 0), A)],
            seeds=12, grid=81)
        self.oscillator_curve = np.stack([self.theta_c[:, 0], self.v_c[:, 0]], axis=1)

    def _landscape(self, h: np.ndarray) -> None:
        pts = [self._predicted(m, c)[:, 0] for m in self.methods() for c in (0, 1)]
        r1 = max(float(np.abs(np.concatenate([*pts[0::2], self.theta_c[:, 0]])).max()), 1e-3)
        r2 = max(float(np.abs(np.concatenate([*pts[1::2], self.theta_c[:, 1]])).max()), 1e-3)
        r = 1.15 * max(r1, r2)
        self.extent = np.array([-r, r, -r, r])
        g = -r + (np.arange(GRID_N) + 0.5) * 2 * r / GRID_N
        X, Y = np.meshgrid(g, g)
        self.loss = 0.5 * (h[0] * X * X + h[1] * Y * Y)
        # eigenvalue paths as β runs over [0, 0.999]: two branches per mode
        betas = np.linspace(0.0, 0.999, LOCUS_N)
        method, eta = self.p["method"], self.p["eta"]
        pieces = []
        for c in h:
            z = (np.array([multipliers(method, eta, b, float(c)) for b in betas])
                 if method == "ODE" else iteration_eigenvalues(method, eta, betas, float(c)))
            for k in (0, 1):
                pieces += [z[:, k], np.array([np.nan])]
        locus = np.concatenate(pieces[:-1])
        self.locus = (locus.real, locus.imag)

    def _texts(self, h: np.ndarray) -> None:
        p = self.p
        method, eta, beta = p["method"], p["eta"], p["beta"]
        self.eig_text = "; ".join(_fmt_pair(e) for e in self.eigs)
        regimes = []
        for c, e in zip(h, self.eigs, strict=True):
            r = float(np.abs(e).max())
            if r > 1 + 1e-12:
                regimes.append("unstable")
            elif np.abs(e.imag).max() > 1e-12:
                regimes.append("spiral")
            else:
                regimes.append("node")
            if method == "heavy-ball":
                bc = critical_beta(eta * c)
                regimes[-1] += f" (β_c {bc:.3g})" if bc is not None else " (no β_c)"
        regime = "; ".join(regimes)
        if method == "ODE":
            self.bound_text = "every η > 0 and 0 ≤ β < 1"
            self.regime_text = f"{regime}; stable"
        else:
            lim, a2 = stability_limit(method, beta), eta * h[1]
            self.bound_text = f"ηh₂ < {lim:.4g}, η < {lim / h[1]:.4g} (ηh₂ = {a2:.3g})"
            self.regime_text = f"{regime}; ηh₂ = {a2:.3g} {'<' if a2 < lim else '≥'} {lim:.3g}"
        mu, L = float(h[0]), float(h[1])
        parts = []
        for m, short in (("heavy-ball", "HB"), ("Nesterov", "NAG")):
            e, b, r = tuned(m, mu, L)
            parts.append(f"{short} η {e:.3g}, β {b:.3g} → ρ {r:.3g}")
        self.tuning_text = "; ".join(parts)

    # -- running -----------------------------------------------------------------------
    def on_live_change(self, names: set[str]) -> None:
        self._build()

    def on_event(self, name: str, payload: Any) -> None:
        if name != "launch":
            return
        point = launch_point(payload, "(θ₁, v₁)")
        self.launched = ([*self.launched, point])[-MAX_LAUNCHED:]
        self.launch_runs = ([*self.launch_runs, self._orbit(point)])[-MAX_LAUNCHED:]
        for run in self.launch_runs[-1:]:
            run.advance(self.runners[0].k, self.p["eta"], self.p["beta"])

    def frames(self) -> Iterator[Frame]:
        yield self._frame()
        while True:
            eta, beta = self.p["eta"], self.p["beta"]
            for run in self.runners + self.launch_runs:
                run.advance(self.steps_per_frame, eta, beta)
            self.step += 1
            yield self._frame()

    def _frame(self) -> Frame:
        main = self.runners[0]
        k = max(r.k for r in self.runners)
        names = [r.method for r in self.runners]
        paths = [r.path[: k + 1, 0, :] for r in self.runners]
        cut = self.t_curve <= k + 1e-9
        paths.append(self.theta_c[cut])
        n = max(len(q) for q in paths)
        padded = np.full((len(paths), n, 2), np.nan)
        for i, q in enumerate(paths):
            padded[i, : len(q)] = q
        names.append("damped oscillator")
        markers = np.array([r.theta for r in self.runners])
        orbits = [main, *self.launch_runs]
        heads = np.array([[r.theta[0], r.v[0]] for r in orbits])
        trails = np.stack([r.path[: k + 1, :, 0] for r in orbits])
        dist = np.stack([np.linalg.norm(r.path[: k + 1, 0, :], axis=1) for r in self.runners])
        dist = np.where(dist > 0, dist, np.nan)
        t_iter = np.arange(k + 1, dtype=float)
        # the predicted line C ρᵗ, C the smallest constant that bounds the run so far
        d = dist[0][: main.k + 1]
        ok = np.isfinite(d)
        scale = float(np.max(d[ok] / self.rho ** t_iter[: main.k + 1][ok])) if ok.any() \
            and self.rho > 0 else float("nan")
        t_pred = np.array([0.0, float(max(k, 1))])
        rho_meas = main.measured_rate()
        status = "; ".join([f"{SHORT[main.method]} {main.status}"]
                           + [f"{SHORT[r.method]} {r.status.split(' (')[0]}"
                              for r in self.runners[1:]])
        return {
            "step": self.step, "t": float(k),
            "loss": self.loss, "extent": self.extent, "paths": padded,
            "path_names": np.array(names), "markers": markers,
            **self.layers,
            "heads": heads, "trails": trails, "directions": np.ones(len(orbits)),
            "oscillator_curve": self.oscillator_curve,
            "circle_re": CIRCLE[0], "circle_im": CIRCLE[1],
            "locus_re": self.locus[0], "locus_im": self.locus[1],
            "eig1_re": self.eigs[0].real, "eig1_im": self.eigs[0].imag,
            "eig2_re": self.eigs[1].real, "eig2_im": self.eigs[1].imag,
            "t_iter": t_iter, "dist": dist,
            "dist_names": np.array([r.method for r in self.runners]),
            "t_cont": self.t_curve[cut], "dist_cont": np.linalg.norm(self.theta_c[cut], axis=1),
            "theta1_cont": self.theta_c[cut, 0],
            "t_pred": t_pred, "dist_pred": scale * self.rho ** t_pred,
            "theta1_iter": main.path[: k + 1, 0, 0],
            "status": status, "eig_text": self.eig_text, "rho": self.rho,
            "rho_measured": rho_meas,
            "rho_text": f"{self.rho:.5g} (measured {rho_meas:.5g})" if math.isfinite(rho_meas)
            else f"{self.rho:.5g}",
            "regime_text": self.regime_text,
            "bound_text": self.bound_text, "tuning_text": self.tuning_text,
        }


_S = np.linspace(0.0, 2.0 * np.pi, 241)
CIRCLE = (np.cos(_S), np.sin(_S))


def _fmt_pair(z: np.ndarray) -> str:
    """Two eigenvalues: a complex pair as a ± bi, real ones as a, b."""
    if abs(z[0].imag) > 1e-12:
        return f"{z[0].real:.4g} ± {abs(z[0].imag):.4g}i"
    return ", ".join(_fmt(v) for v in z)


def _fmt(z: complex) -> str:
    z = complex(z)
    if abs(z.imag) < 1e-12:
        return f"{z.real:.4g}"
    return f"{z.real:.4g} {'+' if z.imag > 0 else '−'} {abs(z.imag):.4g}i"
