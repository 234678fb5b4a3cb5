"""Test set-up: Qt offscreen before any Qt import (DESIGN §6), small shared fixtures."""

import os

from mgai_lab.qt_app import offscreen_platform

# offscreen Qt with a 1920x1080 screen: presentation mode fills a projector-sized screen
os.environ["QT_QPA_PLATFORM"] = offscreen_platform()
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest

from compute import backend

# one torch thread, as the GUI worker runs experiments (DESIGN §4): on a loaded 2-core
# machine torch's default thread pool made a torch experiment's frames ~10 times slower
backend.set_torch_threads(1)


@pytest.fixture(scope="session")
def _session_cache_home(tmp_path_factory):
    """One cache directory for the session: it only holds what is derived from content
    (equation images keyed by source, the catalogue keyed by file stamps), and a fresh one
    per test made every window re-render its equations with matplotlib."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch, _session_cache_home):
    """Keep the user's real config, data and cache directories out of every test; each
    test gets its own config and data (tests of the cache set their own directory)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(_session_cache_home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_gui_thread(request):
    """GUI tests: cycles are collected on the GUI thread only (see mgai_lab.qt_app), and the
    widgets a test made are deleted in its own teardown."""
    if "qtbot" not in request.fixturenames and "qapp" not in request.fixturenames:
        yield
        return
    from pyqtgraph.Qt import QtCore

    from mgai_lab.qt_app import collect_on_gui_thread

    request.getfixturevalue("qapp")
    collect_on_gui_thread()
    yield
    import gc

    # pytest-qt closes the test's widgets with deleteLater(), which processEvents() does not
    # run outside an event loop: without this, Qt deleted them inside the next test.
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    gc.collect()  # here, on the GUI thread, between tests
