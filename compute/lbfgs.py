"""Limited-memory BFGS, one iteration per call, so a live experiment can show its iterates.

The search direction is −H·∇f with H the inverse-Hessian estimate built from the last m
pairs s = w_{k+1} − w_k, y = ∇f_{k+1} − ∇f_k by the two-loop recursion (Nocedal & Wright,
Algorithm 7.4); the step length halves until the Armijo condition
f(w + t d) ≤ f(w) + c·t·∇fᵀd holds, so f never increases.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
ARMIJO = 1e-4
MIN_STEP = 1e-20


class LBFGS:
    """Minimises ``f`` (with gradient ``grad``) from ``w0``; :meth:`step` takes one iteration."""

    def __init__(self, f: Callable[[Array], float], grad: Callable[[Array], Array], w0: Array,
                 memory: int = 10):
        self.f, self.grad = f, grad
        self.w = np.array(w0, dtype=float)
        self.value = float(f(self.w))
        self.g = grad(self.w)
        self.pairs: deque[tuple[Array, Array]] = deque(maxlen=memory)

    def direction(self) -> Array:
        """−H∇f by the two-loop recursion; H₀ = (sᵀy/yᵀy)·I from the newest pair
        (the steepest-descent direction before any pair exists)."""
        q = -self.g
        alphas = []
        for s, y in reversed(self.pairs):
            a = (s @ q) / (y @ s)
            q = q - a * y
            alphas.append(a)
        if self.pairs:
            s, y = self.pairs[-1]
            q = q * ((s @ y) / (y @ y))
        for (s, y), a in zip(self.pairs, reversed(alphas), strict=True):
            q = q + s * (a - (y @ q) / (y @ s))
        return q

    def step(self) -> Array:
        """One iteration; returns the new iterate (unchanged once the gradient is zero)."""
        d = self.direction()
        slope = float(self.g @ d)
        if not slope < 0:  # the estimate lost positive definiteness: restart from −∇f
            self.pairs.clear()
            d, slope = -self.g, -float(self.g @ self.g)
            if slope == 0.0:
                return self.w
        t = 1.0
        while True:
            trial = self.w + t * d
            value = float(self.f(trial))
            if value <= self.value + ARMIJO * t * slope or t < MIN_STEP:
                break
            t *= 0.5
        if value > self.value:  # no decrease found at machine precision: stay
            return self.w
        g = self.grad(trial)
        s, y = trial - self.w, g - self.g
        if s @ y > 1e-12 * np.sqrt((s @ s) * (y @ y)):  # curvature pair usable
            self.pairs.append((s, y))
        self.w, self.value, self.g = trial, value, g
        return self.w
