"""The main window: it assembles the browser, the tab groups, the transport bar, the status
bar and the controllers that own each feature (presets, export and recording, appearance).

Each feature lives in its own module and acts on :meth:`MainWindow.current_page`; the
window itself only opens and closes experiment tabs and keeps the status bar current.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from pyqtgraph.Qt import QtCore, QtWidgets

from compute import backend, registry

from .actions import make_action
from .appearance import Appearance
from .browser import ExperimentBrowser
from .compare import CompareActions
from .export_actions import ExportActions
from .lecture_actions import LectureActions
from .page import ExperimentPage, layout_version
from .preset_actions import PresetActions
from .settings import Settings
from .tab_groups import TabGroups
from .transport import TransportBar


def unavailable_experiments(catalog: list[registry.ExperimentInfo]) -> dict[str, str]:
    """Experiments of ``catalog`` that cannot run here, with the reason (e.g. torch missing)."""
    if backend.torch_installed():
        return {}
    return {info.id: "needs PyTorch, which is not installed"
            for info in catalog if info.needs_torch}


class MainWindow(QtWidgets.QMainWindow):
    """The lab's window. Experiments open in tabs; each tab has its own worker."""

    def __init__(self, *, device: str = "auto", settings: Settings | None = None):
        super().__init__()
        self.setWindowTitle("MGAI Lab — Mathematics of Generative AI")
        self.setObjectName("main-window")
        self.device = device
        self.settings = settings or Settings()
        self.resize(1400, 900)

        catalog = registry.catalog()
        self.browser = ExperimentBrowser(catalog, unavailable_experiments(catalog))
        self.browser_dock = QtWidgets.QDockWidget("Experiments", self)
        self.browser_dock.setObjectName("dock:browser")
        self.browser_dock.setWidget(self.browser)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, self.browser_dock)

        self.tab_groups = TabGroups(self.close_tab, self)
        self.setCentralWidget(self.tab_groups.splitter)

        self.transport = TransportBar(self)
        self.addToolBar(self.transport)
        for action in (self.transport.play_action, self.transport.step_action,
                       self.transport.reset_action):
            self.addAction(action)

        self.presets = PresetActions(self)
        self.exports = ExportActions(self)
        self.appearance = Appearance(self)
        self.compare = CompareActions(self)
        self.lecture = LectureActions(self)
        self._build_status_bar()
        self._build_menus()

        self.browser.open_requested.connect(lambda exp_id: self.open_experiment(exp_id))
        self.tab_groups.current_changed.connect(self._on_current_changed)
        self.transport.play_action.triggered.connect(lambda: self._with_page(ExperimentPage.toggle))
        self.transport.step_action.triggered.connect(lambda: self._with_page(ExperimentPage.step))
        self.transport.reset_action.triggered.connect(lambda: self._with_page(ExperimentPage.reset))
        self.transport.speed.valueChanged.connect(
            lambda n: self._with_page(lambda page: page.set_speed(n)))
        for problem in self.settings.problems:
            self.notify(problem)
        self.appearance.apply_qt_palette()

    def _build_status_bar(self) -> None:
        self.status_run = QtWidgets.QLabel()
        self.status_fps = QtWidgets.QLabel()
        self.status_device = QtWidgets.QLabel()
        self.status_hover = QtWidgets.QLabel()
        bar = self.statusBar()
        bar.addWidget(self.status_hover, 1)
        for label in (self.exports.indicator, self.status_run, self.status_fps,
                      self.status_device):
            bar.addPermanentWidget(label)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.presets.build_menus(file_menu)
        self.lecture.build_menus(file_menu)
        file_menu.addSeparator()
        self.exports.build_menus(file_menu)
        file_menu.addSeparator()
        file_menu.addAction(make_action(self, "Quit", self.close, "Ctrl+Q"))

        view = self.menuBar().addMenu("&View")
        self.appearance.build_menus(view)
        self.lecture.follow_presentation(self.appearance.present_action)
        self.split_action = make_action(
            self, "Split view (side by side)", self.set_split, "Ctrl+\\", checkable=True,
            tip="Two experiments side by side, each with its worker")
        view.addAction(self.split_action)
        view.addAction(make_action(self, "Move tab to the other side", self.move_to_other_side,
                                   "Ctrl+Shift+\\"))
        self.compare.build_menus(view, self.transport)
        view.addAction(make_action(self, "Reset layout", self.reset_layout))
        view.addAction(self.browser_dock.toggleViewAction())
        self.transport.addAction(self.appearance.present_action)
        self.transport.addAction(self.exports.record_action)

    # -- tabs ---------------------------------------------------------------------------
    def pages(self) -> list[ExperimentPage]:
        return self.tab_groups.pages()

    def current_page(self) -> ExperimentPage | None:
        return self.tab_groups.current_page()

    def set_split(self, on: bool) -> None:
        self.tab_groups.set_split(on)
        self.split_action.setChecked(self.tab_groups.split)

    def move_to_other_side(self) -> None:
        self.tab_groups.move_to_other_side()
        self.split_action.setChecked(self.tab_groups.split)

    def open_experiment(self, experiment_id: str, values: Mapping[str, Any] | None = None,
                        *, playing: bool = False, new_tab: bool = False) -> ExperimentPage:
        """Show the experiment's tab (opening it if needed) and return its page."""
        if not new_tab:
            for page in self.pages():
                if page.cls.id == experiment_id:
                    self.tab_groups.show_page(page)
                    return page
        cls = registry.get(experiment_id)
        page = ExperimentPage(cls, values, device=self.device, theme=self.appearance.theme)
        page.progress.connect(lambda step, t, fps, p=page: self._on_progress(p, step, t, fps))
        page.transport_changed.connect(lambda playing, p=page: self._on_transport(p, playing))
        page.recording_progress.connect(lambda n, p=page: self.exports.show_recording(p, n))
        page.hovered.connect(self.status_hover.setText)
        self._restore_layout(page)
        if self.appearance.presenting:
            page.set_presenting(True)
        self.tab_groups.add(page, cls.title, f"{cls.id} — §{cls.section}")
        self.browser.select(experiment_id)
        page.start(playing=playing)
        self._on_current_changed()
        self.settings.set("last_experiment", experiment_id)
        return page

    def close_tab(self, index: int, group: QtWidgets.QTabWidget | None = None) -> None:
        group = group or self.tab_groups.current
        page = group.widget(index)
        if isinstance(page, ExperimentPage):
            self._remember_layout(page)
            self.compare.page_closing(page)
        group.removeTab(index)
        if isinstance(page, ExperimentPage):
            page.close_session()
            page.deleteLater()
        self.tab_groups.removed_from(group)
        self.split_action.setChecked(self.tab_groups.split)

    def _with_page(self, action: Callable[[ExperimentPage], Any]) -> None:
        page = self.current_page()
        if page is not None:
            for each in self.compare.linked(page):  # both sides of an A/B comparison
                action(each)

    def notify(self, text: str, ms: int = 8000) -> None:
        """A transient message in the status bar."""
        self.statusBar().showMessage(text, ms)

    # -- layouts ------------------------------------------------------------------------
    def _restore_layout(self, page: ExperimentPage) -> None:
        experiment_id = page.cls.id
        state = self.settings.layout(experiment_id)
        if state is not None and not page.restoreState(QtCore.QByteArray(state),
                                                       layout_version(experiment_id)):
            self.notify(f"saved layout of {experiment_id} could not be restored; default used")
        elif state is not None:
            page._sized = True  # the saved layout carries its sizes
        elif experiment_id in self.settings.get("layouts"):  # saved, but not base64 bytes
            self.notify(f"saved layout of {experiment_id} is unreadable; default used")

    def reset_layout(self) -> None:
        page = self.current_page()
        if page is not None:
            page.reset_layout()
            self.settings.set_layout(page.cls.id, None)

    def _remember_layout(self, page: ExperimentPage) -> None:
        self.settings.set_layout(page.cls.id, bytes(page.remembered_state()))

    # -- status -------------------------------------------------------------------------
    def _on_current_changed(self) -> None:
        page = self.current_page()
        self.exports.follow(page)
        if page is None:
            self.status_run.clear()
            self.status_device.clear()
            return
        self.browser.select(page.cls.id)
        self.transport.show_speed(page.session.speed, page.cls.max_steps_per_frame)
        self.transport.show_playing(page.session.playing)
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
            self.transport.show_speed(page.session.speed)

    # -- closing ------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop every worker, finish recordings, remember layouts (on close and on quit)."""
        for page in self.pages():
            self._remember_layout(page)
            page.close_session()
        problem = self.settings.save()
        if problem:
            print(f"mgai-lab: {problem}", file=sys.stderr)
        self.appearance.give_back_application_font()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
