"""``ch7.rbm-nonlocal-mh-exercise`` (Exercise 7.5.1): non-local proposals and diagnostics.

Exact references by enumeration (⟨E⟩, the acceptance of each proposal under π); the k = 1
proposal is entry 22's, so its exact acceptance is the same number; reducibility of even k
(the parity of the number of active units is invariant) and of k = d + m (x ↦ 1 − x only).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from compute.experiment import checked_frames
from compute.experiments.ch7_rbm import RBMMCMC
from compute.experiments.ch7_rbm_nonlocal import RBMNonlocalMH, ergodic_flip_sizes
from compute.params import ParamError
from compute.rbm import autocorrelation, exact_flip_acceptance, integrated_time


@pytest.fixture(scope="module")
def run():
    exp = RBMNonlocalMH({"chains": 100, "n_steps": 1500, "burn_in": 200, "seed": 42})
    exp.set_steps_per_frame(100)
    return exp, list(checked_frames(exp))[-1]


def test_every_sampler_reproduces_the_exact_energy(run):
    exp, f = run
    ex = exp.rbm.exact()
    n = (f["iteration"] - 200) * 100
    for k in range(4):
        tau = max(f["tau_int"][k], 1.0)
        se = ex.sd_E * math.sqrt(2 * tau / n)  # τ from one chain: allow a factor 2
        assert abs(f["mean_E"][k] - ex.mean_E) < 5 * se, (f["names"][k], f["mean_E"][k])


def test_k1_acceptance_is_entry_22s_exact_value_and_acceptance_falls_with_k(run):
    exp, f = run
    same = RBMMCMC({"seed": 42})
    assert f["acc_k_exact"][0] == pytest.approx(same.acc_exact, rel=1e-12)
    exact = f["acc_k_exact"]
    assert np.all(np.diff(exact) < 0)
    n = (f["iteration"] - 200) * 100
    for k, measured in zip(f["k_values"].astype(int), f["acc_k"], strict=True):
        a = exact[k - 1]
        assert abs(measured - a) < 5 * 2 * math.sqrt(a * (1 - a) / n), (k, measured, a)
    assert f["acceptance_exact"][1] == pytest.approx(exact_flip_acceptance(exp.rbm, 3))


def test_r_hat_tends_to_one_and_n_eff_is_n_over_tau(run):
    _, f = run
    assert np.all(f["r_hat"] < 1.05)
    window = min(f["iteration"], 8192)
    np.testing.assert_allclose(f["n_eff"], window / f["tau_int"], rtol=1e-12)


def test_non_local_tau_falls_between_block_gibbs_and_single_flips():
    """τ_int from the chain-averaged autocorrelation of 60 chains × 3000 iterations."""
    exp = RBMNonlocalMH({"seed": 42})
    rbm = exp.rbm
    rng = np.random.default_rng(1)
    C, T = 60, 3000
    taus = {}
    for name in ("gibbs", 1, 3):
        v = (rng.random((C, rbm.d)) < 0.5).astype(float)
        h = (rng.random((C, rbm.m)) < 0.5).astype(float)
        E = np.empty((T, C))
        for t in range(T + 200):
            if name == "gibbs":
                v, h = rbm.gibbs_step(v, rng)
            else:
                v, h, _ = rbm.mh_step(v, h, rng, k=name)
            if t >= 200:
                E[t - 200] = rbm.energy(v, h)
        rho = np.mean([autocorrelation(E[:, c], 300) for c in range(C)], axis=0)
        taus[name] = integrated_time(rho)
    assert taus["gibbs"] < taus[3] < taus[1]


def test_even_flips_and_flipping_everything_are_reducible_and_refused():
    exp = RBMNonlocalMH({"seed": 42})
    rbm = exp.rbm
    rng = np.random.default_rng(2)
    v = (rng.random((50, rbm.d)) < 0.5).astype(float)
    h = (rng.random((50, rbm.m)) < 0.5).astype(float)
    parity = (v.sum(1) + h.sum(1)) % 2
    for _ in range(200):
        v, h, _ = rbm.mh_step(v, h, rng, k=2)
    np.testing.assert_array_equal((v.sum(1) + h.sum(1)) % 2, parity)
    np.testing.assert_array_equal(ergodic_flip_sizes(9), [1, 3, 5, 7])
    for k, word in ((2, "parity"), (9, "complement")):
        with pytest.raises(ParamError) as info:
            RBMNonlocalMH({"k": k})
        assert info.value.name == "k" and word in info.value.message
