"""§2.3.3, Example 2.3.3 (Figs. 2.10–2.11) and Exercise 2.3.3: linear dynamics on a graph,
ẋ = −Lx (consensus; the gradient flow of f(x) = ½xᵀLx), integrated by explicit Euler
(gradient descent with step η) next to the exact e^{−tL}x(0); the graph is editable by clicks."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from .. import graphs
from ..experiment import Diverged, Experiment, Frame
from ..params import Choice, Float, Int, Matrix, ParamError, Seed, as_array
from ..registry import register
from ..views import Bars, Curves, Graph, Readout, Series
from .ch1_laplacian import closed_form_spectrum

GRAPHS = (*graphs.PRESETS, "custom")
EDIT_MAX = 16  # graphs up to this many nodes can be edited (the matrix A holds them)
LINES_UP_TO = 12  # node traces as separate named lines up to this many nodes, else a fan
BLOW_UP = 1e6  # |x| beyond this × the initial scale: the explicit scheme diverged
ROUND_OFF = 1e-14  # disagreement below this × its start (energy: squared) is drawn there
FINE_POINTS = 400  # the exact flow drawn on this many times up to T
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
RING5 = graphs.ring(5)


def initial_state(kind: str, n: int, seed: int) -> np.ndarray:
    """random: the notebook's default_rng(seed).normal(size=n); spike: e₁; two-valued: +1 on
    the first half, −1 on the rest."""
    if kind == "random":
        return np.random.default_rng(seed).normal(size=n)
    if kind == "spike":
        return np.eye(n)[0]
    return np.where(np.arange(n) < (n + 1) // 2, 1.0, -1.0)


def layout(name: str, A: np.ndarray, seed: int) -> np.ndarray:
    """Circle for the symmetric presets and edited graphs (nodes keep their places while
    edges change), a line for the path, a spring layout otherwise."""
    n = len(A)
    if name in ("ring", "complete", "star", "custom"):
        return graphs.circle_layout(n)
    if name == "path":
        return graphs.line_layout(n)
    if name == "barbell":  # each clique on its own circle, the bridge's ends facing
        a = (n + 1) // 2
        left = 2 * np.pi * (np.arange(a) - (a - 1)) / a
        right = np.pi + 2 * np.pi * (np.arange(n - a)) / max(n - a, 1)
        return np.concatenate([np.stack([np.cos(left) - 1.6, np.sin(left)], 1),
                               np.stack([np.cos(right) + 1.6, np.sin(right)], 1)])
    return graphs.spring_layout(A, seed=seed)


class LaplacianFlow(Experiment):
    """Shared engine of both experiments; subclasses set the step parameter and views."""

    step_name: ClassVar[str] = "dt"
    family = "graph dynamics"
    section = "2.3.3"
    history_fields = ("history_t", "history_x", "history_exact", "disagreement",
                      "disagreement_exact", "energy", "energy_exact")
    nonfinite_fields = frozenset({"closed_form"})
    default_steps_per_frame = 1
    max_steps_per_frame = 200

    @classmethod
    def graph_params(cls, graph: str, n: int, A: np.ndarray, initial: str, seed: int) -> tuple:
        return (
            Choice("graph", graph, GRAPHS, live=True,
                   help="Preset (ring C_n, path, complete K_n, star, barbell, random G(n, p)) "
                        "or custom: the matrix A. Clicking two nodes of the graph toggles "
                        "the edge between them (the graph becomes custom)."),
            Int("n", n, 3, 200, live=True, label="nodes n", help="Size of the presets."),
            Float("p", 0.3, 0.0, 1.0, live=True, label="edge probability p (random)"),
            Matrix("A", A.tolist(), 0.0, 10.0, max_shape=(EDIT_MAX, EDIT_MAX), live=True,
                   label="adjacency A (custom)",
                   help="Symmetric weights, zero diagonal; used when graph is custom."),
            Choice("initial", initial, ("random", "spike", "two-valued"),
                   help="x(0): random = default_rng(seed).normal(size=n) as in the notebook; "
                        "spike = e₁; two-valued = +1 on the first half, −1 on the rest."),
            Choice("method", "euler", ("euler", "exact"), live=True,
                   help="euler: x ← x − Δt·Lx (gradient descent on ½xᵀLx); exact: "
                        "e^(−ΔtL) per step through the eigendecomposition."),
            Seed(default=seed, help="Seed of the random x(0) and the random graph."),
        )

    @classmethod
    def adjacency(cls, p: Mapping[str, Any]) -> np.ndarray:
        """The graph's weighted adjacency matrix."""
        if p["graph"] == "custom":
            return as_array(p["A"])
        return graphs.make(p["graph"], p["n"], p["p"], np.random.default_rng(p["seed"] + 1))

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        if p["graph"] != "custom":
            return
        A = as_array(p["A"])
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ParamError("A", f"the adjacency matrix must be square, not {A.shape[0]}×"
                                  f"{A.shape[1]}")
        if len(A) < 2:
            raise ParamError("A", "a graph needs at least 2 nodes")
        if not np.allclose(A, A.T):
            raise ParamError("A", "the adjacency matrix must be symmetric (an undirected "
                                  "graph): A[i, j] = A[j, i]")
        if np.any(np.diag(A) != 0):
            raise ParamError("A", "the diagonal must be 0 (no self-loops)")

    @classmethod
    def interaction_changes(cls, p: Mapping[str, Any], event: str, payload: Any
                            ) -> dict[str, Any]:
        """Clicking node i, then node j toggles the edge {i, j}: the graph becomes custom."""
        if event != "toggle_edge":
            return {}
        A = cls.adjacency(p)
        if len(A) > EDIT_MAX:
            raise ParamError("graph", f"graphs of more than {EDIT_MAX} nodes are not edited "
                                      "by clicks (take n ≤ 16)")
        i, j = (int(v) for v in payload)
        A = graphs.toggle_edge(A, i, j)
        return {"graph": "custom", "A": tuple(tuple(float(v) for v in row) for row in A)}

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self.build_graph()
        self.reset_state()

    # -- the graph and the state --------------------------------------------------------
    def build_graph(self) -> None:
        p = self.p
        self.A = self.adjacency(p)
        self.L = graphs.laplacian(self.A)
        self.lam, self.V = np.linalg.eigh(self.L)
        self.lam = np.where(np.abs(self.lam) < 1e-12 * max(self.lam[-1], 1.0), 0.0, self.lam)
        self.positions = layout(p["graph"], self.A, p["seed"])
        self.edges, self.weights = graphs.edge_list(self.A)
        self.closed = (closed_form_spectrum(p["graph"], len(self.A))
                       if p["graph"] in ("ring", "path", "complete", "star") else None)
        nonzero = self.lam[self.lam > 1e-9 * max(self.lam[-1], 1e-300)]
        self.lambda2 = float(nonzero[0]) if len(self.lam) > 1 and self.lam[1] > 0 else 0.0
        self.bound = 2.0 / self.lam[-1] if self.lam[-1] > 0 else math.inf

    def reset_state(self) -> None:
        p = self.p
        self.x0 = initial_state(p["initial"], len(self.A), p["seed"])
        self.x = self.x0.copy()
        self.time = 0.0
        self.steps = 0
        self.t_ref, self.x_ref = 0.0, self.x0.copy()  # the exact flow restarts from here
        self.hist_t: list[float] = []
        self.hist_x: list[np.ndarray] = []
        self.hist_exact: list[np.ndarray] = []
        self.hist_scalars: list[tuple[float, float, float, float]] = []
        self.record()

    def on_live_change(self, names: set[str]) -> None:
        if names & {"graph", "n", "p", "A"}:
            old_n = len(self.A)
            exact_now = self.exact(self.time)
            self.build_graph()
            if len(self.A) != old_n:
                self.reset_state()
            else:  # keep the state; the exact flow continues from its own state
                self.t_ref, self.x_ref = self.time, exact_now

    def exact(self, t: float) -> np.ndarray:
        """e^{−(t − t_ref)L} x_ref through the eigendecomposition."""
        coef = self.V.T @ self.x_ref
        return self.V @ (np.exp(-self.lam * (t - self.t_ref)) * coef)

    @property
    def step_size(self) -> float:
        return float(self.p[self.step_name])

    def advance(self) -> None:
        h = self.step_size
        if self.p["method"] == "euler":
            self.x = self.x - h * (self.L @ self.x)
        else:
            self.x = self.V @ (np.exp(-self.lam * h) * (self.V.T @ self.x))
        self.time += h
        self.steps += 1
        scale = max(1.0, float(np.abs(self.x0).max()))
        if not np.all(np.isfinite(self.x)) or np.abs(self.x).max() > BLOW_UP * scale:
            raise Diverged(self.steps, f"explicit Euler is unstable on this graph: step "
                                       f"{h:g} ≥ 2/λ_max = {self.bound:.4g}; take a step "
                                       f"below {self.bound:.4g} or the exact method")

    def record(self) -> None:
        """Keep the state, the exact state and their disagreement and energy (computed once
        here, not again every frame)."""
        exact = self.exact(self.time)
        self.hist_t.append(self.time)
        self.hist_x.append(self.x.copy())
        self.hist_exact.append(exact)
        # L1 = 0: f(x) = f(x − ⟨x⟩1), which keeps f accurate far below |x|²·round-off
        d, e = self.x - self.x.mean(), exact - exact.mean()
        self.hist_scalars.append((np.linalg.norm(d), np.linalg.norm(e),
                                  0.5 * d @ self.L @ d, 0.5 * e @ self.L @ e))

    def frames(self) -> Iterator[Frame]:
        step = 0
        while True:
            yield self.frame(step)
            for _ in range(self.steps_per_frame):
                if self.time < self.t_final() - 1e-12:
                    self.advance()
            if self.time > self.hist_t[-1]:  # held at T: nothing new to record
                self.record()
            step += self.steps_per_frame

    def t_final(self) -> float:
        return float(self.p["T"])

    # -- one frame ----------------------------------------------------------------------
    def frame(self, step: int) -> Frame:
        n = len(self.A)
        t = np.array(self.hist_t)
        X = np.array(self.hist_x).T  # (n, k)
        E = np.array(self.hist_exact).T
        mean0 = float(self.x0.mean())
        lines = n <= LINES_UP_TO
        dis, dis_exact, energy, energy_exact = np.array(self.hist_scalars).T
        ref_dis = float(np.linalg.norm(self.x_ref - self.x_ref.mean()))
        # round-off floors for the log axes (relative to the start: below them is noise)
        dis_floor = ROUND_OFF * max(float(dis[0]), 1e-300)
        energy_floor = ROUND_OFF**2 * max(float(energy[0]), 1e-300)
        names = np.array([f"x{str(i + 1).translate(SUB)}" for i in range(n)])
        closed = self.closed if self.closed is not None else np.full(n, np.nan)
        lo, hi = float(self.x0.min()), float(self.x0.max())
        fine_t = np.linspace(self.t_ref, max(self.t_final(), self.t_ref), FINE_POINTS)
        coef = self.V.T @ self.x_ref
        decay = np.exp(-np.outer(self.lam, fine_t - self.t_ref))  # (n, 400)
        # f = ½ Σₖ λₖ cₖ² e^(−2λₖt) along the exact flow: no n × n work per time
        fine_energy = 0.5 * (self.lam * coef**2) @ decay**2
        fine = self.V @ (decay * coef[:, None]) if lines else np.zeros((0, FINE_POINTS))
        # the bound is known up to T from the start: drawn whole, it fixes the plot's range
        bound = np.maximum(ref_dis * np.exp(-self.lambda2 * (fine_t - self.t_ref)), dis_floor)
        return {
            "step": step, "t": float(self.time),
            "positions": self.positions, "edges": self.edges.astype(int),
            "edge_weights": self.weights, "node_labels": np.array([str(i + 1)
                                                                  for i in range(n)]),
            "x": self.x.copy(), "x0": self.x0, "x_levels": np.array([lo, hi]),
            "history_t": t, "history_x": X, "history_exact": E,
            "traces": X if lines else np.zeros((0, len(t))),
            "trace_names": names if lines else np.array([], dtype=str),
            "traces_exact": E if lines else np.zeros((0, len(t))),
            "exact_names": (np.array([f"{s} exact" for s in names]) if lines
                            else np.array([], dtype=str)),
            "fan": X if not lines else np.zeros((0, len(t))),
            "fan_classes": np.arange(n) % 8 if not lines else np.zeros(0, dtype=int),
            "mean_line": mean0,
            "disagreement": np.maximum(dis, dis_floor),
            "disagreement_exact": np.maximum(dis_exact, dis_floor),
            "disagreement_bound": bound,
            "energy": np.maximum(energy, energy_floor),
            "energy_exact": np.maximum(energy_exact, energy_floor),
            "eigenvalues": self.lam, "closed_form": closed,
            "eig_labels": np.array([f"λ{str(i + 1).translate(SUB)}" for i in range(n)]),
            "fiedler_index": 1,
            "sum_drift": float(self.x.sum() - self.x0.sum()),
            "mean0": mean0, "lambda2": self.lambda2, "lambda_max": float(self.lam[-1]),
            "euler_bound": float(self.bound),
            "euler_error": float(np.abs(self.x - self.exact(self.time)).max()),
            "energy_now": float(energy[-1]),
            "fine_t": fine_t, "fine_exact": fine,
            "fine_energy": np.maximum(fine_energy, energy_floor),
        }


COMMON_FIELDS = {
    "positions": "(n, 2) node positions", "edges": "(m, 2) edges", "edge_weights": "(m,)",
    "node_labels": "(n,) node numbers", "x": "(n,) the state now", "x0": "(n,) x(0)",
    "x_levels": "(2,) range of x(0): the colour range (consensus stays inside it)",
    "history_t": "(k,) recorded times", "history_x": "(n, k) states",
    "history_exact": "(n, k) exact e^(−tL)x(0)",
    "traces": "(n, k) node traces when n ≤ 12 (else empty)",
    "trace_names": "names of the traces", "traces_exact": "(n, k) exact traces when n ≤ 12",
    "exact_names": "their names", "fan": "(n, k) node traces when n > 12 (else empty)",
    "fan_classes": "(n,) colour classes of the fan", "mean_line": "mean of x(0)",
    "disagreement": "(k,) ‖x − ⟨x⟩1‖", "disagreement_exact": "(k,) same for the exact flow",
    "disagreement_bound": "(400,) e^(−λ₂(t − t₀))·‖x(t₀) − ⟨x⟩1‖ from the last graph change "
                          "to T",
    "energy": "(k,) f = ½xᵀLx", "energy_exact": "(k,) f along the exact flow",
    "eigenvalues": "(n,) Laplacian spectrum", "closed_form": "(n,) its closed form (NaN "
    "when the graph has none)", "eig_labels": "(n,) λ₁ …", "fiedler_index": "index of λ₂",
    "sum_drift": "Σx − Σx(0) (conserved: 1ᵀL = 0)", "mean0": "mean of x(0)",
    "lambda2": "algebraic connectivity λ₂", "lambda_max": "largest eigenvalue",
    "euler_bound": "2/λ_max: Euler's stability limit", "euler_error": "max |x − exact|",
    "energy_now": "f(x) now",
    "fine_t": "(400,) times from the last graph change to T",
    "fine_exact": "(n, 400) the exact flow on them (n ≤ 12)",
    "fine_energy": "(400,) f along the exact flow",
}


def graph_view(key: str, title: str, values: str) -> Graph:
    return Graph(key, title, positions="positions", edges="edges", values=values,
                 labels="node_labels", weights="edge_weights", levels_field="x_levels",
                 colormap="CET-D1", value_label="xᵢ", editable=True)


@register
class GraphConsensusRing(LaplacianFlow):
    id = "ch2.graph-consensus-ring"
    title = "Consensus dynamics ẋ = −Lx on a ring (Example 2.3.3, Figs. 2.10–2.11)"
    summary = ("Five nodes on a ring average their values: x(t) = e^(−tL)x(0) → mean·1, "
               "at the rate λ₂; click two nodes to toggle an edge and watch the rate change.")
    explanation = (
        "Each node moves toward its neighbours, ẋᵢ = Σⱼ Aᵢⱼ(xⱼ − xᵢ), i.e. ẋ = −Lx with the "
        "graph Laplacian L = D − A. Since 1ᵀL = 0 the sum Σxᵢ is conserved, and every "
        "other eigen-mode decays like e^(−λₖt): the state converges to the average of x(0) "
        "on every node (consensus), the disagreement ‖x − ⟨x⟩1‖ falling at least as fast as "
        "e^(−λ₂t), λ₂ the algebraic connectivity. The notebook integrates the ring C₅ from "
        "x(0) = default_rng(42).normal(size=5) by explicit Euler with Δt = 0.005 to t = 5; "
        "Euler is stable only for Δt < 2/λ_max. Nodes are coloured by their value on the "
        "scale of x(0) (the graph at t = 0 is shown too, as in Fig. 2.11). Click a node, "
        "then another, to add or remove the edge between them: the spectrum and the decay "
        "rate change at once while the state flows on. The barbell shows fast consensus "
        "inside each clique and slow consensus across the bridge."
    )
    equations = (
        r"$\dot x = -Lx,\quad L = D - A,\quad x(t) = e^{-tL}x(0) \to \bar x\,\mathbf{1},"
        r"\quad \bar x = \frac{1}{n}\sum_i x_i(0)$",
        r"$\|x(t) - \bar x\mathbf{1}\| \leq e^{-\lambda_2 t}\,\|x(0) - \bar x\mathbf{1}\|,"
        r"\qquad C_n:\ \lambda_k = 2 - 2\cos(2\pi k/n)$",
        r"$\mathrm{Euler}:\ x_{k+1} = (I - \Delta t\,L)\,x_k,\quad \mathrm{stable\ iff}\ "
        r"\Delta t < 2/\lambda_{\max}$",
    )
    book_notes = (
        "§2.3.3's introduction says a Laplacian's rows \"sum to unity\"; they sum to zero (the "
        "random-walk matrix D⁻¹A has rows summing to one). That zero row sum is what "
        "conserves Σxᵢ here.",
    )
    params = (
        Float("dt", 0.005, 1e-4, 1.0, live=True, log=True, label="Δt",
              help="Euler step (the notebook: 0.005); Euler needs Δt < 2/λ_max."),
        Float("T", 5.0, 0.5, 100.0, live=True, label="final time T",
              help="The run stops advancing at T (the notebook: 5)."),
        *LaplacianFlow.graph_params("ring", 5, RING5, "random", 42),
    )
    views = (
        graph_view("graph", "The graph, nodes coloured by xᵢ(t)", "x"),
        Curves("traces", "Node traces xᵢ(t)",
               series=(Series("traces", x="history_t", names="trace_names"),
                       Series("fan", x="history_t", label="nodes", style="fan",
                              classes="fan_classes")),
               xlabel="t", ylabel="xᵢ", hlines=("mean_line",)),
        graph_view("graph0", "The graph at t = 0", "x0"),
        Curves("disagreement", "Disagreement ‖x − ⟨x⟩1‖ against exp(−λ₂t)",
               series=(Series("disagreement", x="history_t", label="run"),
                       Series("disagreement_exact", x="history_t", label="exact"),
                       Series("disagreement_bound", x="fine_t", label="bound")),
               xlabel="t", ylabel="‖x − ⟨x⟩1‖", logy=True),
        Bars("spectrum", "Laplacian spectrum", values="eigenvalues", labels="eig_labels",
             reference="closed_form", reference_label="closed form", highlight="fiedler_index",
             ylabel="λ"),
        Readout("readout", "Consensus", area="bottom", lines=(
            ("t", "t", "{:.3f}"),
            ("mean0", "⟨x⟩ = mean of x(0)", "{:.5f}"),
            ("sum_drift", "Σx − Σx(0)", "{:.1e}"),
            ("lambda2", "λ₂", "{:.4f}"),
            ("euler_bound", "Euler bound 2/λ_max", "{:.4f}"),
            ("euler_error", "max |x − exact|", "{:.2e}"),
        )),
    )
    frame_fields = COMMON_FIELDS
    default_steps_per_frame = 10  # the notebook stores every 10th of its 1000 steps


@register
class GraphODEExercise(LaplacianFlow):
    id = "ch2.graph-ode-exercise"
    title = "Gradient flow of ½xᵀLx on K₃ and gradient descent (Exercise 2.3.3)"
    summary = ("On the triangle K₃ from x(0) = (1, 0, 0): x₁ = 1/3 + (2/3)e^(−3t), "
               "f(x(t)) = e^(−6t); gradient descent with step η tracks it only for η < 2/3.")
    explanation = (
        "Exercise 2.3.3: on the complete graph K₃, L = 3I − 11ᵀ with eigenvalues 0, 3, 3. "
        "From x(0) = (1, 0, 0) the flow ẋ = −Lx gives x₁(t) = 1/3 + (2/3)e^(−3t) and "
        "x₂ = x₃ = 1/3 − (1/3)e^(−3t). Since ∇f = Lx for f(x) = ½xᵀLx, this flow is the "
        "gradient flow of f, and f(x(t)) = e^(−6t). Gradient descent xₖ₊₁ = xₖ − ηLxₖ is its "
        "explicit Euler discretisation: the dots (one per iteration) follow the exact "
        "curves for small η, with an O(η) lag, but the mode factor 1 − 3η flips sign for "
        "η > 1/3 (oscillation) and exceeds 1 in size for η > 2/λ_max = 2/3 (divergence). "
        "Drag η past 2/3 and watch the iterates leave the flow. The graph is editable: "
        "click two nodes to toggle an edge."
    )
    equations = (
        r"$K_3:\ L = 3I - \mathbf{1}\mathbf{1}^T,\ \lambda = 0, 3, 3;\quad x_1(t) = \frac{1}{3}"
        r" + \frac{2}{3}e^{-3t},\ x_{2,3}(t) = \frac{1}{3} - \frac{1}{3}e^{-3t}$",
        r"$f(x) = \frac{1}{2}x^TLx,\quad \nabla f = Lx,\quad f(x(t)) = e^{-6t}$",
        r"$x_{k+1} = x_k - \eta L x_k = (1 - 3\eta)^k\,\mathrm{(mode\ part)},\quad"
        r" \mathrm{stable\ iff}\ \eta < 2/3$",
    )
    params = (
        Float("eta", 0.1, 0.01, 1.0, live=True, label="step η (= Δt)",
              help="Gradient-descent step; stable for η < 2/λ_max (2/3 on K₃)."),
        Float("T", 10.0, 0.5, 50.0, live=True, label="final time T",
              help="The book's t ∈ [0, 10]."),
        *LaplacianFlow.graph_params("complete", 3, graphs.complete(3), "spike", 0),
    )
    step_name = "eta"
    default_steps_per_frame = 1
    views = (
        Curves("traces", "xᵢ: gradient-descent iterates (dots) on the exact gradient flow",
               series=(Series("fine_exact", x="fine_t", names="exact_names"),
                       Series("traces", x="history_t", names="trace_names", style="dots"),
                       Series("fan", x="history_t", label="nodes", style="fan",
                              classes="fan_classes")),
               xlabel="t", ylabel="xᵢ", hlines=("mean_line",)),
        Curves("energy", "f(x) = ½xᵀLx: iterates vs the exact flow (exp(−6t) on K₃)",
               series=(Series("fine_energy", x="fine_t", label="exact flow"),
                       Series("energy", x="history_t", label="gradient descent",
                              style="dots")),
               xlabel="t", ylabel="f", logy=True),
        graph_view("graph", "The graph, nodes coloured by xᵢ", "x"),
        Readout("readout", "Gradient flow", area="bottom", lines=(
            ("t", "t", "{:.3f}"),
            ("energy_now", "f(x)", "{:.3e}"),
            ("sum_drift", "Σx − Σx(0)", "{:.1e}"),
            ("euler_bound", "stable for η below 2/λ_max", "{:.4f}"),
            ("euler_error", "max |x − exact|", "{:.2e}"),
        )),
    )
    frame_fields = COMMON_FIELDS
