"""§7.4: finite Markov chains — the chain zoo and a PageRank-type chain (Exercise 7.4.2)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import markov
from ..experiment import Experiment, Frame
from ..history import History
from ..params import Choice, Float, Int, Matrix, ParamError, Seed
from ..registry import register
from ..views import Bars, Curves, Graph, Heatmap, Readout, Series

CHAINS = ("two-state", "3-cycle", "line", "custom")
CUSTOM_DEFAULT = ((0.5, 0.5, 0.0), (0.25, 0.5, 0.25), (0.0, 0.5, 0.5))
PAGERANK = ((0.05, 0.90, 0.05), (0.80, 0.10, 0.10), (0.10, 0.00, 0.90))


def circle_layout(n: int) -> np.ndarray:
    angle = np.pi / 2 - 2 * np.pi * np.arange(n) / n
    return np.stack([np.cos(angle), np.sin(angle)], axis=1)


def line_layout(n: int) -> np.ndarray:
    return np.stack([np.arange(n, dtype=float), np.zeros(n)], axis=1)


def graph_edges(P: np.ndarray, fmt: str = "{:.2f}") -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """Edges i → j with P_ij > 0 (self-loops included), their weights and labels."""
    idx = np.argwhere(P > 0)
    weights = P[idx[:, 0], idx[:, 1]]
    labels = np.array([fmt.format(w) for w in weights])
    return idx.astype(np.int64), weights, labels


def walker_step(states: np.ndarray, cum: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each walker jumps to the first j with u < Σ_(k ≤ j) P(state, k)."""
    u = rng.random(len(states))
    nxt = np.sum(u[:, None] >= cum[states], axis=1)
    return np.minimum(nxt, cum.shape[1] - 1)


def eigen_circle() -> tuple[np.ndarray, np.ndarray]:
    theta = np.linspace(0, 2 * np.pi, 181)
    return np.cos(theta), np.sin(theta)


@register
class MarkovChainZoo(Experiment):
    id = "ch7.markov-chain-zoo"
    title = "Markov chain zoo: two-state, 3-cycle and line chains"
    section = "7.4"
    family = "Markov chain / lattice spins"
    summary = ("The distribution flows over the state graph to π; the 3-cycle never settles "
               "until it is made lazy.")
    explanation = (
        "A row-stochastic matrix P moves a distribution as μₙ₊₁ᵀ = μ_nᵀP; the state graph "
        "shows P (edge widths) and μ_n flowing over the nodes, while walkers jump along the "
        "edges and their histogram follows μ_n. An irreducible aperiodic chain forgets its "
        "start: ‖μ_n − π‖_TV decays like |λ₂|ⁿ, the spectral gap 1 − |λ₂| setting the pace. "
        "The two-state chain is reversible with π = (P₁₀, P₀₁)/(P₀₁ + P₁₀). The 3-cycle is "
        "periodic: its eigenvalues are the cube roots of unity (gap 0), a point mass "
        "circulates forever and only the Cesàro average converges to the uniform law; its "
        "probability flux of 1/3 around the cycle makes it non-reversible. Laziness "
        "(1 − ε)P + εI pulls the eigenvalues inside the unit circle and switches mixing on. "
        "The line chain (steps left with probability α) is reversible with "
        "π_i ∝ ((1−α)/α)^i: drag α through ½ to move the mass from one end to the other."
    )
    equations = (
        r"$\mu_{n+1}^\top = \mu_n^\top P,\qquad \pi^\top P = \pi^\top$",
        r"$\pi_i P_{ij} = \pi_j P_{ji}\ \ \mathrm{(detailed\ balance)}$",
        r"$\|\mu_n - \pi\|_{TV} \leq C\,|\lambda_2|^n,\qquad \mathrm{gap} = 1 - |\lambda_2|$",
        r"$P_\epsilon = (1-\epsilon)P + \epsilon I$",
    )
    book_notes = (
        "The book writes the stationary condition as Pπ = π and iterates π ← Pπ; for a "
        "row-stochastic P that converges to the all-ones direction, not to π. The lab uses "
        "μᵀP throughout (the PageRank experiment shows the wrong side as a toggle).",
        "The book leaves the line chain's ends unspecified; the lab uses self-loops "
        "P(0, 0) = α and P(n−1, n−1) = 1 − α, which keep it reversible.",
    )
    params = (
        Choice("chain", "two-state", CHAINS, help="Which chain; custom uses the matrix."),
        Matrix("matrix", CUSTOM_DEFAULT, 0.0, 10.0, max_shape=(8, 8), label="custom P",
               help="Transition weights of the custom chain; rows are normalised to sum 1."),
        Float("eps", 0.0, 0.0, 0.9, live=True, label="laziness ε",
              help="P → (1 − ε)P + εI."),
        Int("n_line", 10, 3, 50, label="line length n"),
        Float("alpha", 0.4, 0.05, 0.95, live=True, label="α (line)",
              help="Probability of a step to the left on the line chain."),
        Int("start", 0, 0, 49, label="start state", help="μ₀ is a point mass here."),
        Int("walkers", 1000, 10, 100_000, log=True, help="Independent walkers."),
        Float("tolerance", 0.01, 1e-4, 0.5, live=True, log=True, label="TV tolerance"),
        Seed(),
    )
    views = (
        Graph("graph", "State graph: P on the edges, μ_n on the nodes", area="left",
              positions="positions", edges="edges", values="mu", labels="node_labels",
              edge_labels="edge_labels", weights="edge_weights", directed=True,
              levels=(0.0, 1.0), value_label="μ_n"),
        Bars("bars", "μ_n, walkers and the Cesàro average vs π", area="left",
             values="bar_values", labels="states", names="bar_names", reference="pi",
             reference_label="π", yrange=(0.0, 1.0)),
        Curves("tv", "‖μ_n − π‖_TV and |λ₂|ⁿ",
               series=(Series("tv", x="tv_n", label="‖μ_n − π‖_TV"),
                       Series("tv_bound", x="tv_n", label="TV₀·|λ₂|ⁿ"),
                       Series("tv_cesaro", x="tv_n", label="Cesàro average")),
               xlabel="n", ylabel="total variation", logy=True),
        Curves("eigen", "Eigenvalues of P in the complex plane",
               series=(Series("eig_im", x="eig_re", label="eigenvalues", style="dots"),
                       Series("circle_y", x="circle_x", label="unit circle")),
               xlabel="Re λ", ylabel="Im λ"),
        Heatmap("flux", "Flux π_iP_ij − π_jP_ji (zero iff detailed balance)", field="flux",
                extent="flux_extent", colormap="CET-D1", xlabel="j", ylabel="i"),
        Readout("readout", "Chain", area="bottom", lines=(
            ("n", "step n", "{:d}"),
            ("pi_text", "π", "{}"),
            ("eig_text", "eigenvalues", "{}"),
            ("gap_text", "|λ₂| | gap | period", "{}"),
            ("steps_text", "steps to TV ≤ tol (from the start)", "{}"),
            ("reversible_text", "detailed balance | max |flux|", "{}"),
        )),
    )
    frame_fields = {
        "n": "steps taken", "positions": "(k, 2) node positions", "edges": "(e, 2) i → j",
        "edge_weights": "(e,) P_ij", "edge_labels": "(e,)", "node_labels": "(k,)",
        "mu": "(k,) μ_n", "pi": "(k,) stationary law", "states": "(k,) state names",
        "bar_values": "(3, k) μ_n, walker frequencies, Cesàro average",
        "bar_names": "(3,)", "walker_freq": "(k,) walker histogram",
        "cesaro": "(k,) (1/(n+1))Σ μ_k", "tv_n": "(h,)", "tv": "(h,) ‖μ_n − π‖",
        "tv_bound": "(h,) TV₀|λ₂|ⁿ", "tv_cesaro": "(h,) ‖Cesàro − π‖",
        "eig_re": "(k,)", "eig_im": "(k,)", "circle_x": "(181,)", "circle_y": "(181,)",
        "flux": "(k, k) π_iP_ij − π_jP_ji", "lambda2": "|λ₂|", "gap": "1 − |λ₂|",
        "flux_extent": "(4,) cells centred on the state numbers",
        "period": "period of the chain", "steps_to_tol": "first n with TV ≤ tolerance",
        "reversible": "detailed balance holds", "P": "(k, k) the transition matrix",
        "pi_text": "read-out", "eig_text": "read-out", "gap_text": "read-out",
        "steps_text": "read-out", "reversible_text": "read-out",
    }
    history_fields = ("tv_n", "tv")
    default_steps_per_frame = 1
    memory_param = "walkers"

    @classmethod
    def memory_bytes(cls, p) -> int:
        return 8 * int(p["walkers"]) * 60

    @classmethod
    def matrix_of(cls, p) -> np.ndarray:
        chain = p["chain"]
        if chain == "two-state":
            P = markov.two_state()
        elif chain == "3-cycle":
            P = markov.three_cycle()
        elif chain == "line":
            P = markov.line_chain(p["n_line"], p["alpha"])
        else:
            P = markov.normalise_rows(np.array(p["matrix"]), "matrix")
        return markov.lazy(P, p["eps"])

    @classmethod
    def check(cls, p) -> None:
        P = cls.matrix_of(p)
        problem = markov.irreducibility_problem(P)
        if problem:
            raise ParamError("matrix" if p["chain"] == "custom" else "chain", problem)
        if p["start"] >= len(P):
            raise ParamError("start", f"the chain has states 0…{len(P) - 1}")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self._set_chain()

    def on_live_change(self, names: set[str]) -> None:
        if names & {"eps", "alpha"}:
            self._set_chain()

    def _set_chain(self) -> None:
        P = self.matrix_of(self.p)
        self.P = P
        self.pi = markov.stationary(P)
        self.eig = markov.spectrum(P)
        self.lambda2 = markov.second_modulus(P)
        self.period = markov.period(P)
        F = markov.flux(P, self.pi)
        # round-off of a reversible chain (~1e-17) must not be painted as a current
        self.F = np.where(np.abs(F) < 1e-12, 0.0, F)
        k = len(P)
        self.positions = line_layout(k) if self.p["chain"] == "line" else circle_layout(k)
        self.edges, self.weights, self.edge_labels = graph_edges(P)
        mu0 = np.zeros(k)
        mu0[self.p["start"]] = 1.0
        self.steps_to_tol = markov.steps_to_tv(P, mu0, self.pi, self.p["tolerance"])

    def frames(self) -> Iterator[Frame]:
        p = self.p
        k = len(self.P)
        rng = np.random.default_rng(np.random.SeedSequence([p["seed"], 1]))
        mu = np.zeros(k)
        mu[p["start"]] = 1.0
        walkers = np.full(p["walkers"], p["start"])
        cesaro_sum = mu.copy()
        history = History(shape=(3,), capacity=4096)
        n = 0
        circle = eigen_circle()
        states = np.array([str(i) for i in range(k)])
        shown_start = False
        while True:
            P = self.P
            cum = np.cumsum(P, axis=1)
            if shown_start:
                for _ in range(self.steps_per_frame):
                    mu = mu @ P
                    walkers = walker_step(walkers, cum, rng)
                    n += 1
                    cesaro_sum += mu
            shown_start = True
            pi = self.pi
            cesaro = cesaro_sum / (n + 1)
            freq = np.bincount(walkers, minlength=k) / len(walkers)
            d = markov.tv(mu, pi)
            if n == 0:
                self._tv0 = max(d, 1e-300)
            history.append(n, (max(d, 1e-16), max(self._tv0 * self.lambda2**n, 1e-16),
                               max(markov.tv(cesaro, pi), 1e-16)))
            hv = history.values
            steps = self.steps_to_tol
            rev = markov.is_reversible(P, pi, atol=1e-10)
            yield {
                "step": n,
                "t": float(n),
                "n": n,
                "positions": self.positions,
                "edges": self.edges,
                "edge_weights": self.weights,
                "edge_labels": self.edge_labels,
                "node_labels": states,
                "mu": mu.copy(),
                "pi": pi,
                "states": states,
                "bar_values": np.vstack([mu, freq, cesaro]),
                "bar_names": np.array(["μ_n (exact)", f"{len(walkers)} walkers",
                                       "Cesàro average"]),
                "walker_freq": freq,
                "cesaro": cesaro,
                "tv_n": history.x,
                "tv": hv[:, 0], "tv_bound": hv[:, 1], "tv_cesaro": hv[:, 2],
                "eig_re": self.eig.real.copy(), "eig_im": self.eig.imag.copy(),
                "circle_x": circle[0], "circle_y": circle[1],
                "flux": self.F,
                "flux_extent": np.array([-0.5, k - 0.5, -0.5, k - 0.5]),
                "lambda2": self.lambda2,
                "gap": 1.0 - self.lambda2,
                "period": self.period,
                "steps_to_tol": steps,
                "reversible": rev,
                "P": P,
                "pi_text": _vector(pi),
                "eig_text": ", ".join(_complex(z) for z in self.eig[:6])
                + (" …" if k > 6 else ""),
                "gap_text": f"{self.lambda2:.4f} | {max(1 - self.lambda2, 0.0):.4f} | "
                            f"{self.period}",
                "steps_text": (f"{steps} (tol {self.p['tolerance']:g})" if steps >= 0
                               else "never (gap 0)"),
                "reversible_text": ("yes" if rev else "no")
                + f" | {np.abs(self.F).max():.4f}",
            }


def _vector(v: np.ndarray) -> str:
    shown = ", ".join(f"{x:.4f}" for x in v[:8])
    return f"({shown}{', …' if len(v) > 8 else ''})"


def _complex(z: complex) -> str:
    if abs(z.imag) < 1e-12:
        return f"{z.real:.4f}"
    return f"{z.real:.3f}{'+' if z.imag >= 0 else '−'}{abs(z.imag):.3f}i"


@register
class PageRankPerronFrobenius(Experiment):
    id = "ch7.pagerank-perron-frobenius"
    title = "A PageRank-type chain and the power method (Exercise 7.4.2)"
    section = "7.4"
    family = "Markov chain / lattice spins"
    summary = ("Power iteration πᵀ ← πᵀP converges at |λ₂|ᵏ; the book's π ← Pπ converges to "
               "the uniform vector instead; damping enlarges the gap.")
    explanation = (
        "Three pages link to each other with the row-stochastic P of Exercise 7.4.2. The "
        "chain is irreducible (every page reaches every other) and aperiodic (self-loops), "
        "so by Perron–Frobenius the eigenvalue 1 is simple, every other |λ| < 1, and the "
        "stationary law π is unique and positive. The power method πᵀ ← πᵀP converges to "
        "it with error ∝ |λ₂|ᵏ; the subdominant eigenvalues' signs decide whether the error "
        "oscillates. The book writes the iteration as π ← Pπ: for a row-stochastic P that "
        "converges to the all-ones direction (P𝟙 = 𝟙), i.e. the uniform vector — switch the "
        "multiplication side to see it. Google's damping G = βP + (1 − β)𝟙𝟙ᵀ/n multiplies "
        "every non-unit eigenvalue by β and enlarges the gap. P₂₁ = 0 breaks Kolmogorov's "
        "cycle criterion, so the chain is not reversible."
    )
    equations = (
        r"$\pi^{(k+1)\top} = \pi^{(k)\top} G,\qquad G = \beta P + (1-\beta)\,\mathbf{1}"
        r"\mathbf{1}^\top/n$",
        r"$\|\pi^{(k)} - \pi\| \approx C\,|\lambda_2(G)|^k,\quad"
        r" \lambda_i(G) = \beta\,\lambda_i(P)\ (i \geq 2)$",
        r"$P\mathbf{1} = \mathbf{1}:\ \ \pi \leftarrow P\pi\ \ \mathrm{tends\ to\ the\ uniform"
        r"\ vector}$",
    )
    book_notes = (
        "The book calls a matrix whose rows sum to one 'double-stochastic'; doubly "
        "stochastic means rows and columns both sum to one. P here is row-stochastic.",
        "The book writes Pπ = π and π⁽ᵏ⁺¹⁾ = Pπ⁽ᵏ⁾. For a row-stochastic P this right "
        "iteration converges to the all-ones direction (the uniform vector after "
        "normalisation), not to π; the lab iterates πᵀP and offers the right side as a "
        "toggle to show the difference.",
    )
    params = (
        Matrix("P", PAGERANK, 0.0, 10.0, max_shape=(8, 8), label="link matrix P",
               help="Row weights (normalised to sum 1)."),
        Float("beta", 1.0, 0.5, 1.0, live=True, label="damping β",
              help="G = βP + (1 − β)/n; 1 is no damping."),
        Choice("initial", "point", ("uniform", "point", "random"),
               help="π⁽⁰⁾: uniform, a point mass on page 0, or a random vector."),
        Choice("side", "left", ("left", "right"), live=True, label="multiplication side",
               help="left: πᵀ ← πᵀG (correct); right: π ← Gπ (the book's formula)."),
        Float("tolerance", 1e-6, 1e-12, 0.1, live=True, log=True, label="TV tolerance"),
        Seed(),
    )
    views = (
        Graph("web", "Web graph: links weighted by P, pages coloured by the iterate",
              area="left", positions="positions", edges="edges", values="iterate",
              labels="node_labels", edge_labels="edge_labels", weights="edge_weights",
              directed=True, levels=(0.0, 1.0), value_label="π⁽ᵏ⁾"),
        Bars("bars", "Iterate vs the stationary law π", area="left", values="iterate",
             labels="pages", reference="pi", reference_label="π (exact)",
             yrange=(0.0, 1.0)),
        Curves("error", "Error ‖π⁽ᵏ⁾ − π‖_TV and |λ₂|ᵏ",
               series=(Series("error", x="k", label="power method"),
                       Series("error_bound", x="k", label="E₀·|λ₂(G)|ᵏ")),
               xlabel="iteration k", ylabel="total variation", logy=True),
        Curves("eigen", "Eigenvalues: P and the damped G",
               series=(Series("eig_im_P", x="eig_re_P", label="P", style="dots"),
                       Series("eig_im_G", x="eig_re_G", label="G = βP + (1−β)/n",
                              style="dots"),
                       Series("circle_y", x="circle_x", label="unit circle")),
               xlabel="Re λ", ylabel="Im λ"),
        Readout("readout", "Perron–Frobenius", area="bottom", lines=(
            ("k_now", "iteration k", "{:d}"),
            ("pi_text", "π (exact)", "{}"),
            ("iterate_text", "π⁽ᵏ⁾", "{}"),
            ("eig_text", "eigenvalues of G", "{}"),
            ("gap_text", "|λ₂(G)| | gap | iterations to tol", "{}"),
            ("checks_text", "irreducible | aperiodic | reversible", "{}"),
        )),
    )
    frame_fields = {
        "k_now": "iterations", "positions": "(n, 2)", "edges": "(e, 2)",
        "edge_weights": "(e,)", "edge_labels": "(e,)", "node_labels": "(n,)",
        "iterate": "(n,) the normalised iterate π⁽ᵏ⁾", "pi": "(n,) stationary law of G",
        "pages": "(n,)", "k": "(h,)", "error": "(h,) ‖π⁽ᵏ⁾ − π‖_TV",
        "error_bound": "(h,) E₀|λ₂|ᵏ", "eig_re_P": "(n,)", "eig_im_P": "(n,)",
        "eig_re_G": "(n,)", "eig_im_G": "(n,)", "circle_x": "(181,)", "circle_y": "(181,)",
        "lambda2": "|λ₂(G)|", "iterations_to_tol": "first k with TV ≤ tolerance (left side)",
        "G": "(n, n) the damped matrix", "pi_text": "read-out", "iterate_text": "read-out",
        "eig_text": "read-out", "gap_text": "read-out", "checks_text": "read-out",
    }
    history_fields = ("k", "error")
    default_steps_per_frame = 1

    @classmethod
    def check(cls, p) -> None:
        P = markov.normalise_rows(np.array(p["P"]), "P")
        problem = markov.irreducibility_problem(markov.google_matrix(P, p["beta"]))
        if problem:
            raise ParamError("P", problem)

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self.P = markov.normalise_rows(np.array(self.p["P"]), "P")
        self._set_matrix()

    def on_live_change(self, names: set[str]) -> None:
        if names & {"beta", "tolerance"}:
            self._set_matrix()

    def _set_matrix(self) -> None:
        P, n = self.P, len(self.P)
        self.G = markov.google_matrix(P, self.p["beta"])
        self.pi = markov.stationary(self.G)
        self.eig_P = markov.spectrum(P)
        self.eig_G = markov.spectrum(self.G)
        self.lambda2 = markov.second_modulus(self.G)
        self.positions = circle_layout(n)
        self.edges, self.weights, self.edge_labels = graph_edges(self.G)
        self.irreducible = markov.is_irreducible(P)
        self.aperiodic = markov.period(P) == 1
        self.reversible = markov.is_reversible(P, markov.stationary(P), atol=1e-10)

    def frames(self) -> Iterator[Frame]:
        p = self.p
        n = len(self.P)
        rng = np.random.default_rng(np.random.SeedSequence([p["seed"], 1]))
        if p["initial"] == "uniform":
            x = np.full(n, 1.0 / n)
        elif p["initial"] == "point":
            x = np.zeros(n)
            x[0] = 1.0
        else:
            x = rng.random(n)
            x /= x.sum()
        x0 = x.copy()
        history = History(shape=(2,), capacity=4096)
        k = 0
        circle = eigen_circle()
        pages = np.array([f"page {i}" for i in range(n)])
        shown_start = False
        while True:
            G = self.G
            if shown_start:
                for _ in range(self.steps_per_frame):
                    x = x @ G if self.p["side"] == "left" else G @ x
                    x = x / x.sum()
                    k += 1
            shown_start = True
            err = markov.tv(x, self.pi)
            e0 = markov.tv(x0, self.pi)
            history.append(k, (max(err, 1e-17), max(e0 * self.lambda2**k, 1e-17)))
            hv = history.values
            steps = markov.steps_to_tv(G, x0, self.pi, self.p["tolerance"], 10_000)
            yield {
                "step": k,
                "t": float(k),
                "k_now": k,
                "positions": self.positions,
                "edges": self.edges,
                "edge_weights": self.weights,
                "edge_labels": self.edge_labels,
                "node_labels": pages,
                "iterate": x.copy(),
                "pi": self.pi,
                "pages": pages,
                "k": history.x,
                "error": hv[:, 0], "error_bound": hv[:, 1],
                "eig_re_P": self.eig_P.real.copy(), "eig_im_P": self.eig_P.imag.copy(),
                "eig_re_G": self.eig_G.real.copy(), "eig_im_G": self.eig_G.imag.copy(),
                "circle_x": circle[0], "circle_y": circle[1],
                "lambda2": self.lambda2,
                "iterations_to_tol": steps,
                "G": G,
                "pi_text": _vector(self.pi),
                "iterate_text": _vector(x),
                "eig_text": ", ".join(_complex(z) for z in self.eig_G),
                "gap_text": f"{self.lambda2:.4f} | {1 - self.lambda2:.4f} | {steps}",
                "checks_text": f"{'yes' if self.irreducible else 'no'} | "
                               f"{'yes' if self.aperiodic else 'no'} | "
                               f"{'yes' if self.reversible else 'no'}",
            }

