"""§3.2.3: logistic regression relaxed to a linear programme — the log-loss replaced by the
upper envelope of K tangent lines, solved by an LP that approaches the exact fit as K grows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from .. import backend
from .. import classifiers as cl
from ..experiment import Experiment, Frame
from ..params import Float, Int, Seed
from ..registry import register
from ..views import Curves, DecisionBoundary, Readout, Series

GRID = 100
Z = np.linspace(-6.0, 6.0, 241)  # margins where the envelope is drawn


def log_loss(z: np.ndarray) -> np.ndarray:
    """ℓ(z) = ln(1 + e^(−z)), the loss of a point with margin z = y·φᵀω (y = ±1)."""
    return np.logaddexp(0.0, -z)


def tangents(k: int, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """Slopes a and intercepts c of the tangents of ℓ at k points spread over [−reach, reach]
    (at 0 for k = 1): ℓ(z) ≥ a_j z + c_j for every z (ℓ is convex)."""
    z0 = np.array([0.0]) if k == 1 else np.linspace(-reach, reach, k)
    a = -cl.sigmoid(-z0)  # ℓ'(z) = −σ(−z)
    return a, log_loss(z0) - a * z0


def envelope(z: np.ndarray, a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """max(0, max_j a_j z + c_j): the piecewise-linear lower bound of ℓ used by the LP."""
    return np.maximum(0.0, (np.outer(z, a) + c).max(axis=1))


def solve_lp(phi: np.ndarray, s: np.ndarray, a: np.ndarray, c: np.ndarray,
             box: float) -> tuple[np.ndarray, float]:
    """min (1/N) Σ t_i s.t. t_i ≥ a_j s_i φ_iᵀω + c_j, t_i ≥ 0, |ω_j| ≤ box (HiGHS)."""
    import scipy.sparse as sps
    from scipy.optimize import linprog

    n, d = phi.shape
    k = len(a)
    zrows = s[:, None] * phi  # z_i = zrows_i · ω
    # a_j z_i + c_j − t_i ≤ 0 for every (i, j): d dense columns, one −1 per row for t_i
    dense = sps.csr_matrix((a[None, :, None] * zrows[:, None, :]).reshape(n * k, d))
    slack = sps.csr_matrix((-np.ones(n * k), (np.arange(n * k), np.repeat(np.arange(n), k))),
                           shape=(n * k, n))
    A = sps.hstack([dense, slack], format="csr")
    res = linprog(np.concatenate([np.zeros(d), np.full(n, 1.0 / n)]), A_ub=A,
                  b_ub=-np.tile(c, n), bounds=[(-box, box)] * d + [(0, None)] * n,
                  method="highs")
    if res.status != 0:
        raise ValueError(f"LP failed: {res.message}")
    return res.x[:d], float(res.fun)


@register
class LPRelaxationLogReg(Experiment):
    id = "ch3.lp-relaxation-logreg"
    title = "Logistic regression as a linear programme"
    section = "3.2.3"
    family = "decision boundary (convex optimisation)"
    summary = ("Replace the log-loss by the envelope of K tangent lines and logistic "
               "regression becomes an LP; as K grows the LP's fit approaches the exact one.")
    explanation = (
        "Logistic regression minimises the mean of ℓ(z_i) = ln(1 + e^(−z_i)) over the margins "
        "z_i = y_i φ(x_i)ᵀω (y = ±1). ℓ is convex, so every tangent line lies below it and "
        "so does their upper envelope — a piecewise-linear function. With a slack t_i per "
        "point, t_i ≥ each tangent at z_i and t_i ≥ 0, minimising Σ t_i is a linear "
        "programme in (ω, t). Play adds tangents one at a time (spread over the margins "
        "[−R, R]): the envelope hugs the log-loss, the LP's boundary (the map) moves onto "
        "the exact logistic-regression boundary (dashed), and the LP optimum, a lower bound "
        "on the optimal log-loss, rises towards it. A box |ω_j| ≤ B keeps the LP bounded "
        "when the data are separable."
    )
    equations = (
        r"$\min_\omega \frac{1}{N}\sum_i \ln(1 + e^{-y_i\phi_i^T\omega})\ \geq\ "
        r"\min_{\omega, t} \frac{1}{N}\sum_i t_i$",
        r"$t_i \geq a_k\,y_i\phi_i^T\omega + b_k,\quad t_i \geq 0,\quad |\omega_j| \leq B$",
        r"$a_k = \ell'(z_k) = -\sigma(-z_k),\quad b_k = \ell(z_k) - a_k z_k$",
    )
    book_notes = (
        "§3.2.3 writes the relaxation with a_k(y_i), b_k(y_i) per label; with y = ±1 the "
        "same tangents serve both labels through the margin z = yφᵀω. The book gives no "
        "example; the box |ω_j| ≤ B (and t ≥ 0) are added so that the LP is bounded.",
    )
    params = (
        Int("k_max", 16, 2, 64, label="tangents K (final)"),
        Float("reach", 4.0, 0.5, 10.0, label="tangent range R",
              help="Tangent points spread over margins [−R, R]."),
        Float("box", 10.0, 0.5, 100.0, label="box B"),
        Int("n", 60, 10, 300, label="points"),
        Float("spread", 1.0, 0.2, 3.0, label="class spread"),
        Seed(help="Seed of the data."),
    )
    views = (
        DecisionBoundary("map", "LP fit (map) and exact LR (dashed)", probability="prob",
                         extent="extent", points="points", labels="labels",
                         hyperplanes="lr_line", message="message"),
        Curves("envelope", "Log-loss and its tangent envelope",
               series=(Series("loss_curve", x="z", label="ln(1 + e⁻ᶻ)"),
                       Series("envelope", x="z", label="envelope of K tangents")),
               xlabel="margin z", ylabel="loss"),
        Curves("convergence", "LP vs exact as K grows",
               series=(Series("gap_w", x="ks", label="|ω_LP − ω_LR|"),
                       Series("gap_f", x="ks", label="L(ω_LR) − LP optimum")),
               logy=True, xlabel="tangents K", ylabel="gap"),
        Readout("numbers", "Numbers", area="bottom", lines=(
            ("step", "tangents K", "{:d}"),
            ("lp_value", "LP optimum", "{:.6g}"),
            ("lr_value", "optimal log-loss", "{:.6g}"),
            ("w_text", "ω_LP / ω_LR", "{}"),
        )),
    )
    frame_fields: ClassVar[dict[str, str]] = {
        "step": "K, the number of tangents", "t": "K as a float",
        "prob": f"({GRID}, {GRID}) σ(φᵀω_LP)", "extent": "(4,) the window",
        "points": "(n, 2) data", "labels": "(n,) 0/1", "lr_line": "(1, 3) the exact LR line",
        "message": "why the data cannot be fitted ('' when they can)",
        "z": f"({len(Z)},) margins", "loss_curve": f"({len(Z)},) ℓ(z)",
        "envelope": f"({len(Z)},) the envelope of the K tangents",
        "ks": "(K,) tangent counts so far", "gap_w": "(K,) |ω_LP − ω_LR|",
        "gap_f": "(K,) optimal log-loss minus the LP optimum (≥ 0)",
        "lp_value": "LP optimum", "lr_value": "optimal log-loss (Newton)",
        "w_text": "the two weight vectors",
    }
    history_fields = ("ks", "gap_w", "gap_f")
    default_steps_per_frame = 1
    max_steps_per_frame = 1

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        super().__init__(params, device=device)
        p = self.p
        self.x, self.y = cl.gaussian_blobs(p["n"] // 2, (-1.0, -1.0), (1.0, 1.0),
                                           p["spread"], backend.rng(p["seed"], 0))
        self.message = cl.degenerate(self.x, self.y) or ""
        self.phi = cl.polynomial_features(self.x, 1)
        self.s = 2.0 * self.y - 1.0
        self.extent = cl.data_extent(self.x, 0.7)
        self.grid = cl.polynomial_features(cl.grid_points(self.extent, GRID), 1)
        # the exact fit inside the same box (Newton; clipped runs only on separable data)
        w = cl.logistic_optimum(self.phi, self.y, 0.0)
        if not np.isfinite(w).all() or np.abs(w).max() > p["box"]:
            w = self._boxed_lr()
        self.w_lr = w
        self.lr_value = cl.logistic_loss(w, self.phi, self.y)

    def _boxed_lr(self) -> np.ndarray:
        """The log-loss minimiser over the box |ω_j| ≤ B (projected Newton-free: L-BFGS-B)."""
        from scipy.optimize import minimize

        B = self.p["box"]
        res = minimize(lambda w: cl.logistic_loss(w, self.phi, self.y), np.zeros(3),
                       jac=lambda w: cl.logistic_grad(w, self.phi, self.y),
                       bounds=[(-B, B)] * 3, method="L-BFGS-B",
                       options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 2000})
        return res.x

    def frames(self) -> Iterator[Frame]:
        ks, gw, gf = [], [], []
        for k in range(1, self.p["k_max"] + 1):
            a, c = tangents(k, self.p["reach"])
            w, value = solve_lp(self.phi, self.s, a, c, self.p["box"])
            ks.append(float(k))
            gw.append(float(np.linalg.norm(w - self.w_lr)))
            gf.append(max(self.lr_value - value, 1e-16))
            yield {
                "step": k, "t": float(k),
                "prob": cl.sigmoid(self.grid @ w).reshape(GRID, GRID),
                "extent": np.array(self.extent), "points": self.x,
                "labels": self.y.astype(int),
                "lr_line": np.array([[self.w_lr[1], self.w_lr[2], self.w_lr[0]]]),
                "message": self.message,
                "z": Z, "loss_curve": log_loss(Z), "envelope": envelope(Z, a, c),
                "ks": np.array(ks), "gap_w": np.maximum(np.array(gw), 1e-16),
                "gap_f": np.array(gf),
                "lp_value": value, "lr_value": self.lr_value,
                "w_text": (f"({w[0]:.3g}, {w[1]:.3g}, {w[2]:.3g}) / "
                           f"({self.w_lr[0]:.3g}, {self.w_lr[1]:.3g}, {self.w_lr[2]:.3g})"),
            }
