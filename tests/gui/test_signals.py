"""Smoke test for the PySide6 6.12.0 bool-refcount bug (DESIGN §6): emit many signals."""

import sys

import pytest
from pyqtgraph.Qt import QtCore

pytestmark = pytest.mark.gui
N = 10_000


class Emitter(QtCore.QObject):
    flag = QtCore.Signal(bool)
    number = QtCore.Signal(int, float, str)


def test_ten_thousand_signals(qtbot):
    emitter = Emitter()
    seen = []
    emitter.flag.connect(seen.append)
    emitter.number.connect(lambda i, x, s: seen.append(i))
    refs_before = sys.getrefcount(True)
    for i in range(N):
        emitter.flag.emit(i % 2 == 0)
        emitter.number.emit(i, 0.5 * i, "x")
    assert len(seen) == 2 * N
    assert seen[0] is True and seen[2] is False
    # the list holds its own references to True; beyond those, emits must not drift the count
    # (6.12.0 released one reference per emit and aborted the process)
    if sys.version_info < (3, 12):  # True is immortal from 3.12 on
        drift = sys.getrefcount(True) - refs_before - seen.count(True)
        assert abs(drift) < 100


def test_ten_thousand_queued_signals_across_threads(qtbot):
    emitter = Emitter()
    received = []
    receiver = QtCore.QObject()
    emitter.flag.connect(lambda value: received.append(value),
                         QtCore.Qt.ConnectionType.QueuedConnection)

    class Thread(QtCore.QThread):
        def run(self):
            for i in range(N):
                emitter.flag.emit(i % 3 == 0)

    thread = Thread()
    thread.start()
    assert thread.wait(30_000)
    qtbot.waitUntil(lambda: len(received) == N, timeout=30_000)
    assert received.count(True) == len(range(0, N, 3))
    del receiver
