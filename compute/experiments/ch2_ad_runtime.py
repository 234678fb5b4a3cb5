"""§2.1.1, Example 2.1.2 item 3, Fig. 2.3, Exercise 2.1.1.2: the runtime of a full gradient
of g(x) = Σ (sin xᵢ + 0.1xᵢ²) in R^d by forward differences (d + 1 evaluations), by
forward-mode AD (d tangent passes) and by reverse-mode AD (one forward and one backward
pass), measured live, one dimension after another; then the Jacobian of a map
F: Rⁿ → Rᵐ by forward mode (n tangent passes) and reverse mode (m adjoint passes) over a
grid of (n, m)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import autodiff as ad
from .. import backend
from ..experiment import Experiment, Frame
from ..params import Bool, Choice, Float, Int, ParamError
from ..registry import register
from ..views import Curves, Heatmap, Readout, Series

FRAME_BUDGET = 0.025  # seconds of timed work per frame, so a frame stays near 30 ms
MIN_UNITS = 64  # passes per frame run whatever the clock says (each well under 1 ms)
METHODS = ("fd", "forward", "reverse")
METHOD_NAMES = {"fd": "forward differences", "forward": "forward-mode AD",
                "reverse": "reverse-mode AD"}


def g_numpy(x: np.ndarray) -> Any:
    """g(x) = Σᵢ (sin xᵢ + 0.1xᵢ²), in the dtype of x."""
    return np.sum(np.sin(x) + x.dtype.type(0.1) * x * x)


def g_traced(x: Any) -> Any:
    return ad.total(ad.sin(x) + 0.1 * x**2)


class Counter:
    """Counts the calls a gradient method makes: function evaluations, forward tangent
    sweeps and backward sweeps (the machine-independent cost, unlike wall time)."""

    def __init__(self) -> None:
        self.evaluations = 0
        self.tangent_passes = 0
        self.backward_passes = 0


def fd_gradient(x: np.ndarray, eps: float, count: Counter, out: list,
                g: Callable[[np.ndarray], Any] = g_numpy) -> Iterator[None]:
    """Forward differences (g(x + εeᵢ) − g(x))/ε: d + 1 evaluations, yielding after each."""
    e = x.dtype.type(eps)
    base = g(x)
    count.evaluations += 1
    grad = np.empty_like(x)
    xp = x.copy()
    for i in range(len(x)):
        xp[i] = x[i] + e
        grad[i] = (g(xp) - base) / e
        count.evaluations += 1
        xp[i] = x[i]
        yield
    out.append(grad)


def reverse_gradient(tape: ad.Tape, x: np.ndarray, count: Counter, out: list) -> Iterator[None]:
    """Reverse mode: one evaluation (the forward pass) and one backward sweep."""
    values = tape.evaluate([x])
    count.evaluations += 1
    yield
    *_, (_, adjoint) = tape.reverse_steps(values)
    count.backward_passes += 1
    out.append(adjoint[tape.inputs[0]])
    yield


def forward_gradient(tape: ad.Tape, x: np.ndarray, count: Counter, out: list
                     ) -> Iterator[None]:
    """Forward mode: one evaluation, then one tangent sweep per coordinate (seed eᵢ)."""
    values = tape.evaluate([x])
    count.evaluations += 1
    partials = tape.partials(values)
    grad = np.empty_like(x)
    seed = np.zeros_like(x)
    for i in range(len(x)):
        seed[i] = 1
        *_, (_, tangent) = tape.forward_steps(values, [seed], partials)
        grad[i] = tangent[tape.output]
        seed[i] = 0
        count.tangent_passes += 1
        yield
    out.append(grad)


def jacobian_map(n: int, m: int, rng: np.random.Generator, dtype: np.dtype
                 ) -> tuple[np.ndarray, np.ndarray]:
    """A point x ∈ Rⁿ and the weights W (m × n, entries N(0, 1/n)) of F(x) = sin(Wx)."""
    x = rng.standard_normal(n).astype(dtype)
    w = (rng.standard_normal((m, n)) / np.sqrt(n)).astype(dtype)
    return x, w


def jacobian_exact(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The closed form J = diag(cos Wx)·W of F(x) = sin(Wx)."""
    return np.cos(w @ x)[:, None] * w


def jacobian_forward(w: np.ndarray, x: np.ndarray, count: Counter, out: list
                     ) -> Iterator[None]:
    """jacfwd: one primal pass, then one tangent pass per input direction eᵢ,
    ẏ = cos(Wx) ⊙ (W ẋ), giving column i of J; n passes, each costing a product with W."""
    gain = np.cos(w @ x)
    count.evaluations += 1
    jac = np.empty_like(w)
    seed = np.zeros_like(x)
    for i in range(len(x)):
        seed[i] = 1
        jac[:, i] = gain * (w @ seed)
        seed[i] = 0
        count.tangent_passes += 1
        yield
    out.append(jac)


def jacobian_reverse(w: np.ndarray, x: np.ndarray, count: Counter, out: list
                     ) -> Iterator[None]:
    """jacrev: one primal pass, then one adjoint pass per output direction eⱼ,
    x̄ = Wᵀ(cos(Wx) ⊙ ȳ), giving row j of J; m passes, each costing a product with Wᵀ."""
    gain = np.cos(w @ x)
    count.evaluations += 1
    jac = np.empty_like(w)
    seed = np.zeros_like(gain)
    for j in range(len(gain)):
        seed[j] = 1
        jac[j] = w.T @ (gain * seed)
        seed[j] = 0
        count.backward_passes += 1
        yield
    out.append(jac)


@register
class ADRuntimeScaling(Experiment):
    id = "ch2.ad-runtime-scaling"
    title = "Finite differences vs reverse-mode AD: runtime vs dimension (Fig. 2.3)"
    section = "2.1.1"
    family = "computational graph & AD"
    summary = ("The gradient of g(x) = Σ(sin xᵢ + 0.1xᵢ²) in R^d: forward differences and "
               "forward-mode AD cost ~d passes, reverse mode one; timed live as d doubles.")
    explanation = (
        "A full gradient of a scalar function of d variables costs d + 1 evaluations by "
        "forward differences and d tangent passes by forward-mode AD, but one forward and "
        "one backward pass by reverse-mode AD, whatever d. Play runs the sweep live: for "
        "each d (doubling) each method is timed over several repeats (the median is drawn, "
        "after an untimed warm-up run) and its point appears on the log–log plot while the "
        "next dimension runs. Since every evaluation itself costs O(d), differences and "
        "forward mode grow like d² once d is large, reverse mode like d (the guide lines "
        "have slopes 1 and 2). The counts are exact and machine independent; the times are "
        "this computer's, noisy on a shared CPU, and never asserted in tests. The second "
        "plot shows the accuracy: at ε = 10⁻⁴ in float32 the difference quotient is "
        "dominated by round-off, about u·Σ|terms|/ε, and grows with d, while the AD "
        "gradient equals cos x + 0.2x to round-off. "
        "After the gradient sweep comes the Jacobian of F(x) = sin(Wx) from Rⁿ to Rᵐ: "
        "forward mode (jacfwd) builds it column by column, one tangent pass per input, n "
        "passes; reverse mode (jacrev) row by row, one adjoint pass per output, m passes. "
        "Every pass costs one product with W, so the time ratio jacfwd/jacrev is about n/m: "
        "the heatmap over (log₂ n, log₂ m) is split by the diagonal n = m, reverse mode "
        "winning below it (many inputs, few outputs: gradients, m = 1) and forward mode "
        "above it (m ≫ n)."
    )
    equations = (
        r"$g(x) = \sum_{i=1}^d \left(\sin x_i + 0.1 x_i^2\right),\qquad"
        r" \nabla g = \cos x + 0.2 x$",
        r"$\mathrm{FD}:\ \partial_i g \approx \frac{g(x+\epsilon e_i) - g(x)}{\epsilon}:"
        r"\ d+1\ \mathrm{evaluations};\quad \mathrm{reverse\ AD}:\ 1 + 1\ \mathrm{passes}$",
        r"$F:\mathbb{R}^n \to \mathbb{R}^m:\ \mathrm{forward\ mode} \sim n\ \mathrm{passes},"
        r"\quad \mathrm{reverse\ mode} \sim m\ \mathrm{passes}$",
    )
    book_notes = (
        "The notebook times torch autograd; the lab times its own numpy tape AD (the same "
        "reverse sweep), so the experiment runs without torch. Per-call overheads differ, so "
        "the absolute times differ from Fig. 2.3, but the scaling with d is the point.",
        "The notebook's smallest size is slower than the next for both methods: a warm-up "
        "artefact. The lab runs an untimed warm-up at every d (switchable).",
        "The catalogue's Jacobian view uses torch.func jacfwd/jacrev; the lab builds both "
        "Jacobians of F(x) = sin(Wx) pass by pass in numpy (n tangent passes or m adjoint "
        "passes, each one product with W), the same cost structure without torch.",
    )
    params = (
        Int("d_min_log2", 2, 1, 14, label="smallest d = 2^k", help="First dimension 2^k."),
        Int("d_max_log2", 8, 1, 14, label="largest d = 2^k",
            help="Last dimension 2^k (the notebook stops at 2⁸ = 256, the exercise at 2¹¹)."),
        Float("eps", 1e-4, 1e-8, 1e-1, log=True, label="ε", help="Step of the differences."),
        Int("repeats", 5, 1, 20, help="Timed runs per method and d; the median is drawn."),
        Bool("warmup", True, label="warm-up run", help="An untimed run before the timed ones."),
        Bool("forward_mode", True, label="time forward-mode AD",
             help="Also time forward-mode AD (one tangent pass per coordinate)."),
        Choice("dtype", "float32", ("float32", "float64"),
               help="Precision (the notebook's torch default is float32)."),
        Bool("jacobian", True, label="Jacobian view",
             help="After the gradient sweep, time jacfwd and jacrev of F: Rⁿ → Rᵐ."),
        Int("jac_max_log2", 7, 0, 10, label="largest n, m = 2^k",
            help="The Jacobian grid runs n, m = 1, 2, 4, …, 2^k (the catalogue's 1–1024)."),
        Int("seed", 0, 0, 2**31 - 1, help="Seed of the random point x ~ N(0, 1)^d."),
    )
    views = (
        Curves("runtime", "Runtime of a full gradient vs dimension d",
               series=(Series("t_fd", x="dims", label="forward differences", style="dots"),
                       Series("t_forward", x="dims", label="forward-mode AD", style="dots"),
                       Series("t_reverse", x="dims", label="reverse-mode AD", style="dots"),
                       Series("guide_1", x="guide_dims", label="slope 1 (∝ d)"),
                       Series("guide_2", x="guide_dims", label="slope 2 (∝ d²)")),
               xlabel="dimension d", ylabel="seconds (median)", logx=True, logy=True),
        Curves("accuracy", "Largest gradient error vs d (ε as set)",
               series=(Series("err_fd", x="dims", label="forward differences", style="dots"),
                       Series("err_forward", x="dims", label="forward-mode AD", style="dots"),
                       Series("err_reverse", x="dims", label="reverse-mode AD", style="dots"),
                       Series("err_model", x="dims", label="model u·Σ|terms|/ε")),
               xlabel="dimension d", ylabel="max |error|", logx=True, logy=True),
        Heatmap("jacobian", "Jacobian: log₂ of time jacfwd / jacrev over n and m",
                field="jac_ratio", extent="jac_extent", colormap="CET-D1",
                levels=(-10.0, 10.0),
                paths="jac_diagonal", names="jac_diagonal_name",
                xlabel="log₂ n (inputs)", ylabel="log₂ m (outputs)"),
        Readout("readout", "Sweep", area="bottom", lines=(
            ("status", "running", "{}"),
            ("progress", "progress", "{:.0%}"),
            ("count_text", "last d: evaluations FD | tangent passes | backward passes", "{}"),
            ("ratio_text", "last d: time FD / reverse", "{}"),
            ("jac_text", "last Jacobian: passes jacfwd | jacrev, time ratio", "{}"),
        )),
    )
    frame_fields = {
        "dims": "(k,) dimensions finished", "t_fd": "(k,) median seconds, differences",
        "t_forward": "(k,) median seconds, forward-mode AD (NaN when off)",
        "t_reverse": "(k,) median seconds, reverse-mode AD",
        "guide_dims": "(2,) ends of the guide lines (through the newest difference point)",
        "guide_1": "(2,) slope-1 guide",
        "guide_2": "(2,) slope-2 guide",
        "evals_fd": "(k,) function evaluations of differences (d + 1)",
        "tangent_passes": "(k,) tangent passes of forward mode (d)",
        "backward_passes": "(k,) backward passes of reverse mode (1)",
        "evals_reverse": "(k,) function evaluations of reverse mode (1)",
        "err_fd": "(k,) max |FD − (cos x + 0.2x)|", "err_reverse": "(k,) same, reverse mode",
        "err_forward": "(k,) same, forward mode (NaN when off)",
        "err_model": "(k,) u·Σ|sin xᵢ + 0.1xᵢ²|/ε",
        "status": "what runs now", "progress": "share of the sweep done",
        "count_text": "text: counts at the last d", "ratio_text": "text: time ratio at the last d",
        "jac_ratio": "(k+1, k+1) log₂(median jacfwd time / median jacrev time), row m, "
                     "column n (NaN until measured)",
        "jac_extent": "(4,) extent in log₂ units",
        "jac_fwd_passes": "(k+1, k+1) tangent passes of jacfwd (n)",
        "jac_rev_passes": "(k+1, k+1) adjoint passes of jacrev (m)",
        "jac_error": "(k+1, k+1) max |J − diag(cos Wx)W| over both modes",
        "jac_diagonal": "(2, 2) the line n = m", "jac_diagonal_name": "its legend name",
        "jac_text": "text: the last Jacobian cell",
    }
    history_fields = ("dims", "t_fd", "t_forward", "t_reverse", "err_fd", "err_reverse")
    nonfinite_fields = frozenset({"t_fd", "t_forward", "t_reverse", "guide_1", "guide_2",
                                  "err_fd", "err_forward", "err_reverse", "jac_ratio",
                                  "jac_fwd_passes", "jac_rev_passes", "jac_error"})
    default_steps_per_frame = 1
    max_steps_per_frame = 1

    @classmethod
    def check(cls, p) -> None:
        if p["d_max_log2"] < p["d_min_log2"]:
            raise ParamError("d_max_log2", "the largest d must be at least the smallest")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.p
        self.dtype = np.dtype(p["dtype"])
        self.dims = [2**k for k in range(p["d_min_log2"], p["d_max_log2"] + 1)]
        self.tape = ad.trace(g_traced, ("x",))
        self.rows: list[dict[str, Any]] = []
        methods = [m for m in METHODS if m != "forward" or p["forward_mode"]]
        runs = (p["repeats"] + p["warmup"]) * len(methods)
        # work units ~ passes: FD d + 1, forward d + 1, reverse 2 per run
        self.total_work = sum(runs * (d + 1) for d in self.dims)
        k = p["jac_max_log2"] + 1
        self.jac_sizes = [2**i for i in range(k)] if p["jacobian"] else []
        self.jac = {key: np.full((k, k), np.nan) for key in
                    ("ratio", "fwd_passes", "rev_passes", "error")}
        self.jac_last = "—"
        # work units ~ passes: n + m per pair of Jacobian runs
        self.total_work += sum((p["repeats"] + p["warmup"]) * (n + m)
                               for n in self.jac_sizes for m in self.jac_sizes)
        self.done_work = 0
        self.status = "starting"

    def task(self, method: str, x: np.ndarray, count: Counter, out: list) -> Iterator[None]:
        if method == "fd":
            return fd_gradient(x, self.p["eps"], count, out)
        if method == "forward":
            return forward_gradient(self.tape, x, count, out)
        return reverse_gradient(self.tape, x, count, out)

    def sweep(self) -> Iterator[bool]:
        """The whole measurement as small units of work; yields after each unit, True when
        the unit ended a run (so a frame shows at most one finished run)."""
        p = self.p
        methods = [m for m in METHODS if m != "forward" or p["forward_mode"]]
        rng = backend.rng(p["seed"], 1)
        for d in self.dims:
            x = rng.standard_normal(d).astype(self.dtype)
            exact = np.cos(x.astype(float)) + 0.2 * x.astype(float)
            terms = np.abs(np.sin(x.astype(float)) + 0.1 * x.astype(float) ** 2).sum()
            row: dict[str, Any] = {"d": d, "model": float(np.finfo(self.dtype).eps / 2 * terms
                                                          / p["eps"])}
            self.rows.append(row)  # filled in method by method: points appear as they finish
            for method in methods:
                times: list[float] = []
                for r in range(p["repeats"] + p["warmup"]):
                    timed = r >= p["warmup"]
                    self.status = (f"d = {d}: {METHOD_NAMES[method]}, "
                                   + (f"run {r - p['warmup'] + 1} of {p['repeats']}"
                                      if timed else "warm-up"))
                    count, out = Counter(), []
                    elapsed = 0.0
                    work = self.task(method, x, count, out)
                    while True:
                        start = time.perf_counter()
                        try:
                            next(work)
                        except StopIteration:
                            elapsed += time.perf_counter() - start
                            break
                        elapsed += time.perf_counter() - start
                        yield False
                    self.done_work += d + 1
                    if timed:
                        times.append(elapsed)
                    if r < p["repeats"] + p["warmup"] - 1:
                        yield True
                row[method] = float(np.median(times))
                row[f"count_{method}"] = count
                row[f"error_{method}"] = float(np.abs(out[0].astype(float) - exact).max())
                yield True
        yield from self.jacobian_sweep(rng)
        self.status = "sweep finished"

    def jacobian_sweep(self, rng: np.random.Generator) -> Iterator[bool]:
        """Time jacfwd and jacrev on every (n, m) of the grid, m outer so the heatmap fills
        in row by row; yields after each pass, True when a cell is finished."""
        p = self.p
        runs = p["repeats"] + p["warmup"]
        for jm, m in enumerate(self.jac_sizes):
            for jn, n in enumerate(self.jac_sizes):
                x, w = jacobian_map(n, m, rng, self.dtype)
                exact = jacobian_exact(w.astype(float), x.astype(float))
                medians, counts, errors = [], [], []
                for name, method in (("jacfwd", jacobian_forward), ("jacrev", jacobian_reverse)):
                    times: list[float] = []
                    for r in range(runs):
                        self.status = f"Jacobian n = {n}, m = {m}: {name}"
                        count, out = Counter(), []
                        elapsed = 0.0
                        work = method(w, x, count, out)
                        while True:
                            start = time.perf_counter()
                            try:
                                next(work)
                            except StopIteration:
                                elapsed += time.perf_counter() - start
                                break
                            elapsed += time.perf_counter() - start
                            yield False
                        if r >= p["warmup"]:
                            times.append(elapsed)
                    self.done_work += runs * (n if name == "jacfwd" else m)
                    medians.append(float(np.median(times)))
                    counts.append(count)
                    errors.append(float(np.abs(out[0].astype(float) - exact).max()))
                ratio = medians[0] / max(medians[1], 1e-12)
                self.jac["ratio"][jm, jn] = np.log2(ratio)
                self.jac["fwd_passes"][jm, jn] = counts[0].tangent_passes
                self.jac["rev_passes"][jm, jn] = counts[1].backward_passes
                self.jac["error"][jm, jn] = max(errors)
                self.jac_last = (f"n = {n}, m = {m}: {counts[0].tangent_passes} | "
                                 f"{counts[1].backward_passes}, {ratio:.3g} (n/m = {n / m:.3g})")
                yield True

    def frames(self) -> Iterator[Frame]:
        work = self.sweep()
        running = True
        step = 0
        while True:
            started = time.perf_counter()
            units = 0
            # the first MIN_UNITS passes ignore the clock, so a frame of small runs always
            # ends where a run ends: the frames are the same however loaded the CPU is
            while running and (units < MIN_UNITS
                               or time.perf_counter() - started < FRAME_BUDGET):
                units += 1
                try:
                    if next(work):
                        break  # one finished method per frame: the plot fills in visibly
                except StopIteration:
                    running = False
            yield self.frame(step)
            step += 1

    def frame(self, step: int) -> Frame:
        rows = self.rows
        dims = np.array([r["d"] for r in rows], dtype=float)

        def column(key: str, default: float = np.nan) -> np.ndarray:
            return np.array([r.get(key, default) for r in rows], dtype=float)

        def counts(method: str, attr: str) -> np.ndarray:
            return np.array([getattr(r[f"count_{method}"], attr) if f"count_{method}" in r
                             else 0 for r in rows], dtype=float)

        t_fd = column("fd")
        # short guides ending at the newest difference point: its slope against 1 and 2
        done = np.flatnonzero(np.isfinite(t_fd))
        if len(done):
            d_end, t_end = dims[done[-1]], t_fd[done[-1]]
            guide_dims = np.array([max(self.dims[0], d_end / 4), d_end])
            guide_1 = t_end * guide_dims / d_end
            guide_2 = t_end * (guide_dims / d_end) ** 2
        else:
            guide_dims = np.array([self.dims[0], self.dims[-1]], dtype=float)
            guide_1 = guide_2 = np.full(2, np.nan)
        finished = [r for r in rows if "reverse" in r]
        last = finished[-1] if finished else None
        count_text = ratio_text = "—"
        if last is not None:
            tp = last["count_forward"].tangent_passes if "count_forward" in last else "off"
            count_text = (f"d = {last['d']}: {last['count_fd'].evaluations} | {tp} | "
                          f"{last['count_reverse'].backward_passes}")
            ratio_text = f"d = {last['d']}: {last['fd'] / max(last['reverse'], 1e-12):.3g}"
        top = float(self.p["jac_max_log2"])
        return {
            "step": step, "t": float(step),
            "dims": dims, "t_fd": t_fd, "t_forward": column("forward"),
            "t_reverse": column("reverse"),
            "guide_dims": guide_dims, "guide_1": guide_1, "guide_2": guide_2,
            "evals_fd": counts("fd", "evaluations"),
            "tangent_passes": counts("forward", "tangent_passes"),
            "backward_passes": counts("reverse", "backward_passes"),
            "evals_reverse": counts("reverse", "evaluations"),
            "err_fd": np.maximum(column("error_fd"), 1e-17),
            "err_forward": np.maximum(column("error_forward"), 1e-17),
            "err_reverse": np.maximum(column("error_reverse"), 1e-17),
            "err_model": column("model"),
            "status": self.status,
            "progress": min(1.0, self.done_work / max(self.total_work, 1)),
            "count_text": count_text, "ratio_text": ratio_text,
            "jac_ratio": self.jac["ratio"], "jac_fwd_passes": self.jac["fwd_passes"],
            "jac_rev_passes": self.jac["rev_passes"], "jac_error": self.jac["error"],
            "jac_extent": np.array([-0.5, top + 0.5, -0.5, top + 0.5]),
            "jac_diagonal": np.array([[-0.5, -0.5], [top + 0.5, top + 0.5]]),
            "jac_diagonal_name": ["n = m (equal cost)"],
            "jac_text": self.jac_last,
        }
