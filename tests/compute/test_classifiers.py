"""compute.classifiers: gradients against finite differences, convexity, features, data."""

import numpy as np
import pytest

from compute import classifiers as cl


def fd_grad(f, w, h=1e-6):
    g = np.zeros_like(w)
    for i in range(len(w)):
        e = np.zeros_like(w)
        e[i] = h
        g[i] = (f(w + e) - f(w - e)) / (2 * h)
    return g


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 2))
    y = (x[:, 0] + 0.5 * rng.standard_normal(40) > 0).astype(float)
    return x, y


def test_sigmoid_is_stable_and_symmetric():
    z = np.array([-800.0, -3.0, 0.0, 3.0, 800.0])
    s = cl.sigmoid(z)
    assert np.isfinite(s).all() and s[2] == 0.5
    np.testing.assert_allclose(s + cl.sigmoid(-z), 1.0)


def test_monomials_count_and_names():
    for d in range(7):
        assert len(cl.monomial_powers(d)) == (d + 1) * (d + 2) // 2
    assert cl.monomial_names(2) == ["1", "x₁", "x₂", "x₁²", "x₁x₂", "x₂²"]


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_logistic_gradient_and_hessian_match_finite_differences(data, l2):
    x, y = data
    phi = cl.polynomial_features(x, 2)
    w = np.random.default_rng(2).standard_normal(phi.shape[1]) * 0.3
    g = cl.logistic_grad(w, phi, y, l2)
    np.testing.assert_allclose(g, fd_grad(lambda v: cl.logistic_loss(v, phi, y, l2), w),
                               atol=1e-7)
    h = cl.logistic_hessian(w, phi, l2)
    hf = np.stack([fd_grad(lambda v, i=i: cl.logistic_grad(v, phi, y, l2)[i], w)
                   for i in range(len(w))])
    np.testing.assert_allclose(h, hf, atol=1e-6)
    assert np.linalg.eigvalsh(h).min() >= -1e-12  # convex in w for any feature map


def test_regularised_optimum_has_zero_gradient(data):
    x, y = data
    phi = cl.polynomial_features(x, 3)
    w = cl.logistic_optimum(phi, y, 0.1)
    assert np.abs(cl.logistic_grad(w, phi, y, 0.1)).max() < 1e-10


@pytest.mark.parametrize("act", cl.ACTIVATIONS)
def test_mlp_backprop_matches_finite_differences(data, act):
    x, y = data
    net = cl.MLP(5, act)
    theta = net.init(np.random.default_rng(3), 0.8) + 0.1  # nonzero biases
    _, g = net.loss_grad(theta, x, y)
    np.testing.assert_allclose(g, fd_grad(lambda v: net.loss_grad(v, x, y)[0], theta),
                               atol=1e-6)


def test_accuracy_counts_a_tie_as_a_coin_flip():
    y = np.array([0, 1, 1, 0])
    assert cl.accuracy(np.full(4, 0.5), y) == 0.5
    assert cl.accuracy(np.array([0.1, 0.9, 0.8, 0.2]), y) == 1.0


def test_degenerate_data_are_named():
    x = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    assert "one class" in cl.degenerate(np.random.default_rng(0).random((5, 2)), np.ones(5))
    assert "one line" in cl.degenerate(x, np.array([0, 1, 0]))
    assert cl.degenerate(np.array([[0, 0], [1, 0], [0, 1.0]]), np.array([0, 1, 1])) is None


def test_grid_points_are_pixel_centres_row_zero_at_the_bottom():
    g = cl.grid_points((0.0, 2.0, 0.0, 1.0), 4)
    assert g.shape == (16, 2)
    np.testing.assert_allclose(g[0], [0.25, 0.125])
    np.testing.assert_allclose(g[-1], [1.75, 0.875])
