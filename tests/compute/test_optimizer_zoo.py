"""ch3.optimizer-zoo: the race, per-optimizer divergence, live parameters and frames.

Expected iterates come from closed forms (GD on ½θᵀAθ is (I − ηA)^t θ₀), not from runs.
"""

import io

import numpy as np
import pytest

from compute import registry
from compute.experiment import Diverged, checked_frames, first_nonfinite
from compute.experiments.ch3_optimizer_zoo import RECORD, OptimizerZoo
from compute.landscapes import quadratic, saddle
from compute.params import ParamError


def pull(exp, n):
    """The first ``n`` frames of ``exp`` through the contract's divergence guard."""
    frames = checked_frames(exp)
    out = [next(frames) for _ in range(n)]
    frames.close()
    return out


def A_of(kappa, angle):
    return quadratic(kappa, angle).hessian(np.zeros(2))


def gd_iterate(A, eta, theta0, t):
    return np.linalg.matrix_power(np.eye(2) - eta * A, t) @ theta0


# -- metadata ---------------------------------------------------------------------------
def test_registered_with_book_metadata():
    cls = registry.get("ch3.optimizer-zoo")
    assert cls is OptimizerZoo
    assert cls.section == "3.3" and cls.family == "loss landscape"
    assert cls.default_steps_per_frame == 1
    spec = cls.spec()
    for name in ("lr", "lr_adaptive", "beta", "rho", "beta1", "beta2", "eps", "sgd_noise",
                 "eps_inside_root"):
        assert spec[name].live, name
    for name in ("optimizers", "landscape", "kappa", "angle", "start_x", "start_y", "seed"):
        assert not spec[name].live, name
    assert spec["lr"].log and spec["kappa"].log
    assert (spec["lr"].min, spec["lr"].max) == (1e-4, 10.0)
    assert (spec["kappa"].min, spec["kappa"].max) == (1.0, 1000.0)
    assert set(spec["optimizers"].choices) == {"GD", "SGD", "heavy-ball", "Nesterov", "PGD",
                                              "AdaGrad", "RMSProp", "Adam"}


def test_equations_render_with_mathtext():
    from matplotlib import mathtext

    for latex in OptimizerZoo.equations:
        buffer = io.BytesIO()
        mathtext.math_to_image(latex, buffer, dpi=60, format="png")
        assert buffer.getvalue().startswith(b"\x89PNG"), latex


def test_frames_carry_exactly_the_declared_fields():
    frame = pull(OptimizerZoo({"optimizers": ["GD", "PGD"]}), 1)[0]
    assert set(frame) == set(OptimizerZoo.frame_fields)
    for view in OptimizerZoo.views:
        assert view.field_names() <= set(frame), view.key
    assert set(OptimizerZoo.history_fields) <= set(frame)
    assert OptimizerZoo.nonfinite_fields <= set(frame)


def test_no_optimizer_is_rejected():
    with pytest.raises(ParamError, match="optimizers"):
        OptimizerZoo({"optimizers": []})


# -- frames -----------------------------------------------------------------------------
def test_default_frames_shapes_and_static_fields():
    exp = OptimizerZoo()
    f1, f2 = pull(exp, 2)
    k = len(exp.p["optimizers"])
    assert list(f2["names"]) == ["GD", "heavy-ball", "Nesterov", "Adam"]
    assert f2["step"] == 2 and f2["t"] == 2.0
    assert f2["landscape"].shape == (200, 200) and np.isfinite(f2["landscape"]).all()
    assert f2["neg_grad_u"].shape == f2["neg_grad_v"].shape == (20, 20)
    assert f2["grid_x"].shape == f2["grid_y"].shape == (20,)
    assert f2["positions"].shape == (k, 2) and f2["distance"].shape == (k,)
    # θ₀, θ₁, θ₂ recorded, then the current θ₂; one more path: the velocity arrows of
    # heavy ball and Nesterov (shaft, two head strokes, NaN: 6 rows each)
    assert f2["paths"].shape == (k + 1, 12, 2)
    assert np.isnan(f2["paths"][:k, 4:]).all()
    assert list(f2["path_names"])[-1].startswith("velocity")
    assert f2["regions"].shape[0] == 0 and f2["region_names"].shape == (0,)
    assert f2["loss"].shape == (k, 3) and list(f2["loss_step"]) == [0.0, 1.0, 2.0]
    assert (f2["loss"] > 0).all()
    assert list(f2["status"]) == ["running"] * k and f2["running"] == k
    for name in ("landscape", "extent", "grid_x", "grid_y", "neg_grad_u", "neg_grad_v"):
        assert f1[name] is f2[name], name  # panels skip redrawing what did not change
    np.testing.assert_array_equal(f2["extent"], [-4.0, 4.0, -4.0, 4.0])


def test_arrows_are_minus_the_gradient_and_the_image_is_log_f():
    exp = OptimizerZoo({"kappa": 7.0, "angle": -10.0})
    f = pull(exp, 1)[0]
    land = quadratic(7.0, -10.0)
    X, Y = np.meshgrid(f["grid_x"], f["grid_y"])
    g = land.grad(np.stack([X, Y], axis=-1))
    np.testing.assert_allclose(f["neg_grad_u"], -g[..., 0])
    np.testing.assert_allclose(f["neg_grad_v"], -g[..., 1])
    # the image is monotone in f: its argmin is the pixel nearest the minimiser (0, 0)
    row, col = np.unravel_index(np.argmin(f["landscape"]), f["landscape"].shape)
    x0, x1, y0, y1 = f["extent"]
    assert abs(x0 + (col + 0.5) * (x1 - x0) / 200) < 0.05
    assert abs(y0 + (row + 0.5) * (y1 - y0) / 200) < 0.05


def test_gd_in_the_race_is_the_matrix_power_with_loss_and_distance():
    kappa, angle, eta = 50.0, 30.0, 0.8
    exp = OptimizerZoo({"optimizers": ["GD", "Adam"], "kappa": kappa, "angle": angle,
                        "lr": eta})
    exp.set_steps_per_frame(5)
    frame = pull(exp, 4)[-1]
    assert frame["step"] == 20
    A = A_of(kappa, angle)
    theta0 = np.array(quadratic().start)
    expected = gd_iterate(A, eta, theta0, 20)
    np.testing.assert_allclose(frame["positions"][0], expected, rtol=1e-12)
    assert frame["loss"][0, -1] == pytest.approx(0.5 * expected @ A @ expected, rel=1e-12)
    assert frame["distance"][0] == pytest.approx(np.linalg.norm(expected), rel=1e-12)
    for t in (0, 7, 20):
        np.testing.assert_allclose(frame["paths"][0, t], gd_iterate(A, eta, theta0, t),
                                   rtol=1e-12)


# -- divergence -------------------------------------------------------------------------
def first_blow_up(A, eta, theta0, bound=1e6):
    """First t with ‖(I − ηA)^t θ₀‖ > bound."""
    t = 1
    while np.linalg.norm(gd_iterate(A, eta, theta0, t)) <= bound:
        t += 1
    return t


def test_too_large_lr_diverges_gd_only_and_frames_stay_finite():
    eta = 10.0  # 5 × the GD limit 2/λmax = 2
    exp = OptimizerZoo({"optimizers": ["GD", "Adam"], "lr": eta})
    A = A_of(100.0, 30.0)
    theta0 = np.array(quadratic().start)
    n = first_blow_up(A, eta, theta0)
    frames = pull(exp, n + 5)  # checked_frames: no non-finite field outside the allowed ones
    last = frames[-1]
    assert list(last["status"]) == [f"diverged at step {n} (|θ| > 1e6)", "running"]
    assert last["running"] == 1 and last["step"] == n + 5
    # frozen at its last finite point, the iterate before the blow-up
    np.testing.assert_allclose(last["positions"][0], gd_iterate(A, eta, theta0, n - 1),
                               rtol=1e-12)
    assert np.isfinite(last["positions"]).all() and np.isfinite(last["distance"]).all()
    assert f"diverged at step {n}" in last["path_names"][0]
    loss = last["loss"]
    assert np.isfinite(loss[0, :n]).all() and np.isnan(loss[0, n:]).all()
    assert np.isfinite(loss[1]).all()
    assert first_nonfinite(last, OptimizerZoo.nonfinite_fields) is None
    # markers stay in the drawn window although the iterate is far outside it
    lo, hi = exp.drawn
    assert (last["markers"] >= lo).all() and (last["markers"] <= hi).all()


def test_when_every_optimizer_diverges_the_run_ends():
    eta = 10.0
    exp = OptimizerZoo({"optimizers": ["GD"], "lr": eta})
    n = first_blow_up(A_of(100.0, 30.0), eta, np.array(quadratic().start))
    frames = checked_frames(exp)
    for _ in range(n):  # the frame showing the last divergence still arrives
        frame = next(frames)
    assert frame["running"] == 0 and frame["step"] == n
    with pytest.raises(Diverged) as info:
        next(frames)
    assert info.value.step == n


# -- live parameters --------------------------------------------------------------------
def test_live_learning_rate_and_momentum_keep_the_state():
    A = A_of(100.0, 30.0)
    exp = OptimizerZoo({"optimizers": ["GD", "heavy-ball"], "lr": 0.5, "beta": 0.9})
    frames = exp.frames()
    f4 = next(f for f in frames if f["step"] == 4)
    f5 = next(frames)
    exp.update_live({"lr": 0.2, "beta": 0.3})
    f6 = next(frames)
    gd5, hb4, hb5 = f5["positions"][0], f4["positions"][1], f5["positions"][1]
    np.testing.assert_allclose(f6["positions"][0], (np.eye(2) - 0.2 * A) @ gd5, rtol=1e-12)
    np.testing.assert_allclose(f6["positions"][1], hb5 + 0.3 * (hb5 - hb4) - 0.2 * A @ hb5,
                               rtol=1e-12)
    assert f6["step"] == 6 and f6["landscape"] is f5["landscape"]


def test_live_adaptive_lr_applies_only_to_adaptive_methods():
    exp = OptimizerZoo({"optimizers": ["GD", "Adam"], "lr": 0.5, "lr_adaptive": 0.1})
    frames = exp.frames()
    before = next(frames)["positions"]
    exp.update_live({"lr_adaptive": 1e-4})
    after = next(frames)["positions"]
    A = A_of(100.0, 30.0)
    np.testing.assert_allclose(after[0], (np.eye(2) - 0.5 * A) @ before[0], rtol=1e-12)
    assert np.linalg.norm(after[1] - before[1]) < 2e-4  # Adam's step is about η


def test_restart_parameters_and_bad_values_are_refused_live():
    exp = OptimizerZoo()
    with pytest.raises(ParamError, match="restart"):
        exp.update_live({"kappa": 5.0})
    with pytest.raises(ParamError, match="above the maximum"):
        exp.update_live({"lr": 100.0})
    assert exp.p["lr"] == OptimizerZoo.spec()["lr"].default


# -- seeds, bounded records, PGD, starts, other landscapes ------------------------------
def sgd_run(seed):
    return pull(OptimizerZoo({"optimizers": ["SGD"], "seed": seed, "sgd_noise": 0.5}), 15)


def test_same_seed_same_sgd_run_and_different_seed_different_run():
    a, b, c = sgd_run(3), sgd_run(3), sgd_run(4)
    for fa, fb in zip(a, b, strict=True):
        np.testing.assert_array_equal(fa["positions"], fb["positions"])
        np.testing.assert_array_equal(fa["loss"], fb["loss"])
    assert not np.array_equal(a[-1]["positions"], c[-1]["positions"])


def test_records_stay_bounded_on_long_runs():
    exp = OptimizerZoo({"optimizers": ["GD", "Adam"]})
    exp.set_steps_per_frame(2000)
    frame = pull(exp, 3)[-1]
    assert frame["step"] == 6000
    m = len(frame["loss_step"])
    assert m <= RECORD and frame["loss"].shape == (2, m)
    assert frame["paths"].shape[1] <= RECORD + 1
    assert frame["loss_step"][0] == 0 and frame["loss_step"][-1] <= 6000


def test_pgd_stays_in_its_ball_and_its_boundary_is_drawn():
    radius = 1.0
    exp = OptimizerZoo({"optimizers": ["GD", "PGD"], "radius": radius})
    exp.set_steps_per_frame(1000)
    frame = pull(exp, 3)[-1]
    start = np.array(quadratic().start)
    assert list(frame["path_names"]) == ["GD", "PGD", "PGD unprojected step"]
    assert frame["paths"].shape[0] == 3
    # the drawn projection joins the unprojected GD step (the extra marker) to PGD's iterate
    seg = frame["paths"][2][:2]
    np.testing.assert_allclose(seg[1], frame["positions"][1])
    np.testing.assert_allclose(seg[0], frame["markers"][2])
    pgd_path = frame["paths"][1]
    pgd_path = pgd_path[np.isfinite(pgd_path).all(axis=1)]
    assert (np.linalg.norm(pgd_path - start, axis=1) <= radius * (1 + 1e-12)).all()
    # the ball C is shaded: a closed polygon on its circle
    assert list(frame["region_names"]) == ["PGD set C"]
    boundary = frame["regions"][0]
    boundary = boundary[np.isfinite(boundary).all(axis=1)]
    np.testing.assert_allclose(np.linalg.norm(boundary - start, axis=1), radius)
    np.testing.assert_allclose(boundary[0], boundary[-1])
    # the minimiser (0, 0) is outside the ball: PGD ends on its edge at the KKT point,
    # where −∇f = λ(θ − c) with λ > 0 (the outward normal); GD reaches the minimiser
    theta = frame["positions"][1]
    normal = theta - start
    assert np.linalg.norm(normal) == pytest.approx(radius, rel=1e-12)
    descent = -exp.landscape.grad(theta)
    cos = descent @ normal / (np.linalg.norm(descent) * radius)
    assert cos == pytest.approx(1.0, abs=1e-9)
    gd = gd_iterate(A_of(100.0, 30.0), 0.5, start, 3000)
    assert frame["distance"][0] == pytest.approx(np.linalg.norm(gd), rel=1e-9)


def test_custom_start_outside_the_window_widens_it():
    exp = OptimizerZoo({"custom_start": True, "start_x": 7.0, "start_y": -2.0})
    frame = pull(exp, 1)[0]
    x0, x1, y0, y1 = frame["extent"]
    assert x1 > 7.0 and (x0, y0, y1) == (-4.0, -4.0, 4.0)
    np.testing.assert_allclose(frame["paths"][:4, 0], np.tile([7.0, -2.0], (4, 1)))


def test_saddle_loss_is_the_decrease_since_the_start():
    land = saddle()
    exp = OptimizerZoo({"landscape": "saddle", "optimizers": ["GD"], "lr": 0.1})
    frame = pull(exp, 10)[-1]
    theta0 = np.array(land.start)
    # on x² − y², GD multiplies x by 1 − 2η and y by 1 + 2η each step
    theta = theta0 * np.array([0.8, 1.2]) ** 10
    np.testing.assert_allclose(frame["positions"][0], theta, rtol=1e-12)
    expected = land.value(theta0) - land.value(theta)
    assert frame["loss"][0, -1] == pytest.approx(expected, rel=1e-12)
    assert frame["distance"][0] == pytest.approx(np.linalg.norm(theta), rel=1e-12)
    assert frame["gd_limit"] == pytest.approx(1.0)


def test_himmelblau_gd_reaches_a_minimiser():
    exp = OptimizerZoo({"landscape": "himmelblau", "optimizers": ["GD", "Nesterov"],
                        "lr": 0.01})
    exp.set_steps_per_frame(500)
    frame = pull(exp, 2)[-1]
    assert (frame["distance"] < 1e-8).all()
    assert (frame["loss"][:, -1] <= 1e-15).all()
