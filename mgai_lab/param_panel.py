"""The parameter panel: a pyqtgraph ParameterTree built from an experiment's parameter spec.

Numbers get a spin box with a slider beside it (logarithmic where the spec says so), so a
lecturer can drag a value. Restart parameters carry a ⟳ mark; once changed they are listed
as pending until the run is reset.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pyqtgraph.parametertree import Parameter, ParameterTree, registerParameterType
from pyqtgraph.parametertree.parameterTypes import WidgetParameterItem
from pyqtgraph.Qt import QtCore, QtWidgets
from pyqtgraph.widgets.SpinBox import SpinBox

from compute.params import Param

SLIDER_STEPS = 1000
RESTART_MARK = " ⟳"


class CheckedSpinBox(SpinBox):
    """A spin box that says why typed text is not taken, instead of ignoring or clamping it.

    pyqtgraph's spin box drops text it cannot read and clamps a value outside its bounds to
    the nearest bound, both silently. Here either is refused with :attr:`refused` (the
    text and the reason) and the box shows its value again; the arrows and the wheel still
    stop at the bounds.
    """

    #: typed text, reason
    refused = QtCore.Signal(str, str)

    def editingFinishedEvent(self) -> None:
        text = self.lineEdit().text()
        if text == self.lastText:
            return
        value = self.interpret()
        lo, hi = self.opts["bounds"]
        if value is False or (isinstance(value, float) and math.isnan(value)):
            reason = "is not a number"
        elif (lo is not None and value < lo) or (hi is not None and value > hi):
            reason = f"is outside the range {lo:g} … {hi:g}"
        else:
            super().editingFinishedEvent()
            return
        self.refused.emit(text.strip(), reason)
        self.setValue(self.value())  # show the value that still holds
        self.lineEdit().setText(self.lastText)


class SliderSpinItem(WidgetParameterItem):
    """A spin box and a slider for one number; the slider may map logarithmically."""

    def makeWidget(self) -> QtWidgets.QWidget:
        self.hideWidget = False
        opts = self.param.opts
        lo, hi = opts["limits"]
        self._lo, self._hi = float(lo), float(hi)
        self._log = bool(opts.get("log")) and self._hi > 0 and self._lo >= 0
        # a log slider starting at 0: position 0 is exactly 0, the rest spans 4 decades
        self._log_lo = self._lo if self._lo > 0 else self._hi * 1e-4
        self._is_int = bool(opts.get("int"))
        spin = CheckedSpinBox()
        spin.refused.connect(lambda text, reason: self.param.sigRefused.emit(text, reason))
        spin.setOpts(bounds=(lo, hi), int=self._is_int, dec=self._log or self._is_int,
                     step=1 if self._is_int else (0.1 if self._log else (hi - lo) / 100),
                     minStep=1 if self._is_int else 0, decimals=4,
                     suffix=opts.get("units", ""), compactHeight=False)
        spin.setMinimumWidth(80)
        slider = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        slider.setRange(0, SLIDER_STEPS)
        slider.setMinimumWidth(50)
        container = QtWidgets.QWidget()
        layout = QtWidgets.QHBoxLayout(container)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(spin, 2)
        layout.addWidget(slider, 3)
        self.spin, self.slider = spin, slider

        def set_value(value: float) -> None:
            spin.setValue(value)
            self._sync_slider(value)

        container.value = spin.value
        container.setValue = set_value
        container.sigChanged = spin.sigValueChanged
        container.sigChanging = spin.sigValueChanging
        spin.sigValueChanging.connect(lambda _, v: self._sync_slider(v))
        slider.valueChanged.connect(self._slider_moved)
        return container

    def _to_slider(self, value: float) -> int:
        if self._hi <= self._lo:
            return 0
        if self._log:
            if value <= 0:
                return 0
            frac = math.log(max(value, self._log_lo) / self._log_lo) / math.log(
                self._hi / self._log_lo)
            position = round(min(frac, 1.0) * SLIDER_STEPS)
            # with a range starting at 0, position 0 means exactly 0
            return max(position, 1) if self._lo == 0 else position
        frac = (value - self._lo) / (self._hi - self._lo)
        return round(min(max(frac, 0.0), 1.0) * SLIDER_STEPS)

    def _from_slider(self, position: int) -> float:
        frac = position / SLIDER_STEPS
        if self._log:
            if position == 0:
                return self._lo
            value = self._log_lo * (self._hi / self._log_lo) ** frac
            value = float(f"{value:.3g}")  # round to 3 significant digits while dragging
        else:
            value = self._lo + frac * (self._hi - self._lo)
        value = min(max(value, self._lo), self._hi)
        return float(round(value)) if self._is_int else value

    def _sync_slider(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(self._to_slider(float(value)))
        self.slider.blockSignals(False)

    def _slider_moved(self, position: int) -> None:
        if self._to_slider(float(self.spin.value())) != position:
            self.spin.setValue(self._from_slider(position))


class ParamTree(ParameterTree):
    """pyqtgraph's ParameterTree, dropping its wrapper of Qt's invisible root item before Qt
    frees the item.

    Qt creates and deletes that item itself, so shiboken is never told. While the Python tree
    outlived the widget (a cycle awaiting the collector), the freed address stayed registered,
    and the next object Qt put there was taken for the item: wrong wrappers handed out, and a
    segfault when Qt deleted that object (issue 10). ``destroyed`` comes before the items go.
    """

    def __init__(self, parent: QtWidgets.QWidget | None = None, showHeader: bool = True):
        super().__init__(parent, showHeader)
        state = vars(self)  # not self: the connection must not keep the tree alive
        self.destroyed.connect(lambda: state.pop("_invRootItem", None))


class SliderSpinParameter(Parameter):
    """A number shown with :class:`SliderSpinItem`; :attr:`sigRefused` carries typed text
    the spin box did not take, and why."""

    itemClass = SliderSpinItem
    sigRefused = QtCore.Signal(str, str)


registerParameterType("slidespin", SliderSpinParameter, override=True)


def parameter_options(param: Param, value: Any) -> dict[str, Any]:
    """pyqtgraph Parameter options for one spec entry."""
    opts: dict[str, Any] = {
        "name": param.name,
        "title": param.label + ("" if param.live else RESTART_MARK),
        "value": list(value) if param.kind == "multi" else value,
        "default": list(param.default) if param.kind == "multi" else param.default,
        "tip": _tooltip(param),
    }
    if param.kind in ("float", "int"):
        opts.update(type="slidespin", limits=(param.min, param.max), log=param.log,
                    int=param.kind == "int", units=f" {param.unit}" if param.unit else "")
    elif param.kind == "seed":
        opts.update(type="int", limits=(0, 2**31 - 1))
    elif param.kind == "bool":
        opts.update(type="bool")
    elif param.kind == "choice":
        opts.update(type="list", limits=list(param.choices))
    elif param.kind == "multi":
        opts.update(type="checklist", limits=list(param.choices), exclusive=False)
    return opts


def _tooltip(param: Param) -> str:
    parts = [param.help] if param.help else []
    if param.kind in ("float", "int"):
        parts.append(f"range {param.min:g} … {param.max:g}{' ' + param.unit if param.unit else ''}")
    parts.append("applies live" if param.live else "applies on Reset (R)")
    return "\n".join(parts)


class ParamPanel(QtWidgets.QWidget):
    """Parameter tree for one experiment; emits :attr:`edited` for each user change."""

    #: name, value
    edited = QtCore.Signal(str, object)
    #: name, message: typed input that was not taken (not a number, out of range)
    refused = QtCore.Signal(str, str)

    def __init__(self, params: tuple[Param, ...], values: Mapping[str, Any], parent=None):
        super().__init__(parent)
        self.spec = {p.name: p for p in params}
        self.root = Parameter.create(
            name="params", type="group",
            children=[parameter_options(p, values[p.name]) for p in params],
        )
        self.tree = ParamTree(showHeader=False)
        self.tree.setParameters(self.root, showTop=False)
        # labels as wide as they need, the controls the rest: never a sideways scroll
        header = self.tree.header()
        header.setSectionResizeMode(0, QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QtWidgets.QHeaderView.ResizeMode.Stretch)
        self.tree.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pending_label = QtWidgets.QLabel()
        self.pending_label.setWordWrap(True)
        self.pending_label.setStyleSheet(
            "background: #FFF3CD; color: #664D03; padding: 4px; border-radius: 3px;")
        self.pending_label.hide()
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.pending_label)
        layout.addWidget(self.tree)
        self._quiet = False
        for child in self.root.children():
            child.sigValueChanged.connect(self._on_changed)
            if isinstance(child, SliderSpinParameter):
                name = child.name()
                child.sigRefused.connect(
                    lambda text, reason, n=name: self._on_refused(n, text, reason))

    def _on_changed(self, param: Parameter, value: Any) -> None:
        if self._quiet:
            return
        spec = self.spec[param.name()]
        if spec.kind == "multi":
            value = tuple(value)
        elif spec.kind in ("int", "seed"):
            value = int(value)
        elif spec.kind == "float":
            value = float(value)
        self.edited.emit(param.name(), value)

    def _on_refused(self, name: str, text: str, reason: str) -> None:
        value = self.root.child(name).value()
        self.refused.emit(name, f"{text!r} {reason}; {self.spec[name].label} stays {value:g}")

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` without emitting :attr:`edited` (after a preset or a refusal)."""
        self._quiet = True
        try:
            for name, value in values.items():
                if name in self.spec:
                    self.root.child(name).setValue(list(value) if isinstance(value, tuple)
                                                   else value)
        finally:
            self._quiet = False

    def show_pending(self, names: set[str]) -> None:
        """List restart parameters changed since the run started."""
        if names:
            labels = ", ".join(self.spec[n].label for n in sorted(names))
            self.pending_label.setText(f"⟳ Press Reset (R) to apply: {labels}")
            self.pending_label.show()
        else:
            self.pending_label.hide()
