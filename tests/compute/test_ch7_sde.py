"""The SDE particle core shared by the chapter 7 Langevin experiments (``compute.sde``).

* the engine choice: numpy below 10⁵ particles, torch float32 above (when installed), the
  device setting naming a GPU forcing torch, ``engine = torch`` refused without it;
* the hysteresis counter against a direct recount of core entries on scripted paths, the
  same on both engines, with particles starting outside every core and with three wells;
* the torch float32 engine against exact Euler–Maruyama moments of the OU case.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from compute import backend, sde
from compute.experiment import checked_frames
from compute.experiments.ch7_langevin import LangevinDoubleWell
from compute.params import ParamError

HAS_TORCH = backend.torch_installed()
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
KINDS = ["numpy", pytest.param("torch", marks=needs_torch)]
# the counter reads a torch CPU ensemble through numpy; "torch-on-device" keeps it torch, so
# the branches a GPU runs are checked on the CPU
COUNTER_KINDS = [*KINDS, pytest.param("torch-on-device", marks=needs_torch)]


def test_engine_choice(monkeypatch):
    assert sde.choose_engine("numpy", "auto", 10**6) == ("numpy", "cpu")
    assert sde.choose_engine("auto", "cpu", 1000) == ("numpy", "cpu")
    monkeypatch.setattr(backend, "torch_installed", lambda: False)
    assert sde.choose_engine("auto", "auto", 10**6) == ("numpy", "cpu")
    with pytest.raises(ParamError) as info:
        sde.choose_engine("torch", "cpu", 10)
    assert info.value.name == "engine" and "PyTorch" in info.value.message
    with pytest.raises(ParamError, match="engine"):
        LangevinDoubleWell({"engine": "torch"})


@needs_torch
def test_large_ensembles_use_torch_float32_on_the_resolved_device():
    kind, device = sde.choose_engine("auto", "cpu", sde.TORCH_THRESHOLD)
    assert (kind, device) == ("torch", "cpu")
    assert sde.choose_engine("auto", "cpu", sde.TORCH_THRESHOLD - 1)[0] == "numpy"
    exp = LangevinDoubleWell({"n_particles": 200_000, "engine": "auto"}, device="cpu")
    frame = next(checked_frames(exp))
    assert frame["x"].dtype == np.float32 and frame["engine"] == "torch float32 on cpu"


def scripted(kind, paths, monkeypatch=None):
    """An ensemble whose positions we set by hand, row by row of ``paths`` (steps, n)."""
    if kind == "torch-on-device":
        monkeypatch.setattr(sde.Ensemble, "host_view", lambda self: self)
        kind = "torch"
    return sde.Ensemble(paths[0], seed=0, kind=kind)


def set_positions(ens, row):
    if ens.kind == "numpy":
        ens.x[:] = row
    else:
        import torch

        ens.x.copy_(torch.as_tensor(row, dtype=torch.float32))


def recount(paths, minima, radii):
    """Direct definition: a transition is an entry into a core other than the last one
    visited; the first core entered is not a transition."""
    n = paths.shape[1]
    last = np.full(n, -1)
    moves = 0
    for row in paths:
        core = np.full(n, -1)
        for k, (m, r) in enumerate(zip(minima, radii, strict=True)):
            core[np.abs(row - m) < r] = k
        moves += int(np.count_nonzero((core >= 0) & (last >= 0) & (core != last)))
        last = np.where(core >= 0, core, last)
    return moves


def random_paths(n=300, steps=500, sigma=0.2, seed=0, start=None):
    rng = np.random.default_rng(seed)
    x0 = rng.uniform(-2.0, 2.0, n) if start is None else np.full(n, start)
    # a random walk pulled to the wells ±1 (a crude EM of the double well)
    paths = [x0]
    x = x0.copy()
    for _ in range(steps):
        x = x - 0.05 * x * (x * x - 1) + sigma * rng.standard_normal(n)
        paths.append(x.copy())
    return np.array(paths).astype(np.float32).astype(np.float64)


@pytest.mark.parametrize("kind", COUNTER_KINDS)
@pytest.mark.parametrize("start", [None, -1.0, 0.0])
def test_counter_matches_a_direct_recount_of_core_entries(kind, start, monkeypatch):
    paths = random_paths(start=start)
    minima, radii = np.array([-1.0, 1.0]), np.array([0.5, 0.5])
    ens = scripted(kind, paths, monkeypatch)
    counter = sde.HysteresisCounter(ens, minima, radii)
    for row in paths[1:]:
        set_positions(ens, row)
        counter.update(0.01)
    expected = recount(paths, minima, radii)
    assert counter.transitions == expected and expected > 50
    # left→right and right→left alternate per particle: the totals differ by at most n
    assert abs(int(counter.right_moves[0]) - int(counter.left_moves[1])) <= paths.shape[1]
    # time is credited to known particles only, one Δt per step each: a particle is known
    # from the first row it sits in a core
    in_core = np.zeros(paths.shape, dtype=bool)
    for m, r in zip(minima, radii, strict=True):
        in_core |= np.abs(paths - m) < r
    known_after = np.logical_or.accumulate(in_core, axis=0)[1:].sum(axis=1)
    assert counter.time_in.sum() == pytest.approx(0.01 * known_after.sum(), rel=1e-9)
    wells = counter.well_of_particles()
    assert np.all(np.isin(wells, [-1, 0, 1]))


@pytest.mark.parametrize("kind", COUNTER_KINDS)
def test_counter_with_three_wells(kind, monkeypatch):
    rng = np.random.default_rng(4)
    n, steps = 200, 600
    x = rng.uniform(-2, 2, n)
    paths = [x.copy()]
    for _ in range(steps):  # a walk over the triple well x²(x²−2)²/4
        x = x - 0.02 * 0.5 * x * (x * x - 2) * (3 * x * x - 2) + 0.12 * rng.standard_normal(n)
        paths.append(x.copy())
    paths = np.array(paths).astype(np.float32).astype(np.float64)
    s2, b = math.sqrt(2), math.sqrt(2 / 3)
    minima = np.array([-s2, 0.0, s2])
    radii = np.array([(s2 - b) / 2, b / 2, (s2 - b) / 2])
    ens = scripted(kind, paths, monkeypatch)
    counter = sde.HysteresisCounter(ens, minima, radii)
    for row in paths[1:]:
        set_positions(ens, row)
        counter.update(0.01)
    expected = recount(paths, minima, radii)
    assert counter.transitions == expected and expected > 30


@needs_torch
def test_torch_engine_follows_the_exact_em_moments_of_the_ou_case():
    """U = x²/2 in float32: E x_k = x₀(1 − Δt)^k, Var x_k = 2DΔt(1 − a^{2k})/(1 − a²)."""
    n, D, dt, x0 = 50_000, 0.5, 0.02, 1.5
    exp = LangevinDoubleWell({"n_particles": n, "D": D, "dt": dt, "x0": x0,
                              "potential": "quadratic", "engine": "torch", "seed": 8},
                             device="cpu")
    exp.set_steps_per_frame(20)
    for frame in checked_frames(exp):
        if frame["step"] >= 100:
            break
    k, a = frame["step"], 1 - dt
    mean, var = x0 * a**k, 2 * D * dt * (1 - a ** (2 * k)) / (1 - a * a)
    x = frame["x"].astype(np.float64)
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / n)
    assert abs(x.var(ddof=1) - var) < 5 * var * math.sqrt(2 / (n - 1))


@pytest.mark.parametrize("kind", KINDS)
def test_histogram_counts_match_numpy(kind):
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1.5, 10_000).astype(np.float32).astype(np.float64)
    x[:4] = (-2.5, 2.5, -7.0, 7.0)  # both edges (the upper one outside [lo, hi)) and beyond
    ens = sde.Ensemble(x, seed=0, kind=kind)
    counts = ens.histogram(-2.5, 2.5, 50)
    expected = np.histogram(x, bins=np.linspace(-2.5, 2.5, 51))[0]
    # float32 rounding can move a point sitting on an edge by one bin
    assert np.abs(counts - expected).sum() <= 2
    assert counts.sum() == np.count_nonzero((x >= -2.5) & (x < 2.5))


@pytest.mark.parametrize("kind", KINDS)
def test_exact_ou_step_is_unbiased_at_any_step(kind):
    """x ← e^{−λΔt}x + √((D/λ)(1 − e^{−2λΔt}))ξ keeps N(0, D/λ) exactly, even at λΔt = 3."""
    n, lam, D = 100_000, 2.0, 0.5
    rng = np.random.default_rng(0)
    ens = sde.Ensemble(rng.normal(0, math.sqrt(D / lam), n), seed=1, kind=kind)
    for _ in range(5):
        ens.ou_exact_step(lam, D, 1.5)
    x = ens.numpy().astype(np.float64)
    var = D / lam
    assert abs(x.mean()) < 5 * math.sqrt(var / n)
    assert abs(x.var() - var) < 5 * var * math.sqrt(2 / n)


def off_edge_sample(lo, hi, bins, per_bin_points, seed=0):
    """Points strictly inside bins of [lo, hi) (at least 10 % of a bin from every edge, so
    no rounding can move them), plus points beyond both ends and a NaN."""
    rng = np.random.default_rng(seed)
    width = (hi - lo) / bins
    k = np.repeat(np.arange(bins), per_bin_points)
    k = k[rng.random(k.size) < 0.7]  # uneven counts
    x = lo + (k + rng.uniform(0.1, 0.9, k.size)) * width
    return np.concatenate([x, [lo - 3.3 * width, hi + 0.5 * width, 1e5, np.nan]])


@pytest.mark.parametrize("kind", KINDS)
def test_histogram_equals_numpys_away_from_edges(kind):
    x = off_edge_sample(-2.5, 2.5, 40, 30)
    ens = sde.Ensemble(x, seed=0, kind=kind)
    edges = np.linspace(-2.5, 2.5, 41)
    finite = x[np.isfinite(x)]
    np.testing.assert_array_equal(ens.histogram(-2.5, 2.5, 40), np.histogram(finite, edges)[0])
    # twice on the same buffers, and on values other than x (other shape)
    np.testing.assert_array_equal(ens.histogram(-2.5, 2.5, 40), np.histogram(finite, edges)[0])
    assert ens.histogram(-2.5, 2.5, 40, values=ens.x[:10]).sum() == 10


@pytest.mark.parametrize("kind", KINDS)
def test_nested_bins_sum_to_the_histogram(kind):
    """Fine counts summed per coarse bin are the coarse histogram; every coarse edge is a
    fine edge; the fine bins reach one range beyond each end."""
    lo, hi, bins = -2.5, 2.5, 30
    nested = sde.NestedBins(lo, hi, bins, fine=1000)
    assert nested.per_bin == 34 and nested.count == 3 * bins * 34
    np.testing.assert_allclose(nested.edges[[0, -1]], [lo - 5.0, hi + 5.0])
    inner = bins * nested.per_bin
    np.testing.assert_allclose(nested.edges[inner:2 * inner + 1:nested.per_bin],
                               np.linspace(lo, hi, bins + 1), atol=1e-12)
    x = off_edge_sample(lo, hi, bins, 20, seed=3)
    ens = sde.Ensemble(x, seed=0, kind=kind)
    fine = nested.counts(ens)
    np.testing.assert_array_equal(nested.coarse(fine), ens.histogram(lo, hi, bins))
    # the point 3.3 coarse bins left of lo and the one half a bin right of hi are in the
    # margins; 1e5 and NaN are outside every fine bin
    assert fine.sum() == np.count_nonzero(np.isfinite(x)) - 1


@needs_torch
def test_a_torch_cpu_ensemble_is_counted_through_a_shared_numpy_view():
    x = np.linspace(-2, 2, 101)
    ens = sde.Ensemble(x, seed=0, kind="torch", device="cpu")
    view = ens.host_view()
    assert view.kind == "numpy" and isinstance(view.x, np.ndarray)
    assert view.count(view.x > 0.5) == np.count_nonzero(x > 0.5) == 38
    ens.em_step(0.01, 0.5)  # a step in place is seen through the view
    np.testing.assert_array_equal(view.x, ens.numpy())
    numpy_ens = sde.Ensemble(np.zeros(3), seed=0)
    assert numpy_ens.host_view() is numpy_ens
