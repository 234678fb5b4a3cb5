"""Bounded records of quantities along a run (curves vs step, trajectories).

A run can last for hours in front of a class, so nothing may grow without bound: a
:class:`History` keeps at most ``capacity`` samples and, when full, drops every other one.
The record then always spans the whole run at a resolution that halves as it doubles.
"""

from __future__ import annotations

import numpy as np


class History:
    """Samples ``(x, value)`` with ``value`` of a fixed ``shape``, in bounded memory."""

    def __init__(self, shape: tuple[int, ...] = (), capacity: int = 4096, dtype=np.float64):
        if capacity < 2:
            raise ValueError("capacity must be at least 2")
        self.capacity = int(capacity)
        self._x = np.empty(self.capacity, dtype=np.float64)
        self._v = np.empty((self.capacity, *shape), dtype=dtype)
        self._n = 0
        self._stride = 1  # keep one sample in every `stride` offered
        self._offered = 0

    def __len__(self) -> int:
        return self._n

    def append(self, x: float, value) -> None:
        """Offer one sample; it is kept if it falls on the current stride."""
        if self._offered % self._stride == 0:
            if self._n == self.capacity:
                half = (self._n + 1) // 2  # samples 0, 2, 4, … of the full record
                self._x[:half] = self._x[: self._n : 2]
                self._v[:half] = self._v[: self._n : 2]
                self._n = half
                self._stride *= 2
                if self._offered % self._stride:
                    self._offered += 1
                    return
            self._x[self._n] = x
            self._v[self._n] = value
            self._n += 1
        self._offered += 1

    @property
    def x(self) -> np.ndarray:
        """A copy of the abscissae kept so far, shape (n,)."""
        return self._x[: self._n].copy()

    @property
    def values(self) -> np.ndarray:
        """A copy of the values kept so far, shape (n, *shape)."""
        return self._v[: self._n].copy()

    def clear(self) -> None:
        self._n = 0
        self._stride = 1
        self._offered = 0


class Window:
    """The last ``capacity`` samples ``(x, value)``, oldest first (a sliding window)."""

    def __init__(self, shape: tuple[int, ...] = (), capacity: int = 2000):
        self.capacity = int(capacity)
        self._x = np.empty(self.capacity)
        self._v = np.empty((self.capacity, *shape))
        self._count = 0

    def __len__(self) -> int:
        return min(self._count, self.capacity)

    def append(self, x: float, value) -> None:
        i = self._count % self.capacity
        self._x[i] = x
        self._v[i] = value
        self._count += 1

    def _order(self) -> np.ndarray:
        n = len(self)
        start = self._count % self.capacity if self._count > self.capacity else 0
        return (start + np.arange(n)) % self.capacity

    @property
    def x(self) -> np.ndarray:
        """A copy of the abscissae in the window, oldest first, shape (n,)."""
        return self._x[self._order()]

    @property
    def values(self) -> np.ndarray:
        """A copy of the values in the window, oldest first, shape (n, *shape)."""
        return self._v[self._order()]

    def clear(self) -> None:
        self._count = 0
