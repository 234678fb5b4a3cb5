"""Parameter parsing and validation: every entry point gets the same messages."""

import math

import pytest

from compute.params import Bool, Choice, Float, Int, Multi, ParamError, ParamSpec, Seed


@pytest.fixture
def spec():
    return ParamSpec((
        Float("D", 0.3, 0.02, 1.5, live=True),
        Int("n", 30, 1, 1000),
        Bool("flag", False),
        Choice("kind", "a", ("a", "b")),
        Multi("opts", ("x",), ("x", "y", "z")),
        Seed(),
    ))


def test_defaults_and_resolve(spec):
    assert spec.defaults() == {"D": 0.3, "n": 30, "flag": False, "kind": "a", "opts": ("x",),
                               "seed": 0}
    assert spec.resolve({"D": 1, "n": 5.0})["n"] == 5
    assert spec.resolve({"opts": ["z", "x", "z"]})["opts"] == ("x", "z")  # declared order


@pytest.mark.parametrize(("name", "value", "fragment"), [
    ("D", 2.0, "above the maximum"),
    ("D", 0.0, "below the minimum"),
    ("D", math.nan, "finite"),
    ("D", math.inf, "finite"),
    ("D", "0.3", "expected a number"),
    ("D", True, "expected a number"),
    ("n", 2.5, "integer"),
    ("n", 10**30, "above the maximum"),
    ("flag", "yes", "true or false"),
    ("kind", "c", "not one of"),
    ("opts", "x", "list"),
    ("opts", ["w"], "not one of"),
    ("seed", -1, "below the minimum"),
    ("nope", 1, "no such parameter"),
])
def test_bad_values_name_the_parameter(spec, name, value, fragment):
    with pytest.raises(ParamError) as info:
        spec.resolve({name: value})
    assert info.value.name == name
    assert fragment in str(info.value)
    assert str(info.value).startswith(name)


def test_cli_text_parsing(spec):
    values = spec.parse_assignments(["D=0.5", "n=12", "flag=on", "kind=b", "opts=y,z", "seed=7"])
    assert values == {"D": 0.5, "n": 12, "flag": True, "kind": "b", "opts": ("y", "z"), "seed": 7}
    assert spec.parse_assignments(["n=1e2"]) == {"n": 100}
    for bad, name in (["D=abc"], "D"), (["n=1.5"], "n"), (["D"], "D"), (["x=1"], "x"):
        with pytest.raises(ParamError) as info:
            spec.parse_assignments(bad)
        assert info.value.name == name


def test_default_outside_range_is_a_programming_error():
    with pytest.raises(ParamError):
        Float("bad", 5.0, 0.0, 1.0)


def test_duplicate_names_rejected():
    with pytest.raises(ValueError):
        ParamSpec((Int("a", 1, 0, 2), Int("a", 1, 0, 2)))
