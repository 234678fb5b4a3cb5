"""Particle ensembles for stochastic differential equations (§7.3): one integrator core.

An :class:`Ensemble` holds the positions of n independent particles, in numpy float64 or in
torch float32 (on the CPU or a GPU), and advances them by Euler–Maruyama,

    x ← x + b(x)·Δt + √(2DΔt)·ξ,   ξ ~ N(0, I),

or by the exact Ornstein–Uhlenbeck step. Drifts are plain functions of the position array
written with arithmetic operators, so the same drift runs on both engines. Boundary
handlers (absorbing with the Brownian-bridge correction, reflecting) act on the same
arrays. :class:`HysteresisCounter` counts well-to-well transitions at *every* step, so the
measured rate does not depend on how many steps a frame holds.

The engine is chosen by :func:`choose_engine`: numpy for small ensembles (exact float64, no
torch import), torch float32 for large ones when torch is installed, on the device the
lab's device setting names (``auto``: a CUDA GPU when present).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import backend
from .params import ParamError

ENGINES = ("auto", "numpy", "torch")
TORCH_THRESHOLD = 100_000  # auto: torch float32 from this many particles on


def choose_engine(engine: str, device: str, n: int, param: str = "engine") -> tuple[str, str]:
    """(kind, device) for ``engine`` ∈ ENGINES, the lab's ``device`` setting and ``n`` particles.

    * ``numpy``: float64 on the CPU, whatever the device setting;
    * ``torch``: float32 on the device the setting resolves to (``auto``: CUDA > MPS > CPU);
    * ``auto``: torch when the setting names a GPU, or when n ≥ TORCH_THRESHOLD and torch is
      installed (on the resolved device); numpy otherwise.
    """
    if engine == "numpy":
        return "numpy", "cpu"
    if engine == "torch":
        if not backend.torch_installed():
            raise ParamError(param, "the torch engine needs PyTorch, which is not installed")
        return "torch", backend.resolve_device(device)
    if device in ("cuda", "mps"):
        return "torch", backend.resolve_device(device)
    if n >= TORCH_THRESHOLD and backend.torch_installed():
        return "torch", backend.resolve_device(device)
    return "numpy", "cpu"


def check_engine_available(engine: str, param: str = "engine") -> None:
    """Refuse ``engine = torch`` up front (naming ``param``) when torch is absent."""
    if engine == "torch" and not backend.torch_installed():
        raise ParamError(param, "the torch engine needs PyTorch, which is not installed")


def bytes_per_particle(dim: int = 1) -> int:
    """Memory one particle costs: positions, noise, drift temporaries, the frame's copy and
    the counter's state, in float64 (the larger engine)."""
    return 12 * 8 * dim + 8


class Ensemble:
    """Positions x of shape (n,) or (n, d), advanced in place by one engine."""

    def __init__(self, x0: np.ndarray, seed: int, stream: int = 1, kind: str = "numpy",
                 device: str = "cpu"):
        self.kind = kind
        self.device = device
        self._buf = None  # the cubic drift's scratch, made at its first use
        x0 = np.asarray(x0, dtype=np.float64)
        if kind == "numpy":
            self.x = x0.copy()
            self._rng = backend.rng(seed, stream)
            self._xi = np.empty_like(self.x)
        else:
            torch = backend.import_torch()
            self._torch = torch
            self.x = torch.tensor(x0, dtype=torch.float32, device=device)
            self._gen = backend.torch_generator(seed, device, stream)
            self._xi = torch.empty_like(self.x)
            self._c1: tuple[float, object] | None = None  # c1 and its 0-d tensor on x's device
            self._bin_pos = torch.empty_like(self.x)  # histogram scratch, reused every frame
            self._bin_idx = torch.empty(self.x.shape, dtype=torch.int32, device=device)

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def label(self) -> str:
        """What the status line shows: the engine, its precision and its device."""
        return "numpy float64" if self.kind == "numpy" else f"torch float32 on {self.device}"

    # -- random numbers ----------------------------------------------------------------
    def noise(self):
        """Fill and return the noise buffer with independent N(0, 1) draws."""
        if self.kind == "numpy":
            self._rng.standard_normal(out=self._xi)
        else:
            self._xi.normal_(generator=self._gen)
        return self._xi

    def uniform(self):
        """A fresh array of U(0, 1) draws, shaped like x."""
        if self.kind == "numpy":
            return self._rng.random(self.x.shape)
        return self._torch.rand(self.x.shape, generator=self._gen, device=self.device)

    # -- steps -------------------------------------------------------------------------
    def em_step(self, dt: float, D: float, drift: Callable[[Any], Any] | None = None,
                gradient: Callable[[Any], Any] | None = None,
                cubic: tuple[float, float, float] | None = None) -> None:
        """One Euler–Maruyama step x ← x + b(x)Δt + √(2DΔt)ξ.

        The drift is ``drift(x)``, or −∇U given as ``gradient(x)`` (overdamped Langevin),
        or −(c3x³ + c1x + c0) given as ``cubic`` = (c3, c1, c0), evaluated in place with no
        temporaries (the fast path for 10⁶ particles), or 0.
        """
        xi = self.noise()
        x = self.x
        if cubic is not None:
            self._cubic_drift_step(cubic, dt)
        elif drift is not None or gradient is not None:
            b = drift(x) if drift is not None else gradient(x)
            step = dt if drift is not None else -dt
            if self.kind == "numpy":
                b *= step
                x += b
            else:
                x.add_(b, alpha=step)
        amp = math.sqrt(2.0 * D * dt)
        if self.kind == "numpy":
            xi *= amp
            x += xi
        else:
            x.add_(xi, alpha=amp)

    def _cubic_drift_step(self, cubic: tuple[float, float, float], dt: float) -> None:
        """x ← x − Δt·(c3x³ + c1x + c0), in place through one scratch buffer."""
        c3, c1, c0 = cubic
        x = self.x
        if self._buf is None:
            self._buf = np.empty_like(x) if self.kind == "numpy" else self._torch.empty_like(x)
        b = self._buf
        if self.kind == "numpy":
            np.multiply(x, x, out=b)
            b *= c3 * dt
            b += c1 * dt
            b *= x
            x -= b
        else:
            if self._c1 is None or self._c1[0] != c1:
                self._c1 = (c1, self._torch.tensor(c1, dtype=x.dtype, device=x.device))
            self._torch.addcmul(self._c1[1], x, x, value=c3, out=b)  # c3x² + c1, one pass
            x.addcmul_(b, x, value=-dt)  # elementwise: reads x[i] before writing it
        if c0:
            x -= c0 * dt

    def ou_exact_step(self, lam: float, D: float, dt: float) -> None:
        """The exact OU transition x ← e^{−λΔt}x + √((D/λ)(1 − e^{−2λΔt}))·ξ."""
        a = math.exp(-lam * dt)
        s = math.sqrt(D / lam * -math.expm1(-2.0 * lam * dt))
        xi = self.noise()
        if self.kind == "numpy":
            self.x *= a
            xi *= s
            self.x += xi
        else:
            self.x.mul_(a).add_(xi, alpha=s)

    # -- read-outs ---------------------------------------------------------------------
    def host_view(self) -> Ensemble:
        """The ensemble for numpy to read: itself when numpy (or on a GPU, where it stays a
        torch one); for torch on the CPU a numpy-kind view sharing the positions, since
        numpy's SIMD comparisons and counts run about three times faster than torch's there.
        The view follows the steps taken in place; it cannot step itself."""
        if self.kind == "numpy" or self.device != "cpu":
            return self
        return _NumpyView(self)

    def numpy(self) -> np.ndarray:
        """A copy of the positions as a numpy array (float64 or float32)."""
        if self.kind == "numpy":
            return self.x.copy()
        return self.x.detach().to("cpu").numpy().copy()

    def head(self, k: int) -> np.ndarray:
        """The first k particles' positions (float64), for traced paths."""
        part = self.x[:k]
        if self.kind == "numpy":
            return part.astype(np.float64)
        return part.detach().to("cpu").double().numpy()

    def count(self, mask) -> int:
        if self.kind == "numpy":
            return int(np.count_nonzero(mask))
        return int(self._torch.count_nonzero(mask).item())  # 8x faster than bool .sum()

    def total(self, values) -> float:
        """Σ values in double precision."""
        if self.kind == "numpy":
            return float(np.sum(values))
        return float(values.sum(dtype=self._torch.float64).item())

    def max_abs(self) -> float:
        """max |x| (NaN if any coordinate is NaN), for the divergence guard."""
        if self.n == 0:
            return 0.0
        if self.kind == "numpy":
            m = np.max(np.abs(self.x))
            return float(m) if np.isfinite(m) else math.inf
        low, high = self._torch.aminmax(self.x)  # one pass, no |x| temporary
        m = max(-float(low), float(high))
        return m if math.isfinite(m) else math.inf

    def histogram(self, lo: float, hi: float, bins: int, values=None) -> np.ndarray:
        """Counts of ``values`` (default x, 1D) in ``bins`` uniform bins on [lo, hi)."""
        v = self.x if values is None else values
        if self.kind == "numpy":
            return uniform_bin_counts(v, lo, hi, bins)
        # 1 + bin index, clamped to an overflow bin on each side (NaN to the left one) and
        # counted with bincount: on a CPU a third of the time of torch.histc. The scratch
        # buffers are kept, so a frame allocates nothing of the ensemble's size.
        torch = self._torch
        if self._bin_pos.shape != v.shape:  # (values other than the positions)
            self._bin_pos = torch.empty_like(v)
            self._bin_idx = torch.empty(v.shape, dtype=torch.int32, device=v.device)
        scale = bins / (hi - lo)
        pos = torch.mul(v, scale, out=self._bin_pos).add_(1.0 - lo * scale)
        pos.clamp_(0.0, bins + 1.0).nan_to_num_(nan=0.0)
        idx = self._bin_idx.copy_(pos)  # truncation is floor on these non-negative values
        counts = torch.bincount(idx, minlength=bins + 2)[1:bins + 1]
        return counts.to("cpu").double().numpy()


class _NumpyView(Ensemble):
    """A torch ensemble on the CPU read through numpy (see :meth:`Ensemble.host_view`)."""

    def __init__(self, base: Ensemble):  # nothing is copied: x is the base's memory
        self.kind, self.device, self._base = "numpy", "cpu", base

    @property
    def x(self) -> np.ndarray:
        return self._base.x.numpy()


def uniform_bin_counts(x: np.ndarray, lo: float, hi: float, bins: int) -> np.ndarray:
    """Counts of ``x`` in uniform bins on [lo, hi) (points outside, and NaN, are not counted)."""
    pos = np.floor((np.asarray(x) - lo) * (bins / (hi - lo)))
    inside = (pos >= 0) & (pos < bins)  # False for NaN
    return np.bincount(pos[inside].astype(np.int64), minlength=bins).astype(np.float64)


class NestedBins:
    """Fine uniform bins on [lo − w, hi + w] (w = hi − lo) whose middle third nests ``bins``
    coarse bins on [lo, hi), at least ``fine`` fine bins per coarse range.

    One pass over the particles gives both the histogram (:meth:`coarse`) and a density fine
    enough to draw at pixel resolution, with a margin of one range on each side for particles
    off the histogram's range. Each coarse bin is a whole number of fine bins, so summing
    fine counts reproduces the coarse counts.
    """

    def __init__(self, lo: float, hi: float, bins: int, fine: int = 2000):
        self.bins = bins
        self.per_bin = -(-fine // bins)  # fine bins per coarse bin
        inner = bins * self.per_bin
        width = hi - lo
        self.count = 3 * inner
        self.lo, self.hi = lo - width, hi + width
        self.edges = np.linspace(self.lo, self.hi, self.count + 1)

    def counts(self, ens: Ensemble) -> np.ndarray:
        """Fine counts of the ensemble's positions (1D)."""
        return ens.histogram(self.lo, self.hi, self.count)

    def coarse(self, fine_counts: np.ndarray) -> np.ndarray:
        """The coarse counts on [lo, hi) from fine ones."""
        inner = self.bins * self.per_bin
        return fine_counts[inner:2 * inner].reshape(self.bins, self.per_bin).sum(axis=1)


# -- transitions between wells, counted at every step ------------------------------------------
class HysteresisCounter:
    """Well-to-well transitions of 1D particles, checked after every step.

    Wells k = 0..K−1 have centres ``minima`` (sorted) and cores |x − m_k| < r_k. Each particle
    carries the index of the last core it visited; it moves to the next well on the right
    when it passes the inner edge of that well's core (x > m_{k+1} − r_{k+1}), to the left
    when it passes m_{k−1} + r_{k−1}. For continuous paths this is exactly "entering another
    core than the last one visited"; checking every step (not every frame) means no
    there-and-back excursion within a frame is missed. Particles that start outside every
    core have no well until they first enter one (that entry is not a transition).

    Besides the count of transitions each way it accumulates the time spent in each state,
    so that (time in well k) / (transitions out of k) estimates the mean first-passage
    time from the edge of core k to the edge of the next core (renewal-reward).
    """

    def __init__(self, ensemble: Ensemble, minima: np.ndarray, radii: np.ndarray):
        self.ens = ensemble.host_view()  # on the CPU numpy compares and counts fastest
        self.minima = np.asarray(minima, dtype=float)
        self.radii = np.asarray(radii, dtype=float)
        self.K = len(self.minima)
        K = self.K
        self.up = np.full(max(K, 1), np.inf)
        self.down = np.full(max(K, 1), -np.inf)
        for k in range(K - 1):
            self.up[k] = self.minima[k + 1] - self.radii[k + 1]
            self.down[k + 1] = self.minima[k] + self.radii[k]
        self.right_moves = np.zeros(max(K, 1), dtype=np.int64)  # k -> k+1, indexed by k
        self.left_moves = np.zeros(max(K, 1), dtype=np.int64)  # k -> k-1, indexed by k
        self.time_in = np.zeros(max(K, 1))
        self._scratch = None  # two state-sized bool buffers, made at the first update
        self._init_state()

    def _cores(self, x):
        """Index of the core holding each particle, −1 outside every core (int64 / long)."""
        ens = self.ens
        if ens.kind == "numpy":
            idx = np.full(x.shape, -1, dtype=np.int64)
            for k in range(self.K):
                idx[np.abs(x - self.minima[k]) < self.radii[k]] = k
            return idx
        torch = ens._torch
        idx = torch.full(x.shape, -1, dtype=torch.long, device=ens.device)
        for k in range(self.K):
            idx[(x - float(self.minima[k])).abs() < float(self.radii[k])] = k
        return idx

    def _init_state(self) -> None:
        ens = self.ens
        core = self._cores(ens.x)
        self.known = core >= 0
        # indices of the particles not yet in a core: few soon after the start, so they are
        # handled apart rather than by masks over every particle at each step
        if ens.kind == "numpy":
            self._unknown = np.flatnonzero(~self.known)
        else:
            self._unknown = ens._torch.nonzero(~self.known).squeeze(1)
        self.n_unknown = int(self._unknown.shape[0])
        if self.K == 2:
            self.state = core == 1  # bool: in the right well (False while unknown)
            self.n_right = ens.count(self.state)  # of all particles, unknown ones too
        else:
            self.state = core.clip(min=0) if ens.kind == "torch" else np.maximum(core, 0)
        if ens.kind == "torch":
            torch = ens._torch
            self._up = torch.tensor(self.up, dtype=torch.float32, device=ens.device)
            self._down = torch.tensor(self.down, dtype=torch.float32, device=ens.device)

    @property
    def transitions(self) -> int:
        return int(self.right_moves.sum() + self.left_moves.sum())

    def reset_statistics(self) -> None:
        """Zero the counts and state times (the well memory of each particle is kept)."""
        self.right_moves[:] = 0
        self.left_moves[:] = 0
        self.time_in[:] = 0.0

    def update(self, dt: float) -> None:
        """Apply the hysteresis rule to the current positions (call after every step);
        ``dt`` is the step just taken, credited to the state each particle is in after it."""
        if self.K < 2:
            return
        before = self.state[self._unknown] if self.n_unknown else None
        if self.K == 2:
            self._update_two()
        else:
            self._update_many()
        if before is not None:
            self._settle_unknown(before)
        if self.K == 2:
            known = self.ens.n - self.n_unknown
            right = self.n_right - (self.ens.count(self.state[self._unknown])
                                    if self.n_unknown else 0)
            self.time_in[1] += right * dt
            self.time_in[0] += (known - right) * dt
        else:
            self._credit_many(dt)

    def _update_two(self) -> None:
        """Two wells, every particle known: state is a bool (right well)."""
        ens, x, right = self.ens, self.ens.x, self.state
        c_right, c_left = float(self.up[0]), float(self.down[1])
        if self._scratch is None:  # two bool buffers, swapped with the state
            self._scratch = (right.copy(), right.copy()) if ens.kind == "numpy" \
                else (right.clone(), right.clone())
        new, tmp = self._scratch
        if ens.kind == "numpy":
            np.greater_equal(x, c_left, out=new)
            new &= right
            np.greater(x, c_right, out=tmp)
            new |= tmp
            np.not_equal(new, right, out=tmp)
            flips = int(np.count_nonzero(tmp))
            n_right = int(np.count_nonzero(new))
        else:
            torch = ens._torch
            torch.ge(x, c_left, out=new)
            new &= right
            torch.gt(x, c_right, out=tmp)
            new |= tmp
            torch.ne(new, right, out=tmp)
            flips = int(torch.count_nonzero(tmp).item())
            n_right = int(torch.count_nonzero(new).item())
        to_right = (flips + n_right - self.n_right) // 2
        self.right_moves[0] += to_right
        self.left_moves[1] += flips - to_right
        self._scratch = (right, tmp)
        self.state, self.n_right = new, n_right

    def _update_many(self) -> None:
        ens, x = self.ens, self.ens.x
        if ens.kind == "numpy":
            up = x > self.up[self.state]
            down = x < self.down[self.state]
            for k in range(self.K):
                at = self.state == k
                self.right_moves[k] += np.count_nonzero(up & at)
                self.left_moves[k] += np.count_nonzero(down & at)
            self.state = self.state + up.astype(np.int64) - down.astype(np.int64)
        else:
            up = x > self._up[self.state]
            down = x < self._down[self.state]
            for k in range(self.K):
                at = self.state == k
                self.right_moves[k] += ens.count(up & at)
                self.left_moves[k] += ens.count(down & at)
            self.state = self.state + up.long() - down.long()

    def _settle_unknown(self, before) -> None:
        """The update ran over every particle as if known: take back the moves it counted
        for particles not yet in a core (``before``: their states before it), then give
        those that entered a core that core's well."""
        ens, idx = self.ens, self._unknown
        after = self.state[idx]
        if ens.kind == "numpy":
            b, a = before.astype(np.int64), after.astype(np.int64)
        else:
            b, a = before.long(), after.long()
        for k in range(self.K):
            self.right_moves[k] -= ens.count((b == k) & (a == k + 1))
            self.left_moves[k] -= ens.count((b == k) & (a == k - 1))
        core = self._cores(ens.x[idx])
        entered = core >= 0
        if not ens.count(entered):
            return
        now_in = idx[entered]
        if self.K == 2:
            right = core[entered] == 1
            self.n_right += ens.count(right) - ens.count(after[entered])
            self.state[now_in] = right
        else:
            self.state[now_in] = core[entered]
        self.known[now_in] = True
        self._unknown = idx[~entered]
        self.n_unknown = int(self._unknown.shape[0])

    def _credit_many(self, dt: float) -> None:
        ens = self.ens
        for k in range(self.K):
            at = (self.state == k) & self.known
            self.time_in[k] += ens.count(at) * dt

    def well_of_particles(self) -> np.ndarray:
        """Current well index of every particle (−1 not yet in a well), as numpy ints."""
        ens = self.ens
        if ens.kind == "numpy":
            state = self.state.astype(np.int64)
            known = self.known
        else:
            state = self.state.long().to("cpu").numpy()
            known = self.known.to("cpu").numpy()
        return np.where(known, state, -1)

    def mean_passage_times(self) -> tuple[np.ndarray, np.ndarray]:
        """(to the right, to the left): time in well k per transition out of k that way,
        NaN where no such transition happened (renewal-reward estimates of the MFPT from
        the edge of core k to the inner edge of the neighbouring core)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            right = np.where(self.right_moves > 0, self.time_in / np.maximum(self.right_moves, 1),
                             np.nan)
            left = np.where(self.left_moves > 0, self.time_in / np.maximum(self.left_moves, 1),
                            np.nan)
        return right, left
