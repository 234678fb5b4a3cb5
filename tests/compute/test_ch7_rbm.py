"""``ch7.rbm-mcmc``: block Gibbs and single-flip MH on a 5×4 RBM (§7.5, Example 7.5.1).

References by brute force over all 2^{d+m} joint states (independent of the lab's
visible-state enumeration): ⟨E⟩, sd(E), log Z, E_min, ⟨v⟩, ⟨h⟩, the state probabilities and
the stationary acceptance Σπ(x)E_i[min(1, e^{−ΔE_i})] of the notebook's proposal.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from compute.experiment import checked_frames
from compute.experiments.ch7_rbm import RBMMCMC
from compute.rbm import RBM, exact_independence_acceptance, r_hat


def brute_force(rbm):
    X = np.array(list(itertools.product([0.0, 1.0], repeat=rbm.units)))
    v, h = X[:, : rbm.d], X[:, rbm.d:]
    E = np.array([-(vi @ rbm.b) - (hi @ rbm.c) - vi @ rbm.W @ hi for vi, hi in zip(v, h,
                                                                                   strict=True)])
    w = np.exp(-E)
    Z = w.sum()
    p = w / Z
    return {"p": p, "E": E, "mean": p @ E, "sd": math.sqrt(p @ (E - p @ E) ** 2),
            "logZ": math.log(Z), "Emin": E.min(), "v": p @ v, "h": p @ h, "v_states": v,
            "h_states": h}


def model(seed=42, **kw):
    exp = RBMMCMC({"seed": seed, **kw})
    return exp, brute_force(exp.rbm)


@pytest.mark.parametrize("w_scale", [1.0, 2.0])
def test_exact_reference_matches_brute_force(w_scale):
    exp, bf = model(w_scale=w_scale)
    ex = exp.rbm.exact()
    assert ex.mean_E == pytest.approx(bf["mean"], rel=1e-12)
    assert ex.sd_E == pytest.approx(bf["sd"], rel=1e-10)
    assert ex.log_Z == pytest.approx(bf["logZ"], rel=1e-12)
    assert ex.E_min == pytest.approx(bf["Emin"], rel=1e-12)
    np.testing.assert_allclose(ex.mean_v, bf["v"], rtol=1e-12)
    np.testing.assert_allclose(ex.mean_h, bf["h"], rtol=1e-12)
    np.testing.assert_allclose(exp.state_exact, bf["p"], rtol=1e-12)
    # the perturbations matter: the mean-parameter model has another ⟨E⟩
    d, m = exp.rbm.d, exp.rbm.m
    mean_model = RBM(np.full((d, m), 0.3 * w_scale), np.full(d, -1.0), np.full(m, 1.0))
    assert abs(mean_model.exact().mean_E - ex.mean_E) > 0.01


def test_exact_acceptance_is_the_stationary_average_over_the_proposal():
    exp, bf = model()
    rbm = exp.rbm
    x = np.concatenate([bf["v_states"], bf["h_states"]], axis=1)
    total = 0.0
    for i in range(rbm.units):
        y = x.copy()
        y[:, i] = 1 - y[:, i]
        dE = rbm.energy(y[:, : rbm.d], y[:, rbm.d:]) - bf["E"]
        weight = 0.5 / rbm.d if i < rbm.d else 0.5 / rbm.m
        total += weight * (bf["p"] @ np.minimum(1, np.exp(-dE)))
    assert exp.acc_exact == pytest.approx(total, rel=1e-12)
    # the independence sampler's acceptance, by its definition
    p = bf["p"]
    direct = p @ np.minimum(1, p[None, :] / p[:, None]).mean(axis=1)
    assert exact_independence_acceptance(rbm) == pytest.approx(direct, rel=1e-10)


@pytest.fixture(scope="module")
def long_run():
    exp = RBMMCMC({"chains": 400, "n_steps": 1500, "burn_in": 200, "seed": 42})
    exp.set_steps_per_frame(100)
    frames = list(checked_frames(exp))
    return exp, frames[-1]


def test_both_running_averages_converge_to_the_exact_energy(long_run):
    exp, f = long_run
    ex = exp.rbm.exact()
    n_samples = f["samples"] * 400
    tau = f["tau_int"]
    for k in range(2):
        se = ex.sd_E * math.sqrt(max(tau[k], 1.0) / n_samples)
        assert abs(f["mean_E"][k] - ex.mean_E) < 5 * se + 1e-3, (k, f["mean_E"], ex.mean_E)


def test_measured_acceptance_matches_the_exact_stationary_value(long_run):
    exp, f = long_run
    n = f["samples"] * 400
    a = exp.acc_exact
    # acceptances of independent chains; within a chain successive ones are weakly
    # dependent: allow twice the binomial SE
    assert abs(f["mh_acceptance"] - a) < 5 * 2 * math.sqrt(a * (1 - a) / n)


def test_gibbs_decorrelates_much_faster_than_single_flip_mh(long_run):
    _, f = long_run
    assert f["tau_int"][0] < 2.0
    assert f["tau_int"][1] > 3 * f["tau_int"][0]


def test_visited_states_follow_the_boltzmann_probabilities(long_run):
    exp, f = long_run
    p = exp.state_exact
    n = f["samples"] * 400
    for k in range(2):
        tau = max(f["tau_int"][k], 1.0)
        se = np.sqrt(p * (1 - p) * tau / n)
        assert np.all(np.abs(f["state_freq"][k] - p) < 5 * se + 2e-4), k


def test_r_hat_of_identical_chains_is_one_and_of_shifted_chains_large():
    rng = np.random.default_rng(0)
    same = rng.normal(size=(8, 2000))
    assert r_hat(same) == pytest.approx(1.0, abs=0.01)
    shifted = same + np.arange(8)[:, None]
    assert r_hat(shifted) > 2
