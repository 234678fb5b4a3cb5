"""ch1.linear-maps-2d, ch1.ellipse-iteration, ch1.affine-iteration-toy against closed forms.

Expected values are derived by hand (the book's worked maps, A = D R(θ) D⁻¹ giving
x_t = (a cos tθ, b sin tθ), e_t = Aᵗe₀ with ‖e_t‖ = rᵗ‖e₀‖), never copied from a run.
"""

import math

import numpy as np
import pytest

from compute import linalg2d as la
from compute.experiment import checked_frames
from compute.experiments.ch1_linear_maps import (
    GOLDEN_ANGLE,
    AffineIteration,
    EllipseIteration,
    LinearMaps2D,
    ellipse_matrix,
    fixed_point,
)
from compute.params import ParamError

EXPERIMENTS = (LinearMaps2D, EllipseIteration, AffineIteration)


def run_to_end(exp, T):
    """The frame at which an ellipse orbit has all its T points."""
    exp.set_steps_per_frame(500)
    frames = checked_frames(exp)
    for frame in frames:
        if frame["t_points"] >= T:
            frames.close()
            return frame
    raise AssertionError("unreachable")


def pull(exp, n, speed=None):
    if speed is not None:
        exp.set_steps_per_frame(speed)
    frames = checked_frames(exp)
    out = [next(frames) for _ in range(n)]
    frames.close()
    return out


# -- ch1.linear-maps-2d ------------------------------------------------------------------
def full_map_frame(**params):
    """The frame at morph fraction 1 (phase 70 of the I → A → I cycle)."""
    exp = LinearMaps2D(params)
    frame = pull(exp, 2, speed=70)[1]
    assert frame["morph"] == 1.0
    return frame


def test_book_scaling_example_sends_1_2_to_2_1():
    frame = full_map_frame()  # the default is the book's S = diag(2, 0.5), x = (1, 2)
    np.testing.assert_allclose(frame["A_shown"], [[2.0, 0.0], [0.0, 0.5]])
    np.testing.assert_allclose(frame["Ax"], [2.0, 1.0])


def test_rotation_z_sends_e1_to_cos_sin_0_and_is_orthogonal():
    for theta in (0.3, 1.0, 2.5, 5.0):
        R = la.rotation_z(theta)
        np.testing.assert_allclose(R @ [1, 0, 0], [math.cos(theta), math.sin(theta), 0])
        np.testing.assert_allclose(R.T @ R, np.eye(3), atol=1e-15)
        assert np.linalg.det(R) == pytest.approx(1.0)
    frame = full_map_frame(map="rotation", theta=40.0)
    R = frame["A_shown"]
    np.testing.assert_allclose(R.T @ R, np.eye(2), atol=1e-15)
    assert frame["det"] == pytest.approx(1.0)
    assert frame["sigma_1"] == pytest.approx(1.0) and frame["sigma_2"] == pytest.approx(1.0)


def test_projections_keep_one_coordinate_and_are_idempotent():
    for name, axis in (("projection-x", 0), ("projection-y", 1)):
        P = full_map_frame(map=name, x_1=1.5, x_2=-2.0)["A_shown"]
        np.testing.assert_array_equal(P @ P, P)
        expected = [1.5, 0.0] if axis == 0 else [0.0, -2.0]
        np.testing.assert_array_equal(P @ [1.5, -2.0], expected)


@pytest.mark.parametrize("seed", range(5))
def test_area_ratio_of_the_shape_equals_abs_det(seed):
    rng = np.random.default_rng(seed)
    A = np.round(rng.uniform(-3, 3, (2, 2)), 3)
    exp = LinearMaps2D({"map": "custom", "A": A.tolist()})
    for frame in pull(exp, 6, speed=13):  # through the morph: every A_s obeys it
        assert frame["area_ratio"] == pytest.approx(abs(frame["det"]), rel=1e-12, abs=1e-12)
    for shape in ("letter-F", "unit-square"):
        frame = full_map_frame(map="custom", A=A.tolist(), shape=shape)
        assert frame["area_ratio"] == pytest.approx(abs(np.linalg.det(A)), rel=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_unit_circle_maps_to_the_ellipse_of_the_singular_axes(seed):
    A = np.random.default_rng(seed).uniform(-3, 3, (2, 2))
    U, s, _ = la.svd2(A)
    image = la.apply(A, la.unit_circle(720))
    coords = image @ U / s  # coordinates along u_1, u_2 scaled by the semi-axes
    np.testing.assert_allclose(np.hypot(coords[:, 0], coords[:, 1]), 1.0, atol=1e-12)
    norms = np.linalg.norm(image, axis=1)
    assert norms.max() == pytest.approx(s[0], rel=1e-4) and norms.min() == pytest.approx(
        s[1], rel=1e-4)


def test_inverse_times_matrix_is_the_identity():
    A = [[1.0, 2.0], [-0.5, 3.0]]
    frame = full_map_frame(map="custom", A=A, inverse=True)
    np.testing.assert_allclose(frame["A_times_inverse"], np.eye(2), atol=1e-15)
    np.testing.assert_allclose(frame["A_inverse"] @ A, np.eye(2), atol=1e-15)
    assert np.isnan(full_map_frame(map="custom", A=A)["A_inverse"]).all()  # off: not shown


def test_a_singular_matrix_is_refused_where_an_inverse_is_needed():
    with pytest.raises(ParamError) as info:
        LinearMaps2D({"map": "custom", "A": [[1, 2], [1.5, 3]], "inverse": True})
    assert info.value.name == "A" and "singular" in info.value.message
    with pytest.raises(ParamError) as info:
        LinearMaps2D({"map": "scaling", "s_y": 0.0, "inverse": True})
    assert info.value.name == "s_y"
    with pytest.raises(ParamError) as info:
        LinearMaps2D({"map": "projection-x", "inverse": True})
    assert info.value.name == "map"
    # while running: the bad live change is refused and the last good matrix stays
    exp = LinearMaps2D({"map": "custom", "A": [[2, 0], [0, 1]], "inverse": True})
    frames = checked_frames(exp)
    next(frames)
    with pytest.raises(ParamError, match="singular"):
        exp.update_live({"A": [[1, 1], [1, 1]]})
    assert exp.p["A"] == ((2.0, 0.0), (0.0, 1.0))
    assert np.isfinite(next(frames)["A_inverse"]).all()
    frames.close()
    # without 'show A⁻¹' a singular matrix is simply drawn (the plane collapses)
    frame = full_map_frame(map="custom", A=[[1, 1], [1, 1]])
    assert frame["det"] == 0.0 and "singular" in frame["status"]


def test_iterate_draws_powers_and_the_orbit_of_x():
    A = [[0.9, -0.3], [0.3, 0.9]]
    exp = LinearMaps2D({"map": "custom", "A": A, "animate": "iterate"})
    frames = pull(exp, 6)
    for frame in frames:
        t = frame["power"]
        np.testing.assert_allclose(frame["A_shown"], np.linalg.matrix_power(A, t), atol=1e-14)
        orbit = frame["orbit"]
        assert orbit.shape == (t + 1, 2)
        np.testing.assert_allclose(orbit[-1], np.linalg.matrix_power(A, t) @ [1.0, 2.0])


def test_sweep_of_s_y_collapses_the_plane_to_a_line():
    exp = LinearMaps2D({"map": "scaling", "animate": "sweep"})
    dets = [f["det"] for f in pull(exp, 62, speed=1)]
    assert dets[0] == pytest.approx(2 * 0.5)
    assert min(dets) == pytest.approx(0.0, abs=1e-12)  # at step 60: s_y cos(π/2) = 0


# -- ch1.ellipse-iteration -----------------------------------------------------------------
@pytest.mark.parametrize("theta", [0.7, GOLDEN_ANGLE, 2.0])
def test_conjugated_rotation_has_det_1_trace_2cos_and_unit_eigenvalues(theta):
    A = ellipse_matrix(2.0, 1.0, theta)
    assert np.linalg.det(A) == pytest.approx(1.0)
    assert np.trace(A) == pytest.approx(2 * math.cos(theta))
    lam = np.sort_complex(np.linalg.eigvals(A))
    expected = np.sort_complex(np.array([np.exp(1j * theta), np.exp(-1j * theta)]))
    np.testing.assert_allclose(lam, expected, atol=1e-12)
    frame = pull(EllipseIteration({"theta": theta}), 1)[0]
    assert frame["det"] == pytest.approx(1.0) and frame["trace"] == pytest.approx(
        frame["two_r_cos"])
    assert frame["eig_modulus"] == pytest.approx(1.0)


def test_iterates_follow_the_closed_form_and_stay_on_the_ellipse():
    a, b, theta = 2.0, 1.0, GOLDEN_ANGLE
    frame = run_to_end(EllipseIteration({"a": a, "b": b, "theta": theta, "T": 2000}), 2000)
    pts = frame["points"]
    t = np.arange(len(pts))
    assert len(pts) == 2001
    closed = np.stack([a * np.cos(t * theta), b * np.sin(t * theta)], axis=1)
    np.testing.assert_allclose(pts, closed, atol=1e-11)  # accumulated round-off only
    assert frame["max_residual"] < 1e-12


def test_radial_factor_moves_the_orbit_to_level_r_to_the_2t():
    a, b, r = 1.5, 0.8, 1.02
    pts = run_to_end(EllipseIteration({"a": a, "b": b, "r": r, "T": 300}), 300)["points"]
    t = np.arange(len(pts))
    level = (pts[:, 0] / a) ** 2 + (pts[:, 1] / b) ** 2
    np.testing.assert_allclose(level, r ** (2 * t), rtol=1e-12)


@pytest.mark.parametrize(("p", "q"), [(1, 7), (2, 7), (3, 10), (2, 6), (5, 12)])
def test_rational_angle_gives_a_periodic_orbit_of_the_reduced_period(p, q):
    period = q // math.gcd(p, q)
    frame = run_to_end(EllipseIteration({"snap": True, "p": p, "q": q, "T": 3 * q}), 3 * q)
    pts = frame["points"]
    assert frame["period"] == period
    np.testing.assert_allclose(pts[period], pts[0], atol=1e-12)
    np.testing.assert_allclose(pts[2 * period], pts[0], atol=1e-12)
    gaps = np.linalg.norm(pts[1:period] - pts[0], axis=1)
    assert (gaps > 1e-6).all()  # no earlier return


def test_irrational_phases_flatten_towards_uniform():
    flat = []
    for T in (100, 1000, 10_000):
        flat.append(run_to_end(EllipseIteration({"T": T}), T)["flatness"])
    # the golden angle's discrepancy decays like (log N)/N: each tenfold T cuts the
    # worst bin's excess by well over a factor 3
    assert flat[1] < flat[0] / 3 and flat[2] < flat[1] / 3
    assert flat[2] < 0.01


# -- ch1.affine-iteration-toy --------------------------------------------------------------
def test_fixed_point_solves_x_equals_ax_plus_b():
    for r, theta in ((0.9, 30.0), (1.1, 75.0), (0.5, 200.0)):
        A = r * la.rotation(math.radians(theta))
        b = np.array([1.0, -0.4])
        star = fixed_point(A, b)
        np.testing.assert_allclose(A @ star + b, star, atol=1e-14)


@pytest.mark.parametrize("r", [0.8, 1.0, 1.15])
def test_every_error_scales_exactly_like_r_to_the_t(r):
    exp = AffineIteration({"r": r, "theta": 50.0, "n_points": 20, "T": 40, "seed": 4})
    frames = pull(exp, 41)
    first = frames[0]
    star = fixed_point(first["A"], np.array([1.0, 0.5]))
    e0 = np.linalg.norm(first["x"] - star, axis=1)
    for frame in frames[1:]:
        t = frame["t_step"]
        et = np.linalg.norm(frame["x"] - star, axis=1)
        np.testing.assert_allclose(et, r**t * e0, rtol=1e-9)
    np.testing.assert_allclose(frames[-1]["error"], frames[-1]["error_exact"], rtol=1e-9)


def test_contraction_bound_with_the_time_dependent_schedule():
    exp = AffineIteration({"r": 0.95, "schedule": "time-dependent", "beta": 0.5, "T": 50})
    frames = pull(exp, 51)
    errs = frames[-1]["error"]
    assert np.isnan(frames[-1]["error_exact"]).all()
    assert errs[-1] < errs[0] * 0.95**50  # contracts at least like ρ = r


def test_no_fixed_point_is_refused_naming_r():
    with pytest.raises(ParamError) as info:
        AffineIteration({"r": 1.0, "theta": 0.0})
    assert info.value.name == "r" and "singular" in info.value.message
