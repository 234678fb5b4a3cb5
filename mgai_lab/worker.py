"""The compute worker (DESIGN §4): one thread per running experiment.

The worker pulls frames from the experiment and keeps only the newest one; the GUI takes it
from a display-rate timer (:meth:`FrameWorker.take_frame`), so frames are coalesced and
never queue up. While playing, the next frame is computed once the display has taken the
previous one (and at most ``max_fps`` times a second), so the simulation runs at display
rate and a hidden tab (which takes frames rarely) does not starve the GUI thread. Control
calls (play, pause, step, speed, live parameters, stop) come from the GUI thread and take
effect at the next yield of ``frames()``. Each run carries a
generation number; signals of a run that has been replaced are ignored by the receiver.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import math
import os
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

from pyqtgraph.Qt import QtCore

from compute import backend, blas
from compute.experiment import Diverged, Experiment, Frame, checked_frames
from compute.params import ParamError

_LIVE_WORKERS: set[FrameWorker] = set()


EXIT_WAIT_MS = 2000
CANCEL_WAIT_MS = 400


class FrameCancelled(BaseException):
    """Raised inside a worker's thread to abandon a frame that does not end in time."""


@atexit.register
def stop_all_workers() -> None:
    """Stop every worker still running when the interpreter exits.

    Destroying a QThread that still runs aborts the process. Workers are asked to stop,
    then cancelled; one still inside a single native call after that (minutes long) leaves
    the process to end at once, with a message, rather than with Qt's abort.
    """
    workers = list(_LIVE_WORKERS)
    for worker in workers:
        worker.request_stop()
    deadline = time.monotonic() + EXIT_WAIT_MS / 1000
    stuck = [w for w in workers if not w.stop(max(0, int(1000 * (deadline - time.monotonic()))))]
    if stuck:
        print("mgai-lab: a computation did not stop in time; exiting without it",
              file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)


class FrameWorker(QtCore.QThread):
    """Runs ``experiment.frames()`` in its own thread, paced at ``max_fps`` while playing."""

    #: generation, message, formatted traceback: frames() raised
    errored = QtCore.Signal(int, str, str)
    #: generation, step, reason: the run diverged
    diverged = QtCore.Signal(int, int, str)
    #: generation: frames() ended by itself (e.g. a reverse diffusion reached t = 0)
    completed = QtCore.Signal(int)
    #: generation, parameter name, message: a live change was refused; the old value holds
    param_rejected = QtCore.Signal(int, str, str)
    #: a new frame is waiting in take_frame (lets an idle display wake up)
    frame_ready = QtCore.Signal()

    def __init__(self, experiment: Experiment, generation: int, *, max_fps: float = 60.0,
                 parent: QtCore.QObject | None = None):
        super().__init__(parent)
        self.experiment = experiment
        self.generation = generation
        self.max_fps = max_fps
        self._cond = threading.Condition()
        self._playing = False
        self._pending_steps = 0
        self._stop = False
        self._live: dict[str, Any] = {}
        self._events: list[tuple[str, Any]] = []
        self._speed: int | None = None
        self._latest: Frame | None = None
        self._thread_ident: int | None = None
        self._idle = False
        self.frames_made = 0
        #: the number of the frame take_frame handed out last (the one on screen)
        self.frames_taken = 0
        #: a speed, live value or view action changed the run after its first frame: its
        #: frames no longer follow from its final parameters alone (see script_export)
        self.changed_mid_run = False

    # -- control, from the GUI thread ---------------------------------------------------
    def start(self, *args) -> None:
        _LIVE_WORKERS.add(self)
        super().start(*args)

    def play(self) -> None:
        with self._cond:
            self._playing = True
            self._cond.notify_all()

    def pause(self) -> None:
        with self._cond:
            self._playing = False
            self._pending_steps = 0
            self._cond.notify_all()

    def step_once(self) -> None:
        """Compute exactly one more frame, then stay paused."""
        with self._cond:
            self._playing = False
            self._pending_steps += 1
            self._cond.notify_all()

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def idle(self) -> bool:
        """True while the thread waits for a play, a step or a taken frame: no frame is being
        computed, so a paused run makes no more frames until told to."""
        return self._idle

    def set_speed(self, steps_per_frame: int) -> None:
        with self._cond:
            self._speed = int(steps_per_frame)
            self._cond.notify_all()

    def send_live(self, changes: Mapping[str, Any]) -> None:
        """Queue live parameter changes; they apply before the next frame."""
        with self._cond:
            self._live.update(changes)
            self._cond.notify_all()

    def send_event(self, name: str, payload: Any) -> None:
        """Queue a user action on a view (``Experiment.on_event``); it applies before the
        next frame, and a paused run computes one frame so the action shows at once."""
        with self._cond:
            self._events.append((name, payload))
            if not self._playing:
                self._pending_steps += 1
            self._cond.notify_all()

    def request_stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    def stop(self, timeout_ms: int = 5000) -> bool:
        """Ask the run to end and wait for the thread; True if it ended in time.

        A run still inside a frame after ``timeout_ms`` is cancelled: an exception is raised
        in its thread at the next Python instruction (a numpy call in progress finishes
        first), so even a heavy frame ends promptly.
        """
        self.request_stop()
        if self.wait(timeout_ms):
            return True
        self.cancel()
        return self.wait(CANCEL_WAIT_MS)

    def cancel(self) -> None:
        """Raise :class:`FrameCancelled` inside the running thread."""
        ident = self._thread_ident
        if ident is not None and self.isRunning():
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident),
                                                       ctypes.py_object(FrameCancelled))

    def take_frame(self) -> Frame | None:
        """The newest frame not yet taken, or None (taking one lets a playing run go on)."""
        with self._cond:
            frame, self._latest = self._latest, None
            if frame is not None:
                self.frames_taken = self.frames_made
                self._cond.notify_all()
        return frame

    # -- the thread ---------------------------------------------------------------------
    def run(self) -> None:
        self._thread_ident = threading.get_ident()
        backend.set_torch_threads(1)  # leave a core to the GUI thread (DESIGN §4)
        blas.use_one_thread()
        frames = None
        try:
            frames = checked_frames(self.experiment)
            due = -math.inf  # when the next frame is due to start, while playing
            while True:
                with self._cond:
                    # playing runs wait until the display took the last frame: the
                    # simulation advances at display rate and a hidden tab costs nothing
                    while not (self._stop or self._pending_steps
                               or (self._playing and self._latest is None)):
                        self._idle = True
                        self._cond.wait()
                    self._idle = False
                    if self._stop:
                        return
                    if self._pending_steps:
                        self._pending_steps -= 1
                    live, self._live = self._live, {}
                    speed, self._speed = self._speed, None
                    events, self._events = self._events, []
                self._apply(live, speed, events)
                period = 1.0 / self.max_fps if self.max_fps > 0 else 0.0
                now = time.monotonic()
                # frames start on a fixed schedule, one period apart, so a run that keeps up
                # plays at max_fps exactly; one that fell behind (or was paused) starts anew
                due = due if now - due < period else now
                try:
                    frame = next(frames)
                except StopIteration:
                    self.completed.emit(self.generation)
                    return
                if "torch" in sys.modules:
                    frame = {k: backend.to_numpy(v) for k, v in frame.items()}
                with self._cond:
                    self._latest = frame
                    self.frames_made += 1
                self.frame_ready.emit()
                if period:
                    due += period
                    self._pace(due)
        except FrameCancelled:
            pass  # stop() gave up waiting for this frame; nobody listens any more
        except Diverged as exc:
            self.diverged.emit(self.generation, exc.step, exc.reason)
        except BaseException as exc:  # shown in the panel; the rest of the app keeps running
            # (BaseException too: a SystemExit or KeyboardInterrupt raised inside frames()
            # must not end the thread silently, or finalize the interpreter from it)
            self.errored.emit(self.generation, f"{type(exc).__name__}: {exc}",
                              traceback.format_exc())
        finally:
            _LIVE_WORKERS.discard(self)
            if frames is not None:
                with contextlib.suppress(BaseException):  # a late cancellation lands here
                    frames.close()

    def _pace(self, deadline: float) -> None:
        """While playing, wait until ``deadline`` (monotonic time) before the next frame.

        A display waiting for frames takes each one as soon as it is ready, and taking one
        notifies this condition: the wait goes on to the deadline, so a cheap run still
        plays at ``max_fps``; only a stop or a pause ends it early.
        """
        with self._cond:
            while self._playing and not self._stop:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._cond.wait(remaining)

    def _apply(self, live: dict[str, Any], speed: int | None,
               events: Sequence[tuple[str, Any]] = ()) -> None:
        if speed is None and not live and not events:
            return
        before = (self.experiment.steps_per_frame, dict(self.experiment.p))
        if speed is not None:
            self.experiment.set_steps_per_frame(speed)
        for name, payload in events:
            try:
                self.experiment.on_event(name, payload)
            except ParamError as exc:
                self.param_rejected.emit(self.generation, exc.name, exc.message)
        if live:
            try:
                self.experiment.update_live(live)
            except ParamError as exc:
                self.param_rejected.emit(self.generation, exc.name, exc.message)
        if events or (self.frames_made and before != (self.experiment.steps_per_frame,
                                                      self.experiment.p)):
            self.changed_mid_run = True
