"""ch2.time-ordered-exponential: commuting and non-commuting A(t), against closed forms."""

import math

import numpy as np
import pytest

from compute import checked_frames
from compute.experiments.ch2_time_ordered import (
    TimeOrderedExponential,
    a_of_t,
    commutator_norms,
    integral_of_a,
    rotation,
    second_order_truncation,
)
from compute.linalg2d import expm2


def final(params, speed=500):
    exp = TimeOrderedExponential(params)
    exp.set_steps_per_frame(speed)
    return list(checked_frames(exp))[-1]


def test_the_books_a_commutes_and_the_parametric_oscillator_does_not():
    assert commutator_norms("rotation", 0.5, 1.0, 8.0).max() == 0.0
    assert commutator_norms("exercise", 0.0, 0.0, 8.0).max() == 0.0
    # [A(t₁), A(t₂)] = diag(k₁ − k₂, k₂ − k₁): Frobenius norm √2|k₁ − k₂|
    C = commutator_norms("parametric", 0.5, 1.0, 8.0, n=50)
    t = np.linspace(0, 8, 50)
    k = 1 + 0.5 * np.sin(t)
    np.testing.assert_allclose(C, math.sqrt(2) * np.abs(k[None, :] - k[:, None]), atol=1e-12)


@pytest.mark.parametrize("system", ["rotation", "parametric", "stretch", "exercise"])
def test_integral_of_a_matches_quadrature(system):
    t = np.linspace(0, 5, 20001)
    A = a_of_t(system, 0.7, 1.3, t)
    trapezoid = (A[1:] + A[:-1]).sum(axis=0) * (t[1] - t[0]) / 2
    np.testing.assert_allclose(integral_of_a(system, 0.7, 1.3, 5.0), trapezoid, atol=1e-6)


def test_rk4_agrees_with_the_naive_rotation_for_the_books_example():
    fr = final({"integrator": "rk4", "dt": 0.01})
    theta = 8.0 + 0.5 * (1 - math.cos(8.0))  # θ(t) = t + 0.5(1 − cos t)
    np.testing.assert_allclose(fr["x"], rotation(theta) @ [1.0, 0.0], atol=1e-8)
    assert fr["gap_hist"][1:].max() < 1e-8


def test_euler_gap_is_discretisation_error_radius_grows_by_the_exact_product():
    gaps = [final({"dt": dt})["gap_now"] for dt in (0.002, 0.001)]
    assert gaps[0] / gaps[1] == pytest.approx(2.0, rel=0.02)  # O(dt)
    fr = final({"dt": 0.001})
    t = np.arange(8000) * 0.001  # Euler uses ω at the start of each step
    radius = np.prod(np.sqrt(1 + ((1 + 0.5 * np.sin(t)) * 0.001) ** 2))
    assert np.linalg.norm(fr["x"]) == pytest.approx(radius, rel=1e-10)


def test_non_commuting_gap_does_not_shrink_with_dt():
    gaps = [final({"system": "parametric", "integrator": "rk4", "dt": dt})["gap_now"]
            for dt in (0.01, 0.005)]
    assert gaps[0] > 0.05 and gaps[1] == pytest.approx(gaps[0], rel=1e-3)


def test_exercise_2_3_4_rotation_by_t2_over_2_and_its_truncation():
    fr = final({"system": "exercise", "integrator": "expm-product", "dt": 0.001, "T": 3.0})
    np.testing.assert_allclose(fr["x"], rotation(4.5) @ [1.0, 0.0], atol=1e-5)
    # I + (T²/2)J − (T⁴/8)I is the Taylor polynomial of the rotation by T²/2 to second
    # order in T²: it agrees for small T and departs as T grows
    diffs = [np.linalg.norm(second_order_truncation(T) - rotation(T * T / 2), 2)
             for T in (0.1, 0.5, 1.0, 2.0)]
    assert diffs[0] < 1e-5 and np.all(np.diff(diffs) > 0)


def test_closed_form_2x2_exponential_matches_its_series():
    for M in (np.zeros((2, 2)), np.array([[0.0, -2.0], [2.0, 0.0]]),
              np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([[0.3, 1.0], [0.0, 0.3]])):
        series = sum(np.linalg.matrix_power(M, k) / math.factorial(k) for k in range(40))
        np.testing.assert_allclose(expm2(M), series, rtol=1e-12, atol=1e-14)
