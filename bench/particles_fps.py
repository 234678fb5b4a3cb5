"""Particle-view frame rate: the lab's particle panel against matplotlib, same data, one run.

Renders 2D particle clouds offscreen at 800x600 and reports frames per second for
1e4 and 1e5 particles: the lab's ``ParticlesPanel`` (data update + full repaint of the
plot), matplotlib's full redraw (``set_offsets`` + ``canvas.draw``), and matplotlib with
blitting (restore background, draw the scatter, blit) as its best case.

    python bench/particles_fps.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np

WIDTH, HEIGHT = 800, 600
FRAMES_IN_CYCLE = 8


def make_frames(n: int) -> list[dict]:
    rng = np.random.default_rng(0)
    return [{"step": k, "t": float(k), "x": rng.standard_normal(n), "y": rng.standard_normal(n)}
            for k in range(FRAMES_IN_CYCLE)]


def timed(draw, seconds: float) -> float:
    """Frames per second of ``draw(k)`` over about ``seconds`` (after two warm-up frames)."""
    draw(0)
    draw(1)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        draw(count)
        count += 1
    return count / (time.perf_counter() - start)


def lab_fps(frames: list[dict], seconds: float) -> float:
    from pyqtgraph.Qt import QtWidgets

    from compute.views import Particles
    from panels import create_panel

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    panel = create_panel(Particles("bench", "particles", x="x", y="y", xrange=(-4, 4),
                                   yrange=(-4, 4)))
    panel.resize(WIDTH, HEIGHT)
    panel.show()
    app.processEvents()
    viewport = panel.plot_widget.viewport()

    def draw(k: int) -> None:
        panel.update_frame(frames[k % FRAMES_IN_CYCLE])
        viewport.repaint()

    fps = timed(draw, seconds)
    panel.close()
    return fps


def matplotlib_fps(frames: list[dict], seconds: float, blit: bool) -> float:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(WIDTH / 100, HEIGHT / 100), dpi=100)
    ax.set_xlim(-4, 4)
    ax.set_ylim(-4, 4)
    scatter = ax.scatter(frames[0]["x"], frames[0]["y"], s=4, linewidths=0, animated=blit)
    canvas = fig.canvas
    canvas.draw()
    background = canvas.copy_from_bbox(ax.bbox) if blit else None

    def draw(k: int) -> None:
        frame = frames[k % FRAMES_IN_CYCLE]
        scatter.set_offsets(np.column_stack([frame["x"], frame["y"]]))
        if blit:
            canvas.restore_region(background)
            ax.draw_artist(scatter)
            canvas.blit(ax.bbox)
        else:
            canvas.draw()

    fps = timed(draw, seconds)
    plt.close(fig)
    return fps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()
    print(f"particle view, {WIDTH}x{HEIGHT} offscreen, {args.seconds:g} s per measurement")
    print(f"{'particles':>10} {'lab fps':>9} {'mpl redraw':>11} {'mpl blit':>9} "
          f"{'lab/redraw':>11} {'lab/blit':>9}")
    for n in (10_000, 100_000):
        frames = make_frames(n)
        lab = lab_fps(frames, args.seconds)
        redraw = matplotlib_fps(frames, args.seconds, blit=False)
        blit = matplotlib_fps(frames, args.seconds, blit=True)
        print(f"{n:>10,} {lab:>9.1f} {redraw:>11.1f} {blit:>9.1f} {lab / redraw:>10.1f}x "
              f"{lab / blit:>8.1f}x")
    print("target: 1e5 particles at >= 60 fps and >= 1.5x matplotlib")


if __name__ == "__main__":
    main()
