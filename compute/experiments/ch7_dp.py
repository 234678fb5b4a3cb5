"""§7.4.1, Example 7.4.2 and Exercise 7.4.3: the arrow of time — forward marginals vs the
backward Bellman recursion (shortest paths)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from .. import markov
from ..experiment import Experiment, Frame
from ..params import Choice, Float, Int, Matrix, ParamError, Seed
from ..registry import register
from ..views import Curves, Graph, Heatmap, Readout, Series

NAN = float("nan")
# the stand-in graph (lab design): s = 0, a = 1, b = 2, t = 3; NaN: no edge
FOUR_NODE = ((NAN, 1.0, 4.0, NAN), (NAN, NAN, 2.0, 6.0), (NAN, NAN, NAN, 1.0),
             (NAN, NAN, NAN, NAN))
OBSTACLE_COST = 8.0


def grid_graph(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """An n×n grid world: moves to the 4 neighbours; entering a cell costs 1, or
    OBSTACLE_COST for an obstacle (about a fifth of the cells, never the corners).
    Returns (cost matrix with inf for no edge, node positions)."""
    N = n * n
    obstacle = rng.random(N) < 0.2
    obstacle[0] = obstacle[N - 1] = False
    cost = np.full((N, N), np.inf)
    for r in range(n):
        for c in range(n):
            i = r * n + c
            for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < n and 0 <= cc < n:
                    j = rr * n + cc
                    cost[i, j] = OBSTACLE_COST if obstacle[j] else 1.0
    rows, cols = np.divmod(np.arange(N), n)
    return cost, np.stack([cols, -rows], axis=1).astype(float)


def uniform_routing(cost: np.ndarray, target: int) -> np.ndarray:
    """The uniform random policy: each out-edge with equal probability; the target absorbs."""
    P = np.where(np.isfinite(cost), 1.0, 0.0)
    P[target] = 0.0
    P[target, target] = 1.0
    return P / P.sum(axis=1, keepdims=True)


def min_hops(cost: np.ndarray, source: int, target: int) -> int:
    """Fewest edges from source to target (BFS); −1 if unreachable."""
    frontier, seen, hops = {source}, {source}, 0
    while frontier:
        if target in frontier:
            return hops
        nxt = set()
        for i in frontier:
            for j in np.flatnonzero(np.isfinite(cost[i])):
                if int(j) not in seen:
                    seen.add(int(j))
                    nxt.add(int(j))
        frontier, hops = nxt, hops + 1
    return -1


def expected_cost_backward(P: np.ndarray, cost: np.ndarray, T: int, target: int,
                           gamma: float) -> np.ndarray:
    """V_n(x) = Σ_y P(x, y)(c(x, y) + γVₙ₊₁(y)) with V_T = 0 (a fixed random policy)."""
    n = len(P)
    c = np.where(P > 0, np.where(np.isfinite(cost), cost, 0.0), 0.0)
    c[target] = 0.0
    step = np.sum(P * c, axis=1)
    V = np.zeros((T + 1, n))
    for k in range(T - 1, -1, -1):
        V[k] = step + gamma * P @ V[k + 1]
    return V


@register
class DPShortestPath(Experiment):
    id = "ch7.dp-shortest-path"
    title = "Arrow of time: forward marginals vs backward Bellman (Exercise 7.4.3)"
    section = "7.4.1"
    family = "Markov chain / lattice spins"
    summary = ("Values are filled backward one time layer at a time; then the walker runs "
               "forward under the policy they define.")
    explanation = (
        "Two directions of time on the same graph. Backward: with the terminal condition "
        "V_T (0 at the target t, ∞ elsewhere) the Bellman recursion "
        "V_n(x) = min_y{c(x, y) + γVₙ₊₁(y)} fills the trellis (states × time) one layer "
        "per frame, from n = T down to 0, at a cost of O(T·|S|²) operations instead of the "
        "|S|^T paths an enumeration would visit (the counter compares them). Forward: the "
        "policy read off greedily from V (or the uniform random routing) moves a walker and "
        "the marginals μₙ₊₁ᵀ = μ_nᵀP from s. With enough steps V₀(s) is the shortest-path "
        "cost (Dijkstra agrees); below the minimum number of hops it is ∞ (no path fits the "
        "horizon), and it is non-increasing in T. Under the uniform random routing the "
        "expected cost to reach t is V = (I − Q)⁻¹c. 'max-reward' maximises instead; "
        "'marginalise' follows the random routing both ways."
    )
    equations = (
        r"$V_n(x) = \min_{y}\left\{c(x,y) + \gamma\,V_{n+1}(y)\right\},\qquad V_T = 0$ at t",
        r"$\mu_{n+1}^\top = \mu_n^\top P,\qquad O(T\,|S|^2)\ \mathrm{vs}\ |S|^T$",
        r"$V = (I - Q)^{-1}\,c\quad$ (random routing to an absorbing target)",
    )
    book_notes = (
        "The book gives no concrete graph for Example 7.4.2 and Exercise 7.4.3; the lab uses "
        "the stand-in s → a (1), s → b (4), a → b (2), a → t (6), b → t (1), and grid worlds "
        "with random obstacle costs.",
    )
    params = (
        Choice("graph", "4-node", ("4-node", "grid"),
               help="The stand-in 4-node graph (edge costs editable) or a grid world."),
        Matrix("costs", FOUR_NODE, 0.0, 100.0, missing=True, label="edge costs",
               help="c(i, j) of the 4-node graph; '?' (missing) means no edge."),
        Int("grid_size", 6, 4, 10, label="grid n", help="The grid world is n×n."),
        Int("T", 3, 1, 30, live=True, label="horizon T"),
        Float("gamma", 1.0, 0.5, 1.0, live=True, label="discount γ"),
        Choice("mode", "min-cost", ("min-cost", "max-reward", "marginalise"), live=True,
               help="min-cost: Bellman with min; max-reward: with max (costs read as "
                    "rewards); marginalise: the uniform random routing both ways."),
        Choice("policy", "optimal", ("optimal", "uniform-random"), live=True,
               help="The walker's policy in the forward phase."),
        Seed(),
    )
    views = (
        Graph("graph", "Graph: V_n on the nodes, the walker and the optimal path", area="left",
              positions="positions", edges="edges", values="node_values",
              labels="node_labels", edge_labels="edge_labels", weights="edge_weights",
              highlight_node="walker", highlight_edges="path_edges", directed=True,
              value_label="V"),
        Heatmap("backward", "Backward: V_n(x), layer by layer", field="V_trellis",
                extent="trellis_extent", colormap="viridis", xlabel="time n",
                ylabel="state x"),
        Heatmap("forward", "Forward: μ_n(x) under the policy", field="mu_trellis",
                extent="trellis_extent", colormap="viridis", levels=(0.0, 1.0),
                xlabel="time n", ylabel="state x"),
        Curves("horizon", "V₀(s) vs the horizon T",
               series=(Series("v0_by_T", x="T_values", label="finite horizon", style="dots"),),
               hlines=("shortest",), xlabel="horizon T", ylabel="V₀(s)"),
        Readout("readout", "Dynamic programming", area="bottom", lines=(
            ("phase", "phase", "{}"),
            ("value_text", "V₀(s) | Dijkstra | random routing (I−Q)⁻¹c", "{}"),
            ("path_text", "optimal path", "{}"),
            ("ops_text", "DP operations T·|S|² | paths |S|^T", "{}"),
            ("hops_text", "minimum hops | μ_T(t)", "{}"),
        )),
    )
    frame_fields = {
        "positions": "(N, 2)", "edges": "(e, 2)", "edge_weights": "(e,) costs",
        "edge_labels": "(e,)", "node_values": "(N,) V at the layer shown (NaN: ∞ or not yet)",
        "node_labels": "(N,)", "walker": "node of the forward walker (−1: backward phase)",
        "path_edges": "(e,) edges of the optimal path", "V": "(T+1, N) Bellman values "
        "(±inf where no path)", "V_trellis": "(N, T+1) values filled so far (NaN elsewhere)",
        "mu_trellis": "(N, T+1) forward marginals filled so far", "trellis_extent": "(4,)",
        "mu": "(T+1, N) forward marginals under the policy",
        "T_values": "(k,) the horizons T′ ≤ T with a finite V₀(s)",
        "v0_by_T": "(k,) V₀(s) at those horizons", "shortest": "Dijkstra's cost",
        "random_routing": "(N,) (I − Q)⁻¹c", "layer": "layers filled", "phase": "read-out",
        "value_text": "read-out", "path_text": "read-out", "ops_text": "read-out",
        "hops_text": "read-out", "V0": "V₀(s) (inf if none)",
    }
    nonfinite_fields = frozenset({"V", "V_trellis", "mu_trellis", "node_values", "v0_by_T",
                                  "V0", "shortest", "random_routing"})
    default_steps_per_frame = 1

    @classmethod
    def graph_of(cls, p) -> tuple[np.ndarray, np.ndarray]:
        if p["graph"] == "grid":
            rng = np.random.default_rng(np.random.SeedSequence([p["seed"], 7]))
            return grid_graph(p["grid_size"], rng)
        C = np.array(p["costs"], dtype=float)
        cost = np.where(np.isnan(C), np.inf, C)
        pos = np.array([[0.0, 0.0], [1.0, 0.8], [1.0, -0.8], [2.0, 0.0]])
        return cost, pos

    @classmethod
    def check(cls, p) -> None:
        cost, _ = cls.graph_of(p)
        if p["graph"] == "4-node":
            if cost.shape != (4, 4):
                raise ParamError("costs", "the stand-in graph has 4 nodes: a 4×4 matrix")
            if min_hops(cost, 0, 3) < 0:
                raise ParamError("costs", "no path from s (node 0) to t (node 3)")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self.cost, self.positions = self.graph_of(self.p)
        N = len(self.cost)
        self.source, self.target = 0, N - 1
        self.hops = min_hops(self.cost, self.source, self.target)
        self.shortest = float(markov.dijkstra(self.cost, self.target)[self.source])
        self.P_random = uniform_routing(self.cost, self.target)
        self.random_cost = markov.absorbing_expected_cost(self.P_random, self.cost,
                                                          self.target)
        idx = np.argwhere(np.isfinite(self.cost) & ~np.eye(N, dtype=bool))
        self.edges = idx.astype(np.int64)
        self.edge_costs = self.cost[idx[:, 0], idx[:, 1]]
        self._solve()

    def on_live_change(self, names: set[str]) -> None:
        if names & {"T", "gamma", "mode", "policy"}:
            self._solve()
            self._restart = True

    def _solve(self) -> None:
        p, C, tgt = self.p, self.cost, self.target
        T, gamma = p["T"], p["gamma"]
        if p["mode"] == "marginalise":
            self.V = expected_cost_backward(self.P_random, C, T, tgt, gamma)
        else:
            self.V = markov.bellman_finite_horizon(C, T, tgt, gamma,
                                                   maximise=p["mode"] == "max-reward")
        if p["mode"] == "marginalise":
            self.v0_by_T = np.array([
                expected_cost_backward(self.P_random, C, t, tgt, gamma)[0, self.source]
                for t in range(1, T + 1)])
        else:
            self.v0_by_T = np.array([
                markov.bellman_finite_horizon(C, t, tgt, gamma,
                                              maximise=p["mode"] == "max-reward")[0, self.source]
                for t in range(1, T + 1)])
        self.policy = self._policy()
        mu = [_point(len(C), self.source)]
        for k in range(T):
            mu.append(mu[-1] @ self._policy_matrix(k))
        self.mu = np.array(mu)
        self.path = self._greedy_path()

    def _policy(self) -> np.ndarray:
        """The greedy next node at each time: argopt_y {c(x, y) + γVₙ₊₁(y)} (T, N)."""
        tgt, T = self.target, self.p["T"]
        maximise = self.p["mode"] == "max-reward"
        bad = -np.inf if maximise else np.inf
        C = np.where(np.isfinite(self.cost), self.cost, bad)
        C[tgt, :] = bad
        C[tgt, tgt] = 0.0
        pol = np.zeros((T, len(C)), dtype=np.int64)
        for k in range(T):
            cand = C + self.p["gamma"] * self.V[k + 1][None, :]
            cand = np.where(np.isnan(cand), bad, cand)
            if maximise:
                pol[k] = np.argmax(cand, axis=1)
            else:
                pol[k] = np.argmin(cand, axis=1)
        return pol

    def _policy_matrix(self, k: int) -> np.ndarray:
        """The transition matrix the walker uses at time k."""
        if self.p["policy"] == "uniform-random" or self.p["mode"] == "marginalise":
            return self.P_random
        P = np.zeros_like(self.P_random)
        P[np.arange(len(P)), self.policy[k]] = 1.0
        return P

    def _greedy_path(self) -> list[int]:
        x, path = self.source, [self.source]
        if not np.isfinite(self.V[0, self.source]):
            return path
        for k in range(self.p["T"]):
            if x == self.target:
                break
            x = int(self.policy[k, x])
            path.append(x)
        return path

    def frames(self) -> Iterator[Frame]:
        p = self.p
        rng = np.random.default_rng(np.random.SeedSequence([p["seed"], 1]))
        N = len(self.cost)
        labels_base = (["s", "a", "b", "t"] if p["graph"] == "4-node"
                       else [str(i) for i in range(N)])
        self._restart = True
        frame_no = 0
        while True:
            if self._restart:
                self._restart = False
                T = self.p["T"]
                layer, walker_n, walker = 0, 0, self.source  # layers filled backward
            advance = frame_no > 0
            frame_no += 1
            if advance:
                for _ in range(self.steps_per_frame):
                    if layer < T + 1:
                        layer += 1
                    elif walker_n < T and walker != self.target:
                        if self.p["policy"] == "optimal" and self.p["mode"] != "marginalise":
                            walker = int(self.policy[walker_n, walker])
                        else:
                            walker = int(rng.choice(N, p=self.P_random[walker]))
                        walker_n += 1
                    else:  # the episode is over: start again from the last layer
                        layer, walker_n, walker = 0, 0, self.source
            V = self.V
            Vt = np.full((N, T + 1), np.nan)
            if layer:
                shown = V[T - layer + 1:].T
                Vt[:, T - layer + 1:] = np.where(np.isfinite(shown), shown, np.nan)
            mu_t = np.full((N, T + 1), np.nan)
            forward = layer >= T + 1
            if forward:
                mu_t[:, : walker_n + 1] = self.mu[: walker_n + 1].T
            current = V[max(T - layer + 1, 0)] if layer else np.full(N, np.nan)
            node_values = np.where(np.isfinite(current), current, np.nan)
            node_labels = np.array([
                f"{name}: {'∞' if not np.isfinite(v) else f'{v:g}'}" if layer else name
                for name, v in zip(labels_base, current, strict=True)])
            path_set = set(zip(self.path[:-1], self.path[1:], strict=True))
            path_edges = np.array([(int(i), int(j)) in path_set for i, j in self.edges])
            v0 = float(V[0, self.source])
            ops = T * N * N
            finite_T = np.isfinite(self.v0_by_T)
            yield {
                "step": frame_no,
                "t": float(frame_no),
                "positions": self.positions,
                "edges": self.edges,
                "edge_weights": self.edge_costs,
                # a grid's edges are too many to label: their widths carry the cost
                "edge_labels": np.array([f"{c:g}" if N <= 12 else "" for c in self.edge_costs]),
                "node_values": node_values,
                "node_labels": node_labels,
                "walker": walker if forward else -1,
                "path_edges": path_edges if forward or layer > T else np.zeros(
                    len(self.edges), dtype=bool),
                "V": V,
                "V_trellis": Vt,
                "mu_trellis": mu_t,
                "trellis_extent": np.array([-0.5, T + 0.5, -0.5, N - 0.5]),
                "mu": self.mu,
                "T_values": np.arange(1, T + 1, dtype=float)[finite_T],
                "v0_by_T": self.v0_by_T[finite_T],
                "shortest": self.shortest,
                "random_routing": self.random_cost,
                "layer": layer,
                "V0": v0,
                "phase": (f"backward: layer n = {T - layer + 1} of {T}…0" if layer <= T
                          else f"forward: walker at n = {walker_n}"),
                "value_text": (f"{'∞' if not np.isfinite(v0) else f'{v0:g}'} | "
                               f"{self.shortest:g} | {self.random_cost[self.source]:.4g}"),
                "path_text": ("— (random routing)" if self.p["mode"] == "marginalise"
                              else " → ".join(labels_base[i] for i in self.path)),
                "ops_text": f"{ops:,} | {_paths(N, T)}",
                "hops_text": f"{self.hops} | {self.mu[-1, self.target]:.4f}",
            }


def _point(n: int, i: int) -> np.ndarray:
    mu = np.zeros(n)
    mu[i] = 1.0
    return mu


def _paths(N: int, T: int) -> str:
    exponent = T * math.log10(N)
    return f"{N ** T:,}" if exponent < 15 else f"10^{exponent:.1f}"
