"""The experiment contract (DESIGN §3): metadata, parameters, views and ``frames()``.

An experiment is a Qt-free class. The GUI worker, the command line and the tests all drive
it the same way: construct it with validated parameters, iterate :func:`checked_frames`,
and send live parameter changes with :meth:`Experiment.update_live` between frames.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from . import backend
from .params import Param, ParamError, ParamSpec
from .views import View

Frame = dict[str, Any]
"""One frame: named numpy arrays and scalars, always with ``step`` (int) and ``t`` (float)."""


class Diverged(RuntimeError):
    """The run left the region where its numbers mean anything (NaN, inf, blow-up)."""

    def __init__(self, step: int, reason: str):
        super().__init__(f"diverged at step {step} ({reason})")
        self.step = step
        self.reason = reason


class Experiment:
    """Base class of every experiment. Subclasses set the class attributes and ``frames``.

    Class attributes
    ----------------
    id, title, section, family, summary, explanation:
        metadata; ``id`` follows the book (``ch7.langevin-double-well``), ``summary`` is one
        line for the browser, ``explanation`` one paragraph for the explanation pane.
    equations:
        LaTeX (matplotlib mathtext subset) strings rendered by the shell.
    book_notes:
        where the lab departs from the printed text, and why.
    params:
        the :class:`Param` list; ``seed`` is expected for any random experiment.
    views:
        Qt-free :class:`View` descriptions.
    frame_fields:
        name -> one-line description (shape and meaning) of every field a frame carries.
    history_fields:
        frame fields that hold a growing record (curves vs step); ``run`` saves them too.
    nonfinite_fields:
        float fields allowed to hold NaN/inf (padding of ragged trajectories).
    needs_torch:
        the experiment imports torch (lazily); the shell disables it when torch is absent.
    memory_param:
        the parameter that drives memory use (named when :meth:`memory_bytes` is too large).
    """

    id: ClassVar[str]
    title: ClassVar[str]
    section: ClassVar[str]
    family: ClassVar[str]
    summary: ClassVar[str]
    explanation: ClassVar[str]
    equations: ClassVar[tuple[str, ...]] = ()
    book_notes: ClassVar[tuple[str, ...]] = ()
    params: ClassVar[tuple[Param, ...]] = ()
    views: ClassVar[tuple[View, ...]] = ()
    frame_fields: ClassVar[dict[str, str]] = {}
    history_fields: ClassVar[tuple[str, ...]] = ()
    nonfinite_fields: ClassVar[frozenset[str]] = frozenset()
    needs_torch: ClassVar[bool] = False
    memory_param: ClassVar[str | None] = None
    default_steps_per_frame: ClassVar[int] = 10
    max_steps_per_frame: ClassVar[int] = 10_000

    _spec_cache: ClassVar[dict[type, ParamSpec]] = {}

    def __init__(self, params: Mapping[str, Any] | None = None, *, device: str = "auto"):
        self.p: dict[str, Any] = self.spec().resolve(params)
        self.check(self.p)
        self.check_memory(self.p)
        self.device = backend.resolve_device(device) if self.needs_torch else "cpu"
        self.steps_per_frame = self.default_steps_per_frame

    # -- parameters --------------------------------------------------------------------
    @classmethod
    def spec(cls) -> ParamSpec:
        """The validated :class:`ParamSpec` built from ``params`` (cached per class)."""
        spec = Experiment._spec_cache.get(cls)
        if spec is None:
            spec = Experiment._spec_cache[cls] = ParamSpec(tuple(cls.params))
        return spec

    @classmethod
    def check(cls, p: Mapping[str, Any]) -> None:
        """Cross-parameter validation (e.g. beta_max >= beta_min); raise ParamError."""

    @classmethod
    def hidden_views(cls, p: Mapping[str, Any]) -> frozenset[str]:
        """Keys of views that parameters ``p`` make meaningless (e.g. a training-loss plot
        when no network is trained); the shell hides them. Default: none."""
        return frozenset()

    @classmethod
    def interaction_changes(cls, p: Mapping[str, Any], event: str, payload: Any
                            ) -> dict[str, Any]:
        """Parameter changes a click in a view asks for (a Graph view's ``toggle_edge`` with
        its node pair): the shell applies them like edits in the parameter pane, so the
        edit is kept in presets and survives a reset. Raise :class:`ParamError` to refuse.
        Default: views are not editable."""
        return {}

    @classmethod
    def memory_bytes(cls, p: Mapping[str, Any]) -> int:
        """Estimate of the memory a run with parameters ``p`` holds at once (bytes)."""
        return 0

    @classmethod
    def check_memory(cls, p: Mapping[str, Any]) -> None:
        """Refuse up front a run that would need more memory than the machine has free."""
        need = cls.memory_bytes(p)
        available = backend.available_memory_bytes()
        if available is not None and need > 0.8 * available:
            name = cls.memory_param or "parameters"
            raise ParamError(name, f"this run needs about {human_bytes(need)} of memory, "
                                   f"but only {human_bytes(available)} are free")

    def update_live(self, changes: Mapping[str, Any]) -> None:
        """Apply changes of live parameters at the next step, keeping the state.

        Raises :class:`ParamError` for an unknown name, a bad value or a restart parameter;
        nothing is applied then.
        """
        spec = self.spec()
        new = dict(self.p)
        for name, value in changes.items():
            param = spec[name]
            if not param.live:
                raise ParamError(name, "needs a restart (Reset) to take effect")
            new[name] = param.coerce(value)
        self.check(new)
        self.p = new
        self.on_live_change(set(changes))

    def on_live_change(self, names: set[str]) -> None:
        """Hook: recompute what depends on the live parameters ``names``."""

    def on_event(self, name: str, payload: Any) -> None:
        """Hook: the user acted on a view (``launch`` a trajectory at a clicked point) with
        an action that is not a set-up edit (those come from :meth:`interaction_changes`);
        applied before the next frame. Raise :class:`ParamError` to refuse it. Default:
        ignored."""

    def set_steps_per_frame(self, n: int) -> None:
        """Speed: internal steps per yielded frame, clamped to [1, max_steps_per_frame]."""
        self.steps_per_frame = int(min(max(1, n), self.max_steps_per_frame))

    # -- running -----------------------------------------------------------------------
    def frames(self) -> Iterator[Frame]:
        """Yield frames forever, or until the process ends (e.g. reverse diffusion at t=0)."""
        raise NotImplementedError

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """JSON-ready metadata (the CLI's ``describe``)."""
        return {
            "id": cls.id,
            "title": cls.title,
            "section": cls.section,
            "family": cls.family,
            "summary": cls.summary,
            "explanation": cls.explanation,
            "equations": list(cls.equations),
            "book_notes": list(cls.book_notes),
            "needs_torch": cls.needs_torch,
            "params": [p.describe() for p in cls.params],
            "views": [{"key": v.key, "title": v.title, "family": type(v).__name__,
                       "fields": sorted(v.field_names())} for v in cls.views],
            "frame_fields": dict(cls.frame_fields),
            "history_fields": list(cls.history_fields),
        }

    @classmethod
    def chapter(cls) -> int:
        """The chapter number from the id (``ch7.…`` -> 7)."""
        return int(cls.id.split(".", 1)[0].removeprefix("ch"))


def human_bytes(n: float) -> str:
    """1536 -> '1.5 KiB'."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def first_nonfinite(frame: Mapping[str, Any], allowed: frozenset[str] = frozenset()) -> str | None:
    """Name of the first float field of ``frame`` holding NaN or inf, else None."""
    for name, value in frame.items():
        if name in allowed:
            continue
        if isinstance(value, float) and not np.isfinite(value):
            return name
        if (isinstance(value, np.ndarray) and value.dtype.kind in "fc"
                and not np.isfinite(value).all()):
            return name
    return None


def checked_frames(exp: Experiment) -> Iterator[Frame]:
    """``exp.frames()`` with the divergence guard of the contract.

    Raises :class:`Diverged` at the first frame with a non-finite value outside the
    experiment's ``nonfinite_fields``, naming the field; a :class:`Diverged` raised by the
    experiment itself passes through.
    """
    for frame in exp.frames():
        bad = first_nonfinite(frame, exp.nonfinite_fields)
        if bad is not None:
            raise Diverged(int(frame.get("step", -1)), f"{bad} is not finite")
        yield frame
