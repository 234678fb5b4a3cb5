"""The experiment registry: discovers every experiment module under ``compute/experiments``.

An experiment module defines a subclass of :class:`Experiment` decorated with
:func:`register`; importing the package's modules is all discovery needs. Modules must stay
cheap to import (no torch, no heavy set-up at import time): the GUI lists them at start-up.
"""

from __future__ import annotations

import importlib
import pkgutil

from .experiment import Experiment

_REGISTRY: dict[str, type[Experiment]] = {}
_discovered = False


class UnknownExperiment(KeyError):
    """No experiment has this id."""

    def __str__(self) -> str:
        return str(self.args[0])


def register(cls: type[Experiment]) -> type[Experiment]:
    """Class decorator: add an experiment under its ``id`` (which must be unique)."""
    for attr in ("id", "title", "section", "family", "summary", "explanation"):
        if not getattr(cls, attr, None):
            raise TypeError(f"{cls.__name__} lacks the required attribute {attr!r}")
    other = _REGISTRY.get(cls.id)
    if other is not None and other.__qualname__ != cls.__qualname__:
        raise ValueError(f"experiment id {cls.id!r} is used by {other.__name__} and {cls.__name__}")
    cls.spec()  # validate the parameter list now, not on first use
    _REGISTRY[cls.id] = cls
    return cls


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    from . import experiments

    for info in pkgutil.iter_modules(experiments.__path__, experiments.__name__ + "."):
        importlib.import_module(info.name)
    _discovered = True


def all_experiments() -> list[type[Experiment]]:
    """Every registered experiment, ordered by chapter, then section, then id."""
    _discover()
    return sorted(_REGISTRY.values(), key=lambda c: (c.chapter(), _section_key(c.section), c.id))


def get(experiment_id: str) -> type[Experiment]:
    """The experiment class with this id; :class:`UnknownExperiment` names close matches."""
    _discover()
    try:
        return _REGISTRY[experiment_id]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(experiment_id, list(_REGISTRY), n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(close)}?)" if close else " (see 'list')"
        raise UnknownExperiment(f"unknown experiment id {experiment_id!r}{hint}") from None


def _section_key(section: str) -> tuple:
    """Sort "7.3.3" after "7.3.2" and before "7.10" (numeric parts compared as numbers)."""
    head = section.split()[0] if section else ""
    parts = []
    for part in head.split("."):
        parts.append((0, int(part), "") if part.isdigit() else (1, 0, part))
    return tuple(parts)
