"""§3.3: first-order optimizers racing on 2D loss landscapes, with the update rules as printed."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np

from .. import backend
from ..experiment import Diverged, Experiment, Frame
from ..history import History
from ..landscapes import LANDSCAPES, Landscape, make_landscape
from ..optimizers import CONSTRAINTS, OPTIMIZERS, Constraint, Hyper, Optimizer, create
from ..params import Bool, Choice, Float, Multi, ParamError, Seed
from ..registry import register
from ..views import Curves, Heatmap, Readout, Series

BOUND = 1e6  # an iterate with ‖θ‖ beyond this has diverged
BOUND_TEXT = "|θ| > 1e6"
DRAW_MARGIN = 0.25  # paths and markers are drawn up to this fraction of the window beyond it
GRID_N = 200  # pixels per side of the landscape image
QUIVER_N = 20  # arrows per side of the −∇f field
LOSS_FLOOR = 1e-16  # f − f* is clamped here so the log-scale curve stays finite
RECORD = 2048  # samples kept of the trajectories and loss curves (History decimation)
RUNNING = "running"


def cell_centres(lo: float, hi: float, n: int) -> np.ndarray:
    """Centres of ``n`` equal cells spanning [lo, hi] (pixel i of the image covers cell i)."""
    return lo + (np.arange(n) + 0.5) * (hi - lo) / n


def plot_window(landscape: Landscape, start: np.ndarray) -> tuple[float, float, float, float]:
    """The landscape's window, grown (with a 10% margin) to hold a start placed outside it."""
    x0, x1, y0, y1 = landscape.extent
    sx, sy = float(start[0]), float(start[1])
    mx, my = 0.1 * (x1 - x0), 0.1 * (y1 - y0)
    x0, x1 = (sx - mx, x1) if sx < x0 else (x0, sx + mx) if sx > x1 else (x0, x1)
    y0, y1 = (sy - my, y1) if sy < y0 else (y0, sy + my) if sy > y1 else (y0, y1)
    return x0, x1, y0, y1


def drawn_window(extent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper corners of the plot window widened by DRAW_MARGIN on every side.

    Paths are cut and markers pinned there, so an iterate running off to 1e6 does not make
    the plot zoom out until the landscape is a dot.
    """
    x0, x1, y0, y1 = extent
    margin = DRAW_MARGIN * np.array([x1 - x0, y1 - y0])
    return np.array([x0, y0]) - margin, np.array([x1, y1]) + margin


def arrow(tail: np.ndarray, tip: np.ndarray, extent: np.ndarray) -> np.ndarray:
    """An arrow from ``tail`` to ``tip`` as a polyline (6, 2): the shaft, two head strokes at
    ±150° and a NaN row ending it.

    The head is shaped in window units (the extent scaled to a unit square), so it looks
    like a head on a plot whose axes span the window; it is at most 4% of the window and at
    most 35% of the shaft.
    """
    x0, x1, y0, y1 = extent
    scale = np.array([x1 - x0, y1 - y0])
    d = (tip - tail) / scale
    length = math.hypot(*d.tolist())
    if not length > 0:
        return np.array([tail, tip, tip, tip, tip, [np.nan, np.nan]])
    u = d / length
    head = min(0.04, 0.35 * length)
    c, s = math.cos(math.radians(150)), math.sin(math.radians(150))
    h1 = tip + head * scale * np.array([c * u[0] - s * u[1], s * u[0] + c * u[1]])
    h2 = tip + head * scale * np.array([c * u[0] + s * u[1], -s * u[0] + c * u[1]])
    return np.array([tail, tip, h1, tip, h2, [np.nan, np.nan]])


def blow_up(theta: np.ndarray) -> str | None:
    """Why ``theta`` (d,) counts as diverged, or None when it is a finite point within the bound."""
    norm = math.hypot(*theta.tolist())  # NaN or inf when a coordinate is
    if norm <= BOUND:
        return None
    return BOUND_TEXT if math.isfinite(norm) else "θ not finite"


def iteration_radius(name: str, eta: float, beta: float, h: float) -> float:
    """Spectral radius of one step of GD, heavy ball or Nesterov on f = ½hθ² (the error
    contracts by it per step, asymptotically).

    GD: |1 − ηh|. Heavy ball: roots of z² − (1 + β − ηh)z + β. Nesterov: roots of
    z² − (1 + β)(1 − ηh)z + β(1 − ηh).
    """
    a = eta * h
    if name == "GD":
        return abs(1.0 - a)
    if name == "heavy-ball":
        coeffs = [1.0, -(1.0 + beta - a), beta]
    else:
        coeffs = [1.0, -(1.0 + beta) * (1.0 - a), beta * (1.0 - a)]
    return float(np.abs(np.roots(coeffs)).max())


@register
class OptimizerZoo(Experiment):
    id = "ch3.optimizer-zoo"
    title = "Optimizer zoo: first-order methods as stated in §3.3"
    section = "3.3"
    family = "loss landscape"
    summary = "GD, SGD, heavy ball, Nesterov, PGD, AdaGrad, RMSProp and Adam race down one surface."
    explanation = (
        "Several optimizers start from the same point of a two-dimensional loss surface and take "
        "one step per tick, each by its own rule from §3.3. Colours show log₁₀ of f above its "
        "smallest value in the window (f itself on the saddle). Gradient descent follows −∇f "
        "(the arrows) and zig-zags or crawls in a narrow valley: on the quadratic, raising the "
        "condition number κ stretches the ellipses and slows it to the rate (κ−1)/(κ+1). Heavy "
        "ball and Nesterov keep a fraction β of the previous increment, gain speed along the "
        "valley and overshoot; Nesterov looks ahead before taking the gradient. AdaGrad, RMSProp "
        "and Adam divide each coordinate by a running size of its gradients, so their steps do "
        "not depend on the scale of f: the first step of AdaGrad and of Adam moves each "
        "coordinate by η, RMSProp's by η/√(1 − ρ) (3.16η at ρ = 0.9: its running average "
        "starts at zero without bias correction). They are not rotation invariant (turn the "
        "angle); the lower panel shows their per-coordinate step sizes. PGD projects each GD "
        "step onto a convex set C (the segment from the unprojected point to its "
        "projection is drawn, C shaded); the arrows on the momentum methods show how far "
        "they would coast on their velocity alone. "
        "Learning rates and momenta act at the next step without a restart. An optimizer whose "
        "iterate blows up is frozen and marked diverged; the others keep running."
    )
    equations = (
        r"$\theta_{t+1} = \theta_t - \eta\,\nabla f(\theta_t),\quad"
        r" f(\theta) = \sum_i \mathcal{L}(x_i, \theta)$",
        r"$\theta_{t+1} = \theta_t - \eta\,(\nabla f(\theta_t) + \sigma\,\xi_t),\quad"
        r" \xi_t \sim \mathcal{N}(0, I)$",
        r"$\theta_{t+1} = \theta_t + \beta(\theta_t - \theta_{t-1}) - \eta\,\nabla f(\theta_t)$",
        r"$\theta_{t+1} = \theta_t + \beta(\theta_t - \theta_{t-1})"
        r" - \eta\,\nabla f(\theta_t + \beta(\theta_t - \theta_{t-1}))$",
        r"$\theta_{t+1} = \mathrm{Proj}_C(\theta_t - \eta\,\nabla f(\theta_t))$",
        r"$G_t = G_{t-1} + g_t^2,\quad"
        r" \theta_{t+1} = \theta_t - \frac{\eta\,g_t}{\sqrt{G_t + \epsilon}},"
        r"\quad g_t = \nabla f(\theta_t)$",
        r"$G_{t+1} = \rho\,G_t + (1-\rho)\,g_t^2,\quad"
        r" \theta_{t+1} = \theta_t - \frac{\eta\,g_t}{\sqrt{G_{t+1}} + \epsilon}$",
        r"$m_{t+1} = \beta_1 m_t + (1-\beta_1)\,g_t,\quad"
        r" G_{t+1} = \beta_2 G_t + (1-\beta_2)\,g_t^2$",
        r"$\theta_{t+1} = \theta_t - \eta\,\frac{m_{t+1}/(1-\beta_1^{t+1})}"
        r"{\sqrt{G_{t+1}/(1-\beta_2^{t+1})} + \epsilon}$",
        r"$f(\theta) = \frac{1}{2}\theta^T A\,\theta,\quad \eta = \frac{2}{L+\mu}:\quad"
        r" \|\theta_t\| \leq \left(\frac{\kappa-1}{\kappa+1}\right)^t \|\theta_0\|$",
    )
    book_notes = (
        "The book's updates use the gradient of a sum over the data, Σ_i L(x_i, θ) (the "
        "notebooks use means, which rescales η by 1/N). Here the landscape f itself is that "
        "loss, so η multiplies ∇f directly.",
        "SGD: the landscapes have no data set to draw batches from, so the lab's SGD is GD with "
        "the gradient replaced by ∇f(θ) + σξ, ξ ~ N(0, I) — an unbiased noisy gradient with "
        "the noise level σ as a slider.",
        "AdaGrad: the book puts ε inside the root, η/√(G + ε); the notebooks use η/(√G + ε). "
        "The lab follows the book and offers the notebook form as a switch.",
        "Adam: the printed bias correction m/(1 − β₁ᵗ) for the update to step t+1 is off by "
        "one (at t = 0 it divides by zero). The lab, like both notebooks, counts updates from "
        "1: the k-th update divides by 1 − β₁ᵏ and 1 − β₂ᵏ.",
        "RMSProp: the book writes its decay as β; the lab calls it ρ (default 0.9 as in "
        "adaptive_relu_2D; adaptive.ipynb uses 0.999, which makes the first step 1/√(1 − ρ) "
        "≈ 32 times η).",
        "The book states GD converges at O(1/T²) for strongly convex functions. The standard "
        "result is linear convergence: with η = 2/(L + μ) the error contracts by (κ−1)/(κ+1) "
        "per step; O(1/T²) is Nesterov's rate on (non-strongly) convex functions. Heavy ball "
        "with tuned η and β contracts by (√κ−1)/(√κ+1) on quadratics.",
        "PGD's set C (an ℓ2 ball, a box or an ℓ1 ball) is centred at the start, so the start "
        "is feasible; the simplex θ ≥ 0, θ₁ + θ₂ = R and the half-plane θ₁ ≤ start₁ + R are "
        "not, and a start outside them is projected onto C first (the path's name says so).",
        "The book also states that strict convexity gives linear convergence. It does not: "
        "f(θ) = θ⁴ is strictly convex, and GD on it slows to a sublinear crawl near 0 "
        "because the curvature vanishes there. Linear rates need strong convexity (a "
        "curvature bounded below by μ > 0), as on the quadratic, where the read-out compares "
        "the measured contraction of GD, heavy ball and Nesterov with the spectral radius "
        "of their iteration.",
        "RMSProp's bias-correction switch is not in the book (nor in PyTorch's RMSprop or "
        "the notebooks); it is offered to show where RMSProp's large first step comes from. "
        "The book-versus-notebook switch of the catalogue reduces here to AdaGrad's ε inside "
        "or outside the root and RMSProp's decay (presets book-variant and "
        "notebook-variant); sums versus means do not arise on these landscapes.",
        "The saddle x² − y² has no minimum; its loss curve shows the decrease f(θ₀) − f(θ) "
        "instead of f − f*, and distances are measured to the saddle point.",
    )
    params = (
        Multi("optimizers", ("GD", "heavy-ball", "Nesterov", "Adam"), OPTIMIZERS,
              help="The optimizers racing from the same start."),
        Choice("landscape", "quadratic", LANDSCAPES,
               help="½θᵀAθ with eigenvalues 1 and 1/κ; Rosenbrock (1 − x)² + 100(y − x²)²; "
                    "Himmelblau (four minima); the saddle x² − y² (unbounded below)."),
        Float("kappa", 100.0, 1.0, 1000.0, log=True, label="condition number κ",
              help="λmax/λmin of the quadratic (λmax = 1, so GD is stable for η < 2)."),
        Float("angle", 30.0, -90.0, 90.0, unit="°", label="rotation",
              help="Rotation of the quadratic's eigenvectors from the axes."),
        Float("lr", 0.5, 1e-4, 10.0, live=True, log=True, label="η (GD, SGD, momentum, PGD)",
              help="Step size of GD, SGD, heavy ball, Nesterov and PGD. GD settles at a "
                   "minimum only for η < 2/λmax there: 2 on the quadratic, 0.002 on "
                   "Rosenbrock, 0.015 on Himmelblau."),
        Float("lr_adaptive", 0.1, 1e-4, 10.0, live=True, log=True,
              label="η (AdaGrad, RMSProp, Adam)",
              help="Base step size of the adaptive methods (about the length of a step)."),
        Float("beta", 0.9, 0.0, 0.999, live=True, label="momentum β",
              help="Share of the previous increment kept by heavy ball and Nesterov."),
        Float("rho", 0.9, 0.0, 0.9999, live=True, label="RMSProp decay ρ",
              help="Decay of RMSProp's running mean of g² (the book's β)."),
        Float("beta1", 0.9, 0.0, 0.999, live=True, label="Adam β₁",
              help="Decay of Adam's first moment."),
        Float("beta2", 0.999, 0.0, 0.99999, live=True, label="Adam β₂",
              help="Decay of Adam's second moment."),
        Float("eps", 1e-8, 1e-12, 1.0, live=True, log=True, label="ε",
              help="Regulariser of the adaptive denominators."),
        Bool("eps_inside_root", True, live=True, label="AdaGrad ε inside √ (book)",
             help="On: η/√(G + ε) as in the book; off: η/(√G + ε) as in the notebooks."),
        Float("sgd_noise", 0.3, 0.0, 20.0, live=True, label="SGD noise σ",
              help="Standard deviation of the Gaussian noise added to SGD's gradient."),
        Bool("rmsprop_bias_correction", False, live=True, label="RMSProp bias correction",
             help="Divide RMSProp's G by 1 − ρᵏ as Adam does (not in the book; PyTorch "
                  "and the notebooks do not either): the first step becomes η."),
        Choice("constraint", "ball", CONSTRAINTS, live=True, label="PGD set C",
               help="ℓ2 ball, box (half-width = radius) or ℓ1 ball centred at the start; "
                    "the simplex θ ≥ 0, θ₁ + θ₂ = radius (a start off it is projected); the "
                    "half-plane θ₁ ≤ start₁ + radius."),
        Float("radius", 1.5, 0.05, 10.0, live=True, label="PGD radius",
              help="Size of PGD's set (see the set)."),
        Bool("custom_start", False, label="custom start",
             help="Start at (start_x, start_y) instead of the landscape's own start."),
        Float("start_x", -3.5, -10.0, 10.0, label="start θ₁"),
        Float("start_y", 2.5, -10.0, 10.0, label="start θ₂"),
        Seed(help="Seed of SGD's gradient noise (same seed, same run)."),
    )
    views = (
        Heatmap("landscape", "Loss landscape", area="left",
                field="landscape", extent="extent", contours=12, paths="paths",
                names="path_names", points="markers", regions="regions",
                region_names="region_names",
                vectors=("grid_x", "grid_y", "neg_grad_u", "neg_grad_v"),
                xlabel="θ₁", ylabel="θ₂"),
        Curves("loss", "Loss vs step",
               series=(Series("loss", x="loss_step", names="names"),),
               logy=True, xlabel="step", ylabel="f(θ) − f*"),
        Curves("distance", "Distance to the minimiser",
               series=(Series("dist_curve", x="loss_step", names="names"),),
               logy=True, xlabel="step", ylabel="|θ − θ*|"),
        Curves("rates", "Effective step per coordinate (adaptive)",
               series=(Series("eff_rate", x="loss_step", names="rate_names"),),
               logy=True, xlabel="step", ylabel="η_α"),
        Readout("race", "Race", area="bottom", lines=(
            ("step", "step", "{:d}"),
            ("running", "optimizers running", "{:d}"),
            ("gd_limit", "GD stable at the minimum for η <", "{:.4g}"),
            ("rate_text", "contraction per step, measured (theory)", "{}"),
        )),
    )
    frame_fields: ClassVar[dict[str, str]] = {
        "step": "optimizer steps taken",
        "t": "the step count as a float",
        "landscape": "(200, 200) log10(f − min f + δ), δ = 10⁻³(max f − min f), on the plot "
                     "window (f itself for the saddle); the same array every frame",
        "extent": "(4,) the plot window xmin, xmax, ymin, ymax",
        "grid_x": "(20,) abscissae of the arrows",
        "grid_y": "(20,) ordinates of the arrows",
        "neg_grad_u": "(20, 20) first component of −∇f on the arrow grid",
        "neg_grad_v": "(20, 20) second component of −∇f on the arrow grid",
        "paths": "(p, n, 2) trajectories of the k optimizers, decimated to at most 2049 "
                 "points, then PGD's last projection (unprojected point → iterate) when PGD "
                 "races and the momentum methods' velocity arrows (coasting distance "
                 "βv/(1 − β), 6 rows each); NaN-padded and NaN where they leave the window "
                 "widened by 25% per side",
        "regions": "(r, n, 2) PGD's set C as a closed polygon within the drawn window "
                   "(r = 1 when PGD races, else 0; the simplex is a segment)",
        "region_names": "(r,) the label of C",
        "path_names": "(p,) labels of the paths (with the divergence step, if any)",
        "names": "(k,) the optimizers, in the order of every per-optimizer field",
        "positions": "(k, 2) current iterates (a diverged one frozen at its last good point)",
        "markers": "(k, 2) the iterates as drawn, pinned to the edge of the drawn window; "
                   "(k + 1, 2) when PGD races: then its last unprojected point",
        "loss_step": "(m,) steps of the loss record",
        "loss": "(k, m) f − f* (saddle: f(θ₀) − f), clamped at 1e-16; NaN after divergence",
        "distance": "(k,) distance to the nearest minimiser (saddle: to the saddle point)",
        "status": "(k,) 'running' or 'diverged at step N (reason)'",
        "running": "number of optimizers still running",
        "dist_curve": "(k, m) distance to the nearest minimiser (saddle: to the saddle), "
                      "clamped at 1e-16; NaN after divergence",
        "rate_names": "(2a,) 'optimizer θ₁', 'optimizer θ₂' for the a adaptive optimizers "
                      "(a placeholder when none races)",
        "eff_rate": "(2a, m) effective steps η_α of the adaptive optimizers' coordinates "
                    "(AdaGrad η/√(G+ε), RMSProp η/(√G+ε), Adam η/(√Ĝ+ε) times m̂)",
        "rate_text": "quadratic: measured contraction over the last 20 steps of GD, heavy "
                     "ball and Nesterov against the spectral radius of their iteration",
        "gd_limit": "2/λmax of the Hessian at the minimisers (saddle: at the saddle)",
    }
    history_fields = ("loss_step", "loss", "paths", "dist_curve", "eff_rate")
    nonfinite_fields = frozenset({"paths", "loss", "dist_curve", "eff_rate"})
    default_steps_per_frame = 1
    max_steps_per_frame = 2000  # about 0.2 s per frame with all eight optimizers

    @classmethod
    def hidden_views(cls, p: Mapping[str, Any]) -> frozenset[str]:
        adaptive = {"AdaGrad", "RMSProp", "Adam"}
        return frozenset() if adaptive & set(p["optimizers"]) else frozenset({"rates"})

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        if not p["optimizers"]:
            raise ParamError("optimizers", "choose at least one optimizer")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.p
        self.landscape = make_landscape(p["landscape"], p["kappa"], p["angle"])
        start = (p["start_x"], p["start_y"]) if p["custom_start"] else self.landscape.start
        self.start = np.array(start, dtype=float)
        self.static = self._static_fields()
        self.drawn = drawn_window(self.static["extent"])
        self.on_live_change(set())

    def _static_fields(self) -> dict[str, Any]:
        """Arrays that do not change during a run, yielded as the same objects every frame."""
        land = self.landscape
        x0, x1, y0, y1 = extent = plot_window(land, self.start)
        gx, gy = np.meshgrid(cell_centres(x0, x1, GRID_N), cell_centres(y0, y1, GRID_N))
        f = land.value(np.stack([gx, gy], axis=-1))
        if land.f_star is None:  # unbounded below: a log scale would only show the edges
            image = f
        else:
            image = np.log10(f - f.min() + 1e-3 * float(f.max() - f.min()) + 1e-12)
        qx, qy = cell_centres(x0, x1, QUIVER_N), cell_centres(y0, y1, QUIVER_N)
        g = land.grad(np.stack(np.meshgrid(qx, qy), axis=-1))
        return {
            "landscape": image,
            "extent": np.array(extent),
            "grid_x": qx,
            "grid_y": qy,
            "neg_grad_u": -g[..., 0],
            "neg_grad_v": -g[..., 1],
            "gd_limit": land.gd_limit(),
        }

    def on_live_change(self, names: set[str]) -> None:
        p = self.p
        constraint = Constraint(p["constraint"], (float(self.start[0]), float(self.start[1])),
                                p["radius"])
        plain = Hyper(lr=p["lr"], beta=p["beta"], rho=p["rho"], beta1=p["beta1"],
                      beta2=p["beta2"], eps=p["eps"], eps_inside_root=p["eps_inside_root"],
                      noise=p["sgd_noise"], constraint=constraint,
                      rmsprop_bias_correction=p["rmsprop_bias_correction"])
        # keyed by Optimizer.adaptive: the adaptive methods have their own learning rate
        self.hyper = {False: plain, True: replace(plain, lr=p["lr_adaptive"])}
        self.constraint = constraint
        region = constraint.region(*self.drawn)
        self.region = region[None] if len(region) else np.empty((0, 2, 2))

    # -- the run ------------------------------------------------------------------------
    def _gap(self, theta: np.ndarray, f0: float) -> np.ndarray:
        """f − f* (or f(θ₀) − f without f*) at points (..., 2), clamped at LOSS_FLOOR."""
        f = self.landscape.value(theta)
        star = self.landscape.f_star
        gap = f - star if star is not None else f0 - f
        return np.maximum(gap, LOSS_FLOOR)

    def frames(self) -> Iterator[Frame]:
        names = list(self.p["optimizers"])
        noise_rng = backend.rng(self.p["seed"], 1)
        # a start outside PGD's set is projected onto it (and said so in its name)
        starts = [self.constraint.project(self.start) if n == "PGD" else self.start
                  for n in names]
        self.projected_start = "PGD" in names and not self.constraint.contains(self.start)
        opts: list[Optimizer] = [create(n, s, noise_rng) for n, s in zip(names, starts,
                                                                        strict=True)]
        k = len(opts)
        grad = self.landscape.grad
        f0 = float(self.landscape.value(self.start))
        status = [RUNNING] * k
        record = History(shape=(k, 6), capacity=RECORD)
        step = 0

        def sample() -> np.ndarray:
            pos = np.stack([o.theta for o in opts])
            loss = self._gap(pos, f0)
            dist = np.maximum(self.landscape.distance(pos), LOSS_FLOOR)
            dead = [s != RUNNING for s in status]
            loss[dead] = np.nan
            dist[dead] = np.nan
            rates = np.stack([getattr(o, "rate", np.full(2, np.nan)) for o in opts])
            return np.concatenate([pos, loss[:, None], dist[:, None], rates], axis=1)

        record.append(0, sample())
        while True:
            if RUNNING not in status:
                raise Diverged(step, f"every optimizer diverged: θ not finite or {BOUND_TEXT}")
            hyper = self.hyper
            with np.errstate(all="ignore"):
                for _ in range(self.steps_per_frame):
                    step += 1
                    for i, opt in enumerate(opts):
                        if status[i] != RUNNING:
                            continue
                        last = opt.theta
                        reason = blow_up(opt.step(grad, hyper[opt.adaptive]))
                        if reason is not None:
                            opt.theta = last  # frozen at its last good point
                            status[i] = f"diverged at step {step} ({reason})"
                    record.append(step, sample())
                    if RUNNING not in status:
                        break
            yield self._frame(step, names, status, opts, record)

    def _extras(self, names: list[str], opts: list[Optimizer]) -> list[tuple[str, np.ndarray]]:
        """Overlays drawn as extra paths: PGD's last projection (the unprojected point joined
        to its projection), and an arrow along each momentum method's velocity as long as
        its coasting distance βv/(1 − β) (where the ball would roll on with no more
        gradient)."""
        extras = []
        if "PGD" in names:
            pgd = opts[names.index("PGD")]
            extras.append(("PGD unprojected step", np.array([pgd.before, pgd.theta])))
        beta = self.p["beta"]
        extent = self.static["extent"]
        arrows = [arrow(o.theta, o.theta + beta / (1.0 - beta) * (o.theta - o.previous), extent)
                  for n, o in zip(names, opts, strict=True)
                  if n in ("heavy-ball", "Nesterov")]
        if arrows:
            extras.append(("velocity × β/(1 − β)", np.concatenate(arrows)))
        return extras

    def _rates(self, names: list[str], record_dist: np.ndarray) -> str:
        """Measured contraction of GD, heavy ball and Nesterov on the quadratic over the last
        20 steps, against the spectral radius of their linear iteration."""
        if self.landscape.name != "quadratic" or record_dist.shape[0] < 22:
            return "—"
        lam = np.linalg.eigvalsh(self.landscape.hessian(np.zeros(2)))
        eta, beta = self.p["lr"], self.p["beta"]
        parts = []
        for i, n in enumerate(names):
            if n not in ("GD", "heavy-ball", "Nesterov"):
                continue
            theory = max(iteration_radius(n, eta, beta, float(h)) for h in lam)
            d = record_dist[-21:, i]
            if not np.isfinite(d).all() or d[0] <= 0:
                continue
            measured = (d[-1] / d[0]) ** (1.0 / 20.0) if d[-1] > 1e-15 else float("nan")
            parts.append(f"{n} {measured:.4f} ({theory:.4f})")
        return "; ".join(parts) or "—"

    def _frame(self, step: int, names: list[str], status: list[str], opts: list[Optimizer],
               record: History) -> Frame:
        positions = np.stack([o.theta for o in opts])
        kept = record.values  # (m, k, 6)
        paths = np.concatenate([kept[:, :, :2].transpose(1, 0, 2), positions[:, None]], axis=1)
        lo, hi = self.drawn
        paths[((paths < lo) | (paths > hi)).any(axis=-1)] = np.nan
        path_names = [n if s == RUNNING else f"{n}: {s}"
                      for n, s in zip(names, status, strict=True)]
        if self.projected_start and "PGD" in names:
            i = names.index("PGD")
            path_names[i] += " (start projected onto C)"
        extras = self._extras(names, opts)
        if extras:
            n = max(paths.shape[1], *(len(e) for _, e in extras))
            padded = np.full((len(opts) + len(extras), n, 2), np.nan)
            padded[: len(opts), : paths.shape[1]] = paths
            for j, (label, pts) in enumerate(extras):
                pts = pts.copy()
                pts[((pts < lo) | (pts > hi)).any(axis=-1)] = np.nan
                padded[len(opts) + j, : len(pts)] = pts
                path_names.append(label)
            paths = padded
        markers = positions
        if "PGD" in names:
            markers = np.vstack([positions, opts[names.index("PGD")].before])
        adaptive = [i for i, o in enumerate(opts) if o.adaptive]
        if adaptive:
            eff = kept[:, adaptive, 4:6].transpose(1, 2, 0).reshape(2 * len(adaptive), -1)
            rate_names = [f"{names[i]} {c}" for i in adaptive for c in ("θ₁", "θ₂")]
        else:
            eff = np.full((1, kept.shape[0]), np.nan)
            rate_names = ["no adaptive optimizer"]
        return {
            "step": step,
            "t": float(step),
            **self.static,
            "paths": paths,
            "path_names": np.array(path_names),
            "names": np.array(names),
            "positions": positions,
            "markers": np.clip(markers, lo, hi),
            "regions": self.region if "PGD" in names else np.empty((0, 2, 2)),
            "region_names": np.array(["PGD set C"] * len(self.region) if "PGD" in names
                                     else [], dtype=str),
            "loss_step": record.x,
            "loss": kept[:, :, 2].T.copy(),
            "dist_curve": kept[:, :, 3].T.copy(),
            "eff_rate": np.where(eff > 0, eff, np.nan),
            "rate_names": np.array(rate_names),
            "rate_text": self._rates(names, kept[:, :, 3]),
            "distance": self.landscape.distance(positions),
            "status": np.array(status),
            "running": status.count(RUNNING),
        }
