"""``ch7.dp-shortest-path`` (§7.4.1, Example 7.4.2, Exercise 7.4.3).

On the stand-in graph s → a (1), s → b (4), a → b (2), a → t (6), b → t (1): Dijkstra gives
4 via s → a → b → t; the uniform random routing's expected cost from s is
½(1 + V_a) + ½(4 + V_b) with V_b = 1, V_a = ½(2 + 1) + ½·6 = 4.5, so 5.25; the finite
horizon value is ∞ for T < 2 hops, 5 at T = 2, 4 from T = 3; forward marginals equal the
brute-force sum over paths.
"""

from __future__ import annotations

import itertools

import numpy as np

from compute import markov
from compute.experiment import checked_frames
from compute.experiments.ch7_dp import DPShortestPath, expected_cost_backward, grid_graph


def first(**params):
    exp = DPShortestPath(params)
    return exp, next(checked_frames(exp))


def test_bellman_matches_dijkstra_and_reads_off_the_optimal_path():
    exp, f = first(T=3)
    assert f["V0"] == 4.0 and f["shortest"] == 4.0
    assert f["path_text"] == "s → a → b → t"
    exp, f = first(T=10)
    np.testing.assert_allclose(f["V"][0], markov.dijkstra(exp.cost, 3))
    rng = np.random.default_rng(3)
    cost, _ = grid_graph(6, rng)
    V = markov.bellman_finite_horizon(cost, 40, 35)
    np.testing.assert_allclose(V[0], markov.dijkstra(cost, 35))


def test_random_routing_expected_cost():
    exp, f = first(mode="marginalise", T=30)
    np.testing.assert_allclose(f["random_routing"], [5.25, 4.5, 1.0, 0.0], rtol=1e-12)
    # the finite-horizon expected cost converges to it (every path reaches t in ≤ 3 steps)
    V = expected_cost_backward(exp.P_random, exp.cost, 30, 3, 1.0)
    np.testing.assert_allclose(V[0], [5.25, 4.5, 1.0, 0.0], rtol=1e-12)


def test_finite_horizon_value_is_infinite_then_non_increasing():
    _, f = first(T=6)
    # T = 1 < 2 hops: ∞, so the first finite value is at T = 2
    np.testing.assert_array_equal(f["T_values"], [2, 3, 4, 5, 6])
    v = f["v0_by_T"]
    np.testing.assert_array_equal(v, [5.0, 4.0, 4.0, 4.0, 4.0])
    assert np.all(np.diff(v) <= 0)
    _, g = first(T=1)
    assert g["V0"] == np.inf and g["value_text"].startswith("∞")


def test_forward_marginals_equal_the_sum_over_enumerated_paths():
    T = 4
    exp, f = first(T=T, policy="uniform-random")
    P = exp.P_random
    N = len(P)
    brute = np.zeros((T + 1, N))
    brute[0, 0] = 1.0
    for n in range(1, T + 1):  # every path s = x₀, x₁, …, x_n and its probability
        for path in itertools.product(range(N), repeat=n):
            prob, x = 1.0, 0
            for y in path:
                prob *= P[x, y]
                x = y
            brute[n, path[-1]] += prob
    np.testing.assert_allclose(f["mu"], brute, atol=1e-12)
    assert f["ops_text"] == f"{T * N * N:,} | {N ** T:,}"


def test_max_reward_and_the_walker_phases():
    _, f = first(mode="max-reward", T=3)
    assert f["V0"] == 7.0 and f["path_text"] == "s → a → t"
    exp = DPShortestPath({"T": 3})
    frames = checked_frames(exp)
    seen = [next(frames) for _ in range(9)]
    layers = [g["layer"] for g in seen]
    assert layers[:5] == [0, 1, 2, 3, 4]  # backward, one layer per frame
    walkers = [g["walker"] for g in seen[4:8]]
    assert walkers == [0, 1, 2, 3]  # then forward along s → a → b → t
