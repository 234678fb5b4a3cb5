"""Child process of test_optional_parts.py: the lab as if PyTorch were not installed.

A meta-path finder hides torch from every import system lookup (``import torch`` fails and
``importlib.util.find_spec('torch')`` is None, as on a machine without it). A test experiment
that declares ``needs_torch`` is registered next to the real ones. Prints one JSON object
with what it saw; the test asserts on it.
"""

from __future__ import annotations

import importlib.abc
import io
import json
import os
import sys
import traceback
from contextlib import redirect_stderr


class HideTorch(importlib.abc.MetaPathFinder):
    """Every finder on the meta path, but blind to torch."""

    def __init__(self, finders):
        self.finders = finders

    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            return None
        for finder in self.finders:
            spec = finder.find_spec(name, path, target) if hasattr(finder, "find_spec") \
                else None
            if spec is not None:
                return spec
        return None

    def invalidate_caches(self):
        for finder in self.finders:
            if hasattr(finder, "invalidate_caches"):
                finder.invalidate_caches()


sys.meta_path[:] = [HideTorch(list(sys.meta_path))]
for name in [m for m in sys.modules if m == "torch" or m.startswith("torch.")]:
    del sys.modules[name]

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


from _reliability import TorchProbe  # noqa: E402

import compute  # noqa: E402
from compute import backend, checked_frames, registry  # noqa: E402
from compute.params import ParamError  # noqa: E402


def main() -> None:
    out: dict = {"errors": []}
    try:
        import torch  # noqa: F401

        out["import_torch"] = "succeeded"
    except ImportError:
        out["import_torch"] = "failed"
    out["torch_installed"] = backend.torch_installed()
    out["auto_device"] = backend.resolve_device("auto")
    try:
        backend.resolve_device("cuda")
        out["cuda"] = "accepted"
    except backend.BackendError as exc:
        out["cuda"] = str(exc)

    real = compute.all_experiments()
    registry.register(TorchProbe)

    # every choice of every experiment: accepted and runs, or refused naming the parameter
    refused, ran = [], 0
    for cls in real:
        if cls.needs_torch:
            continue
        for param in cls.params:
            if param.kind != "choice":
                continue
            for choice in param.choices:
                try:
                    exp = cls({param.name: choice}, device="auto")
                except ParamError as exc:
                    refused.append({"id": cls.id, "param": param.name, "choice": choice,
                                    "name": exc.name, "message": exc.message})
                    continue
                except Exception as exc:
                    out["errors"].append(f"{cls.id} {param.name}={choice}: construction "
                                         f"raised {type(exc).__name__}: {exc}")
                    continue
                try:
                    frames = checked_frames(exp)
                    next(frames)
                    frames.close()
                    ran += 1
                except compute.Diverged:
                    ran += 1
                except Exception as exc:
                    out["errors"].append(f"{cls.id} {param.name}={choice}: first frame "
                                         f"raised {type(exc).__name__}: {exc}")
    out["refused"], out["ran"] = refused, ran

    # the command line refuses the same choices with exit status 2, naming the parameter
    from mgai_lab.cli import main as cli_main

    cli = []
    for item in refused:
        err = io.StringIO()
        with redirect_stderr(err):
            code = cli_main(["run", item["id"], "--set", f"{item['param']}={item['choice']}",
                             "--steps", "1", "--out", os.path.join(sys.argv[1], "x.npz")])
        cli.append({"code": code, "stderr": err.getvalue().strip()})
    err = io.StringIO()
    with redirect_stderr(err):
        code = cli_main(["run", TorchProbe.id, "--steps", "1", "--device", "cuda", "--out",
                         os.path.join(sys.argv[1], "y.npz")])
    out["cli"], out["cli_cuda"] = cli, {"code": code, "stderr": err.getvalue().strip()}

    # the browser lists the torch experiment, disabled, with the reason
    from pyqtgraph.Qt import QtWidgets

    from mgai_lab.session import ExperimentSession
    from mgai_lab.settings import Settings
    from mgai_lab.window import MainWindow, unavailable_experiments

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    out["unavailable"] = unavailable_experiments(registry.catalog())
    win = MainWindow(settings=Settings(__import__("pathlib").Path(sys.argv[1]) / "s.json"))
    win.show()
    browser = win.browser
    items = {}
    for exp_id, item in browser.items.items():
        items[exp_id] = {"disabled": item.isDisabled(), "tooltip": item.toolTip(0)}
    browser._show_summary(browser.items[TorchProbe.id])  # what selecting it shows
    out["summary"] = browser.summary.text()
    emitted = []
    browser.open_requested.connect(emitted.append)
    browser._activated(browser.items[TorchProbe.id])
    out["activation_opened"] = bool(emitted)
    out["items"] = items

    # the GUI refuses an optional torch choice with a message naming the parameter
    gui = []
    for item in refused:
        session = ExperimentSession(registry.get(item["id"]), device="auto")
        rejected = []
        session.rejected.connect(lambda name, message, r=rejected: r.append((name, message)))
        accepted = session.set_param(item["param"], item["choice"])
        gui.append({"accepted": accepted, "rejected": rejected})
        session.deleteLater()
    out["gui"] = gui

    # the rest opens and runs in the window (one per chapter: the window's code is the same
    # for all; every experiment's first frame without torch was pulled above)
    shown = {}
    chapters = set()
    for cls in real:
        if cls.needs_torch or cls.chapter() in chapters:
            continue
        chapters.add(cls.chapter())
        page = win.open_experiment(cls.id)
        for _ in range(400):
            app.processEvents()
            if page.frames_shown:
                break
            __import__("time").sleep(0.01)
        shown[cls.id] = page.frames_shown
    out["shown"] = shown
    win.close()
    out["torch_imported"] = "torch" in sys.modules
    print(json.dumps(out))


if __name__ == "__main__":
    try:
        main()
    except Exception:
        print(json.dumps({"crash": traceback.format_exc()}))
