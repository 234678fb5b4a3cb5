"""What each experiment costs per displayed frame, computing and drawing, at 1600x1000.

For every experiment (or those named) at its defaults: the experiment runs in the real
window (offscreen) with its worker stopped, and frames are pulled here one at a time, so
the two costs of a displayed frame are measured apart, in CPU time of this thread (which
other programs on the machine barely disturb):

* compute: ``frames()`` producing the frame (the worker's share, on its own core);
* draw: handing the frame to every view and painting them (the GUI thread's share).

On the lab's 2-core machine the worker and the GUI thread run side by side, so the frame
rate a person sees is about 1 / max(compute, draw), capped at the 60 Hz display. Printed
side by side with the time to the first frame (what a lecturer waits after Play).

    .venv/bin/python bench/frame_rates.py [--frames 30] [ID ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_FPS = 30.0
DISPLAY_HZ = 60.0


def measure(app, window, exp_id: str, frames: int, values: dict | None = None,
            speed: int | None = None) -> dict:
    """Median compute and draw time of a displayed frame of ``exp_id`` (at ``values``, a
    preset's parameters, or the defaults; ``speed`` internal steps per frame, or the
    experiment's default), and the frame rate they allow."""
    from compute.experiment import checked_frames
    from panels.base import PlotPanel

    page = window.open_experiment(exp_id, values)
    page.close_session()  # this thread pulls the frames itself
    app.processEvents()
    experiment = page.cls(page.session.values)
    if speed is not None:
        experiment.set_steps_per_frame(speed)
    source = checked_frames(experiment)
    compute, draw = [], []
    started = time.thread_time()
    first = None
    try:
        for _ in range(frames):
            t0 = time.thread_time()
            try:
                frame = next(source)
            except StopIteration:
                break
            t1 = time.thread_time()
            page.show_frame(frame)
            for panel in page.panels.values():
                if isinstance(panel, PlotPanel) and panel.isVisible():
                    panel.plot_widget.viewport().repaint()
                elif panel.isVisible():
                    panel.repaint()
            t2 = time.thread_time()
            first = first if first is not None else t2 - started
            compute.append(t1 - t0)
            draw.append(t2 - t1)
            app.processEvents()
    finally:
        source.close()
        window.close_tab(window.tab_groups.current.indexOf(page))
    c, d = statistics.median(compute[1:] or compute), statistics.median(draw[1:] or draw)
    return {"id": exp_id, "compute_ms": 1e3 * c, "draw_ms": 1e3 * d, "first_s": first,
            "fps": min(DISPLAY_HZ, 1.0 / max(c, d, 1e-6)), "frames": len(compute)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="experiments (default: all)")
    parser.add_argument("--frames", type=int, default=30)
    args = parser.parse_args()
    from mgai_lab.qt_app import ensure_qapp

    app = ensure_qapp(headless=True)
    from compute import registry
    from mgai_lab.settings import Settings
    from mgai_lab.window import MainWindow

    ids = args.ids or [info.id for info in registry.catalog()]
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(settings=Settings(Path(tmp) / "settings.json"))
        window.resize(1600, 1000)
        window.show()
        app.processEvents()
        print(f"{'experiment':36} {'compute ms':>10} {'draw ms':>8} {'~fps':>6} "
              f"{'first frame s':>13}")
        slow = []
        for exp_id in ids:
            r = measure(app, window, exp_id, args.frames)
            print(f"{r['id']:36} {r['compute_ms']:10.1f} {r['draw_ms']:8.1f} {r['fps']:6.1f} "
                  f"{r['first_s']:13.2f}", flush=True)
            if r["fps"] < TARGET_FPS:
                slow.append(r["id"])
        window.close()
    print(f"below {TARGET_FPS:g} fps: {', '.join(slow) or 'none'}")


if __name__ == "__main__":
    main()
