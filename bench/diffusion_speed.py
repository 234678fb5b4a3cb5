"""Speed of the Chapter 9 diffusion machinery on this machine.

1. Reverse diffusion with the exact score: steps per second and the time of a full run
   (default 10⁴ particles × 1000 steps), for the raw integrator (SDE and ODE) and for the
   ch9.sgm9 experiment including its frames (heatmap, quiver, statistics).
2. The exact mixture score: ``compute.diffusion.mixture_score`` against
   ``GaussianMixture.score`` (same numbers, different memory layout).
3. Live DSM training of the notebooks' MLP (torch, one thread as in the GUI worker): the
   steps and seconds until the network's DSM loss is within 5% of the irreducible floor,
   both measured on the same Monte-Carlo pairs.

    python bench/diffusion_speed.py [--particles 10000] [--steps 1000] [--train-max 40000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from compute import backend, checked_frames, get
from compute.diffusion import ReverseRun, dsm_loss, exact_score_fn, mixture_score
from compute.gmm import GaussianMixture
from compute.schedules import Schedule

GRID = GaussianMixture.grid(3, 6.0, 0.5)
VP = Schedule("vp-linear")


def reverse_speed(n: int, steps: int) -> None:
    score = exact_score_fn(GRID, VP)
    for mode in ("sde", "ode"):
        x = np.random.default_rng(0).standard_normal((n, 2))
        run = ReverseRun(x, score, VP, steps, mode, 1.0, np.random.default_rng(1))
        start = time.perf_counter()
        run.advance(steps)
        elapsed = time.perf_counter() - start
        print(f"reverse {mode.upper()}, exact score, {n} particles: {steps / elapsed:7.0f} "
              f"steps/s, {steps} steps in {elapsed:.2f} s")


def experiment_speed(n: int, steps: int) -> None:
    exp = get("ch9.sgm9")({"n_particles": n, "steps": steps})
    start = last = time.perf_counter()
    worst, frames = 0.0, 0
    for _frame in checked_frames(exp):
        now = time.perf_counter()
        worst, last, frames = max(worst, now - last), now, frames + 1
    elapsed = last - start
    print(f"ch9.sgm9 defaults but {n} particles: {frames} frames of "
          f"{exp.steps_per_frame} steps in {elapsed:.2f} s ({frames / elapsed:.0f} frames/s, "
          f"{steps / elapsed:.0f} steps/s), longest gap {worst * 1e3:.0f} ms")


def score_speed(n: int) -> None:
    noisy = GRID.noised(0.5, 0.75)
    x = np.random.default_rng(2).standard_normal((n, 2)) * 3
    for name, fn in (("diffusion.mixture_score", lambda: mixture_score(noisy, x)),
                     ("GaussianMixture.score", lambda: noisy.score(x))):
        fn()
        reps, start = 50, time.perf_counter()
        for _ in range(reps):
            fn()
        print(f"{name:>24}: {(time.perf_counter() - start) / reps * 1e3:6.2f} ms "
              f"for {n} points × 9 modes")


def training_speed(lr: float, max_steps: int, chunk: int, n_mc: int) -> None:
    from compute.score_net import DSMTrainer

    backend.set_torch_threads(1)
    points = GRID.sample(1000, backend.rng(0, 0))[0]  # the notebooks' fixed training set
    floor = dsm_loss(exact_score_fn(GRID, VP), GRID, VP, n_mc, np.random.default_rng(9))
    print(f"irreducible DSM loss (σ = 0.5, {n_mc} pairs): {floor:.4f}")
    trainer = DSMTrainer(points, VP, seed=0, lr=lr)
    train_time = 0.0
    while trainer.steps_done < max_steps:
        start = time.perf_counter()
        trainer.train(chunk)
        train_time += time.perf_counter() - start
        loss = dsm_loss(trainer.score_fn(), GRID, VP, n_mc, np.random.default_rng(9))
        gap = loss / floor - 1
        print(f"  step {trainer.steps_done:6d}: loss {loss:.4f} ({100 * gap:+5.1f}% of the floor),"
              f" {train_time:6.1f} s of training ({train_time / trainer.steps_done * 1e3:.2f} "
              "ms/step)", flush=True)
        if gap < 0.05:
            print(f"within 5% of the floor after {trainer.steps_done} steps, "
                  f"{train_time:.1f} s of training (lr {lr:g}, batch 256, one thread)")
            return
    print(f"not within 5% after {max_steps} steps ({train_time:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--particles", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--train-max", type=int, default=40_000)
    parser.add_argument("--train-chunk", type=int, default=1000)
    parser.add_argument("--mc", type=int, default=200_000, help="pairs of the loss estimates")
    parser.add_argument("--no-train", action="store_true", help="skip the torch part")
    args = parser.parse_args()
    reverse_speed(args.particles, args.steps)
    experiment_speed(args.particles, args.steps)
    score_speed(args.particles)
    if not args.no_train:
        training_speed(args.lr, args.train_max, args.train_chunk, args.mc)


if __name__ == "__main__":
    main()
