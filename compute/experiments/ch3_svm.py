"""§3.2.4, Example 3.2.2, Exercise 3.2.2: the soft-margin SVM solved through its dual, the
two-point example by hand, and the effect of C on the margin."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from .. import backend
from .. import classifiers as cl
from ..experiment import Experiment, Frame
from ..history import History
from ..params import Bool, Choice, Float, Int, Seed
from ..registry import register
from ..svm import SMO
from ..views import Curves, DecisionBoundary, Readout, Series

GRID = 100
DATASETS = ("two-points", "blobs")
KERNELS = ("linear", "rbf")
MARGIN_LEVELS = (1.0 / (1.0 + math.e), 1.0 / (1.0 + math.exp(-1.0)))  # σ(∓1): f = ∓1
LR_C = 1.0  # the overlaid logistic regression's inverse L2 strength (scikit-learn's default)
SWEEP = np.logspace(-3, 3, 25)  # the C values of the sweep panel
PAIRS_PER_FRAME = 1  # SMO pair updates per frame (the solver animates)
SWEEP_PAIRS = 300  # pair updates per frame spent on the sweep's current C
SWEEP_TOL = 1e-6


def two_point_solution(C: float) -> tuple[float, np.ndarray, float]:
    """Example 3.2.2 by hand: every y_i y_j x_iᵀx_j = 2, so λ₁ = λ₂ = λ and the dual is
    2λ − 4λ², maximal at λ = ¼ unless the box λ ≤ C binds. w = 2λ(1, 1), b = 0."""
    lam = min(0.25, C)
    return lam, 2.0 * lam * np.ones(2), 0.0


def rbf_kernel(a: np.ndarray, b: np.ndarray, gamma: float) -> np.ndarray:
    """k(a_i, b_j) = exp(−γ|a_i − b_j|²) for point sets a (m, 2), b (n, 2)."""
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.exp(-gamma * np.maximum(d2, 0.0))


@register
class SVMPrimalDual(Experiment):
    id = "ch3.svm-primal-dual"
    title = "Soft-margin SVM through its dual"
    section = "3.2.4"
    family = "decision boundary & training curves"
    summary = ("SMO climbs the SVM dual pair by pair: the margin lines settle, support "
               "vectors light up, the duality gap closes; C trades margin for slack.")
    explanation = (
        "The soft-margin SVM looks for the line wᵀx + b = 0 with the widest margin 2/|w| "
        "between the classes, paying C per unit of slack ξ_i for points inside the margin or "
        "on the wrong side. Its Lagrange dual has one multiplier λ_i per point, boxed in "
        "[0, C] and tied by Σ λ_i y_i = 0; the solution is w = Σ λ_i y_i x_i. The solver "
        "(SMO) moves two multipliers at a time along that constraint, always the pair that "
        "violates the optimality conditions most: watch the margin lines (dashed) settle and "
        "the support vectors (ringed, λ_i > 0) appear. The dual value rises and the primal "
        "value falls until they meet (strong duality). KKT: λ_i = 0 outside the margin, "
        "0 < λ_i < C on it, λ_i = C inside it. The sweep panel solves the problem for C "
        "from 10⁻³ to 10³: small C buys a wide margin with many support vectors. On the "
        "book's two points (1, 1) and (−1, −1) everything is known by hand: λ₁ = λ₂ = ¼, "
        "w = (½, ½), b = 0, margin 2√2 — unless C < ¼ caps λ. A thin segment joins each "
        "margin violator to its margin line: its length is ξ_i/|w|. The dash-dotted line is "
        "the boundary of logistic regression on the same points, for comparison. With the "
        "RBF kernel k(x, x′) = exp(−γ|x − x′|²) in place of xᵀx′ the boundary and the "
        "margins f = ±1 curve around the classes; w then lives in the kernel's feature space."
    )
    equations = (
        r"$\min_{w,b,\xi\geq 0}\ \frac{1}{2}\|w\|^2 + C\sum_i \xi_i\quad \mathrm{s.t.}\ \ "
        r"y_i(w^Tx_i + b) \geq 1 - \xi_i$",
        r"$\max_{0\leq\lambda_i\leq C}\ \sum_i \lambda_i - \frac{1}{2}\sum_{ij}"
        r"\lambda_i\lambda_j y_iy_j x_i^Tx_j\quad \mathrm{s.t.}\ \sum_i \lambda_i y_i = 0$",
        r"$w = \sum_i \lambda_i y_i x_i,\quad \mathrm{margin} = 2/\|w\|$",
        r"$f(x) = \sum_i \lambda_i y_i\, k(x_i, x) + b,\quad"
        r" k(x, x') = e^{-\gamma\|x - x'\|^2}\ \ (\mathrm{RBF})$",
        r"$\mathrm{two\ points}:\ D(\lambda) = 2\lambda - 4\lambda^2,\ \ \lambda^* = "
        r"\min(\frac{1}{4}, C),\ \ w = 2\lambda^*(1, 1)$",
    )
    book_notes = (
        "Exercise 3.2.2 asks for a notebook on a larger data set; the lab's is a pair of "
        "Gaussian blobs with adjustable overlap, solved by SMO (no scikit-learn).",
        "With the RBF kernel a slack segment runs from the point along its steepest "
        "ascent of y_i f to the margin curve f = y_i (for the linear kernel this is the foot "
        "on the margin line, at distance ξ_i/|w|); the margin read-out 2/|w| is measured in "
        "the kernel's feature space.",
        "The overlaid logistic regression is fitted on the raw coordinates with an L2 "
        "penalty of scikit-learn's default strength (C = 1), by Newton's method.",
    )
    params = (
        Choice("dataset", "blobs", DATASETS,
               help="The book's two points (1, 1) → +1, (−1, −1) → −1, or two Gaussian blobs."),
        Float("C", 1.0, 1e-3, 1e3, live=True, log=True, label="C",
              help="Price of slack; a change restarts the solver from λ = 0."),
        Int("n", 100, 10, 1000, label="points"),
        Float("overlap", 0.8, 0.1, 3.0, label="class spread",
              help="Standard deviation of each blob (centres at ±(1, 1))."),
        Choice("kernel", "linear", KERNELS,
               help="Linear xᵀx′ (the book's SVM) or RBF exp(−γ|x − x′|²)."),
        Float("gamma", 0.5, 0.01, 10.0, log=True, label="RBF γ",
              help="Inverse squared length scale of the RBF kernel (RBF only)."),
        Bool("show_lr", True, live=True, label="logistic regression overlay",
             help="Draw the boundary of logistic regression on the same data."),
        Seed(help="Seed of the blobs."),
    )
    views = (
        DecisionBoundary("svm", "Data, boundary and margins", probability="prob",
                         extent="extent", points="points", labels="labels",
                         highlight="support", levels=MARGIN_LEVELS,
                         segments="slack_segments", segments_label="slack ξ",
                         reference="prob_lr", reference_label="logistic regression",
                         message="message"),
        Curves("objectives", "Dual and primal objective",
               series=(Series("dual", x="iters", label="dual Σλ − ½|w|²"),
                       Series("primal", x="iters", label="primal ½|w|² + CΣξ")),
               xlabel="SMO pair updates", ylabel="objective"),
        Curves("sweep", "Margin and support vectors vs C",
               series=(Series("sweep_margin", x="sweep_C", label="margin 2/|w|"),
                       Series("sweep_sv", x="sweep_C", label="share of support vectors")),
               logx=True, logy=True, xlabel="C", ylabel="margin / share"),
        Curves("losses", "Hinge vs logistic loss",
               series=(Series("hinge", x="z", label="hinge max(0, 1 − z)"),
                       Series("logloss", x="z", label="log-loss ln(1 + e⁻ᶻ)")),
               xlabel="margin z = y(wᵀx + b)", ylabel="loss"),
        Readout("numbers", "Numbers", area="bottom", lines=(
            ("pairs", "pair updates", "{:d}"),
            ("w_text", "w, b", "{}"),
            ("margin", "margin 2/|w|", "{:.4g}"),
            ("n_sv", "support vectors", "{:d}"),
            ("duality_gap", "primal − dual", "{:.3g}"),
            ("exact_text", "two points by hand", "{}"),
        )),
    )
    frame_fields: ClassVar[dict[str, str]] = {
        "step": "frames shown", "t": "the same as a float",
        "pairs": "SMO pair updates since the last (re)start (a change of C restarts)",
        "prob": f"({GRID}, {GRID}) σ(wᵀx + b) over the window",
        "extent": "(4,) the window", "points": "(n, 2) the data", "labels": "(n,) 0/1",
        "support": "(n,) λ_i > 0",
        "margins": "(2, 3) the lines wᵀx + b = ±1 (linear kernel; no rows for RBF), drawn "
                   "as the map's levels σ(±1)",
        "slack_segments": "(k, 2, 2) from each margin violator (ξ_i > 0) to its margin",
        "prob_lr": f"({GRID}, {GRID}) logistic regression's P(y = 1 | x) (constant ½ when "
                   "the overlay is off)",
        "message": "why there is nothing to separate ('' otherwise)",
        "iters": "(m,) pair updates of the record", "dual": "(m,) dual objective",
        "primal": "(m,) primal objective at the current (w, b)",
        "sweep_C": "(s,) C values solved so far", "sweep_margin": "(s,) their margins",
        "sweep_sv": "(s,) their shares of support vectors",
        "z": "(200,) margins z", "hinge": "(200,) max(0, 1 − z)",
        "logloss": "(200,) ln(1 + e^(−z))",
        "w_text": "w and b (RBF: b only)",
        "margin": "2/|w| (NaN while w = 0; RBF: |w| in feature space)",
        "n_sv": "number of support vectors",
        "duality_gap": "primal − dual objective (→ 0)",
        "exact_text": "the closed form of Example 3.2.2 at this C (two-points data, linear "
                      "kernel)",
    }
    history_fields = ("iters", "dual", "primal")
    nonfinite_fields = frozenset({"margin"})
    default_steps_per_frame = 1
    max_steps_per_frame = 100

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        super().__init__(params, device=device)
        p = self.p
        if p["dataset"] == "two-points":
            self.x = np.array([[1.0, 1.0], [-1.0, -1.0]])
            self.y01 = np.array([1.0, 0.0])
        else:
            self.x, self.y01 = cl.gaussian_blobs(p["n"] // 2, (-1.0, -1.0), (1.0, 1.0),
                                                 p["overlap"], backend.rng(p["seed"], 0))
        self.ypm = 2.0 * self.y01 - 1.0
        self.message = "" if len(np.unique(self.y01)) == 2 else "only one class"
        self.extent = cl.data_extent(self.x, 1.0)
        self.grid = cl.grid_points(self.extent, GRID)
        self.grid_x, self.grid_y = self.grid[:GRID, 0], self.grid[::GRID, 1]
        self.rbf = p["kernel"] == "rbf"
        self.K = rbf_kernel(self.x, self.x, p["gamma"]) if self.rbf else self.x @ self.x.T
        self.flat = np.full((GRID, GRID), 0.5)  # a map without a boundary
        self.prob_lr = self._logistic_map() if not self.message else self.flat
        self._restart = False

    def _logistic_map(self) -> np.ndarray:
        """P(y = 1 | x) of L2-penalised logistic regression on (1, x₁, x₂), over the grid."""
        phi = np.column_stack([np.ones(len(self.x)), self.x])
        self.lr_weights = w = cl.logistic_optimum(phi, self.y01, 1.0 / (LR_C * len(self.x)))
        return cl.sigmoid(w[0] + self.grid @ w[1:]).reshape(GRID, GRID)

    def _solution_drawing(self, smo: SMO) -> tuple[np.ndarray, np.ndarray]:
        """The probability map and the slack segments of the current multipliers, computed
        again only after SMO has moved them (a solved problem costs nothing per frame)."""
        key = (id(smo), smo.iterations)
        if getattr(self, "_drawn_key", None) != key:
            prob = cl.sigmoid(self._decision_grid(smo)).reshape(GRID, GRID)
            self._drawing = (prob, self._slack_segments(smo))
            self._drawn_key = key
        return self._drawing

    def _decision_grid(self, smo: SMO) -> np.ndarray:
        """f(x) on the map's grid, (GRID·GRID,), row 0 at the bottom.

        RBF: the kernel factorises over the coordinates, exp(−γ|g − x_s|²) =
        exp(−γ(g₁ − x_s1)²)·exp(−γ(g₂ − x_s2)²), so on the product grid f is one matrix
        product E₂ diag(λy) E₁ᵀ over the support vectors s.
        """
        if not self.rbf:
            return self.grid @ smo.w + smo.b
        sv = smo.support()
        xs, gamma = self.x[sv], self.p["gamma"]
        e1 = np.exp(-gamma * (self.grid_x[:, None] - xs[None, :, 0]) ** 2)  # (GRID, s)
        e2 = np.exp(-gamma * (self.grid_y[:, None] - xs[None, :, 1]) ** 2)
        return ((e2 * (smo.lam[sv] * self.ypm[sv])) @ e1.T).ravel() + smo.b

    def _slack_segments(self, smo: SMO) -> np.ndarray:
        """(k, 2, 2) segments from each margin violator x_i to its margin f = y_i.

        Linear kernel: x_i + y_i ξ_i w/|w|², the foot on the margin line (length ξ_i/|w|).
        RBF: along the ray from x_i in the direction y_i∇f(x_i) to the first point where
        y_i f = 1 (sampled, then bisected); a violator whose ray leaves the window first
        gets no segment.
        """
        xi = smo.slacks()
        bad = xi > 1e-9
        if not bad.any():
            return np.empty((0, 2, 2))
        x, y = self.x[bad], self.ypm[bad]
        if not self.rbf:
            w = smo.w
            end = x + (y * xi[bad])[:, None] * w / max(float(w @ w), 1e-300)
            return np.stack([x, end], axis=1)
        sv = smo.support()
        xs, a, gamma = self.x[sv], smo.lam[sv] * self.ypm[sv], self.p["gamma"]

        def yf(pts: np.ndarray) -> np.ndarray:  # y_i f(p) for points (k, m, 2)
            k = rbf_kernel(pts.reshape(-1, 2), xs, gamma) @ a + smo.b
            return y[:, None] * k.reshape(pts.shape[:2])

        k = rbf_kernel(x, xs, gamma)
        grad = -2.0 * gamma * np.einsum("ks,ksd->kd", k * a, x[:, None, :] - xs[None])
        d = y[:, None] * grad
        d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-300)
        x0, x1, y0, y1 = self.extent
        ts = np.linspace(0.0, math.hypot(x1 - x0, y1 - y0), 65)
        vals = yf(x[:, None, :] + ts[None, :, None] * d[:, None, :])  # (k, 65)
        reached = vals >= 1.0
        ok = reached.any(axis=1)
        first = reached.argmax(axis=1)
        lo, hi = ts[np.maximum(first - 1, 0)], ts[first]
        for _ in range(24):  # bisection of y f(x + t d) = 1 on [lo, hi]
            mid = 0.5 * (lo + hi)
            above = yf(x[:, None, :] + mid[:, None, None] * d[:, None, :])[:, 0] >= 1.0
            hi, lo = np.where(above, mid, hi), np.where(above, lo, mid)
        end = x + hi[:, None] * d
        return np.stack([x, end], axis=1)[ok]

    def on_live_change(self, names: set[str]) -> None:
        if "C" in names:
            self._restart = True

    def _advance_sweep(self, sweep: list[SMO], sweep_m: list[float],
                       sweep_sv: list[float]) -> None:
        """A slice of the C sweep: SWEEP_PAIRS updates on the current C; a solved C is
        recorded and the next one starts from its multipliers (feasible, as C grows)."""
        if len(sweep_m) == len(SWEEP):
            return
        s = sweep[0]
        for _ in range(SWEEP_PAIRS):
            if s.gap() < SWEEP_TOL or not s.step():
                sweep_m.append(2.0 / max(math.sqrt(max(s.norm2(), 0.0)), 1e-300))
                sweep_sv.append(float(s.support().mean()))
                if len(sweep_m) < len(SWEEP):
                    sweep[0] = SMO(self.x, self.ypm, float(SWEEP[len(sweep_m)]),
                                   self.K).warm_start(s.lam)
                return

    def frames(self) -> Iterator[Frame]:
        sweep_m: list[float] = []
        sweep_sv: list[float] = []
        sweep = [SMO(self.x, self.ypm, float(SWEEP[0]), self.K)]
        frame_no = 0
        while True:
            smo = SMO(self.x, self.ypm, self.p["C"], self.K)
            record = History(shape=(2,), capacity=2048)
            record.append(0, (smo.dual_value(), smo.primal_value()))
            self._restart = False
            while not self._restart:
                self._advance_sweep(sweep, sweep_m, sweep_sv)
                yield self._frame(frame_no, smo, record, sweep_m, sweep_sv)
                frame_no += 1
                for _ in range(self.steps_per_frame * PAIRS_PER_FRAME):
                    if not smo.step():
                        break
                record.append(smo.iterations, (smo.dual_value(), smo.primal_value()))

    def _frame(self, frame_no: int, smo: SMO, record: History, sweep_m: list[float],
               sweep_sv: list[float]) -> Frame:
        w, b = smo.w, smo.b
        norm = math.sqrt(max(smo.norm2(), 0.0))
        prob, segments = self._solution_drawing(smo)
        z = np.linspace(-3.0, 3.0, 200)
        vals = record.values
        k = len(sweep_m)
        if self.p["dataset"] == "two-points" and not self.rbf:
            lam, we, be = two_point_solution(self.p["C"])
            exact = f"λ₁ = λ₂ = {lam:.4g}, w = ({we[0]:.4g}, {we[1]:.4g}), b = {be:g}"
        else:
            exact = "—"
        return {
            "step": frame_no, "t": float(frame_no), "pairs": smo.iterations,
            "prob": prob,
            "extent": np.array(self.extent), "points": self.x,
            "labels": self.y01.astype(int), "support": smo.support(),
            "margins": (np.empty((0, 3)) if self.rbf else
                        np.array([[w[0], w[1], b - 1.0], [w[0], w[1], b + 1.0]])),
            "slack_segments": segments,
            "prob_lr": self.prob_lr if self.p["show_lr"] else self.flat,
            "message": self.message,
            "iters": record.x, "dual": vals[:, 0].copy(), "primal": vals[:, 1].copy(),
            "sweep_C": SWEEP[:k].copy(), "sweep_margin": np.array(sweep_m),
            "sweep_sv": np.maximum(np.array(sweep_sv), 1e-3),
            "z": z, "hinge": np.maximum(0.0, 1.0 - z), "logloss": np.logaddexp(0.0, -z),
            "w_text": f"b = {b:.4g} (w in feature space)" if self.rbf else
                      f"({w[0]:.4g}, {w[1]:.4g}), {b:.4g}",
            "margin": 2.0 / norm if norm > 0 else math.nan,
            "n_sv": int(smo.support().sum()),
            "duality_gap": smo.primal_value() - smo.dual_value(),
            "exact_text": exact,
        }
