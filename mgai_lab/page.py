"""One open experiment in the window: its view docks, parameters, explanation and messages.

The page owns an :class:`ExperimentSession` and a display-rate timer. Each tick takes the
newest frame from the worker (if any) and hands it to every panel; when the run is paused
and nothing new arrives, the timer stops, so an idle page costs nothing.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from pyqtgraph.Qt import QtCore, QtWidgets

from compute.experiment import Experiment, Frame
from panels import ViewPanel, create_panel
from panels.theme import LIGHT, Theme

from . import presets
from .explanation import ExplanationPane
from .export import ExportError, Recorder
from .param_panel import ParamPanel
from .session import ExperimentSession

REPAINT_MS = 16  # ~60 Hz
IDLE_TICKS = 30  # stop the timer after this many empty ticks while paused
HIDDEN_EVERY = 10  # a hidden tab takes one frame in this many ticks (its worker waits)


class MessageBar(QtWidgets.QFrame):
    """An in-panel message (error, divergence, refusal) with an optional details box."""

    STYLES = {
        "error": "background:#F8D7DA; color:#58151C;",
        "warning": "background:#FFF3CD; color:#664D03;",
        "info": "background:#CFE2FF; color:#052C65;",
    }

    def __init__(self, parent=None):
        super().__init__(parent)
        self.level = ""
        self.text = QtWidgets.QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QtWidgets.QToolButton(text="Details")
        self.details_button.setCheckable(True)
        self.close_button = QtWidgets.QToolButton(text="✕")
        self.close_button.setAutoRaise(True)
        self.details = QtWidgets.QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(180)
        self.details.hide()
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.text, 1)
        row.addWidget(self.details_button)
        row.addWidget(self.close_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(row)
        layout.addWidget(self.details)
        self.details_button.toggled.connect(self.details.setVisible)
        self.close_button.clicked.connect(self.clear)
        self.hide()

    def show_message(self, level: str, text: str, details: str = "") -> None:
        self.level = level
        self.setStyleSheet(f"MessageBar {{{self.STYLES[level]}}} QLabel {{{self.STYLES[level]}}}")
        self.text.setText(text)
        self.details.setPlainText(details)
        self.details_button.setVisible(bool(details))
        self.details_button.setChecked(False)
        self.show()

    def clear(self) -> None:
        self.level = ""
        self.text.clear()
        self.hide()


class ExperimentPage(QtWidgets.QMainWindow):
    """The docks and the run of one experiment (a tab of the main window)."""

    #: step, model time, displayed fps — for the status bar
    progress = QtCore.Signal(int, float, float)
    #: playing
    transport_changed = QtCore.Signal(bool)
    #: text for the status bar
    hovered = QtCore.Signal(str)
    #: frames recorded so far (-1 when a recording ends)
    recording_progress = QtCore.Signal(int)

    def __init__(self, experiment_cls: type[Experiment], values: Mapping[str, Any] | None = None,
                 *, device: str = "auto", theme: Theme = LIGHT, parent=None):
        super().__init__(parent)
        self.setObjectName(f"page:{experiment_cls.id}")
        self.cls = experiment_cls
        self.theme = theme
        self.session = ExperimentSession(experiment_cls, values, device=device, parent=self)
        self.setDockNestingEnabled(True)
        self.setDockOptions(self.DockOption.AllowNestedDocks | self.DockOption.AllowTabbedDocks
                            | self.DockOption.AnimatedDocks)

        self.message = MessageBar()
        bar = QtWidgets.QToolBar("Messages")
        bar.setObjectName("messages")
        bar.setMovable(False)
        bar.addWidget(self.message)
        self.message_toolbar = bar
        self.addToolBar(QtCore.Qt.ToolBarArea.TopToolBarArea, bar)

        self.panels: dict[str, ViewPanel] = {}
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        self._build_view_docks()
        self.param_panel = ParamPanel(experiment_cls.params, self.session.values)
        self.explanation = ExplanationPane(experiment_cls, theme.foreground)
        params_dock = self._add_dock("parameters", "Parameters", self.param_panel,
                                     QtCore.Qt.DockWidgetArea.LeftDockWidgetArea)
        about_dock = self._add_dock("explanation", "About this experiment", self.explanation,
                                    QtCore.Qt.DockWidgetArea.LeftDockWidgetArea)
        self.splitDockWidget(params_dock, about_dock, QtCore.Qt.Orientation.Vertical)
        self._sized = False
        self.default_state = self.saveState()
        self.recorder: Recorder | None = None
        self.preset_index = -1  # position in the preset list (PageUp/PageDown)

        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(REPAINT_MS)
        self.timer.timeout.connect(self._tick)
        self._idle_ticks = 0
        self._paint_times: deque[float] = deque(maxlen=60)
        self.last_frame: Frame | None = None
        self.frames_shown = 0

        self.param_panel.edited.connect(self._on_edited)
        s = self.session
        s.failed.connect(lambda msg, tb: self.report("error", f"Error: {msg}", tb))
        s.diverged.connect(self._on_diverged)
        s.completed.connect(
            lambda: self.report("info", "The run has ended. Reset (R) to run again."))
        s.rejected.connect(self._on_rejected)
        s.restarted.connect(self._on_restarted)
        s.transport_changed.connect(self._on_transport)
        s.frame_ready.connect(self._wake)  # a slow frame arrives after the timer went idle

    # -- construction -------------------------------------------------------------------
    def _build_view_docks(self) -> None:
        """Views in two columns on the right (read-outs along the bottom)."""
        Area = QtCore.Qt.DockWidgetArea
        columns: list[QtWidgets.QDockWidget] = []
        for view in self.cls.views:
            panel = create_panel(view, self.theme)
            panel.hovered.connect(self.hovered)
            self.panels[view.key] = panel
            if view.area == "bottom":
                self._add_dock(view.key, view.title, panel, Area.BottomDockWidgetArea)
                continue
            dock = self._add_dock(view.key, view.title, panel, Area.RightDockWidgetArea)
            if len(columns) == 1:
                self.splitDockWidget(columns[0], dock, QtCore.Qt.Orientation.Horizontal)
            elif len(columns) >= 2:
                self.splitDockWidget(columns[-2], dock, QtCore.Qt.Orientation.Vertical)
            columns.append(dock)

    def apply_default_sizes(self) -> None:
        """Parameters about a quarter of the width, read-outs as tall as their text, the
        views sharing the rest equally."""
        V, H = QtCore.Qt.Orientation.Vertical, QtCore.Qt.Orientation.Horizontal
        Area = QtCore.Qt.DockWidgetArea
        width, height = max(self.width(), 800), max(self.height(), 600)
        self.resizeDocks([self.docks["parameters"]], [int(width * 0.26)], H)
        self.resizeDocks([self.docks["parameters"], self.docks["explanation"]],
                         [int(height * 0.5), int(height * 0.5)], V)
        bottom = [d for d in self.docks.values()
                  if self.dockWidgetArea(d) == Area.BottomDockWidgetArea]
        strip = 0
        if bottom:
            strip = min(max(d.widget().sizeHint().height() for d in bottom) + 30,
                        int(height * 0.3))
            self.resizeDocks(bottom, [strip] * len(bottom), V)
        views = [self.docks[v.key] for v in self.cls.views
                 if self.dockWidgetArea(self.docks[v.key]) == Area.RightDockWidgetArea]
        rows = max(1, (len(views) + 1) // 2)
        if views:
            self.resizeDocks(views, [(height - strip) // rows] * len(views), V)

    def _add_dock(self, key: str, title: str, widget: QtWidgets.QWidget,
                  area: QtCore.Qt.DockWidgetArea) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setObjectName(f"dock:{key}")
        dock.setWidget(widget)
        dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.last_frame is not None:
            self.show_frame(self.last_frame)  # what the run did while the tab was hidden
        self._wake()
        if not self._sized:
            self._sized = True
            # Docks can only be sized once the window's layout has placed them, which takes
            # a few event-loop turns after the first show: size them then (later resizes by
            # the user keep the proportions).
            QtCore.QTimer.singleShot(250, self.apply_default_sizes)
        # Equations need matplotlib (~1 s to import): render them once the page is up.
        QtCore.QTimer.singleShot(150, self.explanation.render_equations)

    # -- transport ----------------------------------------------------------------------
    def play(self) -> None:
        self.session.play()

    def pause(self) -> None:
        self.session.pause()

    def toggle(self) -> None:
        self.session.toggle()

    def step(self) -> None:
        self.session.step()
        self._wake()

    def reset(self) -> None:
        self.session.reset()

    def set_speed(self, steps_per_frame: int) -> None:
        self.session.set_speed(steps_per_frame)

    def start(self, playing: bool = False) -> None:
        """Start the first run (paused unless ``playing``) and show its first frame."""
        self.session.start(playing=playing)
        self._wake()

    def close_session(self) -> bool:
        """Stop the worker (and finish a recording); True if it ended within the timeout."""
        self.timer.stop()
        if self.recorder is not None:
            self.stop_recording()
        return self.session.close()

    # -- frames -------------------------------------------------------------------------
    def _wake(self) -> None:
        self._idle_ticks = 0
        if not self.timer.isActive():
            self.timer.start()

    def _tick(self) -> None:
        hidden = not self.isVisible() and self.recorder is None
        # a hidden tab runs on at a tenth of the rate and draws nothing: its timer slows
        # down rather than firing at 60 Hz to do nothing (with many tabs open, the idle
        # ticks starved the event loop)
        interval = REPAINT_MS * HIDDEN_EVERY if hidden else REPAINT_MS
        if self.timer.interval() != interval:
            self.timer.setInterval(interval)
        frame = self.session.take_frame()
        if frame is not None and hidden:
            self.last_frame = frame
            return
        if frame is None:
            self._idle_ticks += 1
            if not self.session.playing and self._idle_ticks > IDLE_TICKS:
                self.timer.stop()
            return
        self._idle_ticks = 0
        self.show_frame(frame)

    def show_frame(self, frame: Frame) -> None:
        """Hand ``frame`` to every panel; a failing panel is reported, the others still draw."""
        self.last_frame = frame
        for key, panel in self.panels.items():
            try:
                panel.update_frame(frame)
            except Exception as exc:
                import traceback

                self.report("error", f"View '{key}' failed to draw: {exc}", traceback.format_exc())
        if self.recorder is not None:
            try:
                self.recorder.add_frame(frame)
                self.recording_progress.emit(self.recorder.frames)
            except ExportError as exc:
                self.stop_recording()
                self.report("warning", f"Recording stopped: {exc}")
        now = time.perf_counter()
        self._paint_times.append(now)
        self.frames_shown += 1
        self.progress.emit(int(frame.get("step", 0)), float(frame.get("t", 0.0)), self.fps())

    def fps(self) -> float:
        """Frames drawn per second over the last second or so."""
        times = self._paint_times
        if len(times) < 2 or time.perf_counter() - times[-1] > 0.5:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    # -- reactions ----------------------------------------------------------------------
    # -- presets ------------------------------------------------------------------------
    def preset_dict(self) -> dict[str, Any]:
        """The current parameters (and speed) as a preset object."""
        return presets.to_dict(self.cls, self.session.values,
                               {"steps_per_frame": self.session.speed})

    def apply_preset(self, preset: presets.Preset) -> None:
        """Use a validated preset: all values, the speed, then a restart."""
        self.session.set_values(preset.values)
        speed = preset.view.get("steps_per_frame")
        if isinstance(speed, int) and not isinstance(speed, bool):
            self.session.set_speed(speed)
        self.param_panel.set_values(self.session.values)
        self.param_panel.show_pending(self.session.pending)
        if preset.warnings:
            self.report("info", f"Preset loaded with notes: {'; '.join(preset.warnings)}")

    # -- recording and layout -----------------------------------------------------------
    def start_recording(self, path: str) -> None:
        """Record the views, frame by frame, until :meth:`stop_recording` (raises ExportError)."""
        if self.recorder is not None:
            raise ExportError("already recording")
        self.recorder = Recorder(self.cls, path, self.theme)
        self.recording_progress.emit(0)
        if self.last_frame is not None:
            try:
                self.recorder.add_frame(self.last_frame)
            except ExportError:  # the writer failed at once: keep nothing, record nothing
                recorder, self.recorder = self.recorder, None
                if recorder is not None:  # (None: a frame drawn meanwhile stopped it)
                    recorder.abort()
                self.recording_progress.emit(-1)
                raise
            self.recording_progress.emit(self.recorder.frames)

    def stop_recording(self) -> str | None:
        """Finish the file; returns its path, or None (with a message) if nothing was kept."""
        recorder, self.recorder = self.recorder, None
        self.recording_progress.emit(-1)
        if recorder is None:
            return None
        try:
            return str(recorder.stop())
        except (ExportError, OSError) as exc:
            self.report("warning", f"Recording not saved: {exc}")
            return None

    def view_panels(self) -> list[ViewPanel]:
        return list(self.panels.values())

    def reset_layout(self) -> None:
        """Docks back where they first opened, at their first sizes."""
        self.restoreState(self.default_state)
        for dock in self.docks.values():
            dock.show()
        self.apply_default_sizes()

    def _on_edited(self, name: str, value: Any) -> None:
        if self.session.set_param(name, value):
            self.param_panel.show_pending(self.session.pending)

    def _on_rejected(self, name: str, message: str) -> None:
        self.report("warning", f"Parameter '{name}' refused: {message}")
        self.param_panel.set_values(self.session.values)

    def _on_diverged(self, step: int, reason: str) -> None:
        self.report("warning", f"Diverged at step {step} ({reason}). "
                                "Change the parameters and press Reset (R).")

    def _on_restarted(self) -> None:
        self.last_frame = None  # the old run's frame must not be exported or recorded
        self.message.clear()
        self.param_panel.show_pending(self.session.pending)
        for panel in self.panels.values():
            panel.forget()
        self._wake()

    def _on_transport(self, playing: bool) -> None:
        if playing:
            self._wake()
        self.transport_changed.emit(playing)

    def report(self, level: str, text: str, details: str = "") -> None:
        """Show a message in this experiment's message bar (errors also go to stderr)."""
        self.message.show_message(level, text, details)
        if level == "error" and details:
            print(f"mgai-lab [{self.cls.id}]: {text}\n{details}", file=sys.stderr)

    # -- theme --------------------------------------------------------------------------
    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        for panel in self.panels.values():
            panel.apply_theme(theme)
        self.explanation.set_style(theme.foreground, theme.font_pt / LIGHT.font_pt)
