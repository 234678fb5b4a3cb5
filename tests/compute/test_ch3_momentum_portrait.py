"""ch3.momentum-phase-portrait: the momentum iteration on a quadratic against its closed
forms (eigenvalues, stability bounds, critical damping, tuned rates) and the damped-oscillator
limit of Chapter 2."""

import itertools
import math

import numpy as np
import pytest

from compute import ParamError, checked_frames
from compute.experiments.ch2_oscillator import exact_solution
from compute.experiments.ch3_momentum_portrait import MomentumPhasePortrait, Runner
from compute.experiments.ch3_optimizer_zoo import iteration_radius
from compute.momentum import (
    continuous_damping,
    critical_beta,
    iteration_eigenvalues,
    iteration_matrix,
    stability_limit,
    tuned,
)
from compute.optimizers import HeavyBall, Hyper, create


def run(exp, frames):
    it = checked_frames(exp)
    try:
        return [next(it) for _ in range(frames)]
    finally:
        it.close()


@pytest.mark.parametrize("method", ["GD", "heavy-ball", "Nesterov"])
def test_iteration_matrix_is_one_step_of_the_optimizer(method):
    h, eta, beta = 3.0, 0.1, 0.7
    theta, v = np.array([0.8]), np.array([-0.3])
    opt = create(method, theta)
    if isinstance(opt, HeavyBall):
        opt.previous = theta - v
    new = opt.step(lambda th: h * th, Hyper(lr=eta, beta=beta))
    expected = iteration_matrix(method, eta, beta, h) @ np.array([theta[0], v[0]])
    np.testing.assert_allclose([new[0], new[0] - theta[0]], expected, rtol=1e-14)


@pytest.mark.parametrize("method", ["GD", "heavy-ball", "Nesterov"])
def test_eigenvalue_moduli_are_the_zoos_iteration_radius_and_the_printed_polynomials(method):
    for a in (0.01, 0.3, 1.0, 2.5, 4.0):
        for beta in (0.0, 0.4, 0.9, 0.99):
            z = iteration_eigenvalues(method, a, beta, 1.0)
            assert np.abs(z).max() == pytest.approx(iteration_radius(method, a, beta, 1.0),
                                                    rel=1e-9, abs=1e-12)
            tr, det = (z.sum().real, np.prod(z).real)
            want = {"GD": (1 - a, 0.0), "heavy-ball": (1 + beta - a, beta),
                    "Nesterov": ((1 - a) * (1 + beta), (1 - a) * beta)}[method]
            assert (tr, det) == pytest.approx(want, abs=1e-12)


def _contraction_bound(method, eta, beta, modes, w):
    """|log(measured/ρ)| ≤ log cond(P)/w when every mode of ``modes`` has a complex pair
    z = ρe^{±iφ}: in the real basis P = [Re u, Im u] of the eigenvectors (block diagonal
    over the modes), ‖y_t‖ = ρᵗ‖P R(tφ)c‖ lies in ρᵗ‖c‖[σ_min(P), σ_max(P)]."""
    P = np.zeros((2 * len(modes), 2 * len(modes)))
    for i, c in enumerate(modes):
        lam, vec = np.linalg.eig(iteration_matrix(method, eta, beta, c))
        k = int(np.argmax(lam.imag))
        P[2 * i:2 * i + 2, 2 * i:2 * i + 2] = np.stack([vec[:, k].real, vec[:, k].imag], axis=1)
    return math.log(np.linalg.cond(P)) / w


@pytest.mark.parametrize(("method", "beta"), [("heavy-ball", 0.9), ("Nesterov", 0.95)])
def test_observed_contraction_rate_is_the_largest_eigenvalue_modulus(method, beta):
    # both modes under-damped: a complex pair each (HB: |z| = √β on every mode)
    eta, h = 0.05, np.array([1.0, 10.0])
    steps, w = 500, 250  # (ρ^500 stays above the 1e-13 at which a run stops)
    r = Runner(method, h, np.array([1.0, 0.5]), np.array([0.1, 0.0]), steps)
    r.advance(steps, eta, beta)
    y = r.path.reshape(steps + 1, 4)
    measured = (np.linalg.norm(y[steps]) / np.linalg.norm(y[steps - w])) ** (1 / w)
    rho = max(iteration_radius(method, eta, beta, c) for c in h)
    if method == "heavy-ball":
        assert rho == pytest.approx(math.sqrt(beta), rel=1e-12)
    z = {c: iteration_eigenvalues(method, eta, beta, c) for c in h}
    assert all(abs(e[0].imag) > 0 for e in z.values())
    slow = [c for c, e in z.items() if abs(abs(e[0]) - rho) < 1e-12]
    fast = max((abs(e[0]) for c, e in z.items() if c not in slow), default=0.0)
    # a faster mode has faded to (ρ_fast/ρ)^(steps − w) of the slow ones by the window
    assert (fast / rho) ** (steps - w) < 1e-20
    bound = _contraction_bound(method, eta, beta, slow, w)
    assert abs(math.log(measured / rho)) <= bound + 1e-12


def test_gd_contracts_the_flat_mode_exactly_by_one_minus_eta_h():
    r = Runner("GD", np.array([2.0]), np.array([1.0]), np.array([0.0]), 50)
    r.advance(50, 0.1, 0.0)
    np.testing.assert_allclose(r.path[:, 0, 0], 0.8 ** np.arange(51), rtol=1e-12)


@pytest.mark.parametrize("method", ["GD", "heavy-ball", "Nesterov"])
@pytest.mark.parametrize("beta", [0.0, 0.3, 0.9])
def test_stability_boundary_in_a_is_where_an_eigenvalue_crosses_minus_one(method, beta):
    lim = stability_limit(method, beta)
    assert iteration_radius(method, lim * (1 - 1e-3), beta, 1.0) < 1
    assert iteration_radius(method, lim * (1 + 1e-3), beta, 1.0) > 1
    M = iteration_matrix(method, lim, beta, 1.0)
    assert abs(np.linalg.det(M + np.eye(2))) < 1e-12  # z = −1 is an eigenvalue
    assert iteration_radius(method, 1e-3, beta, 1.0) < 1  # the small-step end is stable


def test_stability_bounds_are_the_catalogues_formulas():
    for beta in (0.0, 0.5, 0.9):
        assert stability_limit("heavy-ball", beta) == 2 * (1 + beta)
        assert stability_limit("Nesterov", beta) == pytest.approx((2 + 2 * beta) / (1 + 2 * beta))
    # heavy ball needs |β| < 1: det M = β, so at β ≥ 1 some |z| ≥ 1 whatever the step
    for beta in (1.0, 1.05):
        assert iteration_radius("heavy-ball", 0.1, beta, 1.0) >= 1 - 1e-12


def test_experiment_diverges_just_above_the_bound_and_converges_just_below():
    kappa, h1, beta = 10.0, 1.0, 0.5
    eta_star = stability_limit("heavy-ball", beta) / (kappa * h1)
    above = MomentumPhasePortrait({"eta": 1.1 * eta_star, "beta": beta, "steps": 2000})
    above.set_steps_per_frame(500)
    frame = run(above, 5)[-1]
    assert "diverged at step" in frame["status"] and frame["rho"] > 1
    below = MomentumPhasePortrait({"eta": 0.9 * eta_star, "beta": beta, "steps": 400})
    below.set_steps_per_frame(400)
    frame = run(below, 2)[-1]
    assert frame["rho"] < 1 and "HB converged at step" in frame["status"]


@pytest.mark.parametrize("a", [0.01, 0.1, 0.5])
def test_heavy_ball_critical_damping_is_a_double_root(a):
    bc = critical_beta(a)
    assert bc == pytest.approx((1 - math.sqrt(a)) ** 2)
    z = np.roots([1, -(1 + bc - a), bc])  # the double root 1 − √a
    np.testing.assert_allclose(z, [1 - math.sqrt(a)] * 2, atol=1e-7)
    below = iteration_eigenvalues("heavy-ball", a, 0.9 * bc, 1.0)
    above = iteration_eigenvalues("heavy-ball", a, min(1.1 * bc, 0.999), 1.0)
    assert np.all(below.imag == 0) and below[0].real != below[1].real  # a node
    assert np.all(np.abs(above.imag) > 0)  # a spiral, |z| = √β
    np.testing.assert_allclose(np.abs(above), math.sqrt(min(1.1 * bc, 0.999)), rtol=1e-12)
    assert critical_beta(1.0) is None


def test_regime_readout_turns_from_node_to_spiral_at_the_critical_beta():
    eta, h1 = 0.05, 1.0
    bc = critical_beta(eta * h1)
    node = MomentumPhasePortrait({"eta": eta, "beta": 0.95 * bc})
    spiral = MomentumPhasePortrait({"eta": eta, "beta": 1.05 * bc})
    assert run(node, 1)[0]["regime_text"].startswith("node")
    assert run(spiral, 1)[0]["regime_text"].startswith("spiral")


@pytest.mark.parametrize("kappa", [4.0, 100.0])
def test_tuned_parameters_give_the_optimal_rates(kappa):
    mu, L = 1.0, kappa
    eta, beta, rate = tuned("heavy-ball", mu, L)
    q = math.sqrt(kappa)
    assert rate == pytest.approx((q - 1) / (q + 1))
    for c in (mu, L):  # every mode in [μ, L] contracts at the same rate
        assert iteration_radius("heavy-ball", eta, beta, c) == pytest.approx(rate, rel=1e-6)
    eta, beta, rate = tuned("Nesterov", mu, L)
    assert iteration_radius("Nesterov", eta, beta, mu) == pytest.approx(1 - 1 / q, rel=1e-6)
    assert iteration_radius("Nesterov", eta, beta, L) == pytest.approx(0.0, abs=1e-12)


def test_heavy_ball_follows_the_damped_oscillator_as_h_goes_to_zero():
    """η = h², β = 1 − γh: θ_k → x(kh) of ẍ + γẋ + cx = 0, with a first-order error."""
    c, gamma, x0, u0, T = 2.0, 0.6, 1.0, 0.4, 6.0
    errors = []
    for h in (0.02, 0.01, 0.005):
        n = round(T / h)
        r = Runner("heavy-ball", np.array([c]), np.array([x0]), np.array([u0 * h]), n)
        r.advance(n, h * h, 1 - gamma * h)
        x, _ = exact_solution(math.sqrt(c), gamma, x0, u0, h * np.arange(n + 1))
        errors.append(np.abs(r.path[:, 0, 0] - x).max())
    assert errors[-1] < 0.02
    for coarse, fine in itertools.pairwise(errors):
        assert 0.4 < fine / coarse < 0.6  # halving h halves the error


def test_nesterov_adds_hessian_damping_to_the_continuous_limit():
    assert continuous_damping("heavy-ball", 0.1, 0.9, 2.0) == pytest.approx(0.1)
    assert continuous_damping("Nesterov", 0.1, 0.9, 2.0) == pytest.approx(0.1 + 0.9 * 0.2)
    assert continuous_damping("GD", 0.1, 0.0, 2.0) == continuous_damping("heavy-ball", 0.1,
                                                                         0.0, 2.0)


def test_ode_method_matches_the_closed_form_oscillator_at_every_step():
    eta, beta, h = 0.05, 0.9, np.array([1.0, 10.0])
    r = Runner("ODE", h, np.array([1.0, 0.5]), np.array([0.0, 0.1]), 100)
    r.advance(100, eta, beta)
    t = np.arange(101.0)
    for i in range(2):
        x, v = exact_solution(math.sqrt(eta * h[i]), 1 - beta, [1.0, 0.5][i], [0.0, 0.1][i], t)
        # RK4 with dt = 1/16: global error ~ T (|λ| dt)⁴ |λ| / 120, far below 1e-6 here
        np.testing.assert_allclose(r.path[:, 0, i], x, atol=1e-6)
        np.testing.assert_allclose(r.path[:, 1, i], v, atol=1e-6)


def test_frames_overlay_the_oscillator_and_restart_on_a_live_change():
    exp = MomentumPhasePortrait()
    it = checked_frames(exp)
    try:
        frames = [next(it) for _ in range(6)]
        last = frames[-1]
        assert last["t"] == 10 and last["dist"].shape == (1, 11)
        x, _ = exact_solution(math.sqrt(0.05), 0.1, 1.0, 0.0, last["t_cont"])
        np.testing.assert_allclose(last["theta1_cont"], x, rtol=1e-12)
        eig = last["eig1_re"].copy()
        exp.update_live({"beta": 0.3})
        after = next(it)
        assert after["t"] == 2 and after["step"] > last["step"]
        assert not np.allclose(after["eig1_re"], eig)
        assert after["fixed_kinds"][0] in ("stable node", "stable spiral")
        exp.on_event("launch", (0.5, 0.0))
        assert len(next(it)["heads"]) == 2
        with pytest.raises(ParamError):
            exp.on_event("launch", (np.nan, 0.0))
    finally:
        it.close()


def test_unstable_step_is_reported_not_raised_and_others_keep_running():
    exp = MomentumPhasePortrait({"eta": 0.5, "compare": ("GD",), "steps": 300})
    exp.set_steps_per_frame(100)
    frame = run(exp, 4)[-1]
    assert frame["status"].startswith("HB diverged at step")
    assert "GD diverged" in frame["status"]  # ηh₂ = 5 > 2
    ok = MomentumPhasePortrait({"eta": 0.15, "compare": ("GD",), "steps": 300})
    ok.set_steps_per_frame(100)
    frame = run(ok, 4)[-1]
    assert "HB running" in frame["status"] or "converged" in frame["status"]
