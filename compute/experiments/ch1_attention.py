"""§1.1.5: iterative next-token refinement with (multi-head) attention, a feed-forward map
and LayerNorm; Exercise 1.1.4 worked part by part with the book's prescribed weights."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .. import backend
from ..attention import (
    ACTIVATIONS,
    LayerNormUndefined,
    Weights,
    pca_2d,
    random_weights,
    refine,
    softmax,
)
from ..experiment import Experiment, Frame
from ..params import Bool, Choice, Float, Int, Matrix, ParamError, Seed, as_array
from ..registry import register
from ..views import Attention, Bars, Curves, Matrices, Readout, Series

FIXED_POINT_TOL = 1e-12  # ‖t̂^(k+1) − t̂^(k)‖ ≤ tol·max(1, ‖t̂‖): a fixed point
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def sub(i: int) -> str:
    return str(i).translate(SUBSCRIPT)


def t_hat_name(k: int) -> str:
    """tˆ⁽ᵏ⁾ with the iteration as a superscript."""
    return f"t̂⁽{str(k).translate(SUPERSCRIPT)}⁾"


# -- Exercise 1.1.4 ------------------------------------------------------------------------
BOOK_X = [[1, 2], [3, 4], [5, 6]]
I2 = [[1, 0], [0, 1]]
PARTS = ("init", "Q", "K", "V", "scores", "alpha", "z", "concat", "project", "ffn",
         "layernorm", "logits", "probs", "next")
PART_TITLES = {
    "init": "tˆ⁽⁰⁾ = mean of the token embeddings",
    "Q": "1. queries Q_h = tˆ W_Q^h",
    "K": "1. keys K_h = X W_K^h",
    "V": "1. values V_h = X W_V^h",
    "scores": "2. scores Q_h K_hᵀ / √d_h",
    "alpha": "2. attention weights α_h = softmax(scores)",
    "z": "3. z_h = Σ_i α_i,h V_h,i",
    "concat": "4. concatenation [z₁, z₂]",
    "project": "4. output projection z = [z₁, z₂] W_O",
    "ffn": "5. feed-forward σ(W₂ σ(W₁ z) + b)",
    "layernorm": "5. LayerNorm → tˆ⁽ᵏ⁺¹⁾",
    "logits": "7. logits W_out tˆ + b_out",
    "probs": "7. probabilities softmax(logits)",
    "next": "6. next iteration: ‖tˆ⁽ᵏ⁺¹⁾ − tˆ⁽ᵏ⁾‖",
}
N_WORKED = 6  # matrices shown per part
EMPTY = np.zeros((0, 0))


def exercise_weights(p: Mapping[str, Any]) -> Weights:
    """The weights of Exercise 1.1.4 (or as edited) from the parameters."""
    m = {name: as_array(p[name]) for name in ("W_Q1", "W_K1", "W_V1", "W_Q2", "W_K2", "W_V2",
                                               "W_O", "W_1", "W_2", "b", "gamma", "beta",
                                               "W_out", "b_out")}
    return Weights(W_Q=[m["W_Q1"], m["W_Q2"]], W_K=[m["W_K1"], m["W_K2"]],
                   W_V=[m["W_V1"], m["W_V2"]], W_O=m["W_O"], W_1=m["W_1"], W_2=m["W_2"],
                   b=m["b"][0], gamma=m["gamma"][0], beta=m["beta"][0], W_out=m["W_out"],
                   b_out=m["b_out"][0])


def initial_token(p: Mapping[str, Any]) -> np.ndarray:
    X = as_array(p["X"])
    return X.mean(axis=0) if p["init"] == "mean" else as_array(p["t0"])[0]


def run_exercise(p: Mapping[str, Any]) -> list[dict]:
    """Every iteration's intermediates until the fixed point or ``max_iterations``."""
    X = as_array(p["X"])
    w = exercise_weights(p)
    t = initial_token(p)
    out = []
    for _ in range(p["max_iterations"]):
        step = refine(t, X, w, scale=p["sqrt_d_h"], activation=p["activation"],
                      ln_eps=p["ln_eps"])
        step["t_hat"] = t
        step["delta"] = float(np.linalg.norm(step["t_next"] - t))
        out.append(step)
        if step["delta"] <= FIXED_POINT_TOL * max(1.0, float(np.linalg.norm(t))):
            break
        t = step["t_next"]
    return out


@register
class MHATernaryExercise(Experiment):
    id = "ch1.mha-ternary-exercise"
    title = "Multi-head attention with prescribed weights (Exercise 1.1.4)"
    section = "1.1.5"
    family = "attention heatmap"
    summary = ("Exercise 1.1.4 worked part by part: Q, K, V, α per head, LayerNorm, "
               "p(t₄ | a, b, c).")
    explanation = (
        "Three tokens a, b, c with embeddings X = [[1, 2], [3, 4], [5, 6]] and two attention "
        "heads with the book's prescribed weights predict the next token t₄. Play works the "
        "exercise one part per frame: queries, keys and values per head, the scores and "
        "their softmax α (a row of the attention map per iteration), the weighted values z_h, "
        "their concatenation and projection by W_O, the ReLU feed-forward map, LayerNorm, "
        "then the logits and probabilities of the next token, and the next iteration. Head 2's "
        "keys are all equal (X W_K² has identical rows), so it attends uniformly and returns "
        "the mean of its values. With d = 2, LayerNorm can only output ±(1, −1) (times "
        "√(σ²/(σ² + ε))), so the iteration sits at its fixed point right after the first "
        "LayerNorm: the second iteration only confirms it. Every weight can be edited; an "
        "edit restarts the worked computation (try W_K² = [[1, 0], [0, 1]] and watch head 2 "
        "start to discriminate the tokens)."
    )
    equations = (
        r"$\hat t^{(0)} = \frac{1}{n}\sum_i t_i,\quad Q_h = \hat t\,W_Q^h,\quad"
        r" K_h = X W_K^h,\quad V_h = X W_V^h$",
        r"$\alpha_{i,h} = \mathrm{softmax}_i\left(Q_h K_h^T/\sqrt{d_h}\right),\quad"
        r" z_h = \sum_i \alpha_{i,h} V_{h,i}$",
        r"$z = [z_1, z_2]\,W_O,\quad \hat t^{(k+1)} = \mathrm{LN}(\mathrm{ReLU}(W_2\,"
        r"\mathrm{ReLU}(W_1 z) + b))$",
        r"$\mathrm{LN}(x) = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}\odot\gamma + \beta,"
        r"\quad p(t_4 | t_1 t_2 t_3) = \mathrm{softmax}(W_{out}\,\hat t + b_{out})$",
    )
    book_notes = (
        "The exercise says d_h = d/H = 1, but its head matrices are 2×2 (d_h = 2 in shape). "
        "The lab uses the 2×2 matrices as printed and divides the scores by √d_h = 1 as the "
        "exercise says; the divisor is a parameter.",
        "With d = 2, LayerNorm (γ = 1, β = 0) maps any vector with two distinct entries to "
        "±(1, −1) (scaled by √(σ²/(σ² + ε)) for ε > 0): the iteration is stationary after "
        "one step, so part 6's \"stabilized\" tˆ₄ is already tˆ₄⁽¹⁾.",
        "§1.1.5 writes W_out ∈ R^(d×v), but the exercise's W_out is 3×2 and multiplies tˆ "
        "from the left (W_out tˆ): the lab uses v × d. The exercise has no b_out (zero here).",
        "The book leaves ε unspecified; the lab's default ε = 0 reproduces the hand "
        "computation exactly (ln_eps sets it).",
    )
    params = (
        Matrix("X", BOOK_X, -10.0, 10.0, live=True, label="embeddings X (rows a, b, c)"),
        Matrix("W_Q1", I2, -5.0, 5.0, live=True, label="W_Q¹"),
        Matrix("W_K1", [[1, 1], [1, -1]], -5.0, 5.0, live=True, label="W_K¹"),
        Matrix("W_V1", I2, -5.0, 5.0, live=True, label="W_V¹"),
        Matrix("W_Q2", [[0, 1], [1, 0]], -5.0, 5.0, live=True, label="W_Q²"),
        Matrix("W_K2", [[1, -1], [-1, 1]], -5.0, 5.0, live=True, label="W_K²"),
        Matrix("W_V2", [[2, 0], [0, 2]], -5.0, 5.0, live=True, label="W_V²"),
        Matrix("W_O", [[1, 0], [0, 1], [0, 1], [1, 0]], -5.0, 5.0, live=True, label="W_O"),
        Matrix("W_1", I2, -5.0, 5.0, live=True, label="W₁"),
        Matrix("W_2", I2, -5.0, 5.0, live=True, label="W₂"),
        Matrix("b", [[0, 0]], -10.0, 10.0, live=True, label="b"),
        Matrix("gamma", [[1, 1]], -5.0, 5.0, live=True, label="LayerNorm γ"),
        Matrix("beta", [[0, 0]], -5.0, 5.0, live=True, label="LayerNorm β"),
        Matrix("W_out", [[1, 0], [0, 1], [1, -1]], -5.0, 5.0, live=True, label="W_out"),
        Matrix("b_out", [[0, 0, 0]], -10.0, 10.0, live=True, label="b_out"),
        Choice("activation", "ReLU", tuple(ACTIVATIONS), live=True,
               help="The exercise uses ReLU; §1.1.5's general form uses GELU."),
        Float("ln_eps", 0.0, 0.0, 0.01, live=True, label="LayerNorm ε",
              help="ε in (x − μ)/√(σ² + ε). 0 gives the hand computation exactly."),
        Float("sqrt_d_h", 1.0, 0.1, 10.0, live=True, label="√d_h (score divisor)",
              help="The scores are divided by this; the exercise's d_h = 1 gives 1."),
        Choice("init", "mean", ("mean", "custom"), live=True, label="tˆ⁽⁰⁾",
               help="mean: the average of the token embeddings (the book's (3, 4)); custom: "
                    "the vector t0."),
        Matrix("t0", [[3, 4]], -10.0, 10.0, live=True, label="custom tˆ⁽⁰⁾"),
        Int("max_iterations", 4, 1, 20, live=True, label="iterations shown",
            help="Rows of the attention map; the run stops there if no fixed point."),
        Int("frames_per_part", 3, 1, 60, live=True, label="frames per part",
            help="How long each part stays on screen while playing (1: one part per frame; "
                 "→ then steps one part at a time)."),
    )
    views = (
        Attention("attention", "Attention α per head (rows: iterations k)", area="left",
                  weights="attention", query_labels="iteration_labels",
                  key_labels="token_labels", head_labels="head_labels",
                  query_axis="iteration", key_axis="token"),
        Matrices("worked", "This part of the computation",
                 matrices=tuple(f"m{i}" for i in range(1, N_WORKED + 1)),
                 titles_field="m_titles", value_format="{:.4g}"),
        Bars("probs", "Next-token probabilities p(t₄ | a, b, c)", values="probs_shown",
             labels="vocabulary", highlight="most_likely_index", yrange=(0.0, 1.0),
             ylabel="probability", value_format="{:.4f}"),
        Readout("state", "Where the computation is", area="bottom", lines=(
            ("iteration", "iteration k", "{:d}"),
            ("part_name", "part", "{}"),
            ("t_hat_text", "tˆ (latest)", "{}"),
            ("delta", "‖tˆ⁽ᵏ⁺¹⁾ − tˆ⁽ᵏ⁾‖", "{:.3g}"),
            ("most_likely", "most likely next token", "{}"),
            ("status", "status", "{}"),
        )),
    )
    frame_fields = {
        "alpha": "(H, n) the attention weights of the latest iteration (NaN before the first)",
        "attention": "(H, max_iterations, n) α per iteration (rows NaN until computed)",
        "t_hat": "(d,) the latest tˆ (tˆ⁽ᵏ⁺¹⁾ once LayerNorm is done)",
        "probs": "(v,) the latest next-token probabilities (NaN before the first)",
        "probs_shown": "(v,) the same, for the bars",
        "iteration": "the iteration k being computed",
        "part": "index of the part shown (0 = init, then Q … next)",
        "part_name": "what the part computes",
        "m1": "first matrix of the part (0×0 when unused)", "m2": "second matrix",
        "m3": "third matrix", "m4": "fourth matrix", "m5": "fifth matrix",
        "m6": "sixth matrix",
        "m_titles": f"({N_WORKED},) their titles",
        "iteration_labels": "(max_iterations,) k = 0, 1, …",
        "token_labels": "(n,) the tokens",
        "head_labels": "(H,) head names",
        "vocabulary": "(v,) the vocabulary a, b, c",
        "most_likely_index": "index of the most likely next token (−1 before)",
        "most_likely": "the most likely next token",
        "t_hat_text": "tˆ as text",
        "delta": "‖tˆ⁽ᵏ⁺¹⁾ − tˆ⁽ᵏ⁾‖ of the latest finished iteration (NaN before)",
        "converged": "True once the fixed point is reached",
        "status": "running / fixed point reached / no fixed point within the iterations",
    }
    nonfinite_fields = frozenset({"alpha", "attention", "probs", "probs_shown", "delta",
                                  "m1", "m2", "m3", "m4", "m5", "m6"})
    default_steps_per_frame = 1
    max_steps_per_frame = 50

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        try:
            run_exercise(p)
        except LayerNormUndefined:
            raise ParamError("ln_eps", "with ε = 0 LayerNorm gets a constant vector (every "
                                       "entry of σ(W₂σ(W₁z) + b) equal): 0/0. Set ε > 0 or "
                                       "change W₁, W₂ or b") from None

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self._restart = True

    def on_live_change(self, names: set[str]) -> None:
        if names - {"frames_per_part"}:
            self._restart = True  # a new weight: the worked computation starts again

    def frames(self) -> Iterator[Frame]:
        step = 0
        while True:
            if self._restart:
                self._restart = False
                iterations = run_exercise(self.p)
                k, part = 0, 0
                done = False
                hold = 0
            frame = self._frame(step, iterations, k, part, done)
            yield frame
            for _ in range(self.steps_per_frame):
                step += 1
                hold += 1
                if done or self._restart or hold < self.p["frames_per_part"]:
                    continue
                hold = 0
                part += 1
                if part == len(PARTS):  # after "next": the following iteration
                    if k + 1 < len(iterations):
                        k, part = k + 1, 1
                    else:
                        part, done = len(PARTS) - 1, True

    def _frame(self, step: int, its: list[dict], k: int, part: int, done: bool) -> Frame:
        p = self.p
        cur = its[k]
        H, n = cur["alpha"].shape
        name = PARTS[part]
        reached = lambda target: PARTS.index(target) <= part  # noqa: E731
        rows = p["max_iterations"]
        attention = np.full((H, rows, n), np.nan)
        for j in range(k + (1 if reached("alpha") else 0)):
            attention[:, j] = its[j]["alpha"]
        alpha = cur["alpha"] if reached("alpha") else (
            its[k - 1]["alpha"] if k else np.full((H, n), np.nan))
        t_hat = cur["t_next"] if reached("layernorm") else cur["t_hat"]
        probs = cur["probs"] if reached("probs") else (
            its[k - 1]["probs"] if k else np.full(len(cur["probs"]), np.nan))
        delta = cur["delta"] if reached("next") else (its[k - 1]["delta"] if k else math.nan)
        converged = reached("next") and k == len(its) - 1 and \
            cur["delta"] <= FIXED_POINT_TOL * max(1.0, float(np.linalg.norm(cur["t_hat"])))
        if converged:
            status = f"fixed point reached: {t_hat_name(k + 1)} = {t_hat_name(k)}"
        elif done:
            status = f"no fixed point within {rows} iterations"
        else:
            status = "running"
        vocab = np.array(["a", "b", "c"])
        best = int(np.argmax(probs)) if np.isfinite(probs).all() else -1
        mats, titles = self._worked(name, cur, k)
        return {
            "step": step,
            "t": float(step),
            "alpha": alpha,
            "attention": attention,
            "t_hat": t_hat,
            "probs": probs,
            "probs_shown": probs,
            "iteration": k,
            "part": part,
            "part_name": PART_TITLES[name],
            **{f"m{i + 1}": mats[i] for i in range(N_WORKED)},
            "m_titles": np.array(titles),
            "iteration_labels": np.array([f"k = {j}" for j in range(rows)]),
            "token_labels": np.array(["a", "b", "c"]),
            "head_labels": np.array([f"head {h + 1}" for h in range(H)]),
            "vocabulary": vocab,
            "most_likely_index": best,
            "most_likely": f"{vocab[best]} (p = {probs[best]:.4f})" if best >= 0 else "—",
            "t_hat_text": "(" + ", ".join(f"{v:.6g}" for v in t_hat) + ")",
            "delta": delta,
            "converged": bool(converged),
            "status": status,
        }

    def _worked(self, name: str, cur: dict, k: int) -> tuple[list[np.ndarray], list[str]]:
        """The matrices of one part (inputs, then the result), padded with empty ones."""
        p = self.p
        X = as_array(p["X"])
        w = exercise_weights(p)
        t, t_next = t_hat_name(k), t_hat_name(k + 1)
        H = w.heads
        items: list[tuple[np.ndarray, str]]
        if name == "init":
            items = [(X, "X"), (cur["t_hat"], f"{t} (mean of the rows)" if k == 0 else t)]
        elif name == "Q":
            items = [(cur["t_hat"], t)] + [(w.W_Q[h], f"W_Q{sub(h + 1)}") for h in range(H)] + \
                [(cur["Q"][h], f"Q{sub(h + 1)}") for h in range(H)]
        elif name == "K":
            items = [(X, "X")] + [(w.W_K[h], f"W_K{sub(h + 1)}") for h in range(H)] + \
                [(cur["K"][h], f"K{sub(h + 1)}") for h in range(H)]
        elif name == "V":
            items = [(X, "X")] + [(w.W_V[h], f"W_V{sub(h + 1)}") for h in range(H)] + \
                [(cur["V"][h], f"V{sub(h + 1)}") for h in range(H)]
        elif name == "scores":
            items = [(cur["Q"][0], "Q₁"), (cur["K"][0], "K₁"), (cur["Q"][1], "Q₂"),
                     (cur["K"][1], "K₂")] + [(cur["scores"][h], f"scores{sub(h + 1)}")
                                            for h in range(H)]
        elif name == "alpha":
            items = [(cur["scores"][h], f"scores{sub(h + 1)}") for h in range(H)] + \
                [(cur["alpha"][h], f"α{sub(h + 1)}") for h in range(H)]
        elif name == "z":
            items = [(cur["alpha"][0], "α₁"), (cur["V"][0], "V₁"), (cur["alpha"][1], "α₂"),
                     (cur["V"][1], "V₂"), (cur["z_heads"][0], "z₁"), (cur["z_heads"][1], "z₂")]
        elif name == "concat":
            items = [(cur["z_heads"][h], f"z{sub(h + 1)}") for h in range(H)] + \
                [(cur["concat"], "[z₁, z₂]")]
        elif name == "project":
            items = [(cur["concat"], "[z₁, z₂]"), (w.W_O, "W_O"), (cur["z"], "z")]
        elif name == "ffn":
            items = [(cur["z"], "z"), (w.W_1, "W₁"), (cur["hidden"], "σ(W₁z)"), (w.W_2, "W₂"),
                     (w.b, "b"), (cur["pre_norm"], "σ(W₂σ(W₁z) + b)")]
        elif name == "layernorm":
            items = [(cur["pre_norm"], "x = σ(W₂σ(W₁z) + b)"), (np.array(cur["mu"]), "μ"),
                     (np.array(cur["var"]), "σ²"), (cur["t_next"], f"{t_next} = LN(x)")]
        elif name == "logits":
            items = [(w.W_out, "W_out"), (cur["t_next"], t_next), (w.b_out, "b_out"),
                     (cur["logits"], "logits")]
        elif name == "probs":
            items = [(cur["logits"], "logits"), (cur["probs"], "p = softmax(logits)")]
        else:  # next
            items = [(cur["t_hat"], t), (cur["t_next"], t_next),
                     (np.array(cur["delta"]), "‖Δtˆ‖")]
        mats = [np.atleast_1d(np.asarray(m, dtype=float)) for m, _ in items][:N_WORKED]
        titles = [title for _, title in items][:N_WORKED]
        while len(mats) < N_WORKED:
            mats.append(EMPTY)
            titles.append("")
        return mats, titles


# -- §1.1.5 general: random weights, H heads, iterations k ----------------------------------
@register
class TransformerNextToken(Experiment):
    id = "ch1.transformer-next-token"
    title = "Iterative next-token refinement with multi-head attention"
    section = "1.1.5"
    family = "attention heatmap"
    summary = ("tˆ⁽ᵏ⁺¹⁾ = LN(σ(W₂σ(W₁ MHA(tˆ⁽ᵏ⁾, X)) + b)): attention rows per iteration, "
               "p(tₙ₊₁ | X).")
    explanation = (
        "The book's §1.1.5 recipe for predicting the next token: start from the mean of the n "
        "token embeddings, let the current guess tˆ attend to the tokens with H heads (each "
        "head a softmax over the tokens of its scores, divided by τ√d_h), project the "
        "concatenated head outputs with W_O, apply the feed-forward map and LayerNorm, and "
        "repeat. One frame is one iteration: a new row of each head's attention map, a new "
        "point on tˆ's trajectory among the token embeddings (the plane of their two leading "
        "principal directions), the step size ‖tˆ⁽ᵏ⁺¹⁾ − tˆ⁽ᵏ⁾‖ and the next-token law "
        "softmax(W_out tˆ + b_out). Weights are random (seeded), scaled by 1/√d. Nothing "
        "guarantees a fixed point: the map need not be a contraction, and the read-out says "
        "honestly whether the iteration settled, oscillates or did neither within K steps. "
        "Raising the temperature τ flattens the attention rows; lowering it sharpens them. "
        "With d = 2 LayerNorm can only return ±(1, −1)/√(1 + ε/σ²), so the iteration is "
        "trivially stationary after one step."
    )
    equations = (
        *MHATernaryExercise.equations[:2],
        r"$z = \mathrm{Concat}(z_1, \ldots, z_H)\,W_O,\quad"
        r" \hat t^{(k+1)} = \mathrm{LN}(\sigma(W_2\,\sigma(W_1 z) + b))$",
        r"$\sigma(x) = x\,\Phi(x) = \frac{x}{2}\left(1 + \mathrm{erf}(x/\sqrt{2})\right),\quad"
        r" p(t_{n+1}|X) = \mathrm{softmax}(W_{out}\,\hat t + b_{out})$",
    )
    book_notes = (
        "§1.1.5 writes W_out ∈ R^(d×v) but multiplies W_out tˆ; the lab uses a v × d matrix "
        "(as Exercise 1.1.4's 3×2 W_out).",
        "The temperature τ is an addition of the lab: the scores are divided by τ√d_h "
        "(τ = 1 is the book's formula).",
        "With d = 2 LayerNorm (γ = 1, β = 0) returns ±(1, −1) scaled by √(σ²/(σ²+ε)), so the "
        "book's d = 2 setting converges after one step; use d ≥ 4 to see iterations matter.",
    )
    params = (
        Int("n", 3, 2, 64, label="tokens n"),
        Int("d", 2, 2, 128, label="embedding dimension d"),
        Int("H", 1, 1, 8, label="heads H", help="Must divide d (d_h = d/H)."),
        Float("init_scale", 1.0, 0.1, 3.0, label="weight scale",
              help="Weights are Gaussian with standard deviation (scale)/√d."),
        Choice("activation", "GELU", tuple(ACTIVATIONS), live=True),
        Float("ln_eps", 1e-5, 0.0, 1e-2, live=True, label="LayerNorm ε"),
        Bool("random_affine", False, label="random γ, β",
             help="Off: γ = 1, β = 0. On: γ ~ 1 + 0.3N(0, 1), β ~ 0.3N(0, 1)."),
        Float("temperature", 1.0, 0.1, 10.0, live=True, log=True, label="temperature τ",
              help="Scores are divided by τ√d_h: large τ flattens attention, small sharpens."),
        Int("K", 10, 1, 200, live=True, label="iterations K"),
        Int("frames_per_iteration", 4, 1, 60, live=True, label="frames per iteration",
            help="How long each iteration stays on screen while playing."),
        Int("v", 3, 2, 50, label="vocabulary size v"),
        Choice("embeddings", "random", ("random", "book"),
               help="random: X ~ N(0, 1); book: Exercise 1.1.4's X (needs n = 3, d = 2)."),
        Seed(),
    )
    views = (
        Attention("attention", "Attention α per head (rows: iterations k)", area="left",
                  weights="attention", query_labels="iteration_labels",
                  key_labels="token_labels", head_labels="head_labels",
                  query_axis="iteration", key_axis="token"),
        Curves("trajectory", "tˆ⁽ᵏ⁾ among the token embeddings (PCA plane)", series=(
            Series("tokens_y", x="tokens_x", label="tokens", style="dots"),
            Series("traj_y", x="traj_x", label="tˆ⁽ᵏ⁾"),), xlabel="PC 1", ylabel="PC 2"),
        Curves("convergence", "Step size", series=(
            Series("delta", x="delta_k", label="‖tˆ⁽ᵏ⁺¹⁾ − tˆ⁽ᵏ⁾‖"),), logy=True,
            xlabel="iteration k", ylabel="step"),
        Bars("probs", "Next-token probabilities", values="probs", labels="vocabulary",
             highlight="most_likely_index", yrange=(0.0, 1.0), ylabel="probability",
             value_format="{:.3f}"),
        Readout("state", "Iteration", area="bottom", lines=(
            ("iteration", "iteration k", "{:d}"),
            ("last_delta", "last step ‖Δtˆ‖", "{:.3g}"),
            ("ln_mean", "mean of the entries of tˆ", "{:.3g}"),
            ("ln_var", "variance of the entries of tˆ", "{:.4g}"),
            ("most_likely", "most likely next token", "{}"),
            ("status", "status", "{}"),
        )),
    )
    frame_fields = {
        "alpha": "(H, n) attention weights of the latest iteration",
        "attention": "(H, K, n) α per iteration (rows NaN until computed)",
        "t_hat": "(d,) the latest tˆ",
        "probs": "(v,) next-token probabilities softmax(W_out tˆ + b_out)",
        "iteration": "iterations done",
        "iteration_labels": "(K,) k = 0, 1, …",
        "token_labels": "(n,) token names",
        "head_labels": "(H,) head names",
        "vocabulary": "(v,) vocabulary names",
        "tokens_x": "(n,) first PCA coordinate of the embeddings",
        "tokens_y": "(n,) second PCA coordinate",
        "traj_x": "(k+1,) first PCA coordinate of tˆ⁽⁰⁾ … tˆ⁽ᵏ⁾",
        "traj_y": "(k+1,) second PCA coordinate",
        "delta_k": "(k,) iterations",
        "delta": "(k,) ‖tˆ⁽ᵏ⁺¹⁾ − tˆ⁽ᵏ⁾‖ (floored at 1e-17 for the log scale)",
        "last_delta": "the latest step size",
        "ln_mean": "mean of the entries of tˆ (β¯ for LayerNorm output)",
        "ln_var": "variance of the entries of tˆ",
        "most_likely_index": "index of the most likely next token",
        "most_likely": "its name and probability",
        "status": "running / fixed point / oscillating / no convergence within K",
    }
    nonfinite_fields = frozenset({"attention", "last_delta"})
    default_steps_per_frame = 1
    max_steps_per_frame = 200

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        if p["d"] % p["H"]:
            raise ParamError("H", f"H = {p['H']} does not divide d = {p['d']}: every head "
                                  "needs d_h = d/H dimensions")
        if p["embeddings"] == "book" and (p["n"], p["d"]) != (3, 2):
            raise ParamError("embeddings", "the book's X is 3 tokens in d = 2: set n = 3 and "
                                           "d = 2, or use random embeddings")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.p
        rng = backend.rng(p["seed"], 1)
        if p["embeddings"] == "book":
            self.X = np.array(BOOK_X, dtype=float)
        else:
            self.X = rng.normal(size=(p["n"], p["d"]))
        self.weights = random_weights(p["d"], p["H"], p["v"], backend.rng(p["seed"], 2),
                                      p["init_scale"], p["random_affine"])
        self.mean, self.P = pca_2d(self.X)
        self._restart = True

    def on_live_change(self, names: set[str]) -> None:
        if names - {"frames_per_iteration"}:
            self._restart = True

    def step_once(self, t: np.ndarray) -> dict:
        p = self.p
        dh = p["d"] // p["H"]
        return refine(t, self.X, self.weights, scale=math.sqrt(dh),
                      temperature=p["temperature"], activation=p["activation"],
                      ln_eps=p["ln_eps"])

    def frames(self) -> Iterator[Frame]:
        step = 0
        while True:
            if self._restart:
                self._restart = False
                t = self.X.mean(axis=0)
                traj = [t]
                alphas: list[np.ndarray] = []
                deltas: list[float] = []
                probs = softmax(self.weights.W_out @ t + self.weights.b_out)
                status = "running"
                hold = self.p["frames_per_iteration"] - 1  # the first iteration at once
            for _ in range(self.steps_per_frame):
                step += 1
                hold += 1
                if status != "running" or self._restart or \
                        hold < self.p["frames_per_iteration"]:
                    continue
                hold = 0
                try:
                    out = self.step_once(t)
                except LayerNormUndefined:
                    status = "LayerNorm undefined (constant vector, ε = 0): set ε > 0"
                    continue
                alphas.append(out["alpha"])
                deltas.append(float(np.linalg.norm(out["t_next"] - t)))
                t = out["t_next"]
                traj.append(t)
                probs = out["probs"]
                status = self._status(traj, deltas)
            yield self._frame(step, traj, alphas, deltas, probs, status)

    def _status(self, traj: list[np.ndarray], deltas: list[float]) -> str:
        k = len(deltas)
        scale = max(1.0, float(np.linalg.norm(traj[-1])))
        if deltas[-1] <= 1e-10 * scale:
            return f"fixed point reached after {k} iteration{'s' * (k != 1)}"
        if k >= 4 and np.linalg.norm(traj[-1] - traj[-3]) <= 1e-8 * scale \
                and deltas[-1] > 1e-4 * scale:  # back where it was, two distinct points
            return "oscillates with period 2 (no fixed point)"
        if k >= self.p["K"]:
            return f"no convergence within K = {self.p['K']} iterations"
        return "running"

    def _frame(self, step, traj, alphas, deltas, probs, status) -> Frame:
        p = self.p
        H, n, K = p["H"], len(self.X), p["K"]
        attention = np.full((H, K, n), np.nan)
        for j, a in enumerate(alphas[:K]):
            attention[:, j] = a
        t = traj[-1]
        tok = (self.X - self.mean) @ self.P
        tr = (np.array(traj) - self.mean) @ self.P
        best = int(np.argmax(probs))
        letters = [chr(ord("a") + i) if i < 26 else f"w{i}" for i in range(p["v"])]
        return {
            "step": step,
            "t": float(step),
            "alpha": alphas[-1] if alphas else np.full((H, n), 1.0 / n),
            "attention": attention,
            "t_hat": t,
            "probs": probs,
            "iteration": len(deltas),
            "iteration_labels": np.array([f"k = {j}" for j in range(K)]),
            "token_labels": np.array([f"t{sub(i + 1)}" for i in range(n)]),
            "head_labels": np.array([f"head {h + 1}" for h in range(H)]),
            "vocabulary": np.array(letters),
            "tokens_x": tok[:, 0],
            "tokens_y": tok[:, 1],
            "traj_x": tr[:, 0],
            "traj_y": tr[:, 1],
            "delta_k": np.arange(len(deltas), dtype=float),
            "delta": np.maximum(np.array(deltas), 1e-17),
            "last_delta": deltas[-1] if deltas else math.nan,
            "ln_mean": float(t.mean()),
            "ln_var": float(t.var()),
            "most_likely_index": best,
            "most_likely": f"{letters[best]} (p = {probs[best]:.3f})",
            "status": status,
        }
