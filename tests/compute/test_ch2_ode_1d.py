"""ch2.ode-1d-explicit (Exercise 2.2.1): ẋ = f(t) against its closed forms."""

import math

import numpy as np
import pytest

from compute import Diverged, checked_frames
from compute.experiments.ch2_ode_1d import Ode1DExplicit, explicit_solution


def last(params, speed=100):
    exp = Ode1DExplicit(params)
    exp.set_steps_per_frame(speed)
    return list(checked_frames(exp))[-1]


@pytest.mark.parametrize("case", ["sin", "exp"])
@pytest.mark.parametrize("a", [-2.0, -0.5, 0.0, 1.0])
def test_closed_form_solves_the_ode_including_a_equal_zero(case, a):
    t = np.linspace(0, 3, 30001)
    x = explicit_solution(case, a, 0.7, t)
    f = np.sin(a * t) if case == "sin" else np.exp(a * t)
    assert x[0] == 0.7
    np.testing.assert_allclose(np.gradient(x, t)[1:-1], f[1:-1], atol=1e-6)
    if a == 0:  # the limits: x₀ for sin(0·t) = 0, x₀ + t for exp(0·t) = 1
        np.testing.assert_allclose(x, 0.7 if case == "sin" else 0.7 + t, atol=1e-15)


@pytest.mark.parametrize(("integrator", "ratio"), [("euler", 2.0), ("rk4", 16.0)])
def test_halving_dt_divides_the_error_by_two_to_the_order(integrator, ratio):
    errs = [last({"integrator": integrator, "dt": dt, "T": 5.0, "a": 1.3})["err_now"]
            for dt in (0.1, 0.05)]
    assert errs[0] / errs[1] == pytest.approx(ratio, rel=0.1)


def test_case_one_stays_between_x0_and_x0_plus_2_over_a():
    fr = last({"a": 1.5, "x0": 0.5, "T": 20.0, "integrator": "rk4"})
    assert fr["x_hist"].min() >= 0.5 - 1e-9 and fr["x_hist"].max() <= 0.5 + 2 / 1.5 + 1e-9
    assert (fr["bound_low"], fr["bound_high"]) == pytest.approx((0.5, 0.5 + 2 / 1.5))


def test_case_two_with_negative_a_approaches_x0_plus_one_over_abs_a():
    fr = last({"case": "exp", "a": -2.0, "x0": 1.0, "T": 20.0, "integrator": "adaptive"})
    assert fr["x"] == pytest.approx(1.5, abs=1e-8) and fr["bound_high"] == 1.5
    assert fr["err_hist"][1:].max() < 1e-7


def test_exponential_growth_stops_with_its_cause():
    with pytest.raises(Diverged, match="grow like exp"):
        last({"case": "exp", "a": 3.0, "T": 20.0})
    assert math.isnan(last({"case": "exp", "a": 1.0, "T": 2.0})["bound_high"])


# -- autonomous ẋ = f(x) (Exercise 2.2.2) -------------------------------------------------
from compute.experiments.ch2_ode_1d import (  # noqa: E402
    Ode1DAutonomous,
    exp_solution,
    sin_solution,
    stable_fixed_points,
)


def auto_last(params, speed=1000):
    exp = Ode1DAutonomous(params)
    exp.set_steps_per_frame(speed)
    frames = list(checked_frames(exp))
    return exp, frames[-1]


@pytest.mark.parametrize("a", [1.0, -1.5])
def test_sin_case_matches_separation_of_variables_and_stays_in_its_basin(a):
    exp, fr = auto_last({"a": a, "n_ic": 24, "T": 6.0})
    x0 = exp.x0
    np.testing.assert_allclose(fr["x"], sin_solution(a, x0, 6.0), atol=1e-8)
    stable, unstable = stable_fixed_points(a, -10, 10)
    # f'(kπ/a) = a(−1)^k: for a > 0 the odd multiples of π/a are stable
    assert np.allclose(np.round(stable * a / np.pi) % 2, 1 if a > 0 else 0)
    for row, start in zip(fr["x_hist"], x0, strict=True):
        walls = np.sort(np.concatenate([stable, unstable]))
        lo = walls[walls <= start + 1e-12].max()
        hi = walls[walls >= start - 1e-12].min()
        assert row.min() >= lo - 1e-9 and row.max() <= hi + 1e-9  # never crosses
    target = stable[np.argmin(np.abs(fr["x"][:, None] - stable[None]), axis=1)]
    moved = ~np.isin(np.round(x0 * a / np.pi, 9), np.round(unstable * a / np.pi, 9))
    assert np.all(np.abs(fr["x"] - target)[moved] < 0.05)


def test_exp_case_blows_up_at_exp_minus_a_x0_over_a():
    exp, fr = auto_last({"case": "exp", "a": 1.0, "n_ic": 21, "T": 10.0, "dt": 1e-3},
                        speed=5000)
    t_star = np.exp(-exp.x0)
    hit = np.isfinite(fr["t_star"])
    np.testing.assert_array_equal(hit, t_star < 10.0)
    # x reaches X_MAX = 50 a negligible e^{−50} before t*; the step adds at most 2 dt
    np.testing.assert_allclose(fr["t_star"][hit], t_star[hit], rtol=1e-3, atol=2e-3)
    ok = ~hit
    np.testing.assert_allclose(fr["x"][ok], exp_solution(1.0, exp.x0[ok], 10.0), rtol=1e-6)


def test_classifier_sends_positive_starts_to_one_and_negative_to_minus_one():
    exp, fr = auto_last({"case": "classifier", "n_ic": 20, "T": 20.0, "dt": 0.01})
    np.testing.assert_allclose(fr["x"], np.sign(exp.x0), atol=1e-6)


def test_tracking_the_moving_boundary_degrades_as_omega_grows():
    errors = []
    for omega in (0.3, 4.0):
        exp, _ = auto_last({"case": "moving", "omega": omega, "A": 1.0, "n_ic": 20,
                            "T": 20.0, "dt": 0.01}, speed=500)
        errors.append(exp.tracking_error())
    # slow: the particles follow c(t) ± 1 with a small lag; fast: they feel the averaged
    # field x(1 − 3A²/2) − x³, whose only stable point for A = 1 is 0, and lose the class
    assert errors[0] < 0.3 and errors[1] > 0.7


def test_the_trajectories_over_the_sign_map_rise_where_f_is_positive():
    """ẋ = f(t, x): every drawn path goes up where the sign map is +1 and down where it is
    −1 (checked at step midpoints away from the boundary f = 0), and the paths are the
    fan's trajectories."""
    exp, fr = auto_last({"case": "moving", "omega": 1.0, "A": 0.5, "n_ic": 9, "T": 6.0,
                         "dt": 0.01}, speed=20)
    paths = fr["sign_paths"]
    assert paths.shape == (9, len(fr["t_hist"]), 2)
    np.testing.assert_array_equal(paths[..., 0], np.tile(fr["t_hist"], (9, 1)))
    np.testing.assert_array_equal(paths[..., 1], fr["x_hist"])
    t, x = paths[..., 0], paths[..., 1]
    tm, xm = (t[:, 1:] + t[:, :-1]) / 2, (x[:, 1:] + x[:, :-1]) / 2
    f = exp._f(xm, tm)
    sure = np.abs(f) > 0.05
    assert sure.mean() > 0.5
    np.testing.assert_array_equal(np.sign(np.diff(x, axis=1))[sure], np.sign(f)[sure])
