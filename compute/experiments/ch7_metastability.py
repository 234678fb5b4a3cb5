"""§7.3.3, Exercise 7.3.2 (a)–(e): metastability, the Arrhenius law and broken detailed balance."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ..experiment import Diverged, Experiment, Frame
from ..fokker_planck import mfpt
from ..params import Choice, Float, Int, Seed
from ..potentials import double_well
from ..registry import register
from ..views import Curves, Heatmap, Histogram, Readout, Series

INV_D = np.linspace(2.0, 10.0, 7)  # the sweep: 1/D from 2 to 10
CORE_EDGE = 0.5  # hysteresis thresholds ±1/2 (the inner edges of the cores |x ∓ 1| < 1/2)
GRID2 = 14  # cells per side of the 2D current estimate
BOX = 3.0  # the 2D view spans [−BOX, BOX]²
RING_L = 1.0
RADIAL_BINS = 40
ROT = np.array([[0.0, -1.0], [1.0, 0.0]])  # A: a quarter turn, Aᵀ = −A


def boltzmann_samples(rng: np.random.Generator, D: float, n: int) -> np.ndarray:
    """n draws from exp(−U/D)/Z of the double well, by inverse CDF on a fine grid."""
    x = np.linspace(-3.5, 3.5, 20001)
    w = np.exp(-double_well().U(x) / D)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (w[1:] + w[:-1]) * np.diff(x))])
    return np.interp(rng.random(n) * cdf[-1], cdf, x)


def potential_2d(kind: str):
    """(U, ∇U) of the 2D potential: |x|²/2, or (x²−1)²/4 + y²/2."""
    if kind == "quadratic":
        return (lambda x, y: 0.5 * (x * x + y * y)), (lambda x, y: (x, y))
    return ((lambda x, y: 0.25 * (x * x - 1) ** 2 + 0.5 * y * y),
            (lambda x, y: (x * (x * x - 1), y)))


def drift_2d(kind: str, drift: str, gamma: float):
    """b(x, y): rotational −(I + γA)∇U, or shear −∇U + (γy², 0)."""
    _, grad = potential_2d(kind)

    def b(x, y):
        gx, gy = grad(x, y)
        if drift == "rotational":
            return -gx + gamma * gy, -gy - gamma * gx
        return -gx + gamma * y * y, -gy

    return b


@register
class LangevinMetastability(Experiment):
    id = "ch7.langevin-metastability-exercise"
    title = "Metastability, Arrhenius law and broken detailed balance (Exercise 7.3.2)"
    section = "7.3.3"
    family = "Langevin particles"
    summary = ("Hopping rate vs 1/D against Kramers; a rotational drift keeps exp(−U/D) but "
               "breaks detailed balance (currents drawn).")
    explanation = (
        "(b, d) Seven ensembles of the double well U = (x²−1)²/4, one per noise level D, each "
        "started from its Boltzmann law, are integrated side by side; well-to-well hops are "
        "counted with hysteresis thresholds ±½. The hop rate falls like exp(−ΔU/D): on "
        "log(rate) against 1/D the points line up with slope −ΔU = −1/4 (Arrhenius), next "
        "to the exact rate 1/MFPT from the double-integral formula and Kramers' asymptotic "
        "(√2/2π)exp(−1/(4D)). Small D means rare hops and long correlation times, the "
        "difficulty of sampling multimodal laws. (e) In 2D a non-gradient drift "
        "b = −(I + γA)∇U with A a quarter turn keeps the Boltzmann law exp(−U/D) stationary, "
        "since ∇·(A∇U exp(−U/D)) = 0, yet the probability current J = −γA∇U·p circulates: "
        "stationarity without detailed balance (the cloud turns at angular velocity γ in "
        "the quadratic case while its histogram does not change). A generic non-gradient "
        "drift (the shear (γy², 0)) changes the stationary law itself. On a ring, a constant "
        "force F gives a uniform law with a constant current J = F/L."
    )
    equations = (
        r"$k \approx \frac{\sqrt{U''(x_{\min})|U''(x_b)|}}{2\pi}\,e^{-\Delta U/D},\quad"
        r" \log k = \mathrm{const} - \Delta U\cdot\frac{1}{D}$",
        r"$dX = -(I + \gamma A)\nabla U\,dt + \sqrt{2D}\,dW,\quad A\,(x, y) = (-y,\ x)$",
        r"$\nabla\cdot\left(A\nabla U\,e^{-U/D}\right) = 0,\qquad"
        r" J = -\gamma A\nabla U\,p_{\rm st} \neq 0$",
        r"$dX = F\,dt + \sqrt{2D}\,dW\ \ (\mathrm{mod}\ L):\quad p = 1/L,\ J = F/L$",
    )
    book_notes = (
        "Exercise 7.3.2 (e) asks only to discuss a non-gradient drift; in 1D on ℝ every drift "
        "is a gradient, so the lab shows it in 2D (and on a ring), with the exact current.",
    )
    params = (
        Float("D", 0.5, 0.03, 1.0, live=True, log=True, label="D (2D and ring)",
              help="Noise of the 2D cloud and of the ring (the sweep has its own D values)."),
        Float("gamma", 1.0, 0.0, 5.0, live=True, label="γ",
              help="Strength of the non-gradient part of the 2D drift."),
        Choice("drift", "rotational", ("rotational", "shear"), live=True,
               help="rotational: −(I + γA)∇U keeps exp(−U/D); shear: −∇U + (γy², 0) "
                    "changes the stationary law."),
        Choice("potential_2d", "quadratic", ("quadratic", "double-well"), live=True,
               label="2D potential", help="|x|²/2 or (x²−1)²/4 + y²/2."),
        Int("n_particles", 20_000, 1000, 100_000, log=True, label="2D particles"),
        Int("sweep_particles", 1000, 100, 10_000, log=True, label="particles per D",
            help="Particles in each of the seven double-well ensembles of the sweep."),
        Float("dt", 0.01, 1e-3, 0.02, live=True, log=True, label="Δt"),
        Float("F", 2.0, -5.0, 5.0, live=True, label="ring force F",
              help="Constant force on the ring of length 1."),
        Seed(),
    )
    views = (
        Curves("arrhenius", "Hop rate vs 1/D (Arrhenius plot)", area="left",
               series=(Series("rate", x="inv_D", label="measured", style="dots"),
                       Series("rate_exact", x="inv_D_fine", label="exact 1/MFPT"),
                       Series("rate_kramers", x="inv_D_fine", label="Kramers (√2/2π)e^(−1/4D)")),
               xlabel="1/D", ylabel="hops per particle per unit time", logy=True),
        Curves("mfpt", "Mean first-passage time between the cores vs 1/D", area="left",
               series=(Series("mfpt_measured", x="inv_D", label="measured", style="dots"),
                       Series("mfpt_exact", x="inv_D_fine", label="double integral")),
               xlabel="1/D", ylabel="MFPT(−½ → ½)", logy=True),
        Heatmap("cloud", "2D cloud: density and estimated current", field="density2d",
                extent="extent2d", vectors=("cell_x", "cell_y", "J_x", "J_y"),
                colormap="viridis", xlabel="x", ylabel="y"),
        Heatmap("exact", "exp(−U/D)/Z and its exact current (drift for the shear)",
                field="boltzmann2d", extent="extent2d",
                vectors=("cell_x", "cell_y", "Jx_exact", "Jy_exact"), colormap="viridis",
                xlabel="x", ylabel="y"),
        Histogram("radial", "Radial histogram vs the Boltzmann law", edges="r_edges",
                  values="r_hist", reference=("r_grid", "r_boltzmann"), xlabel="r = |x|",
                  ylabel="density", reference_label="from exp(−U/D)"),
        Histogram("ring", "Ring: histogram vs the uniform law", edges="ring_edges",
                  values="ring_hist", reference=("ring_grid", "ring_uniform"),
                  xlabel="position on the ring", ylabel="density", reference_label="1/L"),
        Readout("readout", "Metastability and currents", area="bottom", lines=(
            ("t", "time t", "{:.2f}"),
            ("slope_text", "Arrhenius slope: fitted | exact | −ΔU", "{}"),
            ("omega_text", "mean angular velocity | −γ (quadratic)", "{}"),
            ("moment_text", "E|X|² | 2D (stationary, rotational)", "{}"),
            ("mean_x_text", "⟨x⟩ | γD (shear, quadratic)", "{}"),
            ("ring_text", "ring current J | F/L", "{}"),
        )),
    )
    frame_fields = {
        "inv_D": "(7,) 1/D of the sweep", "inv_D_fine": "(50,) 1/D for the exact curves",
        "rate": "(7,) measured hops per particle per unit time",
        "rate_exact": "(50,) 1/MFPT(−½ → ½)", "rate_kramers": "(50,) Kramers' rate",
        "mfpt_measured": "(7,) time in a well per hop out of it (NaN before the first)",
        "mfpt_exact": "(50,) MFPT(−½ → ½) by quadrature", "hops": "(7,) hops counted",
        "density2d": "(14, 14) density of the 2D cloud", "extent2d": "(4,) the 2D box",
        "cell_x": "(14,)", "cell_y": "(14,)",
        "J_x": "(14, 14) estimated current (density × central-difference velocity)",
        "J_y": "(14, 14)", "boltzmann2d": "(14, 14) exp(−U/D)/Z on the cells",
        "Jx_exact": "(14, 14) exact current −γA∇U·p (rotational) or the drift (shear)",
        "Jy_exact": "(14, 14)", "r_edges": "(41,)", "r_hist": "(40,) density of |X|",
        "r_grid": "(200,)", "r_boltzmann": "(200,) radial density of exp(−U/D)/Z",
        "ring_edges": "(21,)", "ring_hist": "(20,) density on the ring",
        "ring_grid": "(2,)", "ring_uniform": "(2,) 1/L",
        "slope": "fitted slope of log(rate) vs 1/D", "omega": "mean angular velocity",
        "exact_slope": "slope of log(1/MFPT) vs 1/D over the same seven points",
        "second_moment": "E|X|² of the 2D cloud", "mean_x": "⟨x⟩ of the 2D cloud",
        "ring_current": "measured ring current", "x": "(n,) x of the 2D cloud",
        "slope_text": "read-out", "omega_text": "read-out", "moment_text": "read-out",
        "mean_x_text": "read-out", "ring_text": "read-out",
    }
    nonfinite_fields = frozenset({"mfpt_measured", "slope", "rate"})
    default_steps_per_frame = 10
    memory_param = "n_particles"

    @classmethod
    def memory_bytes(cls, p) -> int:
        return 8 * (20 * int(p["n_particles"]) + 10 * 7 * int(p["sweep_particles"]))

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        D_sweep = 1.0 / np.linspace(INV_D[0], INV_D[-1], 50)
        dw = double_well()
        self._mfpt_fine = np.array([mfpt(dw, D, -CORE_EDGE, CORE_EDGE) for D in D_sweep])
        self._kramers_fine = math.sqrt(2) / (2 * math.pi) * np.exp(-0.25 / D_sweep)
        exact_at = np.array([mfpt(dw, 1.0 / v, -CORE_EDGE, CORE_EDGE) for v in INV_D])
        self._exact_slope = float(np.polyfit(INV_D, -np.log(exact_at), 1)[0])
        self._set_2d_law()

    def on_live_change(self, names: set[str]) -> None:
        if names & {"D", "gamma", "drift", "potential_2d"}:
            self._set_2d_law()
            self._restart_stats = True

    def _set_2d_law(self) -> None:
        p = self.p
        U, grad = potential_2d(p["potential_2d"])
        edges = np.linspace(-BOX, BOX, GRID2 + 1)
        c = 0.5 * (edges[1:] + edges[:-1])
        X, Y = np.meshgrid(c, c)
        fine = np.linspace(-BOX, BOX, 601)
        FX, FY = np.meshgrid(fine, fine)
        w = np.exp(-U(FX, FY) / p["D"])
        h = fine[1] - fine[0]
        Z = w.sum() * h * h
        # cell masses of the Boltzmann law (fine grid summed into the cells), as a density
        idx = np.clip(((fine + BOX) / (2 * BOX) * GRID2).astype(int), 0, GRID2 - 1)
        cells = np.zeros((GRID2, GRID2))
        np.add.at(cells, (idx[:, None], idx[None, :]), w * h * h / Z)
        self.boltzmann2d = cells / (2 * BOX / GRID2) ** 2
        gx, gy = grad(X, Y)
        pc = np.exp(-U(X, Y) / p["D"]) / Z
        if p["drift"] == "rotational":
            # J = −γA∇U p = γ(∂yU, −∂xU) p
            self.J_exact = (p["gamma"] * gy * pc, -p["gamma"] * gx * pc)
        else:
            b = drift_2d(p["potential_2d"], "shear", p["gamma"])(X, Y)
            self.J_exact = b
        self.cells = (c, c, edges)
        # radial density of the Boltzmann law: r∫e^{−U/D}dθ on a polar grid, bin-averaged
        r = np.linspace(0.0, BOX, 3001)
        theta = np.linspace(0.0, 2 * np.pi, 257)[:-1]
        R, TH = np.meshgrid(r, theta, indexing="ij")
        p_r = 2 * np.pi * r * np.exp(-U(R * np.cos(TH), R * np.sin(TH)) / p["D"]).mean(axis=1)
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (p_r[1:] + p_r[:-1]) * np.diff(r))])
        r_edges = np.linspace(0.0, BOX, RADIAL_BINS + 1)
        mass = np.diff(np.interp(r_edges, r, cum)) / Z
        self.r_edges = r_edges
        self.r_boltzmann_bins = mass / np.diff(r_edges)
        self.r_grid = 0.5 * (r_edges[1:] + r_edges[:-1])

    def frames(self) -> Iterator[Frame]:
        p = self.p
        rng = np.random.default_rng(np.random.SeedSequence([p["seed"], 1]))
        Ds = 1.0 / INV_D
        ns = p["sweep_particles"]
        xs = np.stack([boltzmann_samples(rng, D, ns) for D in Ds])  # (7, ns)
        right = xs > 0  # hysteresis state: the side of the last core edge passed
        amp_unit = np.sqrt(2 * Ds)[:, None]
        hops = np.zeros(len(Ds), dtype=np.int64)
        time_left = np.zeros(len(Ds))  # Σ time in the left state (particle-time)
        left_to_right = np.zeros(len(Ds), dtype=np.int64)
        n2 = p["n_particles"]
        pts = rng.normal(0.0, math.sqrt(p["D"]), (2, n2))
        ring = rng.random(5000) * RING_L
        ring_travel = 0.0
        t, step = 0.0, 0
        self._restart_stats = True
        sweep_t = 0.0
        while True:
            if self._restart_stats:
                self._restart_stats = False
                flux = np.zeros((2, GRID2, GRID2))
                visits = np.zeros((GRID2, GRID2))
                rot_sum, rot_time = 0.0, 0.0
                ring_travel, ring_time = 0.0, 0.0
            dt, D, gamma = self.p["dt"], self.p["D"], self.p["gamma"]
            b = drift_2d(self.p["potential_2d"], self.p["drift"], gamma)
            F = self.p["F"]
            prev2 = prev = None
            for _ in range(self.steps_per_frame):
                # (b) the sweep: double-well EM for every D at once, hysteresis every step
                xs += -xs * (xs * xs - 1.0) * dt + amp_unit * math.sqrt(dt) * \
                    rng.standard_normal(xs.shape)
                new = (xs > CORE_EDGE) | (right & (xs >= -CORE_EDGE))
                flips = new != right
                hops += np.count_nonzero(flips, axis=1)
                left_to_right += np.count_nonzero(flips & new, axis=1)
                time_left += np.count_nonzero(~new, axis=1) * dt
                right = new
                sweep_t += dt
                # (e) the 2D cloud
                prev2, prev = prev, pts.copy()
                bx, by = b(pts[0], pts[1])
                noise = math.sqrt(2 * D * dt) * rng.standard_normal(pts.shape)
                pts[0] += bx * dt + noise[0]
                pts[1] += by * dt + noise[1]
                # mean angular velocity from the turn of each step
                turn = np.arctan2(prev[0] * pts[1] - prev[1] * pts[0],
                                  prev[0] * pts[0] + prev[1] * pts[1])
                rot_sum += float(turn.sum())
                rot_time += dt * n2
                # the ring
                move = F * dt + math.sqrt(2 * D * dt) * rng.standard_normal(ring.shape)
                ring_travel += float(move.sum())
                ring_time += dt * len(ring)
                ring = np.mod(ring + move, RING_L)
                step += 1
                t += dt
            if not (np.all(np.isfinite(pts)) and np.abs(pts).max() < 1e6
                    and np.all(np.isfinite(xs))):
                raise Diverged(step, "a particle escaped; lower Δt")
            if prev2 is not None:
                # current velocity by central differences, binned at the middle point
                v = (pts - prev2) / (2 * dt)
                ix = np.floor((prev[0] + BOX) / (2 * BOX) * GRID2).astype(int)
                iy = np.floor((prev[1] + BOX) / (2 * BOX) * GRID2).astype(int)
                ok = (ix >= 0) & (ix < GRID2) & (iy >= 0) & (iy < GRID2)
                flat = iy[ok] * GRID2 + ix[ok]
                visits += np.bincount(flat, minlength=GRID2 * GRID2).reshape(GRID2, GRID2)
                for k in range(2):
                    flux[k] += np.bincount(flat, weights=v[k][ok],
                                           minlength=GRID2 * GRID2).reshape(GRID2, GRID2)
            cx, cy, edges = self.cells
            cell_area = (2 * BOX / GRID2) ** 2
            dens2d = np.histogram2d(pts[1], pts[0], bins=[edges, edges])[0] / (n2 * cell_area)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean_v = np.where(visits > 0, flux / np.maximum(visits, 1), 0.0)
            J = mean_v * dens2d
            significant = visits > 200
            J = np.where(significant, J, 0.0)
            rate = hops / (ns * sweep_t)
            with np.errstate(invalid="ignore", divide="ignore"):
                mfpt_meas = np.where(left_to_right > 0, time_left / np.maximum(left_to_right, 1),
                                     np.nan)
            good = hops > 0
            slope = float(np.polyfit(INV_D[good], np.log(rate[good]), 1)[0]) \
                if np.count_nonzero(good) >= 3 else float("nan")
            r = np.hypot(pts[0], pts[1])
            r_hist = np.histogram(r, bins=self.r_edges)[0] / (n2 * np.diff(self.r_edges))
            ring_edges = np.linspace(0.0, RING_L, 21)
            ring_hist = np.histogram(ring, bins=ring_edges)[0] / (len(ring) * np.diff(ring_edges))
            omega = rot_sum / rot_time if rot_time else 0.0
            second = float(np.mean(pts[0] ** 2 + pts[1] ** 2))
            mean_x = float(pts[0].mean())
            J_ring = ring_travel / (ring_time * RING_L) if ring_time else 0.0
            yield {
                "step": step,
                "t": t,
                "x": pts[0].copy(),
                "inv_D": INV_D,
                "inv_D_fine": np.linspace(INV_D[0], INV_D[-1], 50),
                "rate": np.where(good, rate, np.nan),
                "rate_exact": 1.0 / self._mfpt_fine,
                "rate_kramers": self._kramers_fine,
                "mfpt_measured": mfpt_meas,
                "mfpt_exact": self._mfpt_fine,
                "hops": hops.copy(),
                "density2d": dens2d,
                "extent2d": np.array([-BOX, BOX, -BOX, BOX]),
                "cell_x": cx, "cell_y": cy,
                "J_x": J[0], "J_y": J[1],
                "boltzmann2d": self.boltzmann2d,
                "Jx_exact": self.J_exact[0], "Jy_exact": self.J_exact[1],
                "r_edges": self.r_edges, "r_hist": r_hist,
                "r_grid": self.r_grid, "r_boltzmann": self.r_boltzmann_bins,
                "ring_edges": ring_edges, "ring_hist": ring_hist,
                "ring_grid": np.array([0.0, RING_L]), "ring_uniform": np.full(2, 1 / RING_L),
                "slope": slope, "exact_slope": self._exact_slope, "omega": omega,
                "second_moment": second, "mean_x": mean_x,
                "ring_current": J_ring,
                "slope_text": (f"{slope:.3f}" if np.isfinite(slope) else "—")
                + f" | {self._exact_slope:.3f} (exact rates) | −0.25",
                "omega_text": f"{omega:.3f} | {-gamma:.3f}",
                "moment_text": f"{second:.3f} | {2 * D:.3f}",
                "mean_x_text": f"{mean_x:.3f} | {gamma * D:.3f}",
                "ring_text": f"{J_ring:.3f} | {F / RING_L:.3f}",
            }
