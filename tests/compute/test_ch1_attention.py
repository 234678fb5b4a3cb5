"""ch1.mha-ternary-exercise and ch1.transformer-next-token against the hand computation.

Exercise 1.1.4 by hand (X = [[1, 2], [3, 4], [5, 6]], tˆ⁽⁰⁾ = (3, 4)):
head 1: Q₁ = (3, 4), K₁ rows (3, −1), (7, −1), (11, −1), scores (5, 17, 29);
head 2: Q₂ = (4, 3), K₂ rows all (−1, 1), scores (−1, −1, −1) → α₂ = 1/3, z₂ = (6, 8);
z = (z₁ₓ + 8, z₁ᵧ + 6) whose entries differ by z₁ₓ − z₁ᵧ + 2 = 1 (every row of X has
x − y = −1), so σ² = 1/4 and LayerNorm gives ±(1, −1)·√(σ²/(σ² + ε)) = (1, −1)·…;
p = softmax(W_out tˆ) = softmax(1, −1, 2).
"""

import math

import numpy as np
import pytest

from compute.attention import Weights, gelu, layer_norm, refine, softmax
from compute.experiment import checked_frames
from compute.experiments.ch1_attention import (
    PARTS,
    MHATernaryExercise,
    TransformerNextToken,
    run_exercise,
)
from compute.params import ParamError

X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])


def frames_of(exp, n):
    frames = checked_frames(exp)
    out = [next(frames) for _ in range(n)]
    frames.close()
    return out



# -- Exercise 1.1.4 -------------------------------------------------------------------------
def test_hand_computation_of_the_first_iteration():
    first = run_exercise(MHATernaryExercise.spec().defaults())[0]
    np.testing.assert_array_equal(first["t_hat"], X.mean(axis=0))  # the book's (3, 4)
    np.testing.assert_array_equal(first["t_hat"], [3.0, 4.0])
    np.testing.assert_array_equal(first["Q"], [[3, 4], [4, 3]])
    np.testing.assert_array_equal(first["K"][0], [[3, -1], [7, -1], [11, -1]])
    np.testing.assert_array_equal(first["K"][1], [[-1, 1]] * 3)
    np.testing.assert_array_equal(first["V"][0], X)
    np.testing.assert_array_equal(first["V"][1], 2 * X)
    np.testing.assert_array_equal(first["scores"], [[5, 17, 29], [-1, -1, -1]])
    e = np.exp([5.0 - 29, 17.0 - 29, 0.0])
    np.testing.assert_allclose(first["alpha"][0], e / e.sum(), rtol=1e-14)
    np.testing.assert_allclose(first["alpha"][1], [1 / 3] * 3, rtol=1e-15)  # equal keys
    np.testing.assert_allclose(first["alpha"].sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(first["z_heads"][1], [6.0, 8.0], rtol=1e-15)  # mean of 2X
    z1 = first["z_heads"][0]
    np.testing.assert_allclose(first["z"], [z1[0] + 8, z1[1] + 6], rtol=1e-15)
    np.testing.assert_allclose(first["z"][0] - first["z"][1], 1.0, rtol=1e-13)
    np.testing.assert_allclose(first["pre_norm"], first["z"])  # ReLU of positives
    assert first["var"] == pytest.approx(0.25, rel=1e-13)
    np.testing.assert_allclose(first["t_next"], [1.0, -1.0], rtol=1e-13)
    np.testing.assert_allclose(first["probs"], softmax(np.array([1.0, -1.0, 2.0])), rtol=1e-13)


def test_fixed_point_right_after_the_first_layernorm():
    its = run_exercise(MHATernaryExercise.spec().defaults())
    assert len(its) == 2  # the second iteration confirms the first one's output
    np.testing.assert_allclose(its[1]["t_next"], its[0]["t_next"], atol=1e-15)
    assert its[1]["delta"] <= 1e-12
    probs = its[-1]["probs"]
    e = np.exp([1.0, -1.0, 2.0])
    np.testing.assert_allclose(probs, e / e.sum(), rtol=1e-13)  # 0.2595, 0.0351, 0.7054
    assert int(np.argmax(probs)) == 2  # c


@pytest.mark.parametrize("eps", [1e-5, 1e-3, 0.01])
def test_layernorm_epsilon_scales_the_output_by_the_derived_factor(eps):
    its = run_exercise({**MHATernaryExercise.spec().defaults(), "ln_eps": eps})
    factor = math.sqrt(0.25 / (0.25 + eps))
    np.testing.assert_allclose(its[-1]["t_next"], [factor, -factor], rtol=1e-12)
    assert len(its) == 2


def test_the_run_reaches_its_fixed_point_within_100_frames_part_by_part():
    single = frames_of(MHATernaryExercise({"frames_per_part": 1}), len(PARTS))
    assert [f["part"] for f in single] == list(range(len(PARTS)))  # one part per frame
    exp = MHATernaryExercise()  # the default speed: each part held for a few frames
    frames = frames_of(exp, 100)
    parts = [f["part"] for f in frames]
    assert set(parts) == set(range(len(PARTS)))  # every part shown
    assert frames[0]["part_name"].startswith("tˆ")
    done = [f for f in frames if f["converged"]]
    assert done, "no fixed point within 100 frames"
    last = frames[-1]
    assert last["converged"] and last["iteration"] == 1
    np.testing.assert_allclose(last["probs"], softmax(np.array([1.0, -1.0, 2.0])), rtol=1e-13)
    np.testing.assert_allclose(last["t_hat"], [1.0, -1.0])
    assert last["alpha"].shape == (2, 3) and last["t_hat"].shape == (2,)
    assert last["probs"].shape == (3,)
    assert last["most_likely"].startswith("c")
    # the attention map filled row by row: rows 0 and 1 computed, the rest empty
    att = last["attention"]
    assert np.isfinite(att[:, :2]).all() and np.isnan(att[:, 2:]).all()
    # before its α part the first row is still empty
    assert np.isnan(frames[1]["attention"]).all()


def test_editing_a_weight_restarts_the_computation_and_head_2_discriminates():
    exp = MHATernaryExercise({"frames_per_part": 1})
    frames = checked_frames(exp)
    for _ in range(40):
        before = next(frames)
    assert before["converged"]
    exp.update_live({"W_K2": [[1, 0], [0, 1]]})
    after = next(frames)
    assert after["part"] == 0 and after["iteration"] == 0 and not after["converged"]
    for _ in range(len(PARTS)):
        frame = next(frames)
    frames.close()
    alpha2 = frame["attention"][1, 0]
    assert np.isfinite(alpha2).all() and alpha2.max() - alpha2.min() > 0.5


def test_a_constant_layernorm_input_with_zero_epsilon_is_refused():
    with pytest.raises(ParamError) as info:
        MHATernaryExercise({"W_2": [[0, 0], [0, 0]]})
    assert info.value.name == "ln_eps" and "0/0" in info.value.message
    MHATernaryExercise({"W_2": [[0, 0], [0, 0]], "ln_eps": 1e-5})  # well defined with ε > 0
    exp = MHATernaryExercise()
    with pytest.raises(ParamError):
        exp.update_live({"b": [[0, 0]], "W_2": [[0, 0], [0, 0]]})
    assert exp.p["W_2"] == ((1.0, 0.0), (0.0, 1.0))  # the last good weights stay


# -- the building blocks -------------------------------------------------------------------
def test_gelu_is_x_times_the_gaussian_cdf():
    xs = np.linspace(-6, 6, 121)
    expected = [x * 0.5 * (1 + math.erf(x / math.sqrt(2))) for x in xs]
    np.testing.assert_allclose(gelu(xs), expected, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("seed", range(4))
def test_layernorm_output_has_mean_beta_and_unit_variance(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=7) * 3
    y, mu, var = layer_norm(x, np.ones(7), np.zeros(7), 0.0)
    assert y.mean() == pytest.approx(0.0, abs=1e-14) and y.var() == pytest.approx(1.0)
    assert mu == pytest.approx(x.mean()) and var == pytest.approx(x.var())
    beta = rng.normal(size=7)
    y, _, _ = layer_norm(x, np.ones(7), beta, 0.0)
    np.testing.assert_allclose(y - beta, (x - x.mean()) / x.std())
    two, _, _ = layer_norm(rng.normal(size=2), np.ones(2), np.zeros(2), 0.0)
    np.testing.assert_allclose(np.abs(two), 1.0)  # d = 2: only ±(1, −1)
    assert two.sum() == pytest.approx(0.0)


@pytest.mark.parametrize("seed", range(3))
def test_one_head_with_identity_output_projection_is_single_head_attention(seed):
    rng = np.random.default_rng(seed)
    d, n = 4, 5
    Xr = rng.normal(size=(n, d))
    WQ, WK, WV = (rng.normal(size=(d, d)) for _ in range(3))
    w = Weights(W_Q=[WQ], W_K=[WK], W_V=[WV], W_O=np.eye(d), W_1=np.eye(d), W_2=np.eye(d),
                b=np.zeros(d), gamma=np.ones(d), beta=np.zeros(d), W_out=np.eye(d),
                b_out=np.zeros(d))
    t = Xr.mean(axis=0)
    out = refine(t, Xr, w, scale=math.sqrt(d))
    scores = (t @ WQ) @ (Xr @ WK).T / math.sqrt(d)
    alpha = np.exp(scores - scores.max())
    alpha /= alpha.sum()
    np.testing.assert_allclose(out["alpha"][0], alpha, rtol=1e-13)
    np.testing.assert_allclose(out["z"], alpha @ (Xr @ WV), rtol=1e-13)


# -- ch1.transformer-next-token ---------------------------------------------------------------
def test_attention_rows_are_distributions_and_fill_one_per_frame():
    exp = TransformerNextToken({"n": 6, "d": 8, "H": 4, "K": 12, "seed": 1,
                                "frames_per_iteration": 1})
    frames = frames_of(exp, 5)
    for j, frame in enumerate(frames):
        att = frame["attention"]
        assert att.shape == (4, 12, 6)
        done = att[:, : j + 1]
        assert np.isfinite(done).all() and np.isnan(att[:, j + 1:]).all()
        assert ((done >= 0) & (done <= 1)).all()
        np.testing.assert_allclose(done.sum(axis=-1), 1.0, rtol=1e-14)
        np.testing.assert_allclose(frame["probs"].sum(), 1.0)


def test_layernorm_output_statistics_during_the_run():
    exp = TransformerNextToken({"n": 5, "d": 16, "H": 2, "ln_eps": 0.0, "seed": 2,
                                "frames_per_iteration": 1})
    t = frames_of(exp, 3)[-1]["t_hat"]
    assert t.mean() == pytest.approx(0.0, abs=1e-14) and t.var() == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(4))
def test_d_equal_2_is_degenerate(seed):
    exp = TransformerNextToken({"ln_eps": 0.0, "seed": seed, "K": 6,
                                "frames_per_iteration": 1})
    for frame in frames_of(exp, 6)[1:]:
        np.testing.assert_allclose(np.abs(frame["t_hat"]), 1.0)
        assert frame["t_hat"].sum() == pytest.approx(0.0, abs=1e-15)


def test_h_must_divide_d_and_the_book_embeddings_need_its_shape():
    with pytest.raises(ParamError) as info:
        TransformerNextToken({"d": 6, "H": 4})
    assert info.value.name == "H" and "does not divide" in info.value.message
    with pytest.raises(ParamError) as info:
        TransformerNextToken({"embeddings": "book", "n": 4})
    assert info.value.name == "embeddings"
    exp = TransformerNextToken({"embeddings": "book"})
    np.testing.assert_array_equal(exp.X, X)


def test_status_is_honest_about_convergence():
    # a fixed point: one more step from the final t̂ returns it
    exp = TransformerNextToken({"seed": 0, "K": 60, "frames_per_iteration": 1})
    exp.set_steps_per_frame(60)
    frame = frames_of(exp, 1)[0]
    assert frame["status"].startswith("fixed point")
    t = frame["t_hat"]
    np.testing.assert_allclose(exp.step_once(t)["t_next"], t, atol=1e-9)
    # a period-2 orbit: t̂ alternates between two distinct vectors
    exp = TransformerNextToken({"seed": 9, "K": 60, "frames_per_iteration": 1})
    exp.set_steps_per_frame(60)
    frame = frames_of(exp, 1)[0]
    assert frame["status"].startswith("oscillates")
    t = frame["t_hat"]
    t1 = exp.step_once(t)["t_next"]
    assert np.linalg.norm(t1 - t) > 0.1
    np.testing.assert_allclose(exp.step_once(t1)["t_next"], t, atol=1e-7)
    # neither within K: said so
    exp = TransformerNextToken({"d": 8, "H": 2, "n": 6, "init_scale": 2.0, "seed": 0,
                                "K": 60, "frames_per_iteration": 1})
    exp.set_steps_per_frame(60)
    assert frames_of(exp, 1)[0]["status"] == "no convergence within K = 60 iterations"


def test_temperature_flattens_attention():
    def spread(tau):
        exp = TransformerNextToken({"n": 8, "d": 8, "H": 2, "init_scale": 3.0,
                                    "temperature": tau, "seed": 5})
        att = frames_of(exp, 1)[0]["attention"][:, 0]
        return float((att.max(axis=-1) - att.min(axis=-1)).mean())

    assert spread(0.2) > spread(1.0) > spread(8.0)
