"""§7.3.2, Exercise 7.3.1: Brownian motion on [0, L] with absorbing or reflecting walls."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ..experiment import Experiment, Frame
from ..heat import BOUNDARIES, IntervalDiffusion
from ..history import History
from ..params import Bool, Choice, Float, Int, ParamError, Seed
from ..registry import register
from ..views import Bars, Curves, Histogram, Particles, Readout, Series

BINS = 40
SHOWN = 20_000  # particles drawn in the strip
TAU_BINS = 50


@register
class BrownianBoundaries(Experiment):
    id = "ch7.bm-boundaries-exercise"
    title = "Absorbing vs reflecting walls (Exercise 7.3.1)"
    section = "7.3.2"
    family = "diffusion & U-turn trajectories"
    summary = "Brownian motion on [0, L]: survival, exit times and exit sides against the "\
              "eigen-series; mass lost vs conserved."
    explanation = (
        "Particles start at x₀ in (0, L) and diffuse. With absorbing walls a particle is "
        "killed at its first exit: the surviving mass S(t) decays like exp(−Dπ²t/L²), the exit "
        "time τ has mean x₀(L − x₀)/(2D) and the exit is at L with probability x₀/L. With "
        "reflecting walls (x → −x below 0, x → 2L − x above L) mass is conserved and the "
        "density flattens to 1/L. 'mixed' absorbs at 0 and reflects at L. The PDE is the "
        "same ∂ₜp = D∂ₓ²p in every case; only the boundary conditions differ: p = 0 "
        "(Dirichlet) where particles are absorbed, ∂ₓp = 0 (Neumann) where they are "
        "reflected. Histograms and curves are compared with the eigenfunction series. "
        "Checking the walls only at the grid times misses excursions between them, so S(t) "
        "is overestimated by a bias shrinking like √Δt; the Brownian-bridge correction kills "
        "a step that stayed inside with probability exp(−d₀d₁/(DΔt)) per wall and removes "
        "most of it (drag Δt, then switch it on)."
    )
    equations = (
        r"$\partial_t p = D\,\partial_x^2 p\ \ \mathrm{on}\ (0,L),\qquad"
        r" p(0)=p(L)=0\ \ \mathrm{or}\ \ \partial_x p(0)=\partial_x p(L)=0$",
        r"$S(t) = \sum_{n\ \mathrm{odd}} \frac{4}{n\pi}\sin\frac{n\pi x_0}{L}"
        r"\,e^{-D n^2\pi^2 t/L^2}$",
        r"$P(X_\tau = L) = \frac{x_0}{L},\qquad \mathbb{E}\,\tau = \frac{x_0(L-x_0)}{2D}$",
        r"$P(\mathrm{cross\ within\ a\ step}) = e^{-d_0 d_1/(D\Delta t)}$",
    )
    book_notes = (
        "Exercise 7.3.1 gives no numbers; the lab uses L = 1, x₀ = 0.5, D = 0.5, Δt = 10⁻³ "
        "and 10⁵ particles, and adds the exact eigen-series, the √Δt monitoring bias and the "
        "Brownian-bridge correction.",
    )
    params = (
        Float("L", 1.0, 0.5, 5.0, label="L", help="Length of the interval [0, L]."),
        Float("x0", 0.5, 0.01, 4.99, label="x₀", help="Start, inside (0, L)."),
        Float("D", 0.5, 0.05, 2.0, live=True, log=True, help="Diffusion coefficient."),
        Float("dt", 1e-3, 1e-5, 1e-2, live=True, log=True, label="Δt",
              help="Euler–Maruyama step; the walls are checked at these times."),
        Int("n_particles", 100_000, 1000, 1_000_000, log=True, label="particles"),
        Float("horizon", 0.5, 0.1, 5.0, label="horizon", help="The run ends at this time."),
        Choice("boundary", "absorbing", BOUNDARIES,
               help="absorbing: killed at 0 and L; reflecting: bounced; mixed: absorbed "
                    "at 0, reflected at L."),
        Bool("bridge_correction", False, live=True, label="bridge correction",
             help="Kill a step that ended inside with the probability that the Brownian "
                  "bridge between its ends touched a wall."),
        Seed(),
    )
    views = (
        Particles("strip", "Particles in the strip [0, L]", area="left", x="shown_x",
                  y="shown_y", trails="walls", xlabel="x", ylabel="(jitter)"),
        Histogram("density", "Density of the survivors vs the eigen-series", area="left",
                  edges="edges", values="hist", reference=("grid", "p_exact"), xlabel="x",
                  ylabel="density", reference_label="eigen-series p(x, t)"),
        Curves("survival", "Survival S(t) = P(τ > t)",
               series=(Series("survival", x="history_t", label="simulated"),
                       Series("survival_exact", x="history_t", label="eigen-series")),
               xlabel="t", ylabel="S(t)"),
        Histogram("passage", "First-exit time τ", edges="tau_edges", values="tau_hist",
                  reference=("tau_grid", "tau_pdf"), xlabel="τ", ylabel="density",
                  reference_label="−dS/dt"),
        Bars("exits", "Where particles left (so far)", values="exit_bars",
             labels="exit_names", names="exit_groups", ylabel="fraction of particles",
             yrange=(0.0, 1.0)),
        Readout("readout", "Walls", area="bottom", lines=(
            ("t", "time t", "{:.4f}"),
            ("mass_text", "surviving mass | S(t) exact", "{}"),
            ("exit_text", "exits at L / all exits | x₀/L", "{}"),
            ("mean_tau_text", "E min(τ, t) | ∫₀ᵗ S | E τ", "{}"),
            ("decay_rate", "decay rate Dπ²/L² (k₁²D)", "{:.4g}"),
            ("bias_text", "S bias now | √Δt scale", "{}"),
        )),
    )
    frame_fields = {
        "x": "(n_alive,) positions of the surviving particles",
        "shown_x": "(≤20000,) positions drawn", "shown_y": "(≤20000,) jitter",
        "walls": "(2, 2, 2) the two walls as segments",
        "edges": "(41,) bins on [0, L]", "hist": "(40,) density of survivors (mass S(t))",
        "grid": "(200,) x grid", "p_exact": "(200,) exact density (eigen-series)",
        "history_t": "(h,) times", "survival": "(h,) surviving fraction",
        "survival_exact": "(h,) S(t)",
        "tau_edges": "(51,) bins on [0, horizon]", "tau_hist": "(50,) density of exit times "
        "(all particles)", "tau_grid": "(200,)", "tau_pdf": "(200,) −dS/dt",
        "exit_bars": "(2, 2) fractions exited at 0 and at L: simulated, exact",
        "exit_names": "(2,) 'at 0', 'at L'", "exit_groups": "(2,) 'simulated', 'exact'",
        "alive": "surviving fraction", "survival_now": "exact S(t)",
        "exits_right": "fraction exited at L", "exits_left": "fraction exited at 0",
        "exit_right_exact": "x₀/L", "mean_tau_truncated": "mean of min(τ, t)",
        "mean_tau_truncated_exact": "∫₀ᵗS", "mean_exit_time": "E τ (exact)",
        "decay_rate": "Dk₁²", "survival_bias": "simulated − exact survival now",
        "mass_text": "read-out", "exit_text": "read-out", "mean_tau_text": "read-out",
        "bias_text": "read-out",
    }
    history_fields = ("history_t", "survival", "survival_exact")
    nonfinite_fields = frozenset({"mean_exit_time", "exit_right_exact"})
    default_steps_per_frame = 5
    memory_param = "n_particles"

    @classmethod
    def memory_bytes(cls, p) -> int:
        return 10 * 8 * int(p["n_particles"])

    @classmethod
    def check(cls, p) -> None:
        if not 0.0 < p["x0"] < p["L"]:
            raise ParamError("x0", f"the start must lie inside (0, L) = (0, {p['L']:g})")

    def frames(self) -> Iterator[Frame]:
        p = self.p
        L, x0, n, T = p["L"], p["x0"], p["n_particles"], p["horizon"]
        boundary = p["boundary"]
        rng = np.random.default_rng(np.random.SeedSequence([p["seed"], 1]))
        x = np.full(n, x0)
        alive = np.ones(n, dtype=bool)
        tau = np.full(n, np.nan)
        side = np.zeros(n, dtype=np.int8)  # 0 alive or reflected, −1 exited at 0, +1 at L
        history = History(shape=(2,), capacity=2048)
        edges = np.linspace(0.0, L, BINS + 1)
        grid = np.linspace(0.0, L, 200)
        tau_edges = np.linspace(0.0, T, TAU_BINS + 1)
        tau_grid = np.linspace(T / 400, T, 200)
        jitter = np.random.default_rng(0).uniform(-1, 1, min(n, SHOWN))
        walls = np.array([[[0.0, -1.2], [0.0, 1.2]], [[L, -1.2], [L, 1.2]]])
        t, step = 0.0, 0
        elapsed_D = 0.0
        started = False
        while True:
            D, dt = self.p["D"], self.p["dt"]
            if started:
                for _ in range(self.steps_per_frame):
                    if t >= T - 1e-12:
                        break
                    h = min(dt, T - t)
                    t += h
                    step += 1
                    elapsed_D += D * h
                    idx = np.flatnonzero(alive)
                    if idx.size == 0:
                        continue
                    before = x[idx]
                    after = before + math.sqrt(2 * D * h) * rng.standard_normal(idx.size)
                    left, right = after <= 0.0, after >= L
                    if boundary in ("absorbing", "mixed"):
                        kill0 = left
                    else:
                        after = np.where(left, -after, after)
                        kill0 = np.zeros(idx.size, dtype=bool)
                    if boundary == "absorbing":
                        killL = right & ~kill0
                    else:
                        after = np.where(right & ~kill0, 2 * L - after, after)
                        killL = np.zeros(idx.size, dtype=bool)
                    if self.p["bridge_correction"]:
                        inside = ~(kill0 | killL)
                        u = rng.random(idx.size)
                        # the bridge between two inside points touched 0 (or L) w.p.
                        # exp(−d₀d₁/(DΔt)), distances measured to that wall before/after
                        if boundary in ("absorbing", "mixed"):
                            p0 = np.exp(-np.clip(before, 0, None) * np.clip(after, 0, None)
                                        / (D * h))
                            extra0 = inside & (u < p0)
                            kill0 = kill0 | extra0
                            inside &= ~extra0
                        if boundary == "absorbing":
                            u2 = rng.random(idx.size)
                            pL = np.exp(-np.clip(L - before, 0, None)
                                        * np.clip(L - after, 0, None) / (D * h))
                            killL = killL | (inside & (u2 < pL))
                    x[idx] = np.clip(after, 0.0, L)
                    dead0, deadL = idx[kill0], idx[killL]
                    alive[dead0] = False
                    alive[deadL] = False
                    tau[dead0] = t
                    tau[deadL] = t
                    side[dead0] = -1
                    side[deadL] = 1
            started = True
            D_eff = elapsed_D / t if t > 0 else self.p["D"]
            law = IntervalDiffusion(L, x0, D_eff, boundary)
            frac_alive = float(np.count_nonzero(alive)) / n
            s_exact = float(law.survival(t)[0]) if t > 0 else 1.0
            history.append(t, (frac_alive, s_exact))
            hv = history.values
            xa = x[alive]
            hist = np.histogram(xa, bins=edges)[0] / (n * np.diff(edges))
            p_exact = law.density(grid, t) if t > 0 else np.zeros_like(grid)
            done = np.isfinite(tau)
            tau_hist = np.histogram(tau[done], bins=tau_edges)[0] / (n * np.diff(tau_edges))
            n_exit = int(np.count_nonzero(done))
            exits_right = float(np.count_nonzero(side == 1)) / n
            exits_left = float(np.count_nonzero(side == -1)) / n
            if boundary == "absorbing":
                right_exact = law.exit_right_by(t) if t > 0 else 0.0
                left_exact = 1.0 - s_exact - right_exact
            elif boundary == "mixed":
                right_exact, left_exact = 0.0, 1.0 - s_exact
            else:
                right_exact = left_exact = 0.0
            mean_trunc = float(np.mean(np.where(done, tau, t))) if t > 0 else 0.0
            mean_trunc_exact = law.mean_truncated_exit_time(t) if t > 0 else 0.0
            shown = np.flatnonzero(alive[: len(jitter)])
            yield {
                "step": step,
                "t": t,
                "x": xa.copy(),
                "shown_x": x[shown],
                "shown_y": jitter[shown],
                "walls": walls,
                "edges": edges,
                "hist": hist,
                "grid": grid,
                "p_exact": p_exact,
                "history_t": history.x,
                "survival": hv[:, 0],
                "survival_exact": hv[:, 1],
                "tau_edges": tau_edges,
                "tau_hist": tau_hist,
                "tau_grid": tau_grid,
                "tau_pdf": law.passage_density(tau_grid),
                "exit_bars": np.array([[exits_left, exits_right], [left_exact, right_exact]]),
                "exit_names": np.array(["at 0", "at L"]),
                "exit_groups": np.array(["simulated", "exact (eigen-series)"]),
                "alive": frac_alive,
                "survival_now": s_exact,
                "exits_right": exits_right,
                "exits_left": exits_left,
                "exit_right_exact": law.exit_right,
                "mean_tau_truncated": mean_trunc,
                "mean_tau_truncated_exact": mean_trunc_exact,
                "mean_exit_time": law.mean_exit_time,
                "decay_rate": law.decay_rate,
                "survival_bias": frac_alive - s_exact,
                "mass_text": f"{frac_alive:.4f} | {s_exact:.4f}",
                "exit_text": (f"{exits_right / (exits_left + exits_right):.4f} | "
                              f"{x0 / L:.4f}" if n_exit and boundary == "absorbing" else "—"),
                "mean_tau_text": f"{mean_trunc:.4f} | {mean_trunc_exact:.4f} | "
                                 f"{law.mean_exit_time:.4g}",
                "bias_text": f"{frac_alive - s_exact:+.4f} | "
                             f"{math.sqrt(2 * D_eff * self.p['dt']) / L:.4f}",
            }
            if t >= T - 1e-12:
                return
