"""The experiment registry: every experiment module under ``compute/experiments`` (and in the
directories named by ``MGAI_LAB_EXPERIMENT_PATH``), with a metadata catalogue for start-up.

An experiment module defines a subclass of :class:`Experiment` decorated with
:func:`register`; importing the module registers it. The GUI's browser needs only each
experiment's metadata, not its code: :func:`catalog` returns :class:`ExperimentInfo` records
read from a cache in the user's cache directory, keyed by each module file's size and
modification time, so a start-up imports only the modules that changed since the last run
(and then the one experiment it opens). :func:`get` imports an experiment's module on
demand; :func:`all_experiments` imports them all (tests, the CLI's ``describe``).

``MGAI_LAB_EXPERIMENT_PATH`` (directories separated by ``os.pathsep``) adds experiment
modules kept outside the package: an author's drafts, or the synthetic registries with
which ``bench/`` measures the lab at full size.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import pkgutil
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from .experiment import Experiment

EXTRA_PATH_VARIABLE = "MGAI_LAB_EXPERIMENT_PATH"
CATALOG_VERSION = 1

_REGISTRY: dict[str, type[Experiment]] = {}


class UnknownExperiment(KeyError):
    """No experiment has this id."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class ExperimentInfo:
    """What the browser shows of an experiment, available without importing its module."""

    id: str
    title: str
    section: str
    family: str
    summary: str
    module: str
    has_book_notes: bool
    needs_torch: bool

    @classmethod
    def of(cls, experiment: type[Experiment]) -> ExperimentInfo:
        return cls(experiment.id, experiment.title, experiment.section, experiment.family,
                   experiment.summary, experiment.__module__, bool(experiment.book_notes),
                   experiment.needs_torch)

    def chapter(self) -> int:
        """The chapter number from the id (``ch7.…`` -> 7)."""
        return int(self.id.split(".", 1)[0].removeprefix("ch"))


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


# -- experiment modules ----------------------------------------------------------------
@dataclass(frozen=True)
class _ModuleFile:
    name: str  # the module's import name
    path: Path

    def stamp(self) -> list[int]:
        stat = self.path.stat()
        return [stat.st_mtime_ns, stat.st_size]

    def load(self) -> None:
        """Import the module (once); plug-in files are loaded from their path."""
        if self.name in sys.modules:
            return
        if self.name.startswith("compute."):
            importlib.import_module(self.name)
            return
        spec = importlib.util.spec_from_file_location(self.name, self.path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[self.name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[self.name]
            raise


def _module_files() -> list[_ModuleFile]:
    from . import experiments

    folder = Path(experiments.__path__[0])
    files = [_ModuleFile(info.name, folder / f"{info.name.rsplit('.', 1)[1]}.py")
             for info in pkgutil.iter_modules(experiments.__path__, experiments.__name__ + ".")]
    extra = os.environ.get(EXTRA_PATH_VARIABLE, "").split(os.pathsep)
    for index, plugin_folder in enumerate(filter(None, extra)):
        for path in sorted(Path(plugin_folder).glob("*.py")):
            if not path.name.startswith("_"):
                files.append(_ModuleFile(f"mgai_lab_plugin_{index}_{path.stem}", path))
    return files


def _load_plugin(module: _ModuleFile) -> bool:
    """Import a module; a plug-in that fails is reported and skipped (the lab still starts)."""
    if module.name.startswith("compute."):
        module.load()  # a broken built-in experiment is a bug: let it raise
        return True
    try:
        module.load()
    except Exception as exc:
        print(f"mgai-lab: skipping experiment module {module.path}: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return False
    return True


# -- the catalogue ---------------------------------------------------------------------
def _catalog_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("mgai-lab", appauthor=False)) / "catalog.json"


def _read_cache(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CATALOG_VERSION:
        return {}
    modules = data.get("modules")
    return modules if isinstance(modules, dict) else {}


def _write_cache(path: Path, modules: dict) -> None:
    """Best effort: a read-only or full cache directory only costs imports next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": CATALOG_VERSION, "modules": modules}),
                       encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def _cached_infos(entry: object, stamp: list[int]) -> list[ExperimentInfo] | None:
    if not isinstance(entry, dict) or entry.get("stamp") != stamp:
        return None
    try:
        return [ExperimentInfo(**fields) for fields in entry["experiments"]]
    except (KeyError, TypeError):
        return None


def catalog() -> list[ExperimentInfo]:
    """Metadata of every experiment, importing only modules the cache does not describe.

    Ordered like :func:`all_experiments`. Experiments registered directly (not from a module
    file, e.g. by a test) are listed too.
    """
    path = _catalog_path()
    cached = _read_cache(path)
    fresh: dict[str, dict] = {}
    infos: dict[str, ExperimentInfo] = {}
    for module in _module_files():
        try:
            stamp = module.stamp()
        except OSError:
            continue
        found = None if module.name in sys.modules else \
            _cached_infos(cached.get(str(module.path)), stamp)
        if found is None:
            if not _load_plugin(module):
                continue
            found = [ExperimentInfo.of(c) for c in _REGISTRY.values()
                     if c.__module__ == module.name]
        fresh[str(module.path)] = {"stamp": stamp, "experiments": [asdict(i) for i in found]}
        infos.update((info.id, info) for info in found)
    for cls in _REGISTRY.values():
        infos.setdefault(cls.id, ExperimentInfo.of(cls))
    if fresh != cached:
        _write_cache(path, fresh)
    return sorted(infos.values(), key=_order)


def all_experiments() -> list[type[Experiment]]:
    """Every registered experiment class (importing every module), in catalogue order."""
    for module in _module_files():
        _load_plugin(module)
    return sorted(_REGISTRY.values(), key=_order)


def get(experiment_id: str) -> type[Experiment]:
    """The experiment class with this id, importing its module if needed;
    :class:`UnknownExperiment` names close matches."""
    cls = _REGISTRY.get(experiment_id)
    if cls is not None:
        return cls
    known = {info.id: info for info in catalog()}
    info = known.get(experiment_id)
    if info is not None:
        module = next((m for m in _module_files() if m.name == info.module), None)
        if module is not None and _load_plugin(module) and experiment_id in _REGISTRY:
            return _REGISTRY[experiment_id]
    import difflib

    close = difflib.get_close_matches(experiment_id, list(known), n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(close)}?)" if close else " (see 'list')"
    raise UnknownExperiment(f"unknown experiment id {experiment_id!r}{hint}") from None


def _order(item: type[Experiment] | ExperimentInfo) -> tuple:
    """Chapter, then section ("7.3.3" after "7.3.2" and before "7.10"), then id."""
    head = item.section.split()[0] if item.section else ""
    parts = []
    for part in head.split("."):
        parts.append((0, int(part), "") if part.isdigit() else (1, 0, part))
    return item.chapter(), tuple(parts), item.id


def representatives(classes: Sequence[type[Experiment]]) -> list[type[Experiment]]:
    """The first of ``classes`` in each chapter (each chapter brings its own kinds of runs)
    and the first that needs torch: at most one per chapter plus one, however large the
    registry grows. The worker, session, page and renderer are the same code for every
    experiment, so the tests of the shell drive these for all of them; what each
    experiment must do itself is checked for every one (the registry tests, the fuzzing
    and the layout audit)."""
    chosen: dict[object, type[Experiment]] = {}
    for cls in classes:
        chosen.setdefault(cls.chapter(), cls)
        if cls.needs_torch:
            chosen.setdefault("torch", cls)
    return [cls for cls in classes if cls in chosen.values()]
