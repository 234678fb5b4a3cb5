"""The matrix parameter kind: shape, per-entry validation, CLI text, JSON and describe()."""

import json
import math

import pytest

from compute.params import Matrix, ParamError, ParamSpec, matrix_to_json

A = Matrix("A", [[1, 0], [0, 1]], -3, 3)
R = Matrix("R", [[5, None, 3], [4, 2, None]], 0, 5, missing=True, max_shape=(4, 4))


def test_default_and_coercion_to_tuples_of_floats():
    assert A.default == ((1.0, 0.0), (0.0, 1.0))
    assert A.coerce([[1, 2], [3, -3]]) == ((1.0, 2.0), (3.0, -3.0))
    import numpy as np

    assert A.coerce(np.eye(2)) == A.default


@pytest.mark.parametrize(("value", "fragment"), [
    ([[1, 2]], "expected a 2×2 matrix, got 1×2"),
    ([[1, "a"], [1, 2]], "entry (1, 2): 'a' is not a number"),
    ([[1, 2], [3, 4]], "entry (2, 2) = 4 is above the maximum 3"),
    ([[1, 2], [-4, 0]], "entry (2, 1) = -4 is below the minimum -3"),
    ([[True, 0], [0, 1]], "entry (1, 1): True is not a number"),
    ([[None, 0], [0, 1]], "entry (1, 1) is missing"),
    ([[math.inf, 0], [0, 1]], "entry (1, 1) must be a finite number"),
    ([[1, 2], [3]], "rows of different lengths"),
    ("[[1, 2], [3, 4]]", "expected a matrix"),
    ([], "expected a matrix"),
    ({"a": 1}, "expected a matrix"),
])
def test_bad_values_name_the_parameter_and_the_entry(value, fragment):
    with pytest.raises(ParamError) as info:
        A.coerce(value)
    assert info.value.name == "A" and fragment in info.value.message


@pytest.mark.parametrize(("text", "expected"), [
    ("[[1,2],[3,-1]]", ((1.0, 2.0), (3.0, -1.0))),
    ("[1, 2], [3, -1]", ((1.0, 2.0), (3.0, -1.0))),
    ("1 2; 3 -1", ((1.0, 2.0), (3.0, -1.0))),
    ("1, 2; 3, -1", ((1.0, 2.0), (3.0, -1.0))),
])
def test_command_line_text(text, expected):
    assert A.parse(text) == expected


def test_command_line_text_errors_name_the_entry():
    with pytest.raises(ParamError, match=r"entry \(2, 1\): 'x' is not a number"):
        A.parse("[[1, 2], [x, 0]]")
    with pytest.raises(ParamError, match="expected a matrix like"):
        A.parse("[[1, 2], [3, 0]] trailing")
    spec = ParamSpec((A,))
    assert spec.parse_assignments(["A=[[0,-1],[1,0]]"]) == {"A": ((0.0, -1.0), (1.0, 0.0))}


def test_missing_entries_and_resizable_shapes():
    assert math.isnan(R.default[0][1])
    assert R.coerce([[None, 1], [2, 3]]) == R.coerce([[math.nan, 1], [2, 3]])  # one NaN
    assert R.parse("[[?, 1], [2, 3], [1, 1]]")[0][0] is math.nan
    with pytest.raises(ParamError, match=r"5×1 matrix is outside the sizes 1×1 … 4×4"):
        R.coerce([[1]] * 5)
    # JSON round trip: missing entries are null
    text = json.dumps(matrix_to_json(R.default))
    assert "null" in text and R.coerce(json.loads(text)) == R.default


def test_describe_is_json_ready():
    info = json.loads(json.dumps(R.describe()))
    assert info["kind"] == "matrix" and info["shape"] == [2, 3] and info["max_shape"] == [4, 4]
    assert info["default"][0][1] is None and info["missing"] is True
    assert (info["min"], info["max"]) == (0, 5)
