"""Langevin at scale: kernel steps/s, the worker beside a painting GUI, displayed frame rate.

Measured side by side in one run, offscreen at 800x600, on ``ch7.langevin-double-well``:

1. **Kernel** steps/s at 1e5, 1e6 and 1e7 particles: one Euler–Maruyama step of the double
   well plus the per-step hysteresis counter (what one internal step of the experiment
   costs), numpy float64 and torch float32 (one torch thread, as the GUI worker runs it).
2. **Worker while the GUI paints**: the experiment in the lab's ``FrameWorker`` thread at
   ``--speed`` steps per frame, its views painted at display rate; steps/s against the bare
   kernel of (1) at the same size and engine. Target: >= 70 %.
3. **Displayed frames per second** at 1e6 particles, one step per frame, the particle view
   (a density band) alone and all the experiment's views: fresh frames shown (and painted)
   per second, compute included. The lab paces its worker at 60 frames/s, so the paced
   figure is at most 60; the unpaced one shows the headroom. Target: >= 60.

The GUI side mirrors the lab's page: frames are taken on a 60 Hz tick, or at once when the
display is waiting for the worker, and Qt paints them from its own event loop (a bench that
polls or forces repaints takes the GIL the worker needs and measures itself).

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


def run_event_loop(seconds: float) -> None:
    """Run Qt's event loop for ``seconds``, as the lab does: the GUI thread sleeps in Qt
    between events, holding no GIL, rather than polling (a polling loop takes the GIL
    thousands of times a second and slows the worker thread it is meant to measure)."""
    from pyqtgraph.Qt import QtCore

    loop = QtCore.QEventLoop()
    QtCore.QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


class PaintCounter:
    """Counts paint events on widgets (the frames Qt actually drew)."""

    def __init__(self) -> None:
        from pyqtgraph.Qt import QtCore

        class Filter(QtCore.QObject):
            def eventFilter(inner, obj, event) -> bool:  # noqa: N805 (Qt's signature)
                if event.type() == QtCore.QEvent.Type.Paint:
                    self.paints += 1
                return False

        self.paints = 0
        self.filter = Filter()

    def watch(self, widget) -> None:
        target = widget.plot_widget.viewport() if hasattr(widget, "plot_widget") else widget
        target.installEventFilter(self.filter)


def run_with_display(n: int, speed: int, seconds: float, device: str, views: str,
                     engine: str = "auto", max_fps: float = 60.0) -> dict:
    """The experiment in a FrameWorker, its frames taken as the lab's page takes them (as
    soon as one is ready, and on a 60 Hz tick) and drawn on ``views`` ("particles": that
    view alone; "all": every view; "none": taken, not drawn), which Qt paints from its
    event loop. Returns displayed fps (frames shown, each followed by a paint of the particle
    view), the worker's steps/s, the median time to hand a frame to the views and the GUI
    thread's busy share (its CPU time over the wall time). ``max_fps`` paces the worker as
    the lab does (60); 0 lets it run as fast as it can, to show the headroom."""
    from pyqtgraph.Qt import QtCore

    from compute import registry
    from mgai_lab.worker import FrameWorker
    from panels import create_panel
    from panels.grid import PanelGrid

    app = _app()
    cls = registry.get(EXPERIMENT)
    exp = cls({"n_particles": n, "x0": -1.0, "dt": 2e-3, "engine": engine}, device=device)
    exp.set_steps_per_frame(speed)
    widget, watched = None, []
    if views == "particles":
        widget = create_panel(cls.views[0])
        watched = [widget]
    elif views == "all":
        widget = PanelGrid(cls.views)
        watched = widget.panels
    counter = PaintCounter()
    if widget is not None:
        widget.resize(WIDTH, HEIGHT)
        widget.show()
        for panel in watched:
            counter.watch(panel)
    worker = FrameWorker(exp, 1, max_fps=max_fps)
    shown = {"frames": 0, "first_step": None, "last_step": None, "painted": 0}
    hand_ms: list[float] = []

    class Display(QtCore.QObject):
        """Takes frames as ``ExperimentPage`` does: on its tick and, when the last tick
        found none (the display waits on the worker), as soon as one is ready."""

        waiting = False

        @QtCore.Slot()
        def arrived(self) -> None:
            if self.waiting:
                self.tick()

        @QtCore.Slot()
        def tick(self) -> None:
            frame = worker.take_frame()
            self.waiting = frame is None
            if frame is None:
                return
            started = time.perf_counter()
            if widget is not None:
                widget.update_frame(frame)
            hand_ms.append(1e3 * (time.perf_counter() - started))
            if shown["first_step"] is None:
                shown["first_step"], shown["t0"] = frame["step"], time.perf_counter()
            shown["frames"] += 1
            shown["last_step"], shown["t1"] = frame["step"], time.perf_counter()

    display = Display()
    timer = QtCore.QTimer()
    timer.setInterval(16)  # the lab's repaint tick (60 Hz)
    timer.timeout.connect(display.tick)
    worker.frame_ready.connect(display.arrived)
    worker.start()
    worker.play()
    timer.start()
    run_event_loop(1.5)  # warm-up: first frames, imports
    shown.update(frames=0, first_step=None)
    counter.paints = 0
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    run_event_loop(seconds)
    busy = (time.thread_time() - cpu0) / (time.perf_counter() - wall0)
    paints = counter.paints / max(len(watched), 1)
    timer.stop()
    worker.stop(2000)
    if widget is not None:
        widget.close()
        widget.deleteLater()
    app.processEvents()
    elapsed = shown.get("t1", 0) - shown.get("t0", 0)
    frames = shown["frames"]
    steps = (shown["last_step"] or 0) - (shown["first_step"] or 0)
    fps = (frames - 1) / elapsed if frames > 1 and elapsed > 0 else 0.0
    return {"fps": fps if widget is None else min(fps, paints / seconds),
            "steps_per_s": steps / elapsed if elapsed > 0 else 0.0,
            "hand_ms": float(np.median(hand_ms)) if hand_ms else float("nan"),
            "gui_busy": busy,
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
          f"({busy['steps_per_s'] / bare:.0%} of the kernel; target >= 70 %), "
          f"GUI thread busy {busy['gui_busy']:.0%}")

    print("\n3. displayed frames per second, 10^6 particles, 1 step per frame, compute included")
    print("   as the lab plays (its worker paced at 60 frames/s), and with the pacing off")
    for views in ("particles", "all"):
        name = "particles view" if views == "particles" else "all views"
        played = run_with_display(n, 1, args.seconds, args.device, views)
        free = run_with_display(n, 1, args.seconds, args.device, views, max_fps=0)
        print(f"   {name:<15} {played['fps']:5.1f} fps paced, {free['fps']:5.1f} fps unpaced "
              f"(target >= 60); frame handed to the views in {played['hand_ms']:.1f} ms, "
              f"GUI thread busy {played['gui_busy']:.0%} paced")
    print(f"\nmachine: {load()} at the end")


if __name__ == "__main__":
    main()
