"""Export and recording from the window: images, frame data and videos of the current tab.

Failures are reported in the tab's message bar; nothing already saved is touched (every
file is written atomically by :mod:`mgai_lab.export`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pyqtgraph.Qt import QtCore, QtWidgets

from . import export
from .actions import make_action
from .page import ExperimentPage
from .script_export import ScriptExport

if TYPE_CHECKING:
    from .window import MainWindow


class ExportActions(QtCore.QObject):
    """File → Export image / frame data / Record video, and the recording indicator."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.indicator = QtWidgets.QLabel()
        self.indicator.setStyleSheet("color: white; background: #C62828; padding: 0 6px;"
                                     " font-weight: bold;")
        self.indicator.hide()
        self.scripts = ScriptExport(window)

    def build_menus(self, file_menu: QtWidgets.QMenu) -> None:
        w = self.window
        file_menu.addAction(make_action(w, "Export image (PNG/SVG)…", self.export_image,
                                        "Ctrl+E"))
        file_menu.addAction(make_action(w, "Export frame data (CSV/NPZ)…", self.export_data,
                                        "Ctrl+Shift+E"))
        self.scripts.build_menus(file_menu)
        self.record_action = make_action(w, "Record video (MP4/GIF)…", self.toggle_recording,
                                         "Ctrl+Shift+R", checkable=True)
        file_menu.addAction(self.record_action)

    # -- images and data ----------------------------------------------------------------
    def export_image(self) -> None:
        page = self.window.current_page()
        if page is None:
            return
        dialog = ExportImageDialog(page, self.window)
        if dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted:
            path, _ = QtWidgets.QFileDialog.getSaveFileName(
                self.window, "Export image", f"{page.cls.id}.{dialog.suffix()}",
                "PNG image (*.png);;SVG drawing (*.svg)")
            if path:
                self.image_to(path, dialog.selected_view(), dialog.scale())

    def image_to(self, path: Path | str, view_key: str | None = None,
                 scale: float = 1.0) -> Path | None:
        """PNG (at ``scale``) or SVG of one view, or of all the tab's views shown (their
        docks with their titles, not the side panes) when None."""
        page = self.window.current_page()
        if page is None:
            return None
        docks = [page.docks[view_key]] if view_key else page.shown_view_docks()
        try:
            if not docks:
                raise export.ExportError("no view is shown")
            if Path(path).suffix.lower() == ".svg":
                written = export.write_svg([d.widget() for d in docks], path,
                                           titled=None if view_key else docks)
            else:
                written = export.write_png([d.widget() for d in docks] if view_key else docks,
                                           path, scale)
        except (export.ExportError, OSError) as exc:
            page.report("warning", f"Export failed: {exc}")
            return None
        self.window.notify(f"exported {written}")
        return written

    def export_data(self) -> None:
        page = self.window.current_page()
        if page is None:
            return
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.window, "Export frame data", f"{page.cls.id}.npz",
            "NumPy archive (*.npz);;CSV table (*.csv)")
        if path:
            self.data_to(path)

    def data_to(self, path: Path | str) -> Path | None:
        """The current frame (what is on screen now) as CSV or NPZ."""
        page = self.window.current_page()
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
        self.window.notify(f"exported {written}")
        return written

    # -- recording ----------------------------------------------------------------------
    def toggle_recording(self) -> None:
        page = self.window.current_page()
        if page is None:
            self.record_action.setChecked(False)
            return
        if page.recorder is not None:
            self.stop_recording()
            return
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.window, "Record video", f"{page.cls.id}.mp4",
            "MP4 video (*.mp4);;GIF animation (*.gif)")
        if path:
            self.start_recording(path)
        else:
            self.record_action.setChecked(False)

    def start_recording(self, path: Path | str) -> bool:
        page = self.window.current_page()
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
        page = self.window.current_page()
        written = page.stop_recording() if page is not None else None
        self.record_action.setChecked(False)
        if written:
            self.window.notify(f"recording saved to {written}")
        return written

    def show_recording(self, page: ExperimentPage, frames: int) -> None:
        """The red indicator for ``page``'s recording (``frames`` < 0: none)."""
        if page is not self.window.current_page():
            return
        if frames < 0:
            self.indicator.hide()
            self.record_action.setChecked(False)  # also when the recording stopped itself
        else:
            self.indicator.setText(f"● REC  {frames} frames")
            self.indicator.show()

    def follow(self, page: ExperimentPage | None) -> None:
        """The indicator and the Record action for a newly current tab."""
        recording = page is not None and page.recorder is not None
        self.record_action.setChecked(recording)
        if page is None:
            self.indicator.hide()
        else:
            self.show_recording(page, page.recorder.frames if recording else -1)


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
