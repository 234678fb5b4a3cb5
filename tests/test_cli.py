"""The command line (DESIGN §8): list, describe, run, render, and bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest
from pyqtgraph.Qt import QtGui

import compute
from compute import registry
from mgai_lab import presets
from mgai_lab.cli import main

# the renderer is the same code for every experiment: one per chapter (and one needing
# torch) renders here; every experiment is drawn in a view grid by the fuzzing and in the
# window by the layout audit
RENDER_IDS = [cls.id for cls in registry.representatives(compute.all_experiments())]
LANGEVIN = "ch7.langevin-double-well"


def run_cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_text_and_json(capsys):
    code, out, _ = run_cli(capsys, "list")
    assert code == 0 and "Chapter 7" in out and LANGEVIN in out
    code, out, _ = run_cli(capsys, "list", "--json")
    listed = json.loads(out)
    assert code == 0 and [e["id"] for e in listed] == [c.id for c in compute.all_experiments()]


def test_describe_gives_params_with_ranges_and_liveness(capsys):
    code, out, _ = run_cli(capsys, "describe", LANGEVIN)
    info = json.loads(out)
    params = {p["name"]: p for p in info["params"]}
    assert code == 0
    assert params["D"]["default"] == 0.3 and params["D"]["live"] is True
    assert params["n_particles"]["live"] is False and params["n_particles"]["max"] >= 1e5
    assert "x" in info["frame_fields"] and info["views"]


def test_run_writes_npz_and_one_line_summary(capsys, tmp_path):
    out_file = tmp_path / "run.npz"
    code, out, _ = run_cli(capsys, "run", LANGEVIN, "--set", "D=0.5", "--set",
                           "n_particles=200", "--seed", "4", "--steps", "7", "--out", str(out_file))
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["status"] == "ok" and summary["frames"] == 7
    assert summary["params"]["D"] == 0.5 and summary["params"]["seed"] == 4
    with np.load(out_file) as data:
        assert data["x"].shape == (200,)
        steps_per_frame = compute.get(LANGEVIN).default_steps_per_frame
        assert int(data["step"]) == summary["step"] == 7 * steps_per_frame
        assert json.loads(str(data["params_json"]))["n_particles"] == 200
        assert "right_fraction" in data  # history arrays travel with the frame


def test_run_is_reproducible_by_seed(capsys, tmp_path):
    paths = []
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        paths.append(tmp_path / f"{name}.npz")
        assert run_cli(capsys, "run", LANGEVIN, "--seed", str(seed), "--steps", "5",
                       "--out", str(paths[-1]))[0] == 0
    with np.load(paths[0]) as a, np.load(paths[1]) as b, np.load(paths[2]) as c:
        np.testing.assert_array_equal(a["x"], b["x"])
        assert not np.array_equal(a["x"], c["x"])


@pytest.mark.parametrize(("args", "fragment"), [
    (["describe", "ch7.no-such"], "unknown experiment id 'ch7.no-such'"),
    (["run", "ch7.no-such", "--out", "x.npz"], "unknown experiment id"),
    (["run", LANGEVIN, "--set", "bogus=1", "--out", "x.npz"], "'bogus'"),
    (["run", LANGEVIN, "--set", "D=abc", "--out", "x.npz"], "'D'"),
    (["run", LANGEVIN, "--set", "D=99", "--out", "x.npz"], "'D': 99 is above the maximum"),
    (["run", LANGEVIN, "--set", "D=nan", "--out", "x.npz"], "'D'"),
    (["run", LANGEVIN, "--set", "n_particles=0", "--out", "x.npz"], "'n_particles'"),
    (["run", LANGEVIN, "--set", "potential=flat", "--out", "x.npz"], "'potential'"),
    (["run", LANGEVIN, "--steps", "0", "--out", "x.npz"], "at least 1"),
    (["run", LANGEVIN, "--out", "x.csv"], ".npz"),
    (["run", LANGEVIN, "--preset", "no-such-preset", "--out", "x.npz"], "no preset"),
    (["render", LANGEVIN, "--size", "big", "--out", "x.png"], "--size"),
])
def test_bad_input_exits_non_zero_naming_it(capsys, tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert fragment in err
    assert not (tmp_path / "x.npz").exists() and not (tmp_path / "x.png").exists()


def test_bad_preset_file_is_refused_with_the_key(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": 1, "experiment": LANGEVIN, "params": {"D": "hot"}}))
    code, _, err = run_cli(capsys, "run", LANGEVIN, "--preset", str(bad), "--out",
                           str(tmp_path / "x.npz"))
    assert code == 2 and "'D'" in err
    bad.write_text("{not json")
    code, _, err = run_cli(capsys, "run", LANGEVIN, "--preset", str(bad), "--out",
                           str(tmp_path / "x.npz"))
    assert code == 2 and "not valid JSON" in err


def test_preset_file_sets_values_and_warns_on_unknown_keys(capsys, tmp_path):
    preset = tmp_path / "p.json"
    cls = compute.get(LANGEVIN)
    data = presets.to_dict(cls, {**cls.spec().defaults(), "D": 0.7, "seed": 9})
    data["params"]["colour"] = "red"
    preset.write_text(json.dumps(data))
    code, out, err = run_cli(capsys, "run", LANGEVIN, "--preset", str(preset), "--steps", "2",
                             "--out", str(tmp_path / "x.npz"))
    summary = json.loads(out)
    assert code == 0 and summary["params"]["D"] == 0.7 and summary["params"]["seed"] == 9
    assert "unknown parameter 'colour' ignored" in err


@pytest.mark.parametrize("exp_id", RENDER_IDS)
def test_render_png_is_not_blank(capsys, tmp_path, qapp, exp_id):
    out_file = tmp_path / "view.png"
    code, out, _ = run_cli(capsys, "render", exp_id, "--frames", "2", "--size", "640x480",
                           "--out", str(out_file))
    assert code == 0, out
    image = QtGui.QImage(str(out_file))
    assert (image.width(), image.height()) == (640, 480)
    # many distinct colours: axes, text, data — not a uniform background
    sample = {image.pixel(x, y) for x in range(0, 640, 7) for y in range(0, 480, 7)}
    assert len(sample) > 20


def test_python_dash_m_entry_point():
    result = subprocess.run([sys.executable, "-m", "mgai_lab", "list", "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert LANGEVIN in [e["id"] for e in json.loads(result.stdout)]
    result = subprocess.run([sys.executable, "-m", "mgai_lab", "describe", "nope"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "unknown experiment id 'nope'" in result.stderr
