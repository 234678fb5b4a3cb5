"""§7.4, Example 7.4.1 and Exercise 7.4.1: a 3-level pixel "forward diffusion" chain."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

import numpy as np

from .. import markov
from ..experiment import Experiment, Frame
from ..history import History
from ..params import Choice, Float, Int, Matrix, ParamError, Seed
from ..registry import register
from ..views import Bars, Curves, Graph, Heatmap, Readout, Series
from .ch7_markov import walker_step

BOOK_P = ((0.8, 0.15, 0.05), (0.2, 0.6, 0.2), (0.1, 0.2, 0.7))
LEVELS = np.array(["0 dark", "1 medium", "2 bright"])


def toy_image(kind: str, size: int) -> np.ndarray:
    """A procedural 3-level picture (no download): shapes, stripes or a checkerboard."""
    y, x = np.mgrid[0:size, 0:size] / size
    img = np.zeros((size, size), dtype=np.int64)
    if kind == "shapes":
        img[(x > 0.1) & (x < 0.45) & (y > 0.15) & (y < 0.85)] = 1
        img[(x - 0.68) ** 2 + (y - 0.6) ** 2 < 0.2**2] = 2
        img[(np.abs(x - y) < 0.04) & (x > 0.5)] = 2
    elif kind == "stripes":
        img = (np.floor(x * 6) % 3).astype(np.int64)
    else:
        img = ((np.floor(x * 8) + np.floor(y * 8)) % 2 * 2).astype(np.int64)
    return img


@register
class ToyImageChain(Experiment):
    id = "ch7.toy-image-diffusion-chain"
    title = "A 3-level pixel forward 'diffusion' chain (Exercise 7.4.1)"
    section = "7.4"
    family = "Markov chain / lattice spins"
    summary = ("Every pixel follows the book's 3-state chain: the picture dissolves into noise "
               "whose level histogram freezes at π.")
    explanation = (
        "Each pixel of a picture with levels dark (0), medium (1) and bright (2) follows the "
        "book's Markov chain P independently, mimicking the noising of a diffusion model: "
        "structure dissolves and the level histogram converges to the stationary law π "
        "(here (16/37, 11/37, 10/37), not uniform), at the rate |λ₂| ≈ 0.682. Exercise 7.4.1: "
        "the chain is irreducible (all entries positive); from state 2 one step gives row 2 "
        "of P and two steps row 2 of P²; the gap 1 − |λ₂| bounds the mixing time. Detailed "
        "balance fails, but not because P is asymmetric (the two-state chain is asymmetric "
        "and reversible): Kolmogorov's cycle products P₀₁P₁₂P₂₀ and P₀₂P₂₁P₁₀ differ, and "
        "every pairwise flux π_iP_ij − π_jP_ji equals the same net current circulating "
        "0 → 1 → 2 → 0 (drawn on the cycle graph). Edit P to a reversible matrix and the "
        "current vanishes."
    )
    equations = (
        r"$\mu_{n+1}^\top = \mu_n^\top P,\qquad \pi^\top P = \pi^\top$",
        r"$P_{01}P_{12}P_{20} \neq P_{02}P_{21}P_{10}\ \Rightarrow\ $ no detailed balance",
        r"$\pi_0P_{01} - \pi_1P_{10} = \pi_1P_{12} - \pi_2P_{21} = \pi_2P_{20} - \pi_0P_{02}$",
    )
    book_notes = (
        "The book argues that P is not symmetric, hence detailed balance fails. Asymmetry "
        "alone does not imply that (the two-state chain of §7.4 is asymmetric and "
        "reversible); the lab shows the correct argument, Kolmogorov's cycle criterion, and "
        "the net current around 0 → 1 → 2 → 0.",
        "The book says the chain drives the image toward a 'uniform or nearly uniform' "
        "state; the stationary law is (16/37, 11/37, 10/37) ≈ (0.43, 0.30, 0.27), visibly "
        "non-uniform.",
    )
    params = (
        Matrix("P", BOOK_P, 0.0, 10.0, label="transition matrix P",
               help="3×3 weights; rows are normalised to sum 1."),
        Choice("image", "shapes", ("shapes", "stripes", "checkerboard"),
               help="The procedural starting picture."),
        Int("size", 64, 16, 256, log=True, label="image size"),
        Int("start", 2, 0, 2, label="start state", help="For the exact μ_n panel."),
        Float("tolerance", 0.01, 1e-4, 0.5, live=True, log=True, label="TV tolerance"),
        Seed(),
    )
    views = (
        Heatmap("image", "The picture after n steps", area="left", field="image",
                levels=(0.0, 2.0), colormap="CET-L1", xlabel="", ylabel=""),
        Bars("levels", "Level histogram of the picture vs π", area="left",
             values="level_hist", labels="level_names", names="level_names_groups",
             reference="pi", reference_label="π", yrange=(0.0, 1.0)),
        Bars("from_start", "μ_n from the start state (exact) vs π", values="mu",
             labels="level_names", reference="pi", reference_label="π",
             yrange=(0.0, 1.0)),
        Curves("tv", "‖histogram − π‖_TV and |λ₂|ⁿ",
               series=(Series("tv_image", x="tv_n", label="picture"),
                       Series("tv_exact", x="tv_n", label="exact h₀ᵀPⁿ"),
                       Series("tv_bound", x="tv_n", label="TV₀·|λ₂|ⁿ")),
               xlabel="n", ylabel="total variation", logy=True),
        Graph("current", "Net probability current π_iP_ij − π_jP_ji", positions="positions",
              edges="current_edges", values="pi", labels="level_names",
              edge_labels="current_labels", weights="current_weights", directed=True,
              levels=(0.0, 1.0), value_label="π"),
        Readout("readout", "Exercise 7.4.1", area="bottom", lines=(
            ("n", "step n", "{:d}"),
            ("pi_text", "π (exact fractions)", "{}"),
            ("eig_text", "eigenvalues | char. polynomial", "{}"),
            ("rows_text", "from 2: one step | two steps", "{}"),
            ("kolmogorov_text", "P₀₁P₁₂P₂₀ | P₀₂P₂₁P₁₀ | net current", "{}"),
            ("steps_text", "steps to TV ≤ tol: picture | bound", "{}"),
        )),
    )
    frame_fields = {
        "n": "steps", "image": "(size, size) pixel levels", "level_hist": "(3,) level fractions",
        "level_names": "(3,)", "level_names_groups": "(1,)", "pi": "(3,) stationary law",
        "mu": "(3,) μ_n from the start state", "tv_n": "(h,)", "tv_image": "(h,)",
        "tv_exact": "(h,)", "tv_bound": "(h,)", "positions": "(3, 2)",
        "current_edges": "(e, 2) edges carrying a positive net current",
        "current_weights": "(e,)", "current_labels": "(e,)", "P": "(3, 3)",
        "P2": "(3, 3) P²", "eigenvalues": "(3,) real parts", "lambda2": "|λ₂|",
        "net_current": "π₀P₀₁ − π₁P₁₀", "steps_to_tol": "first n with the picture's TV ≤ tol",
        "pi_text": "read-out", "eig_text": "read-out", "rows_text": "read-out",
        "kolmogorov_text": "read-out", "steps_text": "read-out",
    }
    history_fields = ("tv_n", "tv_image")
    default_steps_per_frame = 1

    @classmethod
    def check(cls, p) -> None:
        P = markov.normalise_rows(np.array(p["P"]), "P")
        problem = markov.irreducibility_problem(P)
        if problem:
            raise ParamError("P", problem)

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        P = markov.normalise_rows(np.array(self.p["P"]), "P")
        self.P = P
        self.pi = markov.stationary(P)
        self.eig = markov.spectrum(P)
        self.lambda2 = markov.second_modulus(P)
        F = markov.flux(P, self.pi)
        self.F = F
        idx = np.argwhere(F > 1e-12)
        self.current_edges = idx.astype(np.int64)
        self.current_weights = F[idx[:, 0], idx[:, 1]] if len(idx) else np.zeros(0)
        self.current_labels = np.array([f"{w:.4f}" for w in self.current_weights])
        rational = [[Fraction(x).limit_denominator(10_000) for x in row] for row in P]
        self.pi_rational = markov.rational_stationary(rational)

    def frames(self) -> Iterator[Frame]:
        p = self.p
        P, pi = self.P, self.pi
        rng = np.random.default_rng(np.random.SeedSequence([p["seed"], 1]))
        img = toy_image(p["image"], p["size"])
        flat = img.ravel().copy()
        h0 = np.bincount(flat, minlength=3) / flat.size
        h_exact = h0.copy()
        mu = np.zeros(3)
        mu[p["start"]] = 1.0
        cum = np.cumsum(P, axis=1)
        history = History(shape=(3,), capacity=4096)
        tv0 = markov.tv(h0, pi)
        steps_bound = markov.steps_to_tv(P, h0, pi, p["tolerance"])
        first_hit = -1
        n = 0
        positions = np.array([[0.0, 1.0], [-0.87, -0.5], [0.87, -0.5]])
        P2 = P @ P
        eig_text = (", ".join(f"{z.real:.4f}" if abs(z.imag) < 1e-12 else f"{z:.3f}"
                              for z in self.eig)
                    + " | λ³ " + " ".join(f"{c:+.4f}" for c in np.poly(P)[1:]))
        shown_start = False
        while True:
            if shown_start:
                for _ in range(self.steps_per_frame):
                    flat = walker_step(flat, cum, rng)
                    h_exact = h_exact @ P
                    mu = mu @ P
                    n += 1
            shown_start = True
            hist = np.bincount(flat, minlength=3) / flat.size
            d = markov.tv(hist, pi)
            if first_hit < 0 and d <= self.p["tolerance"]:
                first_hit = n
            history.append(n, (max(d, 1e-16), max(markov.tv(h_exact, pi), 1e-16),
                               max(tv0 * self.lambda2**n, 1e-16)))
            hv = history.values
            fwd, bwd = markov.cycle_products(P, (0, 1, 2))
            net = float(self.F[0, 1])
            yield {
                "step": n,
                "t": float(n),
                "n": n,
                "image": flat.reshape(img.shape).astype(np.float32)[::-1],
                "level_hist": hist,
                "level_names": LEVELS,
                "level_names_groups": np.array(["picture"]),
                "pi": pi,
                "mu": mu.copy(),
                "tv_n": history.x,
                "tv_image": hv[:, 0], "tv_exact": hv[:, 1], "tv_bound": hv[:, 2],
                "positions": positions,
                "current_edges": self.current_edges,
                "current_weights": self.current_weights,
                "current_labels": self.current_labels,
                "P": P, "P2": P2,
                "eigenvalues": self.eig.real.copy(),
                "lambda2": self.lambda2,
                "net_current": net,
                "steps_to_tol": first_hit,
                "pi_text": ", ".join(str(x) for x in self.pi_rational),
                "eig_text": eig_text,
                "rows_text": "(" + ", ".join(f"{x:.3f}" for x in P[2]) + ") | ("
                             + ", ".join(f"{x:.4f}" for x in P2[2]) + ")",
                "kolmogorov_text": f"{fwd:.4f} | {bwd:.4f} | {net:.4f}",
                "steps_text": (f"{first_hit if first_hit >= 0 else '—'} | {steps_bound}"),
            }
