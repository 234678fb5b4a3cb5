"""The coarse-to-fine order of progressive sweeps."""

import numpy as np
import pytest

from compute.sweep import done_columns, refinement_order


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 40, 41, 200])
def test_refinement_order_visits_every_index_once(n):
    order = refinement_order(n)
    assert sorted(order) == list(range(n))


def test_refinement_order_spans_the_grid_early():
    order = refinement_order(40)
    assert order[:2] == [0, 39]
    # after k points the largest gap is about n / k: the whole curve is sketched early
    for k in (3, 5, 9, 17):
        done = sorted(order[:k])
        assert max(np.diff(done)) <= 2 * 40 / (k - 1)


def test_done_columns_are_those_without_nan():
    values = np.array([[1.0, np.nan, 3.0, 4.0], [1.0, 2.0, np.nan, 4.0]])
    assert done_columns(values).tolist() == [0, 3]
