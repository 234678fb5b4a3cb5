"""What a gallery frame costs to draw, with its captions unchanged and with new captions
each frame (which fits them again), side by side, in presentation type.

Fitting captions (sizes, wrapping, the caption band) costs several times the images
themselves, so the gallery redoes it only when the captions or the view's size change.

    .venv/bin/python bench/gallery_captions.py [--frames 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def per_frame_ms(panel, frames: list[dict]) -> float:
    """Mean CPU milliseconds of ``panel.update_frame`` over ``frames``."""
    start = time.process_time()
    for frame in frames:
        panel.update_frame(frame)
    return (time.process_time() - start) / len(frames) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    args = parser.parse_args()

    import numpy as np

    from compute.views import Gallery
    from mgai_lab.qt_app import ensure_qapp
    from panels import create_panel
    from panels.theme import PRESENTATION

    app = ensure_qapp(headless=True)
    panel = create_panel(Gallery("g", "gallery", images="im", labels="lab", columns=6),
                         PRESENTATION)
    panel.resize(953, 286)  # a cell of a 1920x1080 render
    panel.show()
    app.processEvents()
    rng = np.random.default_rng(0)
    labels = [f"digit {d}" for d in range(6)] + ["(after training)"] * 6
    same = [{"im": rng.random((12, 8, 8)), "lab": np.array(labels)}
            for _ in range(args.frames)]
    fresh = [{"im": rng.random((12, 8, 8)), "lab": np.array([f"{s} {k}" for s in labels])}
             for k in range(args.frames)]
    print(f"12 images of 8x8, {args.frames} frames, CPU ms per frame:")
    print(f"  captions unchanged: {per_frame_ms(panel, same):6.2f}")
    print(f"  captions new:       {per_frame_ms(panel, fresh):6.2f}")


if __name__ == "__main__":
    main()
