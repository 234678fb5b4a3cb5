"""Parameter sweeps (issue 15 §4): ``mgai-lab sweep`` runs an experiment over a grid.

The grid is the cartesian product of the ``--vary`` axes and ``--seeds`` seeds. Every grid
point is validated up front by the experiment's parameter specs (DESIGN §3), then each run
goes to a local process pool, or with ``--scheduler`` to an existing Dask distributed
cluster, and becomes one CSV row (parameters, metrics, status, seconds) appended and flushed
as it finishes. A run that fails or diverges is a row with its status; re-running the same
command skips the runs already in the CSV, so an interrupted sweep resumes.

:func:`run_one` is the unit of work: one run, one row, deterministic per (parameters, seed).
Not to be confused with ``compute/sweep.py``, the visiting order of an experiment's own
progressive sweeps.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import difflib
import io
import itertools
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from compute import backend, blas
from compute.experiment import Experiment
from compute.params import Param, ParamError, ParamSpec

from . import api, cli

DONE = ("ok", "diverged")  # statuses a resumed sweep does not recompute
TRAILING_COLUMNS = ("status", "message", "frames", "seconds")
METRIC_PATTERN = re.compile(r"^\s*([A-Za-z_]\w*)\s*(?:\[\s*(-?\d+(?:\s*,\s*-?\d+)*)\s*\])?\s*$")
PLOT_SUFFIXES = (".png", ".svg", ".pdf")
CONNECT_TIMEOUT = "10s"  # to reach a Dask scheduler before the sweep is refused

VARY_HELP = (
    "a varied parameter (repeatable; the grid is the product of the axes): START:STOP:N "
    "gives N evenly spaced values, START:STOP:N:log N geometrically spaced ones (integer "
    "parameters are rounded to the nearest integer), V1,V2,... a list (any parameter, e.g. "
    "integrator=em,exact)")
METRIC_HELP = (
    "a frame field recorded from each run's last frame (repeatable; 'describe ID' lists the "
    "fields). A scalar field is recorded as it is; an array field needs an index, "
    "FIELD[INDEX] (numpy indexing, negative from the end: var[-1] is the last entry of a "
    "history, grid[2,3] an entry of a 2-D field); an array without an index, or a text "
    "field, stops the sweep with a message")
EPILOG = (
    "Each run is one CSV row: experiment, every parameter (seed included), steps, speed, "
    "the metrics, status (ok, diverged or error), message, frames and seconds. A diverged "
    "run has no metric values. Rows are appended as runs finish; running the same command "
    "again skips the runs already recorded as ok or diverged (failed runs are retried; the "
    "newest row of a run counts). A CSV with other columns is refused, never overwritten. "
    "Exit status: 0 when every run ended ok or diverged, 1 when a run failed (its row says "
    "why), 2 for bad input, 130 when interrupted (the rows so far are kept).")


class MetricError(ValueError):
    """A ``--metric`` no run can give a number for (an array without an index, text):
    the sweep stops instead of filling every row with the same error."""


# -- the grid --------------------------------------------------------------------------
@dataclass(frozen=True)
class Axis:
    """One varied parameter and its values, in grid order."""

    name: str
    values: tuple[Any, ...]
    log: bool = False


@dataclass(frozen=True)
class Call:
    """One run of the grid: its place (one index per axis, then the seed's) and its values."""

    index: tuple[int, ...]
    values: dict[str, Any]


def parse_vary(spec: ParamSpec, text: str) -> Axis:
    """``NAME=START:STOP:N[:log]`` or ``NAME=V1,V2,…`` into an :class:`Axis` of validated
    values; :class:`cli.CliError` names the problem (unknown name, bad value, empty grid)."""
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name or not raw:
        raise cli.CliError(f"--vary {text!r}: expected NAME=START:STOP:N or NAME=V1,V2,...")
    try:
        param = spec[name]
    except ParamError as exc:
        raise cli.CliError(f"--vary: parameter {name!r}: {exc.message}") from None
    if param.kind == "seed":
        raise cli.CliError(f"--vary {name}: the seed is varied with --seeds K")
    if param.kind in ("multi", "matrix"):
        raise cli.CliError(f"--vary {name}: a {param.kind} parameter cannot be varied "
                           "(fix it with --set)")
    log = False
    try:
        if ":" in raw:
            values, log = _parse_range(param, raw)
        else:
            values = tuple(param.parse(item) for item in raw.split(","))
    except ParamError as exc:
        raise cli.CliError(f"--vary {text}: {exc.message}") from None
    repeated = next((v for i, v in enumerate(values) if v in values[:i]), None)
    if repeated is not None:
        raise cli.CliError(f"--vary {text}: the value {cell(repeated)} appears twice")
    return Axis(name, values, log)


def _parse_range(param: Param, raw: str) -> tuple[tuple[Any, ...], bool]:
    parts = [part.strip() for part in raw.split(":")]
    log = len(parts) == 4 and parts[3].lower() == "log"
    if len(parts) not in (3, 4) or (len(parts) == 4 and not log):
        raise ParamError(param.name, f"expected START:STOP:N or START:STOP:N:log, got {raw!r}")
    if param.kind not in ("float", "int"):
        raise ParamError(param.name, f"a {param.kind} parameter takes a list of values "
                                     "(NAME=V1,V2,...), not a range")
    start, stop = param.parse(parts[0]), param.parse(parts[1])
    try:
        count = int(parts[2])
    except ValueError:
        raise ParamError(param.name, f"N must be a whole number, got {parts[2]!r}") from None
    if count < 1:
        raise ParamError(param.name, f"an empty grid: N must be at least 1, got {count}")
    if log and (start <= 0 or stop <= 0):
        raise ParamError(param.name, "a log range needs START and STOP above 0")
    points = np.geomspace(start, stop, count) if log else np.linspace(start, stop, count)
    if param.kind == "int":
        values = [round(float(v)) for v in points]
    else:  # 12 digits: 0.30000000000000004 is 0.3 in the CSV and on the plot
        values = [float(f"{v:.12g}") for v in points]
    return tuple(param.coerce(v) for v in values), log


def parse_metric(text: str) -> tuple[str, tuple[int, ...]]:
    """``FIELD`` or ``FIELD[i]`` / ``FIELD[i,j]`` into (field, index); :class:`MetricError`
    when it has neither form."""
    match = METRIC_PATTERN.match(text)
    if not match:
        raise MetricError(f"--metric {text!r}: expected FIELD or FIELD[INDEX]")
    field, index = match.groups()
    return field, tuple(int(i) for i in index.split(",")) if index else ()


def metric_column(field: str, index: tuple[int, ...]) -> str:
    """The CSV column of a metric: ``mass``, ``var[-1]``."""
    return f"{field}[{','.join(map(str, index))}]" if index else field


def check_metrics(cls: type[Experiment], texts: Sequence[str]) -> list[str]:
    """The metrics' CSV columns; refuses a field the experiment does not declare."""
    known = [*cls.frame_fields, "step", "t"]
    columns: list[str] = []
    for text in texts:
        try:
            field, index = parse_metric(text)
        except MetricError as exc:
            raise cli.CliError(str(exc)) from None
        if field not in known:
            close = difflib.get_close_matches(field, known, n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise cli.CliError(f"--metric {text!r}: {cls.id} has no frame field {field!r} "
                               f"({hint}'describe {cls.id}' lists them)")
        column = metric_column(field, index)
        if column in columns:
            raise cli.CliError(f"--metric {column} is given twice")
        columns.append(column)
    return columns


def metric_value(frame: Mapping[str, Any], column: str) -> float:
    """The number a metric reads from ``frame`` (bools as 0/1).

    :class:`MetricError` for what no run can answer (an array without an index, a wrong
    number of indices, text); IndexError for an index beyond this run's array.
    """
    field, index = parse_metric(column)
    if field not in frame:
        raise MetricError(f"--metric {column}: the frames have no field {field!r}")
    array = np.asarray(frame[field])
    if index:
        if array.ndim != len(index):
            raise MetricError(f"--metric {column}: {field} has shape {array.shape}, which "
                              f"takes {array.ndim} indices, not {len(index)}")
        try:
            array = array[index]
        except IndexError:
            raise IndexError(f"{column}: index out of range for the shape "
                             f"{array.shape} of {field}") from None
    elif array.ndim:
        example = "[-1]" if array.ndim == 1 else "[" + ",".join(["0"] * array.ndim) + "]"
        raise MetricError(f"--metric {column}: {field} is an array of shape {array.shape}; "
                          f"name one entry, e.g. {field}{example}")
    if array.dtype.kind not in "biuf":
        raise MetricError(f"--metric {column}: {field} is not a number "
                          f"({array.item()!r})")
    return float(array)


# -- one run ---------------------------------------------------------------------------
def run_one(experiment_id: str, params: Mapping[str, Any], seed: int | None, steps: int,
            metrics: Sequence[str], *, speed: int | None = None, device: str = "auto"
            ) -> dict[str, Any]:
    """Run ``experiment_id`` for ``steps`` frames and return its row.

    The row holds every parameter (``seed`` overrides ``params``), steps, speed (internal
    steps per frame), the ``metrics`` read from the last frame, status ``ok``/``diverged``
    /``error``, message, frames and seconds. A failing run is an ``error`` row, not an
    exception; only a :class:`MetricError` (no run could answer it) is raised. BLAS and torch
    use one thread each, so parallel runs share the cores instead of fighting for them.
    """
    started = time.perf_counter()
    values = dict(params)
    if seed is not None:
        values["seed"] = seed
    row: dict[str, Any] = {"experiment": experiment_id, **values, "steps": steps,
                           "speed": speed, **dict.fromkeys(metrics),
                           "status": "error", "message": "", "frames": 0}
    backend.set_torch_threads(1)
    try:
        with blas.single_threaded():
            run = api.run(experiment_id, values, speed=speed, frames=steps, device=device,
                          keep="last")
            row.update(run.params, speed=run.speed, frames=run.pulled, message=run.message)
            if run.status == "diverged":
                row["status"] = "diverged"
            elif run.last is not None:
                row.update({column: metric_value(run.last, column) for column in metrics})
                row["status"] = "ok"
            else:
                row["message"] = "the experiment yielded no frame"
    except MetricError:
        raise
    except ParamError as exc:
        row["message"] = f"parameter {exc.name!r}: {exc.message}"
    except Exception as exc:
        row["message"] = one_line(exc)
    row["seconds"] = round(time.perf_counter() - started, 4)
    return row


def one_line(exc: BaseException) -> str:
    """An exception as ``Type: message`` on one line (a CSV cell)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def cell(value: Any) -> str:
    """A value as CSV text: strings as they are, numbers as Python writes them back exactly,
    tuples and matrices as JSON, None as empty. Resuming compares these texts."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


# -- the sweep -------------------------------------------------------------------------
@dataclass
class Plan:
    """A validated sweep: what to run and which CSV columns its rows have."""

    cls: type[Experiment]
    axes: list[Axis]
    seeds: list[int | None]
    calls: list[Call]
    steps: int
    speed: int
    metrics: list[str]
    device: str

    @property
    def columns(self) -> list[str]:
        return [*self.key_columns, *self.metrics, *TRAILING_COLUMNS]

    @property
    def key_columns(self) -> list[str]:
        """The columns that identify a run (a resumed sweep skips rows it finds)."""
        return ["experiment", *(p.name for p in self.cls.params), "steps", "speed"]

    def key(self, row: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(cell(row[c]) for c in self.key_columns)

    def call_key(self, call: Call) -> tuple[str, ...]:
        return self.key({"experiment": self.cls.id, **call.values, "steps": self.steps,
                         "speed": self.speed})

    def error_row(self, call: Call, message: str) -> dict[str, Any]:
        """The row of a run lost outside :func:`run_one` (a worker process that died)."""
        return {"experiment": self.cls.id, **call.values, "steps": self.steps,
                "speed": self.speed, "status": "error", "message": message, "frames": 0,
                "seconds": ""}


def make_plan(args: argparse.Namespace) -> Plan:
    """Parse and validate everything before a single run starts."""
    cls = cli.get_experiment(args.id)
    spec = cls.spec()
    if args.steps < 1:
        raise cli.CliError(f"--steps must be at least 1, got {args.steps}")
    base, view = cli.resolve_values(cls, args.preset, args.assignments, args.seed)
    speed = int(args.speed or view.get("steps_per_frame") or cls.default_steps_per_frame)
    if not 1 <= speed <= cls.max_steps_per_frame:
        raise cli.CliError(f"--speed must be between 1 and {cls.max_steps_per_frame}, "
                           f"got {speed}")
    axes = [parse_vary(spec, text) for text in args.vary]
    names = [a.name for a in axes]
    twice = next((n for i, n in enumerate(names) if n in names[:i]), None)
    if twice:
        raise cli.CliError(f"--vary {twice} is given twice")
    if args.seeds < 1:
        raise cli.CliError(f"--seeds must be at least 1, got {args.seeds}")
    if "seed" in spec:
        first = base["seed"]
        try:
            spec["seed"].coerce(first + args.seeds - 1)
        except ParamError as exc:
            raise cli.CliError(f"--seeds {args.seeds} from seed {first}: {exc.message}") from None
        seeds: list[int | None] = list(range(first, first + args.seeds))
    elif args.seeds > 1:
        raise cli.CliError(f"{cls.id} has no seed (its runs are deterministic): --seeds must "
                           "be 1")
    else:
        seeds = [None]
    metrics = check_metrics(cls, args.metric)
    clash = set(metrics) & {*(p.name for p in cls.params), "experiment", "steps", "speed",
                            *TRAILING_COLUMNS}
    if clash:
        raise cli.CliError(f"--metric {clash.pop()} has the name of another CSV column")
    calls = []
    for point in itertools.product(*(range(len(a.values)) for a in axes)):
        values = {**base, **{a.name: a.values[i] for a, i in zip(axes, point, strict=True)}}
        try:
            cls.check(values)
            cls.check_memory(values)
        except ParamError as exc:
            where = ", ".join(f"{a.name}={cell(a.values[i])}"
                              for a, i in zip(axes, point, strict=True))
            raise cli.CliError(f"grid point {where}: parameter {exc.name!r}: "
                               f"{exc.message}") from None
        for k, seed in enumerate(seeds):
            calls.append(Call((*point, k), values if seed is None else {**values,
                                                                        "seed": seed}))
    return Plan(cls, axes, seeds, calls, args.steps, speed, metrics, args.device)


class SweepCsv:
    """The sweep's CSV: the rows already there (refused if another sweep's), and an append
    handle that writes each new row at once (the header with the first row)."""

    def __init__(self, path: Path, plan: Plan):
        self.path = path
        self.plan = plan
        self.created = not path.exists()
        text = "" if self.created else self._text()
        whole = text[:text.rfind("\n") + 1]  # without a row an interruption cut off
        self.rows = self._check(whole or text) if text else []
        try:
            if whole != text:  # (a row cut off mid-line would swallow the next one)
                os.truncate(path, len(whole.encode("utf-8")))
            self._handle: TextIO = open(path, "a", newline="", encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise cli.CliError(f"cannot write --out {path}: {exc.strerror or exc}") from None
        self._writer = csv.writer(self._handle)
        self._header = not text
        self.written = 0

    def _text(self) -> str:
        try:  # the exact text (rows end in \r\n): truncating counts its bytes
            with open(self.path, encoding="utf-8", newline="") as handle:
                return handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise cli.CliError(f"cannot read --out {self.path}: {exc}") from None

    def _check(self, text: str) -> list[dict[str, str]]:
        """The rows of ``text``, refused unless it is a sweep of this experiment with these
        columns."""
        columns = self.plan.columns
        header, rows = read_rows(text)
        if header != columns:
            missing = [c for c in columns if c not in header]
            extra = [c for c in header if c not in columns]
            detail = "; ".join(filter(None, (
                f"it lacks {', '.join(missing)}" if missing else "",
                f"it has {', '.join(extra)}" if extra else ""))) or "its columns are in " \
                "another order"
            raise cli.CliError(f"{self.path} holds another sweep ({detail}); choose another "
                               "--out (it is left as it is)")
        other = next((r["experiment"] for r in rows if r["experiment"] != self.plan.cls.id),
                     None)
        if other is not None:
            raise cli.CliError(f"{self.path} holds a sweep of {other}; choose another --out "
                               "(it is left as it is)")
        return rows

    def done(self) -> set[tuple[str, ...]]:
        """Keys of the runs recorded as ok or diverged."""
        return {self.plan.key(r) for r in self.rows if r["status"] in DONE}

    def append(self, row: Mapping[str, Any]) -> None:
        """Write ``row`` and flush it: an interrupted sweep keeps every finished run."""
        if self._header:
            self._writer.writerow(self.plan.columns)
            self._header = False
        self._writer.writerow([cell(row.get(c)) for c in self.plan.columns])
        self._handle.flush()
        self.written += 1

    def close(self) -> None:
        self._handle.close()
        if self.created and self.written == 0:
            self.path.unlink(missing_ok=True)  # an aborted first sweep leaves no empty file

    def latest_rows(self) -> dict[tuple[str, ...], dict[str, str]]:
        """Every row of the file by run key, the newest row of a run winning."""
        _, rows = read_rows(self._text())
        return {self.plan.key(r): r for r in rows}


def read_rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """A CSV's header and its complete rows (as dicts)."""
    lines = list(csv.reader(io.StringIO(text, newline="")))
    header = lines[0] if lines else []
    return header, [dict(zip(header, line, strict=True)) for line in lines[1:]
                    if len(line) == len(header)]


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line per tenth in a log."""

    WIDTH = 28

    def __init__(self, total: int, stream: TextIO | None = None):
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.counts = dict.fromkeys(("ok", "diverged", "error"), 0)
        self.started = time.monotonic()
        self._tenth = 0
        self._draw(0)  # at once: starting the workers takes a few seconds

    def add(self, status: str) -> None:
        """Count a finished run."""
        self.counts[status] += 1
        done = sum(self.counts.values())
        if self.tty or done * 10 // self.total > self._tenth or done == self.total:
            self._tenth = done * 10 // self.total
            self._draw(done)

    def _draw(self, done: int) -> None:
        if self.tty:  # back to the line's start, and clear what a longer line left
            end = "\n" if done == self.total else ""
            self.stream.write(f"\r{self.line(done)}\x1b[K{end}")
        else:
            self.stream.write(self.line(done) + "\n")
        self.stream.flush()

    def line(self, done: int) -> str:
        filled = self.WIDTH * done // self.total
        elapsed = time.monotonic() - self.started
        left = f", {_clock(elapsed / done * (self.total - done))} left" if done else ""
        counts = " · ".join(f"{k} {v}" for k, v in self.counts.items())
        return (f"sweep [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{self.total} "
                f"runs  {counts}  {_clock(elapsed)} elapsed{left}")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}" if minutes >= 60 else \
        f"{minutes}:{secs:02d}"


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


Outcomes = Iterator[tuple[Call, dict[str, Any] | Exception]]  # a run and its row, or its loss


def local_outcomes(plan: Plan, calls: Sequence[Call], workers: int) -> Outcomes:
    """Run ``calls`` in a pool of ``workers`` fresh processes (spawned: no state copied from
    this one) and yield each call with its row, or the exception that lost it."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("spawn"))
    finished = False
    try:
        futures = {pool.submit(run_one, *_arguments(plan, call), speed=plan.speed,
                               device=plan.device): call for call in calls}
        for future in as_completed(futures):
            yield futures[future], _outcome(future)
        finished = True
    finally:
        if not finished:  # interrupted or stopped: a worker would finish a queued run first
            _terminate_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)


def _terminate_workers(pool: Any) -> None:
    """Stop a process pool's workers now (Python 3.14 has a method for it)."""
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


def dask_outcomes(plan: Plan, calls: Sequence[Call], address: str) -> Outcomes:
    """The same runs as :func:`local_outcomes`, on the Dask distributed cluster whose
    scheduler is at ``address`` (dask is imported only here)."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise cli.CliError("--scheduler needs Dask distributed: install the lab's 'cluster' "
                           "extra (pip install 'mgai-lab[cluster]')") from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise cli.CliError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    futures: dict[Any, Call] = {}
    try:
        futures = {client.submit(run_one, *_arguments(plan, call), speed=plan.speed,
                                 device=plan.device, pure=False): call for call in calls}
        for future in as_completed(futures, loop=client.loop):
            yield futures[future], _outcome(future)
    finally:
        client.cancel(list(futures))
        client.close()


def _arguments(plan: Plan, call: Call) -> tuple[Any, ...]:
    return plan.cls.id, call.values, call.values.get("seed"), plan.steps, plan.metrics


def _outcome(future: Any) -> dict[str, Any] | Exception:
    try:
        return future.result()
    except MetricError:
        raise
    except Exception as exc:  # the run's process died, the cluster lost it, ...
        return exc


def execute(plan: Plan, todo: Sequence[Call], sheet: SweepCsv, args: argparse.Namespace
            ) -> dict[str, int]:
    """Run ``todo`` locally or on the cluster, each row written as it comes; the counts of
    each status."""
    progress = Progress(len(todo))
    outcomes = dask_outcomes(plan, todo, args.scheduler) if args.scheduler else \
        local_outcomes(plan, todo, min(args.workers or default_workers(), len(todo)))
    try:
        with contextlib.closing(outcomes):
            for call, outcome in outcomes:
                row = outcome if isinstance(outcome, dict) else \
                    plan.error_row(call, one_line(outcome))
                sheet.append(row)
                progress.add(row["status"])
    except MetricError as exc:
        raise cli.CliError(str(exc)) from None
    except KeyboardInterrupt:
        print(f"\nmgai-lab: sweep interrupted: {sheet.written} new rows kept in {sheet.path}; "
              "run the same command again to resume", file=sys.stderr)
        raise
    return progress.counts


def cmd_sweep(args: argparse.Namespace) -> int:
    """The ``sweep`` command: validate, skip what the CSV holds, run the rest, plot."""
    out = Path(args.out)
    if out.suffix.lower() != ".csv":
        raise cli.CliError(f"--out must end in .csv, got {out.name}")
    cli.check_out(out)
    plot = Path(args.plot) if args.plot else None
    if plot is not None:
        if plot.suffix.lower() not in PLOT_SUFFIXES:
            raise cli.CliError(f"--plot must end in {', '.join(PLOT_SUFFIXES)}, got {plot.name}")
        cli.check_out(plot)
    if args.workers is not None and args.workers < 1:
        raise cli.CliError(f"--workers must be at least 1, got {args.workers}")
    if args.workers is not None and args.scheduler:
        raise cli.CliError("--workers is for the local pool (a Dask cluster has its own)")
    plan = make_plan(args)
    if plot is not None and len(plan.axes) > 2:
        raise cli.CliError(f"--plot draws one or two varied parameters, not {len(plan.axes)}")
    sheet = SweepCsv(out, plan)
    started = time.perf_counter()
    try:
        done = sheet.done()
        todo = [c for c in plan.calls if plan.call_key(c) not in done]
        skipped = len(plan.calls) - len(todo)
        if skipped:
            print(f"mgai-lab: sweep: {skipped} of {len(plan.calls)} runs already in {out}",
                  file=sys.stderr)
        counts = execute(plan, todo, sheet, args) if todo else \
            dict.fromkeys(("ok", "diverged", "error"), 0)
    finally:
        sheet.close()
    summary = {"experiment": plan.cls.id, "runs": len(plan.calls), "skipped": skipped,
               **counts, "seconds": round(time.perf_counter() - started, 3), "out": str(out)}
    code = cli.EXIT_ERROR if counts["error"] else cli.EXIT_OK
    if counts["error"]:
        print(f"mgai-lab: sweep: {counts['error']} runs failed (see their status and message "
              f"in {out}); running the command again retries them", file=sys.stderr)
    if plot is not None:
        if draw_plot(plan, sheet.latest_rows(), plot):
            summary["plot"] = str(plot)
        else:
            code = cli.EXIT_ERROR
    print(json.dumps(summary))
    return code


def grid_values(plan: Plan, rows: Mapping[tuple[str, ...], Mapping[str, str]]
                ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The sweep's results as arrays of shape (axis lengths …, seeds): each metric (NaN where
    no ok row), and the status ('' where no row)."""
    shape = (*(len(a.values) for a in plan.axes), len(plan.seeds))
    values = {m: np.full(shape, np.nan) for m in plan.metrics}
    status = np.full(shape, "", dtype=object)
    for call in plan.calls:
        row = rows.get(plan.call_key(call))
        if row is None:
            continue
        status[call.index] = row["status"]
        if row["status"] == "ok":
            for m in plan.metrics:
                values[m][call.index] = _number(row[m])
    return values, status


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # an empty cell, or one edited by hand
        return np.nan


def draw_plot(plan: Plan, rows: Mapping[tuple[str, ...], Mapping[str, str]],
              out: Path) -> bool:
    """Draw the plot (see :mod:`mgai_lab.sweep_plot`); False, with a message, if it cannot."""
    from . import presets, sweep_plot

    values, status = grid_values(plan, rows)
    if not (status == "ok").any():
        print(f"mgai-lab: sweep: no run ended ok, so there is nothing to plot in {out}",
              file=sys.stderr)
        return False
    data = sweep_plot.plot(plan.cls.id, plan.axes, values, status, plan.steps,
                           out.suffix.lower().lstrip("."))
    try:
        presets.atomic_write(out, data, overwrite=True)
    except OSError as exc:
        print(f"mgai-lab: sweep: cannot write --plot {out}: {exc.strerror or exc}",
              file=sys.stderr)
        return False
    return True


def add_parser(sub: Any, add_param_options: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register ``sweep`` on the command line's subparsers."""
    parser = sub.add_parser(
        "sweep", help="run a grid of parameter values; one CSV row per run",
        description="Run an experiment over a grid of parameter values, in a local process "
                    "pool or on a Dask cluster; one CSV row per run. --preset, --set and "
                    "--seed fix the parameters that are not varied.",
        epilog=EPILOG)
    parser.add_argument("id")
    add_param_options(parser)
    parser.add_argument("--vary", action="append", required=True,
                        metavar="NAME=START:STOP:N", help=VARY_HELP)
    parser.add_argument("--seeds", type=int, default=1, metavar="K",
                        help="runs per grid point, with seeds S, S+1, ..., S+K-1 (S: --seed, "
                             "else the preset's or the experiment's seed); default 1")
    parser.add_argument("--steps", type=int, required=True, metavar="N",
                        help="frames per run (an experiment whose process ends earlier stops "
                             "there)")
    parser.add_argument("--metric", action="append", required=True, metavar="FIELD",
                        help=METRIC_HELP)
    parser.add_argument("--out", required=True, metavar="F.csv",
                        help="the CSV; an existing one of the same sweep is resumed")
    parser.add_argument("--plot", metavar="F.png|F.svg|F.pdf",
                        help="the metrics against one varied parameter (mean ± standard "
                             "deviation over the seeds) or two (a heat map of the mean)")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="local processes (default: the cores this process may use)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on the Dask distributed cluster with this scheduler, e.g. "
                             "tcp://10.0.0.5:8786 (needs the 'cluster' extra here and "
                             "mgai-lab installed on its workers)")
