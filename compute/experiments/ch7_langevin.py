"""§7.3.3, Example 7.3.2, Fig. 7.7: overdamped Langevin particles in a double well."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import backend
from ..experiment import Diverged, Experiment, Frame
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
from ..views import Curves, Histogram, Particles, Readout, Series

GRID = np.linspace(-2.5, 2.5, 400)  # the notebook's Boltzmann grid
ESCAPE = 1e6  # |x| beyond this is a blow-up of the Euler–Maruyama step


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
        "relaxes to its equilibrium value. Transitions are counted between well cores "
        "(hysteresis), and their rate is compared with Kramers' formula."
    )
    equations = (
        r"$dX_t = -U'(X_t)\,dt + \sqrt{2D}\,dW_t,\quad U(x) = \frac{(x^2-1)^2}{4}$",
        r"$X_{k+1} = X_k - U'(X_k)\,\Delta t + \sqrt{2D\,\Delta t}\;\xi_k,\quad"
        r" \xi_k \sim \mathcal{N}(0,1)$",
        r"$p_{\rm st}(x) = e^{-U(x)/D}/Z,\quad Z = \int e^{-U(x)/D}\,dx$",
        r"$k_{\rm Kramers} = \frac{\sqrt{U''(x_{\min})\,|U''(x_b)|}}{2\pi}\,e^{-\Delta U/D}$",
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
        Seed(),
    )
    views = (
        Particles("particles", "Particles in the potential", area="left", x="x",
                  curve=("grid", "U"), on_curve=True, xlabel="x", ylabel="U(x)",
                  xrange=(-2.5, 2.5)),
        Histogram("histogram", "Pooled histogram vs Boltzmann law", area="left",
                  edges="edges", values="hist", reference=("grid", "p_boltzmann"),
                  xlabel="x", ylabel="density", reference_label="exp(−U/D)/Z"),
        Curves("fraction", "Fraction right of the barrier",
               series=(Series("right_fraction", x="history_t", label="simulated"),),
               hlines=("right_fraction_exact",), xlabel="t", ylabel="fraction"),
        Curves("paths", "Sample paths",
               series=(Series("paths", x="paths_t", names="path_names"),),
               xlabel="t", ylabel="x"),
        Readout("rates", "Transitions", area="bottom", lines=(
            ("t", "time t", "{:.3f}"),
            ("transitions", "well-to-well transitions", "{:d}"),
            ("transition_rate", "measured rate per particle", "{:.4g}"),
            ("kramers_rate", "Kramers rate", "{:.4g}"),
            ("right_fraction_now", "fraction right of barrier", "{:.3f}"),
            ("right_fraction_exact", "equilibrium fraction", "{:.3f}"),
            ("pooled_samples", "pooled samples", "{:d}"),
        )),
    )
    frame_fields = {
        "x": "(n_particles,) particle positions",
        "step": "Euler–Maruyama steps taken",
        "t": "model time",
        "grid": "(400,) grid on [−2.5, 2.5]",
        "U": "(400,) potential on the grid",
        "p_boltzmann": "(400,) exp(−U/D)/Z on the grid",
        "edges": "(bins+1,) histogram bin edges",
        "hist": "(bins,) pooled density of positions after burn-in",
        "pooled_samples": "number of positions pooled into the histogram",
        "history_t": "(m,) times of the right-fraction record",
        "right_fraction": "(m,) fraction of particles right of the barrier over time",
        "right_fraction_now": "current fraction right of the barrier",
        "right_fraction_exact": "Boltzmann probability of being right of the barrier",
        "paths_t": "(w,) times of the sliding path window",
        "paths": "(n_paths, w) positions of the first particles over the window",
        "path_names": "(n_paths,) labels of the paths",
        "transitions": "well-to-well transitions counted between well cores",
        "transition_rate": "transitions per particle per unit time since the last change",
        "kramers_rate": "Kramers' prediction of that rate (0 without a barrier)",
    }
    history_fields = ("history_t", "right_fraction")
    default_steps_per_frame = 10
    memory_param = "n_particles"

    @classmethod
    def memory_bytes(cls, p) -> int:
        # positions, noise, drift and well-index temporaries, the frame's copy, the
        # GUI's pixel indices: about a dozen arrays of n floats
        return 12 * 8 * int(p["n_particles"])

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
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
    def _well_index(self, x: np.ndarray) -> np.ndarray:
        """Index of the well core holding each particle, −1 outside every core."""
        idx = np.full(x.shape, -1, dtype=np.int64)
        for i, (m, r) in enumerate(zip(self.minima, self.core_radius, strict=True)):
            idx[np.abs(x - m) < r] = i
        return idx

    def frames(self) -> Iterator[Frame]:
        p = self.p
        n = p["n_particles"]
        noise_rng = backend.rng(p["seed"], 1)
        x = np.full(n, p["x0"], dtype=np.float64)
        xi = np.empty(n)
        step, t = 0, 0.0
        last_well = self._well_index(x)
        cores = self.minima  # the well cores that last_well indexes
        transitions = 0
        history = History(capacity=4096)
        paths = Window(shape=(5,), capacity=2000)
        path_names = np.array([f"particle {i}" for i in range(min(5, n))])
        self._restart_pooling = True
        while True:
            if self._restart_pooling:
                self._restart_pooling = False
                law_since, trans_since = t, transitions
                if not np.array_equal(self.minima, cores):
                    # A new U has new wells: old indices would name other wells and count
                    # hops that never happened, so restart the memory from the new cores.
                    cores = self.minima
                    last_well = self._well_index(x)
                counts = np.zeros(len(self._edges) - 1)
                pooled = 0
            dt, D = self.p["dt"], self.p["D"]
            dU = self.potential.dU
            amp = np.sqrt(2.0 * D * dt)
            for _ in range(self.steps_per_frame):
                noise_rng.standard_normal(out=xi)
                x -= dU(x) * dt
                x += amp * xi
                step += 1
                t += dt
            if not np.all(np.abs(x) < ESCAPE):
                raise Diverged(step, f"a particle escaped beyond |x| = {ESCAPE:g}; lower Δt")
            well = self._well_index(x)
            entered = (well >= 0) & (well != last_well)
            transitions += int(np.count_nonzero(entered & (last_well >= 0)))
            last_well = np.where(well >= 0, well, last_well)

            if t - law_since >= self.p["burn_in"]:
                counts += _bin_counts(x, self._edges)
                pooled += n
            right_now = float(np.count_nonzero(x > self.barrier)) / n
            history.append(t, right_now)
            paths.append(t, x[:5] if n >= 5 else np.pad(x, (0, 5 - n)))
            k = min(self.p["n_paths"], n)
            elapsed = t - law_since
            yield {
                "step": step,
                "t": t,
                "x": x.copy(),
                "grid": GRID,
                "U": self.U_grid,
                "p_boltzmann": self.p_grid,
                "edges": self._edges,
                "hist": counts / (max(pooled, 1) * np.diff(self._edges)),
                "pooled_samples": pooled,
                "history_t": history.x,
                "right_fraction": history.values,
                "right_fraction_now": right_now,
                "right_fraction_exact": self.right_exact,
                "paths_t": paths.x,
                "paths": paths.values[:, :k].T.copy(),
                "path_names": path_names[:k],
                "transitions": transitions,
                "transition_rate": (transitions - trans_since) / (n * elapsed) if elapsed > 0
                else 0.0,
                "kramers_rate": self.kramers,
            }


def _bin_counts(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of ``x`` in uniform bins (points outside the range are not counted)."""
    nbins = len(edges) - 1
    idx = np.floor((x - edges[0]) * (nbins / (edges[-1] - edges[0]))).astype(np.int64)
    inside = (idx >= 0) & (idx < nbins)
    return np.bincount(idx[inside], minlength=nbins).astype(float)
