"""The main window: experiment browser, one tab per open experiment, transport bar, status."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from compute import backend, registry
from panels.theme import LIGHT, Theme

from .browser import ExperimentBrowser
from .page import ExperimentPage


def unavailable_experiments() -> dict[str, str]:
    """Experiments that cannot run here, with the reason (e.g. torch missing)."""
    if backend.torch_installed():
        return {}
    return {cls.id: "needs PyTorch, which is not installed"
            for cls in registry.all_experiments() if cls.needs_torch}


class TransportBar(QtWidgets.QToolBar):
    """Play/pause, single step, reset and speed (steps per frame) for the current tab."""

    def __init__(self, parent=None):
        super().__init__("Transport", parent)
        self.setObjectName("transport")
        style = self.style()
        icon = style.standardIcon
        SP = QtWidgets.QStyle.StandardPixmap
        self.play_icon, self.pause_icon = icon(SP.SP_MediaPlay), icon(SP.SP_MediaPause)
        self.play_action = QtGui.QAction(self.play_icon, "Play", self)
        self.play_action.setShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Space))
        self.play_action.setToolTip("Play / pause (Space)")
        self.step_action = QtGui.QAction(icon(SP.SP_MediaSeekForward), "Step", self)
        self.step_action.setShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Right))
        self.step_action.setToolTip("Single frame (Right arrow)")
        self.reset_action = QtGui.QAction(icon(SP.SP_BrowserReload), "Reset", self)
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

    def show_playing(self, playing: bool) -> None:
        self.play_action.setIcon(self.pause_icon if playing else self.play_icon)
        self.play_action.setText("Pause" if playing else "Play")


class MainWindow(QtWidgets.QMainWindow):
    """The lab's window. Experiments open in tabs; each tab has its own worker."""

    def __init__(self, *, device: str = "auto", theme: Theme = LIGHT):
        super().__init__()
        self.setWindowTitle("MGAI Lab — Mathematics of Generative AI")
        self.setObjectName("main-window")
        self.device = device
        self.theme = theme
        self.resize(1400, 900)

        self.browser = ExperimentBrowser(registry.all_experiments(), unavailable_experiments())
        browser_dock = QtWidgets.QDockWidget("Experiments", self)
        browser_dock.setObjectName("dock:browser")
        browser_dock.setWidget(self.browser)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.LeftDockWidgetArea, browser_dock)
        self.browser_dock = browser_dock

        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.tabs.setDocumentMode(True)
        self.setCentralWidget(self.tabs)

        self.transport = TransportBar(self)
        self.addToolBar(self.transport)
        for action in (self.transport.play_action, self.transport.step_action,
                       self.transport.reset_action):
            self.addAction(action)

        self.status_run = QtWidgets.QLabel()
        self.status_fps = QtWidgets.QLabel()
        self.status_device = QtWidgets.QLabel()
        self.status_hover = QtWidgets.QLabel()
        bar = self.statusBar()
        bar.addWidget(self.status_hover, 1)
        for label in (self.status_run, self.status_fps, self.status_device):
            bar.addPermanentWidget(label)

        self.browser.open_requested.connect(lambda exp_id: self.open_experiment(exp_id))
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.transport.play_action.triggered.connect(lambda: self._with_page(ExperimentPage.toggle))
        self.transport.step_action.triggered.connect(lambda: self._with_page(ExperimentPage.step))
        self.transport.reset_action.triggered.connect(lambda: self._with_page(ExperimentPage.reset))
        self.transport.speed.valueChanged.connect(
            lambda n: self._with_page(lambda page: page.set_speed(n)))

    # -- pages --------------------------------------------------------------------------
    def pages(self) -> list[ExperimentPage]:
        return [self.tabs.widget(i) for i in range(self.tabs.count())]

    def current_page(self) -> ExperimentPage | None:
        page = self.tabs.currentWidget()
        return page if isinstance(page, ExperimentPage) else None

    def open_experiment(self, experiment_id: str, values: Mapping[str, Any] | None = None,
                        *, playing: bool = False, new_tab: bool = False) -> ExperimentPage:
        """Show the experiment's tab (opening it if needed) and return its page."""
        if not new_tab:
            for i, page in enumerate(self.pages()):
                if page.cls.id == experiment_id:
                    self.tabs.setCurrentIndex(i)
                    return page
        cls = registry.get(experiment_id)
        page = ExperimentPage(cls, values, device=self.device, theme=self.theme)
        page.progress.connect(lambda step, t, fps, p=page: self._on_progress(p, step, t, fps))
        page.transport_changed.connect(lambda playing, p=page: self._on_transport(p, playing))
        page.hovered.connect(self.status_hover.setText)
        index = self.tabs.addTab(page, cls.title)
        self.tabs.setTabToolTip(index, f"{cls.id} — §{cls.section}")
        self.tabs.setCurrentIndex(index)
        self.browser.select(experiment_id)
        page.start(playing=playing)
        self._on_tab_changed(index)
        return page

    def close_tab(self, index: int) -> None:
        page = self.tabs.widget(index)
        self.tabs.removeTab(index)
        if isinstance(page, ExperimentPage):
            page.close_session()
            page.deleteLater()

    def _with_page(self, action) -> None:
        page = self.current_page()
        if page is not None:
            action(page)

    # -- status -------------------------------------------------------------------------
    def _on_tab_changed(self, index: int) -> None:
        page = self.current_page()
        if page is None:
            self.status_run.clear()
            self.status_device.clear()
            return
        self.transport.speed.blockSignals(True)
        self.transport.speed.setMaximum(page.cls.max_steps_per_frame)
        self.transport.speed.setValue(page.session.speed)
        self.transport.speed.blockSignals(False)
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

    # -- closing ------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop every experiment's worker (on close and when the application quits)."""
        for page in self.pages():
            page.close_session()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
