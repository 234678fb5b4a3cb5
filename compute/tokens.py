"""Next-token sampling (§7.6): temperature, top-k and top-p (nucleus) transformations.

Applied in the usual order temperature → top-k → top-p to a distribution P over V tokens:

* temperature: P_T(w) ∝ P(w)^{1/T} = exp(−E(w)/T) with E = −log P; T = 0 means greedy
  (all mass on the most likely token, the limit T → 0⁺);
* top-k: keep the k most likely tokens and renormalise (k ≥ V: no filter);
* top-p: keep the smallest prefix of the tokens sorted by decreasing probability whose mass
  is ≥ p (inclusive), and renormalise; ties are broken by token index (a stable sort), so the
  boundary is deterministic; p = 0 keeps the single most likely token (greedy, the limit
  p → 0⁺); p = 1 no filter.

Also: entropy in nats, the toy 8-token law of the catalogue, a Zipf law, the shipped
public-domain text (Shakespeare's sonnets) and a character n-gram model on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

TOY = np.array([0.4, 0.2, 0.15, 0.1, 0.06, 0.04, 0.03, 0.02])
DATA = Path(__file__).with_name("data")


def entropy(p: np.ndarray) -> float:
    """H(p) = −Σ p log p in nats (0 log 0 = 0)."""
    p = np.asarray(p, dtype=float)
    nz = p[p > 0]
    return float(-(nz * np.log(nz)).sum())


def order(p: np.ndarray) -> np.ndarray:
    """Token indices by decreasing probability, ties by increasing index (stable)."""
    return np.argsort(-np.asarray(p, dtype=float), kind="stable")


def with_temperature(p: np.ndarray, T: float) -> np.ndarray:
    """P^{1/T}/Σ (computed in log space); T = 0 is greedy."""
    p = np.asarray(p, dtype=float)
    if T == 0:
        out = np.zeros_like(p)
        out[order(p)[0]] = 1.0
        return out
    with np.errstate(divide="ignore"):
        logp = np.log(p) / T
    logp -= logp.max()
    w = np.exp(logp)
    return w / w.sum()


def top_k_mask(p: np.ndarray, k: int) -> np.ndarray:
    """True for the k most likely tokens (all when k ≥ V)."""
    keep = np.zeros(len(p), dtype=bool)
    keep[order(p)[: max(1, min(k, len(p)))]] = True
    return keep


def top_p_mask(p: np.ndarray, top_p: float) -> np.ndarray:
    """True for the smallest prefix (by decreasing probability) with mass ≥ top_p."""
    idx = order(p)
    cum = np.cumsum(np.asarray(p, dtype=float)[idx])
    # the first position where the cumulative mass reaches p (a float tolerance for p = 1)
    n_keep = int(np.searchsorted(cum, top_p - 1e-12, side="left")) + 1
    keep = np.zeros(len(p), dtype=bool)
    keep[idx[: max(1, min(n_keep, len(p)))]] = True
    return keep


@dataclass(frozen=True)
class Transformed:
    tempered: np.ndarray  # after the temperature
    kept: np.ndarray  # bool mask of the tokens still allowed
    final: np.ndarray  # the law sampled from


def transform(p: np.ndarray, T: float = 1.0, k: int | None = None,
              top_p: float = 1.0) -> Transformed:
    """Temperature, then top-k, then top-p, renormalising after each filter."""
    tempered = with_temperature(p, T)
    kept = np.ones(len(p), dtype=bool)
    q = tempered
    if k is not None and k < len(p):
        kept &= top_k_mask(q, k)
        q = np.where(kept, q, 0.0)
        q = q / q.sum()
    if top_p < 1.0:
        kept &= top_p_mask(q, top_p)
        q = np.where(kept, q, 0.0)
        q = q / q.sum()
    return Transformed(tempered=tempered, kept=kept, final=q)


def zipf(V: int, s: float = 1.1) -> np.ndarray:
    w = 1.0 / np.arange(1, V + 1) ** s
    return w / w.sum()


@lru_cache(maxsize=4)
def corpus(name: str = "sonnets") -> str:
    """The shipped public-domain text (read from the package's data folder)."""
    return (DATA / f"{name}.txt").read_text(encoding="utf-8")


def char_vocabulary(text: str) -> list[str]:
    return sorted(set(text))


class NGram:
    """A character n-gram model with add-α smoothing: P(x | the previous n − 1 chars),
    backing off to shorter contexts never seen in the text."""

    def __init__(self, text: str, order_n: int, alpha: float = 0.01):
        self.vocab = char_vocabulary(text)
        self.index = {c: i for i, c in enumerate(self.vocab)}
        self.n = order_n
        self.alpha = alpha
        self.counts: dict[str, np.ndarray] = {}
        V = len(self.vocab)
        for length in range(order_n):
            for i in range(length, len(text)):
                row = self.counts.setdefault(text[i - length: i], np.zeros(V))
                row[self.index[text[i]]] += 1

    def next_distribution(self, context: str) -> np.ndarray:
        for length in range(min(self.n - 1, len(context)), -1, -1):
            row = self.counts.get(context[len(context) - length:])
            if row is not None:
                w = row + self.alpha
                return w / w.sum()
        return np.full(len(self.vocab), 1.0 / len(self.vocab))
