"""Typed experiment parameters: defaults, ranges, parsing and validation (Qt-free).

A :class:`Param` describes one knob of an experiment. The same object validates a value
typed in the GUI, read from a preset file or given on the command line, so every entry
point rejects bad input with the same message, naming the parameter.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

KINDS = ("float", "int", "bool", "choice", "multi", "seed")
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

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown parameter kind {self.kind!r} for {self.name}")
        if not self.label:
            object.__setattr__(self, "label", self.name)
        # A default outside its own range is a programming error, caught at import.
        self.coerce(self.default)

    # ----------------------------------------------------------------------------------
    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise :class:`ParamError`.

        Accepts Python/JSON values (presets, the GUI). Strings are not parsed here; use
        :meth:`parse` for command-line text.
        """
        kind = self.kind
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

    def parse(self, text: str) -> Any:
        """Parse command-line text (``--set name=text``) and validate it."""
        text = text.strip()
        kind = self.kind
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
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "default": list(self.default) if self.kind == "multi" else self.default,
            "label": self.label,
            "live": self.live,
        }
        if self.kind in ("float", "int"):
            out["min"], out["max"] = self.min, self.max
        if self.kind in ("choice", "multi"):
            out["choices"] = list(self.choices)
        if self.unit:
            out["unit"] = self.unit
        if self.help:
            out["help"] = self.help
        return out


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
