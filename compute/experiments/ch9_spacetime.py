"""§9.1 "Space–Time Diffusion": a forward drift along the graph Laplacian of a tiny image.

The forward process dx = Lx dt + √G(t) dW with L = −κΔ (Δ = D − A, the Laplacian of the
4-neighbour pixel grid) blurs while it noises. It is linear, so x_t | x₀ ~ N(e^{tL}x₀, Σ_t);
in the eigenbasis of Δ everything is diagonal and the score of a mixture of patterns stays in
closed form. With κ = 0 it is the book's Brownian process (eq. 9.5): α = 1, var = 2B(t).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from .. import backend
from ..diffusion import Array, ReverseRun, frame_chunk, mixture_score, sample_quality
from ..experiment import Experiment, Frame
from ..gmm import GaussianMixture
from ..params import Float, Int, Seed
from ..registry import register
from ..schedules import Schedule
from ..views import Curves, Heatmap, Readout, Series
from .ch9_sgm import beta_params, check_process, reverse_noise_params

PATTERNS = ("horizontal bar", "vertical bar", "cross", "frame", "diagonal", "checker",
            "disc", "corner")
N_FORWARD = 4  # images followed through the forward process
LEVELS = (-0.5, 1.5)  # grey scale of the images: the patterns are 0/1, noise saturates
STREAM_DATA, STREAM_FORWARD, STREAM_PRIOR, STREAM_NOISE = 0, 1, 2, 3


def make_patterns(side: int) -> Array:
    """The eight binary ``side``×``side`` patterns of :data:`PATTERNS`, flattened (8, side²)."""
    r, c = np.mgrid[0:side, 0:side]
    mid, q = (side - 1) / 2, max(1, side // 4)
    masks = (
        np.abs(r - mid) < q / 2 + 0.5,  # horizontal bar
        np.abs(c - mid) < q / 2 + 0.5,  # vertical bar
        (np.abs(r - mid) < 1) | (np.abs(c - mid) < 1),  # cross
        (np.minimum(np.minimum(r, c), np.minimum(side - 1 - r, side - 1 - c)) < q),  # frame
        np.abs(r - c) <= q / 2,  # diagonal
        ((r // (side // 2)) + (c // (side // 2))) % 2 == 0,  # checker of four blocks
        (r - mid) ** 2 + (c - mid) ** 2 <= (side / 3) ** 2,  # disc
        (r < side // 2) & (c < side // 2),  # corner block
    )
    return np.array([m.ravel() for m in masks], dtype=float)


def grid_laplacian(side: int) -> Array:
    """Δ = D − A of the side×side pixel grid with 4-neighbour edges (positive semidefinite)."""
    path = np.diag(np.r_[1.0, np.full(side - 2, 2.0), 1.0]) if side > 1 else np.zeros((1, 1))
    path -= np.eye(side, k=1) + np.eye(side, k=-1)
    eye = np.eye(side)
    return np.kron(path, eye) + np.kron(eye, path)


def _phi1(z: Array) -> Array:
    """(e^z − 1)/z, equal to 1 at z = 0."""
    small = np.abs(z) < 1e-8
    return np.where(small, 1.0 + z / 2, np.expm1(z) / np.where(small, 1.0, z))


def _phi2(z: Array) -> Array:
    """(e^z(z − 1) + 1)/z² = Σ_k (k+1) z^k/(k+2)!, equal to ½ at z = 0.

    The closed form cancels catastrophically for small |z|; there the series (seven terms,
    error below 1e-13 for |z| < 0.05) is used.
    """
    small = np.abs(z) < 0.05
    safe = np.where(small, 1.0, z)
    series = sum((k + 1) / math.factorial(k + 2) * z**k for k in range(7))
    return np.where(small, series, (np.exp(safe) * (safe - 1) + 1) / safe**2)


class GraphDiffusion:
    """dx = −κΔx dt + √G(t) dW with G = 2β(t) (linear β), in the eigenbasis of Δ.

    Coordinates z = Uᵀx with Δ = U diag(ν) Uᵀ; the drift is λ ⊙ z with λ = −κν ≤ 0. It has
    the ``drift``/``G`` interface of :mod:`compute.diffusion`, so the reverse step applies.
    """

    def __init__(self, side: int, kappa: float, beta_min: float, beta_max: float):
        self.nu, self.U = np.linalg.eigh(grid_laplacian(side))
        self.nu = np.maximum(self.nu, 0.0)  # the constant mode's 0 up to round-off
        self.lam = -kappa * self.nu
        self.schedule = Schedule("brownian", beta_min, beta_max)
        self.a, self.b = beta_min, beta_max - beta_min

    def to_eigen(self, x: Array) -> Array:
        return x @ self.U

    def to_pixels(self, z: Array) -> Array:
        return z @ self.U.T

    def drift(self, z: Array, t: float) -> Array:
        return z * self.lam

    def G(self, t: float) -> float:
        return float(self.schedule.G(t))

    def mean_factor(self, t: float) -> Array:
        """e^{λt} per eigenmode: x_t has mean U diag(e^{λt}) Uᵀ x₀ = e^{tL} x₀."""
        return np.exp(self.lam * t)

    def cov(self, t: float) -> Array:
        """Eigenvalues of Σ_t = ∫₀ᵗ e^{2λ(t−s)} G(s) ds for G(s) = 2(a + bs), in closed form.

        Σ = 2(a + bt)·t·φ₁(2λt) − 2b·t²·φ₂(2λt); at λ = 0 it is 2B(t), and for b = 0
        (constant G = g) it is g(e^{2λt} − 1)/(2λ).
        """
        z = 2.0 * self.lam * t
        return 2.0 * (self.a + self.b * t) * t * _phi1(z) - 2.0 * self.b * t * t * _phi2(z)

    def forward_step(self, z: Array, t: float, dt: float, xi: Array) -> Array:
        """Exact transition z_t → z_{t+dt}: the kernel composed over one step, noise ``xi``."""
        decay = np.exp(self.lam * dt)
        spread = np.maximum(self.cov(t + dt) - decay**2 * self.cov(t), 0.0)
        return z * decay + np.sqrt(spread) * xi

    def score_fn(self, data: GaussianMixture):
        """Exact score (eigen coordinates) of p_t for data N(μ_k, σ²I) (σ may be 0).

        Component k of p_t is N(e^{λt}ẑ_k, σ²e^{2λt} + Σ_t), diagonal; rescaling every
        coordinate by its std makes it isotropic, where :func:`mixture_score` applies.
        """
        means = self.to_eigen(data.means)
        sigma2 = float(data.sigma[0]) ** 2

        def score(z: Array, t: float) -> Array:
            decay = self.mean_factor(t)
            std = np.sqrt(sigma2 * decay**2 + self.cov(t))
            unit = GaussianMixture(means * decay / std, 1.0, data.weights)
            return mixture_score(unit, z / std) / std

        return score

    def p1_moments(self, data: GaussianMixture) -> tuple[Array, Array]:
        """Mean and covariance (eigen coordinates) of p₁, the law the reverse run starts from."""
        decay = self.mean_factor(1.0)
        cov = self.U.T @ data.covariance() @ self.U
        return decay * self.to_eigen(data.mean()[None])[0], \
            decay[:, None] * cov * decay[None, :] + np.diag(self.cov(1.0))


def forward_times(schedule: Schedule, steps: int) -> Array:
    """Times of the forward animation: the noise std √(2B(t)) grows linearly per step, so
    the early, still recognisable stretch of the process is not over in a few frames."""
    b1 = float(schedule.B(1.0))
    return np.array([schedule.time_of_B(b1 * (i / steps) ** 2) for i in range(steps + 1)])


def tile(images: Array, side: int, cols: int) -> Array:
    """Flattened images (n, side²) side by side in rows of ``cols``, one NaN pixel apart.

    Row 0 of the result is the bottom of the heatmap, so image rows are flipped to keep
    the patterns upright.
    """
    n = len(images)
    rows = -(-n // cols)
    out = np.full((rows * (side + 1) - 1, cols * (side + 1) - 1), np.nan)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        top = (rows - 1 - r) * (side + 1)
        out[top:top + side, c * (side + 1):c * (side + 1) + side] = img.reshape(side, side)[::-1]
    return out


@register
class SpaceTimeDiffusion(Experiment):
    id = "ch9.spacetime"
    title = "Space–time diffusion with a graph-Laplacian drift"
    section = "9.1"
    family = "Diffusion & U-turn trajectories"
    summary = ("Tiny images blur along the pixel graph while they noise; the exact score "
               "generates them back. κ = 0 is plain Brownian noising.")
    explanation = (
        "The forward drift Lx with L = −κΔ, Δ the Laplacian of the pixel grid, is heat "
        "flow: fine detail (large graph frequency ν) decays like exp(−κνt) while coarse "
        "structure survives. The process is linear, so x_t given x₀ is Gaussian with mean "
        "exp(tL)x₀ and covariance Σ_t, both diagonal in the Laplacian's eigenbasis, and the "
        "score of a mixture of patterns stays in closed form. The top heatmap follows a few "
        "patterns forward, with κ (top row) and with κ = 0 (bottom row) under the same "
        "noise; the curve shows each eigenmode's signal-to-noise ratio, which the drift "
        "keeps high for coarse modes and low for fine ones. Then the reverse process "
        "generates images from the Gaussian with the moments of p₁."
    )
    equations = (
        r"$dx = Lx\,dt + \sqrt{G(t)}\,dW,\quad L = -\kappa\,\Delta_{\mathrm{graph}},"
        r"\quad G = 2\beta(t)$",
        r"$x_t\,|\,x_0 \sim \mathcal{N}(e^{tL}x_0,\,\Sigma_t),\quad"
        r" \Sigma_t = \int_0^t e^{(t-s)L}\,G(s)\,e^{(t-s)L^{\top}}\,ds$",
        r"$\Sigma_t^{(i)} = g\,\frac{e^{2\lambda_i t} - 1}{2\lambda_i}\ \ (G = g),\qquad"
        r" \kappa = 0:\ \Sigma_t = 2B(t)\,I$",
        r"$\mathrm{SNR}_i(t) = e^{2\lambda_i t}\,\mathrm{Var}(\hat x_{0,i})/\Sigma_t^{(i)},"
        r"\quad \lambda_i = -\kappa\nu_i$",
    )
    book_notes = (
        "The book writes f = Lx with L 'the graph Laplacian'. With the usual Δ = D − A "
        "(positive semidefinite) that drift grows without bound, so the lab uses "
        "L = −κΔ, which is stable and blurs.",
        "The book gives no schedule; the lab uses the Brownian G = 2β(t) of eq. 9.5, so "
        "κ = 0 is exactly ch9.sgm9's brownian schedule.",
        "No notebook and no figure exist; the patterns are eight binary images made in code. "
        "The reverse run starts from the Gaussian with the exact mean and covariance of p₁.",
        "The forward animation steps uniformly in the noise std √(2B(t)) (exact transitions, "
        "any grid is exact); the reverse run uses the uniform grid of the notebooks.",
    )
    params = (
        Int("side", 8, 4, 16, label="image side", help="Images are side×side pixels."),
        Int("n_patterns", 6, 2, len(PATTERNS), label="patterns",
            help="Data: the first n of: " + ", ".join(PATTERNS) + "."),
        Float("pixel_noise", 0.05, 0.0, 0.5, label="pixel noise σ",
              help="Std of the Gaussian around each pattern; 0 gives point masses (eq. 9.6)."),
        Float("kappa", 2.0, 0.0, 5.0, label="κ", help="Strength of the Laplacian drift."),
        *beta_params(),
        Int("steps", 400, 2, 2000, label="steps", help="Steps of each of the two phases."),
        Int("n_samples", 16, 1, 64, label="samples", help="Images generated in reverse."),
        *reverse_noise_params(),
        Seed(),
    )
    views = (
        Heatmap("forward", "Forward: top row κ, bottom row κ = 0 (same noise)",
                field="forward_image", colormap="CET-L1", levels=LEVELS, equal_aspect=True),
        Heatmap("reverse", "Reverse: generated images", field="reverse_image",
                colormap="CET-L1", levels=LEVELS, equal_aspect=True),
        Curves("snr", "Signal-to-noise per Laplacian eigenmode at the current t",
               series=(Series("snr", x="graph_freq", names="snr_names", style="dots"),),
               xlabel="graph frequency ν (eigenvalue of Δ)", ylabel="SNR", logy=True),
        Readout("readout", "Space-time diffusion", area="bottom", lines=(
            ("phase", "phase", "{}"),
            ("t", "time t", "{:.4f}"),
            ("kappa", "κ", "{:.3g}"),
            ("coarse_keep", "e^(λt) of the slowest non-constant mode", "{:.4f}"),
            ("fine_keep", "e^(λt) of the fastest mode", "{:.3g}"),
            ("mode_kl", "pattern KL to uniform (generated)", "{:.4f}"),
            ("rms", "RMS per pixel to the nearest pattern", "{:.4f}"),
            ("sigma", "pixel noise σ", "{:.3f}"),
        )),
    )
    frame_fields = {
        "forward_image": "(2·(side+1)−1, 4·(side+1)−1) four images at forward time t, "
                         "κ (top) and κ = 0 (bottom); NaN between images",
        "reverse_image": "(tile) the generated images at reverse time t; NaN between images",
        "graph_freq": "(side²,) eigenvalues ν_i of the grid Laplacian",
        "snr": "(2, side²) per-mode SNR e^{2λt}Var(xˆ₀)/Σ_t for κ and κ = 0 (NaN: no signal)",
        "snr_names": "(2,) legend labels",
        "phase": "'forward' or 'reverse'",
        "kappa": "κ",
        "coarse_keep": "mean factor e^{λt} of the slowest decaying non-constant mode",
        "fine_keep": "mean factor e^{λt} of the fastest decaying mode",
        "mode_kl": "KL of the generated nearest-pattern frequencies to uniform",
        "rms": "RMS distance per pixel of the generated images to their nearest pattern",
        "sigma": "pixel noise σ of the data",
    }
    nonfinite_fields = frozenset({"forward_image", "reverse_image", "snr"})
    default_steps_per_frame = 2  # out and back in ~7 s at 60 fps, not 1.4 s

    @classmethod
    def check(cls, p) -> None:
        check_process(p)

    def frames(self) -> Iterator[Frame]:
        p = self.p
        side, seed = p["side"], p["seed"]
        patterns = make_patterns(side)[: p["n_patterns"]]
        k = len(patterns)
        data = GaussianMixture(patterns, p["pixel_noise"], np.full(k, 1.0 / k))
        proc = GraphDiffusion(side, p["kappa"], p["beta_min"], p["beta_max"])
        flat = GraphDiffusion(side, 0.0, p["beta_min"], p["beta_max"])
        data_var = np.diag(proc.U.T @ data.covariance() @ proc.U)
        data_var = np.where(data_var > 1e-12, data_var, np.nan)  # modes without signal
        slow = int(np.argsort(proc.nu)[1]) if len(proc.nu) > 1 else 0
        fast = int(np.argmax(proc.nu))
        cols = int(np.ceil(np.sqrt(p["n_samples"])))

        x0 = data.sample(N_FORWARD, backend.rng(seed, STREAM_DATA))[0]
        z_blur, z_flat = proc.to_eigen(x0), flat.to_eigen(x0)
        mean, cov = proc.p1_moments(data)
        prior = backend.rng(seed, STREAM_PRIOR).standard_normal((p["n_samples"], side * side))
        run = ReverseRun(mean + prior @ np.linalg.cholesky(cov).T, proc.score_fn(data), proc,
                         p["steps"], p["eps_mode"], p["eps"], backend.rng(seed, STREAM_NOISE))
        fixed = {"graph_freq": proc.nu, "snr_names": np.array([f"κ = {p['kappa']:g}", "κ = 0"]),
                 "kappa": p["kappa"], "sigma": p["pixel_noise"]}

        def frame(step: int, t: float, phase: str) -> Frame:
            images = proc.to_pixels(run.x)
            quality = sample_quality(images, data, np.inf)
            t_snr = max(t, times[1])  # Σ₀ = 0: the SNR is infinite at t = 0
            snr = [np.exp(2 * q.lam * t_snr) * data_var / q.cov(t_snr) for q in (proc, flat)]
            keep = proc.mean_factor(t)
            return {**fixed, "step": step, "t": t, "phase": phase,
                    "forward_image": tile(np.vstack([proc.to_pixels(z_blur),
                                                     flat.to_pixels(z_flat)]), side, N_FORWARD),
                    "reverse_image": tile(images, side, cols),
                    "snr": np.array(snr),
                    "coarse_keep": float(keep[slow]), "fine_keep": float(keep[fast]),
                    "mode_kl": quality.mode_kl, "rms": quality.rms}

        noise = backend.rng(seed, STREAM_FORWARD)
        times = forward_times(proc.schedule, p["steps"])
        yield frame(0, 0.0, "forward")
        i = 0
        while i < p["steps"]:
            for _ in range(frame_chunk(self.steps_per_frame, p["steps"])):
                if i == p["steps"]:
                    break
                xi = noise.standard_normal(z_blur.shape)  # the same noise for κ and κ = 0
                t, dt = times[i], times[i + 1] - times[i]
                z_blur = proc.forward_step(z_blur, t, dt, xi)
                z_flat = flat.forward_step(z_flat, t, dt, xi)
                i += 1
            yield frame(i, float(times[i]), "forward")
        while not run.done:
            run.eps_mode, run.eps_value = self.p["eps_mode"], self.p["eps"]
            run.advance(frame_chunk(self.steps_per_frame, run.steps))
            yield frame(p["steps"] + run.k, run.t, "reverse")
