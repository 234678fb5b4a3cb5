"""§3.3.5, Example 3.3.1, Figs 3.5–3.8, Exercise 3.3.2: adaptive optimizers and the width of a
tiny ReLU classifier of a ring against its background."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from .. import backend
from .. import classifiers as cl
from ..experiment import Diverged, Experiment, Frame
from ..history import History
from ..optimizers import Hyper, create
from ..params import Choice, Float, Int, Seed
from ..registry import register
from ..views import Curves, DecisionBoundary, Readout, Series

GRID = 100
EXTENT = (-3.0, 3.0, -3.0, 3.0)
MODES = ("optimizers", "widths")
DATASETS = ("ring-vs-background", "disk-vs-outside", "annulus")
OPTIMIZER_NAMES = ("AdaGrad", "RMSProp", "Adam")
WIDTHS = (2, 4, 8, 32)
ANGLES = 72  # rays along which the boundary radius is measured
BOUND = 1e6


def ring_data(name: str, n: int, radius: float, width: float, spread: float,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n positives and n negatives.

    ring-vs-background (notebook): positives at radius ~ N(radius, width) with uniform angle,
    negatives ~ N(0, spread² I). disk-vs-outside (book): 2n uniform points of the square
    [−spread, spread]², label 1 inside the disk of ``radius``. annulus: positives on the
    ring, negatives uniform in the square outside radius ± 2·width.
    """
    if name == "disk-vs-outside":
        x = rng.uniform(-spread, spread, (2 * n, 2))
        return x, (np.hypot(x[:, 0], x[:, 1]) < radius).astype(float)
    r = rng.normal(radius, width, n)
    t = rng.uniform(0.0, 2.0 * math.pi, n)
    pos = np.column_stack([r * np.cos(t), r * np.sin(t)])
    if name == "annulus":
        neg = np.empty((0, 2))
        while len(neg) < n:
            cand = rng.uniform(-spread, spread, (2 * n, 2))
            rr = np.hypot(cand[:, 0], cand[:, 1])
            neg = np.vstack([neg, cand[np.abs(rr - radius) > 2 * width]])
        neg = neg[:n]
    else:
        neg = spread * rng.standard_normal((n, 2))
    return np.vstack([pos, neg]), np.concatenate([np.ones(n), np.zeros(n)])


def boundary_radii(prob: callable, angles: int = ANGLES, r_max: float = 3.0,
                   steps: int = 120) -> np.ndarray:
    """Radius of the first crossing of p = ½ along rays from the origin (NaN: no crossing
    within r_max, i.e. the region containing the origin is open in that direction)."""
    a = np.linspace(0.0, 2.0 * math.pi, angles, endpoint=False)
    r = np.linspace(0.0, r_max, steps)
    pts = r[None, :, None] * np.stack([np.cos(a), np.sin(a)], -1)[:, None, :]
    side = prob(pts.reshape(-1, 2)).reshape(angles, steps) > 0.5
    flips = side[:, 1:] != side[:, :1]
    out = np.full(angles, np.nan)
    hit = flips.any(axis=1)
    out[hit] = r[1:][flips[hit].argmax(axis=1)]
    return out


def circularity(radii: np.ndarray) -> float:
    """std/mean of the boundary radius around the origin (0 for a circle; NaN if open)."""
    if not np.isfinite(radii).all():
        return math.nan
    return float(radii.std() / radii.mean())


@register
class AdaptiveReluRing(Experiment):
    id = "ch3.adaptive-relu-ring"
    title = "Adaptive optimizers and width on a tiny ReLU classifier"
    section = "3.3.5"
    family = "decision boundary & training curves"
    summary = ("A one-hidden-layer ReLU net learns a ring: two units give a band, more units "
               "close a polygon that rounds off as the width grows.")
    explanation = (
        "A network f(x) = W₂·ReLU(W₁x + b₁) + b₂ with H hidden units classifies points of a "
        "ring (class 1) against a wide Gaussian background (class 0) by the cross-entropy of "
        "σ(f). Each hidden unit switches on across one line W₁[k]·x + b₁[k] = 0 (dashed), so "
        "f is linear on every cell the lines cut out and the boundary p = ½ is a polygon with "
        "at most one edge per unit. Two lines cannot enclose a bounded region: with H = 2 "
        "the boundary is a line or a band, never a closed shape, whatever the optimizer. With "
        "three or more units it can close, and it approaches the circle as H grows (the "
        "circularity, spread of the boundary radius over its mean, falls). In the optimizers "
        "mode models A, B, C are AdaGrad, RMSProp and Adam training the same initial network "
        "(Figs 3.5–3.6); in the widths mode A–D are RMSProp at H = 2, 4, 8 and 32 (Figs "
        "3.7–3.8). The background "
        "overlaps the ring, so even the best classifier makes mistakes (Bayes accuracy). "
        "The same models are trained from further random initialisations alongside: the "
        "seeds panel shows the mean loss over seeds with a band of ± one standard "
        "deviation, growing as training proceeds (Exercise 3.3.2), and the trajectory "
        "panel follows two weights, W₁[0,0] and W₂[0,0], of each model's main run."
    )
    equations = (
        r"$f_\theta(x) = W_2\,\mathrm{ReLU}(W_1x + b_1) + b_2,\quad p = \sigma(f_\theta(x))$",
        r"$L = -\frac{1}{N}\sum_i [y_i\ln p_i + (1-y_i)\ln(1-p_i)]$",
        r"$\mathrm{unit}\ k\ \mathrm{switches\ on\ across}\ \ W_1[k]\cdot x + b_1[k] = 0$",
    )
    book_notes = (
        "The book describes points inside a disk against points outside it; the notebook "
        "uses a ring of radius ~ N(1, 0.2) against a Gaussian background N(0, 2²I) that "
        "overlaps it (100% accuracy impossible). The notebook's data are the default; the "
        "book's disk is offered as a data set.",
        "The book says the H = 2 boundary has three segments and elsewhere at most H; it "
        "has at most two edges and, as the committed figures show, is a line or a band, "
        "never a triangle: a bounded region needs at least three half-planes.",
        "The file adaptive_relu_2D_H2_rmsprop_decision.png of Fig 3.6 was overwritten by the "
        "width sweep's ..._H2_RMSProp_decision.png on a case-insensitive file system; the "
        "lab draws both runs live.",
        "The seeds panel trains every model from the seeds s, s + 1, …, s + S − 1 (the "
        "main run is seed s) on the same data; Exercise 3.3.2 asks for means and variances "
        "of the loss curves over seeds. The trajectory panel is the older notebook's "
        "\"parameter trajectories in a 2D slice\" figure in the (W₁[0,0], W₂[0,0]) plane.",
    )
    params = (
        Choice("mode", "optimizers", MODES,
               help="optimizers: AdaGrad, RMSProp, Adam at width H (Run A); widths: RMSProp "
                    "at H = 2, 4, 8, 32 (Run B)."),
        Int("hidden", 2, 1, 128, label="hidden units H", help="Width in the optimizers mode."),
        Float("lr_adagrad", 0.5, 1e-4, 1.0, live=True, log=True, label="AdaGrad η"),
        Float("lr_rmsprop", 0.05, 1e-4, 1.0, live=True, log=True, label="RMSProp η",
              help="0.05 in Run A; Run B (widths) uses 0.01."),
        Float("lr_adam", 0.05, 1e-4, 1.0, live=True, log=True, label="Adam η"),
        Float("rho", 0.9, 0.0, 0.9999, live=True, label="RMSProp decay ρ"),
        Int("epochs", 2000, 10, 10_000),
        Choice("dataset", "ring-vs-background", DATASETS),
        Float("radius", 1.0, 0.3, 2.5, label="ring radius"),
        Float("width", 0.2, 0.02, 1.0, label="ring width"),
        Float("spread", 2.0, 0.5, 5.0, label="background spread"),
        Int("n", 200, 20, 2000, label="points per class"),
        Float("flip", 0.0, 0.0, 0.4, label="label-flip rate"),
        Float("input_noise", 0.0, 0.0, 1.0, label="input noise σ"),
        Int("seeds", 5, 1, 20, label="seeds for the statistics",
            help="Initialisations trained per model for the mean ± std panel (1: only the "
                 "main run)."),
        Seed(help="Seed of the initial weights (the data use seed 0, as the notebook)."),
    )
    views = (
        *(DecisionBoundary(f"map{i}", title, probability=f"prob{i}", extent="extent",
                           points="points", labels="labels", hyperplanes=f"planes{i}",
                           message="message")
          for i, title in enumerate(("Model A", "Model B", "Model C", "Model D"))),
        Curves("loss", "Training loss", series=(Series("loss", x="epoch", names="names"),),
               hlines=("ln2",), logy=True, xlabel="epoch", ylabel="cross-entropy"),
        Curves("seeds", "Loss over seeds: mean ± std",
               series=(Series("seed_mean", x="epoch", names="names"),
                       Series("seed_band", x="epoch", style="fan", classes="band_model",
                              label="mean ± std over seeds")),
               hlines=("ln2",), logy=True, xlabel="epoch", ylabel="cross-entropy"),
        Curves("trajectory", "Two weights along training",
               series=tuple(Series(f"traj_w2_{i}", x=f"traj_w1_{i}", names=f"traj_name{i}")
                            for i in range(4)),
               xlabel="W₁[0,0]", ylabel="W₂[0,0]"),
        Readout("numbers", "Numbers", area="bottom", lines=(
            ("step", "epoch", "{:d}"),
            ("models", "models", "{}"),
            ("acc_text", "accuracy", "{}"),
            ("circ_text", "circularity", "{}"),
            ("bayes", "Bayes accuracy", "{:.3f}"),
            ("seeds_text", "seeds", "{}"),
            ("status", "status", "{}"),
        )),
    )
    frame_fields: ClassVar[dict[str, str]] = {
        "step": "epochs done", "t": "the epoch count as a float",
        "extent": "(4,) the window [−3, 3]²", "points": "(N, 2) the data",
        "labels": "(N,) 0/1", "message": "why the data cannot be fitted ('' when they can)",
        **{f"prob{i}": f"({GRID}, {GRID}) P(y = 1 | x) of model {i + 1}" for i in range(4)},
        **{f"planes{i}": f"(H, 3) hidden-unit lines of model {i + 1}" for i in range(4)},
        "epoch": "(m,) epochs of the record", "loss": "(k, m) training cross-entropy",
        "names": "(k,) the models", "ln2": "ln 2, the loss of p ≡ ½",
        "models": "what models A–D are",
        "acc_text": "training accuracies",
        "circ_text": "circularities, std/mean of the boundary radius ('open' if not closed)",
        "bayes": "accuracy of the Bayes rule of the generating model",
        "status": "'running', 'done' or which model diverged",
        "seed_mean": "(k, m) mean over the seeds of the training loss",
        "seed_band": "(2k, m) mean − std and mean + std over the seeds, model by model",
        "band_model": "(2k,) the model of each band row",
        "seeds_text": "seeds trained and still running",
        **{f"traj_w1_{i}": f"(m,) W₁[0,0] of model {i + 1} along training (empty if absent)"
           for i in range(4)},
        **{f"traj_w2_{i}": f"(1, m) W₂[0,0] of model {i + 1} along training" for i in range(4)},
        **{f"traj_name{i}": f"(1,) the label of model {i + 1}'s trajectory" for i in range(4)},
    }
    history_fields = ("epoch", "loss")
    nonfinite_fields = frozenset({"seed_mean", "seed_band"})
    default_steps_per_frame = 5
    max_steps_per_frame = 500

    @classmethod
    def hidden_views(cls, p: Mapping[str, Any]) -> frozenset[str]:
        return frozenset({"map3"}) if p["mode"] == "optimizers" else frozenset()

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        super().__init__(params, device=device)
        p = self.p
        rng = np.random.default_rng(0)
        self.x, self.y = ring_data(p["dataset"], p["n"], p["radius"], p["width"],
                                   p["spread"], rng)
        noise_rng = backend.rng(0, 7)
        k = round(p["flip"] * len(self.y))
        if k:
            idx = noise_rng.choice(len(self.y), k, replace=False)
            self.y[idx] = 1.0 - self.y[idx]
        self.x = self.x + p["input_noise"] * noise_rng.standard_normal(self.x.shape)
        self.message = cl.degenerate(self.x, self.y) or ""
        self.grid = cl.grid_points(EXTENT, GRID)
        if p["mode"] == "optimizers":
            self.runs = [(name, p["hidden"]) for name in OPTIMIZER_NAMES]
        else:
            self.runs = [("RMSProp", h) for h in WIDTHS]
        self.bayes = self.bayes_accuracy(backend.rng(0, 8))

    def bayes_accuracy(self, rng: np.random.Generator, n: int = 100_000) -> float:
        """Monte Carlo accuracy of the rule 'larger class density' (equal priors, no flips)."""
        p = self.p
        x, y = ring_data(p["dataset"], n, p["radius"], p["width"], p["spread"], rng)
        r = np.hypot(x[:, 0], x[:, 1])
        if p["dataset"] == "disk-vs-outside":
            return 1.0
        ring = (np.exp(-0.5 * ((r - p["radius"]) / p["width"]) ** 2)
                / (p["width"] * math.sqrt(2 * math.pi) * 2 * math.pi * np.maximum(r, 1e-12)))
        if p["dataset"] == "annulus":
            return 1.0
        back = np.exp(-0.5 * r * r / p["spread"] ** 2) / (2 * math.pi * p["spread"] ** 2)
        return float(np.mean((ring > back) == (y == 1)))

    def lr(self, name: str) -> float:
        p = self.p
        if name == "AdaGrad":
            return p["lr_adagrad"]
        if name == "RMSProp":
            return p["lr_rmsprop"]
        return p["lr_adam"]

    def _hyper(self, name: str) -> Hyper:
        return Hyper(lr=self.lr(name), rho=self.p["rho"], beta1=0.9, beta2=0.999, eps=1e-8,
                     eps_inside_root=False)

    def frames(self) -> Iterator[Frame]:
        p = self.p
        nets = [cl.MLP(h, "relu") for _, h in self.runs]
        seeds = p["seeds"]
        # one optimizer per model runs every seed at once: row 0 is the main run (seed s),
        # rows 1 … S − 1 the seeds s + 1 … for the statistics panel
        opts = [create(name, np.stack([net.init(np.random.default_rng(p["seed"] + j), 0.5)
                                       for j in range(seeds)]))
                for (name, _), net in zip(self.runs, nets, strict=True)]
        alive = np.ones((len(nets), seeds), dtype=bool)  # (model, seed) not blown up
        status = ["running"] * len(nets)
        k = len(nets)
        record = History(shape=(k,), capacity=2048)
        seed_record = History(shape=(seeds, k), capacity=2048)
        traj = History(shape=(k, 2), capacity=2048)
        epoch = 0

        current: list[np.ndarray] = [np.zeros(seeds)] * k  # losses (S,) per model

        def grad(i: int, theta: np.ndarray) -> np.ndarray:
            """The gradient the optimizer asks for; its loss comes free and is kept (the
            adaptive methods evaluate it once per step, at the current weights)."""
            current[i], g = nets[i].batch_loss_grad(theta, self.x, self.y)
            return g

        def weights() -> list[list[float]]:  # W₁[0,0] = θ[0], W₂[0,0] = θ[3H], main runs
            return [[o.theta[0, 0], o.theta[0, 3 * net.hidden]]
                    for net, o in zip(nets, opts, strict=True)]

        def log(epoch: int, w: list[list[float]]) -> None:
            """Record the kept losses (those of the weights of ``epoch``) and weights w."""
            losses = np.stack([np.where(a, c, np.nan)
                               for c, a in zip(current, alive, strict=True)], axis=1)
            record.append(epoch, losses[0])
            seed_record.append(epoch, losses)
            traj.append(epoch, w)

        logged = -1  # the last epoch recorded
        while True:
            done = epoch >= p["epochs"]
            if epoch % self.steps_per_frame == 0 or done:
                if logged < epoch:  # the losses of these weights are not known yet
                    for i, (net, o) in enumerate(zip(nets, opts, strict=True)):
                        current[i] = net.batch_loss_grad(o.theta, self.x, self.y)[0]
                    log(epoch, weights())
                    logged = epoch
                yield self._frame(epoch, nets, opts, record, status, done, seed_record, traj,
                                  alive)
            if done:
                return
            w = weights()
            if not self.message:
                for i, ((name, _), opt) in enumerate(zip(self.runs, opts, strict=True)):
                    if not alive[i].any():
                        continue
                    last = opt.theta
                    opt.step(lambda th, i=i: grad(i, th), self._hyper(name))
                    bad = ~np.isfinite(opt.theta).all(axis=1)
                    bad |= np.abs(np.nan_to_num(opt.theta, nan=np.inf)).max(axis=1) > BOUND
                    bad &= alive[i]
                    if bad.any():  # frozen at their last good weights, left out from now
                        opt.theta = np.where(bad[:, None], last, opt.theta)
                        alive[i] &= ~bad
                        if bad[0]:
                            status[i] = f"diverged at epoch {epoch + 1}"
                if all(s != "running" for s in status):
                    raise Diverged(epoch + 1, "every model's weights blew up")
            if logged < epoch:  # the step evaluated the losses of the epoch's weights
                log(epoch, w)
                logged = epoch
            epoch += 1

    def _frame(self, epoch: int, nets: list, opts: list, record: History, status: list[str],
               done: bool, seed_record: History, traj: History, alive: np.ndarray) -> Frame:
        names = [f"{'ABCD'[i]}: " + (name if self.p["mode"] == "optimizers" else f"H = {h}")
                 for i, (name, h) in enumerate(self.runs)]
        models = (f"{', '.join(names)} (H = {self.p['hidden']})"
                  if self.p["mode"] == "optimizers" else f"{', '.join(names)} (RMSProp)")
        frame: Frame = {
            "step": epoch, "t": float(epoch),
            "extent": np.array(EXTENT), "points": self.x, "labels": self.y.astype(int),
            "message": self.message,
            "epoch": record.x, "loss": record.values.T.copy(),
            "names": np.array(names), "ln2": math.log(2.0), "bayes": self.bayes,
            "models": models,
        }
        accs, circs = [], []
        for i in range(4):
            if i < len(opts):
                net, theta = nets[i], opts[i].theta[0]
                frame[f"prob{i}"] = cl.sigmoid(net.logits(theta, self.grid)).reshape(GRID, GRID)
                frame[f"planes{i}"] = net.hyperplanes(theta)
                accs.append(cl.accuracy(cl.sigmoid(net.logits(theta, self.x)), self.y))
                c = circularity(boundary_radii(
                    lambda q, net=net, theta=theta: cl.sigmoid(net.logits(theta, q))))
                circs.append("open" if math.isnan(c) else f"{c:.3f}")
            else:
                frame[f"prob{i}"] = np.full((GRID, GRID), 0.5)
                frame[f"planes{i}"] = np.zeros((0, 3))
        frame["acc_text"] = ", ".join(f"{n[0]} {a:.3f}" for n, a in zip(names, accs, strict=True))
        frame["circ_text"] = ", ".join(f"{n[0]} {c}" for n, c in zip(names, circs, strict=True))
        bad = [f"{n}: {s}" for n, s in zip(names, status, strict=True) if s != "running"]
        frame["status"] = "; ".join(bad) if bad else ("done" if done else "running")
        runs = seed_record.values  # (m, S, k)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a model diverged in every seed
            mean = np.nanmean(runs, axis=1).T
            std = np.nanstd(runs, axis=1).T
        k = len(opts)
        frame["seed_mean"] = mean
        frame["seed_band"] = np.stack([mean - std, mean + std], axis=1).reshape(2 * k, -1)
        frame["band_model"] = np.repeat(np.arange(k), 2)
        seeds = alive.shape[1]
        frame["seeds_text"] = (f"{seeds} (seeds {self.p['seed']}–{self.p['seed'] + seeds - 1})"
                               f", {int(alive.all(axis=0).sum())} without a diverged model")
        w = traj.values  # (m, k, 2)
        for i in range(4):
            if i < k:
                frame[f"traj_w1_{i}"] = w[:, i, 0].copy()
                frame[f"traj_w2_{i}"] = w[None, :, i, 1].copy()
                frame[f"traj_name{i}"] = np.array([names[i]])
            else:
                frame[f"traj_w1_{i}"] = np.zeros(0)
                frame[f"traj_w2_{i}"] = np.zeros((1, 0))
                frame[f"traj_name{i}"] = np.array([""])
        return frame
