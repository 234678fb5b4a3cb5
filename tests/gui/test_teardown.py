"""Qt deleting widgets that Python still holds (issue 10): no wrapper of freed memory stays
registered with shiboken, so nothing Qt allocates later is mistaken for a dead object.

A wrapper of an object that Qt creates and deletes itself (the invisible root item of the
parameter tree) is never told of the deletion. Registered at a freed address, it made
shiboken release an already freed wrapper when Qt deleted the next object placed there
(a segfault in ``BindingManager::releaseWrapper``), or hand it out for a new QMenu.
"""

import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
import shiboken6
from pyqtgraph.Qt import QtCore, QtWidgets

from compute import registry
from mgai_lab.param_panel import ParamPanel
from mgai_lab.window import MainWindow

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60_000  # an upper bound for frames on a loaded 2-core machine
LANGEVIN, ZOO, REVNOISE = "ch7.langevin-double-well", "ch3.optimizer-zoo", "ch9.revnoise"


def registered_at(address: int) -> list[str]:
    """Type names of the wrappers shiboken has registered at ``address``."""
    return [type(w).__name__ for w in shiboken6.getAllValidWrappers()
            if address in shiboken6.getCppPointer(w)]


def root_item_address(panel: ParamPanel) -> int:
    return shiboken6.getCppPointer(panel.tree.invisibleRootItem()._real_item)[0]


def delete_deferred() -> None:
    """Run the deleteLater()s posted so far (processEvents() alone does not)."""
    QtCore.QCoreApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)


def test_a_parameter_panel_deleted_by_qt_leaves_nothing_registered_at_its_root_item(qapp):
    cls = registry.get(LANGEVIN)
    holder = QtWidgets.QWidget()
    panel = ParamPanel(cls.params, cls.spec().resolve(None), parent=holder)
    address = root_item_address(panel)
    shiboken6.delete(holder)  # Qt deletes the panel; `panel` still holds its Python side
    assert not shiboken6.isValid(panel.tree)
    assert registered_at(address) == []


REUSE_THE_FREED_ADDRESS = """
import sys
from PySide6 import QtCore, QtGui, QtWidgets
import shiboken6
from compute import registry
from mgai_lab.param_panel import ParamPanel

app = QtWidgets.QApplication([])
cls = registry.get("ch7.langevin-double-well")
holder = QtWidgets.QWidget()
panel = ParamPanel(cls.params, cls.spec().resolve(None), parent=holder)
freed = shiboken6.getCppPointer(panel.tree.invisibleRootItem()._real_item)[0]
shiboken6.delete(holder)  # Python keeps `panel`, as a reference cycle would
keep = QtCore.QObject()
for _ in range(1000):
    # a Python-made object owned by Qt, from the root item's malloc size class
    owner = QtCore.QObject()
    QtGui.QIntValidator(owner)
    validator = owner.children()[0]
    if shiboken6.getCppPointer(validator)[0] == freed:
        break
    validator.setParent(keep)
else:
    sys.exit("nothing was allocated at the freed address")
print("an object sits at the freed address", flush=True)
del validator
shiboken6.delete(owner)  # Qt deletes it: shiboken releases its wrapper
print("deleted", flush=True)
"""


def test_qt_deleting_an_object_at_a_freed_root_items_address_does_not_crash():
    """The crash of issue 10, made deterministic: the next object at the address is deleted
    by its Qt owner (segfaulted with status -11 before the tree dropped the wrapper)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", REUSE_THE_FREED_ADDRESS], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "an object sits at the freed address" in result.stdout, result.stderr[-2000:]
    assert result.returncode == 0 and "deleted" in result.stdout, (result.returncode,
                                                                   result.stderr[-2000:])


def frames_flow(qtbot, page) -> None:
    start = page.frames_shown
    qtbot.waitUntil(lambda: page.frames_shown > start, timeout=TIMEOUT)


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))),
                         ids=lambda order: "-".join(map(str, order)))
def test_closing_tabs_in_any_order_while_running_frees_each_page_cleanly(qtbot, tmp_path,
                                                                         order):
    """Three running experiments, split view, tabs closed one by one: each closed page is
    deleted with its worker stopped and nothing left registered at its root item, while
    the others keep running. The test holds every page, as a reference cycle would."""
    from mgai_lab.settings import Settings

    win = MainWindow(settings=Settings(tmp_path / "settings.json"))
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    pages = [win.open_experiment(exp_id, playing=True) for exp_id in (LANGEVIN, ZOO, REVNOISE)]
    win.set_split(True)  # the last one opened moves to the right-hand group
    assert len(win.tab_groups.groups) == 2
    roots = [root_item_address(page.param_panel) for page in pages]
    try:
        for position, closing in enumerate(order):
            page = pages[closing]
            worker = page.session.worker
            group, index = win.tab_groups.locate(page)
            win.close_tab(index, group)
            delete_deferred()
            assert not shiboken6.isValid(page)
            assert worker is None or not worker.isRunning()
            assert registered_at(roots[closing]) == [], f"page {closing} closed {position + 1}."
            for other in order[position + 1:]:  # each shown in turn: it still draws
                group, index = win.tab_groups.locate(pages[other])
                group.setCurrentIndex(index)
                frames_flow(qtbot, pages[other])
        assert win.pages() == [] and len(win.tab_groups.groups) == 1
    finally:
        win.close()
