"""MGAI Lab as a library: list, describe, run and render the experiments without a window.

    from mgai_lab import api

    api.list()                                   # every experiment: id, title, section, …
    api.describe("ch7.ou-process")["params"]     # parameters with defaults, ranges, liveness
    run = api.run("ch7.ou-process", params={"n_particles": 2000}, seed=1, frames=50)
    run.last["x"]                                # the final frame: a dict of numpy arrays
    [f["t"] for f in run.frames]                 # every frame pulled, in order
    run.save_npz("ou.npz"); run.render("ou.png") # the frame's data and its views
    api.render("ch7.ou-process", "ou.mp4", frames=120)

A run is what the GUI shows after the same number of frames: same parameters, same seed,
same ``speed`` (internal steps per frame, the transport bar's speed box). Importing this
module never imports Qt; only rendering starts an offscreen Qt. The command line
(:mod:`mgai_lab.cli`) is a thin layer over these functions, and File → Export as Python
script writes a script that calls them.

Bad input raises at once, before any computation: :class:`UnknownExperiment` for an id,
:class:`ParameterError` naming the parameter (``speed`` included), :class:`PresetError`,
:class:`RunError` for anything else (frame count, device, output file), and
:class:`RenderError` when an image or video cannot be written.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import json
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from compute import backend, registry
from compute.experiment import Diverged, Experiment, Frame, checked_frames
from compute.params import ParamError
from compute.registry import UnknownExperiment

from . import presets
from .presets import PresetError

# (``list`` is left out: ``from mgai_lab.api import *`` must not shadow the builtin)
__all__ = [
    "KEEP", "ParameterError", "PresetError", "RenderError", "Run", "RunError",
    "UnknownExperiment", "describe", "experiment_class", "frame_npz_bytes", "json_value",
    "list_experiments", "prepare", "render", "render_experiment", "resolve_values", "run",
    "run_experiment",
]

KEEP = ("all", "last")
DEFAULT_SIZE = (1200, 900)


class ParameterError(ParamError):
    """A parameter value was refused; ``name`` is the parameter, ``message`` the reason."""

    def __init__(self, name: str, message: str):
        super().__init__(name, message)
        self.args = (f"parameter {name!r}: {message}",)


class RunError(ValueError):
    """A run was refused before it started (frame count, device, output file)."""


class RenderError(RuntimeError):
    """An image or a video could not be written; the message says why."""


# -- the catalogue ---------------------------------------------------------------------
def list_experiments() -> builtins.list[dict[str, Any]]:
    """Every experiment, by chapter: ``id``, ``title``, ``section``, ``chapter``, ``family``,
    ``summary`` and ``needs_torch`` (read from the catalogue, without importing them all)."""
    return [{"id": info.id, "title": info.title, "section": info.section,
             "chapter": info.chapter(), "family": info.family, "summary": info.summary,
             "needs_torch": info.needs_torch} for info in registry.catalog()]


def describe(experiment_id: str) -> dict[str, Any]:
    """JSON-ready metadata of one experiment: explanation, equations, book notes, parameters
    (default, range, live or restart), views, frame fields, and the names of its presets."""
    info = experiment_class(experiment_id).describe()
    info["presets"] = [name for name, _, _ in presets.list_presets(experiment_id)]
    return info


def experiment_class(experiment_id: str) -> type[Experiment]:
    """The experiment class registered under ``experiment_id`` (raises UnknownExperiment)."""
    return registry.get(experiment_id)


# -- preparing a run -------------------------------------------------------------------
def _parameter_error(exc: ParamError) -> ParameterError:
    return exc if isinstance(exc, ParameterError) else ParameterError(exc.name, exc.message)


def resolve_values(cls: type[Experiment], *, preset: str | None = None,
                   params: Mapping[str, Any] | None = None, assignments: Sequence[str] = (),
                   seed: int | None = None,
                   on_warning: Callable[[str], None] | None = None,
                   ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every parameter value of a run, and the preset's view settings (its speed).

    Layered as the GUI does: defaults, then the preset (a shipped or user preset's name, or
    a file), then ``params`` (Python values), then ``assignments`` (``"name=text"``, the
    CLI's ``--set``), then ``seed``. Each value is validated; the first refusal raises
    :class:`ParameterError` (or :class:`PresetError`) naming it. A preset's notes (unknown
    keys ignored) go to ``on_warning``, by default :func:`warnings.warn`.
    """
    values: dict[str, Any] = {}
    view: dict[str, Any] = {}
    warn = on_warning or (lambda text: warnings.warn(text, stacklevel=3))
    try:
        if preset:
            loaded = presets.load(presets.resolve(cls.id, preset), cls)
            for note in loaded.warnings:
                warn(f"preset: {note}")
            values, view = dict(loaded.values), loaded.view
        spec = cls.spec()
        values.update({name: spec[name].coerce(value) for name, value in (params or {}).items()})
        values.update(spec.parse_assignments(assignments))
        if seed is not None:
            values["seed"] = spec["seed"].coerce(seed)
        resolved = spec.resolve(values)
        cls.check(resolved)
    except ParamError as exc:
        raise _parameter_error(exc) from None
    return resolved, view


def _speed(cls: type[Experiment], speed: int | None, view: Mapping[str, Any]) -> int | None:
    """The steps per frame asked for: ``speed`` (validated) or the preset's (clamped, as the
    GUI clamps it), or None for the experiment's default."""
    if speed is None:
        preset_speed = view.get("steps_per_frame")
        if isinstance(preset_speed, int) and not isinstance(preset_speed, bool):
            return preset_speed
        return None
    if isinstance(speed, bool) or not isinstance(speed, (int, np.integer)) \
            or not 1 <= speed <= cls.max_steps_per_frame:
        raise ParameterError("speed", f"internal steps per frame must be an integer from 1 to "
                                      f"{cls.max_steps_per_frame}, got {speed!r}")
    return int(speed)


def prepare(experiment_id: str, params: Mapping[str, Any] | None = None, *,
            seed: int | None = None, preset: str | None = None,
            assignments: Sequence[str] = (), speed: int | None = None, device: str = "auto",
            on_warning: Callable[[str], None] | None = None) -> Experiment:
    """A constructed experiment ready to run, with its speed set (see :func:`run`)."""
    cls = experiment_class(experiment_id)
    values, view = resolve_values(cls, preset=preset, params=params, assignments=assignments,
                                  seed=seed, on_warning=on_warning)
    steps = _speed(cls, speed, view)
    if device not in backend.DEVICES:
        raise RunError(f"unknown device {device!r} (choose from {', '.join(backend.DEVICES)})")
    try:
        experiment = cls(values, device=device)
    except backend.BackendError as exc:
        raise RunError(str(exc)) from None
    except ParamError as exc:  # refused up front, e.g. more memory than the machine has
        raise _parameter_error(exc) from None
    if steps is not None:
        experiment.set_steps_per_frame(steps)
    return experiment


# -- running ---------------------------------------------------------------------------
@dataclass
class Run:
    """The outcome of :func:`run`: the frames kept and how the run ended.

    ``status`` is ``"ok"`` (all frames asked for were pulled), ``"completed"`` (the process
    ended by itself earlier, e.g. a reverse diffusion reaching t = 0) or ``"diverged"``
    (``message`` says at which step and why; ``frames`` end at the last good one).
    """

    experiment_id: str
    params: dict[str, Any]
    speed: int
    device: str
    frames: builtins.list[Frame] = field(default_factory=builtins.list)
    pulled: int = 0
    status: str = "ok"
    message: str = ""
    seconds: float = 0.0

    @property
    def last(self) -> Frame | None:
        """The final frame (None when the run diverged before its first frame)."""
        return self.frames[-1] if self.frames else None

    @property
    def seed(self) -> int | None:
        """The run's seed (None for an experiment without randomness)."""
        return self.params.get("seed")

    def summary(self) -> dict[str, Any]:
        """JSON-ready: id, status, frames pulled, final step and time, seconds, parameters,
        the final frame's scalar fields, and the message of a divergence."""
        frame = self.last or {}
        out: dict[str, Any] = {
            "experiment": self.experiment_id, "status": self.status, "frames": self.pulled,
            "step": int(frame.get("step", 0)), "t": float(frame.get("t", 0.0)),
            "seconds": round(self.seconds, 4), "speed": self.speed,
            "params": {k: json_value(v) for k, v in self.params.items()},
        }
        if frame:
            out["scalars"] = {k: json_value(v) for k, v in frame.items()
                              if isinstance(v, (int, float, np.generic)) and k not in ("step", "t")}
        if self.message:
            out["message"] = self.message
        return out

    def save_npz(self, path: Path | str) -> Path:
        """The final frame's fields, the experiment id and the parameters (JSON) as NPZ,
        written atomically (the same file as the GUI's Export frame data)."""
        if self.last is None:
            raise RunError(f"{self.experiment_id} produced no frame to save")
        path = Path(path)
        if path.suffix.lower() != ".npz":
            raise RunError(f"frame data is saved as .npz, got {path.name}")
        try:
            return presets.atomic_write(path, frame_npz_bytes(self.last, self.experiment_id,
                                                              self.params), overwrite=True)
        except OSError as exc:
            raise RunError(f"cannot write {path}: {exc}") from None

    def render(self, out: Path | str, *, size: tuple[int, int] = DEFAULT_SIZE,
               theme: str = "light", fps: float = 30.0) -> Path:
        """The views of the final frame as PNG or SVG, or every kept frame as MP4 or GIF
        (needs ``keep="all"``), laid out as the GUI lays them; offscreen Qt."""
        from . import render as rendering

        out = _render_target(out, size, fps, theme)
        video = out.suffix.lower() in rendering.VIDEO_FORMATS
        if self.last is None:
            raise RunError(f"{self.experiment_id} produced no frame to render")
        if video and len(self.frames) < self.pulled:
            raise RunError("a video needs every frame: run with keep='all'")
        cls = experiment_class(self.experiment_id)
        try:
            with _offscreen_qt(), rendering.Renderer(
                    cls, out, size, theme, fps=fps, hidden=cls.hidden_views(self.params)
                    ) as renderer:
                for frame in self.frames if video else ():
                    renderer.add_frame(frame)
                return renderer.finish(self.last)
        except rendering.ExportError as exc:
            raise RenderError(str(exc)) from None


def run_experiment(experiment: Experiment, frames: int, *, keep: str = "all",
                   on_frame: Callable[[Frame], None] | None = None) -> Run:
    """Pull up to ``frames`` frames from a prepared experiment (torch tensors become numpy).

    ``keep="all"`` keeps every frame (copied: an experiment may reuse its arrays),
    ``"last"`` only the final one; ``on_frame`` sees each frame as it comes. A divergence
    ends the run with status ``"diverged"``, it does not raise.
    """
    if isinstance(frames, bool) or not isinstance(frames, (int, np.integer)) or frames < 1:
        raise RunError(f"the number of frames must be at least 1, got {frames!r}")
    if keep not in KEEP:
        raise RunError(f"keep must be one of {', '.join(KEEP)}, got {keep!r}")
    result = Run(experiment.id, dict(experiment.p), experiment.steps_per_frame,
                 experiment.device)
    started = time.perf_counter()
    stream = checked_frames(experiment)
    last: Frame | None = None
    try:
        for raw in stream:
            frame = {k: backend.to_numpy(v) for k, v in raw.items()}
            result.pulled += 1
            if on_frame is not None:
                on_frame(frame)
            if keep == "all":
                result.frames.append({k: np.array(v) if isinstance(v, np.ndarray) else v
                                      for k, v in frame.items()})
            last = frame
            if result.pulled >= frames:
                break
        else:
            result.status = "completed"
    except Diverged as exc:
        result.status, result.message = "diverged", str(exc)
    finally:
        stream.close()
        result.seconds = time.perf_counter() - started
    if keep == "last" and last is not None:
        result.frames = [last]
    return result


def run(experiment_id: str, params: Mapping[str, Any] | None = None, *,
        seed: int | None = None, preset: str | None = None, frames: int = 100,
        speed: int | None = None, device: str = "auto", keep: str = "all",
        on_frame: Callable[[Frame], None] | None = None) -> Run:
    """Run an experiment headless for ``frames`` frames and return them.

    ``params`` overrides the defaults (or the ``preset``: a preset's name such as
    ``"fig-7.7"``, or a preset file); ``seed`` fixes the randomness; ``speed`` is the number
    of internal steps per frame (the GUI's speed box; default the preset's, else the
    experiment's). The same arguments give the same frames as the GUI after as many frames.
    ``keep="last"`` keeps only the final frame (long runs, sweeps).
    """
    experiment = prepare(experiment_id, params, seed=seed, preset=preset, speed=speed,
                         device=device)
    return run_experiment(experiment, frames, keep=keep, on_frame=on_frame)


@contextlib.contextmanager
def _offscreen_qt() -> Iterator[None]:
    """Rendering starts an offscreen QApplication when none runs, which hands Python's
    cycle collector to a GUI-thread timer (:mod:`mgai_lab.qt_app`). A script or notebook
    runs no event loop to fire it: when the application is this call's own, collection is
    given back afterwards (a window started later takes it again)."""
    from pyqtgraph.Qt import QtWidgets

    from . import qt_app

    owned = QtWidgets.QApplication.instance() is None
    try:
        yield
    finally:
        if owned:
            qt_app.release_collector()


def _render_target(out: Path | str, size: tuple[int, int], fps: float,
                   theme: str = "light") -> Path:
    """Refuse an output the renderer cannot write, before anything is computed."""
    from panels.theme import THEMES

    from . import render as rendering

    if theme not in THEMES:
        raise RunError(f"unknown theme {theme!r} (choose from {', '.join(THEMES)})")
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in rendering.SUFFIXES:
        raise RunError(f"the output must end in {', '.join(rendering.SUFFIXES)}, got {out.name}")
    if not out.parent.is_dir():
        raise RunError(f"the folder {out.parent} does not exist")
    width, height = size
    if suffix in rendering.VIDEO_FORMATS and (width % 2 or height % 2):
        raise RunError(f"a video needs an even width and height, got {width}x{height}")
    if not 1 <= fps <= 120:
        raise RunError(f"fps must be between 1 and 120, got {fps:g}")
    return out


def render(experiment_id: str, out: Path | str, params: Mapping[str, Any] | None = None, *,
           seed: int | None = None, preset: str | None = None, frames: int = 100,
           speed: int | None = None, device: str = "auto",
           size: tuple[int, int] = DEFAULT_SIZE, theme: str = "light",
           fps: float = 30.0) -> Run:
    """Run like :func:`run` and write the views: PNG/SVG of the final frame, or MP4/GIF of
    every frame (one video frame each, played at ``fps``). Works without a display
    (offscreen Qt). Returns the run, its final frame kept."""
    _render_target(out, size, fps, theme)  # refused before anything is computed
    experiment = prepare(experiment_id, params, seed=seed, preset=preset, speed=speed,
                         device=device)
    return render_experiment(experiment, out, frames, size=size, theme=theme, fps=fps)


def render_experiment(experiment: Experiment, out: Path | str, frames: int, *,
                      size: tuple[int, int] = DEFAULT_SIZE, theme: str = "light",
                      fps: float = 30.0) -> Run:
    """:func:`render` for a prepared experiment (the CLI's ``render``)."""
    from . import render as rendering

    out = _render_target(out, size, fps, theme)
    try:
        with _offscreen_qt(), rendering.Renderer(
                type(experiment), out, size, theme, fps=fps,
                hidden=experiment.hidden_views(experiment.p)) as renderer:
            result = run_experiment(experiment, frames, keep="last",
                                    on_frame=renderer.add_frame if renderer.video else None)
            if result.last is None:
                raise RunError(f"{experiment.id} produced no frame to render"
                               + (f" ({result.message})" if result.message else ""))
            renderer.finish(result.last)
    except rendering.ExportError as exc:
        raise RenderError(str(exc)) from None
    return result


# -- files -----------------------------------------------------------------------------
def json_value(value: Any) -> Any:
    """A parameter or scalar as JSON knows it (numpy scalars and tuples converted)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return [json_value(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    converted = json_value(value)
    if converted is value:
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")
    return converted


def frame_npz_bytes(frame: Mapping[str, Any], experiment_id: str,
                    params: Mapping[str, Any]) -> bytes:
    """The frame's arrays plus ``experiment_id`` and the parameters (as JSON in
    ``params_json``) as compressed NPZ bytes."""
    arrays = {k: np.asarray(v) for k, v in frame.items()}
    arrays["params_json"] = np.array(json.dumps(dict(params), default=_json_default))
    arrays["experiment_id"] = np.array(experiment_id)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


# ``api.list()`` reads as the issue names it; defined last, as it shadows the builtin in
# this module (which therefore writes ``builtins.list`` and never calls ``list(...)``).
list = list_experiments
