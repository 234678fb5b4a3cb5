"""Files: bad presets, bad layouts and settings, saves killed mid-write, a read-only config.

* Presets that are empty, truncated, binary garbage, of a future schema, for another
  experiment or with wrong types are refused with a message in the experiment's panel, for
  every experiment, from a file and from the clipboard; the file on disk and the running
  experiment (values, run, transport) are unchanged.
* Saved dock layouts that are truncated, empty, garbage, of another layout version or of the
  wrong type fall back to the default layout with a message; settings files that are
  truncated, empty, garbage or of a future schema are set aside (kept byte for byte) with a
  message and the lab starts with defaults.
* A preset or settings save SIGKILLed in the middle of its write (a child process, paused
  half-way through its data by a wrapper of the lab's atomic writer) leaves the previous file
  intact and loadable; a big raw write killed at random moments leaves the old or the new
  file, never a mixture.
* A config directory that cannot be written (its path runs through a regular file, which
  stops root too; or writes fail with EROFS) gives messages, not crashes: settings save,
  user preset save, the equation cache.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _reliability import PROBE_IDS, RUNNABLE
from pyqtgraph.Qt import QtCore, QtWidgets

from mgai_lab import equations, presets
from mgai_lab.settings import SCHEMA, Settings
from mgai_lab.window import MainWindow, layout_version

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("kill_writer.py")
TIMEOUT_MS = 20_000


def bad_presets(cls) -> dict[str, bytes]:
    """Named bad preset files for ``cls``, built from its own valid preset."""
    good = presets.dumps(cls, cls.spec().defaults(), {"steps_per_frame": 2}).encode()
    rng = random.Random(cls.id)
    other = next((c for c in RUNNABLE if c is not cls), None)
    data = json.loads(good)
    out = {
        "empty": b"",
        "whitespace": b" \n\t",
        "truncated-quarter": good[: len(good) // 4],
        "truncated-half": good[: len(good) // 2],
        "truncated-last-byte": good[:-2],
        "binary-garbage": bytes(rng.randrange(256) for _ in range(600)),
        "nul-bytes": b"\x00" * 64,
        "utf16": good.decode().encode("utf-16"),
        "json-array": b"[1, 2, 3]",
        "json-string": b'"preset"',
        "future-schema": json.dumps({**data, "schema": SCHEMA + 1}).encode(),
        "far-future-schema": json.dumps({**data, "schema": 99}).encode(),
        "schema-as-text": json.dumps({**data, "schema": "1"}).encode(),
        "no-schema": json.dumps({k: v for k, v in data.items() if k != "schema"}).encode(),
        "no-experiment": json.dumps({k: v for k, v in data.items() if k != "experiment"})
        .encode(),
        "params-not-object": json.dumps({**data, "params": [1, 2]}).encode(),
        "too-large": b'{"schema": 1, "pad": "' + b"x" * 1_100_000 + b'"}',
    }
    if other is not None:
        out["other-experiment"] = presets.dumps(other, other.spec().defaults()).encode()
    numeric = next((p for p in cls.params if p.kind in ("float", "int")), None)
    if numeric is not None:
        wrong = json.loads(good)
        params = wrong.setdefault("params", {})
        params[numeric.name] = "a string"
        out["wrong-type"] = json.dumps(wrong).encode()
        params[numeric.name] = float("nan")
        out["nan"] = json.dumps(wrong).encode()
        params[numeric.name] = 1e308
        out["out-of-range"] = json.dumps(wrong).encode()
    return out


@pytest.mark.parametrize("exp_id", PROBE_IDS)
def test_bad_presets_are_refused_and_change_nothing(window, qtbot, tmp_path, exp_id):
    """Every kind of bad file, through the window (one experiment per chapter: reading a
    file is the same code for all; each experiment's own bad values are refused by name in
    test_bad_parameters.py)."""
    page = window.open_experiment(exp_id, playing=True)
    qtbot.waitUntil(lambda: page.frames_shown >= 1, timeout=TIMEOUT_MS)
    clipboard = QtWidgets.QApplication.clipboard()
    for name, content in bad_presets(page.cls).items():
        path = tmp_path / f"{name}.json"
        path.write_bytes(content)
        values, generation = dict(page.session.values), page.session.generation
        speed, playing = page.session.speed, page.session.playing
        assert not window.presets.apply_file(path), name
        assert page.message.level == "warning", name
        assert "Preset refused" in page.message.text.text(), (name, page.message.text.text())
        assert path.read_bytes() == content, f"{name}: the file was changed"
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            text = content.decode("latin-1")
        clipboard.setText(text)
        assert not window.presets.paste(), name
        assert "Preset refused" in page.message.text.text(), name
        state = (page.session.values, page.session.generation, page.session.speed,
                 page.session.playing)
        assert state == (values, generation, speed, playing), f"{name} changed the run"
    # and the run goes on
    start = page.frames_shown
    qtbot.waitUntil(lambda: page.frames_shown > start or page.message.level == "info",
                    timeout=TIMEOUT_MS)


# -- layouts and the settings file ------------------------------------------------------------
def layout_variants(state: bytes, foreign: bytes | None) -> dict[str, object]:
    rng = random.Random(len(state))
    out: dict[str, object] = {
        "truncated": base64.b64encode(state[: len(state) // 2]).decode(),
        "empty": "",
        "garbage": base64.b64encode(bytes(rng.randrange(256) for _ in range(300))).decode(),
        "not-base64": "%%% not base64 %%%",
        "wrong-type": 12345,
        "future-version": None,  # filled in by the test (another saveState version)
    }
    if foreign is not None:
        out["other-experiment"] = base64.b64encode(foreign).decode()
    return out


def dock_picture(page) -> dict[str, tuple[bool, bool]]:
    return {key: (dock.isVisibleTo(page), dock.isFloating()) for key, dock in page.docks.items()}


@pytest.fixture(scope="module")
def saved_states(qapp, tmp_path_factory):
    """Dock layouts as the window saves them: the first experiment's, one of another
    layout version, and one of another experiment that hides every dock it names."""
    cls = RUNNABLE[0]
    other = RUNNABLE[1] if len(RUNNABLE) > 1 else None
    probe = MainWindow(settings=Settings(tmp_path_factory.mktemp("probe") / "s.json"))
    probe.show()
    page = probe.open_experiment(cls.id)
    default = dock_picture(page)
    state = bytes(page.saveState(layout_version(cls.id)))
    future = bytes(page.saveState(layout_version(cls.id) + 1))
    foreign = None
    if other is not None:
        other_page = probe.open_experiment(other.id)
        for dock in other_page.docks.values():  # hides 'parameters', a name both share
            dock.hide()
        foreign = bytes(other_page.saveState(layout_version(other.id)))
    probe.close()
    probe.deleteLater()
    return cls, default, state, future, foreign


@pytest.mark.parametrize("variant", ["truncated", "empty", "garbage", "not-base64",
                                     "wrong-type", "future-version", "other-experiment"])
def test_bad_saved_layouts_fall_back_to_the_default_with_a_message(variant, saved_states,
                                                                   no_leaks, qtbot, tmp_path):
    cls, default, state, future, foreign = saved_states
    variants = layout_variants(state, foreign)
    if variant not in variants:
        pytest.skip("only one experiment is registered")
    value = variants[variant]
    if variant == "future-version":
        value = base64.b64encode(future).decode()
    settings_file = tmp_path / "settings.json"
    content = json.dumps({"schema": SCHEMA, "layouts": {cls.id: value}}).encode()
    settings_file.write_bytes(content)

    win = MainWindow(settings=Settings(settings_file))
    qtbot.addWidget(win)
    win.show()
    try:
        messages = []
        win.statusBar().messageChanged.connect(messages.append)
        page = win.open_experiment(cls.id, playing=True)
        assert any("layout" in m and "default" in m for m in messages), (variant, messages)
        assert dock_picture(page) == default, variant
        assert settings_file.read_bytes() == content  # nothing written before the close
        qtbot.waitUntil(lambda: page.frames_shown >= 1, timeout=TIMEOUT_MS)
    finally:
        win.close()


@pytest.mark.parametrize(("name", "content"), [
    ("empty", b""),
    ("truncated", b'{"schema": 1, "theme": "da'),
    ("garbage", bytes(random.Random(1).randrange(256) for _ in range(500))),
    ("future-schema", json.dumps({"schema": SCHEMA + 1, "theme": "dark"}).encode()),
    ("not-an-object", b"[]"),
])
def test_bad_settings_files_are_set_aside_byte_for_byte(name, content, no_leaks, qtbot,
                                                        tmp_path):
    settings_file = tmp_path / "settings.json"
    settings_file.write_bytes(content)
    settings = Settings(settings_file)
    assert settings.problems, name
    assert settings.get("theme") == "light" and settings.get("layouts") == {}
    backups = [p for p in tmp_path.iterdir() if p.name.startswith("settings.json.bad-")]
    assert len(backups) == 1 and backups[0].read_bytes() == content
    win = MainWindow(settings=settings)
    qtbot.addWidget(win)
    win.show()
    assert settings.problems[0][:20] in win.statusBar().currentMessage()
    page = win.open_experiment(RUNNABLE[0].id, playing=True)
    qtbot.waitUntil(lambda: page.frames_shown >= 1, timeout=TIMEOUT_MS)
    win.close()
    assert json.loads(settings_file.read_text())["schema"] == SCHEMA  # a fresh, good file


# -- saves killed in the middle of their write --------------------------------------------------
def run_child(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen([sys.executable, str(CHILD), *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill_when_half_written(child: subprocess.Popen) -> Path:
    line = child.stdout.readline()  # blocks until the child is half-way through its data
    assert line.startswith("HALF "), (line, child.stderr.read() if child.poll() else "")
    temporary = Path(line.split(" ", 1)[1].strip())
    assert temporary.exists() and temporary.stat().st_size > 0  # really mid-write
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    child.stdout.close()
    child.stderr.close()
    return temporary


def test_a_preset_save_killed_mid_write_leaves_the_previous_file(tmp_path):
    cls = RUNNABLE[0]
    path = tmp_path / "mine.json"
    presets.save(path, cls, cls.spec().defaults(), {"steps_per_frame": 9})
    before = path.read_bytes()
    temporary = kill_when_half_written(run_child("preset", str(path)))
    assert path.read_bytes() == before
    assert presets.load(path, cls).view == {"steps_per_frame": 9}
    # the half-written temporary stays (nothing could clean it up) but is never a preset
    assert temporary.exists() and temporary.name.startswith(".mine.json.")
    listed = [p for _, p, _ in presets.list_presets(cls.id)]
    assert temporary not in listed
    # and the next save goes through
    presets.save(path, cls, cls.spec().defaults(), {"steps_per_frame": 4}, overwrite=True)
    assert presets.load(path, cls).view == {"steps_per_frame": 4}


def test_a_settings_save_killed_mid_write_leaves_the_previous_file(tmp_path):
    path = tmp_path / "settings.json"
    settings = Settings(path)
    settings.set("theme", "dark")
    assert settings.save() is None
    before = path.read_bytes()
    kill_when_half_written(run_child("settings", str(path)))
    assert path.read_bytes() == before
    again = Settings(path)
    assert again.get("theme") == "dark" and not again.problems


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15, 0.4])
def test_a_big_write_killed_at_any_moment_leaves_old_or_new_never_a_mixture(delay,
                                                                              tmp_path):
    path = tmp_path / "big.bin"
    old = b"O" * 1000
    path.write_bytes(old)
    size = 150_000_000
    child = run_child("raw", str(path), str(size))
    assert child.stdout.readline().startswith("START")
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    child.stdout.close()
    child.stderr.close()
    content_size = path.stat().st_size
    if content_size == len(old):
        assert path.read_bytes() == old
    else:  # the rename happened: the whole new file
        assert content_size == size
        with open(path, "rb") as handle:
            assert handle.read(16) == b"N" * 16
            handle.seek(size - 16)
            assert handle.read() == b"N" * 16
    for leftover in tmp_path.glob(".big.bin.*.part"):
        leftover.unlink()


# -- a config directory that cannot be written ----------------------------------------------
@pytest.fixture
def unwritable_config(monkeypatch, tmp_path):
    """The lab's config and cache directories lie under regular files (root cannot write
    there either)."""
    config_home, cache_home = tmp_path / "config", tmp_path / "cache"
    config_home.mkdir()
    cache_home.mkdir()
    (config_home / "mgai-lab").write_text("a file where the lab's config directory goes")
    (cache_home / "mgai-lab").write_text("a file where the lab's cache directory goes")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    return config_home, cache_home


def test_a_config_directory_that_cannot_be_written_gives_messages_not_crashes(
        unwritable_config, no_leaks, qtbot, capfd):
    config_home, cache_home = unwritable_config
    win = MainWindow()  # the default settings location, under the blocked directory
    qtbot.addWidget(win)
    win.show()
    page = win.open_experiment(RUNNABLE[0].id, playing=True)
    qtbot.waitUntil(lambda: page.frames_shown >= 1, timeout=TIMEOUT_MS)
    page.explanation.render_equations()  # the equation cache cannot be written
    assert page.explanation.equations_ready
    if page.cls.equations:
        resource = page.explanation.document().resource(
            2, QtCore.QUrl("eq://0"))  # QTextDocument.ImageResource
        assert resource is not None and not resource.isNull()
    assert window_save_user_preset(win, page) is None
    assert "Preset not saved" in page.message.text.text()
    assert win.settings.save().startswith("settings not saved")
    win.close()
    assert "settings not saved" in capfd.readouterr().err
    assert (config_home / "mgai-lab").is_file() and (cache_home / "mgai-lab").is_file()


def window_save_user_preset(win, page):
    """What File > Save as my preset does once the name is typed."""
    return win.presets.save_to(presets.user_dir(page.cls.id) / "mine.json")


def test_read_only_file_system_errors_give_messages_not_crashes(no_leaks, qtbot, tmp_path,
                                                               monkeypatch, capfd):
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    win = MainWindow(settings=Settings(tmp_path / "settings.json"))
    qtbot.addWidget(win)
    win.show()
    page = win.open_experiment(RUNNABLE[0].id)
    monkeypatch.setattr(os, "replace", read_only)
    monkeypatch.setattr(equations, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(Path, "write_bytes", read_only)
    assert window_save_user_preset(win, page) is None
    assert "Read-only file system" in page.message.text.text()
    assert "Read-only" in win.settings.save()
    assert equations.equation_png(r"$x^2$")[:4] == b"\x89PNG"  # rendered, just not cached
    win.close()
    monkeypatch.undo()
    assert "settings not saved" in capfd.readouterr().err
    assert [p.name for p in tmp_path.iterdir() if ".part" in p.name] == []
