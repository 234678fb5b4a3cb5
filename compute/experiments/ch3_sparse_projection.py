"""§3.4.3, Exercise 3.4.1 (*): compress a trained network's first layer and measure what it
costs in accuracy and gains in speed."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .. import blas, digits
from ..compression import (
    METHODS,
    Compressor,
    SoftmaxMLP,
    accuracy,
    break_even_rank,
    eckart_young_error,
    flops,
)
from ..experiment import Experiment, Frame
from ..history import History
from ..optimizers import Adam, Hyper
from ..params import Choice, Float, Int, Seed
from ..registry import register
from ..sweep import done_columns, refinement_order
from ..views import Curves, Gallery, Readout, Series

CLASSES = 10
TEST_SHARE = 0.25
KS_PER_FRAME = 1  # budgets k evaluated per frame of the sweep
TIMING_REPEATS = 5  # best of this many forward passes
SHOWN = 6  # test digits in the gallery
LAYERS = ("first", "output")
K_MAX = digits.PIXELS  # budgets k = 1 … 64


def split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices: a seeded permutation, the last quarter for testing."""
    order = np.random.default_rng(seed).permutation(n)
    cut = n - round(TEST_SHARE * n)
    return np.sort(order[:cut]), np.sort(order[cut:])


def best_time(fn, X: np.ndarray) -> float:
    """Seconds per input of ``fn(X)``, the best of a few runs (the least disturbed one)."""
    best = np.inf
    for _ in range(TIMING_REPEATS):
        t0 = time.perf_counter()
        fn(X)
        best = min(best, time.perf_counter() - t0)
    return best / len(X)


@register
class SparseProjectionInference(Experiment):
    id = "ch3.sparse-projection-inference"
    title = "Sparse and low-rank projection for faster inference"
    section = "3.4.3"
    family = "network internals"
    summary = ("Train a 64–H–10 network on 8×8 digits, then shrink its first layer by truncated "
               "SVD, input PCA, gradient directions or pruning: accuracy and time against k.")
    explanation = (
        "A small network (64 inputs, H ReLU units, 10 classes) learns the 8×8 digits live, a "
        "few mini-batches of Adam per frame. Its first layer x ↦ W₁x + b₁ does most of the "
        "multiplications (64H per image), so that is what the exercise compresses, with a "
        "budget k: the truncated SVD W₁ ≈ UₖSₖVₖᵀ projects each input on the k right "
        "singular vectors Vₖ and maps k numbers to H (the best rank-k approximation, with "
        "squared error the sum of the dropped σᵢ²); PCA projects the centred input on its top "
        "k principal directions instead (directions of the data, not of the weights); "
        "pruning keeps the largest |w| of W₁, as many as the rank-k layers multiply, "
        "k(64 + H), in a sparse matrix; and the 'gradient' method projects on the top k "
        "eigenvectors Qₖ of the gradient covariance Σ∇W₁ᵀ∇W₁ accumulated during training "
        "(the input directions training moved the weights along). Once trained, the sweep "
        "over k fills in coarse to fine: test accuracy, the measured time per image, and "
        "the cost k(64 + H), which beats the dense 64H only below k = 64H/(64 + H). The "
        "gallery shows what the rank-k layer sees of a few test digits (VₖVₖᵀx for the SVD, "
        "the PCA reconstruction, QₖQₖᵀx), or the pruned filters. The output layer (H → 10) "
        "can be compressed the same way, with the hidden activations as its inputs."
    )
    equations = (
        r"$W_1 = U S V^T,\quad W_1 x \approx U_k S_k (V_k^T x),"
        r"\quad \|W_1 - W_{1,k}\|_F^2 = \sum_{i>k} \sigma_i^2$",
        r"$\mathrm{PCA:}\ W_1 x \approx (W_1 P_k)\,P_k^T(x-\mu) + W_1\mu,\quad"
        r" \mathrm{gradient:}\ W_1 Q_k Q_k^T x,\ G = \sum_t \nabla W_1^T \nabla W_1$",
        r"$\mathrm{cost:}\ k(d + H)\ \mathrm{vs}\ dH,\quad \mathrm{faster\ iff}\ k < dH/(d+H)$",
    )
    book_notes = (
        "The exercise asks for MNIST (784 pixels); the lab cannot download it and uses "
        "scikit-learn's bundled 8×8 digits (1797 images, 64 pixels) with a 64–H–10 network: "
        "the same questions, smaller numbers.",
        "The book leaves the compression open ('the most significant weight directions used "
        "during training'); the lab offers the truncated SVD of the first layer, the PCA of "
        "the inputs, the eigenvectors of the accumulated gradient covariance and magnitude "
        "pruning, all at the same multiply budget, of the first layer (64H of the 64H + 10H "
        "weights) or of the output layer.",
        "At this size a forward pass takes microseconds and the measured times are dominated "
        "by per-call overhead, so they follow the multiply count only roughly; the cost "
        "formula k(64 + H) is the trend a large layer shows.",
    )
    params = (
        Choice("method", "svd", METHODS, live=True,
               help="What the gallery and the read-out show: truncated SVD of W₁, PCA of the "
                    "inputs, the top directions of the gradient covariance accumulated in "
                    "training, or magnitude pruning of W₁."),
        Int("k", 8, 1, K_MAX, live=True, label="budget k",
            help="Rank k (SVD, PCA); pruning keeps k(64 + H) weights."),
        Choice("layer", "first", LAYERS,
               help="The layer compressed: the first (64 → H, most of the multiplications; "
                    "the inputs are the pixels) or the output layer (H → 10; its inputs are "
                    "the hidden activations, its rank at most 10)."),
        Int("hidden", 64, 8, 256, label="hidden units H", help="Width of the hidden layer."),
        Int("epochs", 30, 1, 300, label="epochs", help="Training epochs before the sweep."),
        Float("lr", 0.01, 1e-4, 0.5, live=True, log=True, label="learning rate",
              help="Adam's step size."),
        Int("batch", 64, 8, 512, label="batch size", help="Mini-batch size of Adam."),
        Seed(help="Seed of the train/test split, the initial weights and the batches."),
    )
    views = (
        Curves("accuracy", "Test accuracy against the budget k",
               series=(Series("acc", x="k_grid", names="method_names", style="line"),),
               vlines=("k_now", "k_break_even"), hlines=("dense_acc",),
               xlabel="k", ylabel="test accuracy"),
        Gallery("gallery", "What the compressed layer sees", images="gallery",
                labels="gallery_labels", columns=SHOWN),
        Curves("spectrum", "Spectra: the layer W, its centred inputs, the gradient covariance",
               series=(Series("sigma_w", x="rank_i", label="σᵢ(W)"),
                       Series("sigma_x", x="rank_i", label="σᵢ(inputs − μ)/√n (PCA)"),
                       Series("sigma_g", x="rank_i", label="√(λᵢ(G)/updates) (gradient)")),
               vlines=("k_now",), xlabel="i", ylabel="σᵢ", logy=True),
        Curves("timing", "Measured time per image of the compressed layer",
               series=(Series("time_us", x="k_grid", names="method_names"),),
               vlines=("k_break_even",), hlines=("dense_time_us",),
               xlabel="k", ylabel="µs per image"),
        Curves("training", "Training: loss and test accuracy",
               series=(Series("train_loss", x="epoch_hist", label="training loss"),
                       Series("test_acc_hist", x="epoch_hist", label="test accuracy")),
               xlabel="epoch", ylabel=""),
        Readout("readout", "Compression", area="bottom", lines=(
            ("phase", "run", "{}"),
            ("acc_text", "test accuracy: dense, at k", "{}"),
            ("cost_text", "multiply-adds per image at k (dense)", "{}"),
            ("error_text", "squared error of the compressed W, of ‖W‖²", "{}"),
        )),
    )
    frame_fields = {
        "k_grid": "(64,) budgets k = 1 … 64",
        "acc": "(4, 64) test accuracy per method and k (NaN: not computed yet)",
        "time_us": "(4, 64) measured µs per image of the compressed layer",
        "flops": "(4, 64) multiply-adds per image of the compressed layer",
        "method_names": "(4,) svd, pca, gradient, prune",
        "k_now": "the chosen k",
        "k_break_even": "dh/(d + h) for the layer's d inputs and h outputs",
        "dense_acc": "test accuracy of the uncompressed network",
        "dense_time_us": "measured µs per image of the dense layer",
        "gallery": f"({2 * SHOWN}, 8, 8) test digits and what the compressed layer sees",
        "gallery_labels": f"({2 * SHOWN},) captions",
        "rank_i": "(64,) 1 … 64",
        "sigma_w": "(64,) singular values of the layer (NaN beyond its rank)",
        "sigma_g": "(64,) √ of the eigenvalues of the gradient covariance per update (NaN: 0)",
        "sigma_x": "(64,) singular values of the layer's centred training inputs over √n (NaN: 0)",
        "epoch_hist": "(m,) epochs (fractions during an epoch)",
        "train_loss": "(m,) mean cross-entropy of the last mini-batches",
        "test_acc_hist": "(m,) test accuracy",
        "phase": "training, sweeping or done", "acc_text": "read-out",
        "cost_text": "read-out", "error_text": "read-out",
        "done": "(c,) indices of the budgets computed so far",
    }
    history_fields = ("epoch_hist", "train_loss", "test_acc_hist")

    @classmethod
    def hidden_views(cls, p: Mapping[str, Any]) -> frozenset[str]:
        """The gallery shows 8×8 inputs: meaningless for the output layer's hidden inputs."""
        return frozenset({"gallery"}) if p["layer"] == "output" else frozenset()
    nonfinite_fields = frozenset({"acc", "time_us", "sigma_w", "sigma_x", "sigma_g", "train_loss",
                                  "test_acc_hist",
                                  "dense_acc", "dense_time_us"})
    default_steps_per_frame = 8
    max_steps_per_frame = 500

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        super().__init__(params, device=device)
        import scipy.sparse  # noqa: F401  (the pruned layer's kernel; ~1 s: now, not mid-run)

        p = self.p
        images, labels = digits.load()
        X = images.reshape(len(images), -1)
        tr, te = split(len(labels), p["seed"])
        self.X, self.y = X[tr], labels[tr]
        self.X_test, self.y_test = X[te], labels[te]
        self.rng = np.random.default_rng(p["seed"] + 1)
        self.net = SoftmaxMLP(digits.PIXELS, p["hidden"], CLASSES)
        self.opt = Adam(self.net.init(self.rng))
        self.batches_per_epoch = int(np.ceil(len(self.y) / p["batch"]))
        # the compressed layer's input and output sizes
        self.d_in, self.d_out = ((digits.PIXELS, p["hidden"]) if p["layer"] == "first"
                                 else (p["hidden"], CLASSES))
        self.grad_cov = np.zeros((self.d_in, self.d_in))
        self.order = self.rng.permutation(len(self.y))
        self.batch_i = 0
        self.updates = 0
        self.hist = History(shape=(2,), capacity=2048)
        self.losses: list[float] = []
        self.k_grid = np.arange(1, K_MAX + 1)
        self.acc = np.full((len(METHODS), K_MAX), np.nan)
        self.time_us = np.full((len(METHODS), K_MAX), np.nan)
        self.flops = np.array([[flops(m, int(k), self.d_in, self.d_out) for k in self.k_grid]
                               for m in METHODS], dtype=float)
        self.sweep_order = refinement_order(K_MAX)
        self.swept = 0
        self.compressor: Compressor | None = None
        self.dense_acc = float("nan")
        self.dense_time = float("nan")
        self.step = 0

    # -- training ------------------------------------------------------------------------
    @property
    def epoch(self) -> float:
        return self.updates / self.batches_per_epoch

    def train(self, n: int) -> None:
        """``n`` mini-batch updates of Adam (stops at the last epoch)."""
        p, net = self.p, self.net
        hp = Hyper(lr=p["lr"])
        total = p["epochs"] * self.batches_per_epoch
        while n > 0 and self.updates < total:
            b = p["batch"]
            idx = self.order[self.batch_i * b:(self.batch_i + 1) * b]
            Xb, yb = self.X[idx], self.y[idx]
            loss = [0.0]

            def grad(theta: np.ndarray, Xb=Xb, yb=yb, loss=loss) -> np.ndarray:
                loss[0], g = net.loss_grad(theta, Xb, yb)
                dW1, _, dW2, _ = net.unpack(g)
                dW = dW1 if self.p["layer"] == "first" else dW2
                self.grad_cov += dW.T @ dW  # the input directions training moves W along
                return g

            self.opt.step(grad, hp)
            self.losses.append(loss[0])
            self.updates += 1
            n -= 1
            self.batch_i += 1
            if self.batch_i == self.batches_per_epoch:
                self.batch_i = 0
                self.order = self.rng.permutation(len(self.y))
            if self.batch_i == 0 or self.updates == total or len(self.losses) >= 8:
                test = accuracy(net.logits(self.opt.theta, self.X_test), self.y_test)
                self.hist.append(self.epoch, (float(np.mean(self.losses)), test))
                self.losses = []
        if self.updates >= total and self.compressor is None:
            with blas.single_threaded():
                self._start_sweep()

    # -- the sweep -----------------------------------------------------------------------
    def _start_sweep(self) -> None:
        """Freeze the trained network and prepare the compressions of the chosen layer."""
        self.theta = theta = self.opt.theta.copy()
        W1, b1, W2, b2 = self.net.unpack(theta)
        if self.p["layer"] == "first":
            W, b, inputs, self.inputs_test = W1, b1, self.X, self.X_test
        else:
            def hidden(X: np.ndarray) -> np.ndarray:
                return np.maximum(X @ W1.T + b1, 0.0)

            W, b, inputs, self.inputs_test = W2, b2, hidden(self.X), hidden(self.X_test)
        self.compressor = Compressor(W, b, inputs, self.grad_cov)
        self.dense_acc = accuracy(self.net.logits(theta, self.X_test), self.y_test)
        self.dense_time = best_time(lambda X: X @ W.T + b, self.inputs_test)

    def logits(self, out: np.ndarray) -> np.ndarray:
        """The network's logits from the compressed layer's output on the test inputs."""
        return self.net.head(self.theta, out) if self.p["layer"] == "first" else out

    def sweep(self, count: int) -> None:
        """Evaluate the next ``count`` budgets k (coarse to fine) for every method."""
        comp = self.compressor
        for j in self.sweep_order[self.swept:self.swept + count]:
            k = int(self.k_grid[j])
            for i, m in enumerate(METHODS):
                layer = comp.layer(m, k)
                self.acc[i, j] = accuracy(self.logits(layer(self.inputs_test)), self.y_test)
                self.time_us[i, j] = 1e6 * best_time(layer, self.inputs_test)
        self.swept = min(self.swept + count, len(self.sweep_order))

    # -- frames --------------------------------------------------------------------------
    def frames(self) -> Iterator[Frame]:
        yield self._frame()
        while True:
            if self.compressor is None:
                self.train(self.steps_per_frame)
            elif self.swept < len(self.sweep_order):
                with blas.single_threaded():  # timings undisturbed by BLAS threads
                    self.sweep(KS_PER_FRAME)
            self.step += 1
            yield self._frame()

    def _gallery(self) -> tuple[np.ndarray, list[str]]:
        p, X = self.p, self.X_test[:SHOWN]
        k, method = p["k"], p["method"]
        if self.compressor is None or p["layer"] == "output":  # (the view is hidden then)
            return (np.concatenate([X, np.zeros_like(X)]).reshape(-1, 8, 8),
                    [f"digit {d}" for d in self.y_test[:SHOWN]] + ["(after training)"] * SHOWN)
        comp = self.compressor
        if method == "prune":
            W = comp.layer("prune", k).sparse.toarray()
            rows = np.concatenate([comp.W1[:SHOWN], W[:SHOWN]])
            labels = ([f"W₁ row {i + 1}" for i in range(SHOWN)]
                      + [f"{int(np.count_nonzero(w))} kept" for w in W[:SHOWN]])
            return rows.reshape(-1, 8, 8), labels
        R = comp.reconstruct(method, k, X)
        what = {"svd": "VₖVₖᵀx", "pca": "PCA", "gradient": "QₖQₖᵀx"}[method]
        labels = [f"digit {d}" for d in self.y_test[:SHOWN]] + [f"{what}, {k}"] * SHOWN
        return np.concatenate([X, R]).reshape(-1, 8, 8), labels

    def _frame(self) -> Frame:
        p = self.p
        d, h, k = self.d_in, self.d_out, p["k"]
        j = k - 1
        mi = METHODS.index(p["method"])
        vals = self.hist.values
        gallery, labels = self._gallery()
        sigma_w, sigma_x, sigma_g = (np.full(K_MAX, np.nan) for _ in range(3))
        if self.compressor is None:
            phase = f"training: epoch {self.epoch:.1f} of {p['epochs']}"
            error_text = "—"
        else:
            comp = self.compressor
            sx = np.sqrt(comp.variances)  # pixels that are always blank give σ = 0 (round-off)
            sg = np.sqrt(np.maximum(comp.grad_eigenvalues, 0.0) / max(self.updates, 1))
            for out, values in ((sigma_w, comp.s), (sigma_x, sx), (sigma_g, sg)):
                n = min(K_MAX, len(values))
                out[:n] = np.where(values[:n] > 1e-9 * values[0], values[:n], np.nan)
            phase = ("done" if self.swept >= K_MAX else
                     f"sweeping k: {self.swept} of {K_MAX} budgets")
            err = float(np.sum((comp.W1 - comp.layer(p["method"], k).matrix) ** 2))
            error_text = f"{err:.4g} of {float(np.sum(comp.W1 ** 2)):.4g}"
            if p["method"] == "svd":
                error_text += f" (Eckart–Young Σσᵢ², i > k: {eckart_young_error(comp.s, k):.4g})"
        acc_k = self.acc[mi, j]
        acc_text = (f"{self.dense_acc:.4f}, {p['method']} k = {k}: "
                    + (f"{acc_k:.4f}" if np.isfinite(acc_k) else "not yet"))
        cost = int(self.flops[mi, j])
        cost_text = f"{cost} ({d * h}; ×{d * h / cost:.2g} fewer)"
        return {
            "step": self.step, "t": float(self.epoch),
            "k_grid": self.k_grid.astype(float), "acc": self.acc.copy(),
            "time_us": self.time_us.copy(), "flops": self.flops,
            "method_names": np.array(METHODS),
            "k_now": float(k), "k_break_even": break_even_rank(d, h),
            "dense_acc": self.dense_acc,
            "dense_time_us": 1e6 * self.dense_time,
            "gallery": gallery, "gallery_labels": np.array(labels),
            "rank_i": self.k_grid.astype(float), "sigma_w": sigma_w, "sigma_x": sigma_x,
            "sigma_g": sigma_g,
            "epoch_hist": self.hist.x, "train_loss": vals[:, 0], "test_acc_hist": vals[:, 1],
            "phase": phase, "acc_text": acc_text, "cost_text": cost_text,
            "error_text": error_text,
            "done": done_columns(self.acc),
        }
