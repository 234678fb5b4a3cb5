"""ch3.tv-denoising: gradient, monotone schemes, the notebook step's chatter, effect of λ."""

import numpy as np
import pytest

from compute import tv
from compute.experiment import Diverged, checked_frames
from compute.experiments.ch3_tv import TVDenoising


def run(params, speed=50):
    exp = TVDenoising(params)
    exp.set_steps_per_frame(speed)
    frames = list(checked_frames(exp))
    return frames[-1], exp


@pytest.mark.parametrize("variant", tv.VARIANTS)
def test_gradient_matches_finite_differences(variant):
    rng = np.random.default_rng(0)
    u, w = rng.random((2, 12, 12))
    g = tv.gradient(u, w, 0.7, 0.05, variant)
    h = 1e-6
    for i, j in [(0, 0), (3, 5), (11, 11), (11, 4), (6, 11)]:
        e = np.zeros_like(u)
        e[i, j] = h
        fd = (tv.energy(u + e, w, 0.7, 0.05, variant) - tv.energy(u - e, w, 0.7, 0.05, variant))
        assert g[i, j] == pytest.approx(fd / (2 * h), abs=1e-6)


def test_difference_matrix_matches_the_forward_differences():
    u = np.random.default_rng(1).random((7, 7))
    dx, dy = tv.diffs(u)
    np.testing.assert_allclose(tv.difference_matrix(7) @ u.ravel(),
                               np.concatenate([dx.ravel(), dy.ravel()]))
    px, py = np.random.default_rng(2).random((2, 7, 7))
    px[:, -1] = 0
    py[-1, :] = 0
    # div = −Dᵀ: ⟨∇u, p⟩ = −⟨u, div p⟩
    assert (dx * px + dy * py).sum() == pytest.approx(-(u * tv.div(px, py)).sum())


@pytest.mark.parametrize("solver", ["lagged-diffusivity", "explicit"])
def test_lambda_zero_leaves_the_noisy_image(solver):
    f, exp = run({"lam": 0.0, "solver": solver, "iterations": 5, "size": 32}, speed=1)
    np.testing.assert_allclose(f["images"][2], exp.w, atol=1e-12)


@pytest.mark.parametrize(("params", "iterations"), [
    ({"solver": "lagged-diffusivity"}, 15),
    ({"solver": "lagged-diffusivity", "variant": "pairwise", "lam": 0.5}, 10),
    ({"solver": "explicit", "step_rule": "safe", "eps": 0.05}, 300),
])
def test_stable_schemes_never_raise_the_energy(params, iterations):
    f, _ = run({**params, "size": 32, "iterations": iterations})
    assert f["increasing"] == 0.0
    assert (np.diff(f["energy"]) <= 1e-9 * f["energy"][0]).all()


def test_notebook_step_chatters_at_small_eps_and_not_at_eps_0_1():
    f, _ = run({"solver": "explicit", "step_rule": "notebook", "iterations": 250})
    assert f["increasing"] > 0.2
    safe, _ = run({"iterations": 20})  # lagged diffusivity: a far lower energy
    assert safe["energy_now"] < 0.8 * f["energy_now"]
    for lam in (0.5, 1.5, 4.0):
        g, _ = run({"solver": "explicit", "step_rule": "notebook", "eps": 0.1, "lam": lam,
                    "iterations": 250, "size": 32})
        assert g["increasing"] == 0.0


def test_larger_lambda_flattens_more_and_loses_contrast():
    tvs, inside, outside = [], [], []
    for lam in (0.1, 0.5, 1.5):
        f, exp = run({"lam": lam, "iterations": 20})
        u = f["images"][2]
        dx, dy = tv.diffs(u)
        tvs.append(np.sqrt(1e-6 + dx**2 + dy**2).sum())
        inside.append(u[exp.clean == 1].mean())
        outside.append(u[exp.clean == 0].mean())
    assert tvs[0] > tvs[1] > tvs[2]
    assert inside[0] > inside[1] > inside[2] and outside[0] < outside[1] < outside[2]
    f, _ = run({"lam": 0.1, "iterations": 20})
    assert f["psnr_now"] > f["psnr_noisy"]  # a small λ really denoises


def test_explicit_step_far_too_large_is_reported_as_divergence_or_stays_finite():
    exp = TVDenoising({"solver": "explicit", "step_rule": "custom", "step": 1.0,
                       "clip": False, "size": 16, "iterations": 200})
    exp.set_steps_per_frame(50)
    try:
        for f in checked_frames(exp):
            assert np.isfinite(f["images"]).all()
    except Diverged as exc:
        assert "diverged at step" in str(exc)


def noisy(n=16, sigma=0.2, seed=0):
    rng = np.random.default_rng(seed)
    return np.clip(tv.test_image("U", n) + sigma * rng.standard_normal((n, n)), 0.0, 1.0)


@pytest.mark.parametrize("variant", tv.VARIANTS)
def test_chambolle_stays_dual_feasible_and_its_gap_closes(variant):
    """|p| ≤ 1 at every pixel after every step (the step divides by 1 + τ|g|); the dual
    value D(p) never falls and the gap P(u) − D(p) ≥ 0 shrinks towards 0."""
    w = noisy()
    p = (np.zeros_like(w), np.zeros_like(w))
    duals, gaps = [], []
    for _ in range(600):
        p = tv.chambolle_step(p, w, 0.4, variant)
        assert tv.dual_norm(p, variant).max() <= 1.0 + 1e-12
        u = tv.dual_image(p, w, 0.4)
        duals.append(0.5 * (w * w).sum() - 0.5 * (u * u).sum())
        gaps.append(tv.duality_gap(p, w, 0.4, variant))
    assert (np.diff(duals) >= -1e-12).all()
    assert min(gaps) >= -1e-9 and gaps[-1] < 1e-2 * gaps[0]


@pytest.mark.parametrize("variant", tv.VARIANTS)
def test_chambolle_and_lagged_diffusivity_agree_within_the_gap_bound(variant):
    """E₀ is 1-strongly convex, so any u has |u − u*|² ≤ 2(E₀(u) − D(p)) for a feasible p:
    Chambolle's image and the lagged-diffusivity image at tiny ε are both within that
    distance of the exact TV minimiser u*, hence of each other."""
    w, lam = noisy(), 0.4
    p = (np.zeros_like(w), np.zeros_like(w))
    for _ in range(1500):
        p = tv.chambolle_step(p, w, lam, variant)
    u_c = tv.dual_image(p, w, lam)
    D, u_l = tv.difference_matrix(16), w.copy()
    for _ in range(100):
        u_l = tv.lagged_diffusivity_step(u_l, w, lam, 1e-5, variant, D)
    dual = 0.5 * (w * w).sum() - 0.5 * (u_c * u_c).sum()
    bound = (np.sqrt(2 * (tv.energy(u_c, w, lam, 0.0, variant) - dual))
             + np.sqrt(2 * (tv.energy(u_l, w, lam, 0.0, variant) - dual)))
    assert np.linalg.norm(u_c - u_l) <= bound
    assert bound < 0.05 * np.linalg.norm(w)


@pytest.mark.parametrize("solver", ["midpoint", "chambolle"])
def test_new_solvers_leave_the_noisy_image_at_lambda_zero(solver):
    f, exp = run({"lam": 0.0, "solver": solver, "iterations": 5, "size": 16}, speed=1)
    np.testing.assert_allclose(f["images"][2], exp.w, atol=1e-12)


def test_midpoint_at_the_safe_step_never_raises_the_energy_and_matches_the_others():
    """At s = 1/(1 + 8λ/ε) the midpoint rule lowers E every step; at convergence explicit
    Euler, midpoint and lagged diffusivity reach the same minimiser of the strongly convex
    E (the unclipped minimiser already lies in [0, 1] up to the clipping's effect, so all
    run without clipping)."""
    base = {"size": 16, "eps": 0.1, "lam": 0.5, "clip": False, "step_rule": "safe"}
    mid, _ = run({**base, "solver": "midpoint", "iterations": 1500}, speed=500)
    assert mid["increasing"] == 0.0
    assert (np.diff(mid["energy"]) <= 1e-12 * mid["energy"][0]).all()
    eul, _ = run({**base, "solver": "explicit", "iterations": 3000}, speed=1000)
    lag, _ = run({**base, "solver": "lagged-diffusivity", "iterations": 60}, speed=60)
    for other in (eul, lag):
        np.testing.assert_allclose(mid["images"][2], other["images"][2], atol=1e-6)
    assert mid["energy_now"] == pytest.approx(lag["energy_now"], rel=1e-10)


def test_chambolle_run_reports_feasibility_and_gap():
    f, _ = run({"solver": "chambolle", "size": 16, "lam": 0.4, "iterations": 40}, speed=20)
    assert 0.0 < f["dual_max"] <= 1.0
    assert f["gap"] >= 0.0
    g, _ = run({"solver": "explicit", "size": 16, "iterations": 2}, speed=2)
    assert np.isnan(g["dual_max"]) and np.isnan(g["gap"])
