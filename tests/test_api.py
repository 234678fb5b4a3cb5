"""The Python API (mgai_lab.api): Qt-free list/describe/run, validation, presets, rendering."""

import json
import os
import subprocess
import sys
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest
from pyqtgraph.Qt import QtGui

import compute
from compute.experiment import checked_frames
from mgai_lab import api, presets
from mgai_lab.cli import main

ROOT = Path(__file__).resolve().parents[1]
OU = "ch7.ou-process"
SMALL = {"n_particles": 300}


def test_the_api_runs_without_qt_and_renders_leaving_garbage_collection_on(tmp_path):
    """Importing and running never import Qt; rendering does, offscreen, and a script has
    no event loop for the GUI's collector timer, so Python keeps collecting."""
    code = (
        "import gc, json, sys\n"
        "from mgai_lab import api\n"
        f"api.list(); api.describe({OU!r})\n"
        f"run = api.run({OU!r}, params={SMALL!r}, seed=2, frames=3)\n"
        "assert run.last['x'].shape == (300,)\n"
        "print(json.dumps(sorted(m for m in sys.modules\n"
        "                        if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph'))))\n"
        "run.render('v.png', size=(640, 480))\n"
        "print(gc.isenabled())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    modules, collecting = result.stdout.splitlines()
    assert json.loads(modules) == []
    assert collecting == "True" and (tmp_path / "v.png").is_file()


def test_list_and_describe():
    listed = api.list()
    assert [e["id"] for e in listed] == [cls.id for cls in compute.all_experiments()]
    entry = next(e for e in listed if e["id"] == OU)
    assert entry["chapter"] == 7 and entry["section"] == "7.3.3" and entry["title"]
    info = api.describe(OU)
    params = {p["name"]: p for p in info["params"]}
    assert params["D"]["live"] is True and params["n_particles"]["live"] is False
    assert "x" in info["frame_fields"] and "default" in info["presets"]
    with pytest.raises(api.UnknownExperiment, match=r"unknown experiment id 'ch7\.nope'"):
        api.describe("ch7.nope")


def test_run_gives_every_frame_as_numpy_as_the_experiment_does_at_that_speed():
    run = api.run(OU, params=SMALL, seed=5, frames=4, speed=3)
    assert (run.status, run.pulled, len(run.frames), run.speed, run.seed) == ("ok", 4, 4, 3, 5)
    assert [int(f["step"]) for f in run.frames] == [3, 6, 9, 12]
    assert all(isinstance(f["x"], np.ndarray) for f in run.frames)
    assert not np.array_equal(run.frames[0]["x"], run.frames[-1]["x"])  # copies, not aliases
    by_hand = compute.get(OU)({**SMALL, "seed": 5})
    by_hand.set_steps_per_frame(3)
    stream = checked_frames(by_hand)
    for frame in run.frames:
        expected = next(stream)
        for name, value in frame.items():
            np.testing.assert_array_equal(value, expected[name], err_msg=name)
    stream.close()
    last = api.run(OU, params=SMALL, seed=5, frames=4, speed=3, keep="last")
    assert len(last.frames) == 1 and last.pulled == 4
    np.testing.assert_array_equal(last.last["x"], run.last["x"])
    other = api.run(OU, params=SMALL, seed=6, frames=4, speed=3, keep="last")
    assert not np.array_equal(other.last["x"], run.last["x"])
    summary = run.summary()
    assert summary["frames"] == 4 and summary["step"] == 12 and summary["params"]["seed"] == 5


def test_a_preset_gives_its_values_and_speed_and_params_override_it():
    preset = presets.load(presets.resolve(OU, "demo-exact-sampler"), compute.get(OU))
    run = api.run(OU, preset="demo-exact-sampler", params={"n_particles": 200}, frames=1,
                  keep="last")
    expected = {**preset.values, "n_particles": 200}
    assert run.params == expected
    speed = preset.view.get("steps_per_frame")
    assert run.speed == (speed or compute.get(OU).default_steps_per_frame)


@pytest.mark.parametrize(("kwargs", "error", "fragment"), [
    ({"params": {"D": 99}}, api.ParameterError, "parameter 'D': 99 is above the maximum"),
    ({"params": {"bogus": 1}}, api.ParameterError, "parameter 'bogus'"),
    ({"params": {"D": "hot"}}, api.ParameterError, "parameter 'D'"),
    ({"params": {"lam": 10.0, "dt": 0.5}}, api.ParameterError, "parameter 'dt'"),
    ({"seed": -1}, api.ParameterError, "parameter 'seed'"),
    ({"speed": 0}, api.ParameterError, "parameter 'speed'"),
    ({"speed": 2.5}, api.ParameterError, "parameter 'speed'"),
    ({"frames": 0}, api.RunError, "at least 1"),
    ({"keep": "some"}, api.RunError, "keep"),
    ({"device": "tpu"}, api.RunError, "'tpu'"),
    ({"preset": "no-such"}, api.PresetError, "no preset 'no-such'"),
])
def test_bad_input_raises_at_once_naming_it(kwargs, error, fragment):
    with pytest.raises(error) as caught:
        api.run(OU, **{"frames": 1, **kwargs})
    assert fragment in str(caught.value)
    if isinstance(caught.value, api.ParameterError):
        assert caught.value.name in fragment


def test_the_cli_refuses_a_speed_below_one(capsys, tmp_path):
    code = main(["run", OU, "--speed", "0", "--out", str(tmp_path / "x.npz")])
    assert code == 2 and "'speed'" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()


def test_save_npz_and_render_headless(tmp_path, qapp):
    run = api.run(OU, params=SMALL, seed=1, frames=2)
    npz = run.save_npz(tmp_path / "ou.npz")
    with np.load(npz) as data:
        np.testing.assert_array_equal(data["x"], run.last["x"])
        assert str(data["experiment_id"]) == OU
        assert json.loads(str(data["params_json"]))["seed"] == 1
    image = QtGui.QImage(str(run.render(tmp_path / "ou.png", size=(640, 480))))
    assert (image.width(), image.height()) == (640, 480)
    assert len({image.pixel(x, y) for x in range(0, 640, 9) for y in range(0, 480, 9)}) > 20
    rendered = api.render(OU, tmp_path / "again.png", params=SMALL, seed=1, frames=2,
                          size=(640, 480))
    np.testing.assert_array_equal(rendered.last["x"], run.last["x"])
    assert QtGui.QImage(str(tmp_path / "again.png")).width() == 640
    gif = run.render(tmp_path / "ou.gif", size=(640, 480))  # every kept frame
    assert len(imageio.mimread(gif)) == 2
    with pytest.raises(api.RunError, match="keep='all'"):
        rendered.render(tmp_path / "last.gif", size=(640, 480))
    with pytest.raises(api.RunError, match="does not exist"):
        run.render(tmp_path / "missing" / "ou.png")
    with pytest.raises(api.RunError, match="must end in"):
        api.render(OU, tmp_path / "ou.bmp", frames=1)
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("size", [(320, 240), (200, 400)])
def test_a_video_smaller_than_its_views_need_has_the_promised_size(tmp_path, qapp, size):
    """Views that need more room are drawn larger at the same aspect and scaled down; each
    GIF frame then has the size ffmpeg was told (a grab of another size garbled the file:
    frames split and shifted)."""
    run = api.run(OU, params=SMALL, seed=1, frames=3)
    frames = imageio.mimread(run.render(tmp_path / "small.gif", size=size))
    assert len(frames) == 3
    for image in frames:
        assert image.shape[:2] == (size[1], size[0])
        assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 8


def test_drawing_size_keeps_the_aspect_and_fits_the_minimum():
    from pyqtgraph.Qt import QtCore

    from mgai_lab.export import drawing_size

    assert drawing_size((1280, 720), QtCore.QSize(600, 400)) == (1280, 720)
    width, height = drawing_size((320, 240), QtCore.QSize(400, 450))
    assert height >= 450 and width >= 400
    assert width / height == pytest.approx(320 / 240, rel=0.01)
