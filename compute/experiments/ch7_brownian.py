"""§7.3.1–7.3.2, Example 7.3.1, Fig. 7.6: Brownian motion, heat-kernel marginals, heat equation."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ..experiment import Experiment, Frame
from ..heat import heat_kernel, spectral_heat
from ..history import History
from ..params import Choice, Float, Int, Multi, ParamError, Seed
from ..registry import register
from ..sde import Ensemble
from ..views import Curves, Histogram, Particles, Readout, Series

MARGINAL_CHOICES = ("0.05", "0.1", "0.2", "0.5", "1", "2", "5", "10")
GRID_POINTS = 401  # odd: x = 0 is a node (the notebook's 400-point grid has none)
BINS = 60


@register
class BrownianHeat(Experiment):
    id = "ch7.brownian-heat"
    title = "Brownian motion and the heat equation"
    section = "7.3.2"
    family = "diffusion & U-turn trajectories"
    summary = "Paths, marginal histograms and the heat equation: three views of dX = √(2D)dW."
    explanation = (
        "A cloud of particles starts at 0 and follows dX = √(2D)dW, simulated by "
        "Euler–Maruyama. Three equivalent views update in lockstep: the paths X_t against t; "
        "the histogram of the particles' positions against the heat kernel "
        "p_t(x) = (4πDt)^(−1/2)exp(−x²/4Dt), a Gaussian whose variance 2Dt grows linearly "
        "(the empirical variance is drawn against the line 2Dt); and the heat equation "
        "∂ₜp = D∂ₓ²p solved by FFT, i.e. convolution with the same kernel, whose curves keep "
        "mass 1. Snapshots of the histogram are kept at the chosen marginal times. Because "
        "the EM update is exact for pure Brownian motion, the marginals do not depend on the "
        "number of steps N. In two dimensions the cloud spreads with E|X_t|² = 2dDt, the "
        "ring of radius √(2dDt) drawn over it."
    )
    equations = (
        r"$dX_t = \sqrt{2D}\,dW_t,\quad X_0 = 0$",
        r"$X_{k+1} = X_k + \sqrt{2D\Delta t}\;\xi_k,\quad \Delta t = T/N$",
        r"$\partial_t p = D\,\partial_x^2 p,\qquad"
        r" p_t(x) = \frac{1}{\sqrt{4\pi D t}}\,e^{-x^2/(4Dt)}$",
        r"$\mathbb{E}\,|X_t|^2 = 2\,d\,D\,t$",
    )
    book_notes = (
        "The notebook builds the 'delta' initial condition of its PDE panel by setting every "
        "grid point with |x| < Δx to 1/Δx; its 400-point grid has no x = 0 node, so two "
        "points qualify and every PDE curve is twice the heat kernel. The lab uses a "
        "401-point grid with a node at 0 and one cell of mass 1, and shows the total mass.",
        "The notebook's 'repeated convolution' is one convolution per time; the lab solves "
        "the heat equation spectrally (each Fourier mode times exp(−Dk²t)), which is that "
        "convolution computed by FFT.",
        "The notebook draws its marginal histograms directly as √(2Dt)·ξ, not from the "
        "simulated paths; the lab histograms the simulated ensemble itself.",
    )
    params = (
        Float("D", 1.0, 0.01, 5.0, live=True, log=True, label="D",
              help="Diffusion coefficient: Var X_t = 2Dt."),
        Float("T", 1.0, 0.1, 10.0, label="horizon T", help="The run ends at time T."),
        Int("n_steps", 500, 10, 5000, log=True, label="steps N",
            help="Euler–Maruyama steps over [0, T] (Δt = T/N)."),
        Int("n_paths", 20, 1, 200, live=True, label="paths shown", help="Paths drawn."),
        Int("n_particles", 50_000, 1000, 1_000_000, log=True, label="particles",
            help="Samples for the histograms and the variance."),
        Multi("marginal_times", ("0.2", "0.5", "1"), MARGINAL_CHOICES, label="marginal times",
              help="Times at which the histogram is kept and compared with the kernel."),
        Choice("dim", "1", ("1", "2"), label="dimension d"),
        Seed(),
    )
    views = (
        Curves("paths", "Paths X_t", area="left",
               series=(Series("paths", x="paths_t", label="paths", style="fan"),
                       Series("envelope", x="paths_t", names="envelope_names")),
               xlabel="t", ylabel="X_t"),
        Histogram("histogram", "Histogram of X_t vs the heat kernel", area="left",
                  edges="edges", values="hist", reference=("grid", "kernel_now"),
                  xlabel="x (first coordinate)", ylabel="density",
                  reference_label="heat kernel at t"),
        Curves("marginals", "Marginals at the chosen times",
               series=(Series("marginal_hist", x="edges", names="marginal_names",
                              style="step"),
                       Series("marginal_kernel", x="grid", names="kernel_names")),
               xlabel="x", ylabel="density"),
        Curves("pde", "Heat equation by FFT (convolution)",
               series=(Series("pde", x="grid", names="pde_names"),),
               xlabel="x", ylabel="p_t(x)"),
        Curves("variance", "E|X_t|² vs 2dDt",
               series=(Series("second_moment", x="history_t", label="ensemble"),
                       Series("second_moment_exact", x="history_t", label="2dDt")),
               xlabel="t", ylabel="E|X_t|²"),
        Particles("cloud", "Particle cloud", x="cloud_x", y="cloud_y", trails="ring",
                  xlabel="x₁", ylabel="x₂ (jitter in 1D)", equal_aspect=False),
        Readout("readout", "Brownian motion", area="bottom", lines=(
            ("t", "time t", "{:.4f}"),
            ("dt", "Δt = T/N", "{:.4g}"),
            ("second_moment_text", "E|X_t|² | 2dDt", "{}"),
            ("peak_text", "histogram peak | (4πDt)^(−1/2)", "{}"),
            ("pde_mass", "PDE mass ∫p dx", "{:.6f}"),
            ("pde_error", "max |PDE − kernel|", "{:.2e}"),
        )),
    )
    frame_fields = {
        "x": "(n_particles,) first coordinate of every particle",
        "paths_t": "(k+1,) times so far", "paths": "(n_paths, k+1) shown paths (first coordinate)",
        "envelope": "(2, k+1) ±2√(2Dt)", "envelope_names": "(2,) labels",
        "edges": "(61,) histogram edges", "hist": "(60,) density of X_t (first coordinate)",
        "grid": "(401,) x grid", "kernel_now": "(401,) heat kernel at the current t",
        "marginal_hist": "(m, 60) histograms kept at the marginal times (NaN until reached)",
        "marginal_names": "(m,) labels", "marginal_kernel": "(m, 401) kernels at those times",
        "kernel_names": "(m,) labels", "pde": "(m+1, 401) FFT heat-equation solution at the "
        "marginal times and now", "pde_names": "(m+1,) labels",
        "history_t": "(h,) times", "second_moment": "(h,) ensemble E|X|²",
        "second_moment_exact": "(h,) 2dDt",
        "cloud_x": "(≤20000,) first coordinates shown", "cloud_y": "(≤20000,) second "
        "coordinates (a fixed jitter in 1D)", "ring": "(1, 200, 2) circle of radius √(2dDt) "
        "(2D) or the band ±√(2Dt) (1D)",
        "dt": "Δt", "second_moment_text": "read-out", "peak_text": "read-out",
        "pde_mass": "∫ of the PDE solution now (over its whole periodic grid)",
        "pde_error": "max |PDE − kernel| now",
        "second_moment_now": "ensemble E|X_t|²",
    }
    nonfinite_fields = frozenset({"marginal_hist", "marginal_kernel", "pde"})
    history_fields = ("history_t", "second_moment")
    default_steps_per_frame = 5
    memory_param = "n_particles"

    @classmethod
    def memory_bytes(cls, p) -> int:
        return 8 * 8 * int(p["n_particles"]) * int(p["dim"]) + 8 * 200 * (p["n_steps"] + 1)

    @classmethod
    def check(cls, p) -> None:
        if not p["marginal_times"]:
            raise ParamError("marginal_times", "choose at least one time")

    def frames(self) -> Iterator[Frame]:
        p = self.p
        T, N, d, n = p["T"], p["n_steps"], int(p["dim"]), p["n_particles"]
        dt = T / N
        ens = Ensemble(np.zeros((n, d)) if d > 1 else np.zeros(n), p["seed"], 1)
        times = sorted(float(s) for s in p["marginal_times"])
        m = len(times)
        half = 4.5 * math.sqrt(2 * p["D"] * T)
        edges = np.linspace(-half, half, BINS + 1)
        grid = np.linspace(-half, half, GRID_POINTS)
        dx = grid[1] - grid[0]
        # the FFT grid is periodic: solve on twice the width, show the middle
        wide = 2 * GRID_POINTS - 1
        crop = slice(GRID_POINTS // 2, GRID_POINTS // 2 + GRID_POINTS)
        p0 = np.zeros(wide)
        p0[wide // 2] = 1.0 / dx  # one cell of mass 1 at the node x = 0
        paths = np.zeros((200, N + 1))
        paths_t = np.linspace(0.0, T, N + 1)
        marg_hist = np.full((m, BINS), np.nan)
        marg_kernel = np.full((m, GRID_POINTS), np.nan)
        marg_pde = np.full((m, GRID_POINTS), np.nan)
        taken = np.zeros(m, dtype=bool)
        history = History(shape=(2,), capacity=2048)
        cloud = min(n, 20_000)
        jitter = np.random.default_rng(0).uniform(-1, 1, cloud)
        step = 0
        elapsed_D = 0.0  # ∫D dt: each coordinate's variance is 2∫D dt (D is live)
        names = [f"t = {s:g}" for s in times]
        theta = np.linspace(0, 2 * np.pi, 200)
        shown_start = False  # the first frame shows t = 0, later ones advance
        while True:
            if shown_start:
                D = self.p["D"]
                for _ in range(min(self.steps_per_frame, N - step)):
                    ens.em_step(dt, D)
                    step += 1
                    elapsed_D += D * dt
                    first = ens.x[:200, 0] if d > 1 else ens.x[:200]
                    paths[: len(first), step] = first
                    for j, s in enumerate(times):
                        if not taken[j] and step * dt >= s - 1e-12:
                            taken[j] = True
                            D_eff = elapsed_D / (step * dt)
                            marg_hist[j] = _density(ens.x[:, 0] if d > 1 else ens.x, edges)
                            marg_kernel[j] = heat_kernel(grid, step * dt, D_eff)
                            marg_pde[j] = spectral_heat(p0, dx, D_eff, step * dt)[crop]
            t = step * dt
            x1 = ens.x[:, 0] if d > 1 else ens.x
            sq = float(np.mean(np.sum(ens.x**2, axis=1))) if d > 1 else float(np.mean(x1**2))
            exact = 2 * d * elapsed_D
            history.append(t, (sq, exact))
            hv = history.values
            D_eff = elapsed_D / t if t > 0 else self.p["D"]
            hist = _density(x1, edges)
            kernel_now = heat_kernel(grid, t, D_eff)
            pde_wide = spectral_heat(p0, dx, D_eff, t) if t > 0 else p0
            pde_now = pde_wide[crop]
            sd = math.sqrt(2 * elapsed_D)
            if d > 1:
                r = math.sqrt(2 * d * elapsed_D)
                ring = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)[None]
                cloud_y = ens.x[:cloud, 1]
            else:
                ring = np.array([[[-sd, -1.1], [-sd, 1.1], [sd, 1.1], [sd, -1.1], [-sd, -1.1]]])
                cloud_y = jitter
            n_show = min(self.p["n_paths"], n, 200)
            shown_start = True
            yield {
                "step": step,
                "t": t,
                "x": x1.copy(),
                "paths_t": paths_t[: step + 1],
                "paths": paths[:n_show, : step + 1].copy(),
                "envelope": np.array([2.0, -2.0])[:, None]
                * np.sqrt(2 * D_eff * paths_t[: step + 1])[None, :],
                "envelope_names": np.array(["±2√(2Dt)", ""]),
                "edges": edges,
                "hist": hist,
                "grid": grid,
                "kernel_now": kernel_now,
                "marginal_hist": marg_hist.copy(),
                "marginal_names": np.array([f"histogram {s}" for s in names]),
                "marginal_kernel": marg_kernel.copy(),
                # one legend entry for the kernels: they share the histograms' times
                "kernel_names": np.array(["heat kernels"] + [""] * (len(names) - 1)),
                "pde": np.vstack([marg_pde, pde_now[None]]),
                "pde_names": np.array([*names, "now"]),
                "history_t": history.x,
                "second_moment": hv[:, 0],
                "second_moment_exact": hv[:, 1],
                "second_moment_now": sq,
                "cloud_x": x1[:cloud].copy(),
                "cloud_y": np.asarray(cloud_y, dtype=float).copy(),
                "ring": ring,
                "dt": dt,
                "second_moment_text": f"{sq:.4g} | {exact:.4g}",
                "peak_text": f"{float(hist.max()):.4g} | "
                + (f"{1 / math.sqrt(4 * math.pi * D_eff * t):.4g}" if t > 0 else "∞"),
                "pde_mass": float(np.sum(pde_wide) * dx),
                "pde_error": float(np.max(np.abs(pde_now - kernel_now))) if t > 0 else 0.0,
            }
            if step >= N:
                return


def _density(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Histogram of x as a density over all samples (mass outside the edges is lost)."""
    return np.histogram(x, bins=edges)[0] / (len(x) * np.diff(edges))
