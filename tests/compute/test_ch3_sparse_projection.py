"""ch3.sparse-projection-inference: the compressed first layers against their closed forms
(Eckart–Young, PCA residual variance, pruning, multiply counts) and the full-budget limit."""

import numpy as np
import pytest

from compute import checked_frames
from compute.compression import (
    METHODS,
    SoftmaxMLP,
    accuracy,
    break_even_rank,
    eckart_young_error,
    flops,
    prune,
)
from compute.experiments.ch3_sparse_projection import SparseProjectionInference
from compute.sweep import refinement_order


@pytest.fixture(scope="module")
def trained():
    """A short training run (3 epochs), then its compressor."""
    exp = SparseProjectionInference({"epochs": 3})
    exp.train(10**6)
    assert exp.compressor is not None
    return exp


def test_backpropagation_matches_finite_differences():
    rng = np.random.default_rng(0)
    net = SoftmaxMLP(5, 4, 3)
    theta = net.init(rng)
    X, y = rng.standard_normal((7, 5)), rng.integers(0, 3, 7)
    _, g = net.loss_grad(theta, X, y)
    eps = 1e-6
    for i in rng.choice(net.size, 12, replace=False):
        e = np.zeros(net.size)
        e[i] = eps
        fd = (net.loss_grad(theta + e, X, y)[0] - net.loss_grad(theta - e, X, y)[0]) / (2 * eps)
        assert g[i] == pytest.approx(fd, abs=1e-7)


def test_training_lowers_the_loss_and_beats_chance(trained):
    loss = trained.hist.values[:, 0]
    assert loss[-1] < 0.5 * loss[0]
    assert trained.dense_acc > 0.5  # ten classes: chance is 0.1


@pytest.mark.parametrize("method", METHODS)
def test_full_budget_reproduces_the_uncompressed_network_exactly(trained, method):
    comp, X = trained.compressor, trained.X_test
    layer = comp.layer(method, 64)
    W1, b1 = comp.W1, comp.b1
    np.testing.assert_allclose(layer(X), X @ W1.T + b1, atol=1e-10)
    acc = accuracy(trained.net.head(trained.theta, layer(X)), trained.y_test)
    assert acc == trained.dense_acc


def test_svd_truncation_error_is_eckart_young(trained):
    comp = trained.compressor
    s = np.linalg.svd(comp.W1, compute_uv=False)
    for k in (1, 5, 20, 63):
        layer = comp.layer("svd", k)
        Wk = layer.A @ layer.B  # the rank-k matrix the layer applies
        assert np.linalg.matrix_rank(Wk) == k
        err = np.linalg.norm(comp.W1 - Wk, "fro") ** 2
        assert err == pytest.approx(eckart_young_error(s, k), rel=1e-10)
        assert np.linalg.norm(comp.W1 - Wk, 2) == pytest.approx(s[k], rel=1e-10)
        # no other rank-k matrix does better: e.g. the PCA layer's W₁P_kP_kᵀ
        Wp = comp.W1 @ comp.P[:, :k] @ comp.P[:, :k].T
        assert np.linalg.norm(comp.W1 - Wp, "fro") ** 2 >= err - 1e-10


def test_pca_reconstruction_error_is_the_sum_of_dropped_variances(trained):
    comp, X = trained.compressor, trained.X
    for k in (1, 10, 40):
        R = comp.reconstruct("pca", k, X)
        mse = np.sum((X - R) ** 2) / len(X)
        assert mse == pytest.approx(comp.variances[k:].sum(), rel=1e-9)
    V = comp.Vt[:10].T  # V_kV_kᵀ is the orthogonal projector on the top right singular vectors
    R = comp.reconstruct("svd", 10, X)
    np.testing.assert_allclose(R, X @ V @ V.T, atol=1e-12)
    np.testing.assert_allclose(comp.reconstruct("svd", 10, R), R, atol=1e-12)


def test_pruning_at_zero_sparsity_is_the_identity_and_keeps_the_largest_weights():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((6, 9))
    np.testing.assert_array_equal(prune(W, W.size), W)
    P = prune(W, 20)
    assert np.count_nonzero(P) == 20
    kept, dropped = np.abs(W[P != 0]), np.abs(W[P == 0])
    assert kept.min() >= dropped.max()
    assert np.sum((W - P) ** 2) == pytest.approx(np.sort(W.ravel() ** 2)[: W.size - 20].sum())


def test_multiply_counts_follow_the_formula(trained):
    comp, h, d = trained.compressor, trained.p["hidden"], 64
    for k in (1, 8, 31, 32, 33, 64):
        for m in METHODS:
            assert comp.layer(m, k).mults == flops(m, k, d, h)
    assert break_even_rank(d, h) == d * h / (d + h)
    k_star = break_even_rank(d, h)  # below it a rank-k layer is cheaper than dense
    assert flops("svd", int(np.floor(k_star - 1e-9)), d, h) < flops("dense", 0, d, h)
    assert flops("svd", int(np.ceil(k_star + 1e-9)), d, h) > flops("dense", 0, d, h)
    assert flops("prune", 64, d, h) == d * h  # pruning never exceeds the dense count


def test_sweep_fills_in_coarse_to_fine_and_reaches_the_dense_accuracy():
    exp = SparseProjectionInference({"epochs": 1})
    it = checked_frames(exp)
    try:
        frame = next(it)
        while exp.compressor is None:
            frame = next(it)
        assert frame["done"].size == 0
        for _ in range(5):
            frame = next(it)
        order = refinement_order(64)
        np.testing.assert_array_equal(frame["done"], np.sort(order[:5]))
        assert frame["acc"][:, 63] == pytest.approx([frame["dense_acc"]] * len(METHODS))
        assert np.isfinite(frame["time_us"][:, order[:5]]).all()
        exp.update_live({"k": 3, "method": "pca"})
        frame = next(it)
        assert frame["gallery"].shape == (12, 8, 8) and frame["k_now"] == 3
    finally:
        it.close()


def test_pruned_error_is_the_dropped_weights_and_rank_k_layers_apply_rank_k_matrices(trained):
    comp = trained.compressor
    for k in (2, 16):
        W = comp.layer("prune", k).matrix
        keep = flops("prune", k, 64, trained.p["hidden"])
        dropped = np.sort(comp.W1.ravel() ** 2)[: comp.W1.size - keep]
        assert np.sum((comp.W1 - W) ** 2) == pytest.approx(dropped.sum(), rel=1e-12)
        for m in ("svd", "pca"):
            assert np.linalg.matrix_rank(comp.layer(m, k).matrix) <= k


def test_gradient_directions_are_the_eigenvectors_of_the_accumulated_gradient_covariance(trained):
    comp = trained.compressor
    G = trained.grad_cov
    np.testing.assert_allclose(G, G.T, atol=1e-9 * np.abs(G).max())
    lam = comp.grad_eigenvalues
    assert np.all(np.diff(lam) <= 1e-9 * lam[0]) and lam[-1] >= -1e-9 * lam[0]  # PSD, sorted
    np.testing.assert_allclose(G @ comp.Q[:, :3], comp.Q[:, :3] * lam[:3], atol=1e-8 * lam[0])
    # pixels that are blank in every training image never receive a gradient: λ = 0 there
    blank = np.flatnonzero(trained.X.max(axis=0) == 0)
    assert len(blank) and np.all(np.abs(G[blank]) == 0)
    k = 10  # Q_kQ_kᵀ is an orthogonal projector, and the rank-k layer applies W₁Q_kQ_kᵀ
    R = comp.reconstruct("gradient", k, trained.X_test)
    np.testing.assert_allclose(comp.reconstruct("gradient", k, R), R, atol=1e-12)
    np.testing.assert_allclose(comp.layer("gradient", k).matrix,
                               comp.W1 @ comp.Q[:, :k] @ comp.Q[:, :k].T, atol=1e-12)


def test_output_layer_full_budget_is_exact_and_its_rank_is_at_most_ten():
    exp = SparseProjectionInference({"epochs": 1, "layer": "output", "hidden": 16})
    exp.train(10**6)
    comp = exp.compressor
    assert comp.W1.shape == (10, 16)  # W₂: the output layer
    assert len(comp.s) == 10 and flops("svd", 64, 16, 10) == 10 * 26
    assert SparseProjectionInference.hidden_views(exp.p) == {"gallery"}
    for m in METHODS:
        layer = comp.layer(m, 64)
        np.testing.assert_allclose(layer.matrix, comp.W1, atol=1e-10)
        assert accuracy(exp.logits(layer(exp.inputs_test)), exp.y_test) == exp.dense_acc
        assert layer.mults == flops(m, 64, 16, 10)
    frame = next(iter(checked_frames(exp)))
    assert frame["k_break_even"] == pytest.approx(160 / 26)
