"""Lecture playlists in the window (issue 15 §1), on the real widgets."""

import json

import pytest
from pyqtgraph.Qt import QtCore, QtWidgets

from mgai_lab import lecture

pytestmark = pytest.mark.gui
LANGEVIN = "ch7.langevin-double-well"
OU = "ch7.ou-process"
TIMEOUT = 15_000


def write_lecture(tmp_path, steps, title="Test lecture"):
    path = tmp_path / "lecture.json"
    path.write_text(json.dumps({"schema": 1, "title": title, "steps": steps}))
    return path


STEPS = [
    {"title": "Hot wells", "experiment": LANGEVIN, "preset": "demo-free-hopping",
     "params": {"n_particles": 50}, "playing": True, "note": "## Watch\n\n**hopping** wells"},
    {"title": "Nowhere", "experiment": "ch99.nowhere", "note": "never shown"},
    {"title": "Relaxation", "experiment": OU, "params": {"n_particles": 100, "seed": 3},
     "speed": 2, "playing": False, "note": "The *exact* Gaussian"},
    {"title": "Cold, beside", "experiment": LANGEVIN, "params": {"D": 0.05, "n_particles": 50},
     "speed": 7, "playing": True, "layout": "split", "note": "metastable"},
]


def press(window, qtbot, key):
    window.activateWindow()
    qtbot.keyClick(window, key)


def test_page_down_and_up_walk_the_lecture_skipping_a_bad_step(window, qtbot, tmp_path):
    page = window.lecture.open_file(write_lecture(tmp_path, STEPS))
    counter, notes = window.lecture.counter, window.lecture.notes
    assert page is window.current_page() and page.cls.id == LANGEVIN
    assert page.session.values["D"] == 0.5 and page.session.values["n_particles"] == 50
    assert page.session.speed == 20 and page.session.playing  # the preset's speed
    assert counter.isVisible() and counter.text() == "Step 1/4: Hot wells"
    assert window.lecture.notes_dock.isVisible() and notes.isVisible()
    assert notes.note.toPlainText().startswith("Watch") and "hopping" in notes.note.toPlainText()
    assert "<b>" in notes.note.toHtml() or "font-weight" in notes.note.toHtml()  # rendered
    assert notes.next_label.text() == "Next: Relaxation"  # the bad step is passed over

    press(window, qtbot, QtCore.Qt.Key.Key_PageDown)
    ou = window.current_page()
    assert ou.cls.id == OU and counter.text() == "Step 3/4: Relaxation"
    assert ou.session.values["seed"] == 3 and ou.session.speed == 2
    assert not ou.session.playing and not page.session.playing  # the left step paused
    assert "skipped: step 2 (ch99.nowhere)" in window.statusBar().currentMessage()
    assert window.transport.speed.value() == 2
    qtbot.waitUntil(lambda: ou.last_frame is not None, timeout=TIMEOUT)

    press(window, qtbot, QtCore.Qt.Key.Key_PageUp)
    assert window.current_page() is page and counter.text() == "Step 1/4: Hot wells"
    assert page.session.playing and page.session.values["D"] == 0.5
    start = page.frames_shown
    qtbot.waitUntil(lambda: page.frames_shown > start + 2, timeout=TIMEOUT)


def test_a_split_step_opens_beside_the_previous_one(window, qtbot, tmp_path):
    window.lecture.open_file(write_lecture(tmp_path, [STEPS[0], STEPS[3]]))
    first = window.current_page()
    window.lecture.step(+1)
    second = window.current_page()
    assert window.tab_groups.split and second is not first and second.cls.id == LANGEVIN
    assert second.session.values["D"] == 0.05 and second.session.speed == 7
    assert first.isVisible() and second.isVisible()
    assert first.session.playing and second.session.playing  # both stay on screen, running
    assert window.tab_groups.locate(first)[0] is not window.tab_groups.locate(second)[0]
    window.lecture.step(-1)  # a "normal" step closes the split view
    assert not window.tab_groups.split and window.current_page().session.values["D"] == 0.5


def test_the_notes_dock_steps_aside_in_presentation_mode(window, qtbot, tmp_path):
    window.lecture.open_file(write_lecture(tmp_path, [STEPS[0],
                                                      dict(STEPS[0], layout="presentation")]))
    dock = window.lecture.notes_dock
    assert dock.isVisible() and dock.width() > 150 and dock.height() > 150
    window.appearance.set_presentation(True)
    assert not dock.isVisible()
    assert window.lecture.counter.isVisible()  # the lecturer still sees where they are
    window.appearance.set_presentation(False)
    assert dock.isVisible()
    window.lecture.step(+1)  # a "presentation" step turns presentation mode on
    assert window.appearance.presenting and not dock.isVisible()
    window.appearance.set_presentation(False)


def test_the_presenter_window_leaves_the_projected_screen(window, qtbot, tmp_path):
    window.lecture.open_file(write_lecture(tmp_path, [STEPS[0], dict(STEPS[0], title="Again")]))
    window.lecture.set_presenter_window(True)
    presenter = window.lecture.presenter
    qtbot.waitExposed(presenter)
    assert presenter.isVisible() and presenter.width() > 300 and presenter.height() > 300
    assert presenter.notes.heading.text() == "Step 1/2: Hot wells"
    assert "hopping" in presenter.notes.note.toPlainText()
    presenter.activateWindow()
    qtbot.keyClick(presenter, QtCore.Qt.Key.Key_PageDown)  # the remote works from here too
    assert presenter.notes.heading.text() == "Step 2/2: Again"
    # the offscreen test platform has one screen: the one being projected
    window.appearance.set_presentation(True)
    assert not presenter.isVisible()
    window.appearance.set_presentation(False)
    assert presenter.isVisible()
    assert window.close() and not presenter.isVisible()  # it closes with the lab


def test_a_corrupt_lecture_is_refused_and_closing_gives_the_keys_back(window, qtbot, tmp_path):
    window.lecture.open_file(write_lecture(tmp_path, STEPS[:1]))
    page = window.current_page()
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": 7, "title": "x", "steps": []}')
    assert window.lecture.open_file(bad) is None
    assert page.message.isVisible() and "Lecture refused" in page.message.text.text()
    assert "schema 7" in page.message.text.text()
    assert window.lecture.lecture.title == "Test lecture"
    assert window.lecture.counter.text() == "Step 1/1: Hot wells"
    assert bad.read_text() == '{"schema": 7, "title": "x", "steps": []}'

    window.lecture.close_lecture()
    assert not window.lecture.counter.isVisible()
    assert not window.lecture.notes_dock.isVisible()
    press(window, qtbot, QtCore.Qt.Key.Key_PageDown)
    assert page.preset_index == 0  # PageDown walks the presets again


def test_build_a_lecture_add_reorder_delete_edit_note_and_save(window, qtbot, tmp_path,
                                                               monkeypatch):
    langevin = window.open_experiment(LANGEVIN, {"D": 0.42, "n_particles": 50}, playing=True)
    langevin.set_speed(6)
    window.lecture.add_current_state()
    ou = window.open_experiment(OU, {"n_particles": 100})
    window.lecture.add_current_state()
    editor = window.lecture.edit()
    qtbot.waitExposed(editor)
    assert editor.isVisible() and editor.steps.count() == 2
    assert window.lecture.counter.text() == f"Step 2/2: {ou.cls.title}"

    editor.steps.setCurrentRow(1)
    qtbot.mouseClick(editor.up_button, QtCore.Qt.MouseButton.LeftButton)
    assert [s.experiment for s in window.lecture.lecture.steps] == [OU, LANGEVIN]
    assert editor.steps.currentRow() == 0 and editor.steps.item(0).text().endswith(OU)

    editor.steps.setCurrentRow(1)
    qtbot.keyClicks(editor.step_title, "Warm")
    editor.note_edit.setPlainText("**Drag D**")
    assert window.lecture.lecture.steps[1].title.endswith("Warm")
    assert window.lecture.lecture.steps[1].note == "**Drag D**"
    assert editor.windowTitle().endswith("•")

    target = tmp_path / "built.json"
    assert window.lecture.save_to(target) == target
    assert not window.lecture.dirty and editor.windowTitle() == "Edit lecture"
    saved = lecture.load(target)
    assert [s.experiment for s in saved.steps] == [OU, LANGEVIN]
    assert saved.steps[1].note == "**Drag D**" and saved.steps[1].speed == 6
    assert saved.steps[1].playing and saved.resolve(1).values["D"] == 0.42

    editor.steps.setCurrentRow(0)
    qtbot.mouseClick(editor.delete_button, QtCore.Qt.MouseButton.LeftButton)
    assert editor.steps.count() == 1 and window.lecture.dirty
    assert window.lecture.save_to(target) is None  # never silently overwritten
    assert "not overwritten" in langevin.message.text.text() or \
        "not overwritten" in window.current_page().message.text.text()
    assert len(lecture.load(target).steps) == 2

    langevin.session.set_param("D", 1.0)  # the saved step reopens the state it captured
    window.lecture.go(0)
    assert window.current_page().session.values["D"] == 0.42
    editor.close()

    Button = QtWidgets.QMessageBox.StandardButton  # unsaved edits: closing asks first
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda *a, **k: Button.Cancel)
    assert not window.close() and window.isVisible()
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", lambda *a, **k: Button.Discard)
    assert window.close()


def test_the_editor_marks_a_bad_step(window, qtbot, tmp_path):
    path = write_lecture(tmp_path, STEPS)
    window.lecture.set_lecture(lecture.load(path), path)  # (no step opened: no experiment)
    assert window.lecture.counter.text() == "Test lecture: 4 steps (PageDown to start)"
    editor = window.lecture.edit()
    item = editor.steps.item(1)
    assert item.text().startswith("⚠") and "ch99.nowhere" in item.toolTip()
    editor.steps.setCurrentRow(1)
    assert editor.problem.isVisible() and "skipped" in editor.problem.text()
    assert not editor.note_edit.isEnabled()
    editor.close()


def test_the_editor_sets_how_a_step_opens_and_replaces_its_state(window, qtbot, tmp_path):
    """Layout, playing and speed are edited in place; "Replace with current state" gives the
    step the current tab's experiment and values and keeps its title and note."""
    path = write_lecture(tmp_path, STEPS)
    window.lecture.set_lecture(lecture.load(path), path)
    editor = window.lecture.edit()
    qtbot.waitExposed(editor)
    editor.steps.setCurrentRow(2)  # "Relaxation": OU, speed 2, paused, normal
    assert editor.layout_choice.isVisible() and editor.speed_spin.isVisible()
    assert (editor.layout_choice.currentText(), editor.playing_check.isChecked(),
            editor.speed_spin.value()) == ("normal", False, 2)
    editor.layout_choice.setCurrentText("presentation")
    qtbot.mouseClick(editor.playing_check, QtCore.Qt.MouseButton.LeftButton)
    editor.speed_spin.setValue(0)  # back to the preset's or the experiment's speed
    step = window.lecture.lecture.steps[2]
    assert (step.layout, step.playing, step.speed) == ("presentation", True, None)
    assert window.lecture.dirty

    editor.steps.setCurrentRow(1)  # a refused step can be replaced, not edited
    assert not editor.speed_spin.isEnabled() and editor.replace_button.isEnabled()
    window.open_experiment(LANGEVIN, {"D": 0.33, "n_particles": 60})
    window.current_page().set_speed(9)
    editor.steps.setCurrentRow(2)
    qtbot.mouseClick(editor.replace_button, QtCore.Qt.MouseButton.LeftButton)
    replaced = window.lecture.lecture.steps[2]
    assert (replaced.experiment, replaced.title, replaced.note) == \
        (LANGEVIN, "Relaxation", "The *exact* Gaussian")
    assert replaced.layout == "presentation" and replaced.speed == 9
    assert editor.steps.item(2).text().endswith(LANGEVIN)

    target = tmp_path / "edited.json"
    assert window.lecture.save_to(target) == target
    saved = lecture.load(target)
    assert saved.resolve(2).values["D"] == 0.33 and saved.steps[2].speed == 9
    assert saved.steps[1].problem  # the refused step is written back as it was read
    editor.close()
