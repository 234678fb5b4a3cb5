"""§7.6.1: greedy, temperature, top-k and top-p sampling of a next-token distribution."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from .. import tokens
from ..experiment import Experiment, Frame
from ..history import History
from ..params import Choice, Float, Int, Seed
from ..registry import register
from ..views import Bars, Curves, Readout, Series

SOURCES = ("toy", "zipf", "bigram")
T_GRID = np.exp(np.linspace(np.log(0.05), np.log(5.0), 120))


def show_char(c: str) -> str:
    return {" ": "␣", "\n": "⏎"}.get(c, c)


@register
class TokenSampling(Experiment):
    id = "ch7.token-sampling"
    title = "Greedy, temperature, top-k and top-p sampling"
    section = "7.6.1"
    family = "token sampling"
    summary = ("A next-token distribution transformed by temperature, top-k and top-p; "
               "samples fill in the transformed law.")
    explanation = (
        "A language model gives a distribution P(w | context) over its vocabulary; how the "
        "next token is drawn from it is a choice. Temperature rescales the energies "
        "E(w) = −log P(w): P_T ∝ P^(1/T), greedy as T → 0 (T = 0 here), uniform as T → ∞, "
        "so the entropy climbs from 0 to log V along the curve (the marker is the current "
        "T). Top-k keeps the k most likely tokens; top-p (nucleus) keeps the smallest set "
        "of most likely tokens whose mass reaches p (inclusive; ties broken by token order) "
        "— its size adapts to how confident P is. The filters apply in the order "
        "temperature → top-k → top-p, each renormalising; removed tokens are greyed. Samples "
        "drawn from the transformed law fill the third bars, and their total-variation "
        "distance to it falls like 1/√N. Sources: the catalogue's toy 8-token law, a Zipf "
        "law, or a character bigram model of Shakespeare's sonnets (public domain, shipped "
        "with the lab)."
    )
    equations = (
        r"$P_T(w) = \frac{P(w)^{1/T}}{\sum_v P(v)^{1/T}} = \frac{e^{-E(w)/T}}{Z_T},"
        r"\quad E(w) = -\log P(w)$",
        r"$K_p = \min\{K:\ \sum_{w\in K} P(w) \geq p\},\qquad"
        r" P_p(w) = P(w)\,\mathbf{1}[w\in K_p]/P(K_p)$",
        r"$H(P_T) = -\sum_w P_T(w)\log P_T(w):\ \ 0\ (T\to 0)\ \to\ \log V\ (T\to\infty)$",
    )
    book_notes = (
        "The book leaves the top-p boundary open; the lab keeps the smallest prefix whose "
        "mass is ≥ p (inclusive), breaking ties by token order, and applies the filters in "
        "the common order temperature → top-k → top-p. T = 0 and p = 0 mean greedy (their "
        "limits), rather than being refused.",
    )
    params = (
        Float("T", 1.0, 0.0, 5.0, live=True, label="temperature T",
              help="P^(1/T); 0 means greedy."),
        Int("k", 64, 1, 64, live=True, label="top-k", help="k ≥ V switches top-k off."),
        Float("p", 1.0, 0.0, 1.0, live=True, label="top-p",
              help="Nucleus mass; 1 switches it off, 0 keeps the most likely token."),
        Choice("source", "toy", SOURCES, help="toy 8-token law, Zipf law, or a bigram model."),
        Int("V", 20, 2, 64, label="Zipf vocabulary V"),
        Float("zipf_s", 1.1, 0.2, 3.0, label="Zipf exponent s"),
        Choice("context", "e", ("e", "t", "␣", "q", "o"), live=True,
               label="bigram context", help="The previous character for the bigram source."),
        Seed(),
    )
    views = (
        Bars("bars", "Original, transformed and sampled (removed tokens greyed)", area="left",
             values="bar_values", labels="token_names", names="bar_names",
             mask="removed", reference="transformed", reference_label="transformed law",
             yrange=(0.0, 1.0)),
        Curves("entropy", "Entropy of P_T vs T (nats)",
               series=(Series("entropy_curve", x="T_grid", label="H(P_T)"),
                       Series("entropy_now", x="T_now", label="current T", style="dots"),
                       Series("entropy_final", x="T_now", label="after top-k, top-p",
                              style="dots")),
               hlines=("log_V",), xlabel="temperature T", ylabel="entropy (nats)", logx=True),
        Curves("convergence", "Samples vs the transformed law",
               series=(Series("tv_samples", x="n_samples", label="‖freq − law‖_TV"),
                       Series("tv_expected", x="n_samples", label="expected ≈ Σ√(p(1−p)/2πN)")),
               xlabel="samples N", ylabel="total variation", logx=True, logy=True),
        Bars("energy", "Energy landscape E(w)/T", values="energy", labels="token_names",
             mask="removed", ylabel="−log P(w) / T"),
        Readout("readout", "Sampling", area="bottom", lines=(
            ("samples", "samples drawn", "{:d}"),
            ("entropy_text", "H(P) | H(P_T) | H(final) (nats)", "{}"),
            ("kept_text", "tokens kept: top-k | nucleus | final", "{}"),
            ("last_text", "last sample", "{}"),
            ("tv_text", "‖freq − law‖_TV | expected", "{}"),
        )),
    )
    frame_fields = {
        "original": "(V,) the source law P", "tempered": "(V,) P_T",
        "transformed": "(V,) the law sampled from", "removed": "(V,) masked tokens",
        "freq": "(V,) empirical frequencies since the last change", "token_names": "(V,)",
        "bar_values": "(3, V) original, transformed, empirical", "bar_names": "(3,)",
        "T_grid": "(120,)", "entropy_curve": "(120,) H(P_T)", "T_now": "(1,) max(T, 0.05)",
        "entropy_now": "(1,) H(P_T)", "entropy_final": "(1,) H(final)", "log_V": "log V",
        "n_samples": "(h,)", "tv_samples": "(h,)", "tv_expected": "(h,)",
        "energy": "(V,) −log P/T (0 where masked)", "samples": "samples since the change",
        "last_token": "index of the last sample", "entropy_text": "read-out",
        "kept_text": "read-out", "last_text": "read-out", "tv_text": "read-out",
    }
    history_fields = ("n_samples", "tv_samples")
    default_steps_per_frame = 20

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self._set_source()

    def _set_source(self) -> None:
        p = self.p
        if p["source"] == "toy":
            self.P = tokens.TOY.copy()
            self.names = np.array([f"w{i + 1}" for i in range(len(self.P))])
        elif p["source"] == "zipf":
            self.P = tokens.zipf(p["V"], p["zipf_s"])
            self.names = np.array([f"w{i + 1}" for i in range(len(self.P))])
        else:
            model = tokens.NGram(tokens.corpus(), 2)
            ctx = {"␣": " "}.get(p["context"], p["context"])
            full = model.next_distribution(ctx)
            top = tokens.order(full)[:24]  # the 24 most likely next characters
            self.P = full[top] / full[top].sum()
            self.names = np.array([show_char(model.vocab[i]) for i in top])
        self.law = tokens.transform(self.P, p["T"], p["k"], p["p"])

    def on_live_change(self, names: set[str]) -> None:
        if "context" in names:
            self._set_source()
        self.law = tokens.transform(self.P, self.p["T"], self.p["k"], self.p["p"])
        self._restart = True

    def frames(self) -> Iterator[Frame]:
        p = self.p
        rng = np.random.default_rng(np.random.SeedSequence([p["seed"], 1]))
        self._restart = True
        last = -1
        step = 0
        started = False
        while True:
            if self._restart:
                self._restart = False
                counts = np.zeros(len(self.P))
                history = History(shape=(2,), capacity=2048)
            law = self.law
            q = law.final
            if started:
                draws = rng.choice(len(q), size=self.steps_per_frame, p=q)
                counts += np.bincount(draws, minlength=len(q))
                last = int(draws[-1])
                step += self.steps_per_frame
            started = True
            n = int(counts.sum())
            freq = counts / max(n, 1)
            d = tokens_tv(freq, q) if n else 1.0
            expected = float(np.sum(np.sqrt(q * (1 - q) / (2 * math.pi * max(n, 1)))))
            if n:
                history.append(n, (d, expected))
            hv = history.values
            T = self.p["T"]
            top_k = tokens.top_k_mask(law.tempered, self.p["k"])
            with np.errstate(divide="ignore"):
                energy = np.where(law.kept, -np.log(self.P) / max(T, 1e-12), 0.0)
            yield {
                "step": step,
                "t": float(step),
                "original": self.P,
                "tempered": law.tempered,
                "transformed": q,
                "removed": ~law.kept,
                "freq": freq,
                "token_names": self.names,
                "bar_values": np.vstack([self.P, q, freq]),
                "bar_names": np.array(["original P", "transformed", "sampled"]),
                "T_grid": T_GRID,
                "entropy_curve": np.array([tokens.entropy(tokens.with_temperature(self.P, t))
                                           for t in T_GRID]),
                "T_now": np.array([max(T, T_GRID[0])]),
                "entropy_now": np.array([tokens.entropy(law.tempered)]),
                "entropy_final": np.array([tokens.entropy(q)]),
                "log_V": math.log(len(self.P)),
                "n_samples": history.x,
                "tv_samples": hv[:, 0] if len(hv) else np.zeros(0),
                "tv_expected": hv[:, 1] if len(hv) else np.zeros(0),
                "energy": energy,
                "samples": n,
                "last_token": last,
                "entropy_text": f"{tokens.entropy(self.P):.4f} | "
                                f"{tokens.entropy(law.tempered):.4f} | {tokens.entropy(q):.4f}",
                "kept_text": f"{int(top_k.sum())} | "
                             f"{int(tokens.top_p_mask(law.tempered, self.p['p']).sum())} | "
                             f"{int(law.kept.sum())} of {len(self.P)}",
                "last_text": self.names[last] if last >= 0 else "—",
                "tv_text": f"{d:.4f} | {expected:.4f}" if n else "—",
            }


def tokens_tv(a: np.ndarray, b: np.ndarray) -> float:
    return 0.5 * float(np.abs(a - b).sum())
