"""§7.3.2 (derivation made visual): path integral, Chapman–Kolmogorov, discrete action."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ..experiment import Experiment, Frame
from ..heat import gaussian_step, heat_kernel
from ..params import Float, Int, Seed
from ..registry import register
from ..views import Curves, Histogram, Readout, Series

ACTION_CLASSES = 4  # bridges coloured by action quartile
SAMPLES_PER_FRAME = 200_000  # increments drawn per frame for the action statistics
HIST_BINS = 50


def sample_bridges(rng: np.random.Generator, n: int, slices: int, t: float, D: float,
                   x0: float, xt: float) -> np.ndarray:
    """n Brownian bridges of dX = √(2D)dW from (0, x₀) to (t, x_t) on ``slices`` steps,
    shape (n, slices + 1): a free path minus the straight line through its own end."""
    eps = t / slices
    steps = math.sqrt(2 * D * eps) * rng.standard_normal((n, slices))
    free = np.concatenate([np.zeros((n, 1)), np.cumsum(steps, axis=1)], axis=1)
    s = np.linspace(0.0, 1.0, slices + 1)
    return x0 + free - s * free[:, -1:] + s * (xt - x0)


def gamma_pdf(x: np.ndarray, shape: float, scale: float = 1.0) -> np.ndarray:
    """The Gamma(shape, scale) density (χ²_k/2 is Gamma(k/2, 1))."""
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    pos = x > 0
    z = x[pos] / scale
    out[pos] = np.exp((shape - 1) * np.log(z) - z - math.lgamma(shape)) / scale
    return out


@register
class PathIntegralCK(Experiment):
    id = "ch7.path-integral-ck"
    title = "Path integral and Chapman–Kolmogorov"
    section = "7.3.2"
    family = "diffusion & U-turn trajectories"
    summary = ("Composing N short-time kernels gives the heat kernel for every slicing; path "
               "actions blow up as N grows.")
    explanation = (
        "Slice [0, t] into N steps of length ε = t/N. The short-time propagator "
        "K(x′, x; ε) = (4πDε)^(−1/2)exp(−(x′−x)²/4Dε) is a Gaussian; Chapman–Kolmogorov "
        "composes it, p_(t+ε) = ∫K p_t, here as a matrix on a grid applied k = 1…N times to a "
        "point mass. After k compositions the density is the heat kernel at kε, whatever N: "
        "the semigroup property (drag N). Paths themselves behave very differently: the "
        "weight of a path is exp(−Σ(ΔX)²/4Dε), and its exponent, the discrete action, has "
        "mean dN/2 and diverges as N → ∞, while the quadratic variation Σ(ΔX)² has mean "
        "2dDt and spread 2Dt√(2d/N) → 0: Brownian paths are rough, yet their law is "
        "perfectly regular. Bridges pinned at (0, x₀) and (t, x_t) are coloured by action."
    )
    equations = (
        r"$K(x',x;\epsilon) = \frac{1}{\sqrt{4\pi D\epsilon}}\,e^{-(x'-x)^2/(4D\epsilon)}$",
        r"$p_{t+\epsilon}(x) = \int K(x,x';\epsilon)\,p_t(x')\,dx'$",
        r"$\mathcal{P}[X] \propto \exp\left(-\sum_n \frac{(X_{n+1}-X_n)^2}{4D\epsilon}\right)"
        r"\to \exp\left(-\frac{1}{4D}\int \dot X^2 d\tau\right)$",
        r"$S_N = \sum_n \frac{|\Delta X_n|^2}{4D\epsilon} \sim \frac{1}{2}\chi^2_{dN},\quad"
        r" \sum_n |\Delta X_n|^2 \sim 2D\epsilon\,\chi^2_{dN}$",
    )
    book_notes = (
        "The book derives the heat equation from the path integral in words and formulas; "
        "there is no notebook. The lab makes the derivation visible: the transfer-matrix "
        "composition, bridges weighted by their action, and the action's divergence.",
    )
    params = (
        Float("D", 1.0, 0.1, 5.0, log=True, help="Diffusion coefficient."),
        Float("t", 1.0, 0.1, 5.0, log=True, label="time t", help="Total time sliced into N steps."),
        Int("n_slices", 50, 1, 1000, live=True, log=True, label="slices N",
            help="Number of time slices (ε = t/N); a change restarts the composition."),
        Float("dx", 0.05, 0.005, 0.2, log=True, label="grid Δx",
              help="Grid spacing of the transfer matrix (domain ±6√(2Dt))."),
        Float("x0", 0.0, -3.0, 3.0, live=True, label="x₀", help="Start of the bridges."),
        Float("xt", 1.0, -3.0, 3.0, live=True, label="x_t", help="End of the bridges."),
        Int("n_bridges", 100, 20, 500, live=True, label="bridges", help="Bridges drawn."),
        Int("dim", 1, 1, 3, live=True, label="dimension d",
            help="Dimension of the free paths whose action and quadratic variation are "
                 "histogrammed (E|X_t|² = 2dDt)."),
        Seed(),
    )
    views = (
        Curves("composition", "Density after k of N compositions vs the heat kernel",
               area="left",
               series=(Series("density", x="grid", label="K_ε applied k times"),
                       Series("kernel", x="grid", label="heat kernel at t = kε")),
               xlabel="x", ylabel="p(x)"),
        Curves("bridges", "Brownian bridges, coloured by action quartile", area="left",
               series=(Series("bridges", x="bridge_t", label="bridges", style="fan",
                              classes="bridge_class"),),
               xlabel="time", ylabel="X"),
        Histogram("qv", "Quadratic variation Σ|ΔX|²", edges="qv_edges", values="qv_hist",
                  reference=("qv_grid", "qv_pdf"), xlabel="Σ|ΔX|²",
                  reference_label="2Dε·χ²(dN)"),
        Histogram("action", "Discrete action Σ|ΔX|²/4Dε", edges="action_edges",
                  values="action_hist", reference=("action_grid", "action_pdf"),
                  xlabel="action", reference_label="Gamma(dN/2)"),
        Curves("vs_n", "Mean action and quadratic variation vs N",
               series=(Series("action_mean_seen", x="n_seen", label="mean action",
                              style="dots"),
                       Series("action_line", x="n_line", label="dN/2"),
                       Series("qv_mean_seen", x="n_seen", label="mean Σ|ΔX|²", style="dots"),
                       Series("qv_line", x="n_line", label="2dDt")),
               xlabel="slices N", ylabel="value", logx=True, logy=True),
        Readout("readout", "Chapman–Kolmogorov and path statistics", area="bottom", lines=(
            ("k_text", "compositions k / N", "{}"),
            ("l1_error", "∫|p_k − kernel| dx", "{:.2e}"),
            ("mass", "mass ∫p_k dx", "{:.6f}"),
            ("qv_text", "Σ|ΔX|² mean | 2dDt", "{}"),
            ("qv_sd_text", "Σ|ΔX|² sd | 2Dt√(2d/N)", "{}"),
            ("action_text", "action mean | dN/2", "{}"),
            ("end_text", "E|X_t|² | 2dDt", "{}"),
            ("paths_sampled", "free paths sampled at this N", "{:d}"),
        )),
    )
    frame_fields = {
        "grid": "(g,) x grid", "density": "(g,) density after k compositions",
        "step": "frames so far (the composition stops at k = N; sampling goes on)",
        "kernel": "(g,) heat kernel at kε", "k": "compositions done",
        "bridge_t": "(N+1,) slice times", "bridges": "(n_bridges, N+1) bridge paths",
        "bridge_class": "(n_bridges,) action quartile of each bridge",
        "bridge_action": "(n_bridges,) action of each bridge",
        "qv_edges": "(51,) bins", "qv_hist": "(50,) density of Σ|ΔX|² of free paths",
        "qv_grid": "(200,) grid", "qv_pdf": "(200,) exact density 2Dε·χ²_(dN)",
        "action_edges": "(51,)", "action_hist": "(50,) density of the action",
        "action_grid": "(200,)", "action_pdf": "(200,) Gamma(dN/2, 1) density",
        "n_seen": "(j,) slice counts visited", "action_mean_seen": "(j,) mean action at each",
        "qv_mean_seen": "(j,) mean Σ|ΔX|² at each", "n_line": "(2,) N range",
        "action_line": "(2,) dN/2", "qv_line": "(2,) 2dDt",
        "l1_error": "∫|p_k − heat kernel(kε)|", "mass": "∫p_k",
        "qv_mean": "mean Σ|ΔX|² at this N", "qv_sd": "sd of Σ|ΔX|²", "action_mean": "mean action",
        "end_second_moment": "E|X_t|² of the free paths", "paths_sampled": "paths so far",
        "k_text": "read-out", "qv_text": "read-out", "qv_sd_text": "read-out",
        "action_text": "read-out", "end_text": "read-out",
    }
    default_steps_per_frame = 1

    def frames(self) -> Iterator[Frame]:
        p = self.p
        D, t = p["D"], p["t"]
        half = 6.0 * math.sqrt(2 * D * t)
        m = math.ceil(half / p["dx"])
        rng = np.random.default_rng(np.random.SeedSequence([p["seed"], 1]))
        seen: dict[tuple[int, int], tuple[float, float]] = {}
        current_n = None
        frame_no = 0
        while True:
            N, d = self.p["n_slices"], self.p["dim"]
            x0 = self.p["x0"]
            grid = x0 + p["dx"] * np.arange(-m, m + 1)
            if (N, d) != current_n:  # a new slicing: restart the composition and the tallies
                current_n = (N, d)
                eps = t / N
                density = np.zeros(len(grid))
                density[m] = 1.0 / p["dx"]
                k = 0
                qv_sum = qv_sq = act_sum = end_sq = 0.0
                count = 0
                scale = 2 * D * eps
                qv_mean_exact = 2 * d * D * t
                qv_sd_exact = 2 * D * t * math.sqrt(2 * d / N)
                lo = max(0.0, qv_mean_exact - 5 * qv_sd_exact)
                qv_edges = np.linspace(lo, qv_mean_exact + 5 * qv_sd_exact, HIST_BINS + 1)
                qv_counts = np.zeros(HIST_BINS)
                action_edges = qv_edges / (4 * D * eps)
                qv_grid = np.linspace(qv_edges[0], qv_edges[-1], 200)
                qv_pdf = gamma_pdf(qv_grid, d * N / 2, 2 * scale)
                action_grid = qv_grid / (4 * D * eps)
                action_pdf = gamma_pdf(action_grid, d * N / 2, 1.0)
            for _ in range(self.steps_per_frame):
                if k < N:
                    density = gaussian_step(density, p["dx"], D, eps)
                    k += 1
            kernel = heat_kernel(grid, k * eps, D, x0) if k else np.zeros(len(grid))
            # free paths: their increments give the action, Σ|ΔX|² and E|X_t|²
            batch = max(20, SAMPLES_PER_FRAME // (N * d))
            incr = math.sqrt(scale) * rng.standard_normal((batch, N, d))
            qv = np.einsum("ijk,ijk->i", incr, incr)
            end = incr.sum(axis=1)
            qv_sum += float(qv.sum())
            qv_sq += float((qv * qv).sum())
            act_sum += float(qv.sum()) / (4 * D * eps)
            end_sq += float((end * end).sum())
            count += batch
            qv_counts += np.histogram(qv, bins=qv_edges)[0]
            qv_mean = qv_sum / count
            qv_sd = math.sqrt(max(qv_sq / count - qv_mean**2, 0.0))
            action_mean = act_sum / count
            seen[N, d] = (action_mean, qv_mean)
            keys = sorted(key for key in seen if key[1] == d)
            n_seen = np.array([key[0] for key in keys], dtype=float)
            bridges = sample_bridges(rng, self.p["n_bridges"], N, t, D, x0, self.p["xt"])
            b_action = np.sum(np.diff(bridges, axis=1) ** 2, axis=1) / (4 * D * eps)
            quart = np.quantile(b_action, np.linspace(0, 1, ACTION_CLASSES + 1)[1:-1])
            density_hist = qv_counts / (count * np.diff(qv_edges))
            frame_no += 1
            yield {
                "step": frame_no,
                "t": k * eps,
                "grid": grid,
                "density": density.copy(),
                "kernel": kernel,
                "k": k,
                "bridge_t": np.linspace(0.0, t, N + 1),
                "bridges": bridges,
                "bridge_class": np.searchsorted(quart, b_action),
                "bridge_action": b_action,
                "qv_edges": qv_edges, "qv_hist": density_hist,
                "qv_grid": qv_grid, "qv_pdf": qv_pdf,
                "action_edges": action_edges,
                "action_hist": density_hist * (4 * D * eps),
                "action_grid": action_grid, "action_pdf": action_pdf,
                "n_seen": n_seen,
                "action_mean_seen": np.array([seen[key][0] for key in keys]),
                "qv_mean_seen": np.array([seen[key][1] for key in keys]),
                "n_line": np.array([1.0, 1000.0]),
                "action_line": np.array([d / 2, d * 1000 / 2]),
                "qv_line": np.array([qv_mean_exact, qv_mean_exact]),
                "l1_error": float(np.sum(np.abs(density - kernel)) * p["dx"]) if k else 0.0,
                "mass": float(np.sum(density) * p["dx"]),
                "qv_mean": qv_mean, "qv_sd": qv_sd, "action_mean": action_mean,
                "end_second_moment": end_sq / count,
                "paths_sampled": count,
                "k_text": f"{k} / {N}  (t = {k * eps:.4g})",
                "qv_text": f"{qv_mean:.4g} | {qv_mean_exact:.4g}",
                "qv_sd_text": f"{qv_sd:.4g} | {qv_sd_exact:.4g}",
                "action_text": f"{action_mean:.4g} | {d * N / 2:.4g}",
                "end_text": f"{end_sq / count:.4g} | {qv_mean_exact:.4g}",
            }
