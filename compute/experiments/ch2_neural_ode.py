"""§2.2.2 "Neural ODEs and continuous-time auto-regression": learn the vector field of
ẋ = f_θ(x, t) with a small MLP so that the integrated trajectory matches noisy samples of the
over-damped oscillator (or positions of the damped double well), training by backpropagation
through the integrator, a slice per frame."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .. import backend, ode
from .. import neural_ode as node
from .. import ode_regression as reg
from ..experiment import Diverged, Experiment, Frame
from ..params import Choice, Float, Int, Seed
from ..registry import register
from ..views import Curves, Heatmap, Readout, Series

SAMPLE_DT = 0.1  # the data's spacing, as in Example 2.2.1
T_DATA = 5.0
DW_GAMMA, DW_X0, DW_V0 = 1.0, 0.5, 0.0  # Exercise 2.2.4: γ = 1 from (x₀, v₀) = (0.5, 0)
DW_STEP = 0.005  # largest RK4 step of the double-well truth


@dataclass(frozen=True)
class ForcedLinear:
    """ẋ = −γx + g(t) from x(0) = x₀ (Example 2.2.1, Exercise 2.2.3): closed form."""

    gamma: float
    x0: float
    forcing: reg.Forcing

    def path(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x(t) and ẋ(t) on the grid t."""
        x = reg.forced_solution(t, self.gamma, self.x0, 1.0, self.forcing)
        return x, -self.gamma * x + self.forcing(t)


@dataclass(frozen=True)
class DampedDoubleWell:
    """ẍ = −γẋ + x − x³ from (x₀, v₀) (item 26): no closed form, RK4 with steps ≤ DW_STEP."""

    gamma: float
    x0: float
    v0: float

    def path(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x(t) and ẋ(t) = v(t) on the equally spaced grid t (starting at 0)."""
        dt = float(t[1] - t[0])
        sub = int(np.ceil(dt / DW_STEP - 1e-9))
        g = self.gamma

        def f(y: np.ndarray) -> np.ndarray:
            return np.stack([y[:, 1], y[:, 0] - y[:, 0] ** 3 - g * y[:, 1]], axis=1)

        states = ode.integrate(f, np.array([self.x0, self.v0]), dt / sub,
                               (len(t) - 1) * sub)[::sub, 0]
        return states[:, 0], states[:, 1]


SYSTEMS = {  # the data the network learns from
    "ẋ = −2x + sin t": ForcedLinear(2.0, 1.0, reg.Forcing(1.0, 0.0, 1.0)),
    "ẋ = −3x + cos 2t": ForcedLinear(3.0, 2.0, reg.Forcing(0.0, 1.0, 2.0)),
    "damped double well": DampedDoubleWell(DW_GAMMA, DW_X0, DW_V0),
}
FIELD_T, FIELD_X = 72, 48  # heatmap resolution of the learned field
FIELD_EVERY = 10  # epochs between two evaluations of the heat map


@register
class NeuralODEToy(Experiment):
    id = "ch2.neural-ode-toy"
    title = "A neural ODE learns the oscillator's vector field (§2.2.2)"
    section = "2.2.2"
    family = "regression & fitting"
    summary = ("An MLP f_θ(x, t) is trained so that integrating ẋ = f_θ reproduces noisy "
               "samples; inside the data it approaches −γx + g(t), and it extrapolates.")
    explanation = (
        "Instead of the two-parameter model ẋ = −γx + c·g(t), a neural ODE lets a small "
        "network (tanh MLP of the inputs x and t) be the whole right-hand side. The ODE is "
        "integrated from the first sample by explicit Euler or RK4 on a grid finer than the "
        "data, the squared mismatch with the samples is the loss, and Adam follows its "
        "gradient, obtained by backpropagation through every integration step (discretise, "
        "then optimise). Play trains a few epochs per frame: the loss falls, the trajectory "
        "settles on the data, and the learned field (the heat map, with the true and the "
        "learned trajectories on top) approaches the true −γx + g(t) near the data, while "
        "far from any data it stays whatever the network guesses. One Euler step "
        "x + h·f_θ(x, t) is exactly a residual block, which is why ResNets are read as "
        "discretised ODEs. Beyond t = 5 the learned ODE extrapolates; compare the "
        "polynomial of ch2.regression-ode. The double-well data come from a second-order "
        "system; there the field along the path is compared with the true velocity ẋ(t)."
    )
    equations = (
        r"$\dot x = f_\theta(x, t),\qquad \mathcal{L}(\theta) = \frac{1}{N}\sum_i"
        r" \left(x(t_i;\theta) - x_i\right)^2$",
        r"$\mathrm{Euler}:\ x_{k+1} = x_k + h\,f_\theta(x_k, t_k)\quad(\mathrm{a\ residual"
        r"\ block})$",
        r"$\mathrm{truth}:\ f(x, t) = -\gamma x + g(t);\quad \mathrm{double\ well}:\ "
        r"\ddot x = -\gamma\dot x + x - x^3,\ f(x(t), t) = \dot x(t)$",
    )
    book_notes = (
        "The book describes neural ODEs in words only; this toy is the lab's illustration "
        "(catalogue item 23). The catalogue suggests torch; the lab writes the small MLP, "
        "the reverse sweep through Euler and RK4 and Adam in numpy instead, about ten times "
        "faster for a scalar state with 51 samples (torch's per-operation overhead "
        "dominates), so training advances several epochs per frame without torch.",
        "The double-well data (the catalogue's item-26 option) are positions of the "
        "second-order system ẍ + γẋ − x + x³ = 0 (γ = 1 from x₀ = 0.5, v₀ = 0, Exercise "
        "2.2.4). A first-order field f(x, t) can still reproduce them, since the path never "
        "meets the same (t, x) twice, but only along the path is there a true value to "
        "compare with, the velocity ẋ(t); elsewhere in the (t, x) plane the learned field "
        "is the network's guess.",
    )
    params = (
        Choice("system", "ẋ = −2x + sin t", tuple(SYSTEMS),
               help="The true dynamics: Example 2.2.1, Exercise 2.2.3, or the damped double "
                    "well ẍ = −ẋ + x − x³ from (0.5, 0) of Exercise 2.2.4 (positions only)."),
        Float("sigma", 0.05, 0.0, 1.0, label="noise σ", help="Noise on the 51 samples."),
        Int("width", 32, 8, 128, help="Neurons per hidden layer."),
        Int("depth", 2, 1, 4, help="Hidden tanh layers."),
        Choice("integrator", "euler", ("euler", "rk4"),
               help="How ẋ = f_θ is integrated (and differentiated through)."),
        Int("substeps", 2, 1, 10, label="steps per sample interval",
            help="Integration steps between two samples (2: h = 0.05)."),
        Float("lr", 1e-2, 1e-4, 1e-1, live=True, log=True, label="learning rate",
              help="Adam's step size."),
        Int("epochs", 500, 100, 5000, live=True, help="Training stops after this many epochs."),
        Int("epochs_per_frame", 1, 1, 20, live=True, label="epochs per frame"),
        Float("horizon", 10.0, 5.0, 15.0, live=True, label="plot until t",
              help="Beyond t = 5 the learned ODE extrapolates."),
        Seed(),
    )
    views = (
        Curves("fit", "Samples, truth and the learned ODE's trajectory",
               series=(Series("x_data", x="t_data", label="samples", style="dots"),
                       Series("truth", x="grid", label="truth"),
                       Series("learned", x="grid", label="learned ODE"),
                       Series("poly_curve", x="grid", label="polynomial d = 7")),
               xlabel="t", ylabel="x", vlines=("t_data_end",)),
        Curves("loss", "Training loss", series=(
            Series("loss_history", x="epochs_done", label="loss"),
            Series("loss_smooth", x="epochs_done", label="running mean of 25")),
            xlabel="epoch", ylabel="mean squared mismatch", logy=True),
        Heatmap("field", "Learned field f_θ(x, t), with the true and learned trajectories",
                field="field_image", extent="field_extent", colormap="CET-D1", contours=8,
                paths="paths", names="path_names", xlabel="t", ylabel="x"),
        Curves("along", "The field along the true trajectory: learned vs true ẋ(t)",
               series=(Series("field_true", x="grid_data", label="true"),
                       Series("field_learned", x="grid_data", label="learned")),
               xlabel="t", ylabel="f(x(t), t)"),
        Readout("readout", "Training", area="bottom", lines=(
            ("epoch", "epoch", "{:d}"),
            ("loss_now", "loss", "{:.3e}"),
            ("field_error", "field RMS error along the data", "{:.3g}"),
            ("noise_floor", "noise floor σ²", "{:.3g}"),
        )),
    )
    frame_fields = {
        "t_data": "(51,) sample times", "x_data": "(51,) noisy samples",
        "grid": "(m,) integration grid to the horizon", "truth": "(m,) true trajectory",
        "learned": "(m,) the learned ODE's trajectory",
        "poly_curve": "(m,) degree-7 polynomial fit, NaN where it leaves the data's range",
        "t_data_end": "end of the data (t = 5)",
        "epochs_done": "(e,) epochs", "loss_history": "(e,) loss per epoch",
        "loss_smooth": "(e,) running mean of the loss",
        "field_image": "(48, 72) f_θ on a (t, x) grid (refreshed every 10 epochs)",
        "field_extent": "(4,) its extent",
        "paths": "(2, m, 2) true and learned trajectories in (t, x)",
        "path_names": "(2,) their names",
        "grid_data": "(k,) integration grid on [0, 5]",
        "field_true": "(k,) the true ẋ(t) along the true trajectory (−γx + g(t), or v(t) for "
                      "the double well)",
        "field_learned": "(k,) f_θ along the true trajectory",
        "epoch": "epochs trained", "loss_now": "the last loss",
        "field_error": "RMS of learned − true field along the true trajectory on [0, 5]",
        "noise_floor": "σ²: the loss a perfect fit of noisy data reaches",
    }
    history_fields = ("epochs_done", "loss_history")
    nonfinite_fields = frozenset({"poly_curve"})
    default_steps_per_frame = 1
    max_steps_per_frame = 20

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.p
        self.system = SYSTEMS[p["system"]]
        self.t_data = np.arange(round(T_DATA / SAMPLE_DT) + 1) * SAMPLE_DT
        self.x_true_data = self.system.path(self.t_data)[0]
        rng = backend.rng(p["seed"], 1)
        self.x_data = self.x_true_data + rng.normal(0.0, p["sigma"], len(self.t_data))
        self.h = SAMPLE_DT / p["substeps"]
        self.net = node.MLPField.init(p["width"], p["depth"], backend.rng(p["seed"], 2))
        self.optimizer = node.Adam(self.net.params, p["lr"])
        self.losses: list[float] = []
        self.image_key: tuple | None = None
        self.path_key = -1
        self.path: tuple[np.ndarray, np.ndarray] = (np.zeros(0), np.zeros(0))
        self.image = np.zeros((FIELD_X, FIELD_T), dtype=np.float32)

    def on_live_change(self, names: set[str]) -> None:
        if "lr" in names:
            self.optimizer.lr = self.p["lr"]

    def train_epoch(self) -> float:
        """One Adam step on the mismatch at the sample times (full batch: 51 samples)."""
        p = self.p
        loss, grads, _ = node.loss_and_gradient(self.net, self.x_data[0], self.x_data,
                                                p["substeps"], self.h, p["integrator"])
        if not np.isfinite(loss) or not all(np.isfinite(g).all() for g in grads):
            raise Diverged(len(self.losses), "the loss is not finite: lower the learning rate")
        self.optimizer.step(grads)
        return loss

    def frames(self) -> Iterator[Frame]:
        step = 0
        while True:
            for _ in range(self.p["epochs_per_frame"] * self.steps_per_frame):
                if len(self.losses) < self.p["epochs"]:
                    self.losses.append(self.train_epoch())
            yield self.frame(step)
            step += self.steps_per_frame

    def frame(self, step: int) -> Frame:
        p = self.p
        steps = round(p["horizon"] / self.h)
        learned = node.integrate(self.net, self.x_data[0], steps, self.h,
                                 p["integrator"]).states
        learned = np.clip(learned, -1e6, 1e6)  # an untrained field may blow up: keep it drawable
        grid = np.arange(len(learned)) * self.h
        if self.path_key != len(grid):  # the truth on the grid changes with the horizon only
            self.path_key, self.path = len(grid), self.system.path(grid)
        truth, velocity = self.path
        poly = np.polynomial.Polynomial.fit(self.t_data, self.x_data, 7)(grid)
        span = float(np.abs(truth).max()) + 3 * max(p["sigma"], 0.1)
        poly = reg.until_it_leaves(poly, 1.5 * span)
        lo = min(truth.min(), self.x_data.min()) - 0.5
        hi = max(truth.max(), self.x_data.max()) + 0.5
        tt, xx = np.meshgrid(np.linspace(0, p["horizon"], FIELD_T), np.linspace(lo, hi, FIELD_X))
        inside = grid <= T_DATA + 1e-9
        key = (len(self.losses) // FIELD_EVERY, p["horizon"])
        if self.image_key != key:  # the heat map follows training every FIELD_EVERY epochs
            self.image_key = key
            self.image = self.net(xx.ravel(), tt.ravel()).reshape(xx.shape).astype(np.float32)
        image = self.image
        along = self.net(truth[inside], grid[inside])
        true_along = velocity[inside]
        losses = np.array(self.losses, dtype=float)
        window = 25
        smooth = (np.convolve(losses, np.ones(window) / window, mode="valid")
                  if len(losses) >= window else losses[:0])
        smooth = np.concatenate([np.full(len(losses) - len(smooth), np.nan), smooth]) \
            if len(losses) else losses
        epochs = np.arange(1, len(losses) + 1, dtype=float)
        return {
            "step": step, "t": float(len(losses)),
            "t_data": self.t_data, "x_data": self.x_data, "grid": grid, "truth": truth,
            "learned": learned, "poly_curve": poly, "t_data_end": T_DATA,
            "epochs_done": epochs, "loss_history": losses,
            "loss_smooth": np.where(np.isnan(smooth), losses, smooth),
            "field_image": image,
            "field_extent": np.array([0.0, p["horizon"], lo, hi]),
            "paths": np.stack([np.stack([grid, truth], 1), np.stack([grid, learned], 1)]),
            "path_names": np.array(["true", "learned"]),
            "grid_data": grid[inside], "field_true": true_along, "field_learned": along,
            "epoch": len(losses), "loss_now": float(losses[-1]) if len(losses) else 0.0,
            "field_error": float(np.sqrt(np.mean((along - true_along) ** 2))),
            "noise_floor": p["sigma"] ** 2,
        }
