"""Worker faults: errors inside frames(), and transport operations in any order.

* An exception raised inside ``frames()`` (or the constructor, or a live-change hook) of one
  experiment, at a random frame, is shown in that experiment's panel with its type and
  traceback, stops only that run, and every other open experiment keeps running.
* Play/pause/step/reset/speed/parameter changes/close, in any order and at any time
  (including during a restart), never deadlock, never leak a thread and never show a frame
  of a stale run: hypothesis state machines over :class:`ExperimentSession` and
  :class:`ExperimentPage` drive every registered experiment, wrapped so that each frame
  carries the id of the run that made it.

Every test checks the threads afterwards (the ``no_leaks`` fixture): ``_LIVE_WORKERS``
empty, no FrameWorker running, OS thread count back to its baseline.
"""

from __future__ import annotations

import random
import time
import zlib

import numpy as np
import pytest
from _reliability import (
    FUZZ,
    PROBE_IDS,
    PROBES,
    RUNNABLE,
    InjectedFault,
    faulty,
    stamped,
    wait_until,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from compute import Experiment, Float
from compute.views import Curves, Series
from mgai_lab import worker as worker_module
from mgai_lab.page import ExperimentPage
from mgai_lab.session import STOP_TIMEOUT_MS, ExperimentSession
from mgai_lab.settings import Settings
from mgai_lab.window import MainWindow

pytestmark = pytest.mark.gui
TIMEOUT_S = 20.0
RULE_LIMIT_S = 2 * STOP_TIMEOUT_MS / 1000 + 0.5  # one control call: a stop, then a start
HEALTHY_FPS = 5
MACHINE_EXAMPLES, PAGE_EXAMPLES, MACHINE_STEPS = 3, 2, 16

ERRORS = (
    lambda: ZeroDivisionError("injected: division by zero"),
    lambda: RuntimeError("injected: runtime error"),
    lambda: MemoryError("injected: out of memory"),
    lambda: KeyError("injected-key"),
    lambda: ValueError("injected: bad value"),
    lambda: FloatingPointError("injected: overflow"),
    lambda: AssertionError("injected: assertion"),
    lambda: RecursionError("injected: recursion"),
    lambda: InjectedFault("injected: custom"),
)
# Raised in the worker thread these must be reported too (a SystemExit there used to finalize
# the interpreter from the worker). In the GUI thread (the constructor) they propagate by
# design: Ctrl-C must still end the lab.
WORKER_ONLY_ERRORS = (
    lambda: SystemExit("injected: SystemExit inside frames()"),
    lambda: KeyboardInterrupt("injected: KeyboardInterrupt inside frames()"),
)


def error_for(where: str, choose) -> BaseException:
    return choose(ERRORS if where == "init" else ERRORS + WORKER_ONLY_ERRORS)()


def live_change_of(cls):
    """A valid change of some live parameter (to trigger on_live_change), or None."""
    for param in cls.params:
        if param.live and param.kind in ("float", "int"):
            value = param.max if param.default != param.max else param.min
            return param.name, param.coerce(value)
        if param.live and param.kind == "choice" and len(param.choices) > 1:
            return param.name, next(c for c in param.choices if c != param.default)
        if param.live and param.kind == "bool":
            return param.name, not param.default
    return None


# -- faults in a few experiments while all of them run -----------------------------------
def test_a_fault_in_one_experiment_leaves_every_other_one_running(window, qtbot):
    """The probe experiments open and playing; faults injected into copies of a few (in
    frames() at a random frame, in the constructor, in a live change), each shown in its own
    panel while all the others keep making frames."""
    healthy = [window.open_experiment(cls.id) for cls in PROBES]
    rng = random.Random(zlib.crc32(",".join(PROBE_IDS).encode()))
    injected = []
    for where in ("frames", "frames", "init", "live"):  # built before the load starts
        cls = rng.choice(PROBES)
        if where == "live" and live_change_of(cls) is None:
            where = "frames"
        error, at = error_for(where, rng.choice), rng.randint(0, 6)
        page = ExperimentPage(faulty(cls, at, error, where), device="cpu")
        window.tab_groups.current.addTab(page, f"faulty {cls.id}")
        injected.append((page, error, where, at))
    for page in healthy:  # a few fps each keeps the GUI thread of a 2-core CI box responsive
        page.session.max_fps = HEALTHY_FPS
        page.reset()
        page.play()
    for page, _error, where, _at in injected:
        page.start(playing=True)
        if where == "live":
            qtbot.waitUntil(lambda p=page: p.session.worker.frames_made >= 1,
                            timeout=TIMEOUT_S * 1000)
            page.session.set_param(*live_change_of(page.cls))

    for page, error, where, at in injected:
        qtbot.waitUntil(lambda p=page: p.message.level == "error", timeout=TIMEOUT_S * 1000)
        text, details = page.message.text.text(), page.message.details.toPlainText()
        assert type(error).__name__ in text, (page.cls.id, where, at, text)
        if where != "init":  # a run that never started has no worker traceback
            assert type(error).__name__ in details and "Traceback" in details
        assert not page.session.playing, f"{page.cls.id}: transport still says playing"
        worker = page.session.worker
        if worker is not None:
            assert worker.wait(3000), f"{page.cls.id}: the faulty run's thread did not end"

    # the healthy ones: no message, still computing, and drawing when their tab is shown
    # (or ended by themselves, as a reverse diffusion does at t = 0)
    marks = {page: (page.frames_shown, page.session.worker.frames_made) for page in healthy}
    for page in healthy:
        window.tab_groups.current.setCurrentWidget(page)
        shown, made = marks[page]
        qtbot.waitUntil(lambda p=page, s=shown, m=made: p.message.level == "info" or (
            p.frames_shown >= s + 1 and p.session.worker.frames_made >= m + 2),
            timeout=TIMEOUT_S * 1000)
        assert page.message.level in ("", "info"), (page.cls.id, page.message.text.text())


@pytest.mark.parametrize("cls", PROBES, ids=PROBE_IDS)
def test_a_fault_at_a_random_frame_is_reported_once_and_ends_only_that_run(cls, no_leaks,
                                                                           qapp):
    """Session level, hypothesis draws the frame, the error and where it is raised."""

    @settings(FUZZ, max_examples=4)
    @given(at=st.integers(0, 12), pick=st.randoms(use_true_random=False),
           where=st.sampled_from(("frames", "init", "live")))
    def example(at, pick, where):
        error = error_for(where, pick.choice)
        change = live_change_of(cls)
        if where == "live" and change is None:
            where = "frames"
        session = ExperimentSession(faulty(cls, at, error, where), device="cpu")
        failed, other = [], []
        session.failed.connect(lambda message, details: failed.append((message, details)))
        session.diverged.connect(lambda step, reason: other.append(("diverged", reason)))
        session.completed.connect(lambda: other.append(("completed",)))
        try:
            started = session.start(playing=True)
            assert started == (where != "init")
            if where == "live":
                assert wait_until(lambda: session.worker.frames_made >= 1, TIMEOUT_S, qapp)
                session.set_param(*change)
            # take frames as the display would (a playing run waits for that)
            wait_until(lambda: (session.take_frame() and False) or failed or other, TIMEOUT_S,
                       qapp)
            wait_until(lambda: False, 0.05, qapp)  # anything else queued arrives now
            if other:  # the run ended or diverged by itself before the fault: fine
                assert not failed
                return
            assert len(failed) == 1, failed
            message, _details = failed[0]
            assert message.startswith(type(error).__name__), message
            assert not session.playing
            if session.worker is not None:
                assert session.worker.wait(3000), "the faulty run's thread did not end"
        finally:
            session.close()
            session.deleteLater()

    example()


@pytest.mark.parametrize("make_error", WORKER_ONLY_ERRORS, ids=["SystemExit", "KeyboardInterrupt"])
def test_system_exit_or_keyboard_interrupt_inside_frames_is_reported_not_fatal(
        make_error, no_leaks, qapp):
    """Raised in the worker thread they used to end it silently (the panel still said
    'playing') or, for SystemExit, to finalize the interpreter from the worker."""
    error = make_error()
    session = ExperimentSession(faulty(RUNNABLE[0], 2, error), device="cpu")
    failed = []
    session.failed.connect(lambda message, details: failed.append(message))
    session.start(playing=True)
    assert wait_until(lambda: (session.take_frame() and False) or failed, TIMEOUT_S, qapp)
    assert failed[0].startswith(type(error).__name__) and not session.playing
    assert session.worker.wait(3000)
    session.close()
    session.deleteLater()


# -- hypothesis state machines: transport in any order ---------------------------------------
def control_values(param):
    """Values a user can set from the panel: valid ones (incl. bounds), sometimes not."""
    if param.kind in ("float", "int"):
        good = st.sampled_from([param.default, param.min, param.max])
        return st.one_of(good, good, st.sampled_from([float("nan"), param.max * 10 + 1]))
    if param.kind == "seed":
        return st.sampled_from([0, 1, 2**32 - 1, -1])
    if param.kind == "bool":
        return st.booleans()
    if param.kind == "choice":
        return st.sampled_from([*param.choices, "no-such-choice"])
    if param.kind == "matrix":  # the default, its negative (may be refused), a bad cell
        negated = [[None if v != v else -v for v in row] for row in param.default]
        bad = [list(row) for row in param.default]
        bad[0][0] = "x"
        return st.sampled_from([param.default, negated, bad])
    return st.one_of(st.just(param.default), st.lists(st.sampled_from(param.choices),
                                                      min_size=1, unique=True))


class TransportMachine(RuleBasedStateMachine):
    """Drives one experiment's session (or page) with transport calls in any order."""

    cls: type[Experiment]
    app = None
    use_page = False
    page: ExperimentPage | None = None

    def __init__(self):
        super().__init__()
        if self.use_page:
            page = type(self).page
            self.session = page.session
            page.close_session()
            page.session.set_values(self.session.cls.spec().defaults())  # a fresh start
            page.session.pause()
        else:
            self.session = ExperimentSession(self.cls, device="cpu", max_fps=200)
        self.failures: list[str] = []
        self.session.failed.connect(self._on_failed)
        self.stale: list[str] = []

    def _on_failed(self, message: str, details: str) -> None:
        if not message.startswith("ParamError"):  # memory refusals of a huge setting
            self.failures.append(message)

    def timed(self, call, *args):
        started = time.monotonic()
        call(*args)
        spent = time.monotonic() - started
        assert spent < RULE_LIMIT_S, f"{call.__name__} blocked the GUI thread {spent:.2f} s"

    def target(self):
        return type(self).page if self.use_page else self.session

    def check_frame(self, frame) -> None:
        experiment = self.session.experiment
        if experiment is None or frame.get("_run") != experiment.run_id:
            self.stale.append(f"frame of run {frame.get('_run')} shown while run "
                              f"{getattr(experiment, 'run_id', None)} is current")

    @rule(playing=st.booleans())
    def start(self, playing):
        if self.use_page:
            self.timed(self.target().start, playing)
        else:
            self.timed(self.session.start, playing)

    @rule()
    def play(self):
        self.timed(self.target().play)

    @rule()
    def pause(self):
        self.timed(self.target().pause)

    @rule()
    def toggle(self):
        self.timed(self.target().toggle)

    @rule()
    def step(self):
        self.timed(self.target().step)

    @rule()
    def reset(self):
        self.timed(self.target().reset)

    @rule()
    def reset_twice(self):  # a restart during a restart
        self.timed(self.target().reset)
        self.timed(self.target().reset)

    @rule(n=st.sampled_from([1, 2, 7, 50]))
    def speed(self, n):
        self.timed(self.target().set_speed, n)

    @rule(data=st.data())
    def set_param(self, data):
        param = data.draw(st.sampled_from(self.session.cls.params))
        value = data.draw(control_values(param))
        if self.use_page:
            self.timed(self.target()._on_edited, param.name, value)
        else:
            self.timed(self.session.set_param, param.name, value)

    @rule()
    def close(self):
        started = time.monotonic()
        if self.use_page:
            self.target().close_session()
        else:
            self.session.close()
        assert time.monotonic() - started < STOP_TIMEOUT_MS / 1000 + 0.5

    def pump(self, ms: float) -> None:
        """Run the event loop for ``ms`` (the page's timer shows frames; a bare session's
        frames are taken here, as the page would)."""
        deadline = time.monotonic() + ms / 1000
        while True:
            self.app.processEvents()
            if not self.use_page:
                frame = self.session.take_frame()
                if frame is not None:
                    self.check_frame(frame)
            if time.monotonic() >= deadline:
                break
            time.sleep(0.002)

    @rule(ms=st.sampled_from([20, 60, 150]))
    def wait(self, ms):
        self.pump(ms)

    @invariant()
    def one_current_run(self):
        self.pump(8)  # after every call: let frames, errors and stale signals arrive
        s = self.session
        worker = s.worker
        if worker is not None:
            assert worker.generation == s.generation
            assert worker.experiment is s.experiment
        allowed = {id(w) for w in s._retired} | ({id(worker)} if worker else set())
        mine = [w for w in worker_module._LIVE_WORKERS if w.experiment.__class__ is s.cls]
        assert all(id(w) in allowed for w in mine), "a worker outlived its run"
        assert not self.stale, self.stale[0]

    @invariant()
    def no_unexpected_error(self):
        assert not self.failures, self.failures[0]

    def teardown(self):
        if self.use_page:
            self.target().close_session()
        else:
            self.session.close()
        workers = list(self.session._retired)
        assert wait_until(lambda: not any(w.isRunning() for w in workers), 10.0, self.app)
        if not self.use_page:
            self.session.deleteLater()
        self.session.failed.disconnect(self._on_failed)


@pytest.mark.parametrize("cls", PROBES, ids=PROBE_IDS)
def test_session_transport_in_any_order(cls, no_leaks, qapp):
    machine = type(f"Session_{cls.__name__}", (TransportMachine,),
                   {"cls": stamped(cls), "app": qapp})
    run_state_machine_as_test(machine, settings=settings(FUZZ, max_examples=MACHINE_EXAMPLES,
                                                         stateful_step_count=MACHINE_STEPS))
    # and, deterministically at least once: a reset while frames flow
    session = ExperimentSession(machine.cls, device="cpu")
    try:
        session.start(playing=True)
        assert wait_until(lambda: session.take_frame() is not None, TIMEOUT_S, qapp)
        reset_shows_only_the_new_run(session, session.take_frame, qapp)
    finally:
        session.close()
        session.deleteLater()


def reset_shows_only_the_new_run(session, take, app) -> None:
    """Reset a running session; every frame taken afterwards belongs to the new run."""
    old = session.experiment.run_id
    session.reset()
    new = session.experiment.run_id
    got: list = []

    def collect() -> bool:
        frame = take()
        if frame is not None:
            got.append(frame["_run"])
        return bool(got)

    assert wait_until(collect, TIMEOUT_S, app), "no frame after the reset"
    wait_until(lambda: collect() and False, 0.2, app)
    assert set(got) == {new} and old != new, f"runs after reset {got}, old {old}, new {new}"


@pytest.mark.parametrize("cls", PROBES, ids=PROBE_IDS)
def test_page_transport_in_any_order_never_shows_a_stale_frame(cls, no_leaks, qapp, qtbot):
    page = ExperimentPage(stamped(cls), device="cpu")
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    machine = type(f"Page_{cls.__name__}", (TransportMachine,),
                   {"cls": page.cls, "app": qapp, "use_page": True, "page": page})
    shown = page.show_frame
    checker: list = []

    def checked_show(frame):
        experiment = page.session.experiment
        if experiment is None or frame.get("_run") != experiment.run_id:
            checker.append((frame.get("_run"), getattr(experiment, "run_id", None)))
        shown(frame)

    page.show_frame = checked_show
    try:
        run_state_machine_as_test(machine, settings=settings(FUZZ, max_examples=PAGE_EXAMPLES,
                                                             stateful_step_count=MACHINE_STEPS))
        # and, deterministically at least once: a reset while frames flow
        page.play()
        qtbot.waitUntil(lambda: page.frames_shown >= 1, timeout=TIMEOUT_S * 1000)
        shown_before = page.frames_shown
        page.reset()
        qtbot.waitUntil(lambda: page.frames_shown > shown_before, timeout=TIMEOUT_S * 1000)
    finally:
        page.close_session()
    assert not checker, f"stale frames shown (frame run, current run): {checker[:5]}"


# -- a frame that takes long: reset and close stay bounded, the thread ends afterwards --------
class SlowFrames(Experiment):
    """Frames that take ``seconds`` each (a heavy setting); the first one takes ``first``."""

    id = "ch0.slow-frames"
    title = "slow frames"
    section = "0"
    family = "test"
    summary = "each frame sleeps"
    explanation = "used by the reliability tests"
    params = (Float("seconds", 1.5, 0.0, 100.0), Float("first", 0.0, 0.0, 100.0))
    views = (Curves("c", "c", series=(Series("y"),)),)
    frame_fields = {"y": "(3,) numbers"}

    def frames(self):
        k = 0
        while True:
            time.sleep(self.p["seconds"] if k else self.p["first"])
            yield {"step": k, "t": float(k), "y": np.arange(3.0) * k}
            k += 1


@pytest.mark.parametrize("seconds", [0.3, 2.5])
def test_reset_and_close_during_a_long_frame_are_bounded_and_leak_nothing(seconds, no_leaks,
                                                                         qtbot):
    page = ExperimentPage(stamped(SlowFrames), {"seconds": seconds}, device="cpu")
    qtbot.addWidget(page)
    page.start(playing=True)
    qtbot.waitUntil(lambda: page.session.worker.frames_made >= 1, timeout=5000)
    time.sleep(0.05)  # now inside the second (slow) frame
    for _ in range(3):  # restarts while a frame is being computed
        started = time.monotonic()
        page.reset()
        assert time.monotonic() - started < STOP_TIMEOUT_MS / 1000 + 0.3
        time.sleep(0.05)
    started = time.monotonic()
    page.close_session()
    spent = time.monotonic() - started
    limit = 1.0 if seconds < 1.0 else STOP_TIMEOUT_MS / 1000 + 0.3
    assert spent < limit, f"closing took {spent:.2f} s"
    # the abandoned runs end by themselves once their frame is done (checked by no_leaks)


def test_right_after_a_reset_the_old_runs_frame_is_neither_exported_nor_recorded(
        no_leaks, qtbot, tmp_path):
    """Between a reset and the new run's first frame, the last frame on record is stale."""
    win = MainWindow(settings=Settings(tmp_path / "settings.json"))
    qtbot.addWidget(win)
    win.show()
    page = ExperimentPage(stamped(SlowFrames), {"seconds": 0.02}, device="cpu")
    win.tab_groups.current.addTab(page, "slow")
    win.tab_groups.current.setCurrentWidget(page)
    try:
        page.start(playing=True)
        qtbot.waitUntil(lambda: page.frames_shown >= 3, timeout=5000)
        page.session.set_param("first", 1.5)  # the new run's first frame takes a while
        page.reset()
        new_run = page.session.experiment.run_id
        assert page.last_frame is None or page.last_frame["_run"] == new_run
        out = tmp_path / "frame.npz"
        written = win.exports.data_to(out)
        assert written is None and not out.exists(), "exported a frame of the old run"
        assert win.exports.start_recording(tmp_path / "rec.gif")
        assert page.recorder.frames == 0, "recorded a frame of the old run"
        win.exports.stop_recording()
    finally:
        win.close()


def test_the_worker_leaves_a_core_to_the_gui(window, qtbot):
    """Torch and BLAS each run on one thread once a worker has started (DESIGN §4): BLAS's
    spinning threads made a 3 x 3 expm over 100 times slower on a loaded machine."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    page = window.open_experiment("ch2.matrix-exponential-properties", playing=True)
    qtbot.waitUntil(lambda: page.frames_shown >= 1, timeout=20_000)
    blas = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert blas and all(i["num_threads"] == 1 for i in blas)


def test_a_cheap_run_taken_at_once_still_plays_at_max_fps(no_leaks, qtbot):
    """Taking a frame wakes the worker; its pacing wait goes on to the frame's due time, so a
    run whose frames cost nothing makes no more than ``max_fps`` of them a second."""
    from pyqtgraph.Qt import QtCore

    fps, seconds = 20.0, 1.0
    worker = worker_module.FrameWorker(SlowFrames({"seconds": 0.0}), 1, max_fps=fps)

    class Display(QtCore.QObject):
        @QtCore.Slot()
        def take(self) -> None:
            worker.take_frame()

    display = Display()
    worker.frame_ready.connect(display.take)
    worker.start()
    worker.play()
    started = time.monotonic()
    qtbot.wait(int(seconds * 1000))
    made, elapsed = worker.frames_made, time.monotonic() - started
    assert worker.stop(2000)
    assert 2 <= made <= fps * elapsed + 2, f"{made} frames in {elapsed:.2f} s at {fps:g} fps"


def test_a_waiting_display_shows_a_slow_frame_as_it_arrives(no_leaks, qtbot, monkeypatch):
    """A tick that found no frame means the display waits on the worker: the next frame is
    shown as soon as it is ready, not a tick later. A frame that comes while the display
    is not waiting (drawing is the slower side) is left for the tick."""
    from mgai_lab import page as page_module

    monkeypatch.setattr(page_module, "REPAINT_MS", 5000)  # no tick within the test
    page = ExperimentPage(SlowFrames, {"seconds": 0.2, "first": 0.3}, device="cpu")
    qtbot.addWidget(page)
    page.show()
    try:
        page.start(playing=True)
        page._tick()  # a tick before the first frame is ready: the display now waits
        assert page.frames_shown == 0
        qtbot.waitUntil(lambda: page.frames_shown == 1, timeout=3000)
        qtbot.waitUntil(lambda: page.session.worker.frames_made == 2, timeout=3000)
        qtbot.wait(300)
        assert page.frames_shown == 1, "a frame the display was not waiting for was shown"
    finally:
        page.close_session()
