"""ch3.adaptive-logreg: a finite optimum all three approach, first-step sizes, Bayes accuracy."""

import numpy as np
import pytest

from compute import classifiers as cl
from compute.experiment import checked_frames
from compute.experiments.ch3_adaptive_logreg import NAMES, AdaptiveLogReg
from compute.optimizers import create


@pytest.fixture(scope="module")
def run():
    exp = AdaptiveLogReg()
    exp.set_steps_per_frame(50)
    return list(checked_frames(exp)), exp


def test_overlapping_classes_have_a_finite_optimum(run):
    _, exp = run
    g = cl.logistic_grad(exp.theta_star, exp.phi, exp.y)
    assert np.abs(g).max() < 1e-10 and np.isfinite(exp.theta_star).all()


def test_all_three_approach_the_optimum_adagrad_slowest(run):
    frames, exp = run
    first, last = frames[0], frames[-1]
    d0 = [float(x) for x in first["dist_text"].split(", ")]
    d1 = [float(x) for x in last["dist_text"].split(", ")]
    assert all(b < a for a, b in zip(d0, d1, strict=True))
    assert d1[0] == max(d1)  # AdaGrad
    loss = last["loss"]
    assert (loss[:, -1] < loss[:, 0]).all()
    assert (loss[:, -1] >= exp.loss_star - 1e-12).all()


def test_rmsprop_first_epoch_is_far_ahead(run):
    frames, _ = run
    after_one = frames[-1]["loss"][:, 1]
    assert after_one[1] < 0.5 * min(after_one[0], after_one[2])


@pytest.mark.parametrize("rho", [0.9, 0.999])
def test_first_step_sizes(rho):
    exp = AdaptiveLogReg({"rho": rho})
    hyper = exp.hyper()
    grad = lambda th: cl.logistic_grad(th, exp.phi, exp.y)  # noqa: E731
    g0 = grad(np.zeros(3))
    for name in NAMES:
        opt = create(name, np.zeros(3))
        step = opt.step(grad, hyper)
        factor = 1 / np.sqrt(1 - rho) if name == "RMSProp" else 1.0
        np.testing.assert_allclose(step, -hyper.lr * factor * np.sign(g0), rtol=1e-5)


def test_training_accuracy_is_close_to_the_bayes_accuracy(run):
    frames, exp = run
    accs = [float(a) for a in frames[-1]["acc_text"].split(", ")]
    for a in accs:
        assert abs(a - exp.bayes) < 0.03
