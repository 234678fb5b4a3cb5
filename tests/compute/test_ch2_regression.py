"""ch2.regression-ode and ch2.regression-ode-exercise (Example 2.2.1, Exercise 2.2.3)."""

import numpy as np
import pytest

import compute
from compute import ParamError
from compute import ode_regression as reg

ITEM21 = compute.get("ch2.regression-ode")
ITEM22 = compute.get("ch2.regression-ode-exercise")
T = np.arange(51) * 0.1
SIN = reg.Forcing(1.0, 0.0, 1.0)
COS2 = reg.Forcing(0.0, 1.0, 2.0)


def exact21(t):
    return 1.2 * np.exp(-2 * t) + (2 * np.sin(t) - np.cos(t)) / 5


def exact22(t):
    return 23 / 13 * np.exp(-3 * t) + (3 * np.cos(2 * t) + 2 * np.sin(2 * t)) / 13


def derivative(f, t, h=1e-5):
    return (f(t + h) - f(t - h)) / (2 * h)


def test_corrected_solution_solves_the_ode_and_eq_2_6_does_not():
    t = np.linspace(0, 5, 101)
    np.testing.assert_allclose(reg.forced_solution(t, 2.0, 1.0, 1.0, SIN), exact21(t),
                               atol=1e-15)
    assert exact21(0.0) == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(derivative(exact21, t), -2 * exact21(t) + np.sin(t), atol=1e-9)
    book = reg.book_eq_2_6
    assert abs(book(0.0) - 1.0) > 0.1
    residual = derivative(book, t) - (-2 * book(t) + np.sin(t))
    assert np.abs(residual).max() > 0.1
    # what eq. 2.6 does solve
    forcing = (4 * np.sin(t) - 3 * np.cos(t)) / np.sqrt(5)
    np.testing.assert_allclose(derivative(book, t), -2 * book(t) + forcing, atol=1e-9)


def test_exercise_solution_solves_its_ode():
    t = np.linspace(0, 5, 101)
    np.testing.assert_allclose(reg.forced_solution(t, 3.0, 2.0, 1.0, COS2), exact22(t),
                               atol=1e-15)
    np.testing.assert_allclose(derivative(exact22, t), -3 * exact22(t) + np.cos(2 * t),
                               atol=1e-9)
    assert exact22(0.0) == pytest.approx(2.0, abs=1e-15)


def test_notebook_preset_is_deterministic_and_lands_far_below_gamma_2():
    params = {"truth": "book eq. 2.6", "sigma": 0.5, "seed": 123}
    a, b = next(ITEM21(params).frames()), next(ITEM21(params).frames())
    np.testing.assert_array_equal(a["x_data"], b["x_data"])
    rng = np.random.default_rng(123)  # the notebook's generator and single draw
    np.testing.assert_array_equal(a["x_data"], reg.book_eq_2_6(T) + rng.normal(0, 0.5, 51))
    assert a["gamma_derivative"] < 1.0


@pytest.mark.parametrize(("g", "truth", "gamma"), [(SIN, exact21, 2.0), (COS2, exact22, 3.0)])
def test_noise_free_both_recover_gamma_and_c_the_integral_form_much_closer(g, truth, gamma):
    x = truth(T)
    gd, cd = reg.derivative_ls(T, x, g)
    x0, gi, ci = reg.integral_ls(T, x, g)
    assert abs(gd - gamma) < 0.1 * gamma and abs(cd - 1) < 0.1
    assert abs(gi - gamma) < 0.01 * gamma and abs(ci - 1) < 0.01
    assert abs(gi - gamma) < 0.2 * abs(gd - gamma)
    assert x0 == pytest.approx(x[0], abs=0.01)


def mean_estimates(g, truth, sigma, draws=300, seed=0):
    rng = np.random.default_rng(seed)
    x_true = truth(T)
    d, i = [], []
    for _ in range(draws):
        x = x_true + rng.normal(0, sigma, len(T))
        d.append(reg.derivative_ls(T, x, g)[0])
        i.append(reg.integral_ls(T, x, g)[1])
    return np.mean(d), np.mean(i)


@pytest.mark.parametrize(("g", "truth", "gamma"), [(SIN, exact21, 2.0), (COS2, exact22, 3.0)])
def test_derivative_ls_collapses_toward_zero_while_integral_ls_degrades_slowly(g, truth, gamma):
    means = [mean_estimates(g, truth, s) for s in (0.1, 0.5, 1.0)]
    deriv = [m[0] for m in means]
    integ = [m[1] for m in means]
    assert deriv[0] > deriv[1] > deriv[2] and deriv[2] < 0.2 * gamma
    assert all(i > d for i, d in zip(integ, deriv, strict=True))
    assert integ[1] > 0.5 * gamma
    # the errors-in-variables limit γ₀·S/(S + σ²) predicts the derivative-LS mean
    gamma0 = reg.derivative_ls(T, truth(T), g)[0]
    model = reg.attenuated_gamma(T, truth(T), g, gamma0, np.array([0.1, 0.5]))
    np.testing.assert_allclose(deriv[:2], model, rtol=0.15)


def test_polynomial_rmse_grows_in_proportion_to_sigma():
    """Least squares with d + 1 coefficients leaves an in-sample RMSE of σ√((d + 1)/N)."""
    rng = np.random.default_rng(5)
    x_true = exact21(T)
    for sigma in (0.2, 0.8):
        rmse = []
        for _ in range(200):
            x = x_true + rng.normal(0, sigma, len(T))
            fit = np.polynomial.Polynomial.fit(T, x, 7)(T)
            rmse.append(np.sqrt(np.mean((fit - x_true) ** 2)))
        assert np.sqrt(np.mean(np.square(rmse))) == pytest.approx(sigma * np.sqrt(8 / 51),
                                                                  rel=0.1)


def test_extrapolation_polynomial_explodes_ode_fit_stays_bounded():
    frame = next(ITEM21({"horizon": 15.0, "sigma": 0.1, "start": "fitted x0"}).frames())
    grid = frame["grid"]
    poly = np.polynomial.Polynomial.fit(frame["t_data"], frame["x_data"], 7)
    assert abs(poly(15.0)) > 1e3
    late = grid > 5
    assert np.abs(frame["recon_integral"][late]).max() < 1.0
    assert frame["rmse_poly_out"] > 100 * frame["rmse_integral_out"]
    assert np.all(np.isnan(frame["poly_curve"][grid > 14]))  # drawn only near the data


def test_notebook_reconstruction_starts_at_the_first_noisy_sample():
    frame = next(ITEM21().frames())
    assert frame["recon_derivative"][0] == frame["x_data"][0] != exact21(0.0)
    fitted = next(ITEM21({"start": "fitted x0"}).frames())
    assert fitted["recon_integral"][0] == pytest.approx(fitted["x0_integral"])


def test_rk4_reconstruction_matches_the_closed_form():
    t, x = reg.integrate(2.0, 1.0, SIN, 1.0, 5.0, 0.1, "rk4")
    np.testing.assert_allclose(x, exact21(t), atol=1e-5)
    t, x = reg.integrate(2.0, 1.0, SIN, 1.0, 5.0, 0.1, "euler")
    assert 1e-3 < np.abs(x - exact21(t)).max() < 0.1  # first order: visibly off


def test_exercise_table_and_refinement():
    exp = ITEM22({"sigma": 0.1})
    frames = exp.frames()
    frame = next(frames)
    table = frame["table"]  # rows: derivative, integral, Savitzky–Golay; columns σ = 0 … 1
    assert abs(table[1, 0] - 3) < abs(table[0, 0] - 3) < 0.3
    assert abs(table[2, 0] - 3) < abs(table[0, 0] - 3)
    assert np.all(np.diff(table[0]) < 0) and table[0, -1] < 1.0
    assert np.all(table[1] > table[0]) and np.all(table[2] > table[0])
    for _ in range(30):  # the first frame drew the data; then one iteration per frame
        frame = next(frames)
    J, gammas = frame["refine_mismatch"], frame["refine_gamma"]
    assert len(J) == 30 and np.all(np.diff(J) <= 1e-12)
    assert abs(gammas[-1] - 3) < 0.2 and abs(gammas[-1] - 3) <= abs(gammas[0] - 3)
    # golden section: the final bracket is 0.618^30 of the start, so the best γ is J's minimiser
    grid = np.linspace(gammas[-1] - 0.05, gammas[-1] + 0.05, 201)
    values = [reg.mismatch_given_gamma(exp.t, exp.data, exp.forcing, g)[0] for g in grid]
    assert grid[int(np.argmin(values))] == pytest.approx(gammas[-1], abs=1e-3)


def test_too_few_samples_for_the_degree_is_refused():
    with pytest.raises(ParamError) as info:
        ITEM21({"T": 1.0, "dt": 0.5, "degree": 7})
    assert info.value.name == "degree"


def test_an_extrapolating_curve_is_cut_where_it_first_leaves_the_range():
    curve = np.array([0.0, 1.0, 5.0, 0.5, 0.2])
    out = reg.until_it_leaves(curve, 2.0)
    np.testing.assert_array_equal(out[:2], curve[:2])
    assert np.all(np.isnan(out[2:]))


def test_savitzky_golay_is_exact_for_polynomials_up_to_its_order():
    """A least-squares polynomial of order p reproduces any polynomial of degree ≤ p, so the
    smoothed value and the slope are exact, at the ends too; central differences are not
    (their error on a cubic is Δt²/6·x‴ inside)."""
    t = np.arange(31) * 0.1
    x = 2 - t + 0.5 * t**2 - 0.3 * t**3
    xd = -1 + t - 0.9 * t**2
    smooth, slope = reg.savgol_smooth(t, x, 7, 3)
    np.testing.assert_allclose(smooth, x, atol=1e-10)
    np.testing.assert_allclose(slope, xd, atol=1e-10)
    inner = reg.central_derivative(t, x)[1:-1] - xd[1:-1]
    np.testing.assert_allclose(inner, 0.01 / 6 * (-1.8), atol=1e-12)
    _, slope2 = reg.savgol_smooth(t, x, 7, 2)  # order 2 < degree 3: no longer exact
    assert np.abs(slope2 - xd).max() > 1e-3


def test_savitzky_golay_noise_is_the_filter_norm_and_value_and_slope_are_uncorrelated():
    """On pure noise the smoothed value and the slope inside are linear filters h₀, h₁ of
    the samples: variances σ²‖h₀‖², σ²‖h₁‖² (far below central differences' σ²/(2Δt²)),
    and h₀ even, h₁ odd make them uncorrelated."""
    from scipy.signal import savgol_coeffs

    dt, sigma = 0.1, 0.5
    h0, h1 = savgol_coeffs(11, 3), savgol_coeffs(11, 3, deriv=1, delta=dt)
    assert abs(h0 @ h1) < 1e-12
    assert np.linalg.norm(h1) < 0.5 / (np.sqrt(2) * dt)
    t = np.arange(400) * dt
    noise = np.random.default_rng(3).normal(0, sigma, (50, len(t)))
    parts = [reg.savgol_smooth(t, row, 11, 3) for row in noise]
    value = np.concatenate([v[5:-5] for v, _ in parts])
    slope = np.concatenate([s[5:-5] for _, s in parts])
    assert np.var(value) == pytest.approx(sigma**2 * h0 @ h0, rel=0.1)
    assert np.var(slope) == pytest.approx(sigma**2 * h1 @ h1, rel=0.1)
    assert abs(np.corrcoef(value, slope)[0, 1]) < 0.05


@pytest.mark.parametrize(("g", "truth", "gamma"), [(SIN, exact21, 2.0), (COS2, exact22, 3.0)])
def test_savitzky_golay_ls_sits_above_the_difference_ls_as_its_attenuation_predicts(
        g, truth, gamma):
    """Noise-free, the local cubic beats the differences' Δt² truncation; with noise the
    regressor carries variance σ²‖h₀‖² instead of σ² (and is uncorrelated with the slope),
    so the errors-in-variables limit γ₀·S/(S + σ²‖h₀‖²) predicts the mean."""
    from scipy.signal import savgol_coeffs

    x_true = truth(T)
    gd0 = reg.derivative_ls(T, x_true, g)[0]
    gs0, cs0 = reg.savgol_ls(T, x_true, g, 11, 3)
    assert abs(gs0 - gamma) < abs(gd0 - gamma) and abs(cs0 - 1) < 0.05
    rng = np.random.default_rng(0)
    norm0 = np.linalg.norm(savgol_coeffs(11, 3))
    for sigma in (0.1, 0.3):  # (larger σ: the ratio estimator's heavy tails need many draws)
        draws = [x_true + rng.normal(0, sigma, len(T)) for _ in range(150)]
        mean_s = np.mean([reg.savgol_ls(T, x, g, 11, 3)[0] for x in draws])
        mean_d = np.mean([reg.derivative_ls(T, x, g)[0] for x in draws])
        model = reg.attenuated_gamma(T, x_true, g, gs0, np.array([sigma * norm0]))[0]
        assert mean_s == pytest.approx(model, rel=0.12)
        assert mean_s > mean_d


@pytest.mark.parametrize(("params", "name"), [({"sg_window": 10}, "sg_window"),
                                              ({"sg_window": 5, "sg_order": 5}, "sg_order"),
                                              ({"T": 1.0, "dt": 0.2, "degree": 1,
                                                "sg_window": 7}, "sg_window")])
def test_bad_savitzky_golay_settings_are_refused(params, name):
    with pytest.raises(ParamError) as info:
        ITEM21(params)
    assert info.value.name == name


def test_the_frame_carries_the_savitzky_golay_fit_beside_the_others():
    frame = next(ITEM21({"sigma": 0.0}).frames())
    gs, cs = reg.savgol_ls(T, exact21(T), SIN, 11, 3)
    assert (frame["gamma_savgol"], frame["c_savgol"]) == pytest.approx((gs, cs))
    assert np.all(np.isfinite(frame["recon_savgol"]))
    assert frame["cloud_savgol"][-1] == pytest.approx(gs)
