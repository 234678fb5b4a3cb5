"""How the window looks: light/dark themes, presentation mode and its scale, full screen.

pyqtgraph ignores the Qt palette, so a theme is applied twice: to the Qt widgets (a palette)
and to every page's plots (:meth:`ExperimentPage.apply_theme`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from panels.theme import DARK, LIGHT, PRESENTATION, Theme

from .actions import make_action

if TYPE_CHECKING:
    from .window import MainWindow

THEMES = {"light": LIGHT, "dark": DARK}
PRESENTATION_SCALES = (1.5, 2.0, 2.5, 3.0)


class Appearance(QtCore.QObject):
    """View → Presentation mode, Presentation scale, Full screen and Theme."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        settings = window.settings
        self.theme_name = settings.get("theme") if settings.get("theme") in THEMES else "light"
        self.theme: Theme = THEMES[self.theme_name]
        self.presenting = False
        self._normal_font: QtGui.QFont | None = None
        self._was_maximized = False
        self._browser_was_visible = True
        self._restore_pending = False
        window.installEventFilter(self)

    def build_menus(self, view_menu: QtWidgets.QMenu) -> None:
        w = self.window
        Key = QtCore.Qt.Key
        self.present_action = make_action(w, "Presentation mode", self.toggle_presentation,
                                          Key.Key_F5, checkable=True,
                                          tip="Full screen, high contrast, large type (F5)")
        view_menu.addAction(self.present_action)
        view_menu.addAction(make_action(
            w, "Show/hide parameters and explanation", self.toggle_side_panes, Key.Key_F6,
            tip="In presentation mode the side panes step aside; F6 brings them back"))
        scales = view_menu.addMenu("Presentation scale")
        scale_group = QtGui.QActionGroup(w)
        for factor in PRESENTATION_SCALES:
            action = make_action(w, f"{factor:g}×", lambda _=False, f=factor:
                                 self.set_presentation_scale(f), checkable=True)
            action.setChecked(factor == float(w.settings.get("presentation_scale")))
            scale_group.addAction(action)
            scales.addAction(action)
        view_menu.addAction(make_action(w, "Full screen", self.toggle_full_screen, Key.Key_F11))
        themes = view_menu.addMenu("Theme")
        group = QtGui.QActionGroup(w)
        for name in THEMES:
            action = make_action(w, name.title(), lambda _=False, n=name: self.set_theme(n),
                                 checkable=True)
            action.setChecked(name == self.theme_name)
            group.addAction(action)
            themes.addAction(action)

    # -- themes -------------------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        """Light or dark outside presentation mode (remembered in the settings)."""
        self.theme_name = name
        self.window.settings.set("theme", name)
        if not self.presenting:
            self._apply(THEMES[name])

    def _apply(self, theme: Theme) -> None:
        self.theme = theme
        for page in self.window.pages():
            page.apply_theme(theme)
        self.apply_qt_palette()

    def apply_qt_palette(self) -> None:
        """The Qt widgets' palette (and the transport icons) for the current theme."""
        app = QtWidgets.QApplication.instance()
        theme = self.theme
        self.window.transport.set_icon_color("#303030" if theme.name == "light"
                                             else theme.foreground)
        if theme.name == "light":
            app.setPalette(app.style().standardPalette())
            return
        palette = QtGui.QPalette()
        base, text = QtGui.QColor(theme.background), QtGui.QColor(theme.foreground)
        window = base.lighter(140) if theme.name == "dark" else QtGui.QColor("#101010")
        accent = QtGui.QColor(theme.accent)
        Role = QtGui.QPalette.ColorRole
        for role, color in ((Role.Window, window), (Role.Base, base), (Role.AlternateBase, window),
                            (Role.Button, window), (Role.Text, text), (Role.WindowText, text),
                            (Role.ButtonText, text), (Role.ToolTipBase, base),
                            (Role.ToolTipText, text), (Role.Highlight, accent),
                            (Role.HighlightedText, base)):
            palette.setColor(role, color)
        app.setPalette(palette)

    # -- presentation -------------------------------------------------------------------
    def presentation_theme(self) -> Theme:
        """The high-contrast theme at the configured scale (settings' presentation_scale)."""
        factor = float(self.window.settings.get("presentation_scale")) / 2.0  # PRESENTATION: 2x
        return PRESENTATION.scaled(max(0.5, min(factor, 3.0)))

    def set_presentation_scale(self, factor: float) -> None:
        """Font, line and marker scale of presentation mode (remembered in the settings)."""
        self.window.settings.set("presentation_scale", float(factor))
        if self.presenting:
            self._apply(self.presentation_theme())

    def set_presentation(self, on: bool) -> None:
        """Full screen, minimal chrome, large type, high contrast (F5 toggles)."""
        if on == self.presenting:
            return
        w = self.window
        self.presenting = on
        self.present_action.setChecked(on)
        app = QtWidgets.QApplication.instance()
        if on:
            self._was_maximized = w.isMaximized()
            self._normal_font = QtGui.QFont(app.font())
            theme = self.presentation_theme()
            font = QtGui.QFont(self._normal_font)
            font.setPointSizeF(max(self._normal_font.pointSizeF(), 9.0) * theme.font_pt / 9.0 * 0.8)
            app.setFont(font)
            self._browser_was_visible = not w.browser_dock.isHidden()
            w.browser_dock.hide()
            w.menuBar().hide()
            self._apply(theme)
            w.showFullScreen()
            for page in w.pages():
                page.set_presenting(True)
        else:
            if self._normal_font is not None:
                app.setFont(self._normal_font)
            w.browser_dock.setVisible(self._browser_was_visible)
            w.menuBar().show()
            self._apply(THEMES[self.theme_name])
            if self._was_maximized:
                w.showMaximized()
            else:
                w.showNormal()
            # the pages' own layouts come back once the window has left full screen
            # (restored at full-screen size, the docks would be re-proportioned after)
            self._restore_pending = True
        w.notify("presentation mode (F5 to leave)" if on else "presentation mode off")

    def give_back_application_font(self) -> None:
        """The application's font as it was before presentation mode enlarged it (the font
        is the whole process's: a window closed while presenting left every later window
        of the process, such as the next test's, in presentation type)."""
        if self.presenting and self._normal_font is not None:
            QtWidgets.QApplication.instance().setFont(self._normal_font)

    def eventFilter(self, watched, event) -> bool:
        """Restore the pages' layouts when the window has left full screen."""
        if not self._restore_pending:
            return False
        screen = self.window.screen().geometry().size()
        Type = QtCore.QEvent.Type
        if event.type() == Type.Resize and event.size() != screen:
            QtCore.QTimer.singleShot(0, self._restore_page_layouts)
        elif event.type() == Type.WindowStateChange and not self.window.isFullScreen() and (
                self.window.size() != screen or self.window.normalGeometry().size() == screen):
            QtCore.QTimer.singleShot(0, self._restore_page_layouts)  # no resize will come
        return False

    def _restore_page_layouts(self) -> None:
        if self._restore_pending and not self.presenting:  # (F5 again meanwhile: stay)
            self._restore_pending = False
            for page in self.window.pages():
                page.set_presenting(False)

    def toggle_side_panes(self) -> None:
        page = self.window.current_page()
        if page is not None:
            page.toggle_side_panes()

    def toggle_presentation(self) -> None:
        self.set_presentation(not self.presenting)

    def toggle_full_screen(self) -> None:
        w = self.window
        if w.isFullScreen():
            w.showNormal()
        else:
            w.showFullScreen()
