"""§2.3.2 (Exercise 2.3.2): the matrix exponential of a linear system ẋ = Ax, by its
eigen-decomposition, and why the singular value decomposition does not give it."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..experiment import Diverged, Experiment, Frame
from ..history import History
from ..ode import INTEGRATORS, STEPPERS, blow_up_reason
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
        from scipy.linalg import expm

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


NB_A = ((-1.0, 0.5, 0.0), (0.0, -0.5, 0.3), (0.0, 0.0, -0.2))
NB_B = ((1.0, 0.5, -0.5),)
BLOW_UP = 1e8  # |x| beyond this ends a run whose system grows


def forced_solution(A: np.ndarray, b: np.ndarray, x0: np.ndarray, t: float) -> np.ndarray:
    """x(t) of ẋ = Ax + b, exactly, for any A (singular or not): the top-right block of
    exp(t[[A, b], [0, 0]]) applied to (x₀, 1)."""
    from scipy.linalg import expm

    n = len(b)
    M = np.zeros((n + 1, n + 1))
    M[:n, :n], M[:n, n] = A, b
    E = expm(t * M)
    return E[:n, :n] @ x0 + E[:n, n]


def forced_solution_ed(A: np.ndarray, b: np.ndarray, x0: np.ndarray, t: float) -> np.ndarray:
    """The book's eigen-decomposition formula x(t) = e^{tA}x₀ + Q diag((e^{tλ} − 1)/λ) Q⁻¹b,
    the factor being t where λ = 0 (then the solution drifts linearly)."""
    lam, Q = np.linalg.eig(A)
    z = t * lam
    small = np.abs(z) < 1e-8
    factor = np.where(small, t * (1 + z / 2), np.expm1(z) / np.where(small, 1.0, lam))
    Qi = np.linalg.inv(Q)
    x = (Q * np.exp(z)) @ (Qi @ x0) + (Q * factor) @ (Qi @ b)
    return np.real(x)


def steady_state(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray | None, str]:
    """x* = −A⁻¹b when every eigenvalue has Re λ < 0, else None with the reason."""
    lam = np.linalg.eigvals(A)
    if np.min(np.abs(lam)) < 1e-12 * max(1.0, float(np.abs(A).max())):
        return None, "no steady state: A is singular (λ = 0), the solution drifts like t"
    if lam.real.max() >= 0:
        return None, (f"no steady state: A has an eigenvalue with Re λ = {lam.real.max():.3g} "
                      "≥ 0, the solution does not settle")
    xbar = -np.linalg.solve(A, b)
    return xbar, "x* = −A⁻¹b = (" + ", ".join(f"{v:.4g}" for v in xbar) + ")"


@register
class ForcedLinearR3(Experiment):
    id = "ch2.forced-linear-r3"
    title = "Forced linear system in R³: transient and steady state"
    section = "2.3.2"
    family = "phase portrait"
    summary = ("ẋ = Ax + b from x₀ = 0: the transient exp(tA) dies out and x settles at the "
               "steady state x* = −A⁻¹b (Fig 2.9); none when A is singular or unstable.")
    explanation = (
        "An inhomogeneous linear system ẋ = Ax + b has the solution "
        "x(t) = exp(tA)x₀ + A⁻¹(exp(tA) − I)b, or with A = QΛQ⁻¹, "
        "x(t) = exp(tA)x₀ + Q diag((exp(tλᵢ) − 1)/λᵢ) Q⁻¹b. When every eigenvalue has negative "
        "real part the transient dies out and x tends to the steady state x* = −A⁻¹b (dashed "
        "lines). The notebook's A has eigenvalues −1, −0.5, −0.2: at T = 20 the slowest mode "
        "exp(−0.2t) has not quite died out, and x₁ overshoots x*₁ because the coupling is "
        "non-normal. Edit A: a complex pair spirals into x*, an eigenvalue at 0 (singular A) "
        "leaves no steady state and the factor (exp(tλ) − 1)/λ becomes t, a linear drift; a "
        "positive eigenvalue makes x grow without bound. The error of the integrator against "
        "the closed form is shown on a log axis (O(dt) for Euler)."
    )
    equations = (
        r"$\dot x = Ax + b,\qquad x(t) = e^{tA}x_0 + A^{-1}(e^{tA} - I)\,b$",
        r"$x(t) = e^{tA}x_0 + Q\,\mathrm{diag}\left(\frac{e^{t\lambda_i} - 1}{\lambda_i}\right)"
        r"Q^{-1}b$",
        r"$\bar x = -A^{-1}b\quad \mathrm{if\ all}\ \mathrm{Re}\,\lambda_i < 0$",
    )
    params = (
        Matrix("A", NB_A, -2.0, 2.0, live=True, label="matrix A",
               help="Edit the entries; a change restarts from x₀."),
        Matrix("b", NB_B, -2.0, 2.0, live=True, label="forcing b"),
        Matrix("x0", ((0.0, 0.0, 0.0),), -5.0, 5.0, live=True, label="start x₀"),
        Float("T", 20.0, 1.0, 100.0, live=True, label="horizon T"),
        Float("dt", 0.01, 1e-4, 0.5, live=True, log=True, label="dt", help="Time step."),
        Choice("integrator", "euler", ("euler", "rk4"), live=True,
               help="euler: forward Euler as in the notebook; rk4: classical Runge–Kutta."),
    )
    views = (
        Curves("x_t", "x₁, x₂, x₃ against t, steady state dashed (Fig 2.9)",
               series=(Series("x_hist", x="t_hist", names="x_names"),),
               hlines=("xbar1", "xbar2", "xbar3"), xlabel="t", ylabel="x"),
        Curves("projections", "The trajectory seen in the three coordinate planes",
               series=(Series("x2_hist", x="x1_hist", label="(x₁, x₂)"),
                       Series("x3_hist", x="x1_hist", label="(x₁, x₃)"),
                       Series("x3_hist", x="x2_hist", label="(x₂, x₃)"),
                       Series("xbar_proj_y", x="xbar_proj_x", label="x*", style="dots")),
               xlabel="first coordinate", ylabel="second coordinate"),
        Curves("eigenvalues", "Eigenvalues of A in the complex plane",
               series=(Series("eig_im", x="eig_re", label="λ", style="dots"),),
               vlines=("zero",), xlabel="Re λ", ylabel="Im λ"),
        Curves("error", "Integrator against the closed form (log axis)",
               series=(Series("err_hist", x="t_hist", label="‖x_numerical − x_exact‖"),),
               xlabel="t", ylabel="error", logy=True),
        Readout("readout", "Forced system", area="bottom", lines=(
            ("steady_text", "steady state", "{}"),
            ("eig_text", "eigenvalues", "{}"),
            ("gap_text", "slowest mode at T", "{}"),
            ("x_text", "x(t) now", "{}"),
        )),
    )
    frame_fields = {
        "x": "(3,) the state", "t_hist": "(m,) times", "x_hist": "(3, m) x₁, x₂, x₃",
        "x_names": "(3,) labels", "xbar1": "x*₁ (NaN without a steady state)",
        "xbar2": "x*₂", "xbar3": "x*₃",
        "x1_hist": "(m,) x₁", "x2_hist": "(m,) x₂", "x3_hist": "(m,) x₃",
        "xbar_proj_x": "(3,) x* in each plane, first coordinate",
        "xbar_proj_y": "(3,) x* in each plane, second coordinate",
        "eig_re": "(3,) Re λ", "eig_im": "(3,) Im λ", "zero": "0 (the stability boundary)",
        "err_hist": "(m,) distance from the closed form",
        "steady_text": "read-out", "eig_text": "read-out", "gap_text": "read-out",
        "x_text": "read-out",
    }
    history_fields = ("t_hist", "x_hist", "err_hist")
    nonfinite_fields = frozenset({"xbar1", "xbar2", "xbar3", "xbar_proj_x", "xbar_proj_y",
                                  "err_hist"})
    default_steps_per_frame = 10

    @classmethod
    def check(cls, p) -> None:
        if not np.isfinite(as_array(p["A"])).all():
            raise ParamError("A", "every entry of A must be a number")

    def on_live_change(self, names: set[str]) -> None:
        self._restart = True

    def _start(self) -> None:
        p = self.p
        self.A, self.b = as_array(p["A"]), as_array(p["b"])[0]
        self.x0 = as_array(p["x0"])[0]
        self.state = self.x0.copy()
        self.time = 0.0
        self.hist = History(shape=(4,), capacity=4096)
        self.hist.append(0.0, (*self.state, np.nan))  # (no error to show at t = 0)
        xbar, self.steady_text = steady_state(self.A, self.b)
        self.xbar = np.full(3, np.nan) if xbar is None else xbar
        lam = np.linalg.eigvals(self.A)
        self.eig = (lam.real.copy(), lam.imag.copy())
        self.eig_text = ", ".join(_complex(z) for z in lam)
        slow = lam[np.argmax(lam.real)]
        self.gap_text = (f"exp(T·Re λ_slow) = {np.exp(slow.real * p['T']):.3g} "
                         f"(λ_slow = {_complex(slow)})")
        A, b = self.A, self.b
        self.f = lambda y: y @ A.T + b
        self._restart = False

    def frames(self) -> Iterator[Frame]:
        self._start()
        step = 0
        yield self._frame(step)
        while True:
            if self._restart:
                self._start()
            p = self.p
            stepper = STEPPERS[p["integrator"]]
            y = self.state[None]
            n = 0
            while n < self.steps_per_frame and self.time < p["T"] - 1e-12:
                h = min(p["dt"], p["T"] - self.time)
                y = stepper(self.f, y, h)
                self.time += h
                n += 1
            self.state = y[0]
            if n == 0:
                return  # the horizon is reached: the run ends (Reset runs it again)
            step += n
            if not np.isfinite(self.state).all() or np.abs(self.state).max() > BLOW_UP:
                raise Diverged(step, "x grew beyond 1e8: "
                               + blow_up_reason(p["integrator"], self.A, p["dt"]))
            exact = forced_solution(self.A, self.b, self.x0, self.time)
            self.hist.append(self.time, (*self.state,
                                         max(float(np.linalg.norm(self.state - exact)), 1e-17)))
            yield self._frame(step)

    def _frame(self, step: int) -> Frame:
        t_hist, vals = self.hist.x, self.hist.values
        xbar = self.xbar
        return {
            "step": step, "t": self.time, "x": self.state.copy(), "t_hist": t_hist,
            "x_hist": vals[:, :3].T.copy(), "x_names": X_NAMES,
            "xbar1": float(xbar[0]), "xbar2": float(xbar[1]), "xbar3": float(xbar[2]),
            "x1_hist": vals[:, 0], "x2_hist": vals[:, 1], "x3_hist": vals[:, 2],
            "xbar_proj_x": np.array([xbar[0], xbar[0], xbar[1]]),
            "xbar_proj_y": np.array([xbar[1], xbar[2], xbar[2]]),
            "eig_re": self.eig[0], "eig_im": self.eig[1], "zero": 0.0,
            "err_hist": vals[:, 3], "steady_text": self.steady_text,
            "eig_text": self.eig_text, "gap_text": self.gap_text,
            "x_text": "(" + ", ".join(f"{v:.4g}" for v in self.state) + ")",
        }


X_NAMES = np.array(["x₁", "x₂", "x₃"], dtype=object)


def _complex(z: complex) -> str:
    z = complex(z)
    if abs(z.imag) < 1e-12:
        return f"{z.real:.4g}"
    return f"{z.real:.4g} {'+' if z.imag > 0 else '−'} {abs(z.imag):.4g}i"
