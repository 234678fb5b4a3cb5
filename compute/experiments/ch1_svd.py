"""§1.2.1–1.2.4: the SVD by hand through XᵀX (Exercise 1.2.1), low-rank matrix completion
(Exercise 1.2.2), and ED versus SVD of a covariance with its Gaussian geometry
(Exercise 1.2.3)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .. import backend
from .. import linalg2d as la
from ..decompositions import hard_impute_step, initial_fill, svd_via_eig
from ..experiment import Experiment, Frame
from ..history import History
from ..params import Bool, Choice, Float, Int, Matrix, ParamError, Seed, as_array
from ..registry import register
from ..views import Bars, Curves, LinearMap, Matrices, Readout, Series

BOOK_X = [[1, 0, 0, 0, 2], [0, 0, 3, 0, 0], [0, 0, 0, 0, 0], [0, 4, 0, 0, 0]]
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(i: int) -> str:
    return str(i).translate(SUB)


# -- Exercise 1.2.1 -------------------------------------------------------------------------
STEP_TITLES = (
    "the matrix X",
    "step 1: XᵀX",
    "step 1: eigenpairs (λ_i, v_i) of XᵀX",
    "steps 2–3: σ_i = √λ_i, V = [v₁ … v_n]",
    "step 4: u_i = X v_i / σ_i",
    "step 4: U completed to an orthonormal basis",
    "step 5: X = U S Vᵀ",
)


def random_matrix(m: int, n: int, rank_deficient: bool, rng: np.random.Generator) -> np.ndarray:
    """Integers in −3..3 (readable by hand); rank min(m, n) − 1 when ``rank_deficient``."""
    if not rank_deficient:
        return rng.integers(-3, 4, size=(m, n)).astype(float)
    r = max(min(m, n) - 1, 1)
    return (rng.integers(-2, 3, size=(m, r)) @ rng.integers(-2, 3, size=(r, n))).astype(float)


@register
class SVDByHand(Experiment):
    id = "ch1.svd-by-hand"
    title = "SVD by hand through XᵀX (Exercise 1.2.1)"
    section = "1.2.1"
    family = "matrix & spectrum"
    summary = ("XᵀX = VΛVᵀ, σ_i = √λ_i, u_i = Xv_i/σ_i, complete U: the SVD built one step "
               "per frame.")
    explanation = (
        "§1.2.1 computes the SVD from the eigen-decomposition of XᵀX: its eigenvectors are "
        "the right singular vectors and its eigenvalues the squared singular values. Play "
        "performs the summary of steps one per frame on Exercise 1.2.1's 4×5 matrix (or one "
        "you type, or a random one): form XᵀX, find its eigenpairs one at a time, take "
        "σ_i = √λ_i in descending order, compute u_i = Xv_i/σ_i column by column, complete U "
        "to an orthonormal basis where σ_i = 0, and check X = USVᵀ. The bars show all "
        "min(m, n) singular values (zeros included) against numpy.linalg.svd. The plane view "
        "shows the unit circle mapped to the ellipse with semi-axes σ₁, σ₂: X itself when it "
        "is 2×2, otherwise X restricted to span{v₁, v₂} → span{u₁, u₂}. Edit an entry and "
        "the steps start again; zero a row to watch the rank drop."
    )
    equations = (
        r"$X^T X = V\,\mathrm{diag}(\sigma_1^2, \ldots, \sigma_n^2)\,V^T,\quad"
        r" \sigma_i = \sqrt{\lambda_i(X^T X)}$",
        r"$u_i = \frac{1}{\sigma_i} X v_i\ (\sigma_i \neq 0),\quad X = U S V^T,\quad"
        r" \sum_i \sigma_i^2 = \|X\|_F^2$",
    )
    book_notes = (
        "§1.2.1 says the columns of U span the row space of X and those of V its column "
        "space; it is the other way round: the u_i of nonzero σ_i span the column space of "
        "X, the v_i its row space. The lab's read-out checks the correct statement.",
        "\"Complete U to an orthonormal basis of R^m\": with X ∈ R^(n×d) as in §1.2.1, U is "
        "n × n, so the basis is of R^n (the number of rows). The lab completes U to the "
        "number of rows of X by Gram–Schmidt.",
        "Eigenvectors are defined up to sign (and within repeated eigenvalues up to a "
        "rotation); the lab makes each v_i's largest entry positive, so its U and V may "
        "differ from numpy's by these signs, with the same product USVᵀ.",
    )
    params = (
        Choice("source", "matrix", ("matrix", "random"), live=True,
               help="matrix: the editable X (the book's by default); random: an m × n "
                    "integer matrix from the seed."),
        Matrix("X", BOOK_X, -10.0, 10.0, max_shape=(8, 8), live=True, label="X",
               help="Exercise 1.2.1's 4×5 matrix; add or remove rows and columns (up to 8)."),
        Int("m", 4, 2, 8, live=True, label="random rows m"),
        Int("n", 5, 2, 8, live=True, label="random columns n"),
        Bool("rank_deficient", False, live=True, label="random: rank min(m, n) − 1"),
        Int("frames_per_step", 8, 1, 60, live=True, label="frames per step",
            help="How long each step stays on screen while playing."),
        Seed(),
    )
    views = (
        Matrices("steps", "The computation", area="left", matrices=(
            "X", "XtX", "V_shown", "S_shown", "U_shown", "USVt"),
            titles=("X", "XᵀX", "V", "S", "U", "U S Vᵀ"), value_format="{:.3g}"),
        Bars("sigma", "Singular values σ_i (all min(m, n))", values="sigma_shown",
             labels="sigma_labels", reference="sigma_numpy",
             reference_label="numpy.linalg.svd", ylabel="σ"),
        LinearMap("ellipse", "Unit circle → ellipse (σ₁, σ₂)", matrix="plane_map",
                  grid=False, det_area=False, eigen=False, basis=False),
        Readout("checks", "Step and checks", area="bottom", lines=(
            ("step_name", "step", "{}"),
            ("rank", "rank (nonzero σ)", "{:d}"),
            ("residual", "‖X − U S Vᵀ‖_F", "{:.3g}"),
            ("frobenius_gap", "Σσ² − ‖X‖²_F", "{:.3g}"),
            ("orthogonality", "‖UᵀU − I‖, ‖VᵀV − I‖", "{}"),
            ("subspaces", "column space = span u, row space = span v", "{}"),
        )),
    )
    frame_fields = {
        "X": "(m, n) the matrix",
        "XtX": "(n, n) XᵀX (NaN before step 1)",
        "V_shown": "(n, n) eigenvectors found so far (NaN columns not yet)",
        "S_shown": "(m, n) S once σ is known (NaN before)",
        "U_shown": "(m, m) columns u_i computed so far (NaN not yet)",
        "USVt": "(m, n) the reconstruction (NaN before step 5)",
        "eigenvalues": "(n,) eigenvalues of XᵀX, descending",
        "singular_values": "(min(m, n),) all singular values, descending, zeros included",
        "sigma_shown": "(min(m, n),) the singular values revealed so far (NaN not yet)",
        "sigma_numpy": "(min(m, n),) numpy.linalg.svd's singular values",
        "sigma_labels": "(min(m, n),) σ₁ … labels",
        "U": "(m, m) the completed U", "V": "(n, n) V",
        "plane_map": "(2, 2) X if 2×2, else diag(σ₁, σ₂) (X on span{v₁, v₂}); I before σ",
        "step": "frames", "stage": "index of the step shown (0 … 6)",
        "step_name": "what the step does",
        "rank": "number of nonzero singular values",
        "residual": "‖X − USVᵀ‖_F",
        "frobenius_gap": "Σσ_i² − ‖X‖_F²",
        "orthogonality": "text: max |UᵀU − I| and max |VᵀV − I|",
        "subspaces": "text: ‖X − U_rU_rᵀX‖ and ‖X − XV_rV_rᵀ‖",
    }
    nonfinite_fields = frozenset({"XtX", "V_shown", "S_shown", "U_shown", "USVt",
                                  "sigma_shown"})
    default_steps_per_frame = 1
    max_steps_per_frame = 50

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self._restart = True

    def on_live_change(self, names: set[str]) -> None:
        if names - {"frames_per_step"}:
            self._restart = True

    def matrix(self) -> np.ndarray:
        p = self.p
        if p["source"] == "random":
            return random_matrix(p["m"], p["n"], p["rank_deficient"], backend.rng(p["seed"], 1))
        return as_array(p["X"])

    def schedule(self, steps) -> list[tuple[int, int]]:
        """(stage, how many items of it are shown) for every frame of the computation."""
        n = steps.X.shape[1]
        plan = [(0, 0), (1, 0)]
        plan += [(2, j + 1) for j in range(n)]  # one eigenpair per frame
        plan += [(3, 0)]
        plan += [(4, j + 1) for j in range(max(steps.rank, 1))]  # one u_i per frame
        plan += [(5, 0), (6, 0)]
        return plan

    def frames(self) -> Iterator[Frame]:
        step = 0
        while True:
            if self._restart:
                self._restart = False
                steps = svd_via_eig(self.matrix())
                plan = self.schedule(steps)
                numpy_sigma = np.linalg.svd(steps.X, compute_uv=False)
                index = 0
                hold = 0
            yield self._frame(step, steps, plan[index], numpy_sigma)
            for _ in range(self.steps_per_frame):
                step += 1
                hold += 1
                if hold >= self.p["frames_per_step"]:
                    hold = 0
                    index = min(index + 1, len(plan) - 1)  # the last step holds

    def _frame(self, step: int, s, where: tuple[int, int], numpy_sigma) -> Frame:
        stage, items = where
        X = s.X
        m, n = X.shape
        k = min(m, n)
        nan = np.nan
        XtX = s.XtX if stage >= 1 else np.full((n, n), nan)
        V_shown = np.full((n, n), nan)
        if stage == 2:
            V_shown[:, :items] = s.V[:, :items]
        elif stage >= 3:
            V_shown = s.V
        S_shown = s.S if stage >= 3 else np.full((m, n), nan)
        U_shown = np.full((m, m), nan)
        if stage == 4:
            U_shown[:, :min(items, s.rank)] = s.U[:, :min(items, s.rank)]
        elif stage >= 5:
            U_shown = s.U
        USVt = s.reconstruction if stage >= 6 else np.full((m, n), nan)
        sigma_shown = np.full(k, nan)
        if stage == 2:
            sigma_shown[: min(items, k)] = s.sigma[: min(items, k)]
        elif stage >= 3:
            sigma_shown = s.singular_values
        if X.shape == (2, 2):
            plane = X
        elif stage >= 3:
            plane = np.diag([s.sigma[0], s.sigma[1] if len(s.sigma) > 1 else 0.0])
        else:
            plane = np.eye(2)
        r = s.rank
        Ur, Vr = s.U[:, :r], s.V[:, :r]
        col_gap = float(np.linalg.norm(X - Ur @ Ur.T @ X))
        row_gap = float(np.linalg.norm(X - X @ Vr @ Vr.T))
        title = STEP_TITLES[stage]
        if stage == 2:
            title += f" — {items} of {n}"
        elif stage == 4:
            title += f" — {min(items, r)} of {r}"
        return {
            "step": step,
            "t": float(step),
            "X": X,
            "XtX": XtX,
            "V_shown": V_shown,
            "S_shown": S_shown,
            "U_shown": U_shown,
            "USVt": USVt,
            "eigenvalues": s.eigenvalues,
            "singular_values": s.singular_values,
            "sigma_shown": sigma_shown,
            "sigma_numpy": numpy_sigma,
            "sigma_labels": np.array([f"σ{sub(i + 1)}" for i in range(k)]),
            "U": s.U,
            "V": s.V,
            "plane_map": plane,
            "stage": stage,
            "step_name": title,
            "rank": r,
            "residual": float(np.linalg.norm(X - s.reconstruction)),
            "frobenius_gap": float(np.sum(s.singular_values**2) - np.sum(X**2)),
            "orthogonality": f"{np.abs(s.U.T @ s.U - np.eye(m)).max():.2g}, "
                             f"{np.abs(s.V.T @ s.V - np.eye(n)).max():.2g}",
            "subspaces": f"‖X − U_rU_rᵀX‖ = {col_gap:.2g}, ‖X − XV_rV_rᵀ‖ = {row_gap:.2g}",
        }


# -- Exercise 1.2.2 -------------------------------------------------------------------------
BOOK_R = [[5, None, 3, 1], [4, 2, None, None], [None, 5, 4, None], [1, None, 2, 3]]
INITS = ("zeros", "column-means", "row-means")


def low_rank_problem(m: int, n: int, rank: int, fraction: float, noise: float,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(truth, R with NaN gaps, observed mask): a random rank-r matrix, observed at random."""
    truth = rng.normal(size=(m, rank)) @ rng.normal(size=(rank, n))
    observed = rng.random((m, n)) < fraction
    R = np.where(observed, truth + noise * rng.normal(size=(m, n)), np.nan)
    return truth, R, observed


@register
class MatrixCompletion(Experiment):
    id = "ch1.matrix-completion"
    title = "Low-rank matrix completion by iterated SVD (Exercise 1.2.2)"
    section = "1.2.1"
    family = "matrix & spectrum"
    summary = ("Fill the gaps from the estimate, truncate to rank k, repeat: hard impute on a "
               "ratings matrix.")
    explanation = (
        "Exercise 1.2.2 describes completing a partially observed ratings matrix R by a "
        "rank-k matrix: alternately fill the unobserved entries with the current estimate "
        "and truncate the result to rank k with the SVD (Eckart–Young). One iteration per "
        "frame. The observed-entry error can only decrease. When the rank-k model has at "
        "least as many degrees of freedom k(m + n − k) as there are observed entries, it "
        "fits them exactly and the fill is not unique: change the initial fill and watch the "
        "completed entries change while the observed ones stay. On random low-rank data "
        "(with an observation fraction) the read-out compares the fill with the hidden "
        "truth: recovery works with enough observations and breaks down as they become few."
    )
    equations = (
        r"$\min_{\mathrm{rank}\,X \leq k}\ \|P_\Omega(X - R)\|_F^2$",
        r"$X_{t+1} = P_k\left(P_\Omega(R) + P_{\Omega^\perp}(X_t)\right),\quad"
        r" P_k(Z) = U_k S_k V_k^T$",
        r"$\mathrm{dof} = k(m + n - k)\quad\mathrm{vs}\quad |\Omega|$",
    )
    book_notes = (
        "The book calls the exercise theoretical (\"no code implementation is required\"); "
        "the lab runs the alternating procedure it describes (hard impute).",
    )
    params = (
        Choice("data", "book", ("book", "random"),
               help="book: the 4×4 ratings R with its '?' entries (editable); random: a rank-r "
                    "matrix observed at random."),
        Matrix("R", BOOK_R, 0.0, 10.0, missing=True, max_shape=(8, 8), label="ratings R",
               help="Type ? for an unobserved entry."),
        Int("max_iter", 500, 1, 2000, live=True, label="iterations"),
        Float("tol", 1e-12, 1e-15, 1e-3, live=True, log=True, label="tolerance",
              help="Stop when the change ‖Xₜ₊₁ − X_t‖_F falls below it."),
        Int("k", 1, 1, 8, live=True, label="rank k",
            help="The rank of the completion (at most min(m, n))."),
        Choice("init", "zeros", INITS, live=True, label="initial fill"),
        Int("m", 8, 3, 8, label="random rows m"),
        Int("n", 8, 3, 8, label="random columns n"),
        Int("true_rank", 2, 1, 4, label="random rank r"),
        Float("fraction", 0.6, 0.2, 0.9, label="observed fraction"),
        Float("noise", 0.0, 0.0, 1.0, label="observation noise"),
        Seed(),
    )
    views = (
        Matrices("matrices", "Observed R and the completion X", area="left",
                 matrices=("R_shown", "X", "truth_shown"), titles_field="matrix_titles",
                 boxes="observed_boxes", value_format="{:.2f}"),
        Curves("errors", "Fit per iteration", series=(
            Series("rmse_observed", x="iterations", label="RMSE on observed entries"),
            Series("change", x="iterations", label="‖Xₜ₊₁ − X_t‖_F"),
            Series("rmse_missing", x="iterations", label="RMSE on the gaps (vs truth)"),),
            logy=True, xlabel="iteration", ylabel="error"),
        Bars("spectrum", "Singular values of X", values="sigma", labels="sigma_labels",
             ylabel="σ"),
        Readout("numbers", "Completion", area="bottom", lines=(
            ("iteration", "iteration", "{:d}"),
            ("rmse_now", "RMSE on observed", "{:.3g}"),
            ("rank_now", "rank of X", "{:d}"),
            ("dof", "dof k(m+n−k)", "{:d}"),
            ("n_observed", "observed |Ω|", "{:d}"),
            ("status", "status", "{}"),
        )),
    )
    frame_fields = {
        "R_shown": "(m, n) the observed matrix (NaN in the gaps)",
        "X": "(m, n) the current completion",
        "truth_shown": "(m, n) the hidden truth (random data; 0×0 for the book's R)",
        "matrix_titles": "(3,) titles",
        "observed_boxes": "(|Ω|, 5) the observed cells outlined in the completion",
        "iterations": "(t,) iteration numbers",
        "rmse_observed": "(t,) RMSE on the observed entries (floored at 1e-16)",
        "change": "(t,) ‖Xₜ₊₁ − X_t‖_F (floored at 1e-16)",
        "rmse_missing": "(t,) RMSE on the unobserved entries against the truth (NaN for the "
                        "book's R)",
        "sigma": "(min(m, n),) singular values of X",
        "sigma_labels": "(min(m, n),) labels",
        "iteration": "iterations done", "rmse_now": "RMSE on observed now",
        "rank_now": "numerical rank of X", "dof": "k(m + n − k)",
        "n_observed": "number of observed entries",
        "status": "running / converged / stopped at max_iter",
    }
    history_fields = ("iterations", "rmse_observed", "change", "rmse_missing")
    nonfinite_fields = frozenset({"R_shown", "rmse_missing"})
    default_steps_per_frame = 1
    max_steps_per_frame = 200

    @classmethod
    def shape(cls, p: Mapping[str, Any]) -> tuple[int, int]:
        if p["data"] == "book":
            R = p["R"]
            return len(R), len(R[0])
        return p["m"], p["n"]

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        m, n = cls.shape(p)
        if p["k"] > min(m, n):
            raise ParamError("k", f"rank k = {p['k']} is above min(m, n) = {min(m, n)} of the "
                                  f"{m}×{n} matrix")
        if p["data"] == "book" and not np.isfinite(as_array(p["R"])).any():
            raise ParamError("R", "every entry is missing: observe at least one")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.p
        if p["data"] == "book":
            self.R = as_array(p["R"])
            self.truth = None
            self.observed = np.isfinite(self.R)
        else:
            self.truth, self.R, self.observed = low_rank_problem(
                p["m"], p["n"], p["true_rank"], p["fraction"], p["noise"],
                backend.rng(p["seed"], 1))
            if not self.observed.any():
                self.observed[0, 0] = True
                self.R[0, 0] = self.truth[0, 0]
        self._restart = True

    def on_live_change(self, names: set[str]) -> None:
        if names & {"k", "init"}:
            self._restart = True

    def frames(self) -> Iterator[Frame]:
        step = 0
        R0 = np.where(self.observed, self.R, 0.0)
        while True:
            if self._restart:
                self._restart = False
                X = initial_fill(self.R, self.observed, self.p["init"])
                t = 0
                record = History(shape=(3,), capacity=2048)
                status = "running"
                last_change = math.inf
            for _ in range(self.steps_per_frame):
                if status != "running" or self._restart:
                    break
                new = hard_impute_step(X, R0, self.observed, self.p["k"])
                last_change = float(np.linalg.norm(new - X))
                X = new
                t += 1
                record.append(t, [self._rmse(X), max(last_change, 1e-16), self._missing(X)])
                if last_change < self.p["tol"]:
                    status = f"converged after {t} iterations"
                elif t >= self.p["max_iter"]:
                    status = f"stopped at {t} iterations"
            step += self.steps_per_frame
            yield self._frame(step, X, t, record, status)

    def _rmse(self, X: np.ndarray) -> float:
        diff = (X - self.R)[self.observed]
        return max(float(np.sqrt(np.mean(diff**2))), 1e-16)

    def _missing(self, X: np.ndarray) -> float:
        gaps = ~self.observed
        if self.truth is None or not gaps.any():
            return math.nan
        return max(float(np.sqrt(np.mean((X - self.truth)[gaps] ** 2))), 1e-16)

    def _frame(self, step, X, t, record, status) -> Frame:
        p = self.p
        m, n = X.shape
        k = p["k"]
        sigma = np.linalg.svd(X, compute_uv=False)
        rank = int(np.sum(sigma > 1e-9 * max(sigma[0], 1e-300))) if sigma[0] > 0 else 0
        rows, cols = np.nonzero(self.observed)
        boxes = np.stack([np.ones_like(rows), rows, cols, np.ones_like(rows),
                          np.ones_like(rows)], axis=1).astype(float)
        values = record.values
        return {
            "step": step,
            "t": float(step),
            "R_shown": np.where(self.observed, self.R, np.nan),
            "X": X.copy(),
            "truth_shown": self.truth if self.truth is not None else np.zeros((0, 0)),
            "matrix_titles": np.array(["R (observed)", f"X (rank ≤ {k}), iteration {t}",
                                       "truth (hidden)"]),
            "observed_boxes": boxes,
            "iterations": record.x,
            "rmse_observed": values[:, 0] if len(values) else np.zeros(0),
            "change": values[:, 1] if len(values) else np.zeros(0),
            "rmse_missing": values[:, 2] if len(values) else np.zeros(0),
            "sigma": sigma,
            "sigma_labels": np.array([f"σ{sub(i + 1)}" for i in range(len(sigma))]),
            "iteration": t,
            "rmse_now": self._rmse(X),
            "rank_now": rank,
            "dof": k * (m + n - k),
            "n_observed": int(self.observed.sum()),
            "status": status,
        }


# -- Exercise 1.2.3 and the sidebar: covariance geometry --------------------------------------
SCORE_GRID = 9  # arrows per side of the score field


@register
class SVDvsEDCovariance(Experiment):
    id = "ch1.svd-vs-ed-spd"
    title = "ED versus SVD of a covariance; Gaussian geometry and score (Exercise 1.2.3)"
    section = "1.2.3"
    family = "matrix & spectrum"
    summary = ("Σ = VΛVᵀ, its SVD, data singular values √(nλ), whitening and the score "
               "−Σ⁻¹(x − μ).")
    explanation = (
        "For a symmetric positive-definite Σ the eigen-decomposition Σ = VΛVᵀ and the SVD "
        "coincide: the singular values of Σ are its eigenvalues. The book's \"S = √λ\" refers "
        "to a data matrix X with Σ = XᵀX/n, whose singular values are √(nλ_i). Samples of "
        "N(μ, Σ) arrive a few per frame; the unit circle maps to the 1σ ellipse under Σ^(1/2) "
        "with semi-axes √λ_i along the eigenvectors (the 2σ ellipse is drawn too), the "
        "dashed ellipse is the sample covariance's, and the bars compare λ_i, σ_i(Σ) and "
        "σ_i(X_c)²/n, which converge as n grows. Whitening W = Λ^(-1/2)Vᵀ turns the samples "
        "into identity covariance. The arrows are the Gaussian score −Σ⁻¹(x − μ): longest "
        "across the thin direction, the \"anisotropic denoising\" of the SVD sidebar."
    )
    equations = (
        r"$\Sigma = V\Lambda V^T,\quad \lambda_{\pm} = \frac{\mathrm{tr}\,\Sigma \pm"
        r" \sqrt{(\mathrm{tr}\,\Sigma)^2 - 4\det\Sigma}}{2}$",
        r"$\Sigma = \frac{1}{n}X^T X \Rightarrow \sigma_i(X) = \sqrt{n\lambda_i},\quad"
        r" \sigma_i(\Sigma) = \lambda_i$",
        r"$W = \Lambda^{-1/2} V^T:\ \mathrm{Cov}(Wx) = I,\quad"
        r" \nabla_x \log\mathcal{N}(x;\mu,\Sigma) = -\Sigma^{-1}(x - \mu)$",
    )
    book_notes = (
        "Exercise 1.2.3 writes the SVD of Σ as US²Uᵀ with S = √λ. The SVD of the SPD matrix "
        "Σ itself has singular values equal to its eigenvalues (S = Λ); √λ (times √n) are "
        "the singular values of a data matrix X with Σ = XᵀX/n. The bars show all three.",
    )
    params = (
        Float("s11", 4.0, 0.1, 10.0, live=True, label="Σ₁₁"),
        Float("s22", 3.0, 0.1, 10.0, live=True, label="Σ₂₂"),
        Float("s12", 2.0, -5.0, 5.0, live=True, label="Σ₁₂",
              help="Off-diagonal entry; Σ must stay positive definite (Σ₁₂² < Σ₁₁Σ₂₂)."),
        Float("mu_x", 0.0, -5.0, 5.0, live=True, label="μ₁"),
        Float("mu_y", 0.0, -5.0, 5.0, live=True, label="μ₂"),
        Int("n", 200, 10, 10_000, live=True, label="samples n",
            help="Samples drawn in all (a few per frame)."),
        Bool("show_score", True, live=True, label="show the score field"),
        Bool("whiten", False, live=True, label="show whitened samples Wx"),
        Seed(),
    )
    views = (
        LinearMap("geometry", "Samples, σ-ellipses, principal axes and score", area="left",
                  matrix="sqrt_sigma", points="samples", curves="ellipses",
                  curve_names="ellipse_names", vectors=("score_x", "score_y", "score_u",
                                                        "score_v"),
                  grid=False, det_area=False, basis=False, show_original=False),
        Bars("compare", "λ_i, σ_i(Σ) and σ_i(X_c)²/n", values="compare_values",
             labels="compare_labels", names="compare_names", ylabel="value"),
        Curves("convergence", "Sample eigenvalues as n grows", series=(
            Series("sample_eigs", x="sample_n", names="sample_names"),
            Series("exact_eigs", x="sample_n", names="exact_names"),),
            xlabel="samples n", ylabel="eigenvalue", logx=True),
        Readout("numbers", "Eigen and singular values", area="bottom", lines=(
            ("n_now", "samples", "{:d}"),
            ("eig_text", "λ (formula)", "{}"),
            ("svd_text", "σ(Σ) (SVD)", "{}"),
            ("data_sv_text", "σ(X_c)/√n (data)", "{}"),
            ("whitened_text", "Cov(Wx) (sample)", "{}"),
        )),
    )
    frame_fields = {
        "sqrt_sigma": "(2, 2) Σ^(1/2): maps the unit circle onto the 1σ ellipse",
        "samples": "(n, 2) samples so far (whitened when 'whiten' is on)",
        "ellipses": "(2, 201, 2) the 2σ ellipse and the sample covariance's 1σ ellipse",
        "ellipse_names": "(2,) labels",
        "score_x": "(81,) arrow x", "score_y": "(81,) arrow y",
        "score_u": "(81,) −(Σ⁻¹(x − μ))₁", "score_v": "(81,) −(Σ⁻¹(x − μ))₂",
        "compare_values": "(3, 2) λ_i; σ_i(Σ); σ_i(X_c)²/n",
        "compare_labels": "(2,) i = 1, 2", "compare_names": "(3,) series names",
        "sample_n": "(m,) sample sizes recorded", "sample_eigs": "(2, m) sample eigenvalues",
        "sample_names": "(2,) labels", "exact_eigs": "(2, m) λ₁, λ₂ (constant)",
        "exact_names": "(2,) labels",
        "eigenvalues": "(2,) λ₁ ≥ λ₂ of Σ", "eigenvectors": "(2, 2) V (columns)",
        "n_now": "samples drawn", "eig_text": "text", "svd_text": "text",
        "data_sv_text": "text", "whitened_text": "text",
    }
    history_fields = ("sample_n", "sample_eigs")
    nonfinite_fields = frozenset({"score_u", "score_v"})  # NaN: the field is switched off
    default_steps_per_frame = 4
    max_steps_per_frame = 2000

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        det = p["s11"] * p["s22"] - p["s12"] ** 2
        if det <= 1e-9 * p["s11"] * p["s22"]:
            raise ParamError("s12", f"Σ must be positive definite: Σ₁₂² = {p['s12'] ** 2:.4g} "
                                    f"must stay below Σ₁₁Σ₂₂ = {p['s11'] * p['s22']:.4g}")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self.rng = backend.rng(self.p["seed"], 1)
        self.z = np.zeros((0, 2))  # standard normal draws; samples are μ + Σ^{1/2} z
        self.on_live_change(set())

    def sigma(self) -> np.ndarray:
        p = self.p
        return np.array([[p["s11"], p["s12"]], [p["s12"], p["s22"]]])

    def on_live_change(self, names: set[str]) -> None:
        S = self.sigma()
        lam, V = np.linalg.eigh(S)
        order = np.argsort(lam)[::-1]
        self.lam, self.V = lam[order], V[:, order]
        self.root = la.spd_sqrt(S)
        if names & {"s11", "s22", "s12", "mu_x", "mu_y"}:
            self.record = History(shape=(2,), capacity=1024)  # a new law: a new record

    def frames(self) -> Iterator[Frame]:
        step = 0
        self.record = History(shape=(2,), capacity=1024)
        while True:
            target = self.p["n"]
            if len(self.z) > target:
                self.z = self.z[:target]
            add = min(self.steps_per_frame, target - len(self.z))
            if len(self.z) < 2:
                add = max(add, 2 - len(self.z))
            if add > 0:
                self.z = np.concatenate([self.z, self.rng.normal(size=(add, 2))])
            step += self.steps_per_frame
            yield self._frame(step)

    def _frame(self, step: int) -> Frame:
        p = self.p
        S = self.sigma()
        mu = np.array([p["mu_x"], p["mu_y"]])
        x = mu + self.z @ self.root.T
        n = len(x)
        Xc = x - x.mean(axis=0)
        sample_cov = Xc.T @ Xc / n
        s_lam = np.sort(np.linalg.eigvalsh(sample_cov))[::-1]
        self.record.append(n, s_lam)
        # singular values of the n × 2 data matrix from its 2 × 2 Gram matrix (an n × 2 SVD
        # per frame would wake BLAS threads for nothing)
        data_sv = np.sqrt(np.clip(np.linalg.eigvalsh(Xc.T @ Xc), 0.0, None))[::-1]
        sigma_svd = np.linalg.svd(S, compute_uv=False)
        W = np.diag(self.lam ** -0.5) @ self.V.T
        white = (x - mu) @ W.T
        white_cov = np.cov(white.T, bias=True)
        shown = white if p["whiten"] else x
        two = la.covariance_ellipse(S, 2.0, 200, mu)
        sample_ellipse = la.covariance_ellipse(sample_cov, 1.0, 200, x.mean(axis=0))
        half = 2.5 * math.sqrt(self.lam[0])
        g = np.linspace(-half, half, SCORE_GRID)
        gx, gy = np.meshgrid(g + mu[0], g + mu[1])
        pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
        score = -(pts - mu) @ np.linalg.inv(S).T
        if not p["show_score"]:
            score = np.full_like(score, np.nan)
        ns = self.record.x
        recorded = self.record.values
        return {
            "step": step,
            "t": float(step),
            "sqrt_sigma": self.root,
            "samples": shown,
            "ellipses": np.stack([two, sample_ellipse]),
            "ellipse_names": np.array(["2σ ellipse", "sample 1σ"]),
            "score_x": pts[:, 0], "score_y": pts[:, 1],
            "score_u": score[:, 0], "score_v": score[:, 1],
            "compare_values": np.stack([self.lam, sigma_svd, data_sv**2 / n]),
            "compare_labels": np.array(["i = 1", "i = 2"]),
            "compare_names": np.array(["λ_i (ED of Σ)", "σ_i(Σ) (SVD of Σ)",
                                       "σ_i(X_c)²/n (data)"]),
            "sample_n": ns,
            "sample_eigs": recorded.T.copy() if len(recorded) else np.zeros((2, 0)),
            "sample_names": np.array(["sample λ₁", "sample λ₂"]),
            "exact_eigs": np.repeat(self.lam[:, None], len(ns), axis=1),
            "exact_names": np.array(["λ₁", "λ₂"]),
            "eigenvalues": self.lam,
            "eigenvectors": self.V,
            "n_now": n,
            "eig_text": f"{self.lam[0]:.4g}, {self.lam[1]:.4g}",
            "svd_text": f"{sigma_svd[0]:.4g}, {sigma_svd[1]:.4g}",
            "data_sv_text": f"{data_sv[0] / math.sqrt(n):.4g}, {data_sv[1] / math.sqrt(n):.4g}"
                            f" (√λ: {math.sqrt(self.lam[0]):.4g}, {math.sqrt(self.lam[1]):.4g})",
            "whitened_text": f"[[{white_cov[0, 0]:.3f}, {white_cov[0, 1]:.3f}], "
                             f"[{white_cov[1, 0]:.3f}, {white_cov[1, 1]:.3f}]]",
        }
