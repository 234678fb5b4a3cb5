"""§2.3.2 (Exercise 2.3.2): the matrix exponential of a linear system ẋ = Ax, by its
eigen-decomposition, and why the singular value decomposition does not give it."""

from __future__ import annotations

import numpy as np
from scipy.linalg import expm

from ..experiment import Frame
from ..history import History
from ..ode import INTEGRATORS
from ..params import Choice, Float, Int, Matrix, ParamError, as_array
from ..phase_plane import (
    NONFINITE_PORTRAIT_FIELDS,
    PORTRAIT_FIELDS,
    Box,
    FixedPoint,
    PortraitExperiment,
    fixed_point,
    join_polylines,
)
from ..registry import register
from ..views import Curves, Matrices, PhasePlane, Readout, Series

BOOK_A = ((2.0, 1.0), (1.0, -1.0))


def ed_exponential(A: np.ndarray, t: float) -> np.ndarray:
    """exp(tA) = Q exp(tΛ) Q⁻¹ from the eigen-decomposition A = QΛQ⁻¹ (Q orthogonal and
    Q⁻¹ = Qᵀ for a symmetric A)."""
    if np.allclose(A, A.T):
        lam, Q = np.linalg.eigh(A)
        return (Q * np.exp(t * lam)) @ Q.T
    lam, Q = np.linalg.eig(A)
    return np.real((Q * np.exp(t * lam)) @ np.linalg.inv(Q))


def svd_exponential(A: np.ndarray, t: float) -> np.ndarray:
    """U exp(tS) Vᵀ from A = USVᵀ: what one gets by (wrongly) treating the SVD like an
    eigen-decomposition. It equals exp(tA) only when U = V (A symmetric positive
    semi-definite)."""
    U, S, Vt = np.linalg.svd(A)
    return (U * np.exp(t * S)) @ Vt


def eigenvalues_2x2(A: np.ndarray) -> np.ndarray:
    """λ = (tr A ± √((tr A)² − 4 det A))/2, the roots of the characteristic polynomial."""
    tr, det = float(np.trace(A)), float(np.linalg.det(A))
    root = np.sqrt(complex(tr * tr - 4 * det))
    return np.array([(tr + root) / 2, (tr - root) / 2])


def _axes(vectors: np.ndarray, length: float) -> np.ndarray:
    """Lines through the origin along the columns of ``vectors``."""
    return join_polylines([np.array([-length * v, length * v]) for v in vectors.T])


@register
class EdVsSvdExponential(PortraitExperiment):
    id = "ch2.ed-vs-svd-exponential"
    title = "Does the SVD simplify exp(tA)? Eigen-decomposition against SVD"
    section = "2.3.2"
    family = "matrix & spectrum"
    summary = ("exp(tA) = Q exp(tΛ) Q⁻¹ holds; U exp(tS) Vᵀ from the SVD does not, unless A is "
               "symmetric positive semi-definite (then U = V).")
    explanation = (
        "The solution of ẋ = Ax is x(t) = exp(tA)x₀. With the eigen-decomposition "
        "A = QΛQ⁻¹ the exponential is Q exp(tΛ) Q⁻¹: exponentiate the eigenvalues. The SVD "
        "A = USVᵀ looks similar, but U exp(tS) Vᵀ is not exp(tA): powers of A are not "
        "U Sᵏ Vᵀ unless U = V. For the book's symmetric but indefinite A = [[2, 1], [1, −1]] "
        "the singular values are |λ| and U differs from V by the sign of the column of the "
        "negative eigenvalue, so the SVD formula is wrong at every t (already UVᵀ ≠ I at "
        "t = 0) and the mismatch grows. Play runs t from 0 to T: the three matrices side by "
        "side, their distances from exp(tA) on a log axis, and the flow of "
        "ẋ = Ax, a saddle whose separatrices are the eigenvectors. For a symmetric A the "
        "singular directions (dashed) lie along the eigenvectors too: what breaks the SVD "
        "formula is the sign, U = V·diag(sign λ). Try the symmetric positive definite "
        "preset, where both agree, and a non-symmetric A, where the directions differ."
    )
    equations = (
        r"$\dot x = Ax,\qquad x(t) = e^{tA}x_0$",
        r"$A = Q\Lambda Q^{-1}\ \Rightarrow\ e^{tA} = Q\,e^{t\Lambda}\,Q^{-1}$",
        r"$A = USV^T:\quad U e^{tS} V^T \neq e^{tA}\ \mathrm{unless}\ U = V$",
        r"$\lambda_{1,2} = \frac{\mathrm{tr}A \pm \sqrt{(\mathrm{tr}A)^2 - 4\det A}}{2}$",
    )
    params = (
        Matrix("A", BOOK_A, -5.0, 5.0, live=True, label="matrix A"),
        Float("T", 3.0, 0.1, 5.0, live=True, label="horizon T", help="t runs from 0 to T."),
        Float("dt", 0.01, 1e-4, 0.2, live=True, log=True, label="dt",
              help="Time step of the trajectories and of t."),
        Choice("integrator", "rk4", INTEGRATORS, live=True,
               help="Integrator of the trajectories in the phase plane."),
        Int("n_starts", 8, 1, 24, live=True, label="starts",
            help="Trajectories started on a small circle around the origin."),
    )
    views = (
        Matrices("matrices", "exp(tA) by scipy, by ED (Q exp(tΛ) Q⁻¹) and by SVD (U exp(tS) Vᵀ)",
                 matrices=(
            "expm", "ed", "svd", "ed_error", "svd_error"),
            titles=("expm(tA)", "ED", "SVD", "ED − expm", "SVD − expm"),
            value_format="{:.3g}"),
        PhasePlane("phase", "Flow of ẋ = Ax: eigenvectors and singular directions",
                   xlabel="x₁", ylabel="x₂", manifolds=("stable_manifold", "unstable_manifold"),
                   guides="singular_lines", guides_label="singular directions u, v",
                   fixed_points="fixed_points", fixed_kinds="fixed_kinds",
                   fixed_info="fixed_info"),
        Curves("errors", "Distance from exp(tA) (log axis)",
               series=(Series("ed_err_hist", x="t_hist", label="Q exp(tΛ) Q⁻¹ (round-off)"),
                       Series("svd_err_hist", x="t_hist", label="U exp(tS) Vᵀ"),
                       Series("expm_norm_hist", x="t_hist", label="‖exp(tA)‖ itself")),
               xlabel="t", ylabel="‖M − exp(tA)‖", logy=True),
        Readout("readout", "Spectra", area="bottom", lines=(
            ("eig_text", "eigenvalues λ (characteristic polynomial)", "{}"),
            ("sv_text", "singular values σ", "{}"),
            ("uv_text", "U = V?", "{}"),
        )),
    )
    frame_fields = {
        **PORTRAIT_FIELDS,
        "expm": "(2, 2) exp(tA) by scipy", "ed": "(2, 2) Q exp(tΛ) Q⁻¹",
        "svd": "(2, 2) U exp(tS) Vᵀ", "ed_error": "(2, 2) ED − expm",
        "svd_error": "(2, 2) SVD − expm", "singular_lines": "(n, 2) lines along u₁, u₂, v₁, v₂",
        "t_hist": "(m,) times", "ed_err_hist": "(m,) ‖ED − expm‖ (spectral norms)",
        "svd_err_hist": "(m,) ‖SVD − expm‖", "expm_norm_hist": "(m,) ‖expm‖",
        "eig_text": "read-out", "sv_text": "read-out", "uv_text": "read-out",
    }
    history_fields = ("t_hist", "ed_err_hist", "svd_err_hist", "expm_norm_hist")
    nonfinite_fields = NONFINITE_PORTRAIT_FIELDS | {"singular_lines"}
    portrait_params = frozenset({"A", "T", "n_starts"})
    escape_is_blow_up = False  # a saddle's solutions grow: trajectories just leave
    default_steps_per_frame = 2

    @classmethod
    def check(cls, p) -> None:
        A = as_array(p["A"])
        _, Q = np.linalg.eig(A)
        if np.linalg.cond(Q) > 1e10:
            raise ParamError("A", "A is not diagonalisable (a Jordan block): it has no "
                                  "eigen-decomposition QΛQ⁻¹")

    def A(self) -> np.ndarray:
        return as_array(self.p["A"])

    def field(self):
        A = self.A()
        return lambda y: y @ A.T

    def box(self) -> Box:
        return (-1.5, 1.5, -1.5, 1.5)

    def starts(self) -> np.ndarray:
        k = self.p["n_starts"]
        ang = 2 * np.pi * (np.arange(k) + 0.5) / k
        return 0.3 * np.stack([np.cos(ang), np.sin(ang)], axis=1)

    def known_fixed_points(self) -> list[FixedPoint]:
        return [fixed_point(self.field(), (0.0, 0.0), self.A())]

    def on_restart_main(self) -> None:
        A = self.A()
        U, S, Vt = np.linalg.svd(A)
        self.singular_lines = _axes(np.concatenate([U, Vt.T], axis=1), 2.0)
        lam = eigenvalues_2x2(A)
        if abs(lam[0].imag) > 1e-12:
            self.eig_text = f"{lam[0].real:.4g} ± {abs(lam[0].imag):.4g}i"
        else:
            self.eig_text = ", ".join(f"{z.real:.4g}" for z in lam)
        self.sv_text = ", ".join(f"{s:.4g}" for s in S)
        same = np.allclose(U, Vt.T)
        self.uv_text = "yes: the SVD is an ED here" if same else \
            "no: U exp(tS) Vᵀ cannot be exp(tA)"
        self.hist = History(shape=(3,), capacity=4096)
        self._record()

    def _matrices(self) -> dict[str, np.ndarray]:
        A, t = self.A(), self.t
        E = expm(t * A)
        ed, svd = ed_exponential(A, t), svd_exponential(A, t)
        return {"expm": E, "ed": ed, "svd": svd, "ed_error": ed - E, "svd_error": svd - E}

    def _record(self) -> None:
        m = self._matrices()
        self.hist.append(self.t, (max(np.linalg.norm(m["ed_error"], 2), 1e-17),
                                  max(np.linalg.norm(m["svd_error"], 2), 1e-17),
                                  np.linalg.norm(m["expm"], 2)))
        self._latest = m

    def after_steps(self, n: int) -> None:
        if self.t <= self.p["T"] and (not len(self.hist) or self.t > self.hist.x[-1]):
            self._record()

    def make_frame(self) -> Frame:
        frame = self.portrait_frame()
        errs = self.hist.values
        frame.update(self._latest)
        frame.update({"singular_lines": self.singular_lines, "t_hist": self.hist.x,
                      "ed_err_hist": errs[:, 0], "svd_err_hist": errs[:, 1],
                      "expm_norm_hist": errs[:, 2],
                      "eig_text": self.eig_text, "sv_text": self.sv_text,
                      "uv_text": self.uv_text})
        return frame
