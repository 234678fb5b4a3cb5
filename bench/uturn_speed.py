"""Speed of the U-turn machinery (ch9.uturn, ch9.phases) against the catalogue's targets.

- exact-posterior U-turns: 2e5 per T_u (target: well under a second);
- the exact quadrature at one T_u, and the 100-point curves the panel draws;
- a full 20-point SDE sweep with the exact score, batch 1024, 300 steps (target: a few
  seconds), bare and driven through the experiment itself with no frame pacing (the
  experiment also computes its exact curves and collapse marker during the sweep);
- the collapse order parameter P_ret at one t for N = 1e4 training points, 256 probes.

    python bench/uturn_speed.py [--repeat 3]

Each figure is the best of ``repeat`` runs (the machine may be shared).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

import compute
from compute import checked_frames
from compute.diffusion import ReverseRun, exact_score_fn
from compute.experiments.ch9_uturn import CURVE_TU
from compute.gmm import GaussianMixture
from compute.schedules import Schedule
from compute.uturn import empirical_probes, posterior_uturn, return_statistics, uturn_law


def best_of(repeat: int, job: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return min(times)


def sweep(score: str, batch: int) -> None:
    exp = compute.get("ch9.uturn")({"score": score, "sweep": True, "batch": batch,
                                    "steps": 300, "n_sweep": 20})
    for _ in checked_frames(exp):
        pass


def bare_sde_sweep(grid: GaussianMixture, vp: Schedule, rng: np.random.Generator) -> None:
    """The reverse SDE alone: 20 values of T_u, 1024 U-turns, 300 steps, exact score."""
    score = exact_score_fn(grid, vp)
    for tu in np.linspace(0.02, 1.0, 20):
        x0, _ = grid.sample(1024, rng)
        xt = float(vp.alpha(tu)) * x0 + np.sqrt(float(vp.var(tu))) * rng.standard_normal(x0.shape)
        ReverseRun(xt, score, vp, 300, "ratio", 1.0, rng, t_start=float(tu)).advance(300)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    grid, vp = GaussianMixture.grid(3, 6.0, 0.5), Schedule("vp-linear")
    alpha, var = float(vp.alpha(0.5)), float(vp.var(0.5))
    rng = np.random.default_rng(0)

    rows = [
        ("exact-posterior U-turns, 2e5 at one T_u", best_of(
            repeat, lambda: posterior_uturn(grid, alpha, var, 200_000, rng)), "< 1 s"),
        ("exact quadrature at one T_u (9 modes, 40² nodes)", best_of(
            repeat, lambda: uturn_law(grid, alpha, var)), "instant"),
        (f"exact curves, {len(CURVE_TU)} values of T_u", best_of(
            repeat, lambda: [uturn_law(grid, float(vp.alpha(t)), float(vp.var(t))).p_same
                             for t in CURVE_TU]), "spread over frames"),
        ("20-point sweep, bare reverse SDE + exact score, 1024 × 300 steps", best_of(
            repeat, lambda: bare_sde_sweep(grid, vp, rng)), "a few seconds"),
        ("20-point sweep, exact posterior, batch 1024 (with the curves)", best_of(
            repeat, lambda: sweep("posterior", 1024)), "instant per T_u"),
        ("20-point sweep, SDE + exact score, batch 1024, 300 steps (with the curves)", best_of(
            repeat, lambda: sweep("exact", 1024)), "a few seconds"),
    ]
    points = grid.sample(10_000, rng)[0]
    seeds, noise = empirical_probes(points, 256, rng)
    rows.append(("P_ret at one t, N = 1e4, 256 probes", best_of(
        repeat, lambda: return_statistics(points, alpha, var, seeds, noise)), "~0.1-0.5 s"))
    width = max(len(name) for name, _, _ in rows)
    print(f"{'job':<{width}}  {'seconds':>8}  target")
    for name, seconds, target in rows:
        print(f"{name:<{width}}  {seconds:8.3f}  {target}")


if __name__ == "__main__":
    main()
