"""§2.3.4 (eq. 2.15, Example 2.3.4, Figs 2.12–2.13, Exercise 2.3.4): ẋ = A(t)x, the
time-ordered exponential against the naive exp(∫A)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ..experiment import Experiment, Frame
from ..history import History
from ..linalg2d import expm2
from ..ode import STEPPERS
from ..params import Choice, Float
from ..registry import register
from ..views import Curves, Heatmap, Readout, Series

J = np.array([[0.0, -1.0], [1.0, 0.0]])
SYSTEMS = ("rotation", "parametric", "stretch", "exercise")
COMMUTATOR_GRID = 120


def a_of_t(system: str, amp: float, nu: float, t: np.ndarray) -> np.ndarray:
    """A(t) for an array of times: shape (n, 2, 2).

    rotation (the book's): ω(t)J with ω = 1 + amp·sin νt; parametric: [[0, 1], [−k(t), 0]]
    with k = 1 + amp·sin νt; stretch: R(νt) diag(amp, −amp) R(νt)ᵀ; exercise: tJ.
    """
    t = np.atleast_1d(np.asarray(t, dtype=float))
    out = np.zeros((len(t), 2, 2))
    if system == "rotation":
        out[:] = (1 + amp * np.sin(nu * t))[:, None, None] * J
    elif system == "parametric":
        out[:, 0, 1] = 1.0
        out[:, 1, 0] = -(1 + amp * np.sin(nu * t))
    elif system == "stretch":
        c, s = np.cos(2 * nu * t), np.sin(2 * nu * t)
        out[:, 0, 0], out[:, 0, 1], out[:, 1, 0], out[:, 1, 1] = amp * c, amp * s, amp * s, -amp * c
    else:
        out[:] = t[:, None, None] * J
    return out


def integral_of_a(system: str, amp: float, nu: float, t: float) -> np.ndarray:
    """∫₀ᵗ A(s) ds in closed form (its exponential is the naive solution operator)."""
    def cos_term(k: float) -> float:  # ∫₀ᵗ sin(ks) ds = (1 − cos kt)/k, → 0 as k → 0
        return (1 - math.cos(k * t)) / k if k else 0.0

    if system == "rotation":
        return (t + amp * cos_term(nu)) * J
    if system == "parametric":
        return np.array([[0.0, t], [-(t + amp * cos_term(nu)), 0.0]])
    if system == "stretch":
        k = 2 * nu
        sin_int = math.sin(k * t) / k if k else t  # ∫₀ᵗ cos(ks) ds
        ci = cos_term(k)
        return amp * np.array([[sin_int, ci], [ci, -sin_int]])
    return 0.5 * t * t * J


def commutator_norms(system: str, amp: float, nu: float, T: float,
                     n: int = COMMUTATOR_GRID) -> np.ndarray:
    """‖[A(t₁), A(t₂)]‖ (Frobenius) on an n × n grid over [0, T]², row index t₂."""
    A = a_of_t(system, amp, nu, np.linspace(0.0, T, n))
    C = np.einsum("iab,jbc->jiac", A, A) - np.einsum("jab,ibc->jiac", A, A)
    return np.sqrt((C**2).sum(axis=(2, 3)))


def second_order_truncation(T: float) -> np.ndarray:
    """Exercise 2.3.4: the Dyson series of A(t) = tJ to second order,
    I + (T²/2)J + (T⁴/8)J² = I + (T²/2)J − (T⁴/8)I."""
    return np.eye(2) + 0.5 * T * T * J - T**4 / 8 * np.eye(2)


def rotation(theta: float) -> np.ndarray:
    return np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])


@register
class TimeOrderedExponential(Experiment):
    id = "ch2.time-ordered-exponential"
    title = "Time-ordered exponential against the naive exp(∫A)"
    section = "2.3.4"
    family = "phase portrait"
    summary = ("ẋ = A(t)x: the true solution 𝒯exp(∫A)x₀ equals exp(∫A)x₀ only when the A(t) "
               "commute; the book's example commutes, the parametric oscillator does not.")
    explanation = (
        "A time-dependent linear system ẋ = A(t)x is solved by the time-ordered exponential "
        "(the Dyson series, later times to the left). It reduces to the naive exp(∫₀ᵗA)x₀ "
        "when every A(t₁) commutes with every A(t₂). The book's example A(t) = ω(t)J, "
        "ω = 1 + 0.5 sin t, is a multiple of one fixed matrix J, so it commutes: the map of "
        "‖[A(t₁), A(t₂)]‖ is zero everywhere and the naive rotation by θ(t) = ∫ω is exact. "
        "The gap the book's figures show is explicit Euler's error (each step inflates the "
        "radius by √(1 + ω²dt²)); switch to rk4 or shrink dt and it vanishes. The "
        "parametric oscillator A = [[0, 1], [−k(t), 0]] and the rotating stretch do not "
        "commute: their naive solution drifts away for every dt. Exercise 2.3.4: A(t) = tJ "
        "commutes too, 𝒯exp is the rotation by T²/2, and its second-order Dyson truncation "
        "I + (T²/2)J − (T⁴/8)I departs from it as T grows."
    )
    equations = (
        r"$\dot x = A(t)x,\qquad x(t) = \mathcal{T}\exp\left(\int_0^t A(s)\,ds\right)x_0$",
        r"$\mathcal{T}\exp = \exp\left(\int_0^t A\right)\ \mathrm{if}\ [A(t_1), A(t_2)] = 0$",
        r"$A(t) = \omega(t)J,\quad \omega = 1 + 0.5\sin t:\quad"
        r" \theta(t) = t + 0.5(1 - \cos t)$",
        r"$A(t) = ((0,\ 1),\ (-k(t),\ 0)):\quad"
        r" [A(t_1), A(t_2)] = \mathrm{diag}(k_1 - k_2,\ k_2 - k_1)$",
    )
    book_notes = (
        "Example 2.3.4 says the matrices A(t₁), A(t₂) do not commute and that the true and "
        "naive paths diverge. But A(t) = ω(t)J is a scalar multiple of one matrix, so all "
        "A(t) commute and the naive exponential is exact; the difference in Figs 2.12–2.13 "
        "is forward Euler's error, which shrinks with dt. The lab adds genuinely "
        "non-commuting presets (the parametric oscillator, a rotating stretch).",
        "Exercise 2.3.4's A(t) = tJ commutes as well: 𝒯exp is the rotation by T²/2 exactly.",
    )
    params = (
        Choice("system", "rotation", SYSTEMS, label="A(t)",
               help="rotation: the book's ω(t)J (commuting); parametric: [[0, 1], [−k(t), 0]]; "
                    "stretch: a rotating diag(a, −a) (both non-commuting); exercise: tJ."),
        Float("amplitude", 0.5, 0.0, 1.0, label="amplitude a",
              help="ω or k = 1 + a·sin νt; the stretch's size a."),
        Float("frequency", 1.0, 0.0, 3.0, label="frequency ν", help="ν in sin νt."),
        Float("T", 8.0, 1.0, 50.0, label="horizon T"),
        Float("dt", 0.001, 1e-4, 0.1, log=True, live=True, label="dt", help="Time step."),
        Choice("integrator", "euler", ("euler", "rk4", "expm-product"), label="integrator",
               help="euler: forward Euler as in the notebook; rk4; expm-product: "
                    "x ← exp(dt·A(t + dt/2))x, exact for commuting A up to the midpoint rule."),
    )
    views = (
        Curves("series", "x₁, x₂ against t: true and naive (Fig 2.12)",
               series=(Series("x_true", x="t_hist", names="true_names"),
                       Series("x_naive", x="t_hist", names="naive_names")),
               xlabel="t", ylabel="x"),
        Curves("phase", "Phase plane: true and naive (Fig 2.13)",
               series=(Series("x2_true", x="x1_true", label="true (integrated)"),
                       Series("x2_naive", x="x1_naive", label="naive exp(∫A)x₀"),
                       Series("heads_y", x="heads_x", label="now", style="dots")),
               xlabel="x₁", ylabel="x₂"),
        Curves("gap", "‖x_true − x_naive‖ (log axis)",
               series=(Series("gap_hist", x="t_hist", label="gap"),),
               xlabel="t", ylabel="gap", logy=True),
        Heatmap("commutator", "‖[A(t₁), A(t₂)]‖ over (t₁, t₂)", field="commutator",
                extent="commutator_extent", colormap="viridis", xlabel="t₁", ylabel="t₂"),
        Readout("readout", "Time-ordered exponential", area="bottom", lines=(
            ("commutes", "do the A(t) commute?", "{}"),
            ("gap_now", "gap now", "{:.3e}"),
            ("euler_text", "Euler's radius inflation ∏√(1 + ω²dt²)", "{}"),
            ("truncation_text", "Exercise 2.3.4: second-order truncation", "{}"),
        )),
    )
    frame_fields = {
        "x": "(2,) the integrated state", "x_naive_now": "(2,) exp(∫A)x₀ now",
        "t_hist": "(m,) times", "x_true": "(2, m) integrated x₁, x₂",
        "x_naive": "(2, m) naive x₁, x₂", "true_names": "(2,) labels",
        "naive_names": "(2,) labels", "x1_true": "(m,)", "x2_true": "(m,)",
        "x1_naive": "(m,)", "x2_naive": "(m,)", "heads_x": "(2,) x₁ of both now",
        "heads_y": "(2,) x₂ of both now", "gap_hist": "(m,) ‖x_true − x_naive‖",
        "commutator": "(n, n) ‖[A(t₁), A(t₂)]‖", "commutator_extent": "(4,) 0, T, 0, T",
        "commutes": "read-out", "gap_now": "the latest gap", "euler_text": "read-out",
        "truncation_text": "read-out",
    }
    history_fields = ("t_hist", "x_true", "x_naive", "gap_hist")
    nonfinite_fields = frozenset({"gap_hist"})
    default_steps_per_frame = 20
    max_steps_per_frame = 2000

    def _a(self, t: float) -> np.ndarray:
        p = self.p
        return a_of_t(p["system"], p["amplitude"], p["frequency"], np.array([t]))[0]

    def naive(self, t: float) -> np.ndarray:
        p = self.p
        return expm2(integral_of_a(p["system"], p["amplitude"], p["frequency"], t)) @ X0

    def _step(self, x: np.ndarray, t: float, h: float) -> np.ndarray:
        method = self.p["integrator"]
        if method == "expm-product":
            return expm2(h * self._a(t + h / 2)) @ x
        p = self.p

        def f(y: np.ndarray) -> np.ndarray:  # the state with time appended: ṫ = 1
            A = a_of_t(p["system"], p["amplitude"], p["frequency"], y[:, 2])
            return np.concatenate([np.einsum("kab,kb->ka", A, y[:, :2]),
                                   np.ones((len(y), 1))], axis=1)

        y = STEPPERS[method](f, np.array([[x[0], x[1], t]]), h)
        return y[0, :2]

    def frames(self) -> Iterator[Frame]:
        p = self.p
        T = p["T"]
        self.commutator = commutator_norms(p["system"], p["amplitude"], p["frequency"], T)
        self.extent = np.array([0.0, T, 0.0, T])
        big = float(self.commutator.max())
        self.commutes = ("yes: the commutator vanishes, exp(∫A) is exact" if big < 1e-12 else
                         f"no: max ‖[A(t₁), A(t₂)]‖ = {big:.3g}")
        hist = History(shape=(5,), capacity=4096)
        x, t, step = X0.copy(), 0.0, 0
        log_inflation = 0.0
        hist.append(0.0, (*x, *X0, np.nan))
        yield self._frame(step, t, x, hist, log_inflation)
        while t < T - 1e-12:
            for _ in range(self.steps_per_frame):
                if t >= T - 1e-12:
                    break
                h = min(self.p["dt"], T - t)
                if self.p["integrator"] == "euler":  # |I + hA| on a rotation ωJ
                    w = self._a(t)[1, 0] if p["system"] in ("rotation", "exercise") else 0.0
                    log_inflation += 0.5 * math.log1p((w * h) ** 2)
                x = self._step(x, t, h)
                t += h
                step += 1
            xn = self.naive(t)
            hist.append(t, (*x, *xn, max(float(np.linalg.norm(x - xn)), 1e-17)))
            yield self._frame(step, t, x, hist, log_inflation)

    def _frame(self, step: int, t: float, x: np.ndarray, hist: History,
               log_inflation: float) -> Frame:
        p = self.p
        v = hist.values
        xn = v[-1, 2:4]
        inflation = (f"{math.exp(log_inflation):.6g} (radius now {np.linalg.norm(x):.6g})"
                     if p["integrator"] == "euler" and p["system"] in ("rotation", "exercise")
                     else "—")
        if p["system"] == "exercise":
            exact = rotation(0.5 * t * t)
            diff = np.linalg.norm(second_order_truncation(t) - exact, 2)
            trunc = f"‖truncation − rotation by t²/2‖ = {diff:.3g} at t = {t:.3g}"
        else:
            trunc = "(choose the exercise system)"
        return {
            "step": step, "t": t, "x": x.copy(), "x_naive_now": xn.copy(),
            "t_hist": hist.x, "x_true": v[:, :2].T.copy(), "x_naive": v[:, 2:4].T.copy(),
            "true_names": TRUE_NAMES, "naive_names": NAIVE_NAMES,
            "x1_true": v[:, 0], "x2_true": v[:, 1], "x1_naive": v[:, 2], "x2_naive": v[:, 3],
            "heads_x": np.array([x[0], xn[0]]), "heads_y": np.array([x[1], xn[1]]),
            "gap_hist": v[:, 4], "commutator": self.commutator,
            "commutator_extent": self.extent, "commutes": self.commutes,
            "gap_now": float(np.linalg.norm(x - xn)), "euler_text": inflation,
            "truncation_text": trunc,
        }


X0 = np.array([1.0, 0.0])
TRUE_NAMES = np.array(["x₁ true", "x₂ true"], dtype=object)
NAIVE_NAMES = np.array(["x₁ naive", "x₂ naive"], dtype=object)
