"""§7.5, Exercise 7.5.1: non-local Metropolis proposals for the RBM and mixing diagnostics."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..experiment import Experiment, Frame
from ..history import History, Window
from ..params import Float, Int, ParamError, Seed
from ..rbm import (
    RBM,
    autocorrelation,
    exact_flip_acceptance,
    exact_independence_acceptance,
    integrated_time,
    r_hat,
)
from ..registry import register
from ..views import Bars, Curves, Readout, Series

EXACT_K_UNITS = 10  # exact acceptance-vs-k curve up to this many units


def ergodic_flip_sizes(n: int) -> np.ndarray:
    """The k for which k-unit flips give an irreducible chain on {0,1}^n: k = 1 and odd
    k < n (even k preserve the parity of the number of active units; k = n only maps a
    state to its complement)."""
    return np.array([k for k in range(1, n) if k % 2 == 1], dtype=int)


@register
class RBMNonlocalMH(Experiment):
    id = "ch7.rbm-nonlocal-mh-exercise"
    title = "Non-local Metropolis proposals for an RBM (Exercise 7.5.1)"
    section = "7.5"
    family = "Markov chain / lattice spins"
    summary = ("k-unit flips and an independence sampler against Gibbs and single flips: "
               "acceptance, autocorrelation, τ_int, Rˆ.")
    explanation = (
        "Exercise 7.5.1 asks for a Metropolis–Hastings sampler with a non-local proposal "
        "and for autocorrelation-based convergence diagnostics. Four samplers of the same "
        "RBM run side by side, each with several parallel chains: block Gibbs, the "
        "single-flip Metropolis of Example 7.5.1, a k-unit flip (k units chosen at random "
        "are flipped together, accepted with min(1, exp(−ΔE))), and an independence sampler "
        "(a fresh uniform configuration). Every one of them targets the same Boltzmann law, "
        "so all running averages meet the exact ⟨E⟩. A bank of k-flip samplers for every k "
        "shows the trade-off: the acceptance falls as k grows (against its exact value by "
        "enumeration) while each accepted move decorrelates more; τ_int = 1 + 2Σρ(τ) is "
        "smallest in between. Effective samples are n/τ_int; Rˆ compares the spread within "
        "and between chains and tends to 1."
    )
    equations = (
        r"$\alpha(x\to y) = \min(1, e^{-(E(y) - E(x))}),\quad y = x$"
        r" with $k$ units flipped",
        r"$\rho(\tau) = \frac{\mathrm{Cov}(E_t, E_{t+\tau})}{\mathrm{Var}\,E_t},\quad"
        r" \tau_{\rm int} = 1 + 2\sum_{\tau \geq 1}\rho(\tau)$",
        r"$n_{\rm eff} = n/\tau_{\rm int}$",
        r"$\hat R = \sqrt{\frac{\frac{n-1}{n}W + \frac{1}{n}B}{W}}$",
    )
    book_notes = (
        "The exercise leaves the proposal open; the lab offers k-unit flips (k = 1 is the "
        "notebook's layer-then-unit proposal), an independence sampler and block Gibbs as "
        "the sanity check.",
        "k-unit flips with even k keep the parity of the number of active units, and "
        "k = d + m only swaps a state with its complement: both chains are reducible and "
        "miss the Boltzmann law (the catalogue's 'flip k units' overlooks this). The lab "
        "runs odd k < d + m and shows the exact acceptance for every k.",
        "Effective samples per second depend on the machine, which would make frames "
        "differ between identical runs; the lab reports effective samples per unit update "
        "(a Gibbs iteration updates d + m units, a k-flip one k, an independence proposal "
        "d + m) instead.",
    )
    params = (
        Int("d", 5, 2, 10, label="visible d"),
        Int("m", 4, 2, 10, label="hidden m"),
        Float("w_scale", 1.0, 0.0, 2.0, label="W scale"),
        Float("b0", -1.0, -3.0, 3.0, label="visible bias b₀"),
        Float("c0", 1.0, -3.0, 3.0, label="hidden bias c₀"),
        Int("chains", 8, 1, 1000, log=True, label="parallel chains"),
        Int("max_lag", 200, 1, 1000, live=True, label="ACF lags"),
        Int("n_steps", 20_000, 1000, 500_000, log=True, label="iterations"),
        Int("burn_in", 500, 0, 10_000, live=True, label="burn-in"),
        Int("k", 3, 1, 20, live=True, label="flip size k",
            help="Units flipped together by the highlighted non-local sampler (1 or odd, "
                 "< d + m)."),
        Seed(default=42),
    )
    views = (
        Curves("acf", "Autocorrelation of E", area="left",
               series=(Series("acf", x="lags", names="names"),),
               xlabel="lag (iterations)", ylabel="ρ(τ)"),
        Bars("tau", "Integrated autocorrelation time τ_int", area="left", values="tau_int",
             labels="names", ylabel="iterations"),
        Curves("acceptance", "Acceptance vs flip size k",
               series=(Series("acc_k", x="k_values", label="measured", style="dots"),
                       Series("acc_k_exact", x="k_all", label="exact, every k (enumeration)")),
               vlines=("k_now",), xlabel="k", ylabel="acceptance"),
        Curves("tau_k", "τ_int vs flip size k",
               series=(Series("tau_k", x="k_values", label="k-flip MH", style="dots"),),
               hlines=("tau_gibbs",), vlines=("k_now",), xlabel="k",
               ylabel="τ_int (iterations)"),
        Bars("ess", "Effective samples per 1000 unit updates", values="ess_per_unit",
             labels="names", ylabel="n_eff per 1000 units"),
        Curves("average", "Running averages of E vs exact ⟨E⟩",
               series=(Series("running", x="running_x", names="names"),),
               hlines=("exact_mean_E",), xlabel="iteration", ylabel="running ⟨E⟩"),
        Readout("readout", "Diagnostics", area="bottom", lines=(
            ("iteration", "iterations", "{:d}"),
            ("exact_text", "exact ⟨E⟩ | k = 1 acceptance", "{}"),
            ("mean_text", "⟨E⟩: Gibbs | 1-flip | k-flip | indep.", "{}"),
            ("acc_text", "acceptance: 1-flip | k-flip | indep.", "{}"),
            ("rhat_text", "Rˆ: Gibbs | 1-flip | k-flip | indep.", "{}"),
            ("neff_text", "n_eff = n/τ_int", "{}"),
        )),
    )
    frame_fields = {
        "iteration": "iterations so far", "names": "(4,) samplers",
        "k_all": "(d+m,) every flip size 1…d+m",
        "lags": "(L,)", "acf": "(4, L) autocorrelation of E (chain 0)",
        "tau_int": "(4,) integrated autocorrelation times",
        "k_values": "(q,) the ergodic flip sizes: 1 and odd k < d+m",
        "acc_k": "(q,) measured acceptance of the k-flip bank",
        "acc_k_exact": "(d+m,) exact acceptance for every k (NaN if d+m > 10)", "k_now": "k",
        "tau_k": "(q,) τ_int of the k-flip bank", "tau_gibbs": "τ_int of block Gibbs",
        "ess_per_unit": "(4,) n_eff per 1000 unit updates",
        "running_x": "(h,) iterations", "running": "(4, h) running averages after burn-in",
        "exact_mean_E": "exact ⟨E⟩", "mean_E": "(4,) running averages",
        "acceptance": "(3,) acceptances: 1-flip, k-flip, independence",
        "acceptance_exact": "(3,) exact acceptances (NaN if too many units)",
        "r_hat": "(4,) Rˆ across chains", "n_eff": "(4,) effective samples (chain 0)",
        "exact_text": "read-out", "mean_text": "read-out", "acc_text": "read-out",
        "rhat_text": "read-out", "neff_text": "read-out",
    }
    nonfinite_fields = frozenset({"acc_k_exact", "r_hat", "mean_E", "running",
                                  "acceptance_exact"})
    history_fields = ("running_x", "running")
    default_steps_per_frame = 10
    memory_param = "chains"

    @classmethod
    def memory_bytes(cls, p) -> int:
        units = p["d"] + p["m"]
        return 8 * int(p["chains"]) * (units + 4) * (units + 8) * 50

    @classmethod
    def check(cls, p) -> None:
        n = p["d"] + p["m"]
        if p["k"] > n:
            raise ParamError("k", f"cannot flip more than the d + m = {n} units")
        if p["k"] > 1 and p["k"] % 2 == 0:
            raise ParamError("k", "flipping an even number of units keeps the parity of the "
                                  "number of active units: the chain is reducible (use odd k)")
        if p["k"] == n:
            raise ParamError("k", "flipping all d + m units only swaps a state with its "
                                  "complement: the chain is reducible (use k < d + m)")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.p
        rng = np.random.default_rng(np.random.SeedSequence([p["seed"], 0]))
        self.rbm = RBM.random(p["d"], p["m"], rng, p["w_scale"], p["b0"], p["c0"])
        self.exact = self.rbm.exact()
        n = self.rbm.units
        if n <= EXACT_K_UNITS:
            self.acc_exact_k = np.array([exact_flip_acceptance(self.rbm, k)
                                         for k in range(1, n + 1)])
            self.acc_indep = exact_independence_acceptance(self.rbm)
        else:
            self.acc_exact_k = np.full(n, np.nan)
            self.acc_indep = float("nan")

    def frames(self) -> Iterator[Frame]:
        p, rbm = self.p, self.rbm
        C, n = p["chains"], rbm.units
        ks = ergodic_flip_sizes(n)
        root = np.random.SeedSequence([p["seed"], 1])
        rngs = [np.random.default_rng(s) for s in root.spawn(4 + n + 1)]
        start = (rngs[-1].random((C, n)) < 0.5).astype(float)
        v = [start[:, : rbm.d].copy() for _ in range(4)]
        h = [start[:, rbm.d:].copy() for _ in range(4)]
        bank_v = [start[:, : rbm.d].copy() for _ in ks]
        bank_h = [start[:, rbm.d:].copy() for _ in ks]
        names = np.array(["block Gibbs", "1-flip MH", f"{p['k']}-flip MH", "independence"])
        series = Window(shape=(4, C), capacity=8192)
        bank_series = Window(shape=(len(ks),), capacity=4096)
        bank_acc = np.zeros(len(ks))
        acc = np.zeros(3)
        proposed = np.zeros(3)
        sums = np.zeros(4)
        samples = np.zeros(4)
        history = History(shape=(4,), capacity=4096)
        it = 0
        k_used = p["k"]
        shown_start = False
        while True:
            k_now = self.p["k"]
            if k_now != k_used:  # a new k: restart that sampler's statistics
                k_used = k_now
                names = names.copy()
                names[2] = f"{k_now}-flip MH"
                sums[2] = samples[2] = 0.0
                acc[1] = proposed[1] = 0.0
            burn = self.p["burn_in"]
            if shown_start:
                for _ in range(min(self.steps_per_frame, p["n_steps"] - it)):
                    v[0], h[0] = rbm.gibbs_step(v[0], rngs[0])
                    v[1], h[1], a1 = rbm.mh_step(v[1], h[1], rngs[1], k=1)
                    v[2], h[2], a2 = rbm.mh_step(v[2], h[2], rngs[2], k=k_now)
                    v[3], h[3], a3 = rbm.mh_step(v[3], h[3], rngs[3], independence=True)
                    for j, k in enumerate(ks):
                        bank_v[j], bank_h[j], ab = rbm.mh_step(bank_v[j], bank_h[j],
                                                               rngs[4 + j], k=int(k))
                        if it >= burn:
                            bank_acc[j] += ab.sum()
                    it += 1
                    E = np.stack([rbm.energy(v[s], h[s]) for s in range(4)])
                    series.append(it, E)
                    bank_series.append(it, [rbm.energy(bank_v[j][:1], bank_h[j][:1])[0]
                                            for j in range(len(ks))])
                    if it > burn:
                        samples += 1
                        sums += E.mean(axis=1)
                        acc += (a1.sum(), a2.sum(), a3.sum())
                        proposed += C
                        history.append(it, sums / samples)
            shown_start = True
            vals = series.values  # (w, 4, C)
            max_lag = self.p["max_lag"]
            acfs = [autocorrelation(vals[:, s, 0], max_lag) if len(vals) > 2 else np.ones(1)
                    for s in range(4)]
            L = min(len(a) for a in acfs)
            tau = np.array([integrated_time(a) for a in acfs])
            bank_vals = bank_series.values
            tau_k = np.array([integrated_time(autocorrelation(bank_vals[:, j], 400))
                              if len(bank_vals) > 2 else 1.0 for j in range(len(ks))])
            w = len(vals)
            half = vals[w // 2:] if w >= 8 else vals
            rh = np.array([r_hat(half[:, s, :].T) for s in range(4)])
            n_eff = w / tau
            cost = np.array([n, 1, k_now, n], dtype=float)  # units updated per iteration
            acc_rate = np.where(proposed > 0, acc / np.maximum(proposed, 1), 0.0)
            acc_exact = np.array([self.acc_exact_k[0], self.acc_exact_k[k_now - 1],
                                  self.acc_indep])
            mean_E = np.where(samples > 0, sums / np.maximum(samples, 1), np.nan)
            bank_rate = (bank_acc / max((it - burn) * C, 1) if it > burn
                         else np.zeros(len(ks)))
            yield {
                "step": it,
                "t": float(it),
                "iteration": it,
                "names": names,
                "lags": np.arange(L, dtype=float),
                "acf": np.stack([a[:L] for a in acfs]),
                "tau_int": tau,
                "k_values": ks.astype(float),
                "acc_k": bank_rate,
                "k_all": np.arange(1, n + 1, dtype=float),
                "acc_k_exact": self.acc_exact_k,
                "k_now": float(k_now),
                "tau_k": tau_k,
                "tau_gibbs": float(tau[0]),
                "ess_per_unit": 1000.0 / (tau * cost),
                "running_x": history.x,
                "running": history.values.T.copy(),
                "exact_mean_E": self.exact.mean_E,
                "mean_E": mean_E,
                "acceptance": acc_rate,
                "acceptance_exact": acc_exact,
                "r_hat": rh,
                "n_eff": n_eff,
                "exact_text": f"{self.exact.mean_E:.4f} | {self.acc_exact_k[0]:.4f}",
                "mean_text": " | ".join("—" if not np.isfinite(x) else f"{x:.3f}"
                                        for x in mean_E),
                "acc_text": " | ".join(f"{a:.3f}" for a in acc_rate),
                "rhat_text": " | ".join("—" if not np.isfinite(r) else f"{r:.3f}" for r in rh),
                "neff_text": " | ".join(f"{x:.0f}" for x in n_eff),
            }
            if it >= p["n_steps"]:
                return
