"""Typed experiment parameters: defaults, ranges, parsing and validation (Qt-free).

A :class:`Param` describes one knob of an experiment. The same object validates a value
typed in the GUI, read from a preset file or given on the command line, so every entry
point rejects bad input with the same message, naming the parameter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

KINDS = ("float", "int", "bool", "choice", "multi", "seed", "matrix")
MISSING_TEXT = ("?", "nan", "null", "none", "")  # how a missing matrix entry may be typed
SEED_MAX = 2**32 - 1


class ParamError(ValueError):
    """A parameter value was rejected; ``name`` is the parameter's name."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


@dataclass(frozen=True)
class Param:
    """One typed parameter of an experiment.

    ``live`` parameters apply at the next frame with the state kept (noise level, learning
    rate); the others need a restart (particle count, data set). ``log`` asks the GUI for a
    logarithmic slider.

    A ``matrix`` parameter holds a tuple of rows of floats (JSON: a list of lists). Its
    ``shape`` is (rows, columns); with ``max_shape`` any shape from 1×1 up to it is
    accepted (the editor can add and remove rows and columns). ``min``/``max`` bound every
    entry; with ``missing`` an entry may be left out ("?" in the editor and on the command
    line, null in JSON), held as NaN.
    """

    name: str
    kind: str
    default: Any
    label: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    help: str = ""
    live: bool = False
    log: bool = False
    shape: tuple[int, int] | None = None
    max_shape: tuple[int, int] | None = None
    missing: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r} for {self.name}")
        if not self.label:
            object.__setattr__(self, "label", self.name)
        if self.kind == "matrix" and self.shape is None:
            raise ValueError(f"matrix parameter {self.name} needs a shape")
        # A default outside its own range is a programming error, caught at import.
        self.coerce(self.default)

    # ----------------------------------------------------------------------------------
    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise :class:`ParamError`.

        Accepts Python/JSON values (presets, the GUI). Strings are not parsed here; use
        :meth:`parse` for command-line text.
        """
        kind = self.kind
        if kind == "matrix":
            return self._coerce_matrix(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            raise ParamError(self.name, f"expected true or false, got {value!r}")
        if kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise ParamError(
                    self.name, f"{value!r} is not one of {', '.join(self.choices)}"
                )
            return value
        if kind == "multi":
            if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
                raise ParamError(self.name, f"expected a list of choices, got {value!r}")
            items = list(value)
            bad = [v for v in items if v not in self.choices]
            if bad:
                raise ParamError(
                    self.name, f"{bad[0]!r} is not one of {', '.join(self.choices)}"
                )
            # Keep the declared order, drop repeats.
            return tuple(c for c in self.choices if c in items)
        if kind in ("int", "seed"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParamError(self.name, f"expected an integer, got {value!r}")
            if isinstance(value, float):
                if not math.isfinite(value) or value != int(value):
                    raise ParamError(self.name, f"expected an integer, got {value!r}")
                value = int(value)
            lo = 0 if kind == "seed" else self.min
            hi = SEED_MAX if kind == "seed" else self.max
            self._check_range(value, lo, hi)
            return int(value)
        # float
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamError(self.name, f"expected a number, got {value!r}")
        try:
            value = float(value)
        except OverflowError:  # an integer beyond the float range
            raise ParamError(self.name, f"{_short(value)} is out of range") from None
        if not math.isfinite(value):
            raise ParamError(self.name, f"must be a finite number, got {value}")
        self._check_range(value, self.min, self.max)
        return value

    def _check_range(self, value: float, lo: float | None, hi: float | None) -> None:
        if lo is not None and value < lo:
            raise ParamError(self.name, f"{_short(value)} is below the minimum {lo:g}")
        if hi is not None and value > hi:
            raise ParamError(self.name, f"{_short(value)} is above the maximum {hi:g}")

    # -- matrices ------------------------------------------------------------------------
    def _coerce_matrix(self, value: Any) -> tuple[tuple[float, ...], ...]:
        if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
            value = value.tolist()  # a numpy array
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
            raise ParamError(self.name, f"expected a matrix (a list of rows), got {_brief(value)}")
        rows = list(value)
        if not rows or not all(isinstance(r, (list, tuple)) for r in rows):
            raise ParamError(self.name, f"expected a matrix (a list of rows), got {_brief(value)}")
        widths = {len(r) for r in rows}
        if len(widths) != 1:
            raise ParamError(self.name, "rows of different lengths "
                                        f"({', '.join(str(len(r)) for r in rows)})")
        shape = (len(rows), widths.pop())
        self.check_shape(shape)
        return tuple(tuple(self.coerce_entry(cell, i, j) for j, cell in enumerate(row))
                     for i, row in enumerate(rows))

    def check_shape(self, shape: tuple[int, int]) -> None:
        """Raise :class:`ParamError` unless a matrix of ``shape`` is acceptable."""
        r, c = shape
        if self.max_shape is None:
            if shape != tuple(self.shape):
                raise ParamError(self.name, f"expected a {self.shape[0]}×{self.shape[1]} "
                                            f"matrix, got {r}×{c}")
            return
        mr, mc = self.max_shape
        if not (1 <= r <= mr and 1 <= c <= mc):
            raise ParamError(self.name, f"a {r}×{c} matrix is outside the sizes 1×1 … {mr}×{mc}")

    def coerce_entry(self, cell: Any, i: int, j: int) -> float:
        """Entry (i, j) (0-based) as a float; the message names it 1-based, as in the book."""
        where = f"entry ({i + 1}, {j + 1})"
        if cell is None or (isinstance(cell, float) and math.isnan(cell)):
            if self.missing:
                return math.nan  # one NaN object, so equal matrices compare equal
            raise ParamError(self.name, f"{where} is missing (every entry needs a number)")
        if isinstance(cell, bool) or not isinstance(cell, (int, float)):
            raise ParamError(self.name, f"{where}: {_brief(cell)} is not a number")
        try:
            number = float(cell)
        except OverflowError:
            raise ParamError(self.name, f"{where}: {_short(cell)} is out of range") from None
        if not math.isfinite(number):
            raise ParamError(self.name, f"{where} must be a finite number, got {number}")
        if self.min is not None and number < self.min:
            raise ParamError(self.name, f"{where} = {_short(number)} is below the minimum "
                                        f"{self.min:g}")
        if self.max is not None and number > self.max:
            raise ParamError(self.name, f"{where} = {_short(number)} is above the maximum "
                                        f"{self.max:g}")
        return number

    def parse_entry(self, text: str, i: int, j: int) -> float:
        """One typed entry (editor cell or command line), validated; names the entry."""
        t = text.strip()
        if t.lower() in MISSING_TEXT:
            return self.coerce_entry(None, i, j)
        number = _try_float(t)
        if number is None:
            raise ParamError(self.name, f"entry ({i + 1}, {j + 1}): {t!r} is not a number")
        return self.coerce_entry(number, i, j)

    def _parse_matrix(self, text: str) -> tuple[tuple[float, ...], ...]:
        """``[[1, 2], [3, 4]]`` (also ``[1, 2], [3, 4]`` or ``1 2; 3 4``), ``?`` for missing."""
        t = text.strip()
        example = "expected a matrix like [[1, 2], [3, 4]]"
        if "[" in t:
            inner = t[1:-1].strip() if t.startswith("[[") and t.endswith("]]") else t
            rows = re.findall(r"\[([^\[\]]*)\]", inner)
            rest = re.sub(r"\[[^\[\]]*\]", "", inner).replace(",", "").strip()
            if not rows or rest:
                raise ParamError(self.name, f"{example}, got {t!r}")
            cells = [[c for c in row.split(",")] for row in rows]
        else:
            cells = [row.replace(",", " ").split() for row in t.split(";")]
        if not cells or any(not row for row in cells):
            raise ParamError(self.name, f"{example}, got {t!r}")
        widths = {len(r) for r in cells}
        if len(widths) != 1:
            raise ParamError(self.name, "rows of different lengths "
                                        f"({', '.join(str(len(r)) for r in cells)})")
        self.check_shape((len(cells), widths.pop()))
        return tuple(tuple(self.parse_entry(c, i, j) for j, c in enumerate(row))
                     for i, row in enumerate(cells))

    def parse(self, text: str) -> Any:
        """Parse command-line text (``--set name=text``) and validate it."""
        text = text.strip()
        kind = self.kind
        if kind == "matrix":
            return self._parse_matrix(text)
        if kind == "bool":
            low = text.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ParamError(self.name, f"expected true or false, got {text!r}")
        if kind == "choice":
            return self.coerce(text)
        if kind == "multi":
            items = [s.strip() for s in text.split(",") if s.strip()]
            return self.coerce(items)
        if kind in ("int", "seed"):
            try:
                return self.coerce(int(text))
            except ValueError:
                if isinstance(_try_float(text), float):
                    return self.coerce(_try_float(text))
                raise ParamError(self.name, f"expected an integer, got {text!r}") from None
        number = _try_float(text)
        if number is None:
            raise ParamError(self.name, f"expected a number, got {text!r}")
        return self.coerce(number)

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description (used by ``describe`` and the docs)."""
        default = self.default
        if self.kind == "multi":
            default = list(default)
        elif self.kind == "matrix":
            default = matrix_to_json(default)
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "default": default,
            "label": self.label,
            "live": self.live,
        }
        if self.kind in ("float", "int"):
            out["min"], out["max"] = self.min, self.max
        if self.kind == "matrix":
            out["shape"] = list(self.shape)
            if self.max_shape is not None:
                out["max_shape"] = list(self.max_shape)
            if self.min is not None:
                out["min"] = self.min
            if self.max is not None:
                out["max"] = self.max
            out["missing"] = self.missing
        if self.kind in ("choice", "multi"):
            out["choices"] = list(self.choices)
        if self.unit:
            out["unit"] = self.unit
        if self.help:
            out["help"] = self.help
        return out


def matrix_to_json(value: Sequence[Sequence[float]]) -> list[list[float | None]]:
    """A matrix value as JSON-ready lists, missing (NaN) entries as None (null)."""
    return [[None if math.isnan(v) else v for v in row] for row in value]


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _try_float(text: str) -> float | None:
    try:
        return float(text)
    except (ValueError, OverflowError):
        return None


def _short(value: float) -> str:
    """A number for a message; integers too long to print whole are abbreviated."""
    text = f"{value:g}" if isinstance(value, float) or abs(value) < 10**15 else str(value)
    return text if len(text) <= 24 else f"{text[:10]}…({len(text)} digits)"


# -- short constructors used by experiment modules --------------------------------------
def Float(name: str, default: float, lo: float, hi: float, **kw: Any) -> Param:
    """A real-valued parameter in [lo, hi]."""
    return Param(name, "float", float(default), min=lo, max=hi, **kw)


def Int(name: str, default: int, lo: int, hi: int, **kw: Any) -> Param:
    """An integer parameter in [lo, hi]."""
    return Param(name, "int", int(default), min=lo, max=hi, **kw)


def Bool(name: str, default: bool, **kw: Any) -> Param:
    """An on/off switch."""
    return Param(name, "bool", bool(default), **kw)


def Choice(name: str, default: str, choices: Sequence[str], **kw: Any) -> Param:
    """One of a fixed list of strings."""
    return Param(name, "choice", default, choices=tuple(choices), **kw)


def Multi(name: str, default: Sequence[str], choices: Sequence[str], **kw: Any) -> Param:
    """A subset of a fixed list of strings (e.g. which optimizers race)."""
    return Param(name, "multi", tuple(default), choices=tuple(choices), **kw)


def Matrix(name: str, default: Sequence[Sequence[float | None]], lo: float | None = None,
           hi: float | None = None, *, max_shape: tuple[int, int] | None = None,
           missing: bool = False, **kw: Any) -> Param:
    """A matrix of numbers, each entry in [lo, hi] (None: unbounded), edited cell by cell.

    The default fixes the shape; ``max_shape`` lets the user resize it up to that size;
    ``missing`` allows entries left out (NaN, "?").
    """
    rows = tuple(tuple(math.nan if v is None or v != v else float(v) for v in row)
                 for row in default)
    shape = (len(rows), len(rows[0]) if rows else 0)
    return Param(name, "matrix", rows, min=lo, max=hi, shape=shape, max_shape=max_shape,
                 missing=missing, **kw)


def as_array(value: Sequence[Sequence[float]]) -> Any:
    """A matrix parameter's value as a float numpy array (imported here lazily)."""
    import numpy as np

    return np.array(value, dtype=float)


def Seed(name: str = "seed", default: int = 0, **kw: Any) -> Param:
    """The random seed of the run; a change restarts it."""
    kw.setdefault("help", "Seed of every random stream of the run (same seed, same run).")
    return Param(name, "seed", int(default), **kw)


@dataclass(frozen=True)
class ParamSpec:
    """The ordered parameters of one experiment."""

    params: tuple[Param, ...]
    by_name: dict[str, Param] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"duplicate parameter names: {sorted(dupes)}")
        object.__setattr__(self, "by_name", {p.name: p for p in self.params})

    def __iter__(self):
        return iter(self.params)

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __getitem__(self, name: str) -> Param:
        try:
            return self.by_name[name]
        except KeyError:
            known = ", ".join(self.by_name)
            raise ParamError(name, f"no such parameter (known: {known})") from None

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def resolve(self, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overridden by ``values``; every value validated, unknown names rejected."""
        out = self.defaults()
        for name, value in (values or {}).items():
            out[name] = self[name].coerce(value)
        return out

    def parse_assignments(self, assignments: Iterable[str]) -> dict[str, Any]:
        """Parse ``name=value`` strings (the CLI's ``--set``) into validated values."""
        out: dict[str, Any] = {}
        for text in assignments:
            name, sep, raw = text.partition("=")
            name = name.strip()
            if not sep or not name:
                raise ParamError(text, "expected NAME=VALUE")
            out[name] = self[name].parse(raw)
        return out
