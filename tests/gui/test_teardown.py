"""Qt deleting widgets that Python still holds (issue 10): no wrapper of freed memory stays
registered with shiboken, so nothing Qt allocates later is mistaken for a dead object.

A wrapper of an object that Qt creates and deletes itself (the invisible root item of the
parameter tree) is never told of the deletion. Registered at a freed address, it made
shiboken release an already freed wrapper when Qt deleted the next object placed there
(a segfault in ``BindingManager::releaseWrapper``), or hand it out for a new QMenu.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import shiboken6
from pyqtgraph.Qt import QtWidgets

from compute import registry
from mgai_lab.param_panel import ParamPanel

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]
LANGEVIN = "ch7.langevin-double-well"


def registered_at(address: int) -> list[str]:
    """Type names of the wrappers shiboken has registered at ``address``."""
    return [type(w).__name__ for w in shiboken6.getAllValidWrappers()
            if address in shiboken6.getCppPointer(w)]


def root_item_address(panel: ParamPanel) -> int:
    return shiboken6.getCppPointer(panel.tree.invisibleRootItem()._real_item)[0]


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
