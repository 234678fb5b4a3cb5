"""The token-text view family on the real widget: tokens shaded by their values."""

import numpy as np
import pytest

from compute.views import TokenText
from panels import create_panel

pytestmark = pytest.mark.gui


def test_tokens_are_shaded_and_the_newest_stay_in_view(qtbot):
    view = TokenText("t", "T", tokens="tok", values="val", label="cap", max_tokens=50)
    panel = create_panel(view)
    qtbot.addWidget(panel)
    panel.resize(600, 300)
    panel.show()
    qtbot.waitExposed(panel)
    toks = np.array(list("Shall I compare thee\nto a summer's day?") * 3)
    vals = np.linspace(0, 1, len(toks))
    vals[:3] = np.nan  # the prompt: no shading
    panel.update_frame({"step": 1, "t": 0.0, "tok": toks, "val": vals, "cap": "prompt"})
    assert panel.isVisible() and panel.text.isVisible()
    assert panel.shown_tokens == 50  # only the last max_tokens
    html = panel.text.toHtml()
    assert "background-color" in html and "⏎" in html
    assert panel.caption.text() == "prompt"
    bar = panel.text.verticalScrollBar()
    assert bar.value() == bar.maximum()
    assert panel.text.toPlainText().replace("\u00a0", " ").endswith("summer's day?")
