"""§3.2.1, Example 3.2.1, Fig 3.4, Exercise 3.2.1: gradient descent on a convex least-squares
bowl and on a two-parameter slice of a tiny tanh network's loss."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from .. import backend
from ..experiment import Experiment, Frame
from ..history import History
from ..params import Choice, Float, Int, Seed
from ..registry import register
from ..views import Curves, Heatmap, Readout, Series

GRID = 80
NN_MODES = ("slice", "full", "full-reslice")
DIRECTIONS = ("coordinates", "random", "filter-normalised")
RESLICE_EVERY = 10  # frames between re-slicings through the current parameters
BOUND = 1e6
TRUTH = (0.5, -1.0, 0.8)


class TanhNet:
    """ŷ = W₂·tanh(W₁x + b₁) + b₂ on scalar x; θ = (W₁ (H), b₁ (H), W₂ (H), b₂) flat."""

    def __init__(self, hidden: int):
        self.h = hidden

    def init(self, scale: float, rng: np.random.RandomState) -> np.ndarray:
        """W₁, b₁, W₂ ~ scale·N(0, 1), b₂ = 0."""
        return np.concatenate([scale * rng.randn(3 * self.h), [0.0]])

    def predict(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Predictions for parameter vectors θ (..., 4H+1) at x (n,): shape (..., n)."""
        h = self.h
        W1, b1, W2 = theta[..., :h], theta[..., h:2 * h], theta[..., 2 * h:3 * h]
        t = np.tanh(W1[..., :, None] * x + b1[..., :, None])
        return (W2[..., :, None] * t).sum(-2) + theta[..., 3 * h, None]

    def loss(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """½·mean (ŷ − y)² for each parameter vector."""
        r = self.predict(theta, x) - y
        return 0.5 * (r * r).mean(-1)

    def slice_directions(self, kind: str, theta0: np.ndarray, rng: np.random.Generator
                         ) -> np.ndarray:
        """Two directions (4H+1, 2) spanning the slice through ``theta0``.

        coordinates: the unit vectors of W₁[0,0] and W₂[0,0] (the notebook's slice);
        random: two Gaussian directions made orthonormal (Gram–Schmidt); filter-normalised
        (Li et al. 2018): Gaussian directions whose every filter — the incoming weights of
        a unit — is rescaled to the norm of the same filter of θ₀ (hidden unit k: W₁[k];
        the output unit: W₂), biases not moved.
        """
        h, size = self.h, 3 * self.h + 1
        if kind == "coordinates":
            d = np.zeros((size, 2))
            d[0, 0] = d[2 * h, 1] = 1.0
            return d
        g = rng.standard_normal((size, 2))
        if kind == "random":
            q, r = np.linalg.qr(g)
            return q * np.sign(np.diag(r))  # a fixed sign convention
        g[h:2 * h] = 0.0  # b₁
        g[3 * h] = 0.0  # b₂
        for col in range(2):
            d = g[:, col]
            d[:h] *= np.abs(theta0[:h]) / np.maximum(np.abs(d[:h]), 1e-300)  # W₁[k], scalar
            w2 = slice(2 * h, 3 * h)
            d[w2] *= np.linalg.norm(theta0[w2]) / max(float(np.linalg.norm(d[w2])), 1e-300)
        return g

    def grad(self, theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """∇θ of ½·mean (ŷ − y)² by backpropagation, for θ (4H+1,)."""
        h = self.h
        W1, b1, W2 = theta[:h], theta[h:2 * h], theta[2 * h:3 * h]
        t = np.tanh(np.outer(W1, x) + b1[:, None])  # (H, n)
        r = (W2 @ t + theta[3 * h] - y) / len(x)  # (n,)
        da = (W2[:, None] * (1 - t * t)) * r  # (H, n)
        return np.concatenate([da @ x, da.sum(1), t @ r, [r.sum()]])


@register
class ConvexVsNonconvex(Experiment):
    id = "ch3.convex-vs-nonconvex"
    title = "Convex least squares vs a slice of a neural-network loss"
    section = "3.2.1"
    family = "loss landscape"
    summary = ("Gradient descent from several starts: one bowl and one minimum for least "
               "squares; valleys, a saddle region and different endpoints for a tiny network.")
    explanation = (
        "Left: fitting ŷ = w₀ + w₁x + w₂x² by least squares with w₀ fixed at its optimum. "
        "The loss is a quadratic bowl in (w₁, w₂) with Hessian diag(mean x², mean x⁴): "
        "every start slides to the one minimum, stably only for η < 2/mean x⁴, fastest at "
        "η = 2/(λmin + λmax) where the error shrinks by (κ − 1)/(κ + 1) per step. Right: a "
        "network ŷ = W₂ tanh(W₁x + b₁) + b₂ with four hidden units fits the same data; the "
        "map is its loss over a slice θ₀ + αd₁ + βd₂ through the initial weights: by "
        "default only W₁[0,0] and W₂[0,0] move (d₁, d₂ their unit vectors, as in the "
        "notebook); random directions, or random ones rescaled filter by filter to the "
        "weights (filter normalisation), show other planes through the same point. The "
        "slice is not convex: valleys separated by a saddle-like ridge, so starts on "
        "either side end in different places. Gradient noise σ can carry an iterate over "
        "the ridge. In the full mode every weight is trained and only the projection on "
        "the slice (α, β) is drawn: the map is then the "
        "landscape seen from the start, and re-slicing redraws it through the current "
        "weights — the landscape itself moves."
    )
    equations = (
        r"$L(w_1, w_2) = \frac{1}{2N}\sum_i (w_0^* + w_1x_i + w_2x_i^2 - y_i)^2,\quad"
        r" \nabla^2 L = \mathrm{diag}(\overline{x^2}, \overline{x^4})$",
        r"$\|w_t - w^*\| \leq \left(\frac{\kappa-1}{\kappa+1}\right)^t \|w_0 - w^*\|"
        r"\ \ \mathrm{at}\ \ \eta = \frac{2}{\lambda_{\min} + \lambda_{\max}}$",
        r"$\hat y = W_2 \tanh(W_1 x + b_1) + b_2,\quad"
        r" \theta(\alpha, \beta) = \theta_0 + \alpha d_1 + \beta d_2$",
        r"$\theta_{t+1} = \theta_t - \eta\,(\nabla L(\theta_t) + \sigma\,\xi_t)$",
    )
    book_notes = (
        "The book's convex example is 2D linear regression ŷ = w₁x₁ + w₂x₂; the notebook "
        "(and the lab) uses 1D quadratic regression ŷ = w₀ + w₁x + w₂x² with w₀ frozen at "
        "its least-squares value — also a convex quadratic in (w₁, w₂).",
        "The notebook saves convex_quad_loss_contours.png; the book calls the figure "
        "convex_quadratic_loss_contours.png. The notebook has no gradient-descent code "
        "(Exercise 3.2.1 leaves it to the reader); the lab adds it.",
        "The notebook's slice moves W₁[0,0] and W₂[0,0]; the catalogue also asks for random "
        "and filter-normalised directions (Li et al., Visualizing the loss landscape of "
        "neural nets, 2018), drawn here from the direction seed. With directions that are "
        "not orthonormal, (α, β) are the coordinates of θ − θ₀ projected on the plane.",
    )
    params = (
        Float("noise", 0.2, 0.0, 1.0, label="data noise"),
        Int("n", 50, 5, 500, label="points N"),
        Int("hidden", 4, 1, 32, label="hidden units H"),
        Float("init_scale", 0.3, 0.01, 2.0, label="init scale"),
        Float("half_width", 3.0, 0.5, 10.0, label="slice half-width",
              help="The NN map spans α, β ∈ [−this, this]; the convex map spans "
                   "w* ± 2/3 of it."),
        Float("lr", 0.1, 1e-3, 2.0, live=True, log=True, label="learning rate η"),
        Float("grad_noise", 0.0, 0.0, 1.0, live=True, label="gradient noise σ"),
        Int("starts", 4, 1, 8, label="starts", help="Starts spread on a ring around the "
                                                    "centre of each map."),
        Int("steps", 200, 1, 10_000),
        Choice("directions", "coordinates", DIRECTIONS, label="slice directions",
               help="coordinates: W₁[0,0] and W₂[0,0] (the notebook); random: two "
                    "orthonormal Gaussian directions; filter-normalised: Gaussian directions "
                    "rescaled filter by filter to the initial weights."),
        Int("direction_seed", 0, 0, 10_000, label="direction seed",
            help="Seed of the random and filter-normalised directions."),
        Choice("nn_mode", "slice", NN_MODES, label="network training",
               help="slice: GD on (α, β) only; full: GD on every weight, drawn projected on "
                    "the slice; full-reslice: the map is redrawn through the current "
                    "weights of the first start."),
        Seed(default=42, help="Seed of the data and the network's initial weights (legacy "
                              "RandomState, as the notebook) and of the gradient noise."),
    )
    views = (
        Heatmap("convex", "Convex: least-squares loss over (w₁, w₂)", field="convex_map",
                extent="convex_extent", contours=20, paths="convex_paths",
                names="convex_names", points="convex_points", xlabel="w₁", ylabel="w₂"),
        Heatmap("nonconvex", "Non-convex: network loss over a 2D slice", field="nn_map",
                extent="nn_extent", contours=20, paths="nn_paths", names="nn_names",
                points="nn_points", xlabel="α (along d₁)", ylabel="β (along d₂)"),
        Curves("loss_convex", "Convex loss vs step",
               series=(Series("loss_convex", x="loss_step", names="start_names"),),
               hlines=("ls_loss",), logy=True, xlabel="step", ylabel="½ mean squared error"),
        Curves("loss_nn", "Network loss vs step",
               series=(Series("loss_nn", x="loss_step", names="start_names"),),
               logy=True, xlabel="step", ylabel="½ mean squared error"),
        Curves("fits", "Data and fits", series=(
            Series("y", x="x", label="data", style="dots"),
            Series("fit_ls", x="x", label="least squares"),
            Series("fit_nn", x="x", label="network (start 1)")),
            xlabel="x", ylabel="y"),
        Readout("numbers", "Numbers", area="bottom", lines=(
            ("step", "step", "{:d}"),
            ("kappa", "κ", "{:.4g}"),
            ("eta_max", "stable for η <", "{:.4g}"),
            ("best_text", "best η (rate)", "{}"),
            ("nn_text", "network ends (α, β)", "{}"),
            ("slice_text", "slice directions d₁, d₂", "{}"),
        )),
    )
    frame_fields: ClassVar[dict[str, str]] = {
        "step": "GD steps", "t": "the step count as a float",
        "convex_map": f"({GRID}, {GRID}) log10 of the convex loss",
        "convex_extent": "(4,) w* ± the window", "convex_paths": "(k, m, 2) the GD paths",
        "convex_names": "(k,) their names", "convex_points": "(k+1, 2) current iterates and w*",
        "nn_map": f"({GRID}, {GRID}) log10 of the network loss on the slice",
        "nn_extent": "(4,) α, β ranges", "nn_paths": "(k, m, 2) the (α, β) paths",
        "nn_names": "(k,) their names", "nn_points": "(k, 2) current (α, β)",
        "loss_step": "(m,) steps of the record",
        "loss_convex": "(k, m) convex losses (NaN after divergence)",
        "loss_nn": "(k, m) network losses (NaN after divergence)",
        "start_names": "(k,) 'start i'",
        "x": "(N,) inputs", "y": "(N,) targets", "fit_ls": "(N,) the least-squares fit",
        "fit_nn": "(N,) the network of start 1",
        "kappa": "condition number of the convex Hessian",
        "eta_max": "2/λmax", "eta_best": "2/(λmin + λmax)", "rate": "(κ − 1)/(κ + 1)",
        "ls_loss": "the minimal convex loss",
        "best_text": "2/(λmin + λmax) and its rate (κ − 1)/(κ + 1)",
        "nn_text": "final (α, β) of the network paths",
        "slice_text": "what d₁ and d₂ are",
    }
    history_fields = ("loss_step", "loss_convex", "loss_nn", "convex_paths", "nn_paths")
    nonfinite_fields = frozenset({"convex_paths", "nn_paths", "loss_convex", "loss_nn",
                                  "convex_points", "nn_points"})
    default_steps_per_frame = 1
    max_steps_per_frame = 200

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        super().__init__(params, device=device)
        p = self.p
        # the notebook's draws: the data noise, then the initial weights (legacy RandomState)
        rs = np.random.RandomState(p["seed"])
        self.x = np.linspace(-2.0, 2.0, p["n"])
        clean = TRUTH[0] + TRUTH[1] * self.x + TRUTH[2] * self.x ** 2
        self.y = clean + p["noise"] * rs.randn(p["n"])
        self.design = np.column_stack([np.ones_like(self.x), self.x, self.x ** 2])
        self.w_ls = np.linalg.lstsq(self.design, self.y, rcond=None)[0]
        self.net = TanhNet(p["hidden"])
        self.theta0 = self.net.init(p["init_scale"], rs)
        self.D = self.net.slice_directions(p["directions"], self.theta0,
                                           backend.rng(p["direction_seed"], 2))
        self.G_inv = np.linalg.inv(self.D.T @ self.D)
        x2, x4 = float(np.mean(self.x ** 2)), float(np.mean(self.x ** 4))
        x3 = float(np.mean(self.x ** 3))
        self.hess = np.array([[x2, x3], [x3, x4]])
        lam = np.linalg.eigvalsh(self.hess)
        self.lam = lam
        r = 2.0 * p["half_width"] / 3.0
        c = self.w_ls[1:]
        self.convex_extent = (c[0] - r, c[0] + r, c[1] - r, c[1] + r)
        pts = self._grid(self.convex_extent)
        self.convex_map = np.log10(self.convex_loss(pts)).reshape(GRID, GRID)
        hw = p["half_width"]
        self.nn_extent = (-hw, hw, -hw, hw)
        self.nn_map = self._slice_map(self.theta0)

    @staticmethod
    def _grid(extent: tuple[float, float, float, float]) -> np.ndarray:
        x0, x1, y0, y1 = extent
        gx = x0 + (np.arange(GRID) + 0.5) * (x1 - x0) / GRID
        gy = y0 + (np.arange(GRID) + 0.5) * (y1 - y0) / GRID
        X, Y = np.meshgrid(gx, gy)
        return np.column_stack([X.ravel(), Y.ravel()])

    def convex_loss(self, w12: np.ndarray) -> np.ndarray:
        """½·mean (w₀* + w₁x + w₂x² − y)² at points (..., 2)."""
        pred = self.w_ls[0] + w12[..., 0, None] * self.x + w12[..., 1, None] * self.x ** 2
        r = pred - self.y
        return 0.5 * (r * r).mean(-1)

    def convex_grad(self, w12: np.ndarray) -> np.ndarray:
        return self.hess @ (w12 - self.w_ls[1:])

    def ab_of(self, theta: np.ndarray) -> np.ndarray:
        """(α, β) of parameter vectors (..., 4H+1): the coordinates of θ − θ₀ projected on
        the plane of d₁, d₂ (for the coordinate slice: the shifts of W₁[0,0], W₂[0,0])."""
        return ((theta - self.theta0) @ self.D) @ self.G_inv

    def _on_slice(self, base: np.ndarray, ab: np.ndarray) -> np.ndarray:
        """Parameter vectors (..., 4H+1): ``base`` with its part in the plane of d₁, d₂
        replaced by θ₀ + αd₁ + βd₂ (base = θ₀: the slice through the initial weights)."""
        return base + (ab - self.ab_of(base)) @ self.D.T

    def _slice_map(self, base: np.ndarray) -> np.ndarray:
        loss = self.net.loss(self._on_slice(base, self._grid(self.nn_extent)), self.x, self.y)
        return np.log10(np.maximum(loss, 1e-12)).reshape(GRID, GRID)

    def _starts(self, centre: np.ndarray, radius: float) -> np.ndarray:
        k = self.p["starts"]
        a = 2 * math.pi * (np.arange(k) + 0.125) / k
        return centre + radius * np.column_stack([np.cos(a), np.sin(a)])

    def frames(self) -> Iterator[Frame]:
        p = self.p
        k = p["starts"]
        noise = backend.rng(p["seed"], 1)
        r = 2.0 * p["half_width"] / 3.0
        w = self._starts(self.w_ls[1:], 0.8 * r)
        ab0 = self._starts(np.zeros(2), 0.7 * p["half_width"])
        thetas = self._on_slice(self.theta0, ab0)
        alive_c = np.ones(k, bool)
        alive_n = np.ones(k, bool)
        record = History(shape=(4 * k + 2 * k,), capacity=2048)
        step = 0
        nn_map = self.nn_map

        ab_of = self.ab_of
        to_plane = self.D @ self.D.T  # GD on (α, β) moves θ by −η D Dᵀ(g + σξ)

        def sample() -> None:
            lc = np.where(alive_c, self.convex_loss(w), np.nan)
            ln = np.where(alive_n, self.net.loss(thetas, self.x, self.y), np.nan)
            record.append(step, np.concatenate([w.ravel(), ab_of(thetas).ravel(), lc, ln]))

        sample()
        frame_no = 0
        while True:
            done = step >= p["steps"]
            if p["nn_mode"] == "full-reslice" and frame_no % RESLICE_EVERY == 0 and step:
                nn_map = self._slice_map(thetas[0])
            yield self._frame(step, w, thetas, ab_of(thetas), record, nn_map)
            frame_no += 1
            if done:
                return
            for _ in range(self.steps_per_frame):
                if step >= p["steps"]:
                    break
                lr, sigma = self.p["lr"], self.p["grad_noise"]
                g = np.array([self.convex_grad(wi) for wi in w])
                w = w - lr * (g + sigma * noise.standard_normal(w.shape))
                for i in range(k):
                    gi = self.net.grad(thetas[i], self.x, self.y)
                    xi = noise.standard_normal(gi.shape)
                    move = gi + sigma * xi
                    if p["nn_mode"] == "slice":
                        move = to_plane @ move
                    thetas[i] = thetas[i] - lr * move
                bad_c = ~np.isfinite(w).all(1) | (np.abs(w).max(1) > BOUND)
                bad_n = ~np.isfinite(thetas).all(1) | (np.abs(thetas).max(1) > BOUND)
                alive_c &= ~bad_c
                alive_n &= ~bad_n
                w[~alive_c] = np.nan
                thetas[~alive_n] = np.nan
                step += 1
                sample()

    def _frame(self, step: int, w: np.ndarray, thetas: np.ndarray, ab: np.ndarray,
               record: History, nn_map: np.ndarray) -> Frame:
        k = self.p["starts"]
        vals = record.values
        cpaths = vals[:, : 2 * k].reshape(-1, k, 2).transpose(1, 0, 2).copy()
        npaths = vals[:, 2 * k: 4 * k].reshape(-1, k, 2).transpose(1, 0, 2).copy()
        loss = vals[:, 4 * k:].T.copy()
        names_c = [f"convex {i + 1}" if np.isfinite(w[i]).all() else f"convex {i + 1} diverged"
                   for i in range(k)]
        names_n = [f"network {i + 1}" if np.isfinite(thetas[i]).all()
                   else f"network {i + 1} diverged" for i in range(k)]
        lmin, lmax = self.lam
        kappa = lmax / lmin
        fit_nn = self.net.predict(thetas[0], self.x) if np.isfinite(thetas[0]).all() \
            else np.full_like(self.x, np.nan)
        return {
            "step": step, "t": float(step),
            "convex_map": self.convex_map, "convex_extent": np.array(self.convex_extent),
            "convex_paths": cpaths, "convex_names": np.array(names_c),
            "convex_points": np.vstack([w, self.w_ls[1:]]),
            "nn_map": nn_map, "nn_extent": np.array(self.nn_extent),
            "nn_paths": npaths, "nn_names": np.array(names_n), "nn_points": ab,
            "loss_step": record.x, "loss_convex": loss[:k].copy(), "loss_nn": loss[k:].copy(),
            "start_names": np.array([f"start {i + 1}" for i in range(k)]),
            "x": self.x, "y": self.y, "fit_ls": self.design @ self.w_ls,
            "fit_nn": np.nan_to_num(fit_nn, nan=0.0),
            "kappa": kappa, "eta_max": 2.0 / lmax, "eta_best": 2.0 / (lmin + lmax),
            "rate": (kappa - 1) / (kappa + 1),
            "best_text": f"{2.0 / (lmin + lmax):.4g} ({(kappa - 1) / (kappa + 1):.3g})",
            "ls_loss": float(self.convex_loss(self.w_ls[1:])),
            "nn_text": "; ".join(f"({a:.2f}, {b:.2f})" for a, b in ab),
            "slice_text": {"coordinates": "unit vectors of W₁[0,0] and W₂[0,0]",
                           "random": "orthonormal Gaussian (seed "
                                     f"{self.p['direction_seed']})",
                           "filter-normalised": "Gaussian, filter-normalised (seed "
                                                f"{self.p['direction_seed']})"
                           }[self.p["directions"]],
        }
