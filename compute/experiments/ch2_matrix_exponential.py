"""§2.3.1 (Exercise 2.3.1): properties of the matrix exponential, checked numerically."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..experiment import Experiment, Frame
from ..params import Bool, Float, Int, Seed
from ..registry import register
from ..sweep import refinement_order
from ..views import Curves, Matrices, Readout, Series

N_EPS = 48
N_DET = 120
EPS_PER_FRAME = 2


def random_pair(dim: int, seed: int, commute: bool,
                jordan: bool) -> tuple[np.ndarray, np.ndarray]:
    """A (a Jordan block λ = 0.3 when ``jordan``, else Gaussian / √dim) and B: Gaussian,
    or the polynomial 0.5I − 0.7A + 0.2A² of A (which commutes with A)."""
    rng = np.random.default_rng(seed)
    if jordan:
        A = 0.3 * np.eye(dim) + np.eye(dim, k=1)
    else:
        A = rng.standard_normal((dim, dim)) / np.sqrt(dim)
    B = 0.5 * np.eye(dim) - 0.7 * A + 0.2 * A @ A if commute \
        else rng.standard_normal((dim, dim)) / np.sqrt(dim)
    return A, B


def splitting_error(A: np.ndarray, B: np.ndarray, eps: float) -> float:
    """‖e^{ε(A+B)} − e^{εA}e^{εB}‖₂: zero for commuting A, B, else ≈ (ε²/2)‖[A, B]‖₂
    (Baker–Campbell–Hausdorff)."""
    from scipy.linalg import expm

    return float(np.linalg.norm(expm(eps * (A + B)) - expm(eps * A) @ expm(eps * B), 2))


@register
class MatrixExponentialProperties(Experiment):
    id = "ch2.matrix-exponential-properties"
    title = "Properties of the matrix exponential, checked numerically"
    section = "2.3.1"
    family = "matrix & spectrum"
    summary = ("exp(A+B) = exp(A)exp(B) only when A and B commute (else the error grows "
               "like ε²‖[A,B]‖/2), exp(PAP⁻¹) = P exp(A) P⁻¹, and det exp(A) = exp(tr A).")
    explanation = (
        "Exercise 2.3.1 asks for three properties of the matrix exponential. (1) When A and "
        "B commute, exp(A + B) = exp(A)exp(B); when they do not, the Baker–Campbell–"
        "Hausdorff formula gives exp(εA)exp(εB) = exp(ε(A + B) + ε²[A, B]/2 + …), so the "
        "error of splitting grows like (ε²/2)‖[A, B]‖: a line of slope 2 on the log–log "
        "plot, filled in coarse to fine as ε sweeps. Tick 'B commutes' (B a polynomial in "
        "A) and the error drops to round-off. (2) exp(PAP⁻¹) = P exp(A) P⁻¹ for any "
        "invertible P. (3) det exp(A) = exp(tr A), also for a non-diagonalisable Jordan "
        "block: random matrices, one a frame, land on the diagonal."
    )
    equations = (
        r"$[A, B] = 0\ \Rightarrow\ e^{A+B} = e^A e^B$",
        r"$e^{\varepsilon A}e^{\varepsilon B} = e^{\varepsilon(A+B) + \varepsilon^2[A,B]/2"
        r" + O(\varepsilon^3)}$",
        r"$e^{PAP^{-1}} = P\,e^A\,P^{-1},\qquad \det e^A = e^{\mathrm{tr}\,A}$",
    )
    params = (
        Int("dim", 3, 2, 10, label="dimension"),
        Float("eps_max", 3.0, 0.01, 3.0, log=True, label="largest ε",
              help="The sweep covers ε from 10⁻³ to this value."),
        Bool("commute", False, label="B commutes",
             help="B = 0.5I − 0.7A + 0.2A², a polynomial in A, so [A, B] = 0."),
        Bool("jordan", False, label="Jordan block A",
             help="A = 0.3I + N, a single Jordan block (not diagonalisable)."),
        Seed(),
    )
    views = (
        Curves("splitting", "‖exp(ε(A+B)) − exp(εA)exp(εB)‖ against ε (log–log)",
               series=(Series("bch", x="eps_grid", label="(ε²/2)‖[A, B]‖"),
                       Series("split_err", x="eps_done", label="computed", style="dots")),
               xlabel="ε", ylabel="error", logx=True, logy=True),
        Curves("det", "det exp(M) against exp(tr M) for random M",
               series=(Series("diag_y", x="diag_x", label="equality"),
                       Series("det_exp", x="exp_tr", label="random M", style="dots")),
               xlabel="exp(tr M)", ylabel="det exp(M)", logx=True, logy=True),
        Matrices("matrices", "A, B and their commutator", matrices=("A", "B", "commutator"),
                 titles=("A", "B", "[A, B] = AB − BA"), value_format="{:.2f}"),
        Readout("readout", "Identities (relative errors)", area="bottom", lines=(
            ("commute_err", "exp(A+B) vs exp(A)exp(B)", "{:.2e}"),
            ("similar_err", "exp(PAP⁻¹) vs P exp(A) P⁻¹", "{:.2e}"),
            ("det_err", "det exp(A) vs exp(tr A), worst so far", "{:.2e}"),
            ("slope", "fitted slope at small ε", "{:.3f}"),
        )),
    )
    frame_fields = {
        "A": "(d, d)", "B": "(d, d)", "commutator": "(d, d) AB − BA",
        "eps_grid": "(n,) ε values", "bch": "(n,) (ε²/2)‖[A, B]‖",
        "eps_done": "(m,) ε computed so far", "split_err": "(m,) their errors",
        "diag_x": "(2,) the line y = x", "diag_y": "(2,)",
        "exp_tr": "(k,) exp(tr M)", "det_exp": "(k,) det exp(M)",
        "commute_err": "relative error of exp(A+B) = exp(A)exp(B)",
        "similar_err": "relative error of the similarity identity",
        "det_err": "largest relative error of det exp = exp tr",
        "slope": "log–log slope of the two smallest computed ε",
    }
    history_fields = ("eps_done", "split_err")
    nonfinite_fields = frozenset({"slope"})
    default_steps_per_frame = 1

    def frames(self) -> Iterator[Frame]:
        from scipy.linalg import expm

        p = self.p
        d = p["dim"]
        A, B = random_pair(d, p["seed"], p["commute"], p["jordan"])
        rng = np.random.default_rng(np.random.SeedSequence([p["seed"], 1]))
        C = A @ B - B @ A
        self.static = {
            "A": A, "B": B, "commutator": C,
            "eps_grid": np.geomspace(1e-3, p["eps_max"], N_EPS),
        }
        self.static["bch"] = 0.5 * self.static["eps_grid"] ** 2 * np.linalg.norm(C, 2)
        E = expm(A + B)
        self.commute_err = float(np.linalg.norm(E - expm(A) @ expm(B), 2)
                                 / np.linalg.norm(E, 2))
        P = rng.standard_normal((d, d)) + d * np.eye(d)  # well conditioned
        Pi = np.linalg.inv(P)
        S = expm(P @ A @ Pi)
        self.similar_err = float(np.linalg.norm(S - P @ expm(A) @ Pi, 2)
                                 / np.linalg.norm(S, 2))
        order = refinement_order(N_EPS)
        errs = np.full(N_EPS, np.nan)
        dets, traces = [], []
        self.det_err = abs(np.linalg.det(expm(A)) / np.exp(np.trace(A)) - 1)
        step, done = 0, 0
        while done < N_EPS or len(dets) < N_DET:
            for i in order[done:done + EPS_PER_FRAME]:
                errs[i] = max(splitting_error(A, B, self.static["eps_grid"][i]), 1e-17)
            done = min(done + EPS_PER_FRAME, N_EPS)
            if len(dets) < N_DET:
                M = rng.standard_normal((d, d)) * rng.uniform(0.2, 1.5)
                dets.append(np.linalg.det(expm(M)))
                traces.append(np.exp(np.trace(M)))
                self.det_err = max(self.det_err, abs(dets[-1] / traces[-1] - 1))
            step += 1
            yield self._frame(step, errs, dets, traces)

    def _frame(self, step: int, errs: np.ndarray, dets: list, traces: list) -> Frame:
        ok = np.isfinite(errs)
        eps = self.static["eps_grid"]
        small = np.flatnonzero(ok)[:2]
        slope = (float(np.log(errs[small[1]] / errs[small[0]])
                       / np.log(eps[small[1]] / eps[small[0]]))
                 if len(small) == 2 and errs[small[0]] > 1e-15 else float("nan"))
        lo, hi = (min(traces), max(traces)) if traces else (0.1, 10.0)
        return {
            "step": step, "t": float(step), **self.static,
            "eps_done": eps[ok], "split_err": errs[ok],
            "diag_x": np.array([lo, hi]), "diag_y": np.array([lo, hi]),
            "exp_tr": np.array(traces), "det_exp": np.array(dets),
            "commute_err": self.commute_err, "similar_err": self.similar_err,
            "det_err": float(self.det_err), "slope": slope,
        }
