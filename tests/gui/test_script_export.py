"""File → Export as Python script on the real window: the exported script, run in its own
process, writes the frame the tab shows; bad places get a message and lose nothing."""

import ast
import os
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pyqtgraph.Qt import QtGui, QtWidgets

from mgai_lab import presets

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]
OU = "ch7.ou-process"
TIMEOUT = 15_000


def stepped_page(window, qtbot, steps, speed=3):
    """The OU process, 300 particles, seed 11, ``speed`` steps per frame, stepped ``steps``
    times after its first frame; paused."""
    page = window.open_experiment(OU, {"n_particles": 300, "seed": 11})
    window.transport.speed.setValue(speed)
    page.reset()  # the new speed from the first frame on
    qtbot.waitUntil(lambda: page.session.worker.frames_taken == 1, timeout=TIMEOUT)
    for n in range(2, steps + 2):
        page.step()
        qtbot.waitUntil(lambda n=n: page.session.worker.frames_taken == n, timeout=TIMEOUT)
    return page


def run_script(path, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, str(path), *args], cwd=path.parent, env=env,
                          capture_output=True, text=True, timeout=120)


def constants(path):
    """The script's top-level constants (EXPERIMENT, PARAMS, SEED, SPEED, FRAMES)."""
    tree = ast.parse(path.read_text())
    return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
            if isinstance(node, ast.Assign) and node.targets[0].id.isupper()}


def test_the_exported_script_writes_the_frame_the_tab_shows(window, qtbot, tmp_path,
                                                             monkeypatch):
    page = stepped_page(window, qtbot, steps=3)
    shown = page.last_frame
    action = next(a for a in window.menuBar().actions()[0].menu().actions()
                  if a.text() == "Export as Python script…")
    assert action.isEnabled()
    target = tmp_path / "replay ou.py"
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(target), "Python script (*.py)"))
    action.trigger()
    assert target.is_file() and os.access(target, os.X_OK)
    assert "exported" in window.statusBar().currentMessage()
    fixed = constants(target)
    assert (fixed["EXPERIMENT"], fixed["SEED"], fixed["SPEED"], fixed["FRAMES"]) == (OU, 11, 3, 4)
    assert fixed["PARAMS"]["n_particles"] == 300
    result = run_script(target)
    assert result.returncode == 0, result.stderr
    with np.load(tmp_path / "replay ou.npz") as data:
        assert set(data.files) == {*shown, "params_json", "experiment_id"}
        for name, value in shown.items():
            if np.asarray(value).dtype.kind in "fc":
                np.testing.assert_allclose(data[name], value, rtol=1e-12, atol=1e-12,
                                           err_msg=name)
            else:
                np.testing.assert_array_equal(data[name], value, err_msg=name)
    image = QtGui.QImage(str(tmp_path / "replay ou.png"))
    assert (image.width(), image.height()) == (1200, 900)
    # --out puts the files elsewhere, named as asked (run in this process: no second start-up)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.setattr(sys, "argv", [str(target), "--out", str(tmp_path / "elsewhere" / "x")])
    runpy.run_path(str(target), run_name="__main__")
    assert {p.name for p in (tmp_path / "elsewhere").iterdir()} == {"x.npz", "x.png"}
    with np.load(tmp_path / "elsewhere" / "x.npz") as data:
        np.testing.assert_array_equal(data["x"], shown["x"])


def test_a_run_changed_while_it_went_says_the_script_cannot_replay_it(window, qtbot,
                                                                     tmp_path):
    page = stepped_page(window, qtbot, steps=1)
    page.param_panel.root.child("D").setValue(1.5)  # a live change after the first frames
    page.step()
    qtbot.waitUntil(lambda: page.session.worker.frames_taken == 3, timeout=TIMEOUT)
    assert page.session.worker.changed_mid_run
    written = window.exports.scripts.script_to(tmp_path / "changed.py")
    assert "replays the final values from the start" in written.read_text()
    assert page.message.isVisible() and "exact replay" in page.message.text.text()
    assert constants(written)["PARAMS"]["D"] == 1.5
    # a preset restarts the run, its speed from the first frame on: replayable again
    page.apply_preset(presets.Preset(OU, {**page.session.values, "D": 0.7},
                                     {"steps_per_frame": 2}))
    qtbot.waitUntil(lambda: page.session.worker.frames_taken == 1, timeout=TIMEOUT)
    page.step()
    qtbot.waitUntil(lambda: page.session.worker.frames_taken == 2, timeout=TIMEOUT)
    assert not page.session.worker.changed_mid_run
    assert int(page.last_frame["step"]) == 4
    replay = constants(window.exports.scripts.script_to(tmp_path / "preset.py"))
    assert (replay["SPEED"], replay["FRAMES"], replay["PARAMS"]["D"]) == (2, 2, 0.7)
    assert "exact replay" not in (tmp_path / "preset.py").read_text()


def test_an_unwritable_place_gets_a_message_and_loses_nothing(window, qtbot, tmp_path,
                                                              monkeypatch):
    page = stepped_page(window, qtbot, steps=0)
    kept = tmp_path / "kept.py"
    kept.write_text("# an earlier export\n")
    (tmp_path / "folder.py").mkdir()
    places = {"missing folder": tmp_path / "no" / "such" / "x.py",
              "a folder in the way": tmp_path / "folder.py",
              "a read-only file system": Path("/proc/mgai-lab-script.py"),
              "not a .py name": tmp_path / "x.txt"}
    before = sorted(tmp_path.rglob("*"))
    for place, target in places.items():
        page.message.clear()
        assert window.exports.scripts.script_to(target) is None, place
        assert page.message.isVisible() and "Export failed" in page.message.text.text(), place
        assert sorted(tmp_path.rglob("*")) == before, place  # no partial file anywhere

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)  # a full disk while writing over an export
    assert window.exports.scripts.script_to(kept) is None
    assert "No space left" in page.message.text.text()
    assert sorted(tmp_path.rglob("*")) == before
    assert kept.read_text() == "# an earlier export\n"
