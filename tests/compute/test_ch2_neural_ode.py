"""ch2.neural-ode-toy and the numpy neural ODE behind it."""

import numpy as np
import pytest

import compute
from compute import neural_ode as node

EXP = compute.get("ch2.neural-ode-toy")


def mlp_by_hand(f, x, t):
    a = np.array([x, t], dtype=float)
    for W, b in zip(f.weights[:-1], f.biases[:-1], strict=True):
        a = np.tanh(W @ a + b)
    return float((f.weights[-1] @ a + f.biases[-1])[0])


def test_one_euler_step_is_a_residual_block():
    f = node.MLPField.init(16, 2, np.random.default_rng(0))
    h, x0 = 0.05, 0.7
    step = node.integrate(f, x0, 1, h, "euler").states[1]
    block = node.residual_block(f, np.array([x0]), np.array([0.0]), h)[0]
    assert step == block
    assert step == pytest.approx(x0 + h * mlp_by_hand(f, x0, 0.0), rel=1e-15)


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_backprop_through_the_integrator_matches_finite_differences(method):
    rng = np.random.default_rng(1)
    f = node.MLPField.init(8, 2, rng)
    target = rng.normal(size=6)
    _, grads, _ = node.loss_and_gradient(f, 0.3, target, 3, 0.05, method)
    for k, p in enumerate(f.params):
        for _ in range(3):
            idx = tuple(rng.integers(0, s) for s in p.shape)
            old = p[idx]
            p[idx] = old + 1e-6
            up = node.loss_and_gradient(f, 0.3, target, 3, 0.05, method)[0]
            p[idx] = old - 1e-6
            down = node.loss_and_gradient(f, 0.3, target, 3, 0.05, method)[0]
            p[idx] = old
            assert grads[k][idx] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-9)


def test_a_constant_field_is_integrated_exactly():
    """A network with zero weights and output bias b is the field ẋ = b: both integrators
    give x₀ + bt exactly."""
    f = node.MLPField.init(4, 1, np.random.default_rng(2))
    for p in f.params:
        p[...] = 0.0
    f.biases[-1][...] = 0.5
    for method in ("euler", "rk4"):
        states = node.integrate(f, 1.0, 10, 0.1, method).states
        np.testing.assert_allclose(states, 1.0 + 0.5 * np.arange(11) * 0.1, atol=1e-15)


def test_training_lowers_the_loss_and_learns_the_field_on_noise_free_data():
    exp = EXP({"sigma": 0.0, "epochs": 200, "epochs_per_frame": 20})
    frames = exp.frames()
    first = next(frames)
    for _ in range(9):
        frame = next(frames)
    losses = frame["loss_history"]
    assert len(losses) == 200
    blocks = losses.reshape(8, 25).mean(axis=1)
    assert np.all(np.diff(blocks[2:]) < 0)  # the smoothed loss falls after the first epochs
    assert blocks[-1] < blocks[0] / 20
    assert frame["field_error"] < 0.5 * first["field_error"]


def test_double_well_data_dissipate_energy_at_rate_gamma_v_squared_inside_the_right_well():
    """ẍ = −γẋ + x − x³: dE/dt = −γẋ², so E(t) − E(0) = −γ∫₀ᵗ v²; from (0.5, 0) the energy
    U(0.5) < 0 is below the barrier, so x never leaves the right well."""
    from compute.experiments.ch2_neural_ode import SYSTEMS, DampedDoubleWell

    system = SYSTEMS["damped double well"]
    assert isinstance(system, DampedDoubleWell)
    t = np.arange(1001) * 0.005
    x, v = system.path(t)
    energy = 0.5 * v**2 + x**4 / 4 - x**2 / 2
    assert energy[0] == pytest.approx(0.5**4 / 4 - 0.5**2 / 2) and energy[0] < 0
    lost = np.concatenate([[0.0], np.cumsum(0.5 * (v[1:] ** 2 + v[:-1] ** 2) * 0.005)])
    np.testing.assert_allclose(energy - energy[0], -system.gamma * lost, atol=1e-5)
    assert np.all(np.diff(energy) <= 1e-12) and x.min() > 0
    # the velocity returned is the derivative of the positions
    np.testing.assert_allclose(np.gradient(x, t)[1:-1], v[1:-1], atol=1e-4)
    # a coarser grid samples the same path (the RK4 substeps keep it converged)
    coarse = np.arange(51) * 0.1
    np.testing.assert_allclose(system.path(coarse)[0], x[::20][:51], atol=1e-9)


def test_training_on_the_double_well_learns_its_velocity_along_the_path():
    exp = EXP({"system": "damped double well", "sigma": 0.0, "epochs": 200,
               "epochs_per_frame": 20})
    frames = exp.frames()
    first = next(frames)
    np.testing.assert_allclose(first["truth"][::2][:51], first["x_data"], atol=1e-9)
    for _ in range(9):
        frame = next(frames)
    losses = frame["loss_history"]
    assert len(losses) == 200 and losses[-1] < losses[0] / 100
    assert frame["field_error"] < 0.5 * first["field_error"]
