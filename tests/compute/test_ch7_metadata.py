"""Every chapter 7 experiment: equations render with matplotlib's mathtext, book notes are
there, presets include the default and a figure/exercise/demo where the catalogue names one,
and one frame at default parameters stays within the responsiveness budget."""

from __future__ import annotations

import io
import json
import time

import pytest

import compute
from mgai_lab import presets

CH7 = [cls for cls in compute.all_experiments() if cls.id.startswith("ch7.")]
EXPECTED_PRESETS = {
    "ch7.brownian-heat": "fig-7.6",
    "ch7.bm-boundaries-exercise": "exercise-7.3.1",
    "ch7.langevin-double-well": "fig-7.7",
    "ch7.langevin-metastability-exercise": "exercise-7.3.2",
    "ch7.toy-image-diffusion-chain": "exercise-7.4.1",
    "ch7.pagerank-perron-frobenius": "exercise-7.4.2",
    "ch7.rbm-nonlocal-mh-exercise": "exercise-7.5.1",
    "ch7.mingpt-sampling-exercise": "exercise-7.6.1",
}
ISSUE_14 = {"ch7.brownian-heat", "ch7.path-integral-ck", "ch7.bm-boundaries-exercise",
            "ch7.ou-process", "ch7.langevin-double-well", "ch7.langevin-metastability-exercise",
            "ch7.markov-chain-zoo", "ch7.toy-image-diffusion-chain",
            "ch7.pagerank-perron-frobenius", "ch7.dp-shortest-path",
            "ch7.ising-gibbs-metropolis", "ch7.rbm-mcmc", "ch7.rbm-nonlocal-mh-exercise",
            "ch7.token-sampling", "ch7.mingpt-sampling-exercise"}


def test_all_items_11_to_25_are_registered():
    assert {cls.id for cls in CH7} >= ISSUE_14


@pytest.mark.parametrize("cls", CH7, ids=[c.id for c in CH7])
def test_equations_render_with_mathtext(cls):
    from matplotlib import mathtext

    assert cls.equations
    for latex in cls.equations:
        mathtext.math_to_image(latex, io.BytesIO(), dpi=60, format="png")


@pytest.mark.parametrize("cls", CH7, ids=[c.id for c in CH7])
def test_presets_default_plus_figures_exercises_and_demos(cls):
    names = {name for name, _, shipped in presets.list_presets(cls.id) if shipped}
    assert "default" in names
    assert len(names) >= 3, names
    assert all(n == "default" or n.startswith(("fig-", "exercise-", "demo-")) for n in names)
    if cls.id in EXPECTED_PRESETS:
        assert EXPECTED_PRESETS[cls.id] in names
    for name, path, shipped in presets.list_presets(cls.id):
        if shipped and name != "default":
            assert json.loads(path.read_text(encoding="utf-8")).get("notes"), name


@pytest.mark.parametrize("cls", [c for c in CH7 if not c.needs_torch],
                         ids=[c.id for c in CH7 if not c.needs_torch])
def test_a_default_frame_is_quick(cls):
    """The bar is 50 ms on a quiet 2-core machine; the machine running the suite is shared,
    so this guards against a slow frame by a wide margin (a median of five frames)."""
    frames = compute.checked_frames(cls())
    next(frames)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        next(frames)
        times.append(time.perf_counter() - start)
    frames.close()
    assert sorted(times)[2] < 0.25, times
