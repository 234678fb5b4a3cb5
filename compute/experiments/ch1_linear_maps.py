"""§1.1.2 and §1.1.5: 2×2 matrices as maps of the plane, matrix powers on an ellipse
(Exercise 1.1.1) and the iterated affine map xₜ₊₁ = A x_t + b."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .. import backend
from .. import linalg2d as la
from ..experiment import Experiment, Frame
from ..history import History
from ..params import Bool, Choice, Float, Int, Matrix, ParamError, Seed, as_array
from ..registry import register
from ..views import Curves, Histogram, LinearMap, Matrices, Readout, Series

SINGULAR_TOL = 1e-12  # |det A| below this counts as singular


def smoothstep(u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    return u * u * (3 - 2 * u)


def morph_fraction(phase: int, ramp: int = 60, hold: int = 20) -> float:
    """0 → 1 (smoothly, ``ramp`` steps), hold, 1 → 0, hold: the I ↔ A morph cycle."""
    cycle = 2 * (ramp + hold)
    p = phase % cycle
    if p < ramp:
        return smoothstep(p / ramp)
    if p < ramp + hold:
        return 1.0
    if p < 2 * ramp + hold:
        return smoothstep(1 - (p - ramp - hold) / ramp)
    return 0.0


MAPS = ("custom", "rotation", "scaling", "projection-x", "projection-y", "shear")
SHAPES = ("letter-F", "unit-square")
ANIMATIONS = ("morph", "sweep", "iterate")
VECTOR_NAMES = np.array(["x", "A x"])
SHAPES_DRAWN = {"letter-F": la.letter_f(), "unit-square": la.unit_square()}  # reused objects
ITERATE_STEPS = 24  # powers A^0 … A^24 before the orbit starts again
ITERATE_ESCAPE = 1e4  # an orbit beyond this norm starts again early


@register
class LinearMaps2D(Experiment):
    id = "ch1.linear-maps-2d"
    title = "Rotation, rescaling, projection and shear as matrices"
    section = "1.1.2"
    family = "matrix & spectrum"
    summary = ("A 2×2 matrix acting on the plane: grid, circle → ellipse, det as area, "
               "eigen-directions.")
    explanation = (
        "Any linear map of the plane is x ↦ Ax for a 2×2 matrix A. The view shows the unit grid, "
        "the unit circle and a letter F before (faded) and after the map. The columns of A are "
        "the images Ae₁ and Ae₂ of the basis vectors. The unit circle becomes an ellipse whose "
        "semi-axes are σ₁u₁ and σ₂u₂ (singular values and left singular vectors); the unit "
        "square becomes a parallelogram of area |det A|, and every area is scaled by the same "
        "factor. Real eigenvalues show as dotted lines through the origin that the map keeps "
        "in place. Play morphs the plane from the identity to A, sweeps the map's own "
        "parameter (the rotation angle, s_y down through 0 where the plane collapses onto a "
        "line, the shear), or iterates A as a discrete-time orbit x, Ax, A²x, …. The book's "
        "worked example is the default: S = diag(2, 0.5) sends (1, 2) to (2, 1)."
    )
    equations = (
        r"$R(\theta)\,e_1 = (\cos\theta,\ \sin\theta)^T,\quad"
        r" S = \mathrm{diag}(s_x, s_y),\quad P_1 = \mathrm{diag}(1, 0),\quad P_1^2 = P_1$",
        r"$A = U\,\Sigma\,V^T:\quad A\,\{\|x\| = 1\} = \{\sigma_1 u_1 \cos\phi"
        r" + \sigma_2 u_2 \sin\phi\}$",
        r"$\mathrm{area}(A\,\Omega) = |\det A|\;\mathrm{area}(\Omega),\quad"
        r" A A^{-1} = I\ \ (\det A \neq 0)$",
    )
    book_notes = (
        "The book's rotation is R_z(θ) in R³ about the z-axis; the plane shows its (x, y) "
        "block, the z-coordinate being left unchanged.",
    )
    params = (
        Choice("map", "scaling", MAPS, live=True,
               help="Which matrix acts: the custom matrix A below, R(θ), S = diag(s_x, s_y), "
                    "the projections P₁ = diag(1, 0) and P₂ = diag(0, 1), or the shear "
                    "[[1, k], [0, 1]]."),
        Matrix("A", [[1, 0], [0, 1]], -3.0, 3.0, live=True, label="custom matrix A",
               help="The matrix used when map = custom (each entry in −3 … 3)."),
        Float("theta", 30.0, 0.0, 360.0, live=True, unit="°", label="rotation θ"),
        Float("s_x", 2.0, 0.0, 3.0, live=True, label="scale s_x"),
        Float("s_y", 0.5, 0.0, 3.0, live=True, label="scale s_y"),
        Float("shear_k", 1.0, -2.0, 2.0, live=True, label="shear k"),
        Float("x_1", 1.0, -3.0, 3.0, live=True, label="vector x₁",
              help="The vector x whose image Ax is drawn (the book's example is (1, 2))."),
        Float("x_2", 2.0, -3.0, 3.0, live=True, label="vector x₂"),
        Choice("shape", "letter-F", SHAPES, live=True,
               help="The polygon drawn with its image (its area ratio is |det A|)."),
        Choice("animate", "morph", ANIMATIONS, live=True,
               help="morph: I → A and back; sweep: the map's own parameter (θ, s_y, k; a "
                    "custom matrix or a projection morphs); iterate: A⁰, A¹, … A²⁴ acting on "
                    "the plane, with the orbit of x."),
        Bool("inverse", False, live=True, label="show A⁻¹",
             help="Show A⁻¹ and AA⁻¹ = I. Refused while A is singular (no inverse exists)."),
    )
    views = (
        LinearMap("map", "The plane under A", area="left", matrix="A_shown", shape="shape",
                  orbit="orbit", curves="vectors", curve_names="vector_names"),
        Matrices("matrices", "A, its inverse and the vector", matrices=(
            "A_target", "A_inverse", "A_times_inverse", "x", "Ax"),
            titles_field="matrix_titles", value_format="{:.3g}"),
        Readout("numbers", "Determinant, eigenvalues, singular values", area="bottom", lines=(
            ("det", "det A (shown)", "{:.4g}"),
            ("area_ratio", "area ratio of the shape (measured)", "{:.4g}"),
            ("trace", "trace", "{:.4g}"),
            ("eig_1", "λ₁", "{}"),
            ("eig_2", "λ₂", "{}"),
            ("sigma_1", "σ₁", "{:.4g}"),
            ("sigma_2", "σ₂", "{:.4g}"),
            ("morph", "morph s (A_s = (1−s)I + sA)", "{:.2f}"),
            ("power", "power t (iterate)", "{:d}"),
            ("status", "status", "{}"),
        )),
    )
    frame_fields = {
        "A_shown": "(2, 2) the matrix drawn now (morph, sweep or power of A)",
        "A_target": "(2, 2) the chosen map",
        "A_inverse": "(2, 2) its inverse (NaN unless 'show A⁻¹' is on and A is invertible)",
        "A_times_inverse": "(2, 2) A A⁻¹ (NaN like A_inverse)",
        "matrix_titles": "(5,) titles of the matrices view",
        "x": "(2,) the vector x",
        "Ax": "(2,) its image under the matrix shown",
        "shape": "(m, 2) the polygon (before the map)",
        "orbit": "(t+1, 2) x, A x, …, Aᵗx in the iterate animation, else (0, 2)",
        "vectors": "(2, 2, 2) the segments 0 → x and 0 → A x",
        "vector_names": "(2,) their labels",
        "det": "det of the matrix shown",
        "area_ratio": "area(A·shape) / area(shape) by the shoelace formula",
        "trace": "trace of the matrix shown",
        "eig_1": "first eigenvalue (text; complex pairs as a ± bi)",
        "eig_2": "second eigenvalue (text)",
        "sigma_1": "largest singular value",
        "sigma_2": "smallest singular value",
        "morph": "the morph fraction s (1 outside the morph)",
        "power": "the power t in the iterate animation (1 otherwise)",
        "status": "invertible / singular",
    }
    nonfinite_fields = frozenset({"A_inverse", "A_times_inverse"})
    default_steps_per_frame = 1
    max_steps_per_frame = 100

    @staticmethod
    def target(p: Mapping[str, Any]) -> np.ndarray:
        """The matrix chosen by ``map`` and its parameters."""
        name = p["map"]
        if name == "custom":
            return as_array(p["A"])
        if name == "rotation":
            return la.rotation(math.radians(p["theta"]))
        if name == "scaling":
            return la.scaling(p["s_x"], p["s_y"])
        if name == "projection-x":
            return la.projection(0)
        if name == "projection-y":
            return la.projection(1)
        return la.shear(p["shear_k"])

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        if not p["inverse"]:
            return
        A = cls.target(p)
        det = float(np.linalg.det(A))
        if abs(det) > SINGULAR_TOL:
            return
        name = p["map"]
        if name == "custom":
            raise ParamError("A", f"is singular (det A = {det:.3g}): A⁻¹ does not exist; "
                                  "change an entry or turn off 'show A⁻¹'")
        if name == "scaling":
            which = "s_x" if p["s_x"] == 0 else "s_y"
            raise ParamError(which, f"{which} = 0 makes S singular (det S = 0): S⁻¹ does not "
                                    "exist; turn off 'show A⁻¹' first")
        raise ParamError("map", "a projection is singular (det = 0): it has no inverse; "
                                "turn off 'show A⁻¹' first")

    def _shown(self, phase: int) -> tuple[np.ndarray, float, int]:
        """(matrix drawn, morph fraction, power) at animation step ``phase``."""
        p = self.p
        A = self.target(p)
        mode = p["animate"]
        if mode == "iterate":
            t = phase % (ITERATE_STEPS + 1)
            return np.linalg.matrix_power(A, t), 1.0, t
        if mode == "sweep" and p["map"] in ("rotation", "scaling", "shear"):
            if p["map"] == "rotation":
                return la.rotation(math.radians(p["theta"] + 3.0 * phase)), 1.0, 1
            if p["map"] == "scaling":  # s_y → 0 (collapse onto a line) and back
                return la.scaling(p["s_x"], p["s_y"] * abs(math.cos(math.pi * phase / 120))), \
                    1.0, 1
            return la.shear(p["shear_k"] * math.cos(2 * math.pi * phase / 160)), 1.0, 1
        s = morph_fraction(phase)
        return la.interpolate(A, s), s, 1

    def frames(self) -> Iterator[Frame]:
        phase = 0
        step = 0
        while True:
            yield self._frame(step, phase)
            phase += self.steps_per_frame
            step += self.steps_per_frame
            if self.p["animate"] == "iterate":
                # restart an orbit that runs away, so the picture stays readable
                t = phase % (ITERATE_STEPS + 1)
                A = self.target(self.p)
                if t and np.abs(np.linalg.matrix_power(A, t)).max() > ITERATE_ESCAPE:
                    phase += ITERATE_STEPS + 1 - t

    def _frame(self, step: int, phase: int) -> Frame:
        p = self.p
        A = self.target(p)
        shown, s, power = self._shown(phase)
        x = np.array([p["x_1"], p["x_2"]])
        shape = SHAPES_DRAWN[p["shape"]]
        det = float(np.linalg.det(shown))
        base = abs(la.polygon_area(shape))
        ratio = abs(la.polygon_area(la.apply(shown, shape))) / base
        _, sig, _ = la.svd2(shown)
        eig = la.eig2(shown)
        inv = np.full((2, 2), np.nan)
        prod = np.full((2, 2), np.nan)
        target_det = float(np.linalg.det(A))
        inv_title = "A⁻¹ (off)"
        if p["inverse"] and abs(target_det) > SINGULAR_TOL:
            inv = np.linalg.inv(A)
            prod = A @ inv
            inv_title = "A⁻¹"
        elif p["inverse"]:
            inv_title = "A⁻¹ (singular)"
        if p["animate"] == "iterate":
            orbit = la.orbit(self.target(p), x, power)
        else:
            orbit = np.zeros((0, 2))  # the vectors x and Ax are drawn instead
        Ax = shown @ x
        return {
            "step": step,
            "t": float(step),
            "A_shown": shown,
            "A_target": A,
            "A_inverse": inv,
            "A_times_inverse": prod,
            "matrix_titles": np.array(["A", inv_title, "A A⁻¹", "x", "A x (shown)"]),
            "x": x,
            "Ax": Ax,
            "shape": shape,
            "orbit": orbit,
            "vectors": np.array([[[0.0, 0.0], x], [[0.0, 0.0], Ax]]),
            "vector_names": VECTOR_NAMES,
            "det": det,
            "area_ratio": ratio,
            "trace": float(np.trace(shown)),
            "eig_1": la.format_number(eig.values[0]),
            "eig_2": la.format_number(eig.values[1]),
            "sigma_1": float(sig[0]),
            "sigma_2": float(sig[1]),
            "morph": s,
            "power": power,
            "status": "invertible" if abs(det) > SINGULAR_TOL else "singular: the plane "
                                                                   "collapses (det = 0)",
        }


# -- Exercise 1.1.1: matrix powers on an ellipse ------------------------------------------
GOLDEN_ANGLE = 2 * math.pi * (math.sqrt(5) - 1) / 2  # rad; θ/2π irrational
PHASE_BINS = 36


def ellipse_matrix(a: float, b: float, theta: float, r: float = 1.0) -> np.ndarray:
    """A = r D R(θ) D⁻¹ with D = diag(a, b): x_t = Aᵗ(a, 0)ᵀ = rᵗ(a cos tθ, b sin tθ)."""
    D = np.diag([a, b])
    return r * D @ la.rotation(theta) @ np.diag([1 / a, 1 / b])


def reduced_period(p: int, q: int) -> int:
    """Period of the orbit for θ/2π = p/q: q / gcd(p, q)."""
    return q // math.gcd(p, q) if q else 0


@register
class EllipseIteration(Experiment):
    id = "ch1.ellipse-iteration"
    title = "Matrix powers on an ellipse (Exercise 1.1.1)"
    section = "1.1.2"
    family = "phase portrait (discrete map)"
    summary = ("x_t = Aᵗx₀ with A = D R(θ) D⁻¹: every iterate on the ellipse; dense iff θ/2π "
               "is irrational.")
    explanation = (
        "Exercise 1.1.1 asks for a 2×2 matrix whose powers keep x₀ = (a, 0) on an ellipse with "
        "semi-axes a and b. Conjugating a rotation does it: A = D R(θ) D⁻¹ with D = diag(a, b) "
        "gives x_t = (a cos tθ, b sin tθ). A has det 1, trace 2cos θ and eigenvalues exp(±iθ) "
        "on the unit circle. One point appears per step. When θ/2π = p/q (snap on) the orbit "
        "closes after q/gcd(p, q) steps and visits a polygon's corners; for irrational θ/2π "
        "it never closes and fills the ellipse, and the histogram of phases tθ mod 2π "
        "flattens towards the uniform law (Weyl equidistribution). The radial factor r turns "
        "A into rA, |λ| = r: the orbit spirals in (r < 1) or out (r > 1), the first hint of "
        "the eigenvalue-stability link used for ODEs later. Changing a, b, θ or r restarts the "
        "orbit."
    )
    equations = (
        r"$A = D\,R(\theta)\,D^{-1},\quad D = \mathrm{diag}(a, b),\quad"
        r" x_t = A^t x_0 = (a\cos t\theta,\ b\sin t\theta)$",
        r"$\det A = 1,\quad \mathrm{tr}\,A = 2\cos\theta,\quad \lambda_{\pm} = e^{\pm i\theta}$",
        r"$(x_t/a)^2 + (y_t/b)^2 = r^{2t}\quad (A \to rA)$",
        r"$\theta/2\pi = p/q\ \Rightarrow\ x_{t+q} = x_t;\quad \theta/2\pi \notin \mathbb{Q}"
        r"\ \Rightarrow\ \{t\theta\ \mathrm{mod}\ 2\pi\}\ \mathrm{equidistributed}$",
    )
    params = (
        Float("a", 2.0, 0.2, 5.0, live=True, label="semi-axis a"),
        Float("b", 1.0, 0.2, 5.0, live=True, label="semi-axis b"),
        Float("theta", GOLDEN_ANGLE, 0.0, 2 * math.pi, live=True, unit="rad", label="angle θ",
              help="Rotation angle per step (used unless snap is on). The default is the "
                   "golden angle π(√5 − 1) ≈ 3.883: θ/2π = (√5 − 1)/2 is irrational and badly "
                   "approximated by fractions, so the orbit fills the ellipse evenly."),
        Bool("snap", False, live=True, label="snap θ to 2πp/q",
             help="Use θ = 2πp/q: a periodic orbit of period q/gcd(p, q)."),
        Int("p", 1, 0, 49, live=True, label="p"),
        Int("q", 7, 1, 50, live=True, label="q"),
        Int("T", 200, 1, 10_000, live=True, label="iterations T",
            help="The orbit stops growing after T points (a lecturer can raise it live)."),
        Float("r", 1.0, 0.9, 1.1, live=True, label="radial factor r",
              help="A → rA: |λ| = r; r < 1 spirals in, r > 1 spirals out."),
    )
    views = (
        LinearMap("orbit", "Orbit x_t = Aᵗx₀ on the ellipse", area="left", matrix="A",
                  orbit="points", orbit_lines=False, curves="ellipses",
                  curve_names="ellipse_names", grid=False, circle=False, singular=False,
                  eigen=False, det_area=False, basis=False, show_original=False),
        Histogram("phases", "Phases tθ mod 2π", edges="phase_edges", values="phase_density",
                  reference=("phase_grid", "phase_uniform"), xlabel="phase (rad)",
                  ylabel="density", reference_label="uniform 1/2π"),
        Curves("residual", "Ellipse residual", series=(
            Series("residual", x="residual_t", label="|(x/a)² + (y/b)² − r²ᵗ|"),),
            logy=True, xlabel="t", ylabel="residual"),
        Readout("numbers", "A and its orbit", area="bottom", lines=(
            ("t_points", "points t", "{:d}"),
            ("det", "det A", "{:.6g}"),
            ("trace", "tr A", "{:.6g}"),
            ("two_r_cos", "2r cos θ", "{:.6g}"),
            ("eigenvalues", "eigenvalues", "{}"),
            ("eig_modulus", "|λ|", "{:.6g}"),
            ("period", "period (0: none)", "{:d}"),
            ("max_residual", "max residual", "{:.3g}"),
            ("flatness", "max |density − 1/2π|", "{:.3g}"),
        )),
    )
    frame_fields = {
        "A": "(2, 2) A = r D R(θ) D⁻¹",
        "points": "(t+1, 2) the iterates x_0 … x_t",
        "ellipses": "(2, 241, 2) the ellipse (x/a)² + (y/b)² = 1 and the current level r²ᵗ",
        "ellipse_names": "(2,) their labels",
        "phase_edges": f"({PHASE_BINS + 1},) bin edges on [0, 2π]",
        "phase_density": f"({PHASE_BINS},) density of the phases tθ mod 2π so far",
        "phase_grid": "(2,) [0, 2π]",
        "phase_uniform": "(2,) the uniform density 1/2π",
        "residual_t": "(m,) steps of the residual record",
        "residual": "(m,) |(x_t/a)² + (y_t/b)² − r²ᵗ| (floored at 1e-17 for the log scale)",
        "t_points": "iterations done",
        "det": "det A", "trace": "tr A", "two_r_cos": "2r cos θ",
        "eigenvalues": "text of the eigenvalues", "eig_modulus": "|λ|",
        "period": "q/gcd(p, q) when snapped, else 0",
        "max_residual": "largest residual so far",
        "flatness": "max over bins of |density − 1/2π|",
    }
    history_fields = ("residual_t", "residual")
    default_steps_per_frame = 1
    max_steps_per_frame = 500

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self._restart = True

    def angle(self) -> float:
        p = self.p
        return 2 * math.pi * p["p"] / p["q"] if p["snap"] else p["theta"]

    def on_live_change(self, names: set[str]) -> None:
        if names - {"T"}:
            self._restart = True

    def frames(self) -> Iterator[Frame]:
        self._restart = True
        step = 0
        while True:
            if self._restart:
                self._restart = False
                p = self.p
                theta = self.angle()
                A = ellipse_matrix(p["a"], p["b"], theta, p["r"])
                x = np.array([p["a"], 0.0])
                pts = [x]
                residual = History(capacity=2048)
                counts = np.zeros(PHASE_BINS)
                counts[0] += 1  # phase 0 of x_0
                max_res = 0.0
            target = self.p["T"]
            for _ in range(self.steps_per_frame):
                t = len(pts) - 1
                if t >= target:
                    break
                x = A @ x
                pts.append(x)
                t += 1
                phase = (t * theta) % (2 * math.pi)
                counts[min(int(phase / (2 * math.pi) * PHASE_BINS), PHASE_BINS - 1)] += 1
                a, b, r = self.p["a"], self.p["b"], self.p["r"]
                res = abs((x[0] / a) ** 2 + (x[1] / b) ** 2 - r ** (2 * t))
                max_res = max(max_res, res)
                residual.append(t, max(res, 1e-17))
            step += self.steps_per_frame
            yield self._frame(step, A, np.array(pts), counts, residual, max_res, theta)

    def _frame(self, step, A, pts, counts, residual, max_res, theta) -> Frame:
        p = self.p
        t = len(pts) - 1
        width = 2 * math.pi / PHASE_BINS
        density = counts / (counts.sum() * width)
        unit = la.ellipse(p["a"], p["b"], 240)
        level = la.ellipse(p["a"] * p["r"] ** t, p["b"] * p["r"] ** t, 240)
        eig = la.eig2(A)
        return {
            "step": step,
            "t": float(step),
            "A": A,
            "points": pts,
            "ellipses": np.stack([unit, level]),
            "ellipse_names": np.array(["(x/a)² + (y/b)² = 1",
                                       "" if p["r"] == 1 else "(x/a)² + (y/b)² = r²ᵗ"]),
            "phase_edges": np.linspace(0, 2 * math.pi, PHASE_BINS + 1),
            "phase_density": density,
            "phase_grid": np.array([0.0, 2 * math.pi]),
            "phase_uniform": np.full(2, 1 / (2 * math.pi)),
            "residual_t": residual.x,
            "residual": residual.values,
            "t_points": t,
            "det": float(np.linalg.det(A)),
            "trace": float(np.trace(A)),
            "two_r_cos": 2 * p["r"] * math.cos(theta),
            "eigenvalues": f"{la.format_number(eig.values[0])}, "
                           f"{la.format_number(eig.values[1])}",
            "eig_modulus": float(abs(eig.values[0])),
            "period": reduced_period(p["p"], p["q"]) if p["snap"] else 0,
            "max_residual": max_res,
            "flatness": float(np.abs(density - 1 / (2 * math.pi)).max()),
        }


# -- §1.1.5: the iterated affine map as a denoiser cartoon ----------------------------------
SCHEDULES = ("constant", "time-dependent")


def affine_matrix(r: float, theta_deg: float) -> np.ndarray:
    """A = r R(θ): spectral radius r."""
    return r * la.rotation(math.radians(theta_deg))


def fixed_point(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x* = (I − A)⁻¹ b."""
    return np.linalg.solve(np.eye(2) - A, b)


@register
class AffineIteration(Experiment):
    id = "ch1.affine-iteration-toy"
    title = "Iterated affine refinement xₜ₊₁ = A x_t + b"
    section = "1.1.5"
    family = "phase portrait (discrete map)"
    summary = "Noisy starts pulled to x* = (I − A)⁻¹b when ρ(A) < 1: a cartoon of denoising."
    explanation = (
        "§1.1.5 describes diffusion models as refining a noisy x₀ by repeated affine maps "
        "xₜ₊₁ = A_t x_t + b_t. With a constant A = rR(θ) and b the map has one fixed point "
        "x* = (I − A)⁻¹b, and the error e_t = x_t − x* obeys eₜ₊₁ = A e_t, so "
        "‖e_t‖ = rᵗ‖e₀‖ exactly: a cloud of noisy starts spirals into x* when r < 1, circles "
        "it forever at r = 1 and blows up for r > 1. The first particle's orbit is drawn with "
        "the circle of radius rᵗ‖e₀‖ it stays on. The time-dependent schedule contracts more "
        "as t grows, A_t = r(1 − βt/T)R(θ). After T steps a fresh noisy cloud starts. A real "
        "model learns A_t and b_t (depending on x_t) with a network; this toy keeps them fixed."
    )
    equations = (
        r"$x_{t+1} = A_t\,x_t + b_t,\quad A = r\,R(\theta)$",
        r"$x^* = (I - A)^{-1} b,\quad e_t = x_t - x^* = A^t e_0,\quad"
        r" \|e_t\| = r^t \|e_0\|$",
        r"$\rho(A) < 1\ \Rightarrow\ \|e_t\| \leq C\,\rho^t \to 0$",
    )
    params = (
        Float("r", 0.9, 0.5, 1.2, live=True, label="radius r = ρ(A)",
              help="Spectral radius of A = rR(θ): below 1 the cloud converges."),
        Float("theta", 30.0, 0.0, 360.0, live=True, unit="°", label="rotation θ"),
        Float("b_x", 1.0, -2.0, 2.0, live=True, label="b₁"),
        Float("b_y", 0.5, -2.0, 2.0, live=True, label="b₂"),
        Int("n_points", 200, 1, 500, label="noisy starts"),
        Float("sigma", 1.0, 0.1, 3.0, label="start noise σ",
              help="Starts drawn from N(0, σ²I)."),
        Int("T", 60, 1, 100, live=True, label="steps T",
            help="Steps before a fresh noisy cloud starts."),
        Choice("schedule", "constant", SCHEDULES, live=True,
               help="constant A, or A_t = r(1 − βt/T)R(θ) contracting more as t grows."),
        Float("beta", 0.3, 0.0, 0.9, live=True, label="schedule β"),
        Seed(),
    )
    views = (
        LinearMap("cloud", "Noisy starts pulled to x*", area="left", matrix="A",
                  points="x", orbit="track", curves="guides", curve_names="guide_names",
                  grid=False, circle=False, singular=False, eigen=False, det_area=False,
                  basis=False, show_original=False),
        Curves("error", "Distance to the fixed point", series=(
            Series("error", x="error_t", label="mean ‖x_t − x*‖"),
            Series("error_exact", x="error_t", label="rᵗ · mean ‖e₀‖ (constant A)"),),
            logy=True, xlabel="t", ylabel="‖x_t − x*‖"),
        Readout("numbers", "Fixed point", area="bottom", lines=(
            ("t_step", "step t in this cloud", "{:d}"),
            ("rho", "spectral radius ρ(A_t)", "{:.4g}"),
            ("x_star", "x* = (I − A)⁻¹b", "{}"),
            ("mean_error", "mean ‖x_t − x*‖", "{:.4g}"),
            ("cloud", "cloud", "{:d}"),
        )),
    )
    frame_fields = {
        "A": "(2, 2) the matrix A_t of this step",
        "x": "(n_points, 2) the cloud",
        "track": "(t+1, 2) the first particle's orbit",
        "guides": "(2, 241, 2) the circle ‖x − x*‖ = rᵗ‖e₀‖ of the first particle and a "
                  "cross at x* (NaN-padded)",
        "guide_names": "(2,) their labels",
        "error_t": "(t+1,) steps of this cloud",
        "error": "(t+1,) mean distance to x*",
        "error_exact": "(t+1,) rᵗ · mean ‖e₀‖ (NaN with the time-dependent schedule)",
        "t_step": "step within the current cloud",
        "rho": "spectral radius of A_t",
        "x_star": "text of x*",
        "mean_error": "mean distance to x* now",
        "cloud": "how many clouds have started",
    }
    nonfinite_fields = frozenset({"error_exact", "guides"})
    default_steps_per_frame = 1
    max_steps_per_frame = 100

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        A = affine_matrix(p["r"], p["theta"])
        if abs(np.linalg.det(np.eye(2) - A)) < SINGULAR_TOL:
            raise ParamError("r", "r = 1 with θ = 0 makes A = I, so I − A is singular and "
                                  "there is no fixed point x* (change θ or r)")

    def matrix_at(self, t: int) -> np.ndarray:
        p = self.p
        factor = 1.0
        if p["schedule"] == "time-dependent":
            factor = 1.0 - p["beta"] * t / max(p["T"], 1)
        return affine_matrix(p["r"] * factor, p["theta"])

    def frames(self) -> Iterator[Frame]:
        p = self.p
        rng = backend.rng(p["seed"], 1)
        n = p["n_points"]
        step = 0
        cloud = 0
        while True:
            cloud += 1
            x = rng.normal(0.0, p["sigma"], size=(n, 2))
            track = [x[0].copy()]
            b = np.array([self.p["b_x"], self.p["b_y"]])
            star = fixed_point(self.matrix_at(0), b)
            e0 = float(np.linalg.norm(x - star, axis=1).mean())
            errors = [e0]
            t = 0
            yield self._frame(step, t, x, track, errors, e0, cloud)
            while t < self.p["T"]:
                for _ in range(self.steps_per_frame):
                    if t >= self.p["T"]:
                        break
                    A = self.matrix_at(t)
                    b = np.array([self.p["b_x"], self.p["b_y"]])
                    x = x @ A.T + b
                    t += 1
                    track.append(x[0].copy())
                    star = fixed_point(self.matrix_at(t), b)
                    errors.append(float(np.linalg.norm(x - star, axis=1).mean()))
                step += self.steps_per_frame
                yield self._frame(step, t, x, track, errors, e0, cloud)

    def _frame(self, step, t, x, track, errors, e0, cloud) -> Frame:
        p = self.p
        A = self.matrix_at(t)
        b = np.array([p["b_x"], p["b_y"]])
        star = fixed_point(A, b)
        track = np.array(track)
        if p["schedule"] == "constant":  # the exact ‖e_t‖ = rᵗ‖e₀‖ of the first particle
            radius = float(np.linalg.norm(track[0] - star)) * p["r"] ** t
        else:
            radius = float(np.linalg.norm(track[-1] - star))
        circle = la.unit_circle(240) * radius + star
        size = 0.08 * max(float(np.ptp(x, axis=0).max()) if len(x) > 1 else 1.0, 0.2)
        cross = np.full((241, 2), np.nan)
        cross[:5] = star + np.array([[-size, 0], [size, 0], [np.nan, np.nan], [0, -size],
                                     [0, size]])
        ts = np.arange(len(errors), dtype=float)
        exact = e0 * p["r"] ** ts if p["schedule"] == "constant" else np.full(len(ts), np.nan)
        return {
            "step": step,
            "t": float(step),
            "A": A,
            "x": x.copy(),
            "track": track,
            "guides": np.stack([circle, cross]),
            "guide_names": np.array(["‖x − x*‖ = rᵗ‖e₀‖ (particle 1)", "x*"]),
            "error_t": ts,
            "error": np.maximum(np.array(errors), 1e-300),
            "error_exact": exact,
            "t_step": t,
            "rho": float(max(abs(la.eig2(A).values))),
            "x_star": la.format_vector(star),
            "mean_error": errors[-1],
            "cloud": cloud,
        }
