"""The whole test suite with a full-size registry: does it stay within its budget?

Writes a synthetic registry (``bench/synthetic_registry.py``: the lab's experiment modules
copied under new ids until there are 150 experiments), runs the suite over it exactly as
CI does (``pytest -n 2``), and prints side by side: the wall time against the 15-minute
budget, what the tests parametrised over the registry cost per experiment (their sum of
durations divided by the number of experiments, with the dearest experiments), and what
the rest of the suite costs.

The copies have no shipped presets, so the tests that every experiment ships its presets
fail for each of them; those failures are expected and counted apart.

    .venv/bin/python bench/suite_budget.py [--total 150] [pytest args...]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import synthetic_registry

ROOT = Path(__file__).resolve().parents[1]
BUDGET_S = 15 * 60
EXPECTED_FAILURES = ("test_every_experiment_ships_a_default_preset_equal_to_its_defaults",
                     "test_presets_default_plus_figures_exercises_and_demos")
DURATION = re.compile(r"^([\d.]+)s (call|setup|teardown)\s+(\S+)")


def experiment_of(node_id: str, ids: list[str]) -> str | None:
    """The experiment a parametrised test id is about (the longest id in its brackets)."""
    if "[" not in node_id:
        return None
    inside = node_id[node_id.index("[") + 1:]
    hits = [i for i in ids if inside.startswith(i)]
    return max(hits, key=len) if hits else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, default=synthetic_registry.TOTAL)
    args, pytest_args = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        plugins = Path(tmp) / "plugins"
        synthetic_registry.write(plugins, args.total)
        env = dict(os.environ, MGAI_LAB_EXPERIMENT_PATH=str(plugins))
        ids = subprocess.run([sys.executable, "-c", "import compute; print('\\n'.join("
                              "c.id for c in compute.all_experiments()))"], cwd=ROOT, env=env,
                             capture_output=True, text=True, check=True).stdout.split()
        command = [sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider",
                   "--durations=0", *pytest_args]
        started = time.monotonic()
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.monotonic() - started
    per_experiment: dict[str, float] = collections.defaultdict(float)
    per_test: dict[str, float] = collections.defaultdict(float)
    rest = 0.0
    for line in result.stdout.splitlines():
        match = DURATION.match(line)
        if not match:
            continue
        seconds, node = float(match[1]), match[3]
        experiment = experiment_of(node, ids)
        if experiment is None:
            rest += seconds
        else:
            per_experiment[experiment] += seconds
            per_test[node.split("[")[0]] += seconds
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    expected = [line for line in failed if any(name in line for name in EXPECTED_FAILURES)]
    summary = next((line for line in reversed(result.stdout.splitlines())
                    if " passed" in line or " failed" in line), "")
    costs = sorted(per_experiment.values())
    print(f"registry: {len(ids)} experiments")
    print(f"suite wall time {wall / 60:.1f} min on 2 workers, budget {BUDGET_S / 60:.0f} min "
          f"({wall / BUDGET_S:.0%} of it); {summary.strip()}")
    if costs:
        print(f"tests parametrised over the registry: {sum(costs):.0f} core-s in all, "
              f"per experiment median {statistics.median(costs):.2f} s, "
              f"mean {statistics.mean(costs):.2f} s, max {costs[-1]:.2f} s")
        dearest = sorted(per_experiment.items(), key=lambda kv: -kv[1])[:5]
        print("dearest experiments: " + ", ".join(f"{k} {v:.1f} s" for k, v in dearest))
        print("by test (core-s): " + ", ".join(
            f"{k.split('::')[-1]} {v:.0f}" for k, v in
            sorted(per_test.items(), key=lambda kv: -kv[1])[:8]))
    print(f"the rest of the suite: {rest:.0f} core-s")
    print(f"failures: {len(failed)}, of which {len(expected)} expected (synthetic experiments "
          f"ship no presets)")
    for line in failed:
        if line not in expected:
            print("  " + line)


if __name__ == "__main__":
    main()
