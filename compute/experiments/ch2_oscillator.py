"""§2.2.3 (eq. 2.7): the damped harmonic oscillator ẍ + γẋ + ω²x = 0 in its phase plane."""

from __future__ import annotations

import math

import numpy as np

from ..experiment import Frame
from ..history import History
from ..ode import stable_step
from ..params import Float, Int
from ..phase_plane import (
    NONFINITE_PORTRAIT_FIELDS,
    PORTRAIT_FIELDS,
    Box,
    FixedPoint,
    PortraitExperiment,
    fixed_point,
    trajectory_params,
)
from ..registry import register
from ..views import Curves, PhasePlane, Readout, Series

LOCUS_POINTS = 400


def characteristic_roots(omega: float, gamma: float) -> np.ndarray:
    """λ₁,₂ = −γ/2 ± √(γ²/4 − ω²), the roots of λ² + γλ + ω² = 0 (complex)."""
    disc = complex(gamma * gamma / 4 - omega * omega)
    root = np.sqrt(disc)
    return np.array([-gamma / 2 + root, -gamma / 2 - root])


def regime(omega: float, gamma: float) -> str:
    """under-damped (γ < 2ω), critically damped (γ = 2ω) or over-damped (γ > 2ω)."""
    if math.isclose(gamma, 2 * omega, rel_tol=1e-12, abs_tol=1e-14):
        return "critically damped"
    return "under-damped" if gamma < 2 * omega else "over-damped"


def exact_solution(omega: float, gamma: float, x0: float, v0: float,
                   t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x(t), ẋ(t) in closed form, one formula for the three regimes.

    With κ = γ²/4 − ω² and b = v₀ + γx₀/2: x = e^{−γt/2}(x₀C(t) + bS(t)), where
    C = cos ω_d t, S = sin(ω_d t)/ω_d (κ = −ω_d² < 0), C = cosh st, S = sinh(st)/s
    (κ = s² > 0) or C = 1, S = t (κ = 0); then C' = κS and S' = C give ẋ.
    """
    t = np.asarray(t, dtype=float)
    kappa = gamma * gamma / 4 - omega * omega
    b = v0 + gamma * x0 / 2
    if regime(omega, gamma) == "critically damped":
        C, S = np.ones_like(t), t.copy()
        kappa = 0.0
    elif kappa < 0:
        wd = math.sqrt(-kappa)
        C, S = np.cos(wd * t), t * np.sinc(wd * t / np.pi)
    else:
        s = math.sqrt(kappa)
        C, S = np.cosh(s * t), np.sinh(s * t) / s
    decay = np.exp(-gamma * t / 2)
    x = decay * (x0 * C + b * S)
    v = decay * (-gamma / 2 * (x0 * C + b * S) + x0 * kappa * S + b * C)
    return x, v


def root_locus(omega: float, gamma_max: float, n: int = LOCUS_POINTS) -> np.ndarray:
    """(2n, 2) the path of (Re λ, Im λ) of both roots as γ goes from 0 to γ_max, one branch
    after the other (NaN between): the circle |λ| = ω until γ = 2ω, then the real axis."""
    gammas = np.linspace(0.0, gamma_max, n)
    roots = np.array([characteristic_roots(omega, g) for g in gammas])
    pieces = [np.stack([roots[:, k].real, roots[:, k].imag], axis=1) for k in (0, 1)]
    return np.concatenate([pieces[0], np.full((1, 2), np.nan), pieces[1]])


def starts_on_orbit(x0: float, v0: float, omega: float, count: int) -> np.ndarray:
    """``count`` starts of equal energy ½v² + ½ω²x²: (x₀, v₀) turned in the plane (x, v/ω)."""
    r, phi = math.hypot(x0, v0 / omega), math.atan2(v0 / omega, x0)
    if r == 0:
        r = 1.0
    angles = phi + 2 * np.pi * np.arange(count) / count
    out = np.stack([r * np.cos(angles), omega * r * np.sin(angles)], axis=1)
    out[0] = (x0, v0)
    return out


@register
class DampedHarmonicOscillator(PortraitExperiment):
    id = "ch2.damped-harmonic-oscillator"
    title = "Damped harmonic oscillator"
    section = "2.2.3"
    family = "phase portrait"
    summary = ("ẍ + γẋ + ω²x = 0 in the phase plane: under-, critically and over-damped, "
               "the characteristic roots moving with γ, and the energy decaying.")
    explanation = (
        "A mass on a spring with friction obeys ẍ + γẋ + ω²x = 0, or, with y = (x, ẋ), the "
        "linear system ẏ = (ẋ, −γẋ − ω²x). Its characteristic roots λ = −γ/2 ± √(γ²/4 − ω²) "
        "decide everything: complex for γ < 2ω (an under-damped spiral, frequency "
        "ω_d = √(ω² − γ²/4)), equal at γ = 2ω (critical damping, the fastest return without "
        "overshoot) and real for γ > 2ω (over-damped, a node). Drag γ and watch the roots "
        "travel along the circle |λ| = ω, collide on the real axis at γ = 2ω and split. The "
        "energy E = ½ẋ² + ½ω²x² falls at the rate γẋ² (log axis). Click the plane to launch "
        "trajectories forward (solid) and backward (dashed) in time; click the fixed point "
        "to see its Jacobian. Integrators: explicit Euler gains energy on an undamped "
        "oscillator (E grows by the factor 1 + ω²dt² per step), RK4 is accurate, leapfrog "
        "keeps the energy error bounded."
    )
    equations = (
        r"$\ddot x + \gamma\dot x + \omega^2 x = 0,\qquad"
        r" \dot y = (y_2,\ -\gamma y_2 - \omega^2 y_1)$",
        r"$\lambda_{1,2} = -\gamma/2 \pm \sqrt{\gamma^2/4 - \omega^2}$",
        r"$x(t) = e^{-\gamma t/2}\left(C_1\cos\omega_d t + C_2\sin\omega_d t\right),"
        r"\quad \omega_d = \sqrt{\omega^2 - \gamma^2/4}$",
        r"$E = \frac{1}{2}\dot x^2 + \frac{1}{2}\omega^2 x^2,\qquad"
        r" \frac{dE}{dt} = -\gamma\,\dot x^2 \leq 0$",
    )
    book_notes = (
        "The book solves the oscillator by hand; the lab adds what the numerical methods do "
        "to it: explicit Euler multiplies the energy of the undamped oscillator by exactly "
        "1 + ω²dt² per step, leapfrog (velocity Verlet, with the damping force taken at the "
        "half-step velocity) keeps it bounded when γ = 0.",
    )
    params = (
        Float("omega", 1.0, 0.1, 5.0, live=True, label="ω",
              help="Natural frequency; critical damping at γ = 2ω."),
        Float("gamma", 0.2, 0.0, 5.0, live=True, label="γ",
              help="Damping; under-damped below 2ω, over-damped above."),
        *trajectory_params(3.0, x0=1.0, T=(30.0, 200.0), dt_max=1.0, integrator="rk4",
                           integrator_help="euler: explicit Euler (first order); rk4: "
                           "classical Runge–Kutta; leapfrog: velocity Verlet (symplectic "
                           "when γ = 0)."),
        Int("n_starts", 1, 1, 12, live=True, label="starts",
            help="Main trajectories, started at the energy of (x₀, v₀) at evenly spread "
                 "phases; the first starts at (x₀, v₀)."),
    )
    views = (
        PhasePlane("phase", "Phase plane (x, ẋ)", xlabel="x", ylabel="ẋ",
                   nullclines=("nullcline_x", "nullcline_y"), contours="contours",
                   contour_labels="contour_labels", contour_label_pos="contour_label_pos",
                   fixed_points="fixed_points", fixed_kinds="fixed_kinds",
                   fixed_info="fixed_info"),
        Curves("x_t", "x(t): numerical vs exact",
               series=(Series("x_exact_curve", x="t_curve", label="exact"),
                       Series("x_hist", x="t_hist", label="numerical")),
               xlabel="t", ylabel="x"),
        Curves("energy", "Energy E(t) (log axis)",
               series=(Series("E_exact_curve", x="t_curve", label="exact"),
                       Series("E_hist", x="t_hist", label="numerical")),
               xlabel="t", ylabel="E", logy=True),
        Curves("roots", "Characteristic roots in the complex plane",
               series=(Series("locus_im", x="locus_re", label="root locus, γ from 0 to 5"),
                       Series("roots_im", x="roots_re", label="λ₁, λ₂ now", style="dots")),
               xlabel="Re λ", ylabel="Im λ"),
        Readout("readout", "Oscillator", area="bottom", lines=(
            ("regime", "regime", "{}"),
            ("roots_text", "roots λ₁, λ₂", "{}"),
            ("E_now", "energy E", "{:.6g}"),
            ("error", "|numerical − exact|", "{:.2e}"),
            ("stable_text", "stable step of the integrator", "{}"),
        )),
    )
    frame_fields = {
        **PORTRAIT_FIELDS,
        "x": "(k,) positions of the shown trajectories, the first from (x₀, v₀)",
        "v": "(k,) their velocities",
        "t_hist": "(m,) times of the first trajectory", "x_hist": "(m,) its x",
        "v_hist": "(m,) its ẋ", "E_hist": "(m,) its energy",
        "t_curve": "(400,) times over [0, T]", "x_exact_curve": "(400,) exact x(t)",
        "E_exact_curve": "(400,) exact E(t)",
        "locus_re": "(n,) Re λ along the root locus", "locus_im": "(n,) Im λ",
        "roots_re": "(2,) Re λ₁, λ₂", "roots_im": "(2,) Im λ₁, λ₂",
        "regime": "under-damped, critically damped or over-damped",
        "roots_text": "read-out", "E_now": "energy of the first trajectory",
        "error": "distance of the first trajectory from the exact solution",
        "stable_text": "read-out",
    }
    history_fields = ("t_hist", "x_hist", "v_hist", "E_hist")
    nonfinite_fields = NONFINITE_PORTRAIT_FIELDS | {"locus_re", "locus_im"}
    portrait_params = frozenset({"omega", "gamma", "x0", "v0", "n_starts", "T"})
    has_energy = True
    default_steps_per_frame = 5

    # -- the system ----------------------------------------------------------------------
    def field(self):
        w2, g = self.p["omega"] ** 2, self.p["gamma"]

        def f(y: np.ndarray) -> np.ndarray:
            return np.stack([y[:, 1], -g * y[:, 1] - w2 * y[:, 0]], axis=1)

        return f

    def matrix(self) -> np.ndarray:
        return np.array([[0.0, 1.0], [-self.p["omega"] ** 2, -self.p["gamma"]]])

    def box(self) -> Box:
        p = self.p
        amp = max(math.hypot(p["x0"], p["v0"] / p["omega"]), 0.2) * 1.3
        return (-amp, amp, -p["omega"] * amp, p["omega"] * amp)

    def starts(self) -> np.ndarray:
        p = self.p
        return starts_on_orbit(p["x0"], p["v0"], p["omega"], p["n_starts"])

    def energy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 0.5 * y**2 + 0.5 * self.p["omega"] ** 2 * x**2

    def energy_levels(self) -> list[float]:
        e0 = float(self.energy(np.array(self.p["x0"]), np.array(self.p["v0"])))
        e0 = e0 if e0 > 0 else 0.02
        return [e0 * s for s in (0.05, 0.25, 0.5, 1.0)]

    def known_fixed_points(self) -> list[FixedPoint]:
        return [fixed_point(self.field(), (0.0, 0.0), self.matrix())]

    # -- records -------------------------------------------------------------------------
    def on_restart_main(self) -> None:
        p = self.p
        self.hist = History(shape=(3,), capacity=4096)
        self._record()
        self.t_curve = np.linspace(0.0, p["T"], 400)
        xe, ve = exact_solution(p["omega"], p["gamma"], p["x0"], p["v0"], self.t_curve)
        self.x_exact_curve = xe
        self.E_exact_curve = self.energy(xe, ve)
        self.locus = root_locus(p["omega"], 5.0)
        roots = characteristic_roots(p["omega"], p["gamma"])
        self.roots = (roots.real.copy(), roots.imag.copy())
        self.regime = regime(p["omega"], p["gamma"])
        self.roots_text = ", ".join(_fmt(z) for z in roots)
        h_star = stable_step(p["integrator"], self.matrix())
        self.stable_text = (f"{p['integrator']}: dt < {h_star:.3g} (now {p['dt']:.3g})"
                            if h_star > 0 else f"{p['integrator']}: no step is stable")

    def _record(self) -> None:
        y = self.traj.states[0]
        self.hist.append(self.t, (y[0], y[1], float(self.energy(y[0], y[1]))))

    def after_steps(self, n: int) -> None:
        if self.traj.alive[0] and self.traj.ages[0] <= self.p["T"]:
            self._record()

    def make_frame(self) -> Frame:
        p = self.p
        frame = self.portrait_frame()
        vals = self.hist.values
        y = self.traj.states[0]
        xe, ve = exact_solution(p["omega"], p["gamma"], p["x0"], p["v0"], np.array([self.t]))
        frame.update({
            "x": self.traj.states[:, 0].copy(), "v": self.traj.states[:, 1].copy(),
            "t_hist": self.hist.x, "x_hist": vals[:, 0], "v_hist": vals[:, 1],
            "E_hist": vals[:, 2], "t_curve": self.t_curve,
            "x_exact_curve": self.x_exact_curve, "E_exact_curve": self.E_exact_curve,
            "locus_re": self.locus[:, 0], "locus_im": self.locus[:, 1],
            "roots_re": self.roots[0], "roots_im": self.roots[1],
            "regime": self.regime, "roots_text": self.roots_text,
            "E_now": float(self.energy(y[0], y[1])),
            "error": float(math.hypot(y[0] - xe[0], y[1] - ve[0])),
            "stable_text": self.stable_text,
        })
        return frame


def _fmt(z: complex) -> str:
    if abs(z.imag) < 1e-12:
        return f"{z.real:.4g}"
    return f"{z.real:.4g} {'+' if z.imag > 0 else '−'} {abs(z.imag):.4g}i"
