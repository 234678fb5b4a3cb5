"""`mgai-lab --experiment ID --compare NAME=VALUE`: the GUI opened as an A/B comparison."""

import os
import subprocess
import sys

import pytest
from pyqtgraph.Qt import QtGui

from mgai_lab import app
from mgai_lab.cli import main

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


def test_compare_from_the_command_line_opens_both_pages(tmp_path):
    """The whole launch, in a process of its own (run_gui ends by quitting the application,
    which left the next tests' windows without frames when it ran inside the test process):
    the lab opens A and B, plays, saves the window and quits; the script reports what the
    comparison held."""
    shot = tmp_path / "ab.png"
    code = f"""
import sys
from mgai_lab import compare
from mgai_lab.cli import main

start = compare.CompareActions.start

def reporting_start(self, page, changes):
    comparison = start(self, page, changes)
    a, b = comparison.pages["A"], comparison.pages["B"]
    print("changed", comparison.changed, "A.D", a.session.values["D"],
          "B.D", b.session.values["D"], "linked", self.comparison is comparison, flush=True)
    return comparison

compare.CompareActions.start = reporting_start
sys.exit(main(["--experiment", "{OU}", "--set", "n_particles=200", "--compare", "D=1.5",
               "--screenshot", {str(shot)!r}, "--screenshot-frames", "3",
               "--size", "1600x1000"]))
"""
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert "changed ['D'] A.D 0.5 B.D 1.5 linked True" in result.stdout
    assert QtGui.QImage(str(shot)).size().width() == 1600
