"""A learned score for the 2D diffusion experiments: the notebooks' MLP trained by DSM.

Torch is imported only when a network is built (``ScoreNet`` is resolved lazily, and
:class:`DSMTrainer` imports torch in its constructor), so importing this module is cheap.

- ``ScoreNet``: input (x₁, x₂, t) → 64 → 64 → 64 → 2 with LogSigmoid activations
  (8,706 parameters), as in ``02-SGM-with-SDE-9grid.ipynb``.
- :class:`DSMTrainer`: Adam on the DSM loss of the notebooks (target −(x_t − αx₀)/var_t,
  λ(t) = var_t, t ~ U(1e-4, 1), mean over batch and coordinates), run in small chunks by
  :meth:`DSMTrainer.train` so a worker can yield frames between chunks.
- :func:`irreducible_loss`: the same loss with the exact score, the floor a perfect network
  reaches.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from . import backend
from .diffusion import T_MIN, Array, ScoreFn, draw_data, dsm_loss, dsm_weight, exact_score_fn
from .experiment import Diverged
from .gmm import GaussianMixture
from .history import History

HIDDEN = 64
TRAIN_STREAM = 71  # numpy stream of the training batches
INIT_STREAM = 72  # torch stream of the initial weights


@functools.cache
def _score_net_class() -> type:
    torch = backend.import_torch()
    nn = torch.nn

    class ScoreNet(nn.Module):
        """s_θ(x, t): the concatenation (x, t) through three LogSigmoid layers of width 64."""

        def __init__(self, dim: int = 2, hidden: int = HIDDEN):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(dim + 1, hidden), nn.LogSigmoid(),
                nn.Linear(hidden, hidden), nn.LogSigmoid(),
                nn.Linear(hidden, hidden), nn.LogSigmoid(),
                nn.Linear(hidden, dim),
            )

        def forward(self, x, t):
            return self.net(torch.cat([x, t.reshape(-1, 1)], dim=1))

    return ScoreNet


def __getattr__(name: str) -> Any:
    """``ScoreNet`` is built on first access (that imports torch)."""
    if name == "ScoreNet":
        return _score_net_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class DSMTrainer:
    """Denoising score matching of a :class:`ScoreNet` on a mixture or a fixed point set.

    ``data`` is a :class:`GaussianMixture` (fresh draws every batch) or an (N, d) array of
    training points (the notebooks' fixed set of 1000 draws). Deterministic for a seed on
    the CPU: batches come from a seeded numpy stream, the weights from a seeded torch one.
    """

    def __init__(self, data: GaussianMixture | Array, schedule, seed: int, device: str = "cpu",
                 lr: float = 3e-4, batch: int = 256, weighting: str = "var"):
        torch = backend.import_torch()
        self.torch = torch
        dsm_weight(weighting, 1.0)  # reject an unknown weighting now
        self.data = data
        self.schedule = schedule
        self.device = device
        self.batch = int(batch)
        self.weighting = weighting
        self.rng = backend.rng(seed, TRAIN_STREAM)
        dim = data.dim if isinstance(data, GaussianMixture) else np.shape(data)[1]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(np.random.SeedSequence([seed, INIT_STREAM]).generate_state(1)[0]))
            self.model = _score_net_class()(dim).to(device)
        fused = torch.device(device).type in ("cpu", "cuda")  # one kernel per step, not per tensor
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr, fused=fused)
        self.steps_done = 0
        self.loss_history = History(capacity=2048)

    def set_lr(self, lr: float) -> None:
        """Change the learning rate between chunks (a live parameter)."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def _batch(self) -> tuple[Any, Any, Any, Any]:
        """(x_t, t, target, λ) tensors of one minibatch."""
        n, rng, s = self.batch, self.rng, self.schedule
        x0 = draw_data(self.data, n, rng)
        t = rng.uniform(T_MIN, 1.0, n)
        alpha, var = s.alpha(t)[:, None], s.var(t)[:, None]
        eps = rng.standard_normal(x0.shape)
        arrays = (alpha * x0 + np.sqrt(var) * eps, t, -eps / np.sqrt(var),
                  dsm_weight(self.weighting, var))
        return tuple(self.torch.as_tensor(a, dtype=self.torch.float32, device=self.device)
                     for a in arrays)

    def train(self, n_steps: int) -> float:
        """Take ``n_steps`` Adam steps; returns their mean DSM loss (also recorded).

        Raises :class:`Diverged` if the loss stops being finite.
        """
        total = 0.0
        for _ in range(n_steps):
            xt, t, target, lam = self._batch()
            loss = (lam * (self.model(xt, t) - target) ** 2).mean()
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.steps_done += 1
            total += float(loss.detach())
        mean = total / max(n_steps, 1)
        if not np.isfinite(mean):
            raise Diverged(self.steps_done, f"DSM loss is not finite at training step "
                                            f"{self.steps_done}; lower the learning rate")
        if n_steps:
            self.loss_history.append(self.steps_done, mean)
        return mean

    def score_fn(self) -> ScoreFn:
        """The current network as a numpy ``score_fn(x, t)``; NaN output raises Diverged."""
        torch, model, device = self.torch, self.model, self.device

        def score(x: Array, t: float) -> Array:
            with torch.no_grad():
                xs = torch.as_tensor(x, dtype=torch.float32, device=device)
                ts = torch.full((len(x),), float(t), dtype=torch.float32, device=device)
                out = model(xs, ts).to("cpu").numpy().astype(np.float64)
            if not np.isfinite(out).all():
                raise Diverged(self.steps_done, f"learned score produced NaN at t={t:.4g}")
            return out

        return score


def irreducible_loss(mixture: GaussianMixture, schedule, n_mc: int,
                     rng: np.random.Generator, weighting: str = "var") -> float:
    """The DSM loss of the exact score (Monte Carlo): the floor of any trained network."""
    return dsm_loss(exact_score_fn(mixture, schedule), mixture, schedule, n_mc, rng,
                    weighting=weighting)
