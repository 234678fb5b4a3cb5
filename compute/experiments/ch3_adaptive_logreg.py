"""§3.3.5 (adaptive.ipynb): AdaGrad, RMSProp and Adam training the same 2D logistic
regression by mini-batches; boundaries, loss curves and paths over the (w₁, w₂) loss map."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from .. import backend
from .. import classifiers as cl
from ..experiment import Experiment, Frame
from ..history import History
from ..optimizers import Hyper, create
from ..params import Float, Int, Seed
from ..registry import register
from ..views import Curves, DecisionBoundary, Heatmap, Readout, Series

NAMES = ("AdaGrad", "RMSProp", "Adam")
GRID = 100
IMAGE = 100


def blobs(n: int, offset: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The notebook's classes: n points ~ N((−o, −o), [[.5, .2], [.2, .5]]) (y = 0) and n ~
    N((o, o), [[.5, −.2], [−.2, .5]]) (y = 1), drawn with the legacy RandomState(seed)."""
    rs = np.random.RandomState(seed)
    x0 = rs.multivariate_normal([-offset, -offset], [[0.5, 0.2], [0.2, 0.5]], n)
    x1 = rs.multivariate_normal([offset, offset], [[0.5, -0.2], [-0.2, 0.5]], n)
    return np.vstack([x0, x1]), np.concatenate([np.zeros(n), np.ones(n)])


@register
class AdaptiveLogReg(Experiment):
    id = "ch3.adaptive-logreg"
    title = "AdaGrad, RMSProp and Adam on 2D logistic regression"
    section = "3.3.5"
    family = "decision boundary & training curves"
    summary = ("Three adaptive optimizers train one convex problem by mini-batches: "
               "RMSProp's first steps leap, AdaGrad's shrink, all head for the one optimum.")
    explanation = (
        "Two overlapping Gaussian classes, a logistic regression p = σ(w₁x₁ + w₂x₂ + b) "
        "started at zero, and three optimizers that scale each coordinate's step by a running "
        "size of its gradients, fed mini-batches from a fresh shuffle every epoch. The "
        "problem is convex and the classes overlap, so the loss has a single finite minimiser "
        "(w*, b*) (the marker on the loss map, found by Newton's method): any sensible "
        "optimizer heads there. AdaGrad divides by the root of the sum of all past squared "
        "gradients, so its steps keep shrinking and it arrives last. RMSProp without bias "
        "correction starts its running average at zero: with decay ρ = 0.999 its first step "
        "is η/√(1 − ρ) ≈ 32η per coordinate, hence its very fast first epoch. Adam corrects "
        "that bias and moves about η per step. The loss map is L over (w₁, w₂) with b fixed "
        "at b*."
    )
    equations = (
        r"$G_t = G_{t-1} + g_t^2,\quad \theta_{t+1} = \theta_t - \frac{\eta\,g_t}"
        r"{\sqrt{G_t} + \epsilon}$",
        r"$G_{t+1} = \rho\,G_t + (1-\rho)\,g_t^2,\quad"
        r" \theta_{t+1} = \theta_t - \frac{\eta\,g_t}{\sqrt{G_{t+1}} + \epsilon},\quad"
        r" |\theta_1 - \theta_0| = \frac{\eta}{\sqrt{1-\rho}}$",
        r"$\hat m = \frac{m_{t+1}}{1-\beta_1^{t+1}},\quad \hat G = \frac{G_{t+1}}{1-\beta_2^{t+1}},"
        r"\quad \theta_{t+1} = \theta_t - \frac{\eta\,\hat m}{\sqrt{\hat G} + \epsilon}$",
    )
    book_notes = (
        "adaptive.ipynb is not cited in the book (its closing cell names an exercise that the "
        "book does not contain); it illustrates the update rules of §3.3.5.",
        "The notebook uses RMSProp decay 0.999 (adaptive_relu_2D uses 0.9) and no bias "
        "correction, and puts ε outside the roots: the defaults here follow it.",
        "The notebook's shuffles come from the global legacy random state; here each "
        "optimizer draws its own shuffles from the seed, so the three runs are independent "
        "and reproducible.",
    )
    params = (
        Float("lr", 0.05, 1e-4, 1.0, live=True, log=True, label="learning rate η",
              help="Shared by the three optimizers (the notebook suggests 0.01, 0.001, 1e-4)."),
        Int("batch", 64, 1, 400, label="batch size"),
        Int("epochs", 200, 1, 2000),
        Float("rho", 0.999, 0.0, 0.9999, live=True, label="RMSProp decay ρ"),
        Float("beta1", 0.9, 0.0, 0.999, live=True, label="Adam β₁"),
        Float("beta2", 0.999, 0.0, 0.99999, live=True, label="Adam β₂"),
        Float("offset", 1.0, 0.0, 3.0, label="class offset",
              help="Class means at ±(offset, offset)."),
        Int("n", 200, 10, 2000, label="points per class"),
        Seed(default=42, help="Seed of the data (legacy RandomState) and of the shuffles."),
    )
    views = (
        *(DecisionBoundary(name.lower(), name, probability=f"prob_{name.lower()}",
                           extent="extent", points="points", labels="labels",
                           message="message") for name in NAMES),
        Curves("loss", "Full-data loss vs epoch",
               series=(Series("loss", x="epoch", names="names"),), hlines=("loss_star",),
               logy=True, xlabel="epoch", ylabel="cross-entropy"),
        Heatmap("paths", "Loss over (w₁, w₂) at b = b*", field="landscape",
                extent="w_extent", contours=12, paths="w_paths", names="names",
                points="w_points", xlabel="w₁", ylabel="w₂"),
        Readout("numbers", "Numbers", area="bottom", lines=(
            ("step", "epoch", "{:d}"),
            ("acc_text", "training accuracy (AdaGrad, RMSProp, Adam)", "{}"),
            ("dist_text", "distance to (w*, b*)", "{}"),
            ("bayes", "Bayes accuracy (Monte Carlo)", "{:.3f}"),
        )),
    )
    frame_fields: ClassVar[dict[str, str]] = {
        "step": "epochs done", "t": "the epoch count as a float",
        "extent": "(4,) the data window", "points": "(N, 2) the data", "labels": "(N,) 0/1",
        "message": "why the data cannot be fitted ('' when they can)",
        **{f"prob_{n.lower()}": f"({GRID}, {GRID}) P(y = 1 | x) of {n}" for n in NAMES},
        "epoch": "(m,) epochs of the record", "loss": "(3, m) full-data cross-entropy",
        "names": "(3,) the optimizers", "loss_star": "the minimal loss L(w*, b*)",
        "landscape": f"({IMAGE}, {IMAGE}) log10 of L(w₁, w₂, b*)",
        "w_extent": "(4,) the (w₁, w₂) window",
        "w_paths": "(3, m, 2) the optimizers' (w₁, w₂) after each epoch",
        "w_points": "(4, 2) the current (w₁, w₂) of each optimizer and w*",
        "acc_text": "training accuracies", "dist_text": "distances to the optimum",
        "bayes": "accuracy of the Bayes classifier of the two Gaussians",
    }
    history_fields = ("epoch", "loss", "w_paths")
    default_steps_per_frame = 1
    max_steps_per_frame = 100

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        super().__init__(params, device=device)
        p = self.p
        self.x, self.y = blobs(p["n"], p["offset"], p["seed"])
        self.message = cl.degenerate(self.x, self.y) or ""
        self.phi = cl.polynomial_features(self.x, 1)  # (1, x₁, x₂): θ = (b, w₁, w₂)
        self.extent = cl.data_extent(self.x, 0.7)
        self.grid = cl.polynomial_features(cl.grid_points(self.extent, GRID), 1)
        self.theta_star = cl.logistic_optimum(self.phi, self.y, 0.0)
        self.loss_star = cl.logistic_loss(self.theta_star, self.phi, self.y)
        self.bayes = self.bayes_accuracy(backend.rng(p["seed"], 9))
        b, w1, w2 = self.theta_star
        r = max(3.0, 1.5 * max(abs(w1), abs(w2)))
        self.w_extent = (min(-0.5, w1 - r), max(0.5, w1 + r), min(-0.5, w2 - r),
                         max(0.5, w2 + r))
        pts = cl.grid_points(self.w_extent, IMAGE)
        z = pts @ self.x.T + b
        loss = np.mean(np.logaddexp(0.0, z) - self.y * z, axis=1)
        self.landscape = np.log10(loss).reshape(IMAGE, IMAGE)

    def bayes_accuracy(self, rng: np.random.Generator, n: int = 200_000) -> float:
        """Monte Carlo accuracy of the rule 'larger class density' on fresh samples."""
        o = self.p["offset"]
        covs = [np.array([[0.5, 0.2], [0.2, 0.5]]), np.array([[0.5, -0.2], [-0.2, 0.5]])]
        means = [np.array([-o, -o]), np.array([o, o])]
        labels = rng.integers(0, 2, n)
        x = np.empty((n, 2))
        for c in (0, 1):
            sel = labels == c
            x[sel] = rng.multivariate_normal(means[c], covs[c], int(sel.sum()))
        logp = []
        for c in (0, 1):
            d = x - means[c]
            inv = np.linalg.inv(covs[c])
            logp.append(-0.5 * np.einsum("ni,ij,nj->n", d, inv, d)
                        - 0.5 * np.log(np.linalg.det(covs[c])))
        return float(np.mean((logp[1] > logp[0]) == (labels == 1)))

    def hyper(self) -> Hyper:
        p = self.p
        return Hyper(lr=p["lr"], rho=p["rho"], beta1=p["beta1"], beta2=p["beta2"], eps=1e-8,
                     eps_inside_root=False)

    def frames(self) -> Iterator[Frame]:
        p = self.p
        opts = [create(name, np.zeros(3)) for name in NAMES]
        shuffles = [backend.rng(p["seed"], 1, i) for i in range(len(NAMES))]
        record = History(shape=(3, 3), capacity=2048)
        n = len(self.y)

        def sample() -> None:
            record.append(epoch, [(cl.logistic_loss(o.theta, self.phi, self.y),
                                   *o.theta[1:]) for o in opts])

        epoch = 0
        sample()
        while True:
            done = epoch >= p["epochs"]
            if epoch % self.steps_per_frame == 0 or done:
                yield self._frame(epoch, opts, record)
            if done:
                return
            hyper = self.hyper()
            for opt, rng in zip(opts, shuffles, strict=True):
                order = rng.permutation(n)
                for start in range(0, n, p["batch"]):
                    idx = order[start:start + p["batch"]]
                    phi, y = self.phi[idx], self.y[idx]
                    opt.step(lambda th, phi=phi, y=y: cl.logistic_grad(th, phi, y), hyper)
            epoch += 1
            sample()

    def _frame(self, epoch: int, opts: list, record: History) -> Frame:
        vals = record.values  # (m, 3 optimizers, (loss, w1, w2))
        thetas = [o.theta for o in opts]
        accs = [cl.accuracy(cl.sigmoid(self.phi @ th), self.y) for th in thetas]
        dists = [float(np.linalg.norm(th - self.theta_star)) for th in thetas]
        frame: Frame = {
            "step": epoch,
            "t": float(epoch),
            "extent": np.array(self.extent),
            "points": self.x,
            "labels": self.y.astype(int),
            "message": self.message,
            "epoch": record.x,
            "loss": vals[:, :, 0].T.copy(),
            "names": np.array(NAMES),
            "loss_star": self.loss_star,
            "landscape": self.landscape,
            "w_extent": np.array(self.w_extent),
            "w_paths": vals[:, :, 1:].transpose(1, 0, 2).copy(),
            "w_points": np.array([*(th[1:] for th in thetas), self.theta_star[1:]]),
            "acc_text": ", ".join(f"{a:.3f}" for a in accs),
            "dist_text": ", ".join(f"{d:.3g}" for d in dists),
            "bayes": self.bayes,
        }
        for name, th in zip(NAMES, thetas, strict=True):
            frame[f"prob_{name.lower()}"] = cl.sigmoid(self.grid @ th).reshape(GRID, GRID)
        return frame
