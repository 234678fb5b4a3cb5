"""§9.1, Example 9.1.1 and Exercise 9.1.1: score-based diffusion on the 3×3 Gaussian grid.

Two experiments share this module: ``ch9.sgm9`` (forward schedules, the reverse SDE/ODE with
an exact, empirical or live-trained score, the score field) and ``ch9.revnoise`` (a sweep of
the reverse noise level ε˜ against the number of steps, with sample-quality metrics).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import backend
from ..diffusion import (
    EPS_MODES,
    FRAME_BUDGET,  # noqa: F401 (re-exported: ch9.uturn imports it from here)
    ReverseRun,
    ScoreFn,
    dsm_loss,
    empirical_score_fn,
    exact_score_fn,
    forward_step,
    frame_chunk,
    mixture_responsibilities,
    sample_quality,
    stray_reference,
)
from ..experiment import Diverged, Experiment, Frame
from ..gmm import GaussianMixture
from ..history import History
from ..params import Bool, Choice, Float, Int, Multi, Param, ParamError, Seed
from ..registry import register
from ..schedules import SCHEDULES, Schedule
from ..views import Bubbles, Curves, Heatmap, Particles, Readout, Series

PRIORS = ("standard", "matched", "exact")
N_MC = 100_000  # Monte-Carlo pairs of the irreducible DSM loss (SD ≈ 0.8%)
TRAIN_CHUNK = 100  # most DSM steps per frame (~0.2 s)
VIEW_HALF = 12.0  # half-width of the particle view (fits the default grid and priors)
FIELD_RES = 81  # heatmap resolution of log p_t
QUIVER_RES = 21  # the notebooks' 21×21 quiver grid
COMMITTED = 0.9  # a particle is committed to mode k once w_k(x, t) ≥ this
STRAY_SIGMAS = 3.0  # stray radius of ch9.sgm9's readout, in units of the mode std
STREAM_DATA, STREAM_PRIOR, STREAM_NOISE, STREAM_MC, STREAM_FORWARD = 0, 1, 2, 3, 4
FORWARD_TEXT = "forward noising (exact kernel)"
FORWARD_COST = 10.0  # cost units per particle of a forward step and its frame statistics


# -- parameters shared by ch9.sgm9 and ch9.revnoise ---------------------------------------
def mixture_params() -> tuple[Param, ...]:
    """The grid of Gaussian modes (the notebooks: 3×3, spacing 6, σ = 1.5 or 0.5)."""
    return (
        Int("grid", 3, 2, 5, label="modes per side",
            help="The data are grid² equal Gaussian modes on a square grid centred at 0."),
        Float("spacing", 6.0, 2.0, 10.0, help="Distance s between neighbouring modes."),
        Float("sigma", 0.5, 0.1, 2.0, label="mode std σ",
              help="Standard deviation of every mode (notebook 02: 1.5; 02-bis: 0.5)."),
    )


def process_params() -> tuple[Param, ...]:
    """Forward schedule, its β range and the reverse process's starting law."""
    return (
        Choice("schedule", "vp-linear", SCHEDULES,
               help="vp-linear: the notebooks' VP-SDE with linear β(t); vp-cosine: cosine "
                    "ᾱ with the same α(1); brownian: the book's eq. 9.5, f = 0, G = 2β(t)."),
        *beta_params(),
        Choice("prior", "standard", PRIORS,
               help="Law the reverse run starts from at t = 1. standard: N(0, I) for VP, "
                    "N(0, var(1)I) for brownian (the notebooks); matched: the Gaussian with "
                    "the exact mean and covariance of p₁; exact: samples of p₁ itself."),
    )


def beta_params() -> tuple[Param, ...]:
    """β(0) and β(1) of the linear β(t) (the notebooks: 0.1 and 20)."""
    return (
        Float("beta_min", 0.1, 0.01, 5.0, label="β_min", log=True, help="β(0)."),
        Float("beta_max", 20.0, 1.0, 40.0, label="β_max", help="β(1); must be ≥ β_min."),
    )


def reverse_noise_params() -> tuple[Param, ...]:
    """The live reverse noise level ε˜ (see :func:`compute.diffusion.reverse_noise`)."""
    return (
        Choice("eps_mode", "sde", EPS_MODES, live=True, label="reverse noise",
               help="ε˜ of the reverse process. sde: ε˜ = G(t) (Anderson's reverse SDE); "
                    "ode: ε˜ = 0 (probability-flow ODE); ratio: ε˜ = eps·G(t); constant: "
                    "ε˜ = eps."),
        Float("eps", 1.0, 0.0, 40.0, live=True, label="eps",
              help="The ratio ε˜/G (mode ratio) or the constant ε˜ (mode constant); unused "
                   "for sde and ode."),
    )


def check_process(p: dict[str, Any]) -> None:
    """β_max ≥ β_min, reported on ``beta_max``."""
    if p["beta_max"] < p["beta_min"]:
        raise ParamError("beta_max", f"β_max = {p['beta_max']:g} is below β_min = "
                                     f"{p['beta_min']:g}")


def make_mixture(p: dict[str, Any]) -> GaussianMixture:
    return GaussianMixture.grid(p["grid"], p["spacing"], p["sigma"])


def make_schedule(p: dict[str, Any]) -> Schedule:
    return Schedule(p["schedule"], p["beta_min"], p["beta_max"])


def prior_sample(kind: str, mixture: GaussianMixture, schedule: Schedule, n: int,
                 rng: np.random.Generator) -> np.ndarray:
    """n starting points at t = 1 drawn from the ``prior`` choice (see process_params)."""
    alpha, var = float(schedule.alpha(1.0)), float(schedule.var(1.0))
    if kind == "exact":
        return mixture.noised(alpha, var).sample(n, rng)[0]
    z = rng.standard_normal((n, mixture.dim))
    if kind == "standard":
        return schedule.prior_std() * z
    cov = alpha**2 * mixture.covariance() + var * np.eye(mixture.dim)
    return alpha * mixture.mean() + z @ np.linalg.cholesky(cov).T


def reverse_text(eps_mode: str, eps: float) -> str:
    """The read-out's name of the reverse process for the live reverse-noise setting."""
    return {"sde": "reverse SDE (ε˜ = G)", "ode": "probability-flow ODE (ε˜ = 0)",
            "ratio": f"reverse, ε˜ = {eps:g}·G", "constant": f"reverse, ε˜ = {eps:g}"}[eps_mode]


def score_cost(score: str, n_train: int, n_components: int) -> float:
    """Cost of one score evaluation per particle, in mixture-component units."""
    return {"exact": n_components, "empirical": n_train, "network": 40}[score] + 10.0


# -- ch9.sgm9 -----------------------------------------------------------------------------
@register
class ScoreDiffusionGrid(Experiment):
    id = "ch9.sgm9"
    title = "Score-based diffusion on the Gaussian grid"
    section = "9.1"
    family = "Diffusion & U-turn trajectories"
    summary = ("Noise flows back into the 3×3 grid along the score: reverse SDE or ODE with the "
               "exact, empirical or live-trained score.")
    explanation = (
        "The forward process turns the grid of Gaussian modes into noise; the reverse process "
        "runs from t = 1 down to 0 with drift f − ½(G + ε˜)s, where s = ∇log p_t is the score. "
        "Because the noised mixture is again a mixture, the exact score is known in closed "
        "form, and the particles flow from the prior into the nine modes. The heatmap shows "
        "log p_t and the arrows the score used, at the current reverse time (or at a pinned "
        "time): one linear pull toward the origin at t ≈ 1, nine separate basins near t = 0. "
        "ε˜ = G is Anderson's reverse SDE, ε˜ = 0 the deterministic probability-flow ODE. The "
        "empirical score of N training points (eq. 9.6) memorises them; the network is "
        "trained live by denoising score matching, and its loss approaches the irreducible "
        "floor — the loss of the exact score — before it samples. The bubbles count the "
        "particles already committed to a mode (posterior weight ≥ 0.9). With 'forward "
        "first', data points dissolve into noise along the exact forward kernel from t = 0 "
        "to 1, and the reverse run then starts from where they ended."
    )
    equations = (
        r"$dx = -\frac{1}{2}\beta(t)\,x\,dt + \sqrt{\beta(t)}\,dW,\quad"
        r" x_t\,|\,x_0 \sim \mathcal{N}(\alpha_t x_0,\,(1-\alpha_t^2)I),"
        r"\quad \alpha_t = e^{-B(t)/2}$",
        r"$dy = [f - \frac{1}{2}(G + \tilde\varepsilon)\,s(y,t)]\,dt"
        r" + \sqrt{\tilde\varepsilon}\,d\bar W,\quad \tilde\varepsilon = G:\ \mathrm{SDE},"
        r"\ \tilde\varepsilon = 0:\ \mathrm{ODE}$",
        r"$s^*(x,t) = \sum_k w_k(x,t)\,\frac{\alpha_t\mu_k - x}{v_t},\quad"
        r" v_t = \alpha_t^2\sigma^2 + \mathrm{var}_t,\quad w_k \propto"
        r" e^{-\|x-\alpha_t\mu_k\|^2/2v_t}$",
        r"$\mathcal{L}_{\mathrm{DSM}} = \mathbb{E}\,\lambda(t)\,\|s_\theta(x_t,t)"
        r" + (x_t - \alpha_t x_0)/\mathrm{var}_t\|^2,\quad \lambda(t) = \mathrm{var}_t,"
        r"\ t \sim U(10^{-4}, 1)$",
        r"$\mathrm{brownian\ (9.5)}:\ f = 0,\ G = 2\beta_t,\quad"
        r" x_t\,|\,x_0 \sim \mathcal{N}(x_0,\,2B(t)\,I)$",
    )
    book_notes = (
        "The book's text uses the Brownian forward process of eq. 9.5; its notebooks use the "
        "VP-SDE with linear β from 0.1 to 20. The lab offers both (schedule), plus a cosine "
        "VP schedule, and defaults to the notebooks.",
        "Eq. 9.6 gives the score of N training points with variance 2∫β; for Gaussian modes "
        "of std σ the exact score uses v = α²σ² + var, which the lab evaluates in closed form.",
        "The notebooks' DSM loss has no ½ and uses λ(t) = var_t with t ~ U(1e-4, 1); the lab "
        "uses exactly that loss, so its numbers compare with the notebooks' printout.",
        "The notebooks train 600k Adam steps at lr 3e-4 (30-40 min). The lab trains live at "
        "lr 1e-3 by default: about 8k steps bring the loss within ~5% of the irreducible "
        "floor, drawn dashed, which the book does not mention.",
        "The reverse time grid is linspace(1, 0, steps + 1); the score is never evaluated "
        "at t = 0 (the last call is at t = 1/steps), as in the notebooks.",
        "With the Brownian schedule and β_max = 20, var(1) ≈ 20 is smaller than the data "
        "variance 24 of the default grid, so the N(0, var(1)I) prior is poor and the centre "
        "mode is over-sampled: raise β_max or choose prior = exact.",
        "The heatmap and arrows follow the current reverse time; 'field time' pins them at a "
        "chosen t (useful while the network trains). A finished run shows its last frame.",
    )
    params = (
        *mixture_params(),
        *process_params(),
        Bool("forward", False, label="forward first",
             help="Animate the forward process first: n_particles data points dissolve "
                  "into noise from t = 0 to 1 by exact kernel steps (arrows: exact score). "
                  "The reverse run then starts from those end points, exact samples of p₁, "
                  "in place of the prior choice."),
        Int("steps", 1000, 2, 2000, label="reverse steps",
            help="Euler–Maruyama steps from t = 1 to 0 (notebooks: 1000); the forward "
                 "animation takes as many."),
        Int("n_particles", 4000, 1, 100_000, log=True, label="particles",
            help="Samples generated by the reverse process (notebooks: 1000)."),
        Int("n_trails", 25, 0, 200, label="trajectories shown",
            help="Particles whose whole reverse path is drawn (notebooks: 25)."),
        Choice("score", "exact", ("exact", "empirical", "network"),
               help="exact: closed-form score of the noised mixture; empirical: score of "
                    "n_train training points (eq. 9.6); network: the notebooks' MLP, trained "
                    "live by DSM on the training points before sampling (needs PyTorch)."),
        Int("n_train", 1000, 10, 10_000, log=True, label="training points",
            help="Training set of the empirical score and of the network (notebooks: 1000). "
                 "The empirical score costs particles × n_train per step."),
        Int("train_steps", 8000, 100, 200_000, log=True, label="training steps",
            help="Adam steps of DSM training when score = network."),
        Float("lr", 1e-3, 1e-4, 3e-3, log=True, live=True, label="learning rate",
              help="Adam learning rate of the network (notebooks: 3e-4)."),
        Int("batch", 256, 16, 2048, log=True, help="DSM minibatch size (notebooks: 256)."),
        *reverse_noise_params(),
        Float("field_t", 0.0, 0.0, 1.0, live=True, label="field time",
              help="0: the heatmap and arrows follow the reverse time; a value in (0, 1] "
                   "pins them at that time."),
        Seed(),
    )
    views = (
        Particles("particles", "Diffusion: particles and trajectories", area="left",
                  x="x1", y="x2", color="mode", trails="trails", xlabel="x₁", ylabel="x₂",
                  equal_aspect=True),
        Heatmap("field", "log p_t and the score used (arrows), mode centres α_t μ_k",
                field="image", extent="extent", vectors=("qx", "qy", "qu", "qv"),
                points="centers_t", xlabel="x₁", ylabel="x₂", equal_aspect=True),
        Bubbles("modes", "Fraction of particles committed to each mode", centers="centers",
                values="mode_fraction", max_value=0.3),
        Curves("loss", "DSM loss and the irreducible floor (dashed)",
               series=(Series("loss", x="loss_step", label="network, during training"),
                       Series("score_loss", x="score_loss_step", label="score used (MC)",
                              style="dots")),
               hlines=("loss_floor",), xlabel="training step", ylabel="DSM loss"),
        Readout("readout", "Diffusion", area="bottom", lines=(
            ("process", "process", "{}"),
            ("t", "time t", "{:.4f}"),
            ("alpha_t", "α_t", "{:.4f}"),
            ("t_field", "field shown at t", "{:.4f}"),
            ("forward_step", "forward steps taken", "{:d}"),
            ("reverse_step", "reverse steps taken", "{:d}"),
            ("train_step", "training steps", "{:d}"),
            ("loss_now", "DSM loss (training chunk / score used)", "{:.4f}"),
            ("loss_floor", "irreducible DSM loss", "{:.4f}"),
            ("committed", "committed to a mode", "{:.3f}"),
            ("mode_kl", "mode KL to uniform (nearest centre of p_t)", "{:.4f}"),
            ("rms", "within-mode RMS per coordinate", "{:.4f}"),
            ("sigma_t", "mode std of p_t", "{:.4f}"),
            ("stray", "stray fraction (> 3 mode std)", "{:.4f}"),
            ("stray_ref", "Gaussian tail e^(−9/2)", "{:.4f}"),
        )),
    )
    frame_fields = {
        "x": "(n_particles, 2) particle positions",
        "x1": "(n_particles,) first coordinates",
        "x2": "(n_particles,) second coordinates",
        "mode": "(n_particles,) most probable mode of each particle under p_t",
        "trails": "(n_trails, m, 2) reverse paths of the tracked particles so far",
        "image": f"({FIELD_RES}, {FIELD_RES}) log p_t on the view square at the field time",
        "extent": "(4,) x₁ and x₂ range of the heatmap",
        "qx": f"({QUIVER_RES},) quiver abscissae",
        "qy": f"({QUIVER_RES},) quiver ordinates",
        "qu": f"({QUIVER_RES}, {QUIVER_RES}) first score component used for sampling",
        "qv": f"({QUIVER_RES}, {QUIVER_RES}) second score component used for sampling",
        "t_field": "time at which the heatmap and arrows are drawn",
        "centers": "(grid², 2) mode centres μ_k",
        "centers_t": "(grid², 2) centres α_t μ_k of p_t",
        "mode_counts": "(grid²,) particles whose nearest centre of p_t is μ_k",
        "mode_fraction": "(grid²,) fraction of particles with posterior weight w_k ≥ 0.9",
        "committed": "fraction of particles committed to some mode",
        "mode_kl": "KL of the nearest-centre frequencies to the uniform weights",
        "rms": "within-mode RMS distance to the nearest centre of p_t, per coordinate",
        "sigma_t": "mode std √(α_t²σ² + var_t) of p_t",
        "stray": "fraction of particles farther than 3·sigma_t from every centre",
        "stray_ref": "that fraction for exact Gaussian modes, e^(−9/2)",
        "alpha_t": "mean factor α(t) of the forward kernel",
        "loss_step": "(m,) training steps of the loss record",
        "loss": "(m,) mean DSM loss of each training chunk",
        "loss_now": "DSM loss of the last training chunk, then of the score used (MC)",
        "loss_floor": "irreducible DSM loss: the loss of the exact score (Monte Carlo)",
        "score_loss_step": "(0 or 1,) abscissa of the score-used marker",
        "score_loss": "(0 or 1,) DSM loss of the score used for sampling (same MC pairs)",
        "train_step": "DSM training steps done",
        "reverse_step": "reverse steps done",
        "forward_step": "forward steps done (0 unless 'forward first')",
        "process": "text: the process being shown (forward noising, training, reverse ...)",
    }
    history_fields = ("loss_step", "loss")
    default_steps_per_frame = 2  # a 1000-step reverse run lasts ~8 s at 60 fps: watchable

    @classmethod
    def hidden_views(cls, p) -> frozenset[str]:
        """The DSM-loss curve only means something while a network is trained."""
        return frozenset() if p["score"] == "network" else frozenset({"loss"})

    @classmethod
    def check(cls, p) -> None:
        check_process(p)
        if p["score"] == "network" and not backend.torch_installed():
            raise ParamError("score", "the network score needs PyTorch, which is not "
                                      "installed; choose exact or empirical")

    # -- the score field display --------------------------------------------------------
    def _field(self, t: float, score_fn: ScoreFn) -> dict[str, np.ndarray]:
        """log p_t on the view square, the score arrows and the centres of p_t at time t."""
        noisy = self.mixture.noised(float(self.schedule.alpha(t)), float(self.schedule.var(t)))
        grid = np.linspace(-self.half, self.half, FIELD_RES)
        gx, gy = np.meshgrid(grid, grid)
        logp = noisy.log_density(np.column_stack([gx.ravel(), gy.ravel()]))
        logp = np.maximum(logp, logp.max() - 20.0).reshape(FIELD_RES, FIELD_RES)
        q = np.linspace(-self.half, self.half, QUIVER_RES)
        qx, qy = np.meshgrid(q, q)
        s = score_fn(np.column_stack([qx.ravel(), qy.ravel()]), t)
        return {"image": logp, "qx": q, "qy": q,
                "qu": s[:, 0].reshape(QUIVER_RES, QUIVER_RES),
                "qv": s[:, 1].reshape(QUIVER_RES, QUIVER_RES),
                "centers_t": noisy.means, "t_field": t}

    def _stats(self, x: np.ndarray, t: float) -> dict[str, Any]:
        """Mode assignment and sample quality of the particles against p_t."""
        alpha = float(self.schedule.alpha(t))
        noisy = self.mixture.noised(alpha, float(self.schedule.var(t)))
        w = mixture_responsibilities(noisy, x)
        mode = w.argmax(axis=1)
        committed = w.max(axis=1) >= COMMITTED
        fraction = np.bincount(mode[committed], minlength=self.mixture.n_components) / len(x)
        sigma_t = float(noisy.sigma[0])
        quality = sample_quality(x, noisy, STRAY_SIGMAS * sigma_t)
        return {"mode": mode, "mode_fraction": fraction, "committed": float(committed.mean()),
                "mode_counts": quality.counts, "mode_kl": quality.mode_kl,
                "rms": quality.rms, "sigma_t": sigma_t, "stray": quality.stray,
                "alpha_t": alpha}

    # -- the run ------------------------------------------------------------------------
    def frames(self) -> Iterator[Frame]:
        p = self.p
        self.mixture = mixture = make_mixture(p)
        self.schedule = schedule = make_schedule(p)
        self.half = max(VIEW_HALF, float(np.abs(mixture.means).max()) + 3 * p["sigma"])
        seed, n = p["seed"], p["n_particles"]
        train_points = mixture.sample(p["n_train"], backend.rng(seed, STREAM_DATA))[0]
        exact = exact_score_fn(mixture, schedule)
        floor = dsm_loss(exact, mixture, schedule, N_MC, backend.rng(seed, STREAM_MC))
        forward_rng = backend.rng(seed, STREAM_FORWARD)
        if p["forward"]:
            x = mixture.sample(n, forward_rng)[0]
        else:
            x = prior_sample(p["prior"], mixture, schedule, n, backend.rng(seed, STREAM_PRIOR))
        k_trails = min(p["n_trails"], n)
        trails = History(shape=(k_trails, 2), capacity=256)
        trails.append(0.0, x[:k_trails])
        base = {"centers": mixture.means, "loss_floor": floor,
                "extent": np.array([-self.half, self.half, -self.half, self.half]),
                "stray_ref": stray_reference(STRAY_SIGMAS, 1.0)}
        step, forward_k, trainer, loss_x, loss_y = 0, 0, None, np.zeros(0), np.zeros(0)

        def frame(t: float, score_fn: ScoreFn, reverse_step: int, process: str) -> Frame:
            field_t = self.p["field_t"] or max(t, 1.0 / p["steps"])
            history = trainer.loss_history if trainer is not None else None
            if len(loss_y):
                loss_now = float(loss_y[0])
            else:  # training: its last chunk; the forward animation: the exact score's floor
                loss_now = float(history.values[-1]) if history else floor
            return {**base, "step": step, "t": t, "process": process, "x": x,
                    "x1": x[:, 0].copy(),
                    "x2": x[:, 1].copy(), "trails": trails.values.transpose(1, 0, 2).copy(),
                    **self._stats(x, t), **self._field(field_t, score_fn),
                    "loss_step": history.x if history else np.zeros(0),
                    "loss": history.values if history else np.zeros(0),
                    "loss_now": loss_now, "score_loss_step": loss_x, "score_loss": loss_y,
                    "train_step": trainer.steps_done if trainer else 0,
                    "forward_step": forward_k, "reverse_step": reverse_step}

        if p["forward"]:
            forward_times = np.linspace(0.0, 1.0, p["steps"] + 1)
            yield frame(0.0, exact, 0, FORWARD_TEXT)
            while forward_k < p["steps"]:
                chunk = frame_chunk(self.steps_per_frame, p["steps"], n, FORWARD_COST)
                for _ in range(min(chunk, p["steps"] - forward_k)):
                    x = forward_step(x, forward_times[forward_k], forward_times[forward_k + 1],
                                     schedule, forward_rng)
                    forward_k += 1
                    trails.append(float(forward_k), x[:k_trails])
                step = forward_k
                yield frame(float(forward_times[forward_k]), exact, 0, FORWARD_TEXT)
            trails.clear()
            trails.append(0.0, x[:k_trails])

        if p["score"] == "network":
            from ..score_net import DSMTrainer

            trainer = DSMTrainer(train_points, schedule, seed, lr=p["lr"], batch=p["batch"])
            while trainer.steps_done < p["train_steps"]:
                trainer.set_lr(self.p["lr"])
                chunk = min(TRAIN_CHUNK, 5 * self.steps_per_frame,
                            p["train_steps"] - trainer.steps_done)
                trainer.train(chunk)
                step += chunk
                yield frame(1.0, trainer.score_fn(), 0, "training the network (DSM)")
            score_fn = trainer.score_fn()
        elif p["score"] == "empirical":
            score_fn = empirical_score_fn(train_points, schedule)
        else:
            score_fn = exact
        loss_x = np.array([float(trainer.steps_done if trainer else 0)])  # training steps only
        loss_y = np.array([self._score_loss(score_fn, floor)])

        run = ReverseRun(x, score_fn, schedule, p["steps"], p["eps_mode"], p["eps"],
                         backend.rng(seed, STREAM_NOISE))
        cost = score_cost(p["score"], p["n_train"], mixture.n_components)
        yield frame(1.0, score_fn, 0, reverse_text(p["eps_mode"], p["eps"]))
        trained = step
        while not run.done:
            run.eps_mode, run.eps_value = self.p["eps_mode"], self.p["eps"]
            for _ in range(frame_chunk(self.steps_per_frame, run.steps, n, cost)):
                run.advance(1)
                trails.append(float(run.k), run.x[:k_trails])
            x = run.x
            step = trained + run.k
            yield frame(run.t, score_fn, run.k, reverse_text(self.p["eps_mode"], self.p["eps"]))

    def _score_loss(self, score_fn: ScoreFn, floor: float) -> float:
        """DSM loss of the score used, on the floor's Monte-Carlo pairs where affordable."""
        p = self.p
        if p["score"] == "exact":
            return floor  # the same pairs give exactly the floor
        n_mc = N_MC if p["score"] == "network" else min(N_MC, int(1e7 // p["n_train"]))
        return dsm_loss(score_fn, self.mixture, self.schedule, n_mc,
                        backend.rng(p["seed"], STREAM_MC))


# -- ch9.revnoise -------------------------------------------------------------------------
EPS_CHOICES = ("0", "0.25", "0.5", "1", "2", "3", "5", "10", "20", "40")
STEP_CHOICES = ("10", "20", "50", "100", "200", "500", "1000", "2000")
ESCAPE = 1e6  # |x| beyond this: the explicit Euler step has blown up
EPS_LABEL = "reverse noise: ε/G (ratio) or ε (constant)"  # plain ε: Qt misplaces the tilde


@register
class ReverseNoiseSweep(Experiment):
    id = "ch9.revnoise"
    title = "Reverse-noise level: from the probability-flow ODE to noisy SDEs"
    section = "9.1"
    family = "Diffusion & U-turn trajectories"
    summary = ("Exercise 9.1.1: the same initial noise sampled with reverse noise ε˜ from 0 "
               "(ODE) to 5β, against the number of steps.")
    explanation = (
        "Any reverse noise level ε˜ ≥ 0 gives a reverse process with the forward marginals, "
        "dy = [f − ½(G + ε˜)s]dt + √ε˜ dW¯: ε˜ = G is Anderson's SDE, ε˜ = 0 the deterministic "
        "probability-flow ODE. With the exact score and fine steps all of them sample the "
        "grid; with coarse steps they differ. The sweep runs every ε˜ from the same initial "
        "noise with shared Brownian increments, one step count after another, and measures "
        "each final cloud: the KL of its mode frequencies to uniform, the within-mode RMS "
        "(target σ) and the fraction of stray points (target: the Gaussian tail). Few steps "
        "with large ε˜ widen the modes and scatter points between them; more steps remove "
        "the effect."
    )
    equations = (
        r"$dy = [f - \frac{1}{2}(G + \tilde\varepsilon)\,\nabla\log p_t(y)]\,dt"
        r" + \sqrt{\tilde\varepsilon}\,d\bar W$",
        r"$\partial_t p = -\nabla\cdot(f p) + \frac{1}{2}\nabla^2(G p) \quad\mathrm{for\ every}"
        r"\ \tilde\varepsilon \geq 0$",
        r"$\mathrm{KL} = \sum_k \hat\pi_k \log(K\hat\pi_k),\quad"
        r" \mathbb{E}\,\mathrm{KL} \approx \frac{K-1}{2N}\ \mathrm{for\ an\ exact\ sampler}$",
        r"$P(\|y - \mu_k\| > r) = e^{-r^2/2\sigma^2}\ \mathrm{(2D\ Gaussian\ tail)}$",
    )
    book_notes = (
        "Exercise 9.1.1(b) asks for a constant ε˜ = ε·1; the lab offers constant values and "
        "multiples of G(t) (ratio 1 is the notebooks' reverse SDE).",
        "There is no notebook for the exercise; the sweep reuses ch9.sgm9's grid, schedules "
        "and exact score. The KL of the exercise is replaced by cheap proxies: the mode "
        "histogram's KL to uniform, the within-mode RMS and the stray fraction, each with its "
        "exact-sampler reference (dashed).",
        "All rows start from the same initial noise and share Brownian increments (common "
        "random numbers), so rows differ only through ε˜.",
    )
    params = (
        *mixture_params(),
        *process_params(),
        Choice("score", "exact", ("exact", "empirical"),
               help="exact: closed-form score of the noised mixture; empirical: the score of "
                    "n_train training points (eq. 9.6)."),
        Int("n_train", 1000, 10, 10_000, log=True, label="training points",
            help="Training set of the empirical score."),
        Int("n_particles", 1000, 10, 20_000, log=True, label="samples per ε˜",
            help="Samples per row; every row starts from the same initial noise."),
        Choice("eps_kind", "ratio", ("ratio", "constant"), label="ε˜ values are",
               help="ratio: each value v gives ε˜ = v·G(t) (v = 1 is the reverse SDE, 0 the "
                    "ODE); constant: each value is ε˜ itself."),
        Multi("eps_values", ("0", "0.5", "1", "2", "5"), EPS_CHOICES, label="ε˜ values",
              help="The rows of the sweep."),
        Multi("step_counts", ("20", "100", "1000"), STEP_CHOICES, label="step counts",
              help="Reverse step counts, run from the fewest to the most."),
        Float("radius", 3.0, 1.0, 5.0, label="stray radius",
              help="A sample is stray if it is farther than radius·σ from every centre."),
        Seed(),
    )
    views = (
        Particles("rows", "Samples per reverse noise ε (rows left to right), same initial noise",
                  area="left", x="px", y="py", color="row", xlabel="x₁ + row offset",
                  ylabel="x₂", equal_aspect=True),
        Curves("kl", "Mode-frequency KL to uniform", series=(
            Series("kl", x="eps_axis", names="count_names"),), hlines=("kl_ref",),
            xlabel=EPS_LABEL, ylabel="KL"),
        Curves("rms", "Within-mode RMS per coordinate (dashed: σ)", series=(
            Series("rms", x="eps_axis", names="count_names"),), hlines=("sigma",),
            xlabel=EPS_LABEL, ylabel="RMS"),
        Curves("stray", "Stray fraction (dashed: Gaussian tail)", series=(
            Series("stray", x="eps_axis", names="count_names"),), hlines=("stray_ref",),
            xlabel=EPS_LABEL, ylabel="fraction"),
        Readout("readout", "Sweep", area="bottom", lines=(
            ("rows_text", "rows, left to right", "{}"),
            ("steps_now", "step count running", "{:d}"),
            ("t", "reverse time t", "{:.4f}"),
            ("cells_done", "cells done", "{:d}"),
            ("cells_total", "cells in the sweep", "{:d}"),
            ("kl_ref", "KL of an exact sampler ≈ (K−1)/2N", "{:.4f}"),
            ("sigma", "mode std σ", "{:.3f}"),
            ("stray_ref", "Gaussian tail", "{:.4f}"),
        )),
    )
    frame_fields = {
        "px": "(rows·n,) first coordinates, row j shifted right by j row widths",
        "py": "(rows·n,) second coordinates",
        "row": "(rows·n,) index of the ε˜ row of each sample",
        "eps_axis": "(rows,) the ε˜ values (ratios or constants)",
        "count_names": "(step counts,) legend labels",
        "kl": "(step counts, rows) mode-frequency KL to uniform; NaN until computed",
        "rms": "(step counts, rows) within-mode RMS per coordinate; NaN until computed",
        "stray": "(step counts, rows) fraction of stray samples; NaN until computed",
        "kl_ref": "expected KL of exact samples, (K − 1)/(2n)",
        "sigma": "mode std σ (the RMS target)",
        "stray_ref": "Gaussian tail P(‖z‖ > radius·σ), the stray target",
        "rows_text": "the ε˜ of the rows as text",
        "steps_now": "step count of the run in progress",
        "cells_done": "(ε˜, steps) cells measured so far",
        "cells_total": "cells in the sweep",
    }
    nonfinite_fields = frozenset({"kl", "rms", "stray"})
    default_steps_per_frame = 2  # the sweep lasts ~12 s at 60 fps, not 2 s

    @classmethod
    def check(cls, p) -> None:
        check_process(p)
        for name in ("eps_values", "step_counts"):
            if not p[name]:
                raise ParamError(name, "choose at least one value")

    def frames(self) -> Iterator[Frame]:
        p = self.p
        mixture, schedule = make_mixture(p), make_schedule(p)
        seed, n = p["seed"], p["n_particles"]
        eps = np.array([float(v) for v in p["eps_values"]])
        counts = [int(v) for v in p["step_counts"]]
        rows = len(eps)
        if p["score"] == "empirical":
            points = mixture.sample(p["n_train"], backend.rng(seed, STREAM_DATA))[0]
            score_fn = empirical_score_fn(points, schedule)
        else:
            score_fn = exact_score_fn(mixture, schedule)
        start = prior_sample(p["prior"], mixture, schedule, n, backend.rng(seed, STREAM_PRIOR))
        width = 2.0 * (float(np.abs(mixture.means).max()) + 4.0 * p["sigma"]) + 2.0
        shift = np.repeat(np.arange(rows) * width, n)
        row = np.repeat(np.arange(rows), n)
        unit = "ε/G" if p["eps_kind"] == "ratio" else "ε"
        table = {name: np.full((len(counts), rows), np.nan) for name in ("kl", "rms", "stray")}
        fixed = {
            "eps_axis": eps, "row": row,
            "count_names": np.array([f"{c} steps" for c in counts]),
            "kl_ref": (mixture.n_components - 1) / (2.0 * n), "sigma": p["sigma"],
            "stray_ref": stray_reference(p["radius"] * p["sigma"], p["sigma"]),
            "rows_text": f"{unit} = " + ", ".join(f"{v:g}" for v in eps),
            "cells_total": rows * len(counts),
        }
        cost = score_cost(p["score"], p["n_train"], mixture.n_components)
        step, done = 0, 0
        for si, steps in enumerate(counts):
            run = ReverseRun(np.tile(start, (rows, 1)), score_fn, schedule, steps,
                             p["eps_kind"], np.repeat(eps, n)[:, None],
                             backend.rng(seed, STREAM_NOISE, steps), shared_rows=rows)
            while not run.done:
                step += run.advance(frame_chunk(self.steps_per_frame, steps, rows * n, cost))
                if not np.all(np.abs(run.x) < ESCAPE):
                    raise Diverged(step, f"the Euler step blew up with {steps} steps at "
                                         f"t = {run.t:.3g}; use smaller ε˜ or more steps")
                if run.done:
                    for j in range(rows):
                        q = sample_quality(run.x[j * n:(j + 1) * n], mixture,
                                           p["radius"] * p["sigma"])
                        table["kl"][si, j], table["rms"][si, j] = q.mode_kl, q.rms
                        table["stray"][si, j] = q.stray
                    done += rows
                yield {**fixed, "step": step, "t": run.t, "px": run.x[:, 0] + shift,
                       "py": run.x[:, 1].copy(), "steps_now": steps, "cells_done": done,
                       **{k: v.copy() for k, v in table.items()}}
