"""One open experiment: its parameter values, its worker and the restart bookkeeping.

The session owns the values the next run will use. Live parameters go straight to the
running worker; restart parameters are kept as pending until :meth:`reset`. A reset stops
the worker and starts a new run with a higher generation number, so anything still arriving
from the old run is recognised and dropped.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pyqtgraph.Qt import QtCore

from compute.experiment import Experiment, Frame
from compute.params import ParamError

from .worker import CANCEL_WAIT_MS, FrameWorker

# How long a stop may take in all: the worker's wait, then its cancellation (CANCEL_WAIT_MS)
STOP_TIMEOUT_MS = 900


class ExperimentSession(QtCore.QObject):
    """Parameters, worker and transport state of one experiment in the GUI."""

    #: message, traceback — frames() raised, or a run could not start
    failed = QtCore.Signal(str, str)
    #: step, reason
    diverged = QtCore.Signal(int, str)
    #: the process ended by itself
    completed = QtCore.Signal()
    #: name, message — a parameter value was refused
    rejected = QtCore.Signal(str, str)
    #: a new run started (after start or reset)
    restarted = QtCore.Signal()
    #: playing (bool) — transport state changed
    transport_changed = QtCore.Signal(bool)
    #: the current run has a new frame waiting
    frame_ready = QtCore.Signal()

    def __init__(self, experiment_cls: type[Experiment], values: Mapping[str, Any] | None = None,
                 *, device: str = "auto", max_fps: float = 60.0,
                 parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.cls = experiment_cls
        self.values: dict[str, Any] = experiment_cls.spec().resolve(values)
        self.pending: set[str] = set()
        self.device = device
        self.max_fps = max_fps
        self.generation = 0
        self.worker: FrameWorker | None = None
        self.experiment: Experiment | None = None
        self.speed = experiment_cls.default_steps_per_frame
        self._playing = False
        self._retired: list[FrameWorker] = []

    # -- parameters ---------------------------------------------------------------------
    def set_param(self, name: str, value: Any) -> bool:
        """Validate and store one value; live values reach the run at its next frame.

        Returns False (and emits :attr:`rejected`) when the value is refused.
        """
        spec = self.cls.spec()
        try:
            value = spec[name].coerce(value)
            candidate = {**self.values, name: value}
            self.cls.check(candidate)
        except ParamError as exc:
            self.rejected.emit(exc.name, exc.message)
            return False
        self.values = candidate
        if spec[name].live:
            if self.worker is not None:
                self.worker.send_live({name: value})
        elif self.experiment is None or self.experiment.p.get(name) != value:
            self.pending.add(name)
        else:
            self.pending.discard(name)
        return True

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Replace every value (a preset) and restart; raises ParamError, changing nothing."""
        resolved = self.cls.spec().resolve(values)
        self.cls.check(resolved)
        self.values = resolved
        self.reset()

    # -- transport ----------------------------------------------------------------------
    def start(self, playing: bool = False) -> bool:
        """Start a new run with the current values; False if the experiment refused them.

        A run started paused computes its first frame, so the views show the initial state.
        """
        self._retire_worker()
        self.generation += 1
        try:
            experiment = self.cls(self.values, device=self.device)
        except Exception as exc:  # a bad combination of values, a missing device
            import traceback

            self.experiment = None
            self.failed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
            return False
        experiment.set_steps_per_frame(self.speed)
        self.experiment = experiment
        self.pending.clear()
        worker = FrameWorker(experiment, self.generation, max_fps=self.max_fps)
        worker.errored.connect(self._on_errored)
        worker.diverged.connect(self._on_diverged)
        worker.completed.connect(self._on_completed)
        worker.param_rejected.connect(self._on_param_rejected)
        worker.frame_ready.connect(self.frame_ready)
        self.worker = worker
        worker.start()
        self._set_playing(playing)
        if not playing:
            worker.step_once()  # show the new run's first frame while paused
        self.restarted.emit()
        return True

    def reset(self) -> bool:
        """Restart with the current values (pending restart values take effect)."""
        return self.start(playing=self._playing)

    def play(self) -> None:
        if self.worker is None or not self.worker.isRunning():
            self.start(playing=True)  # (again) after an error, a divergence or the end
            return
        self._set_playing(True)

    def pause(self) -> None:
        self._set_playing(False)

    def toggle(self) -> None:
        self.pause() if self._playing else self.play()

    def step(self) -> None:
        """One frame, then paused."""
        if self.worker is None or not self.worker.isRunning():
            self.start(playing=False)  # a paused start computes one frame
            return
        self._set_playing(False)
        self.worker.step_once()

    @property
    def playing(self) -> bool:
        return self._playing

    def set_speed(self, steps_per_frame: int) -> None:
        self.speed = int(min(max(1, steps_per_frame), self.cls.max_steps_per_frame))
        if self.worker is not None:
            self.worker.set_speed(self.speed)

    def send_event(self, name: str, payload: Any) -> None:
        """Pass a user action on a view to the running experiment (ignored when no run
        is going: it would have nothing to act on)."""
        if self.worker is not None and self.worker.isRunning():
            self.worker.send_event(name, payload)

    def take_frame(self) -> Frame | None:
        return self.worker.take_frame() if self.worker is not None else None

    def close(self) -> bool:
        """Stop every worker of this session; True if all ended within the timeout."""
        self._set_playing(False)
        started = time.monotonic()
        self._retire_worker()
        # one STOP_TIMEOUT_MS for the whole close: a worker still inside a long frame has
        # been asked to stop and ends in the background (a second wait would block the GUI)
        left_ms = max(0, STOP_TIMEOUT_MS - int(1000 * (time.monotonic() - started)))
        ok = all(w.wait(left_ms) for w in self._retired)
        self._retired = [w for w in self._retired if w.isRunning()]
        return ok

    # -- internals ----------------------------------------------------------------------
    def _set_playing(self, playing: bool) -> None:
        self._playing = playing
        if self.worker is not None:
            self.worker.play() if playing else self.worker.pause()
        self.transport_changed.emit(playing)

    def _retire_worker(self) -> None:
        worker, self.worker = self.worker, None
        if worker is None:
            return
        for signal in (worker.errored, worker.diverged, worker.completed, worker.param_rejected,
                       worker.frame_ready):
            signal.disconnect()
        if not worker.stop(STOP_TIMEOUT_MS - CANCEL_WAIT_MS):
            # frames() is inside a long computation: let it finish in the background.
            self._retired.append(worker)
            worker.finished.connect(lambda w=worker: self._forget_retired(w))

    def _forget_retired(self, worker: FrameWorker) -> None:
        if worker in self._retired:
            self._retired.remove(worker)

    def _current(self, generation: int) -> bool:
        return generation == self.generation

    def _on_errored(self, generation: int, message: str, details: str) -> None:
        if self._current(generation):
            self._playing = False
            self.transport_changed.emit(False)
            self.failed.emit(message, details)

    def _on_diverged(self, generation: int, step: int, reason: str) -> None:
        if self._current(generation):
            self._playing = False
            self.transport_changed.emit(False)
            self.diverged.emit(step, reason)

    def _on_completed(self, generation: int) -> None:
        if self._current(generation):
            self._playing = False
            self.transport_changed.emit(False)
            self.completed.emit()

    def _on_param_rejected(self, generation: int, name: str, message: str) -> None:
        if self._current(generation):
            self.rejected.emit(name, message)
