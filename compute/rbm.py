"""A tiny restricted Boltzmann machine and its Markov chain samplers (§7.5, Example 7.5.1).

E(v, h) = −bᵀv − cᵀh − vᵀWh with binary units v ∈ {0,1}^d, h ∈ {0,1}^m and p ∝ e^{−E}.
Conditionals factorise: P(h_j = 1 | v) = σ(c_j + (Wᵀv)_j), P(v_i = 1 | h) = σ(b_i + (Wh)_i).

* :class:`RBM` with :meth:`RBM.exact` (enumeration over the 2^d visible states, the hidden
  layer summed analytically) and :meth:`RBM.joint_probabilities` (all 2^{d+m} states);
* samplers vectorised over parallel chains: block Gibbs (h | v then v | h, the energy
  recorded with a fresh h | v), k-unit flip Metropolis (k = 1: the notebook's "Glauber",
  a layer with probability ½, then one of its units), the independence sampler (a fresh
  uniform configuration); :func:`exact_flip_acceptance` is Σ_x π(x)·E[min(1, e^{−ΔE})] over
  the proposal;
* diagnostics: autocorrelation, integrated time (re-exported from ``compute.ising``) and the
  Gelman–Rubin R̂ across chains.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from .ising import autocorrelation, integrated_time

__all__ = ["RBM", "autocorrelation", "integrated_time", "r_hat"]

EXACT_VISIBLE_MAX = 16  # enumerate 2^d visible states up to this d
JOINT_MAX = 14  # list all 2^{d+m} joint states up to this many units


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class RBMExact:
    mean_E: float
    sd_E: float
    log_Z: float
    E_min: float
    mean_v: np.ndarray
    mean_h: np.ndarray


class RBM:
    """Parameters W (d, m), b (d,), c (m,)."""

    def __init__(self, W: np.ndarray, b: np.ndarray, c: np.ndarray):
        self.W = np.asarray(W, dtype=float)
        self.b = np.asarray(b, dtype=float)
        self.c = np.asarray(c, dtype=float)
        self.d, self.m = self.W.shape

    @classmethod
    def random(cls, d: int, m: int, rng: np.random.Generator, w_scale: float = 1.0,
               b0: float = -1.0, c0: float = 1.0) -> RBM:
        """The notebook's model: W = 0.3 + 0.1ξ (times ``w_scale``), b = b₀ + 0.1ξ,
        c = c₀ + 0.1ξ."""
        W = w_scale * (0.3 + 0.1 * rng.standard_normal((d, m)))
        b = b0 + 0.1 * rng.standard_normal(d)
        c = c0 + 0.1 * rng.standard_normal(m)
        return cls(W, b, c)

    @property
    def units(self) -> int:
        return self.d + self.m

    def energy(self, v: np.ndarray, h: np.ndarray) -> np.ndarray:
        """E for states stacked along the first axis."""
        return -(v @ self.b) - (h @ self.c) - np.sum((v @ self.W) * h, axis=-1)

    # -- exact references --------------------------------------------------------------
    def visible_states(self) -> np.ndarray:
        return np.array(list(itertools.product([0.0, 1.0], repeat=self.d)))

    def exact(self) -> RBMExact:
        """⟨E⟩, sd(E), log Z, E_min, ⟨v⟩, ⟨h⟩ with h summed out analytically."""
        if self.d > EXACT_VISIBLE_MAX:
            raise ValueError(f"exact enumeration needs d ≤ {EXACT_VISIBLE_MAX}")
        V = self.visible_states()
        a = self.c + V @ self.W  # (2^d, m): hidden activations
        log_w = V @ self.b + np.sum(np.logaddexp(0.0, a), axis=1)  # log Σ_h e^{−E(v,h)}
        top = log_w.max()
        p = np.exp(log_w - top)
        Z = p.sum()
        p /= Z
        s = sigmoid(a)
        cond_mean = -(V @ self.b) - np.sum(a * s, axis=1)  # E[E | v]
        cond_var = np.sum(a * a * s * (1 - s), axis=1)  # Var[E | v]
        mean_E = float(p @ cond_mean)
        var_E = float(p @ cond_var + p @ (cond_mean - mean_E) ** 2)
        # minimum energy: for each v the best h sets h_j = 1 where a_j > 0
        E_min = float(np.min(-(V @ self.b) - np.sum(np.maximum(a, 0.0), axis=1)))
        return RBMExact(mean_E=mean_E, sd_E=math.sqrt(max(var_E, 0.0)),
                        log_Z=float(math.log(Z) + top), E_min=E_min, mean_v=p @ V,
                        mean_h=p @ s)

    def joint_states(self) -> tuple[np.ndarray, np.ndarray]:
        """All (v, h) pairs, index = v bits (most significant first) then h bits."""
        X = np.array(list(itertools.product([0.0, 1.0], repeat=self.units)))
        return X[:, : self.d], X[:, self.d:]

    def joint_probabilities(self) -> np.ndarray:
        if self.units > JOINT_MAX:
            raise ValueError(f"the joint state list needs d + m ≤ {JOINT_MAX}")
        v, h = self.joint_states()
        logw = -self.energy(v, h)
        w = np.exp(logw - logw.max())
        return w / w.sum()

    def state_index(self, v: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Index of each chain's joint state in :meth:`joint_states` order."""
        bits = np.concatenate([v, h], axis=1).astype(np.int64)
        weights = 1 << np.arange(self.units - 1, -1, -1)
        return bits @ weights

    def visible_index(self, v: np.ndarray) -> np.ndarray:
        weights = 1 << np.arange(self.d - 1, -1, -1)
        return v.astype(np.int64) @ weights

    # -- samplers (vectorised over chains) ----------------------------------------------
    def sample_h(self, v, rng):
        return (rng.random((len(v), self.m)) < sigmoid(self.c + v @ self.W)).astype(float)

    def sample_v(self, h, rng):
        return (rng.random((len(h), self.d)) < sigmoid(self.b + h @ self.W.T)).astype(float)

    def gibbs_step(self, v, rng):
        """One block-Gibbs iteration v → h → v′, then a fresh h′ | v′: (v′, h′) is a joint
        sample."""
        h = self.sample_h(v, rng)
        v = self.sample_v(h, rng)
        return v, self.sample_h(v, rng)

    def flip_mask(self, chains: int, k: int, rng) -> np.ndarray:
        """Which units to flip: k = 1 is the notebook's proposal (the visible layer with
        probability ½, else the hidden one, then one unit of it); k ≥ 2 flips k distinct
        units chosen uniformly among all d + m."""
        n = self.units
        mask = np.zeros((chains, n), dtype=bool)
        rows = np.arange(chains)
        if k == 1:
            visible = rng.random(chains) < 0.5
            unit = np.where(visible, rng.integers(0, self.d, chains),
                            self.d + rng.integers(0, self.m, chains))
            mask[rows, unit] = True
        else:
            order = np.argsort(rng.random((chains, n)), axis=1)[:, :k]
            mask[rows[:, None], order] = True
        return mask

    def mh_step(self, v, h, rng, k: int = 1, independence: bool = False):
        """One Metropolis step: flip k units (or, with ``independence``, propose a fresh
        uniform configuration); accept with min(1, e^{−ΔE}). Returns (v, h, accepted)."""
        chains = len(v)
        x = np.concatenate([v, h], axis=1)
        if independence:
            y = (rng.random(x.shape) < 0.5).astype(float)
        else:
            y = np.where(self.flip_mask(chains, k, rng), 1.0 - x, x)
        yv, yh = y[:, : self.d], y[:, self.d:]
        dE = self.energy(yv, yh) - self.energy(v, h)
        accept = rng.random(chains) < np.exp(-np.maximum(dE, 0.0))
        x = np.where(accept[:, None], y, x)
        return x[:, : self.d], x[:, self.d:], accept


def exact_flip_acceptance(rbm: RBM, k: int) -> float:
    """Σ_x π(x)·E_proposal[min(1, e^{−ΔE})] for the k-flip proposal of :meth:`RBM.mh_step`
    (enumerating states and flip sets: d + m ≤ JOINT_MAX)."""
    p = rbm.joint_probabilities()
    v, h = rbm.joint_states()
    x = np.concatenate([v, h], axis=1)
    E = rbm.energy(v, h)
    n = rbm.units
    if k == 1:
        subsets = [((i,), (0.5 / rbm.d if i < rbm.d else 0.5 / rbm.m)) for i in range(n)]
    else:
        combos = list(itertools.combinations(range(n), k))
        subsets = [(c, 1.0 / len(combos)) for c in combos]
    total = np.zeros(len(p))
    for units, weight in subsets:
        y = x.copy()
        y[:, list(units)] = 1.0 - y[:, list(units)]
        dE = rbm.energy(y[:, : rbm.d], y[:, rbm.d:]) - E
        total += weight * np.minimum(1.0, np.exp(-dE))
    return float(p @ total)


def exact_independence_acceptance(rbm: RBM) -> float:
    """Σ_x π(x)·Σ_y 2^{−(d+m)} min(1, π(y)/π(x)) for the uniform independence sampler."""
    p = np.sort(rbm.joint_probabilities())
    N = len(p)
    # Σ_x π(x)·mean_y min(1, π(y)/π(x)) = (1/N)Σ_{x,y} min(π(x), π(y)); the i-th smallest
    # probability is the smaller one in 2(N − i) − 1 ordered pairs (i = 1…N)
    counts = 2 * (N - np.arange(1, N + 1)) + 1
    return float(p @ counts / N)


def r_hat(chains: np.ndarray) -> float:
    """Gelman–Rubin potential scale reduction of (chains, samples) series."""
    M, n = chains.shape
    if M < 2 or n < 4:
        return float("nan")
    means = chains.mean(axis=1)
    W = chains.var(axis=1, ddof=1).mean()
    B = n * means.var(ddof=1)
    if W <= 0:
        return float("nan")
    var_plus = (n - 1) / n * W + B / n
    return float(math.sqrt(var_plus / W))
