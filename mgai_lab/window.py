"""The main window: experiment browser, one tab per open experiment, transport bar, menus.

The window owns what is shared by all tabs: the theme and presentation mode, the settings
(last experiment, dock layouts), the preset/export/record menus acting on the current tab,
and the status bar.
"""

from __future__ import annotations

import json
import sys
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from compute import backend, registry
from panels.theme import DARK, LIGHT, PRESENTATION, Theme

from . import export, presets
from .browser import ExperimentBrowser
from .page import ExperimentPage
from .settings import Settings

THEMES = {"light": LIGHT, "dark": DARK}


def unavailable_experiments(catalog: list[registry.ExperimentInfo]) -> dict[str, str]:
    """Experiments of ``catalog`` that cannot run here, with the reason (e.g. torch missing)."""
    if backend.torch_installed():
        return {}
    return {info.id: "needs PyTorch, which is not installed"
            for info in catalog if info.needs_torch}


def layout_version(experiment_id: str) -> int:
    """The version tag of an experiment's saved dock layout: Qt refuses to restore a layout
    saved for another experiment (whose docks share names such as 'parameters')."""
    return zlib.crc32(experiment_id.encode("utf-8")) & 0x7FFFFFFF


def _action(parent: QtWidgets.QWidget, text: str, slot: Callable, shortcut=None,
            tip: str = "", checkable: bool = False) -> QtGui.QAction:
    action = QtGui.QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(QtGui.QKeySequence(shortcut))
        action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
    action.setToolTip(tip or text)
    action.setCheckable(checkable)
    action.triggered.connect(slot)
    parent.addAction(action)
    return action


def transport_icon(kind: str, color: str, size: int = 64) -> QtGui.QIcon:
    """Play, pause, step or reset drawn in ``color`` (so icons follow the theme)."""
    pixmap = QtGui.QPixmap(size, size)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(QtGui.QColor(color))
    s = size

    def triangle(x0: float, x1: float) -> None:
        painter.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(x0, 0.18 * s),
                                             QtCore.QPointF(x1, 0.5 * s),
                                             QtCore.QPointF(x0, 0.82 * s)]))

    if kind == "play":
        triangle(0.25 * s, 0.8 * s)
    elif kind == "pause":
        painter.drawRect(QtCore.QRectF(0.25 * s, 0.2 * s, 0.17 * s, 0.6 * s))
        painter.drawRect(QtCore.QRectF(0.58 * s, 0.2 * s, 0.17 * s, 0.6 * s))
    elif kind == "step":
        triangle(0.2 * s, 0.65 * s)
        painter.drawRect(QtCore.QRectF(0.68 * s, 0.2 * s, 0.12 * s, 0.6 * s))
    else:  # reset: an open circle with an arrow head
        pen = QtGui.QPen(QtGui.QColor(color), 0.1 * s)
        painter.setPen(pen)
        painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
        painter.drawArc(QtCore.QRectF(0.2 * s, 0.2 * s, 0.6 * s, 0.6 * s), 90 * 16, 300 * 16)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(QtGui.QColor(color))
        painter.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(0.5 * s, 0.05 * s),
                                             QtCore.QPointF(0.68 * s, 0.2 * s),
                                             QtCore.QPointF(0.5 * s, 0.35 * s)]))
    painter.end()
    return QtGui.QIcon(pixmap)


class TransportBar(QtWidgets.QToolBar):
    """Play/pause, single step, reset and speed (steps per frame) for the current tab."""

    def __init__(self, parent=None):
        super().__init__("Transport", parent)
        self.setObjectName("transport")
        self.playing = False
        self.play_action = QtGui.QAction("Play", self)
        self.play_action.setShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Space))
        self.play_action.setToolTip("Play / pause (Space)")
        self.step_action = QtGui.QAction("Step", self)
        self.step_action.setShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Right))
        self.step_action.setToolTip("Single frame (Right arrow)")
        self.reset_action = QtGui.QAction("Reset", self)
        self.reset_action.setShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_R))
        self.reset_action.setToolTip("Restart with the current parameters (R)")
        for action in (self.play_action, self.step_action, self.reset_action):
            action.setShortcutContext(QtCore.Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)
        self.addSeparator()
        self.addWidget(QtWidgets.QLabel(" speed "))
        self.speed = QtWidgets.QSpinBox()
        self.speed.setRange(1, 10_000)
        self.speed.setSuffix(" steps/frame")
        self.speed.setToolTip("Internal steps computed per displayed frame")
        self.speed.setKeyboardTracking(False)
        self.addWidget(self.speed)
        self.addSeparator()
        self.set_icon_color("#303030")

    def set_icon_color(self, color: str) -> None:
        self.icon_color = color
        self.step_action.setIcon(transport_icon("step", color))
        self.reset_action.setIcon(transport_icon("reset", color))
        self.show_playing(self.playing)

    def show_playing(self, playing: bool) -> None:
        self.playing = playing
        self.play_action.setIcon(transport_icon("pause" if playing else "play", self.icon_color))
        self.play_action.setText("Pause" if playing else "Play")


class MainWindow(QtWidgets.QMainWindow):
    """The lab's window. Experiments open in tabs; each tab has its own worker."""

    def __init__(self, *, device: str = "auto", settings: Settings | None = None):
        super().__init__()
        self.setWindowTitle("MGAI Lab — Mathematics of Generative AI")
        self.setObjectName("main-window")
        self.device = device
        self.settings = settings or Settings()
        self.theme_name = self.settings.get("theme") if self.settings.get("theme") in THEMES \
            else "light"
        self.theme: Theme = THEMES[self.theme_name]
        self.presenting = False
        self._normal_font: QtGui.QFont | None = None
        self._was_maximized = False
        self.resize(1400, 900)

        catalog = registry.catalog()
        self.browser = ExperimentBrowser(catalog, unavailable_experiments(catalog))
        self.browser_dock = QtWidgets.QDockWidget("Experiments", self)
        self.browser_dock.setObjectName("dock:browser")
        self.browser_dock.setWidget(self.browser)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, self.browser_dock)

        # one tab group, or two side by side (View → Split view) to compare experiments
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.groups: list[QtWidgets.QTabWidget] = []
        self.tabs = self._add_group()
        self.setCentralWidget(self.splitter)
        QtWidgets.QApplication.instance().focusChanged.connect(self._on_focus_changed)

        self.transport = TransportBar(self)
        self.addToolBar(self.transport)
        for action in (self.transport.play_action, self.transport.step_action,
                       self.transport.reset_action):
            self.addAction(action)

        self.status_run = QtWidgets.QLabel()
        self.status_fps = QtWidgets.QLabel()
        self.status_device = QtWidgets.QLabel()
        self.status_hover = QtWidgets.QLabel()
        self.status_record = QtWidgets.QLabel()
        self.status_record.setStyleSheet("color: white; background: #C62828; padding: 0 6px;"
                                         " font-weight: bold;")
        self.status_record.hide()
        bar = self.statusBar()
        bar.addWidget(self.status_hover, 1)
        for label in (self.status_record, self.status_run, self.status_fps, self.status_device):
            bar.addPermanentWidget(label)

        self._build_menus()
        self.browser.open_requested.connect(lambda exp_id: self.open_experiment(exp_id))
        self.transport.play_action.triggered.connect(lambda: self._with_page(ExperimentPage.toggle))
        self.transport.step_action.triggered.connect(lambda: self._with_page(ExperimentPage.step))
        self.transport.reset_action.triggered.connect(lambda: self._with_page(ExperimentPage.reset))
        self.transport.speed.valueChanged.connect(
            lambda n: self._with_page(lambda page: page.set_speed(n)))
        for problem in self.settings.problems:
            self.notify(problem)
        self._apply_qt_palette()

    # -- menus --------------------------------------------------------------------------
    def _build_menus(self) -> None:
        Key = QtCore.Qt.Key
        menu = self.menuBar().addMenu("&File")
        menu.addAction(_action(self, "Load preset from file…", self.load_preset_file, "Ctrl+O"))
        menu.addAction(_action(self, "Save preset as…", self.save_preset_file, "Ctrl+S"))
        menu.addAction(_action(self, "Save as my preset…", self.save_user_preset, "Ctrl+Shift+S",
                               "Save under a name in your presets (listed in the Presets menu)"))
        menu.addAction(_action(self, "Copy preset to clipboard", self.copy_preset, "Ctrl+Shift+C"))
        menu.addAction(_action(self, "Paste preset from clipboard", self.paste_preset,
                               "Ctrl+Shift+V"))
        menu.addSeparator()
        menu.addAction(_action(self, "Export image (PNG/SVG)…", self.export_image, "Ctrl+E"))
        menu.addAction(_action(self, "Export frame data (CSV/NPZ)…", self.export_data,
                               "Ctrl+Shift+E"))
        self.record_action = _action(self, "Record video (MP4/GIF)…", self.toggle_recording,
                                     "Ctrl+Shift+R", checkable=True)
        menu.addAction(self.record_action)
        menu.addSeparator()
        menu.addAction(_action(self, "Quit", self.close, "Ctrl+Q"))

        self.presets_menu = self.menuBar().addMenu("&Presets")
        self.presets_menu.aboutToShow.connect(self._fill_presets_menu)
        self.prev_preset_action = _action(self, "Previous preset", lambda: self.step_preset(-1),
                                          Key.Key_PageUp)
        self.next_preset_action = _action(self, "Next preset", lambda: self.step_preset(+1),
                                          Key.Key_PageDown)

        view = self.menuBar().addMenu("&View")
        self.present_action = _action(self, "Presentation mode", self.toggle_presentation,
                                      Key.Key_F5, checkable=True,
                                      tip="Full screen, high contrast, large type (F5)")
        view.addAction(self.present_action)
        scales = view.addMenu("Presentation scale")
        scale_group = QtGui.QActionGroup(self)
        for factor in (1.5, 2.0, 2.5, 3.0):
            action = _action(self, f"{factor:g}×", lambda _=False, f=factor:
                             self.set_presentation_scale(f), checkable=True)
            action.setChecked(factor == float(self.settings.get("presentation_scale")))
            scale_group.addAction(action)
            scales.addAction(action)
        view.addAction(_action(self, "Full screen", self.toggle_full_screen, Key.Key_F11))
        themes = view.addMenu("Theme")
        group = QtGui.QActionGroup(self)
        for name in THEMES:
            action = _action(self, name.title(), lambda _=False, n=name: self.set_theme(n),
                             checkable=True)
            action.setChecked(name == self.theme_name)
            group.addAction(action)
            themes.addAction(action)
        self.split_action = _action(self, "Split view (side by side)",
                                    lambda on: self.split_view(on), "Ctrl+\\", checkable=True,
                                    tip="Two experiments side by side, each with its worker")
        view.addAction(self.split_action)
        view.addAction(_action(self, "Move tab to the other side", self.move_to_other_side,
                               "Ctrl+Shift+\\"))
        view.addAction(_action(self, "Reset layout", self.reset_layout))
        view.addAction(self.browser_dock.toggleViewAction())
        self.transport.addAction(self.present_action)
        self.transport.addAction(self.record_action)

    # -- tab groups ---------------------------------------------------------------------
    def _add_group(self) -> QtWidgets.QTabWidget:
        group = QtWidgets.QTabWidget()
        group.setTabsClosable(True)
        group.setMovable(True)
        group.setDocumentMode(True)
        group.tabCloseRequested.connect(lambda index, g=group: self.close_tab(index, g))
        group.currentChanged.connect(lambda index, g=group: self._activate(g))
        group.tabBarClicked.connect(lambda index, g=group: self._activate(g))
        self.groups.append(group)
        self.splitter.addWidget(group)
        return group

    def _activate(self, group: QtWidgets.QTabWidget) -> None:
        """Make ``group`` the one the transport bar, menus and status bar act on."""
        if group in self.groups:
            self.tabs = group
            self._on_tab_changed(group.currentIndex())

    def _on_focus_changed(self, _old, new) -> None:
        widget = new
        while widget is not None:
            if widget in self.groups:
                if widget is not self.tabs:
                    self._activate(widget)
                return
            widget = widget.parentWidget()

    def split_view(self, on: bool) -> None:
        """Two tab groups side by side; the current tab moves to the right-hand one."""
        if on and len(self.groups) == 1:
            right = self._add_group()
            page = self.current_page()
            if page is not None and self.tabs.count() > 1:
                self._move(page, right)
            self.splitter.setSizes([1, 1])
            self._activate(right)
        elif not on and len(self.groups) == 2:
            left, right = self.groups
            if left.count() == 0:  # keep the group that still has tabs on the left
                left, right = right, left
            for page in [right.widget(i) for i in range(right.count())]:
                self._move(page, left)
            self.groups.remove(right)
            right.deleteLater()
            self._activate(left)
        self.split_action.setChecked(len(self.groups) == 2)

    def move_to_other_side(self) -> None:
        """Move the current tab to the other group (splitting the view if needed)."""
        page = self.current_page()
        if page is None:
            return
        if len(self.groups) == 1:
            self.split_view(True)
            return
        source = self.tabs
        target = self.groups[1] if source is self.groups[0] else self.groups[0]
        self._move(page, target)
        self._activate(target)
        if source.count() == 0:
            self.split_view(False)

    def _move(self, page: ExperimentPage, target: QtWidgets.QTabWidget) -> None:
        group, index = self._locate(page)
        title, tip = group.tabText(index), group.tabToolTip(index)
        group.removeTab(index)
        new_index = target.addTab(page, title)
        target.setTabToolTip(new_index, tip)
        target.setCurrentIndex(new_index)

    def _locate(self, page: ExperimentPage) -> tuple[QtWidgets.QTabWidget, int]:
        for group in self.groups:
            index = group.indexOf(page)
            if index >= 0:
                return group, index
        raise ValueError("page not in any tab group")

    # -- pages --------------------------------------------------------------------------
    def pages(self) -> list[ExperimentPage]:
        return [g.widget(i) for g in self.groups for i in range(g.count())]

    def current_page(self) -> ExperimentPage | None:
        page = self.tabs.currentWidget()
        return page if isinstance(page, ExperimentPage) else None

    def open_experiment(self, experiment_id: str, values: Mapping[str, Any] | None = None,
                        *, playing: bool = False, new_tab: bool = False) -> ExperimentPage:
        """Show the experiment's tab (opening it if needed) and return its page."""
        if not new_tab:
            for page in self.pages():
                if page.cls.id == experiment_id:
                    group, index = self._locate(page)
                    group.setCurrentIndex(index)
                    self._activate(group)
                    return page
        cls = registry.get(experiment_id)
        page = ExperimentPage(cls, values, device=self.device, theme=self.theme)
        page.progress.connect(lambda step, t, fps, p=page: self._on_progress(p, step, t, fps))
        page.transport_changed.connect(lambda playing, p=page: self._on_transport(p, playing))
        page.recording_progress.connect(lambda n, p=page: self._on_recording(p, n))
        page.hovered.connect(self.status_hover.setText)
        state = self.settings.layout(experiment_id)
        if state is not None and not page.restoreState(QtCore.QByteArray(state),
                                                       layout_version(experiment_id)):
            self.notify(f"saved layout of {experiment_id} could not be restored; default used")
        elif state is not None:
            page._sized = True  # the saved layout carries its sizes
        elif experiment_id in self.settings.get("layouts"):  # saved, but not base64 bytes
            self.notify(f"saved layout of {experiment_id} is unreadable; default used")
        index = self.tabs.addTab(page, cls.title)
        self.tabs.setTabToolTip(index, f"{cls.id} — §{cls.section}")
        self.tabs.setCurrentIndex(index)
        self.browser.select(experiment_id)
        page.start(playing=playing)
        self._on_tab_changed(index)
        self.settings.set("last_experiment", experiment_id)
        return page

    def close_tab(self, index: int, group: QtWidgets.QTabWidget | None = None) -> None:
        group = group or self.tabs
        page = group.widget(index)
        if isinstance(page, ExperimentPage):
            self._remember_layout(page)
        group.removeTab(index)
        if isinstance(page, ExperimentPage):
            page.close_session()
            page.deleteLater()
        if group.count() == 0 and len(self.groups) == 2:
            self.split_view(False)

    def _with_page(self, action) -> None:
        page = self.current_page()
        if page is not None:
            action(page)

    def notify(self, text: str, ms: int = 8000) -> None:
        """A transient message in the status bar."""
        self.statusBar().showMessage(text, ms)

    # -- presets ------------------------------------------------------------------------
    def apply_preset_file(self, path: Path | str) -> bool:
        """Load a preset into the current tab; a bad file is reported and changes nothing."""
        page = self.current_page()
        if page is None:
            return False
        try:
            preset = presets.load(path, page.cls)
        except presets.PresetError as exc:
            page.report("warning", f"Preset refused: {exc}")
            return False
        page.apply_preset(preset)
        self.notify(f"preset {Path(path).stem} loaded")
        return True

    def load_preset_file(self) -> None:
        page = self.current_page()
        if page is None:
            return
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Load preset", str(presets.user_dir(page.cls.id)), "Presets (*.json)")
        if path:
            self.apply_preset_file(path)

    def save_preset_to(self, path: Path | str, overwrite: bool = False) -> Path | None:
        """Write the current tab's preset; returns the path, or None with a message."""
        page = self.current_page()
        if page is None:
            return None
        try:
            written = presets.save(path, page.cls, page.session.values,
                                   {"steps_per_frame": page.session.speed}, overwrite=overwrite)
        except FileExistsError:
            page.report("warning", f"{path} exists and was not overwritten")
            return None
        except OSError as exc:
            page.report("warning", f"Preset not saved: {exc}")
            return None
        self.notify(f"preset saved to {written}")
        return written

    def save_preset_file(self) -> None:
        page = self.current_page()
        if page is None:
            return
        # the dialog asks before replacing a file, so its answer allows the overwrite
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Save preset", str(presets.user_dir(page.cls.id) / "preset.json"),
            "Presets (*.json)")
        if path:
            self.save_preset_to(path if path.endswith(".json") else path + ".json",
                                overwrite=True)

    def save_user_preset(self) -> None:
        page = self.current_page()
        if page is None:
            return
        name, ok = QtWidgets.QInputDialog.getText(self, "Save as my preset", "Preset name:")
        name = "".join(c for c in name.strip() if c.isalnum() or c in "-_. ")
        if ok and name:
            self.save_preset_to(presets.user_dir(page.cls.id) / f"{name}.json")

    def copy_preset(self) -> None:
        page = self.current_page()
        if page is not None:
            QtWidgets.QApplication.clipboard().setText(json.dumps(page.preset_dict(), indent=2))
            self.notify("preset copied to the clipboard")

    def paste_preset(self) -> bool:
        page = self.current_page()
        if page is None:
            return False
        text = QtWidgets.QApplication.clipboard().text()
        try:
            data = json.loads(text)
            preset = presets.from_dict(data, page.cls, source="clipboard")
        except json.JSONDecodeError:
            page.report("warning", "Preset refused: the clipboard does not hold a JSON preset")
            return False
        except presets.PresetError as exc:
            page.report("warning", f"Preset refused: {exc}")
            return False
        page.apply_preset(preset)
        self.notify("preset pasted")
        return True

    def _fill_presets_menu(self) -> None:
        menu = self.presets_menu
        menu.clear()
        page = self.current_page()
        if page is None:
            menu.addAction("(no experiment open)").setEnabled(False)
            return
        for name, path, shipped in presets.list_presets(page.cls.id):
            label = name if shipped else f"{name}  (mine)"
            menu.addAction(label, lambda p=path: self.apply_preset_file(p))
        menu.addSeparator()
        menu.addAction(self.prev_preset_action)
        menu.addAction(self.next_preset_action)

    def step_preset(self, delta: int) -> None:
        """Load the previous/next preset of the current experiment (PageUp/PageDown)."""
        page = self.current_page()
        if page is None:
            return
        available = presets.list_presets(page.cls.id)
        if not available:
            self.notify("this experiment has no presets")
            return
        index = (page.preset_index + delta) % len(available)
        page.preset_index = index
        name, path, _ = available[index]
        if self.apply_preset_file(path):
            self.notify(f"preset {index + 1}/{len(available)}: {name}")

    # -- export and recording -----------------------------------------------------------
    def export_image(self) -> None:
        page = self.current_page()
        if page is None:
            return
        dialog = ExportImageDialog(page, self)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(
                self, "Export image", f"{page.cls.id}.{dialog.suffix()}",
                "PNG image (*.png);;SVG drawing (*.svg)")
            if path:
                self.export_image_to(path, dialog.selected_view(), dialog.scale())

    def export_image_to(self, path: Path | str, view_key: str | None = None,
                        scale: float = 1.0) -> Path | None:
        """PNG (at ``scale``) or SVG of one view, or of the whole tab's views when None."""
        page = self.current_page()
        if page is None:
            return None
        panels = [page.panels[view_key]] if view_key else page.view_panels()
        container = panels[0] if view_key else page
        try:
            if Path(path).suffix.lower() == ".svg":
                written = export.write_svg(panels, container, path)
            else:
                written = export.write_png(container, path, scale)
        except (export.ExportError, OSError) as exc:
            page.report("warning", f"Export failed: {exc}")
            return None
        self.notify(f"exported {written}")
        return written

    def export_data(self) -> None:
        page = self.current_page()
        if page is None:
            return
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export frame data", f"{page.cls.id}.npz",
            "NumPy archive (*.npz);;CSV table (*.csv)")
        if path:
            self.export_data_to(path)

    def export_data_to(self, path: Path | str) -> Path | None:
        """The current frame (what is on screen now) as CSV or NPZ."""
        page = self.current_page()
        if page is None:
            return None
        if page.last_frame is None:
            page.report("warning", "No frame to export yet: press Step or Play first")
            return None
        params = page.session.experiment.p if page.session.experiment else page.session.values
        try:
            written = export.write_frame(page.last_frame, path, page.cls, params)
        except (export.ExportError, OSError) as exc:
            page.report("warning", f"Export failed: {exc}")
            return None
        self.notify(f"exported {written}")
        return written

    def toggle_recording(self) -> None:
        page = self.current_page()
        if page is None:
            self.record_action.setChecked(False)
            return
        if page.recorder is not None:
            self.stop_recording()
            return
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Record video", f"{page.cls.id}.mp4", "MP4 video (*.mp4);;GIF animation (*.gif)")
        if path:
            self.start_recording(path)
        else:
            self.record_action.setChecked(False)

    def start_recording(self, path: Path | str) -> bool:
        page = self.current_page()
        if page is None:
            return False
        try:
            page.start_recording(str(path))
        except (export.ExportError, OSError) as exc:
            page.report("warning", f"Cannot record: {exc}")
            self.record_action.setChecked(False)
            return False
        self.record_action.setChecked(True)
        return True

    def stop_recording(self) -> str | None:
        page = self.current_page()
        written = page.stop_recording() if page is not None else None
        self.record_action.setChecked(False)
        if written:
            self.notify(f"recording saved to {written}")
        return written

    def _on_recording(self, page: ExperimentPage, frames: int) -> None:
        if page is not self.current_page():
            return
        if frames < 0:
            self.status_record.hide()
            self.record_action.setChecked(False)  # also when the recording stopped itself
        else:
            self.status_record.setText(f"● REC  {frames} frames")
            self.status_record.show()

    # -- themes, presentation and layout ------------------------------------------------
    def set_theme(self, name: str) -> None:
        """Light or dark outside presentation mode (remembered in the settings)."""
        self.theme_name = name
        self.settings.set("theme", name)
        if not self.presenting:
            self._apply_theme(THEMES[name])

    def _apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        for page in self.pages():
            page.apply_theme(theme)
        self._apply_qt_palette()

    def _apply_qt_palette(self) -> None:
        app = QtWidgets.QApplication.instance()
        self.transport.set_icon_color("#303030" if self.theme.name == "light"
                                      else self.theme.foreground)
        if self.theme.name == "light":
            app.setPalette(app.style().standardPalette())
            return
        palette = QtGui.QPalette()
        base, text = QtGui.QColor(self.theme.background), QtGui.QColor(self.theme.foreground)
        window = base.lighter(140) if self.theme.name == "dark" else QtGui.QColor("#101010")
        accent = QtGui.QColor(self.theme.accent)
        Role = QtGui.QPalette.ColorRole
        for role, color in ((Role.Window, window), (Role.Base, base), (Role.AlternateBase, window),
                            (Role.Button, window), (Role.Text, text), (Role.WindowText, text),
                            (Role.ButtonText, text), (Role.ToolTipBase, base),
                            (Role.ToolTipText, text), (Role.Highlight, accent),
                            (Role.HighlightedText, base)):
            palette.setColor(role, color)
        app.setPalette(palette)

    def presentation_theme(self) -> Theme:
        """The high-contrast theme at the configured scale (settings' presentation_scale)."""
        factor = float(self.settings.get("presentation_scale")) / 2.0  # PRESENTATION is 2x
        return PRESENTATION.scaled(max(0.5, min(factor, 3.0)))

    def set_presentation_scale(self, factor: float) -> None:
        """Font, line and marker scale of presentation mode (remembered in the settings)."""
        self.settings.set("presentation_scale", float(factor))
        if self.presenting:
            self._apply_theme(self.presentation_theme())

    def set_presentation(self, on: bool) -> None:
        """Full screen, minimal chrome, large type, high contrast (F5 toggles)."""
        if on == self.presenting:
            return
        self.presenting = on
        self.present_action.setChecked(on)
        app = QtWidgets.QApplication.instance()
        if on:
            self._was_maximized = self.isMaximized()
            self._normal_font = QtGui.QFont(app.font())
            theme = self.presentation_theme()
            font = QtGui.QFont(self._normal_font)
            font.setPointSizeF(max(self._normal_font.pointSizeF(), 9.0) * theme.font_pt / 9.0 * 0.8)
            app.setFont(font)
            self.browser_dock.hide()
            self.menuBar().hide()
            self._apply_theme(theme)
            self.showFullScreen()
            for page in self.pages():  # larger type needs the space re-divided, once the
                QtCore.QTimer.singleShot(250, page.apply_default_sizes)  # screen is filled
        else:
            if self._normal_font is not None:
                app.setFont(self._normal_font)
            self.browser_dock.show()
            self.menuBar().show()
            self._apply_theme(THEMES[self.theme_name])
            if self._was_maximized:
                self.showMaximized()
            else:
                self.showNormal()
        self.notify("presentation mode (F5 to leave)" if on else "presentation mode off")

    def toggle_presentation(self) -> None:
        self.set_presentation(not self.presenting)

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def reset_layout(self) -> None:
        page = self.current_page()
        if page is not None:
            page.reset_layout()
            self.settings.set_layout(page.cls.id, None)

    def _remember_layout(self, page: ExperimentPage) -> None:
        self.settings.set_layout(page.cls.id, bytes(page.saveState(layout_version(page.cls.id))))

    # -- status -------------------------------------------------------------------------
    def _on_tab_changed(self, index: int) -> None:
        page = self.current_page()
        if page is None:
            self.status_run.clear()
            self.status_device.clear()
            self.status_record.hide()
            return
        self.transport.speed.blockSignals(True)
        self.transport.speed.setMaximum(page.cls.max_steps_per_frame)
        self.transport.speed.setValue(page.session.speed)
        self.transport.speed.blockSignals(False)
        self.transport.show_playing(page.session.playing)
        self.record_action.setChecked(page.recorder is not None)
        self._on_recording(page, page.recorder.frames if page.recorder else -1)
        experiment = page.session.experiment
        device = experiment.device if experiment is not None else "—"
        suffix = "" if page.cls.needs_torch else " (numpy)"
        self.status_device.setText(f"device: {device}{suffix}")
        frame = page.last_frame
        if frame is not None:
            step, t = int(frame.get("step", 0)), float(frame.get("t", 0.0))
            self._on_progress(page, step, t, page.fps())

    def _on_progress(self, page: ExperimentPage, step: int, t: float, fps: float) -> None:
        if page is self.current_page():
            self.status_run.setText(f"step {step:,}   t = {t:.4g}")
            self.status_fps.setText(f"{fps:5.1f} fps")

    def _on_transport(self, page: ExperimentPage, playing: bool) -> None:
        if page is self.current_page():
            self.transport.show_playing(playing)
            self.transport.speed.blockSignals(True)
            self.transport.speed.setValue(page.session.speed)
            self.transport.speed.blockSignals(False)

    # -- closing ------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop every worker, finish recordings, remember layouts (on close and on quit)."""
        for page in self.pages():
            self._remember_layout(page)
            page.close_session()
        problem = self.settings.save()
        if problem:
            print(f"mgai-lab: {problem}", file=sys.stderr)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)


class ExportImageDialog(QtWidgets.QDialog):
    """Which view (or all), which format and which scale."""

    def __init__(self, page: ExperimentPage, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export image")
        self.view = QtWidgets.QComboBox()
        self.view.addItem("All views of this tab", None)
        for key, panel in page.panels.items():
            self.view.addItem(panel.view.title, key)
        self.format = QtWidgets.QComboBox()
        self.format.addItems(["png", "svg"])
        self.scale_box = QtWidgets.QDoubleSpinBox()
        self.scale_box.setRange(1.0, 4.0)
        self.scale_box.setSingleStep(0.5)
        self.scale_box.setValue(2.0)
        self.scale_box.setSuffix("×")
        form = QtWidgets.QFormLayout(self)
        form.addRow("View", self.view)
        form.addRow("Format", self.format)
        form.addRow("PNG scale", self.scale_box)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Ok
                                             | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def selected_view(self) -> str | None:
        return self.view.currentData()

    def suffix(self) -> str:
        return self.format.currentText()

    def scale(self) -> float:
        return self.scale_box.value()
