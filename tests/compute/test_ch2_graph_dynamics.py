"""ch2.graph-consensus-ring and ch2.graph-ode-exercise: ẋ = −Lx on graphs (Example 2.3.3,
Exercise 2.3.3)."""

import math

import numpy as np
import pytest

import compute
from compute import Diverged, ParamError, checked_frames

RING = compute.get("ch2.graph-consensus-ring")
K3 = compute.get("ch2.graph-ode-exercise")


def run_to_end(exp, limit=100_000):
    frames = checked_frames(exp)
    frame = next(frames)
    while frame["t"] < exp.p["T"] - 1e-9 and limit:
        frame = next(frames)
        limit -= 1
    return frame


def test_ring_laplacian_and_its_closed_form_spectrum():
    exp = RING()
    L = exp.L
    expected = 2 * np.eye(5) - np.roll(np.eye(5), 1, axis=1) - np.roll(np.eye(5), -1, axis=1)
    np.testing.assert_array_equal(L, expected)
    lam = np.sort(2 - 2 * np.cos(2 * np.pi * np.arange(5) / 5))
    np.testing.assert_allclose(exp.lam, lam, atol=1e-14)
    assert exp.lam[1] == pytest.approx(exp.lam[2]) and exp.lam[3] == pytest.approx(exp.lam[4])


@pytest.mark.parametrize("method", ["euler", "exact"])
def test_sum_conserved_and_consensus_on_the_mean_of_the_notebooks_x0(method):
    x0 = np.random.default_rng(42).normal(size=5)
    exp = RING({"method": method, "T": 20.0})
    exp.set_steps_per_frame(200)
    frame = run_to_end(exp)
    np.testing.assert_array_equal(frame["x0"], x0)
    assert abs(frame["sum_drift"]) < 1e-15 * exp.steps  # round-off per step, no drift beyond
    np.testing.assert_allclose(frame["x"], np.full(5, x0.mean()), atol=1e-9)


def test_disagreement_decays_at_rate_lambda_2():
    exp = RING({"method": "exact", "T": 8.0})
    exp.set_steps_per_frame(100)
    frame = run_to_end(exp)
    t, d = frame["history_t"], frame["disagreement"]
    late = t > 3
    slope = np.polyfit(t[late], np.log(d[late]), 1)[0]
    lam2 = 2 - 2 * math.cos(2 * math.pi / 5)
    assert slope == pytest.approx(-lam2, rel=1e-3)
    bound = np.interp(t, frame["fine_t"], frame["disagreement_bound"])
    assert np.all(d <= bound * (1 + 1e-6))


def test_euler_error_is_first_order_in_dt():
    errors = []
    for dt in (0.01, 0.005):
        exp = RING({"dt": dt, "T": 1.0})
        exp.set_steps_per_frame(10)
        errors.append(run_to_end(exp)["euler_error"])
    assert errors[0] / errors[1] == pytest.approx(2.0, rel=0.05)


def test_euler_is_stable_below_two_over_lambda_max_and_diverges_above():
    lam_max = 2 - 2 * math.cos(2 * math.pi * 2 / 5)
    bound = 2 / lam_max
    stable = RING({"dt": 0.98 * bound, "T": 100.0})
    stable.set_steps_per_frame(100)
    assert np.abs(run_to_end(stable)["x"]).max() < 10
    unstable = RING({"dt": 1.05 * bound, "T": 100.0})  # |1 − Δtλ_max| = 1.1: 1.1^172 ≫ 1e6
    unstable.set_steps_per_frame(200)
    with pytest.raises(Diverged, match=f"2/λ_max = {bound:.4g}"):
        run_to_end(unstable)


def k3_exact(t):
    e = np.exp(-3 * t)
    return np.stack([1 / 3 + 2 / 3 * e, 1 / 3 - e / 3, 1 / 3 - e / 3])


def test_k3_flow_matches_the_analytic_solution_and_f_is_exp_minus_6t():
    exp = K3({"method": "exact", "eta": 0.05})
    frame = run_to_end(exp)
    t = frame["history_t"]
    np.testing.assert_allclose(frame["history_x"], k3_exact(t), atol=1e-14)
    # f from the state: round-off of the state (~1e-16) limits f's absolute accuracy
    np.testing.assert_allclose(frame["energy"], np.exp(-6 * t), rtol=1e-9, atol=1e-18)
    np.testing.assert_allclose(frame["fine_energy"], np.exp(-6 * frame["fine_t"]), rtol=1e-9)
    np.testing.assert_allclose(frame["fine_exact"], k3_exact(frame["fine_t"]), atol=1e-14)
    assert frame["eigenvalues"] == pytest.approx([0, 3, 3])
    np.testing.assert_allclose(frame["x"], [1 / 3] * 3, atol=1e-12)
    assert abs(frame["sum_drift"]) < 1e-15 * exp.steps


def test_gradient_descent_tracks_the_flow_for_small_eta():
    exp = K3({"eta": 0.01})
    exp.set_steps_per_frame(10)
    frame = run_to_end(exp)
    err = np.abs(frame["history_x"] - k3_exact(frame["history_t"])).max()
    assert err < 0.01  # O(η)


@pytest.mark.parametrize("eta", [0.1, 0.5, 0.8])
def test_gradient_descent_iterates_follow_one_minus_three_eta_to_the_k(eta):
    """xₖ − 1/3 = (1 − 3η)ᵏ(x₀ − 1/3): sign flips for η > 1/3, growth for η > 2/3."""
    exp = K3({"eta": eta})
    frame = run_to_end(exp)
    k = np.arange(frame["history_x"].shape[1])
    d0 = np.array([2 / 3, -1 / 3, -1 / 3])[:, None]
    np.testing.assert_allclose(frame["history_x"] - 1 / 3, d0 * (1 - 3 * eta) ** k,
                               atol=1e-12 * max(1.0, abs(1 - 3 * eta) ** k[-1]))
    if eta > 2 / 3:
        dev = frame["history_x"][0] - 1 / 3
        assert np.all(np.sign(dev[1:]) != np.sign(dev[:-1])) and abs(dev[-1]) > 10 * dev[0]


def test_custom_graphs_are_validated_and_clicks_toggle_edges():
    with pytest.raises(ParamError) as info:
        RING({"graph": "custom", "A": [[0, 1, 0], [0, 0, 1], [0, 1, 0]]})
    assert info.value.name == "A"
    with pytest.raises(ParamError) as info:
        RING({"graph": "custom", "A": [[1, 1], [1, 0]]})
    assert info.value.name == "A"
    changes = RING.interaction_changes(RING().p, "toggle_edge", (0, 2))
    A = np.array(changes["A"])
    assert changes["graph"] == "custom" and A[0, 2] == 1 and A.sum() == 12
    exp = RING({**changes, "method": "exact"})
    # an edge adds a PSD rank-one term: no eigenvalue falls, and Σλ = 2|E| rises by 2
    assert np.all(exp.lam >= RING().lam - 1e-12) and exp.lam.sum() == pytest.approx(12.0)
    with pytest.raises(ParamError) as info:
        RING.interaction_changes(RING({"n": 20}).p, "toggle_edge", (0, 1))
    assert info.value.name == "graph"


def test_live_edit_keeps_the_state_and_continues_the_exact_flow():
    exp = RING({"method": "exact", "T": 50.0})
    frames = checked_frames(exp)
    for _ in range(30):
        before = next(frames)
    changes = RING.interaction_changes(exp.p, "toggle_edge", (0, 2))
    exp.update_live(changes)
    after = next(frames)
    assert after["t"] > before["t"] and len(after["edges"]) == 6
    assert abs(after["sum_drift"]) < 1e-15 * exp.steps and after["euler_error"] < 1e-12
