"""The explanation pane: what the experiment shows, its equations and the book notes."""

from __future__ import annotations

import html
import sys

from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from compute.experiment import Experiment

from .equations import equation_png


class ExplanationPane(QtWidgets.QTextBrowser):
    """Rich text with the equations as images; the images arrive after the first paint.

    An equation wider than the pane is scaled down to the pane's width (never cut off on
    the right); it is shown at its natural size when there is room.
    """

    def __init__(self, experiment_cls: type[Experiment], color: str = "#202020", parent=None):
        super().__init__(parent)
        self.cls = experiment_cls
        self.color = color
        self.scale = 1.0
        self.setOpenExternalLinks(False)
        self.equations_ready = False
        self._sizes: list[tuple[float, float] | None] = []  # natural size of each image
        self.setHtml(self._html(with_equations=False))

    def set_style(self, color: str, scale: float = 1.0) -> None:
        """Re-render the equations in ``color`` at ``scale`` (follow the theme's text)."""
        if (color, scale) != (self.color, self.scale):
            self.color, self.scale = color, scale
            if self.equations_ready:
                self.equations_ready = False
                self.render_equations()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # matplotlib takes ~1 s to import and up to ~0.5 s an equation, on the GUI thread:
        # render once the pane is up, if it still is (tabs opened in a row, then hidden, wait
        # until they are shown; rendering them all froze the window for tens of seconds)
        QtCore.QTimer.singleShot(150, self._render_if_shown)

    def _render_if_shown(self) -> None:
        if self.isVisible():
            self.render_equations()

    def render_equations(self) -> None:
        """Render (or load from cache) the equation images and show them."""
        if self.equations_ready:
            return
        dpi = int(110 * self.scale * self.devicePixelRatioF())
        document = self.document()
        self._sizes = []
        for i, latex in enumerate(self.cls.equations):
            try:
                png = equation_png(latex, self.color, dpi)
            except Exception as exc:  # a mathtext syntax error must not break the pane
                png = None
                print(f"mgai-lab: equation {i} of {self.cls.id} failed to render: {exc}",
                      file=sys.stderr)
            image = QtGui.QImage.fromData(png) if png else QtGui.QImage()
            if image.isNull():  # shown as its source text (a null image crashed Qt's layout)
                self._sizes.append(None)
                continue
            image.setDevicePixelRatio(self.devicePixelRatioF())
            self._sizes.append((image.width() / self.devicePixelRatioF(),
                                image.height() / self.devicePixelRatioF()))
            document.addResource(QtGui.QTextDocument.ResourceType.ImageResource,
                                 QtCore.QUrl(f"eq://{i}"), image)
        self.equations_ready = True
        self.setHtml(self._html(with_equations=True))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.equations_ready:
            self.setHtml(self._html(with_equations=True))  # equations refit the new width

    def _image_tag(self, i: int) -> str:
        if i >= len(self._sizes) or self._sizes[i] is None:
            return _source_tag(self.cls.equations[i])
        width, height = self._sizes[i]
        room = self.viewport().width() - 2 * self.document().documentMargin() - 4
        if width > room > 0:
            width, height = room, height * room / width
        return f"<img src='eq://{i}' width='{width:.0f}' height='{height:.0f}'><br>"

    def _html(self, with_equations: bool) -> str:
        cls = self.cls
        parts = [
            f"<h3>{html.escape(cls.title)}</h3>",
            f"<p><i>Book §{html.escape(cls.section)} · {html.escape(cls.id)}</i></p>",
            f"<p>{html.escape(cls.explanation)}</p>",
        ]
        if cls.equations:
            parts.append("<p>")
            for i, latex in enumerate(cls.equations):
                if with_equations:
                    parts.append(self._image_tag(i))
                else:
                    parts.append(_source_tag(latex))
            parts.append("</p>")
        if cls.book_notes:
            notes = "".join(f"<li>{html.escape(n)}</li>" for n in cls.book_notes)
            parts.append(
                "<div style='background:#FFF3CD; color:#3D2E00; padding:6px;'>"
                f"<b>Book notes — where the lab departs from the text</b><ul>{notes}</ul></div>"
            )
        return "".join(parts)


def _source_tag(latex: str) -> str:
    """An equation as its source text (before it is rendered, or when it cannot be)."""
    return f"<code>{html.escape(latex.strip('$'))}</code><br>"
