"""Lectures in the window (issue 15 §1): open, step through, build and save a lecture.

File → Open lecture… loads a lecture (:mod:`mgai_lab.lecture`); PageDown/PageUp (what
presenter remotes send) then open the next/previous step's experiment in its state
(values, seed, speed, playing) and layout, instead of walking the presets. The status bar
shows "Step 3/8: title"; the speaker note (Markdown) is in the "Speaker notes" dock,
which steps aside in presentation mode so it stays off the projected screen. A step that
cannot be played is marked and skipped with a message; the other steps still play.
Lecture → Add current state to lecture and Edit lecture… build one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from . import lecture as lectures
from . import presets
from .actions import make_action
from .page import ExperimentPage
from .paths import ASSETS

if TYPE_CHECKING:
    from .window import MainWindow

WARNING_MARK = "⚠"


class NotesPane(QtWidgets.QWidget):
    """The speaker's view of a step: its title, its note rendered from Markdown, and what
    comes next."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.heading = QtWidgets.QLabel()
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.heading.setFont(font)
        self.note = QtWidgets.QTextBrowser()
        self.note.setOpenExternalLinks(True)
        self.note.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # PageDown stays the lecture's
        self.next_label = QtWidgets.QLabel()
        self.next_label.setWordWrap(True)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.heading)
        layout.addWidget(self.note, 1)
        layout.addWidget(self.next_label)

    def show_step(self, heading: str, note: str, next_title: str) -> None:
        self.heading.setText(heading)
        self.note.setMarkdown(note or "*(no note for this step)*")
        self.next_label.setText(f"Next: {next_title}" if next_title else "Last step")


class PresenterWindow(QtWidgets.QWidget):
    """The speaker notes in a window of their own, for the lecturer's screen: it opens on
    a screen other than the lab's when there is one, and hides in presentation mode when
    it shares the projected screen."""

    #: the window was closed by the user
    closed = QtCore.Signal()

    def __init__(self, actions: list[QtGui.QAction]):
        super().__init__(None, QtCore.Qt.WindowType.Window)
        self.setObjectName("lecture-presenter")
        self.setWindowTitle("Speaker notes — MGAI Lab")
        self.notes = NotesPane()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.notes)
        self.resize(560, 680)
        for action in actions:  # PageDown/PageUp work here too
            self.addAction(action)

    def closeEvent(self, event) -> None:
        super().closeEvent(event)
        self.closed.emit()


class LectureEditor(QtWidgets.QDialog):
    """Reorder and delete steps; edit each step's title, note and how it opens (layout,
    playing or paused, speed); replace a step's state with the current tab's; save the
    lecture. Edits go straight into the open lecture; Save writes it (atomically)."""

    def __init__(self, actions: LectureActions):
        super().__init__(actions.window)
        self.actions = actions
        self.setWindowTitle("Edit lecture")
        self.setObjectName("lecture-editor")
        self.resize(900, 560)
        self.title_edit = QtWidgets.QLineEdit()
        self.title_edit.setPlaceholderText("Lecture title")
        self.steps = QtWidgets.QListWidget()
        self.steps.setObjectName("lecture-steps")
        self.up_button = QtWidgets.QPushButton("Move up")
        self.down_button = QtWidgets.QPushButton("Move down")
        self.delete_button = QtWidgets.QPushButton("Delete")
        self.add_button = QtWidgets.QPushButton("Add current state")
        self.add_button.setToolTip("Add the current experiment, as it is now, after the "
                                   "selected step")
        self.go_button = QtWidgets.QPushButton("Go to step")
        self.replace_button = QtWidgets.QPushButton("Replace with current state")
        self.replace_button.setToolTip("The selected step reopens the current experiment as "
                                       "it is now (its parameters, seed and speed)")
        self.step_title = QtWidgets.QLineEdit()
        self.step_title.setPlaceholderText("Step title")
        self.layout_choice = QtWidgets.QComboBox()
        self.layout_choice.addItems(lectures.LAYOUTS)
        self.layout_choice.setToolTip("normal: alone in the window; presentation: alone, in "
                                      "presentation mode; split: beside the previous step")
        self.playing_check = QtWidgets.QCheckBox("plays at once")
        self.speed_spin = QtWidgets.QSpinBox()
        self.speed_spin.setRange(0, 100_000)
        self.speed_spin.setSpecialValueText("preset's / experiment's")
        self.speed_spin.setToolTip("Internal steps per displayed frame")
        self.note_edit = QtWidgets.QPlainTextEdit()
        self.note_edit.setPlaceholderText("Speaker note (Markdown)")
        self.problem = QtWidgets.QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #A4161A;")
        self.save_button = QtWidgets.QPushButton("Save")
        self.save_as_button = QtWidgets.QPushButton("Save as…")
        close_button = QtWidgets.QPushButton("Close")

        buttons = QtWidgets.QVBoxLayout()
        for button in (self.up_button, self.down_button, self.delete_button, self.add_button,
                       self.replace_button, self.go_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.steps, 1)
        top.addLayout(buttons)
        form = QtWidgets.QFormLayout()
        form.addRow("Lecture", self.title_edit)
        form.addRow("Step", self.step_title)
        opens = QtWidgets.QHBoxLayout()
        opens.addWidget(QtWidgets.QLabel("layout"))
        opens.addWidget(self.layout_choice)
        opens.addWidget(self.playing_check)
        opens.addWidget(QtWidgets.QLabel("speed"))
        opens.addWidget(self.speed_spin)
        opens.addStretch(1)
        form.addRow("Opens", opens)
        bottom = QtWidgets.QHBoxLayout()
        bottom.addStretch(1)
        for button in (self.save_button, self.save_as_button, close_button):
            bottom.addWidget(button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(top, 3)
        layout.addWidget(self.problem)
        layout.addWidget(QtWidgets.QLabel("Speaker note (Markdown):"))
        layout.addWidget(self.note_edit, 2)
        layout.addLayout(bottom)

        self.steps.currentRowChanged.connect(self._show_selected)
        self.steps.itemDoubleClicked.connect(lambda _item: self.go())
        self.up_button.clicked.connect(lambda: self.move(-1))
        self.down_button.clicked.connect(lambda: self.move(+1))
        self.delete_button.clicked.connect(self.delete)
        self.add_button.clicked.connect(self._add_current)
        self.go_button.clicked.connect(self.go)
        self.replace_button.clicked.connect(self._replace_with_current)
        self.layout_choice.currentTextChanged.connect(self._layout_edited)
        self.playing_check.toggled.connect(self._playing_edited)
        self.speed_spin.valueChanged.connect(self._speed_edited)
        self.title_edit.textEdited.connect(self._title_edited)
        self.step_title.textEdited.connect(self._step_title_edited)
        self.note_edit.textChanged.connect(self._note_edited)
        self.save_button.clicked.connect(actions.save)
        self.save_as_button.clicked.connect(actions.save_as)
        close_button.clicked.connect(self.close)

    # -- showing the lecture ------------------------------------------------------------
    def refresh(self, select: int | None = None) -> None:
        """Show the open lecture again (after an edit elsewhere), selecting ``select``."""
        lecture = self.actions.lecture
        row = self.steps.currentRow() if select is None else select
        self.title_edit.setText(lecture.title if lecture else "")
        self.steps.blockSignals(True)
        self.steps.clear()
        for number, step in enumerate(lecture.steps if lecture else [], 1):
            text = f"{number}. {step.label()}  —  {step.experiment or '?'}"
            item = QtWidgets.QListWidgetItem(f"{WARNING_MARK} {text}" if step.problem else text)
            if step.problem:
                item.setForeground(QtGui.QColor("#A4161A"))
                item.setToolTip(step.problem)
            self.steps.addItem(item)
        self.steps.blockSignals(False)
        count = self.steps.count()
        self.steps.setCurrentRow(min(max(row, 0), count - 1) if count else -1)
        self._show_selected(self.steps.currentRow())
        self.setWindowTitle(f"Edit lecture{' •' if self.actions.dirty else ''}")

    def _show_selected(self, row: int) -> None:
        lecture = self.actions.lecture
        step = lecture.steps[row] if lecture and 0 <= row < len(lecture.steps) else None
        for widget in (self.up_button, self.down_button, self.delete_button, self.go_button,
                       self.replace_button):
            widget.setEnabled(step is not None)
        # a refused step is kept exactly as read: it is moved, deleted or replaced, not edited
        editable = step is not None and step.raw is None
        fields = (self.step_title, self.note_edit, self.layout_choice, self.playing_check,
                  self.speed_spin)
        for widget in fields:
            widget.setEnabled(editable)
            widget.blockSignals(True)
        self.step_title.setText(step.title if step else "")
        self.note_edit.setPlainText(step.note if step else "")
        self.layout_choice.setCurrentText(step.layout if editable else lectures.LAYOUTS[0])
        self.playing_check.setChecked(bool(editable and step.playing))
        self.speed_spin.setValue((step.speed or 0) if editable else 0)
        for widget in fields:
            widget.blockSignals(False)
        self.problem.setText(f"{WARNING_MARK} This step will be skipped: {step.problem}"
                             if step and step.problem else "")
        self.problem.setVisible(bool(step and step.problem))

    # -- edits --------------------------------------------------------------------------
    def move(self, delta: int) -> None:
        row = self.steps.currentRow()
        if self.actions.lecture is not None and row >= 0:
            self.refresh(self.actions.move_step(row, delta))

    def delete(self) -> None:
        row = self.steps.currentRow()
        if self.actions.lecture is not None and row >= 0:
            self.actions.delete_step(row)
            self.refresh(min(row, len(self.actions.lecture.steps) - 1))

    def go(self) -> None:
        row = self.steps.currentRow()
        if row >= 0:
            self.actions.go(row)

    def _add_current(self) -> None:
        self.actions.add_current_state(after=self.steps.currentRow())

    def _replace_with_current(self) -> None:
        row = self.steps.currentRow()
        if row >= 0 and self.actions.replace_step(row) is not None:
            self.refresh(row)

    def _selected_step(self) -> lectures.Step | None:
        lecture, row = self.actions.lecture, self.steps.currentRow()
        return lecture.steps[row] if lecture and 0 <= row < len(lecture.steps) else None

    def _title_edited(self, text: str) -> None:
        if self.actions.lecture is not None:
            self.actions.lecture.title = text
            self.actions.changed()

    def _step_title_edited(self, text: str) -> None:
        step = self._selected_step()
        if step is not None:
            step.title = text
            item = self.steps.currentItem()
            item.setText(f"{self.steps.currentRow() + 1}. {step.label()}  —  {step.experiment}")
            self.actions.changed()

    def _note_edited(self) -> None:
        self._set_on_step("note", self.note_edit.toPlainText())

    def _layout_edited(self, layout: str) -> None:
        self._set_on_step("layout", layout)

    def _playing_edited(self, playing: bool) -> None:
        self._set_on_step("playing", playing)

    def _speed_edited(self, speed: int) -> None:
        self._set_on_step("speed", speed or None)  # 0: the preset's, else the experiment's

    def _set_on_step(self, name: str, value: object) -> None:
        """One edited field of the selected step, then the lecture is marked unsaved."""
        step = self._selected_step()
        if step is not None:
            setattr(step, name, value)
            self.actions.changed()


class LectureActions(QtCore.QObject):
    """The Lecture menu, File → Open lecture…, the step counter and the speaker notes."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.lecture: lectures.Lecture | None = None
        self.path: Path | None = None
        self.index = -1  # the step shown (-1: none yet)
        self.dirty = False
        self.editor: LectureEditor | None = None
        self._notes_were_visible = True
        self._preset_keys: list[QtGui.QKeySequence] = []

        self.counter = QtWidgets.QLabel()
        self.counter.setObjectName("lecture-step-counter")
        self.counter.setStyleSheet("padding: 0 8px; font-weight: bold;")
        self.counter.hide()
        self.notes = NotesPane()
        self.notes_dock = QtWidgets.QDockWidget("Speaker notes", window)
        self.notes_dock.setObjectName("dock:lecture-notes")
        self.notes_dock.setWidget(self.notes)
        # a tab beside the experiment browser: the experiment keeps its width
        window.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, self.notes_dock)
        window.tabifyDockWidget(window.browser_dock, self.notes_dock)
        self.notes_dock.hide()
        self.presenter: PresenterWindow | None = None
        self._presenter_hidden = False  # hidden by presentation mode (not by the user)
        window.installEventFilter(self)

    def build_menus(self, file_menu: QtWidgets.QMenu) -> None:
        """File → Open lecture… and the Lecture menu (PageDown/PageUp act while a lecture
        is open)."""
        w = self.window
        Key = QtCore.Qt.Key
        file_menu.addAction(make_action(w, "Open lecture…", self.open_dialog, "Ctrl+L",
                                        "Open a lecture: PageDown/PageUp then walk its steps"))
        menu = w.menuBar().addMenu("&Lecture")
        self.next_action = make_action(w, "Next step", lambda: self.step(+1), Key.Key_PageDown)
        self.previous_action = make_action(w, "Previous step", lambda: self.step(-1),
                                           Key.Key_PageUp)
        for action in (self.next_action, self.previous_action):
            action.setShortcut(QtGui.QKeySequence())  # given PageDown/PageUp by a lecture
            menu.addAction(action)
        menu.addSeparator()
        self.add_action = make_action(w, "Add current state to lecture", self.add_current_state,
                                      "Ctrl+Shift+L",
                                      "Add the current experiment, as it is now, as a step")
        menu.addAction(self.add_action)
        menu.addAction(make_action(w, "Edit lecture…", self.edit))
        menu.addAction(make_action(w, "Save lecture", self.save))
        menu.addAction(make_action(w, "Save lecture as…", self.save_as))
        menu.addAction(make_action(w, "Close lecture", self.close_lecture))
        menu.addSeparator()
        menu.addAction(self.notes_dock.toggleViewAction())
        self.presenter_action = make_action(
            w, "Presenter window", self.set_presenter_window, "Ctrl+Shift+P",
            "The speaker notes in a window of their own, on another screen when there is "
            "one", checkable=True)
        menu.addAction(self.presenter_action)
        self._enable()
        self.window.statusBar().addPermanentWidget(self.counter)

    def follow_presentation(self, present_action: QtGui.QAction) -> None:
        """The notes dock steps aside while presenting (it would be projected)."""
        present_action.toggled.connect(self._on_presentation)

    def set_presenter_window(self, on: bool) -> None:
        """Show or close the presenter window (placed on a screen the lab is not on)."""
        self.presenter_action.setChecked(on)
        if not on:
            if self.presenter is not None:
                self.presenter.hide()
            return
        if self.presenter is None:
            self.presenter = PresenterWindow([self.next_action, self.previous_action])
            self.presenter.closed.connect(lambda: self.presenter_action.setChecked(False))
            self.window.destroyed.connect(self.presenter.deleteLater)
            others = [screen for screen in QtGui.QGuiApplication.screens()
                      if screen is not self.window.screen()]
            if others:
                self.presenter.move(others[0].availableGeometry().topLeft()
                                    + QtCore.QPoint(40, 40))
        self._show_status()
        self._presenter_hidden = False
        if self.window.appearance.presenting and self._presenter_projected():
            self._presenter_hidden = True
            return
        self.presenter.show()

    def _presenter_projected(self) -> bool:
        """Whether the presenter window would show on the screen being projected."""
        return self.presenter is not None and self.presenter.screen() is self.window.screen()

    # -- opening ------------------------------------------------------------------------
    def open_dialog(self) -> None:
        if self.dirty and not self._confirm_discard():
            return
        start = self.path.parent if self.path else ASSETS / "lectures"
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self.window, "Open lecture", str(start),
                                                        "Lectures (*.json)")
        if path:
            self.open_file(path)

    def open_file(self, path: Path | str) -> ExperimentPage | None:
        """Load a lecture and open its first playable step; a refused file changes nothing.
        Returns the page of the step opened (None when none could be)."""
        try:
            lecture = lectures.load(path)
        except lectures.LectureError as exc:
            self._warn(f"Lecture refused: {exc}")
            return None
        self.set_lecture(lecture, Path(path))
        for warning in lecture.warnings:
            print(f"mgai-lab: lecture: {warning}", file=sys.stderr)
        bad = len(lecture.steps) - len(lecture.playable())
        if bad:
            self.window.notify(f"lecture {lecture.title!r}: {bad} step(s) marked and will be "
                               "skipped (Lecture → Edit lecture… says why)")
        return self.step(+1)

    def set_lecture(self, lecture: lectures.Lecture, path: Path | None) -> None:
        """Make ``lecture`` the open one, before its first step."""
        self.lecture, self.path, self.index, self.dirty = lecture, path, -1, False
        self._take_page_keys(True)
        self._enable()
        self._show_status()
        if not self.window.appearance.presenting:
            self.notes_dock.show()
            self.notes_dock.raise_()
        if self.editor is not None:
            self.editor.refresh(0)

    def close_lecture(self) -> None:
        if self.dirty and not self._confirm_discard():
            return
        self.lecture, self.path, self.index, self.dirty = None, None, -1, False
        self._take_page_keys(False)
        self._enable()
        self.counter.hide()
        self.notes_dock.hide()
        self.set_presenter_window(False)
        if self.editor is not None:
            self.editor.close()

    # -- stepping -----------------------------------------------------------------------
    def step(self, delta: int) -> ExperimentPage | None:
        """Open the next (+1) or previous (-1) playable step; the steps passed over that
        cannot be played are named in the status bar."""
        if self.lecture is None:
            return None
        index, skipped = self.index + delta, []
        while 0 <= index < len(self.lecture.steps):
            if not self.lecture.steps[index].problem:
                page = self.go(index)
                if page is not None:
                    if skipped:
                        self.window.notify("; ".join(skipped), 15000)
                    return page
            skipped.append(f"skipped: {self.lecture.steps[index].problem}")
            index += delta
        end = "the last step" if delta > 0 else "the first step"
        self.window.notify("; ".join([*skipped, f"this is {end} of the lecture"]), 15000)
        return None

    def go(self, index: int) -> ExperimentPage | None:
        """Open step ``index`` in its state and layout; a step that cannot be opened is
        marked (``problem``) and None returned."""
        lecture = self.lecture
        if lecture is None or not 0 <= index < len(lecture.steps):
            return None
        step = lecture.steps[index]
        try:
            resolved = lecture.resolve(index)
        except lectures.LectureError as exc:
            step.problem = str(exc)
            self.window.notify(f"skipped: {exc}", 15000)
            self._refresh_editor()
            return None
        previous = self.window.current_page()
        split = step.layout == "split" and previous is not None
        if not split and self.window.tab_groups.split:
            self.window.set_split(False)
        page = self._open(resolved, step.playing, avoid=previous if split else None)
        if split:
            self._place_beside(previous, page)
        elif step.layout == "presentation":
            self.window.appearance.set_presentation(True)
        self.window.transport.show_speed(page.session.speed, page.cls.max_steps_per_frame)
        for other in self.window.pages():  # what left the screen stops computing
            if other is not page and not (split and other is previous):
                other.pause()
        if resolved.warnings:
            page.report("info", "; ".join(resolved.warnings))
        self.index = index
        self._show_status()
        return page

    def _open(self, resolved: lectures.ResolvedStep, playing: bool,
              avoid: ExperimentPage | None) -> ExperimentPage:
        """The step's experiment in a tab, started afresh with its values, speed and
        transport state (a paused run shows its first frame): an open tab of it is reused,
        except ``avoid`` (the page a split step stands beside)."""
        w = self.window
        for page in w.pages():
            if page.cls is resolved.cls and page is not avoid:
                w.tab_groups.show_page(page)
                page.play() if playing else page.pause()  # (the restart keeps this state)
                page.apply_preset(presets.Preset(resolved.cls.id, resolved.values,
                                                 {"steps_per_frame": resolved.speed}))
                return page
        page = w.open_experiment(resolved.cls.id, resolved.values, playing=playing,
                                 new_tab=True)
        page.set_speed(resolved.speed)
        return page

    def _place_beside(self, left: ExperimentPage, right: ExperimentPage) -> None:
        """``left`` and ``right`` side by side in a split view, ``right`` current."""
        groups = self.window.tab_groups
        if not groups.split:
            groups.show_page(right)
            self.window.set_split(True)  # the current tab (right) moves to the new side
        elif groups.locate(left)[0] is groups.locate(right)[0]:
            groups.show_page(right)
            self.window.move_to_other_side()
        groups.show_page(left)
        groups.show_page(right)

    # -- building -----------------------------------------------------------------------
    def add_current_state(self, after: int | None = None) -> lectures.Step | None:
        """Add the current tab, as it is now, as a step after ``after`` (default: after
        the step shown; a new lecture when none is open)."""
        page = self.window.current_page()
        if page is None:
            self.window.notify("open an experiment first: a step is an experiment's state")
            return None
        if self.lecture is None:
            self.set_lecture(lectures.Lecture("Untitled lecture"), None)
        w = self.window
        layout = "split" if w.tab_groups.split else \
            "presentation" if w.appearance.presenting else "normal"
        step = lectures.step_from_state(page.cls, page.session.values, page.session.speed,
                                        page.session.playing, layout)
        position = (self.index if after is None or after < 0 else after) + 1
        position = min(max(position, 0), len(self.lecture.steps))
        self.lecture.steps.insert(position, step)
        self.index = position
        self.changed()
        self._show_status()
        self._refresh_editor(position)
        w.notify(f"added as step {position + 1} of {len(self.lecture.steps)}")
        return step

    def replace_step(self, index: int) -> lectures.Step | None:
        """Step ``index`` reopens the current tab as it is now; its title and note stay."""
        page = self.window.current_page()
        if page is None or self.lecture is None:
            self.window.notify("open an experiment first: a step is an experiment's state")
            return None
        old = self.lecture.steps[index]
        step = lectures.step_from_state(page.cls, page.session.values, page.session.speed,
                                        page.session.playing, old.layout if old.raw is None
                                        else "normal", title=old.title)
        step.note = old.note if old.raw is None else ""
        self.lecture.steps[index] = step
        self.changed()
        self._show_status()
        return step

    def move_step(self, index: int, delta: int) -> int:
        """Move a step; the step shown stays the one shown. Returns the new index."""
        shown = self.lecture.steps[self.index] if 0 <= self.index < len(self.lecture.steps) \
            else None
        new = self.lecture.move(index, delta)
        if shown is not None:
            self.index = next(i for i, s in enumerate(self.lecture.steps) if s is shown)
        self.changed()
        self._show_status()
        return new

    def delete_step(self, index: int) -> None:
        del self.lecture.steps[index]
        if index < self.index or self.index >= len(self.lecture.steps):
            self.index -= 1
        self.changed()
        self._show_status()

    def edit(self) -> LectureEditor:
        """Show the editor (a new, empty lecture when none is open)."""
        if self.lecture is None:
            self.set_lecture(lectures.Lecture("Untitled lecture"), None)
        if self.editor is None:
            self.editor = LectureEditor(self)
        self.editor.refresh(max(self.index, 0))
        self.editor.show()
        self.editor.raise_()
        return self.editor

    def changed(self) -> None:
        """The lecture was edited: mark it unsaved and show the shown step's note again."""
        self.dirty = True
        self._show_status()
        if self.editor is not None:
            self.editor.setWindowTitle("Edit lecture •")

    # -- saving -------------------------------------------------------------------------
    def save(self) -> Path | None:
        if self.lecture is None:
            return None
        if self.path is None:
            return self.save_as()
        return self.save_to(self.path, overwrite=True)

    def save_as(self) -> Path | None:
        if self.lecture is None:
            return None
        folder = lectures.user_dir()
        folder.mkdir(parents=True, exist_ok=True)
        start = self.path or folder / "lecture.json"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self.window, "Save lecture", str(start),
                                                        "Lectures (*.json)")
        if not path:
            return None
        # the dialog asks before replacing a file, so its answer allows the overwrite
        return self.save_to(path if path.endswith(".json") else path + ".json", overwrite=True)

    def save_to(self, path: Path | str, overwrite: bool = False) -> Path | None:
        """Write the lecture atomically; returns the path, or None with a message."""
        try:
            written = lectures.save(path, self.lecture, overwrite=overwrite)
        except FileExistsError:
            self._warn(f"{path} exists and was not overwritten")
            return None
        except OSError as exc:
            self._warn(f"Lecture not saved: {exc}")
            return None
        self.path, self.dirty = Path(written), False
        self.lecture.base_dir = self.path.parent
        if self.editor is not None:
            self.editor.setWindowTitle("Edit lecture")
        self.window.notify(f"lecture saved to {written}")
        return Path(written)

    # -- internals ----------------------------------------------------------------------
    def _show_status(self) -> None:
        lecture = self.lecture
        if lecture is None:
            return
        total = len(lecture.steps)
        if 0 <= self.index < total:
            step = lecture.steps[self.index]
            text = f"Step {self.index + 1}/{total}: {step.label()}"
            following = next((s.label() for s in lecture.steps[self.index + 1:]
                              if not s.problem), "")
            shown = (text, step.note, following)
        else:
            text = f"{lecture.title or 'Lecture'}: {total} steps (PageDown to start)"
            shown = (lecture.title, "", lecture.steps[0].label() if total else "")
        for pane in (self.notes, self.presenter.notes if self.presenter else None):
            if pane is not None:
                pane.show_step(*shown)
        self.counter.setText(text)
        self.counter.setToolTip(lecture.title)
        self.counter.show()

    def _refresh_editor(self, select: int | None = None) -> None:
        if self.editor is not None and self.editor.isVisible():
            self.editor.refresh(select)

    def _enable(self) -> None:
        for action in (self.next_action, self.previous_action):
            action.setEnabled(self.lecture is not None)

    def _take_page_keys(self, take: bool) -> None:
        """PageDown/PageUp walk the lecture while one is open, the presets otherwise."""
        preset_actions = (self.window.presets.next_action, self.window.presets.previous_action)
        mine = (self.next_action, self.previous_action)
        if take and not self._preset_keys:
            self._preset_keys = [a.shortcut() for a in preset_actions]
            for ours, theirs in zip(mine, preset_actions, strict=True):
                ours.setShortcut(theirs.shortcut())
                theirs.setShortcut(QtGui.QKeySequence())
        elif not take and self._preset_keys:
            for ours, theirs, key in zip(mine, preset_actions, self._preset_keys, strict=True):
                theirs.setShortcut(key)
                ours.setShortcut(QtGui.QKeySequence())
            self._preset_keys = []

    def _on_presentation(self, on: bool) -> None:
        """Notes leave the projected screen while presenting and come back after."""
        presenter_open = self.presenter is not None and self.presenter.isVisible()
        if on:
            self._notes_were_visible = not self.notes_dock.isHidden()
            self.notes_dock.hide()
            if presenter_open and self._presenter_projected():
                self.presenter.hide()
                self._presenter_hidden = True
            return
        if self.lecture is not None and self._notes_were_visible:
            self.notes_dock.show()
            self.notes_dock.raise_()
        if self._presenter_hidden:
            self._presenter_hidden = False
            self.presenter.show()

    def _warn(self, text: str) -> None:
        """A refusal: in the current tab's message bar (if any) and the status bar."""
        page = self.window.current_page()
        if page is not None:
            page.report("warning", text)
        self.window.notify(text, 15000)

    def eventFilter(self, watched, event) -> bool:
        """Closing the window with unsaved lecture edits asks first (Save, Discard, Cancel);
        the presenter window closes with it."""
        if watched is not self.window or event.type() != QtCore.QEvent.Type.Close:
            return False
        if self.dirty:
            Button = QtWidgets.QMessageBox.StandardButton
            answer = QtWidgets.QMessageBox.question(
                self.window, "Unsaved lecture", "Save the changes to the open lecture?",
                Button.Save | Button.Discard | Button.Cancel, Button.Save)
            if answer == Button.Cancel or (answer == Button.Save and self.save() is None):
                event.ignore()
                return True
        if self.presenter is not None:
            self.presenter.close()
        return False

    def _confirm_discard(self) -> bool:
        answer = QtWidgets.QMessageBox.question(
            self.window, "Unsaved lecture", "The open lecture has unsaved changes. "
            "Discard them?")
        return answer == QtWidgets.QMessageBox.StandardButton.Yes
