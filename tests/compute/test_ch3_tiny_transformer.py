"""ch3.tiny-transformer: data bookkeeping, reference entropies, the causal floor and the
leak that breaks it, parameter count."""

import math

import numpy as np
import pytest

pytest.importorskip("torch")

from compute import backend
from compute.experiment import checked_frames
from compute.experiments.ch3_tiny_transformer import (
    TEXTS,
    TinyTransformer,
    conditional_entropy,
    unigram_entropy,
    windows,
)

SMALL = {"d_model": 32, "layers": 1, "heads": 2, "show_layer": 1}


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    backend.set_torch_threads(1)  # as the GUI worker does


def test_bookkeeping_of_the_book_text():
    exp = TinyTransformer()
    text = TEXTS["book"]
    assert exp.V == len(set(text)) == 18
    assert len(exp.inputs) == len(text) - 5
    assert exp.targets.size == (len(text) - 5) * 5
    np.testing.assert_array_equal(exp.inputs[:, 1:], exp.targets[:, :-1])  # shifted by one


def test_reference_entropies_are_ordered_and_exact():
    codes = np.array([0, 1, 0, 1, 0, 2, 0, 1, 0, 1])
    _, y = windows(codes, 2)
    counts = np.bincount(y.ravel())
    p = counts / counts.sum()
    assert unigram_entropy(y) == pytest.approx(-(p * np.log(p)).sum())
    # a deterministic continuation has zero conditional entropy
    x2, y2 = windows(np.tile([0, 1, 2], 6), 3)
    assert conditional_entropy(x2, y2) == pytest.approx(0.0, abs=1e-12)
    exp = TinyTransformer()
    assert math.log(exp.V) > exp.unigram > exp.floor > 0  # the book's text is ambiguous


def run(params, epochs):
    exp = TinyTransformer({**SMALL, **params, "epochs": epochs})
    exp.set_steps_per_frame(epochs)
    return list(checked_frames(exp)), exp


def test_initial_loss_is_near_ln_v_and_the_causal_model_never_beats_the_floor():
    frames, exp = run({"optimizers": ["Adam"], "lr_adam": 0.02}, 150)
    loss = frames[-1]["loss"][0]
    assert loss[0] == pytest.approx(math.log(exp.V), abs=0.4)
    assert loss[-1] < 0.5 * loss[0]
    assert loss.min() >= exp.floor - 1e-6


def test_without_the_mask_the_model_copies_below_the_floor():
    frames, exp = run({"optimizers": ["Adam"], "lr_adam": 0.02, "causal": False}, 150)
    assert frames[-1]["loss"][0, -1] < exp.floor - 0.05


def test_parameter_count_from_layer_shapes():
    frames, exp = run({"optimizers": ["SGD"]}, 10)
    V, d, L, layers = exp.V, 32, 5, 1
    block = 2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d)
    expected = V * d + L * d + layers * block + 2 * d + (d * V + V)
    assert frames[-1]["data_text"].split(" | ")[-1] == str(expected)
    att = frames[-1]["attention"]
    assert att.shape == (2, 5, 5)
    np.testing.assert_allclose(att.sum(-1), 1.0, atol=1e-5)
    assert np.allclose(np.triu(att, 1), 0.0)  # causal: nothing above the diagonal
