"""Resources: memory that levels off over a run, and runs too big for the machine refused.

* A short soak per experiment (``bench/soak.py --child`` in a fresh process, its defaults,
  every frame drawn by its views offscreen, a few hundred frames or a few seconds): after
  the warm-up the resident memory grows by less than ``GROWTH_LIMIT_MIB``. Histories are
  bounded rings; a run that keeps every frame would blow through the bound. The long version
  is ``python bench/soak.py``.
* With ``compute.backend.available_memory_bytes`` monkeypatched to a tiny value, every
  experiment that declares a ``memory_param`` refuses to start, naming that parameter, from
  the constructor, the GUI session and the page; the others declare none (listed by
  ``test_which_experiments_declare_a_memory_parameter``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _reliability import EXPERIMENTS, IDS, PROBE_IDS, RUNNABLE

from compute import Experiment, backend
from compute.params import ParamError
from mgai_lab.cli import main as cli_main
from mgai_lab.session import ExperimentSession

ROOT = Path(__file__).resolve().parents[2]
SOAK = ROOT / "bench" / "soak.py"
SOAK_FRAMES, SOAK_READINGS, SOAK_SECONDS, MIN_SOAK_FRAMES = 200, 8, 2.5, 40
GROWTH_LIMIT_MIB = 32.0
TINY_MEMORY = 1  # bytes: any positive estimate is over it

DECLARING = [cls for cls in EXPERIMENTS if cls.memory_param]


def test_short_soak_memory_levels_off():
    """The probe experiments in turn, in one fresh process (``bench/soak.py --child IDS``;
    ``bench/soak.py`` soaks them all): growth is measured from each experiment's own
    warm-up reading."""
    command = [sys.executable, str(SOAK), "--child", ",".join(PROBE_IDS),
               "--frames", str(SOAK_FRAMES),
               "--checkpoints", str(SOAK_READINGS), "--seconds", str(SOAK_SECONDS),
               "--views", "--speed", "1"]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["id"] for r in reports] == PROBE_IDS
    problems = []
    for report in reports:
        mib = [round(value / 2**20, 1) for _, value in report["rss"]]
        growth = report["growth_bytes"] / 2**20
        if report["frames"] < MIN_SOAK_FRAMES:
            problems.append(f"{report['id']}: only {report['frames']} frames in "
                            f"{SOAK_SECONDS} s")
        if growth >= GROWTH_LIMIT_MIB:
            problems.append(f"{report['id']}: RSS grew {growth:.1f} MiB after the warm-up "
                            f"(frame {report['warm_frame']}); readings {mib} MiB at frames "
                            f"{[f for f, _ in report['rss']]}")
    assert not problems, "\n".join(problems)


def test_which_experiments_declare_a_memory_parameter():
    """Not a pass/fail of any experiment: the record of who declares what (see the report)."""
    none = [cls.id for cls in EXPERIMENTS if not cls.memory_param]
    print("experiments without a memory_param:", ", ".join(none) or "none")
    for cls in DECLARING:
        assert cls.memory_param in cls.spec(), f"{cls.id}: memory_param names no parameter"
    for cls in EXPERIMENTS:  # an estimate without a parameter to name in the refusal
        if cls.memory_bytes.__func__ is not Experiment.memory_bytes.__func__:
            assert cls.memory_param, f"{cls.id}: memory_bytes without a memory_param"


@pytest.fixture
def tiny_memory(monkeypatch):
    monkeypatch.setattr(backend, "available_memory_bytes", lambda: TINY_MEMORY)


@pytest.mark.parametrize("cls", DECLARING or [None], ids=[c.id for c in DECLARING] or ["none"])
def test_runs_bigger_than_free_memory_are_refused_up_front(cls, tiny_memory, qapp):
    if cls is None:
        pytest.skip("no experiment declares a memory_param")
    name = cls.memory_param
    defaults = cls.spec().defaults()
    assert cls.memory_bytes(defaults) > 0, "the estimate must count something"
    param = cls.spec()[name]
    if param.kind in ("int", "float") and param.max is not None:
        bigger = {**defaults, name: param.coerce(param.max)}
        assert cls.memory_bytes(bigger) >= cls.memory_bytes(defaults), "grows with the param"
    with pytest.raises(ParamError) as info:
        cls(defaults)
    assert info.value.name == name and "memory" in info.value.message
    assert "free" in info.value.message
    # the GUI session reports it, naming the parameter, and runs nothing
    session = ExperimentSession(cls, device="cpu")
    failed = []
    session.failed.connect(lambda message, details: failed.append(message))
    assert session.start(playing=True) is False
    assert session.worker is None and failed and name in failed[0]
    session.close()
    session.deleteLater()


@pytest.mark.parametrize("cls", [c for c in RUNNABLE if not c.memory_param],
                         ids=[c.id for c in RUNNABLE if not c.memory_param])
def test_experiments_without_an_estimate_still_start(cls, tiny_memory):
    """No memory_param, no refusal: the mechanism must not block them by accident."""
    cls(cls.spec().defaults(), device="cpu")


@pytest.mark.parametrize("cls", DECLARING or [None], ids=[c.id for c in DECLARING] or ["none"])
def test_cli_refuses_a_run_bigger_than_free_memory_with_exit_2(cls, tiny_memory, capsys,
                                                               tmp_path):
    if cls is None:
        raise ParamError("none", "no experiment declares a memory_param")
    code = cli_main(["run", cls.id, "--steps", "1", "--out", str(tmp_path / "x.npz")])
    assert code == 2
    assert f"'{cls.memory_param}'" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()


assert IDS  # the registry is not empty (every parametrisation above would be vacuous)
