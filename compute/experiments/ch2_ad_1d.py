"""§2.1.1, Example 2.1.2 item 1, Fig. 2.2: f(x) = sin x·exp(−x²/5) and its AD derivative on a
grid, against finite differences whose error traces a U in the step ε."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import autodiff as ad
from ..experiment import Experiment, Frame
from ..params import Bool, Choice, Float, Int
from ..registry import register
from ..views import Curves, Readout, Series

SWEEP_EPS = np.logspace(-12, -0.5, 70)  # the ε of the U-curve, one more per frame
FLOOR = 1e-17  # errors below this (exact zeros) are drawn at it on the log axes


def f_numpy(x: np.ndarray) -> np.ndarray:
    """f(x) = sin x·exp(−x²/5), in the dtype of x."""
    return np.sin(x) * np.exp(-x * x / 5)


def f_traced(x: Any) -> Any:
    """The same f, recorded on a tape: x² → −x²/5 → exp → ·sin x."""
    return ad.sin(x) * ad.exp(-0.2 * x**2)


def derivatives(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Closed-form f′, f″, f‴ (float64), from f = sin x·g with g = exp(−x²/5)."""
    g = np.exp(-x * x / 5)
    g1 = -0.4 * x * g
    g2 = (0.16 * x * x - 0.4) * g
    g3 = (0.32 * x - (0.16 * x * x - 0.4) * 0.4 * x) * g
    s, c = np.sin(x), np.cos(x)
    return c * g + s * g1, -s * g + 2 * c * g1 + s * g2, -c * g - 3 * s * g1 + 3 * c * g2 + s * g3


def error_models(eps: np.ndarray, x: np.ndarray, unit: float) -> tuple[np.ndarray, np.ndarray]:
    """Error bounds of the quotients over the grid: forward ε·max|f″|/2 + u·max|f|/ε,
    central ε²·max|f‴|/6 + u·max|f|/ε (u: the unit round-off of the dtype), capped at
    max|f′|: below half an ulp of x the step is lost, x + ε = x, and the quotient is 0."""
    _, f2, f3 = derivatives(x)
    fmax = np.abs(f_numpy(x.astype(float))).max()
    rounding = unit * fmax / eps
    cap = np.abs(derivatives(x)[0]).max()  # a step lost to rounding gives the quotient 0
    return (np.minimum(eps * np.abs(f2).max() / 2 + rounding, cap),
            np.minimum(eps**2 * np.abs(f3).max() / 6 + rounding, cap))


@register
class AD1DDerivative(Experiment):
    id = "ch2.ad-1d-derivative"
    title = "A scalar function and its AD derivative (Fig. 2.2)"
    section = "2.1.1"
    family = "computational graph & AD"
    summary = ("f(x) = sin x·exp(−x²/5) and f′ by reverse mode: exact to round-off, while "
               "finite differences fail for large and for small steps ε.")
    explanation = (
        "Reverse-mode AD differentiates f(x) = sin x·exp(−x²/5) at every grid point with one "
        "backward sweep (seeding the output adjoint with ones is valid because each f(xᵢ) "
        "depends on xᵢ only): the result equals f′(x) = exp(−x²/5)(cos x − (2x/5) sin x) to "
        "round-off. Finite differences are different: the forward quotient "
        "(f(x+ε) − f(x))/ε has a truncation error about ε|f″|/2, which wants ε small, and a "
        "round-off error about u|f|/ε (u the unit round-off), which wants ε large; the total is "
        "a U with its bottom near ε ≈ √u. The central quotient's truncation error is ε²|f‴|/6, "
        "so its bottom is near u^(1/3) and lower. Play sweeps ε from 10⁻¹² to 0.3: the "
        "error-vs-ε plot fills in point by point against the error model (capped at max|f′|: "
        "a step below half an ulp of x is lost, x + ε = x, and the quotient is 0), and the "
        "curves show the quotients at the current ε. In float32 (the notebook's default) "
        "u ≈ 6·10⁻⁸ and the failure at small ε is dramatic; AD stays flat at round-off."
    )
    equations = (
        r"$f(x) = \sin x\; e^{-x^2/5},\quad f'(x) = e^{-x^2/5}\left(\cos x"
        r" - \frac{2x}{5}\sin x\right)$",
        r"$\left|\frac{f(x+\epsilon) - f(x)}{\epsilon} - f'(x)\right| \approx"
        r" \frac{\epsilon}{2}|f''(x)| + \frac{u\,|f(x)|}{\epsilon},\quad"
        r" \epsilon^* \sim \sqrt{u}$",
        r"$\left|\frac{f(x+\epsilon) - f(x-\epsilon)}{2\epsilon} - f'(x)\right| \approx"
        r" \frac{\epsilon^2}{6}|f'''(x)| + \frac{u\,|f(x)|}{\epsilon},\quad"
        r" \epsilon^* \sim u^{1/3}$",
    )
    book_notes = (
        "The notebook differentiates with torch autograd; the lab uses its own small tape "
        "AD (the same reverse sweep, shown node by node in ch2.ad-computational-graph) so the "
        "experiment needs no torch; the tests check it against torch when torch is present.",
    )
    params = (
        Int("n_points", 400, 50, 5000, label="grid points", help="Points of the grid on [−6, 6]."),
        Choice("dtype", "float32", ("float32", "float64"),
               help="Precision of the grid, of AD and of the finite differences (the notebook "
                    "uses float32)."),
        Float("eps", 1e-4, 1e-8, 1e-1, live=True, log=True, label="ε (finite differences)",
              help="Step of the finite differences shown when the sweep is off."),
        Bool("sweep", True, live=True, label="sweep ε while playing",
             help="On: Play walks ε over 10⁻¹² … 0.3, one step per frame, filling the U-curve."),
        Int("frames_per_eps", 4, 1, 60, live=True, label="frames per ε",
            help="How long the sweep stays at each ε."),
    )
    views = (
        Curves("curves", "f and its derivative: AD, closed form, finite differences at ε",
               series=(Series("f", x="x", label="f(x)"),
                       Series("df_forward", x="x", label="forward difference"),
                       Series("df_central", x="x", label="central difference"),
                       Series("df_exact", x="x", label="f′ closed form"),
                       Series("df_ad", x="x", label="f′ by AD")),
               xlabel="x", ylabel="value"),
        Curves("u_curve", "Largest error over the grid vs the step ε",
               series=(Series("sweep_forward", x="sweep_eps", label="forward", style="dots"),
                       Series("sweep_central", x="sweep_eps", label="central", style="dots"),
                       Series("sweep_ad", x="sweep_eps", label="AD", style="dots"),
                       Series("model_forward", x="model_eps", label="model εf″/2 + u f/ε"),
                       Series("model_central", x="model_eps", label="model ε²f‴/6 + u f/ε")),
               xlabel="ε", ylabel="max |error|", logx=True, logy=True, vlines=("eps_now",)),
        Curves("errors", "|error| along x at the current ε",
               series=(Series("err_forward", x="x", label="forward difference"),
                       Series("err_central", x="x", label="central difference"),
                       Series("err_ad", x="x", label="AD")),
               xlabel="x", ylabel="|error|", logy=True),
        Readout("readout", "Errors", area="bottom", lines=(
            ("eps_now", "ε", "{:.3g}"),
            ("max_err_forward", "max error forward", "{:.3g}"),
            ("max_err_central", "max error central", "{:.3g}"),
            ("max_err_ad", "max error AD", "{:.3g}"),
            ("unit_roundoff", "unit round-off u", "{:.3g}"),
            ("best_eps_text", "best ε so far: forward | central", "{}"),
        )),
    )
    frame_fields = {
        "x": "(n,) the grid", "f": "(n,) f on the grid",
        "df_ad": "(n,) f′ by reverse-mode AD", "df_exact": "(n,) f′ in closed form (float64)",
        "df_forward": "(n,) forward quotient at ε", "df_central": "(n,) central quotient at ε",
        "err_forward": "(n,) |forward − f′| (at least 1e-17)",
        "err_central": "(n,) |central − f′| (at least 1e-17)",
        "err_ad": "(n,) |AD − f′| (at least 1e-17)",
        "sweep_eps": "(k,) the ε swept so far", "sweep_forward": "(k,) max forward error",
        "sweep_central": "(k,) max central error", "sweep_ad": "(k,) max AD error",
        "model_eps": "(70,) ε grid of the error models",
        "model_forward": "(70,) forward error model", "model_central": "(70,) central model",
        "eps_now": "the ε shown", "max_err_forward": "max forward error at ε",
        "max_err_central": "max central error at ε", "max_err_ad": "max AD error",
        "unit_roundoff": "u of the dtype (half its machine epsilon)",
        "best_eps_text": "text: ε of the smallest error so far, forward | central",
    }
    default_steps_per_frame = 1
    max_steps_per_frame = 100

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        dtype = np.dtype(self.p["dtype"])
        self.x = np.linspace(-6.0, 6.0, self.p["n_points"]).astype(dtype)
        self.unit = float(np.finfo(dtype).eps) / 2
        x64 = self.x.astype(float)
        self.exact = derivatives(x64)[0]
        tape = ad.trace(f_traced, ("x",))
        self.f, (self.df_ad,) = tape.gradient([self.x])
        self.err_ad = np.abs(self.df_ad.astype(float) - self.exact)
        self.model = error_models(SWEEP_EPS, x64, self.unit)
        self.swept: list[tuple[float, float, float]] = []

    def quotient_errors(self, eps: float) -> tuple[np.ndarray, ...]:
        """Forward and central quotients at ε and their errors along the grid."""
        fwd, cen = ad.difference_quotients(f_numpy, self.x, eps)
        return (fwd, cen, np.abs(fwd.astype(float) - self.exact),
                np.abs(cen.astype(float) - self.exact))

    def frames(self) -> Iterator[Frame]:
        tick = 0
        while True:
            yield self.frame(tick)
            tick += self.steps_per_frame

    def frame(self, tick: int) -> Frame:
        k = (tick // self.p["frames_per_eps"]) % len(SWEEP_EPS)
        while len(self.swept) <= k and len(self.swept) < len(SWEEP_EPS):
            e = float(SWEEP_EPS[len(self.swept)])
            _, _, ef, ec = self.quotient_errors(e)
            self.swept.append((float(ef.max()), float(ec.max()), float(self.err_ad.max())))
        eps = float(SWEEP_EPS[k]) if self.p["sweep"] else self.p["eps"]
        fwd, cen, ef, ec = self.quotient_errors(eps)
        done = np.array(self.swept, dtype=float).reshape(-1, 3)
        sweep_eps = SWEEP_EPS[: len(done)]
        best = (f"{sweep_eps[np.argmin(done[:, 0])]:.2g} | {sweep_eps[np.argmin(done[:, 1])]:.2g}"
                if len(done) else "—")
        return {
            "step": tick, "t": float(tick),
            "x": self.x.astype(float), "f": self.f.astype(float),
            "df_ad": self.df_ad.astype(float), "df_exact": self.exact,
            "df_forward": fwd.astype(float), "df_central": cen.astype(float),
            "err_forward": np.maximum(ef, FLOOR), "err_central": np.maximum(ec, FLOOR),
            "err_ad": np.maximum(self.err_ad, FLOOR),
            "sweep_eps": sweep_eps, "sweep_forward": np.maximum(done[:, 0], FLOOR),
            "sweep_central": np.maximum(done[:, 1], FLOOR),
            "sweep_ad": np.maximum(done[:, 2], FLOOR),
            "model_eps": SWEEP_EPS, "model_forward": self.model[0],
            "model_central": self.model[1],
            "eps_now": eps, "max_err_forward": float(ef.max()),
            "max_err_central": float(ec.max()), "max_err_ad": float(self.err_ad.max()),
            "unit_roundoff": self.unit, "best_eps_text": best,
        }
