"""Sweeps that fill in: the order in which a progressive sweep visits its grid."""

from __future__ import annotations

import numpy as np


def refinement_order(n: int) -> list[int]:
    """Indices 0 … n−1 in coarse-to-fine order: both ends, then the midpoints of ever finer
    halvings, so a curve computed in this order shows its whole shape after a few points
    and is refined from there (a sweep in plain order shows one end only for a long while).
    """
    if n <= 0:
        return []
    order, seen = [0], {0}
    if n > 1:
        order.append(n - 1)
        seen.add(n - 1)
    intervals = [(0, n - 1)]
    while intervals:
        finer = []
        for lo, hi in intervals:
            if hi - lo < 2:
                continue
            mid = (lo + hi) // 2
            if mid not in seen:
                order.append(mid)
                seen.add(mid)
            finer += [(lo, mid), (mid, hi)]
        intervals = finer
    return order


def done_columns(values: np.ndarray) -> np.ndarray:
    """Indices of the grid columns computed so far (no NaN in any row), in grid order."""
    values = np.atleast_2d(values)
    return np.flatnonzero(np.isfinite(values).all(axis=0))
