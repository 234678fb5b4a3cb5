"""§9.1.1, eqs 9.7–9.10: the Brownian bridge (Doob h-transform) against free Brownian motion.

Paths start from the notebook's bimodal law and are pinned to end points x_T drawn from
N(μ_T, s_T²). How x_T is paired with x₀ (the coupling) is a choice: independent (the
notebook's "Schrödinger bridge", which is a mixture of bridges under the product coupling),
the entropic-OT coupling (the true Schrödinger bridge for the Brownian reference) or the
monotone map.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from .. import backend
from ..experiment import Experiment, Frame
from ..gmm import GaussianMixture
from ..params import Choice, Float, Int, Seed
from ..registry import register
from ..sinkhorn import Sinkhorn, grid_log_weights, mixture_cdf, monotone_map
from ..views import Curves, Histogram, Readout, Series

Array = NDArray[np.float64]
T_END = 1.0  # the horizon (the catalogue fixes T = 1; other T are a rescaling)
COUPLINGS = ("independent", "schrodinger", "monotone")
N_REF = 400  # points of the reference densities and drift lines
N_NODES = 300  # grid nodes of the entropic-OT (Schrödinger) coupling
N_QUANTILE = 2000  # nodes of the monotone-coupling quadrature
MAX_FAN_POINTS = 400  # time points kept per drawn path
MAX_PATHS = 200  # paths recorded (the first particles); ``n_paths`` of them are drawn
STREAM_X0, STREAM_COUPLING, STREAM_NOISE = 1, 2, 3


def initial_law(mu0: float, std0: float, w_plus: float) -> GaussianMixture:
    """(1 − w)·N(−μ₀, s₀²) + w·N(μ₀, s₀²): the notebook's two modes (a mode of weight 0 is
    left out)."""
    keep = np.array([w_plus < 1.0, w_plus > 0.0])
    return GaussianMixture(np.array([[-mu0], [mu0]])[keep], np.full(keep.sum(), std0),
                           np.array([1.0 - w_plus, w_plus])[keep])


def free_marginal(mix0: GaussianMixture, sigma: float, t: float) -> GaussianMixture:
    """Law of x₀ + σW_t: every mode's variance grows by σ²t."""
    return mix0.noised(1.0, sigma**2 * t)


def bridge_marginal(mix0: GaussianMixture, mu_t: float, std_t: float, sigma: float,
                    t: float) -> GaussianMixture:
    """Law at time t of the bridge mixture under the independent coupling (T = 1).

    x_t = (1−t)x₀ + t x_T + σ·(bridge noise of variance t(1−t)), so each mode becomes
    N((1−t)μ_k + tμ_T, (1−t)²s_k² + t²s_T² + σ²t(1−t)).
    """
    var = (1 - t) ** 2 * mix0.sigma**2 + t**2 * std_t**2 + sigma**2 * t * (1 - t)
    return GaussianMixture((1 - t) * mix0.means + t * mu_t, np.sqrt(var), mix0.weights)


def monotone_marginal(mix0: GaussianMixture, mu_t: float, std_t: float, sigma: float, t: float,
                      xs: Array) -> Array:
    """Density on the uniform grid ``xs`` of the bridge mixture under the monotone coupling.

    The mean path (1−t)x₀ + tT(x₀) is increasing in x₀, so its CDF at x is F₀ of the
    pre-image (interpolated on fine nodes); the bridge noise N(0, σ²t(1−t)) is then a
    Gaussian convolution on the grid.
    """
    centre = mix0.means[:, 0]
    lo = float((centre - 8 * mix0.sigma).min())
    hi = float((centre + 8 * mix0.sigma).max())
    x0 = np.linspace(lo, hi, N_QUANTILE)
    mean_path = (1 - t) * x0 + t * monotone_map(mix0, mu_t, std_t, x0)
    dx = xs[1] - xs[0]
    edges = np.concatenate([xs - dx / 2, [xs[-1] + dx / 2]])
    density = np.diff(np.interp(edges, mean_path, mixture_cdf(mix0, x0), left=0.0, right=1.0))
    return gaussian_smooth(density / dx, dx, sigma * np.sqrt(t * (1 - t)))


def gaussian_smooth(values: Array, dx: float, std: float) -> Array:
    """``values`` on a uniform grid convolved with N(0, std²) (unchanged when std < dx/4)."""
    if std < dx / 4:
        return values
    half = int(np.ceil(6 * std / dx))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) * dx / std) ** 2)
    return np.convolve(values, kernel / kernel.sum(), mode="same")


def schrodinger_marginal(solver: Sinkhorn, sigma: float, t: float, xs: Array) -> Array:
    """Density on the grid ``xs`` of Brownian bridges (variance σ²) mixed by the grid coupling.

    Every node pair (xᵢ, yⱼ) gives N((1−t)xᵢ + t yⱼ, σ²t(1−t)). The variance is the same for
    all pairs, so the centres are binned (linear weights) on the node lattice refined four
    times, and smoothed once. The nodes stand for cells of width h: an extra smoothing of
    std 0.8·h·max(1−t, t) removes the ripple of the lattice (below 10⁻⁴ of the density).
    """
    pi = solver.coupling()
    h = solver.x[1] - solver.x[0]
    fine_dx = h / 4
    first = np.floor((xs[0] - solver.x[0]) / fine_dx)
    last = np.ceil((xs[-1] - solver.x[0]) / fine_dx)
    fine = solver.x[0] + fine_dx * np.arange(first, last + 1)
    centre = ((1 - t) * solver.x[:, None] + t * solver.y[None, :]).ravel()
    pos = np.clip((centre - fine[0]) / fine_dx, 0, len(fine) - 1.000001)
    lo = pos.astype(np.int64)
    frac = pos - lo
    mass = pi.ravel()
    binned = (np.bincount(lo, mass * (1 - frac), minlength=len(fine))
              + np.bincount(lo + 1, mass * frac, minlength=len(fine)))
    std = np.hypot(sigma * np.sqrt(t * (1 - t)), 0.8 * h * max(1 - t, t))
    return np.interp(xs, fine, gaussian_smooth(binned / fine_dx, fine_dx, float(std)))


def sample_conditional(solver: Sinkhorn, x0: Array, rng: np.random.Generator) -> Array:
    """x_T | x₀ under the grid coupling π.

    x₀ is rounded to one of its two neighbouring nodes at random (with linear weights),
    a node yⱼ is drawn from that row of π, and x_T is spread uniformly over yⱼ's cell.
    """
    pi = solver.coupling()
    n_rows, n_cols = pi.shape
    cdf = pi.cumsum(axis=1)
    cdf /= np.maximum(cdf[:, -1:], np.finfo(float).tiny)
    pos = np.clip((x0 - solver.x[0]) / (solver.x[1] - solver.x[0]), 0, n_rows - 1)
    lo = np.minimum(pos.astype(np.int64), n_rows - 2)
    row = lo + (rng.random(len(x0)) < pos - lo)
    # rows stacked one after the other: row i occupies (i, i + 1] of one increasing array
    flat = (cdf + np.arange(n_rows)[:, None]).ravel()
    col = np.searchsorted(flat, row + rng.random(len(x0))) - row * n_cols
    h = solver.y[1] - solver.y[0]
    return solver.y[np.clip(col, 0, n_cols - 1)] + h * (rng.random(len(x0)) - 0.5)


def drift(x: Array, t: float, x_end: float) -> Array:
    """The Doob drift σ²∇ log N(x_T; x, σ²(T−t)) = (x_T − x)/(T − t) of eq. 9.10."""
    return (x_end - x) / (T_END - t)


def density_moments(xs: Array, density: Array) -> tuple[float, float]:
    """Mean and standard deviation of a density tabulated on a uniform grid."""
    mass = density.sum()
    mean = float(xs @ density / mass)
    return mean, float(np.sqrt(max(((xs - mean) ** 2) @ density / mass, 0.0)))


@register
class BrownianBridge(Experiment):
    id = "ch9.bridge"
    title = "Brownian bridge versus free diffusion"
    section = "9.1.1"
    family = "Transport maps & bridges"
    summary = "Doob's h-transform pins Brownian paths to x_T; couplings of x₀ and x_T compared."
    explanation = (
        "Free Brownian motion from the bimodal law simply spreads: its modes widen as "
        "0.35² + σ²t. Adding the Doob drift (x_T − x)/(T − t) turns every path into a "
        "Brownian bridge pinned to its own end point x_T, so at T the particles sit on the "
        "terminal law N(0, 0.45²) whatever σ is. The drift is a line in x whose slope −1/(T−t) "
        "steepens as t → T. Which end point each path gets is the coupling: the notebook pairs "
        "them independently (a mixture of bridges, many paths cross); the entropic-OT "
        "coupling with ε = σ²T gives the true Schrödinger bridge; the monotone map (sorted "
        "pairing) never swaps the order of paths. Drag the time cursor to compare the "
        "histograms with the exact marginals."
    )
    equations = (
        r"$dx = \left(f + G\,\nabla_x \log p(x_T\,|\,x_t)\right)dt + \sqrt{G}\,dw_t$",
        r"$dx = \frac{x_T - x}{T - t}\,dt + \sigma\,dW_t$",
        r"$p^{\rm free}_t = \frac{1}{2}\sum_\pm \mathcal{N}(\pm 2,\ 0.35^2 + \sigma^2 t)$",
        r"$p^{\rm bridge}_t = \frac{1}{2}\sum_\pm \mathcal{N}(\pm 2(1-t),\ (1-t)^2 0.35^2"
        r" + t^2 0.45^2 + \sigma^2 t(1-t))$",
        r"$\pi_\varepsilon = \mathrm{argmin}_\pi\ \mathrm{KL}(\pi\,\|\,p_0 \otimes"
        r" \mathcal{N}(x_T; x_0, \varepsilon)),\quad \varepsilon = \sigma^2 T$",
    )
    book_notes = (
        "The notebook 03-SchrBridge-1D says \"Section 9.2 (Bridge Diffusion)\"; in the book "
        "this is §9.1.1.",
        "The notebook calls its process a Schrödinger bridge, but it draws x_T independently "
        "of x₀: that is a mixture of Brownian bridges under the product coupling. It matches "
        "the terminal law but is not the Schrödinger bridge, which pairs x₀ and x_T by the "
        "entropic-OT coupling with ε = σ²T. The lab offers both, plus the monotone map.",
        "The Euler–Maruyama bridge lands on x_T plus the noise of the last step (variance "
        "σ²Δt), so the simulated terminal variance is s_T² + σ²Δt, not exactly s_T².",
        "The Schrödinger coupling is computed by log-stabilised Sinkhorn on a grid of 300 nodes; "
        "its reference marginals are therefore quadratures, not closed forms.",
    )
    params = (
        Float("sigma", 0.6, 0.05, 2.0, live=True, label="σ",
              help="Diffusion coefficient of the Brownian motion (restarts the sweep)."),
        Float("t_cursor", 0.5, 0.0, 1.0, live=True, label="time cursor",
              help="Time of the marginal histograms and of the drift lines."),
        Choice("coupling", "independent", COUPLINGS, live=True,
               help="How x_T is paired with x₀: independent (notebook), the entropic-OT "
                    "Schrödinger coupling, or the monotone (sorted) map."),
        Int("n_paths", 25, 1, MAX_PATHS, live=True, label="paths drawn",
            help="Paths drawn in the fans (the first particles)."),
        Int("n_steps", 200, 20, 2000, label="steps", log=True,
            help="Euler–Maruyama steps on [0, T] (Δt = T/steps)."),
        Float("mu0", 2.0, 0.5, 4.0, label="μ₀", help="Initial modes at ±μ₀."),
        Float("std0", 0.35, 0.05, 1.0, label="s₀", help="Standard deviation of the initial modes."),
        Float("w_plus", 0.5, 0.0, 1.0, label="weight of +μ₀",
              help="Weight of the right initial mode (the left one has 1 − w)."),
        Float("mu_T", 0.0, -3.0, 3.0, label="μ_T", help="Mean of the terminal law."),
        Float("std_T", 0.45, 0.05, 2.0, label="s_T",
              help="Standard deviation of the terminal law."),
        Int("n_particles", 20_000, 1000, 100_000, label="particles", log=True,
            help="Particles behind the marginal histograms."),
        Int("bins", 120, 20, 300, help="Histogram bins (the notebook: 120 on [−5, 5])."),
        Seed(),
    )
    views = (
        Curves("free_fan", "Free Brownian motion", area="left",
               series=(Series("free_paths", x="fan_t", style="fan", classes="path_class",
                              label="paths, coloured by initial mode"),),
               vlines=("t_hist",), xlabel="t", ylabel="x"),
        Curves("bridge_fan", "Bridge (Doob h-transform)", area="left",
               series=(Series("bridge_paths", x="fan_t", style="fan", classes="path_class",
                              label="paths, coloured by initial mode"),
                       Series("end_x", x="end_t", style="dots", label="pinned end x_T")),
               vlines=("t_hist",), xlabel="t", ylabel="x"),
        Histogram("free_hist", "Free BM marginal at the cursor", edges="edges",
                  values="free_hist", reference=("ref_x", "free_ref"), xlabel="x",
                  reference_label="exact ½ΣN(±μ₀, s₀²+σ²t)"),
        Histogram("bridge_hist", "Bridge marginal at the cursor", edges="edges",
                  values="bridge_hist", reference=("ref_x", "bridge_ref"), xlabel="x",
                  reference_label="exact (quadrature for SB/monotone)"),
        Curves("drift", "Bridge drift u(x, t; x_T) = (x_T − x)/(T − t)",
               series=(Series("drift", x="drift_x", names="drift_names"),),
               hlines=("zero",), xlabel="x", ylabel="u"),
        Readout("numbers", "Marginals and coupling", area="bottom", lines=(
            ("t", "sweep time t", "{:.3f}"),
            ("t_hist", "histogram time", "{:.3f}"),
            ("drift_slope", "drift slope −1/(T−t) at the cursor", "{:.3g}"),
            ("free_std", "free BM std (simulated)", "{:.4f}"),
            ("free_std_exact", "free BM std (exact)", "{:.4f}"),
            ("bridge_mean", "bridge mean (simulated)", "{:.4f}"),
            ("bridge_mean_exact", "bridge mean (exact)", "{:.4f}"),
            ("bridge_std", "bridge std (simulated)", "{:.4f}"),
            ("bridge_std_exact", "bridge std (exact)", "{:.4f}"),
            ("landing_rms", "rms |x_t − x_T| (→ σ√Δt at T)", "{:.4f}"),
            ("swap_fraction", "pairs whose order x₀ vs x_T swaps", "{:.3f}"),
            ("transport_cost", "E(x_T − x₀)²", "{:.3f}"),
        )),
    )
    frame_fields = {
        "t": "time reached by the current sweep",
        "fan_t": "(m,) recorded times of the drawn paths",
        "free_paths": "(n_paths, m) free Brownian paths",
        "bridge_paths": "(n_paths, m) bridge paths (same noise as the free ones)",
        "path_class": "(n_paths,) initial mode of each drawn path (0 left, 1 right)",
        "end_t": "(n_paths,) the horizon T, abscissa of the pinned end points",
        "end_x": "(n_paths,) pinned end points x_T of the drawn bridges",
        "t_hist": "time of the histograms: the cursor, or the sweep time until it gets there",
        "edges": "(bins+1,) histogram bin edges",
        "free_hist": "(bins,) density of the free particles at t_hist",
        "bridge_hist": "(bins,) density of the bridge particles at t_hist",
        "ref_x": "(400,) grid of the reference densities (the histogram range)",
        "free_ref": "(400,) exact free marginal at t_hist",
        "bridge_ref": "(400,) bridge marginal at t_hist (closed form or quadrature)",
        "drift_x": "(400,) positions of the drift lines, ±(μ₀ + 3s₀)",
        "drift": "(6, 400) drift lines: three end points at the cursor, x_T = μ_T at 0.1/0.5/0.9",
        "drift_names": "(6,) labels of the drift lines",
        "zero": "0, a reference line of the drift view",
        "drift_slope": "∂u/∂x = −1/(T − t) at the cursor (capped at t = T − Δt)",
        "free_std": "standard deviation of the free particles at t_hist",
        "free_std_exact": "exact standard deviation of the free marginal at t_hist",
        "bridge_mean": "mean of the bridge particles at t_hist",
        "bridge_mean_exact": "mean of the exact bridge marginal at t_hist",
        "bridge_std": "standard deviation of the bridge particles at t_hist",
        "bridge_std_exact": "standard deviation of the exact bridge marginal at t_hist",
        "landing_rms": "root-mean-square distance of the bridge particles to their x_T now",
        "swap_fraction": "fraction of particle pairs ordered differently by x₀ and x_T",
        "transport_cost": "mean squared displacement E(x_T − x₀)² of the coupling",
    }

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.p
        self.mix0 = initial_law(p["mu0"], p["std0"], p["w_plus"])
        self.dt = T_END / p["n_steps"]
        reach = p["mu0"] + 3 * p["std0"]
        self.drift_x = np.linspace(-reach, reach, N_REF)
        centres = np.array([-p["mu0"], p["mu0"], p["mu_T"]])
        widths = 6 * np.array([p["std0"], p["std0"], p["std_T"]])
        self.nodes = np.linspace((centres - widths).min(), (centres + widths).max(), N_NODES)
        self.solver: Sinkhorn | None = None
        self.stride = max(1, int(np.ceil(p["n_steps"] / MAX_FAN_POINTS)))
        self._restart = True
        self._ref_cache: dict[tuple, tuple[Array, Array]] = {}

    def on_live_change(self, names: set[str]) -> None:
        if names & {"sigma", "coupling"}:
            self._restart = True

    # -- the coupling -------------------------------------------------------------------
    def schrodinger_solver(self) -> Sinkhorn:
        """The entropic-OT coupling of p₀ and p_T with ε = σ²T (warm-started across σ)."""
        eps = self.p["sigma"] ** 2 * T_END
        if self.solver is None:
            p = self.p
            law_t = GaussianMixture(np.array([[p["mu_T"]]]), np.array([p["std_T"]]),
                                    np.array([1.0]))
            self.solver = Sinkhorn(self.nodes, self.nodes, grid_log_weights(self.mix0, self.nodes),
                                   grid_log_weights(law_t, self.nodes), eps)
        elif self.solver.eps != eps:
            self.solver.set_eps(eps)
        self.solver.solve(tol=1e-10, max_iter=20_000)
        return self.solver

    def end_points(self, x0: Array, rng: np.random.Generator) -> Array:
        """x_T for every x₀ under the chosen coupling."""
        p = self.p
        if p["coupling"] == "monotone":
            return monotone_map(self.mix0, p["mu_T"], p["std_T"], x0)
        if p["coupling"] == "schrodinger":
            return sample_conditional(self.schrodinger_solver(), x0, rng)
        return p["mu_T"] + p["std_T"] * rng.standard_normal(len(x0))

    def reference(self, t: float) -> tuple[Array, Array]:
        """(free, bridge) densities on ``ref_x`` at time t for the current σ and coupling."""
        p = self.p
        key = (t, p["sigma"], p["coupling"])
        if key not in self._ref_cache:
            xs = self.ref_x
            free = np.exp(free_marginal(self.mix0, p["sigma"], t).log_density(xs[:, None]))
            if p["coupling"] == "independent":
                law = bridge_marginal(self.mix0, p["mu_T"], p["std_T"], p["sigma"], t)
                bridge = np.exp(law.log_density(xs[:, None]))
            elif p["coupling"] == "monotone":
                bridge = monotone_marginal(self.mix0, p["mu_T"], p["std_T"], p["sigma"], t, xs)
            else:
                bridge = schrodinger_marginal(self.schrodinger_solver(), p["sigma"], t, xs)
            self._ref_cache = {key: (free, bridge)}
        return self._ref_cache[key]

    # -- the run ------------------------------------------------------------------------
    def _start_sweep(self) -> None:
        """Draw x₀ and x_T and reset the paths; the same seed gives the same x₀ and noise."""
        p = self.p
        # the histogram range covers the free spread at this σ (the notebook: [−5, 5])
        spread = max(p["mu0"] + 4 * np.hypot(p["std0"], p["sigma"]),
                     abs(p["mu_T"]) + 4 * p["std_T"])
        half = max(5.0, float(np.ceil(spread)))
        self.edges = np.linspace(-half, half, p["bins"] + 1)
        self.ref_x = np.linspace(-half, half, N_REF)
        n = p["n_particles"]
        x0, labels = self.mix0.sample(n, backend.rng(p["seed"], STREAM_X0))
        x0 = x0[:, 0]
        self.x_end = self.end_points(x0, backend.rng(p["seed"], STREAM_COUPLING))
        self.noise_rng = backend.rng(p["seed"], STREAM_NOISE)
        self.free = x0.copy()
        self.bridge = x0.copy()
        self.k = 0
        m = min(MAX_PATHS, n)
        self.labels = (self.mix0.means[labels[:m], 0] > 0).astype(np.int64)  # 0 left, 1 right
        n_fan = p["n_steps"] // self.stride + 2
        self.fan_t = np.empty(n_fan)
        self.fan_free = np.empty((m, n_fan))
        self.fan_bridge = np.empty((m, n_fan))
        self.n_fan = 0
        bins = p["bins"]
        self.free_hists = np.zeros((p["n_steps"] + 1, bins))
        self.bridge_hists = np.zeros((p["n_steps"] + 1, bins))
        self.moments = np.zeros((p["n_steps"] + 1, 3))  # free std, bridge mean, bridge std
        self._record()
        from scipy.stats import kendalltau  # scipy is imported on first use (start-up cost)

        tau, _ = kendalltau(x0, self.x_end)
        self.swap_fraction = float((1 - tau) / 2)
        self.transport_cost = float(np.mean((self.x_end - x0) ** 2))
        self._restart = False

    def _record(self) -> None:
        k = self.k
        width = np.diff(self.edges)
        n = len(self.free)
        self.free_hists[k] = np.histogram(self.free, self.edges)[0] / (n * width)
        self.bridge_hists[k] = np.histogram(self.bridge, self.edges)[0] / (n * width)
        self.moments[k] = self.free.std(), self.bridge.mean(), self.bridge.std()
        if k % self.stride == 0 or k == self.p["n_steps"]:
            m = len(self.labels)
            self.fan_t[self.n_fan] = k * self.dt
            self.fan_free[:, self.n_fan] = self.free[:m]
            self.fan_bridge[:, self.n_fan] = self.bridge[:m]
            self.n_fan += 1

    def _euler_step(self) -> None:
        """One Euler–Maruyama step of both processes, driven by the same noise."""
        t = self.k * self.dt
        kick = self.p["sigma"] * np.sqrt(self.dt) * self.noise_rng.standard_normal(len(self.free))
        self.free += kick
        self.bridge += drift(self.bridge, t, self.x_end) * self.dt + kick
        self.k += 1
        self._record()

    def frames(self) -> Iterator[Frame]:
        n_steps = self.p["n_steps"]
        step = 0
        while True:
            if self._restart:
                self._start_sweep()
            todo = min(self.steps_per_frame, n_steps - self.k)
            for _ in range(todo):
                self._euler_step()
            step += todo
            yield self._frame(step)

    def _frame(self, step: int) -> Frame:
        p = self.p
        k_hist = min(round(p["t_cursor"] / self.dt), self.k)
        t_hist = k_hist * self.dt
        free_ref, bridge_ref = self.reference(t_hist)
        t_drift = min(p["t_cursor"], T_END - self.dt)
        ends = p["mu_T"] + p["std_T"] * np.array([-2.0, 0.0, 2.0])
        lines = [drift(self.drift_x, t_drift, e) for e in ends]
        lines += [drift(self.drift_x, s, p["mu_T"]) for s in (0.1, 0.5, 0.9)]
        names = [f"t = {t_drift:.2f}, x_T = {e:.2f}" for e in ends]
        names += [f"t = {s}, x_T = {p['mu_T']:.2f}" for s in (0.1, 0.5, 0.9)]
        n_paths = min(p["n_paths"], len(self.labels))
        _, free_std = density_moments(self.ref_x, free_ref)
        bridge_mean, bridge_std = density_moments(self.ref_x, bridge_ref)
        return {
            "step": step,
            "t": self.k * self.dt,
            "fan_t": self.fan_t[: self.n_fan].copy(),
            "free_paths": self.fan_free[:n_paths, : self.n_fan].copy(),
            "bridge_paths": self.fan_bridge[:n_paths, : self.n_fan].copy(),
            "path_class": self.labels[:n_paths].copy(),
            "end_t": np.full(n_paths, T_END),
            "end_x": self.x_end[:n_paths].copy(),
            "t_hist": t_hist,
            "edges": self.edges,
            "free_hist": self.free_hists[k_hist],
            "bridge_hist": self.bridge_hists[k_hist],
            "ref_x": self.ref_x,
            "free_ref": free_ref,
            "bridge_ref": bridge_ref,
            "drift_x": self.drift_x,
            "drift": np.array(lines),
            "drift_names": np.array(names),
            "zero": 0.0,
            "drift_slope": -1.0 / (T_END - t_drift),
            "free_std": self.moments[k_hist, 0],
            "free_std_exact": free_std,
            "bridge_mean": self.moments[k_hist, 1],
            "bridge_mean_exact": bridge_mean,
            "bridge_std": self.moments[k_hist, 2],
            "bridge_std_exact": bridge_std,
            "landing_rms": float(np.sqrt(np.mean((self.bridge - self.x_end) ** 2))),
            "swap_fraction": self.swap_fraction,
            "transport_cost": self.transport_cost,
        }
