"""Handwritten digits offline: scikit-learn's bundled 8×8 set (1797 images, 10 classes).

The book's notebooks download MNIST (28×28) at run time, which the lab cannot do; the
8×8 digits ship inside the scikit-learn wheel and show the same phenomena with different
numbers. Importing scikit-learn takes seconds, so the data file that ``load_digits`` reads
is read directly from the installed package (located without importing it); when the file
is not where it is expected, ``load_digits`` itself is used.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SIDE = 8  # pixels per side
PIXELS = SIDE * SIDE
MAX_VALUE = 16.0  # pixel values are integers 0..16


def _read_package_file() -> tuple[np.ndarray, np.ndarray] | None:
    """(pixels (n, 64), labels) from scikit-learn's digits.csv.gz, or None if not found."""
    import gzip
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")  # locates the package, imports nothing
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / \
        "digits.csv.gz"
    try:
        with gzip.open(path, "rt") as handle:
            table = np.loadtxt(handle, delimiter=",")
    except (OSError, ValueError):
        return None
    if table.ndim != 2 or table.shape[1] != PIXELS + 1:
        return None
    return table[:, :PIXELS], table[:, PIXELS].astype(int)


@lru_cache(maxsize=1)
def load() -> tuple[np.ndarray, np.ndarray]:
    """(images (1797, 8, 8) float in [0, 1], labels (1797,) int), read-only."""
    found = _read_package_file()
    if found is None:
        from sklearn.datasets import load_digits

        data = load_digits()
        found = data.data, data.target
    pixels, target = found
    images = (pixels.reshape(-1, SIDE, SIDE) / MAX_VALUE).astype(float)
    labels = np.asarray(target).astype(int)
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
