"""Missing optional parts: no PyTorch, no GPU, no ffmpeg.

* No torch (a child process whose import system cannot see it): ``torch_installed()`` is
  false, ``auto`` resolves to the CPU, experiments that need torch are listed but disabled in
  the browser with the reason, every other experiment opens and runs, and a choice that needs
  torch (e.g. ``score=network``) is refused by the constructor, the GUI and the command line
  with a message naming the parameter — found generically, by trying every choice.
* No GPU: asking for ``cuda`` (or ``mps``) is a BackendError with a clear message, exit status
  2 on the command line and an error in the panel; ``auto`` falls back to the CPU.
* No ffmpeg (imageio-ffmpeg finds none, or the configured one is missing) or a video writer
  that dies mid-recording: recording is refused or stopped with a message, nothing partial
  is written, and the experiment keeps running.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import imageio.v2 as imageio
import imageio_ffmpeg
import pytest
from _reliability import RUNNABLE, TorchProbe

from compute import backend, registry
from mgai_lab import export
from mgai_lab.cli import main as cli_main
from mgai_lab.session import ExperimentSession

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 20_000


# -- no torch --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def no_torch(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("no-torch")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT),
               XDG_CONFIG_HOME=str(out_dir / "config"), XDG_CACHE_HOME=str(out_dir / "cache"))
    result = subprocess.run([sys.executable, str(Path(__file__).with_name("no_torch_child.py")),
                             str(out_dir)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"exit {result.returncode}\n{result.stderr[-3000:]}"
    report = json.loads(lines[-1])
    assert "crash" not in report, report.get("crash")
    return report


def test_without_torch_the_backend_says_so(no_torch):
    assert no_torch["import_torch"] == "failed"
    assert no_torch["torch_installed"] is False
    assert no_torch["auto_device"] == "cpu"
    assert "PyTorch" in no_torch["cuda"]
    assert no_torch["torch_imported"] is False


def test_without_torch_torch_experiments_are_listed_but_disabled(no_torch):
    items = no_torch["items"]
    needing = [exp_id for exp_id in items if exp_id in no_torch["unavailable"]]
    assert TorchProbe.id in needing
    for exp_id, item in items.items():
        if exp_id in no_torch["unavailable"]:
            assert item["disabled"] and "Unavailable" in item["tooltip"], exp_id
            assert "PyTorch" in no_torch["unavailable"][exp_id]
        else:
            assert not item["disabled"], exp_id
    assert "Unavailable" in no_torch["summary"] and "PyTorch" in no_torch["summary"]
    assert not no_torch["activation_opened"], "a disabled experiment opened"
    assert no_torch["cli_cuda"]["code"] == 2 and "PyTorch" in no_torch["cli_cuda"]["stderr"]


def test_without_torch_everything_else_runs(no_torch):
    assert not no_torch["errors"], "\n".join(no_torch["errors"])
    assert no_torch["ran"] > 0
    for exp_id, shown in no_torch["shown"].items():
        assert shown >= 1, f"{exp_id} showed no frame without torch"


def test_without_torch_optional_torch_choices_are_refused_naming_the_parameter(no_torch):
    refused = no_torch["refused"]
    print("choices refused without torch:",
          ", ".join(f"{r['id']} {r['param']}={r['choice']}" for r in refused) or "none")
    for item, cli, gui in zip(refused, no_torch["cli"], no_torch["gui"], strict=True):
        where = f"{item['id']} {item['param']}={item['choice']}"
        assert item["name"] == item["param"], f"{where}: refusal names {item['name']!r}"
        assert "PyTorch" in item["message"], where
        assert cli["code"] == 2 and f"'{item['param']}'" in cli["stderr"], (where, cli)
        assert not gui["accepted"] and gui["rejected"][0][0] == item["param"], (where, gui)


# -- no GPU ------------------------------------------------------------------------------------
@pytest.fixture
def no_gpu(monkeypatch):
    """This machine, or any, seen without CUDA and MPS; the probe experiment registered."""
    if backend.torch_installed():
        torch = backend.import_torch()
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        if getattr(torch.backends, "mps", None) is not None:
            monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setitem(registry._REGISTRY, TorchProbe.id, TorchProbe)


@pytest.mark.parametrize("device", ["cuda", "mps"])
def test_without_a_gpu_asking_for_one_is_a_clear_error(device, no_gpu, capsys, tmp_path,
                                                       qapp):
    with pytest.raises(backend.BackendError, match=device):
        backend.resolve_device(device)
    assert backend.resolve_device("auto") == "cpu"
    code = cli_main(["run", TorchProbe.id, "--device", device, "--steps", "1", "--out",
                     str(tmp_path / "x.npz")])
    err = capsys.readouterr().err
    assert code == 2 and f"'{device}'" in err and "Traceback" not in err
    assert not (tmp_path / "x.npz").exists()
    session = ExperimentSession(TorchProbe, device=device)
    failed = []
    session.failed.connect(lambda message, details: failed.append(message))
    assert session.start() is False and failed and "BackendError" in failed[0]
    session.deleteLater()


def test_without_a_gpu_auto_runs_on_the_cpu(no_gpu, capsys, tmp_path):
    code = cli_main(["run", TorchProbe.id, "--steps", "2", "--out", str(tmp_path / "x.npz")])
    assert code == 0, capsys.readouterr().err
    assert TorchProbe(device="auto").device == "cpu"


# -- no ffmpeg ---------------------------------------------------------------------------------
def no_ffmpeg_found(monkeypatch):
    def missing():
        raise RuntimeError("No ffmpeg exe could be found. Install ffmpeg on your system, or "
                           "set the IMAGEIO_FFMPEG_EXE environment variable.")

    for module in (imageio_ffmpeg, imageio_ffmpeg._utils, imageio_ffmpeg._io):
        monkeypatch.setattr(module, "get_ffmpeg_exe", missing)


def ffmpeg_path_broken(monkeypatch):
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", "/nonexistent/bin/ffmpeg")


@pytest.mark.parametrize("break_ffmpeg", [no_ffmpeg_found, ffmpeg_path_broken],
                         ids=["none-found", "configured-one-missing"])
def test_without_ffmpeg_recording_is_refused_and_nothing_is_written(
        break_ffmpeg, window, qtbot, tmp_path, monkeypatch):
    page = window.open_experiment(RUNNABLE[0].id, playing=True)
    qtbot.waitUntil(lambda: page.frames_shown >= 2, timeout=TIMEOUT_MS)
    break_ffmpeg(monkeypatch)
    videos = tmp_path / "videos"
    videos.mkdir()
    for name in ("run.mp4", "run.gif"):  # both are encoded by ffmpeg
        assert window.exports.start_recording(videos / name) is False
        assert page.message.level == "warning" and "Cannot record" in page.message.text.text()
        assert page.recorder is None and not window.exports.record_action.isChecked()
        assert list(videos.iterdir()) == []  # no video, no temporary
    shown = page.frames_shown  # and the experiment runs on
    qtbot.waitUntil(lambda: page.frames_shown >= shown + 2, timeout=TIMEOUT_MS)


@pytest.mark.parametrize("dies_after", [0, 3], ids=["at-the-first-frame", "mid-recording"])
def test_a_video_writer_that_dies_stops_the_recording_with_a_message(dies_after, window,
                                                                     qtbot, tmp_path,
                                                                     monkeypatch):
    real_get_writer = imageio.get_writer

    class Dying:
        def __init__(self, writer):
            self.writer, self.frames = writer, 0

        def append_data(self, image):
            self.frames += 1
            if self.frames > dies_after:
                raise BrokenPipeError(32, "ffmpeg exited: Broken pipe")
            self.writer.append_data(image)

        def close(self):
            self.writer.close()
            raise RuntimeError("ffmpeg returned exit status 1")

    monkeypatch.setattr(imageio, "get_writer", lambda *a, **k: Dying(real_get_writer(*a, **k)))
    page = window.open_experiment(RUNNABLE[0].id, playing=True)
    qtbot.waitUntil(lambda: page.frames_shown >= 1, timeout=TIMEOUT_MS)
    videos = tmp_path / "videos"
    videos.mkdir()
    started = window.exports.start_recording(videos / "run.mp4")
    if dies_after == 0:  # the frame on screen is recorded at once: refused right there
        assert started is False and page.recorder is None
        assert "Cannot record" in page.message.text.text()
    else:
        assert started
        qtbot.waitUntil(lambda: page.recorder is None, timeout=TIMEOUT_MS)
        assert "Recording" in page.message.text.text()
    assert page.message.level == "warning"
    assert not window.exports.record_action.isChecked(), "the record button still says recording"
    assert not window.exports.indicator.isVisibleTo(window)
    assert list(videos.iterdir()) == []  # nothing partial kept
    shown = page.frames_shown
    qtbot.waitUntil(lambda: page.frames_shown >= shown + 2, timeout=TIMEOUT_MS)


def test_recorder_refuses_up_front_when_ffmpeg_is_missing(tmp_path, monkeypatch, qapp):
    """The export layer itself: an ExportError at construction, no file left."""
    no_ffmpeg_found(monkeypatch)
    with pytest.raises(export.ExportError, match="ffmpeg"):
        export.Recorder(RUNNABLE[0], tmp_path / "r.mp4", window_theme())
    assert list(tmp_path.iterdir()) == []


def window_theme():
    from panels.theme import LIGHT

    return LIGHT
