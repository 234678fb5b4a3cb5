"""ch3.lp-relaxation-logreg: the envelope is a lower bound touching at the tangent points,
the LP optimum bounds the log-loss from below, and the LP fit converges as K grows."""

import numpy as np
import pytest

from compute import classifiers as cl
from compute.experiment import checked_frames
from compute.experiments.ch3_lp_relaxation import (
    LPRelaxationLogReg,
    envelope,
    log_loss,
    solve_lp,
    tangents,
)


@pytest.mark.parametrize("k", [1, 2, 5, 17])
def test_envelope_lies_below_the_log_loss_and_touches_it(k):
    a, c = tangents(k, 4.0)
    z = np.linspace(-20, 20, 4001)
    assert (envelope(z, a, c) <= log_loss(z) + 1e-12).all()
    z0 = np.array([0.0]) if k == 1 else np.linspace(-4, 4, k)
    np.testing.assert_allclose(envelope(z0, a, c), log_loss(z0), rtol=1e-12)


def test_lp_value_is_the_mean_envelope_and_a_lower_bound():
    exp = LPRelaxationLogReg()
    for k in (1, 3, 8):
        a, c = tangents(k, 4.0)
        w, value = solve_lp(exp.phi, exp.s, a, c, 10.0)
        z = exp.s * (exp.phi @ w)
        assert value == pytest.approx(envelope(z, a, c).mean(), abs=1e-9)
        assert value <= exp.lr_value + 1e-9
    assert np.abs(cl.logistic_grad(exp.w_lr, exp.phi, exp.y)).max() < 1e-9


def test_lp_fit_converges_to_the_logistic_fit():
    exp = LPRelaxationLogReg({"k_max": 48, "reach": 8.0})  # tangents over most margins
    frames = list(checked_frames(exp))
    f = frames[-1]
    assert (f["gap_f"] >= 0).all()
    assert f["gap_f"][-1] < 1e-3 and f["gap_f"][-1] < 0.05 * f["gap_f"][0]
    assert f["gap_w"][-1] < 0.05
