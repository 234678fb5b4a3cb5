"""§3.1.3, Fig 3.1: XOR defeats every linear classifier; a quadratic feature or a hidden
layer separates it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from .. import backend
from .. import classifiers as cl
from ..experiment import Diverged, Experiment, Frame
from ..history import History
from ..params import Choice, Float, Int, Seed
from ..registry import register
from ..views import Curves, DecisionBoundary, Readout, Series

GRID = 120  # pixels per side of the probability maps
EXTENT = (-0.6, 1.6, -0.6, 1.6)
LN2 = float(np.log(2.0))
MODELS = ("quadratic", "network")


@register
class XorLinearFailure(Experiment):
    id = "ch3.xor-linear-failure"
    title = "XOR: why a linear classifier fails"
    section = "3.1.3"
    family = "decision boundary & training curves"
    summary = ("Linear logistic regression collapses to p ≡ ½ on XOR; quadratic features or a "
               "hidden layer bend around the corners.")
    explanation = (
        "The four XOR points (0,0) and (1,1) of class 0, (0,1) and (1,0) of class 1 cannot be "
        "split by one line: any line leaves at least one point on the wrong side. Both panels "
        "train by gradient descent on the cross-entropy. On the left, linear logistic "
        "regression σ(b + ω₁x₁ + ω₂x₂): by symmetry the gradient vanishes at ω = 0, b = 0 and "
        "the loss is convex, so from any start it slides to p ≡ ½ everywhere and the loss "
        "settles at ln 2 (the dashed line). On the right, the same regression on the quadratic "
        "features (x₁, x₂, x₁², x₁x₂, x₂²) — the combination x₁ + x₂ − 2x₁x₂ equals the label "
        "on the four corners — or a network with one hidden tanh layer (its units switch on "
        "the dashed lines). There the loss falls towards 0 and the boundary bends around the "
        "corners; with separable data it keeps falling as the weights grow without bound. "
        "Jitter turns the corners into clouds."
    )
    equations = (
        r"$\hat y = \sigma(b + \omega_1 x_1 + \omega_2 x_2),\quad"
        r" L = -\frac{1}{N}\sum_i [y_i \ln \hat y_i + (1-y_i)\ln(1-\hat y_i)]$",
        r"$\nabla L(\omega{=}0, b{=}0) = \frac{1}{4}\sum_i (\frac{1}{2} - y_i)(1, x_i) = 0"
        r"\ \Rightarrow\ \min L = \ln 2$",
        r"$y = x_1 + x_2 - 2x_1x_2\ \ \mathrm{on}\ \{0,1\}^2$",
        r"$\hat y = \sigma(W_2 \tanh(W_1 x + b_1) + b_2)$",
    )
    book_notes = (
        "Fig 3.1 draws a dashed nonlinear separator by hand; here both models are trained, "
        "so the separator is the p = ½ line of a fitted model.",
    )
    params = (
        Choice("model", "quadratic", MODELS, label="nonlinear model",
               help="Right panel: logistic regression on quadratic features, or a network "
                    "with one hidden tanh layer."),
        Int("hidden", 2, 1, 16, label="hidden units H",
            help="Width of the network's hidden layer."),
        Float("jitter", 0.0, 0.0, 0.3, label="jitter σ",
              help="Standard deviation of the Gaussian noise added to each point."),
        Int("per_corner", 1, 1, 200, label="points per corner",
            help="Copies of each XOR corner (with jitter they form four clouds)."),
        Float("lr", 1.0, 1e-3, 10.0, live=True, log=True, label="learning rate η",
              help="Gradient-descent step of both models."),
        Int("iterations", 3000, 10, 20000, label="iterations",
            help="Gradient steps before the run stops."),
        Seed(help="Seed of the jitter and of the random starting weights."),
    )
    views = (
        DecisionBoundary("linear", "Linear logistic regression", probability="prob_linear",
                         extent="extent", points="points", labels="labels"),
        DecisionBoundary("nonlinear", "Quadratic features / hidden layer",
                         probability="prob_model", extent="extent", points="points",
                         labels="labels", hyperplanes="hyperplanes"),
        Curves("loss", "Loss vs iteration",
               series=(Series("loss", x="loss_step", names="names"),),
               hlines=("ln2",), xlabel="iteration", ylabel="cross-entropy"),
        Curves("norms", "Weight norm vs iteration",
               series=(Series("norm", x="loss_step", names="names"),), logy=True,
               xlabel="iteration", ylabel="|weights|"),
        Readout("scores", "Scores", area="bottom", lines=(
            ("step", "iteration", "{:d}"),
            ("acc_linear", "linear: training accuracy", "{:.3f}"),
            ("acc_model", "nonlinear: training accuracy", "{:.3f}"),
            ("w_norm", "linear: |(b, ω)|", "{:.3g}"),
            ("ln2", "ln 2", "{:.4f}"),
        )),
    )
    frame_fields: ClassVar[dict[str, str]] = {
        "step": "gradient steps taken",
        "t": "the step count as a float",
        "extent": "(4,) the map window xmin, xmax, ymin, ymax",
        "points": "(n, 2) the data (4·per_corner points)",
        "labels": "(n,) the XOR labels 0/1",
        "prob_linear": f"({GRID}, {GRID}) P(y = 1 | x) of the linear model",
        "prob_model": f"({GRID}, {GRID}) P(y = 1 | x) of the nonlinear model",
        "hyperplanes": "(H, 3) lines a·x₁ + b·x₂ + c = 0 where the hidden units switch "
                       "(empty for quadratic features)",
        "names": "(2,) the two models",
        "loss_step": "(m,) iterations of the loss record",
        "loss": "(2, m) training cross-entropy of both models",
        "norm": "(2, m) norm of each model's weight vector (linear → 0; quadratic grows "
                "without bound on separable data)",
        "ln2": "ln 2, the loss of p ≡ ½",
        "acc_linear": "training accuracy of the linear model",
        "acc_model": "training accuracy of the nonlinear model",
        "w_norm": "norm of the linear model's (b, ω₁, ω₂)",
    }
    history_fields = ("loss_step", "loss", "norm")
    default_steps_per_frame = 10
    max_steps_per_frame = 500

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        super().__init__(params, device=device)
        p = self.p
        self.x, self.y = cl.xor_data(p["per_corner"], p["jitter"], backend.rng(p["seed"], 0))
        self.grid = cl.grid_points(EXTENT, GRID)
        self.phi_lin = cl.polynomial_features(self.x, 1)
        self.grid_lin = cl.polynomial_features(self.grid, 1)
        if p["model"] == "quadratic":
            self.phi_q = cl.polynomial_features(self.x, 2)
            self.grid_q = cl.polynomial_features(self.grid, 2)
        self.net = cl.MLP(p["hidden"], "tanh")

    def _model_loss_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        if self.p["model"] == "quadratic":
            return (cl.logistic_loss(theta, self.phi_q, self.y),
                    cl.logistic_grad(theta, self.phi_q, self.y))
        return self.net.loss_grad(theta, self.x, self.y)

    def _model_prob(self, theta: np.ndarray) -> np.ndarray:
        if self.p["model"] == "quadratic":
            z = self.grid_q @ theta
        else:
            z = self.net.logits(theta, self.grid)
        return cl.sigmoid(z).reshape(GRID, GRID)

    def frames(self) -> Iterator[Frame]:
        p = self.p
        rng = backend.rng(p["seed"], 1)
        w = 0.5 * rng.standard_normal(3)
        if p["model"] == "quadratic":
            theta = 0.5 * rng.standard_normal(6)
        else:
            theta = self.net.init(rng, scale=1.0)
        record = History(shape=(2, 2), capacity=2048)
        static = {"extent": np.array(EXTENT), "points": self.x, "labels": self.y.astype(int),
                  "names": np.array(["linear", p["model"]]), "ln2": LN2}
        step = 0
        while True:
            loss_lin = cl.logistic_loss(w, self.phi_lin, self.y)
            loss_model, g_model = self._model_loss_grad(theta)
            if not (np.isfinite(loss_model) and np.isfinite(theta).all()):
                raise Diverged(step, "the nonlinear model's weights are not finite")
            record.append(step, ((loss_lin, loss_model),
                                (np.linalg.norm(w), np.linalg.norm(theta))))
            if step % self.steps_per_frame == 0 or step >= p["iterations"]:
                yield self._frame(step, w, theta, record, static)
            if step >= p["iterations"]:
                return
            lr = self.p["lr"]
            w = w - lr * cl.logistic_grad(w, self.phi_lin, self.y)
            theta = theta - lr * g_model
            step += 1

    def _frame(self, step: int, w: np.ndarray, theta: np.ndarray, record: History,
               static: dict[str, Any]) -> Frame:
        p_lin = cl.sigmoid(self.phi_lin @ w)
        if self.p["model"] == "quadratic":
            p_model = cl.sigmoid(self.phi_q @ theta)
            planes = np.zeros((0, 3))
        else:
            p_model = cl.sigmoid(self.net.logits(theta, self.x))
            planes = self.net.hyperplanes(theta)
        return {
            "step": step,
            "t": float(step),
            **static,
            "prob_linear": cl.sigmoid(self.grid_lin @ w).reshape(GRID, GRID),
            "prob_model": self._model_prob(theta),
            "hyperplanes": planes,
            "loss_step": record.x,
            "loss": record.values[:, 0].T.copy(),
            "norm": np.maximum(record.values[:, 1].T, 1e-300),
            "acc_linear": cl.accuracy(p_lin, self.y),
            "acc_model": cl.accuracy(p_model, self.y),
            "w_norm": float(np.linalg.norm(w)),
        }
