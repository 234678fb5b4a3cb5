"""The Qt-free logic of an A/B comparison (issue 15 §2): which parameters differ, how the
tabs are titled, and the pairing of the two runs' frames by step for the difference read-out.

The two runs have their own workers and advance independently, so a frame of A is only
ever compared with the frame of B at the same step.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np

from compute.experiment import Experiment
from compute.params import Param, ParamError

TITLE_CHARS = 44  # a tab title longer than this is cut (the tooltip has it all)
NOTHING_CHANGED = "Nothing differs between A and B: change at least one parameter for B."


class NothingChanged(ParamError):
    """B's values are A's: there would be nothing to compare."""

    def __init__(self) -> None:
        super().__init__("compare", NOTHING_CHANGED)


def comparable_params(params: Sequence[Param]) -> list[Param]:
    """The parameters B may change: all but the seed (both runs share it, so the only
    difference between them is the one the user makes)."""
    return [p for p in params if p.kind != "seed"]


def same_value(a: Any, b: Any) -> bool:
    """Equal values, where a missing matrix entry (NaN) equals another missing entry."""
    return a == b or repr(a) == repr(b)


def differences(params: Sequence[Param], a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """Names of the parameters whose values differ between ``a`` and ``b``, in spec order."""
    return [p.name for p in params if not same_value(a.get(p.name), b.get(p.name))]


def b_values(cls: type[Experiment], a_values: Mapping[str, Any],
             changes: Mapping[str, Any]) -> dict[str, Any]:
    """B's values: A's with ``changes``, checked like any run's values, A's seed kept.

    Raises ParamError for a refused value or a changed seed (both sides share it), and
    :class:`NothingChanged` when B would be A.
    """
    values = cls.spec().resolve({**a_values, **changes})
    for p in cls.params:
        if p.kind == "seed" and not same_value(values[p.name], a_values[p.name]):
            raise ParamError(p.name, "A and B share the seed; change another parameter")
    cls.check(values)
    if not differences(comparable_params(cls.params), a_values, values):
        raise NothingChanged()
    return values


def format_value(value: Any) -> str:
    """A parameter value as short text for a tab title."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, tuple) and value and isinstance(value[0], tuple):
        return f"{len(value)}×{len(value[0])} matrix"
    if isinstance(value, tuple):
        return "+".join(str(v) for v in value) or "none"
    return str(value)


def side_title(side: str, params: Sequence[Param], names: Sequence[str],
               values: Mapping[str, Any], limit: int = TITLE_CHARS) -> str:
    """"A: λ=0.5, Δt=0.01" — the side and its values of the differing parameters."""
    labels = {p.name: p.label for p in params}
    text = ", ".join(f"{labels[n]}={format_value(values[n])}" for n in names)
    title = f"{side}: {text}" if text else f"{side} (same parameters)"
    return title if len(title) <= limit else title[:limit - 1] + "…"


def scalar_fields(frame: Mapping[str, Any]) -> dict[str, float]:
    """The frame's real scalar fields (numbers and 0-d arrays, not flags, text or the step
    itself, which is what frames are paired by)."""
    out: dict[str, float] = {}
    for name, value in frame.items():
        if name == "step" or isinstance(value, (bool, np.bool_)):
            continue
        if isinstance(value, np.ndarray):
            if value.ndim != 0 or value.dtype.kind not in "iuf":
                continue
            value = value.item()
        if isinstance(value, Real):
            out[name] = float(value)
    return out


@dataclass(frozen=True)
class PairedRow:
    """One scalar field at one step: A's value, B's, and B − A."""

    field: str
    a: float
    b: float

    @property
    def diff(self) -> float:
        return self.b - self.a if math.isfinite(self.a) and math.isfinite(self.b) else math.nan


@dataclass(frozen=True)
class Pair:
    """The scalar fields of A's and B's frames at the same step."""

    step: int
    rows: tuple[PairedRow, ...]


class StepPairing:
    """Keeps each side's recent scalar frames by step and pairs them when both sides have
    reached the same step; :attr:`latest` is the newest pair so far."""

    def __init__(self, keep: int = 256):
        self.keep = keep
        self._frames: dict[str, OrderedDict[int, dict[str, float]]] = {
            "A": OrderedDict(), "B": OrderedDict()}
        self.latest: Pair | None = None

    def add(self, side: str, step: int, scalars: Mapping[str, float]) -> Pair | None:
        """Record ``side``'s frame at ``step``; returns the new pair if the other side already
        has that step (and it is newer than the latest pair), else None."""
        mine, other = self._frames[side], self._frames["B" if side == "A" else "A"]
        mine[step] = dict(scalars)
        mine.move_to_end(step)
        while len(mine) > self.keep:
            mine.popitem(last=False)
        if step not in other or (self.latest is not None and step <= self.latest.step):
            return None
        a, b = (mine[step], other[step]) if side == "A" else (other[step], mine[step])
        self.latest = Pair(step, tuple(PairedRow(name, a[name], b[name])
                                       for name in a if name in b))
        return self.latest

    def clear(self, side: str) -> None:
        """Forget ``side``'s frames and the latest pair (that side's run restarted)."""
        self._frames[side].clear()
        self.latest = None
