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
    return run({"epochs": 1500})


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
    frames, _ = run({"mode": "widths", "lr_rmsprop": 0.01, "seed": 1, "epochs": 1500})
    circ = dict(s.rsplit(" ", 1) for s in frames[-1]["circ_text"].split(", "))
    assert circ["A"] == "open"  # H = 2
    assert float(circ["D"]) < float(circ["B"])  # H = 32 rounder than H = 4
    loss = frames[-1]["loss"][:, -1]
    assert loss[3] < loss[0]  # width 32 fits better than width 2
