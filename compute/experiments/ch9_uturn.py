"""§9.3.1, Exercise 9.3.1: U-turn diffusion on the Gaussian grid (the headline panel)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import backend
from ..diffusion import ReverseRun, ScoreFn, empirical_score_fn, exact_score_fn, frame_chunk
from ..experiment import Diverged, Experiment, Frame
from ..history import Window
from ..params import Bool, Choice, Float, Int, ParamError, Seed
from ..registry import register
from ..uturn import (
    GH_NODES,
    QUANTILES,
    UTurnTally,
    bridge_sample,
    crossing_time,
    empirical_probes,
    independent_distance,
    posterior_uturn,
    return_statistics,
    speciation_time,
    top_eigenvalue,
    uturn_law,
    within_mode_distance,
)
from ..views import Bubbles, Curves, Heatmap, Histogram, Particles, Readout, Series
from .ch9_sgm import (
    TRAIN_CHUNK,
    check_process,
    make_mixture,
    make_schedule,
    mixture_params,
    process_params,
    score_cost,
)

SCORES = ("posterior", "exact", "empirical", "network")
CURVE_TU = np.linspace(0.01, 1.0, 100)  # abscissae of the exact curves
MEMO_T = np.geomspace(1e-4, 1.0, 41)  # times of the P_ret curve behind the collapse marker
N_PROBES = 256  # probes of P_ret (its SE is below 0.03)
CURVE_BUDGET = 6e5  # quadrature/probe units per frame (~0.05 s)
SWEEP_START = 0.02  # the notebook's T_u grid is linspace(0.02, 1, 20)
SHOW = 3000  # particles drawn
FAN = 48  # paths of the U view
FAN_POINTS = 150  # recorded points per leg of a path
TRAILS, TRAIL_LEN = 6, 60  # trails in the particle view
HIST_BINS = 60
DENSITY_POINTS = 241
NET_LR = 1e-3  # ch9.sgm9's default learning rate
PHASES = ("training", "out", "back", "hold")
TRAINING, OUT, BACK, HOLD = range(4)
STREAM_DATA, STREAM_SEEDS, STREAM_NOISE, STREAM_PATHS, STREAM_PROBES = 0, 10, 11, 12, 13


def tally_key(tu: float) -> float:
    """T_u rounded to 1e-3: U-turns at the same key are merged (at most 1000 keys)."""
    return round(tu, 3)


@register
class UTurnDiffusion(Experiment):
    id = "ch9.uturn"
    title = "U-turn diffusion on the Gaussian grid"
    section = "9.3.1"
    family = "Diffusion & U-turn trajectories"
    summary = ("Seeds noised to T_u and brought back: mode retention, seed distance and the "
               "mode transition matrix against their exact posterior curves.")
    explanation = (
        "Each U-turn takes a seed x₀ from the grid of Gaussian modes, noises it forward to the "
        "time T_u with the exact kernel, and runs the reverse process back to 0 (particles "
        "coloured by their source mode go out along the time bar and come back). With the "
        "exact score the way back samples the posterior p(x₀ | x_Tu), which for a mixture is "
        "known in closed form: the 'posterior' score draws it directly, 'exact' integrates the "
        "reverse SDE, 'empirical' uses the score of n_train training points, 'network' a "
        "score trained live. Drag T_u: below the memorization time y₀ returns next to its "
        "seed; between memorization and speciation it wanders inside the mode; past the "
        "speciation time t_s (α²Λ = 1, Λ the top eigenvalue of the data covariance) it lands "
        "in other modes, the centre first (8 neighbours) and the corners last. Lines are the "
        "exact quadrature curves; dots are Monte-Carlo U-turns at every T_u visited (the "
        "sweep fills the notebook's 20 values)."
    )
    equations = (
        r"$x_{T_u} = \alpha x_0 + \sqrt{\mathrm{var}}\,\varepsilon,\quad"
        r" y_0 \sim p(x_0\,|\,x_{T_u}) = \sum_k w_k(x_{T_u})\,\mathcal{N}(m_k,\,c\,I)$",
        r"$m_k = \mu_k + \frac{\alpha\sigma^2}{v}(x_{T_u} - \alpha\mu_k),\quad"
        r" c = \frac{\sigma^2\,\mathrm{var}}{v},\quad v = \alpha^2\sigma^2 + \mathrm{var}$",
        r"$P_{\mathrm{same}}(T_u) = \mathbb{E}_{x\sim p_{T_u}}\sum_k w_k(x)^2"
        r" \to \sum_k \pi_k^2\ (T_u \to 1)$",
        r"$C(T_u) = \frac{\mathrm{tr\,Cov}(\mathbb{E}[x_0|x_{T_u}])}{\mathrm{tr\,Cov}(x_0)},\quad"
        r" \mathbb{E}\|y_0 - x_0\| \approx \sqrt{\pi\sigma^2\mathrm{var}/v}"
        r"\ \mathrm{(small}\ T_u)$",
        r"$\alpha(t_s)^2\,\Lambda = 1,\quad \Lambda = \frac{2}{3}s^2 + \sigma^2\ (3\times 3),"
        r"\quad P_{\mathrm{ret}}(t_c) = \mathbb{E}\sum_n w_n(x_{t_c})^2 = \frac{1}{2}$",
    )
    book_notes = (
        "The book describes U-turns in words (§9.3.1) and Exercise 9.3.1 points to the 02-SGM "
        "notebook; the analysis notebook 04-UTurn-9grid_analysis is not cited. The lab "
        "follows the notebook: VP-SDE with β from 0.1 to 20, σ = 0.5, 300 reverse steps, "
        "1024 U-turns per T_u, T_u on linspace(0.02, 1, 20) in the sweep.",
        "The notebook uses a trained network; the lab's default is the exact posterior, "
        "which the reverse SDE with the exact score samples (the derivation is not in the "
        "book). It makes every statistic instant while T_u is dragged.",
        "mode(x₀) is the component that drew the seed and mode(y₀) the nearest centre, as in "
        "the notebook; the exact curves count components of the posterior. The two agree "
        "when modes are well separated (default σ = 0.5, s = 6); at large σ/s they differ.",
        "The exact curves hold for the reverse SDE (eps = 1). With eps ≠ 1 (eps = 0: the "
        "probability-flow ODE, a deterministic U-turn) the Monte-Carlo dots leave the lines; "
        "the 'posterior' score ignores eps.",
        "The speciation estimate α²Λ = 1 comes from refs [78, 79] (high dimension, var ≈ 1). "
        "For the Brownian schedule (α = 1) the lab uses the same signal-to-noise criterion "
        "var(t_s) = Λ.",
        "The memorization (collapse) marker is the time where the empirical score of n_train "
        "training points returns a U-turn to its own training point with probability ½; the "
        "exact and posterior scores (N → ∞) never memorize. With the empirical score the "
        "seeds are training points (its data law), so below that time y₀ comes back onto "
        "its own seed.",
    )
    params = (
        Float("Tu", 0.5, 0.005, 1.0, live=True, label="U-turn time T_u",
              help="Time the seeds are noised to before the reverse process brings them back. "
                   "Ignored during a sweep."),
        *mixture_params(),
        *(q for q in process_params() if q.name != "prior"),
        Choice("score", "posterior", SCORES,
               help="posterior: exact draw of p(x₀ | x_Tu), no SDE (instant); exact: reverse "
                    "SDE with the closed-form score; empirical: reverse SDE with the score of "
                    "n_train points, seeds drawn from them (memorizes); network: the "
                    "notebooks' MLP trained live by DSM on the training points (needs "
                    "PyTorch)."),
        Int("batch", 1024, 128, 200_000, log=True, label="U-turns per T_u",
            help="Seeds per U-turn batch (notebook: 1024). The posterior score handles 2e5."),
        Int("steps", 300, 20, 2000, label="reverse steps",
            help="Euler–Maruyama steps from T_u back to 0 (notebook: 300); the way out is "
                 "drawn with as many."),
        Float("eps", 1.0, 0.0, 5.0, live=True, label="reverse noise ε˜/G",
              help="Reverse noise ε˜ = eps·G(t): 1 is the reverse SDE, 0 the probability-flow "
                   "ODE. A change clears the Monte-Carlo dots. Unused by 'posterior'."),
        Int("source_mode", -1, -1, 24, live=True, label="source mode",
            help="Mode whose U-turns the bubbles and the second curve follow (index "
                 "row·grid + column from the bottom left); −1: the mode nearest the origin."),
        Int("n_train", 1000, 10, 10_000, log=True, label="training points",
            help="Training set of the empirical score, of the network and of the "
                 "memorization marker (notebooks: 1000)."),
        Int("train_steps", 8000, 100, 200_000, log=True, label="training steps",
            help="Adam steps of DSM training when score = network."),
        Bool("sweep", False, label="sweep T_u",
             help="Run batches at n_sweep values of T_u from 0.02 to 1 and stop."),
        Int("n_sweep", 20, 5, 100, label="sweep points",
            help="Number of T_u values of the sweep (notebook: 20)."),
        Seed(default=123),
    )
    views = (
        Particles("particles", "U-turn particles (colour = source mode)", area="left",
                  x="x1", y="x2", color="shown_source", trails="trails", xlabel="x₁",
                  ylabel="x₂", equal_aspect=True),
        Curves("fan", "The U: x₁ out to T_u (right) and back to 0", area="left",
               series=(Series("fan_x", x="fan_tau", label="paths", style="fan",
                              classes="fan_source"),),
               vlines=("Tu", "tau"), xlabel="out-and-back time τ (turn at τ = T_u)",
               ylabel="x₁"),
        Curves("p_same", "Return to the same mode", series=(
            Series("curve_p_same", x="curve_Tu", label="exact, all modes"),
            Series("curve_p_source", x="curve_Tu", label="exact, source mode"),
            Series("mc_p_same", x="mc_Tu", label="Monte Carlo, all", style="dots"),
            Series("mc_p_source", x="mc_Tu", label="Monte Carlo, source", style="dots"),
        ), hlines=("p_floor",), vlines=("Tu", "t_speciation", "t_memorization_marker"),
            xlabel="T_u", ylabel="P(mode y₀ = mode x₀)"),
        Curves("autocorr", "U-turn auto-correlation", series=(
            Series("curve_autocorr", x="curve_Tu", label="exact"),
            Series("mc_autocorr", x="mc_Tu", label="Monte Carlo", style="dots"),
        ), vlines=("Tu", "t_speciation"), xlabel="T_u", ylabel="C = Cov(x₀, y₀)/Var(x₀)"),
        Curves("distance", "Mean seed distance ‖y₀ − x₀‖", series=(
            Series("curve_distance", x="curve_Tu", label="exact"),
            Series("curve_distance_within", x="curve_Tu", label="within mode √(πσ²var/v)"),
            Series("mc_distance", x="mc_Tu", label="Monte Carlo", style="dots"),
        ), hlines=("distance_independent",), vlines=("Tu",), xlabel="T_u",
            ylabel="E‖y₀ − x₀‖"),
        Histogram("histogram", "Seed distances at T_u", edges="dist_edges", values="dist_hist",
                  reference=("dist_r", "dist_density"), xlabel="‖y₀ − x₀‖",
                  reference_label="exact (Rice mixture)"),
        Heatmap("transition", "Mode transition matrix P(mode y₀ = j | mode x₀ = i)",
                field="transition", extent="transition_extent", levels=(0.0, 1.0),
                xlabel="mode j of y₀", ylabel="source mode i"),
        Bubbles("bubbles", "Speciation from the source mode (ringed)", centers="centers",
                values="bubble_values", highlight="source"),
        Readout("readout", "U-turn statistics: Monte Carlo (± binomial SE) | exact",
                area="bottom", lines=(
                    ("process_text", "T_u · phase · t · U-turns at T_u", "{}"),
                    ("p_same_text", "P(same mode)", "{}"),
                    ("p_source_text", "P(same mode | source mode)", "{}"),
                    ("autocorr_text", "auto-correlation C", "{}"),
                    ("distance_text", "mean ‖y₀ − x₀‖", "{}"),
                    ("quantiles", "‖y₀ − x₀‖ quantiles 10/25/50/75/90 %", "{}"),
                    ("markers_text", "t_s (α²Λ = 1) · t_c (P_ret = ½) · curves · sweep", "{}"),
                )),
    )
    frame_fields = {
        "Tu": "U-turn time of the current batch",
        "alpha_Tu": "α(T_u)",
        "phase": "0 training, 1 out (forward noising), 2 back (reverse), 3 hold",
        "phase_name": "name of the phase",
        "tau": "out-and-back time: t on the way out, 2T_u − t on the way back",
        "x1": "(n_show,) first coordinates of the drawn particles (n_show = min(batch, 3000))",
        "x2": "(n_show,) second coordinates of the drawn particles",
        "shown_source": "(n_show,) source mode of the drawn particles",
        "trails": f"({TRAILS}, m, 2) recent positions of a few particles",
        "fan_tau": f"({2 * FAN_POINTS + 1},) out-and-back times of the recorded path points",
        "fan_x": f"(≤{FAN}, {2 * FAN_POINTS + 1}) x₁ along the U of tracked seeds (NaN: ahead)",
        "fan_source": f"(≤{FAN},) source modes of the tracked seeds",
        "y0": "(batch, 2) end points of the last finished U-turn batch (NaN before one)",
        "n_uturns": "U-turns recorded at this T_u (merged over batches)",
        "p_same": "P(nearest mode of y₀ = source mode of x₀), Monte Carlo (NaN before a batch)",
        "p_same_se": "binomial standard error of p_same",
        "p_same_exact": "exact P_same = E Σ_k w_k² at T_u (quadrature)",
        "p_same_source": "P(same mode | seed from the source mode), Monte Carlo",
        "p_same_source_exact": "exact P(same | source mode) = T_ss",
        "autocorr": "U-turn auto-correlation tr Cov(x₀, y₀)/tr Cov(x₀), Monte Carlo",
        "autocorr_exact": "exact auto-correlation tr Cov(E[x₀|x])/tr Cov(x₀)",
        "seed_distance": "mean ‖y₀ − x₀‖, Monte Carlo",
        "seed_distance_exact": "exact mean ‖y₀ − x₀‖ (Rice mixture)",
        "quantiles": "text: quantiles 0.1, 0.25, 0.5, 0.75, 0.9 of ‖y₀ − x₀‖ in the last batch",
        "p_same_text": "text: p_same ± p_same_se | p_same_exact",
        "p_source_text": "text: p_same_source | p_same_source_exact",
        "autocorr_text": "text: autocorr | autocorr_exact",
        "distance_text": "text: seed_distance | seed_distance_exact",
        "process_text": "text: T_u, phase, t and n_uturns (network: training step and loss)",
        "markers_text": "text: t_speciation, t_memorization, curve_progress, progress",
        "transition": "(grid², grid²) Monte-Carlo P(mode y₀ = j | mode x₀ = i) at T_u",
        "transition_extent": "(4,) extent of the transition heatmap",
        "centers": "(grid², 2) mode centres μ_k",
        "bubble_values": "(grid²,) row of the transition matrix from the source mode",
        "source": "index of the source mode",
        "dist_edges": f"({HIST_BINS + 1},) bin edges of the seed-distance histogram",
        "dist_hist": f"({HIST_BINS},) density of ‖y₀ − x₀‖ over the U-turns at T_u",
        "dist_r": f"({DENSITY_POINTS},) radii of the exact density",
        "dist_density": f"({DENSITY_POINTS},) exact density of ‖y₀ − x₀‖ at T_u",
        "curve_Tu": f"({len(CURVE_TU)},) T_u grid of the exact curves",
        "curve_p_same": f"({len(CURVE_TU)},) exact P_same(T_u) (NaN: not computed yet)",
        "curve_p_source": f"({len(CURVE_TU)},) exact P(same | source mode)",
        "curve_autocorr": f"({len(CURVE_TU)},) exact C(T_u)",
        "curve_distance": f"({len(CURVE_TU)},) exact E‖y₀ − x₀‖",
        "curve_distance_within": f"({len(CURVE_TU)},) within-mode closed form √(πσ²var/v)",
        "distance_independent": "E‖x − x′‖ for independent draws (the T_u → 1 limit)",
        "p_floor": "collision floor Σ_k π_k² (1/grid²)",
        "mc_Tu": "(m,) T_u values visited (keys rounded to 1e-3)",
        "mc_p_same": "(m,) Monte-Carlo P_same at each visited T_u",
        "mc_p_source": "(m,) Monte-Carlo P(same | source mode) (NaN: no seed from it)",
        "mc_autocorr": "(m,) Monte-Carlo auto-correlation",
        "mc_distance": "(m,) Monte-Carlo mean seed distance",
        "t_speciation": "speciation time t_s from α(t_s)²Λ = 1",
        "t_memorization": "time where P_ret of n_train training points is ½ (NaN: not yet)",
        "t_memorization_marker": "t_memorization for the marker line (0 until computed)",
        "lambda_top": "top eigenvalue Λ of the data covariance",
        "train_step": "DSM training steps done (network score)",
        "loss_last": "mean DSM loss of the last training chunk (NaN without training)",
        "progress": "fraction of the sweep done (0 outside a sweep)",
        "curve_progress": "fraction of the exact curves computed",
    }
    nonfinite_fields = frozenset({
        "fan_x", "y0", "p_same", "p_same_se", "p_same_source", "autocorr", "seed_distance",
        "curve_p_same", "curve_p_source", "curve_autocorr", "curve_distance", "mc_p_source",
        "t_memorization", "loss_last",
    })
    default_steps_per_frame = 4

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        if self.p["score"] == "network":
            self.device = backend.resolve_device(device)
        self._restart = self._clear = self._source_changed = False

    @classmethod
    def check(cls, p) -> None:
        check_process(p)
        if p["source_mode"] >= p["grid"] ** 2:
            raise ParamError("source_mode", f"the grid has {p['grid'] ** 2} modes "
                                            f"(0 to {p['grid'] ** 2 - 1}, or −1 for the centre)")
        if p["score"] == "network" and not backend.torch_installed():
            raise ParamError("score", "the network score needs PyTorch, which is not installed; "
                                      "choose posterior, exact or empirical")

    def on_live_change(self, names: set[str]) -> None:
        if "Tu" in names:
            self._restart = True
        if "eps" in names and self.p["score"] != "posterior":
            self._restart = self._clear = True
        if "source_mode" in names:
            self._source_changed = True

    # -- set-up ---------------------------------------------------------------------------
    def _source(self) -> int:
        if self.p["source_mode"] >= 0:
            return self.p["source_mode"]
        return int(np.argmin((self.mixture.means**2).sum(axis=1)))

    def _set_tu(self, tu: float) -> None:
        """The exact law at T_u and everything drawn from it."""
        self.tu = tu
        self.alpha, self.var = float(self.schedule.alpha(tu)), float(self.schedule.var(tu))
        self.law = uturn_law(self.mixture, self.alpha, self.var)
        self.law_distance = self.law.distance_mean()
        self.density = self.law.distance_density(self.dist_r)
        self.times = np.linspace(0.0, tu, self.p["steps"] + 1)
        self.fan_tau = np.concatenate([self.times[self.fan_idx],
                                       2 * tu - self.times[self.fan_idx[::-1][1:]]])

    def _curve_work(self) -> Iterator[float]:
        """The exact curves and the collapse marker, one point per item; yields its cost."""
        p, mix = self.p, self.mixture
        seeds, noise = empirical_probes(self.train_points, N_PROBES,
                                        backend.rng(p["seed"], STREAM_PROBES))
        p_ret = np.full(len(MEMO_T), np.nan)
        for i, t in enumerate(MEMO_T):
            p_ret[i] = return_statistics(self.train_points, float(self.schedule.alpha(t)),
                                         float(self.schedule.var(t)), seeds, noise)[0]
            self.t_memorization = crossing_time(MEMO_T, p_ret, 0.5, log=True)
            yield N_PROBES * p["n_train"]
            if np.isfinite(self.t_memorization):
                break
        k = mix.n_components
        for i, tu in enumerate(CURVE_TU):
            law = uturn_law(mix, float(self.schedule.alpha(tu)), float(self.schedule.var(tu)))
            self.curve_T[i] = law.transition
            self.curve["p_same"][i] = law.p_same
            self.curve["autocorr"][i] = law.autocorr
            self.curve["distance"][i] = law.distance_mean()
            self.curves_done = i + 1
            yield k * k * GH_NODES**2

    def _advance_curves(self) -> None:
        spent = 0.0
        while spent < CURVE_BUDGET:
            try:
                spent += next(self.work)
            except StopIteration:
                return
            self.curves_changed = True

    # -- U-turn batches -------------------------------------------------------------------
    def _record(self, x0: np.ndarray, source: np.ndarray, y0: np.ndarray) -> None:
        tally = self.tallies.get(tally_key(self.tu))
        if tally is None:
            tally = self.tallies[tally_key(self.tu)] = UTurnTally(self.mixture.n_components,
                                                                  self.dist_edges)
        dist = tally.add(x0, source, y0, self.mixture.nearest(y0))
        qs = np.quantile(dist, QUANTILES)
        self.quantiles = " / ".join(f"{q:.3g}" for q in qs)
        self.y0 = y0
        self.mc_changed = True

    def _start_cycle(self) -> None:
        """New seeds at the current T_u; the posterior score finishes the batch now."""
        p = self.p
        n = p["batch"]
        if p["score"] == "posterior":
            x0, source, xt, y0 = posterior_uturn(self.mixture, self.alpha, self.var, n,
                                                 self.seed_rng)
            self._record(x0, source, y0)
            self.target = y0[: self.n_show]
            self.run = None
        else:
            x0, source = self._seeds(n)
            xt = self.alpha * x0 + np.sqrt(self.var) * self.seed_rng.standard_normal(x0.shape)
            self.run = ReverseRun(xt, self.score_fn, self.schedule, p["steps"], "ratio",
                                  p["eps"], self.noise_rng, t_start=self.tu)
        self.x0, self.source, self.xt = x0, source, xt
        self.shown = x0[: self.n_show].copy()
        self.fan = np.full((min(FAN, n), len(self.fan_tau)), np.nan)
        self.trail_window.clear()
        self.phase, self.k = OUT, 0
        self._track()

    def _seeds(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Seeds and their modes: training points for the empirical score, else draws of p₀.

        The empirical score's data law is its training set, so its U-turns start there and,
        below the collapse time, come back onto the same point.
        """
        if self.p["score"] == "empirical":
            idx = self.seed_rng.integers(len(self.train_points), size=n)
            return self.train_points[idx], self.train_labels[idx]
        return self.mixture.sample(n, self.seed_rng)

    def _track(self) -> None:
        """Record the drawn positions in the trails and, on the recorded steps, the fan."""
        self.trail_window.append(self.k, self.shown[:TRAILS])
        steps = self.p["steps"]
        pos = self.k if self.phase == OUT else 2 * steps - self.k
        if self.phase in (OUT, BACK):
            col = np.searchsorted(self.fan_step, pos)
            if col < len(self.fan_step) and self.fan_step[col] == pos:
                self.fan[:, col] = self.shown[: len(self.fan), 0]

    def _step_out(self, n: int) -> None:
        for _ in range(n):
            if self.k >= self.p["steps"]:
                break
            t, t_next = self.times[self.k], self.times[self.k + 1]
            self.shown = bridge_sample(self.shown, t, self.xt[: self.n_show], self.tu, t_next,
                                       self.schedule, self.path_rng)
            self.k += 1
            self._track()

    def _step_back(self, n: int) -> None:
        steps = self.p["steps"]
        if self.run is None:  # the posterior's way back: the bridge to the drawn y₀
            for _ in range(n):
                if self.k <= 0:
                    break
                self.shown = bridge_sample(self.target, 0.0, self.shown, self.times[self.k],
                                           self.times[self.k - 1], self.schedule, self.path_rng)
                self.k -= 1
                self._track()
            return
        self.run.eps_value = self.p["eps"]
        for _ in range(n):
            if self.run.done:
                break
            self.run.advance(1)
            self.k = steps - self.run.k
            if not np.isfinite(self.run.x).all():
                raise Diverged(self.step, f"the reverse process with the {self.p['score']} "
                                          f"score left the finite range at t = {self.run.t:.4g}")
            self.shown = self.run.x[: self.n_show]
            self._track()
        if self.run.done:
            self._record(self.x0, self.source, self.run.x)

    def _chunk(self, requested: int, total: int) -> int:
        """Reverse steps this frame: the speed, capped by the frame budget of the score."""
        if self.p["score"] == "posterior":
            return requested
        cost = score_cost(self.p["score"], self.p["n_train"], self.mixture.n_components)
        return frame_chunk(requested, total, self.p["batch"], cost)

    # -- the run --------------------------------------------------------------------------
    def frames(self) -> Iterator[Frame]:
        p = self.p
        self.mixture = mix = make_mixture(p)
        self.schedule = make_schedule(p)
        k, seed = mix.n_components, p["seed"]
        self.train_points, self.train_labels = mix.sample(p["n_train"],
                                                          backend.rng(seed, STREAM_DATA))
        self.seed_rng = backend.rng(seed, STREAM_SEEDS)
        self.noise_rng = backend.rng(seed, STREAM_NOISE)
        self.path_rng = backend.rng(seed, STREAM_PATHS)
        self.n_show = min(p["batch"], SHOW)
        reach = float(np.abs(mix.means).max()) * 2 * np.sqrt(2) + 6 * np.sqrt(2) * p["sigma"]
        self.dist_edges = np.linspace(0.0, reach, HIST_BINS + 1)
        self.dist_r = np.linspace(0.0, reach, DENSITY_POINTS)
        stride = max(1, p["steps"] // FAN_POINTS)
        self.fan_idx = np.unique(np.append(np.arange(0, p["steps"] + 1, stride), p["steps"]))
        self.fan_step = np.concatenate([self.fan_idx, 2 * p["steps"] - self.fan_idx[::-1][1:]])
        self.trail_window = Window(shape=(min(TRAILS, self.n_show), 2), capacity=TRAIL_LEN)
        self.tallies: dict[float, UTurnTally] = {}
        self.curve_T = np.full((len(CURVE_TU), k, k), np.nan)
        self.curve = {name: np.full(len(CURVE_TU), np.nan)
                      for name in ("p_same", "autocorr", "distance")}
        self.curves_done, self.t_memorization = 0, float("nan")
        self.work = self._curve_work()
        self.curves_changed = self.mc_changed = True
        self.y0 = np.full((p["batch"], 2), np.nan)
        self.quantiles = "—"
        self.step = 0
        sweep_tu = np.linspace(SWEEP_START, 1.0, p["n_sweep"])
        self.t_speciation = speciation_time(mix, self.schedule)
        sweep_index = 0
        const = {
            "centers": mix.means,
            "transition_extent": np.array([-0.5, k - 0.5, -0.5, k - 0.5]),
            "dist_edges": self.dist_edges,
            "dist_r": self.dist_r,
            "curve_Tu": CURVE_TU,
            "curve_distance_within": np.array([
                within_mode_distance(p["sigma"], float(self.schedule.alpha(t)),
                                     float(self.schedule.var(t))) for t in CURVE_TU]),
            "distance_independent": independent_distance(mix),
            "p_floor": float(np.sum(mix.weights**2)),
            "t_speciation": self.t_speciation,
            "lambda_top": top_eigenvalue(mix),
        }
        self._set_tu(sweep_tu[0] if p["sweep"] else p["Tu"])

        trainer = None
        self.score_fn: ScoreFn | None = None
        if p["score"] == "network":
            from ..score_net import DSMTrainer

            self.phase, self.k = TRAINING, 0
            self.x0, self.source = self._seeds(p["batch"])
            self.shown = self.x0[: self.n_show]
            self.fan = np.full((min(FAN, p["batch"]), len(self.fan_tau)), np.nan)
            self.trail_window.append(0, self.shown[:TRAILS])
            loss = float("nan")
            yield self._frame(const, trainer, loss, 0.0)
            trainer = DSMTrainer(self.train_points, self.schedule, seed, self.device, lr=NET_LR)
            while trainer.steps_done < p["train_steps"]:
                chunk = min(TRAIN_CHUNK, 5 * self.steps_per_frame,
                            p["train_steps"] - trainer.steps_done)
                loss = trainer.train(chunk)
                self.step += chunk
                self._advance_curves()
                yield self._frame(const, trainer, loss, 0.0)
            self.score_fn = trainer.score_fn()
        elif p["score"] == "empirical":
            self.score_fn = empirical_score_fn(self.train_points, self.schedule)
        elif p["score"] == "exact":
            self.score_fn = exact_score_fn(mix, self.schedule)
        loss = float(trainer.loss_history.values[-1]) if trainer else float("nan")

        self._start_cycle()
        while True:
            progress = 0.0
            if p["sweep"]:
                if self.phase == OUT:  # a sweep draws the way out in one frame
                    self._step_out(p["steps"])
                    self.phase = BACK
                if self.phase == BACK:
                    # the whole sweep is the run shown in ≥ MIN_FRAMES frames
                    self._step_back(self._chunk(p["steps"], p["steps"] * p["n_sweep"]))
                    if self.k <= 0:
                        self.phase = HOLD
                progress = (sweep_index + (1 - self.k / p["steps"])) / p["n_sweep"]
            else:
                if self._restart:
                    self._restart = False
                    if self._clear:
                        self._clear = False
                        self.tallies.clear()
                        self.mc_changed = True
                    if self.p["Tu"] != self.tu:
                        self._set_tu(self.p["Tu"])
                    self._start_cycle()
                self._advance_phase()
            self.step += self.steps_per_frame
            self._advance_curves()
            yield self._frame(const, trainer, loss, progress)
            if p["sweep"] and self.phase == HOLD:
                sweep_index += 1
                if sweep_index == p["n_sweep"]:
                    return
                self._set_tu(sweep_tu[sweep_index])
                self._start_cycle()

    def _advance_phase(self) -> None:
        """Move the live U along by the speed: out, back, hold, then new seeds."""
        steps, n = self.p["steps"], self.steps_per_frame
        if self.phase == OUT:
            self._step_out(n)
            if self.k >= steps:
                self.phase = BACK
        elif self.phase == BACK:
            self._step_back(self._chunk(n, steps))
            if self.k <= 0:
                self.phase, self.hold = HOLD, 0
        else:
            self.hold += n
            if self.hold >= max(1, steps // 2):
                self._start_cycle()

    # -- frames ---------------------------------------------------------------------------
    def _mc_arrays(self) -> dict[str, np.ndarray]:
        keys = sorted(self.tallies)
        source = self._source()
        tallies = [self.tallies[key] for key in keys]
        return {
            "mc_Tu": np.array(keys, dtype=float),
            "mc_p_same": np.array([t.p_same for t in tallies]),
            "mc_p_source": np.array([t.p_same_from(source) for t in tallies]),
            "mc_autocorr": np.array([t.autocorr for t in tallies]),
            "mc_distance": np.array([t.distance_mean for t in tallies]),
        }

    def _curve_arrays(self) -> dict[str, Any]:
        s = self._source()
        return {
            "curve_p_same": self.curve["p_same"].copy(),
            "curve_p_source": self.curve_T[:, s, s].copy(),
            "curve_autocorr": self.curve["autocorr"].copy(),
            "curve_distance": self.curve["distance"].copy(),
            "curve_progress": self.curves_done / len(CURVE_TU),
        }

    def _stats(self) -> dict[str, Any]:
        """Monte-Carlo statistics at T_u (NaN before a batch) next to the exact ones."""
        s, law, nan = self._source(), self.law, float("nan")
        tally = self.tallies.get(tally_key(self.tu))
        if tally is not None:
            transition = tally.transition
            mc = {"p_same": tally.p_same,
                  "p_same_se": float(np.sqrt(tally.p_same * (1 - tally.p_same) / tally.n)),
                  "p_same_source": tally.p_same_from(s), "autocorr": tally.autocorr,
                  "seed_distance": tally.distance_mean, "dist_hist": tally.density(),
                  "n_uturns": tally.n}
        else:
            transition = np.zeros((self.mixture.n_components,) * 2)
            mc = {"p_same": nan, "p_same_se": nan, "p_same_source": nan, "autocorr": nan,
                  "seed_distance": nan, "dist_hist": np.zeros(HIST_BINS), "n_uturns": 0}
        exact = {"p_same_exact": law.p_same, "p_same_source_exact": float(law.transition[s, s]),
                 "autocorr_exact": law.autocorr, "seed_distance_exact": self.law_distance}

        def pair(name: str, exact_name: str, se: str = "") -> str:
            value = f"{mc[name]:.4f}" if np.isfinite(mc[name]) else "—"
            if se and np.isfinite(mc[se]):
                value += f" ± {mc[se]:.4f}"
            return f"{value} | {exact[exact_name]:.4f}"

        return {
            **mc, **exact, "transition": transition, "bubble_values": transition[s].copy(),
            "source": s, "p_same_text": pair("p_same", "p_same_exact", "p_same_se"),
            "p_source_text": pair("p_same_source", "p_same_source_exact"),
            "autocorr_text": pair("autocorr", "autocorr_exact"),
            "distance_text": pair("seed_distance", "seed_distance_exact"),
        }

    def _frame(self, const: dict[str, Any], trainer, loss: float, progress: float) -> Frame:
        if self._source_changed:
            self._source_changed = False
            self.curves_changed = self.mc_changed = True
        if self.curves_changed:
            self.curves_changed = False
            self._curves_cache = self._curve_arrays()
        if self.mc_changed:
            self.mc_changed = False
            self._mc_cache = self._mc_arrays()
        t = float(self.times[self.k]) if self.phase in (OUT, BACK) else 0.0
        tau = {OUT: t, BACK: 2 * self.tu - t, HOLD: 2 * self.tu}.get(self.phase, 0.0)
        t_mem = self.t_memorization
        return {
            **const, **self._curves_cache, **self._mc_cache, **self._stats(),
            "step": self.step, "t": t, "Tu": self.tu, "alpha_Tu": self.alpha,
            "phase": self.phase, "phase_name": PHASES[self.phase], "tau": tau,
            "x1": self.shown[:, 0].copy(), "x2": self.shown[:, 1].copy(),
            "shown_source": self.source[: self.n_show],
            "trails": self.trail_window.values.transpose(1, 0, 2).copy(),
            "fan_tau": self.fan_tau, "fan_x": self.fan.copy(),
            "fan_source": self.source[: len(self.fan)], "y0": self.y0,
            "quantiles": self.quantiles, "dist_density": self.density,
            "t_memorization": t_mem,
            "t_memorization_marker": t_mem if np.isfinite(t_mem) else 0.0,
            "train_step": trainer.steps_done if trainer else 0, "loss_last": loss,
            "progress": progress,
            "process_text": self._process_text(t, trainer, loss),
            "markers_text": (f"{self.t_speciation:.4f} · "
                             + (f"{t_mem:.4f}" if np.isfinite(t_mem) else "—")
                             + f" · {self.curves_done / len(CURVE_TU):.0%} · {progress:.0%}"),
        }

    def _process_text(self, t: float, trainer, loss: float) -> str:
        tally = self.tallies.get(tally_key(self.tu))
        text = (f"{self.tu:.3f} · {PHASES[self.phase]} · {t:.3f} · "
                f"{tally.n if tally else 0}")
        if trainer is not None:
            text += f" · network step {trainer.steps_done}, DSM loss {loss:.4f}"
        return text
