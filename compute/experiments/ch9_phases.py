"""§9.3.2 (refs [78, 79]): dynamical regimes of diffusion, speciation and collapse."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import backend
from ..experiment import Experiment, Frame
from ..gmm import GaussianMixture
from ..params import Int, Multi, Seed
from ..registry import register
from ..sweep import done_columns, refinement_order
from ..uturn import collision_weights, crossing_time, speciation_time, top_eigenvalue, uturn_law
from ..views import Curves, Particles, Readout, Series
from .ch9_sgm import check_process, make_mixture, make_schedule, mixture_params, process_params

N_CHOICES = ("10", "30", "100", "300", "1000", "3000", "10000", "30000", "100000")
T_FIRST = 1e-4  # the t grid is geometric from here to 1
FRAME_UNITS = 1e6  # probe × training-point × (1 + d/8) units per frame (~0.1 s)
SHOW_PROBES = 400  # probes drawn in the particle view
STREAM_DATA, STREAM_PROBES, STREAM_SHOW = 0, 1, 2
TRAINING, RETURNED, MOVED = 0, 1, 2  # classes of the particle view (painted in this order)


def embed(mixture: GaussianMixture, dim: int) -> GaussianMixture:
    """The 2D grid in ``dim`` dimensions: centres padded with zeros, the same isotropic σ."""
    means = np.zeros((mixture.n_components, dim))
    means[:, :2] = mixture.means
    return GaussianMixture(means, mixture.sigma, mixture.weights)


def uturn_view(train: np.ndarray, alpha: float, var: float, uniform: np.ndarray,
               noise: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Probes of a training set at one time, classed by where an exact U-turn sends them.

    With the empirical score the posterior of x₀ given x_t picks training point n with
    weight w_n(x_t); the probe returned if that is its own point.
    """
    n, shown = len(train), min(SHOW_PROBES, len(uniform))
    own = (uniform[:shown] * n).astype(np.int64)
    x = alpha * train[own] + np.sqrt(var) * noise[:shown]
    _, drawn = GaussianMixture.empirical(train).posterior_sample(x, alpha, var, rng)
    classes = np.concatenate([np.full(n, TRAINING), np.where(drawn == own, RETURNED, MOVED)])
    xy = np.concatenate([train[:, :2], x[:, :2]])
    return {"x1": xy[:, 0].copy(), "x2": xy[:, 1].copy(), "classes": classes,
            "returned_shown": float(np.mean(drawn == own))}


@register
class DynamicalRegimes(Experiment):
    id = "ch9.phases"
    title = "Dynamical regimes: speciation and collapse"
    section = "9.3.2"
    family = "Diffusion & U-turn trajectories"
    summary = ("Collapse onto training points (P_ret = ½) comes earlier as N grows, while the "
               "speciation time from the covariance spectrum does not move.")
    explanation = (
        "With the empirical score of N training points (book eq. 9.6) the posterior weights "
        "w_n(x_t) of the noised points condense onto a single training point as t → 0: a "
        "U-turn from x_t then returns exactly to its own point, with probability "
        "P_ret(t) = E Σ_n w_n(x_t)², and the participation ratio 1/Σ w_n² counts how many "
        "points share the weight (1 to N). The collapse time t_c, where P_ret = ½, shrinks "
        "as N grows: more points, closer together, need less noise to be confused. The "
        "speciation time t_s, where the modes themselves merge, comes from the top eigenvalue "
        "Λ of the data covariance (α(t_s)²Λ = 1) and does not depend on N; the mode-level "
        "return probability of the exact mixture (N → ∞) drops around it. Hence t_c < t_s: "
        "memorization sets in before speciation. Embedding the grid in d dimensions with "
        "isotropic noise spreads the training points apart and delays the collapse, the "
        "high-dimensional regime of refs [78, 79]. The sweep sketches the whole t range "
        "first (both ends, then midpoints) and then refines it."
    )
    equations = (
        r"$w_n(x_t) = \frac{e^{-\|x_t - \alpha_t x^{(n)}\|^2/2\mathrm{var}_t}}"
        r"{\sum_m e^{-\|x_t - \alpha_t x^{(m)}\|^2/2\mathrm{var}_t}},\quad"
        r" x_t = \alpha_t x^{(n)} + \sqrt{\mathrm{var}_t}\,\varepsilon$",
        r"$P_{\mathrm{ret}}(t) = \mathbb{E}\sum_n w_n(x_t)^2,\quad"
        r" 1 \leq \left(\sum_n w_n^2\right)^{-1} \leq N,\quad P_{\mathrm{ret}}(t_c) = \frac{1}{2}$",
        r"$\alpha(t_s)^2\,\Lambda = 1 \Leftrightarrow B(t_s) = \ln\Lambda,\quad"
        r" \Lambda = \lambda_{\max}(\mathrm{Cov}\,x_0) = \frac{2}{3}s^2 + \sigma^2\ (3\times 3)$",
    )
    book_notes = (
        "§9.3.2 states the speciation and collapse transitions in words, after refs [78, 79]; "
        "there is no notebook. The lab measures collapse with the collision probability "
        "P_ret = E Σ w_n² of the empirical score (the probability that an exact U-turn returns "
        "to its own training point) and marks t_c where it crosses ½.",
        "Speciation uses the criterion α(t_s)²Λ = 1 of refs [78, 79] (B(t_s) = ln Λ for VP); "
        "for the Brownian schedule (α = 1) the lab uses var(t_s) = Λ. The curve 'mode "
        "retention' is the exact-mixture P_same of ch9.uturn (N → ∞), for comparison.",
        "The training sets are nested (the first N of one draw) and every N uses the same "
        "probe noises, so the curves differ only through N (common random numbers).",
        "The extra dimensions of the embedding carry only noise, so they do not change Λ, "
        "t_s or the mode-level curve; they move the training points apart and delay collapse.",
    )
    params = (
        Multi("N_values", ("100", "1000", "10000"), N_CHOICES, label="training-set sizes N",
              help="Sizes of the nested training sets; each costs probes × N per time point "
                   "(N = 1e5 takes minutes)."),
        *mixture_params(),
        *(q for q in process_params() if q.name != "prior"),
        Int("dim", 2, 2, 256, log=True, label="dimension d",
            help="Embed the grid in d dimensions with isotropic noise of std σ."),
        Int("probes", 256, 32, 4096, log=True,
            help="Noised training points per time and N (SE of P_ret below 0.5/√probes)."),
        Int("n_t", 40, 10, 200, label="time points",
            help="Points of the geometric t grid from 1e-4 to 1."),
        Seed(),
    )
    views = (
        Curves("p_ret", "Return to the own training point, and mode retention (N → ∞)",
               series=(
                   Series("p_same_mode_done", x="t_done", label="modes: P_same (N → ∞)"),
                   Series("p_ret_done", x="t_done", names="n_names"),
                   Series("collapse_y", x="collapse_t", label="collapse t_c (P_ret = ½)",
                          style="dots"),
               ), hlines=("half",), vlines=("t_speciation", "t"), logx=True,
               xlabel="diffusion time t", ylabel="P_ret(t) = E Σ w_n²"),
        Curves("participation", "Participation ratio 1/Σ w_n² (1 to N)",
               series=(Series("mode_participation_done", x="t_done",
                              label="modes: E 1/Σ w_k² (N → ∞)"),
                       Series("participation_done", x="t_done", names="n_names"),),
               vlines=("t_speciation", "t"), logx=True, logy=True,
               xlabel="diffusion time t", ylabel="1/Σ w_n²"),
        Particles("uturns", "Smallest N at t: training points, then probes x_t whose exact "
                  "U-turn returns home / moves",
                  x="x1", y="x2", color="classes", xlabel="x₁", ylabel="x₂",
                  equal_aspect=True),
        Readout("readout", "Regimes", area="bottom", lines=(
            ("t", "time t", "{:.4g}"),
            ("current_N", "training-set size being computed", "{:d}"),
            ("progress", "sweep progress", "{:.0%}"),
            ("lambda_top", "top covariance eigenvalue Λ", "{:.3f}"),
            ("t_speciation", "speciation time t_s (α²Λ = 1)", "{:.4f}"),
            ("collapse_text", "collapse times t_c (P_ret = ½)", "{}"),
            ("returned_shown", "probes shown that returned to their own point", "{:.3f}"),
        )),
    )
    frame_fields = {
        "t_grid": "(n_t,) geometric time grid",
        "p_ret": "(k, n_t) P_ret(t) for each N (NaN: not computed yet)",
        "participation": "(k, n_t) mean participation ratio 1/Σ w_n² for each N",
        "n_names": "(k,) labels 'N = …' of the rows",
        "p_same_mode": "(n_t,) exact mode-level P_same(t) of the mixture (N → ∞)",
        "mode_participation": "(n_t,) exact mode-level E 1/Σ_k w_k² (1 to grid²)",
        "t_done": "(r,) the times of the grid computed so far (the sweep goes coarse to "
                  "fine: both ends, then midpoints), in grid order",
        "p_ret_done": "(k, r) p_ret at t_done",
        "participation_done": "(k, r) participation at t_done",
        "p_same_mode_done": "(r,) p_same_mode at t_done",
        "mode_participation_done": "(r,) mode_participation at t_done",
        "collapse_t": "(m,) collapse times found so far",
        "collapse_y": "(m,) the level ½ at those times",
        "collapse_text": "text: t_c for every N ('—': not reached)",
        "half": "the level ½",
        "t_speciation": "speciation time from α(t_s)²Λ = 1",
        "lambda_top": "top eigenvalue Λ of the data covariance",
        "current_N": "training-set size of the last computed point",
        "progress": "fraction of the sweep done",
        "x1": "(N_min + probes shown,) first coordinates: training points, then probes x_t",
        "x2": "(N_min + probes shown,) second coordinates",
        "classes": "(N_min + probes shown,) 0 training point, 1 probe returned to its own "
                   "point, 2 probe moved to another",
        "returned_shown": "fraction of the probes shown whose U-turn returned to their point",
    }
    nonfinite_fields = frozenset({"p_ret", "participation", "p_same_mode",
                                  "mode_participation"})

    @classmethod
    def check(cls, p) -> None:
        check_process(p)

    def frames(self) -> Iterator[Frame]:
        p = self.p
        flat = make_mixture(p)
        mixture = embed(flat, p["dim"])
        schedule = make_schedule(p)
        self.sizes = sizes = sorted(int(n) for n in p["N_values"]) or [int(N_CHOICES[0])]
        points = mixture.sample(sizes[-1], backend.rng(p["seed"], STREAM_DATA))[0]
        probe_rng = backend.rng(p["seed"], STREAM_PROBES)
        m, d = p["probes"], p["dim"]
        uniform, noise = probe_rng.random(m), probe_rng.standard_normal((m, d))
        show_rng = backend.rng(p["seed"], STREAM_SHOW)
        self.t_grid = t_grid = np.geomspace(T_FIRST, 1.0, p["n_t"])
        k, n_t = len(sizes), len(t_grid)
        self.curves = curves = {"p_ret": np.full((k, n_t), np.nan),
                                "participation": np.full((k, n_t), np.nan),
                                "p_same_mode": np.full(n_t, np.nan),
                                "mode_participation": np.full(n_t, np.nan)}
        self.const = {"t_grid": t_grid, "n_names": np.array([f"N = {n}" for n in sizes]),
                      "half": 0.5, "t_speciation": speciation_time(flat, schedule),
                      "lambda_top": top_eigenvalue(flat)}
        self.view = uturn_view(points[:sizes[0]], float(schedule.alpha(T_FIRST)),
                               float(schedule.var(T_FIRST)), uniform, noise, show_rng)
        step, spent = 0, 0.0
        for done, i in enumerate(refinement_order(n_t)):  # the whole curves early, refined
            t = t_grid[i]
            alpha, var = float(schedule.alpha(t)), float(schedule.var(t))
            law = uturn_law(flat, alpha, var)
            curves["p_same_mode"][i], curves["mode_participation"][i] = (law.p_same,
                                                                          law.participation)
            for j, n in enumerate(sizes):
                train = points[:n]
                x = alpha * train[(uniform * n).astype(np.int64)] + np.sqrt(var) * noise
                w2 = np.empty(m)
                chunk = max(1, int(FRAME_UNITS / (n * (1 + d / 8))))
                for lo in range(0, m, chunk):
                    w2[lo:lo + chunk] = collision_weights(train, alpha, var, x[lo:lo + chunk])
                    spent += min(chunk, m - lo) * n * (1 + d / 8)
                    if spent >= FRAME_UNITS and lo + chunk < m:  # a long point: show progress
                        spent, step = 0.0, step + 1
                        yield self._frame(step, t, n, (done + j / k) / n_t)
                curves["p_ret"][j, i], curves["participation"][j, i] = (w2.mean(),
                                                                        np.mean(1.0 / w2))
            spent, step = 0.0, step + 1
            self.view = uturn_view(points[:sizes[0]], alpha, var, uniform, noise, show_rng)
            yield self._frame(step, t, sizes[-1], (done + 1) / n_t)

    def _frame(self, step: int, t: float, n: int, progress: float) -> Frame:
        collapse = [crossing_time(self.t_grid, row, 0.5, log=True)
                    for row in self.curves["p_ret"]]
        found = np.array([c for c in collapse if np.isfinite(c)])
        text = "; ".join(f"N = {size}: {c:.4g}" if np.isfinite(c) else f"N = {size}: —"
                         for size, c in zip(self.sizes, collapse, strict=True))
        cols = done_columns(self.curves["p_ret"])  # the points of the sweep computed so far
        shown = {f"{k}_done": v[..., cols] for k, v in self.curves.items()}
        return {**self.const, **self.view, **{k: v.copy() for k, v in self.curves.items()},
                **shown, "t_done": self.t_grid[cols],
                "step": step, "t": float(t), "current_N": n, "progress": float(progress),
                "collapse_t": found, "collapse_y": np.full(len(found), 0.5),
                "collapse_text": text}
