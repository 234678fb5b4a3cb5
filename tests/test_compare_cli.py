"""`mgai-lab --experiment ID --compare NAME=VALUE`: the GUI opened as an A/B comparison."""

import pytest
from pyqtgraph.Qt import QtGui

from mgai_lab import app, compare
from mgai_lab.cli import main
from mgai_lab.window import MainWindow

OU = "ch7.ou-process"


@pytest.fixture
def launched(monkeypatch):
    """run_gui's arguments, without starting the GUI."""
    calls = []
    monkeypatch.setattr(app, "run_gui", lambda *args, **kwargs: calls.append((args, kwargs)) or 0)
    return calls


def test_compare_passes_b_values_with_a_seed(launched):
    assert main(["--experiment", OU, "--set", "seed=7", "--compare", "lam=3",
                 "--compare", "integrator=exact"]) == 0
    (experiment_id, values), kwargs = launched[0]
    b = kwargs["compare"]
    assert experiment_id == OU and values["lam"] == 1.0 and values["seed"] == 7
    assert b["lam"] == 3.0 and b["integrator"] == "exact" and b["seed"] == 7


@pytest.mark.parametrize("assignment, fragment", [
    ("lam=1", "Nothing differs"),  # λ's default: B would be A
    ("seed=5", "share the seed"),
    ("nope=1", "nope"),
    ("lam=abc", "lam"),
    ("lam=99", "lam"),  # outside its range
    ("dt=2", "unstable"),  # a combination the experiment refuses
])
def test_bad_compare_exits_2_with_one_line(capsys, launched, assignment, fragment):
    assert main(["--experiment", OU, "--compare", assignment]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "--compare" in err and len(err.strip().splitlines()) == 1
    assert launched == []


def test_compare_from_the_command_line_opens_both_pages(qapp, tmp_path, monkeypatch):
    started = []
    start = compare.CompareActions.start
    monkeypatch.setattr(compare.CompareActions, "start",
                        lambda self, page, changes: started.append(start(self, page, changes))
                        or started[-1])
    shot = tmp_path / "ab.png"
    assert main(["--experiment", OU, "--set", "n_particles=200", "--compare", "D=1.5",
                 "--screenshot", str(shot), "--screenshot-frames", "3",
                 "--size", "1600x1000"]) == 0
    comparison = started[0]
    assert comparison is not None and comparison.changed == ["D"]
    a, b = comparison.pages["A"], comparison.pages["B"]
    assert b.session.values["D"] == 1.5 and a.session.values["D"] == 0.5
    assert QtGui.QImage(str(shot)).size().width() == 1600
    window = a.window()
    assert isinstance(window, MainWindow) and window.compare.comparison is comparison
    # run_gui's window outlives its event loop here: close it, as quitting the app would
    qapp.aboutToQuit.disconnect(window.shutdown)
    window.close()
    window.deleteLater()
