"""§7.3.3 (OU box, eq. 7.4): the Ornstein–Uhlenbeck process and its Fokker–Planck equation."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ..experiment import Diverged, Experiment, Frame
from ..fokker_planck import FokkerPlanck1D
from ..history import History
from ..params import Choice, Float, Int, ParamError, Seed
from ..potentials import quadratic
from ..registry import register
from ..sde import ENGINES, Ensemble, check_engine_available, choose_engine
from ..views import Curves, Histogram, Particles, Readout, Series

GRID_POINTS = 400
ACF_SAMPLE = 4000  # particles whose snapshots give the autocorrelation
ACF_FRAMES = 80  # snapshots kept (a sliding window of frames)


class GaussianMixtureLaw:
    """The exact law of a linear SDE started from a Gaussian mixture: each component's mean
    and variance are propagated step by step with the transition actually applied, so live
    changes of λ, D, Δt or the integrator stay exact."""

    def __init__(self, weights, means, variances):
        self.w = np.asarray(weights, dtype=float)
        self.m = np.asarray(means, dtype=float)
        self.v = np.asarray(variances, dtype=float)

    def step(self, a: float, noise_var: float) -> None:
        """x ← a·x + N(0, noise_var)."""
        self.m = a * self.m
        self.v = a * a * self.v + noise_var

    @property
    def mean(self) -> float:
        return float(self.w @ self.m)

    @property
    def var(self) -> float:
        return float(self.w @ (self.v + self.m**2)) - self.mean**2

    def density(self, x: np.ndarray) -> np.ndarray:
        out = np.zeros_like(x, dtype=float)
        for w, m, v in zip(self.w, self.m, self.v, strict=True):
            if v <= 0:
                continue
            out += w * np.exp(-0.5 * (x - m) ** 2 / v) / math.sqrt(2 * math.pi * v)
        return out


def initial_law(kind: str, x0: float) -> GaussianMixtureLaw:
    """point: δ(x − x₀); gaussian: N(x₀, 1); bimodal: ½N(x₀, ¼²) + ½N(−x₀, ¼²)."""
    if kind == "point":
        return GaussianMixtureLaw([1.0], [x0], [0.0])
    if kind == "gaussian":
        return GaussianMixtureLaw([1.0], [x0], [1.0])
    return GaussianMixtureLaw([0.5, 0.5], [x0, -x0], [0.0625, 0.0625])


def em_factor(lam: float, dt: float) -> tuple[float, float]:
    """(a, noise variance) of the Euler–Maruyama step x ← (1 − λΔt)x + √(2DΔt)ξ per unit D."""
    return 1.0 - lam * dt, 2.0 * dt


def exact_factor(lam: float, dt: float) -> tuple[float, float]:
    """(a, noise variance per unit D) of the exact OU transition."""
    return math.exp(-lam * dt), -math.expm1(-2.0 * lam * dt) / lam


@register
class OrnsteinUhlenbeck(Experiment):
    id = "ch7.ou-process"
    title = "Ornstein–Uhlenbeck process and the Fokker–Planck equation"
    section = "7.3.3"
    family = "Langevin particles"
    summary = ("Particles relax in U = λx²/2; the histogram follows the exact Gaussian "
               "N(x₀exp(−λt), (D/λ)(1−exp(−2λt))).")
    explanation = (
        "The Ornstein–Uhlenbeck process is Langevin dynamics in the quadratic potential "
        "U = λx²/2: a linear pull back to 0 plus Gaussian noise. It is solvable exactly: the "
        "mean decays as x₀exp(−λt), the variance rises to D/λ as (D/λ)(1 − exp(−2λt)), and the "
        "law stays Gaussian at every time, so the live histogram is compared with that "
        "Gaussian. Euler–Maruyama is stable only for Δt < 2/λ and inflates the stationary "
        "variance to (D/λ)/(1 − λΔt/2); the exact one-step sampler is unbiased at every Δt "
        "(switch the integrator live). The stationary autocorrelation is exp(−λτ), and the "
        "Fokker–Planck operator's spectrum is {0, λ, 2λ, …}. The OU process is the forward "
        "noising process of VP-type diffusion models."
    )
    equations = (
        r"$dX_t = -\lambda X_t\,dt + \sqrt{2D}\,dW_t,\qquad U(x) = \lambda x^2/2$",
        r"$\partial_t p = \partial_x(\lambda x\,p) + D\,\partial_x^2 p$",
        r"$\mathbb{E}X_t = x_0 e^{-\lambda t},\quad"
        r" \mathrm{Var}\,X_t = \frac{D}{\lambda}\left(1 - e^{-2\lambda t}\right)$",
        r"$X_{k+1} = e^{-\lambda\Delta t}X_k"
        r" + \sqrt{\frac{D}{\lambda}\left(1 - e^{-2\lambda\Delta t}\right)}\;\xi_k$",
        r"$\mathrm{Var}_{\rm EM}(X_\infty) = \frac{D/\lambda}{1 - \lambda\Delta t/2},"
        r"\quad \Delta t < 2/\lambda$",
    )
    book_notes = (
        "The book states the OU solution and its stationary law without a notebook; the "
        "lab adds the discrete-time laws the simulation actually follows: Euler–Maruyama's "
        "stationary variance (D/λ)/(1 − λΔt/2), and the exact one-step sampler.",
    )
    params = (
        Float("lam", 1.0, 0.05, 10.0, live=True, log=True, label="λ",
              help="Stiffness of U = λx²/2 (relaxation rate)."),
        Float("D", 0.5, 0.01, 5.0, live=True, log=True, label="noise D",
              help="Diffusion coefficient; the stationary variance is D/λ."),
        Float("x0", 3.0, -5.0, 5.0, label="x₀", help="Start (centre of the initial law)."),
        Float("dt", 0.01, 1e-4, 2.0, live=True, log=True, label="Δt",
              help="Time step; Euler–Maruyama needs Δt < 2/λ, the exact sampler any Δt."),
        Int("n_particles", 10_000, 100, 1_000_000, log=True, label="particles",
            help="Independent particles."),
        Choice("integrator", "em", ("em", "exact"), live=True,
               help="em: Euler–Maruyama; exact: the exact Gaussian transition."),
        Choice("initial", "point", ("point", "gaussian", "bimodal"),
               help="point δ(x₀); gaussian N(x₀, 1); bimodal ½N(x₀, ¼²) + ½N(−x₀, ¼²)."),
        Int("bins", 80, 20, 300, live=True, help="Histogram bins."),
        Choice("engine", "auto", ENGINES,
               help="auto: numpy below 10⁵ particles, torch float32 above (a GPU when the "
                    "device setting has one)."),
        Seed(),
    )
    views = (
        Particles("particles", "Particles in U = λx²/2", area="left", x="x",
                  curve=("grid", "U"), on_curve=True, xlabel="x", ylabel="U(x)"),
        Histogram("histogram", "Histogram vs the exact Gaussian law", area="left",
                  edges="edges", values="hist", reference=("grid", "p_exact"), xlabel="x",
                  ylabel="density", reference_label="exact N(m(t), v(t))"),
        Curves("mean", "Mean vs t",
               series=(Series("mean", x="history_t", label="ensemble"),
                       Series("mean_exact", x="history_t", label="x₀·exp(−λt)"),
                       Series("mean_chain", x="history_t", label="integrator's exact")),
               xlabel="t", ylabel="E Xₜ"),
        Curves("variance", "Variance vs t",
               series=(Series("var", x="history_t", label="ensemble"),
                       Series("var_exact", x="history_t", label="(D/λ)(1 − exp(−2λt))"),
                       Series("var_chain", x="history_t", label="integrator's exact")),
               hlines=("var_stationary",), xlabel="t", ylabel="Var Xₜ"),
        Curves("acf", "Autocorrelation C(τ) = Cov(Xₜ, Xₜ₋τ)/Var(Xₜ₋τ)",
               series=(Series("acf", x="acf_lag", label="ensemble", style="dots"),
                       Series("acf_exact", x="acf_lag", label="exp(−λτ)"),
                       Series("acf_chain", x="acf_lag", label="integrator's, e.g. (1−λΔt)^(τ/Δt)")),
               xlabel="lag τ", ylabel="correlation"),
        Readout("readout", "OU process", area="bottom", lines=(
            ("t", "time t", "{:.3f}"),
            ("mean_text", "mean | exact", "{}"),
            ("var_text", "variance | exact | integrator's", "{}"),
            ("stationary_text", "stationary var D/λ | EM (D/λ)/(1−λΔt/2)", "{}"),
            ("em_bound", "EM stability bound 2/λ", "{:.4g}"),
            ("fp_spectrum", "Fokker–Planck spectrum (grid)", "{}"),
            ("engine", "engine", "{}"),
        )),
    )
    frame_fields = {
        "x": "(n_particles,) particle positions",
        "grid": "(400,) x grid", "U": "(400,) λx²/2 on the grid",
        "p_exact": "(400,) the exact law of X_t (Gaussian mixture) on the grid",
        "edges": "(bins+1,) histogram edges", "hist": "(bins,) density of the current positions",
        "history_t": "(m,) times", "mean": "(m,) ensemble mean", "var": "(m,) ensemble variance",
        "mean_exact": "(m,) exact SDE mean", "var_exact": "(m,) exact SDE variance",
        "mean_chain": "(m,) exact mean of the simulated chain (integrator used)",
        "var_chain": "(m,) exact variance of the simulated chain",
        "var_stationary": "D/λ",
        "acf_lag": "(k,) lags τ", "acf": "(k,) Cov(X_t, X_(t−τ))/Var(X_(t−τ)) over particles",
        "acf_exact": "(k,) exp(−λτ)", "acf_chain": "(k,) the integrator's exact autocorrelation",
        "var_em_stationary": "(D/λ)/(1 − λΔt/2): EM's stationary variance",
        "em_bound": "2/λ", "fp_eigenvalues": "(4,) lowest Fokker–Planck eigenvalues on a grid",
        "mean_text": "read-out", "var_text": "read-out", "stationary_text": "read-out",
        "fp_spectrum": "read-out", "engine": "the compute engine",
    }
    history_fields = ("history_t", "mean", "var", "mean_exact", "var_exact")
    default_steps_per_frame = 5
    memory_param = "n_particles"

    @classmethod
    def memory_bytes(cls, p) -> int:
        return 12 * 8 * int(p["n_particles"])

    @classmethod
    def check(cls, p) -> None:
        check_engine_available(p["engine"])
        bound = 2.0 / p["lam"]
        if p["integrator"] == "em" and p["dt"] >= bound:
            raise ParamError("dt", f"Euler–Maruyama is unstable for Δt ≥ 2/λ = {bound:.4g} "
                                   f"(|1 − λΔt| ≥ 1); take Δt < {bound:.4g} or the exact "
                                   "integrator")

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self.engine = choose_engine(self.p["engine"], device, self.p["n_particles"])
        self.device = self.engine[1]
        self._set_derived()

    def _set_derived(self) -> None:
        p = self.p
        lam, D = p["lam"], p["D"]
        self.potential = quadratic(lam)
        spread = max(math.sqrt(D / lam), float(np.sqrt(initial_law(p["initial"], 0).v.max())))
        half = abs(p["x0"]) + 5.0 * max(spread, 0.3)  # the law's support, to ~e^{−12}
        self.grid = np.linspace(-half, half, GRID_POINTS)
        self.U = self.potential.U(self.grid)
        self.edges = np.linspace(-half, half, p["bins"] + 1)
        fp = FokkerPlanck1D(self.potential, D, h=max(2 * half / 600, 0.005))
        self.fp_eigs = fp.lam[:4].copy()

    def on_live_change(self, names: set[str]) -> None:
        if names & {"lam", "D", "bins"}:
            self._set_derived()
        if names & {"lam", "dt", "integrator"}:
            self._acf_restart = True

    def frames(self) -> Iterator[Frame]:
        p = self.p
        n = p["n_particles"]
        rng = np.random.default_rng(np.random.SeedSequence([p["seed"], 0]))
        law0 = initial_law(p["initial"], p["x0"])
        comp = rng.choice(len(law0.w), size=n, p=law0.w)
        x_init = law0.m[comp] + np.sqrt(law0.v[comp]) * rng.standard_normal(n)
        kind, device = self.engine
        ens = Ensemble(x_init, p["seed"], 1, kind, device)
        sde_law = initial_law(p["initial"], p["x0"])
        chain_law = initial_law(p["initial"], p["x0"])
        history = History(shape=(6,), capacity=4096)
        m_acf = min(n, ACF_SAMPLE)
        snaps = LagCorrelation(m_acf, ACF_FRAMES)
        self._acf_restart = True
        step, t = 0, 0.0
        while True:
            if self._acf_restart:
                self._acf_restart = False
                snaps.clear()
            lam, D, dt = self.p["lam"], self.p["D"], self.p["dt"]
            exact = self.p["integrator"] == "exact"
            a_sde, q_sde = exact_factor(lam, dt)
            a_chain, q_chain = (a_sde, q_sde) if exact else em_factor(lam, dt)
            for _ in range(self.steps_per_frame):
                if exact:
                    ens.ou_exact_step(lam, D, dt)
                else:
                    ens.em_step(dt, D, cubic=(0.0, lam, 0.0))
                sde_law.step(a_sde, D * q_sde)
                chain_law.step(a_chain, D * q_chain)
                step += 1
                t += dt
            if not ens.max_abs() < 1e12:
                raise Diverged(step, "a particle escaped beyond |x| = 1e12")
            x = ens.numpy()
            mean = float(np.mean(x, dtype=np.float64))
            var = float(np.var(x, dtype=np.float64))
            history.append(t, (mean, var, sde_law.mean, sde_law.var, chain_law.mean,
                               chain_law.var))
            snaps.append(t, x[:m_acf])
            hv = history.values
            lags, acf = snaps.correlation()
            a = 1.0 - lam * dt
            chain_acf = (np.exp(-lam * lags) if exact
                         else np.sign(a) ** np.round(lags / dt) * np.abs(a) ** (lags / dt))
            var_st = D / lam
            var_em = var_st / (1.0 - lam * dt / 2.0)
            yield {
                "step": step,
                "t": t,
                "x": x,
                "grid": self.grid,
                "U": self.U,
                "p_exact": sde_law.density(self.grid),
                "edges": self.edges,
                "hist": _density(x, self.edges),
                "history_t": history.x,
                "mean": hv[:, 0], "var": hv[:, 1],
                "mean_exact": hv[:, 2], "var_exact": hv[:, 3],
                "mean_chain": hv[:, 4], "var_chain": hv[:, 5],
                "var_stationary": var_st,
                "acf_lag": lags, "acf": acf,
                "acf_exact": np.exp(-lam * lags), "acf_chain": chain_acf,
                "var_em_stationary": var_em,
                "em_bound": 2.0 / lam,
                "fp_eigenvalues": self.fp_eigs,
                "mean_text": f"{mean:.4f} | {sde_law.mean:.4f}",
                "var_text": f"{var:.4f} | {sde_law.var:.4f} | {chain_law.var:.4f}",
                "stationary_text": f"{var_st:.4g} | {var_em:.4g}",
                "fp_spectrum": ", ".join(f"{v:.3f}" for v in self.fp_eigs)
                + f"  (kλ: {', '.join(f'{k * lam:.3f}' for k in range(4))})",
                "engine": ens.label,
            }


def _density(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts = np.histogram(x, bins=edges)[0].astype(float)
    return counts / (max(len(x), 1) * np.diff(edges))


class LagCorrelation:
    """Snapshots of m tracked particles over the last K frames (a ring, centred once on
    arrival): Cov(X_t, X_(t−τ))/Var(X_(t−τ)) for every lag held, newest against each."""

    def __init__(self, m: int, capacity: int):
        self._v = np.zeros((capacity, m))
        self._var = np.zeros(capacity)
        self._t = np.zeros(capacity)
        self._count = 0

    def clear(self) -> None:
        self._count = 0

    def append(self, t: float, x: np.ndarray) -> None:
        i = self._count % len(self._t)
        row = self._v[i]
        row[:] = x
        row -= row.mean()
        self._var[i] = row @ row
        self._t[i] = t
        self._count += 1

    def correlation(self) -> tuple[np.ndarray, np.ndarray]:
        k = min(self._count, len(self._t))
        if k == 0:
            return np.zeros(1), np.ones(1)
        newest = (self._count - 1) % len(self._t)
        order = (newest - np.arange(k)) % len(self._t)  # newest first: lag 0, 1, 2, …
        cov = self._v @ self._v[newest]
        var = self._var[order]
        acf = np.where(var > 0, cov[order] / np.where(var > 0, var, 1.0), 1.0)
        return self._t[newest] - self._t[order], acf
