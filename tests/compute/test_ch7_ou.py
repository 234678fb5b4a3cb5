"""``ch7.ou-process``: the Ornstein–Uhlenbeck process dX = −λX dt + √(2D) dW (§7.3.3).

Expected values are the closed forms: E X_t = x₀e^{−λt}, Var X_t = (D/λ)(1 − e^{−2λt}); the
Euler–Maruyama chain x ← (1 − λΔt)x + √(2DΔt)ξ has E x_k = x₀a^k, Var x_k = 2DΔt(1 −
a^{2k})/(1 − a²) with a = 1 − λΔt and stationary variance (D/λ)/(1 − λΔt/2); the exact
sampler is unbiased at any Δt; Cov(X_{t+τ}, X_t)/Var(X_t) = e^{−λτ}; the Fokker–Planck
operator's spectrum is {0, λ, 2λ, …}. Tolerances are 5 standard errors of the estimators.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from compute.experiment import checked_frames
from compute.experiments.ch7_ou import OrnsteinUhlenbeck
from compute.params import ParamError


def run(steps, speed=10, **params):
    exp = OrnsteinUhlenbeck(params)
    exp.set_steps_per_frame(speed)
    frames = []
    for frame in checked_frames(exp):
        frames.append(frame)
        if frame["step"] >= steps:
            return frames
    raise AssertionError("ended")


def test_frames_carry_positions_and_time():
    f = run(5, speed=5, n_particles=500)[-1]
    assert f["x"].shape == (500,) and f["t"] == pytest.approx(5 * 0.01)


@pytest.mark.parametrize("integrator", ["em", "exact"])
def test_ensemble_mean_and_variance_follow_the_exact_laws(integrator):
    n, lam, D, x0, dt = 20_000, 1.5, 0.5, 3.0, 0.05
    frames = run(60, speed=10, n_particles=n, lam=lam, D=D, x0=x0, dt=dt,
                 integrator=integrator, seed=1)
    for f in frames:
        t, k = f["t"], f["step"]
        # the SDE's exact moments (the reference curves)
        assert f["mean_exact"][-1] == pytest.approx(x0 * math.exp(-lam * t), rel=1e-9)
        assert f["var_exact"][-1] == pytest.approx(D / lam * -math.expm1(-2 * lam * t),
                                                   rel=1e-9)
        # the simulated chain's exact moments
        a = 1 - lam * dt if integrator == "em" else math.exp(-lam * dt)
        q = 2 * D * dt if integrator == "em" else D / lam * -math.expm1(-2 * lam * dt)
        mean, var = x0 * a**k, q * (1 - a ** (2 * k)) / (1 - a * a)
        assert f["mean_chain"][-1] == pytest.approx(mean, rel=1e-9)
        assert f["var_chain"][-1] == pytest.approx(var, rel=1e-9)
        x = f["x"]
        assert abs(x.mean() - mean) < 5 * math.sqrt(var / n)
        assert abs(x.var() - var) < 5 * var * math.sqrt(2 / (n - 1))


def test_em_inflates_the_stationary_variance_and_the_exact_sampler_does_not():
    """λΔt = 1: EM's stationary variance (D/λ)/(1 − 1/2) = 2D/λ; the exact sampler D/λ."""
    n, lam, D, dt = 40_000, 1.0, 0.5, 1.0
    common = dict(n_particles=n, lam=lam, D=D, dt=dt, x0=0.0, initial="gaussian", seed=2)
    em = run(60, speed=20, integrator="em", **common)[-1]
    ex = run(60, speed=20, integrator="exact", **common)[-1]
    v_em = (D / lam) / (1 - lam * dt / 2)
    assert em["var_em_stationary"] == pytest.approx(v_em)
    assert em["var_stationary"] == pytest.approx(D / lam)
    assert abs(em["x"].var() - v_em) < 5 * v_em * math.sqrt(2 / n)
    assert abs(ex["x"].var() - D / lam) < 5 * (D / lam) * math.sqrt(2 / n)


def test_stationary_law_is_the_gaussian_n0_d_over_lambda():
    """Kolmogorov–Smirnov distance to N(0, D/λ) below its 1 % critical value 1.63/√n."""
    from scipy import special

    n, lam, D = 20_000, 2.0, 0.8
    f = run(400, speed=100, n_particles=n, lam=lam, D=D, dt=0.05, integrator="exact",
            x0=4.0, seed=3)[-1]
    x = np.sort(f["x"])
    cdf = 0.5 * (1 + special.erf(x / math.sqrt(2 * D / lam)))
    ks = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))
    assert ks < 1.63 / math.sqrt(n)
    # and the frame's reference density is that Gaussian (e^{−2λt} ≈ e^{−80})
    g = f["grid"]
    np.testing.assert_allclose(f["p_exact"], np.exp(-lam * g**2 / (2 * D))
                               / math.sqrt(2 * math.pi * D / lam), rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize("integrator", ["exact", "em"])
def test_autocorrelation_is_exp_minus_lambda_tau(integrator):
    """Cov(X_t, X_{t−τ})/Var(X_{t−τ}) = e^{−λτ} (exact) or (1 − λΔt)^{τ/Δt} (EM), at any
    time; the regression coefficient over m particles has SE ≈ √((1 − ρ²)/m)."""
    lam, dt = 1.0, 0.05
    f = run(400, speed=2, n_particles=4000, lam=lam, D=0.5, dt=dt, x0=0.0,
            initial="gaussian", integrator=integrator, seed=4)[-1]
    lag, acf = f["acf_lag"], f["acf"]
    k = np.round(lag / dt)
    expected = np.exp(-lam * lag) if integrator == "exact" else (1 - lam * dt) ** k
    np.testing.assert_allclose(f["acf_chain"], expected, rtol=1e-9)
    np.testing.assert_allclose(f["acf_exact"], np.exp(-lam * lag), rtol=1e-12)
    se = np.sqrt((1 - expected**2) / 4000) + 1e-12
    assert np.all(np.abs(acf - expected) <= 5 * se + 1e-9)
    assert lag[-1] > 6.0  # the check covers the decay to e^{−6}


@pytest.mark.parametrize("lam", [0.5, 2.0])
def test_fokker_planck_spectrum_is_k_lambda(lam):
    f = run(1, speed=1, n_particles=100, lam=lam, D=0.7)[-1]
    np.testing.assert_allclose(f["fp_eigenvalues"], lam * np.arange(4), atol=2e-3 * lam)


def test_bimodal_start_keeps_an_exact_gaussian_mixture():
    n, x0, lam, D = 20_000, 2.0, 1.0, 1.0
    f = run(50, speed=10, n_particles=n, x0=x0, lam=lam, D=D, initial="bimodal", seed=5)[-1]
    g = f["grid"]
    assert np.trapezoid(f["p_exact"], g) == pytest.approx(1.0, abs=1e-5)
    # the symmetric mixture: mean 0, variance = component variance + (x₀a^k)²
    k, a = f["step"], 1 - lam * 0.01
    m = x0 * a**k
    v = 0.0625 * a ** (2 * k) + 2 * D * 0.01 * (1 - a ** (2 * k)) / (1 - a * a)
    assert f["var_chain"][-1] == pytest.approx(v + m * m, rel=1e-9)
    assert abs(f["x"].mean()) < 5 * math.sqrt((v + m * m) / n)


def test_em_step_beyond_the_stability_bound_is_refused_with_the_bound():
    with pytest.raises(ParamError) as info:
        OrnsteinUhlenbeck({"lam": 4.0, "dt": 0.5})
    assert info.value.name == "dt" and "2/λ = 0.5" in info.value.message
    OrnsteinUhlenbeck({"lam": 4.0, "dt": 0.5, "integrator": "exact"})  # no bound
    exp = OrnsteinUhlenbeck({"lam": 1.0, "dt": 0.5})
    frames = checked_frames(exp)
    next(frames)
    with pytest.raises(ParamError, match="dt"):
        exp.update_live({"dt": 2.0})
    with pytest.raises(ParamError, match="dt"):
        exp.update_live({"lam": 5.0})  # the bound moves below the current Δt
    assert exp.p["lam"] == 1.0 and exp.p["dt"] == 0.5
    next(frames)


@pytest.mark.parametrize(("name", "value"), [("D", 0.0), ("lam", 0.0), ("lam", -1.0)])
def test_no_noise_and_no_confinement_are_refused(name, value):
    with pytest.raises(ParamError) as info:
        OrnsteinUhlenbeck({name: value})
    assert info.value.name == name
