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
