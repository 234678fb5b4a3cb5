"""Convolution as a structured linear map (§1.1.3), built from the index formulas.

The book's formulas are cross-correlations (no kernel flip), as in CNN practice:
y_i = Σ_j k_j x_{i+j−1} (1D, "valid") and y_{ij} = Σ_{h,w} k_{hw} x_{i+h−1, j+w−1} (2D).
The matrices here are written from those formulas, not from a library call, so that the
tests can compare them with numpy's and scipy's correlate and convolve.
"""

from __future__ import annotations

import numpy as np

MODES = ("valid", "same", "full")


def output_length(n: int, m: int, mode: str) -> int:
    """n − m + 1 (valid), max(n, m) (same), n + m − 1 (full)."""
    if mode == "valid":
        return n - m + 1
    if mode == "same":
        return max(n, m)
    return n + m - 1


def correlation_matrix(k: np.ndarray, n: int, mode: str = "valid",
                       flip: bool = False) -> np.ndarray:
    """A(k) with y = A(k) x the 1D correlation of x (length n) with k (length m ≤ n).

    Full: A[r, c] = k[c − r + m − 1] (x zero-padded by m − 1 on each side); valid keeps the
    rows m − 1 … n − 1 of the full matrix, whose rows are (k₁ … k_m) shifted right (Errata 6:
    the book displays the full layout); same keeps n rows starting at (m − 1)//2 (numpy's
    centring). ``flip`` uses the reversed kernel: a convolution.
    """
    k = np.asarray(k, dtype=float)[::-1] if flip else np.asarray(k, dtype=float)
    m = len(k)
    rows = n + m - 1
    A = np.zeros((rows, n))
    for r in range(rows):
        for c in range(n):
            j = c - r + m - 1
            if 0 <= j < m:
                A[r, c] = k[j]
    if mode == "full":
        return A
    if mode == "valid":
        return A[m - 1 : n]
    start = (m - 1) // 2
    return A[start : start + n]


def correlate2d_valid(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """y_{ij} = Σ_{h,w} k_{hw} x_{i+h, j+w} (0-based), i, j = 0 … n − m: Example 1.1.1."""
    x = np.asarray(x, dtype=float)
    k = np.asarray(k, dtype=float)
    (nh, nw), (mh, mw) = x.shape, k.shape
    y = np.zeros((nh - mh + 1, nw - mw + 1))
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            y[i, j] = float(np.sum(k * x[i : i + mh, j : j + mw]))
    return y


def correlation_tensor(k: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The rank-4 tensor A_{i,j,i',j'} = k_{i'−i, j'−j} inside the window, else 0 (0-based),
    with y_{ij} = Σ_{i',j'} A_{i,j,i',j'} x_{i'j'}: Example 1.1.2's restatement."""
    k = np.asarray(k, dtype=float)
    (nh, nw), (mh, mw) = shape, k.shape
    A = np.zeros((nh - mh + 1, nw - mw + 1, nh, nw))
    for i in range(nh - mh + 1):
        for j in range(nw - mw + 1):
            A[i, j, i : i + mh, j : j + mw] = k
    return A


def unrolled_matrix(k: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The rank-4 tensor flattened to a ((n−m+1)², n²) matrix acting on x flattened."""
    A = correlation_tensor(k, shape)
    oh, ow, nh, nw = A.shape
    return A.reshape(oh * ow, nh * nw)
