"""ch2.ad-runtime-scaling: machine-independent facts only (counts and accuracy, no times)."""

import numpy as np
import pytest

import compute
from compute import ParamError
from compute import autodiff as ad
from compute.experiments.ch2_ad_runtime import (
    Counter,
    fd_gradient,
    forward_gradient,
    g_numpy,
    g_traced,
    jacobian_exact,
    jacobian_forward,
    jacobian_map,
    jacobian_reverse,
    reverse_gradient,
)

EXP = compute.get("ch2.ad-runtime-scaling")


def run(task):
    for _ in task:
        pass


@pytest.mark.parametrize("d", [1, 17, 64])
def test_counts_d_plus_one_evaluations_d_tangent_passes_and_one_backward_pass(d):
    x = np.random.default_rng(d).standard_normal(d)
    tape = ad.trace(g_traced, ("x",))
    fd, fwd, rev = Counter(), Counter(), Counter()
    out_fd, out_fwd, out_rev = [], [], []
    calls = {"g": 0, "evaluate": 0, "reverse": 0, "tangent": 0}

    def counted(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    run(fd_gradient(x, 1e-6, fd, out_fd, g=counted("g", g_numpy)))
    assert calls["g"] == d + 1  # the calls themselves, counted from outside
    tape.evaluate = counted("evaluate", tape.evaluate)
    tape.reverse_steps = counted("reverse", tape.reverse_steps)
    tape.forward_steps = counted("tangent", tape.forward_steps)
    run(forward_gradient(tape, x, fwd, out_fwd))
    assert (calls["evaluate"], calls["tangent"], calls["reverse"]) == (1, d, 0)
    run(reverse_gradient(tape, x, rev, out_rev))
    assert (calls["evaluate"], calls["tangent"], calls["reverse"]) == (2, d, 1)
    assert (fd.evaluations, fd.tangent_passes, fd.backward_passes) == (d + 1, 0, 0)
    assert (fwd.evaluations, fwd.tangent_passes, fwd.backward_passes) == (1, d, 0)
    assert (rev.evaluations, rev.tangent_passes, rev.backward_passes) == (1, 0, 1)
    exact = np.cos(x) + 0.2 * x
    np.testing.assert_allclose(out_rev[0], exact, rtol=0, atol=4e-16)
    np.testing.assert_allclose(out_fwd[0], exact, rtol=0, atol=4e-16)
    np.testing.assert_allclose(out_fd[0], exact, atol=1e-5)


def test_float32_differences_are_dominated_by_round_off_far_above_ad():
    d = 512
    x = np.random.default_rng(1).standard_normal(d).astype(np.float32)
    exact = np.cos(x.astype(float)) + 0.2 * x.astype(float)
    out_fd, out_rev = [], []
    run(fd_gradient(x, 1e-4, Counter(), out_fd))
    run(reverse_gradient(ad.trace(g_traced, ("x",)), x, Counter(), out_rev))
    err_fd = np.abs(out_fd[0].astype(float) - exact).max()
    err_ad = np.abs(out_rev[0].astype(float) - exact).max()
    truncation = 1e-4 * 1.2 / 2  # ε·max|g″ᵢ|/2 with |−sin + 0.2| ≤ 1.2
    u = 2.0**-24
    roundoff = u * np.abs(np.sin(x.astype(float)) + 0.1 * x.astype(float) ** 2).sum() / 1e-4
    assert err_fd > 10 * truncation
    assert 0.02 * roundoff < err_fd < 4 * roundoff
    assert err_ad < 1e-6 and err_fd > 1e3 * err_ad


def test_the_sweep_fills_in_every_dimension_with_exact_counts():
    exp = EXP({"d_min_log2": 2, "d_max_log2": 5, "repeats": 2, "jacobian": False})
    frames = exp.frames()
    seen = []
    for _ in range(200):
        frame = next(frames)
        seen.append(int(np.isfinite(frame["t_reverse"]).sum()))
        if frame["status"] == "sweep finished":
            break
    assert frame["status"] == "sweep finished" and frame["progress"] == 1.0
    assert seen == sorted(seen) and seen[0] < 4  # points appear one after another
    dims = frame["dims"]
    np.testing.assert_array_equal(dims, [4, 8, 16, 32])
    np.testing.assert_array_equal(frame["evals_fd"], dims + 1)
    np.testing.assert_array_equal(frame["tangent_passes"], dims)
    np.testing.assert_array_equal(frame["backward_passes"], np.ones(4))
    for key in ("t_fd", "t_forward", "t_reverse"):
        assert np.all(np.isfinite(frame[key])) and np.all(frame[key] > 0)


def test_reversed_range_is_refused():
    with pytest.raises(ParamError) as info:
        EXP({"d_min_log2": 6, "d_max_log2": 3})
    assert info.value.name == "d_max_log2"


@pytest.mark.parametrize(("n", "m"), [(1, 1), (3, 7), (16, 2)])
def test_jacfwd_takes_n_tangent_passes_jacrev_m_adjoint_passes_both_exact(n, m):
    x, w = jacobian_map(n, m, np.random.default_rng(n * m), np.dtype(float))
    fwd, rev, out_fwd, out_rev = Counter(), Counter(), [], []
    assert sum(1 for _ in jacobian_forward(w, x, fwd, out_fwd)) == n  # one yield per pass
    assert sum(1 for _ in jacobian_reverse(w, x, rev, out_rev)) == m
    assert (fwd.evaluations, fwd.tangent_passes, fwd.backward_passes) == (1, n, 0)
    assert (rev.evaluations, rev.tangent_passes, rev.backward_passes) == (1, 0, m)
    exact = jacobian_exact(w, x)
    np.testing.assert_allclose(out_fwd[0], exact, rtol=0, atol=1e-15)
    np.testing.assert_allclose(out_rev[0], exact, rtol=0, atol=1e-14)
    # the closed form against central differences of F(x) = sin(Wx)
    eps = 1e-6
    cols = [(np.sin(w @ (x + eps * e)) - np.sin(w @ (x - eps * e))) / (2 * eps)
            for e in np.eye(n)]
    np.testing.assert_allclose(np.stack(cols, axis=1), exact, atol=1e-8)


def test_the_jacobian_grid_fills_in_with_n_and_m_passes():
    exp = EXP({"d_min_log2": 1, "d_max_log2": 1, "repeats": 1, "forward_mode": False,
               "jac_max_log2": 2, "dtype": "float64"})
    frames = exp.frames()
    filled = []
    for _ in range(200):
        frame = next(frames)
        filled.append(int(np.isfinite(frame["jac_ratio"]).sum()))
        if frame["status"] == "sweep finished":
            break
    assert frame["status"] == "sweep finished" and frame["progress"] == 1.0
    assert filled == sorted(filled) and filled[-1] == 9 and len(set(filled)) > 3
    sizes = 2.0 ** np.arange(3)
    np.testing.assert_array_equal(frame["jac_fwd_passes"], np.tile(sizes, (3, 1)))  # n
    np.testing.assert_array_equal(frame["jac_rev_passes"], np.tile(sizes[:, None], (1, 3)))
    assert np.all(frame["jac_error"] < 1e-14)
    np.testing.assert_array_equal(frame["jac_extent"], [-0.5, 2.5, -0.5, 2.5])
