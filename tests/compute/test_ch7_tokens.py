"""``ch7.token-sampling`` (§7.6.1): the transformations by hand and their invariants.

On the toy law P = (0.4, 0.2, 0.15, 0.1, 0.06, 0.04, 0.03, 0.02): top-3 renormalises
(0.4, 0.2, 0.15)/0.75; top-p = 0.7 keeps the same three (0.4, 0.6, 0.75 ≥ 0.7) and so does
the inclusive p = 0.75; T = 2 gives √P/Σ√P. H(P_T) rises from 0 (T → 0) to log 8 (T → ∞);
k = 1, p → 0 and T → 0 are greedy; T = 1, k = V, p = 1 leave P unchanged; sample
frequencies converge to the transformed law (chi-square bound).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from compute import tokens
from compute.experiment import checked_frames
from compute.experiments.ch7_tokens import TokenSampling

P = tokens.TOY


def test_transforms_worked_by_hand():
    np.testing.assert_allclose(tokens.transform(P, 1.0, 3).final,
                               np.r_[[0.4, 0.2, 0.15] / np.float64(0.75), np.zeros(5)])
    for p in (0.7, 0.75):
        np.testing.assert_allclose(tokens.transform(P, 1.0, None, p).final,
                                   np.r_[[0.4, 0.2, 0.15] / np.float64(0.75), np.zeros(5)])
    np.testing.assert_allclose(tokens.transform(P, 1.0, None, 0.76).kept,
                               [1, 1, 1, 1, 0, 0, 0, 0])
    s = np.sqrt(P)
    np.testing.assert_allclose(tokens.with_temperature(P, 2.0), s / s.sum(), rtol=1e-12)
    # order: temperature first, then top-k on the tempered law, then top-p
    law = tokens.transform(P, 2.0, 4, 0.5)
    q = np.where(np.arange(8) < 4, s, 0.0)
    q /= q.sum()
    keep = np.cumsum(q) - q < 0.5
    expected = np.where(keep, q, 0.0)
    np.testing.assert_allclose(law.final, expected / expected.sum(), rtol=1e-12)


def test_ties_at_the_nucleus_boundary_are_broken_by_token_order():
    flat = np.full(4, 0.25)
    np.testing.assert_array_equal(tokens.top_p_mask(flat, 0.5), [1, 1, 0, 0])
    np.testing.assert_array_equal(tokens.top_k_mask(flat, 1), [1, 0, 0, 0])


def test_entropy_rises_monotonically_from_zero_to_log_V():
    Ts = np.exp(np.linspace(np.log(0.02), np.log(200), 200))
    H = np.array([tokens.entropy(tokens.with_temperature(P, t)) for t in Ts])
    assert np.all(np.diff(H) > 0)
    assert H[0] < 1e-6 and H[-1] == pytest.approx(math.log(8), abs=1e-3)
    assert tokens.entropy(P) == pytest.approx(-(P * np.log(P)).sum())


def test_greedy_limits_and_identity_settings():
    greedy = np.eye(8)[0]
    for law in (tokens.transform(P, 1.0, 1), tokens.transform(P, 1.0, None, 0.0),
                tokens.transform(P, 1.0, None, 1e-9), tokens.transform(P, 0.0),
                tokens.transform(P, 1e-3)):
        np.testing.assert_allclose(law.final, greedy, atol=1e-12)
    np.testing.assert_allclose(tokens.transform(P, 1.0, 8, 1.0).final, P, rtol=1e-12)
    np.testing.assert_allclose(tokens.transform(P, 1.0, 64, 1.0).final, P, rtol=1e-12)


def test_sample_frequencies_converge_to_the_transformed_law():
    exp = TokenSampling({"T": 1.5, "k": 5, "p": 0.9, "seed": 3})
    exp.set_steps_per_frame(1000)
    gen = checked_frames(exp)
    for _ in range(21):
        f = next(gen)
    n = f["samples"]
    q = f["transformed"]
    kept = q > 0
    np.testing.assert_array_equal(f["freq"][~kept], 0.0)  # masked tokens never drawn
    chi2 = n * np.sum((f["freq"][kept] - q[kept]) ** 2 / q[kept])
    dof = kept.sum() - 1
    assert chi2 < dof + 5 * math.sqrt(2 * dof)  # mean dof, sd √(2 dof)
    assert f["bar_values"].shape == (3, 8)
    np.testing.assert_array_equal(f["removed"], ~kept)


def test_the_bigram_source_is_read_from_the_shipped_text():
    text = tokens.corpus()
    assert "Shall I compare thee" in text and len(text) > 4000
    f = next(checked_frames(TokenSampling({"source": "bigram", "context": "q"})))
    assert f["token_names"][0] == "u"  # after 'q' comes 'u'
    assert f["original"].sum() == pytest.approx(1.0)
