"""The §3.3 update rules against closed forms derived by hand (not against recorded runs).

Quadratic f = ½θᵀAθ: GD is θ_t = (I − ηA)^t θ₀; heavy ball and Nesterov contract at the
textbook rates; on a linear f = cᵀθ (constant gradient) every rule has an explicit step.
"""

import numpy as np
import pytest
from scipy.optimize import brentq

from compute.landscapes import quadratic, rosenbrock
from compute.optimizers import (
    GD,
    OPTIMIZERS,
    PGD,
    SGD,
    AdaGrad,
    Adam,
    Constraint,
    HeavyBall,
    Hyper,
    Nesterov,
    RMSProp,
    create,
)


def matrix(kappa: float, angle_deg: float) -> np.ndarray:
    """A = R diag(1, 1/κ) Rᵀ, built here independently of compute.landscapes."""
    phi = np.deg2rad(angle_deg)
    R = np.array([[np.cos(phi), -np.sin(phi)], [np.sin(phi), np.cos(phi)]])
    return R @ np.diag([1.0, 1.0 / kappa]) @ R.T


def run(opt, grad, hp, steps):
    """Iterates θ_0..θ_steps of ``opt`` as an array (steps + 1, ..., d)."""
    out = [opt.theta.copy()]
    for _ in range(steps):
        out.append(opt.step(grad, hp).copy())
    return np.array(out)


def linear(c):
    """∇f for f = cᵀθ: the constant gradient c at every point."""
    c = np.asarray(c, dtype=float)
    return lambda theta: np.broadcast_to(c, np.shape(theta)).copy()


# -- GD ---------------------------------------------------------------------------------
def test_gd_on_a_quadratic_is_the_matrix_power():
    kappa, angle, eta = 20.0, 35.0, 0.7
    A = matrix(kappa, angle)
    theta0 = np.array([-2.0, 1.5])
    path = run(GD(theta0), quadratic(kappa, angle).grad, Hyper(lr=eta), 60)
    M = np.eye(2) - eta * A
    for t in (1, 2, 17, 60):
        np.testing.assert_allclose(path[t], np.linalg.matrix_power(M, t) @ theta0,
                                   rtol=1e-12, atol=1e-15)


def test_gd_runs_a_batch_of_starts_independently():
    land = quadratic(5.0, 10.0)
    starts = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, -1.0]])
    batch = run(GD(starts), land.grad, Hyper(lr=0.3), 20)
    for i, s in enumerate(starts):
        np.testing.assert_allclose(batch[:, i], run(GD(s), land.grad, Hyper(lr=0.3), 20),
                                   rtol=1e-14)


@pytest.mark.parametrize(("factor", "converges"), [(0.95, True), (1.05, False)])
def test_gd_converges_iff_eta_below_two_over_lmax(factor, converges):
    # λmax = 1: the fast mode is multiplied by 1 − η each step, |1 − η| < 1 iff 0 < η < 2
    land = quadratic(4.0, 25.0)
    eta = factor * 2.0
    path = run(GD([1.0, 1.0]), land.grad, Hyper(lr=eta), 300)
    final = np.linalg.norm(path[-1])
    if converges:
        assert final < np.linalg.norm(path[0]) * (abs(1 - eta) ** 300) * 10
        assert final < 1e-5
    else:
        assert final > 1e5
        # the divergent mode grows exactly like |1 − η|^t
        ratio = np.linalg.norm(path[-1]) / np.linalg.norm(path[-2])
        assert ratio == pytest.approx(eta - 1.0, rel=1e-6)


# -- momentum ---------------------------------------------------------------------------
def fitted_rate(norms: np.ndarray, t: np.ndarray) -> float:
    """exp of the least-squares slope of log(norms) against t."""
    return float(np.exp(np.polyfit(t, np.log(norms), 1)[0]))


def test_heavy_ball_with_tuned_parameters_contracts_at_the_optimal_rate():
    kappa = 100.0
    L, mu = 1.0, 1.0 / kappa
    eta = 4.0 / (np.sqrt(L) + np.sqrt(mu)) ** 2  # above 2/L: GD alone would diverge
    beta = ((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) ** 2
    rate = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    path = run(HeavyBall([1.0, -2.0]), quadratic(kappa, 40.0).grad,
               Hyper(lr=eta, beta=beta), 300)
    t = np.arange(100, 301)
    norms = np.linalg.norm(path[t], axis=1)
    # Every mode has |z| = √β = rate; the extreme eigenvalues give double roots, so
    # θ_t = (a + b t) rate^t there: divide by t before fitting the slope.
    assert fitted_rate(norms / t, t) == pytest.approx(rate, rel=2e-3)
    assert fitted_rate(norms, t) == pytest.approx(rate, rel=1e-2)


def test_nesterov_obeys_the_accelerated_bound_and_beats_gd():
    kappa = 100.0
    L, mu = 1.0, 1.0 / kappa
    land = quadratic(kappa, -30.0)
    theta0 = np.array([2.0, -3.0])
    beta = (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)
    T = 300
    nest = run(Nesterov(theta0), land.grad, Hyper(lr=1 / L, beta=beta), T)
    gd = run(GD(theta0), land.grad, Hyper(lr=1 / L), T)
    # Nesterov (2004), constant step scheme for μ-strongly convex, L-smooth f:
    # f(θ_t) − f* ≤ (1 − √(μ/L))^t (f(θ₀) − f* + μ/2 ‖θ₀ − θ*‖²)
    c0 = land.value(theta0) + 0.5 * mu * theta0 @ theta0
    bound = (1 - np.sqrt(mu / L)) ** np.arange(T + 1) * c0
    assert (land.value(nest) <= bound * (1 + 1e-12)).all()
    assert land.value(nest[-1]) < 1e-6 * land.value(gd[-1])


def test_heavy_ball_and_nesterov_keep_the_velocity_when_beta_changes():
    land = quadratic(10.0, 0.0)
    for cls in (HeavyBall, Nesterov):
        opt = cls([1.0, 1.0])
        th0 = opt.theta.copy()
        th1 = opt.step(land.grad, Hyper(lr=0.5, beta=0.9)).copy()
        th2 = opt.step(land.grad, Hyper(lr=0.2, beta=0.5))
        look = th1 + 0.5 * (th1 - th0)
        at = look if cls is Nesterov else th1
        np.testing.assert_allclose(th2, look - 0.2 * land.grad(at), rtol=1e-14)


@pytest.mark.parametrize(("cls", "limit"), [
    # On a mode with curvature λ, heavy ball has z² − (1 + β − ηλ)z + β = 0 and Nesterov
    # z² − (1 − ηλ)(1 + β)z + (1 − ηλ)β = 0; a root crosses z = −1 at ηλ = 2(1 + β) and at
    # ηλ = 2(1 + β)/(1 + 2β) respectively (λmax = 1 here).
    (HeavyBall, lambda beta: 2 * (1 + beta)),
    (Nesterov, lambda beta: 2 * (1 + beta) / (1 + 2 * beta)),
])
@pytest.mark.parametrize("beta", [0.5, 0.9])
def test_momentum_stability_threshold(cls, limit, beta):
    land = quadratic(3.0, 15.0)
    for factor, stable in ((0.97, True), (1.03, False)):
        path = run(cls([1.0, 1.0]), land.grad, Hyper(lr=factor * limit(beta), beta=beta), 500)
        final = np.linalg.norm(path[-1])
        assert final < 1e-8 if stable else final > 1e8


@pytest.mark.parametrize("cls", [HeavyBall, Nesterov])
def test_momentum_on_a_constant_gradient_is_a_geometric_series(cls):
    c, eta, beta = np.array([0.5, -2.0]), 0.1, 0.8
    path = run(cls(np.zeros(2)), linear(c), Hyper(lr=eta, beta=beta), 30)
    t = np.arange(1, 31)[:, None]
    np.testing.assert_allclose(np.diff(path, axis=0), -eta * c * (1 - beta**t) / (1 - beta),
                               rtol=1e-12)


# -- SGD --------------------------------------------------------------------------------
def test_sgd_without_noise_is_gd():
    land = rosenbrock()
    hp = Hyper(lr=1e-3, noise=0.0)
    sgd = run(SGD([-1.2, 1.0], np.random.default_rng(3)), land.grad, hp, 50)
    gd = run(GD([-1.2, 1.0]), land.grad, hp, 50)
    np.testing.assert_array_equal(sgd, gd)


def test_sgd_step_is_unbiased_with_variance_eta_sigma_squared():
    n, eta, sigma = 40_000, 0.3, 2.0
    land = quadratic(5.0, 20.0)
    theta0 = np.tile([1.0, -1.0], (n, 1))
    step = SGD(theta0, np.random.default_rng(7)).step(land.grad, Hyper(lr=eta, noise=sigma))
    delta = step - theta0
    exact = -eta * land.grad(theta0[0])
    sd = eta * sigma
    np.testing.assert_allclose(delta.mean(axis=0), exact, atol=5 * sd / np.sqrt(n))
    np.testing.assert_allclose(delta.var(axis=0), sd**2, rtol=0.05)


# -- adaptive methods: first steps and constant gradients -------------------------------
STARTS = np.array([[1.0, -2.0], [-0.3, 0.7], [2.5, 1.5]])
LAND = quadratic(30.0, 50.0)  # ∇f has both coordinates non-zero at these starts


@pytest.mark.parametrize("eps", [0.0, 1e-12])
@pytest.mark.parametrize("cls", [Adam, AdaGrad])
@pytest.mark.parametrize("inside", [True, False])
def test_adagrad_and_adam_first_step_is_eta_sign_g(cls, inside, eps):
    eta = 0.05
    opt = cls(STARTS)
    new = opt.step(LAND.grad, Hyper(lr=eta, eps=eps, eps_inside_root=inside))
    expected = -eta * np.sign(LAND.grad(STARTS))
    np.testing.assert_allclose(new - STARTS, expected, rtol=1e-9)


@pytest.mark.parametrize("rho", [0.9, 0.999])
def test_rmsprop_first_step_is_eta_over_sqrt_one_minus_rho(rho):
    eta = 0.01
    new = RMSProp(STARTS).step(LAND.grad, Hyper(lr=eta, rho=rho, eps=0.0))
    expected = -eta / np.sqrt(1 - rho) * np.sign(LAND.grad(STARTS))
    np.testing.assert_allclose(new - STARTS, expected, rtol=1e-12)
    # ρ = 0.999 makes the first step √(0.1/0.001) = 10 times longer than ρ = 0.9


def test_adam_bias_correction_counts_from_one():
    # constant g: m_k = (1 − β₁^k) g and G_k = (1 − β₂^k) g², so m̂ = g and Ĝ = g² at every
    # k exactly when the k-th update divides by 1 − β^k: each step is η·sign(g)
    c, eta = np.array([3.0, -0.25]), 0.1
    path = run(Adam(np.zeros(2)), linear(c), Hyper(lr=eta, beta1=0.9, beta2=0.999, eps=0.0), 40)
    np.testing.assert_allclose(np.diff(path, axis=0), np.tile(-eta * np.sign(c), (40, 1)),
                               rtol=1e-12)


def test_rmsprop_on_a_constant_gradient():
    # G_t = (1 − ρ^t) g²: the t-th step is η/√(1 − ρ^t) per coordinate (ε = 0)
    c, eta, rho = np.array([2.0, -0.5]), 0.1, 0.9
    path = run(RMSProp(np.zeros(2)), linear(c), Hyper(lr=eta, rho=rho, eps=0.0), 30)
    t = np.arange(1, 31)[:, None]
    np.testing.assert_allclose(np.diff(path, axis=0), -eta * np.sign(c) / np.sqrt(1 - rho**t),
                               rtol=1e-12)


@pytest.mark.parametrize("inside", [True, False])
def test_adagrad_on_a_constant_gradient_both_epsilon_placements(inside):
    # G_t = t g²: step t is η g/√(t g² + ε) (book) or η g/(√t |g| + ε) (notebooks)
    c, eta, eps = np.array([1.5, -0.4]), 0.2, 0.5
    path = run(AdaGrad(np.zeros(2)), linear(c), Hyper(lr=eta, eps=eps, eps_inside_root=inside),
               25)
    t = np.arange(1, 26)[:, None]
    denom = np.sqrt(t * c**2 + eps) if inside else np.sqrt(t) * np.abs(c) + eps
    np.testing.assert_allclose(np.diff(path, axis=0), -eta * c / denom, rtol=1e-12)


# -- PGD --------------------------------------------------------------------------------
def test_projections_are_the_nearest_points():
    ball = Constraint("ball", (1.0, -1.0), 2.0)
    box = Constraint("box", (1.0, -1.0), 2.0)
    inside = np.array([1.5, 0.0])
    np.testing.assert_array_equal(ball.project(inside), inside)
    np.testing.assert_array_equal(box.project(inside), inside)
    np.testing.assert_allclose(ball.project([7.0, 7.0]), [1 + 2 * 0.6, -1 + 2 * 0.8])
    np.testing.assert_allclose(box.project([7.0, -1.5]), [3.0, -1.5])
    np.testing.assert_allclose(np.linalg.norm(ball.boundary() - [1.0, -1.0], axis=1), 2.0)
    assert np.abs(box.boundary() - [1.0, -1.0]).max(axis=1) == pytest.approx(2.0)


@pytest.mark.parametrize("kind", ["ball", "box"])
def test_pgd_iterates_stay_in_the_set(kind):
    c = Constraint(kind, (-1.0, 2.0), 0.7)
    path = run(PGD([-1.0, 2.0]), rosenbrock().grad, Hyper(lr=1e-3, constraint=c), 200)[1:]
    d = path - np.array([-1.0, 2.0])
    size = np.linalg.norm(d, axis=1) if kind == "ball" else np.abs(d).max(axis=1)
    assert (size <= 0.7 * (1 + 1e-12)).all()


def test_pgd_on_a_quadratic_converges_to_the_kkt_point_of_the_ball():
    # min ½θᵀAθ over ‖θ − c‖ ≤ R with A = diag(1, 1/κ) and 0 outside the ball: the solution
    # is θ(λ) = (A + λI)⁻¹λc with λ > 0 fixed by ‖θ(λ) − c‖ = R (KKT: Aθ + λ(θ − c) = 0)
    kappa, centre, R = 8.0, np.array([2.0, 1.0]), 1.0
    a = np.array([1.0, 1.0 / kappa])

    def theta(lam):
        return lam * centre / (a + lam)

    lam = brentq(lambda s: np.linalg.norm(theta(s) - centre) - R, 1e-9, 1e9)
    expected = theta(lam)
    hp = Hyper(lr=1.0, constraint=Constraint("ball", tuple(centre), R))
    path = run(PGD(centre), quadratic(kappa, 0.0).grad, hp, 3000)
    np.testing.assert_allclose(path[-1], expected, atol=1e-9)


# -- factory ----------------------------------------------------------------------------
def test_create_builds_every_optimizer_by_name():
    rng = np.random.default_rng(0)
    for name in OPTIMIZERS:
        opt = create(name, [1.0, 2.0], rng)
        assert opt.name == name and opt.t == 0
        np.testing.assert_array_equal(opt.theta, [1.0, 2.0])
    assert {n for n in OPTIMIZERS if create(n, [0.0, 0.0], rng).adaptive} == \
        {"AdaGrad", "RMSProp", "Adam"}
    with pytest.raises(ValueError, match="unknown optimizer"):
        create("L-BFGS", [0.0, 0.0])
    with pytest.raises(ValueError, match="random generator"):
        create("SGD", [0.0, 0.0])
    with pytest.raises(ValueError, match="constraint"):
        create("PGD", [0.0, 0.0]).step(quadratic().grad, Hyper())
