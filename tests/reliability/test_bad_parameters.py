"""Bad parameters, fuzzed for every parameter of every registered experiment (hypothesis).

Values are drawn in range, at the bounds, out of range, NaN, ±inf, huge integers and of the
wrong type (as a hand-edited preset would have them). Each drawn set goes through the three
entry points that validate values — ``ParamSpec.resolve`` + ``check`` (GUI), a preset file
(``presets.from_dict`` after a JSON round trip) and the command line's text parser — and:

* what is invalid is refused with a :class:`ParamError` naming the parameter (a preset with
  a :class:`PresetError` quoting it); what is valid is accepted by all three;
* what is accepted runs: every frame is finite (the contract's guard) or the run ends in the
  "diverged" state with a reason, with a live change sent between frames, and the frames
  draw in the experiment's views. No other exception, and no frame slower than
  ``FRAME_LIMIT_S`` (a hang).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from _reliability import (
    EXPERIMENTS,
    FUZZ,
    HUGE_INTS,
    IDS,
    NONFINITE,
    RUNNABLE,
    RUNNABLE_IDS,
    WRONG_TYPES,
    DeadlineFrames,
    is_valid,
    out_of_range,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from pyqtgraph.Qt import QtCore

from compute.experiment import Diverged
from compute.params import SEED_MAX, Param, ParamError
from mgai_lab import presets

FRAMES_PER_EXAMPLE = 3
EXAMPLES = 14


# -- strategies -----------------------------------------------------------------------------
def valid_values(p: Param) -> st.SearchStrategy:
    kind = p.kind
    if kind == "float":
        inner = st.floats(p.min, p.max, allow_nan=False, allow_infinity=False)
        parts = [st.sampled_from([p.min, p.max, p.default]), inner]
        if p.log and p.min > 0:  # log sliders: values spread over the decades
            lo, hi = math.log(p.min), math.log(p.max)
            parts.append(st.floats(lo, hi).map(lambda v: min(max(math.exp(v), p.min), p.max)))
        if math.ceil(p.min) <= math.floor(p.max):  # JSON integers for a real parameter
            parts.append(st.integers(math.ceil(p.min), math.floor(p.max)))
        return st.one_of(parts)
    if kind == "int":
        ints = st.integers(int(p.min), int(p.max))
        return st.one_of(st.sampled_from([int(p.min), int(p.max), p.default]), ints,
                         ints.map(float))
    if kind == "seed":
        return st.one_of(st.sampled_from([0, SEED_MAX]), st.integers(0, SEED_MAX))
    if kind == "bool":
        return st.one_of(st.booleans(), st.sampled_from([0, 1]))
    if kind == "choice":
        return st.sampled_from(p.choices)
    if kind == "matrix":
        return matrix_values(p, valid=True)
    # multi: any sub-list, repeats allowed (an empty one may be refused by check())
    return st.lists(st.sampled_from(p.choices), max_size=len(p.choices) + 2)


def matrix_values(p: Param, valid: bool) -> st.SearchStrategy:
    """Matrices of an allowed shape with entries in range; invalid ones with one bad entry
    (out of range, NaN, ±inf, a string, a bool, a gap where none is allowed) or a bad shape."""
    lo = -1e6 if p.min is None else p.min
    hi = 1e6 if p.max is None else p.max
    entry = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if p.missing:
        entry = st.one_of(entry, st.none())

    @st.composite
    def matrices(draw):
        if p.max_shape is None:
            rows, cols = p.shape
        else:
            rows = draw(st.integers(1, p.max_shape[0]))
            cols = draw(st.integers(1, p.max_shape[1]))
        m = [[draw(entry) for _ in range(cols)] for _ in range(rows)]
        if valid:
            return m
        bad = [math.nan, math.inf, -math.inf, "1", "x", True, [1]]
        if not p.missing:
            bad.append(None)
        if p.min is not None:
            bad.append(p.min - 1)
        if p.max is not None:
            bad.append(p.max + 1)
        i, j = draw(st.integers(0, rows - 1)), draw(st.integers(0, cols - 1))
        m[i][j] = draw(st.sampled_from(bad))
        if draw(st.booleans()):
            return m
        return draw(st.sampled_from([m[0], [*m, [0.0] * (cols + 1)], [[]], m[0][:1]]))

    return matrices()


def invalid_values(p: Param) -> st.SearchStrategy:
    kind = p.kind
    if kind == "matrix":
        return st.one_of(st.sampled_from(WRONG_TYPES), matrix_values(p, valid=False)).filter(
            lambda v: not is_valid(p, v))
    wrong = [w for w in WRONG_TYPES if not isinstance(w, dict) or kind != "multi"]
    if kind in ("float", "int", "seed"):
        fixed = [*wrong, *NONFINITE, *out_of_range(p), True, False,
                 *(h for h in HUGE_INTS if not is_valid(p, h))]
        parts = [st.sampled_from(fixed),
                 st.floats(allow_nan=True, allow_infinity=True).filter(
                     lambda v: not is_valid(p, v))]
        if kind != "float":
            lo = 0 if kind == "seed" else p.min
            hi = SEED_MAX if kind == "seed" else p.max
            parts.append(st.floats(lo, hi).filter(lambda v: v != int(v)))  # not integral
        return st.one_of(parts)
    if kind == "bool":
        return st.sampled_from([2, -1, 0.5, 1.0, "true", "yes", "1", *wrong])
    if kind == "choice":
        return st.one_of(
            st.sampled_from([1, 1.5, True, [p.choices[0]], p.choices[0].upper() + "?", *wrong]),
            st.text(max_size=12).filter(lambda s: s not in p.choices))
    return st.one_of(  # multi
        st.sampled_from([p.choices[0], ",".join(p.choices[:2]), 1, 1.5, True, [1],
                         [[p.choices[0]]], [None], *wrong]),
        st.lists(st.one_of(st.sampled_from(p.choices), st.text(max_size=8)), min_size=1)
        .filter(lambda v: not is_valid(p, v)))


@st.composite
def parameter_sets(draw, cls) -> dict:
    """Some of the parameters; all valid (so the run is exercised) or any mix."""
    all_valid = draw(st.booleans())
    names = draw(st.lists(st.sampled_from([p.name for p in cls.params]), unique=True,
                          max_size=len(cls.params)))
    values = {}
    for name in names:
        param = cls.spec()[name]
        strategy = valid_values(param) if all_valid else st.one_of(
            valid_values(param), invalid_values(param))
        values[name] = draw(strategy)
    return values


@st.composite
def live_changes(draw, cls) -> dict:
    live = [p for p in cls.params if p.live]
    if not live:
        return {}
    param = draw(st.sampled_from(live))
    return {param.name: draw(st.one_of(valid_values(param), invalid_values(param)))}


# -- the checks -----------------------------------------------------------------------------
def as_text(value) -> str:
    """How the value would be typed after ``--set NAME=``."""
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        return json.dumps(value).replace("NaN", "?").replace("null", "?")  # a matrix
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value)


def check_validation(cls, values: dict):
    """Resolve ``values`` through the GUI, preset and CLI paths; the resolved dict or None."""
    spec = cls.spec()
    invalid = [n for n, v in values.items() if not is_valid(spec[n], v)]
    resolved = None
    try:
        resolved = spec.resolve(values)
        cls.check(resolved)
    except ParamError as exc:
        resolved = None
        assert exc.message, "a refusal says why"
        if invalid:
            assert exc.name in invalid, f"refused {exc.name!r}, but the bad ones are {invalid}"
        else:
            assert exc.name in spec, f"cross-parameter refusal names {exc.name!r}, not a param"
        refused = exc.name
    else:
        assert not invalid, f"accepted invalid values {({n: values[n] for n in invalid})!r}"

    # the same values from a preset file (through JSON, as read from disk)
    data = json.loads(json.dumps({"schema": 1, "experiment": cls.id, "params": values}))
    try:
        preset = presets.from_dict(data, cls, source="fuzzed.json")
    except presets.PresetError as exc:
        assert resolved is None, f"preset refused valid values: {exc}"
        assert f"'{refused}'" in str(exc), str(exc)
    else:
        assert resolved is not None, f"preset accepted what resolve refused: {values!r}"
        assert preset.values == resolved

    # the same values typed on the command line
    for name, value in values.items():
        param = spec[name]
        try:
            parsed = param.parse(as_text(value))
        except ParamError as exc:
            assert exc.name == name
        else:
            assert param.coerce(parsed) == parsed
    return resolved


def run_accepted(cls, resolved: dict, change: dict, grid) -> str:
    """Construct and pull frames under the deadline; returns how the run ended."""
    try:
        exp = cls(resolved, device="cpu")
    except ParamError as exc:  # e.g. more memory than the machine has: refused up front
        assert exc.name in cls.spec() and exc.message
        return "refused"
    ended = "ran"
    with DeadlineFrames(exp) as frames:
        for k in range(FRAMES_PER_EXAMPLE):
            if k == 1 and change:
                before = dict(exp.p)
                try:
                    frames.update_live(change)
                except ParamError as exc:
                    assert exc.name in cls.spec() and exc.message
                    assert exp.p == before, "a refused live change was partly applied"
            try:
                frame = next(frames)
            except StopIteration:
                return "completed"
            except Diverged as exc:
                assert exc.reason and "diverged at step" in str(exc)
                return "diverged"
            missing = set(cls.frame_fields) - set(frame)
            assert not missing, f"frame lacks declared fields {missing} with {resolved}"
            assert np.isfinite(float(frame["t"]))
            if k in (0, FRAMES_PER_EXAMPLE - 1):
                grid.update_frame(frame)  # the views take whatever the run produced
        grid.grab()
    return ended


def make_grid(cls):
    from panels.grid import PanelGrid

    grid = PanelGrid(cls.views)
    grid.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    grid.resize(800, 600)
    grid.show()
    return grid


# -- the tests ------------------------------------------------------------------------------
@pytest.mark.gui
@pytest.mark.parametrize("cls", RUNNABLE, ids=RUNNABLE_IDS)
def test_fuzzed_parameters_are_refused_by_name_or_run_cleanly(cls, qapp):
    grid = make_grid(cls)
    outcomes: dict[str, int] = {}

    @settings(FUZZ, max_examples=EXAMPLES)
    @given(values=parameter_sets(cls), change=live_changes(cls))
    def example(values, change):
        resolved = check_validation(cls, values)
        outcome = "refused" if resolved is None else run_accepted(cls, resolved, change, grid)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    try:
        example()
    finally:
        grid.close()
        grid.deleteLater()
    assert outcomes.get("ran", 0) > 0, f"no drawn set was accepted and run: {outcomes}"


@pytest.mark.parametrize("cls", EXPERIMENTS, ids=IDS)
def test_every_single_bad_value_is_refused_naming_its_parameter(cls):
    """Each parameter alone with each hand-picked bad value, for all three entry points."""
    spec = cls.spec()
    for param in cls.params:
        bad = list(WRONG_TYPES)
        if param.kind in ("float", "int", "seed"):
            bad += [*NONFINITE, *out_of_range(param), True,
                    *(h for h in HUGE_INTS if not is_valid(param, h))]
        if param.kind == "multi":
            bad = [b for b in bad if not isinstance(b, dict)] + [param.choices[0]]
        for value in bad:
            if is_valid(param, value):
                continue
            with pytest.raises(ParamError) as info:
                spec.resolve({param.name: value})
            assert info.value.name == param.name, (param.name, value)
            data = {"schema": 1, "experiment": cls.id, "params": {param.name: value}}
            with pytest.raises(presets.PresetError, match=f"'{param.name}'"):
                presets.from_dict(json.loads(json.dumps(data)), cls)


BEYOND_FLOAT = 10**400  # a JSON integer no float can hold


@pytest.mark.parametrize("cls", EXPERIMENTS, ids=IDS)
def test_integers_beyond_float_range_are_refused_naming_the_parameter(cls):
    numeric = [p for p in cls.params if p.kind in ("float", "int", "seed")]
    for param in numeric:
        for value in (BEYOND_FLOAT, -BEYOND_FLOAT):
            with pytest.raises(ParamError) as info:
                param.coerce(value)
            assert info.value.name == param.name
        with pytest.raises(ParamError):
            param.parse("9" * 400)
