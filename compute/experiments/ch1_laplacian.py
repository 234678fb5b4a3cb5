"""§1.2.4, Example 1.2.2, Fig. 1.4, Exercise 1.2.4: the graph Laplacian L = D − A, its
spectrum (zero modes = connected components) and the spectral embedding."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .. import backend, graphs
from ..experiment import Experiment, Frame
from ..params import Bool, Choice, Float, Int, ParamError, Seed
from ..registry import register
from ..views import Bars, Graph, Matrices, Readout

GRAPHS = ("book", *graphs.PRESETS)
ZERO = 1e-9  # eigenvalues below this (relative to the largest) count as zero
# Fig. 1.4: the triangle 1–2–3 with node 4 hanging from node 2 (0-based indices)
BOOK_EDGES = [(0, 1), (1, 2), (0, 2), (1, 3)]
BOOK_POSITIONS = np.array([[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 2.2]])


def book_graph() -> np.ndarray:
    return graphs.from_edges(4, BOOK_EDGES)


def closed_form_spectrum(name: str, n: int) -> np.ndarray | None:
    """The Laplacian eigenvalues of an unweighted preset, ascending, from their formulas."""
    k = np.arange(n)
    if name == "ring":
        return np.sort(2 - 2 * np.cos(2 * math.pi * k / n))
    if name == "path":
        return np.sort(2 - 2 * np.cos(k * math.pi / n))
    if name == "complete":
        return np.array([0.0] + [float(n)] * (n - 1))
    if name == "star":
        return np.array([0.0] + [1.0] * (n - 2) + [float(n)])
    if name == "book":
        return np.array([0.0, 1.0, 3.0, 4.0])
    return None


def spectral_embedding(lam: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Node coordinates from the eigenvectors of the two smallest nonzero eigenvalues
    (Exercise 1.2.4, part 5), and their indices; zeros pad when fewer exist."""
    top = max(float(lam[-1]), 1e-300)
    nonzero = [i for i in range(len(lam)) if lam[i] > ZERO * top][:2]
    coords = np.zeros((V.shape[0], 2))
    for c, i in enumerate(nonzero):
        v = V[:, i].copy()
        j = int(np.argmax(np.abs(v)))
        coords[:, c] = v if v[j] >= 0 else -v  # a fixed sign: the picture does not flip
    return coords, nonzero


def removal_order(name: str, A: np.ndarray, rng: np.random.Generator) -> list[tuple[int, int]]:
    """The order in which Play deletes edges: the book's bridge 2–4 (or the barbell's
    bridge) first, then the rest in a seeded random order."""
    edges = [tuple(map(int, e)) for e in graphs.edge_list(A)[0]]
    first: list[tuple[int, int]] = []
    if name == "book":
        first = [(1, 3)]
    elif name == "barbell":
        a = (len(A) + 1) // 2
        first = [(a - 1, a)]
    rest = [e for e in edges if e not in first]
    rng.shuffle(rest)
    return [e for e in first if e in edges] + rest


@register
class GraphLaplacianSpectrum(Experiment):
    id = "ch1.graph-laplacian-spectrum"
    title = "Graph Laplacian, zero modes and spectral embedding (Exercise 1.2.4)"
    section = "1.2.4"
    family = "graph dynamics"
    summary = "L = D − A: eigenvalue 0 once per connected component; Fiedler vector and embedding."
    explanation = (
        "The graph Laplacian L = D − A of an undirected graph is symmetric and positive "
        "semi-definite; its rows sum to zero, so the constant vector is an eigenvector with "
        "eigenvalue 0, and 0 appears once per connected component. Play deletes edges one at "
        "a time (Fig. 1.4's edge 2–4 first): the moment the graph falls apart, a second zero "
        "eigenvalue appears; when every edge is gone, all n eigenvalues are 0, and the edges "
        "come back. Nodes are coloured by the Fiedler vector (the eigenvector of the "
        "smallest nonzero eigenvalue), whose sign splits the two cliques of the barbell. The "
        "spectral embedding places each node at its entries in the eigenvectors of the two "
        "smallest nonzero eigenvalues: in the book's graph nodes 1 and 3 are mirror images "
        "(the symmetry swapping them) and node 4 lies apart from the triangle. Bars show "
        "the spectrum against the closed forms of the ring, path, complete and star graphs."
    )
    equations = (
        r"$L = D - A,\quad D_{ii} = \sum_j A_{ij},\quad L\mathbf{1} = 0,\quad"
        r" x^T L x = \sum_{(i,j) \in E} w_{ij}(x_i - x_j)^2 \geq 0$",
        r"$\#\{\lambda_i = 0\} = \#\mathrm{components},\quad \sum_i \lambda_i ="
        r" \mathrm{tr}\,L = 2|E|$",
        r"$C_n: 2 - 2\cos(2\pi k/n),\quad P_n: 2 - 2\cos(k\pi/n),\quad K_n: \{0, n^{(n-1)}\},"
        r"\quad S_n: \{0, 1^{(n-2)}, n\}$",
    )
    book_notes = (
        "Exercise 1.2.4 asks for the embedding by the eigenvectors of \"the smallest two "
        "nonzero eigenvalues\"; for the connected book graph these are eigenvectors 2 and 3 "
        "(λ = 1 and 3). Their signs are arbitrary; the lab makes each one's largest entry "
        "positive.",
        "§2.3.3's introduction says a Laplacian's rows \"sum to unity\"; they sum to zero (the "
        "random-walk matrix D⁻¹A has rows summing to one).",
        "Clicking two nodes to toggle the edge between them needs the view-to-experiment "
        "channel of Chapter 2's branch; here the deletion is animated (and an edge can be "
        "removed by hand with 'remove edge').",
    )
    params = (
        Choice("graph", "book", GRAPHS,
               help="book: Fig. 1.4 (triangle 1–2–3, node 4 on node 2); ring C_n, path P_n, "
                    "complete K_n, star, two cliques joined by a bridge, random G(n, p)."),
        Int("n", 8, 4, 100, label="nodes n", help="Size of the presets (the book graph has 4)."),
        Float("p", 0.3, 0.0, 1.0, label="edge probability p (random)"),
        Bool("weighted", False, label="random edge weights",
             help="Weights uniform in [0.5, 2] (a weighted Laplacian)."),
        Bool("peel", True, live=True, label="delete edges while playing",
             help="On: Play deletes one edge every few frames, then restores them all."),
        Int("frames_per_edge", 25, 1, 200, live=True, label="frames per deletion"),
        Int("remove", 0, 0, 50, live=True, label="remove edges by hand",
            help="With deletion off: the first this many edges of the deletion order are "
                 "removed (1 removes the book graph's 2–4)."),
        Seed(),
    )
    views = (
        Graph("graph", "The graph, coloured by the Fiedler vector", area="left",
              positions="positions", edges="edges", values="fiedler", labels="node_labels",
              weights="edge_weights", highlight_edges="next_edge", colormap="CET-D1",
              levels=(-1.0, 1.0), value_label="Fiedler vector"),
        Bars("spectrum", "Eigenvalues of L", values="eigenvalues", labels="eig_labels",
             reference="closed_form", reference_label="closed form", ylabel="λ"),
        Graph("embedding", "Spectral embedding (two smallest nonzero eigenvalues)",
              positions="embedding", edges="edges", values="fiedler", labels="node_labels",
              weights="edge_weights", colormap="CET-D1", levels=(-1.0, 1.0)),
        Matrices("laplacian", "L = D − A", matrices=("L",), titles=("L",),
                 value_format="{:.3g}"),
        Readout("numbers", "Zero modes and checks", area="bottom", lines=(
            ("n_edges", "edges |E|", "{:d}"),
            ("components", "connected components", "{:d}"),
            ("zero_count", "multiplicity of eigenvalue 0", "{:d}"),
            ("trace_check", "Σλ − 2|E| (unweighted) / Σλ − tr L", "{}"),
            ("fiedler_value", "smallest nonzero eigenvalue", "{:.4g}"),
            ("removed_text", "edges removed", "{}"),
        )),
    )
    frame_fields = {
        "positions": "(n, 2) node positions", "edges": "(m, 2) the edges present",
        "edge_weights": "(m,) their weights", "next_edge": "(m,) True for the next deletion",
        "node_labels": "(n,) node numbers 1 … n",
        "fiedler": "(n,) the eigenvector of the smallest nonzero eigenvalue (0 if none)",
        "embedding": "(n, 2) the spectral embedding",
        "eigenvalues": "(n,) eigenvalues of L, ascending",
        "eigenvectors": "(n, n) eigenvectors (columns)",
        "eig_labels": "(n,) λ₁ … labels",
        "closed_form": "(n,) the preset's closed-form spectrum (NaN without one)",
        "L": "(n, n) the Laplacian", "A": "(n, n) the adjacency matrix",
        "n_edges": "|E|", "components": "connected components (graph search)",
        "zero_count": "eigenvalues below 1e-9·λ_max",
        "trace_check": "text: Σλ − 2|E| and Σλ − tr L",
        "fiedler_value": "smallest nonzero eigenvalue (0 if none)",
        "removed_text": "text: edges removed so far",
    }
    nonfinite_fields = frozenset({"closed_form"})
    default_steps_per_frame = 1
    max_steps_per_frame = 200

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        if p["graph"] == "barbell" and p["n"] < 4:
            raise ParamError("n", "the barbell needs at least 4 nodes")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.p
        rng = backend.rng(p["seed"], 1)
        A = book_graph() if p["graph"] == "book" else graphs.make(p["graph"], p["n"], p["p"],
                                                                    rng)
        if p["weighted"]:
            W = np.triu(rng.uniform(0.5, 2.0, A.shape), 1)
            A = np.where(A != 0, W + W.T, 0.0)
        self.A0 = A
        self.order = removal_order(p["graph"], A, backend.rng(p["seed"], 2))
        n = len(A)
        name = p["graph"]
        if name == "book":
            self.pos = BOOK_POSITIONS
        elif name in ("ring", "complete", "star"):
            self.pos = graphs.circle_layout(n)
        elif name == "path":
            self.pos = graphs.line_layout(n)
        else:
            self.pos = graphs.spring_layout(A, seed=p["seed"])
        exact = None if p["weighted"] else closed_form_spectrum(name, n)
        self.exact = exact

    def removed_at(self, phase: int) -> int:
        """How many edges are removed at animation step ``phase``."""
        p = self.p
        m = len(self.order)
        if not p["peel"]:
            return min(p["remove"], m)
        cycle = (m + 2) * p["frames_per_edge"]  # remove all, hold, restore
        k = (phase % cycle) // p["frames_per_edge"]
        return min(k, m) if k <= m else 0

    def frames(self) -> Iterator[Frame]:
        step = 0
        while True:
            yield self._frame(step)
            step += self.steps_per_frame

    def _frame(self, step: int) -> Frame:
        gone = self.removed_at(step)
        A = self.A0.copy()
        for i, j in self.order[:gone]:
            A[i, j] = A[j, i] = 0.0
        L = graphs.laplacian(A)
        lam, V = np.linalg.eigh(L)
        top = max(float(lam[-1]), 1e-300)
        zero = lam <= ZERO * top
        lam = np.where(zero, 0.0, lam)
        coords, nonzero = spectral_embedding(lam, V)
        fiedler = coords[:, 0] if nonzero else np.zeros(len(A))
        edges, weights = graphs.edge_list(A)
        nxt = np.zeros(len(edges), dtype=bool)
        if gone < len(self.order):
            target = self.order[gone]
            nxt = np.array([tuple(e) == target for e in edges.tolist()], dtype=bool)
        n = len(A)
        m = len(edges)
        closed = self.exact if (self.exact is not None and gone == 0) else np.full(n, np.nan)
        removed = [f"{i + 1}–{j + 1}" for i, j in self.order[:gone]]
        return {
            "step": step,
            "t": float(step),
            "positions": self.pos,
            "edges": edges.astype(int),
            "edge_weights": weights,
            "next_edge": nxt,
            "node_labels": np.array([str(i + 1) for i in range(n)]),
            "fiedler": fiedler,
            "embedding": coords,
            "eigenvalues": lam,
            "eigenvectors": V,
            "eig_labels": np.array([f"λ{str(i + 1).translate(SUB)}" for i in range(n)]),
            "closed_form": closed,
            "L": L,
            "A": A,
            "n_edges": m,
            "components": graphs.components(A),
            "zero_count": int(zero.sum()),
            "trace_check": f"{lam.sum() - 2 * weights.sum():.2g}, {lam.sum() - np.trace(L):.2g}",
            "fiedler_value": float(lam[nonzero[0]]) if nonzero else 0.0,
            "removed_text": (", ".join(removed[:6]) + (" …" if len(removed) > 6 else "")
                             if removed else "none"),
        }


SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
