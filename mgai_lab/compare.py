"""A/B compare (issue 15 §2): the current experiment twice, side by side, with the same
seed and one or more parameters changed, so a student sees exactly what a parameter does.

"Compare…" asks for B's values (:class:`CompareDialog`), then opens B next to A in the
window's split view. While the comparison lasts (:class:`Comparison`) the transport acts
on both pages, the differing parameters are highlighted in both parameter panes and named
in the tab titles, the plots of the same view share their axes, and a read-out under the
pages shows A, B and B − A of every scalar frame field at the same step. "End comparison"
or closing either tab ends it; both pages are then ordinary tabs again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pyqtgraph.Qt import QtCore, QtWidgets

from compute.experiment import Experiment
from compute.params import ParamError
from compute.views import Readout
from panels import PlotPanel
from panels.base import SteppedViewBox

from .actions import make_action
from .compare_model import (
    NOTHING_CHANGED,
    NothingChanged,
    Pair,
    StepPairing,
    b_values,
    comparable_params,
    differences,
    format_value,
    scalar_fields,
    side_title,
)
from .page import ExperimentPage
from .param_panel import ParamPanel

if TYPE_CHECKING:
    from .window import MainWindow

# after B's first layout (ExperimentPage sizes its docks 250 ms after it is first shown)
LAYOUT_DELAY_MS = 400


class CompareDialog(QtWidgets.QDialog):
    """B's parameters, prefilled with A's: every value is checked as it is edited, the
    changed rows are highlighted, and OK is refused while nothing differs."""

    def __init__(self, experiment_cls: type[Experiment], values: Mapping[str, Any],
                 parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.cls = experiment_cls
        self.a_values = dict(values)
        self.b_values = dict(values)
        self.params = comparable_params(experiment_cls.params)
        self.setWindowTitle(f"Compare — {experiment_cls.title}")
        seeds = [f"{p.label} {values[p.name]}" for p in experiment_cls.params if p.kind == "seed"]
        intro = QtWidgets.QLabel(
            "A is the run shown now; B runs next to it "
            + (f"with the same {', '.join(seeds)}" if seeds else "")
            + ". Set the values B should use: the rows you change are highlighted.")
        intro.setWordWrap(True)
        self.panel = ParamPanel(tuple(self.params), values)
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("background:#F8D7DA; color:#58151C; padding:4px;")
        self.message.hide()
        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Compare")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.panel, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(460, 520)
        self.panel.edited.connect(self._on_edited)
        self.panel.refused.connect(lambda name, text: self._refuse(text))

    def changed(self) -> list[str]:
        """The parameters whose B value differs from A's."""
        return differences(self.params, self.a_values, self.b_values)

    def _on_edited(self, name: str, value: Any) -> None:
        """Keep a value only if the experiment accepts it together with the others."""
        try:
            candidate = {**self.b_values, name: self.cls.spec()[name].coerce(value)}
            self.cls.check(candidate)
        except ParamError as exc:
            self._refuse(f"{exc.name}: {exc.message}")
            self.panel.set_values(self.b_values)
            return
        self.b_values = candidate
        self.message.hide()
        self.panel.highlight(set(self.changed()))

    def _refuse(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def accept(self) -> None:
        """Close with B's values, or stay open with a message while nothing differs."""
        if not self.changed():
            self._refuse(NOTHING_CHANGED)
            return
        super().accept()


class CompareReadout(QtWidgets.QWidget):
    """What differs, and A, B and B − A of each scalar frame field at one step (a column
    per field), with the button that ends the comparison."""

    ROWS = ("A", "B", "B − A")

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        self.step_label = QtWidgets.QLabel()
        self.end_button = QtWidgets.QPushButton("End comparison")
        self.end_button.setToolTip("Keep both tabs, unlinked")
        self.table = QtWidgets.QTableWidget(len(self.ROWS), 0)
        self.table.setVerticalHeaderLabels(list(self.ROWS))
        self.table.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(
            QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        self.table.setVerticalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setSizeAdjustPolicy(
            QtWidgets.QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.step_label)
        top.addWidget(self.end_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(self.table)

    def show_summary(self, text: str) -> None:
        self.summary.setText(text)

    def show_waiting(self) -> None:
        """No pair yet (a run (re)started): empty cells until both reach the same step."""
        self.step_label.setText("waiting for both runs to reach the same step…")
        for row in range(self.table.rowCount()):
            for column in range(self.table.columnCount()):
                self.table.setItem(row, column, QtWidgets.QTableWidgetItem("—"))

    def show_pair(self, pair: Pair, labels: Mapping[str, str], tips: Mapping[str, str]) -> None:
        """The fields of ``pair`` (headed by their read-out label where the experiment has
        one): A and B as they are, B − A beneath them."""
        self.step_label.setText(f"step {pair.step:,}")
        self.table.setColumnCount(len(pair.rows))
        for column, row in enumerate(pair.rows):
            header = QtWidgets.QTableWidgetItem(labels.get(row.field, row.field))
            header.setData(QtCore.Qt.ItemDataRole.UserRole, row.field)
            header.setToolTip(f"{row.field}: {tips.get(row.field, '')}".rstrip(": "))
            self.table.setHorizontalHeaderItem(column, header)
            for line, value in enumerate((row.a, row.b, row.diff)):
                text = "—" if math.isnan(value) else f"{value:.6g}"
                item = QtWidgets.QTableWidgetItem(text)
                item.setTextAlignment(QtCore.Qt.AlignmentFlag.AlignRight
                                      | QtCore.Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(line, column, item)

    def cell(self, field: str, row: str) -> str:
        """The text shown for ``field`` in ``row`` ("A", "B" or "B − A")."""
        for column in range(self.table.columnCount()):
            header = self.table.horizontalHeaderItem(column)
            if header.data(QtCore.Qt.ItemDataRole.UserRole) == field:
                return self.table.item(self.ROWS.index(row), column).text()
        raise KeyError(field)


class Comparison(QtCore.QObject):
    """Two open pages linked as A and B until :meth:`end`."""

    def __init__(self, window: MainWindow, a: ExperimentPage, b: ExperimentPage,
                 readout: CompareReadout):
        super().__init__(window)
        self.window = window
        self.pages = {"A": a, "B": b}
        self.readout = readout
        self.params = comparable_params(a.cls.params)
        self.pairing = StepPairing()
        self.changed: list[str] = []
        #: the experiment's own read-out labels of its fields ("em_bound": "EM stability…")
        self.field_labels = {line[0]: line[1] for view in a.cls.views
                             if isinstance(view, Readout) for line in view.lines}
        self._connections: list[tuple[Any, Callable]] = []
        self._links: list[tuple[SteppedViewBox, SteppedViewBox]] = []
        for side, page in self.pages.items():
            self._connect(page.progress, lambda *_, s=side: self._on_frame(s))
            self._connect(page.session.restarted, lambda s=side: self._on_restarted(s))
            # (connected after the page's own slots: the session holds the new value)
            self._connect(page.param_panel.edited, lambda *_: self.refresh())
            self._connect(page.session.rejected, lambda *_: self.refresh())
            # a run that stops by itself pauses the other, so one Play goes on with both
            other = b if side == "A" else a
            for stopped in (page.session.completed, page.session.diverged, page.session.failed):
                self._connect(stopped, lambda *_, o=other: o.pause())
        self._link_views(a, b)
        self.laid_out = False
        QtCore.QTimer.singleShot(LAYOUT_DELAY_MS, self._match_layouts)
        self.refresh()
        readout.show_waiting()
        for side, page in self.pages.items():
            if page.last_frame is not None:
                self._on_frame(side)

    def _match_layouts(self) -> None:
        """Both pages in the default layout for their half of the window (A was laid out
        for the whole width), so each view has the same size on both sides and linked
        axes line up."""
        if self._connections:  # not ended meanwhile
            for page in self.pages.values():
                page.reset_layout()
            self.laid_out = True

    def _connect(self, signal: Any, slot: Callable) -> None:
        signal.connect(slot)
        self._connections.append((signal, slot))

    def _link_views(self, a: ExperimentPage, b: ExperimentPage) -> None:
        """Share the axes of each view both pages show the same way (same key and kind);
        each range follows the data of both sides."""
        for key, panel_a in a.panels.items():
            panel_b = b.panels.get(key)
            if not (isinstance(panel_a, PlotPanel) and type(panel_b) is type(panel_a)
                    and type(panel_a.view) is type(panel_b.view)):
                continue
            for item_a, item_b in zip(panel_a.plot_items(), panel_b.plot_items(), strict=True):
                va, vb = item_a.getViewBox(), item_b.getViewBox()
                va.setXLink(vb)
                va.setYLink(vb)
                va.companions.append(vb)
                vb.companions.append(va)
                self._links.append((va, vb))

    def linked_views(self) -> list[tuple[SteppedViewBox, SteppedViewBox]]:
        return list(self._links)

    def refresh(self) -> None:
        """Highlight and title what differs now (either side may have been edited)."""
        a, b = self.pages["A"], self.pages["B"]
        self.changed = differences(self.params, a.session.values, b.session.values)
        labels = {p.name: p.label for p in self.params}
        for side, page in self.pages.items():
            page.param_panel.highlight(set(self.changed))
            title = side_title(side, self.params, self.changed, page.session.values)
            self._set_tab(page, title, f"{page.cls.id} — {side} of an A/B comparison")
        if self.changed:
            text = "; ".join(f"{labels[n]}: {format_value(a.session.values[n])} → "
                             f"{format_value(b.session.values[n])}" for n in self.changed)
            self.readout.show_summary(f"<b>A/B</b> — {text} (same seed)")
        else:
            self.readout.show_summary("<b>A/B</b> — the parameters are the same on both sides")

    def _set_tab(self, page: ExperimentPage, title: str, tip: str) -> None:
        try:
            group, index = self.window.tab_groups.locate(page)
        except ValueError:  # the page has left the tabs
            return
        group.setTabText(index, title)
        group.setTabToolTip(index, tip)

    def _on_frame(self, side: str) -> None:
        frame = self.pages[side].last_frame
        if frame is None or "step" not in frame:
            return
        pair = self.pairing.add(side, int(frame["step"]), scalar_fields(frame))
        if pair is not None:
            self.readout.show_pair(pair, self.field_labels, self.pages["A"].cls.frame_fields)

    def _on_restarted(self, side: str) -> None:
        self.pairing.clear(side)
        self.readout.show_waiting()

    def end(self) -> None:
        """Disconnect everything, unlink the axes, restore titles and highlights."""
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections.clear()
        for va, vb in self._links:
            va.setXLink(None)
            va.setYLink(None)
            va.companions.remove(vb)
            vb.companions.remove(va)
        self._links.clear()
        for page in self.pages.values():
            page.param_panel.highlight(set())
            self._set_tab(page, page.cls.title, f"{page.cls.id} — §{page.cls.section}")
        self.deleteLater()


class CompareActions(QtCore.QObject):
    """The "Compare…" and "End comparison" actions, the read-out dock and the one
    comparison that may be running."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.comparison: Comparison | None = None
        self.action = make_action(
            window, "Compare…", self.ask,
            tip="Open this experiment twice side by side, B with other parameters")
        self.end_action = make_action(window, "End comparison", self.end)
        self.readout = CompareReadout()
        self.readout.end_button.clicked.connect(self.end)
        self.dock = QtWidgets.QDockWidget("A/B difference", window)
        self.dock.setObjectName("dock:compare")
        self.dock.setFeatures(QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetMovable
                              | QtWidgets.QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.dock.setWidget(self.readout)
        window.addDockWidget(QtCore.Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        window.tab_groups.current_changed.connect(self.update_actions)
        self.update_actions()

    def build_menus(self, menu: QtWidgets.QMenu, toolbar: QtWidgets.QToolBar) -> None:
        menu.addAction(self.action)
        menu.addAction(self.end_action)
        toolbar.addAction(self.action)

    def update_actions(self) -> None:
        """Compare needs a current experiment with a parameter to change."""
        page = self.window.current_page()
        self.action.setEnabled(page is not None and bool(comparable_params(page.cls.params)))
        self.end_action.setEnabled(self.comparison is not None)

    def linked(self, page: ExperimentPage) -> list[ExperimentPage]:
        """The pages the transport acts on for ``page``: both sides while it is compared."""
        pages = self.comparison.pages.values() if self.comparison is not None else ()
        return list(pages) if page in pages else [page]

    def ask(self) -> CompareDialog | None:
        """Open the dialog for B's values (non-blocking); OK starts the comparison."""
        page = self.window.current_page()
        if page is None:
            self.window.notify("Compare: open an experiment first")
            return None
        if not comparable_params(page.cls.params):
            self.window.notify(f"Compare: {page.cls.title} has no parameter to change")
            return None
        dialog = CompareDialog(page.cls, page.session.values, self.window)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.start(page, dialog.b_values))
        dialog.open()
        return dialog

    def start(self, page: ExperimentPage, changes: Mapping[str, Any]) -> Comparison | None:
        """Restart ``page`` as A and open B beside it: A's values with ``changes`` (all of
        B's values, or a few), A's seed and speed. None (with a message, nothing opened)
        if nothing differs or B's values are refused."""
        cls = page.cls
        if page not in self.window.pages():
            self.window.notify("Compare: that experiment's tab has been closed")
            return None
        try:
            values = b_values(cls, page.session.values, changes)
        except NothingChanged as exc:
            self.window.notify(f"Compare: {exc.message}")
            return None
        except ParamError as exc:
            self.window.notify(f"Compare refused: {exc.name}: {exc.message}")
            return None
        self.end()
        playing = page.session.playing
        b = self.window.open_experiment(cls.id, values, playing=playing, new_tab=True)
        self.window.move_to_other_side()  # B (current) beside A, splitting the view
        page.reset()  # A from step 0 too
        if b.session.speed != page.session.speed:  # B's first frame was at another speed
            b.set_speed(page.session.speed)
            b.reset()
        self.comparison = Comparison(self.window, page, b, self.readout)
        self.dock.show()
        self.update_actions()
        return self.comparison

    def end(self) -> None:
        """End the comparison; both pages stay open as ordinary tabs."""
        comparison, self.comparison = self.comparison, None
        if comparison is not None:
            comparison.end()
        self.dock.hide()
        self.update_actions()

    def page_closing(self, page: ExperimentPage) -> None:
        """A tab is closing: a comparison it belongs to ends first."""
        if self.comparison is not None and page in self.comparison.pages.values():
            self.end()
