"""Bounded records of a run: :class:`History` (decimating) and :class:`Window` (sliding).

The samples offered are ``(k, f(k))`` for k = 0, 1, 2, …, so every kept abscissa names the
sample it came from and the expected record can be written down exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from compute.history import History, Window


def _f(k):
    """A value that identifies its abscissa (and is not linear in it)."""
    return np.sin(0.37 * np.asarray(k, dtype=float)) + 0.001 * np.asarray(k, dtype=float) ** 2


@pytest.mark.parametrize("capacity", [2, 3, 4, 5, 7, 16, 63, 64])
def test_history_stays_bounded_and_spans_the_run(capacity):
    h = History(capacity=capacity)
    for k in range(1200):
        h.append(float(k), _f(k))
        n = len(h)
        assert 1 <= n <= capacity
        x = h.x
        assert x.shape == (n,)
        # The first sample offered is never dropped: the record starts where the run did.
        assert x[0] == 0.0
        if n > 1:
            steps = np.diff(x)
            # Evenly strided, strictly increasing, with a power-of-two stride.
            stride = steps[0]
            assert stride >= 1
            np.testing.assert_array_equal(steps, stride)
            assert int(stride) & (int(stride) - 1) == 0
            # The last kept sample is recent: less than one stride behind the last offered.
            assert k - x[-1] < stride
        # Once the record has been full, it keeps at least half its capacity.
        if k + 1 >= capacity:
            assert n >= capacity // 2
        np.testing.assert_array_equal(h.values, _f(x))


def test_history_stride_halves_resolution_as_the_run_doubles():
    h = History(capacity=8)
    for k in range(8):
        h.append(k, _f(k))
    np.testing.assert_array_equal(h.x, np.arange(8.0))  # nothing dropped before it is full
    h.append(8, _f(8))
    np.testing.assert_array_equal(h.x, [0.0, 2.0, 4.0, 6.0, 8.0])
    for k in range(9, 64):
        h.append(k, _f(k))
    np.testing.assert_array_equal(h.x, np.arange(0.0, 64.0, 8.0))  # stride 8 after 64 offers


def test_history_vector_values_and_dtype():
    h = History(shape=(3,), capacity=6, dtype=np.int64)
    for k in range(50):
        h.append(0.5 * k, [k, 2 * k, -k])
    x, v = h.x, h.values
    assert v.shape == (len(h), 3) and v.dtype == np.int64
    k = np.rint(2 * x).astype(np.int64)
    np.testing.assert_array_equal(v, np.stack([k, 2 * k, -k], axis=1))


def test_history_returns_copies_and_clears():
    h = History(capacity=4)
    for k in range(10):
        h.append(k, _f(k))
    x, v = h.x, h.values
    x[:] = -1.0
    v[:] = -1.0
    assert h.x[0] == 0.0 and h.values[0] == _f(0)
    h.clear()
    assert len(h) == 0 and h.x.shape == (0,)
    for k in range(3):  # after clear the stride is 1 again
        h.append(100 + k, _f(k))
    np.testing.assert_array_equal(h.x, [100.0, 101.0, 102.0])


def test_history_rejects_a_capacity_below_two():
    with pytest.raises(ValueError, match="capacity"):
        History(capacity=1)


@pytest.mark.parametrize("capacity", [1, 2, 5, 16])
@pytest.mark.parametrize("total", [0, 1, 4, 5, 6, 16, 17, 100])
def test_window_holds_the_last_samples_oldest_first(capacity, total):
    w = Window(capacity=capacity)
    for k in range(total):
        w.append(float(k), _f(k))
    expected = np.arange(max(0, total - capacity), total, dtype=float)
    assert len(w) == len(expected)
    np.testing.assert_array_equal(w.x, expected)
    np.testing.assert_array_equal(w.values, _f(expected))


def test_window_vector_values_copies_and_clear():
    w = Window(shape=(2,), capacity=3)
    for k in range(7):
        w.append(k, [k, -k])
    np.testing.assert_array_equal(w.x, [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(w.values, [[4, -4], [5, -5], [6, -6]])
    w.values[:] = 0.0
    w.x[:] = 0.0
    np.testing.assert_array_equal(w.x, [4.0, 5.0, 6.0])
    w.clear()
    assert len(w) == 0
    w.append(9, [1, 2])
    np.testing.assert_array_equal(w.x, [9.0])
    np.testing.assert_array_equal(w.values, [[1.0, 2.0]])
