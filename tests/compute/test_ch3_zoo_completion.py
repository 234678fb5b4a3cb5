"""ch3.optimizer-zoo, completed: the remaining PGD sets, RMSProp's bias-correction switch,
effective steps, distances and the contraction rates of the momentum methods."""

import math

import numpy as np
import pytest

from compute.experiment import checked_frames
from compute.experiments.ch3_optimizer_zoo import OptimizerZoo, iteration_radius
from compute.optimizers import Constraint, Hyper, create, project_l1_ball, project_simplex


def pull(exp, n):
    frames = checked_frames(exp)
    out = [next(frames) for _ in range(n)]
    frames.close()
    return out


@pytest.mark.parametrize("kind", ["l1-ball", "simplex", "half-plane", "ball", "box"])
def test_projections_are_nearest_points(kind):
    c = Constraint(kind, (-1.0, 2.0), 1.3)
    rng = np.random.default_rng(0)
    v = rng.normal(0, 4, (200, 2))
    p = c.project(v)
    np.testing.assert_allclose(c.project(p), p, atol=1e-12)  # idempotent: P lies in C
    # variational inequality ⟨v − P(v), z − P(v)⟩ ≤ 0 for points z of C
    z = c.project(rng.normal(0, 4, (300, 2)))
    for vi, pi in zip(v[:40], p[:40], strict=True):
        assert ((z - pi) @ (vi - pi)).max() <= 1e-9


def test_simplex_and_l1_projections_on_known_points():
    np.testing.assert_allclose(project_simplex([0.2, 0.3], 1.0), [0.45, 0.55])
    np.testing.assert_allclose(project_simplex([3.0, -1.0], 1.0), [1.0, 0.0])
    np.testing.assert_allclose(project_l1_ball([0.1, -0.2], 1.0), [0.1, -0.2])
    np.testing.assert_allclose(project_l1_ball([2.0, -0.5], 1.0), [1.0, 0.0])
    assert np.abs(project_l1_ball([3.0, -2.5], 1.0)).sum() == pytest.approx(1.0)


@pytest.mark.parametrize("kind", ["l1-ball", "simplex", "half-plane"])
def test_pgd_iterates_stay_in_every_set(kind):
    exp = OptimizerZoo({"optimizers": ["PGD"], "constraint": kind, "radius": 1.0})
    exp.set_steps_per_frame(50)
    frames = pull(exp, 4)
    c = exp.constraint
    path = frames[-1]["paths"][0]
    path = path[np.isfinite(path).all(axis=1)]
    assert all(c.contains(q, 1e-9) for q in path)
    name = frames[-1]["path_names"][0]
    assert ("start projected" in name) == (not c.contains(exp.start))


def test_simplex_start_is_projected_and_said_so():
    exp = OptimizerZoo({"optimizers": ["PGD"], "constraint": "simplex", "radius": 1.0})
    f = pull(exp, 1)[0]
    assert "start projected onto C" in f["path_names"][0]
    np.testing.assert_allclose(f["paths"][0][0], exp.constraint.project(exp.start))


@pytest.mark.parametrize("rho", [0.9, 0.999])
def test_rmsprop_bias_correction_makes_the_first_step_eta(rho):
    g = np.array([3.0, -0.02])
    for corrected, factor in ((False, 1 / math.sqrt(1 - rho)), (True, 1.0)):
        opt = create("RMSProp", np.zeros(2))
        step = opt.step(lambda th: g, Hyper(lr=0.1, rho=rho, eps=1e-12,
                                            rmsprop_bias_correction=corrected))
        np.testing.assert_allclose(step, -0.1 * factor * np.sign(g), rtol=1e-6)


def test_effective_steps_are_recorded_for_adaptive_methods():
    exp = OptimizerZoo({"optimizers": ["GD", "AdaGrad", "Adam"], "eps": 1e-12})
    f = pull(exp, 2)[-1]
    assert list(f["rate_names"]) == ["AdaGrad θ₁", "AdaGrad θ₂", "Adam θ₁", "Adam θ₂"]
    g0 = exp.landscape.grad(exp.start)
    lr = exp.p["lr_adaptive"]
    # after the first AdaGrad step G = g₀², so η_α = η/√(g₀² + ε) = η/|g₀|
    np.testing.assert_allclose(f["eff_rate"][:2, 1], lr / np.abs(g0), rtol=1e-6)
    assert "rates" in OptimizerZoo.hidden_views({"optimizers": ("GD", "heavy-ball")})


def test_distance_curve_matches_the_positions():
    exp = OptimizerZoo()
    f = pull(exp, 5)[-1]
    np.testing.assert_allclose(f["dist_curve"][:, -1], f["distance"], rtol=1e-12)


def test_tuned_momentum_contracts_at_the_theoretical_rate():
    kappa = 100.0
    L, mu = 1.0, 1.0 / kappa
    eta = 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2
    beta = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    target = (math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)
    # critically damped on both eigenvalues: radius √β = (√κ − 1)/(√κ + 1)
    for h in (L, mu):
        assert iteration_radius("heavy-ball", eta, beta, h) == pytest.approx(target, rel=1e-6)
    for names, lr, b in ((["GD", "heavy-ball"], eta, beta),  # Polyak's tuning
                         (["Nesterov"], 1.0 / L, math.sqrt(beta))):  # Nesterov's
        exp = OptimizerZoo({"optimizers": names, "lr": lr, "beta": b})
        exp.set_steps_per_frame(100)
        f = pull(exp, 2)[-1]
        parts = dict(p.split(" ", 1) for p in f["rate_text"].split("; "))
        assert "GD" not in parts  # η = 4/(√L + √μ)² > 2/L: GD diverged and is not rated
        name = names[-1]
        measured, theory = parts[name].replace("(", "").replace(")", "").split()
        assert float(measured) == pytest.approx(float(theory), rel=0.05)
    exp = OptimizerZoo({"optimizers": ["GD"], "lr": 1.0})
    exp.set_steps_per_frame(100)
    f = pull(exp, 2)[-1]
    measured, theory = f["rate_text"].split(" ", 1)[1].replace("(", "").replace(")", "").split()
    assert float(theory) == pytest.approx(1 - 1.0 * mu)
    assert float(measured) == pytest.approx(float(theory), rel=1e-3)


@pytest.mark.parametrize("kind", ["ball", "box", "l1-ball", "simplex", "half-plane"])
def test_shaded_region_is_the_set_c(kind):
    """The shaded polygon is ∂C (closed) for the bounded sets, the simplex's segment, and
    the half-plane cut to the drawn window; its vertices all lie in C."""
    exp = OptimizerZoo({"optimizers": ["PGD"], "constraint": kind, "radius": 1.2})
    f = pull(exp, 2)[-1]
    assert list(f["region_names"]) == ["PGD set C"]
    poly = f["regions"][0]
    poly = poly[np.isfinite(poly).all(axis=1)]
    c = exp.constraint
    assert all(c.contains(q, 1e-9) for q in poly)
    if kind == "simplex":
        np.testing.assert_allclose(poly, [[1.2, 0.0], [0.0, 1.2]])
        return
    np.testing.assert_allclose(poly[0], poly[-1])  # closed
    if kind == "half-plane":
        lo, hi = exp.drawn
        edge = exp.start[0] + 1.2
        assert poly[:, 0].max() == pytest.approx(edge)
        np.testing.assert_allclose([poly[:, 0].min(), poly[:, 1].min(), poly[:, 1].max()],
                                   [lo[0], lo[1], hi[1]])
    # shoelace area against the set's area: πR² (polygon), (2R)², 2R²
    x, y = poly[:, 0], poly[:, 1]
    area = 0.5 * abs(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))
    expected = {"ball": math.pi * 1.44, "box": 4 * 1.44, "l1-ball": 2 * 1.44}.get(kind)
    if expected is not None:
        assert area == pytest.approx(expected, rel=2e-3)


def test_half_plane_outside_the_window_has_no_region():
    c = Constraint("half-plane", (-10.0, 0.0), 1.0)
    assert c.region([-5.0, -5.0], [5.0, 5.0]).shape == (0, 2)


def test_pre_projection_marker_is_the_gd_step_and_projects_to_the_iterate():
    exp = OptimizerZoo({"optimizers": ["GD", "PGD"], "constraint": "box", "radius": 0.5})
    exp.set_steps_per_frame(1)
    frames = pull(exp, 3)
    prev, f = frames[-2], frames[-1]
    theta = prev["positions"][1]
    before = theta - exp.p["lr"] * exp.landscape.grad(theta)
    np.testing.assert_allclose(f["markers"][2], before, atol=1e-12)
    np.testing.assert_allclose(exp.constraint.project(before), f["positions"][1], atol=1e-12)
    assert f["markers"].shape == (3, 2)


def test_velocity_arrows_point_along_the_velocity_with_coasting_length():
    """Heavy ball's arrow runs from θ_t along v_t = θ_t − θ_{t−1}, of length β|v_t|/(1 − β)
    (the sum of the geometric series of increments β^j v_t)."""
    exp = OptimizerZoo({"optimizers": ["heavy-ball"], "beta": 0.8})
    frames = pull(exp, 4)
    prev, f = frames[-2], frames[-1]
    theta, last = f["positions"][0], prev["positions"][0]
    shaft = f["paths"][1][:2]
    np.testing.assert_allclose(shaft[0], theta)
    np.testing.assert_allclose(shaft[1] - shaft[0], 0.8 / 0.2 * (theta - last), atol=1e-12)
    head = f["paths"][1][2:5]  # tip + stroke, tip, tip + stroke: both strokes point back
    v = theta - last
    assert (head[0] - shaft[1]) @ v < 0 and (head[2] - shaft[1]) @ v < 0
    assert np.isnan(f["paths"][1][5]).all()
