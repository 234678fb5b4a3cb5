"""Fixtures of the reliability suite: a hang watchdog and the thread-leak check.

Every test here runs under a watchdog: a test still running after ``WATCHDOG_S`` seconds is
a hang (a deadlock in the shell), so the process dumps every thread's stack and exits
rather than stalling CI.
"""

from __future__ import annotations

import contextlib
import faulthandler
import importlib
import sys
import threading
import time
import traceback
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the suite's helper module

from _reliability import RUNNABLE, counted_threads, os_threads, wait_until

WATCHDOG_S = 240.0
THREADS_SETTLE_S = 5.0


@pytest.fixture(autouse=True)
def _watchdog():
    """Dump all stacks and end the process if a test hangs (never a silent CI stall)."""
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


_warmed = False


def _warm_up(app) -> None:
    """Run every experiment once in a worker, so lazily started library thread pools exist
    before a test takes its thread baseline."""
    global _warmed
    if _warmed:
        return
    from mgai_lab.session import ExperimentSession

    # libraries that start a thread pool when loaded: load them here, not in a worker (whose
    # name the pool threads would inherit) in the middle of a test; torch also takes ~2 s to
    # import, which a fuzzed first frame must not count against its time limit
    for module in ("scipy.special", "scipy.stats", "scipy.linalg", "torch"):
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    for cls in RUNNABLE:
        session = ExperimentSession(cls, device="cpu")
        session.start(playing=True)
        taken: list = []
        wait_until(lambda s=session, t=taken: s.worker is None or not s.worker.isRunning()
                   or t.append(s.take_frame()) or sum(f is not None for f in t) >= 2,
                   20.0, app)
        session.close()
        session.deleteLater()
    app.processEvents()
    _warmed = True


@pytest.fixture
def no_leaks(qapp, monkeypatch):
    """After the test, within a few seconds:

    * no FrameWorker running and ``_LIVE_WORKERS`` empty (the Qt view);
    * every OS thread that ran a FrameWorker has exited (the kernel's view, by native id);
    * the OS thread count is back to its baseline. Excused: Qt's idle-expiring pool, and
      native (non-Python) threads that a library started from inside a worker the first time
      it was used there (a BLAS or OpenMP pool: it inherits the worker's name and lives as
      long as the process; torch's pools likewise). A Python thread left running counts.

    Request it before the fixtures that open windows, so it is checked after they closed.
    """
    from mgai_lab import worker as worker_module

    _warm_up(qapp)
    started: list = []
    native_ids: set[int] = set()
    original_start, original_run = worker_module.FrameWorker.start, worker_module.FrameWorker.run

    def recording_start(self, *args):
        started.append(self)
        original_start(self, *args)

    def recording_run(self):
        native_ids.add(threading.get_native_id())
        original_run(self)

    monkeypatch.setattr(worker_module.FrameWorker, "start", recording_start)
    monkeypatch.setattr(worker_module.FrameWorker, "run", recording_run)
    before = counted_threads()
    yield started
    deadline = time.monotonic() + THREADS_SETTLE_S
    settled = wait_until(lambda: not worker_module._LIVE_WORKERS
                         and not any(w.isRunning() for w in started), THREADS_SETTLE_S, qapp)
    assert settled, (f"workers still running {THREADS_SETTLE_S:g} s after the test: "
                     f"{[w.experiment.id for w in started if w.isRunning()]}, live set "
                     f"{[w.experiment.id for w in worker_module._LIVE_WORKERS]}")
    gone = wait_until(lambda: not native_ids & set(os_threads()),
                      max(0.5, deadline - time.monotonic()), qapp)
    assert gone, f"worker OS threads still alive: {sorted(native_ids & set(os_threads()))}"

    def unexcused() -> dict[int, str]:
        python = {t.native_id: t for t in threading.enumerate()}
        worker_names = {type(w).__name__ for w in started} | {"FrameWorker"}
        return {tid: name for tid, name in counted_threads().items() if tid not in before
                and (tid in python or name not in worker_names)}

    back = wait_until(lambda: not unexcused(), max(0.5, deadline - time.monotonic()), qapp)
    if not back:
        python = {t.native_id: t for t in threading.enumerate()}
        frames = sys._current_frames()
        described = []
        for tid, name in unexcused().items():
            thread = python.get(tid)
            if thread is None:
                described.append(f"{name} (native)")
                continue
            stack = traceback.format_stack(frames[thread.ident]) \
                if thread.ident in frames else []
            described.append(f"{name} (Python thread {thread.name!r}) at {''.join(stack[-3:])}")
        raise AssertionError(f"threads left behind (baseline {len(before)}): {described}")


@pytest.fixture
def window(no_leaks, qtbot, tmp_path):
    """A shown main window with its own settings file, closed after the test (and then
    checked for leaked workers by ``no_leaks``)."""
    from mgai_lab.settings import Settings
    from mgai_lab.window import MainWindow

    win = MainWindow(settings=Settings(tmp_path / "settings.json"))
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    yield win
    win.close()
