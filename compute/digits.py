"""Handwritten digits offline: scikit-learn's bundled 8×8 set (1797 images, 10 classes).

The book's notebooks download MNIST (28×28) at run time, which the lab cannot do; the
8×8 digits ship inside the scikit-learn wheel and show the same phenomena with different
numbers. scikit-learn is imported here, lazily, on first use.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SIDE = 8  # pixels per side
PIXELS = SIDE * SIDE
MAX_VALUE = 16.0  # pixel values are integers 0..16


@lru_cache(maxsize=1)
def load() -> tuple[np.ndarray, np.ndarray]:
    """(images (1797, 8, 8) float in [0, 1], labels (1797,) int), read-only."""
    from sklearn.datasets import load_digits

    data = load_digits()
    images = (data.images / MAX_VALUE).astype(float)
    labels = data.target.astype(int)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def count() -> int:
    return len(load()[1])


def flat(indices=None) -> np.ndarray:
    """Images as rows of a data matrix (n, 64) in [0, 1]."""
    images, _ = load()
    chosen = images if indices is None else images[np.asarray(indices)]
    return chosen.reshape(len(chosen), PIXELS)


def of_class(digit: int, limit: int | None = None) -> np.ndarray:
    """Indices of the images of one digit, in file order (the first ``limit``)."""
    _, labels = load()
    idx = np.flatnonzero(labels == digit)
    return idx if limit is None else idx[:limit]
