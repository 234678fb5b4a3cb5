"""§3.4.1–3.4.2, Fig 3.9: why ℓ1 finds sparse solutions — growing level sets touching a line,
basis pursuit and ISTA recovering a sparse vector, and the Donoho–Tanner phase transition."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from .. import backend
from .. import sparse as sp
from ..experiment import Experiment, Frame
from ..history import History
from ..params import Choice, Float, Int, ParamError, Seed
from ..registry import register
from ..views import Curves, Heatmap, Readout, Series

IMAGE = 160
GROW = 90  # frames for the level sets to grow from 0 to touching the line
HOLD = 40  # frames they stay touching before growing again
DELTA_RANGE = (0.05, 1.0)
RHO_RANGE = (0.05, 1.0)
LPS_PER_FRAME = 3  # phase-transition trials solved per frame (≈ 8 ms each at n = 40)
ISTA_PER_FRAME = 20  # ISTA iterations per frame
PATH_PER_FRAME = 1  # Lasso-path breakpoints per frame
PATH_LAM_MIN = 1e-3  # the path is followed down to this fraction of λ_max
SOLVERS = ("basis-pursuit", "ISTA")
MATRICES = ("gaussian", "bernoulli")


def grow_fraction(frame: int) -> float:
    """0 → 1 over GROW frames (eased), then held for HOLD frames, then again."""
    phase = frame % (GROW + HOLD)
    u = min(phase / GROW, 1.0)
    return u * u * (3 - 2 * u)


@register
class L1L2SparseRecovery(Experiment):
    id = "ch3.l1-l2-sparse-recovery"
    title = "ℓ1 vs ℓ2: sparse solutions, basis pursuit and the phase transition"
    section = "3.4.1"
    family = "constraint geometry & sparse recovery"
    summary = ("Level sets grow until they touch the line a·x = b: the ℓ1 diamond touches on "
               "an axis (sparse), the ℓ2 circle anywhere. Basis pursuit recovers sparse vectors.")
    explanation = (
        "Among all points of the line a₁x₁ + a₂x₂ = b, which has the smallest norm? Grow the "
        "level sets of the norm from 0 until they first touch the line. The ℓ2 circle touches "
        "at the foot of the perpendicular, aᵀ(aaᵀ)⁻¹b, a point with both coordinates non-zero. "
        "The ℓ1 diamond has corners on the axes and touches at a corner, x_j = b/a_j on the "
        "axis of the largest |a_j|: a sparse point (unique when |a₁| ≠ |a₂|). The third set "
        "is the ℓp ball for the chosen p. Panel B does the same in high dimension: a k-sparse "
        "x₀ ∈ Rⁿ is measured by m < n random projections b = Ax₀; the minimum-ℓ1 solution "
        "(basis pursuit, a linear programme) recovers x₀ exactly when m is large enough, the "
        "minimum-ℓ2 solution A⁺b is dense and wrong. ISTA instead minimises the Lasso "
        "½|Ax − b|² + λ|x|₁ by gradient steps and soft thresholding. The phase map repeats "
        "the recovery over random problems for every (δ = m/n, ρ = k/m) and fills in as it "
        "runs: success below a sharp curve (the Donoho–Tanner transition), failure above; the "
        "line is the rule of thumb m = 2k ln(n/k). Panel C follows the Lasso solution w(λ) "
        "exactly as λ decreases from λ_max = |Aᵀb|∞ (where w = 0): the path is piecewise "
        "linear, a coefficient joins when its correlation with the residual reaches λ and "
        "leaves when it crosses zero; one breakpoint is added per frame."
    )
    equations = (
        r"$x_{\ell_2} = a^T(aa^T)^{-1}b,\qquad x_{\ell_1} = \frac{b}{a_j}e_j,\quad"
        r" j = \arg\max_i |a_i|$",
        r"$\min_x \|x\|_1\ \ \mathrm{s.t.}\ Ax = b\ \Leftrightarrow\ \min_{u,v\geq 0}"
        r" \mathbf{1}^T(u+v)\ \ \mathrm{s.t.}\ [A, -A](u; v) = b$",
        r"$w_{t+1} = S_{\lambda s}(w_t - s A^T(Aw_t - b)),\quad"
        r" S_\tau(z) = \mathrm{sign}(z)\max(|z| - \tau, 0),\quad s \leq 1/\|A\|^2$",
        r"$\mathrm{recovery\ w.h.p.\ once}\ m \gtrsim 2k\ln(n/k)$",
        r"$A_\mathcal{A}^T(b - Aw) = \lambda\,\mathrm{sign}(w_\mathcal{A}),\quad"
        r" |a_j^T(b - Aw)| \leq \lambda\ (j \notin \mathcal{A}),\quad"
        r" w = 0\ \mathrm{for}\ \lambda \geq \|A^Tb\|_\infty$",
    )
    book_notes = (
        "The book defines the ℓ0 \"norm\" as counting the entries with x_i = 0; it counts the "
        "non-zero entries, x_i ≠ 0.",
        "Fig 3.9 links a Desmos page; the lab draws the same picture (red line, circles, "
        "rotated squares) and animates the level sets growing until they touch.",
    )
    params = (
        Float("a1", 1.0, -5.0, 5.0, live=True, label="a₁"),
        Float("a2", 2.0, -5.0, 5.0, live=True, label="a₂"),
        Float("b", 1.0, -5.0, 5.0, live=True, label="b"),
        Float("p", 1.5, 0.3, 3.0, live=True, label="third norm p",
              help="The ℓp level set drawn with ℓ1 and ℓ2 (p < 1: a concave quasi-norm)."),
        Int("n", 200, 20, 1000, label="dimension n"),
        Int("m", 60, 5, 1000, label="measurements m"),
        Int("k", 10, 1, 1000, label="sparsity k"),
        Choice("matrix", "gaussian", MATRICES, label="matrix A",
               help="Gaussian or ±1 entries, scaled by 1/√m."),
        Float("noise", 0.0, 0.0, 0.5, label="noise σ",
              help="b = Ax₀ + σξ (basis pursuit then cannot be exact; use ISTA)."),
        Choice("solver", "basis-pursuit", SOLVERS,
               help="Basis pursuit (LP, solved once) or ISTA on the Lasso (iterated live)."),
        Float("lam", 0.01, 1e-4, 10.0, live=True, log=True, label="Lasso λ"),
        Int("pt_n", 40, 20, 200, label="phase map n", help="Dimension of the phase-map trials."),
        Int("pt_grid", 12, 4, 30, label="phase map cells per side"),
        Int("trials", 4, 1, 20, label="trials per cell"),
        Seed(help="Seed of A, x₀ and the phase-map problems."),
    )
    views = (
        Heatmap("geometry", "Level sets touching a₁x₁ + a₂x₂ = b", field="norm_map",
                extent="extent", contours=8, paths="sets", names="set_names",
                points="minimisers", xlabel="x₁", ylabel="x₂", equal_aspect=True,
                colormap="CET-L17"),
        Curves("recovery", "Recovering a sparse x₀ from m < n measurements",
               series=(Series("x0", x="index", label="x₀ (true)", style="dots"),
                       Series("x_hat", x="index", label="ℓ1 (basis pursuit / ISTA)"),
                       Series("x_min_l2", x="index", label="minimum ℓ2")),
               xlabel="index i", ylabel="x_i"),
        Heatmap("phase", "Recovery rate over (m/n, k/m)", field="success",
                extent="phase_extent", levels=(0.0, 1.0), paths="bound",
                names="bound_name", xlabel="δ = m/n", ylabel="ρ = k/m"),
        Curves("path", "Lasso path: coefficients vs λ",
               series=(Series("path_coef", x="path_lambda", style="fan",
                              classes="path_classes",
                              class_labels=("on the support of x₀", "off the support")),),
               logx=True, vlines=("lam",), xlabel="λ", ylabel="w_i(λ)"),
        Curves("ista", "Lasso objective (ISTA)",
               series=(Series("objective", x="ista_step", label="½|Ax − b|² + λ|x|₁"),),
               logy=True, xlabel="ISTA iteration", ylabel="objective"),
        Readout("numbers", "Numbers", area="bottom", lines=(
            ("l1_point", "minimum-ℓ1 point", "{}"),
            ("l2_point", "minimum-ℓ2 point", "{}"),
            ("l1_unique", "ℓ1 minimiser unique", "{}"),
            ("err_l1", "max error of the ℓ1 estimate", "{:.2e}"),
            ("err_l2", "max error of the minimum-ℓ2 solution", "{:.2e}"),
            ("nnz", "non-zeros: ℓ1 estimate / minimum ℓ2", "{}"),
            ("cells", "phase cells done", "{}"),
            ("path_text", "Lasso path", "{}"),
        )),
    )
    frame_fields: ClassVar[dict[str, str]] = {
        "step": "frames advanced", "t": "the step count as a float",
        "x_l1": "(2,) the minimum-ℓ1 point of the line a₁x₁ + a₂x₂ = b",
        "x_l2": "(2,) the minimum-ℓ2 point of the line",
        "x_lp": "(2,) the minimum-ℓp point of the line",
        "norm_map": f"({IMAGE}, {IMAGE}) |x|_p over the window (p the third norm)",
        "extent": "(4,) the window of panel A",
        "sets": "(4, 257, 2) the line, and the ℓ1, ℓ2, ℓp spheres at the current radii",
        "set_names": "(4,) their names",
        "minimisers": "(4, 2) NaN (the line's slot), x_l1, x_l2, x_lp",
        "index": "(n,) indices 0…n−1",
        "x0": "(n,) the true sparse vector", "x_hat": "(n,) the ℓ1 estimate",
        "x_min_l2": "(n,) the minimum-ℓ2 solution A⁺b",
        "success": "(g, g) share of recovered trials per (δ, ρ) cell; NaN not yet run",
        "phase_extent": "(4,) δ and ρ ranges",
        "bound": "(1, g·4, 2) the curve m = 2k ln(n/k) in (δ, ρ)",
        "bound_name": "(1,) its name",
        "ista_step": "(r,) ISTA iterations", "objective": "(r,) the Lasso objective",
        "l1_point": "x_l1 as text", "l2_point": "x_l2 as text",
        "l1_unique": "'yes' or why not",
        "err_l1": "max error of the ℓ1 estimate", "err_l2": "max error of A⁺b",
        "nnz": "non-zero counts", "cells": "cells of the phase map done / all",
        "path_lambda": "(r,) λ at the Lasso path's breakpoints so far, from λ_max down",
        "path_coef": "(n, r) the Lasso solution w(λ) at those λ (exact, affine between)",
        "path_classes": "(n,) 0 for indices in the support of x₀, 1 otherwise",
        "lam": "the Lasso λ of ISTA (marked on the path)",
        "path_text": "breakpoints, active coefficients and whether the path is complete",
    }
    history_fields = ("ista_step", "objective")
    nonfinite_fields = frozenset({"success", "bound", "sets", "minimisers"})
    default_steps_per_frame = 1
    max_steps_per_frame = 20

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        if p["a1"] == 0.0 and p["a2"] == 0.0:
            raise ParamError("a1", "a₁ and a₂ cannot both be 0 (no line)")
        if p["m"] > p["n"]:
            raise ParamError("m", f"m = {p['m']} measurements exceed the dimension n = {p['n']}")
        if p["k"] > p["m"]:
            raise ParamError("k", f"sparsity k = {p['k']} exceeds m = {p['m']}")

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        super().__init__(params, device=device)
        p = self.p
        rng = backend.rng(p["seed"], 0)
        self.A, self.x0 = sp.sparse_problem(p["n"], p["m"], p["k"], p["matrix"], rng)
        self.b = self.A @ self.x0 + p["noise"] * rng.standard_normal(p["m"])
        self.x_l2_hd = sp.min_norm_solution(self.A, self.b)
        self.x_bp = sp.basis_pursuit(self.A, self.b) if p["solver"] == "basis-pursuit" else None
        self.ista_step_size = 1.0 / float(np.linalg.norm(self.A, 2) ** 2)
        g = p["pt_grid"]
        self.deltas = np.linspace(*DELTA_RANGE, g)
        self.rhos = np.linspace(*RHO_RANGE, g)
        d_fine = np.linspace(*DELTA_RANGE, 4 * g)
        self.bound = np.column_stack([d_fine, sp.sample_bound_rho(d_fine)])[None]
        self.pt_rng = backend.rng(p["seed"], 1)
        self.on_live_change(set())

    def on_live_change(self, names: set[str]) -> None:
        p = self.p
        a = np.array([p["a1"], p["a2"]])
        self.a = a
        self.x_l1 = sp.min_l1_on_line(a, p["b"])
        self.x_l2 = sp.min_l2_on_line(a, p["b"])
        self.x_lp = sp.min_lp_on_line(a, p["b"], p["p"])
        reach = 1.4 * max(np.abs(self.x_l1).max(), np.abs(self.x_l2).max(), 0.5)
        self.extent = (-reach, reach, -reach, reach)
        xs = -reach + (np.arange(IMAGE) + 0.5) * 2 * reach / IMAGE
        X, Y = np.meshgrid(xs, xs)
        self.norm_map = sp.lp_norm(np.stack([X, Y], -1), p["p"])
        self.line = self._line(reach)

    def _line(self, reach: float) -> np.ndarray:
        """257 points of a·x = b through its foot x_l2, well across the window."""
        a = self.a
        direction = np.array([-a[1], a[0]]) / np.linalg.norm(a)
        s = np.linspace(-3 * reach, 3 * reach, 257)
        return self.x_l2 + s[:, None] * direction

    def _phase_trial(self, cell: int) -> bool:
        """One random basis-pursuit trial for cell ``cell`` (row-major over ρ, δ)."""
        p = self.p
        g = p["pt_grid"]
        delta, rho = self.deltas[cell % g], self.rhos[cell // g]
        n = p["pt_n"]
        m = max(1, round(delta * n))
        k = max(1, round(rho * m))
        A, x0 = sp.sparse_problem(n, m, k, p["matrix"], self.pt_rng)
        return sp.recovered(sp.basis_pursuit(A, A @ x0), x0)

    def frames(self) -> Iterator[Frame]:
        p = self.p
        g = p["pt_grid"]
        wins = np.zeros(g * g)
        runs = np.zeros(g * g, dtype=int)
        todo = [(c, t) for c in range(g * g) for t in range(p["trials"])]
        w = np.zeros(p["n"])
        path = sp.LassoPath(self.A, self.b, PATH_LAM_MIN)
        ista = History(capacity=2048)
        step = 0
        ista.append(0, sp.lasso_objective(self.A, self.b, w, p["lam"]))
        while True:
            yield self._frame(step, wins, runs, w, ista, path)
            for _ in range(self.steps_per_frame):
                step += 1
                for _ in range(PATH_PER_FRAME):
                    path.step()
                for _ in range(LPS_PER_FRAME):
                    if todo:
                        cell, _trial = todo.pop(0)
                        wins[cell] += self._phase_trial(cell)
                        runs[cell] += 1
                if p["solver"] == "ISTA":
                    for _ in range(ISTA_PER_FRAME):
                        w = sp.ista_step(self.A, self.b, w, self.p["lam"], self.ista_step_size)
                    ista.append(ISTA_PER_FRAME * step,
                                sp.lasso_objective(self.A, self.b, w, self.p["lam"]))

    def _frame(self, step: int, wins: np.ndarray, runs: np.ndarray, w: np.ndarray,
               ista: History, path: sp.LassoPath) -> Frame:
        p = self.p
        g = p["pt_grid"]
        u = grow_fraction(step)
        sets = np.full((4, 257, 2), np.nan)
        sets[0] = self.line
        sets[1] = sp.lp_sphere(u * sp.lp_norm(self.x_l1, 1.0), 1.0)
        sets[2] = sp.lp_sphere(u * sp.lp_norm(self.x_l2, 2.0), 2.0)
        sets[3] = sp.lp_sphere(u * sp.lp_norm(self.x_lp, p["p"]), p["p"])
        with np.errstate(invalid="ignore", divide="ignore"):
            success = np.where(runs > 0, wins / np.maximum(runs, 1), np.nan).reshape(g, g)
        x_hat = self.x_bp if self.x_bp is not None else w
        tie = abs(abs(p["a1"]) - abs(p["a2"])) < 1e-12
        h = 0.5 * (self.deltas[1] - self.deltas[0]) if g > 1 else 0.05
        hr = 0.5 * (self.rhos[1] - self.rhos[0]) if g > 1 else 0.05

        def text(x: np.ndarray) -> str:
            return f"({x[0]:.4g}, {x[1]:.4g})"

        return {
            "step": step,
            "t": float(step),
            "x_l1": self.x_l1.copy(),
            "x_l2": self.x_l2.copy(),
            "x_lp": self.x_lp.copy(),
            "norm_map": self.norm_map,
            "extent": np.array(self.extent),
            "sets": sets,
            "set_names": np.array(["a·x = b", "ℓ1 sphere", "ℓ2 sphere", f"ℓ{p['p']:g} sphere"]),
            # a NaN first marker, so each minimiser takes the colour of its level set
            "minimisers": np.array([[np.nan, np.nan], self.x_l1, self.x_l2, self.x_lp]),
            "index": np.arange(p["n"], dtype=float),
            "x0": self.x0,
            "x_hat": x_hat,
            "x_min_l2": self.x_l2_hd,
            "success": success,
            "phase_extent": np.array([self.deltas[0] - h, self.deltas[-1] + h,
                                      self.rhos[0] - hr, self.rhos[-1] + hr]),
            "bound": self.bound,
            "bound_name": np.array(["m = 2k ln(n/k)"]),
            "ista_step": ista.x,
            "objective": ista.values,
            "l1_point": text(self.x_l1),
            "l2_point": text(self.x_l2),
            "l1_unique": ("no: |a₁| = |a₂|, the whole segment between the axis points"
                          if tie else "yes"),
            "err_l1": float(np.abs(x_hat - self.x0).max()),
            "err_l2": float(np.abs(self.x_l2_hd - self.x0).max()),
            "nnz": f"{int((np.abs(x_hat) > 1e-6).sum())} / "
                   f"{int((np.abs(self.x_l2_hd) > 1e-6).sum())} (k = {p['k']})",
            "cells": f"{int((runs >= p['trials']).sum())} / {g * g}",
            "path_lambda": np.array(path.lambdas),
            "path_coef": np.array(path.coefs).T,
            "path_classes": (self.x0 == 0).astype(int),
            "lam": p["lam"],
            "path_text": f"{len(path.lambdas) - 1} breakpoints, {len(path.active)} active"
                         + (f", done at λ = {path.lam:.3g}" if path.done else " …"),
        }

    @classmethod
    def hidden_views(cls, p: Mapping[str, Any]) -> frozenset[str]:
        return frozenset() if p["solver"] == "ISTA" else frozenset({"ista"})

