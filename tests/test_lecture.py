"""Lecture playlists (issue 15 §1): the format, the shipped lectures, and the command line."""

import json
import subprocess
import sys

import pytest

from mgai_lab import lecture
from mgai_lab.cli import main

LANGEVIN = "ch7.langevin-double-well"


def write(path, data):
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def tiny(tmp_path, steps=None):
    """A two-step lecture of small runs (plus any ``steps`` given)."""
    return write(tmp_path / "tiny.json", {"schema": 1, "title": "Tiny", "steps": steps or [
        {"title": "Hot", "experiment": LANGEVIN, "preset": "demo-free-hopping",
         "params": {"n_particles": 40}, "playing": True, "note": "**hot** wells"},
        {"title": "OU", "experiment": "ch7.ou-process", "params": {"n_particles": 100},
         "speed": 2}]})


@pytest.mark.parametrize("path", lecture.shipped(), ids=lambda p: p.name)
def test_every_shipped_lecture_loads_and_every_step_resolves(path):
    loaded = lecture.load(path)
    assert loaded.title and len(loaded.steps) >= 5 and not loaded.warnings
    for index, step in enumerate(loaded.steps):
        assert not step.problem and step.note and step.title
        assert step.preset, "shipped lectures are built from shipped presets"
        resolved = loaded.resolve(index)
        assert resolved.cls.id == step.experiment and resolved.speed >= 1


def test_the_chapter_7_and_9_lectures_are_shipped():
    titles = {lecture.load(p).title for p in lecture.shipped()}
    assert any("From Brownian motion to Langevin sampling" in t for t in titles)
    assert any("Diffusion, speciation and U-turns" in t for t in titles)


def test_a_step_is_defaults_then_preset_then_its_own_values(tmp_path):
    loaded = lecture.load(write(tmp_path / "l.json", {"schema": 1, "title": "t", "steps": [
        {"experiment": LANGEVIN, "preset": "demo-metastability", "params": {"D": 0.07},
         "seed": 5},
        {"experiment": LANGEVIN, "preset": "demo-metastability", "speed": 3}]}))
    first, second = loaded.resolve(0), loaded.resolve(1)
    assert first.values["D"] == 0.07 and first.values["seed"] == 5
    assert first.values["n_particles"] == 20000 and first.speed == 50  # the preset's speed
    assert second.values["D"] == 0.05 and second.speed == 3


def test_bad_steps_are_marked_and_the_rest_still_resolves(tmp_path):
    loaded = lecture.load(write(tmp_path / "l.json", {"schema": 1, "title": "t", "steps": [
        {"experiment": "ch99.nowhere"},
        {"experiment": LANGEVIN, "preset": "no-such-preset"},
        {"experiment": LANGEVIN, "params": {"D": -1}},
        {"experiment": LANGEVIN, "speed": "fast"},
        {"experiment": LANGEVIN, "layout": "sideways"},
        "not a step",
        {"experiment": LANGEVIN, "params": {"typo": 1}, "colour": "red"}]}))
    problems = [step.problem for step in loaded.steps]
    assert "unknown experiment id 'ch99.nowhere'" in problems[0]
    assert "no preset 'no-such-preset'" in problems[1]
    assert "'D'" in problems[2] and "'speed'" in problems[3] and "'layout'" in problems[4]
    assert "not a JSON object" in problems[5]
    assert loaded.playable() == [6]
    assert any("'typo'" in w for w in loaded.warnings)
    assert any("'colour'" in w for w in loaded.warnings)


@pytest.mark.parametrize("content, fragment", [
    ("", "not valid JSON"), ("{trunc", "not valid JSON"), ("[]", "JSON object"),
    ('{"schema": 2, "title": "t", "steps": []}', "schema 2"),
    ('{"schema": 1, "title": "t"}', "'steps'"),
    ('{"schema": 1, "title": 3, "steps": []}', "'title'")])
def test_a_file_that_is_not_a_lecture_is_refused(tmp_path, content, fragment):
    with pytest.raises(lecture.LectureError, match=fragment):
        lecture.load(write(tmp_path / "bad.json", content))


def test_save_is_atomic_refuses_to_overwrite_and_round_trips_bad_steps(tmp_path):
    source = write(tmp_path / "l.json", {"schema": 1, "title": "Round", "steps": [
        {"experiment": "ch99.later", "note": "kept as read"},
        {"title": "Mine", "experiment": LANGEVIN, "preset": "fig-7.7", "note": "*n*"}]})
    loaded = lecture.load(source)
    loaded.move(1, -1)
    target = tmp_path / "out.json"
    lecture.save(target, loaded)
    with pytest.raises(FileExistsError):
        lecture.save(target, loaded)
    again = lecture.load(target)
    assert [s.experiment for s in again.steps] == [LANGEVIN, "ch99.later"]
    assert again.steps[1].raw == {"experiment": "ch99.later", "note": "kept as read"}
    assert again.steps[0].note == "*n*" and again.steps[0].preset == "fig-7.7"
    assert not list(tmp_path.glob("*.part"))


def test_a_step_from_the_current_state_reopens_it_exactly(tmp_path):
    from compute import registry

    cls = registry.get(LANGEVIN)
    values = cls.spec().resolve({"D": 0.42, "seed": 9})
    step = lecture.step_from_state(cls, values, 7, True, "split")
    restored = lecture.from_dict(json.loads(lecture.Lecture("t", [step]).dumps()))
    resolved = restored.resolve(0)
    assert resolved.values == values and resolved.speed == 7
    assert restored.steps[0].playing and restored.steps[0].layout == "split"


# -- command line ----------------------------------------------------------------------
def test_render_lecture_writes_one_video_per_step_and_an_index(tmp_path, capsys, qapp):
    import imageio.v2 as imageio

    out = tmp_path / "slides"
    code = main(["render-lecture", str(tiny(tmp_path)), "--out", str(out), "--frames", "3",
                 "--size", "320x240"])
    assert code == 0, capsys.readouterr().err
    index = json.loads((out / "index.json").read_text())
    assert index["title"] == "Tiny"
    assert [(e["step"], e["title"], e["status"]) for e in index["steps"]] == [
        (1, "Hot", "ok"), (2, "OU", "ok")]
    for entry in index["steps"]:
        reader = imageio.get_reader(out / entry["file"])
        frames = [f for f in reader]
        reader.close()
        assert len(frames) == 3 and frames[0].shape[1] == 320
        assert frames[-1].std() > 1  # not a blank video
    markdown = (out / "index.md").read_text()
    assert "| 1 | Hot | [01-hot.mp4](01-hot.mp4) | ok |" in markdown


def test_render_lecture_skips_a_bad_step_and_renders_the_rest(tmp_path, capsys, qapp):
    path = tiny(tmp_path, [{"title": "Gone", "experiment": "ch99.gone"},
                           {"title": "OU", "experiment": "ch7.ou-process",
                            "params": {"n_particles": 100}}])
    out = tmp_path / "slides"
    code = main(["render-lecture", str(path), "--out", str(out), "--frames", "2",
                 "--size", "320x240"])
    err = capsys.readouterr().err
    assert code == 1 and "ch99.gone" in err
    steps = json.loads((out / "index.json").read_text())["steps"]
    assert steps[0]["status"] == "skipped" and steps[0]["file"] is None
    assert steps[1]["status"] == "ok" and (out / steps[1]["file"]).stat().st_size > 0


@pytest.mark.parametrize("args, fragment", [
    (["render-lecture", "{bad}", "--out", "{tmp}/o"], "not valid JSON"),
    (["render-lecture", "{tiny}", "--out", "{tmp}/no/such/o"], "does not exist"),
    (["render-lecture", "{tiny}", "--out", "{tmp}/o", "--size", "321x240"], "even"),
    (["--lecture", "{bad}"], "lecture refused")])
def test_bad_lecture_input_exits_non_zero_with_one_line(tmp_path, capsys, args, fragment):
    bad = write(tmp_path / "bad.json", "{not json")
    names = {"bad": bad, "tiny": tiny(tmp_path), "tmp": tmp_path}
    code = main([a.format(**names) for a in args])
    err = capsys.readouterr().err
    assert code == 2 and fragment in err and len(err.strip().splitlines()) == 1
    assert bad.read_text() == "{not json"  # nothing lost


def test_gui_opens_a_lecture_from_the_command_line(tmp_path):
    """``mgai-lab --lecture FILE`` opens the first playable step (the lab plays it, saves
    the window to a PNG and quits; the settings then name the experiment it showed)."""
    shot = tmp_path / "shot.png"
    path = tiny(tmp_path, [{"experiment": "ch99.gone"},
                           {"experiment": "ch7.ou-process", "params": {"n_particles": 100}}])
    code = ("import sys; from mgai_lab.cli import main; "
            f"sys.exit(main(['--lecture', {str(path)!r}, '--screenshot', {str(shot)!r}, "
            "'--screenshot-frames', '2', '--size', '900x600']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env=_env(tmp_path))
    assert result.returncode == 0, result.stderr
    from pyqtgraph.Qt import QtGui

    image = QtGui.QImage(str(shot))
    assert image.width() == 900 and image.height() == 600
    settings = json.loads((tmp_path / "config" / "mgai-lab" / "settings.json").read_text())
    assert settings["last_experiment"] == "ch7.ou-process"


def _env(tmp_path):
    import os

    from mgai_lab.qt_app import offscreen_platform

    env = dict(os.environ, QT_QPA_PLATFORM=offscreen_platform(),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    return env
