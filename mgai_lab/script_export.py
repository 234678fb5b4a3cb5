"""File → Export as Python script: the current run as a standalone script over mgai_lab.api.

The script replays the run headless — same experiment, parameters, seed, speed and number
of frames as the tab has shown — and saves the final frame's data (NPZ) and its views (PNG)
next to itself. Its frame equals the one on screen: experiments are deterministic for given
parameters, seed and speed. A run whose speed or live parameters changed while it went on
(or that a click in a view acted on) cannot be replayed from its final values; the script
says so in its docstring and the tab shows a note. The file is written atomically.
"""

from __future__ import annotations

import ast
import contextlib
import datetime
import json
import pprint
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyqtgraph.Qt import QtCore, QtWidgets

import mgai_lab

from .actions import make_action
from .api import json_value
from .presets import atomic_write, default_file_mode

if TYPE_CHECKING:
    from .window import MainWindow

LAB_ROOT = Path(mgai_lab.__file__).resolve().parents[1]
CHANGED_NOTE = (
    "Note: in the lab, the speed, a live parameter or a click in a view changed this run "
    "while it went on. The script replays the final values from the start, so its frames "
    "can differ from what the lab showed; press Reset in the lab and export again for an "
    "exact replay.")


def _literal(values: Mapping[str, Any]) -> tuple[str, bool]:
    """``values`` as Python source, and whether that needs ``json`` (a NaN in a matrix
    parameter has no Python literal; JSON reads it back)."""
    plain = {k: json_value(v) for k, v in values.items()}
    text = pprint.pformat(plain, width=88, sort_dicts=False)
    try:
        if ast.literal_eval(text) == plain:
            return text, False
    except (ValueError, SyntaxError):
        pass
    return f"json.loads({json.dumps(json.dumps(plain))})", True


def script_source(experiment_id: str, params: Mapping[str, Any], *, speed: int, frames: int,
                  device: str = "auto", title: str = "", note: str = "",
                  name: str = "script.py", lab_root: Path = LAB_ROOT) -> str:
    """The text of a script that replays ``frames`` frames of ``experiment_id`` through
    :mod:`mgai_lab.api` and writes ``<out>.npz`` and ``<out>.png`` (``<out>`` defaults to
    the script's own path without ``.py``)."""
    values = dict(params)
    seed = values.pop("seed", None)
    params_text, needs_json = _literal(values)
    params_text = params_text.replace("\n", "\n" + " " * len("PARAMS = "))
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    note_text = "\n" + "\n".join(textwrap.wrap(note, 88)) + "\n" if note else ""
    stem = Path(name).stem
    heading = "\n".join(textwrap.wrap((title or experiment_id).replace("\\", "/")
                                       .replace('"', "'"), 88))
    return f'''#!/usr/bin/env python3
"""{experiment_id}: {frames} frames replayed headless, as exported from MGAI Lab ({stamp}).

{heading}

The run goes through the lab's Python API (mgai_lab.api) with the same parameters, seed
and speed, for as many frames as the lab had shown; the script writes the final frame's
data (NPZ, as File → Export frame data) and its views (PNG):

    python {name}                 # {stem}.npz and {stem}.png beside this script
    python {name} --out DIR/NAME  # DIR/NAME.npz and DIR/NAME.png
{note_text}"""

import argparse
{"import json" + chr(10) if needs_json else ""}import sys
from pathlib import Path

try:
    from mgai_lab import api
except ImportError:  # the lab is not installed: use the copy this script came from
    sys.path.insert(0, {str(lab_root)!r})
    sys.modules.pop("mgai_lab", None)
    from mgai_lab import api

EXPERIMENT = {experiment_id!r}
PARAMS = {params_text}
SEED = {seed!r}
SPEED = {int(speed)}  # internal steps per frame
FRAMES = {int(frames)}  # frames pulled from the experiment
DEVICE = {device!r}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).with_suffix("")), metavar="NAME",
                        help="where to write NAME.npz and NAME.png (default: beside this script)")
    args = parser.parse_args()
    try:
        run = api.run(EXPERIMENT, params=PARAMS, seed=SEED, speed=SPEED, frames=FRAMES,
                      device=DEVICE, keep="last")
        if run.message:
            print(f"{{EXPERIMENT}}: {{run.message}}", file=sys.stderr)
        npz = run.save_npz(f"{{args.out}}.npz")
        png = run.render(f"{{args.out}}.png")
    except (ValueError, api.RenderError) as exc:  # a refused value or an unwritable place
        sys.exit(f"{{Path(__file__).name}}: error: {{exc}}")
    print(f"{{EXPERIMENT}}: {{run.pulled}} frames ({{run.status}}), step {{run.last['step']}}: "
          f"wrote {{npz}} and {{png}}")


if __name__ == "__main__":
    main()
'''


class ScriptExport(QtCore.QObject):
    """File → Export as Python script… for the current tab."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window

    def build_menus(self, file_menu: QtWidgets.QMenu) -> None:
        self.action = make_action(
            self.window, "Export as Python script…", self.export_script,
            tip="A script that replays this run headless (mgai_lab.api) and saves NPZ and PNG")
        file_menu.addAction(self.action)

    def export_script(self) -> None:
        page = self.window.current_page()
        if page is None:
            return
        name = page.cls.id.replace(".", "_").replace("-", "_")
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self.window, "Export as Python script", f"{name}.py", "Python script (*.py)")
        if path:
            self.script_to(path if Path(path).suffix else f"{path}.py")

    def script_to(self, path: Path | str) -> Path | None:
        """Write the script of the current tab's run to ``path``; None (with a message in
        the tab) when there is nothing to replay yet or the file cannot be written."""
        page = self.window.current_page()
        if page is None:
            return None
        session, worker = page.session, page.session.worker
        if page.last_frame is None or session.experiment is None or worker is None \
                or worker.frames_taken < 1:
            page.report("warning", "No frame to replay yet: press Step or Play first")
            return None
        path = Path(path)
        if path.suffix != ".py":
            page.report("warning", f"Export failed: a Python script must end in .py, "
                                   f"not {path.name}")
            return None
        experiment = session.experiment
        note = CHANGED_NOTE if worker.changed_mid_run else ""
        text = script_source(page.cls.id, experiment.p, speed=experiment.steps_per_frame,
                             frames=worker.frames_taken, device=session.device,
                             title=page.cls.title, note=note, name=path.name)
        try:
            written = atomic_write(path, text.encode("utf-8"), overwrite=True)
        except OSError as exc:
            page.report("warning", f"Export failed: {exc}")
            return None
        mode = default_file_mode()
        with contextlib.suppress(OSError):  # executable where readable, as chmod +x would
            written.chmod(mode | (mode & 0o444) >> 2)
        if note:
            page.report("info", f"Script saved to {written}. This run changed while it went "
                                "(speed, a live value or a click in a view); the script replays "
                                "the final values from the start and can differ. Reset (R) "
                                "and export again for an exact replay.")
        self.window.notify(f"exported {written} ({worker.frames_taken} frames)")
        return written
