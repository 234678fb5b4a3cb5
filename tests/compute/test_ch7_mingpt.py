"""``ch7.mingpt-sampling-exercise`` (§7.6.2, Exercise 7.6.1).

* T = 0 (greedy) with a fixed seed gives the same text on every run; the n-gram model's
  greedy text does not depend on the seed at all;
* distinct-n rises with the temperature and with top-p (on average over a stream);
* the copy task: an order-1 Markov model (a bigram) predicts the copy positions at chance
  1/V (binomial tolerance), while the tiny GPT with a context covering the period learns
  them almost perfectly within a few hundred steps.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from compute import backend
from compute.experiment import checked_frames
from compute.experiments.ch7_mingpt import (
    COPY_VOCAB,
    MinGPTSampling,
    copy_positions,
    distinct_n,
    repeat_rate,
)

needs_torch = pytest.mark.skipif(not backend.torch_installed(), reason="torch is absent")


def text_after(frames_count, speed=1, **params):
    exp = MinGPTSampling(params)
    exp.set_steps_per_frame(speed)
    gen = checked_frames(exp)
    f = None
    for _ in range(frames_count):
        f = next(gen)
    return exp, f


def test_diversity_measures():
    assert distinct_n([1, 2, 1, 2, 1, 2], 2) == pytest.approx(2 / 5)
    assert distinct_n([1, 2, 3, 4], 2) == 1.0
    assert repeat_rate([1, 2, 3, 1, 2, 3, 1, 2], 3) == pytest.approx(3 / 6)


@needs_torch
def test_greedy_text_is_deterministic_for_a_seed():
    _, a = text_after(25, T=0.0, train_steps=20, context=16, seed=5)
    _, b = text_after(25, T=0.0, train_steps=20, context=16, seed=5)
    np.testing.assert_array_equal(a["generated"], b["generated"])
    np.testing.assert_array_equal(a["text_probs"][-24:], 1.0)  # greedy: probability 1


def test_ngram_greedy_text_does_not_depend_on_the_seed():
    _, a = text_after(80, model="n-gram", T=0.0, seed=1)
    _, b = text_after(80, model="n-gram", T=0.0, seed=2)
    np.testing.assert_array_equal(a["generated"], b["generated"])


def test_distinct_bigrams_rise_with_temperature_and_top_p():
    _, f = text_after(300, model="n-gram", order=3, seed=3, gen_length=400)
    d = f["distinct2"]
    assert d[0] < d[2] < d[-1]  # T = 0.3 < 1 < 2
    # the average log-likelihood under the model falls as T rises
    assert f["avg_loglik"][0] > f["avg_loglik"][-1]
    # top-p: the streams' law at p = 0.5 is narrower than at p = 1
    _, g = text_after(300, model="n-gram", order=3, seed=3, gen_length=400, p=0.5)
    assert g["distinct2"][2] < d[2]


def test_a_fixed_one_token_state_is_at_chance_on_the_copy_task():
    exp, f = text_after(1, source="copy-task", model="n-gram", order=2)
    n = int(copy_positions(len(exp.test)).sum())
    chance = 1 / COPY_VOCAB
    assert abs(f["copy_accuracy"] - chance) < 5 * math.sqrt(chance * (1 - chance) / n)


@needs_torch
def test_the_expanding_context_learns_the_copy_task():
    _, f = text_after(76, speed=2, source="copy-task", context=24, train_steps=150, seed=0)
    assert f["train_step"] == 150
    assert f["copy_accuracy"] > 0.95
