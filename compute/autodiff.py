"""A small, transparent tape-based automatic differentiation (Qt-free, numpy only).

An expression is recorded as a computational graph (a DAG of elementary operations,
§2.1 Example 2.1.1): inputs w₁ … wₙ, then one node per operation in topological order.
The tape evaluates the primal values, the local partials ∂wⱼ/∂wₚ on every edge, and runs
the two sweeps node by node so the lab can animate each step:

- forward (tangent) mode: ẇⱼ = Σₚ ∂wⱼ/∂wₚ · ẇₚ, seeded with one input direction per pass;
- reverse (adjoint) mode: w̄ₒᵤₜ = 1, then w̄ₚ += w̄ⱼ · ∂wⱼ/∂wₚ in reverse topological order,
  one pass giving every ∂f/∂xᵢ.

Values may be scalars or numpy arrays (operations act elementwise, ``sum`` reduces), so
the same tape gives a derivative on a grid (Fig. 2.2) and a gradient in R^d (Fig. 2.3).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


@dataclass(frozen=True)
class Node:
    """One node of the graph: an input (``op`` = "input") or an elementary operation of its
    ``parents`` (indices of earlier nodes); ``const`` is the constant of scale/shift/pow."""

    index: int
    op: str
    parents: tuple[int, ...] = ()
    const: float = 0.0
    name: str = ""

    @property
    def symbol(self) -> str:
        """wⱼ with a subscript (1-based)."""
        return f"w{str(self.index + 1).translate(SUBSCRIPT)}"


def _const_text(c: float) -> str:
    return f"{c:g}"


def _pow_text(k: float) -> str:
    return (f"{int(k)}".translate(SUPERSCRIPT) if float(k).is_integer()
            else f"^{k:g}")


# op -> (formula template, local partial rule(values of parents, const, value) -> partials)
_RULES: dict[str, tuple[str, Callable[..., tuple[Any, ...]]]] = {
    "add": ("{0} + {1}", lambda a, b, c, w: (np.ones_like(a), np.ones_like(b))),
    "sub": ("{0} − {1}", lambda a, b, c, w: (np.ones_like(a), -np.ones_like(b))),
    "mul": ("{0}·{1}", lambda a, b, c, w: (b, a)),
    "div": ("{0}/{1}", lambda a, b, c, w: (1.0 / b, -a / (b * b))),
    "neg": ("−{0}", lambda a, c, w: (-np.ones_like(a),)),
    "scale": ("{c}·{0}", lambda a, c, w: (c * np.ones_like(a),)),
    "shift": ("{0} + {c}", lambda a, c, w: (np.ones_like(a),)),
    "pow": ("{0}{p}", lambda a, c, w: (c * a ** (c - 1),)),
    "sin": ("sin {0}", lambda a, c, w: (np.cos(a),)),
    "cos": ("cos {0}", lambda a, c, w: (-np.sin(a),)),
    "exp": ("exp {0}", lambda a, c, w: (w,)),
    "log": ("ln {0}", lambda a, c, w: (1.0 / a,)),
    "sum": ("Σ {0}", lambda a, c, w: (np.ones_like(a),)),
}
_EVAL: dict[str, Callable[..., Any]] = {
    "add": lambda a, b, c: a + b, "sub": lambda a, b, c: a - b,
    "mul": lambda a, b, c: a * b, "div": lambda a, b, c: a / b,
    "neg": lambda a, c: -a, "scale": lambda a, c: c * a, "shift": lambda a, c: a + c,
    "pow": lambda a, c: a ** c, "sin": lambda a, c: np.sin(a), "cos": lambda a, c: np.cos(a),
    "exp": lambda a, c: np.exp(a), "log": lambda a, c: np.log(a),
    "sum": lambda a, c: np.sum(a),
}


class Tape:
    """The recorded graph of one expression; build it with :func:`trace`."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.inputs: list[int] = []
        self.output: int = -1

    # -- recording ---------------------------------------------------------------------
    def add(self, op: str, parents: tuple[int, ...] = (), const: float = 0.0,
            name: str = "") -> Var:
        node = Node(len(self.nodes), op, parents, float(const), name)
        self.nodes.append(node)
        if op == "input":
            self.inputs.append(node.index)
        return Var(self, node.index)

    # -- structure ---------------------------------------------------------------------
    @property
    def edges(self) -> list[tuple[int, int]]:
        """Directed edges (parent, child), in the order the children were recorded."""
        return [(p, node.index) for node in self.nodes for p in node.parents]

    def formula(self, j: int) -> str:
        """The operation of node j in terms of its parents' symbols, e.g. "w₁ + w₂"."""
        node = self.nodes[j]
        if node.op == "input":
            return node.name or node.symbol
        template = _RULES[node.op][0]
        args = [self.nodes[p].symbol for p in node.parents]
        return template.format(*args, c=_const_text(node.const), p=_pow_text(node.const))

    def depths(self) -> list[int]:
        """Longest distance from an input: the column of each node in a layered drawing."""
        depth = [0] * len(self.nodes)
        for node in self.nodes:
            if node.parents:
                depth[node.index] = 1 + max(depth[p] for p in node.parents)
        return depth

    def layout(self) -> np.ndarray:
        """(N, 2) positions: columns by depth, nodes of a column spread vertically."""
        depth = self.depths()
        pos = np.zeros((len(self.nodes), 2))
        for d in set(depth):
            members = [j for j, dj in enumerate(depth) if dj == d]
            k = len(members)
            for r, j in enumerate(members):
                pos[j] = (float(d), (k - 1) / 2.0 - r)
        return pos

    # -- numbers -----------------------------------------------------------------------
    def evaluate(self, inputs: Sequence[Any]) -> list[Any]:
        """Primal values of every node for the given input values (the forward evaluation)."""
        if len(inputs) != len(self.inputs):
            raise ValueError(f"expected {len(self.inputs)} inputs, got {len(inputs)}")
        values: list[Any] = [None] * len(self.nodes)
        for idx, value in zip(self.inputs, inputs, strict=True):
            values[idx] = value
        for node in self.nodes:
            if node.op != "input":
                args = [values[p] for p in node.parents]
                values[node.index] = _EVAL[node.op](*args, node.const)
        return values

    def partials(self, values: Sequence[Any]) -> dict[tuple[int, int], Any]:
        """Local partial ∂wⱼ/∂wₚ on every edge (p, j)."""
        out: dict[tuple[int, int], Any] = {}
        for node in self.nodes:
            if node.op == "input":
                continue
            args = [values[p] for p in node.parents]
            parts = _RULES[node.op][1](*args, node.const, values[node.index])
            for p, d in zip(node.parents, parts, strict=True):
                key = (p, node.index)
                out[key] = out[key] + d if key in out else d  # x·x: both slots add
        return out

    def forward_steps(self, values: Sequence[Any], seed: Sequence[Any],
                      partials: dict[tuple[int, int], Any] | None = None
                      ) -> Iterator[tuple[int, list[Any]]]:
        """Forward mode, node by node: yields (j, tangents) after ẇⱼ is known (None for
        nodes not reached yet). ``seed`` gives ẋ for every input (e.g. a basis vector)."""
        d = self.partials(values) if partials is None else partials
        tangent: list[Any] = [None] * len(self.nodes)
        for node in self.nodes:
            j = node.index
            if node.op == "input":
                tangent[j] = seed[self.inputs.index(j)]
            else:
                total = 0.0
                for p in dict.fromkeys(node.parents):
                    term = d[(p, j)] * tangent[p]
                    total = total + (np.sum(term) if node.op == "sum" else term)
                tangent[j] = total
            yield j, tangent

    def reverse_steps(self, values: Sequence[Any],
                      partials: dict[tuple[int, int], Any] | None = None
                      ) -> Iterator[tuple[int, list[Any]]]:
        """Reverse mode, node by node: first w̄ₒᵤₜ = 1, then for each node j in reverse
        order its adjoint is pushed to its parents, w̄ₚ += w̄ⱼ·∂wⱼ/∂wₚ. Yields (j, adjoints)
        after each node (None for nodes no adjoint has reached yet)."""
        d = self.partials(values) if partials is None else partials
        adjoint: list[Any] = [None] * len(self.nodes)
        out = self.output
        adjoint[out] = np.ones_like(values[out])
        yield out, adjoint
        for node in reversed(self.nodes[: out + 1]):
            j = node.index
            if node.op == "input" or adjoint[j] is None:
                continue
            for p in dict.fromkeys(node.parents):
                push = adjoint[j] * d[(p, j)]
                adjoint[p] = push if adjoint[p] is None else adjoint[p] + push
            yield j, adjoint

    def gradient(self, inputs: Sequence[Any]) -> tuple[Any, list[Any]]:
        """(f, [∂f/∂xᵢ]) by one reverse pass."""
        values = self.evaluate(inputs)
        *_, (_, adjoint) = self.reverse_steps(values)
        grads = [np.zeros_like(values[i]) if adjoint[i] is None else adjoint[i]
                 for i in self.inputs]
        return values[self.output], grads

    def jvp(self, inputs: Sequence[Any], direction: Sequence[Any]) -> tuple[Any, Any]:
        """(f, ∇f·v) by one forward pass seeded with ``direction``."""
        values = self.evaluate(inputs)
        *_, (_, tangent) = self.forward_steps(values, direction)
        return values[self.output], tangent[self.output]


class Var:
    """A handle on a tape node; arithmetic on it records new nodes."""

    __array_priority__ = 1000  # numpy scalars defer to Var's reflected operators

    def __init__(self, tape: Tape, index: int):
        self.tape = tape
        self.index = index

    def _binary(self, op: str, other: Any, reflected: bool = False) -> Var:
        if isinstance(other, Var):
            a, b = (other, self) if reflected else (self, other)
            return self.tape.add(op, (a.index, b.index))
        c = float(other)
        if op == "add":
            return self.tape.add("shift", (self.index,), c)
        if op == "sub":
            return (-self).__add__(c) if reflected else self.tape.add("shift", (self.index,), -c)
        if op == "mul":
            return self.tape.add("scale", (self.index,), c)
        if op == "div" and not reflected:
            return self.tape.add("scale", (self.index,), 1.0 / c)
        return self.tape.add("scale", (self.tape.add("pow", (self.index,), -1.0).index,), c)

    def __add__(self, o: Any) -> Var:
        return self._binary("add", o)

    def __radd__(self, o: Any) -> Var:
        return self._binary("add", o, True)

    def __sub__(self, o: Any) -> Var:
        return self._binary("sub", o)

    def __rsub__(self, o: Any) -> Var:
        return self._binary("sub", o, True)

    def __mul__(self, o: Any) -> Var:
        return self._binary("mul", o)

    def __rmul__(self, o: Any) -> Var:
        return self._binary("mul", o, True)

    def __truediv__(self, o: Any) -> Var:
        return self._binary("div", o)

    def __rtruediv__(self, o: Any) -> Var:
        return self._binary("div", o, True)

    def __neg__(self) -> Var:
        return self.tape.add("neg", (self.index,))

    def __pow__(self, k: float) -> Var:
        return self.tape.add("pow", (self.index,), float(k))


def _unary(op: str) -> Callable[[Var], Var]:
    def f(v: Var) -> Var:
        return v.tape.add(op, (v.index,))
    f.__name__ = op
    f.__doc__ = f"Record {op} of a node."
    return f


sin = _unary("sin")
cos = _unary("cos")
exp = _unary("exp")
log = _unary("log")
total = _unary("sum")


def trace(fn: Callable[..., Var], names: Sequence[str]) -> Tape:
    """Record ``fn`` (written with the operators above and :func:`sin` …) on a new tape
    whose inputs carry ``names``."""
    tape = Tape()
    args = [tape.add("input", name=name) for name in names]
    tape.output = fn(*args).index
    return tape


def central_difference(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float
                       ) -> np.ndarray:
    """∂f/∂xᵢ ≈ (f(x + εeᵢ) − f(x − εeᵢ))/(2ε): 2d evaluations."""
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def difference_quotients(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, eps: float
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise forward (f(x+ε) − f(x))/ε and central (f(x+ε) − f(x−ε))/(2ε) quotients
    of a scalar function on a grid, in the grid's dtype (float32 shows round-off early)."""
    e = x.dtype.type(eps)
    fx = f(x)
    up = f(x + e)
    forward = (up - fx) / e
    central = (up - f(x - e)) / (2 * e)
    return forward, central
