"""User settings (last experiment, theme, presentation scale, dock layouts) as JSON.

The file carries a schema version. A file that cannot be read is moved aside as a backup
and the lab starts with defaults; unknown keys are dropped; values of the wrong type fall
back to their defaults. Nothing here raises on a bad file or a read-only directory: the
problem is returned as a message for the status bar.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from pathlib import Path
from typing import Any

import platformdirs

from .presets import atomic_write

SCHEMA = 1
DEFAULTS: dict[str, Any] = {
    "last_experiment": "",
    "theme": "light",
    "presentation_scale": 2.0,
    "layouts": {},
}
MAX_SETTINGS_BYTES = 5_000_000


def settings_path() -> Path:
    return Path(platformdirs.user_config_dir("mgai-lab", appauthor=False)) / "settings.json"


class Settings:
    """The settings file, loaded once; :meth:`save` writes it atomically."""

    def __init__(self, path: Path | None = None):
        self.path = path or settings_path()
        self.data: dict[str, Any] = json.loads(json.dumps(DEFAULTS))
        self.problems: list[str] = []
        self._load()

    def _load(self) -> None:
        try:
            if not self.path.exists():
                return
            if self.path.stat().st_size > MAX_SETTINGS_BYTES:
                raise ValueError("the file is too large")
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("the top level is not an object")
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            self._set_aside(f"settings {self.path} unreadable ({exc})")
            return
        schema = raw.get("schema")
        if schema != SCHEMA:
            self._set_aside(f"settings {self.path} have schema {schema!r}, expected {SCHEMA}")
            return
        for key, default in DEFAULTS.items():
            if key in raw:
                if isinstance(raw[key], type(default)) or (
                        isinstance(default, float) and isinstance(raw[key], int)):
                    self.data[key] = raw[key]
                else:
                    self.problems.append(f"setting {key!r} has the wrong type; default used")
        dropped = sorted(set(raw) - set(DEFAULTS) - {"schema"})
        if dropped:
            self.problems.append(f"unknown settings dropped: {', '.join(dropped)}")

    def _set_aside(self, reason: str) -> None:
        backup = self.path.with_name(f"{self.path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            self.path.replace(backup)
            self.problems.append(f"{reason}; kept as {backup.name}, defaults used")
        except OSError:
            self.problems.append(f"{reason}; defaults used")

    def get(self, key: str) -> Any:
        return self.data[key]

    def set(self, key: str, value: Any) -> None:
        if key not in DEFAULTS:
            raise KeyError(key)
        self.data[key] = value

    def layout(self, experiment_id: str) -> bytes | None:
        """The saved dock layout of an experiment, or None (also when it is corrupt)."""
        text = self.data["layouts"].get(experiment_id)
        if not isinstance(text, str):
            return None
        try:
            return base64.b64decode(text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            return None

    def set_layout(self, experiment_id: str, state: bytes | None) -> None:
        layouts = self.data["layouts"]
        if state is None:
            layouts.pop(experiment_id, None)
        else:
            layouts[experiment_id] = base64.b64encode(state).decode("ascii")

    def save(self) -> str | None:
        """Write the file; returns a message instead of raising when it cannot."""
        data = {"schema": SCHEMA, **self.data}
        try:
            atomic_write(self.path, (json.dumps(data, indent=1) + "\n").encode("utf-8"),
                         overwrite=True, create_folder=True)
        except OSError as exc:
            return f"settings not saved: {exc}"
        return None
