"""§2.1, Example 2.1.1, Fig. 2.1, Exercise 2.1.1.3: forward and reverse mode automatic
differentiation swept node by node over the computational graph of sin(x₁ + x₂)/x₁."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .. import autodiff as ad
from ..experiment import Experiment, Frame
from ..params import Choice, Float, Int, ParamError
from ..registry import register
from ..views import Bars, Graph, Readout

FORWARD_COLOR = "#e69f00"  # orange: tangents flow input → output
REVERSE_COLOR = "#009e73"  # teal: adjoints flow output → input
FD_STEP = 1e-6
COLUMN_GAP, ROW_GAP = 1.8, 2.2  # spacing of the drawing's columns and rows: room for labels
HOLD_SLOTS = 3  # node slots the finished cycle is held before it starts again
SUB = ad.SUBSCRIPT


def book_f(x1: Any, x2: Any) -> Any:
    """Example 2.1.1: f(x₁, x₂) = sin(x₁ + x₂)/x₁ (w₃ = w₁ + w₂, w₄ = sin w₃, w₅ = w₄/w₁)."""
    return ad.sin(x1 + x2) / x1


def book_h(x: Any, y: Any) -> Any:
    """Exercise 2.1.1.3: h(x, y) = ln(x² + y²) + sin((x + y)²)."""
    return ad.log(x**2 + y**2) + ad.sin((x + y) ** 2)


FUNCTIONS = {
    "f": (book_f, ("x₁", "x₂"), "f(x₁, x₂) = sin(x₁ + x₂)/x₁"),
    "h": (book_h, ("x₁", "x₂"), "h(x₁, x₂) = ln(x₁² + x₂²) + sin((x₁ + x₂)²)"),
}


def closed_form_gradient(name: str, x1: float, x2: float) -> np.ndarray:
    """The hand-derived gradients the book gives (Example 2.1.1, Exercise 2.1.1.3)."""
    if name == "f":
        s, c = np.sin(x1 + x2), np.cos(x1 + x2)
        return np.array([c / x1 - s / x1**2, c / x1])
    r2, u = x1 * x1 + x2 * x2, x1 + x2
    common = 2 * u * np.cos(u * u)
    return np.array([2 * x1 / r2 + common, 2 * x2 / r2 + common])


def plan(mode: str, n_inputs: int) -> list[tuple[str, int]]:
    """The passes a cycle runs: one forward pass per input seed eᵢ, and/or one reverse pass."""
    forward = [("forward", i) for i in range(n_inputs)]
    reverse = [("reverse", -1)]
    return {"forward": forward, "reverse": reverse, "compare": forward + reverse}[mode]


def fmt(v: float) -> str:
    return f"{v:.4g}"


@register
class ADComputationalGraph(Experiment):
    id = "ch2.ad-computational-graph"
    title = "Forward vs reverse mode on a computational graph (Example 2.1.1)"
    section = "2.1"
    family = "computational graph & AD"
    summary = ("The DAG of sin(x₁ + x₂)/x₁: tangents flow forward (one pass per input), "
               "adjoints flow backward (one pass for the whole gradient).")
    explanation = (
        "A program is a composition of elementary operations; writing each intermediate "
        "result as a node wⱼ gives a directed acyclic graph (Fig. 2.1): w₁ = x₁, w₂ = x₂, "
        "w₃ = w₁ + w₂, w₄ = sin w₃, w₅ = w₄/w₁. Every edge carries a local partial ∂wⱼ/∂wₚ "
        "(printed on the edge). Forward mode (orange) seeds the tangent ẇ of the inputs with "
        "a direction eᵢ and pushes ẇⱼ = Σ ∂wⱼ/∂wₚ·ẇₚ from the inputs to the output, node by "
        "node: one pass yields one column ∂f/∂xᵢ, so the full gradient needs one pass per "
        "input. Reverse mode (teal) starts from ∂f/∂w₅ = 1 at the output and pushes "
        "adjoints back, ∂f/∂wₚ += ∂f/∂wⱼ·∂wⱼ/∂wₚ: one pass yields every ∂f/∂xᵢ at once, "
        "which is why training a network with millions of inputs and one scalar loss uses "
        "reverse mode (backpropagation). Nodes are coloured by the tangent or adjoint of "
        "the running sweep; the table compares both modes with the closed form and with "
        "central differences. Move x₁ toward 0 to see the division node w₅ = w₄/w₁ dominate."
    )
    equations = (
        r"$f(x_1,x_2) = \sin(x_1+x_2)/x_1:\ w_3 = w_1+w_2,\ w_4 = \sin w_3,\ w_5 = w_4/w_1$",
        r"$\mathrm{forward:}\ \dot w_j = \sum_{p \to j} \frac{\partial w_j}{\partial w_p}"
        r"\dot w_p,\quad \dot w_{\rm in} = e_i$",
        r"$\mathrm{reverse:}\ \bar w_5 = 1,\quad \bar w_p \leftarrow \bar w_p + \bar w_j"
        r"\frac{\partial w_j}{\partial w_p}$",
        r"$\partial_{x_1} f = \frac{\cos(x_1+x_2)}{x_1} - \frac{\sin(x_1+x_2)}{x_1^2},\quad"
        r" \partial_{x_2} f = \frac{\cos(x_1+x_2)}{x_1}$",
        r"$h = \ln(x^2+y^2) + \sin((x+y)^2):\ \partial_x h = \frac{2x}{x^2+y^2}"
        r" + 2(x+y)\cos((x+y)^2)$",
    )
    book_notes = (
        "§2.1.1 heads forward mode \"(many inputs → few outputs)\" while stating it is "
        "efficient when the inputs are few and the outputs many; the latter is right: "
        "forward mode needs one pass per input, reverse mode one pass per output.",
        "The catalogue's typed-expression option is not offered (parameters are numbers "
        "and choices); the two book functions are presets.",
    )
    params = (
        Choice("function", "f", tuple(FUNCTIONS),
               help="f = sin(x₁ + x₂)/x₁ (Example 2.1.1); h = ln(x₁² + x₂²) + sin((x₁ + x₂)²) "
                    "(Exercise 2.1.1.3)."),
        Float("x1", 1.0, -3.0, 3.0, live=True, label="x₁",
              help="First input (f divides by it: |x₁| ≥ 0.05)."),
        Float("x2", 2.0, -3.0, 3.0, live=True, label="x₂", help="Second input."),
        Choice("mode", "compare", ("compare", "forward", "reverse"), live=True,
               help="forward: one tangent pass per input seed e₁, e₂; reverse: one adjoint "
                    "pass; compare: both, one after the other."),
        Int("frames_per_node", 20, 1, 120, live=True, label="frames per node",
            help="How long each node of a sweep stays lit."),
    )
    views = (
        Graph("graph", "Computational graph: primal values, local partials on edges",
              positions="positions", edges="edges", values="sweep", labels="node_labels",
              edge_labels="edge_labels", highlight_node="active_node",
              highlight_edges="active_edges", highlight_color="sweep_color", directed=True,
              colormap="CET-D1", value_label="tangent / adjoint"),
        Bars("gradients", "∂f/∂x₁, ∂f/∂x₂: forward mode, reverse mode, central differences",
             values="grad_table", labels="grad_labels", names="grad_names",
             reference="grad_exact", reference_label="closed form", ylabel="∂f/∂xᵢ",
             value_format="{:.5g}"),
        Readout("readout", "Sweep", area="bottom", lines=(
            ("pass_text", "running", "{}"),
            ("pass_count", "passes done / needed for the full gradient", "{}"),
            ("step_text", "this step", "{}"),
            ("max_error", "largest |AD − closed form|", "{:.2e}"),
        )),
    )
    frame_fields = {
        "positions": "(N, 2) node positions (columns by depth)",
        "edges": "(E, 2) directed edges parent → child",
        "node_labels": "(N,) text: operation, primal value, current tangent/adjoint",
        "edge_labels": "(E,) local partials ∂wⱼ/∂wₚ",
        "sweep": "(N,) tangent (forward) or adjoint (reverse) of the running pass; NaN not "
                 "reached yet",
        "active_node": "node being computed (−1 between passes)",
        "active_edges": "(E,) edges used by the current step",
        "sweep_color": "colour of the running sweep",
        "primal": "(N,) node values w₁ … w_N",
        "grad_forward": "(n,) ∂f/∂xᵢ from finished forward passes (NaN not yet)",
        "grad_reverse": "(n,) ∂f/∂xᵢ from the finished reverse pass (NaN not yet)",
        "grad_exact": "(n,) closed-form gradient", "grad_fd": "(n,) central differences",
        "grad_table": "(3, n) forward-mode, reverse-mode and central-difference gradients",
        "grad_labels": "(n,) ∂f/∂x₁ …", "grad_names": "(3,) the three methods",
        "passes": "(2, 2) passes needed (row 0) and done (row 1), forward and reverse mode",
        "pass_count": "text: passes done / needed per mode",
        "function_text": "the function", "f_value": "f(x₁, x₂)",
        "pass_text": "the pass running", "step_text": "the arithmetic of the current step",
        "max_error": "largest |AD − closed form| over finished passes",
    }
    nonfinite_fields = frozenset({"sweep", "grad_forward", "grad_reverse", "grad_table"})
    default_steps_per_frame = 1
    max_steps_per_frame = 100

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        if p["function"] == "f" and abs(p["x1"]) < 0.05:
            raise ParamError("x1", "f = sin(x₁ + x₂)/x₁ divides by x₁: take |x₁| ≥ 0.05")
        if p["function"] == "h" and p["x1"] ** 2 + p["x2"] ** 2 < 0.05**2:
            raise ParamError("x1", "h takes ln(x₁² + x₂²): keep (x₁, x₂) away from 0")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        fn, names, self.function_text = FUNCTIONS[self.p["function"]]
        self.fn = fn
        self.tape = ad.trace(fn, names)
        self.positions = self.tape.layout() * np.array([COLUMN_GAP, ROW_GAP])
        self.edges = np.array(self.tape.edges, dtype=int)

    # -- the schedule ------------------------------------------------------------------
    def pass_length(self, kind: str) -> int:
        """Node slots of one pass (plus one slot holding its result)."""
        steps = len(self.tape.nodes) if kind == "forward" else \
            1 + sum(1 for n in self.tape.nodes if n.op != "input")
        return steps + 1

    def locate(self, tick: int) -> tuple[int, int]:
        """(pass index, step within it) at ``tick``; pass index = len(plan) while holding."""
        passes = plan(self.p["mode"], len(self.tape.inputs))
        lengths = [self.pass_length(kind) for kind, _ in passes]
        cycle = sum(lengths) + HOLD_SLOTS
        slot = (tick // self.p["frames_per_node"]) % cycle
        for k, length in enumerate(lengths):
            if slot < length:
                return k, slot
            slot -= length
        return len(passes), 0

    def frames(self) -> Iterator[Frame]:
        tick = 0
        while True:
            yield self.frame(tick)
            tick += self.steps_per_frame

    # -- one frame ---------------------------------------------------------------------
    def frame(self, tick: int) -> Frame:
        p = self.p
        tape = self.tape
        x = [p["x1"], p["x2"]]
        values = tape.evaluate(x)
        d = tape.partials(values)
        passes = plan(p["mode"], len(tape.inputs))
        k, s = self.locate(tick)
        n = len(tape.inputs)
        grad_fwd = np.full(n, np.nan)
        grad_rev = np.full(n, np.nan)
        done = [0, 0]
        holding = k < len(passes) and s == self.pass_length(passes[k][0]) - 1
        for kind, seed in passes[:k + holding]:  # finished passes fill the table
            if kind == "forward":
                grad_fwd[seed] = tape.jvp(x, np.eye(n)[seed])[1]
                done[0] += 1
            else:
                grad_rev[:] = tape.gradient(x)[1]
                done[1] += 1
        sweep = np.full(len(tape.nodes), np.nan)
        active, active_edges = -1, np.zeros(len(self.edges), dtype=bool)
        color, pass_text, step_text = FORWARD_COLOR, "cycle finished: all passes done", ""
        quantity: list[Any] = [None] * len(tape.nodes)
        if k < len(passes):
            kind, seed = passes[k]
            steps = (tape.forward_steps(values, np.eye(n)[seed], d) if kind == "forward"
                     else tape.reverse_steps(values, d))
            j = -1  # stays −1 in the slot after the last step: the pass's result is held
            for i, (node, reached) in enumerate(steps):
                quantity = reached
                if i == s:
                    j = node
                    break
            if kind == "forward":
                pass_text = f"forward pass {seed + 1} of {n}, seed e{str(seed + 1).translate(SUB)}"
            else:
                color, pass_text = REVERSE_COLOR, "reverse pass 1 of 1 (adjoints ∂f/∂wⱼ)"
            active = j
            if j >= 0:
                step_text = self.step_text(kind, j, quantity, d, seed, s)
                if kind == "forward" or s > 0:  # the reverse seed uses no edge
                    active_edges = self.edges[:, 1] == j
            else:
                step_text = "pass complete: " + ", ".join(
                    f"∂f/∂x{str(i + 1).translate(SUB)} = {fmt(quantity[tape.inputs[i]])}"
                    for i in range(n) if quantity[tape.inputs[i]] is not None) \
                    if kind == "reverse" else \
                    f"pass complete: ∂f/∂x{str(seed + 1).translate(SUB)} = " \
                    f"{fmt(quantity[tape.output])}"
            sweep = np.array([np.nan if q is None else float(q) for q in quantity])
        exact = closed_form_gradient(p["function"], *x)
        fd = ad.central_difference(lambda v: float(tape.evaluate(list(v))[tape.output]),
                                   np.array(x), FD_STEP)
        errors = np.abs(np.concatenate([grad_fwd, grad_rev]) - np.tile(exact, 2))
        errors = errors[np.isfinite(errors)]
        return {
            "step": tick, "t": float(tick),
            "positions": self.positions, "edges": self.edges,
            "node_labels": np.array(self.node_labels(values, sweep, passes, k)),
            "edge_labels": np.array([fmt(float(d[(a, b)])) for a, b in tape.edges]),
            "sweep": sweep, "active_node": int(active), "active_edges": active_edges,
            "sweep_color": color,
            "primal": np.array([float(v) for v in values]),
            "grad_forward": grad_fwd, "grad_reverse": grad_rev,
            "grad_exact": exact, "grad_fd": fd,
            "grad_table": np.stack([grad_fwd, grad_rev, fd]),
            "grad_labels": np.array([f"∂f/∂x{str(i + 1).translate(SUB)}" for i in range(n)]),
            "grad_names": np.array(["forward mode", "reverse mode", "central differences"]),
            "passes": np.array([[n, 1], [float(done[0]), float(done[1])]]),
            "pass_count": f"forward {done[0]} / {n}, reverse {done[1]} / 1",
            "function_text": self.function_text,
            "f_value": float(values[tape.output]),
            "pass_text": pass_text, "step_text": step_text,
            "max_error": float(errors.max()) if errors.size else 0.0,
        }

    def node_labels(self, values: list[Any], sweep: np.ndarray, passes, k: int) -> list[str]:
        tape = self.tape
        reverse = k < len(passes) and passes[k][0] == "reverse"
        out = []
        for node in tape.nodes:
            j = node.index
            formula = tape.formula(j).replace(" + ", "+").replace(" − ", "−")
            text = f"{node.symbol} = {formula}\n= {fmt(float(values[j]))}"
            if np.isfinite(sweep[j]):
                mark = f"∂f/∂{node.symbol}" if reverse else f"ẇ{str(j + 1).translate(SUB)}"
                text += f"\n{mark} = {fmt(sweep[j])}"
            out.append(text)
        return out

    def step_text(self, kind: str, j: int, q: list[Any], d: dict, seed: int, s: int) -> str:
        """The arithmetic of one sweep step, with the numbers of the current point."""
        tape = self.tape
        node = tape.nodes[j]
        sym = node.symbol
        if kind == "forward":
            dot = f"ẇ{str(j + 1).translate(SUB)}"
            if node.op == "input":
                return f"{dot} = {1 if tape.inputs.index(j) == seed else 0} (seed)"
            parents = list(dict.fromkeys(node.parents))
            terms = " + ".join(f"({fmt(float(d[(a, j)]))})({fmt(float(q[a]))})" for a in parents)
            return f"{dot} = Σ ∂{sym}/∂wₚ·ẇₚ = {terms} = {fmt(float(q[j]))}"
        if s == 0:
            return f"∂f/∂{sym} = 1 (seed at the output)"
        parents = list(dict.fromkeys(node.parents))
        pushes = "; ".join(
            f"∂f/∂{tape.nodes[a].symbol} += {fmt(float(q[j]))}·({fmt(float(d[(a, j)]))})"
            for a in parents)
        return f"push ∂f/∂{sym} = {fmt(float(q[j]))} to its parents: {pushes}"
