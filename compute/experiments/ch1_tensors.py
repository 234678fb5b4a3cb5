"""§1.1.3–1.1.4: convolution as a structured linear map (Examples 1.1.1–1.1.2), a video as a
4D tensor with weighted averages of frames and embeddings (Exercise 1.1.2), and tensor
products, contractions and Einstein summation (Examples 1.1.4–1.1.7, Exercise 1.1.3)."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .. import backend, digits
from ..convolution import (
    MODES,
    correlate2d_valid,
    correlation_matrix,
    unrolled_matrix,
)
from ..experiment import Experiment, Frame
from ..params import Bool, Choice, Float, Int, Matrix, ParamError, Seed, as_array
from ..registry import register
from ..views import Bars, Curves, Gallery, Heatmap, Matrices, Readout, Series

# -- §1.1.3: convolution ----------------------------------------------------------------------
BOOK_IMAGE = [[1, 2, 3, 0], [4, 5, 6, 1], [7, 8, 9, 0], [1, 0, 2, 3]]
BOOK_KERNEL = [[1, 0], [0, -1]]
SIGNALS = ("step", "spike", "sine-noise")
KERNELS_1D = ("box", "difference", "gaussian", "custom")
IMAGES = ("book-4x4", "digit", "shapes")
KERNELS_2D = ("book", "sobel-x", "blur", "custom")


def signal(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n)
    if name == "step":
        return (t >= n // 2).astype(float)
    if name == "spike":
        out = np.zeros(n)
        out[n // 2] = 1.0
        return out
    return np.sin(2 * math.pi * t / max(n / 3, 2)) + 0.3 * rng.normal(size=n)


def kernel_1d(name: str, m: int, custom: np.ndarray) -> np.ndarray:
    if name == "box":
        return np.full(m, 1.0 / m)
    if name == "difference":
        return np.array([1.0, -1.0])
    if name == "gaussian":
        t = np.arange(m) - (m - 1) / 2
        g = np.exp(-0.5 * (t / max(m / 4, 0.5)) ** 2)
        return g / g.sum()
    return np.asarray(custom, dtype=float).ravel()


def image_2d(name: str) -> np.ndarray:
    if name == "book-4x4":
        return np.array(BOOK_IMAGE, dtype=float)
    if name == "digit":
        return digits.load()[0][5] * 16.0  # an 8×8 "5" (integers 0 … 16)
    img = np.zeros((10, 10))
    img[2:5, 2:8] = 1.0  # a bar
    img[5:9, 4:6] = 1.0  # and a stem: a "T"
    return img


def kernel_2d(name: str, custom: np.ndarray) -> np.ndarray:
    if name == "book":
        return np.array(BOOK_KERNEL, dtype=float)
    if name == "sobel-x":
        return np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    if name == "blur":
        return np.full((3, 3), 1.0 / 9.0)
    return np.asarray(custom, dtype=float)


@register
class ConvolutionAsMatrix(Experiment):
    id = "ch1.convolution-as-matrix"
    title = "Convolution as a structured linear map (Examples 1.1.1–1.1.2)"
    section = "1.1.3"
    family = "image & tensor"
    summary = ("A sliding window: y = A(k)x with a banded, weight-shared matrix; the 4×4 "
               "example cell by cell.")
    explanation = (
        "A convolution layer is a linear map with structure. In 1D the book's formula "
        "y_i = Σ_j k_j xᵢ₊ⱼ₋₁ (a cross-correlation, as in CNNs) is y = A(k)x with a banded "
        "matrix whose rows are the kernel shifted along: only m numbers, repeated (weight "
        "sharing), fill m(n − m + 1) entries. The heat map shows A(k) for the chosen mode "
        "(valid, same or full) with the current row marked, while the window slides along "
        "the signal. In 2D the window slides over Example 1.1.2's 4×4 image (or a digit, or "
        "a shape) and the output fills in cell by cell; the same map is a rank-4 tensor "
        "A_(i,j,i',j'), or a ((n−m+1)² × n²) matrix when unrolled. Flip turns correlation "
        "into convolution (the kernel reversed)."
    )
    equations = (
        r"$y_i = \sum_{j=1}^{m} k_j\,x_{i+j-1},\quad i = 1 \ldots n-m+1,\quad y = A(k)\,x$",
        r"$y_{i,j} = \sum_{h,w=1}^{m} k_{h,w}\,x_{i+h-1,\,j+w-1} ="
        r" \sum_{i',j'} A_{i,j,i',j'}\,x_{i',j'}$",
        r"$(f * g)(t) = \int f(\tau)\,g(t - \tau)\,d\tau\quad"
        r"\mathrm{(convolution:\ the\ kernel\ flipped)}$",
    )
    book_notes = (
        "The displayed A(k) in §1.1.3, with k₁ … k_m running down each column, is the layout "
        "of a \"full\" convolution of size (n + m − 1) × n, not of the book's own \"valid\" "
        "formula y_i = Σ_j k_j xᵢ₊ⱼ₋₁, whose (n − m + 1) × n matrix has rows (k₁ … k_m) "
        "shifted right. The lab draws the matrix of the mode selected.",
        "The index formulas are cross-correlations (no kernel flip), while the integral "
        "definition (f * g)(t) = ∫f(τ)g(t − τ)dτ flips the kernel; 'flip' switches between them.",
        "The 2D 'digit' is an 8×8 digit of scikit-learn's set (MNIST's 28×28 digits cannot be "
        "downloaded at run time).",
    )
    params = (
        Choice("signal", "step", SIGNALS, live=True),
        Int("n", 32, 8, 256, label="signal length n"),
        Choice("kernel", "box", KERNELS_1D, live=True,
               help="box (mean of m), difference [1, −1], Gaussian, or the custom kernel."),
        Int("m", 3, 1, 15, live=True, label="kernel length m"),
        Matrix("custom_kernel", [[1, 2, 1]], -5.0, 5.0, max_shape=(1, 15), live=True,
               label="custom 1D kernel"),
        Choice("mode", "valid", MODES, live=True),
        Bool("flip", False, live=True, label="flip (convolution)",
             help="Off: the book's correlation; on: the kernel reversed (numpy.convolve)."),
        Choice("image", "book-4x4", IMAGES, live=True, label="2D image"),
        Choice("kernel_2d", "book", KERNELS_2D, live=True, label="2D kernel",
               help="book [[1, 0], [0, −1]], Sobel (x), 3×3 blur, or the custom kernel."),
        Matrix("custom_kernel_2d", BOOK_KERNEL, -5.0, 5.0, max_shape=(5, 5), live=True,
               label="custom 2D kernel"),
        Int("frames_per_position", 6, 1, 60, live=True, label="frames per position",
            help="How long the window rests on each position while playing."),
        Seed(),
    )
    views = (
        Matrices("image2d", "2D: the window over x, the kernel k, the output y", area="left",
                 matrices=("x2d", "k2d", "y2d"), titles_field="titles2d", boxes="boxes2d",
                 value_format="{:.3g}"),
        Curves("signal1d", "1D: signal, window and output", series=(
            Series("x1d", x="x1d_pos", label="x"),
            Series("window", x="x1d_pos", label="window", style="dots"),
            Series("y1d", x="y1d_pos", label="y = A(k)x", style="dots"),),
            xlabel="position", ylabel="value"),
        Heatmap("matrix1d", "1D: the matrix A(k) (current row marked)", field="A_image",
                extent="A_extent", points="A_row", xlabel="column (x index)",
                ylabel="row (y index)"),
        Readout("numbers", "Sizes and checks", area="bottom", lines=(
            ("mode_text", "mode", "{}"),
            ("out_len", "output length", "{:d}"),
            ("nnz", "nonzeros of A(k)", "{:d}"),
            ("nnz_formula", "m(n − m + 1)", "{:d}"),
            ("lib_gap_1d", "max |A(k)x − numpy|", "{:.2g}"),
            ("lib_gap_2d", "max |y − sliding-window einsum|", "{:.2g}"),
        )),
    )
    frame_fields = {
        "x2d": "(n, n) the image", "k2d": "(m, m) the kernel",
        "y2d": "(n−m+1, n−m+1) the output so far (NaN: not computed yet)",
        "titles2d": "(3,) titles", "boxes2d": "(3, 5) the window, the kernel, the output cell",
        "x1d_pos": "(n,) positions", "x1d": "(n,) the signal",
        "window": "(n,) the signal under the window (NaN elsewhere)",
        "y1d_pos": "(len y,) positions of the outputs (window centres)",
        "y1d": "(len y,) the output so far (NaN: not reached)",
        "A_matrix": "(len y, n) A(k) for the mode", "A_image": "A(k) upside down for the heat map",
        "A_extent": "(4,) its extent", "A_row": "(m', 2) the nonzeros of the current row",
        "unrolled": "((n2−m2+1)², n2²) the 2D map as a matrix",
        "mode_text": "mode and flip", "out_len": "output length", "nnz": "nonzeros of A(k)",
        "nnz_formula": "m(n − m + 1)", "lib_gap_1d": "max |A(k)x − numpy.correlate/convolve|",
        "lib_gap_2d": "max |y − Σ k ⊙ window| by numpy's sliding windows",
        "cell": "index of the 2D output cell being computed", "row1d": "current 1D output row",
    }
    nonfinite_fields = frozenset({"y2d", "window", "y1d"})
    default_steps_per_frame = 1
    max_steps_per_frame = 50

    @classmethod
    def kernel(cls, p: Mapping[str, Any]) -> np.ndarray:
        return kernel_1d(p["kernel"], p["m"], as_array(p["custom_kernel"]))

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        if len(cls.kernel(p)) > p["n"]:
            name = "m" if p["kernel"] in ("box", "gaussian") else "custom_kernel"
            raise ParamError(name, f"the kernel is longer than the signal (n = {p['n']})")
        x = image_2d(p["image"])
        k = kernel_2d(p["kernel_2d"], as_array(p["custom_kernel_2d"]))
        if k.shape[0] > x.shape[0] or k.shape[1] > x.shape[1]:
            name = "custom_kernel_2d" if p["kernel_2d"] == "custom" else "kernel_2d"
            raise ParamError(name, f"a {k.shape[0]}×{k.shape[1]} kernel does not fit the "
                                   f"{x.shape[0]}×{x.shape[1]} image")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self.x_base = {name: signal(name, self.p["n"], backend.rng(self.p["seed"], 1))
                       for name in SIGNALS}
        self._dirty = True

    def on_live_change(self, names: set[str]) -> None:
        self._dirty = True  # rebuilt in the worker at the next frame

    def rebuild(self) -> None:
        self._dirty = False
        p = self.p
        self.x1 = self.x_base[p["signal"]]
        self.k1 = self.kernel(p)
        self.A = correlation_matrix(self.k1, p["n"], p["mode"], p["flip"])
        self.y1 = self.A @ self.x1
        self.x2 = image_2d(p["image"])
        self.k2 = kernel_2d(p["kernel_2d"], as_array(p["custom_kernel_2d"]))
        self.y2 = correlate2d_valid(self.x2, self.k2)
        self.unrolled = unrolled_matrix(self.k2, self.x2.shape)
        lib = np.convolve if p["flip"] else np.correlate
        self.gap1 = float(np.abs(self.y1 - lib(self.x1, self.k1, p["mode"])).max())
        # an independent 2D check without importing scipy.signal (seconds on a busy machine;
        # the tests compare with scipy.signal.correlate2d itself)
        windows = np.lib.stride_tricks.sliding_window_view(self.x2, self.k2.shape)
        self.gap2 = float(np.abs(self.y2 - np.einsum("ijhw,hw->ij", windows, self.k2)).max())

    def frames(self) -> Iterator[Frame]:
        step = 0
        while True:
            if self._dirty:
                self.rebuild()
            yield self._frame(step)
            step += self.steps_per_frame

    def _frame(self, step: int) -> Frame:
        p = self.p
        n, m = p["n"], len(self.k1)
        rows = len(self.y1)
        position = step // p["frames_per_position"]
        r = position % rows  # the 1D output row being computed
        cells = self.y2.size
        cell = position % (cells + 3)  # a short pause with the output complete
        oh, ow = self.y2.shape
        mh, mw = self.k2.shape
        y2 = np.full(self.y2.shape, np.nan)
        done = min(cell + 1, cells)
        y2.ravel()[:done] = self.y2.ravel()[:done]
        ci, cj = divmod(min(cell, cells - 1), ow)
        boxes = np.array([[0, ci, cj, mh, mw], [1, 0, 0, mh, mw], [2, ci, cj, 1, 1]], float)
        nonzero = np.flatnonzero(self.A[r])
        # positions: the output i sits at the centre of its window
        offset = {"valid": 0, "same": -((m - 1) // 2), "full": -(m - 1)}[p["mode"]]
        y_pos = np.arange(rows) + offset + (m - 1) / 2
        y1 = np.full(rows, np.nan)
        y1[: r + 1] = self.y1[: r + 1]
        window = np.full(n, np.nan)
        window[nonzero] = self.x1[nonzero]
        A_img = self.A[::-1]
        nnz = int(np.count_nonzero(self.A))
        return {
            "step": step,
            "t": float(step),
            "x2d": self.x2, "k2d": self.k2, "y2d": y2,
            "titles2d": np.array(["x", "k", f"y: cell ({ci + 1}, {cj + 1}) of {oh}×{ow}"]),
            "boxes2d": boxes,
            "x1d_pos": np.arange(n, dtype=float), "x1d": self.x1, "window": window,
            "y1d_pos": y_pos, "y1d": y1,
            "A_matrix": self.A, "A_image": A_img,
            "A_extent": np.array([0.0, float(n), 0.0, float(rows)]),
            "A_row": np.stack([nonzero + 0.5, np.full(len(nonzero), rows - r - 0.5)], axis=1),
            "unrolled": self.unrolled,
            "mode_text": f"{p['mode']}, {'convolution (flipped)' if p['flip'] else 'correlation'}",
            "out_len": rows,
            "nnz": nnz,
            "nnz_formula": m * (n - m + 1),
            "lib_gap_1d": self.gap1,
            "lib_gap_2d": self.gap2,
            "cell": cell,
            "row1d": r,
        }


# -- Exercise 1.1.2: videos and embeddings ------------------------------------------------------
FPS = 30
VIDEO_FRAMES = 300
VIDEO_SIDE = 64
INTENSITIES = ("grayscale", "average", "green")


def video_frame(t: int, static: bool = False) -> np.ndarray:
    """Frame t (H, W, 3) in [0, 1] of the synthetic clip: a coloured blob circling on a dim
    background whose colour drifts from red through green to blue."""
    if static:
        t = 0
    s = VIDEO_SIDE
    yy, xx = np.mgrid[0:s, 0:s] / (s - 1)
    phase = 2 * math.pi * t / VIDEO_FRAMES
    cx, cy = 0.5 + 0.3 * math.cos(phase), 0.5 + 0.3 * math.sin(phase)
    blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 0.08**2))
    u = t / (VIDEO_FRAMES - 1)
    colour = np.array([max(0.0, 1 - 2 * u), 1 - abs(2 * u - 1), max(0.0, 2 * u - 1)])
    return np.clip(0.1 + 0.85 * blob[..., None] * colour, 0.0, 1.0)


def intensity(frame: np.ndarray, how: str) -> np.ndarray:
    """Per-pixel intensity: 0.2989R + 0.5870G + 0.1140B, (R + G + B)/3, or G."""
    if how == "grayscale":
        return frame @ np.array([0.2989, 0.5870, 0.1140])
    if how == "average":
        return frame.mean(axis=-1)
    return frame[..., 1]


def window_frames(t1: float, t2: float, fps: int = FPS, total: int = VIDEO_FRAMES) -> np.ndarray:
    """F = {t : fps·t1 ≤ t ≤ fps·t2}, within the clip."""
    t = np.arange(total)
    return t[(t >= fps * t1) & (t <= fps * t2)]


def position_weights(L: int, beta: float) -> np.ndarray:
    """w_i ∝ exp(β i), i = 1 … L, on the simplex: β > 0 favours the last words."""
    z = beta * np.arange(1, L + 1)
    w = np.exp(z - z.max())
    return w / w.sum()


@register
class VideoEmbeddingTensors(Experiment):
    id = "ch1.video-embedding-tensors"
    title = "A video as a 4D tensor; weighted averages of frames and embeddings (Exercise 1.1.2)"
    section = "1.1.4"
    family = "image & tensor"
    summary = ("T ∈ R^(H×W×3×T): window means of intensity; e_avg = Σ w_i T_(:,i) with "
               "simplex weights.")
    explanation = (
        "A clip is a tensor T_(i,j,c,t): pixel, colour channel, frame. The synthetic clip "
        "plays at 30 frames per second; the curve shows each frame's mean intensity "
        "(grayscale 0.2989R + 0.5870G + 0.1140B, the plain average (R + G + B)/3, or the "
        "green channel alone) and the mean over the frames in the window [t₁, t₂], "
        "(1/(HW|F|)) Σ_(t∈F) Σ_(i,j) Iᵢⱼₜ. A sentence is a matrix of word embeddings "
        "T ∈ R^(D×L); a weighted average e_avg = Σ_i w_i T_(:,i) with w on the simplex lies in "
        "the convex hull of the columns. Weights w_i ∝ exp(βi) emphasise the last words "
        "(β > 0), the first (β < 0) or none (β = 0); per-dimension weights w_(d,i) give each "
        "coordinate its own emphasis. A pre-attention picture of hand-crafted weights."
    )
    equations = (
        r"$\bar I_{[t_1,t_2]} = \frac{1}{HW|F|}\sum_{t \in F}\sum_{i,j} I_{ijt},\quad"
        r" F = \{t : 30t_1 \leq t \leq 30t_2\}$",
        r"$I = 0.2989R + 0.5870G + 0.1140B\quad \mathrm{or}\quad (R+G+B)/3$",
        r"$e_{avg} = \sum_{i=1}^{L} w_i\,\mathcal{T}_{:,i},\quad w_i \geq 0,\quad"
        r" \sum_i w_i = 1,\quad w_i \propto e^{\beta i}$",
    )
    book_notes = (
        "The exercise asks for formulas only (\"no code is needed\"); the lab evaluates them "
        "on a synthetic 64×64 clip of 300 frames at 30 fps (a 1920×1080 clip would be 1.9 GB "
        "as floats) and on random embeddings.",
    )
    params = (
        Float("beta", 0.0, -3.0, 3.0, live=True, label="position emphasis β",
              help="w_i ∝ exp(βi): β > 0 emphasises the last words, β < 0 the first."),
        Float("t1", 2.0, 0.0, 10.0, live=True, unit="s", label="window start t₁"),
        Float("t2", 6.0, 0.0, 10.0, live=True, unit="s", label="window end t₂"),
        Choice("weights", "grayscale", INTENSITIES, live=True, label="intensity",
               help="The intensity whose window mean is reported."),
        Bool("static", False, label="identical frames",
             help="Every frame equal to the first (a check: the window mean is the frame mean)."),
        Int("D", 16, 2, 64, label="embedding dimension D"),
        Int("L", 10, 2, 50, label="sentence length L"),
        Bool("per_dimension", False, live=True, label="per-dimension weights",
             help="w_(d,i) ∝ exp(β_d i) with β_d = β cos(πd/D): each coordinate its own."),
        Seed(),
    )
    views = (
        Gallery("frame", "The clip (frame t)", area="left", images="frame_image",
                labels="frame_label", columns=1, levels=(0.0, 1.0)),
        Curves("intensity", "Mean intensity per frame, and the window mean", series=(
            Series("curves", x="times", names="curve_names"),),
            vlines=("t1_line", "t2_line", "now"), hlines=("window_mean",),
            xlabel="time (s)", ylabel="mean intensity"),
        Bars("weights", "Position weights w_i (simplex)", values="w", labels="positions",
             ylabel="w_i"),
        Heatmap("embeddings", "Embeddings T (D × L), then e_avg", field="embedding_image",
                extent="embedding_extent", colormap="CET-D1", xlabel="word i (last column: "
                "e_avg)", ylabel="dimension d"),
        Readout("numbers", "Window and embedding averages", area="bottom", lines=(
            ("window_mean", "window mean (chosen intensity)", "{:.4f}"),
            ("window_gray", "window mean, grayscale", "{:.4f}"),
            ("window_average", "window mean, (R+G+B)/3", "{:.4f}"),
            ("window_green", "window mean, green only", "{:.4f}"),
            ("window_count", "frames in the window |F|", "{:d}"),
            ("in_hull", "e_avg inside the columns' range", "{}"),
        )),
    )
    frame_fields = {
        "frame_image": "(1, 64, 64, 3) the current frame", "frame_label": "(1,) its time",
        "times": "(300,) frame times (s)", "curves": "(3, 300) mean grayscale, average, green",
        "curve_names": "(3,) labels", "t1_line": "t₁", "t2_line": "t₂", "now": "current time",
        "window_mean": "mean of the chosen intensity over the window",
        "window_gray": "grayscale window mean", "window_average": "(R+G+B)/3 window mean",
        "window_green": "green window mean", "window_count": "|F|",
        "w": "(L,) the position weights", "positions": "(L,) word labels",
        "weights_2d": "(D, L) the weights w_(d,i) in use",
        "embeddings": "(D, L) the embedding matrix T", "e_avg": "(D,) the weighted average",
        "embedding_image": "(D, L+2) T, a gap, and e_avg, for the heat map",
        "embedding_extent": "(4,) its extent", "in_hull": "yes/no: min ≤ e_avg ≤ max per row",
        "frame_index": "the frame shown",
    }
    nonfinite_fields = frozenset({"embedding_image"})
    default_steps_per_frame = 1
    max_steps_per_frame = 30

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        if p["t2"] < p["t1"]:
            raise ParamError("t2", f"the window ends (t₂ = {p['t2']:g} s) before it starts "
                                   f"(t₁ = {p['t1']:g} s)")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.p
        self.T_emb = backend.rng(p["seed"], 1).normal(size=(p["D"], p["L"]))
        self.curves: np.ndarray | None = None

    def weights_2d(self) -> np.ndarray:
        p = self.p
        D, L = self.T_emb.shape
        if not p["per_dimension"]:
            return np.tile(position_weights(L, p["beta"]), (D, 1))
        betas = p["beta"] * np.cos(math.pi * np.arange(D) / D)
        return np.stack([position_weights(L, b) for b in betas])

    def frames(self) -> Iterator[Frame]:
        static = self.p["static"]
        means = np.zeros((3, VIDEO_FRAMES))
        for t in range(VIDEO_FRAMES):  # the clip's per-frame means, once per run
            f = video_frame(t, static)
            means[:, t] = [intensity(f, how).mean() for how in INTENSITIES]
        self.curves = means
        step = 0
        while True:
            yield self._frame(step)
            step += self.steps_per_frame

    def _frame(self, step: int) -> Frame:
        p = self.p
        t = step % VIDEO_FRAMES
        F = window_frames(p["t1"], p["t2"])
        window = {how: float(self.curves[i, F].mean()) if len(F) else math.nan
                  for i, how in enumerate(INTENSITIES)}
        W = self.weights_2d()
        e = np.sum(W * self.T_emb, axis=1)
        D, L = self.T_emb.shape
        inside = bool(np.all(e >= self.T_emb.min(axis=1) - 1e-12)
                      and np.all(e <= self.T_emb.max(axis=1) + 1e-12))
        image = np.full((D, L + 2), np.nan)
        image[:, :L] = self.T_emb
        image[:, L + 1] = e
        return {
            "step": step,
            "t": float(step),
            "frame_image": video_frame(t, p["static"])[None],
            "frame_label": np.array([f"t = {t / FPS:.2f} s (frame {t})"]),
            "times": np.arange(VIDEO_FRAMES) / FPS,
            "curves": self.curves,
            "curve_names": np.array(["grayscale", "(R+G+B)/3", "green"]),
            "t1_line": p["t1"], "t2_line": p["t2"], "now": t / FPS,
            "window_mean": window[p["weights"]],
            "window_gray": window["grayscale"],
            "window_average": window["average"],
            "window_green": window["green"],
            "window_count": len(F),
            "w": W[0],
            "positions": np.array([str(i) for i in range(1, L + 1)]),
            "weights_2d": W,
            "embeddings": self.T_emb,
            "e_avg": e,
            "embedding_image": image[::-1],  # row 0 (d = 1) at the top
            "embedding_extent": np.array([0.0, L + 2.0, 0.0, float(D)]),
            "in_hull": "yes" if inside else "NO",
            "frame_index": t,
        }


# -- Examples 1.1.4–1.1.7, Exercise 1.1.3: Einstein summation ----------------------------------
EXPRESSIONS = ("i,j->ij", "ij,kl->ijkl", "ik,kj->ij", "ijk,klm->ijlm", "ij,j->i", "ij,ij->",
               "ij,jkl->ikl")
EXPRESSION_NOTES = {
    "i,j->ij": "Example 1.1.4: u ⊗ v",
    "ij,kl->ijkl": "Example 1.1.5: A ⊗ B (rank 4)",
    "ik,kj->ij": "Example 1.1.6: the matrix product",
    "ijk,klm->ijlm": "Example 1.1.7: contraction over k",
    "ij,j->i": "Exercise 1.1.3: y = Ax",
    "ij,ij->": "Exercise 1.1.3: ‖A‖²_F",
    "ij,jkl->ikl": "Exercise 1.1.3: C_ikl = A_ij B_jkl",
}
BOOK_OPERANDS = {
    "i": [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
    "A": np.array([[1.0, 2.0], [3.0, 4.0]]),
    "B": np.array([[5.0, 6.0], [7.0, 8.0]]),
}
LAYOUTS = ("C-contiguous", "transposed view", "strided slice")
BENCH_OPS = ("off", "row-sum", "column-sum", "matmul")


def parse(expression: str) -> tuple[list[str], str]:
    inputs, output = expression.split("->")
    return inputs.split(","), output


def operands(expression: str, kind: str, dim: int, rng: np.random.Generator) -> list[np.ndarray]:
    """The operands: the book's numbers where the example has them, else small integers."""
    ins, _ = parse(expression)
    if kind == "book" and expression == "i,j->ij":
        return [v.copy() for v in BOOK_OPERANDS["i"]]
    if kind == "book" and expression in ("ij,kl->ijkl", "ik,kj->ij"):
        return [BOOK_OPERANDS["A"].copy(), BOOK_OPERANDS["B"].copy()]
    d = 2 if kind == "book" else dim
    return [rng.integers(-3, 4, size=(d,) * len(s)).astype(float) for s in ins]


def einsum_by_loops(expression: str, ops: list[np.ndarray]) -> np.ndarray:
    """The Einstein sum written out: for each output index, sum over the repeated ones."""
    ins, out = parse(expression)
    sizes: dict[str, int] = {}
    for spec, op in zip(ins, ops, strict=True):
        for letter, size in zip(spec, op.shape, strict=True):
            sizes[letter] = size
    summed = [c for c in dict.fromkeys("".join(ins)) if c not in out]
    result = np.zeros(tuple(sizes[c] for c in out))
    for out_idx in itertools.product(*(range(sizes[c]) for c in out)):
        total = 0.0
        for sum_idx in itertools.product(*(range(sizes[c]) for c in summed)):
            where = dict(zip(out, out_idx, strict=True)) | dict(zip(summed, sum_idx, strict=True))
            term = 1.0
            for spec, op in zip(ins, ops, strict=True):
                term *= op[tuple(where[c] for c in spec)]
            total += term
        result[out_idx] = total
    return result


def as_2d(a: np.ndarray) -> np.ndarray:
    """A tensor as a matrix for display: the first ⌈r/2⌉ indices on rows, the rest on columns."""
    a = np.asarray(a, dtype=float)
    if a.ndim <= 1:
        return a.reshape(1, -1)
    half = (a.ndim + 1) // 2
    return a.reshape(int(np.prod(a.shape[:half])), -1)


@register
class TensorOpsEinsum(Experiment):
    id = "ch1.tensor-ops-einsum"
    title = "Direct products, contractions and Einstein summation (Examples 1.1.4–1.1.7)"
    section = "1.1.4"
    family = "image & tensor"
    summary = ("einsum written as loops, entry by entry: ranks add under ⊗, drop by 2 per "
               "contraction.")
    explanation = (
        "Einstein summation names every index: repeated indices that do not appear in the "
        "output are summed. Pick one of the book's expressions; Play computes the result one "
        "entry per frame by the explicit loops, outlining the operand entries that enter the "
        "sum, and compares the finished tensor with numpy.einsum. The direct product adds "
        "ranks (u ⊗ v is a matrix, A ⊗ B a rank-4 tensor whose (i,k)-by-(j,l) rearrangement "
        "is numpy.kron(A, B)); each contracted pair of indices lowers the rank by 2. Tensors "
        "of rank 3 and 4 are drawn as matrices (first indices on rows). The memory benchmark "
        "times the same operation on the same numbers stored C-contiguously, as a transposed "
        "view and as a strided slice: equal FLOPs, different wall times (Exercise 1.1.3 part 3)."
    )
    equations = (
        r"$(u \otimes v)_{ij} = u_i v_j,\quad (A \otimes B)_{ijkl} = A_{ij} B_{kl}$",
        r"$C_{ikl} = A_{ij} B_{jkl} \equiv \sum_j A_{ij} B_{jkl},\quad y_i = A_{ij} x_j,\quad"
        r" \|A\|_F^2 = A_{ij} A_{ij}$",
        r"$\mathrm{rank}(T_1 \otimes T_2) = r_1 + r_2,\quad \mathrm{rank\ after\ }c"
        r"\mathrm{\ contractions} = r_1 + r_2 - 2c$",
    )
    book_notes = (
        "The notebook TensorOperations.ipynb that Example 1.1.7 and Exercise 1.1.3 refer to "
        "is not in the book's repository; the lab computes the examples itself.",
        "Example 1.1.7's index notation is garbled (its result is said to carry i, j, m but "
        "written T_ij ∘ S_jlm); the lab uses T_ijk S_klm summed over k, giving a rank-4 "
        "result with indices i, j, l, m.",
        "The catalogue's contiguity sizes go to N = 4096; the lab stops at 1024 so that one "
        "timing fits in a frame on a 2-core machine (matmul at 4096 takes seconds).",
    )
    params = (
        Choice("expression", "i,j->ij", EXPRESSIONS, live=True,
               help="; ".join(f"{k}: {v}" for k, v in EXPRESSION_NOTES.items())),
        Choice("operands", "book", ("book", "random"), live=True,
               help="book: the examples' numbers (u = (1, 2), v = (3, 4); A = [[1, 2], [3, 4]], "
                    "B = [[5, 6], [7, 8]]) or small integers; random: integers in −3 … 3."),
        Int("dim", 2, 1, 5, live=True, label="random dimension D",
            help="The size of every index for random operands."),
        Choice("bench", "off", BENCH_OPS, live=True, label="memory benchmark",
               help="Time the same operation on three memory layouts (off by default: "
                    "timings differ from run to run, so a seeded run repeats exactly only "
                    "without them)."),
        Int("N", 512, 64, 1024, live=True, label="benchmark size N"),
        Int("frames_per_entry", 10, 1, 60, live=True, label="frames per entry",
            help="How long each result entry stays highlighted while playing."),
        Seed(),
    )
    views = (
        Matrices("operands", "Operands and the result, entry by entry", area="left",
                 matrices=("op1", "op2", "result"), titles_field="op_titles",
                 boxes="op_boxes", value_format="{:.4g}"),
        Bars("timings", "Same numbers, different memory layouts", values="timings",
             labels="layouts", names="timing_names", ylabel="µs (timed) or bytes (stride)",
             value_format="{:.0f}"),
        Readout("numbers", "Ranks and checks", area="bottom", lines=(
            ("expression_text", "expression", "{}"),
            ("ranks_text", "ranks", "{}"),
            ("shape_text", "output shape", "{}"),
            ("entries_done", "entries computed", "{}"),
            ("einsum_gap", "max |loops − numpy.einsum|", "{}"),
            ("kron_gap", "A ⊗ B rearranged vs numpy.kron", "{}"),
            ("bench_text", "benchmark", "{}"),
        )),
    )
    frame_fields = {
        "op1": "first operand as a matrix", "op2": "second operand (0×0 if none)",
        "result": "the result as a matrix (NaN: not computed yet)",
        "op_titles": "(3,) titles", "op_boxes": "(b, 5) the entries entering the current sum",
        "result_tensor": "the full result (numpy.einsum)",
        "timings": "(1, 3) median time per layout in µs (NaN before a timing), or with the "
                   "benchmark off the stride in bytes between neighbours along a row",
        "timing_names": "(1,) what the bars show",
        "layouts": "(3,) layout names", "expression_text": "text", "ranks_text": "text",
        "shape_text": "text", "entries_done": "text", "einsum_gap": "text", "kron_gap": "text",
        "bench_text": "text",
    }
    nonfinite_fields = frozenset({"result", "timings"})
    default_steps_per_frame = 1
    max_steps_per_frame = 200

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self._restart = True
        self._bench_key = None

    def on_live_change(self, names: set[str]) -> None:
        if names & {"expression", "operands", "dim", "seed"}:
            self._restart = True

    def setup(self) -> None:
        p = self.p
        self.ops = operands(p["expression"], p["operands"], p["dim"],
                            backend.rng(p["seed"], 1))
        self.exact = np.einsum(p["expression"], *self.ops)
        self.by_loops = einsum_by_loops(p["expression"], self.ops)
        self.entries = max(self.exact.size, 1)
        self.done = 0
        self._restart = False

    def bench_setup(self) -> None:
        p = self.p
        self._bench_key = (p["bench"], p["N"])
        self.times: dict[str, list[float]] = {name: [] for name in LAYOUTS}
        self.bench_results: dict[str, float] = {}
        if p["bench"] == "off":
            return
        rng = backend.rng(p["seed"], 2)
        N = p["N"]
        base = rng.normal(size=(N, N))
        big = np.zeros((N, 2 * N))
        big[:, ::2] = base
        self.layouts = {"C-contiguous": base, "transposed view": np.ascontiguousarray(base.T).T,
                        "strided slice": big[:, ::2]}
        self.bench_turn = 0

    def bench_once(self) -> None:
        p = self.p
        if self._bench_key != (p["bench"], p["N"]):
            self.bench_setup()
        if p["bench"] == "off":
            return
        name = LAYOUTS[self.bench_turn % len(LAYOUTS)]
        self.bench_turn += 1
        a = self.layouts[name]
        start = time.perf_counter()
        if p["bench"] == "row-sum":
            value = a.sum(axis=1)
        elif p["bench"] == "column-sum":
            value = a.sum(axis=0)
        else:
            value = a @ a
        self.times[name].append((time.perf_counter() - start) * 1e6)
        self.bench_results[name] = float(np.sum(value))

    def frames(self) -> Iterator[Frame]:
        step = 0
        hold = 0
        while True:
            if self._restart:
                self.setup()
                hold = 0
            self.bench_once()
            yield self._frame(step)
            step += self.steps_per_frame
            hold += self.steps_per_frame
            advance, hold = divmod(hold, self.p["frames_per_entry"])
            if advance and self.done < self.entries:
                self.done = min(self.entries, self.done + advance)
            elif advance:
                self.done = 0  # computed: start the loops again (a fresh look)

    def _frame(self, step: int) -> Frame:
        p = self.p
        expr = p["expression"]
        ins, out = parse(expr)
        result = np.full(self.exact.shape, np.nan)
        flat = result.reshape(-1)
        flat[: self.done] = self.by_loops.reshape(-1)[: self.done]
        result = flat.reshape(self.exact.shape)
        boxes = self._boxes(ins, out)
        mats = [as_2d(op) for op in self.ops] + [np.zeros((0, 0))] * (2 - len(self.ops))
        ranks = [len(s) for s in ins]
        contracted = (sum(ranks) - len(out)) // 2
        if p["bench"] == "off":  # deterministic: how far apart a row's neighbours lie
            bars = np.array([[8.0, 8.0 * p["N"], 16.0]])
            bar_name = "stride along a row (bytes)"
        else:
            bars = np.array([[np.median(self.times[name]) if self.times[name] else np.nan
                              for name in LAYOUTS]])
            bar_name = f"median time of {p['bench']} (µs)"
        kron = "—"
        if expr == "ij,kl->ijkl":
            a, b = self.ops
            rearranged = self.exact.transpose(0, 2, 1, 3).reshape(a.shape[0] * b.shape[0], -1)
            kron = f"{np.abs(rearranged - np.kron(a, b)).max():.2g}"
        agree = {v for v in self.bench_results.values()}
        bench = "off" if p["bench"] == "off" else (
            f"{p['bench']} N = {p['N']}: results "
            f"{'identical' if len(agree) <= 1 else 'equal to round-off'} across layouts")
        done_all = self.done >= self.entries
        return {
            "step": step,
            "t": float(step),
            "op1": mats[0], "op2": mats[1],
            "result": as_2d(result),
            "op_titles": np.array([f"{ins[0]} {self.ops[0].shape}",
                                   f"{ins[1]} {self.ops[1].shape}" if len(ins) > 1 else "",
                                   f"{out or '(scalar)'} {self.exact.shape}"]),
            "op_boxes": boxes,
            "result_tensor": self.exact,
            "timings": bars,
            "timing_names": np.array([bar_name]),
            "layouts": np.array(LAYOUTS),
            "expression_text": f"{expr} ({EXPRESSION_NOTES[expr]})",
            "ranks_text": f"{' + '.join(map(str, ranks))} − 2·{contracted} = {len(out)}",
            "shape_text": str(self.exact.shape),
            "entries_done": f"{self.done} of {self.entries}",
            "einsum_gap": f"{np.abs(self.by_loops - self.exact).max():.2g}" if done_all else "…",
            "kron_gap": kron,
            "bench_text": bench,
        }

    def _boxes(self, ins: list[str], out: str) -> np.ndarray:
        """The operand entries that enter the sum of the entry being computed."""
        if self.done >= self.entries or not out:
            return np.zeros((0, 5))
        idx = np.unravel_index(self.done, self.exact.shape)
        fixed = dict(zip(out, idx, strict=True))
        boxes = []
        for k, (spec, op) in enumerate(zip(ins, self.ops, strict=True)):
            shown = as_2d(op)
            cells = np.zeros(op.shape, dtype=bool)
            sl = tuple(fixed[c] if c in fixed else slice(None) for c in spec)
            cells[sl] = True
            for r, c in zip(*np.nonzero(cells.reshape(shown.shape)), strict=True):
                boxes.append([k, r, c, 1, 1])
        r, c = divmod(self.done, max(as_2d(self.exact).shape[1], 1))
        boxes.append([2, r, c, 1, 1])
        return np.array(boxes, dtype=float)
