"""§7.5, Algorithms 1–2: Gibbs (heat-bath) and Metropolis sampling of the Ising model."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ..experiment import Experiment, Frame
from ..history import History, Window
from ..ising import (
    SCANS,
    IsingLattice,
    autocorrelation,
    critical_temperature,
    enumerate_lattice,
    integrated_time,
    onsager_energy,
    onsager_magnetisation,
    ring_neighbour_correlation,
)
from ..params import Choice, Float, Int, ParamError, Seed
from ..registry import register
from ..views import Curves, Heatmap, Readout, Series

NAMES = np.array(["heat-bath (Gibbs)", "Metropolis"])
RANDOM_SCAN_MAX = 64  # site-by-site sweeps are Python loops: small lattices only
ACF_LAG = 150
M_BINS = 41


@register
class IsingGibbsMetropolis(Experiment):
    id = "ch7.ising-gibbs-metropolis"
    title = "Gibbs and Metropolis sampling of the Ising model"
    section = "7.5"
    family = "Markov chain / lattice spins"
    summary = ("Two copies of the lattice, heat-bath and Metropolis, sweep by sweep; "
               "magnetisation and energy against Onsager's exact results.")
    explanation = (
        "Spins x_i = ±1 on a periodic square lattice with energy E = −JΣx_ix_j − hΣx_i are "
        "sampled from p ∝ exp(−E/T) by two Markov chains side by side from the same start: "
        "Gibbs sampling (heat-bath: each spin is redrawn from its conditional law, +1 with "
        "probability σ(2H_i/T), H_i the local field) and Metropolis (a flip is accepted with "
        "probability min(1, exp(−ΔE/T))). One frame is one sweep (checkerboard: each "
        "sublattice at once, its spins do not interact). Below the critical temperature "
        "T_c = 2J/ln(1+√2) ≈ 2.269 domains coarsen and |m| approaches Onsager's "
        "spontaneous magnetisation; near T_c clusters of every size appear and the "
        "autocorrelation time grows (critical slowing down); above it the spins are "
        "disordered. Drag T across T_c. For L = 4 the exact averages from enumerating all "
        "2¹⁶ states are shown; a 1D ring compares ⟨x_ixᵢ₊₁⟩ with the transfer matrix."
    )
    equations = (
        r"$p(x) \propto e^{-E(x)/T},\quad E(x) = -J\sum_{\langle ij\rangle} x_i x_j"
        r" - h\sum_i x_i$",
        r"$\mathrm{Gibbs:}\ \ P(x_i = +1 \mid x_{N(i)}) = \frac{1}{1 + e^{-2H_i/T}},\quad"
        r" H_i = J\sum_{j \in N(i)} x_j + h$",
        r"$\mathrm{Metropolis:}\ \ \alpha = \min(1, e^{-\Delta E/T}),\quad"
        r" \Delta E = 2\,x_i H_i$",
        r"$T_c = \frac{2J}{\ln(1+\sqrt{2})},\qquad M(T) = (1 - \sinh(2J/T)^{-4})^{1/8}$",
    )
    book_notes = (
        "Algorithm 1, line 4 ('Update the spin:') lost its formula in the book's conversion; "
        "the lab uses the heat-bath update x_i = +1 with probability σ(2βH_i), the "
        "conditional p(x_i | x_N(i)) the book states.",
        "The book calls Glauber dynamics a Gibbs/Metropolis 'hybrid'. Standard Glauber "
        "dynamics accepts a flip with probability 1/(1 + exp(βΔE)), which is exactly the "
        "random-scan heat-bath update (scan = random here).",
        "The book's algorithms sample p ∝ exp(−E); the lab exposes the temperature T = 1/β.",
        "Sweeping a ring by sublattices with Metropolis is not ergodic (flips of zero cost are "
        "always accepted, so domain walls move deterministically; the transition matrix of "
        "a 4-spin ring has several eigenvalues of modulus 1): the lab always sweeps the ring "
        "site by site (random scan).",
    )
    params = (
        Int("L", 64, 4, 256, log=True, label="L", help="Lattice side (even, periodic)."),
        Float("T", 2.269, 0.5, 5.0, live=True, label="temperature T", help="T = 1/β."),
        Float("J", 1.0, -1.0, 1.0, live=True, label="coupling J",
              help="J > 0 ferromagnet, J < 0 antiferromagnet."),
        Float("h", 0.0, -1.0, 1.0, live=True, label="field h"),
        Choice("scan", "checkerboard", SCANS,
               help="checkerboard: each sublattice at once; random: N random single-site "
                    "updates per sweep (Glauber for heat-bath; L ≤ 64). A ring is always swept "
                    "site by site."),
        Choice("initial", "random", ("random", "all-up"), help="Start of both chains."),
        Choice("lattice", "square", ("square", "ring"),
               help="A periodic L×L square lattice or a ring of L spins."),
        Seed(),
    )
    views = (
        Heatmap("gibbs", "Heat-bath (Gibbs) spins", area="left", field="spins_gibbs",
                levels=(-1.0, 1.0), colormap="CET-D1", xlabel="", ylabel=""),
        Heatmap("metropolis", "Metropolis spins", area="left", field="spins_metropolis",
                levels=(-1.0, 1.0), colormap="CET-D1", xlabel="", ylabel=""),
        Curves("magnetisation", "Magnetisation per spin m",
               series=(Series("m_trace", x="sweeps", names="names"),),
               hlines=("m_onsager", "m_onsager_neg"), xlabel="sweep", ylabel="m"),
        Curves("energy", "Energy per spin e",
               series=(Series("e_trace", x="sweeps", names="names"),),
               hlines=("e_onsager",), xlabel="sweep", ylabel="E/N"),
        Curves("phase", "⟨|m|⟩ vs T: Onsager and the runs",
               series=(Series("onsager_m", x="T_grid", label="Onsager M(T)"),
                       Series("absm_seen", x="T_seen", names="names", style="dots")),
               vlines=("Tc",), xlabel="T", ylabel="⟨|m|⟩"),
        Curves("m_hist", "Histogram of m since the last change",
               series=(Series("m_hist", x="m_edges", names="names", style="step"),),
               xlabel="m", ylabel="density"),
        Curves("acf", "Autocorrelation of m",
               series=(Series("acf", x="lags", names="names"),),
               xlabel="lag (sweeps)", ylabel="ρ(τ)"),
        Readout("readout", "Ising", area="bottom", lines=(
            ("sweep", "sweeps", "{:d}"),
            ("T_text", "T | T_c (Onsager)", "{}"),
            ("m_text", "⟨|m|⟩ Gibbs | Metropolis | Onsager", "{}"),
            ("e_text", "⟨E⟩/N Gibbs | Metropolis | Onsager", "{}"),
            ("exact_text", "exact (L = 4 enumeration) ⟨E⟩/N, ⟨|m|⟩", "{}"),
            ("accept_text", "changed spins per update: Gibbs | Metropolis", "{}"),
            ("tau_text", "τ_int of m: Gibbs | Metropolis", "{}"),
            ("ring_text", "ring ⟨xᵢxᵢ₊₁⟩ Gibbs | Metropolis | exact", "{}"),
        )),
    )
    frame_fields = {
        "spins_gibbs": "(rows, L) spins of the heat-bath chain",
        "spins_metropolis": "(rows, L) spins of the Metropolis chain",
        "names": "(2,) chain names", "sweeps": "(h,) sweep numbers",
        "m_trace": "(2, h) magnetisation per spin", "e_trace": "(2, h) energy per spin",
        "m_onsager": "Onsager's M(T) (0 above T_c)", "m_onsager_neg": "−M(T)",
        "e_onsager": "Onsager's energy per spin at T", "Tc": "Onsager's T_c",
        "T_grid": "(200,)", "onsager_m": "(200,) M(T)", "T_seen": "(k,) temperatures visited",
        "absm_seen": "(2, k) mean |m| at each", "m_edges": "(42,)",
        "m_hist": "(2, 41) density of m since the last change", "lags": "(≤151,)",
        "acf": "(2, ≤151) autocorrelation of m", "sweep": "sweeps done",
        "abs_m_mean": "(2,) mean |m| since the last change",
        "energy_mean": "(2,) mean E/N since the last change",
        "m2_mean": "(2,) mean m² since the last change",
        "acceptance": "(2,) changed spins per proposed update since the last change",
        "tau_int": "(2,) integrated autocorrelation time of m (sweeps)",
        "exact_energy": "⟨E⟩/N by enumeration (L = 4; NaN otherwise)",
        "exact_abs_m": "⟨|m|⟩ by enumeration (L = 4; NaN otherwise)",
        "exact_m2": "⟨m²⟩ by enumeration (L = 4; NaN otherwise)",
        "ring_corr": "(2,) mean x_i xᵢ₊₁ since the last change",
        "ring_exact": "transfer-matrix ⟨x_i xᵢ₊₁⟩ (ring, h = 0; NaN otherwise)",
        "samples": "sweeps averaged since the last change",
        "T_text": "read-out", "m_text": "read-out", "e_text": "read-out",
        "exact_text": "read-out", "accept_text": "read-out", "tau_text": "read-out",
        "ring_text": "read-out",
    }
    nonfinite_fields = frozenset({"exact_energy", "exact_abs_m", "exact_m2", "ring_exact",
                                  "e_onsager", "m_onsager", "m_onsager_neg"})
    history_fields = ("sweeps", "m_trace", "e_trace")
    default_steps_per_frame = 1
    max_steps_per_frame = 100

    @classmethod
    def check(cls, p) -> None:
        if p["L"] % 2:
            raise ParamError("L", "must be even: the periodic lattice is split into two "
                                  "sublattices (checkerboard)")
        ring = p["lattice"] == "ring"
        if p["scan"] == "random" and not ring and p["L"] > RANDOM_SCAN_MAX:
            raise ParamError("scan", f"random single-site sweeps run in Python: L ≤ "
                                     f"{RANDOM_SCAN_MAX} (use checkerboard)")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self._set_exact()

    def on_live_change(self, names: set[str]) -> None:
        if names & {"T", "J", "h"}:
            self._set_exact()
            self._restart_stats = True

    def _set_exact(self) -> None:
        p = self.p
        beta = 1.0 / p["T"]
        ring = p["lattice"] == "ring"
        rows = 1 if ring else p["L"]
        nan = float("nan")
        self.exact = None
        if rows * p["L"] <= 16:
            self.exact = enumerate_lattice(rows, p["L"], beta, p["J"], p["h"], ring=ring)
        self.ring_exact = (ring_neighbour_correlation(p["L"], beta, p["J"])
                           if ring and p["h"] == 0 else nan)
        square = not ring and p["h"] == 0 and p["J"] != 0
        self.m_onsager = onsager_magnetisation(p["T"], p["J"]) if square else nan
        self.e_onsager = onsager_energy(p["T"], p["J"]) if square else nan
        self.Tc = critical_temperature(p["J"] if p["J"] != 0 else 1.0)

    def frames(self) -> Iterator[Frame]:
        p = self.p
        L = p["L"]
        ring = p["lattice"] == "ring"
        rows = 1 if ring else L
        scan = "random" if ring else p["scan"]  # checkerboard Metropolis on a ring: not ergodic
        rng0 = np.random.default_rng(np.random.SeedSequence([p["seed"], 0]))
        start = (np.ones((rows, L), dtype=np.int8) if p["initial"] == "all-up"
                 else rng0.choice(np.array([-1, 1], dtype=np.int8), size=(rows, L)))
        chains = [IsingLattice(start, ring), IsingLattice(start, ring)]
        rngs = [np.random.default_rng(np.random.SeedSequence([p["seed"], k + 1]))
                for k in range(2)]
        algos = ("heat-bath", "metropolis")
        history = History(shape=(2, 2), capacity=4096)
        recent = Window(shape=(2,), capacity=4096)
        T_grid = np.linspace(0.5, 5.0, 200)
        seen: dict[float, list] = {}
        m_edges = np.linspace(-1.0 - 1.0 / M_BINS, 1.0 + 1.0 / M_BINS, M_BINS + 1)
        sweep = 0
        self._restart_stats = True
        shown_start = False
        while True:
            if self._restart_stats:
                self._restart_stats = False
                sums = np.zeros((2, 4))  # Σ|m|, ΣE/N, Σm², Σ x_i x_{i+1}
                m_counts = np.zeros((2, M_BINS))
                samples = 0
                recent.clear()
                for chain in chains:
                    chain.accepted = chain.proposed = 0
            T, J, h = self.p["T"], self.p["J"], self.p["h"]
            beta = 1.0 / T
            if shown_start:
                for _ in range(self.steps_per_frame):
                    for chain, algo, rng in zip(chains, algos, rngs, strict=True):
                        chain.sweep(rng, beta, J, h, algo, scan)
                    sweep += 1
                    ms = np.array([c.magnetisation() for c in chains])
                    es = np.array([c.energy(J, h) / c.N for c in chains])
                    sums += np.stack([np.abs(ms), es, ms * ms,
                                      [c.neighbour_correlation() for c in chains]], axis=1)
                    for k in range(2):
                        m_counts[k] += np.histogram(ms[k], bins=m_edges)[0]
                    samples += 1
                    history.append(sweep, np.stack([ms, es]))
                    recent.append(sweep, ms)
            shown_start = True
            ms = np.array([c.magnetisation() for c in chains])
            es = np.array([c.energy(J, h) / c.N for c in chains])
            if samples == 0:
                history.append(sweep, np.stack([ms, es]))
            hv = history.values
            means = sums / max(samples, 1)
            key = round(T, 3)
            if samples >= 10:
                seen[key] = list(means[:, 0])
            Ts = np.array(sorted(seen))
            series_m = recent.values
            acfs = [autocorrelation(series_m[:, k], ACF_LAG) for k in range(2)] \
                if len(series_m) > 2 else [np.ones(1), np.ones(1)]
            n_lag = min(len(a) for a in acfs)
            acf = np.stack([a[:n_lag] for a in acfs])
            tau = np.array([integrated_time(a) for a in acfs])
            acc = np.array([c.accepted / c.proposed if c.proposed else 0.0 for c in chains])
            ex = self.exact
            width = np.diff(m_edges)
            m_hist = m_counts / (max(samples, 1) * width)
            yield {
                "step": sweep,
                "t": float(sweep),
                "sweep": sweep,
                "spins_gibbs": chains[0].s.astype(np.float32),
                "spins_metropolis": chains[1].s.astype(np.float32),
                "names": NAMES,
                "sweeps": history.x,
                "m_trace": hv[:, 0, :].T.copy(),
                "e_trace": hv[:, 1, :].T.copy(),
                "m_onsager": self.m_onsager,
                "m_onsager_neg": -self.m_onsager,
                "e_onsager": self.e_onsager,
                "Tc": self.Tc,
                "T_grid": T_grid,
                "onsager_m": np.array([onsager_magnetisation(t, J or 1.0) for t in T_grid]),
                "T_seen": Ts.astype(float),
                "absm_seen": (np.array([seen[k] for k in Ts]).T if len(Ts)
                              else np.zeros((2, 0))),
                "m_edges": m_edges,
                "m_hist": m_hist,
                "lags": np.arange(n_lag, dtype=float),
                "acf": acf,
                "abs_m_mean": means[:, 0].copy(),
                "energy_mean": means[:, 1].copy(),
                "m2_mean": means[:, 2].copy(),
                "ring_corr": means[:, 3].copy(),
                "acceptance": acc,
                "tau_int": tau,
                "exact_energy": ex.energy if ex else float("nan"),
                "exact_abs_m": ex.abs_m if ex else float("nan"),
                "exact_m2": ex.m2 if ex else float("nan"),
                "ring_exact": self.ring_exact,
                "samples": samples,
                "T_text": f"{T:.3f} | {self.Tc:.4f}",
                "m_text": f"{means[0, 0]:.4f} | {means[1, 0]:.4f} | " + _fmt(self.m_onsager),
                "e_text": f"{means[0, 1]:.4f} | {means[1, 1]:.4f} | " + _fmt(self.e_onsager),
                "exact_text": f"{ex.energy:.4f}, {ex.abs_m:.4f}" if ex else "— (L = 4 only)",
                "accept_text": f"{acc[0]:.3f} | {acc[1]:.3f}",
                "tau_text": f"{tau[0]:.1f} | {tau[1]:.1f}",
                "ring_text": (f"{means[0, 3]:.4f} | {means[1, 3]:.4f} | {self.ring_exact:.4f}"
                              if ring else "— (ring only)"),
            }


def _fmt(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{value:.4f}"
