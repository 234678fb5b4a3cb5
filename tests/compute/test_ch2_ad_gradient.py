"""ch2.ad-gradient-check: the AD gradient of k and its variants against derivations by hand."""

import numpy as np
import pytest

import compute
from compute.experiments.ch2_ad_gradient import VARIANTS

EXP = compute.get("ch2.ad-gradient-check")
BASE, SIN, EXP_TERM = VARIANTS


def by_hand(variant, x, y, z):
    """Example 2.1.2 and Exercise 2.1.1, derived independently here."""
    g = np.array([2 * x * y, x * x + z, y + 3 * z * z])
    if variant == SIN:
        g[2] = y + 3 * z * z * np.cos(z**3)
    if variant == EXP_TERM:
        g += [np.exp(y), x * np.exp(y), 0.0]
    return g


def test_default_point_gives_4_4_29():
    frame = next(EXP().frames())
    np.testing.assert_array_equal(frame["grad_ad"], [4.0, 4.0, 29.0])
    np.testing.assert_array_equal(frame["grad_exact"], [4.0, 4.0, 29.0])


@pytest.mark.parametrize("variant", [BASE, SIN, EXP_TERM])
def test_ad_gradient_matches_the_derivation_at_random_points(variant):
    exp = EXP({"variant": variant})
    rng = np.random.default_rng(7)
    for point in rng.uniform(-2, 2, (25, 3)):
        g_ad, g_fd, _ = exp.gradients(point)
        want = by_hand(variant, *point)
        scale = np.abs(want).max()
        assert np.abs(g_ad - want).max() <= 1e-12 * scale
        assert np.abs(g_fd - want).max() <= 1e-6 * max(scale, 1.0)


def test_float32_is_accurate_to_single_precision_round_off():
    exp = EXP({"dtype": "float32"})
    rng = np.random.default_rng(3)
    for point in rng.uniform(-2, 2, (20, 3)).astype(np.float32).astype(float):
        g_ad, _, g = exp.gradients(point)
        assert np.abs(g_ad - by_hand(BASE, *point)).max() <= 2e-6 * np.abs(g).max()


def test_play_records_random_checks_at_round_off():
    exp = EXP({"checks_per_frame": 20})
    frames = exp.frames()
    for _ in range(3):
        frame = next(frames)
    assert len(frame["check_ad"]) == 60
    assert frame["check_ad"].max() < 1e-14 and np.median(frame["check_fd"]) < 1e-8


def test_slice_arrows_are_the_gradient_on_the_slice():
    frame = next(EXP().frames())
    xs, ys = frame["arrow_x"], frame["arrow_y"]
    X, Y = np.meshgrid(xs, ys)
    np.testing.assert_allclose(frame["arrow_u"], 2 * X * Y, atol=1e-12)
    np.testing.assert_allclose(frame["arrow_v"], X * X + 3.0, atol=1e-12)
