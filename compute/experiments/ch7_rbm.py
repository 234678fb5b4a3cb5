"""§7.5, Example 7.5.1: block Gibbs vs single-flip Metropolis on a tiny RBM."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..experiment import Experiment, Frame
from ..history import History, Window
from ..params import Choice, Float, Int, ParamError, Seed
from ..rbm import (
    EXACT_VISIBLE_MAX,
    RBM,
    autocorrelation,
    exact_flip_acceptance,
    integrated_time,
)
from ..registry import register
from ..views import Curves, Graph, Readout, Series

HIST_UNITS_MAX = 12  # joint-state histogram up to 2^12 states; the visible marginal beyond
ACF_LAG = 200
NAMES = np.array(["block Gibbs", "single-flip MH"])


def bipartite_layout(d: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node positions (visible on top, hidden below), edges (i, d + j) and labels."""
    top = np.stack([np.linspace(0, 1, d) if d > 1 else [0.5], np.ones(d)], axis=1)
    bottom = np.stack([np.linspace(0.1, 0.9, m) if m > 1 else [0.5], np.zeros(m)], axis=1)
    edges = np.array([(i, d + j) for i in range(d) for j in range(m)], dtype=np.int64)
    labels = np.array([f"v{i + 1}" for i in range(d)] + [f"h{j + 1}" for j in range(m)])
    return np.vstack([top, bottom]), edges, labels


@register
class RBMMCMC(Experiment):
    id = "ch7.rbm-mcmc"
    title = "Block Gibbs vs single-flip Metropolis on a tiny RBM"
    section = "7.5"
    family = "Markov chain / lattice spins"
    summary = "Two samplers of a 5×4 RBM against its exact ⟨E⟩ from enumerating all states."
    explanation = (
        "A restricted Boltzmann machine couples d visible and m hidden binary units through "
        "E(v, h) = −bᵀv − cᵀh − vᵀWh; given one layer, the other's units are independent "
        "with P(h_j = 1 | v) = σ(c_j + (Wᵀv)_j). Block Gibbs redraws the whole hidden layer, "
        "then the whole visible one; the notebook's 'Glauber' proposes flipping one unit (a "
        "layer with probability ½, then one of its units) and accepts with min(1, exp(−ΔE)). "
        "Both running averages of the energy converge to the exact ⟨E⟩ — computed here by "
        "enumerating the 2^d visible states with the hidden layer summed out — but "
        "single-flip MH is jumpier: its autocorrelation time is much longer per iteration "
        "(switch the axis to unit updates for a fair comparison: a Gibbs iteration updates "
        "d + m units). The visited states are histogrammed against the exact Boltzmann "
        "probabilities, and the measured MH acceptance against its exact stationary value. "
        "Drag the W scale up to 2 for a multimodal model where both slow down."
    )
    equations = (
        r"$E(v,h) = -b^\top v - c^\top h - v^\top W h,\qquad p(v,h) = e^{-E(v,h)}/Z$",
        r"$P(h_j = 1\mid v) = \sigma(c_j + (W^\top v)_j),\quad"
        r" P(v_i = 1\mid h) = \sigma(b_i + (Wh)_i)$",
        r"$\alpha_{\rm MH} = \min(1, e^{-\Delta E}),\quad"
        r" \bar\alpha = \sum_x \pi(x)\,\mathbb{E}_i\min(1, e^{-\Delta E_i(x)})$",
        r"$\log Z = \log\sum_v e^{b^\top v}\prod_j (1 + e^{c_j + (W^\top v)_j})$",
    )
    book_notes = (
        "The notebook applies burn-in and thinning to the cumulative-average curve, so the "
        "burn-in samples still enter the averages; the lab discards the first 'burn-in' "
        "iterations from every average and uses thinning only for the recorded traces.",
        "One Gibbs iteration resamples all d + m units while one MH iteration proposes a "
        "single flip, so per-iteration comparisons favour Gibbs; the axis choice 'unit "
        "updates' puts both on the same footing.",
        "The notebook uses torch only as an array library; the lab uses numpy (vectorised "
        "over parallel chains).",
    )
    params = (
        Int("d", 5, 2, 12, label="visible d"),
        Int("m", 4, 2, 12, label="hidden m"),
        Float("w_scale", 1.0, 0.0, 2.0, label="W scale",
              help="W = scale·(0.3 + 0.1ξ): larger makes the model multimodal."),
        Float("b0", -1.0, -3.0, 3.0, label="visible bias b₀", help="b = b₀ + 0.1ξ."),
        Float("c0", 1.0, -3.0, 3.0, label="hidden bias c₀", help="c = c₀ + 0.1ξ."),
        Int("n_steps", 50_000, 1000, 1_000_000, log=True, label="iterations",
            help="The run ends after this many iterations of each sampler."),
        Int("burn_in", 1000, 0, 10_000, live=True, label="burn-in",
            help="Iterations discarded from the averages and histograms."),
        Int("thinning", 10, 1, 100, live=True, help="Record every k-th iteration in the traces."),
        Int("chains", 1, 1, 10_000, log=True, label="parallel chains"),
        Choice("axis", "iterations", ("iterations", "unit-updates"), live=True,
               help="x-axis of the running averages: iterations, or units updated (a Gibbs "
                    "iteration updates d + m units, an MH iteration proposes one flip)."),
        Seed(default=42),
    )
    views = (
        Curves("average", "Running average energy vs the exact ⟨E⟩", area="left",
               series=(Series("avg_gibbs", x="avg_x_gibbs", label="block Gibbs"),
                       Series("avg_mh", x="avg_x_mh", label="single-flip MH")),
               hlines=("exact_mean_E",), xlabel="iterations (or unit updates)",
               ylabel="running ⟨E⟩"),
        Curves("trace", "Energy traces (thinned)", area="left",
               series=(Series("trace_E", x="trace_x", names="names"),),
               hlines=("exact_mean_E",), xlabel="iteration", ylabel="E"),
        Curves("acf", "Autocorrelation of E per iteration",
               series=(Series("acf", x="lags", names="names"),),
               xlabel="lag (iterations)", ylabel="ρ(τ)"),
        Curves("states", "Visited states vs the Boltzmann probabilities",
               series=(Series("state_freq", x="state_index", names="names", style="dots"),
                       Series("state_exact", x="state_index", label="exact")),
               xlabel="state index (v bits, then h bits)", ylabel="probability"),
        Graph("gibbs_state", "Block Gibbs: current (v, h), edges ∝ |W|", positions="positions",
              edges="edges", values="state_gibbs", labels="node_labels", weights="weights",
              levels=(0.0, 1.0), value_label="unit on"),
        Graph("mh_state", "Single-flip MH: current (v, h)", positions="positions",
              edges="edges", values="state_mh", labels="node_labels", weights="weights",
              levels=(0.0, 1.0), value_label="unit on"),
        Readout("readout", "RBM", area="bottom", lines=(
            ("iteration", "iterations", "{:d}"),
            ("exact_text", "exact ⟨E⟩ | sd(E) | log Z | E_min", "{}"),
            ("average_text", "running ⟨E⟩: Gibbs | MH", "{}"),
            ("accept_text", "MH acceptance | exact", "{}"),
            ("tau_text", "τ_int of E (iterations): Gibbs | MH", "{}"),
            ("units_text", "⟨v₁⟩ | ⟨h₁⟩ exact (Gibbs)", "{}"),
        )),
    )
    frame_fields = {
        "iteration": "iterations of each sampler",
        "avg_gibbs": "(h,) running average energy of block Gibbs after burn-in",
        "avg_mh": "(h,) running average energy of single-flip MH after burn-in",
        "avg_x_gibbs": "(h,) iterations (or unit updates) of block Gibbs",
        "avg_x_mh": "(h,) iterations (or unit updates) of MH",
        "exact_mean_E": "exact ⟨E⟩", "exact_sd_E": "exact sd(E)", "log_Z": "exact log Z",
        "E_min": "exact minimum energy", "exact_mean_v": "(d,) exact ⟨v⟩",
        "exact_mean_h": "(m,) exact ⟨h⟩", "names": "(2,) sampler names",
        "trace_x": "(w,) iterations of the trace window", "trace_E": "(2, w) energies",
        "lags": "(k,)", "acf": "(2, k) autocorrelation of E (chain 0)",
        "tau_int": "(2,) integrated autocorrelation times", "state_index": "(S,)",
        "state_freq": "(2, S) visited-state frequencies after burn-in",
        "state_exact": "(S,) exact probabilities (joint, or visible marginal if d+m > 12)",
        "positions": "(d+m, 2)", "edges": "(d·m, 2)", "weights": "(d·m,) W entries",
        "node_labels": "(d+m,)", "state_gibbs": "(d+m,) chain 0 of Gibbs",
        "state_mh": "(d+m,) chain 0 of MH", "mh_acceptance": "measured acceptance after burn-in",
        "mh_acceptance_exact": "Σπ(x)E_i min(1, exp(−ΔE)) (NaN if d+m > 14)",
        "mean_E": "(2,) running average energies", "samples": "iterations averaged",
        "mean_v1": "(2,) running ⟨v₁⟩", "exact_text": "read-out", "average_text": "read-out",
        "accept_text": "read-out", "tau_text": "read-out", "units_text": "read-out",
    }
    nonfinite_fields = frozenset({"mh_acceptance_exact", "avg_gibbs", "avg_mh", "mean_E"})
    history_fields = ("avg_x_gibbs", "avg_gibbs", "avg_mh")
    default_steps_per_frame = 50
    memory_param = "chains"

    @classmethod
    def memory_bytes(cls, p) -> int:
        return 8 * int(p["chains"]) * (p["d"] + p["m"]) * 20 + 8 * 4096 * int(p["chains"])

    @classmethod
    def check(cls, p) -> None:
        if p["d"] > EXACT_VISIBLE_MAX:
            raise ParamError("d", f"the exact reference enumerates 2^d states: d ≤ "
                                  f"{EXACT_VISIBLE_MAX}")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.p
        rng = np.random.default_rng(np.random.SeedSequence([p["seed"], 0]))
        self.rbm = RBM.random(p["d"], p["m"], rng, p["w_scale"], p["b0"], p["c0"])
        self.exact = self.rbm.exact()
        units = self.rbm.units
        self.joint = units <= HIST_UNITS_MAX
        if self.joint:
            self.state_exact = self.rbm.joint_probabilities()
        else:
            V = self.rbm.visible_states()
            a = self.rbm.c + V @ self.rbm.W
            logw = V @ self.rbm.b + np.sum(np.logaddexp(0.0, a), axis=1)
            w = np.exp(logw - logw.max())
            self.state_exact = w / w.sum()
        self.acc_exact = exact_flip_acceptance(self.rbm, 1) if units <= 14 else float("nan")

    def frames(self) -> Iterator[Frame]:
        p, rbm, ex = self.p, self.rbm, self.exact
        C = p["chains"]
        rngs = [np.random.default_rng(np.random.SeedSequence([p["seed"], k + 1]))
                for k in range(3)]
        v0 = (rngs[2].random((C, rbm.d)) < 0.5).astype(float)
        h0 = (rngs[2].random((C, rbm.m)) < 0.5).astype(float)
        vg, hg = v0.copy(), h0.copy()
        vm, hm = v0.copy(), h0.copy()
        positions, edges, labels = bipartite_layout(rbm.d, rbm.m)
        weights = rbm.W.ravel().copy()
        S = len(self.state_exact)
        counts = np.zeros((2, S))
        sums = np.zeros(2)
        sums_v1 = np.zeros(2)
        samples = 0
        accepted = proposed = 0
        history = History(shape=(2,), capacity=4096)
        trace = Window(shape=(2,), capacity=2000)
        series = Window(shape=(2,), capacity=8192)  # chain 0, every iteration
        it = 0
        shown_start = False
        while True:
            burn = self.p["burn_in"]
            if shown_start:
                for _ in range(min(self.steps_per_frame, p["n_steps"] - it)):
                    vg, hg = rbm.gibbs_step(vg, rngs[0])
                    vm, hm, acc = rbm.mh_step(vm, hm, rngs[1], k=1)
                    it += 1
                    Eg, Em = rbm.energy(vg, hg), rbm.energy(vm, hm)
                    series.append(it, (Eg[0], Em[0]))
                    if it % self.p["thinning"] == 0:
                        trace.append(it, (Eg[0], Em[0]))
                    if it > burn:
                        samples += 1
                        sums += (Eg.mean(), Em.mean())
                        sums_v1 += (vg[:, 0].mean(), vm[:, 0].mean())
                        accepted += int(acc.sum())
                        proposed += C
                        if self.joint:
                            counts[0] += np.bincount(rbm.state_index(vg, hg), minlength=S)
                            counts[1] += np.bincount(rbm.state_index(vm, hm), minlength=S)
                        else:
                            counts[0] += np.bincount(rbm.visible_index(vg), minlength=S)
                            counts[1] += np.bincount(rbm.visible_index(vm), minlength=S)
                        history.append(it, sums / samples)
            shown_start = True
            values = series.values
            acfs = [autocorrelation(values[:, k], ACF_LAG) for k in range(2)] \
                if len(values) > 2 else [np.ones(1)] * 2
            n_lag = min(len(a) for a in acfs)
            tau = np.array([integrated_time(a) for a in acfs])
            mean_E = sums / samples if samples else np.full(2, np.nan)
            hx = history.x
            hv = history.values
            unit = self.p["axis"] == "unit-updates"
            acc_rate = accepted / proposed if proposed else 0.0
            freq = counts / max(samples * C, 1)
            yield {
                "step": it,
                "t": float(it),
                "iteration": it,
                "avg_gibbs": hv[:, 0], "avg_mh": hv[:, 1],
                "avg_x_gibbs": hx * (rbm.units if unit else 1),
                "avg_x_mh": hx.copy(),
                "exact_mean_E": ex.mean_E, "exact_sd_E": ex.sd_E, "log_Z": ex.log_Z,
                "E_min": ex.E_min, "exact_mean_v": ex.mean_v, "exact_mean_h": ex.mean_h,
                "names": NAMES,
                "trace_x": trace.x, "trace_E": trace.values.T.copy(),
                "lags": np.arange(n_lag, dtype=float),
                "acf": np.stack([a[:n_lag] for a in acfs]),
                "tau_int": tau,
                "state_index": np.arange(S, dtype=float),
                "state_freq": freq,
                "state_exact": self.state_exact,
                "positions": positions, "edges": edges, "weights": weights,
                "node_labels": labels,
                "state_gibbs": np.concatenate([vg[0], hg[0]]),
                "state_mh": np.concatenate([vm[0], hm[0]]),
                "mh_acceptance": acc_rate,
                "mh_acceptance_exact": self.acc_exact,
                "mean_E": mean_E,
                "samples": samples,
                "mean_v1": sums_v1 / max(samples, 1),
                "exact_text": f"{ex.mean_E:.4f} | {ex.sd_E:.4f} | {ex.log_Z:.4f} | "
                              f"{ex.E_min:.4f}",
                "average_text": (f"{mean_E[0]:.4f} | {mean_E[1]:.4f}" if samples
                                 else "— (burn-in)"),
                "accept_text": f"{acc_rate:.4f} | {self.acc_exact:.4f}",
                "tau_text": f"{tau[0]:.1f} | {tau[1]:.1f}",
                "units_text": f"{ex.mean_v[0]:.4f} | {ex.mean_h[0]:.4f}",
            }
            if it >= p["n_steps"]:
                return
