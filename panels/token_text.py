"""Generated text shaded token by token (a :class:`compute.views.TokenText`)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtWidgets

from compute.views import TokenText

from .base import ViewPanel
from .theme import Theme


class TokenTextPanel(ViewPanel):
    """A read-only rich-text box: each token a span whose background is its value's colour
    (light text on dark shades), newlines kept; the newest text stays in view."""

    view: TokenText

    def __init__(self, view: TokenText, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.caption = QtWidgets.QLabel()
        self.caption.setWordWrap(True)
        self.text = QtWidgets.QTextBrowser()
        self.text.setReadOnly(True)
        self.text.setOpenLinks(False)
        self.layout().addWidget(self.caption)
        self.layout().addWidget(self.text, 1)
        self.colormap = pg.colormap.get(view.colormap)
        self.shown_tokens = 0
        self.style_items()

    def style_items(self) -> None:
        t = self.theme
        css = (f"background: {t.background}; color: {t.foreground}; "
               f"font-family: monospace; font-size: {t.font_pt * 1.3:.0f}pt;")
        self.text.setStyleSheet(css)
        self.caption.setStyleSheet(f"background: {t.background}; color: {t.foreground}; "
                                   f"font-size: {t.font_pt * 1.1:.0f}pt; padding: 4px;")

    def show_frame(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        if view.tokens not in frame:
            return
        toks = [str(s) for s in frame[view.tokens]][-view.max_tokens:]
        values = None
        if view.values and view.values in frame:
            values = np.asarray(frame[view.values], dtype=float)[-len(toks):]
        if view.label and view.label in frame:
            self.caption.setText(str(frame[view.label]))
        parts = []
        for i, tok in enumerate(toks):
            body = html.escape(tok).replace("\n", "⏎<br>").replace(" ", "&nbsp;")
            if values is None or not np.isfinite(values[i]):
                parts.append(body)
                continue
            color = self.colormap.map(float(np.clip(values[i], 0.0, 1.0)), mode="qcolor")
            light = color.lightnessF() < 0.55
            fg = "#FFFFFF" if light else "#000000"
            parts.append(f"<span style='background-color:{color.name()};color:{fg}'>"
                         f"{body}</span>")
        self.text.setHtml("<div style='white-space: pre-wrap'>" + "".join(parts) + "</div>")
        self.shown_tokens = len(toks)
        bar = self.text.verticalScrollBar()
        bar.setValue(bar.maximum())

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(600, 300)
