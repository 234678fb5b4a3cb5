"""Time from launch to the first painted frame, and what start-up avoids importing.

Launches the lab (offscreen) on its home experiment several times; the lab prints the
wall-clock time of its first painted frame (``MGAI_LAB_STARTUP_PROBE``) and whether torch
was imported. Measured side by side: the lab's own registry, and a synthetic full-size
registry of 150 experiment modules (``bench/synthetic_registry.py``), each first with an
empty catalogue cache (the first launch after an install or an edit imports every module)
and then warm; a bare Python start and ``import torch`` show what deferring torch saves.

    python bench/startup.py [--runs 5] [--total 150]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import synthetic_registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def launch_to_first_frame(env_extra: dict[str, str]) -> tuple[float, bool]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MGAI_LAB_STARTUP_PROBE="1", **env_extra)
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


def measure(label: str, runs: int, env_extra: dict[str, str]) -> bool:
    """Print the cold launch and the warm median for one registry; True if torch loaded."""
    cold, _ = launch_to_first_frame(env_extra)  # the catalogue cache is empty: imports all
    lab = [launch_to_first_frame(env_extra) for _ in range(runs)]
    seconds = [s for s, _ in lab]
    print(f"{label}: launch to first painted frame, warm ({runs} runs): median "
          f"{statistics.median(seconds):.3f} s, min {min(seconds):.3f} s, max "
          f"{max(seconds):.3f} s (target <= 1 s); first launch with an empty cache {cold:.3f} s")
    return any(t for _, t in lab)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--total", type=int, default=synthetic_registry.TOTAL,
                        help="experiments in the synthetic registry")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        real_cache, full_cache, plugins, config = (Path(tmp) / n for n in
                                                   ("c1", "c2", "plugins", "config"))
        real = synthetic_registry.count_real_experiments()
        torch_seen = measure(f"{real} experiments (the lab's own)", args.runs,
                             {"XDG_CACHE_HOME": str(real_cache),
                              "XDG_CONFIG_HOME": str(config)})
        synthetic_registry.write(plugins, args.total)
        torch_seen |= measure(f"{args.total} experiments (synthetic registry)", args.runs,
                              {"XDG_CACHE_HOME": str(full_cache), "XDG_CONFIG_HOME": str(config),
                               "MGAI_LAB_EXPERIMENT_PATH": str(plugins)})
    bare = statistics.median(command_seconds("pass") for _ in range(args.runs))
    try:
        torch_import = statistics.median(command_seconds("import torch") for _ in range(3))
    except subprocess.CalledProcessError:
        torch_import = float("nan")
    print(f"torch imported at start-up: {torch_seen}")
    print(f"for comparison: bare python start {bare:.3f} s; python -c 'import torch' "
          f"{torch_import:.3f} s")


if __name__ == "__main__":
    main()
