"""§7.3.3, Example 7.3.2, Fig. 7.7: overdamped Langevin particles in a double well."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..experiment import Diverged, Experiment, Frame
from ..fokker_planck import (
    BoltzmannStats,
    FokkerPlanck1D,
    boltzmann_stats,
    fitted_relaxation_rate,
    mfpt,
)
from ..history import History, Window
from ..params import Choice, Float, Int, Seed
from ..potentials import (
    Potential1D,
    boltzmann,
    boltzmann_mass,
    double_well,
    kramers_rate,
    landmarks,
    quadratic,
    triple_well,
)
from ..registry import register
from ..sde import (
    ENGINES,
    Ensemble,
    HysteresisCounter,
    NestedBins,
    check_engine_available,
    choose_engine,
)
from ..views import Curves, Histogram, Particles, Readout, Series

GRID = np.linspace(-2.5, 2.5, 400)  # the notebook's Boltzmann grid
ESCAPE = 1e6  # |x| beyond this is a blow-up of the Euler–Maruyama step
MOMENT_SAMPLE = 100_000  # particles entering the pooled moments


def make_potential(name: str, tilt: float) -> Potential1D:
    """The potential chosen by the ``potential`` parameter."""
    if name == "double-well":
        return double_well()
    if name == "tilted-double-well":
        return double_well(tilt)
    if name == "triple-well":
        return triple_well()
    return quadratic()


@register
class LangevinDoubleWell(Experiment):
    id = "ch7.langevin-double-well"
    title = "Langevin diffusion in a double well"
    section = "7.3.3"
    family = "Langevin particles"
    summary = "Particles hop between wells; the pooled histogram converges to exp(−U/D)/Z."
    explanation = (
        "Each particle follows the overdamped Langevin equation: it slides down the slope of "
        "the potential U and is kicked by Gaussian noise of strength D. At small D particles "
        "stay in one well for long stretches (metastability); at larger D they hop freely. "
        "Whatever the start, the histogram of positions pooled over time converges to the "
        "Boltzmann law exp(−U/D)/Z, and the fraction of particles right of the barrier "
        "relaxes to its equilibrium value at the spectral gap λ₁ of the Fokker–Planck "
        "operator (its exact curve, computed from the particles' law at the last change of "
        "D or U, is drawn with the measured one). Transitions are counted between well cores "
        "(hysteresis) at every step; their rate and the mean first-passage times are compared "
        "with the exact double-integral formula and with Kramers' asymptotic rate. Large "
        "ensembles (10⁵–10⁶) run in torch float32, on a GPU when the device setting has one, "
        "and are drawn as a density image."
    )
    equations = (
        r"$dX_t = -U'(X_t)\,dt + \sqrt{2D}\,dW_t,\quad U(x) = \frac{(x^2-1)^2}{4}$",
        r"$X_{k+1} = X_k - U'(X_k)\,\Delta t + \sqrt{2D\,\Delta t}\;\xi_k,\quad"
        r" \xi_k \sim \mathcal{N}(0,1)$",
        r"$p_{\rm st}(x) = e^{-U(x)/D}/Z,\quad Z = \int e^{-U(x)/D}\,dx$",
        r"$k_{\rm Kramers} = \frac{\sqrt{U''(x_{\min})\,|U''(x_b)|}}{2\pi}\,e^{-\Delta U/D}$",
        r"$T(a\to b) = \frac{1}{D}\int_a^b e^{U(y)/D}\int_{-\infty}^{y} e^{-U(z)/D}\,dz\,dy$",
        r"$\partial_t p = \partial_x(U'p) + D\,\partial_x^2 p,\quad"
        r" P(X_t > x_b) - \pi_R \sim c\,e^{-\lambda_1 t}$",
    )
    book_notes = (
        "The book's figure overlays all 30 paths over T = 1000; at D = 0.3 the barrier "
        "ΔU = 1/4 is below D, hopping is frequent and the plot is a filled band. The lab "
        "shows up to five paths in a sliding window.",
        "The notebook pools the second half of one run; the lab pools every frame after a "
        "burn-in time counted from the last change of D or U, so dragging a slider restarts "
        "the comparison with the new Boltzmann law.",
        "The book describes metastability only in words. The lab adds the Kramers rate "
        "(reliable for ΔU/D ≳ 3) next to the measured well-to-well transition rate.",
        "Euler–Maruyama with the cubic drift is unstable when Δt·|U''(x)| > 2, so Δt is "
        "capped at 0.02.",
        "The notebook normalises the Boltzmann law with np.trapz, which NumPy 2.4 removed; "
        "the lab uses np.trapezoid and Simpson's rule for Z and the moments.",
    )
    params = (
        Float("D", 0.3, 0.02, 1.5, live=True, log=True, label="noise D",
              help="Diffusion coefficient (temperature) of the noise."),
        Float("dt", 1e-3, 1e-4, 0.02, live=True, log=True, label="Δt",
              help="Euler–Maruyama time step."),
        Int("n_particles", 30, 1, 1_000_000, label="particles", log=True,
            help="Number of independent particles (the book's figure uses 30 paths)."),
        Float("x0", 0.0, -2.0, 2.0, label="x₀",
              help="Common start of every particle; −1 starts them all in the left well."),
        Choice("potential", "double-well",
               ("double-well", "tilted-double-well", "triple-well", "quadratic"), live=True,
               help="(x²−1)²/4; the same plus tilt·x; x²(x²−2)²/4; x²/2 (OU)."),
        Float("tilt", 0.1, -0.5, 0.5, live=True,
              help="Slope ε added as εx to the tilted double well."),
        Float("burn_in", 2.0, 0.0, 1000.0, live=True, label="burn-in",
              help="Model time after the last change of D or U before frames are pooled."),
        Int("bins", 100, 20, 300, live=True, help="Histogram bins on [−2.5, 2.5]."),
        Int("n_paths", 3, 1, 5, live=True, label="paths shown",
            help="Sample paths drawn in the path view."),
        Choice("engine", "auto", ENGINES,
               help="auto: numpy float64 below 10⁵ particles, torch float32 from 10⁵ on (when "
                    "installed) on the lab's device (a GPU when present); or force one."),
        Seed(),
    )
    views = (
        Particles("particles", "Particles in the potential", area="left", x="x",
                  curve=("grid", "U"), on_curve=True, xlabel="x", ylabel="U(x)",
                  xrange=(-2.5, 2.5), density=("density_edges", "density_counts")),
        Histogram("histogram", "Pooled histogram vs Boltzmann law", area="left",
                  edges="edges", values="hist", reference=("grid", "p_boltzmann"),
                  xlabel="x", ylabel="density", reference_label="exp(−U/D)/Z"),
        Curves("fraction", "Fraction right of the barrier vs Fokker–Planck",
               series=(Series("right_fraction", x="history_t", label="simulated"),
                       Series("fp_fraction", x="fp_t", label="Fokker–Planck (exact)")),
               hlines=("right_fraction_exact",), xlabel="t", ylabel="fraction"),
        Curves("paths", "Sample paths",
               series=(Series("paths", x="paths_t", names="path_names"),),
               xlabel="t", ylabel="x"),
        Readout("rates", "Transitions, first passages, Boltzmann law (measured | exact)",
                area="bottom", lines=(
                    ("t", "time t", "{:.3f}"),
                    ("transitions", "well-to-well transitions", "{:d}"),
                    ("rate_text", "hop rate | exact | Kramers", "{}"),
                    ("mfpt_lr_text", "MFPT left→right core", "{}"),
                    ("mfpt_rl_text", "MFPT right→left core", "{}"),
                    ("mfpt_wells_exact", "MFPT min→min, quadrature", "{:.4g}"),
                    ("lambda1_text", "relaxation rate | gap λ₁", "{}"),
                    ("fraction_text", "fraction right | equilibrium", "{}"),
                    ("Z", "Z = ∫exp(−U/D)dx", "{:.6g}"),
                    ("x2_text", "⟨x²⟩ pooled | exact", "{}"),
                    ("x4_text", "⟨x⁴⟩ pooled | exact", "{}"),
                    ("U_text", "⟨U⟩ pooled | exact", "{}"),
                    ("hist_source", "histogram of", "{}"),
                    ("pooled_samples", "pooled samples", "{:d}"),
                    ("engine", "engine", "{}"),
                )),
    )
    frame_fields = {
        "x": "(n_particles,) particle positions",
        "density_edges": "(3m+1,) fine uniform bin edges on [−7.5, 7.5] (m ≥ 2000 inside the "
                         "histogram's range, each histogram bin a whole number of them)",
        "density_counts": "(3m,) particles in each fine bin now: what the particle view "
                          "draws as a density",
        "step": "Euler–Maruyama steps taken",
        "t": "model time",
        "grid": "(400,) grid on [−2.5, 2.5]",
        "U": "(400,) potential on the grid",
        "p_boltzmann": "(400,) exp(−U/D)/Z on the grid",
        "edges": "(bins+1,) histogram bin edges",
        "hist": "(bins,) density of positions: pooled after the burn-in, the current "
                "positions before it",
        "pooled_samples": "number of positions pooled into the histogram",
        "hist_source": "what the histogram shows: the current positions until the burn-in "
                       "ends, then the positions pooled over time",
        "history_t": "(m,) times of the right-fraction record",
        "right_fraction": "(m,) fraction of particles right of the barrier over time",
        "right_fraction_now": "current fraction right of the barrier",
        "right_fraction_exact": "Boltzmann probability of being right of the barrier",
        "fp_t": "(k,) times since the last change of D or U",
        "fp_fraction": "(k,) exact P(X_t > barrier) from the Fokker–Planck semigroup, started "
                       "from the particles' law at the last change",
        "paths_t": "(w,) times of the sliding path window",
        "paths": "(n_paths, w) positions of the first particles over the window",
        "path_names": "(n_paths,) labels of the paths",
        "transitions": "well-to-well transitions counted between well cores at every step",
        "transition_rate": "transitions per particle per unit time since the last change",
        "rate_exact": "2/(T(L→R) + T(R→L)): the exact equilibrium hop rate between the cores "
                      "(two wells; 0 otherwise)",
        "kramers_rate": "Kramers' prediction of that rate (0 without a barrier)",
        "mfpt_lr": "time in the left well per left→right transition since the last change "
                   "(NaN before the first)",
        "mfpt_rl": "time in the right well per right→left transition (NaN before the first)",
        "mfpt_lr_exact": "MFPT from the left core's edge to the right core's edge (quadrature)",
        "mfpt_rl_exact": "MFPT from the right core's edge to the left core's edge (quadrature)",
        "mfpt_wells_exact": "MFPT from the left minimum to the right minimum (quadrature)",
        "Z": "∫exp(−U/D)dx (quadrature)",
        "x2_exact": "Boltzmann ⟨x²⟩", "x4_exact": "Boltzmann ⟨x⁴⟩", "U_exact": "Boltzmann ⟨U⟩",
        "x2_pooled": "pooled ⟨x²⟩ over the first 10⁵ particles (NaN before pooling starts)",
        "x4_pooled": "pooled ⟨x⁴⟩ (NaN before pooling starts)",
        "U_pooled": "pooled ⟨U⟩ (NaN before pooling starts)",
        "lambda1": "spectral gap λ₁ of the discretised Fokker–Planck generator",
        "lambda1_measured": "decay rate fitted to the right fraction's relaxation (NaN while "
                            "none stands above the noise)",
        "engine": "the compute engine: numpy float64, or torch float32 and its device",
        "rate_text": "measured | exact | Kramers hop rates, for the read-out",
        "mfpt_lr_text": "measured | exact MFPT left→right, for the read-out",
        "mfpt_rl_text": "measured | exact MFPT right→left, for the read-out",
        "lambda1_text": "fitted relaxation rate | λ₁, for the read-out",
        "fraction_text": "current | equilibrium fraction right of the barrier, for the read-out",
        "x2_text": "pooled | exact ⟨x²⟩", "x4_text": "pooled | exact ⟨x⁴⟩",
        "U_text": "pooled | exact ⟨U⟩",
    }
    history_fields = ("history_t", "right_fraction")
    nonfinite_fields = frozenset({"mfpt_lr", "mfpt_rl", "x2_pooled", "x4_pooled", "U_pooled",
                                  "lambda1_measured", "mfpt_lr_exact", "mfpt_rl_exact",
                                  "mfpt_wells_exact"})
    default_steps_per_frame = 10
    memory_param = "n_particles"

    @classmethod
    def memory_bytes(cls, p) -> int:
        # positions, noise, drift and well-index temporaries, the frame's copy, the
        # GUI's pixel indices: about a dozen arrays of n floats
        return 12 * 8 * int(p["n_particles"])

    @classmethod
    def check(cls, p) -> None:
        check_engine_available(p["engine"])

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self.engine = choose_engine(self.p["engine"], device, self.p["n_particles"])
        self.device = self.engine[1]
        self._set_law()

    # -- the law: potential, Boltzmann density and landmarks (per parameter change) ------
    def _set_law(self) -> None:
        p = self.p
        self.potential = make_potential(p["potential"], p["tilt"])
        self.U_grid = self.potential.U(GRID)
        self.p_grid = boltzmann(self.potential, p["D"], GRID)
        minima, barriers = landmarks(self.potential, GRID)
        self.minima = minima
        if len(barriers):
            # The highest barrier splits "left" from "right"; well cores for the hysteresis
            # counter are the points within half the distance from a minimum to its barrier.
            self.barrier = float(barriers[np.argmax(self.potential.U(barriers))])
        else:
            self.barrier = float(minima[0]) if len(minima) else 0.0
        self.core_radius = self._core_radii(minima, barriers)
        self.right_exact = boltzmann_mass(self.potential, p["D"], self.barrier, np.inf)
        self.kramers = self._kramers_hop_rate(minima, barriers)
        self._edges = np.linspace(GRID[0], GRID[-1], p["bins"] + 1)
        self._bins = NestedBins(GRID[0], GRID[-1], p["bins"])
        if np.all(np.isfinite(self.U_grid)):
            self.stats = boltzmann_stats(self.potential, p["D"])
            self.fp = FokkerPlanck1D(self.potential, p["D"], h=0.02)
            self._set_passage_times()
        else:  # a broken U: the frame guard names it; nothing exact to compute
            nan = float("nan")
            self.stats = BoltzmannStats(nan, nan, nan, nan, nan)
            self.fp = None
            self.mfpt_exact, self.rate_exact = (nan, nan, nan), nan

    def _set_passage_times(self) -> None:
        nan = float("nan")
        self.mfpt_exact = (nan, nan, nan)
        self.rate_exact = 0.0
        if len(self.minima) == 2:
            (m0, m1), (r0, r1) = self.minima, self.core_radius
            D = self.p["D"]
            lr = mfpt(self.potential, D, m0 + r0, m1 - r1)
            rl = mfpt(self.potential, D, m1 - r1, m0 + r0)
            wells = mfpt(self.potential, D, m0, m1)
            self.mfpt_exact = (lr, rl, wells)
            self.rate_exact = 2.0 / (lr + rl)

    @staticmethod
    def _core_radii(minima: np.ndarray, barriers: np.ndarray) -> np.ndarray:
        radii = np.empty(len(minima))
        for i, m in enumerate(minima):
            dist = np.abs(barriers - m) if len(barriers) else np.array([np.inf])
            radii[i] = 0.5 * dist.min()
        return radii

    def _kramers_hop_rate(self, minima: np.ndarray, barriers: np.ndarray) -> float:
        """Equilibrium hops per particle per time, 2·π_L·k(L→R), for two wells; else 0."""
        if len(minima) != 2 or len(barriers) != 1:
            return 0.0
        k_lr = kramers_rate(self.potential, self.p["D"], float(minima[0]), float(barriers[0]))
        return 2.0 * (1.0 - self.right_exact) * k_lr

    def on_live_change(self, names: set[str]) -> None:
        if names & {"D", "potential", "tilt", "bins"}:
            self._set_law()
            self._restart_pooling = True

    # -- the run ------------------------------------------------------------------------
    def frames(self) -> Iterator[Frame]:
        p = self.p
        n = p["n_particles"]
        kind, device = self.engine
        ens = Ensemble(np.full(n, p["x0"]), p["seed"], 1, kind, device)
        engine_label = ens.label
        step, t = 0, 0.0
        host = ens.host_view()  # numpy compares and counts fastest on the CPU
        counter = HysteresisCounter(ens, self.minima, self.core_radius)
        before = 0  # transitions counted before the last change of D or U
        history = History(capacity=4096)
        paths = Window(shape=(5,), capacity=2000)
        path_names = np.array([f"particle {i}" for i in range(min(5, n))])
        self._restart_pooling = True
        while True:
            if self._restart_pooling:
                self._restart_pooling = False
                law_since = t
                before += counter.transitions
                if not np.array_equal(self.minima, counter.minima):
                    # A new U has new wells: old indices would name other wells and count
                    # hops that never happened, so restart the memory from the new cores.
                    counter = HysteresisCounter(ens, self.minima, self.core_radius)
                counter.reset_statistics()
                counts = np.zeros(len(self._edges) - 1)
                pooled = 0
                sums = np.zeros(3)  # Σx², Σx⁴, ΣU over pooled positions
                n_moments = 0
                fp = self.fp
                if fp is not None:
                    # each node stands for its cell: the share of the cell right of the
                    # barrier (½ for a node on it, as at the top of a symmetric well)
                    right = np.clip((fp.x + fp.h / 2 - self.barrier) / fp.h, 0.0, 1.0)
                    fp_modes = fp.observable_modes(fp.masses(ens.numpy()), right)
                    keep = np.abs(fp_modes) > 1e-9 * np.abs(fp_modes).max()
                    fp_modes, fp_lam = fp_modes[keep], fp.lam[keep]
            dt, D = self.p["dt"], self.p["D"]
            dU, cubic = self.potential.dU, self.potential.cubic
            for _ in range(self.steps_per_frame):
                ens.em_step(dt, D, gradient=dU, cubic=cubic)
                step += 1
                t += dt
                counter.update(dt)
            if not ens.max_abs() < ESCAPE:
                raise Diverged(step, f"a particle escaped beyond |x| = {ESCAPE:g}; lower Δt")
            x = ens.x
            # one pass bins the particles finely: the density view draws that, the
            # histogram sums it into its bins
            fine = self._bins.counts(ens)
            now = self._bins.coarse(fine)
            if t - law_since >= self.p["burn_in"]:
                counts += now
                pooled += n
                # moments from (at most) the first 10⁵ particles: independent copies, so a
                # subsample costs 10× less at 10⁶ and the time average does the rest
                sub = x[:MOMENT_SAMPLE]
                x2 = sub * sub
                sums += (ens.total(x2), ens.total(x2 * x2), ens.total(self.potential.U(sub)))
                n_moments += len(sub)
            right_now = host.count(host.x > self.barrier) / n
            history.append(t, right_now)
            paths.append(t, ens.head(5) if n >= 5 else np.pad(ens.head(n), (0, 5 - n)))
            k = min(self.p["n_paths"], n)
            elapsed = t - law_since
            fp_t = np.linspace(law_since, t, 120)
            hist_t, hist_r = history.x, history.values
            lam_fit, lam1 = float("nan"), float("nan")
            if fp is None:
                fp_fraction = np.full(fp_t.shape, np.nan)
            else:
                fp_fraction = np.exp(-np.outer(fp_t - law_since, fp_lam)) @ fp_modes
                lam1 = fp.gap
                if len(self.minima) >= 2:
                    # fitted once the faster modes (λ₂ and up) have died out
                    se = np.sqrt(max(self.right_exact * (1 - self.right_exact), 1e-12) / n)
                    lam_fit = fitted_relaxation_rate(
                        hist_t, hist_r, self.right_exact, se,
                        t_from=law_since + 2.0 / max(float(fp.lam[2]), 1e-9))
            mfpt_right, mfpt_left = counter.mean_passage_times()
            two = counter.K == 2
            nan = float("nan")
            frame = {
                "step": step,
                "t": t,
                "x": ens.numpy(),
                "density_edges": self._bins.edges,
                "density_counts": fine,
                "grid": GRID,
                "U": self.U_grid,
                "p_boltzmann": self.p_grid,
                "edges": self._edges,
                # before the burn-in ends the histogram shows where the particles are now,
                # so Play shows a histogram at once; then the pooled one takes over
                "hist": (counts / (pooled * np.diff(self._edges)) if pooled else
                         now / (n * np.diff(self._edges))),
                "hist_source": "pooled over time" if pooled else "current positions "
                               "(pooling starts after the burn-in)",
                "pooled_samples": pooled,
                "history_t": hist_t,
                "right_fraction": hist_r,
                "right_fraction_now": right_now,
                "right_fraction_exact": self.right_exact,
                "fp_t": fp_t,
                "fp_fraction": np.clip(fp_fraction, 0.0, 1.0),
                "paths_t": paths.x,
                "paths": paths.values[:, :k].T.copy(),
                "path_names": path_names[:k],
                "transitions": before + counter.transitions,
                "transition_rate": counter.transitions / (n * elapsed) if elapsed > 0 else 0.0,
                "rate_exact": self.rate_exact,
                "kramers_rate": self.kramers,
                "mfpt_lr": float(mfpt_right[0]) if two else nan,
                "mfpt_rl": float(mfpt_left[1]) if two else nan,
                "mfpt_lr_exact": self.mfpt_exact[0],
                "mfpt_rl_exact": self.mfpt_exact[1],
                "mfpt_wells_exact": self.mfpt_exact[2],
                "Z": self.stats.Z,
                "x2_exact": self.stats.x2,
                "x4_exact": self.stats.x4,
                "U_exact": self.stats.U,
                "x2_pooled": sums[0] / n_moments if n_moments else nan,
                "x4_pooled": sums[1] / n_moments if n_moments else nan,
                "U_pooled": sums[2] / n_moments if n_moments else nan,
                "lambda1": lam1,
                "lambda1_measured": lam_fit,
                "engine": engine_label,
            }
            frame.update({
                "rate_text": pair(frame["transition_rate"], self.rate_exact, self.kramers),
                "mfpt_lr_text": pair(frame["mfpt_lr"], self.mfpt_exact[0]),
                "mfpt_rl_text": pair(frame["mfpt_rl"], self.mfpt_exact[1]),
                "lambda1_text": pair(lam_fit, lam1),
                "fraction_text": pair(right_now, self.right_exact, fmt="{:.3f}"),
                "x2_text": pair(frame["x2_pooled"], self.stats.x2, fmt="{:.4f}"),
                "x4_text": pair(frame["x4_pooled"], self.stats.x4, fmt="{:.4f}"),
                "U_text": pair(frame["U_pooled"], self.stats.U, fmt="{:.4f}"),
            })
            yield frame


def pair(*values: float, fmt: str = "{:.4g}") -> str:
    """'a | b | c' for a read-out line; NaN (not yet measured) shows as a dash."""
    return " | ".join("—" if not np.isfinite(v) else fmt.format(float(v)) for v in values)
