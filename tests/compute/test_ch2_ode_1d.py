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
