"""Tests every registered experiment gets for free (DESIGN §9), parametrised over the registry."""

import json

import numpy as np
import pytest

import compute
from compute import Diverged, ParamError, checked_frames

EXPERIMENTS = compute.all_experiments()
IDS = [cls.id for cls in EXPERIMENTS]
N_FRAMES = 5


def first_frames(exp, n=N_FRAMES):
    frames = checked_frames(exp)
    try:
        return [next(frames) for _ in range(n)]
    finally:
        frames.close()


def test_registry_is_not_empty_and_ids_follow_the_book():
    assert {"ch7.langevin-double-well", "ch3.optimizer-zoo"} <= set(IDS)
    for exp_id in IDS:
        chapter, _, name = exp_id.partition(".")
        assert chapter.startswith("ch") and chapter[2:].isdigit() and name


def test_unknown_id_suggests_close_matches():
    with pytest.raises(compute.UnknownExperiment, match=r"did you mean ch7\.langevin-double-well"):
        compute.get("ch7.langevin-double-wel")


@pytest.mark.parametrize("cls", EXPERIMENTS, ids=IDS)
def test_metadata_is_complete_and_serialisable(cls):
    info = json.loads(json.dumps(cls.describe()))
    assert info["id"] == cls.id and info["title"] and info["summary"] and info["explanation"]
    assert info["views"], "an experiment shows at least one view"
    declared = set(cls.frame_fields) | {"step", "t"}
    for view in cls.views:
        missing = view.field_names() - declared
        assert not missing, f"view {view.key} reads undeclared fields {missing}"
    assert set(cls.history_fields) <= declared
    keys = [v.key for v in cls.views]
    assert len(keys) == len(set(keys)), "view keys are unique (they name the docks)"


@pytest.mark.parametrize("cls", EXPERIMENTS, ids=IDS)
def test_defaults_yield_finite_frames_with_declared_fields(cls):
    frames = first_frames(cls())
    steps = [f["step"] for f in frames]
    assert steps == sorted(steps) and steps[-1] > steps[0]
    for frame in frames:
        assert isinstance(frame["step"], (int, np.integer))
        assert np.isfinite(frame["t"])
        assert set(cls.frame_fields) <= set(frame), set(cls.frame_fields) - set(frame)


@pytest.mark.parametrize("cls", EXPERIMENTS, ids=IDS)
def test_same_seed_same_frames(cls):
    a = first_frames(cls({"seed": 3} if "seed" in cls.spec() else {}))
    b = first_frames(cls({"seed": 3} if "seed" in cls.spec() else {}))
    for fa, fb in zip(a, b, strict=True):
        assert fa.keys() == fb.keys()
        for key in fa:
            np.testing.assert_array_equal(np.asarray(fa[key]), np.asarray(fb[key]), err_msg=key)


def _extreme_cases():
    for cls in EXPERIMENTS:
        for param in cls.params:
            if param.kind in ("float", "int"):
                for value in (param.min, param.max):
                    case_id = f"{cls.id}-{param.name}={value:g}"
                    yield pytest.param(cls, param.name, value, id=case_id)
            elif param.kind == "choice":
                for value in param.choices:
                    yield pytest.param(cls, param.name, value, id=f"{cls.id}-{param.name}={value}")


@pytest.mark.parametrize(("cls", "name", "value"), list(_extreme_cases()))
def test_extreme_values_give_finite_frames_or_a_divergence(cls, name, value):
    try:
        exp = cls({name: value})
    except ParamError as exc:  # a combination the experiment refuses up front
        assert exc.name
        return
    try:
        first_frames(exp, 2)
    except Diverged as exc:
        assert "diverged at step" in str(exc) and exc.reason


@pytest.mark.parametrize("cls", EXPERIMENTS, ids=IDS)
def test_live_parameters_apply_without_restart(cls):
    exp = cls()
    frames = checked_frames(exp)
    try:
        before = next(frames)
        live = [p for p in cls.params if p.live and p.kind in ("float", "int")]
        if not live:
            pytest.skip("no numeric live parameter")
        param = live[0]
        target = param.max if exp.p[param.name] != param.max else param.min
        exp.update_live({param.name: target})
        after = next(frames)
        assert exp.p[param.name] == target
        assert after["step"] > before["step"], "a live change keeps the run going"
    finally:
        frames.close()
    restart = [p for p in cls.params if not p.live]
    if restart:
        with pytest.raises(ParamError, match="restart"):
            exp.update_live({restart[0].name: restart[0].default})


def _ui_texts(cls):
    """Every text of an experiment that the window shows as plain text (not equations)."""
    yield "title", cls.title
    yield "summary", cls.summary
    yield "explanation", cls.explanation
    for note in cls.book_notes:
        yield "book note", note
    for param in cls.params:
        yield f"parameter {param.name}", f"{param.label} {param.help}"
    for view in cls.views:
        yield f"view {view.key}", view.title
        for attr in ("xlabel", "ylabel", "reference_label"):
            yield f"view {view.key} {attr}", getattr(view, attr, "")
        for series in getattr(view, "series", ()):
            yield f"view {view.key} series", series.label
        for _, label, _ in getattr(view, "lines", ()):
            yield f"view {view.key} read-out", label


@pytest.mark.parametrize("cls", EXPERIMENTS, ids=IDS)
def test_window_texts_have_no_raw_latex_or_combining_marks(cls):
    """Plain texts are shown as they are: LaTeX belongs in ``equations`` (rendered), and Qt
    misplaces combining accents (ε + U+0303 showed its tilde on a later letter), so texts
    use spacing forms (ε˜, xˆ) instead."""
    import unicodedata

    for where, text in _ui_texts(cls):
        combining = [c for c in text if unicodedata.combining(c)]
        assert not combining, f"{where}: combining mark {combining[0]!r} in {text!r}"
        for token in ("\\", "$", "^{", "_{"):
            assert token not in text, f"{where}: raw LaTeX {token!r} in {text!r}"


@pytest.mark.parametrize("cls", EXPERIMENTS, ids=IDS)
def test_equations_render(cls):
    """Every equation is in matplotlib's mathtext subset (the pane would show source text);
    rendered as the explanation pane renders it, without its cache."""
    from mgai_lab.equations import render_equation

    for latex in cls.equations:
        assert render_equation(latex, "#202020", 60).startswith(b"\x89PNG"), latex
