"""§2.3.1 (eqs. 2.12–2.13, Example 2.3.1, Figs 2.7–2.8): the discrete heat equation
ẋ = Ax on a line of n sites, by forward Euler and by the matrix exponential."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..experiment import Diverged, Experiment, Frame
from ..history import History
from ..ode import blow_up_reason
from ..params import Choice, Float, Int, Seed
from ..registry import register
from ..views import Bars, Curves, Heatmap, Readout, Series

SNAPSHOT_TIMES = (0.0, 0.1, 0.5, 1.0, 2.0)  # the notebook's
ROW_EVERY = 10  # steps between rows of the space–time map (the notebook's)
MAX_ROWS = 2000
BLOW_UP = 10.0  # × max|x₀|: the exact flow never exceeds max|x₀| (maximum principle)


def heat_matrix(n: int, boundary: str, D: float = 1.0) -> np.ndarray:
    """D times the tridiagonal (1, −2, 1) matrix on n sites.

    dirichlet: −2 also in the corners (the notebook's matrix: heat leaks out at both
    ends); neumann: −1 in the corners (rows sum to 0, mass is conserved); periodic: the
    ends are neighbours (a ring).
    """
    A = -2.0 * np.eye(n) + np.eye(n, k=1) + np.eye(n, k=-1)
    if boundary == "neumann":
        A[0, 0] = A[-1, -1] = -1.0
    elif boundary == "periodic" and n > 2:
        A[0, -1] = A[-1, 0] = 1.0
    return D * A


def dirichlet_eigenvalues(n: int) -> np.ndarray:
    """−2 + 2cos(kπ/(n+1)), k = 1..n: the spectrum of the notebook's matrix."""
    return -2.0 + 2.0 * np.cos(np.arange(1, n + 1) * np.pi / (n + 1))


def initial_profile(kind: str, n: int, seed: int) -> np.ndarray:
    """spike: e_(n//2) (the notebook's); two-spikes; step: ones on the left half;
    random: uniform on [0, 1]."""
    x = np.zeros(n)
    if kind == "spike":
        x[n // 2] = 1.0
    elif kind == "two-spikes":
        x[n // 4] = x[(3 * n) // 4] = 1.0
    elif kind == "step":
        x[: n // 2] = 1.0
    else:
        x = np.random.default_rng(seed).random(n)
    return x


def lattice_center(t: float, D: float = 1.0) -> float:
    """The centre value of a unit spike on the infinite line: e^{−2Dt}I₀(2Dt)."""
    from scipy.special import ive

    return float(ive(0, 2 * D * t))


@register
class Heat1D(Experiment):
    id = "ch2.heat-1d-linear-system"
    title = "Discrete heat equation ẋ = Ax on a line"
    section = "2.3.1"
    family = "graph dynamics"
    summary = ("A spike of heat spreads along n sites: forward Euler against exp(tA), the "
               "space–time map filling in, eigenmodes decaying as exp(λₖt).")
    explanation = (
        "The heat equation on a line of n sites is the linear system ẋ = Ax, A tridiagonal "
        "with −2 on the diagonal and 1 beside it. Its solution x(t) = exp(tA)x₀ spreads a "
        "spike into a bell; each eigenmode of A decays as exp(λₖt) with "
        "λₖ = −2 + 2cos(kπ/(n+1)). Forward Euler x ← x + dt·Ax follows it while "
        "dt < 2/|λ_max| (about 0.5); beyond, the fastest mode, a checkerboard, grows, and "
        "once the profile passes ten times its start (heat flow never exceeds its initial "
        "maximum) the run stops, naming the stable step. While the spread stays away from "
        "the ends the centre follows the infinite-line value exp(−2t)I₀(2t). The notebook's "
        "matrix keeps "
        "−2 in the corners, which lets heat leak out (the total mass decays); the Neumann "
        "ends (−1 in the corners) conserve it, the periodic ring too."
    )
    equations = (
        r"$\dot x = Ax,\qquad A = D\,\mathrm{tridiag}(1, -2, 1),\qquad x(t) = e^{tA}x_0$",
        r"$x_{k+1} = x_k + \Delta t\,A x_k\quad \mathrm{stable\ iff}\ "
        r"\Delta t < 2/|\lambda_{\max}|$",
        r"$\lambda_k = -2 + 2\cos\frac{k\pi}{n+1},\quad k = 1, \dots, n$",
        r"$x_c(t) \approx e^{-2t} I_0(2t)\quad \mathrm{(infinite\ line)}$",
    )
    book_notes = (
        "The book and the notebook call the boundary 'Neumann-like', but the notebook's "
        "matrix keeps −2 in the corner entries: absorbing (Dirichlet-type) ends, through "
        "which the total mass leaks away. The lab offers that matrix (dirichlet, the "
        "default), true Neumann ends (−1 in the corners, mass conserved) and a ring.",
    )
    params = (
        Int("n", 20, 5, 500, label="sites n", help="Number of sites."),
        Float("D", 1.0, 0.01, 5.0, live=True, label="D", help="Diffusion coefficient (scales A)."),
        Choice("boundary", "dirichlet", ("dirichlet", "neumann", "periodic"),
               help="dirichlet: −2 in the corners as the notebook (heat leaks out); neumann: "
                    "−1 (mass conserved); periodic: a ring."),
        Choice("initial", "spike", ("spike", "two-spikes", "step", "random"),
               help="spike: a unit spike at n//2, as the notebook."),
        Float("T", 2.0, 0.1, 20.0, label="t final"),
        Float("dt", 0.001, 1e-4, 0.6, live=True, log=True, label="dt",
              help="Time step; Euler is stable for dt < 2/|λ_max| ≈ 0.5/D."),
        Choice("method", "euler", ("euler", "expm", "eigen"), live=True,
               help="euler: forward Euler (the notebook); expm: x ← exp(dt·A)x, exact; "
                    "eigen: x(t) = Q exp(tΛ)Qᵀx₀ from the eigen-decomposition."),
        Seed(),
    )
    views = (
        Curves("snapshots", "Profiles x_i at t = 0, 0.1, 0.5, 1, 2 and now (Fig 2.7)",
               series=(Series("snapshots", x="sites", names="snapshot_names"),
                       Series("x", x="sites", label="now")),
               xlabel="site i", ylabel="x_i"),
        Heatmap("spacetime", "Space–time map, one row every 10 steps (Fig 2.8)",
                field="spacetime", extent="spacetime_extent", colormap="inferno",
                xlabel="site i", ylabel="t"),
        Bars("modes", "Eigenmode amplitudes |qₖᵀx(t)| and exp(λₖt)|qₖᵀx₀|",
             values="mode_amplitudes", reference="mode_exact", reference_label="exact",
             xlabel="mode k (slowest first)", ylabel="amplitude", logy=True),
        Curves("centre", "Centre x_c, infinite line exp(−2t)I₀(2t), mass Σx_i",
               series=(Series("center_hist", x="t_hist", label="centre"),
                       Series("lattice_hist", x="t_hist", label="infinite line"),
                       Series("mass_hist", x="t_hist", label="mass")),
               xlabel="t", ylabel="value"),
        Readout("readout", "Heat equation", area="bottom", lines=(
            ("stability_text", "Euler stability", "{}"),
            ("mass", "mass Σx_i", "{:.6g}"),
            ("error", "‖x − exp(tA)x₀‖", "{:.2e}"),
        )),
    )
    frame_fields = {
        "x": "(n,) the profile now", "sites": "(n,) site indices",
        "snapshots": "(k, n) profiles at the snapshot times reached so far",
        "snapshot_names": "(k,) their times",
        "spacetime": "(rows, n) profiles every 10 steps (NaN rows not reached yet)",
        "spacetime_extent": "(4,) −0.5, n − 0.5, 0, T",
        "mode_amplitudes": "(n,) |qₖᵀx|", "mode_exact": "(n,) exp(λₖt)|qₖᵀx₀|",
        "t_hist": "(m,) times", "center_hist": "(m,) x at n//2",
        "lattice_hist": "(m,) e^(−2Dt)I₀(2Dt)", "mass_hist": "(m,) Σx_i",
        "stability_text": "read-out", "mass": "Σx_i now", "error": "distance from exp(tA)x₀",
    }
    history_fields = ("t_hist", "center_hist", "lattice_hist", "mass_hist")
    nonfinite_fields = frozenset({"spacetime", "snapshots"})
    default_steps_per_frame = 10
    memory_param = "n"

    @classmethod
    def memory_bytes(cls, p) -> int:
        return 8 * p["n"] * (MAX_ROWS + 3 * p["n"])

    def on_live_change(self, names: set[str]) -> None:
        if "D" in names:
            self._set_matrix()

    def _set_matrix(self) -> None:
        p = self.p
        self.A = heat_matrix(p["n"], p["boundary"], p["D"])
        self.lam, self.Q = np.linalg.eigh(self.A)
        order = np.argsort(-self.lam)  # slowest (closest to 0) first
        self.lam, self.Q = self.lam[order], self.Q[:, order]
        self._propagator = {}

    def _exact(self, t: float) -> np.ndarray:
        return self.Q @ (np.exp(t * self.lam) * (self.Q.T @ self.x0))

    def _step(self, x: np.ndarray, h: float) -> np.ndarray:
        method = self.p["method"]
        if method == "euler":
            return x + h * (self.A @ x)
        if method == "expm":
            P = self._propagator.get(h)
            if P is None:
                from scipy.linalg import expm

                P = self._propagator[h] = expm(h * self.A)
            return P @ x
        return self._exact(self.time + h)

    def frames(self) -> Iterator[Frame]:
        p = self.p
        n, T = p["n"], p["T"]
        self._set_matrix()
        self.x0 = initial_profile(p["initial"], n, p["seed"])
        x, self.time, step = self.x0.copy(), 0.0, 0
        self.x_max = max(float(np.abs(self.x0).max()), 1e-300)
        rows = int(min(MAX_ROWS, np.ceil(T / p["dt"] / ROW_EVERY) + 1))
        self.row_every = max(ROW_EVERY, int(np.ceil(T / p["dt"] / (rows - 1))))
        self.spacetime = np.full((rows, n), np.nan)
        self.spacetime[0] = x
        self.snapshots = [x.copy()]
        self.snapshot_names = ["t = 0"]
        self.hist = History(shape=(3,), capacity=4096)
        self._record(x)
        yield self._frame(step, x)
        while self.time < T - 1e-12:
            for _ in range(self.steps_per_frame):
                if self.time >= T - 1e-12:
                    break
                h = min(self.p["dt"], T - self.time)
                x = self._step(x, h)
                self.time += h
                step += 1
                if step % self.row_every == 0:
                    self.spacetime[min(step // self.row_every, rows - 1)] = x
                for ts in SNAPSHOT_TIMES[len(self.snapshots):]:
                    if ts <= T and self.time >= ts - 1e-9:
                        self.snapshots.append(x.copy())
                        self.snapshot_names.append(f"t = {ts:g}")
            if not np.isfinite(x).all() or np.abs(x).max() > BLOW_UP * self.x_max:
                raise Diverged(step, "the profile grew to ten times its start, which heat "
                               "flow never does: " + blow_up_reason("euler", self.A,
                                                                    self.p["dt"]))
            self._record(x)
            yield self._frame(step, x)

    def _record(self, x: np.ndarray) -> None:
        n = self.p["n"]
        self.hist.append(self.time, (x[n // 2], lattice_center(self.time, self.p["D"]),
                                     x.sum()))

    def _frame(self, step: int, x: np.ndarray) -> Frame:
        p = self.p
        v = self.hist.values
        h_star = 2.0 / abs(self.lam).max()
        amp = np.abs(self.Q.T @ x)
        exact_amp = np.exp(self.time * self.lam) * np.abs(self.Q.T @ self.x0)
        return {
            "step": step, "t": self.time, "x": x.copy(),
            "sites": np.arange(p["n"], dtype=float),
            "snapshots": np.array(self.snapshots),
            "snapshot_names": np.array(self.snapshot_names, dtype=object),
            "spacetime": self.spacetime.copy(),  # a new object: the map redraws
            "spacetime_extent": np.array([-0.5, p["n"] - 0.5, 0.0, p["T"]]),  # site i at i
            "mode_amplitudes": amp, "mode_exact": exact_amp,
            "t_hist": self.hist.x, "center_hist": v[:, 0], "lattice_hist": v[:, 1],
            "mass_hist": v[:, 2],
            "stability_text": (f"dt < 2/|λ_max| = {h_star:.4g} (now {p['dt']:.3g}: "
                               + ("stable)" if p["dt"] < h_star or p["method"] != "euler"
                                  else "unstable)")),
            "mass": float(x.sum()), "error": float(np.linalg.norm(x - self._exact(self.time))),
        }
