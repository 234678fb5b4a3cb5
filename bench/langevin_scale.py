"""Langevin at scale: kernel steps/s, the worker beside a painting GUI, displayed frame rate.

Measured side by side in one run, offscreen at 800x600, on ``ch7.langevin-double-well``:

1. **Kernel** steps/s at 1e5, 1e6 and 1e7 particles: one Euler–Maruyama step of the double
   well plus the per-step hysteresis counter (what one internal step of the experiment
   costs), numpy float64 and torch float32 (one torch thread, as the GUI worker runs it).
2. **Worker while the GUI paints**: the experiment in the lab's ``FrameWorker`` thread at
   ``--speed`` steps per frame, its views painted at display rate; steps/s against the bare
   kernel of (1) at the same size and engine. Target: >= 70 %.
3. **Displayed frames per second** at 1e6 particles, one step per frame, the particle view
   (a density band) alone and all the experiment's views: fresh frames painted per second,
   compute included (the worker computes the next frame while the GUI paints this one).
   Target: >= 60.

CUDA figures need a GPU: on a machine with one, ``--device cuda`` measures the same.

    python bench/langevin_scale.py [--seconds 4] [--speed 10] [--device cpu]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

WIDTH, HEIGHT = 800, 600
EXPERIMENT = "ch7.langevin-double-well"


def kernel_steps_per_second(n: int, kind: str, device: str, seconds: float) -> float:
    """Steps/s of EM + hysteresis counter for n particles of the double well."""
    from compute import backend
    from compute.potentials import double_well
    from compute.sde import Ensemble, HysteresisCounter

    backend.set_torch_threads(1)
    rng = np.random.default_rng(0)
    ens = Ensemble(rng.choice([-1.0, 1.0], n) + 0.1 * rng.standard_normal(n), 0, 1, kind,
                   device)
    counter = HysteresisCounter(ens, np.array([-1.0, 1.0]), np.array([0.5, 0.5]))
    well = double_well()

    def step() -> None:
        ens.em_step(1e-3, 0.3, gradient=well.dU, cubic=well.cubic)
        counter.update(1e-3)

    step()
    if kind == "torch" and device == "cuda":
        backend.import_torch().cuda.synchronize()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or count < 3:
        step()
        count += 1
    if kind == "torch" and device == "cuda":
        backend.import_torch().cuda.synchronize()
    return count / (time.perf_counter() - start)


def _app():
    from pyqtgraph.Qt import QtWidgets

    return QtWidgets.QApplication.instance() or QtWidgets.QApplication([])


def run_with_display(n: int, speed: int, seconds: float, device: str, views: str,
                     engine: str = "auto") -> dict:
    """The experiment in a FrameWorker; a 60 Hz timer takes the newest frame and paints
    ``views`` ("particles": that view alone; "all": every view; "none": take frames and
    paint nothing). Returns displayed fps and the worker's steps/s."""
    from pyqtgraph.Qt import QtCore

    from compute import registry
    from mgai_lab.worker import FrameWorker
    from panels import create_panel
    from panels.grid import PanelGrid

    app = _app()
    cls = registry.get(EXPERIMENT)
    exp = cls({"n_particles": n, "x0": -1.0, "dt": 2e-3, "engine": engine}, device=device)
    exp.set_steps_per_frame(speed)
    widget = None
    if views == "particles":
        widget = create_panel(cls.views[0])
    elif views == "all":
        widget = PanelGrid(cls.views)
    if widget is not None:
        widget.resize(WIDTH, HEIGHT)
        widget.show()
    worker = FrameWorker(exp, 1, max_fps=60.0)
    shown = {"frames": 0, "first_step": None, "last_step": None}
    paint_ms: list[float] = []

    def tick() -> None:
        frame = worker.take_frame()
        if frame is None:
            return
        started = time.perf_counter()
        if widget is not None:
            widget.update_frame(frame)
            viewports = [widget] if views == "particles" else widget.panels
            for panel in viewports:
                if hasattr(panel, "plot_widget"):
                    panel.plot_widget.viewport().repaint()
                else:
                    panel.repaint()
        paint_ms.append(1e3 * (time.perf_counter() - started))
        if shown["first_step"] is None:
            shown["first_step"], shown["t0"] = frame["step"], time.perf_counter()
        shown["frames"] += 1
        shown["last_step"], shown["t1"] = frame["step"], time.perf_counter()

    timer = QtCore.QTimer()
    timer.setInterval(16 if views != "none" else 1)
    timer.timeout.connect(tick)
    worker.start()
    worker.play()
    timer.start()
    deadline = time.perf_counter() + seconds + 1.5  # 1.5 s warm-up (first frames, imports)
    warm = time.perf_counter() + 1.5
    while time.perf_counter() < warm:
        app.processEvents()
        time.sleep(0.001)
    shown.update(frames=0, first_step=None)
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.0005)
    timer.stop()
    worker.stop(2000)
    if widget is not None:
        widget.close()
        widget.deleteLater()
    app.processEvents()
    elapsed = shown.get("t1", 0) - shown.get("t0", 0)
    frames = shown["frames"]
    steps = (shown["last_step"] or 0) - (shown["first_step"] or 0)
    return {"fps": (frames - 1) / elapsed if frames > 1 and elapsed > 0 else 0.0,
            "steps_per_s": steps / elapsed if elapsed > 0 else 0.0,
            "paint_ms": float(np.median(paint_ms)) if paint_ms else float("nan"),
            "engine": exp.engine}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="time per measurement")
    parser.add_argument("--speed", type=int, default=10,
                        help="steps per frame for the worker measurement (2)")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda where there is a GPU")
    parser.add_argument("--skip-1e7", action="store_true", help="skip the 1e7 kernel runs")
    args = parser.parse_args()
    from compute import backend

    has_torch = backend.torch_installed()
    print(f"Langevin at scale, {WIDTH}x{HEIGHT} offscreen, {args.seconds:g} s per measurement")
    print(f"machine: {load()} at start")

    print("\n1. kernel: EM step + per-step hysteresis counter (steps per second)")
    print(f"{'particles':>12} {'numpy f64':>11} {'torch f32':>11}")
    kernel: dict[tuple[int, str], float] = {}
    sizes = [100_000, 1_000_000] + ([] if args.skip_1e7 else [10_000_000])
    torch_device = backend.resolve_device(args.device) if has_torch else "cpu"
    for n in sizes:
        kernel[n, "numpy"] = kernel_steps_per_second(n, "numpy", "cpu", args.seconds)
        kernel[n, "torch"] = (kernel_steps_per_second(n, "torch", torch_device, args.seconds)
                              if has_torch else float("nan"))
        print(f"{n:>12,} {kernel[n, 'numpy']:>11.1f} {kernel[n, 'torch']:>11.1f}")
    if args.device == "cpu":
        print("   (CUDA figures cannot be measured on this machine: no GPU)")

    n = 1_000_000
    kind = "torch" if has_torch else "numpy"
    print(f"\n2. worker at {args.speed} steps/frame, 10^6 particles ({kind}), "
          "GUI painting all views at 60 Hz")
    alone = run_with_display(n, args.speed, args.seconds, args.device, "none")
    busy = run_with_display(n, args.speed, args.seconds, args.device, "all")
    bare = kernel[n, kind]
    print(f"   bare kernel                    {bare:8.1f} steps/s")
    print(f"   worker, frames taken unpainted {alone['steps_per_s']:8.1f} steps/s "
          f"({alone['steps_per_s'] / bare:.0%} of the kernel)")
    print(f"   worker, GUI painting           {busy['steps_per_s']:8.1f} steps/s "
          f"({busy['steps_per_s'] / bare:.0%} of the kernel; target >= 70 %)")

    print("\n3. displayed frames per second, 10^6 particles, 1 step per frame, compute included")
    for views in ("particles", "all"):
        r = run_with_display(n, 1, args.seconds, args.device, views)
        print(f"   {views + ' view' + ('s' if views == 'all' else ''):<16} {r['fps']:6.1f} fps "
              f"(median paint {r['paint_ms']:.1f} ms; target >= 60)")
    print(f"\nmachine: {load()} at the end")


if __name__ == "__main__":
    main()
