"""A tiny GPT-style character model (§7.6.2, Example 7.6.1), torch imported lazily.

Causal self-attention blocks (pre-norm, residual, GELU MLP) on learned token and position
embeddings, trained by AdamW on random windows of a text. The attention weights of the last
block are kept from every forward pass so the lab can show what the newest token attends
to. ``make_model`` must be called after torch is importable (``compute.backend``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend


def make_model(vocab: int, context: int, d_model: int = 64, n_layer: int = 2, n_head: int = 4,
               seed: int = 0, device: str = "cpu", causal: bool = True) -> Any:
    """A seeded TinyGPT (the seed does not disturb torch's global random state).

    ``causal`` False drops the causal mask, so each position also sees the tokens after it
    (the label leak of the Chapter 3 notebook, kept for teaching).
    """
    torch = backend.import_torch()
    nn = torch.nn
    F = torch.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(d_model)
            self.qkv = nn.Linear(d_model, 3 * d_model)
            self.proj = nn.Linear(d_model, d_model)
            self.ln2 = nn.LayerNorm(d_model)
            self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(),
                                     nn.Linear(4 * d_model, d_model))
            self.attention = None  # (B, H, T, T) of the last forward pass

        def forward(self, x):
            B, T, C = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
            hd = C // n_head
            q = q.view(B, T, n_head, hd).transpose(1, 2)
            k = k.view(B, T, n_head, hd).transpose(1, 2)
            v = v.view(B, T, n_head, hd).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) / hd**0.5
            if causal:
                mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
                att = att.masked_fill(~mask, float("-inf"))
            att = F.softmax(att, dim=-1)
            self.attention = att.detach()
            y = (att @ v).transpose(1, 2).reshape(B, T, C)
            x = x + self.proj(y)
            return x + self.mlp(self.ln2(x))

    class TinyGPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.context = context
            self.tok = nn.Embedding(vocab, d_model)
            self.pos = nn.Embedding(context, d_model)
            self.blocks = nn.ModuleList([Block() for _ in range(n_layer)])
            self.ln = nn.LayerNorm(d_model)
            self.head = nn.Linear(d_model, vocab)

        def forward(self, idx):
            T = idx.shape[1]
            pos = torch.arange(T, device=idx.device)
            x = self.tok(idx) + self.pos(pos)[None]
            for block in self.blocks:
                x = block(x)
            return self.head(self.ln(x))

        @property
        def last_attention(self):
            return self.blocks[-1].attention

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        model = TinyGPT().to(device)
    return model


class Trainer:
    """AdamW on random windows of an encoded sequence (numpy int array)."""

    def __init__(self, model: Any, data: np.ndarray, batch: int, window: int, lr: float,
                 seed: int, device: str = "cpu"):
        torch = backend.import_torch()
        self.torch = torch
        self.model = model
        self.data = data
        self.batch = batch
        self.window = min(window, len(data) - 2)
        self.device = device
        self.rng = np.random.default_rng(np.random.SeedSequence([seed, 11]))
        self.opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        self.steps = 0

    def batch_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        starts = self.rng.integers(0, len(self.data) - self.window - 1, self.batch)
        idx = starts[:, None] + np.arange(self.window + 1)[None, :]
        chunk = self.data[idx]
        return chunk[:, :-1], chunk[:, 1:]

    def step(self) -> float:
        torch = self.torch
        x, y = self.batch_arrays()
        xt = torch.as_tensor(x, device=self.device)
        yt = torch.as_tensor(y, device=self.device)
        logits = self.model(xt)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                 yt.reshape(-1))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.steps += 1
        return float(loss.item())


def next_distributions(model: Any, contexts: np.ndarray, device: str = "cpu"
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Softmax of the last position's logits for a batch of equal-length contexts (B, T),
    and the last block's attention of the last position (B, H, T)."""
    torch = backend.import_torch()
    with torch.no_grad():
        x = torch.as_tensor(contexts, device=device)
        logits = model(x)[:, -1, :]
        probs = torch.softmax(logits.double(), dim=-1)
        att = model.last_attention[:, :, -1, :]
    return backend.to_numpy(probs), backend.to_numpy(att).astype(np.float64)


def copy_task(rng: np.random.Generator, length: int, vocab: int, period: int) -> np.ndarray:
    """A sequence whose token at t copies the one at t − period (random otherwise): an
    order-1 Markov model is at chance on it, a context of period + 1 can be perfect."""
    seq = rng.integers(0, vocab, length)
    for t in range(period, length):
        seq[t] = seq[t - period]
    # re-randomise one block in every 4 so the sequence is not simply periodic
    block = np.arange(length) // period
    fresh = (block % 4 == 0)
    seq[fresh] = rng.integers(0, vocab, int(fresh.sum()))
    for t in range(period, length):
        if not fresh[t]:
            seq[t] = seq[t - period]
    return seq
