"""Presets, export, recording, presentation mode, themes, layouts and hover on real widgets."""

import csv
import io
import itertools
import json
import time

import imageio.v2 as imageio
import numpy as np
import pytest
from pyqtgraph.Qt import QtCore, QtGui, QtSvg, QtWidgets

from mgai_lab import presets
from mgai_lab.settings import Settings
from mgai_lab.window import MainWindow

pytestmark = pytest.mark.gui
LANGEVIN = "ch7.langevin-double-well"
ZOO = "ch3.optimizer-zoo"
TIMEOUT = 15_000


def open_running(window, qtbot, exp_id=LANGEVIN, frames=3, **values):
    page = window.open_experiment(exp_id, values or None, playing=True)
    start = page.frames_shown
    qtbot.waitUntil(lambda: page.frames_shown >= start + frames, timeout=TIMEOUT)
    return page


# -- presets ---------------------------------------------------------------------------
def test_load_good_preset_applies_values_and_restarts(window, qtbot, tmp_path):
    page = open_running(window, qtbot)
    cls = page.cls
    path = presets.save(tmp_path / "p.json", cls, cls.spec().resolve({"D": 0.9, "n_particles": 50}),
                        {"steps_per_frame": 4})
    generation = page.session.generation
    assert window.presets.apply_file(path)
    assert page.session.generation == generation + 1
    qtbot.waitUntil(lambda: page.last_frame is not None and page.last_frame["x"].shape == (50,),
                    timeout=TIMEOUT)
    assert page.session.experiment.p["D"] == 0.9 and page.session.speed == 4
    assert page.param_panel.root.child("D").value() == 0.9


@pytest.mark.parametrize("content", [b"", b"{trunc", bytes(range(256)),
                                     b'{"schema": 9, "experiment": "ch7.langevin-double-well"}',
                                     b'{"schema": 1, "experiment": "ch3.optimizer-zoo"}',
                                     b'{"schema": 1, "experiment": "ch7.langevin-double-well",'
                                     b' "params": {"D": -1}}'])
def test_bad_preset_never_changes_the_running_experiment(window, qtbot, tmp_path, content):
    page = open_running(window, qtbot)
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    values, generation = dict(page.session.values), page.session.generation
    assert not window.presets.apply_file(path)
    assert page.message.level == "warning" and "Preset refused" in page.message.text.text()
    assert page.session.values == values and page.session.generation == generation
    assert page.session.playing
    assert path.read_bytes() == content


def test_save_preset_never_silently_overwrites(window, qtbot, tmp_path):
    page = open_running(window, qtbot)
    target = tmp_path / "mine.json"
    assert window.presets.save_to(target) == target
    before = target.read_bytes()
    page.param_panel.root.child("D").setValue(1.2)
    assert window.presets.save_to(target) is None
    assert "not overwritten" in page.message.text.text()
    assert target.read_bytes() == before
    assert window.presets.save_to(target, overwrite=True) == target
    assert presets.load(target).values["D"] == 1.2


def test_copy_and_paste_preset_through_the_clipboard(window, qtbot):
    page = open_running(window, qtbot)
    page.param_panel.root.child("D").setValue(0.77)
    window.presets.copy()
    copied = json.loads(QtWidgets.QApplication.clipboard().text())
    assert copied["experiment"] == LANGEVIN and copied["params"]["D"] == 0.77
    page.param_panel.root.child("D").setValue(0.3)
    assert window.presets.paste()
    assert page.session.values["D"] == 0.77
    QtWidgets.QApplication.clipboard().setText("not a preset")
    values = dict(page.session.values)
    assert not window.presets.paste()
    assert page.session.values == values


def test_page_down_and_up_walk_the_presets(window, qtbot):
    page = open_running(window, qtbot)
    names = [name for name, _, _ in presets.list_presets(LANGEVIN)]
    assert len(names) >= 2
    window.presets.step(+1)
    first = dict(page.session.values)
    window.presets.step(+1)
    assert page.preset_index == 1
    window.presets.step(-1)
    assert page.preset_index == 0 and page.session.values == first
    window.activateWindow()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_PageDown)
    assert page.preset_index == 1


# -- export ----------------------------------------------------------------------------
def test_png_at_scale_and_svg_that_rerenders(window, qtbot, tmp_path):
    page = open_running(window, qtbot, ZOO, frames=20)
    page.pause()
    view = page.panels["landscape"]
    one = window.exports.image_to(tmp_path / "v1.png", "landscape", 1.0)
    three = window.exports.image_to(tmp_path / "v3.png", "landscape", 3.0)
    assert QtGui.QImage(str(one)).size() == view.size()
    assert QtGui.QImage(str(three)).width() == 3 * view.width()
    svg = window.exports.image_to(tmp_path / "all.svg")
    renderer = QtSvg.QSvgRenderer(str(svg))
    assert renderer.isValid()
    image = QtGui.QImage(renderer.defaultSize(), QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    renderer.render(painter)
    painter.end()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 9)
               for y in range(0, image.height(), 9)}
    assert len(colours) > 20
    assert QtSvg.QSvgRenderer(str(window.exports.image_to(tmp_path / "one.svg", "loss"))).isValid()


def test_export_captures_the_current_zoom(window, qtbot, tmp_path):
    page = open_running(window, qtbot, ZOO, frames=5)
    page.pause()
    qtbot.wait(100)
    before = QtGui.QImage(str(window.exports.image_to(tmp_path / "a.png", "landscape")))
    page.panels["landscape"].plot.setRange(xRange=(-0.5, 0.5), yRange=(-0.5, 0.5), padding=0)
    after = QtGui.QImage(str(window.exports.image_to(tmp_path / "b.png", "landscape")))
    assert before.size() == after.size() and before != after


def test_frame_data_csv_and_npz_hold_the_shown_frame(window, qtbot, tmp_path):
    page = open_running(window, qtbot, frames=5)
    page.pause()
    qtbot.wait(200)
    frame = page.last_frame
    window.exports.data_to(tmp_path / "f.csv")
    window.exports.data_to(tmp_path / "f.npz")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "f.csv").read_text())))
    step = [r for r in rows if r["field"] == "step"]
    assert step and int(step[0]["value"]) == frame["step"]
    xs = [float(r["value"]) for r in rows if r["field"] == "x"]
    np.testing.assert_array_equal(xs, frame["x"])
    with np.load(tmp_path / "f.npz") as data:
        np.testing.assert_array_equal(data["x"], frame["x"])
        assert int(data["step"]) == frame["step"]
        assert str(data["experiment_id"]) == LANGEVIN
    assert window.exports.data_to(tmp_path / "f.txt") is None
    assert "csv or .npz" in page.message.text.text()


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_a_recording_plays_back_as_long_as_it_was_recorded(window, qtbot, tmp_path, suffix):
    """Real time: the frames shown are all in the video, each held until the next one, so
    the video lasts as long as the recording did (not frames / 30 fps)."""
    page = open_running(window, qtbot, frames=1, n_particles=500)
    page.pause()
    qtbot.wait(100)
    path = tmp_path / f"rec{suffix}"
    starting = time.monotonic()
    assert window.exports.start_recording(path)
    shown = [time.monotonic()]  # when each recorded frame appeared on screen
    # (the first one is timed when it is drawn into the video, inside start_recording)
    start = shown[0] - starting
    indicator = window.exports.indicator
    assert indicator.isVisibleTo(window) and "REC" in indicator.text()
    assert not path.exists()  # written only when the recording stops
    for _ in range(11):  # 1 frame at start (the one on screen) + 11 steps, ~0.15 s apart
        made = page.frames_shown
        page.step()
        qtbot.waitUntil(lambda m=made: page.frames_shown > m, timeout=TIMEOUT)
        shown.append(time.monotonic())
        qtbot.wait(150)
    assert page.recorder.frames == 12
    fps = page.recorder.fps
    stopping = time.monotonic()
    assert window.exports.stop_recording() == str(path)
    stopped = time.monotonic()
    assert not indicator.isVisibleTo(window)
    reader = imageio.get_reader(path)
    count = reader.count_frames() if suffix == ".mp4" else len(list(reader))
    # each frame is held for the time it stayed on screen (a pause counts at most 1 s), and
    # the last one until the recording stops
    held = sum(min(b - a, 1.0) for a, b in itertools.pairwise(shown))
    tail = min(stopped - shown[-1], 1.0)
    assert held * fps - 3 <= count <= (start + held + tail) * fps + 6, (count, start, held, tail)
    assert count > 12 + 1.0 * fps  # not one video frame per frame: 11 holds of ≥ 0.15 s
    assert stopping > shown[-1]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_closing_while_recording_leaves_a_complete_file_quickly(qtbot, tmp_path):
    win = MainWindow(settings=Settings(tmp_path / "s.json"))
    qtbot.addWidget(win)
    win.show()
    page = win.open_experiment(LANGEVIN, {"n_particles": 200}, playing=True)
    qtbot.waitUntil(lambda: page.frames_shown >= 2, timeout=TIMEOUT)
    path = tmp_path / "rec.mp4"
    assert win.exports.start_recording(path)
    qtbot.waitUntil(lambda: page.recorder is not None and page.recorder.frames >= 5,
                    timeout=TIMEOUT)
    timer = QtCore.QElapsedTimer()
    timer.start()
    win.close()
    assert timer.elapsed() < 3000  # a blocking close, not a busy machine (see test_closing)
    assert imageio.get_reader(path).count_frames() >= 5
    assert [p.name for p in tmp_path.iterdir() if ".part" in p.name] == []


# -- presentation, themes, hover -------------------------------------------------------
def test_presentation_mode_enlarges_plot_fonts_and_markers(window, qtbot):
    page = open_running(window, qtbot)
    panel = page.panels["histogram"]
    axis = panel.plot.getAxis("bottom")
    normal_font = axis.style["tickFont"].pointSizeF()
    normal_marker = page.panels["particles"].cloud.size_px
    window.appearance.set_presentation(True)
    assert window.isFullScreen() and not window.menuBar().isVisible()
    assert window.appearance.theme.name == "presentation"
    assert axis.style["tickFont"].pointSizeF() >= 1.8 * normal_font
    assert page.panels["particles"].cloud.size_px > normal_marker
    assert panel.plot_widget.backgroundBrush().color() == QtGui.QColor("#000000")
    window.appearance.set_presentation(False)
    assert not window.isFullScreen()
    assert axis.style["tickFont"].pointSizeF() == pytest.approx(normal_font)


def test_f5_toggles_presentation_and_dark_theme_restyles_plots(window, qtbot):
    page = open_running(window, qtbot)
    window.activateWindow()
    qtbot.keyClick(window, QtCore.Qt.Key.Key_F5)
    assert window.appearance.presenting
    qtbot.keyClick(window, QtCore.Qt.Key.Key_F5)
    assert not window.appearance.presenting
    window.appearance.set_theme("dark")
    background = page.panels["histogram"].plot_widget.backgroundBrush().color()
    assert background == QtGui.QColor("#16181D")
    assert window.settings.get("theme") == "dark"


def test_hover_over_a_heatmap_shows_the_value_in_the_status_bar(window, qtbot):
    page = open_running(window, qtbot, ZOO, frames=2)
    panel = page.panels["landscape"]
    vb = panel.plot.getViewBox()
    scene_point = vb.mapViewToScene(QtCore.QPointF(0.5, -0.5))
    panel.plot.scene().sigMouseMoved.emit(scene_point)
    text = window.status_hover.text()
    assert "value =" in text and "x = 0.5" in text


# -- layout ----------------------------------------------------------------------------
def test_layout_round_trip_last_experiment_and_reset(qtbot, tmp_path):
    settings_file = tmp_path / "settings.json"
    win = MainWindow(settings=Settings(settings_file))
    qtbot.addWidget(win)
    win.show()
    page = win.open_experiment(LANGEVIN)
    page.docks["paths"].setFloating(True)
    page.docks["fraction"].hide()
    win.close()
    saved = json.loads(settings_file.read_text())
    assert saved["last_experiment"] == LANGEVIN and LANGEVIN in saved["layouts"]

    again = MainWindow(settings=Settings(settings_file))
    qtbot.addWidget(again)
    again.show()
    page = again.open_experiment(LANGEVIN)
    assert page.docks["paths"].isFloating()
    assert page.docks["fraction"].isHidden()
    again.reset_layout()
    assert not page.docks["paths"].isFloating() and not page.docks["fraction"].isHidden()
    again.close()


def test_corrupt_settings_file_is_set_aside_not_fatal(qtbot, tmp_path):
    settings_file = tmp_path / "settings.json"
    settings_file.write_bytes(b"\x00\x01garbage")
    settings = Settings(settings_file)
    assert settings.get("theme") == "light" and settings.problems
    assert any(p.name.startswith("settings.json.bad-") for p in tmp_path.iterdir())
    settings.set_layout(LANGEVIN, b"not a Qt state")
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    page = win.open_experiment(LANGEVIN)
    assert page.docks["histogram"].isVisibleTo(page)
    win.close()


# -- side by side ----------------------------------------------------------------------
def test_split_view_runs_two_experiments_side_by_side(window, qtbot):
    zoo = open_running(window, qtbot, ZOO)
    langevin = open_running(window, qtbot, LANGEVIN)
    window.set_split(True)
    assert len(window.tab_groups.groups) == 2 and window.split_action.isChecked()
    left, right = window.tab_groups.groups
    assert right.indexOf(langevin) >= 0 and left.indexOf(zoo) >= 0
    assert zoo.isVisible() and langevin.isVisible()
    zoo.play()
    langevin.play()
    shown = (zoo.frames_shown, langevin.frames_shown)
    qtbot.waitUntil(lambda: zoo.frames_shown > shown[0] + 3
                    and langevin.frames_shown > shown[1] + 3, timeout=TIMEOUT)
    window.tab_groups.activate(window.tab_groups.groups[0])
    assert window.current_page() is zoo  # the transport acts on the focused side
    window.move_to_other_side()
    assert len(window.tab_groups.groups) == 1 and set(window.pages()) == {zoo, langevin}
    assert not window.split_action.isChecked()


def test_presentation_scale_changes_the_plot_fonts(window, qtbot):
    page = open_running(window, qtbot)
    axis = page.panels["histogram"].plot.getAxis("bottom")
    window.appearance.set_presentation(True)
    at_two = axis.style["tickFont"].pointSizeF()
    window.appearance.set_presentation_scale(3.0)
    assert axis.style["tickFont"].pointSizeF() == pytest.approx(1.5 * at_two)
    assert window.settings.get("presentation_scale") == 3.0
    window.appearance.set_presentation(False)
