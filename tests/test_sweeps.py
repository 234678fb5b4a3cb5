"""``mgai-lab sweep`` (issue 15 §4): a grid in a local process pool or on a Dask cluster,
one CSV row per run, resumed after an interruption, plotted headless; bad input refused."""

import csv
import json
import sys

import numpy as np
import pytest

from compute.experiments.ch2_heat import Heat1D
from mgai_lab import sweeps
from mgai_lab.cli import main

HEAT = "ch2.heat-1d-linear-system"  # cheap; forward Euler diverges for dt > 0.5 (D = 1)
# 3 step sizes (the last diverges) on a profile that depends on the seed
GRID = ["--vary", "dt=0.1:0.6:3", "--set", "T=20", "--set", "initial=random", "--steps", "20",
        "--metric", "mass", "--metric", "center_hist[-1]"]


def sweep(capsys, *args):
    code = main(["sweep", HEAT, *args])
    out, err = capsys.readouterr()
    return code, out, err


def read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_local_sweep_writes_a_row_per_run_plots_and_resumes(capsys, tmp_path, monkeypatch):
    # the local pool never imports dask: an import of it would fail here
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.setitem(sys.modules, "dask", None)
    out, plot = tmp_path / "sweep.csv", tmp_path / "sweep.png"
    args = [*GRID, "--seeds", "2", "--out", str(out), "--plot", str(plot), "--workers", "2"]
    code, stdout, err = sweep(capsys, *args)
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["runs"] == 6 and summary["ok"] == 4 and summary["diverged"] == 2
    assert "6/6 runs" in err  # the progress bar
    rows = read(out)
    assert len(rows) == 6
    assert {(r["dt"], r["seed"]) for r in rows} == {(dt, s) for dt in ("0.1", "0.35", "0.6")
                                                    for s in ("0", "1")}
    for row in rows:
        assert row["experiment"] == HEAT and row["T"] == "20.0" and row["steps"] == "20"
        assert float(row["seconds"]) >= 0
        if row["dt"] == "0.6":
            assert row["status"] == "diverged" and "diverged at step" in row["message"]
            assert row["mass"] == row["center_hist[-1]"] == ""
        else:
            assert row["status"] == "ok" and row["message"] == ""
            assert np.isfinite(float(row["mass"]))
    # the seed is a real seed: two different profiles, the same for the same seed
    masses = {(r["dt"], r["seed"]): r["mass"] for r in rows}
    assert masses["0.1", "0"] != masses["0.1", "1"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000

    # the same command again: nothing to recompute, nothing changed
    before = out.read_bytes()
    code, stdout, err = sweep(capsys, *args[:-4])  # (without the plot and workers)
    assert code == 0 and json.loads(stdout)["skipped"] == 6 and "6 of 6 runs" in err
    assert out.read_bytes() == before

    # an interrupted sweep: a row lost, the last one cut off inside its quoted message
    header, *body = before.decode().splitlines(keepends=True)
    cut = next(line for line in body if '"diverged at' in line)
    kept = [line for line in body if line is not cut][:4]
    out.write_text(header + "".join(kept) + cut[:cut.index('"diverged at') + 5],
                   encoding="utf-8")
    code, stdout, _ = sweep(capsys, *args[:-2], "--workers", "1")
    assert code == 0 and json.loads(stdout)["skipped"] == 4
    again = read(out)
    assert len(again) == 6 and out.read_bytes().decode().startswith(header + kept[0])
    key = lambda r: (r["dt"], r["seed"])  # noqa: E731
    assert sorted(map(key, again)) == sorted(map(key, rows))
    assert {key(r): r["mass"] for r in again} == masses  # deterministic per (params, seed)


def test_run_one_rows_are_deterministic_and_failures_are_rows(monkeypatch):
    params = {"dt": 0.1, "T": 20.0, "initial": "random"}
    first = sweeps.run_one(HEAT, params, 3, 5, ["mass", "t", "x[2]"])
    second = sweeps.run_one(HEAT, params, 3, 5, ["mass", "t", "x[2]"])
    assert first == {**second, "seconds": first["seconds"]}
    assert first["status"] == "ok" and first["seed"] == 3 and first["frames"] == 5
    assert first["t"] == pytest.approx(4 * 10 * 0.1)  # frame 0 is t = 0
    assert first["speed"] == Heat1D.default_steps_per_frame

    bad = sweeps.run_one(HEAT, {"n": 10**9}, 0, 5, ["mass"])
    assert bad["status"] == "error" and "parameter 'n'" in bad["message"] and bad["mass"] is None
    out_of_range = sweeps.run_one(HEAT, params, 0, 5, ["x[99]"])
    assert out_of_range["status"] == "error" and "index out of range" in out_of_range["message"]

    def broken(self):
        raise RuntimeError("the solver\nbroke")
        yield

    monkeypatch.setattr(Heat1D, "frames", broken)
    row = sweeps.run_one(HEAT, params, 0, 5, ["mass"])
    assert row["status"] == "error" and row["message"] == "RuntimeError: the solver broke"


@pytest.mark.parametrize(("metric", "message"), [
    ("x", "x is an array of shape (20,); name one entry, e.g. x[-1]"),
    ("stability_text", "stability_text is not a number"),
    ("spacetime[1]", "takes 2 indices, not 1"),
])
def test_a_metric_no_run_can_answer_is_refused(metric, message):
    with pytest.raises(sweeps.MetricError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        sweeps.run_one(HEAT, {}, 0, 2, [metric])


@pytest.mark.parametrize(("args", "message"), [
    (["--vary", "dt=0.1:0.5:0"], "an empty grid: N must be at least 1"),
    (["--vary", "dt=0.1:0.9:3"], "0.9 is above the maximum 0.6"),
    (["--vary", "dtt=0.1:0.5:3"], "parameter 'dtt': no such parameter"),
    (["--vary", "seed=0:3:4"], "the seed is varied with --seeds K"),
    (["--vary", "method=euler,rk9"], "'rk9' is not one of euler, expm, eigen"),
    (["--vary", "dt=0.1:0.5:3", "--vary", "dt=0.2,0.3"], "--vary dt is given twice"),
    (["--vary", "n=5:8:5"], "the value 6 appears twice"),
    (["--vary", "dt=0.1:0.5:3", "--metric", "mas"], "no frame field 'mas' (did you mean mass?"),
    (["--vary", "dt=0.1:0.5:3", "--seeds", "0"], "--seeds must be at least 1"),
    (["--vary", "dt=0.1:0.5:3", "--steps", "0"], "--steps must be at least 1"),
    (["--vary", "dt=0.1:0.5:3", "--workers", "0"], "--workers must be at least 1"),
    (["--vary", "dt=0.1:0.5:3", "--workers", "2", "--scheduler", "tcp://127.0.0.1:9"],
     "--workers is for the local pool"),
    (["--vary", "dt=0.1:0.5:3", "--plot", "p.jpg"], "--plot must end in .png, .svg, .pdf"),
    (["--vary", "dt=0.1:0.5:2", "--vary", "D=1,2", "--vary", "n=5,6", "--plot", "p.png"],
     "--plot draws one or two varied parameters, not 3"),
])
def test_bad_input_is_one_line_and_the_csv_is_kept(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "sweep.csv"
    code, _, err = sweep(capsys, "--steps", "3", "--metric", "mass", "--out", str(out), *args)
    assert code == 2 and message in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("mgai-lab: error:")
    assert not out.exists() and not (tmp_path / "p.png").exists()


def test_a_grid_point_the_experiment_refuses_is_named(capsys, tmp_path):
    # Euler–Maruyama's stability bound dt < 2/λ is checked for every point up front
    code = main(["sweep", "ch7.ou-process", "--vary", "lam=1:10:3", "--vary", "dt=0.1,0.3",
                 "--steps", "2", "--metric", "em_bound", "--out", str(tmp_path / "s.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "grid point lam=10.0, dt=0.3: parameter 'dt'" in err


@pytest.mark.parametrize("where", ["missing-folder", "not-csv", "folder", "other-sweep",
                                   "other-experiment", "unwritable"])
def test_bad_out_is_refused_and_nothing_is_lost(capsys, tmp_path, where):
    other = "experiment,x,status\nch2.heat-1d-linear-system,1,ok\n"
    out = {"missing-folder": tmp_path / "nowhere" / "s.csv", "not-csv": tmp_path / "s.npz",
           "folder": tmp_path / "s.csv", "other-sweep": tmp_path / "s.csv",
           "other-experiment": tmp_path / "s.csv", "unwritable": "/proc/sweep.csv"}[where]
    if where == "folder":
        out.mkdir()
    elif where == "other-sweep":
        out.write_text(other, encoding="utf-8")
    elif where == "other-experiment":  # the same columns, another experiment's rows
        header = ["experiment", *(p.name for p in Heat1D.params), "steps", "speed", "mass",
                  *sweeps.TRAILING_COLUMNS]
        other = "".join(",".join(line) + "\n" for line in
                        (header, ["ch2.ode-1d"] + [""] * (len(header) - 1)))
        out.write_text(other, encoding="utf-8")
    capsys.readouterr()
    code, _, err = sweep(capsys, "--vary", "dt=0.2,0.3", "--steps", "1", "--metric", "mass",
                         "--out", str(out))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert {"missing-folder": "does not exist", "not-csv": "--out must end in .csv",
            "folder": "Is a directory", "other-sweep": "holds another sweep (it lacks n, D",
            "other-experiment": "holds a sweep of ch2.ode-1d",
            "unwritable": "cannot write --out /proc/sweep.csv"}[where] in err
    if where.startswith("other"):
        assert out.read_text(encoding="utf-8") == other


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    # in-process workers: a second or two to start, and the test's monkeypatches reach them
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_sweep_on_a_dask_cluster_matches_the_local_runs(capsys, tmp_path, dask_cluster,
                                                        monkeypatch):
    out, plot = tmp_path / "cluster.csv", tmp_path / "cluster.svg"
    args = [*GRID, "--vary", "D=0.5,1", "--out", str(out), "--plot", str(plot),
            "--scheduler", dask_cluster]
    code, stdout, err = sweep(capsys, *args)
    assert code == 0, err
    assert json.loads(stdout)["runs"] == 6
    rows = read(out)
    assert {r["status"] for r in rows if r["dt"] == "0.6" and r["D"] == "1.0"} == {"diverged"}
    for row in rows:  # the same numbers as a run here
        local = sweeps.run_one(HEAT, {"dt": float(row["dt"]), "D": float(row["D"]),
                                      "T": 20.0, "initial": "random"}, 0, 20, ["mass"])
        assert row["status"] == local["status"]
        assert row["mass"] == sweeps.cell(local["mass"])
    assert b"<svg" in plot.read_bytes()[:400]

    # a run that fails is a row (exit 1); the next sweep retries only that one
    real = Heat1D.frames

    def fails_at_dt_035(self):
        if self.p["dt"] == 0.35:
            raise RuntimeError("no luck")
        return real(self)

    out.unlink()
    monkeypatch.setattr(Heat1D, "frames", fails_at_dt_035)
    code, stdout, err = sweep(capsys, *args)
    assert code == 1 and json.loads(stdout)["error"] == 2 and "2 runs failed" in err
    assert [r["message"] for r in read(out) if r["status"] == "error"] == \
        ["RuntimeError: no luck"] * 2
    monkeypatch.setattr(Heat1D, "frames", real)
    code, stdout, _ = sweep(capsys, *args)
    assert code == 0 and json.loads(stdout)["skipped"] == 4 and json.loads(stdout)["ok"] == 2


def test_sweep_on_a_dask_cluster_stops_for_a_bad_metric_or_address(capsys, tmp_path,
                                                                   dask_cluster, monkeypatch):
    out = tmp_path / "s.csv"
    code, _, err = sweep(capsys, "--vary", "dt=0.1,0.2", "--steps", "2", "--metric", "x",
                         "--out", str(out), "--scheduler", dask_cluster)
    assert code == 2 and "x is an array of shape (20,)" in err.splitlines()[-1]
    assert not out.exists()
    monkeypatch.setattr(sweeps, "CONNECT_TIMEOUT", "0.5s")
    code, _, err = sweep(capsys, "--vary", "dt=0.1,0.2", "--steps", "2", "--metric", "mass",
                         "--out", str(out), "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert not out.exists()
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed
    code, _, err = sweep(capsys, "--vary", "dt=0.1,0.2", "--steps", "2", "--metric", "mass",
                         "--out", str(out), "--scheduler", dask_cluster)
    assert code == 2 and "--scheduler needs Dask distributed: install the lab's 'cluster'" in err
    assert not out.exists()
