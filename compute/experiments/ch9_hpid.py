"""§9.5, Example 9.5.1, Exercise 9.5.1: the Harmonic Path-Integral Diffusion (H-PID) sampler.

Particles start at the origin and follow dx = u*dt + dW on t ∈ [0, 1] with the closed-form
optimal control of a quadratic potential V = β|x|²/2; at t = 1 they are distributed by the
target. For a Gaussian-mixture target the weight w(y | t, x) is again a mixture, so the
sampler needs no network. The predicted end point xˆ is the order parameter of a dynamic
phase transition: the larger β, the later the particles decide which mode to go to.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .. import backend
from ..experiment import Experiment, Frame
from ..gmm import GaussianMixture
from ..history import History, Window
from ..params import Choice, Float, Int, Seed
from ..registry import register
from ..views import Curves, Histogram, Particles, Readout, Series

Array = NDArray[np.float64]
DIMENSIONS = ("1D", "2D")
SCHEMES = ("euler", "exact")
REFERENCE_BETAS = (0.0, 1.0, 10.0, 100.0)  # exact certainty curves drawn for comparison
N_CURVE = 101  # times of the exact certainty curves
MAX_PATHS = 200  # tracked particles (the first ones); ``n_paths`` of them are drawn
MAX_FAN_POINTS = 400  # time points kept per tracked path
N_TRAILS, TRAIL_LEN = 8, 40  # particles with a trail in the particle view, and its length
FRAME_WORK = 3e6  # particle × component × dimension updates per frame (~0.05 s)
STREAM_NOISE = 1


# -- the closed form --------------------------------------------------------------------
def sinhc(x: Array | float) -> Array:
    """sinh(x)/x, equal to 1 at x = 0 (so β = 0 needs no special case)."""
    x = np.asarray(x, dtype=float)
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 1.0, np.sinh(safe) / safe)


def harmonic_coefficients(beta: float, t: float | Array) -> dict[str, Any]:
    """A(t), B(t) of w(y | t, x) ∝ p(y)·exp(−A|y|²/2 + B x·y), cosh((1−t)√β) of the drift,
    and the law x_t | x₁ = y ~ N(c y, v I) of the harmonic bridge from 0.

    With s = √β and τ = 1 − t: B = s/sinh(τs), c = sinh(ts)/sinh(s), A = cB,
    v = sinh(ts) sinh(τs)/(s sinh s). As β → 0: A = t/τ, B = 1/τ, c = t, v = tτ (Föllmer).
    """
    s = np.sqrt(beta)
    tau = 1.0 - np.asarray(t, dtype=float)
    t = np.asarray(t, dtype=float)
    c = t * sinhc(t * s) / sinhc(s)
    with np.errstate(divide="ignore"):
        b = 1.0 / (tau * sinhc(tau * s))
    return {"A": c * b, "B": b, "c": c, "v": t * tau * sinhc(t * s) * sinhc(tau * s) / sinhc(s),
            "cosh": np.cosh(tau * s)}


def tilted_posterior(target: GaussianMixture, a: float, b: float,
                     x: Array) -> tuple[Array, Array]:
    """Weights ω_k and means m˜_k of w(y | t, x) ∝ p(y)·exp(−a|y|²/2 + b x·y), a GMM.

    Component k has precision λ_k = 1/σ_k² + a, mean m˜_k = (μ_k/σ_k² + b x)/λ_k and
    log-weight log π_k + λ_k|m˜_k|²/2 − |μ_k|²/2σ_k² − (d/2) log(σ_k² λ_k).
    Returns ω (K, n) and m˜ (K, n, d): component-major, so that sums over the few
    components are fast elementwise operations.
    """
    var = target.sigma**2
    prec = 1.0 / var + a
    mean = (target.means / var[:, None])[:, None, :] + b * x[None]
    mean /= prec[:, None, None]
    sq = mean[..., 0] ** 2
    for i in range(1, target.dim):
        sq += mean[..., i] ** 2
    with np.errstate(divide="ignore"):
        const = (np.log(target.weights) - 0.5 * np.sum(target.means**2, axis=1) / var
                 - 0.5 * target.dim * np.log(var * prec))
    log_w = 0.5 * prec[:, None] * sq + const[:, None]
    log_w -= log_w.max(axis=0)
    omega = np.exp(log_w, out=log_w)
    omega /= omega.sum(axis=0)
    return omega, mean


def hpid_step(target: GaussianMixture, beta: float, x: Array, t: float, dt: float,
              rng: np.random.Generator, scheme: str = "euler") -> tuple[Array, Array, Array]:
    """One step of the H-PID sampler from time t to t + dt (≤ 1).

    ``euler``: Euler–Maruyama for dx = u*dt + dW with u* = B(xˆ − x cosh((1−t)√β)) and
    xˆ = Σ_k ω_k m˜_k. ``exact``: the process is a Doob h-transform of Brownian motion killed
    at rate V, so given x_t = x its end point x₁ has the law w(· | t, x) and the path in
    between is the reference bridge; drawing y ~ w and moving along that bridge samples the
    transition exactly (no time-discretisation error). Returns the new positions and the
    ω (K, n) and xˆ (n, d) at (t, x).
    """
    co = harmonic_coefficients(beta, t)
    omega, mean = tilted_posterior(target, float(co["A"]), float(co["B"]), x)
    xhat = omega[0][:, None] * mean[0]
    for k in range(1, len(omega)):
        xhat += omega[k][:, None] * mean[k]
    if scheme == "euler":
        drift = float(co["B"]) * (xhat - x * float(co["cosh"]))
        return x + drift * dt + np.sqrt(dt) * rng.standard_normal(x.shape), omega, xhat
    # component k ~ ω (inverse CDF over the few components), then y ~ N(m˜_k, I/λ_k)
    u = rng.random(x.shape[0])
    k = np.zeros(x.shape[0], dtype=np.int64)
    for edge in np.cumsum(omega, axis=0)[:-1]:
        k += u > edge
    prec = 1.0 / target.sigma[k] ** 2 + float(co["A"])
    y = mean[k, np.arange(x.shape[0])] + rng.standard_normal(x.shape) / np.sqrt(prec)[:, None]
    return bridge_move(beta, x, y, t, dt, rng), omega, xhat


def bridge_move(beta: float, x: Array, y: Array, t: float, dt: float,
                rng: np.random.Generator) -> Array:
    """x_{t+dt} of the reference bridge from x at t to y at 1 (BM killed at rate β|x|²/2).

    With s = √β, τ = 1 − t, τ' = τ − dt: mean (sinh(τ's) x + sinh(dt s) y)/sinh(τs),
    variance sinh(τ's) sinh(dt s)/(s sinh(τs)); β = 0 gives the Brownian bridge.
    """
    s = np.sqrt(beta)
    tau = 1.0 - t
    rest = max(tau - dt, 0.0)
    norm = tau * sinhc(tau * s)
    a = rest * sinhc(rest * s) / norm
    b = dt * sinhc(dt * s) / norm
    var = rest * dt * sinhc(rest * s) * sinhc(dt * s) / norm
    return a * x + b * y + np.sqrt(var) * rng.standard_normal(x.shape)


def marginal(target: GaussianMixture, beta: float, t: float) -> GaussianMixture:
    """The exact law of x_t: x₁ ~ target pushed through the harmonic bridge N(c x₁, v I)."""
    co = harmonic_coefficients(beta, t)
    return target.noised(float(co["c"]), float(co["v"]))


def certainty(target: GaussianMixture, beta: float, times: Array) -> Array:
    """E max_k ω_k(t, x_t) under the exact marginal, in closed form.

    ω_k(t, x) is the posterior of mode k given x_t = x, where x_t | k ~ N(cμ_k, s²I) with
    s² = c²σ² + v. For equal weights and widths the largest ω_k is that of the nearest cμ_k,
    so E max ω = Σ_k π_k P(x_t lands in the Voronoi cell of cμ_k | k). For modes on a
    product grid (the lab's targets) the cells are boxes and everything factorises per axis:
    E max ω = Π_axes (1/m) Σ_i [Φ((b_{i+1} − cu_i)/s) − Φ((b_i − cu_i)/s)], with u_i the m
    grid coordinates and b_i the midpoints between neighbours (times c).
    """
    from scipy.special import ndtr  # scipy is imported on first use (start-up cost)

    axes = [np.unique(target.means[:, j]) for j in range(target.dim)]
    if (np.prod([len(a) for a in axes]) != target.n_components
            or np.ptp(target.weights) > 0 or np.ptp(target.sigma) > 0):
        raise ValueError("certainty needs equal-weight, equal-width modes on a product grid")
    co = harmonic_coefficients(beta, np.asarray(times, dtype=float))
    c = np.asarray(co["c"])[:, None]
    spread = np.sqrt(c**2 * target.sigma[0] ** 2 + np.asarray(co["v"])[:, None])
    out = np.ones(len(times))
    with np.errstate(divide="ignore", invalid="ignore"):
        for u in axes:
            mids = np.concatenate([[-np.inf], (u[1:] + u[:-1]) / 2, [np.inf]])
            upper = ndtr((c * mids[1:] - c * u) / spread)
            lower = ndtr((c * mids[:-1] - c * u) / spread)
            axis = np.where(spread[:, 0] > 0, (upper - lower).mean(axis=1), 1.0 / len(u))
            out *= axis
    return out


def crossing_time(times: Array, values: Array, level: float) -> float:
    """First time the curve reaches ``level`` (linear interpolation); NaN if it never does."""
    above = np.nonzero(values >= level)[0]
    if not len(above):
        return float("nan")
    i = int(above[0])
    if i == 0:
        return float(times[0])
    frac = (level - values[i - 1]) / (values[i] - values[i - 1])
    return float(times[i - 1] + frac * (times[i] - times[i - 1]))


def make_target(dimension: str, mu: float, sigma: float) -> GaussianMixture:
    """Exercise 9.5.1's ½[N(−μ, σ²) + N(μ, σ²)] in 1D, or the 3×3 grid of spacing μ in 2D."""
    if dimension == "2D":
        return GaussianMixture.grid(3, mu, sigma)
    return GaussianMixture(np.array([[-mu], [mu]]), np.array([sigma, sigma]), np.array([0.5, 0.5]))


def curve_times() -> Array:
    """Times of the exact certainty curves: [0, 1) (ω is a point mass at t = 1)."""
    return np.linspace(0.0, 1.0, N_CURVE)[:-1]


@register
class HarmonicPID(Experiment):
    id = "ch9.hpid"
    title = "Harmonic Path-Integral Diffusion sampler"
    section = "9.5"
    family = "Diffusion & U-turn trajectories"
    summary = "A closed-form optimal control steers particles from 0 to a mixture; β delays choice."
    explanation = (
        "Every particle starts at the origin and is driven by noise plus the optimal control "
        "of a quadratic potential β|x|²/2; the control is built so that at t = 1 the particles "
        "are distributed exactly by the target. The control points each particle at xˆ, the "
        "mean of the weight w(y | t, x) over possible end points y: for a Gaussian mixture "
        "this is again a mixture, with weights ω_k telling how sure the particle is of mode k. "
        "Early on xˆ ≈ 0 (undecided); at some time xˆ jumps to one mode — a dynamic phase "
        "transition. The decision certainty E max ω_k crosses the threshold later the larger "
        "β is, yet the target is still hit at t = 1. β = 0 is the Föllmer drift."
    )
    equations = (
        r"$dx = u^*(t, x)\,dt + dW_t,\quad x(0) = 0,\quad V(x) = \beta |x|^2/2$",
        r"$u^* = \frac{\sqrt{\beta}}{\sinh((1-t)\sqrt{\beta})}\left(\hat{x}(t; x)"
        r" - x\cosh((1-t)\sqrt{\beta})\right)$",
        r"$w(y\,|\,t, x) \propto p_{\rm target}(y)\,e^{-A|y|^2/2 + B\,x\cdot y},\quad"
        r" \hat{x} = \mathbb{E}_w[y] = \sum_k \omega_k \tilde{m}_k$",
        r"$A = \sqrt{\beta}\left(\coth((1-t)\sqrt{\beta}) - \coth\sqrt{\beta}\right),\quad"
        r" B = \frac{\sqrt{\beta}}{\sinh((1-t)\sqrt{\beta})}$",
        r"$\beta \to 0:\quad A = \frac{t}{1-t},\quad B = \frac{1}{1-t},\quad"
        r" u^* = \frac{\hat{x} - x}{1 - t}$",
        r"$x_t\,|\,x_1 \sim \mathcal{N}\left(\frac{\sinh(t\sqrt{\beta})}{\sinh\sqrt{\beta}}\,x_1,"
        r"\ \frac{\sinh(t\sqrt{\beta})\,\sinh((1-t)\sqrt{\beta})}{\sqrt{\beta}\,\sinh\sqrt{\beta}}"
        r"\right)$",
    )
    book_notes = (
        "Eq. 9.22 misses a closing parenthesis: dx = (f(t; x) + u(t; x))dt + dW.",
        "Example 9.5.1 gives w(y | t, x) only as a ratio of Green functions; for a Gaussian "
        "mixture target the lab uses its closed form as a mixture (derived, not in the book): "
        "component precision 1/σ_k² + A, mean (μ_k/σ_k² + Bx)/(1/σ_k² + A).",
        "Exercise 9.5.1 gives no μ or σ; the lab's defaults are μ = 2, σ = 0.5. In 2D the "
        "target is the 3×3 grid of modes with spacing μ.",
        "The exact marginal of x_t (histogram reference) and the certainty curves use the "
        "harmonic bridge x_t | x₁ ~ N(c x₁, v): a derivation, not in the book.",
        "The drift is stiff near t = 1 (B ~ 1/(1 − t)); the uniform Euler–Maruyama grid "
        "evaluates it last at t = 1 − Δt, where it moves each particle onto xˆ plus noise √Δt.",
    )
    params = (
        Float("threshold", 0.9, 0.5, 0.99, live=True, label="decision threshold",
              help="Certainty level E max ω_k that defines the decision time."),
        Int("n_paths", 25, 1, MAX_PATHS, live=True, label="paths drawn",
            help="Trajectories drawn in the fans (the first particles)."),
        Int("bins", 120, 20, 300, live=True, help="Histogram bins."),
        Float("beta", 10.0, 0.0, 100.0, log=True, label="β",
              help="Strength of the harmonic potential β|x|²/2 (0: Föllmer drift)."),
        Choice("scheme", "euler", SCHEMES,
               help="euler: Euler–Maruyama with the drift u* (the book's SDE); exact: draw the "
                    "end point from w and move along the harmonic bridge (exact marginals)."),
        Choice("dimension", "1D", DIMENSIONS,
               help="1D: ½[N(−μ, σ²) + N(μ, σ²)] (Exercise 9.5.1); 2D: 3×3 grid, spacing μ."),
        Float("mu", 2.0, 0.5, 4.0, label="μ", help="Mode position (1D) or grid spacing (2D)."),
        Float("sigma", 0.5, 0.1, 1.5, label="σ", help="Standard deviation of every mode."),
        Int("n_steps", 2000, 1000, 5000, label="steps", log=True,
            help="Euler–Maruyama steps on [0, 1]. The drift grows like 1/(1 − t) near t = 1, "
                 "so Euler's terminal law is biased by O(1/steps); from 1000 steps the bias "
                 "of the terminal variance is below its Monte Carlo standard error."),
        Int("n_particles", 20_000, 1000, 50_000, label="particles", log=True),
        Seed(),
    )
    views = (
        Curves("fan", "Trajectories x(t) (colour: mode chosen)", area="left",
               series=(Series("paths", x="paths_t", style="fan", classes="path_class",
                              label="x (2D: x₁)"),),
               vlines=("decision_mark",), xlabel="t", ylabel="x"),
        Histogram("histogram", "Positions at time t", edges="edges", values="hist",
                  reference=("ref_x", "ref_density"), xlabel="x (2D: x₁)",
                  reference_label="exact p_t (target at t = 1)"),
        Curves("certainty", "Decision certainty E max ω_k", series=(
            Series("certainty_exact", x="curve_t", names="certainty_names"),
            Series("certainty_sim", x="certainty_t", label="simulated, this β"),
        ), vlines=("decision_mark",), hlines=("threshold",), xlabel="t", ylabel="E max ω"),
        Curves("xhat_fan", "Predicted end point x_hat(t; x_t) = E_w[y]", area="left",
               series=(Series("xhat_paths", x="paths_t", style="fan", classes="path_class",
                              label="x_hat (2D: first coordinate)"),),
               vlines=("decision_mark",), xlabel="t", ylabel="x_hat"),
        Histogram("xhat_histogram", "Histogram of x_hat (symmetry breaking)", edges="edges",
                  values="xhat_hist", xlabel="x_hat (2D: first coordinate)"),
        Particles("particles", "Particles (2D: the plane; 1D: x_hat against x)", x="px", y="py",
                  color="pclass", trails="trails", xlabel="x₁ (1D: x)",
                  ylabel="x₂ (1D: x_hat)", equal_aspect=True),
        Readout("numbers", "H-PID", area="bottom", lines=(
            ("t", "time t", "{:.4f}"),
            ("A", "A(t)", "{:.4g}"),
            ("B", "B(t)", "{:.4g}"),
            ("certainty_now", "E max ω (simulated)", "{:.4f}"),
            ("certainty_now_exact", "E max ω (exact)", "{:.4f}"),
            ("t_decision", "decision time (exact)", "{:.4f}"),
            ("t_decision_sim", "decision time (simulated)", "{:.4f}"),
            ("mean1", "mean of x₁", "{:.4f}"),
            ("var1", "variance of x₁", "{:.4f}"),
            ("var1_exact", "exact variance (μ²+σ² at t = 1 in 1D)", "{:.4f}"),
            ("var1_se", "± Monte Carlo standard error of the variance", "{:.4f}"),
            ("right", "fraction with x₁ > 0", "{:.4f}"),
            ("right_exact", "exact fraction", "{:.4f}"),
            ("within_std", "std around the chosen mode", "{:.4f}"),
            ("within_std_exact", "exact (σ at t = 1)", "{:.4f}"),
        )),
    )
    frame_fields = {
        "t": "current time in [0, 1]",
        "paths_t": "(m,) recorded times of the tracked trajectories",
        "paths": "(n_paths, m) first coordinate of the tracked trajectories",
        "xhat_paths": "(n_paths, m) first coordinate of xˆ along them",
        "path_class": "(n_paths,) mode each tracked particle is heading to (argmax ω)",
        "edges": "(bins+1,) histogram bin edges",
        "hist": "(bins,) density of the first coordinate of the particles",
        "xhat_hist": "(bins,) density of the first coordinate of xˆ",
        "ref_x": "(400,) grid of the exact density",
        "ref_density": "(400,) exact marginal density of x₁ at t",
        "curve_t": "(100,) times of the exact certainty curves",
        "certainty_exact": "(k, 100) exact E max ω for β = 0, 1, 10, 100 and this β",
        "certainty_names": "(k,) labels of those curves",
        "certainty_t": "(j,) times of the simulated certainty",
        "certainty_sim": "(j,) mean over particles of max_k ω_k",
        "threshold": "the decision threshold",
        "t_decision": "exact decision time of this β (threshold crossing; NaN if never: "
                      "overlapping modes keep E max ω below 1)",
        "decision_mark": "t_decision where finite, else 1 (the marker line must be finite)",
        "t_decision_sim": "first time the simulated certainty reaches the threshold (NaN before)",
        "px": "(n,) particle abscissae: x₁ (2D) or x (1D)",
        "py": "(n,) particle ordinates: x₂ (2D) or xˆ (1D)",
        "pclass": "(n,) mode each particle is heading to (argmax ω)",
        "trails": "(8, m, 2) recent points of 8 particles in the particle view",
        "A": "A(t) of the weight w",
        "B": "B(t) of the weight w",
        "certainty_now": "simulated E max ω at the last drift evaluation",
        "certainty_now_exact": "exact E max ω at that time",
        "mean1": "mean of the first coordinate",
        "var1": "variance of the first coordinate",
        "var1_exact": "exact variance of the first coordinate at t",
        "var1_se": "standard error of var1 over the particles, var1·√(2/(n − 1))",
        "right": "fraction of particles with x₁ > 0",
        "right_exact": "exact probability of x₁ > 0 at t",
        "within_std": "rms of x₁ − c(t)μ_k,1 around the chosen mode k (biased low where "
                      "modes overlap: the assignment trims the tails)",
        "within_std_exact": "exact within-mode std √(c²σ² + v)",
    }
    history_fields = ("certainty_t", "certainty_sim")
    nonfinite_fields = frozenset({"t_decision", "t_decision_sim"})
    default_steps_per_frame = 4  # 2000 steps last ~8 s at 60 fps: watchable

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.p
        self.target = make_target(p["dimension"], p["mu"], p["sigma"])
        betas = tuple(sorted({*REFERENCE_BETAS, p["beta"]}))
        self.curve_t = curve_times()
        self.curves = np.array([certainty(self.target, b, self.curve_t) for b in betas])
        self.curve_names = np.array([f"exact, β = {b:g}" + (" (this run)" if b == p["beta"]
                                                             else "") for b in betas])
        self.own_curve = self.curves[betas.index(p["beta"])]
        half = max(p["mu"] + 4 * p["sigma"], 2.0) + 0.5  # covers the bridge spread √v ≤ ½
        self.range = (-half, half)
        self.ref_x = np.linspace(-half, half, 400)

    def frames(self) -> Iterator[Frame]:
        p = self.p
        n, n_steps = p["n_particles"], p["n_steps"]
        dim = self.target.dim
        dt = 1.0 / n_steps
        rng = backend.rng(p["seed"], STREAM_NOISE)
        x = np.zeros((n, dim))
        m = min(MAX_PATHS, n)
        stride = max(1, int(np.ceil(n_steps / MAX_FAN_POINTS)))
        n_fan = n_steps // stride + 2
        paths_t = np.empty(n_fan)
        paths = np.empty((m, n_fan))
        xhat_paths = np.empty((m, n_fan))
        history = History(capacity=2048)
        trails = Window(shape=(N_TRAILS, 2), capacity=TRAIL_LEN)
        recorded = 0
        k = 0
        most = max(1, int(FRAME_WORK / (n * self.target.n_components * dim)))
        while k < n_steps:
            for _ in range(min(self.steps_per_frame, most, n_steps - k)):
                t = k * dt
                x_new, omega, xhat = hpid_step(self.target, p["beta"], x, t, dt, rng,
                                               p["scheme"])
                if k % stride == 0:
                    paths_t[recorded] = t
                    paths[:, recorded] = x[:m, 0]
                    xhat_paths[:, recorded] = xhat[:m, 0]
                    recorded += 1
                history.append(t, omega.max(axis=0).mean())
                x_eval, x = x, x_new
                k += 1
            if k == n_steps:  # at t = 1, w is a point mass at x: xˆ = x
                paths_t[recorded] = 1.0
                paths[:, recorded] = x[:m, 0]
                xhat_paths[:, recorded] = x[:m, 0]
                recorded += 1
            # 2D: the particles now; 1D: each xˆ against the position it was computed at
            plane = x if dim == 2 else np.column_stack([x_eval[:, 0], xhat[:, 0]])
            trails.append(k * dt, plane[:N_TRAILS])
            yield self._frame(k, k * dt, t, x, omega, xhat, plane, trails, history,
                              paths_t[:recorded], paths[:, :recorded],
                              xhat_paths[:, :recorded])

    def _frame(self, step: int, t: float, t_eval: float, x: Array, omega: Array, xhat: Array,
               plane: Array, trails: Window, history: History, paths_t: Array, paths: Array,
               xhat_paths: Array) -> Frame:
        """The frame at time t; ω and xˆ are those of the last drift evaluation (t_eval)."""
        from scipy.special import ndtr  # scipy is imported on first use (start-up cost)

        p = self.p
        edges = np.linspace(*self.range, p["bins"] + 1)
        width = edges[1] - edges[0]
        law = marginal(self.target, p["beta"], t)
        law1 = GaussianMixture(law.means[:, :1], law.sigma, law.weights)
        co = harmonic_coefficients(p["beta"], t_eval)
        chosen = omega.argmax(axis=0)
        spread = float(np.sqrt(law.covariance()[0, 0]))
        cert_t, cert = history.x, history.values
        decision = crossing_time(self.curve_t, self.own_curve, p["threshold"])
        right_exact = float(law.weights @ ndtr(law.means[:, 0] / law.sigma))
        k_paths = min(p["n_paths"], len(paths))
        n = len(x)
        return {
            "step": step,
            "t": t,
            "paths_t": paths_t.copy(),
            "paths": paths[:k_paths].copy(),
            "xhat_paths": xhat_paths[:k_paths].copy(),
            "path_class": chosen[:k_paths].copy(),
            "edges": edges,
            "hist": np.histogram(x[:, 0], edges)[0] / (n * width),
            "xhat_hist": np.histogram(xhat[:, 0], edges)[0] / (n * width),
            "ref_x": self.ref_x,
            "ref_density": np.exp(law1.log_density(self.ref_x[:, None])),
            "curve_t": self.curve_t,
            "certainty_exact": self.curves,
            "certainty_names": self.curve_names,
            "certainty_t": cert_t,
            "certainty_sim": cert,
            "threshold": p["threshold"],
            "t_decision": decision,
            "decision_mark": decision if np.isfinite(decision) else 1.0,
            "t_decision_sim": crossing_time(cert_t, cert, p["threshold"]),
            "px": plane[:, 0].copy(),
            "py": plane[:, 1].copy(),
            "pclass": chosen,
            "trails": trails.values.transpose(1, 0, 2).copy(),
            "A": float(co["A"]),
            "B": float(co["B"]),
            "certainty_now": float(cert[-1]),
            "certainty_now_exact": float(certainty(self.target, p["beta"], np.array([t_eval]))[0]),
            "mean1": float(x[:, 0].mean()),
            "var1": float(x[:, 0].var()),
            "var1_se": float(x[:, 0].var() * np.sqrt(2.0 / (len(x) - 1))),
            "var1_exact": spread**2,
            "right": float(np.mean(x[:, 0] > 0)),
            "right_exact": right_exact,
            "within_std": float(np.sqrt(np.mean((x[:, 0] - law.means[chosen, 0]) ** 2))),
            "within_std_exact": float(law.sigma[0]),
        }
