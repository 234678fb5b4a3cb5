"""§2.2.3 (eqs. 2.8–2.11, Fig 2.6, Exercise 2.2.4): the double well ẍ = −U'(x) − γẋ with
U = x⁴/4 − x²/2, conservative (energy level sets, separatrix) and damped (relaxation into a
well, basins of attraction)."""

from __future__ import annotations

import itertools
import math

import numpy as np

from ..experiment import Frame
from ..history import History
from ..ode import STEPPERS, rk4_step
from ..params import Bool, Choice, Float, Int
from ..phase_plane import (
    NONFINITE_PORTRAIT_FIELDS,
    PORTRAIT_FIELDS,
    BasinSweep,
    Box,
    FixedPoint,
    PortraitExperiment,
    fixed_point,
    trajectory_params,
)
from ..potentials import Potential1D, quartic
from ..registry import register
from ..views import Curves, Heatmap, PhasePlane, Readout, Series

NOTEBOOK_LEVELS = (-1.0, 0.5)  # the notebook's contour levels: linspace(−1, 0.5, 6)
BOOK_GAMMAS = (0.1, 1.0, 5.0)


def critical_points(alpha: float, beta: float, tilt: float) -> np.ndarray:
    """The real roots of U'(x) = αx³ − βx + tilt, sorted."""
    roots = np.roots([alpha, 0.0, -beta, tilt])
    real = np.sort(roots[np.abs(roots.imag) < 1e-9].real)
    return real


def turning_points(alpha: float, beta: float, tilt: float, energy: float) -> np.ndarray:
    """The x where U(x) = E (the velocity vanishes), sorted: the real roots of
    αx⁴/4 − βx²/2 + tilt·x − E; for x⁴/4 − x²/2 these are x² = 1 ± √(1 + 4E)."""
    roots = np.roots([alpha / 4, 0.0, -beta / 2, tilt, -energy])
    return np.sort(roots[np.abs(roots.imag) < 1e-7].real)


def orbit_interval(potential: Potential1D, turning: np.ndarray, x0: float,
                   energy: float) -> tuple[float, float]:
    """The two turning points between which the orbit through x₀ swings: the consecutive
    roots of U = E around x₀ with U < E between them (NaN when there is none)."""
    for a, b in itertools.pairwise(turning):
        if a - 1e-9 <= x0 <= b + 1e-9 and potential.U(0.5 * (a + b)) < energy:
            return float(a), float(b)
    return float("nan"), float("nan")


class DoubleWellBase(PortraitExperiment):
    """ẍ = −U'(x) − γẋ for a quartic U, with E = ½ẋ² + U(x)."""

    has_energy = True

    def coefficients(self) -> tuple[float, float, float]:
        """(α, β, tilt) of U = αx⁴/4 − βx²/2 + tilt·x."""
        return 1.0, 1.0, 0.0

    def damping(self) -> float:
        return 0.0

    def potential(self) -> Potential1D:
        return quartic(*self.coefficients())

    def field(self):
        dU, g = self.potential().dU, self.damping()

        def f(y: np.ndarray) -> np.ndarray:
            out = np.empty_like(y)
            out[:, 0] = y[:, 1]
            out[:, 1] = -dU(y[:, 0]) - g * y[:, 1]
            return out

        return f

    def energy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 0.5 * y**2 + self.potential().U(x)

    def known_fixed_points(self) -> list[FixedPoint]:
        alpha, beta, _ = self.coefficients()
        f, g = self.field(), self.damping()
        return [fixed_point(f, (x, 0.0), np.array([[0.0, 1.0], [-(3 * alpha * x * x - beta), -g]]))
                for x in critical_points(*self.coefficients())]

    def separatrix_energy(self) -> float | None:
        """U at the barrier tops (the local maxima of U), where the saddles sit."""
        alpha, beta, _ = self.coefficients()
        tops = [x for x in critical_points(*self.coefficients()) if 3 * alpha * x * x - beta < 0]
        return float(self.potential().U(np.array(tops[0]))) if tops else None

    def starts(self) -> np.ndarray:
        return np.array([[self.p["x0"], self.p["v0"]]])

    def main_energy(self) -> float:
        y = self.traj.states[0]
        return float(self.energy(y[0], y[1]))


@register
class DoubleWellPortrait(DoubleWellBase):
    id = "ch2.double-well-phase-portrait"
    title = "Double well: energy level sets and the separatrix"
    section = "2.2.3"
    family = "phase portrait"
    summary = ("Level sets of E = ½ẋ² + x⁴/4 − x²/2 in the phase plane: closed orbits in one "
               "well below E = 0, orbits around both wells above, the figure-eight at E = 0.")
    explanation = (
        "A particle in the double well U(x) = x⁴/4 − x²/2 obeys ẍ = x − x³ and keeps its "
        "energy E = ½ẋ² + U(x), so each trajectory runs along a level set of E. The minima "
        "x = ±1 (U = −1/4) are centres, the barrier top x = 0 (U = 0) a saddle. Orbits with "
        "−1/4 < E < 0 stay in one well; orbits with E > 0 go round both; the figure-eight "
        "E = 0 through the saddle is the separatrix, made of the saddle's stable and "
        "unstable manifolds. Click on the plane to launch a trajectory (forward solid, "
        "backward dashed) and watch it follow its level set; the potential panel shows "
        "where each particle is in U(x). Drag the marked energy to see the level set pinch "
        "at E = 0. With leapfrog the energy error stays bounded; RK4 drifts slowly."
    )
    equations = (
        r"$\ddot x = -U'(x) = x - x^3,\qquad U(x) = \frac{x^4}{4} - \frac{x^2}{2}$",
        r"$E(x, \dot x) = \frac{1}{2}\dot x^2 + U(x) = \mathrm{const}$",
        r"$E = 0:\ \dot x = \pm x\sqrt{1 - x^2/2}\quad\mathrm{(separatrix)}$",
        r"$\mathrm{turning\ points:}\ x^2 = 1 \pm \sqrt{1 + 4E}$",
    )
    book_notes = (
        "The book puts the threshold between staying in a well and crossing the barrier at "
        "E = 1/4. With E = ½ẋ² + x⁴/4 − x²/2 the barrier top has E = 0, so the separatrix is "
        "E = 0 (1/4 is the barrier height above the bottom of a well). The lab draws the "
        "separatrix at E = 0: a kick from the saddle with 0 < E < 1/4 crosses, contrary to "
        "the book's criterion.",
        "The notebook's contour levels linspace(−1, 0.5, 6) = −1, −0.7, −0.4, −0.1, 0.2, 0.5 "
        "omit E = 0, and three of them lie below min E = −1/4, so only three level sets "
        "appear (the fig-2.6 preset reproduces this).",
    )
    params = (
        Float("alpha", 1.0, 0.1, 3.0, live=True, label="α", help="Quartic coefficient of U."),
        Float("beta", 1.0, -1.0, 3.0, live=True, label="β",
              help="Quadratic coefficient of U: two wells for β > 0, one for β ≤ 0."),
        Float("tilt", 0.0, -1.0, 1.0, live=True, label="tilt ε", help="Linear tilt εx of U."),
        Float("extent", 2.0, 1.0, 4.0, live=True, label="extent",
              help="The plane shown: [−extent, extent]² in (x, ẋ)."),
        Int("resolution", 500, 100, 1000, live=True, label="grid",
            help="Grid points per axis for the level sets."),
        Int("n_levels", 6, 1, 20, live=True, label="levels",
            help="Energy levels drawn, evenly from −1 to 0.5 as in the notebook."),
        Bool("show_separatrix", True, live=True, label="separatrix",
             help="Draw the level set through the saddle."),
        Float("level", -0.1, -0.5, 2.0, live=True, label="marked energy",
              help="One energy level drawn apart: drag it through 0."),
        *trajectory_params(2.0, x0=0.5, T=(60.0, 500.0), dt_max=0.5, integrator="leapfrog",
                           integrator_help="leapfrog: symplectic, the energy error stays "
                           "bounded; rk4: accurate, drifts slowly; euler: gains energy."),
    )
    views = (
        PhasePlane("phase", "Phase plane (x, ẋ) with level sets of E", xlabel="x", ylabel="ẋ",
                   contours="contours", contour_labels="contour_labels",
                   contour_label_pos="contour_label_pos", highlight="separatrix",
                   highlight_label="separatrix", level_set="level_set",
                   level_set_label="marked energy", manifolds=("stable_manifold",
                                                               "unstable_manifold"),
                   fixed_points="fixed_points", fixed_kinds="fixed_kinds",
                   fixed_info="fixed_info"),
        Curves("potential", "Potential U(x) and the particles",
               series=(Series("U_curve", x="x_grid", label="U(x)"),
                       Series("U_heads", x="x", label="particles", style="dots")),
               hlines=("E_main", "E_separatrix"), xlabel="x", ylabel="U"),
        Curves("x_t", "x(t) of the first trajectory, between its turning points",
               series=(Series("x_hist", x="t_hist", label="x(t)"),),
               hlines=("x_turn_low", "x_turn_high"), xlabel="t", ylabel="x"),
        Curves("drift", "Energy error of the first trajectory (log axis)",
               series=(Series("drift_hist", x="t_hist", label="|E(t) − E(0)|"),),
               xlabel="t", ylabel="|E(t) − E(0)|", logy=True),
        Readout("readout", "Double well", area="bottom", lines=(
            ("E_main", "energy of the first trajectory", "{:.6g}"),
            ("fate", "its orbit", "{}"),
            ("turning_text", "turning points (U = E)", "{}"),
            ("E_separatrix", "separatrix energy", "{:.4g}"),
            ("drift_now", "energy error now", "{:.2e}"),
        )),
    )
    frame_fields = {
        **PORTRAIT_FIELDS,
        "x": "(k,) positions of the shown trajectories", "v": "(k,) their velocities",
        "x_grid": "(400,) x grid", "U_curve": "(400,) U on the grid",
        "U_heads": "(k,) U at the particles",
        "E_main": "energy of the first trajectory",
        "E_separatrix": "energy of the separatrix (NaN without a saddle)",
        "t_hist": "(m,) times", "drift_hist": "(m,) |E(t) − E(0)| of the first trajectory",
        "x_hist": "(m,) x(t) of the first trajectory",
        "x_turn_low": "the turning point its orbit reaches on the left",
        "x_turn_high": "the turning point its orbit reaches on the right",
        "drift_now": "the latest |E(t) − E(0)|",
        "fate": "read-out", "turning_text": "read-out",
    }
    history_fields = ("t_hist", "drift_hist", "x_hist")
    nonfinite_fields = NONFINITE_PORTRAIT_FIELDS | {"E_separatrix", "x_turn_low",
                                                    "x_turn_high"}
    portrait_params = frozenset({"alpha", "beta", "tilt", "extent", "resolution", "n_levels",
                                 "show_separatrix", "level", "x0", "v0", "T"})
    default_steps_per_frame = 4

    def coefficients(self) -> tuple[float, float, float]:
        return self.p["alpha"], self.p["beta"], self.p["tilt"]

    def box(self) -> Box:
        e = self.p["extent"]
        return (-e, e, -e, e)

    def grid_size(self) -> int:
        return self.p["resolution"]

    def energy_levels(self) -> list[float]:
        return list(np.linspace(*NOTEBOOK_LEVELS, self.p["n_levels"]))

    def separatrix_energy(self) -> float | None:
        return super().separatrix_energy() if self.p["show_separatrix"] else None

    def marked_energy(self) -> float | None:
        return self.p["level"]

    def on_restart_main(self) -> None:
        e = self.p["extent"]
        self.x_grid = np.linspace(-e, e, 400)
        self.U_curve = self.potential().U(self.x_grid)
        self.E0 = self.main_energy()
        self.hist = History(shape=(2,), capacity=4096)
        self.hist.append(0.0, (1e-17, self.p["x0"]))
        sep = DoubleWellBase.separatrix_energy(self)
        self.E_sep = float("nan") if sep is None else sep
        turning = turning_points(*self.coefficients(), self.E0)
        self.turning_text = ", ".join(f"{v:.4g}" for v in turning) or "none"
        self.turn = orbit_interval(self.potential(), turning, self.p["x0"], self.E0)
        if sep is None:
            self.fate = "one well: every orbit circles it"
        elif sep > self.E0:
            side = "right" if self.p["x0"] > 0 else "left"
            self.fate = f"E < {sep:.3g}: stays in the {side} well"
        elif sep < self.E0:
            self.fate = f"E > {sep:.3g}: goes round both wells"
        else:
            self.fate = "on the separatrix"

    def after_steps(self, n: int) -> None:
        if self.traj.alive[0] and self.t <= self.p["T"]:
            self.hist.append(self.t, (max(abs(self.main_energy() - self.E0), 1e-17),
                                      self.traj.states[0, 0]))

    def make_frame(self) -> Frame:
        frame = self.portrait_frame()
        x = self.traj.states[:, 0].copy()
        drift = self.hist.values
        frame.update({
            "x": x, "v": self.traj.states[:, 1].copy(), "x_grid": self.x_grid,
            "U_curve": self.U_curve, "U_heads": self.potential().U(x),
            "E_main": self.main_energy(), "E_separatrix": self.E_sep,
            "t_hist": self.hist.x, "drift_hist": drift[:, 0], "x_hist": drift[:, 1],
            "x_turn_low": self.turn[0], "x_turn_high": self.turn[1],
            "drift_now": float(abs(self.main_energy() - self.E0)),
            "fate": self.fate, "turning_text": self.turning_text,
        })
        return frame


FORCINGS = ("moving boundary", "additive")


def forced_field(gamma: float, amplitude: float, omega: float, kind: str):
    """Exercise 2.2.4 part 4 on states (x, v, t) (ṫ = 1, so the autonomous integrators
    apply): "moving boundary" shifts the potential, ẍ = −γẋ + (x − c) − (x − c)³ with
    c(t) = A cos ωt (wells at c ± 1, barrier top at c); "additive" is the Duffing force,
    ẍ = −γẋ + x − x³ + A cos ωt (barrier top at 0)."""

    def f(y: np.ndarray) -> np.ndarray:
        x, v, t = y[:, 0], y[:, 1], y[:, 2]
        drive = amplitude * np.cos(omega * t)
        if kind == "moving boundary":
            u = x - drive
            accel = u - u**3
        else:
            accel = x - x**3 + drive
        return np.stack([v, accel - gamma * v, np.ones_like(t)], axis=1)

    return f


def forced_boundary(t: np.ndarray, amplitude: float, omega: float, kind: str) -> np.ndarray:
    """Where the classes split at time t: c(t) = A cos ωt, or 0 for the additive force."""
    t = np.asarray(t, dtype=float)
    return amplitude * np.cos(omega * t) if kind == "moving boundary" else np.zeros_like(t)


def well_of(y: np.ndarray) -> np.ndarray:
    """+1 for the right well, −1 for the left one (the sign of x)."""
    return np.where(y[:, 0] >= 0, 1.0, -1.0)


@register
class DoubleWellDamped(DoubleWellBase):
    id = "ch2.double-well-damped"
    title = "Damped double well: relaxation and basins of attraction"
    section = "2.2.3"
    family = "phase portrait"
    summary = ("ẍ + γẋ − x + x³ = 0: trajectories spiral into a well; the basin map in "
               "(x₀, v₀) shows which well each start ends in, refining as it computes.")
    explanation = (
        "With friction the double-well particle loses energy at the rate γẋ², so it settles "
        "in one of the wells x = ±1: the ODE classifies its start (x₀, v₀) by the well it "
        "ends in. Linearising at a well gives ω₀² = U''(±1) = 2, so damping below "
        "γ_c = 2√2 gives an oscillating approach (spiral) and above it a monotone one (node). "
        "The saddle at 0 has eigenvalues −γ/2 ± √(γ²/4 + 1); its stable manifold is the "
        "boundary between the basins, drawn over the phase plane. The basin map integrates "
        "a grid of starts, coarse first then finer, and decides a start as soon as its "
        "energy falls below the barrier (it can never climb back). Drag γ from large to "
        "small and watch the basins wind into interleaved spirals; click the plane to "
        "launch trajectories. Exercise 2.2.4 part 4 makes the boundary move: with the "
        "potential shifted to U(x − c(t)), c(t) = A cos ωt, the particle's class is the "
        "side sign(x − c(t)) it is on; a slow boundary is tracked (the particle rides in "
        "its moving well), a fast one is not. The additive force A cos ωt instead shakes "
        "the particle against a fixed boundary (near a well its response has amplitude "
        "A/√((2 − ω²)² + γ²ω²))."
    )
    equations = (
        r"$\ddot x + \gamma\dot x - x + x^3 = 0$",
        r"$\frac{dE}{dt} = -\gamma\,\dot x^2 \leq 0,\qquad E = \frac{1}{2}\dot x^2"
        r" + \frac{x^4}{4} - \frac{x^2}{2}$",
        r"$\mathrm{wells:}\ \omega_0^2 = U''(\pm 1) = 2,\quad \gamma_c = 2\sqrt{2}$",
        r"$\mathrm{saddle:}\ \lambda = -\gamma/2 \pm \sqrt{\gamma^2/4 + 1}$",
        r"$\mathrm{forced:}\ \ddot x + \gamma\dot x - (x - c) + (x - c)^3 = 0,\quad"
        r" c(t) = A\cos\omega t\quad\mathrm{or}\quad \ddot x + \gamma\dot x - x + x^3"
        r" = A\cos\omega t$",
    )
    book_notes = (
        "Exercise 2.2.4 part 4 (a time-dependent classification boundary x(t) = cos ωt) is "
        "under-specified in the book. The lab offers the catalogue's two readings: the "
        "moving boundary, the potential U(x − c(t)) with c(t) = A cos ωt (A = 1 is the "
        "book's boundary), and an additive force A cos ωt (Duffing). The forced start is "
        "drawn in its own panel; the phase plane and the basin map stay those of the "
        "unforced, autonomous system.",
        "The separatrix energy is E = 0 (not the book's 1/4): a start with E < 0 can never "
        "leave its well, which is how the basin map decides starts early.",
    )
    params = (
        Float("gamma", 0.1, 0.0, 10.0, live=True, label="γ",
              help="Damping; γ_c = 2√2 separates oscillating from monotone approach."),
        *trajectory_params(2.0, x0=0.5, T=(60.0, 300.0), dt_max=0.5, integrator="rk4",
                           integrator_help="euler: explicit Euler; rk4: classical "
                           "Runge–Kutta; leapfrog: velocity Verlet with the damping at the "
                           "half step."),
        Int("basin_n", 200, 20, 400, live=True, label="basin grid",
            help="Starts per axis of the basin map over [−2, 2]²."),
        Float("T_basin", 50.0, 5.0, 200.0, live=True, label="basin horizon",
              help="How long each start of the basin map is followed at most."),
        Choice("forcing", "moving boundary", FORCINGS, live=True,
               help="Exercise 2.2.4 part 4: moving boundary (potential U(x − A cos ωt)) or "
                    "additive force A cos ωt; drawn for the start (x₀, v₀), by RK4."),
        Float("A", 1.0, 0.0, 1.0, live=True, label="forcing amplitude A",
              help="Amplitude of the boundary's motion or of the force (0: unforced; 1 with "
                   "the moving boundary: the book's x(t) = cos ωt)."),
        Float("omega", 0.5, 0.0, 3.0, live=True, label="forcing frequency ω",
              help="Angular frequency of the forcing (0: a fixed shift or constant force)."),
    )
    views = (
        PhasePlane("phase", "Phase plane (x, ẋ)", xlabel="x", ylabel="ẋ",
                   contours="contours", contour_labels="contour_labels",
                   contour_label_pos="contour_label_pos", highlight="separatrix",
                   highlight_label="E = 0", manifolds=("stable_manifold",
                                                       "unstable_manifold"),
                   fixed_points="fixed_points", fixed_kinds="fixed_kinds",
                   fixed_info="fixed_info"),
        Heatmap("basin", "Basins of attraction: the well each start ends in",
                field="basin", extent="basin_extent", levels=(-1.0, 1.0), colormap="CET-D1",
                points="start_point", xlabel="x₀", ylabel="v₀"),
        Curves("x_t", "x(t) for the book's γ = 0.1, 1, 5 and the current γ",
               series=(Series("x_gammas", x="t_gammas", names="gamma_names"),),
               hlines=("x_well",), xlabel="t", ylabel="x"),
        Curves("forced", "Forced start: x(t), the boundary and the class sign(x − c(t))",
               series=(Series("x_forced", x="t_forced", label="x(t)"),
                       Series("c_forced", x="t_forced", label="boundary c(t)"),
                       Series("class_forced", x="t_forced", label="class sign(x − c)")),
               xlabel="t", ylabel="x"),
        Curves("energy", "Energy E(t) of the first trajectory",
               series=(Series("E_hist", x="t_hist", label="E(t)"),),
               hlines=("E_min", "E_separatrix"), xlabel="t", ylabel="E"),
        Readout("readout", "Damped double well", area="bottom", lines=(
            ("approach", "approach to the well", "{}"),
            ("saddle_text", "saddle eigenvalues", "{}"),
            ("E_now", "energy now", "{:.6g}"),
            ("basin_progress", "basin map computed", "{:.0%}"),
            ("forced_text", "forced start: class now | switches", "{}"),
        )),
    )
    frame_fields = {
        **PORTRAIT_FIELDS,
        "x": "(k,) positions of the shown trajectories", "v": "(k,) their velocities",
        "basin": "(n, n) +1 right well, −1 left well (coarse values where not yet computed)",
        "basin_extent": "(4,) the basin map's (x₀, v₀) box",
        "start_point": "(1, 2) the start (x₀, v₀)",
        "t_gammas": "(m,) times",
        "x_gammas": "(k, m) x(t) for γ = 0.1, 1, 5 and the current γ (when another)",
        "gamma_names": "(k,) labels", "x_well": "the well bottom x = 1",
        "t_hist": "(m,) times", "E_hist": "(m,) energy of the first trajectory",
        "E_min": "−1/4, the energy at the bottom of a well", "E_separatrix": "0",
        "approach": "read-out", "saddle_text": "read-out", "E_now": "current energy",
        "basin_progress": "share of the basin map computed",
        "t_forced": "(m,) times of the forced start", "x_forced": "(m,) its x(t) (RK4)",
        "c_forced": "(m,) the boundary c(t) (A cos ωt, or 0 for the additive force)",
        "class_forced": "(m,) sign(x − c(t)): the side of the boundary",
        "forced_text": "text: the class now and how often it switched",
    }
    history_fields = ("t_hist", "E_hist", "t_gammas", "x_gammas", "t_forced", "x_forced",
                      "c_forced", "class_forced")
    nonfinite_fields = NONFINITE_PORTRAIT_FIELDS | {"basin"}
    portrait_params = frozenset({"gamma", "x0", "v0", "T", "forcing", "A", "omega"})
    basin_params = frozenset({"gamma", "basin_n", "T_basin", "dt", "integrator"})
    default_steps_per_frame = 5
    BASIN_BOX = (-2.0, 2.0, -2.0, 2.0)

    def damping(self) -> float:
        return self.p["gamma"]

    def box(self) -> Box:
        return (-2.0, 2.0, -2.0, 2.0)

    def energy_levels(self) -> list[float]:
        return [-0.2, -0.1, 0.2, 0.5, 1.0]

    def on_live_change(self, names: set[str]) -> None:
        super().on_live_change(names)
        if names & self.basin_params:
            self._new_basin = True

    def _start_basin(self) -> None:
        p = self.p
        sep = 0.0

        def settled(y: np.ndarray) -> np.ndarray:
            # below the barrier energy a start can never leave its well (E never grows)
            e = self.energy(y[:, 0], y[:, 1])
            return np.where(e < sep - 1e-9, well_of(y), np.nan)

        self.basin = BasinSweep(self.field(), self.BASIN_BOX, p["basin_n"], p["T_basin"],
                                p["dt"] if p["integrator"] != "euler" else min(p["dt"], 0.01),
                                final=well_of, settled=settled if p["gamma"] > 0 else None,
                                method=p["integrator"])
        self.basin_image = self.basin.image()
        self._new_basin = False

    def on_restart_main(self) -> None:
        p = self.p
        self.hist = History(capacity=4096)
        self.hist.append(0.0, self.main_energy())
        extra = [] if p["gamma"] in BOOK_GAMMAS else [p["gamma"]]
        self.gammas = np.array([*BOOK_GAMMAS, *extra])
        self.gamma_names = np.array([f"γ = {g:g}" for g in BOOK_GAMMAS]
                                    + [f"γ = {g:.3g} (now)" for g in extra], dtype=object)
        k = len(self.gammas)
        self.y_gammas = np.tile([p["x0"], p["v0"]], (k, 1)).astype(float)
        self.hist_gammas = History(shape=(k,), capacity=4096)
        self.hist_gammas.append(0.0, self.y_gammas[:, 0])
        g = p["gamma"]
        sad = np.array([-g / 2 + math.sqrt(g * g / 4 + 1), -g / 2 - math.sqrt(g * g / 4 + 1)])
        self.saddle_text = f"{sad[0]:.4g}, {sad[1]:.4g} (one positive: unstable)"
        gc = 2 * math.sqrt(2)
        self.approach = (f"γ < γ_c = {gc:.4g}: oscillating (spiral)" if g < gc else
                         f"γ ≥ γ_c = {gc:.4g}: monotone (node)")
        self.y_forced = np.array([[p["x0"], p["v0"], 0.0]])
        self.hist_forced = History(shape=(2,), capacity=4096)
        self.hist_forced.append(0.0, self.y_forced[0, :2])
        self.forced = forced_field(g, p["A"], p["omega"], p["forcing"])
        if not hasattr(self, "basin") or self._new_basin:
            self._start_basin()

    def after_steps(self, n: int) -> None:
        p = self.p
        if self.traj.alive[0] and self.t <= p["T"]:
            self.hist.append(self.t, self.main_energy())
            gam = self.gammas[:, None]

            def f(y: np.ndarray) -> np.ndarray:
                return np.stack([y[:, 1], y[:, 0] - y[:, 0] ** 3 - gam[:, 0] * y[:, 1]], axis=1)

            step = STEPPERS[p["integrator"]]
            for _ in range(n):
                self.y_gammas = step(f, self.y_gammas, p["dt"])
                self.y_forced = rk4_step(self.forced, self.y_forced, p["dt"])
            self.hist_gammas.append(self.t, self.y_gammas[:, 0])
            self.hist_forced.append(self.t, self.y_forced[0, :2])
        if self._new_basin:
            self._start_basin()
        if not self.basin.done:
            self.basin.advance()
            self.basin_image = self.basin.image()

    def make_frame(self) -> Frame:
        p = self.p
        frame = self.portrait_frame()
        t_forced = self.hist_forced.x
        x_forced = self.hist_forced.values[:, 0]
        c_forced = forced_boundary(t_forced, p["A"], p["omega"], p["forcing"])
        side = np.sign(x_forced - c_forced)
        switches = int(np.count_nonzero(np.diff(side[side != 0]) != 0))
        frame.update({
            "t_forced": t_forced, "x_forced": x_forced, "c_forced": c_forced,
            "class_forced": side,
            "forced_text": (f"{'right' if side[-1] >= 0 else 'left'} of the boundary | "
                            f"{switches}"),
            "x": self.traj.states[:, 0].copy(), "v": self.traj.states[:, 1].copy(),
            "basin": self.basin_image, "basin_extent": np.array(self.BASIN_BOX),
            "start_point": np.array([[p["x0"], p["v0"]]]),
            "t_gammas": self.hist_gammas.x, "x_gammas": self.hist_gammas.values.T,
            "gamma_names": self.gamma_names, "x_well": 1.0,
            "t_hist": self.hist.x, "E_hist": self.hist.values,
            "E_min": -0.25, "E_separatrix": 0.0,
            "approach": self.approach, "saddle_text": self.saddle_text,
            "E_now": self.main_energy(), "basin_progress": self.basin.progress,
        })
        return frame
