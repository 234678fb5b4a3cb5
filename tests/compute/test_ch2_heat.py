"""ch2.heat-1d-linear-system against the closed forms of the discrete heat equation."""

import numpy as np
import pytest
from scipy.linalg import expm
from scipy.special import ive

from compute import Diverged, checked_frames
from compute.experiments.ch2_heat import Heat1D, dirichlet_eigenvalues, heat_matrix
from compute.ode import stable_step


def run(params, speed=100):
    exp = Heat1D(params)
    exp.set_steps_per_frame(speed)
    return list(checked_frames(exp))


def test_spectrum_of_the_notebook_matrix():
    for n in (5, 20, 50):
        np.testing.assert_allclose(np.linalg.eigvalsh(heat_matrix(n, "dirichlet")),
                                   np.sort(dirichlet_eigenvalues(n)), atol=1e-12)


def test_snapshots_and_centre_follow_exp_ta_and_the_infinite_line():
    frames = run({})
    x0 = np.zeros(20)
    x0[10] = 1.0
    A = heat_matrix(20, "dirichlet")
    last = frames[-1]
    assert list(last["snapshot_names"]) == ["t = 0", "t = 0.1", "t = 0.5", "t = 1", "t = 2"]
    for row, t in zip(last["snapshots"], (0.0, 0.1, 0.5, 1.0, 2.0), strict=True):
        # Euler differs from exp(tA)x₀ by about (dt/2)·t·‖A²x‖ ≤ 0.0005·t·36
        np.testing.assert_allclose(row, expm(t * A) @ x0, atol=0.0005 * max(t, 0.01) * 36)
    # far from the ends the lattice is as good as infinite: x_c = e^{−2t}I₀(2t), the
    # neighbour e^{−2t}I₁(2t)
    exact = expm(2.0 * A) @ x0
    assert exact[10] == pytest.approx(ive(0, 4.0), rel=1e-6)
    assert exact[11] == pytest.approx(ive(1, 4.0), rel=1e-5)


def test_euler_error_is_first_order_and_expm_is_exact():
    err = [run({"dt": dt, "T": 1.0})[-1]["error"] for dt in (0.02, 0.01)]
    assert err[0] / err[1] == pytest.approx(2.0, rel=0.05)
    assert run({"method": "expm", "dt": 0.05, "T": 1.0})[-1]["error"] < 1e-12


@pytest.mark.parametrize(("boundary", "conserved"), [("neumann", True), ("periodic", True),
                                                      ("dirichlet", False)])
def test_mass_is_conserved_only_with_reflecting_or_periodic_ends(boundary, conserved):
    last = run({"boundary": boundary, "n": 8, "T": 20.0, "dt": 0.01})[-1]
    if conserved:
        np.testing.assert_allclose(last["mass_hist"], 1.0, atol=1e-12)
        # → the uniform 1/n, the rest decaying at least like exp(λ₂T)
        lam2 = np.sort(np.linalg.eigvalsh(heat_matrix(8, boundary)))[-2]
        np.testing.assert_allclose(last["x"], 1 / 8, atol=np.exp(lam2 * 20.0))
    else:
        assert last["mass"] < 0.5


def test_euler_is_stable_below_two_over_lambda_max_and_grows_as_a_checkerboard_above():
    A = heat_matrix(20, "dirichlet")
    h_star = 2 / np.abs(dirichlet_eigenvalues(20)).max()
    assert stable_step("euler", A) == pytest.approx(h_star, rel=1e-9)
    with pytest.raises(Diverged, match=f"dt < {h_star:.3g}"):
        run({"dt": 0.55, "T": 20.0}, speed=10)
    x = run({"dt": 0.55, "T": 7.7}, speed=10)[-1]["x"]  # 14 steps, growth 1.18¹⁴ < 10
    assert np.all(np.sign(x[1:]) != np.sign(x[:-1]))  # neighbours of opposite sign
