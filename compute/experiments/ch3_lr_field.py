"""§3.1.4, Example 3.1.1, Fig 3.2, Exercise 3.1.1: the logistic-regression loss over (ω₁, ω₂),
its −∇L field and a gradient-descent path, on separable or overlapping classes."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from .. import classifiers as cl
from ..experiment import Diverged, Experiment, Frame
from ..history import History
from ..params import Bool, Float, Int, Seed
from ..registry import register
from ..views import Curves, DecisionBoundary, Heatmap, Readout, Series

IMAGE = 120  # pixels per side of the loss image
DATA_GRID = 100  # pixels per side of the data panel's probability map
BOUND = 1e6
FLOW_SUBSTEPS = 2  # RK4 steps of the gradient flow per GD step (time η each)


def make_data(n: int, std: float, flip: float, seed: int,
              mean_pos: tuple[float, float], mean_neg: tuple[float, float]
              ) -> tuple[np.ndarray, np.ndarray]:
    """The notebook's two Gaussian classes (legacy ``RandomState(seed)``, positives drawn
    first), each of n/2 points, then a share ``flip`` of labels flipped at random."""
    rs = np.random.RandomState(seed)
    half = n // 2
    pos = rs.randn(half, 2) * std + np.asarray(mean_pos)
    neg = rs.randn(n - half, 2) * std + np.asarray(mean_neg)
    x = np.vstack([pos, neg])
    y = np.concatenate([np.ones(half), np.zeros(n - half)])
    k = round(flip * n)
    if k:
        idx = rs.choice(n, k, replace=False)
        y[idx] = 1.0 - y[idx]
    return x, y


def max_margin_direction(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """The unit u maximising min_i s_i·uᵀx_i (s = ±1), and that margin (> 0 iff the classes
    are separable by a line through the origin): the hard-margin SVM without bias in 2D,
    found by a dense search over the angle refined by golden sections."""
    s = 2.0 * y - 1.0

    def margin(a: np.ndarray) -> np.ndarray:
        u = np.stack([np.cos(a), np.sin(a)], axis=-1)
        return (s[:, None] * (x @ u.T)).min(axis=0)

    grid = np.linspace(-np.pi, np.pi, 3601)
    i = int(np.argmax(margin(grid)))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    g = (math.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        if margin(np.array([a]))[0] < margin(np.array([b]))[0]:
            lo = a
        else:
            hi = b
    best = 0.5 * (lo + hi)
    return np.array([math.cos(best), math.sin(best)]), float(margin(np.array([best]))[0])


@register
class LRGradientField(Experiment):
    id = "ch3.lr-gradient-field"
    title = "Logistic-regression loss, its gradient field and a descent path"
    section = "3.1.4"
    family = "loss landscape + decision boundary"
    summary = ("Contours of L(ω₁, ω₂), arrows of −∇L and gradient descent from the steepest "
               "point; on separable data ω drifts off to infinity.")
    explanation = (
        "Logistic regression without bias, p = σ(ωᵀx), has a loss L(ω₁, ω₂) that can be drawn "
        "over the plane of its two weights (colours and contours), with the arrows of −∇L "
        "showing where gradient descent goes. The path starts at the grid point where |∇L| is "
        "largest (as in the notebook) or at a chosen point; the right panel shows the data and "
        "the current classifier, its boundary ωᵀx = 0 turning as ω moves. On the notebook's "
        "data the two classes are separable by a line through the origin: L has no minimum, "
        "only an infimum 0, and |ω| grows without bound (like log t) while the direction "
        "ω/|ω| turns towards the max-margin direction (the ray drawn on the map). Flip "
        "some labels, widen the classes, or add an L2 penalty, and a finite minimiser ω* "
        "appears (the third marker) that every start converges to. The second path is the "
        "continuous gradient flow dω/dt = −∇L over the same time kη."
    )
    equations = (
        r"$L(\omega) = -\frac{1}{N}\sum_i [y_i\ln\sigma(\omega^Tx_i)"
        r" + (1-y_i)\ln(1-\sigma(\omega^Tx_i))] + \frac{\lambda}{2}\|\omega\|^2$",
        r"$\nabla L(\omega) = \frac{1}{N}\sum_i (\sigma(\omega^Tx_i) - y_i)\,x_i"
        r" + \lambda\omega,\quad \omega_{k+1} = \omega_k - \eta\nabla L(\omega_k)$",
        r"$\frac{d\omega}{dt} = -\nabla L(\omega),\quad"
        r" H(\omega) = \frac{1}{N}\sum_i \sigma_i(1-\sigma_i)\,x_ix_i^T + \lambda I$",
        r"$\mathrm{separable}:\ \ \|\omega_k\| \to \infty,\quad"
        r" \omega_k/\|\omega_k\| \to \arg\max_{\|u\|=1} \min_i s_i\,u^Tx_i$",
    )
    book_notes = (
        "The notebook's data are separable through the origin, so L has no finite minimiser: "
        "the book's \"all trajectories converge to the unique optimum ω*\" holds only for "
        "overlapping classes (label flips, a larger class spread) or with an L2 penalty. The "
        "lab shows the drift honestly and offers both remedies.",
        "Example 3.1.1 is titled \"Linear Regression Gradient Field\" but treats logistic "
        "regression. The book promises gradient-flow trajectories; the notebook draws only "
        "discrete GD, the lab draws both.",
        "Exercise 3.1.1 item 4 adds a bias b: with the bias on, the landscape shown is the "
        "slice of L(ω₁, ω₂, b) at the current b, redrawn as b changes.",
    )
    params = (
        Int("n", 80, 10, 2000, label="points N"),
        Float("std", 0.5, 0.1, 3.0, label="class spread σ"),
        Float("flip", 0.0, 0.0, 0.4, label="label-flip fraction"),
        Float("pos_x", 1.5, -4.0, 4.0, label="positive mean x₁"),
        Float("pos_y", 1.5, -4.0, 4.0, label="positive mean x₂"),
        Float("neg_x", -1.5, -4.0, 4.0, label="negative mean x₁"),
        Float("neg_y", -1.0, -4.0, 4.0, label="negative mean x₂"),
        Bool("bias", False, label="bias b", help="Fit σ(ωᵀx + b); the map is the slice at "
                                                 "the current b."),
        Float("l2", 0.0, 0.0, 1.0, live=True, label="L2 strength λ",
              help="Adds (λ/2)|ω|²: a finite, unique minimiser for any data."),
        Float("lr", 0.3, 1e-3, 10.0, live=True, log=True, label="learning rate η"),
        Int("steps", 40, 1, 10_000, label="steps"),
        Bool("custom_start", False, label="custom start",
             help="Start at (start_x, start_y) instead of the grid point of largest |∇L|."),
        Float("start_x", 3.0, -20.0, 20.0, label="start ω₁"),
        Float("start_y", -3.0, -20.0, 20.0, label="start ω₂"),
        Float("grid_range", 4.0, 1.0, 20.0, label="grid range", help="The map shows ±this."),
        Int("grid_res", 25, 10, 100, label="arrows per side"),
        Bool("flow", True, label="gradient flow", help="Also draw the continuous flow "
                                                       "(RK4) over the same time."),
        Seed(help="Seed of the data (legacy RandomState, as the notebook)."),
    )
    views = (
        Heatmap("landscape", "log₁₀ L(ω₁, ω₂) and −∇L", field="landscape", extent="extent",
                contours=15, paths="paths", names="path_names", points="markers",
                vectors=("grid_x", "grid_y", "neg_grad_u", "neg_grad_v"),
                xlabel="ω₁", ylabel="ω₂", colormap="viridis"),
        DecisionBoundary("data", "Data and the current classifier", probability="prob",
                         extent="data_extent", points="points", labels="labels",
                         message="message"),
        Curves("loss", "Loss vs step", series=(Series("loss", x="loss_step", label="L(ω_k)"),),
               hlines=("loss_star",), logy=True, xlabel="step", ylabel="L"),
        Curves("norm", "|ω| vs step", series=(Series("norm", x="loss_step", label="|ω_k|"),),
               xlabel="step", ylabel="|ω|"),
        Readout("state", "State", area="bottom", lines=(
            ("step", "step", "{:d}"),
            ("separable", "separable through the origin", "{}"),
            ("angle", "angle of ω to the max-margin direction (°)", "{:.3g}"),
            ("grad_norm", "|∇L|", "{:.3g}"),
            ("gd_limit", "GD decreases L for η below 2/λmax(H(0))", "{:.3g}"),
            ("status", "status", "{}"),
        )),
    )
    frame_fields: ClassVar[dict[str, str]] = {
        "step": "GD steps taken",
        "t": "flow time k·η",
        "landscape": f"({IMAGE}, {IMAGE}) log10 L on the (ω₁, ω₂) window (at the current b)",
        "extent": "(4,) the weight window ±grid_range",
        "grid_x": "(g,) abscissae of the arrows", "grid_y": "(g,) ordinates of the arrows",
        "neg_grad_u": "(g, g) −∂L/∂ω₁", "neg_grad_v": "(g, g) −∂L/∂ω₂",
        "paths": "(3, m, 2) the GD path, the gradient-flow path and the ray along the "
                 "max-margin direction (NaN-padded; NaN when not separable through the origin)",
        "path_names": "(3,) their names",
        "markers": "(3, 2) start, current ω and ω* (NaN when there is none)",
        "prob": f"({DATA_GRID}, {DATA_GRID}) σ(ωᵀx + b) over the data window",
        "data_extent": "(4,) the data window",
        "points": "(N, 2) the data", "labels": "(N,) labels 0/1",
        "message": "why the data cannot be fitted ('' when they can)",
        "loss_step": "(m,) steps of the record", "loss": "(m,) L(ω_k)",
        "norm": "(m,) |ω_k|",
        "loss_star": "L(ω*) when a finite minimiser exists, else NaN",
        "separable": "'yes (margin γ)' or 'no'",
        "angle": "angle between ω_k and the max-margin direction (NaN if not separable)",
        "grad_norm": "|∇L(ω_k)|",
        "gd_limit": "2/λmax of the Hessian at ω = 0, where σ(1−σ) = ¼ is largest: H(ω) ≼ H(0), "
                    "so GD decreases L for every η below it",
        "status": "'running', 'done' or the divergence",
    }
    history_fields = ("loss_step", "loss", "norm")
    nonfinite_fields = frozenset({"paths", "markers", "loss_star", "angle"})
    default_steps_per_frame = 1
    max_steps_per_frame = 500

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        super().__init__(params, device=device)
        p = self.p
        self.x, self.y = make_data(p["n"], p["std"], p["flip"], p["seed"],
                                   (p["pos_x"], p["pos_y"]), (p["neg_x"], p["neg_y"]))
        self.message = cl.degenerate(self.x, self.y) or ""
        # features: (x₁, x₂[, 1]); the weight vector is (ω₁, ω₂[, b])
        self.phi = np.column_stack([self.x, np.ones(len(self.x))]) if p["bias"] else self.x
        r = p["grid_range"]
        self.extent = (-r, r, -r, r)
        self.data_extent = cl.data_extent(self.x, 0.5)
        self.data_grid = cl.grid_points(self.data_extent, DATA_GRID)
        self.u_mm, self.margin = max_margin_direction(self.x, self.y)
        self.image_pts = cl.grid_points(self.extent, IMAGE)
        g = p["grid_res"]
        self.qx = -r + (np.arange(g) + 0.5) * 2 * r / g
        self.start = self._start()
        self._slice_b: float | None = None
        self._static: dict[str, Any] = {}
        self.on_live_change(set())

    # -- the loss and its pieces ---------------------------------------------------------------
    def loss(self, w: np.ndarray) -> float:
        """L(w) + (λ/2)|ω|² (the bias unpenalised)."""
        om = w[:2]
        return cl.bce_logits(self.phi @ w, self.y) + 0.5 * self.p["l2"] * float(om @ om)

    def grad(self, w: np.ndarray) -> np.ndarray:
        g = self.phi.T @ (cl.sigmoid(self.phi @ w) - self.y) / len(self.y)
        g[:2] += self.p["l2"] * w[:2]
        return g

    def _slice(self, pts: np.ndarray, b: float) -> tuple[np.ndarray, np.ndarray]:
        """L and ∇_ω L at points (k, 2) of the (ω₁, ω₂) plane, at bias b."""
        z = pts @ self.x.T + b
        loss = np.mean(np.logaddexp(0.0, z) - self.y * z, axis=1)
        loss += 0.5 * self.p["l2"] * (pts * pts).sum(1)
        grad = (cl.sigmoid(z) - self.y) @ self.x / len(self.y) + self.p["l2"] * pts
        return loss, grad

    def _start(self) -> np.ndarray:
        p = self.p
        if p["custom_start"]:
            om = np.array([p["start_x"], p["start_y"]])
        else:  # the notebook's cell 2: the arrow-grid point of largest |∇L|
            gx, gy = np.meshgrid(self.qx, self.qx)
            pts = np.column_stack([gx.ravel(), gy.ravel()])
            _, g = self._slice(pts, 0.0)
            om = pts[int(np.argmax((g * g).sum(1)))]
        return np.concatenate([om, [0.0]]) if p["bias"] else om

    def optimum(self) -> np.ndarray | None:
        """The finite minimiser ω* (Newton), or None when the data are separable and λ = 0."""
        l2 = self.p["l2"]
        if l2 == 0.0 and (self.margin > 0 or self.message):
            return None
        w = np.zeros(self.phi.shape[1])
        for _ in range(100):
            p = cl.sigmoid(self.phi @ w)
            h = (self.phi * (p * (1 - p))[:, None]).T @ self.phi / len(self.y)
            h[:2, :2] += l2 * np.eye(2)
            step = np.linalg.solve(h + 1e-12 * np.eye(len(w)), self.grad(w))
            w = w - step
            if np.abs(step).max() < 1e-13:
                break
        if not np.isfinite(w).all() or np.abs(self.grad(w)).max() > 1e-8:
            return None  # (separable with the bias: no finite optimum either)
        return w

    def on_live_change(self, names: set[str]) -> None:
        self.w_star = self.optimum()
        self._slice_b = None  # the map depends on λ: redraw it

    def _landscape(self, b: float) -> dict[str, Any]:
        """The map and the arrows at bias b; recomputed only when λ or b changed."""
        if self._slice_b is not None and abs(b - self._slice_b) < 0.02:
            return self._static
        loss, _ = self._slice(self.image_pts, b)
        gx, gy = np.meshgrid(self.qx, self.qx)
        _, g = self._slice(np.column_stack([gx.ravel(), gy.ravel()]), b)
        n = len(self.qx)
        self._slice_b = b
        self._static = {
            "landscape": np.log10(np.maximum(loss, 1e-12)).reshape(IMAGE, IMAGE),
            "extent": np.array(self.extent),
            "grid_x": self.qx, "grid_y": self.qx,
            "neg_grad_u": -g[:, 0].reshape(n, n), "neg_grad_v": -g[:, 1].reshape(n, n),
        }
        return self._static

    # -- the run -----------------------------------------------------------------------------
    def _flow(self, w: np.ndarray, dt: float) -> np.ndarray:
        """RK4 of dω/dt = −∇L over time dt in FLOW_SUBSTEPS steps."""
        h = dt / FLOW_SUBSTEPS
        for _ in range(FLOW_SUBSTEPS):
            k1 = -self.grad(w)
            k2 = -self.grad(w + 0.5 * h * k1)
            k3 = -self.grad(w + 0.5 * h * k2)
            k4 = -self.grad(w + h * k3)
            w = w + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        return w

    def frames(self) -> Iterator[Frame]:
        w = self.start.copy()
        v = self.start.copy()
        record = History(shape=(6,), capacity=2048)
        h0 = self.gd_limit(np.zeros_like(w))
        step, time = 0, 0.0
        status = "running"

        def sample() -> None:
            record.append(step, (*w[:2], *v[:2], self.loss(w), np.linalg.norm(w[:2])))

        sample()
        while True:
            done = step >= self.p["steps"]
            if done:
                status = "done"
            if step % self.steps_per_frame == 0 or done:
                yield self._frame(step, time, w, record, h0, status)
            if done:
                return
            if not self.message:
                lr = self.p["lr"]
                w = w - lr * self.grad(w)
                if self.p["flow"]:
                    v = self._flow(v, lr)
                if not np.isfinite(w).all() or np.linalg.norm(w) > BOUND:
                    raise Diverged(step + 1, "|ω| beyond 1e6 or not finite")
                time += lr
            step += 1
            sample()

    def gd_limit(self, w: np.ndarray) -> float:
        p = cl.sigmoid(self.phi @ w)
        h = (self.phi * (p * (1 - p))[:, None]).T @ self.phi / len(self.y)
        h[:2, :2] += self.p["l2"] * np.eye(2)
        return float(2.0 / max(np.linalg.eigvalsh(h).max(), 1e-300))

    def _frame(self, step: int, time: float, w: np.ndarray, record: History, h0: float,
               status: str) -> Frame:
        b = float(w[2]) if self.p["bias"] else 0.0
        rec = record.values
        separable = self.margin > 0 and not self.message
        paths = np.full((3, max(len(rec), 2), 2), np.nan)
        paths[0, : len(rec)] = rec[:, 0:2]
        if self.p["flow"]:
            paths[1, : len(rec)] = rec[:, 2:4]
        if separable:  # the ray from 0 along u to the window's corner
            paths[2, :2] = [[0.0, 0.0], self.u_mm * self.p["grid_range"] * math.sqrt(2)]
        star = np.full(2, np.nan) if self.w_star is None else self.w_star[:2]
        om = w[:2]
        norm = float(np.linalg.norm(om))
        angle = (math.degrees(math.acos(np.clip(om @ self.u_mm / norm, -1, 1)))
                 if separable and norm > 0 and not self.p["bias"] else math.nan)
        return {
            "step": step,
            "t": time,
            **self._landscape(b),
            "paths": paths,
            "path_names": np.array(["gradient descent", "gradient flow",
                                    "max-margin direction"]),
            "markers": np.array([self.start[:2], om, star]),
            "prob": cl.sigmoid(self.data_grid @ om + b).reshape(DATA_GRID, DATA_GRID),
            "data_extent": np.array(self.data_extent),
            "points": self.x,
            "labels": self.y.astype(int),
            "message": self.message,
            "loss_step": record.x,
            "loss": rec[:, 4].copy(),
            "norm": np.maximum(rec[:, 5], 1e-300),
            "loss_star": math.nan if self.w_star is None else self.loss(self.w_star),
            "separable": f"yes (margin {self.margin:.3g})" if separable else "no",
            "angle": angle,
            "grad_norm": float(np.linalg.norm(self.grad(w))),
            "gd_limit": h0,
            "status": status,
        }
