"""Presets: shipped files, validation of bad files, atomic never-overwriting saves."""

import json
import os

import pytest

import compute
from mgai_lab import presets

EXPERIMENTS = compute.all_experiments()
LANGEVIN = compute.get("ch7.langevin-double-well")


@pytest.mark.parametrize("cls", EXPERIMENTS, ids=[c.id for c in EXPERIMENTS])
def test_every_experiment_ships_a_default_preset_equal_to_its_defaults(cls):
    path = presets.shipped_dir(cls.id) / "default.json"
    assert path.is_file(), f"{path} is missing"
    preset = presets.load(path, cls)
    assert preset.values == cls.spec().defaults()
    assert not preset.warnings


def _shipped():
    for cls in EXPERIMENTS:
        for name, path, shipped in presets.list_presets(cls.id):
            if shipped:
                yield pytest.param(cls, path, id=f"{cls.id}/{name}")


@pytest.mark.parametrize(("cls", "path"), list(_shipped()))
def test_every_shipped_preset_loads_cleanly_and_runs(cls, path):
    preset = presets.load(path, cls)
    assert not preset.warnings, preset.warnings
    frames = compute.checked_frames(cls(preset.values))
    next(frames)
    frames.close()


def test_book_figure_preset_has_the_books_values():
    preset = presets.load(presets.resolve(LANGEVIN.id, "fig-7.7"), LANGEVIN)
    assert preset.values["D"] == 0.3 and preset.values["dt"] == 1e-3
    assert preset.values["n_particles"] == 30 and preset.values["x0"] == 0.0


def write(tmp_path, data, name="p.json"):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return path


def good(**params):
    return {"schema": 1, "experiment": LANGEVIN.id, "params": params, "seed": 5}


@pytest.mark.parametrize(("data", "fragment"), [
    (b"", "not valid JSON"),
    (b'{"schema": 1, "experiment": "ch7.langevin-double-well", "par', "not valid JSON"),
    (bytes(range(256)) * 4, "cannot read"),
    (b"[1, 2, 3]", "JSON object"),
    ({"schema": 2, "experiment": LANGEVIN.id, "params": {}}, "newer version"),
    ({"experiment": LANGEVIN.id, "params": {}}, "schema"),
    ({"schema": 1, "experiment": "ch3.optimizer-zoo", "params": {}}, "is for ch3.optimizer-zoo"),
    ({"schema": 1, "experiment": "ch99.nothing", "params": {}}, "is for ch99.nothing"),
    (good(D="hot"), "'D'"),
    (good(D=99.0), "'D': 99 is above the maximum"),
    (good(n_particles=2.5), "'n_particles'"),
    (good(potential="flat"), "'potential'"),
    ({"schema": 1, "experiment": LANGEVIN.id, "params": [1]}, "'params' must be an object"),
    ({"schema": 1, "experiment": LANGEVIN.id, "params": {}, "seed": -4}, "'seed'"),
])
def test_bad_files_are_refused_with_a_message(tmp_path, data, fragment):
    path = write(tmp_path, data)
    before = path.read_bytes()
    with pytest.raises(presets.PresetError) as info:
        presets.load(path, LANGEVIN)
    assert fragment in str(info.value)
    assert path.read_bytes() == before


def test_unknown_keys_warn_and_missing_keys_take_defaults(tmp_path):
    data = good(D=0.7, colour="red")
    data["extra"] = 1
    preset = presets.load(write(tmp_path, data), LANGEVIN)
    assert preset.values["D"] == 0.7 and preset.values["seed"] == 5
    assert preset.values["n_particles"] == LANGEVIN.spec().defaults()["n_particles"]
    assert any("'colour'" in w for w in preset.warnings)
    assert any("'extra'" in w for w in preset.warnings)


def test_save_load_round_trip_and_no_silent_overwrite(tmp_path):
    values = LANGEVIN.spec().resolve({"D": 0.9, "potential": "triple-well", "seed": 11})
    path = presets.save(tmp_path / "mine.json", LANGEVIN, values, {"steps_per_frame": 7})
    loaded = presets.load(path, LANGEVIN)
    assert loaded.values == values and loaded.view == {"steps_per_frame": 7}
    before = path.read_bytes()
    other = LANGEVIN.spec().resolve({"D": 0.2})
    with pytest.raises(FileExistsError):
        presets.save(path, LANGEVIN, other)
    assert path.read_bytes() == before
    presets.save(path, LANGEVIN, other, overwrite=True)
    assert presets.load(path, LANGEVIN).values["D"] == 0.2


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = presets.save(tmp_path / "p.json", LANGEVIN, LANGEVIN.spec().defaults())
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(os, "fsync", crash)  # dies after writing, before the rename
    with pytest.raises(KeyboardInterrupt):
        presets.save(path, LANGEVIN, LANGEVIN.spec().resolve({"D": 1.0}), overwrite=True)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]  # no temporary left behind


def test_unwritable_directory_gives_an_error_not_a_crash(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")  # unwritable even for root
    with pytest.raises(OSError):
        presets.save(blocker / "p.json", LANGEVIN, LANGEVIN.spec().defaults())
    assert blocker.read_text().startswith("a file")


def test_resolve_names_and_files(tmp_path):
    assert presets.resolve(LANGEVIN.id, "default").name == "default.json"
    path = presets.save(tmp_path / "x.json", LANGEVIN, LANGEVIN.spec().defaults())
    assert presets.resolve(LANGEVIN.id, str(path)) == path
    with pytest.raises(presets.PresetError, match=r"available: .*default"):
        presets.resolve(LANGEVIN.id, "nope")


def test_user_presets_are_listed_after_shipped_ones():
    user = presets.save(presets.user_dir(LANGEVIN.id) / "zzz.json", LANGEVIN,
                        LANGEVIN.spec().defaults(), create_folder=True)
    listed = presets.list_presets(LANGEVIN.id)
    assert listed[-1] == ("zzz", user, False)
    assert all(shipped for _, _, shipped in listed[:-1])
