"""ch2.ad-1d-derivative: AD on a grid vs the closed form, and the finite-difference U-curve."""

import numpy as np
import pytest

import compute
from compute import autodiff as ad
from compute.experiments.ch2_ad_1d import SWEEP_EPS, f_numpy, f_traced

EXP = compute.get("ch2.ad-1d-derivative")


def exact_derivative(x):
    return np.exp(-x * x / 5) * (np.cos(x) - 0.4 * x * np.sin(x))


@pytest.mark.parametrize(("dtype", "tol"), [("float32", 8 * 2.0**-24), ("float64", 4 * 2.0**-53)])
def test_ad_equals_the_closed_form_to_round_off(dtype, tol):
    exp = EXP({"dtype": dtype, "n_points": 801})
    frame = exp.frame(0)
    x = frame["x"]
    # round-off relative to the sizes of the terms cos x·g and (2x/5) sin x·g
    scale = np.exp(-x * x / 5) * (1 + 0.4 * np.abs(x))
    assert np.all(np.abs(frame["df_ad"] - exact_derivative(x)) <= tol * scale * 4)
    assert frame["df_ad"].dtype == np.float64 and exp.df_ad.dtype == np.dtype(dtype)


def test_f_is_odd_and_its_ad_derivative_even():
    tape = ad.trace(f_traced, ("x",))
    x = np.linspace(0.0, 6.0, 301)
    f_pos, (d_pos,) = tape.gradient([x])
    f_neg, (d_neg,) = tape.gradient([-x])
    np.testing.assert_allclose(f_neg, -f_pos, rtol=0, atol=1e-16)
    np.testing.assert_allclose(d_neg, d_pos, rtol=0, atol=1e-16)


def test_agrees_with_torch_autograd_with_grad_outputs_ones():
    torch = pytest.importorskip("torch")
    x = torch.linspace(-6, 6, 400, dtype=torch.float64, requires_grad=True)
    y = torch.sin(x) * torch.exp(-x**2 / 5)
    (g,) = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y))
    tape = ad.trace(f_traced, ("x",))
    np.testing.assert_allclose(tape.gradient([x.detach().numpy()])[1][0], g.numpy(),
                               rtol=1e-13, atol=1e-15)


def sweep_errors(dtype):
    exp = EXP({"dtype": dtype, "frames_per_eps": 1})
    frame = None
    for tick in range(len(SWEEP_EPS)):
        frame = exp.frame(tick)
    return exp, frame


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_finite_difference_errors_form_a_u_with_bottoms_near_sqrt_u_and_cbrt_u(dtype):
    exp, frame = sweep_errors(dtype)
    eps, fwd, cen = frame["sweep_eps"], frame["sweep_forward"], frame["sweep_central"]
    u = exp.unit
    best_f, best_c = eps[np.argmin(fwd)], eps[np.argmin(cen)]
    # the bottoms of ε|f″|/2 + u|f|/ε and ε²|f‴|/6 + u|f|/ε: √u and u^(1/3) up to O(1) factors
    assert 0.1 < best_f / np.sqrt(u) < 30
    assert 0.1 < best_c / np.cbrt(u) < 30
    assert cen.min() < fwd.min()
    # both arms rise: large ε (truncation) and small ε (round-off) are worse than the bottom
    assert fwd[-1] > 100 * fwd.min() and fwd[0] > 100 * fwd.min()
    # the AD error does not depend on ε at all, and sits at round-off
    assert np.ptp(frame["sweep_ad"]) == 0 and frame["sweep_ad"][0] < 10 * u


def test_truncation_arm_follows_eps_f2_over_2_and_round_off_arm_u_f_over_eps():
    x = np.linspace(-6, 6, 401)
    f2_max = np.abs(np.gradient(exact_derivative(np.linspace(-6, 6, 200001)),
                                12 / 200000)).max()
    for eps in (1e-2, 3e-2):
        fwd, _ = ad.difference_quotients(f_numpy, x, eps)
        err = np.abs(fwd - exact_derivative(x)).max()
        assert err == pytest.approx(eps * f2_max / 2, rel=0.15)
    # round-off arm in float32: error × ε stays of order u·max|f| over a decade of ε
    x32 = x.astype(np.float32)
    products = []
    for eps in (1e-6, 3e-6, 1e-5):
        fwd, _ = ad.difference_quotients(f_numpy, x32, eps)
        products.append(np.abs(fwd.astype(float) - exact_derivative(x)).max() * eps)
    u = 2.0**-24
    assert all(0.1 * u < p < 30 * u for p in products)
