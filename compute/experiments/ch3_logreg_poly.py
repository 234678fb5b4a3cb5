"""§3.1.5, Example 3.1.2, Fig 3.3, Exercise 3.1.2: logistic regression on linear and on
polynomial features, trained live, with the loss along one coefficient."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from .. import backend
from .. import classifiers as cl
from ..experiment import Experiment, Frame
from ..history import History
from ..lbfgs import LBFGS
from ..params import Bool, Choice, Float, Int, ParamError, Seed
from ..registry import register
from ..views import Curves, DecisionBoundary, Readout, Series

GRID = 120
DATASETS = ("ellipse-ring", "circle-threshold", "circle-square", "two-circles", "xor-clouds")
SOLVERS = ("GD", "Newton", "L-BFGS")
SWEEP = 201  # points of the sensitivity curve
MAX_DEGREE = 6


def make_data(name: str, n: int, rng: np.random.Generator, gap: float = 0.3
              ) -> tuple[np.ndarray, np.ndarray]:
    """The data set ``name`` with n points per class (circle-threshold and two-circles: 2n
    uniform points in all, labelled by the region they fall in)."""
    if name == "ellipse-ring":
        return cl.ellipse_ring(n, rng)
    if name == "circle-threshold":
        return cl.circle_threshold(2 * n, rng)
    if name == "circle-square":
        return cl.circle_square(n, gap, rng)
    if name == "two-circles":
        return cl.two_circles(2 * n, rng)
    x, y = cl.xor_data(max(1, n // 2), 0.15, rng)
    return x - 0.5, y


@register
class LogRegPolynomialFeatures(Experiment):
    id = "ch3.logreg-polynomial-features"
    title = "Logistic regression on linear vs polynomial features"
    section = "3.1.5"
    family = "decision boundary & training curves"
    summary = ("A line cannot split a ring from its inside; quadratic features turn the "
               "boundary into an ellipse. Loss along one coefficient shows the curvature.")
    explanation = (
        "Both panels fit P(y = 1 | x) = σ(φ(x)ᵀω) by minimising the cross-entropy, the left "
        "one on the linear features φ = (1, x₁, x₂), the right one on every monomial "
        "x₁ⁱx₂ʲ up to the chosen degree (degree 2: 1, x₁, x₂, x₁², x₁x₂, x₂²). The "
        "boundary φ(x)ᵀω = 0 is a line on the left and a conic (degree 2) or a wigglier "
        "curve on the right. The loss stays convex in ω for any features, so gradient "
        "descent (or Newton's method, or L-BFGS) finds the one minimum — when there is one: "
        "on data "
        "that the features separate the loss only tends to 0 as |ω| grows, and ω depends on "
        "when training stops. An L2 penalty (strength 1/C, as in scikit-learn) makes the "
        "minimiser unique and finite. Feature columns are standardised before training. The "
        "bottom panel sweeps one coefficient of the right-hand model around its current value "
        "(Exercise 3.1.2): a sharp valley means a stiff direction of the loss. A disk inside "
        "a square frame needs a conic; two separate disks need degree 4 (the product of the "
        "two circles' equations)."
    )
    equations = (
        r"$P(y{=}1\,|\,x) = \sigma(\phi(x)^T\omega),\quad"
        r" \phi_Q(x) = (1, x_1, x_2, x_1^2, x_1x_2, x_2^2)$",
        r"$L(\omega) = -\frac{1}{N}\sum_i [y_i\ln\sigma_i + (1-y_i)\ln(1-\sigma_i)]"
        r" + \frac{1}{2CN}\|\omega_{1:}\|^2$",
        r"$\nabla^2 L = \frac{1}{N}\sum_i \sigma_i(1-\sigma_i)\,\phi_i\phi_i^T"
        r" + \frac{1}{CN}I \succeq 0$",
    )
    book_notes = (
        "Example 3.1.2 names LogReg+NN-supervised-2D.ipynb, but Fig 3.3 comes from "
        "LogReg2D.ipynb; its clean section (inner ellipse vs elliptic ring, seed 0) is the "
        "default data set here.",
        "The notebook fits with scikit-learn (L2 penalty, C = 1, L-BFGS). The lab trains by "
        "gradient descent, Newton's method or its own L-BFGS (memory 10, Armijo "
        "backtracking, one iteration per step) on the same penalised loss written as a mean: "
        "mean cross-entropy + ‖ω‖²/(2CN), the bias unpenalised, feature columns standardised.",
        "The notebook's older cells fit a circle against a square with a gap and, in the "
        "two-circles cell, label points inside either of two disks; the lab's circle-square "
        "data put class 0 uniformly in the unit disk and class 1 uniformly in the square "
        "[−2, 2]² outside the square of half-side 1 + gap; the two circles are the "
        "notebook's (radius 0.7, centres (±0.8, 0), points uniform in [−1.5, 1.5]²).",
    )
    params = (
        Choice("dataset", "ellipse-ring", DATASETS,
               help="Inner ellipse vs elliptic ring (Fig 3.3); label 1 outside the circle "
                    "x₁² + x₂² = 0.5 in [−1, 1]²; the unit disk vs a square frame; label 1 "
                    "inside either of two circles; four XOR clouds."),
        Float("gap", 0.3, 0.0, 0.9, label="circle-square gap",
              help="Distance between the disk and the inner edge of the square frame "
                   "(circle-square only)."),
        Int("n", 200, 20, 2000, label="points per class"),
        Int("degree", 2, 1, MAX_DEGREE, label="feature degree",
            help="Right panel: monomials up to this total degree (Exercise 3.1.2 asks for 3)."),
        Bool("regularise", True, label="L2 penalty", help="Add ‖ω‖²/(2CN) to the loss."),
        Float("C", 1.0, 1e-3, 1e3, log=True, label="inverse strength C",
              help="Smaller C, stronger penalty (scikit-learn's convention)."),
        Choice("solver", "GD", SOLVERS,
               help="Gradient descent, Newton's method, or L-BFGS (quasi-Newton with a "
                    "line search; needs no learning rate)."),
        Float("lr", 0.5, 1e-3, 10.0, live=True, log=True, label="learning rate η",
              help="Step of gradient descent (Newton takes full steps)."),
        Int("iterations", 4000, 10, 50000, label="iterations"),
        Int("sens_index", 3, 0, 27, live=True, label="swept coefficient k",
            help="Index of the right-hand model's coefficient whose loss curve is shown "
                 "(0 is the bias)."),
        Float("sens_width", 10.0, 0.1, 50.0, live=True, label="sweep half-width",
              help="The coefficient is swept over its value ± this."),
        Seed(help="Seed of the data."),
    )
    views = (
        DecisionBoundary("linear", "Linear features", probability="prob_linear",
                         extent="extent", points="points", labels="labels", message="message"),
        DecisionBoundary("poly", "Polynomial features", probability="prob_poly",
                         extent="extent", points="points", labels="labels", message="message"),
        Curves("loss", "Loss vs iteration",
               series=(Series("loss", x="loss_step", names="names"),), logy=True,
               xlabel="iteration", ylabel="penalised cross-entropy"),
        Curves("sensitivity", "Loss along one coefficient",
               series=(Series("sens_loss", x="sens_x", label="L(ω + s·e_k)"),),
               vlines=("sens_value",), xlabel="coefficient ω_k", ylabel="loss"),
        Readout("scores", "Scores", area="bottom", lines=(
            ("step", "iteration", "{:d}"),
            ("acc_linear", "linear: training accuracy", "{:.3f}"),
            ("acc_poly", "polynomial: training accuracy", "{:.3f}"),
            ("majority", "majority-class rate", "{:.3f}"),
            ("grad_norm", "polynomial: |∇L|", "{:.2e}"),
            ("sens_feature", "swept feature", "{}"),
        )),
    )
    frame_fields: ClassVar[dict[str, str]] = {
        "step": "training iterations",
        "t": "the step count as a float",
        "extent": "(4,) the map window",
        "points": "(n, 2) the data",
        "labels": "(n,) labels 0/1",
        "message": "why the data cannot be trained on ('' when they can)",
        "prob_linear": f"({GRID}, {GRID}) P(y = 1 | x), linear features",
        "prob_poly": f"({GRID}, {GRID}) P(y = 1 | x), polynomial features",
        "names": "(2,) the two models",
        "loss_step": "(m,) iterations of the loss record",
        "loss": "(2, m) penalised training loss of both models",
        "acc_linear": "training accuracy, linear features",
        "acc_poly": "training accuracy, polynomial features",
        "majority": "share of the larger class (what a constant guess scores)",
        "grad_norm": "norm of the polynomial model's gradient",
        "sens_x": f"({SWEEP},) values of the swept coefficient",
        "sens_loss": f"({SWEEP},) loss with that coefficient changed, the others fixed",
        "sens_value": "the coefficient's current value",
        "sens_feature": "the feature the swept coefficient multiplies (standardised)",
    }
    history_fields = ("loss_step", "loss")
    default_steps_per_frame = 20
    max_steps_per_frame = 2000

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        m = len(cl.monomial_powers(p["degree"]))
        if p["sens_index"] >= m:
            raise ParamError("sens_index", f"degree {p['degree']} has {m} coefficients: "
                                           f"choose 0 to {m - 1}")

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        super().__init__(params, device=device)
        p = self.p
        self.x, self.y = make_data(p["dataset"], p["n"], backend.rng(p["seed"], 0), p["gap"])
        self.message = cl.degenerate(self.x, self.y) or ""
        self.extent = cl.data_extent(self.x, 0.3)
        grid = cl.grid_points(self.extent, GRID)
        self.models = []  # (features of the data, features of the grid, l2)
        for degree in (1, p["degree"]):
            raw = cl.polynomial_features(self.x, degree)
            scale = cl.FeatureScaler.fit(raw)
            l2 = 1.0 / (p["C"] * len(self.y)) if p["regularise"] else 0.0
            self.models.append((scale(raw), scale(cl.polynomial_features(grid, degree)), l2))
        self.names = cl.monomial_names(p["degree"])

    def _step(self, w: np.ndarray, model: tuple, lbfgs: LBFGS | None) -> np.ndarray:
        phi, _, l2 = model
        if lbfgs is not None:
            return lbfgs.step()
        if self.p["solver"] == "Newton":
            return cl.newton_step(w, phi, self.y, l2)
        return w - self.p["lr"] * cl.logistic_grad(w, phi, self.y, l2)

    def _lbfgs(self, model: tuple) -> LBFGS | None:
        """An L-BFGS run on this model's loss from ω = 0 (None for the other solvers)."""
        if self.p["solver"] != "L-BFGS":
            return None
        phi, _, l2 = model
        return LBFGS(lambda w: cl.logistic_loss(w, phi, self.y, l2),
                     lambda w: cl.logistic_grad(w, phi, self.y, l2), np.zeros(phi.shape[1]))

    def frames(self) -> Iterator[Frame]:
        ws = [np.zeros(m[0].shape[1]) for m in self.models]
        runs = [self._lbfgs(m) for m in self.models]
        record = History(shape=(2,), capacity=2048)
        step = 0
        while True:
            losses = [cl.logistic_loss(w, m[0], self.y, m[2]) for w, m in zip(ws, self.models,
                                                                             strict=True)]
            record.append(step, losses)
            done = step >= self.p["iterations"]
            if step % self.steps_per_frame == 0 or done:
                yield self._frame(step, ws, record)
            if done:
                return
            if not self.message:  # degenerate data: nothing to train
                ws = [self._step(w, m, r) for w, m, r in zip(ws, self.models, runs, strict=True)]
            step += 1

    def _frame(self, step: int, ws: list[np.ndarray], record: History) -> Frame:
        p = self.p
        (phi1, grid1, _), (phi2, grid2, l2) = self.models
        w2 = ws[1]
        k = p["sens_index"]
        s = np.linspace(-p["sens_width"], p["sens_width"], SWEEP)
        z0 = phi2 @ w2
        z = z0[None, :] + s[:, None] * phi2[None, :, k]
        reg = 0.5 * l2 * (float(w2[1:] @ w2[1:]) - (w2[k] ** 2 if k else 0.0))
        reg_k = 0.5 * l2 * (w2[k] + s) ** 2 if k else 0.0
        sens = np.mean(np.logaddexp(0.0, z) - self.y * z, axis=1) + reg + reg_k
        counts = np.bincount(self.y.astype(int), minlength=2)
        return {
            "step": step,
            "t": float(step),
            "extent": np.array(self.extent),
            "points": self.x,
            "labels": self.y.astype(int),
            "message": self.message,
            "prob_linear": cl.sigmoid(grid1 @ ws[0]).reshape(GRID, GRID),
            "prob_poly": cl.sigmoid(grid2 @ w2).reshape(GRID, GRID),
            "names": np.array(["linear", f"degree {p['degree']}"]),
            "loss_step": record.x,
            "loss": record.values.T.copy(),
            "acc_linear": cl.accuracy(cl.sigmoid(phi1 @ ws[0]), self.y),
            "acc_poly": cl.accuracy(cl.sigmoid(phi2 @ w2), self.y),
            "majority": float(counts.max() / counts.sum()),
            "grad_norm": float(np.linalg.norm(cl.logistic_grad(w2, phi2, self.y, l2))),
            "sens_x": w2[k] + s,
            "sens_loss": sens,
            "sens_value": float(w2[k]),
            "sens_feature": f"ω_{k} · {self.names[k]}",
        }
