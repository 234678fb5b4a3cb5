"""ch2.ad-computational-graph and the tape AD behind it (Example 2.1.1, Exercise 2.1.1.3)."""

import math

import numpy as np
import pytest

import compute
from compute import ParamError
from compute import autodiff as ad

EXP = compute.get("ch2.ad-computational-graph")


def grad_f(x1, x2):
    """Example 2.1.1 by hand."""
    return [math.cos(x1 + x2) / x1 - math.sin(x1 + x2) / x1**2, math.cos(x1 + x2) / x1]


def grad_h(x, y):
    """Exercise 2.1.1.3 by hand (symmetric in x ↔ y)."""
    common = 2 * (x + y) * math.cos((x + y) ** 2)
    return [2 * x / (x * x + y * y) + common, 2 * y / (x * x + y * y) + common]


POINTS = [(1.0, 2.0), (-0.7, 1.3), (2.5, -2.9), (0.3, 0.05)]


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize(("fn", "exact"), [("f", grad_f), ("h", grad_h)])
def test_forward_passes_and_reverse_pass_reproduce_the_closed_form(fn, exact, point):
    tape = ad.trace({"f": ad_f, "h": ad_h}[fn], ("x1", "x2"))
    want = exact(*point)
    forward = [tape.jvp(list(point), list(np.eye(2)[i]))[1] for i in range(2)]
    _, reverse = tape.gradient(list(point))
    np.testing.assert_allclose(forward, want, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(reverse, want, rtol=1e-13, atol=1e-13)
    fd = ad.central_difference(lambda v: tape.evaluate(list(v))[tape.output], np.array(point),
                               1e-6)
    np.testing.assert_allclose(fd, want, rtol=1e-6, atol=1e-7)


def ad_f(x1, x2):
    return ad.sin(x1 + x2) / x1


def ad_h(x, y):
    return ad.log(x**2 + y**2) + ad.sin((x + y) ** 2)


def test_agrees_with_torch_autograd():
    torch = pytest.importorskip("torch")
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (torch.sin(x[0] + x[1]) / x[0]).backward()
    tape = ad.trace(ad_f, ("x1", "x2"))
    np.testing.assert_allclose(tape.gradient([1.0, 2.0])[1], x.grad.numpy(), rtol=1e-14)


def test_primal_values_follow_w1_to_w5():
    tape = ad.trace(ad_f, ("x1", "x2"))
    x1, x2 = 1.0, 2.0
    w = tape.evaluate([x1, x2])
    assert [n.op for n in tape.nodes] == ["input", "input", "add", "sin", "div"]
    np.testing.assert_allclose(w, [x1, x2, x1 + x2, math.sin(x1 + x2),
                                   math.sin(x1 + x2) / x1], rtol=1e-15)
    assert tape.edges == [(0, 2), (1, 2), (2, 3), (3, 4), (0, 4)]


def test_reverse_sweep_visits_each_operation_once_and_seeds_the_output():
    tape = ad.trace(ad_h, ("x", "y"))
    steps = [j for j, _ in tape.reverse_steps(tape.evaluate([1.0, 2.0]))]
    ops = [n.index for n in tape.nodes if n.op != "input"]
    assert steps[0] == tape.output and sorted(steps[1:]) == ops and len(steps[1:]) == len(ops)


def test_sum_node_gives_a_gradient_on_a_vector():
    tape = ad.trace(lambda x: ad.total(ad.sin(x) + 0.1 * x**2), ("x",))
    x = np.linspace(-3, 3, 17)
    value, (g,) = tape.gradient([x])
    np.testing.assert_allclose(value, np.sum(np.sin(x) + 0.1 * x**2), rtol=1e-14)
    np.testing.assert_allclose(g, np.cos(x) + 0.2 * x, rtol=1e-14, atol=1e-15)


def test_experiment_fills_the_table_and_counts_n_forward_passes_against_one_reverse():
    exp = EXP({"frames_per_node": 1})
    last = None
    for tick in range(200):
        frame = exp.frame(tick)
        if frame["pass_text"].startswith("cycle finished"):
            last = frame
            break
    assert last is not None
    np.testing.assert_allclose(last["grad_forward"], grad_f(1.0, 2.0), rtol=1e-13)
    np.testing.assert_allclose(last["grad_reverse"], grad_f(1.0, 2.0), rtol=1e-13)
    np.testing.assert_array_equal(last["passes"], [[2, 1], [2, 1]])
    assert last["max_error"] < 1e-14


def test_reverse_sweep_colours_nodes_by_their_adjoints():
    exp = EXP({"mode": "reverse", "frames_per_node": 1})
    first = exp.frame(0)
    assert np.isfinite(first["sweep"]).sum() == 1 and first["sweep"][4] == 1.0
    done = exp.frame(exp.pass_length("reverse") - 1)
    np.testing.assert_allclose(done["sweep"][:2], grad_f(1.0, 2.0), rtol=1e-13)


@pytest.mark.parametrize(("params", "name"), [({"x1": 0.0}, "x1"),
                                               ({"function": "h", "x1": 0.0, "x2": 0.0}, "x1")])
def test_a_singular_point_is_refused_naming_the_parameter(params, name):
    with pytest.raises(ParamError) as info:
        EXP(params)
    assert info.value.name == name
