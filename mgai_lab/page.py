"""One open experiment in the window: its view docks, parameters, explanation and messages.

The page owns an :class:`ExperimentSession` and a display-rate timer. Each tick takes the
newest frame from the worker (if any) and hands it to every panel; when the run is paused
and nothing new arrives, the timer stops, so an idle page costs nothing.
"""

from __future__ import annotations

import sys
import time
import zlib
from collections import deque
from collections.abc import Mapping
from typing import Any

from pyqtgraph.Qt import QtCore, QtWidgets

from compute.experiment import Experiment, Frame
from compute.params import ParamError
from compute.views import Readout
from panels import PlotPanel, ViewPanel, create_panel
from panels.readout import MOST_HEIGHT_SHARE, ReadoutPanel
from panels.theme import LIGHT, Theme

from . import dock_layout, presets
from .dock_title import DockTitleBar
from .explanation import ExplanationPane
from .export import ExportError, Recorder
from .param_panel import ParamPanel
from .session import ExperimentSession

REPAINT_MS = 16  # ~60 Hz
IDLE_TICKS = 30  # stop the timer after this many empty ticks while paused
HIDDEN_EVERY = 10  # a hidden tab takes one frame in this many ticks (its worker waits)
STRIP_LOOK_MS = 50  # the read-out strip is sized this long after a change asks for it
STRIP_TRIES = 4  # times the strip asks again for a height Qt granted only in part


def _height_for_width(widget: QtWidgets.QWidget, width: int) -> int:
    """The height a strip widget needs at ``width`` (read-outs reflow their columns)."""
    if isinstance(widget, ReadoutPanel):
        return widget.height_for_width(width)
    return widget.sizeHint().height()


def layout_version(experiment_id: str) -> int:
    """The version tag of an experiment's saved dock layout: Qt refuses to restore a layout
    saved for another experiment (whose docks share names such as 'parameters')."""
    return zlib.crc32(experiment_id.encode("utf-8")) & 0x7FFFFFFF


class MessageBar(QtWidgets.QToolBar):
    """An in-page message (error, divergence, refusal, run ended) with optional details.

    It is a tool bar of the page, shown only while it holds a message. (A widget hidden
    before being added to a tool bar keeps its tool-bar action hidden for good: the earlier
    message bar was set but never drawn.)
    """

    STYLES = {
        "error": "background:#F8D7DA; color:#58151C;",
        "warning": "background:#FFF3CD; color:#664D03;",
        "info": "background:#CFE2FF; color:#052C65;",
    }

    def __init__(self, parent=None):
        super().__init__("Messages", parent)
        self.setObjectName("messages")
        self.setMovable(False)
        self.setFloatable(False)
        self.level = ""
        frame = QtWidgets.QFrame()
        self.frame = frame
        self.text = QtWidgets.QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_button = QtWidgets.QToolButton(text="Details")
        self.details_button.setCheckable(True)
        self.close_button = QtWidgets.QToolButton(text="✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss")
        self.details = QtWidgets.QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(180)
        self.details.hide()
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.text, 1)
        row.addWidget(self.details_button)
        row.addWidget(self.close_button)
        layout = QtWidgets.QVBoxLayout(frame)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(row)
        layout.addWidget(self.details)
        frame.setSizePolicy(QtWidgets.QSizePolicy.Policy.Expanding,
                            QtWidgets.QSizePolicy.Policy.Preferred)
        self.addWidget(frame)
        self.details_button.toggled.connect(self.details.setVisible)
        self.close_button.clicked.connect(self.clear)
        self.toggleViewAction().setVisible(False)  # not a pane the user opens by hand
        self.setVisible(False)

    def show_message(self, level: str, text: str, details: str = "") -> None:
        self.level = level
        self.frame.setStyleSheet(f"QFrame {{{self.STYLES[level]}}} QLabel {{{self.STYLES[level]}}}")
        self.text.setText(text)
        self.details.setPlainText(details)
        self.details_button.setVisible(bool(details))
        self.details_button.setChecked(False)
        self.setVisible(True)

    def clear(self) -> None:
        self.level = ""
        self.text.clear()
        self.setVisible(False)


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
        # the parameters run the full height on the left; read-outs sit under the plots only
        self.setCorner(QtCore.Qt.Corner.BottomLeftCorner,
                       QtCore.Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setDockOptions(self.DockOption.AllowNestedDocks | self.DockOption.AllowTabbedDocks
                            | self.DockOption.AnimatedDocks)

        self.message = MessageBar(self)
        self.addToolBar(QtCore.Qt.ToolBarArea.TopToolBarArea, self.message)

        self.panels: dict[str, ViewPanel] = {}
        self.docks: dict[str, QtWidgets.QDockWidget] = {}
        self._presenting_state: QtCore.QByteArray | None = None
        self._auto_hidden: set[str] = set()
        self._plan: dock_layout.GridPlan | None = None
        self._relayout = QtCore.QTimer(self)  # presentation: re-plan once resizing settles
        self._relayout.setSingleShot(True)
        self._relayout.setInterval(120)
        self._relayout.timeout.connect(self._present_layout)
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
        self._showing = False  # show_frame is running (a recorder may spin the event loop)
        self.preset_index = -1  # position in the preset list (PageUp/PageDown)

        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(REPAINT_MS)
        self.timer.timeout.connect(self._tick)
        self._idle_ticks = 0
        self._paint_times: deque[float] = deque(maxlen=60)
        self.last_frame: Frame | None = None
        self.frames_shown = 0

        self.param_panel.edited.connect(self._on_edited)
        self.param_panel.refused.connect(self._on_rejected)
        s = self.session
        s.failed.connect(lambda msg, tb: self.report("error", f"Error: {msg}", tb))
        s.diverged.connect(self._on_diverged)
        s.completed.connect(
            lambda: self.report("info", "The run has ended. Reset (R) to run again."))
        s.rejected.connect(self._on_rejected)
        s.restarted.connect(self._on_restarted)
        s.transport_changed.connect(self._on_transport)
        s.frame_ready.connect(self._frame_arrived)

    # -- construction -------------------------------------------------------------------
    def strip_views(self) -> list[str]:
        """Keys of the views in the bottom strip (read-outs, and views asking for it)."""
        return [v.key for v in self.cls.views if isinstance(v, Readout) or v.area == "bottom"]

    def grid_views(self) -> list[str]:
        """Keys of the plot views, the main view first."""
        strip = set(self.strip_views())
        return [v.key for v in self.cls.views if v.key not in strip]

    def _build_view_docks(self) -> None:
        """The main view large on the left; the other plots in one or two columns to its
        right; read-outs in a strip along the bottom."""
        Area = QtCore.Qt.DockWidgetArea
        for view in self.cls.views:
            panel = create_panel(view, self.theme)
            panel.hovered.connect(self.hovered)
            panel.interacted.connect(self._on_interacted)
            self.panels[view.key] = panel
        strip = set(self.strip_views())
        # the strip grows after the frame's relayout, on a timer of the page's own: a timer
        # posted on its own outlived a tab closed meanwhile and reached its deleted docks
        self._strip_timer = QtCore.QTimer(self, singleShot=True, interval=STRIP_LOOK_MS)
        self._strip_tries = 0
        self._strip_timer.timeout.connect(self._grow_strip)
        # while active, a layout just restored on leaving presentation settles: read-outs
        # re-wrapped at passing widths must not grow the strip it restored
        self._restore_settling = QtCore.QTimer(self, singleShot=True, interval=400)
        for key in strip:
            if isinstance(self.panels[key], ReadoutPanel):
                self.panels[key].rows_changed.connect(self._size_strip_soon)
        for view in self.cls.views:
            self._add_dock(view.key, view.title, self.panels[view.key],
                           Area.BottomDockWidgetArea if view.key in strip
                           else Area.RightDockWidgetArea)
        self._arrange(fit=False)  # (fitted to the page's size once it is shown)

    def _shown_grid_views(self) -> list[str]:
        return [k for k in self.grid_views() if k not in self._auto_hidden]

    def _arrange(self, fit: bool = True) -> None:
        """Place the plot docks by a fresh plan: with ``fit``, in cells large enough to
        read at the current type size (views beyond those stacked as tabs)."""
        keys = self._shown_grid_views()
        if not keys:
            self._plan = None
            return
        if fit:
            width, height = self._plot_area()
            self._plan = dock_layout.plan_grid(keys, width, height, min_cell=self._min_cell())
        else:
            self._plan = dock_layout.plan_grid(keys)
        dock_layout.arrange(self, self.docks, self._plan)

    def _min_cell(self) -> tuple[float, float]:
        """The smallest readable plot cell: room for the data plus axes, ticks and title
        that grow with the type (a 9 pt theme: about 300 x 240 px)."""
        font_px = self.theme.font_pt * 96 / 72
        title_bar = 1.6 * font_px + 8  # the cell's dock title and splitter handle
        return 150 + 12 * font_px, 100 + 9 * font_px + title_bar

    def _side_width(self) -> int:
        shown = any(not self.docks[k].isHidden() for k in ("parameters", "explanation"))
        return max(int(self.width() * 0.24), 340) if shown else 0

    def _strip_height(self, plot_width: int) -> int:
        strip = [self.docks[k] for k in self.strip_views() if not self.docks[k].isHidden()]
        if not strip:
            return 0
        need = max(_height_for_width(d.widget(), plot_width // len(strip) - 24)
                   + d.titleBarWidget().sizeHint().height() + 10 for d in strip)
        return min(need, int(self.height() * MOST_HEIGHT_SHARE))

    def _size_strip_soon(self) -> None:
        """Size the strip once the change that asked for it has been laid out."""
        self._strip_tries = 0
        self._strip_timer.start()

    def _grow_strip(self) -> None:
        """A read-out's table gained rows (a long value arrived, the page narrowed): the
        strip grows to show them, up to its cap. It never shrinks here, and a few pixels
        short (no line hidden, only the table's margin) it stays: a height the user gave
        it, or the layout leaving presentation mode restores, is kept."""
        strip = [self.docks[k] for k in self.strip_views() if not self.docks[k].isHidden()]
        if not self._sized or not strip or self._restore_settling.isActive():
            return
        need = self._strip_height(self._plot_area()[0])
        if min(d.height() for d in strip) >= need - ReadoutPanel.MARGIN:
            self._strip_tries = 0
        elif self._strip_tries < STRIP_TRIES:
            # while the window is still settling (presentation mode reaching full screen),
            # Qt may grant only part of the height asked for: look again once it has
            self._strip_tries += 1
            self.resizeDocks(strip, [need] * len(strip), QtCore.Qt.Orientation.Vertical)
            self._strip_timer.start()

    @property
    def layout_pending(self) -> bool:
        """A relayout or a sizing of the read-out strip is waiting on its timer."""
        return self._relayout.isActive() or self._strip_timer.isActive()

    def _plot_area(self) -> tuple[int, int]:
        """The width and height the plot grid gets, after side panes and the strip."""
        width = max(self.width(), 800) - self._side_width()
        return width, max(self.height(), 500) - self._strip_height(width)

    def _first_layout(self) -> None:
        """The default layout for the page's size, once it is shown."""
        self._arrange()
        self.apply_default_sizes()

    def apply_default_sizes(self) -> None:
        """Side panes a fixed share of the width (none while presenting), read-outs as tall
        as their lines, the main view the largest share of what is left."""
        H, V = QtCore.Qt.Orientation.Horizontal, QtCore.Qt.Orientation.Vertical
        side = [self.docks[k] for k in ("parameters", "explanation")
                if not self.docks[k].isHidden()]
        if side:
            self.resizeDocks(side[:1], [self._side_width()], H)
            if len(side) == 2:
                height = max(self.height(), 500)
                self.resizeDocks(side, [int(height * 0.55), int(height * 0.45)], V)
        width, height = self._plot_area()
        strip = [self.docks[k] for k in self.strip_views() if not self.docks[k].isHidden()]
        if strip:
            self.resizeDocks(strip, [self._strip_height(width)] * len(strip), V)
        if self._plan is not None:
            dock_layout.size(self, self.docks, self._plan, width, height)
        # sizing the plot cells can take height from the strip, and a frame arriving while
        # the docks move may re-wrap a read-out: look again once the layout has settled
        self._size_strip_soon()

    # -- presentation and hidden views ---------------------------------------------------
    def set_presenting(self, on: bool) -> None:
        """Presentation mode puts the plots first: the side panes step aside (F6 brings
        them back) and the views share the screen in cells large enough for the type,
        stacked as tabs where too many views would make the cells too small. Leaving
        restores the layout exactly as it was before."""
        if on == (self._presenting_state is not None):
            return
        if on:
            self._presenting_state = self.saveState(layout_version(self.cls.id))
            for key in ("parameters", "explanation"):
                self.docks[key].hide()
            self._relayout.start()
        else:
            state, self._presenting_state = self._presenting_state, None
            self._relayout.stop()
            self._strip_timer.stop()
            self._restore_settling.start()
            self.restoreState(state, layout_version(self.cls.id))
            for key in self._auto_hidden:  # views hidden meanwhile stay hidden
                self.docks[key].hide()
            self._plan = dock_layout.plan_grid(self._shown_grid_views()) \
                if self._shown_grid_views() else None
            QtCore.QTimer.singleShot(0, self.refresh_panels)

    def remembered_state(self) -> QtCore.QByteArray:
        """The dock layout to remember for the next session (tagged with
        :func:`layout_version`): while presenting, the one leaving presentation mode would
        restore, not the presentation layout with its side panes hidden."""
        if self._presenting_state is not None:
            return QtCore.QByteArray(self._presenting_state)
        return self.saveState(layout_version(self.cls.id))

    def _present_layout(self) -> None:
        """Arrange and size the docks for the screen as it is now (presentation mode)."""
        if self._presenting_state is not None:
            self._arrange()
            self.apply_default_sizes()
            QtCore.QTimer.singleShot(0, self.refresh_panels)

    def toggle_side_panes(self) -> None:
        """Show or hide the parameters and the explanation (F6; for presentation mode)."""
        docks = [self.docks["parameters"], self.docks["explanation"]]
        show = any(d.isHidden() for d in docks)
        for dock in docks:
            dock.setVisible(show)
        if self._presenting_state is not None:
            self._relayout.start()
        else:
            QtCore.QTimer.singleShot(0, self.apply_default_sizes)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._presenting_state is not None:
            self._relayout.start()  # the window reaches full screen in steps

    def refresh_panels(self) -> None:
        """Lay each panel out again after a change of layout (legend strips, axis caches)."""
        for panel in self.panels.values():
            if isinstance(panel, PlotPanel):
                panel.fit_legend()
                panel.refresh_axis_cache()

    def _apply_hidden_views(self) -> None:
        """Hide the views the current parameters make meaningless; show the others."""
        hidden = self.cls.hidden_views(self.session.values)
        changed = False
        for view in self.cls.views:
            dock = self.docks[view.key]
            want_hidden = view.key in hidden
            if want_hidden != (view.key in self._auto_hidden):
                changed = True
                dock.setVisible(not want_hidden)
        self._auto_hidden = set(hidden)
        if changed and self._sized:
            QtCore.QTimer.singleShot(0, self.apply_default_sizes)

    def _add_dock(self, key: str, title: str, widget: QtWidgets.QWidget,
                  area: QtCore.Qt.DockWidgetArea) -> QtWidgets.QDockWidget:
        dock = QtWidgets.QDockWidget(title, self)
        dock.setTitleBarWidget(DockTitleBar(dock))
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
            QtCore.QTimer.singleShot(250, self._first_layout)

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
        self._strip_timer.stop()
        if self.recorder is not None:
            self.stop_recording()
        return self.session.close()

    # -- frames -------------------------------------------------------------------------
    def _wake(self) -> None:
        self._idle_ticks = 0
        if not self.timer.isActive():
            self.timer.start()

    def _frame_arrived(self) -> None:
        """A new frame is ready: if the display is waiting for frames, it shows this one now.

        A playing worker waits for its frame to be taken before it computes the next one.
        When frames are slower to compute than a tick (the last tick found none), waiting
        for the next tick cost the worker half a tick per frame: 8 ms in each 50 ms frame of
        a million Langevin particles. When drawing is the slower side, frames wait for the
        tick as before: showing each the moment it came would keep the event loop busy with
        frames, starving input and timers. A frame arriving while one is shown (a recorder
        drawing it runs the event loop) waits too, rather than nest. The timer is woken in
        any case: a slow frame may come after it went idle, and a hidden tab takes its
        frames on it.
        """
        waiting = self._idle_ticks > 0  # the last tick found no frame
        self._wake()
        if waiting and not self._hidden() and not self._showing:
            self._tick()

    def _hidden(self) -> bool:
        """Off screen and not recording: the tab takes frames slowly and draws nothing."""
        return not self.isVisible() and self.recorder is None

    def _tick(self) -> None:
        hidden = self._hidden()
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
        self._showing = True
        try:
            self._show_frame(frame)
        finally:
            self._showing = False

    def _show_frame(self, frame: Frame) -> None:
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
        speed = preset.view.get("steps_per_frame")
        if isinstance(speed, int) and not isinstance(speed, bool):
            self.session.set_speed(speed)  # before the restart: the first frame runs at it
        self.session.set_values(preset.values)
        self.param_panel.set_values(self.session.values)
        self.param_panel.show_pending(self.session.pending)
        if preset.warnings:
            self.report("info", f"Preset loaded with notes: {'; '.join(preset.warnings)}")

    # -- recording and layout -----------------------------------------------------------
    def start_recording(self, path: str) -> None:
        """Record the views as shown, in real time (the video lasts as long as the
        recording), until :meth:`stop_recording`; raises ExportError."""
        if self.recorder is not None:
            raise ExportError("already recording")
        self.recorder = Recorder(self.cls, path, self.theme, real_time=True,
                                 hidden_views=self.cls.hidden_views(self.session.values))
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

    def shown_view_docks(self) -> list[QtWidgets.QDockWidget]:
        """The docks of the views a person sees now (not hidden, closed or behind a tab:
        Qt keeps a dock behind a tab "visible", at a stale place)."""
        return [self.docks[v.key] for v in self.cls.views
                if self.docks[v.key].isVisible()
                and not self.docks[v.key].visibleRegion().isEmpty()]

    def reset_layout(self) -> None:
        """Docks back where they first opened, at their first sizes."""
        self.restoreState(self.default_state)
        for dock in self.docks.values():
            dock.show()
        self._auto_hidden = set()
        self._apply_hidden_views()
        if self._presenting_state is not None:
            for key in ("parameters", "explanation"):
                self.docks[key].hide()
        self._first_layout()

    def _on_edited(self, name: str, value: Any) -> None:
        if self.session.set_param(name, value):
            self.param_panel.show_pending(self.session.pending)

    def _on_interacted(self, event: str, payload: Any) -> None:
        """A click in a view. Edits of the experiment's set-up (an edge toggled in a graph)
        come back from ``interaction_changes`` as parameter edits, applied like edits in
        the parameter pane (kept in presets, surviving a reset); any other action (launch
        a trajectory at a point) goes to the run, which shows it in the next frame."""
        try:
            changes = self.cls.interaction_changes(self.session.values, event, payload)
        except ParamError as exc:
            self.report("warning", f"{exc.name}: {exc.message}")
            return
        if not changes:
            self.session.send_event(event, payload)
            self._wake()
            return
        for name, value in changes.items():
            self._on_edited(name, value)
        self.param_panel.set_values(self.session.values)

    def _on_rejected(self, name: str, message: str) -> None:
        self.report("warning", f"Parameter '{name}' refused: {message}")
        self.param_panel.set_values(self.session.values)

    def _on_diverged(self, step: int, reason: str) -> None:
        self.report("warning", f"Diverged at step {step} ({reason}). "
                                "Change the parameters and press Reset (R).")

    def _on_restarted(self) -> None:
        self.last_frame = None  # the old run's frame must not be exported or recorded
        self.message.clear()
        self._apply_hidden_views()
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
