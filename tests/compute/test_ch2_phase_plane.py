"""Chapter 2 phase portraits: the integrators, the phase-plane mathematics, the damped
oscillator and the double wells, against closed forms, invariants and limits."""

import math

import numpy as np
import pytest

from compute import Diverged, checked_frames
from compute.experiments.ch2_double_well import (
    DoubleWellDamped,
    DoubleWellPortrait,
    forced_boundary,
    forced_field,
    turning_points,
    well_of,
)
from compute.experiments.ch2_oscillator import (
    DampedHarmonicOscillator,
    characteristic_roots,
    exact_solution,
    regime,
)
from compute.ode import integrate, stable_step
from compute.phase_plane import (
    BasinSweep,
    Trajectories,
    classify,
    find_fixed_points,
    fixed_point,
    saddle_manifolds,
)


def oscillator(omega, gamma):
    A = np.array([[0.0, 1.0], [-omega**2, -gamma]])
    return lambda y: y @ A.T


def double_well(gamma=0.0):
    return lambda y: np.stack([y[:, 1], y[:, 0] - y[:, 0] ** 3 - gamma * y[:, 1]], axis=1)


def energy_dw(y):
    y = np.atleast_2d(y)
    return 0.5 * y[..., 1] ** 2 + y[..., 0] ** 4 / 4 - y[..., 0] ** 2 / 2


def run(exp, frames):
    it = checked_frames(exp)
    try:
        return [next(it) for _ in range(frames)]
    finally:
        it.close()


# -- integrators ---------------------------------------------------------------------------
def test_euler_multiplies_the_undamped_energy_by_one_plus_omega2_dt2_per_step():
    omega, dt, n = 1.7, 0.01, 500
    ys = integrate(oscillator(omega, 0.0), [1.0, 0.3], dt, n, "euler")[:, 0]
    E = 0.5 * ys[:, 1] ** 2 + 0.5 * omega**2 * ys[:, 0] ** 2
    np.testing.assert_allclose(E[1:] / E[:-1], 1 + omega**2 * dt**2, rtol=1e-12)


@pytest.mark.parametrize(("method", "order"), [("euler", 1), ("rk4", 4), ("leapfrog", 2)])
def test_halving_the_step_divides_the_global_error_by_two_to_the_order(method, order):
    omega, gamma, T = 1.0, 0.0, 2.0
    errors = []
    for dt in (0.02, 0.01):
        n = round(T / dt)
        y = integrate(oscillator(omega, gamma), [1.0, 0.0], dt, n, method)[-1, 0]
        xe, ve = exact_solution(omega, gamma, 1.0, 0.0, np.array([T]))
        errors.append(math.hypot(y[0] - xe[0], y[1] - ve[0]))
    assert errors[0] / errors[1] == pytest.approx(2**order, rel=0.1)


def test_stable_steps_match_the_stability_regions():
    # explicit Euler on a real eigenvalue λ < 0: |1 + hλ| ≤ 1 iff h ≤ 2/|λ|
    assert stable_step("euler", np.array([[-4.0]])) == pytest.approx(0.5, rel=1e-9)
    # Euler on the damped oscillator: |1 + hλ|² ≤ 1 iff h ≤ −2 Re λ/|λ|² = γ/ω²
    assert stable_step("euler", oscillator(2.0, 0.4)(np.eye(2)).T) == pytest.approx(0.1, rel=1e-6)
    # undamped: Euler never stable, RK4 up to hω = 2√2, leapfrog up to hω = 2
    J = np.array([[0.0, 1.0], [-9.0, 0.0]])
    assert stable_step("euler", J) == 0.0
    assert stable_step("rk4", J) == pytest.approx(2 * math.sqrt(2) / 3, rel=1e-6)
    assert stable_step("leapfrog", J) == pytest.approx(2 / 3, rel=1e-6)


# -- phase-plane mathematics ---------------------------------------------------------------
@pytest.mark.parametrize(("J", "kind"), [
    ([[1, 0], [0, -1]], "saddle"), ([[0, 1], [-1, 0]], "center"),
    ([[0, 1], [-1, -0.2]], "stable spiral"), ([[0, 1], [-1, 0.2]], "unstable spiral"),
    ([[-1, 0], [0, -3]], "stable node"), ([[2, 1], [0, 1]], "unstable node"),
    ([[1, 1], [1, 1]], "degenerate"),
])
def test_fixed_points_are_classified_by_trace_and_determinant(J, kind):
    assert classify(np.array(J, dtype=float)) == kind


def test_newton_finds_the_three_fixed_points_of_the_double_well():
    fps = find_fixed_points(double_well(0.5), (-2, 2, -2, 2))
    np.testing.assert_allclose([fp.point for fp in fps], [[-1, 0], [0, 0], [1, 0]], atol=1e-9)
    assert [fp.kind for fp in fps] == ["stable spiral", "saddle", "stable spiral"]
    g = 0.5  # saddle eigenvalues −γ/2 ± √(γ²/4 + 1)
    r = math.sqrt(g * g / 4 + 1)
    np.testing.assert_allclose(sorted(fps[1].eigenvalues.real), [-g / 2 - r, -g / 2 + r],
                               rtol=1e-6)


def test_manifolds_of_a_linear_saddle_are_its_eigen_axes():
    f = lambda y: y * np.array([1.0, -1.0])  # noqa: E731
    fp = fixed_point(f, (0.0, 0.0))
    stable, unstable = saddle_manifolds(f, fp, (-1, 1, -1, 1))
    s, u = stable[np.isfinite(stable).all(1)], unstable[np.isfinite(unstable).all(1)]
    assert np.abs(s[:, 0]).max() < 1e-3 and np.ptp(s[:, 1]) > 1.8
    assert np.abs(u[:, 1]).max() < 1e-3 and np.ptp(u[:, 0]) > 1.8


def test_manifolds_of_the_undamped_double_well_lie_on_the_separatrix_e0():
    f = double_well()
    saddle = fixed_point(f, (0.0, 0.0))

    def worst_energy(ds):
        curves = saddle_manifolds(f, saddle, (-2, 2, -2, 2), n_steps=int(6 / ds), ds=ds)
        worst = 0.0
        for curve in curves:
            pts = curve[np.isfinite(curve).all(1)]
            assert pts[:, 0].max() == pytest.approx(math.sqrt(2), abs=0.02)  # the loop's tip
            worst = max(worst, np.abs(energy_dw(pts)).max())
        return worst

    coarse, fine = worst_energy(1 / 80), worst_energy(1 / 400)
    # E = 0 on the manifolds up to the tracing error, which shrinks with the step
    assert fine < 2e-5 and coarse / fine > 10


def test_backward_trajectories_follow_the_exact_solution_backwards_in_time():
    omega, gamma = 1.0, 0.3
    traj = Trajectories(oscillator(omega, gamma), (-50, 50, -50, 50), "rk4", horizon=2.0)
    traj.launch((0.5, 0.2))
    traj.step(0.01, 300)  # stops at the horizon
    xf, vf = exact_solution(omega, gamma, 0.5, 0.2, np.array([2.0]))
    xb, vb = exact_solution(omega, gamma, 0.5, 0.2, np.array([-2.0]))
    np.testing.assert_allclose(traj.states, [[xf[0], vf[0]], [xb[0], vb[0]]], atol=1e-8)
    np.testing.assert_allclose(traj.ages, 2.0)


def test_a_trajectory_that_leaves_the_region_stops_where_it_was():
    traj = Trajectories(lambda y: y, (-1, 1, -1, 1), "rk4", escape=0.0)
    traj.launch((0.5, 0.0), (1,))
    traj.step(0.1, 50)
    assert not traj.alive[0] and 0.9 < traj.states[0, 0] <= 1.0


def test_basin_map_of_the_damped_double_well_is_odd_and_complete():
    sweep = BasinSweep(double_well(0.5), (-2, 2, -2, 2), 20, 30.0, 0.02, final=well_of,
                       settled=lambda y: np.where(energy_dw(y) < -1e-9, well_of(y), np.nan))
    first = None
    while not sweep.done:
        sweep.advance()
        if first is None and sweep.level >= 1:
            first = sweep.image()
    assert np.isfinite(first).all(), "after the coarsest level the map covers the grid"
    labels = sweep.labels
    assert sweep.progress == 1.0 and set(np.unique(labels)) == {-1.0, 1.0}
    # the equation is odd in (x, v): (x₀, v₀) → (−x₀, −v₀) swaps the wells
    np.testing.assert_array_equal(labels, -labels[::-1, ::-1])
    np.testing.assert_array_equal(sweep.image(), labels)


# -- the damped harmonic oscillator --------------------------------------------------------
@pytest.mark.parametrize(("omega", "gamma"), [(1.0, 0.2), (1.0, 2.0), (1.5, 4.0)])
def test_exact_solution_solves_the_ode_in_each_regime(omega, gamma):
    t = np.linspace(0, 5, 2001)
    x, v = exact_solution(omega, gamma, 0.7, -0.4, t)
    assert (x[0], v[0]) == pytest.approx((0.7, -0.4))
    h = t[1] - t[0]
    np.testing.assert_allclose(np.gradient(x, h)[1:-1], v[1:-1], atol=1e-5)
    acc = np.gradient(v, h)[1:-1]
    np.testing.assert_allclose(acc + gamma * v[1:-1] + omega**2 * x[1:-1], 0, atol=1e-4)


@pytest.mark.parametrize("gamma", [0.2, 2.0, 4.0])
def test_rk4_run_agrees_with_the_exact_solution_over_the_horizon(gamma):
    exp = DampedHarmonicOscillator({"gamma": gamma, "omega": 1.0, "x0": 1.0, "v0": 0.5,
                                    "T": 30.0, "integrator": "rk4"})
    exp.set_steps_per_frame(100)
    frames = run(exp, 32)
    assert frames[-1]["t"] == pytest.approx(30.0)
    for fr in frames:
        xe, ve = exact_solution(1.0, gamma, 1.0, 0.5, np.array([fr["t"]]))
        assert abs(fr["x"][0] - xe[0]) < 1e-4 and abs(fr["v"][0] - ve[0]) < 1e-4
    assert frames[-1]["regime"] == regime(1.0, gamma)
    # dE/dt = −γẋ² ≤ 0: the recorded energy never rises
    assert np.all(np.diff(frames[-1]["E_hist"]) <= 1e-15)


def test_roots_collide_on_the_real_axis_at_critical_damping():
    omega = 1.3
    assert regime(omega, 2 * omega) == "critically damped"
    roots = characteristic_roots(omega, 2 * omega)
    assert roots[0] == pytest.approx(roots[1]) and roots[0].imag == 0 == roots[1].imag
    below = characteristic_roots(omega, 2 * omega - 0.1)
    np.testing.assert_allclose(np.abs(below), omega)  # on the circle |λ| = ω
    above = characteristic_roots(omega, 2 * omega + 0.1)
    assert above[0].imag == 0 and above[0].real > above[1].real


def test_undamped_energy_leapfrog_bounded_rk4_drifts_euler_grows():
    def energies(integrator, T=200.0):
        exp = DampedHarmonicOscillator({"gamma": 0.0, "integrator": integrator, "T": T,
                                        "dt": 0.05})
        exp.set_steps_per_frame(200)
        frames = run(exp, int(T / 0.05 / 200) + 1)
        return frames[-1]["t_hist"], frames[-1]["E_hist"]

    _, E = energies("leapfrog")
    err = np.abs(E - 0.5)
    half = len(err) // 2
    assert err.max() < 0.05**2  # O(dt²), and no secular drift:
    assert err[half:].max() < 1.5 * err[:half].max()
    t, E = energies("rk4")
    assert np.all(np.diff(E) < 0) and E[-1] < 0.5  # a slow, steady loss
    t, E = energies("euler", T=20.0)
    np.testing.assert_allclose(E, 0.5 * (1 + 0.05**2) ** np.rint(t / 0.05), rtol=1e-9)


def test_a_click_launches_forward_and_backward_trajectories_at_once():
    exp = DampedHarmonicOscillator()
    it = checked_frames(exp)
    before = next(it)
    exp.on_event("launch", (0.3, -0.4))
    after = next(it)
    it.close()
    assert after["step"] == before["step"] and after["t"] == before["t"]
    np.testing.assert_allclose(after["heads"][-2:], [[0.3, -0.4], [0.3, -0.4]])
    assert list(after["directions"][-2:]) == [1.0, -1.0]
    assert after["x"][0] == before["x"][0]  # the first trajectory is still the book's


def test_explicit_euler_blow_up_names_the_cause_and_the_stable_step():
    exp = DampedHarmonicOscillator({"gamma": 5.0, "dt": 1.0, "integrator": "euler"})
    with pytest.raises(Diverged, match="explicit Euler is unstable") as info:
        run(exp, 40)
    lam = characteristic_roots(1.0, 5.0).real
    assert f"dt < {2 / np.abs(lam).max():.3g}" in info.value.reason


# -- the double well -----------------------------------------------------------------------
def test_turning_points_follow_x2_equal_one_plus_minus_root():
    for E in (-0.2, -0.05, 0.1, 0.6):
        expect = [s * math.sqrt(1 + r * math.sqrt(1 + 4 * E)) for r in (1, -1) for s in (1, -1)
                  if 1 + r * math.sqrt(1 + 4 * E) >= 0]
        np.testing.assert_allclose(turning_points(1, 1, 0, E), sorted(expect), atol=1e-9)


def test_portrait_landmarks_and_notebook_levels():
    fr = run(DoubleWellPortrait(), 1)[0]
    np.testing.assert_allclose(fr["fixed_points"], [[-1, 0], [0, 0], [1, 0]], atol=1e-12)
    assert list(fr["fixed_kinds"]) == ["center", "saddle", "center"]
    assert fr["E_separatrix"] == 0.0
    # of linspace(−1, 0.5, 6) only the levels above min E = −1/4 appear
    assert list(fr["contour_labels"]) == ["E = -0.1", "E = 0.2", "E = 0.5"]
    sep = fr["separatrix"][np.isfinite(fr["separatrix"]).all(1)]
    assert np.abs(energy_dw(sep)).max() < 2e-3  # the contour of E = 0 on the grid


@pytest.mark.parametrize(("x0", "v0", "crosses"), [
    (0.5, 0.0, False),    # from rest inside a well: −1/4 < E < 0
    (0.0, 0.5, True),     # a kick from the saddle with 0 < E = 1/8 < 1/4: crosses
    (1.6, 0.0, True),     # from rest outside the barrier: turning points ±x₀
])
def test_orbits_conserve_energy_and_cross_only_above_the_separatrix(x0, v0, crosses):
    exp = DoubleWellPortrait({"x0": x0, "v0": v0, "T": 40.0, "integrator": "leapfrog"})
    exp.set_steps_per_frame(100)
    frames = run(exp, 41)
    E0 = float(energy_dw(np.array([x0, v0]))[0])
    xs = np.array([f["x"][0] for f in frames])
    drift = frames[-1]["drift_hist"]
    assert drift.max() < 1e-4  # leapfrog, dt = 0.01: bounded O(dt²) error
    assert (xs.min() < 0 < xs.max()) == crosses
    turning = turning_points(1, 1, 0, E0)
    assert xs.max() <= turning.max() + 1e-3
    if x0 > math.sqrt(2):
        np.testing.assert_allclose(turning, [-x0, x0], atol=1e-9)
        assert xs.min() == pytest.approx(-x0, abs=0.02)


# -- the damped double well ----------------------------------------------------------------
def test_damped_book_start_settles_in_the_right_well_for_each_book_gamma():
    exp = DoubleWellDamped({"basin_n": 20, "T": 60.0})
    exp.set_steps_per_frame(200)
    frames = run(exp, 31)
    last = frames[-1]
    x = last["x_gammas"]  # rows γ = 0.1, 1, 5, current
    assert frames[-1]["t"] == pytest.approx(60.0)
    assert (x > 0).all(), "E₀ = U(0.5) < 0: the particle never leaves the right well"
    assert x[0].max() > 1 and x[1].max() > 1, "γ < γ_c = 2√2 overshoots past x = 1"
    assert x[2].max() <= 1 and np.all(np.diff(x[2]) >= -1e-12), "γ = 5 > γ_c: monotone"
    late = last["t_gammas"] > 50
    assert np.ptp(x[0, late]) > 1e-3, "γ = 0.1 still rings at T = 60"
    assert abs(x[1, -1] - 1) < 1e-6 and abs(x[2, -1] - 1) < 1e-3
    E = last["E_hist"]
    assert np.all(np.diff(E) <= 1e-15) and E[-1] > -0.25


def test_damped_saddle_eigenvalues_and_energy_limit():
    g = 1.0
    exp = DoubleWellDamped({"gamma": g, "basin_n": 20, "T": 60.0})
    exp.set_steps_per_frame(300)
    frames = run(exp, 21)
    saddle = exp.fixed[1]
    assert saddle.kind == "saddle"
    r = math.sqrt(g * g / 4 + 1)
    np.testing.assert_allclose(sorted(saddle.eigenvalues.real), [-g / 2 - r, -g / 2 + r])
    assert frames[-1]["E_now"] == pytest.approx(-0.25, abs=1e-9)


def forced_path(kind, gamma, A, omega, x0, v0, T, dt=0.02):
    ys = integrate(forced_field(gamma, A, omega, kind), np.array([x0, v0, 0.0]), dt,
                   round(T / dt), "rk4")[:, 0]
    return ys[:, 2], ys[:, 0]


def test_unforced_and_frozen_forcing_reduce_to_the_autonomous_well():
    """A = 0 is the unforced equation (the same RK4 steps as the γ = 0.1 row); ω = 0 with a
    moving boundary is the potential shifted by A, so x(t) = A + y(t), y the unforced path
    from (x₀ − A, v₀)."""
    exp = DoubleWellDamped({"basin_n": 20, "T": 20.0, "A": 0.0})
    exp.set_steps_per_frame(100)
    last = run(exp, 21)[-1]
    np.testing.assert_allclose(last["x_forced"], last["x_gammas"][0], atol=1e-12)
    np.testing.assert_array_equal(last["c_forced"], 0.0)
    _, x = forced_path("moving boundary", 1.0, 0.7, 0.0, 0.2, 0.3, 20.0)
    unforced = integrate(DoubleWellDamped({"gamma": 1.0}).field(), np.array([0.2 - 0.7, 0.3]),
                         0.02, 1000, "rk4")[:, 0, 0]
    np.testing.assert_allclose(x, 0.7 + unforced, atol=1e-12)


def test_additive_force_near_a_well_has_the_linear_response_amplitude():
    """Linearised at x = 1 (ω₀² = U''(1) = 2): ü + γu̇ + 2u = A cos ωt, whose steady state has
    amplitude A/√((2 − ω²)² + γ²ω²); the nonlinearity changes it at order A²."""
    for gamma, omega in ((1.0, 1.0), (0.5, 2.0)):
        A = 0.02
        t, x = forced_path("additive", gamma, A, omega, 1.0, 0.0, 80.0)
        late = x[t > 50]
        expected = A / math.sqrt((2 - omega**2) ** 2 + gamma**2 * omega**2)
        assert np.ptp(late) / 2 == pytest.approx(expected, rel=0.02)
        np.testing.assert_array_equal(forced_boundary(t, A, omega, "additive"), 0.0)


def test_a_slow_boundary_is_tracked_with_the_adiabatic_lag_a_fast_one_is_not():
    """Slowly moving wells carry the particle: x ≈ c(t) − 1 − γċ/ω₀², a lag at most γAω/2,
    and its class sign(x − c) never changes; a fast boundary (ω = 1, 3) is crossed."""
    A, gamma = 1.0, 1.0  # A = 1: the book's boundary x(t) = cos ωt
    for omega in (0.05, 0.1):
        t, x = forced_path("moving boundary", gamma, A, omega, 0.5, 0.0, 60.0)
        c = forced_boundary(t, A, omega, "moving boundary")
        assert np.all(x < c)  # starts left of c(0) = 1 and stays in the left moving well
        late = t > 30
        assert np.abs(x - (c - 1))[late].max() == pytest.approx(gamma * A * omega / 2, rel=0.15)
    for omega in (1.0, 3.0):
        t, x = forced_path("moving boundary", gamma, A, omega, 0.5, 0.0, 60.0)
        side = np.sign(x - forced_boundary(t, A, omega, "moving boundary"))
        assert np.count_nonzero(np.diff(side)) > 0


def test_the_forced_panel_draws_the_class_as_the_side_of_the_boundary():
    exp = DoubleWellDamped({"basin_n": 20, "T": 30.0, "A": 1.0, "omega": 1.0, "gamma": 1.0})
    exp.set_steps_per_frame(10)
    last = run(exp, 301)[-1]
    t, x, c = last["t_forced"], last["x_forced"], last["c_forced"]
    assert t[-1] == pytest.approx(30.0)
    np.testing.assert_allclose(c, np.cos(t), atol=1e-12)
    np.testing.assert_array_equal(last["class_forced"], np.sign(x - c))
    ref_t, ref_x = forced_path("moving boundary", 1.0, 1.0, 1.0, 0.5, 0.0, 30.0, dt=0.01)
    np.testing.assert_allclose(x, np.interp(t, ref_t, ref_x), atol=1e-9)
    switches = np.count_nonzero(np.diff(last["class_forced"]))
    assert last["forced_text"].endswith(f"| {switches}") and switches > 0


def test_fig_2_6_preset_shows_the_notebooks_three_levels_without_the_separatrix():
    import json
    from pathlib import Path

    path = Path(__file__).parents[2] / "assets/presets/ch2.double-well-phase-portrait/fig-2.6.json"
    fr = run(DoubleWellPortrait(json.loads(path.read_text())["params"]), 1)[0]
    assert list(fr["contour_labels"]) == ["E = -0.1", "E = 0.2", "E = 0.5"]
    assert len(fr["separatrix"]) == 0


def test_the_orbit_swings_between_the_turning_points_around_its_start():
    fr = run(DoubleWellPortrait({"x0": 0.5, "v0": 0.0}), 1)[0]
    # E = U(0.5): x² = 1 ± √(1 + 4E) gives 0.5 and √(1.75) on the right
    assert (fr["x_turn_low"], fr["x_turn_high"]) == pytest.approx((0.5, math.sqrt(1.75)))
    fr = run(DoubleWellPortrait({"x0": 0.0, "v0": 0.5}), 1)[0]
    r = math.sqrt(1 + math.sqrt(1.5))  # E = 1/8 > 0: round both wells
    assert (fr["x_turn_low"], fr["x_turn_high"]) == pytest.approx((-r, r))
