"""The plot of a parameter sweep (``sweep --plot``), drawn headless with matplotlib's Agg
canvas (no Qt, no pyplot state): each metric against one varied parameter as the mean
± standard deviation over the seeds, or against two as a heat map of the mean."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .sweeps import Axis

MAX_TICKS = 10  # tick labels on a heat map axis before they are thinned
MAX_LABELLED_CELLS = 100  # heat maps up to this many cells write each cell's value


def plot(experiment_id: str, axes: Sequence[Axis], values: Mapping[str, np.ndarray],
         status: np.ndarray, steps: int, fmt: str = "png") -> bytes:
    """The figure as ``fmt`` (png, svg, pdf) bytes.

    ``values[metric]`` and ``status`` have shape (axis lengths…, seeds); a metric is NaN
    where its run did not end ok, ``status`` is '' where there is no row.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    count = len(values)
    if len(axes) == 1:
        figure = Figure(figsize=(7.5, 1.2 + 3.0 * count), dpi=110, layout="constrained")
        grid = figure.subplots(count, 1, squeeze=False)[:, 0]
    else:
        figure = Figure(figsize=(1.0 + 5.6 * count, 5.0), dpi=110, layout="constrained")
        grid = figure.subplots(1, count, squeeze=False)[0]
    seeds = status.shape[-1]
    spread = f"mean ± standard deviation over {seeds} seeds" if seeds > 1 else "one seed"
    what = spread if len(axes) == 1 else (f"mean over {seeds} seeds" if seeds > 1
                                          else "one seed")
    figure.suptitle(f"{experiment_id}: after {steps} frames ({what})", fontsize=11)
    for k, (ax, (metric, array)) in enumerate(zip(grid, values.items(), strict=True)):
        if len(axes) == 1:
            _curve(ax, axes[0], metric, array, status, legend=k == 0)
        else:
            _heatmap(figure, ax, axes, metric, array, status)
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt)
    return buffer.getvalue()


def _positions(axis: Axis) -> tuple[np.ndarray, bool]:
    """x positions of an axis' values, and whether they are numbers (else categories)."""
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in axis.values)
    if numeric:
        return np.array(axis.values, dtype=float), True
    return np.arange(len(axis.values), dtype=float), False


def _curve(ax: Axes, axis: Axis, metric: str, array: np.ndarray, status: np.ndarray,
           legend: bool) -> None:
    x, numeric = _positions(axis)
    ok = np.isfinite(array)
    counts = ok.sum(axis=1)
    with np.errstate(invalid="ignore"):
        mean = np.where(counts > 0, np.nansum(array, axis=1) / np.maximum(counts, 1), np.nan)
        sd = np.array([np.std(row[np.isfinite(row)], ddof=1) if n > 1 else np.nan
                       for row, n in zip(array, counts, strict=True)])
    seeds = array.shape[1]
    if seeds > 1:
        xs = np.repeat(x[:, None], seeds, axis=1)
        ax.plot(xs[ok], array[ok], "o", ms=3, color="0.55", alpha=0.6, label="one seed")
    label = "mean" if seeds > 1 else metric
    if numeric:  # a curve through the values, the spread as a band
        if seeds > 1:
            ax.fill_between(x, mean - sd, mean + sd, color="C0", alpha=0.2, lw=0,
                            label="± standard deviation")
        ax.plot(x, mean, "o-", color="C0", ms=4, lw=1.6, label=label)
    else:  # categories (choices): no line between them, the spread as error bars
        ax.errorbar(x, mean, yerr=sd if seeds > 1 else None, fmt="o", color="C0", ms=6,
                    capsize=6, label=label + (" ± standard deviation" if seeds > 1 else ""))
        ax.set_xticks(x, [str(v) for v in axis.values])
        ax.set_xlim(-0.5, len(x) - 0.5)
    for name, marker, color in (("diverged", "x", "C3"), ("error", "s", "C1")):
        hit = (status == name).any(axis=1)
        if hit.any():
            ax.plot(x[hit], np.zeros(hit.sum()), marker, color=color, ms=7, mew=2,
                    transform=ax.get_xaxis_transform(), clip_on=False, ls="none",
                    label=f"a run {'failed' if name == 'error' else name}")
    if numeric and axis.log:
        ax.set_xscale("log")
    ax.set_xlabel(axis.name)
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    if legend:  # the same markers on every metric's plot
        ax.legend(fontsize=8, loc="best")


def _heatmap(figure: Figure, ax: Axes, axes: Sequence[Axis], metric: str, array: np.ndarray,
             status: np.ndarray) -> None:
    ok = np.isfinite(array)
    counts = ok.sum(axis=2)
    mean = np.where(counts > 0, np.nansum(array, axis=2) / np.maximum(counts, 1), np.nan)
    cmap = _colormap()
    image = ax.imshow(np.ma.masked_invalid(mean.T), origin="lower", aspect="auto", cmap=cmap,
                      interpolation="nearest")
    figure.colorbar(image, ax=ax, label=metric, shrink=0.9)
    diverged = (status == "diverged").any(axis=2)
    failed = (status == "error").any(axis=2)
    small = mean.size <= MAX_LABELLED_CELLS
    for i, j in np.ndindex(mean.shape):
        marks = "×" * int(diverged[i, j]) + "!" * int(failed[i, j])
        number = f"{mean[i, j]:.3g}" if small and np.isfinite(mean[i, j]) else ""
        if not (marks or number):
            continue
        if number:  # dark text on light cells, light text on dark ones
            r, g, b, _ = image.cmap(image.norm(mean[i, j]))
            color = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
        else:
            color = "C3"
        ax.text(i, j, " ".join(filter(None, (number, marks))), ha="center", va="center",
                color=color, fontsize=9 if number else 15, fontweight="bold")
    for setter, labeller, axis in ((ax.set_xticks, ax.set_xlabel, axes[0]),
                                   (ax.set_yticks, ax.set_ylabel, axes[1])):
        step = max(1, -(-len(axis.values) // MAX_TICKS))
        ticks = np.arange(0, len(axis.values), step)
        setter(ticks, [_label(axis.values[t]) for t in ticks])
        labeller(axis.name)
    notes = ["grey: no run ended ok"] if not ok.any(axis=2).all() else []
    if diverged.any():
        notes.append("×: a run diverged")
    if failed.any():
        notes.append("!: a run failed")
    ax.set_title(metric + (f"  ({'; '.join(notes)})" if notes else ""), fontsize=9)


def _colormap():
    import matplotlib

    return matplotlib.colormaps["viridis"].with_extremes(bad="0.82")


def _label(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
