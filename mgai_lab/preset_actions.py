"""Presets from the window: the Presets menu, PageUp/PageDown, files and the clipboard.

Acts on the window's current tab. A bad preset is refused with a message in that tab's
message bar and changes nothing; saving never replaces a file unless the user said so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from pyqtgraph.Qt import QtCore, QtWidgets

from . import presets
from .actions import make_action

if TYPE_CHECKING:
    from .window import MainWindow


class PresetActions(QtCore.QObject):
    """File → preset entries, the Presets menu and preset stepping for the current tab."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window

    def build_menus(self, file_menu: QtWidgets.QMenu) -> None:
        w = self.window
        Key = QtCore.Qt.Key
        file_menu.addAction(make_action(w, "Load preset from file…", self.load_file, "Ctrl+O"))
        file_menu.addAction(make_action(w, "Save preset as…", self.save_file, "Ctrl+S"))
        file_menu.addAction(make_action(
            w, "Save as my preset…", self.save_user_preset, "Ctrl+Shift+S",
            "Save under a name in your presets (listed in the Presets menu)"))
        file_menu.addAction(make_action(w, "Copy preset to clipboard", self.copy, "Ctrl+Shift+C"))
        file_menu.addAction(make_action(w, "Paste preset from clipboard", self.paste,
                                        "Ctrl+Shift+V"))
        self.menu = w.menuBar().addMenu("&Presets")
        self.menu.aboutToShow.connect(self._fill_menu)
        self.previous_action = make_action(w, "Previous preset", lambda: self.step(-1),
                                           Key.Key_PageUp)
        self.next_action = make_action(w, "Next preset", lambda: self.step(+1), Key.Key_PageDown)

    # -- loading ------------------------------------------------------------------------
    def apply_file(self, path: Path | str) -> bool:
        """Load a preset into the current tab; a bad file is reported and changes nothing."""
        page = self.window.current_page()
        if page is None:
            return False
        try:
            preset = presets.load(path, page.cls)
        except presets.PresetError as exc:
            page.report("warning", f"Preset refused: {exc}")
            return False
        page.apply_preset(preset)
        self.window.notify(f"preset {Path(path).stem} loaded")
        return True

    def load_file(self) -> None:
        page = self.window.current_page()
        if page is None:
            return
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self.window, "Load preset", str(presets.user_dir(page.cls.id)), "Presets (*.json)")
        if path:
            self.apply_file(path)

    def paste(self) -> bool:
        page = self.window.current_page()
        if page is None:
            return False
        text = QtWidgets.QApplication.clipboard().text()
        try:
            preset = presets.from_dict(json.loads(text), page.cls, source="clipboard")
        except json.JSONDecodeError:
            page.report("warning", "Preset refused: the clipboard does not hold a JSON preset")
            return False
        except presets.PresetError as exc:
            page.report("warning", f"Preset refused: {exc}")
            return False
        page.apply_preset(preset)
        self.window.notify("preset pasted")
        return True

    def step(self, delta: int) -> None:
        """Load the previous/next preset of the current experiment (PageUp/PageDown)."""
        page = self.window.current_page()
        if page is None:
            return
        available = presets.list_presets(page.cls.id)
        if not available:
            self.window.notify("this experiment has no presets")
            return
        index = (page.preset_index + delta) % len(available)
        page.preset_index = index
        name, path, _ = available[index]
        if self.apply_file(path):
            self.window.notify(f"preset {index + 1}/{len(available)}: {name}")

    def _fill_menu(self) -> None:
        menu = self.menu
        menu.clear()
        page = self.window.current_page()
        if page is None:
            menu.addAction("(no experiment open)").setEnabled(False)
            return
        for name, path, shipped in presets.list_presets(page.cls.id):
            label = name if shipped else f"{name}  (mine)"
            menu.addAction(label, lambda p=path: self.apply_file(p))
        menu.addSeparator()
        menu.addAction(self.previous_action)
        menu.addAction(self.next_action)

    # -- saving -------------------------------------------------------------------------
    def save_to(self, path: Path | str, overwrite: bool = False) -> Path | None:
        """Write the current tab's preset; returns the path, or None with a message.

        The user's preset folder is created when needed; any other folder must exist.
        """
        page = self.window.current_page()
        if page is None:
            return None
        mine = Path(path).parent == presets.user_dir(page.cls.id)
        try:
            written = presets.save(path, page.cls, page.session.values,
                                   {"steps_per_frame": page.session.speed}, overwrite=overwrite,
                                   create_folder=mine)
        except FileExistsError:
            page.report("warning", f"{path} exists and was not overwritten")
            return None
        except OSError as exc:
            page.report("warning", f"Preset not saved: {exc}")
            return None
        self.window.notify(f"preset saved to {written}")
        return written

    def save_file(self) -> None:
        page = self.window.current_page()
        if page is None:
            return
        # the dialog asks before replacing a file, so its answer allows the overwrite
        presets.user_dir(page.cls.id).mkdir(parents=True, exist_ok=True)
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.window, "Save preset", str(presets.user_dir(page.cls.id) / "preset.json"),
            "Presets (*.json)")
        if path:
            self.save_to(path if path.endswith(".json") else path + ".json", overwrite=True)

    def save_user_preset(self) -> None:
        page = self.window.current_page()
        if page is None:
            return
        name, ok = QtWidgets.QInputDialog.getText(self.window, "Save as my preset",
                                                  "Preset name:")
        name = "".join(c for c in name.strip() if c.isalnum() or c in "-_. ")
        if not (ok and name):
            return
        path = presets.user_dir(page.cls.id) / f"{name}.json"
        replace = path.exists() and QtWidgets.QMessageBox.question(
            self.window, "Save as my preset", f"You already have a preset named {name!r}. "
            "Replace it?") == QtWidgets.QMessageBox.StandardButton.Yes
        self.save_to(path, overwrite=replace)

    def copy(self) -> None:
        page = self.window.current_page()
        if page is not None:
            QtWidgets.QApplication.clipboard().setText(json.dumps(page.preset_dict(), indent=2))
            self.window.notify("preset copied to the clipboard")
