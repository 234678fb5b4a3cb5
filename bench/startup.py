"""Time from launch to the first painted frame, and what start-up avoids importing.

Launches the lab (offscreen) on its home experiment several times; the lab prints the
wall-clock time of its first painted frame (``MGAI_LAB_STARTUP_PROBE``) and whether torch
was imported. Side by side: a bare Python start and ``import torch``, measured the same
way, to show what deferring torch saves.

    python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def launch_to_first_frame() -> tuple[float, bool]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MGAI_LAB_STARTUP_PROBE="1")
    start = time.time()
    out = subprocess.run([sys.executable, "-m", "mgai_lab"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120).stdout
    for line in out.splitlines():
        if line.startswith("first-frame-painted"):
            _, stamp, _, torch_imported = line.split()
            return float(stamp) - start, torch_imported == "True"
    raise RuntimeError(f"the lab printed no probe line:\n{out}")


def command_seconds(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    lab = [launch_to_first_frame() for _ in range(args.runs)]
    seconds = [s for s, _ in lab]
    bare = statistics.median(command_seconds("pass") for _ in range(args.runs))
    try:
        torch_import = statistics.median(command_seconds("import torch") for _ in range(3))
    except subprocess.CalledProcessError:
        torch_import = float("nan")
    median = statistics.median(seconds)
    print(f"launch to first painted frame ({args.runs} runs): median {median:.3f} s,"
          f" min {min(seconds):.3f} s, max {max(seconds):.3f} s  (target <= 1 s)")
    print(f"torch imported at start-up: {any(t for _, t in lab)}")
    print(f"for comparison: bare python start {bare:.3f} s; python -c 'import torch' "
          f"{torch_import:.3f} s")


if __name__ == "__main__":
    main()
