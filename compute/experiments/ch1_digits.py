"""§1.1.4 and §1.2.2 on handwritten digits: an image as an RGB tensor and its green-channel
mean (Example 1.1.3, Fig. 1.1), and the SVD of a batch of digits: eigendigits, rank-k
reconstructions and spectra (Example 1.2.1, Figs. 1.2–1.3). The digits are scikit-learn's
bundled 8×8 set: MNIST cannot be downloaded at run time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .. import backend, digits
from ..blas import single_threaded
from ..experiment import Experiment, Frame
from ..params import Bool, Choice, Int, ParamError, Seed
from ..registry import register
from ..views import Curves, Gallery, Readout, Series

DIGITS_NOTE = (
    "The book's figures use MNIST (28×28, downloaded by torchvision at run time). The lab "
    "cannot download, so it uses scikit-learn's bundled digits: 1797 images of 8×8 pixels "
    "(64 dimensions instead of 784). The phenomena are the same; the numbers differ."
)

# -- Example 1.1.3 / Fig. 1.1 ---------------------------------------------------------------
COLORMAPS = ("viridis", "gray", "magma", "inferno", "plasma", "cividis")
RESAMPLING = ("nearest", "bilinear", "bicubic")
CHANNELS = ("R", "G", "B")
GRAY_WEIGHTS = np.array([0.2989, 0.5870, 0.1140])  # Exercise 1.1.2's grayscale
HIST_BINS = 32


def colormap_rgb(image01: np.ndarray, name: str) -> np.ndarray:
    """The notebook's recipe: the colormap's RGBA in [0, 1], alpha dropped, ×255, truncated
    to uint8 (H, W, 3)."""
    import matplotlib

    rgba = matplotlib.colormaps[name](image01)
    return (rgba[..., :3] * 255).astype(np.uint8)


def resize(rgb: np.ndarray, size: int, method: str) -> np.ndarray:
    """Pillow's resize to size × size with the named resampling filter."""
    from PIL import Image

    filters = {"nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR,
               "bicubic": Image.Resampling.BICUBIC}
    return np.asarray(Image.fromarray(rgb).resize((size, size), filters[method]))


def channel_mean_by_loop(T: np.ndarray, c: int) -> float:
    """(1/HW) Σ_i Σ_j T[i, j, c], summed entry by entry as the formula reads."""
    H, W = T.shape[:2]
    total = 0
    for i in range(H):
        row = T[i]
        for j in range(W):
            total += int(row[j, c])
    return total / (H * W)


@register
class RGBTensorGreenChannel(Experiment):
    id = "ch1.rgb-tensor-green-channel"
    title = "An image as an RGB tensor; the green channel's mean (Example 1.1.3)"
    section = "1.1.4"
    family = "image & tensor"
    summary = ("Digit → colormap → RGB tensor H×W×3 → resize → T[:, :, G] → its mean, row by "
               "row.")
    explanation = (
        "A colour image is a tensor T ∈ R^(H×W×3). Following the book's notebook, a grayscale "
        "digit is normalised to [0, 1], mapped through a colormap to RGB, scaled to 8-bit "
        "integers and resized to 256×256; then the green slice T[:, :, 2] (1-based) is "
        "extracted and averaged: avg_green = (1/HW) Σ T_(i,j,2). Play sums the channel row "
        "by row: the running mean converges to the average as the scan line moves down, "
        "then the next digit follows. Switch the colormap or the channel and the mean "
        "changes; switch the resampling filter and \"the same image\" gives slightly "
        "different tensor statistics (a nearest-neighbour upscale by a whole factor keeps "
        "the mean exactly)."
    )
    equations = (
        r"$\mathcal{T} \in \mathbb{R}^{H \times W \times 3},\quad"
        r" \mathcal{T}_{green} = \mathcal{T}[:, :, 2]$",
        r"$\mathrm{avg}_{green} = \frac{1}{HW}\sum_{i=1}^{H}\sum_{j=1}^{W}"
        r" \mathcal{T}_{i,j,2}$",
        r"$I_{gray} = 0.2989\,R + 0.5870\,G + 0.1140\,B$",
    )
    book_notes = (
        DIGITS_NOTE + " The default image is the set's first \"5\" (index 5), as the "
        "notebook's MNIST training image #0 is a 5; its 8×8 pixels are upscaled 32× to "
        "256×256.",
        "Fig. 1.1's caption calls Example 1.1.3 \"Example 1.1.1\" and the notebook calls it "
        "\"Exercise 1.1.1\"; they are the same computation.",
        "The notebook resizes with Pillow's default filter (bicubic for RGB images); the "
        "lab offers nearest, bilinear and bicubic.",
    )
    params = (
        Int("image", 5, 0, 1796, label="digit image",
            help="Index into the 1797 digits (index 5 is the first 5)."),
        Choice("colormap", "viridis", COLORMAPS, live=True),
        Int("size", 256, 8, 512, live=True, label="output size",
            help="The RGB image is resized to size × size pixels."),
        Choice("resampling", "bicubic", RESAMPLING, live=True),
        Choice("channel", "G", CHANNELS, live=True),
        Bool("cycle", True, live=True, label="next digit when done",
             help="After the scan, go on to the next image of the set."),
    )
    views = (
        Gallery("images", "Grayscale, colormapped RGB, and the channel being summed",
                area="left", images="gallery", labels="gallery_labels", columns=3),
        Curves("running", "Running mean of the channel, row by row", series=(
            Series("running_mean", x="rows_done", label="mean of the rows scanned"),),
            hlines=("channel_mean",), xlabel="rows summed", ylabel="mean intensity"),
        Curves("histograms", "Channel histograms", series=(
            Series("hist", x="hist_x", names="hist_names", style="step"),),
            xlabel="intensity (0–255)", ylabel="pixels"),
        Readout("means", "Channel means", area="bottom", lines=(
            ("digit_text", "image", "{}"),
        ("rows_text", "rows summed", "{}"),
            ("mean_R", "mean R", "{:.3f}"),
            ("mean_G", "mean G", "{:.3f}"),
            ("mean_B", "mean B", "{:.3f}"),
            ("gray_mean", "0.2989R + 0.5870G + 0.1140B", "{:.3f}"),
            ("average_mean", "(R + G + B)/3", "{:.3f}"),
        )),
    )
    frame_fields = {
        "gallery": "(3, h, w, 3) uint8: the digit in gray, its colormapped RGB tensor "
                   "(resized), and the chosen channel in gray, rows not yet summed dimmed",
        "gallery_labels": "(3,) captions",
        "tensor": "(size, size, 3) uint8 the RGB tensor T",
        "rows_done": "(r,) 1 … rows summed so far",
        "running_mean": "(r,) mean of the chosen channel over the rows summed so far",
        "channel_mean": "the channel's mean over the whole image",
        "hist_x": f"({HIST_BINS + 1},) bin edges", "hist": f"(3, {HIST_BINS}) pixel counts",
        "hist_names": "(3,) R, G, B",
        "mean_R": "mean of T[:, :, 0]", "mean_G": "mean of T[:, :, 1]",
        "mean_B": "mean of T[:, :, 2]",
        "gray_mean": "mean grayscale 0.2989R + 0.5870G + 0.1140B",
        "average_mean": "mean of (R + G + B)/3",
        "digit_text": "index and label of the image",
        "rows_text": "rows summed of the height",
        "image_index": "index of the image shown",
    }
    default_steps_per_frame = 4
    max_steps_per_frame = 512

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self.index = self.p["image"]
        self._rebuild = True

    def on_live_change(self, names: set[str]) -> None:
        if names - {"cycle"}:
            self._rebuild = True

    def build(self) -> None:
        p = self.p
        images, labels = digits.load()
        img = images[self.index]
        self.rgb_small = colormap_rgb(img, p["colormap"])
        self.T = resize(self.rgb_small, p["size"], p["resampling"])
        c = CHANNELS.index(p["channel"])
        self.channel = self.T[:, :, c].astype(float)
        gray = np.repeat((img * 255).astype(np.uint8)[:, :, None], 3, axis=2)
        self.gray = resize(gray, p["size"], "nearest")
        self.row_sums = np.cumsum(self.channel.sum(axis=1))
        edges = np.linspace(0, 256, HIST_BINS + 1)
        self.hist = np.stack([np.histogram(self.T[:, :, k], bins=edges)[0] for k in range(3)])
        self.hist_x = edges  # a step curve takes the bin edges
        self.label = int(labels[self.index])
        self.rows = 0
        self._rebuild = False

    def frames(self) -> Iterator[Frame]:
        step = 0
        while True:
            if self._rebuild:
                self.build()
            H = self.T.shape[0]
            yield self._frame(step)
            step += self.steps_per_frame
            if self._rebuild:
                continue
            if self.rows >= H:
                if self.p["cycle"]:
                    self.index = (self.index + 1) % digits.count()
                    self._rebuild = True
                continue
            self.rows = min(H, self.rows + self.steps_per_frame)

    def _frame(self, step: int) -> Frame:
        p = self.p
        T = self.T
        H, W = T.shape[:2]
        r = self.rows
        shown = np.repeat(self.channel.astype(np.uint8)[:, :, None], 3, axis=2)
        if r < H:
            shown[r:] = (shown[r:] * 0.25).astype(np.uint8)  # rows not summed yet
        done = np.arange(1, r + 1, dtype=float)
        running = self.row_sums[:r] / (done * W) if r else np.zeros(0)
        mean = float(self.channel.mean())
        means = T.reshape(-1, 3).mean(axis=0)
        gray = float((T.reshape(-1, 3) @ GRAY_WEIGHTS).mean())
        so_far = f"{running[-1]:.2f}" if r else "—"
        return {
            "step": step,
            "t": float(step),
            "gallery": np.stack([self.gray, T, shown]),
            "gallery_labels": np.array([
                f"digit {self.label} (8×8)", f"{p['colormap']} RGB {H}×{W}×3",
                f"{p['channel']}: mean so far {so_far}"]),
            "tensor": T,
            "rows_done": done,
            "running_mean": running,
            "channel_mean": mean,
            "hist_x": self.hist_x,
            "hist": self.hist,
            "hist_names": np.array(["R", "G", "B"]),
            "mean_R": float(means[0]),
            "mean_G": float(means[1]),
            "mean_B": float(means[2]),
            "gray_mean": gray,
            "average_mean": float(T.reshape(-1, 3).astype(float).mean()),
            "digit_text": f"#{self.index} (a {self.label})",
            "rows_text": f"{r} of {H}",
            "image_index": self.index,
        }


# -- Example 1.2.1 / Figs. 1.2–1.3 ----------------------------------------------------------
CLASSES = ("all", *(str(d) for d in range(10)))
FIGURE_RANKS = (5, 20, 50)
PER_DIGIT = (0, 1, 2, 8)
CANONICAL = 200  # the notebook's canonical batch: the first 200 images
NONZERO_SIGMA = 1e-10  # σ_j/σ₁ below this is round-off (a direction with no variance)


def centred_svd(X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(μ, U, s, Vᵀ) of the thin SVD of X − 1μᵀ."""
    mu = X.mean(axis=0)
    U, s, Vt = np.linalg.svd(X - mu, full_matrices=False)
    return mu, U, s, Vt


def centred_singular_values(X: np.ndarray) -> np.ndarray:
    """The singular values of X − 1μᵀ (no singular vectors: cheaper)."""
    return np.linalg.svd(X - X.mean(axis=0), compute_uv=False)


def cumulative_variance(s: np.ndarray) -> np.ndarray:
    """E_k = Σ_(j≤k) σ_j² / Σ_j σ_j², k = 1 … len(s)."""
    e = np.cumsum(s**2)
    return e / e[-1]


def reconstruct(x: np.ndarray, mu: np.ndarray, Vt: np.ndarray, k: int) -> np.ndarray:
    """xˆ = μ + (x − μ) V_k V_kᵀ."""
    Vk = Vt[:k].T
    return mu + (x - mu) @ Vk @ Vk.T


@register
class DigitsSVD(Experiment):
    id = "ch1.mnist-svd"
    title = "SVD of a batch of digits: eigendigits, rank-k reconstructions, spectra"
    section = "1.2.2"
    family = "matrix & spectrum"
    summary = ("Centre a batch, SVD it: mean, eigendigits, xˆ = μ + (x − μ)V_kV_kᵀ, spectra "
               "and E_k.")
    explanation = (
        "Each image is a row x_i ∈ R^64 of a data matrix. After subtracting the batch mean μ, "
        "the thin SVD X_c = USVᵀ gives the principal directions (the rows of Vᵀ, shown as "
        "eigendigits) and a rank-k reconstruction xˆ = μ + (x − μ)V_kV_kᵀ. Play sweeps k "
        "from 1 upwards: the sample sharpens while the marker climbs the cumulative explained "
        "variance E_k (the rank slider does the same by hand when the sweep is off). The "
        "normalised spectra σ_j/σ₁ decay fast (a low-dimensional structure), nearly coincide "
        "for independent random batches (spectral stability), and differ between digits: "
        "\"1\" decays fastest, \"8\" and \"2\" need more components."
    )
    equations = (
        r"$X_c = X - \mathbf{1}\mu^T = U S V^T,\quad z_i = x_i V_k$",
        r"$\hat x = \mu + (x - \mu)\,V_k V_k^T,\quad \|X_c - X_{c,k}\|_F^2 ="
        r" \sum_{j>k}\sigma_j^2$",
        r"$E_k = \sum_{j \leq k}\sigma_j^2 \,/\, \sum_j \sigma_j^2$",
    )
    book_notes = (
        DIGITS_NOTE + " With 64 pixels the book's ranks 5, 20, 50 cover more of the spectrum "
        "(rank 50 is nearly exact).",
        "The notebook draws its random batches with unseeded np.random.choice, so its "
        "spectra cannot be reproduced; the lab seeds them.",
        "The notebook selects the per-digit batches by iterating over all 60 000 MNIST "
        "images; the lab indexes the label array (the first 200 of each digit, or all when "
        "fewer exist: about 180 per digit here).",
    )
    params = (
        Int("batch", 100, 20, 1797, label="batch size n",
            help="The first n images (of the chosen digit) form the batch."),
        Choice("digit", "all", CLASSES, label="digit class",
               help="Use only images of one digit in the batch."),
        Int("eigen_j", 1, 1, 62, live=True, label="eigendigit j",
            help="The eigendigits shown are j and j + 1."),
        Int("sample", 0, 0, 1796, live=True, label="sample image",
            help="Index within the batch of the image reconstructed."),
        Int("k", 5, 1, 64, live=True, label="rank k",
            help="The rank of the live reconstruction (at most min(n − 1, 64))."),
        Bool("sweep", True, live=True, label="sweep k while playing",
             help="On: k runs 1, 2, … up to the rank and starts again. Off: the slider sets k."),
        Int("frames_per_rank", 4, 1, 60, live=True, label="frames per rank (sweep)"),
        Int("n_batches", 5, 1, 20, label="random batches"),
        Int("random_batch", 200, 20, 1000, label="random batch size"),
        Seed(),
    )
    views = (
        Gallery("gallery", "Mean, eigendigits, the sample and rank-k reconstructions",
                area="left", images="gallery", labels="gallery_labels", columns=4),
        Curves("spectra", "Normalised spectra σ_j/σ₁: one batch and random batches", series=(
            Series("batch_spectra", x="spectra_j", label="random batches", style="fan"),
            Series("spectrum", x="spectrum_j", label="this batch"),),
            logy=True, xlabel="j", ylabel="σ_j / σ₁"),
        Curves("per_digit", "Per-digit spectra (0, 1, 2, 8)", series=(
            Series("digit_spectra", x="digit_j", names="digit_names"),),
            logy=True, xlabel="j", ylabel="σ_j / σ₁"),
        Curves("cumulative", "Cumulative explained variance E_k", series=(
            Series("cumulative", x="cumulative_k", label="E_k"),),
            vlines=("k_shown",), hlines=("E_k",), xlabel="k", ylabel="E_k"),
        Readout("numbers", "Rank k", area="bottom", lines=(
            ("k_shown", "k", "{:d}"),
            ("E_k", "E_k", "{:.4f}"),
            ("rank", "rank of X_c", "{:d}"),
            ("residual", "‖x_c − x_cV_kV_kᵀ‖²", "{:.4g}"),
            ("tail", "Σ_(j>k) σ_j² (Eckart–Young)", "{:.4g}"),
            ("last_sigma", "last σ (≈ 0: rank ≤ n − 1)", "{:.3g}"),
        )),
    )
    frame_fields = {
        "gallery": "(8, 8, 8) mean, eigendigits j and j+1, the sample, rank-5/20/50 and "
                   "rank-k reconstructions",
        "gallery_labels": "(8,) captions",
        "spectrum_j": "(r,) j = 1 … r",
        "spectrum": "(r,) σ_j/σ₁ of the batch (NaN where σ_j is round-off)",
        "spectra_j": "(64,) j", "batch_spectra": "(n_batches, 64) σ_j/σ₁ of random batches",
        "digit_j": "(64,) j", "digit_spectra": "(4, 64) σ_j/σ₁ for digits 0, 1, 2, 8",
        "digit_names": "(4,) labels",
        "cumulative_k": "(r,) k", "cumulative": "(r,) E_k of the batch",
        "k_shown": "the rank shown", "E_k": "E_k at that rank",
        "singular_values": "(min(n, 64),) σ_j of the centred batch",
        "rank": "numerical rank of X_c",
        "residual": "‖x_c − x_cV_kV_kᵀ‖² of the sample",
        "tail": "Σ_(j>k) σ_j²",
        "last_sigma": "the smallest singular value",
        "reconstruction": "(8, 8) the rank-k reconstruction of the sample",
    }
    nonfinite_fields = frozenset({"batch_spectra", "digit_spectra", "spectrum"})
    default_steps_per_frame = 1
    max_steps_per_frame = 64

    @classmethod
    def batch_indices(cls, p: Mapping[str, Any]) -> np.ndarray:
        if p["digit"] == "all":
            return np.arange(p["batch"])
        return digits.of_class(int(p["digit"]), p["batch"])

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        n = p["batch"]
        if p["digit"] != "all":
            available = len(digits.of_class(int(p["digit"])))
            if n > available:
                raise ParamError("batch", f"only {available} images of digit {p['digit']} "
                                          f"exist; a batch of {n} is too large")
        top = min(n - 1, digits.PIXELS)
        if p["k"] > top:
            raise ParamError("k", f"rank k = {p['k']} is above the largest rank {top} of a "
                                  f"centred batch of {n} images of 64 pixels")
        if p["sample"] >= n:
            raise ParamError("sample", f"sample {p['sample']} is outside the batch of {n}")
        if p["eigen_j"] + 1 > top:
            raise ParamError("eigen_j", f"eigendigits j and j + 1 must be at most {top}")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.p
        self.X = digits.flat(self.batch_indices(p))
        self.kmax = min(len(self.X) - 1, digits.PIXELS)

    def decompose(self) -> None:
        """The batch's SVD: in the worker, like all linear algebra of this experiment (BLAS
        work, and thread-pool changes, stay off the GUI thread)."""
        self.mu, self.U, self.s, self.Vt = centred_svd(self.X)
        top = float(self.s[0])
        self.rank = int(np.sum(self.s > NONZERO_SIGMA * top))
        self.E = cumulative_variance(self.s)

    def spectra(self) -> None:
        """The random-batch and per-digit spectra (singular values only), computed in the
        worker when the run starts rather than in the constructor (the GUI thread)."""
        p = self.p
        rng = backend.rng(p["seed"], 1)
        total = digits.count()
        spectra = np.full((p["n_batches"], digits.PIXELS), np.nan)
        for b in range(p["n_batches"]):
            idx = rng.choice(total, size=min(p["random_batch"], total), replace=False)
            s = centred_singular_values(digits.flat(idx))
            spectra[b, : len(s)] = s / s[0]
        self.batch_spectra = spectra
        per = np.full((len(PER_DIGIT), digits.PIXELS), np.nan)
        for i, d in enumerate(PER_DIGIT):
            s = centred_singular_values(digits.flat(digits.of_class(d, CANONICAL)))
            per[i, : len(s)] = s / s[0]
        self.digit_spectra = per

    def frames(self) -> Iterator[Frame]:
        with single_threaded():
            self.decompose()
            self.spectra()
        step = 0
        phase = 0
        while True:
            p = self.p
            k = 1 + (phase // p["frames_per_rank"]) % self.kmax if p["sweep"] else p["k"]
            yield self._frame(step, k)
            step += self.steps_per_frame
            phase += self.steps_per_frame

    @staticmethod
    def _nonzero(ratios: np.ndarray) -> np.ndarray:
        """σ_j/σ₁ with the round-off zeros left out (NaN): pixels that are 0 in every image
        (the corners of the 8×8 grid) make the last σ_j vanish, and their ~1e-16 values
        would squash the decay that matters on a log axis."""
        return np.where(ratios > NONZERO_SIGMA, ratios, np.nan)

    def _frame(self, step: int, k: int) -> Frame:
        p = self.p
        x = self.X[p["sample"]]
        j = p["eigen_j"]
        side = digits.SIDE
        recs = [reconstruct(x, self.mu, self.Vt, min(r, self.kmax)) for r in FIGURE_RANKS]
        rec_k = reconstruct(x, self.mu, self.Vt, k)
        images = [self.mu, self.Vt[j - 1], self.Vt[j], x, *recs, rec_k]
        labels = ["mean μ", f"eigendigit {j}", f"eigendigit {j + 1}", "sample x",
                  *(f"rank {min(r, self.kmax)}" for r in FIGURE_RANKS), f"rank k = {k}"]
        xc = x - self.mu
        Vk = self.Vt[:k].T
        r = len(self.s)
        return {
            "step": step,
            "t": float(step),
            "gallery": np.stack([im.reshape(side, side) for im in images]),
            "gallery_labels": np.array(labels),
            "spectrum_j": np.arange(1, r + 1, dtype=float),
            "spectrum": self._nonzero(self.s / self.s[0]),
            "spectra_j": np.arange(1, digits.PIXELS + 1, dtype=float),
            "batch_spectra": self._nonzero(self.batch_spectra),
            "digit_j": np.arange(1, digits.PIXELS + 1, dtype=float),
            "digit_spectra": self._nonzero(self.digit_spectra),
            "digit_names": np.array([f"digit {d}" for d in PER_DIGIT]),
            "cumulative_k": np.arange(1, r + 1, dtype=float),
            "cumulative": self.E,
            "k_shown": k,
            "E_k": float(self.E[k - 1]),
            "singular_values": self.s,
            "rank": self.rank,
            "residual": float(np.sum((xc - xc @ Vk @ Vk.T) ** 2)),
            "tail": float(np.sum(self.s[k:] ** 2)),
            "last_sigma": float(self.s[-1]),
            "reconstruction": rec_k.reshape(side, side),
        }


def spectrum_decay(s: np.ndarray, fraction: float = 0.9) -> int:
    """The smallest k with E_k ≥ fraction (how many components a class needs)."""
    return int(np.searchsorted(cumulative_variance(s), fraction) + 1)

