"""Soak test: resident memory of every experiment over a long run, side by side.

Each experiment runs at its defaults in a fresh process (so one experiment's memory does not
hide another's) for ``--frames`` frames; a run that ends by itself (a reverse diffusion at
t = 0, a finished sweep) or diverges is restarted, as Reset would. With ``--views`` every
frame is also drawn by the experiment's views (offscreen), so panel memory counts too. The
resident set size (RSS) is read at ``--checkpoints`` evenly spaced frames after a garbage
collection and ``malloc_trim``; the growth after the warm-up fraction must level off:
histories are bounded rings, nothing keeps every frame.

    python bench/soak.py [--frames 20000] [--checkpoints 8] [--views] [--seconds S]
                         [--speed N] [--experiment ID ...]

``--child ID[,ID...]`` (or ``--child all``) runs the experiments one after another in this
process and prints one JSON line each (used by the parent, one process per experiment, and
by tests/reliability/test_resources.py, one process for all).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

MIB = 1024.0 * 1024.0


def rss_bytes() -> int:
    """Resident set size after a full collection and returning free heap pages to the OS."""
    import psutil

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # malloc_trim is glibc's
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return psutil.Process().memory_info().rss


def soak_one(experiment_id: str, frames: int, every: int, views: bool,
             speed: int | None = None, warmup: float = 0.25,
             seconds: float | None = None) -> dict:
    """Run one experiment for ``frames`` frames (or until ``seconds``, once three readings
    are in); RSS every ``every`` frames, in this process."""
    from compute import registry
    from compute.experiment import Diverged, checked_frames

    cls = registry.get(experiment_id)
    grid = app = None
    if views:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from pyqtgraph.Qt import QtCore, QtWidgets

        from panels.grid import PanelGrid

        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
        grid = PanelGrid(cls.views)
        grid.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        grid.resize(1280, 720)
        grid.show()

    def new_run():
        experiment = cls(device="cpu")
        if speed:
            experiment.set_steps_per_frame(speed)
        return checked_frames(experiment)

    start_rss = rss_bytes()
    rss: list[tuple[int, int]] = []
    runs, diverged = 1, 0
    iterator = new_run()
    started = time.perf_counter()
    done = 0
    while done < frames:
        if seconds and len(rss) >= 3 and time.perf_counter() - started > seconds:
            break
        try:
            frame = next(iterator)
        except StopIteration:
            iterator.close()
            iterator, runs = new_run(), runs + 1
            continue
        except Diverged:
            iterator.close()
            iterator, runs, diverged = new_run(), runs + 1, diverged + 1
            continue
        if grid is not None:
            grid.update_frame(frame)
            if done % 10 == 0:
                app.processEvents()
        done += 1
        del frame
        if done % every == 0:
            rss.append((done, rss_bytes()))
    iterator.close()
    elapsed = time.perf_counter() - started
    if grid is not None:  # the next experiment in this process starts without these views
        grid.close()
        grid.deleteLater()
        app.processEvents()
    if not rss or rss[-1][0] != done:
        rss.append((done, rss_bytes()))
    warm_index = min(range(len(rss)), key=lambda i: abs(rss[i][0] - warmup * done))
    warm = rss[warm_index][1]
    growth = max(r for _, r in rss[warm_index:]) - warm
    return {
        "id": experiment_id, "family": cls.family, "frames": done, "runs": runs,
        "diverged": diverged, "seconds": round(elapsed, 3), "views": views,
        "start_rss": start_rss, "rss": rss, "warm_frame": rss[warm_index][0],
        "warm_rss": warm, "growth_bytes": growth,
    }


def run_child(experiment_id: str, args: argparse.Namespace) -> dict:
    """``soak_one`` in a fresh interpreter; its JSON line, or an error record."""
    command = [sys.executable, os.path.abspath(__file__), "--child", experiment_id,
               "--frames", str(args.frames), "--checkpoints", str(args.checkpoints),
               "--warmup", str(args.warmup)]
    if args.seconds:
        command += ["--seconds", str(args.seconds)]
    if args.views:
        command.append("--views")
    if args.speed:
        command += ["--speed", str(args.speed)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    for line in reversed(result.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"id": experiment_id, "error": f"exit {result.returncode}: {tail[0]}"}


def print_table(results: list[dict]) -> None:
    ok = [r for r in results if "error" not in r]
    width = max((len(r["rss"]) for r in ok), default=0)
    marks = max(ok, key=lambda r: len(r["rss"]))["rss"] if ok else []
    head = " ".join(f"{f'@{frame}':>9}" for frame, _ in marks)
    print(f"{'experiment':<28} {'family':<32} {'start':>8} {head} "
          f"{'growth':>9} {'after':>7} {'fps':>7} {'runs':>5}")
    for r in results:
        if "error" in r:
            print(f"{r['id']:<28} ERROR {r['error']}")
            continue
        cells = [f"{value / MIB:>9.1f}" for _, value in r["rss"]]
        cells += [f"{'':>9}"] * (width - len(cells))
        fps = r["frames"] / max(r["seconds"], 1e-9)
        print(f"{r['id']:<28} {r['family'][:32]:<32} {r['start_rss'] / MIB:>8.1f} "
              f"{' '.join(cells)} {r['growth_bytes'] / MIB:>+9.2f} "
              f"{'@' + str(r['warm_frame']):>7} {fps:>7.1f} {r['runs']:>5}")
    print("RSS in MiB after a GC and malloc_trim at each checkpoint (frames done); growth = "
          "highest RSS after the warm-up checkpoint minus RSS there. Bounded rings: it levels "
          "off within a few MiB (a run that ends restarts, as Reset would).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20_000, help="frames per experiment")
    parser.add_argument("--checkpoints", type=int, default=8, help="RSS readings per run")
    parser.add_argument("--seconds", type=float, help="stop an experiment after this long "
                                                      "(with at least three readings)")
    parser.add_argument("--warmup", type=float, default=0.25,
                        help="fraction of the frames before growth is counted")
    parser.add_argument("--views", action="store_true", help="draw every frame offscreen too")
    parser.add_argument("--speed", type=int, help="internal steps per frame (default: the "
                                                  "experiment's)")
    parser.add_argument("--experiment", action="append", default=[], metavar="ID",
                        help="only this experiment (repeatable; default: all)")
    parser.add_argument("--child", metavar="IDS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.frames < 1 or args.checkpoints < 2:
        parser.error("--frames must be >= 1 and --checkpoints >= 2")
    if args.child:
        from compute import backend, registry

        every = max(1, args.frames // args.checkpoints)
        runnable = [c.id for c in registry.all_experiments()
                    if not c.needs_torch or backend.torch_installed()]
        ids = runnable if args.child == "all" else args.child.split(",")
        for experiment_id in ids:
            result = soak_one(experiment_id, args.frames, every, args.views, args.speed,
                              args.warmup, args.seconds)
            print(json.dumps(result), flush=True)
        return
    from compute import registry

    ids = args.experiment or [cls.id for cls in registry.all_experiments()]
    print(f"soak: {args.frames} frames per experiment, defaults, "
          f"{'with' if args.views else 'without'} views, one process each")
    results = []
    for experiment_id in ids:
        results.append(run_child(experiment_id, args))
        print(f"  {experiment_id} done", file=sys.stderr, flush=True)
    print_table(results)


if __name__ == "__main__":
    main()
