"""ch3.adaptive-relu-ring: chance-level start, descent, the overlap bound, H = 2 cannot close
a region, wider nets close rounder polygons."""

import math

import numpy as np
import pytest

from compute import classifiers as cl
from compute.experiment import checked_frames
from compute.experiments.ch3_adaptive_relu import (
    AdaptiveReluRing,
    boundary_radii,
    circularity,
)


def run(params, speed=500):
    exp = AdaptiveReluRing(params)
    exp.set_steps_per_frame(speed)
    return list(checked_frames(exp)), exp


@pytest.fixture(scope="module")
def run_a():
    return run({"epochs": 1500, "seeds": 1})


def test_initial_loss_is_near_chance(run_a):
    frames, _ = run_a
    assert frames[0]["loss"][:, 0] == pytest.approx([math.log(2)] * 3, abs=0.05)


def test_all_three_optimizers_lower_the_loss_but_not_past_the_overlap(run_a):
    frames, exp = run_a
    loss = frames[-1]["loss"]
    assert (loss[:, -1] < loss[:, 0] - 0.1).all()
    accs = [float(s.split()[-1]) for s in frames[-1]["acc_text"].split(", ")]
    assert max(accs) < exp.bayes + 0.03 and exp.bayes < 0.95


def test_two_relu_units_never_enclose_a_bounded_region():
    """{f > 0} and {f < 0} are unions of cells cut by two lines: if one of them is not
    empty inside a window it reaches a far circle too."""
    rng = np.random.default_rng(0)
    net = cl.MLP(2, "relu")
    a = np.linspace(0, 2 * np.pi, 4000, endpoint=False)
    far = 1e4 * np.column_stack([np.cos(a), np.sin(a)])
    near = cl.grid_points((-3, 3, -3, 3), 60)
    for _ in range(300):
        theta = rng.standard_normal(net.size) * 2
        for sign in (1, -1):
            if (sign * net.logits(theta, near) > 0).any():
                assert (sign * net.logits(theta, far) > 0).any()


def test_three_units_can_close_a_triangle():
    net = cl.MLP(3, "relu")
    normals = np.array([[np.cos(t), np.sin(t)] for t in (0, 2 * np.pi / 3, 4 * np.pi / 3)])
    theta = np.concatenate([normals.ravel(), -np.ones(3), -np.ones(3), [0.5]])
    radii = boundary_radii(lambda q: cl.sigmoid(net.logits(theta, q)))
    assert np.isfinite(radii).all() and circularity(radii) > 0


def test_wider_nets_close_rounder_boundaries():
    frames, _ = run({"mode": "widths", "lr_rmsprop": 0.01, "seed": 1, "epochs": 1500,
                     "seeds": 1})
    circ = dict(s.rsplit(" ", 1) for s in frames[-1]["circ_text"].split(", "))
    assert circ["A"] == "open"  # H = 2
    assert float(circ["D"]) < float(circ["B"])  # H = 32 rounder than H = 4
    loss = frames[-1]["loss"][:, -1]
    assert loss[3] < loss[0]  # width 32 fits better than width 2


def test_seed_rows_are_the_single_seed_runs_and_the_band_is_their_mean_and_std():
    """Training every seed in one batch changes nothing: row j is the run of seed s + j,
    so the panel's mean and std are those of the separate runs."""
    frames, _ = run({"epochs": 60, "seeds": 3, "seed": 4}, speed=20)
    last = frames[-1]
    singles = [run({"epochs": 60, "seeds": 1, "seed": 4 + j}, speed=60)[0][-1]["loss"][:, -1]
               for j in range(3)]
    np.testing.assert_allclose(last["loss"][:, -1], singles[0], rtol=1e-12)
    np.testing.assert_allclose(last["seed_mean"][:, -1], np.mean(singles, axis=0), rtol=1e-12)
    std = np.std(singles, axis=0)
    band = last["seed_band"][:, -1].reshape(-1, 2)
    np.testing.assert_allclose(band[:, 0], np.mean(singles, axis=0) - std, rtol=1e-10)
    np.testing.assert_allclose(band[:, 1], np.mean(singles, axis=0) + std, rtol=1e-10)
    assert list(last["band_model"]) == [0, 0, 1, 1, 2, 2]
    # the band fills in with the epochs, recorded at every one of them
    assert last["seed_mean"].shape == (3, 61) and frames[1]["seed_mean"].shape == (3, 21)


def test_trajectory_starts_at_the_initial_weights_and_follows_the_main_run():
    frames, exp = run({"epochs": 30, "seeds": 2, "hidden": 3}, speed=10)
    init = cl.MLP(3, "relu").init(np.random.default_rng(exp.p["seed"]), 0.5)
    last = frames[-1]
    for i in range(3):
        assert last[f"traj_w1_{i}"][0] == init[0] and last[f"traj_w2_{i}"][0, 0] == init[9]
        assert last[f"traj_w1_{i}"].shape == (31,)
    assert last["traj_w1_3"].shape == (0,) and last["traj_name3"][0] == ""


def test_wider_nets_fit_better_on_average_over_seeds():
    """Run B's check: the loss after training falls with the width, on average over seeds
    (a width-32 net contains every width-2 net, and RMSProp finds a better fit)."""
    frames, _ = run({"mode": "widths", "lr_rmsprop": 0.01, "epochs": 400, "seeds": 4},
                    speed=400)
    mean = frames[-1]["seed_mean"][:, -1]  # H = 2, 4, 8, 32
    assert mean[3] < mean[0] and mean[2] < mean[0]
