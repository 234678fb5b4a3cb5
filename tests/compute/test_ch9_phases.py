"""ch9.phases: collapse with the empirical score and the spectral speciation time."""

import numpy as np
import pytest

import compute
from compute import checked_frames
from compute.experiments.ch9_phases import embed
from compute.gmm import GaussianMixture
from compute.schedules import Schedule
from compute.uturn import collision_weights, return_statistics, top_eigenvalue

GRID = GaussianMixture.grid(3, 6.0, 0.5)
VP = Schedule("vp-linear", 0.1, 20.0)
Phases = compute.get("ch9.phases")


def run(**values):
    """The final frame of a small sweep."""
    params = {"probes": 128, "n_t": 16, **values}
    frames = list(checked_frames(Phases(params)))
    return frames[-1]


def test_collision_weights_match_the_softmax_formula():
    rng = np.random.default_rng(0)
    points, x = rng.normal(size=(30, 3)) * 2, rng.normal(size=(7, 3))
    alpha, var = 0.8, 0.36
    d2 = ((x[:, None, :] - alpha * points[None]) ** 2).sum(-1)
    w = np.exp(-(d2 - d2.min(1, keepdims=True)) / (2 * var))
    w /= w.sum(1, keepdims=True)
    np.testing.assert_allclose(collision_weights(points, alpha, var, x), (w**2).sum(1),
                               rtol=1e-12)


def test_return_probability_limits_and_participation_bounds():
    rng = np.random.default_rng(1)
    points = GRID.sample(50, rng)[0]
    seeds, noise = points[rng.integers(50, size=500)], rng.normal(size=(500, 2))
    p_small, pr_small = return_statistics(points, *map(float, (VP.alpha(1e-6),
                                                              VP.var(1e-6))), seeds, noise)
    assert p_small > 0.999 and pr_small == pytest.approx(1.0, abs=1e-2)
    steep = Schedule("vp-linear", 0.1, 40.0)  # α(1) ≈ e⁻¹⁰: the weights are uniform
    p_far, pr_far = return_statistics(points, float(steep.alpha(1.0)), float(steep.var(1.0)),
                                      seeds, noise)
    assert p_far == pytest.approx(1 / 50, rel=1e-3) and pr_far == pytest.approx(50, rel=1e-3)


def test_embedding_keeps_the_top_eigenvalue():
    for dim in (2, 5, 40):
        assert top_eigenvalue(embed(GRID, dim)) == pytest.approx(2 * 36 / 3 + 0.25, rel=1e-12)


def test_collapse_comes_earlier_with_more_points_and_speciation_does_not_move():
    last = run(N_values=("10", "100", "1000"))
    p_ret, ratio = last["p_ret"], last["participation"]
    sizes = np.array([10, 100, 1000])
    assert np.all(p_ret[:, 0] > 0.97)  # P_ret → 1 as t → 0
    assert np.all(np.diff(p_ret, axis=1) < 2e-3)  # decreasing in t (common random numbers)
    assert np.all(ratio >= 1 - 1e-12) and np.all(ratio <= sizes[:, None] + 1e-9)
    t_c = last["collapse_t"]
    assert len(t_c) == 3 and np.all(np.diff(t_c) < 0)  # collapse time decreases with N
    assert np.all(t_c < last["t_speciation"])  # memorization before speciation
    other = run(N_values=("30",))
    assert other["t_speciation"] == last["t_speciation"]  # t_s does not depend on N
    lam = 2 * 36 / 3 + 0.25
    assert float(VP.alpha(last["t_speciation"])) ** 2 * lam == pytest.approx(1.0, rel=1e-9)


def test_higher_dimension_delays_the_collapse():
    flat = run(N_values=("300",), dim=2)
    high = run(N_values=("300",), dim=16)
    assert high["collapse_t"][0] > flat["collapse_t"][0]
    assert high["t_speciation"] == flat["t_speciation"]
    np.testing.assert_allclose(high["p_same_mode"], flat["p_same_mode"])


def test_sweep_reports_progress_and_ends():
    frames = list(checked_frames(Phases({"N_values": ("100",), "n_t": 10, "probes": 64})))
    assert len(frames) == 10 and frames[-1]["progress"] == pytest.approx(1.0)
    assert [f["step"] for f in frames] == list(range(1, 11))
    assert np.isnan(frames[0]["p_ret"][0, 1:]).all() and np.isfinite(frames[-1]["p_ret"]).all()
