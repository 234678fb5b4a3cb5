"""Compute backend: device choice, seeded random streams, lazy torch (DESIGN §4).

Torch costs over a second to import, so nothing imports it at start-up: experiments that
need it call :func:`import_torch` when they run.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType
from typing import Any

import numpy as np

DEVICES = ("auto", "cpu", "cuda", "mps")

_torch_threads: int | None = None


class BackendError(RuntimeError):
    """A requested device or optional dependency is not available."""


def torch_installed() -> bool:
    """Whether torch can be imported, without importing it."""
    return "torch" in sys.modules or importlib.util.find_spec("torch") is not None


def import_torch() -> ModuleType:
    """Import torch (once), applying the configured thread count; clear error if absent."""
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise BackendError(
            "this experiment needs PyTorch, which is not installed "
            "(install the lab with its 'torch' extra)"
        ) from exc
    if _torch_threads is not None and torch.get_num_threads() != _torch_threads:
        torch.set_num_threads(_torch_threads)
    return torch


def set_torch_threads(n: int | None) -> None:
    """Limit torch's intra-op threads (the GUI worker uses 1 so the GUI keeps a core).

    Applies now if torch is already imported, else when :func:`import_torch` first runs.
    """
    global _torch_threads
    _torch_threads = n
    if n is not None and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def resolve_device(preference: str = "auto") -> str:
    """Map ``auto``/``cpu``/``cuda``/``mps`` to an available torch device name.

    ``auto`` prefers CUDA, then MPS, then the CPU. Asking for a device that is not there is
    an error with a message, not a silent fallback.
    """
    if preference not in DEVICES:
        raise BackendError(f"unknown device {preference!r} (choose from {', '.join(DEVICES)})")
    if preference == "cpu":
        return "cpu"
    if not torch_installed():
        if preference == "auto":
            return "cpu"
        raise BackendError(f"device {preference!r} needs PyTorch, which is not installed")
    torch = import_torch()
    cuda = torch.cuda.is_available()
    mps = bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    if preference == "auto":
        return "cuda" if cuda else "mps" if mps else "cpu"
    if preference == "cuda" and not cuda:
        raise BackendError("device 'cuda' requested but no CUDA GPU is available")
    if preference == "mps" and not mps:
        raise BackendError("device 'mps' requested but Apple MPS is not available")
    return preference


def available_memory_bytes() -> int | None:
    """Memory the system can give this process now (MemAvailable on Linux), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def rng(seed: int, *stream: int) -> np.random.Generator:
    """An independent numpy generator for ``seed`` and a stream key.

    Different stream keys give statistically independent streams of the same seed (e.g.
    one for initial conditions, one for the noise), so changing how many numbers one part
    draws does not shift another part's numbers.
    """
    return np.random.default_rng(np.random.SeedSequence([int(seed), *map(int, stream)]))


def torch_generator(seed: int, device: str = "cpu", *stream: int) -> Any:
    """A seeded ``torch.Generator`` on ``device`` derived like :func:`rng`."""
    torch = import_torch()
    gen = torch.Generator(device=device)
    gen.manual_seed(int(np.random.SeedSequence([int(seed), *stream]).generate_state(1)[0]))
    return gen


def to_numpy(value: Any) -> Any:
    """Convert a torch tensor (any device) to numpy; other values pass through."""
    if "torch" in sys.modules and isinstance(value, sys.modules["torch"].Tensor):
        return value.detach().to("cpu").numpy()
    return value
