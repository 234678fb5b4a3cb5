"""Lecture playlists (issue 15 §1): an ordered list of steps, each an experiment in a state.

A lecture is versioned JSON, ``{"schema": 1, "title": ..., "steps": [...]}``; a step is::

    {"title": "Metastability", "experiment": "ch7.langevin-double-well",
     "preset": "demo-metastability", "params": {"D": 0.05}, "seed": 0, "speed": 50,
     "playing": true, "layout": "normal", "note": "Markdown for the speaker"}

Only ``experiment`` is required. The values a step opens with are the experiment's
defaults, then the preset's (a shipped or user preset name, or a JSON file, relative to
the lecture's folder), then ``params`` and ``seed``; its speed (steps per frame) is
``speed``, else the preset's, else the experiment's. ``layout`` is how the window shows
the step (:data:`LAYOUTS`).

Loading is as tolerant and as strict as for presets (:mod:`mgai_lab.presets`, whose
reading, validation and atomic write this module reuses): unknown keys are reported and
ignored, missing keys take their defaults, and a file that is not a lecture (bad JSON,
another schema, no step list) is refused whole, changing nothing. A single bad step (an
unknown experiment or preset, a wrong type, a value out of range) is *marked* with the
reason and skipped when the lecture plays; the other steps still play, and saving keeps
the bad step as it was read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from compute.experiment import Experiment

from . import presets
from .paths import ASSETS

SCHEMA = 1
#: "normal": the step's experiment alone in the window (a split view closes); presentation
#: mode stays as the lecturer has it. "presentation": alone, and presentation mode turns on
#: (only the lecturer turns it off, with F5). "split": beside the previous step's
#: experiment, in a split view.
LAYOUTS = ("normal", "presentation", "split")
STEP_KEYS = ("title", "experiment", "preset", "params", "seed", "speed", "playing", "layout",
             "note")


class LectureError(presets.PresetError):
    """A lecture file (or one of its steps) was refused; the message says why."""


@dataclass
class Step:
    """One step of a lecture; ``problem`` says why it cannot be played ("" if it can)."""

    experiment: str
    title: str = ""
    preset: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    speed: int | None = None
    playing: bool = False
    layout: str = "normal"
    note: str = ""
    problem: str = ""
    raw: Any = None  # a step refused as read, written back unchanged when saving

    def label(self) -> str:
        """The step's title, else its experiment id."""
        return self.title or self.experiment or "(untitled step)"

    def to_dict(self) -> Any:
        """The step's JSON object (defaults left out; a refused step exactly as read)."""
        if self.raw is not None:
            return self.raw
        out: dict[str, Any] = {"title": self.title, "experiment": self.experiment}
        if self.preset:
            out["preset"] = self.preset
        if self.params:
            out["params"] = {k: list(v) if isinstance(v, tuple) else v
                             for k, v in self.params.items()}
        if self.seed is not None:
            out["seed"] = self.seed
        if self.speed is not None:
            out["speed"] = self.speed
        out["playing"] = self.playing
        out["layout"] = self.layout
        out["note"] = self.note
        return out


@dataclass
class ResolvedStep:
    """What opening a step needs: the experiment, all its values and the speed."""

    cls: type[Experiment]
    values: dict[str, Any]
    speed: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class Lecture:
    """A validated lecture. ``base_dir`` is where relative preset files are looked up."""

    title: str
    steps: list[Step] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    base_dir: Path | None = None

    def resolve(self, index: int) -> ResolvedStep:
        """The state step ``index`` opens in; :class:`LectureError` when it cannot."""
        return resolve_step(self.steps[index], self.base_dir, f"step {index + 1}")

    def playable(self) -> list[int]:
        """Indices of the steps without a problem."""
        return [i for i, step in enumerate(self.steps) if not step.problem]

    def move(self, index: int, delta: int) -> int:
        """Move a step up (-1) or down (+1); returns its new index (unchanged at an end)."""
        target = index + delta
        if not (0 <= index < len(self.steps) and 0 <= target < len(self.steps)):
            return index
        self.steps.insert(target, self.steps.pop(index))
        return target

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "title": self.title,
                "steps": [step.to_dict() for step in self.steps]}

    def dumps(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


# -- reading ---------------------------------------------------------------------------
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_STEP_TYPES: dict[str, tuple[Any, str]] = {
    "title": (lambda v: isinstance(v, str), "a string"),
    "experiment": (lambda v: isinstance(v, str) and bool(v), "an experiment id"),
    "preset": (lambda v: v is None or isinstance(v, str), "a preset name or file"),
    "params": (lambda v: isinstance(v, dict), "an object of parameter values"),
    "seed": (lambda v: v is None or _is_int(v), "an integer"),
    "speed": (lambda v: v is None or (_is_int(v) and v >= 1), "an integer ≥ 1 (steps per frame)"),
    "playing": (lambda v: isinstance(v, bool), "true or false"),
    "layout": (lambda v: v in LAYOUTS, " or ".join(LAYOUTS)),
    "note": (lambda v: isinstance(v, str), "a string (Markdown)"),
}


def step_from_dict(data: Any, where: str = "step") -> tuple[Step, list[str]]:
    """A step from its JSON object, and notes on unknown keys. A step of the wrong shape
    is returned marked (``problem``), keeping ``data`` for saving; it never raises."""
    if not isinstance(data, dict):
        return Step("", problem=f"{where} is not a JSON object", raw=data), []
    if "experiment" not in data:
        return Step("", str(data.get("title", "")), problem=f"{where} names no 'experiment'",
                    raw=data), []
    for key, (ok, expected) in _STEP_TYPES.items():
        if key in data and not ok(data[key]):
            title = data.get("title") if isinstance(data.get("title"), str) else ""
            experiment = data["experiment"] if isinstance(data["experiment"], str) else ""
            return Step(experiment, title, problem=f"{where}: {key!r} must be {expected}, "
                        f"got {data[key]!r}", raw=data), []
    warnings = [f"{where}: unknown key {k!r} ignored" for k in data if k not in STEP_KEYS]
    known = {k: data[k] for k in STEP_KEYS if k in data}
    known["params"] = dict(known.get("params", {}))
    return Step(**known), warnings


def from_dict(data: Any, source: str = "lecture", base_dir: Path | None = None) -> Lecture:
    """Validate a decoded lecture. The file is refused (:class:`LectureError`) when it is not
    a lecture; each step that cannot be played is marked with the reason."""
    presets.check_schema(data, SCHEMA, source, LectureError, "lecture")
    steps = data.get("steps")
    if not isinstance(steps, list):
        raise LectureError(f"{source}: 'steps' must be a list of steps")
    title = data.get("title", "")
    if not isinstance(title, str):
        raise LectureError(f"{source}: 'title' must be a string")
    lecture = Lecture(title, base_dir=base_dir)
    lecture.warnings += [f"unknown key {k!r} ignored" for k in sorted(set(data) - {
        "schema", "title", "steps"})]
    for number, item in enumerate(steps, 1):
        step, warnings = step_from_dict(item, f"step {number}")
        lecture.warnings += warnings
        lecture.steps.append(step)
        if not step.problem:
            try:
                lecture.warnings += resolve_step(step, base_dir, f"step {number}").warnings
            except LectureError as exc:
                step.problem, step.raw = str(exc), item
    return lecture


def load(path: Path | str) -> Lecture:
    """Read and validate a lecture file; :class:`LectureError` says why it is refused."""
    path = Path(path)
    try:
        data = presets.read_json(path, "lecture")
    except presets.PresetError as exc:
        raise LectureError(str(exc)) from None
    return from_dict(data, str(path), path.parent)


def resolve_step(step: Step, base_dir: Path | None = None,
                 where: str = "step") -> ResolvedStep:
    """Defaults, then the preset, then the step's own values, validated like a preset."""
    if step.problem:
        raise LectureError(step.problem)
    source = f"{where} ({step.experiment})"
    view: dict[str, Any] = {}
    values: dict[str, Any] = {}
    try:
        if step.preset:
            local = base_dir / step.preset if base_dir is not None else None
            path = local if local is not None and local.is_file() else \
                presets.resolve(step.experiment, step.preset)
            preset = presets.load(path)
            if preset.experiment_id != step.experiment:
                raise LectureError(f"{source}: preset {step.preset!r} is for "
                                   f"{preset.experiment_id}")
            values, view = dict(preset.values), preset.view
        values.update(step.params)
        if step.seed is not None:
            values["seed"] = step.seed
        checked = presets.from_dict({"schema": presets.SCHEMA, "experiment": step.experiment,
                                     "params": values}, source=source)
    except LectureError:
        raise
    except presets.PresetError as exc:
        message = str(exc)
        raise LectureError(message if message.startswith(where) else f"{source}: {message}"
                           ) from None
    cls = _experiment(step.experiment)
    speed = step.speed or view.get("steps_per_frame")
    if not _is_int(speed) or speed < 1:
        speed = cls.default_steps_per_frame
    return ResolvedStep(cls, checked.values, int(speed),
                        [f"{where}: {w}" for w in checked.warnings])


def _experiment(experiment_id: str) -> type[Experiment]:
    from compute import registry

    return registry.get(experiment_id)


# -- writing ---------------------------------------------------------------------------
def step_from_state(experiment_cls: type[Experiment], values: dict[str, Any], speed: int,
                    playing: bool, layout: str = "normal", title: str = "") -> Step:
    """A step that reopens an experiment exactly as it is now (all values, seed, speed)."""
    params = {k: v for k, v in values.items() if k != "seed"}
    return Step(experiment_cls.id, title or experiment_cls.title, params=params,
                seed=values.get("seed"), speed=int(speed), playing=playing, layout=layout)


def save(path: Path | str, lecture: Lecture, *, overwrite: bool = False,
         create_folder: bool = False) -> Path:
    """Write a lecture atomically; an existing file is replaced only with ``overwrite``."""
    return presets.atomic_write(path, lecture.dumps().encode("utf-8"), overwrite=overwrite,
                                create_folder=create_folder)


def shipped() -> list[Path]:
    """The example lectures in ``assets/lectures``."""
    return sorted((ASSETS / "lectures").glob("*.json"))


def user_dir() -> Path:
    """Where the Save dialog proposes to keep the user's lectures."""
    return Path(platformdirs.user_config_dir("mgai-lab", appauthor=False)) / "lectures"
