"""Shared pieces of the reliability suite: deadlines, fault wrappers, thread census, values.

Everything here is generic over ``compute.all_experiments()``: an experiment added later
gets the same fault injection, fuzzing and soak checks without a line of test code.
"""

from __future__ import annotations

import itertools
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import psutil
from hypothesis import HealthCheck, settings

import compute
from compute import backend, registry
from compute.experiment import Experiment, checked_frames
from compute.params import SEED_MAX, Float, Param
from compute.views import Curves, Series

EXPERIMENTS = compute.all_experiments()
IDS = [cls.id for cls in EXPERIMENTS]
RUNNABLE = [cls for cls in EXPERIMENTS if not cls.needs_torch or backend.torch_installed()]
RUNNABLE_IDS = [cls.id for cls in RUNNABLE]


# the experiments the shell's own fault, transport, closing and soak tests drive
PROBES = registry.representatives(RUNNABLE)
PROBE_IDS = [cls.id for cls in PROBES]

FRAME_LIMIT_S = 20.0  # a frame that takes longer than this counts as a hang

# Deterministic examples (CI reproduces a failure exactly), no example database on disk,
# small example counts so the suite keeps to its time budget.
FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=12,
                print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture,
                                       HealthCheck.filter_too_much])


class FrameTimeout(AssertionError):
    """A frame took longer than the per-frame limit (a hang, for the reliability suite)."""


# -- pulling frames under a deadline --------------------------------------------------------
class DeadlineFrames:
    """``checked_frames(exp)`` pulled in a helper thread, each frame under ``limit`` seconds.

    ``next()`` returns the next frame, re-raises what the experiment raised (``Diverged``,
    ``StopIteration``, any error) or raises :class:`FrameTimeout`. The helper thread is a
    daemon: after a timeout it is abandoned (Python threads cannot be killed) and the test
    fails with the experiment's name and the frame number.
    """

    _DONE = object()

    def __init__(self, exp: Experiment, limit: float = FRAME_LIMIT_S):
        self.exp = exp
        self.limit = limit
        self.pulled = 0
        self._requests: queue.Queue = queue.Queue()
        self._results: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._serve, daemon=True,
                                        name=f"deadline-frames {exp.id}")
        self._thread.start()

    def _serve(self) -> None:
        frames = checked_frames(self.exp)
        try:
            while True:
                action = self._requests.get()
                if action is None:
                    return
                try:
                    action_result = action(frames)
                except BaseException as exc:  # handed to the test thread
                    self._results.put(("raise", exc))
                else:
                    self._results.put(("ok", action_result))
        finally:
            frames.close()

    def _call(self, action: Callable) -> Any:
        self._requests.put(action)
        try:
            kind, value = self._results.get(timeout=self.limit)
        except queue.Empty:
            raise FrameTimeout(f"{self.exp.id}: frame {self.pulled + 1} took more than "
                               f"{self.limit:g} s (params {self.exp.p})") from None
        if kind == "raise":
            raise value
        return value

    def __iter__(self):
        return self

    def __next__(self) -> dict:
        frame = self._call(next)
        self.pulled += 1
        return frame

    def update_live(self, changes: dict) -> None:
        """``exp.update_live`` between two frames (as the worker does), on the helper thread."""
        self._call(lambda _frames: self.exp.update_live(changes))

    def close(self) -> None:
        if self._thread.is_alive():
            self._requests.put(None)
            self._thread.join(self.limit)

    def __enter__(self) -> DeadlineFrames:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- fault-injecting wrappers of real experiments -------------------------------------------
_run_ids = itertools.count(1)


def stamped(cls: type[Experiment]) -> type[Experiment]:
    """``cls`` whose frames carry ``_run``: a process-wide unique id of the run (instance).

    A frame shown after a reset whose ``_run`` is not the current experiment's is a frame of
    a stale run. Not registered: the registry is left alone.
    """

    class Stamped(cls):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.run_id = next(_run_ids)

        def frames(self):
            run_id = self.run_id
            for frame in super().frames():
                yield {**frame, "_run": run_id}

    Stamped.__name__ = Stamped.__qualname__ = f"Stamped{cls.__name__}"
    return Stamped


class InjectedFault(Exception):
    """Raised by :func:`faulty` wrappers (a stand-in for any bug inside ``frames()``)."""


def faulty(cls: type[Experiment], at_frame: int, error: BaseException,
           where: str = "frames") -> type[Experiment]:
    """``cls`` that raises ``error`` at frame ``at_frame`` of ``frames()`` (0: before any).

    ``where="init"`` raises in the constructor instead, ``where="live"`` in the hook of a
    live parameter change. Not registered.
    """

    class Faulty(cls):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            if where == "init":
                raise error
            super().__init__(*args, **kwargs)

        running = False

        def frames(self):
            self.running = True
            if where == "frames" and at_frame == 0:
                raise error
            for k, frame in enumerate(super().frames(), start=1):
                yield frame
                if where == "frames" and k >= at_frame:
                    raise error

        def on_live_change(self, names):
            if where == "live" and self.running:  # not when a constructor calls the hook
                raise error
            super().on_live_change(names)

    Faulty.__name__ = Faulty.__qualname__ = f"Faulty{cls.__name__}"
    return Faulty


# -- the thread census ----------------------------------------------------------------------
QT_POOL_THREAD = "Thread (pooled)"  # Qt's global pool: started on demand, idle-expiring


def os_threads() -> dict[int, str]:
    """Every OS thread of this process: id -> name (Linux /proc comm, else '?')."""
    out: dict[int, str] = {}
    for thread in psutil.Process().threads():
        try:
            with open(f"/proc/self/task/{thread.id}/comm", encoding="utf-8") as handle:
                out[thread.id] = handle.read().strip()
        except OSError:
            if os.path.isdir("/proc/self/task"):
                continue  # it ended while we looked
            out[thread.id] = "?"
    return out


def counted_threads() -> dict[int, str]:
    """The OS threads that must return to their baseline (Qt's idle pool excluded)."""
    return {tid: name for tid, name in os_threads().items() if name != QT_POOL_THREAD}


def wait_until(predicate: Callable[[], bool], timeout: float, app=None,
               step: float = 0.01) -> bool:
    """Poll ``predicate`` (processing Qt events if ``app``) until true or ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        if app is not None:
            app.processEvents()
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(step)


# -- parameter values: a validity oracle written independently of Param.coerce ---------------
def is_valid(param: Param, value: Any) -> bool:
    """Whether ``value`` (a JSON-like Python value) is acceptable for ``param``."""
    kind = param.kind
    if kind == "matrix":
        return matrix_is_valid(param, value)
    if kind == "bool":
        return isinstance(value, bool) or (type(value) is int and value in (0, 1))
    if kind == "choice":
        return isinstance(value, str) and value in param.choices
    if kind == "multi":
        return (isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
                and all(v in param.choices for v in value))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if kind in ("int", "seed") and isinstance(value, float) and value != int(value):
        return False
    lo = 0 if kind == "seed" else param.min
    hi = SEED_MAX if kind == "seed" else param.max
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def matrix_is_valid(param: Param, value: Any) -> bool:
    """A list of equally long rows of the declared (or an allowed) shape, every entry a
    finite real in range (or a gap, None/NaN, where the matrix allows missing entries)."""
    if not isinstance(value, (list, tuple)) or not value:
        return False
    if not all(isinstance(row, (list, tuple)) for row in value):
        return False
    shape = (len(value), len(value[0]))
    if any(len(row) != shape[1] for row in value):
        return False
    if param.max_shape is None:
        if shape != tuple(param.shape):
            return False
    elif not (1 <= shape[0] <= param.max_shape[0] and 1 <= shape[1] <= param.max_shape[1]):
        return False
    for row in value:
        for cell in row:
            gap = cell is None or (isinstance(cell, float) and math.isnan(cell))
            if gap:
                if not param.missing:
                    return False
                continue
            if isinstance(cell, bool) or not isinstance(cell, (int, float)):
                return False
            if isinstance(cell, int) and abs(cell) > 1e308:
                return False
            if not math.isfinite(cell):
                return False
            if (param.min is not None and cell < param.min) or (
                    param.max is not None and cell > param.max):
                return False
    return True


WRONG_TYPES: tuple[Any, ...] = (None, "", "1", "0.5", "nan", "true", [], [1], {}, {"v": 1},
                                [[1]])
NONFINITE = (math.nan, math.inf, -math.inf)
# huge integers that still fit a float; beyond float range see test_bad_parameters
HUGE_INTS = (2**53 + 1, 2**63, -(2**63), 10**30, -(10**30), 10**300)


def out_of_range(param: Param) -> list[Any]:
    """Values just and far outside the range of a numeric parameter."""
    lo = 0 if param.kind == "seed" else param.min
    hi = SEED_MAX if param.kind == "seed" else param.max
    out: list[Any] = []
    integral = param.kind in ("int", "seed")
    for bound, sign in ((lo, -1), (hi, +1)):
        if bound is None:
            continue
        step = 1 if integral else max(abs(bound) * 1e-9, 1e-12)
        out += [bound + sign * step, bound + sign * (abs(bound) + 1) * 10]
    return [int(v) if integral else float(v) for v in out]


def flatten(items: Iterable[Iterable[Any]]) -> list[Any]:
    return [x for group in items for x in group]


class TorchProbe(Experiment):
    """A minimal experiment that needs PyTorch: registered by the no-torch and no-GPU checks."""

    id = "ch0.torch-probe"
    title = "An experiment that needs PyTorch"
    section = "0"
    family = "test"
    summary = "imports torch when it runs"
    explanation = "registered by the reliability checks of missing optional parts"
    needs_torch = True
    params = (Float("a", 1.0, 0.0, 2.0),)
    views = (Curves("c", "c", series=(Series("y"),)),)
    frame_fields = {"y": "(3,) numbers"}

    def frames(self):
        torch = backend.import_torch()
        k = 0
        while True:
            yield {"step": k, "t": float(k), "y": torch.arange(3.0).numpy() * k}
            k += 1
