"""Parameter presets (DESIGN §7): JSON files, validated on load, written atomically.

A preset is ``{"schema": 1, "experiment": id, "params": {...}, "seed": s, "view": {...}}``.
Loading reports unknown keys (and ignores them), fills missing keys from the defaults, and
refuses wrong types or out-of-range values with a message naming the key. A refused file
changes nothing. Saving never silently replaces an existing file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from compute import registry
from compute.experiment import Experiment
from compute.params import ParamError

from .paths import ASSETS

SCHEMA = 1
MAX_PRESET_BYTES = 1_000_000


class PresetError(ValueError):
    """A preset file or name was refused; the message says why."""


@dataclass
class Preset:
    """A validated preset: every parameter value of one experiment."""

    experiment_id: str
    values: dict[str, Any]
    view: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    source: str = ""


def shipped_dir(experiment_id: str) -> Path:
    return ASSETS / "presets" / experiment_id


def user_dir(experiment_id: str) -> Path:
    config = Path(platformdirs.user_config_dir("mgai-lab", appauthor=False))
    return config / "presets" / experiment_id


def list_presets(experiment_id: str) -> list[tuple[str, Path, bool]]:
    """(name, path, shipped) of every preset of an experiment: shipped first, then the user's."""
    out: list[tuple[str, Path, bool]] = []
    places = ((shipped_dir(experiment_id), True), (user_dir(experiment_id), False))
    for directory, shipped in places:
        if directory.is_dir():
            for path in sorted(directory.glob("*.json")):
                out.append((path.stem, path, shipped))
    return out


def resolve(experiment_id: str, name_or_file: str) -> Path:
    """The file a ``--preset NAME|FILE`` argument means: an existing path, else a named preset."""
    path = Path(name_or_file).expanduser()
    if path.is_file():
        return path
    for name, candidate, _ in list_presets(experiment_id):
        if name == name_or_file:
            return candidate
    names = ", ".join(n for n, _, _ in list_presets(experiment_id)) or "none"
    raise PresetError(f"no preset {name_or_file!r} for {experiment_id} (available: {names})")


def check_schema(data: Any, schema: int, source: str, error: type[Exception],
                 kind: str) -> None:
    """Refuse (raise ``error``) a decoded file that is not a JSON object of this ``kind``'s
    ``schema`` version (presets and lectures are versioned alike)."""
    if not isinstance(data, dict):
        raise error(f"{source}: expected a JSON object at the top level")
    found = data.get("schema")
    if found != schema:
        raise error(f"{source}: unsupported schema {found!r} (this lab reads {kind} schema "
                    f"{schema}); was it written by a newer version?")


def from_dict(data: Any, experiment_cls: type[Experiment] | None = None,
              source: str = "") -> Preset:
    """Validate a decoded preset; ``experiment_cls`` (if given) must match its experiment."""
    check_schema(data, SCHEMA, source or "preset", PresetError, "preset")
    exp_id = data.get("experiment")
    if not isinstance(exp_id, str):
        raise PresetError(f"{source or 'preset'}: missing 'experiment' id")
    if experiment_cls is not None and exp_id != experiment_cls.id:
        raise PresetError(f"{source or 'preset'} is for {exp_id}, not {experiment_cls.id}")
    try:
        cls = experiment_cls or registry.get(exp_id)
    except registry.UnknownExperiment as exc:
        raise PresetError(f"{source or 'preset'}: {exc}") from None
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise PresetError(f"{source or 'preset'}: 'params' must be an object")
    params = dict(params)
    if "seed" in data:
        params.setdefault("seed", data["seed"])
    spec = cls.spec()
    warnings = [f"unknown parameter {k!r} ignored" for k in params if k not in spec]
    known = {k: v for k, v in params.items() if k in spec}
    try:
        values = spec.resolve(known)
        cls.check(values)
    except ParamError as exc:
        raise PresetError(f"{source or 'preset'}: parameter {exc.name!r}: {exc.message}") from None
    view = data.get("view", {})
    if not isinstance(view, dict):
        warnings.append("'view' is not an object; ignored")
        view = {}
    unknown_top = set(data) - {"schema", "experiment", "params", "seed", "view", "name", "notes"}
    warnings += [f"unknown key {k!r} ignored" for k in sorted(unknown_top)]
    return Preset(cls.id, values, view, warnings, source)


def read_json(path: Path | str, what: str = "preset") -> Any:
    """The decoded JSON of a small lab file (a preset, a lecture); :class:`PresetError`
    says why it cannot be read: missing, unreadable, too large, not UTF-8, not JSON."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_PRESET_BYTES:
            raise PresetError(f"{path}: too large to be a {what}")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError(f"{path}: cannot read ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PresetError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def load(path: Path | str, experiment_cls: type[Experiment] | None = None) -> Preset:
    """Read and validate a preset file; :class:`PresetError` says what is wrong."""
    return from_dict(read_json(path), experiment_cls, source=str(path))


def to_dict(experiment_cls: type[Experiment], values: dict[str, Any],
            view: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON-ready preset of ``values`` (tuples become lists; the seed goes top level)."""
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items() if k != "seed"}
    out: dict[str, Any] = {"schema": SCHEMA, "experiment": experiment_cls.id, "params": params}
    if "seed" in values:
        out["seed"] = values["seed"]
    out["view"] = dict(view or {})
    return out


def dumps(experiment_cls: type[Experiment], values: dict[str, Any],
          view: dict[str, Any] | None = None) -> str:
    return json.dumps(to_dict(experiment_cls, values, view), indent=2, sort_keys=False) + "\n"


def atomic_write(path: Path | str, data: bytes, *, overwrite: bool = False,
                 create_folder: bool = False) -> Path:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``.

    The previous file (if any) is intact until the new one is complete. Refuses to replace
    an existing file unless ``overwrite``, and to write into a folder that does not exist
    unless ``create_folder`` (the lab's own folders): a mistyped folder must not be created
    silently somewhere. Raises OSError (e.g. read-only directory).
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; not overwritten")
    check_folder(path, create_folder)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        os.chmod(tmp, default_file_mode())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def check_folder(path: Path, create: bool = False) -> None:
    """Raise FileNotFoundError naming ``path``'s folder when it does not exist (or create
    it, for the lab's own folders)."""
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise FileNotFoundError(f"the folder {path.parent} does not exist")


def _read_umask() -> int:
    umask = os.umask(0)  # the only way to read it; done once, at import, before any thread
    os.umask(umask)
    return umask


_UMASK = _read_umask()


def default_file_mode() -> int:
    """0o666 less the process umask: what a plain ``open(path, "w")`` would give."""
    return 0o666 & ~_UMASK


def save(path: Path | str, experiment_cls: type[Experiment], values: dict[str, Any],
         view: dict[str, Any] | None = None, *, overwrite: bool = False,
         create_folder: bool = False) -> Path:
    """Write a preset atomically (see :func:`atomic_write`)."""
    return atomic_write(path, dumps(experiment_cls, values, view).encode("utf-8"),
                        create_folder=create_folder,
                        overwrite=overwrite)
