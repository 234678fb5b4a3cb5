"""The mathematics of a planar phase portrait ẏ = f(y), y = (x, y) ∈ R², shared by every
phase-plane experiment (Chapter 2's oscillators and double wells, Chapter 3's momentum
portraits, Chapter 4's neural ODEs).

What is computed once per parameter change: a streamline sketch of the vector field, the
nullclines, the fixed points with their Jacobians, eigenvalues and type, the stable and
unstable manifolds of the saddles (the separatrices), and level sets of an energy. What
moves: :class:`Trajectories`, a batch of forward and backward trajectories advanced
together, launched from a click on the plane.

Curves are returned as one (n, 2) polyline with NaN rows between pieces, which a panel
draws as a single item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .experiment import Diverged, Experiment, Frame
from .ode import INTEGRATORS, STEPPERS, Field, blow_up_reason
from .params import Choice, Float, ParamError

Box = tuple[float, float, float, float]
"""(xmin, xmax, ymin, ymax)."""

NAN_ROW = np.full((1, 2), np.nan)


def trajectory_params(start: float, *, x0: float, T: tuple[float, float], dt_max: float,
                      integrator: str, integrator_help: str) -> tuple:
    """The start, horizon, step and integrator every portrait declares: x₀ (default
    ``x0``) and v₀ (default 0) in [−start, start], T (default, maximum) and dt up to
    ``dt_max``, all live."""
    return (
        Float("x0", x0, -start, start, live=True, label="x₀", help="Start position."),
        Float("v0", 0.0, -start, start, live=True, label="v₀", help="Start velocity."),
        Float("T", T[0], 1.0, T[1], live=True, label="horizon T",
              help="How long each trajectory runs."),
        Float("dt", 0.01, 1e-4, dt_max, live=True, log=True, label="dt", help="Time step."),
        Choice("integrator", integrator, INTEGRATORS, live=True, help=integrator_help),
    )


def join_polylines(pieces: Sequence[np.ndarray]) -> np.ndarray:
    """One (n, 2) polyline with NaN rows between the pieces (empty: shape (0, 2))."""
    parts = []
    for piece in pieces:
        if len(piece) >= 2:
            parts += [np.asarray(piece, dtype=float), NAN_ROW]
    return np.concatenate(parts[:-1]) if parts else np.empty((0, 2))


# -- fixed points ------------------------------------------------------------------------
def jacobian(f: Field, point: Sequence[float], eps: float = 1e-6) -> np.ndarray:
    """The 2×2 Jacobian ∂f/∂y at ``point`` by central differences (error O(eps²))."""
    p = np.asarray(point, dtype=float)
    cols = []
    for j in range(2):
        e = np.zeros(2)
        e[j] = eps
        cols.append((f((p + e)[None])[0] - f((p - e)[None])[0]) / (2 * eps))
    return np.stack(cols, axis=1)


def classify(J: np.ndarray, tol: float = 1e-9) -> str:
    """The type of a fixed point from its Jacobian (trace–determinant plane).

    det < 0: saddle; det > 0 with complex eigenvalues: spiral (centre when the trace
    vanishes), with real ones: node; stable when the trace is negative. det = 0: degenerate
    (a line of fixed points or a higher-order point; the linearisation does not decide).
    """
    tr, det = float(np.trace(J)), float(np.linalg.det(J))
    scale = max(1.0, float(np.abs(J).max()))
    if abs(det) <= tol * scale**2:
        return "degenerate"
    if det < 0:
        return "saddle"
    disc = tr * tr - 4 * det
    if abs(tr) <= tol * scale:
        return "center"
    side = "stable" if tr < 0 else "unstable"
    return f"{side} spiral" if disc < 0 else f"{side} node"


def launch_point(payload: Any, coordinates: str) -> np.ndarray:
    """The finite 2D point a click on a phase plane sends (the "launch" event), or a
    ParamError naming "launch" with the ``coordinates`` expected, e.g. "(x, y)"."""
    try:
        point = np.asarray(payload, dtype=float).reshape(2)
    except (TypeError, ValueError):
        raise ParamError("launch", f"expected a point {coordinates}, got {payload!r}") from None
    if not np.isfinite(point).all():
        raise ParamError("launch", "the point must be finite")
    return point


@dataclass(frozen=True)
class FixedPoint:
    """A zero of f with its linearisation."""

    point: np.ndarray
    jacobian: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    kind: str


def fixed_point(f: Field, point: Sequence[float], J: np.ndarray | None = None) -> FixedPoint:
    """Describe the fixed point at ``point`` (its Jacobian by differences unless given)."""
    p = np.asarray(point, dtype=float)
    J = jacobian(f, p) if J is None else np.asarray(J, dtype=float)
    lam, vec = np.linalg.eig(J)
    return FixedPoint(p, J, lam, vec, classify(J))


def find_fixed_points(f: Field, box: Box, seeds: int = 9, iterations: int = 40,
                      tol: float = 1e-10) -> list[FixedPoint]:
    """Fixed points inside ``box`` by Newton's method from a seeds × seeds grid (vectorised,
    Jacobians by differences), merged when closer than a thousandth of the box."""
    x0, x1, y0, y1 = box
    gx, gy = np.meshgrid(np.linspace(x0, x1, seeds), np.linspace(y0, y1, seeds))
    y = np.stack([gx.ravel(), gy.ravel()], axis=1)
    eps = 1e-6 * max(x1 - x0, y1 - y0)
    for _ in range(iterations):
        F = f(y)
        ex, ey = np.array([eps, 0.0]), np.array([0.0, eps])
        Jx = (f(y + ex) - f(y - ex)) / (2 * eps)
        Jy = (f(y + ey) - f(y - ey)) / (2 * eps)
        det = Jx[:, 0] * Jy[:, 1] - Jy[:, 0] * Jx[:, 1]
        ok = np.abs(det) > 1e-14
        safe = np.where(ok, det, 1.0)
        dx = np.where(ok, (Jy[:, 1] * F[:, 0] - Jy[:, 0] * F[:, 1]) / safe, 0.0)
        dy = np.where(ok, (-Jx[:, 1] * F[:, 0] + Jx[:, 0] * F[:, 1]) / safe, 0.0)
        y = y - np.stack([dx, dy], axis=1)
        y = np.where(np.isfinite(y), y, 1e300)
    F = f(y)
    size = max(x1 - x0, y1 - y0)
    inside = ((y[:, 0] >= x0) & (y[:, 0] <= x1) & (y[:, 1] >= y0) & (y[:, 1] <= y1)
              & (np.linalg.norm(F, axis=1) < tol * max(1.0, size)))
    found: list[np.ndarray] = []
    for p in y[inside]:
        if all(np.linalg.norm(p - q) > 1e-3 * size for q in found):
            found.append(p)
    found.sort(key=lambda p: (round(p[0], 9), round(p[1], 9)))
    return [fixed_point(f, p) for p in found]


def describe_fixed_point(fp: FixedPoint) -> str:
    """A short text: type, place, Jacobian and eigenvalues (for a read-out or a tooltip)."""
    J = fp.jacobian
    lam = ", ".join(_fmt_complex(v) for v in fp.eigenvalues)
    return (f"{fp.kind} at ({fp.point[0]:.4g}, {fp.point[1]:.4g})\n"
            f"J = [[{J[0, 0]:.4g}, {J[0, 1]:.4g}], [{J[1, 0]:.4g}, {J[1, 1]:.4g}]]\n"
            f"eigenvalues λ = {lam}")


def _fmt_complex(z: complex) -> str:
    z = complex(z)
    if abs(z.imag) < 1e-10:
        return f"{z.real:.4g}"
    return f"{z.real:.4g} {'+' if z.imag > 0 else '−'} {abs(z.imag):.4g}i"


# -- curves --------------------------------------------------------------------------------
def _inside(y: np.ndarray, box: Box, margin: float = 0.02) -> np.ndarray:
    x0, x1, y0, y1 = box
    mx, my = margin * (x1 - x0), margin * (y1 - y0)
    return ((y[:, 0] >= x0 - mx) & (y[:, 0] <= x1 + mx)
            & (y[:, 1] >= y0 - my) & (y[:, 1] <= y1 + my))


def trace_curves(f: Field, starts: np.ndarray, signs: np.ndarray, box: Box, ds: float,
                 n_steps: int, stops: np.ndarray | None = None) -> np.ndarray:
    """Curves tangent to f through each start, followed with arc-length steps ``ds`` in the
    direction ``signs`` (+1 forward, −1 backward in time) until they leave ``box`` or reach
    a zero of f (the field normalised to unit speed on the box-scaled screen, RK4). With
    ``stops`` (m, 2), a curve also ends within two steps of one of those points (fixed
    points it runs into), checked from its fourth step on.

    Returns an (n_steps + 1, k, 2) array: row i holds the points after i steps, NaN once a
    curve has ended.
    """
    x0, x1, y0, y1 = box
    scale = np.array([x1 - x0, y1 - y0], dtype=float)

    inv = 1.0 / scale

    def unit(y: np.ndarray) -> np.ndarray:
        v = f(y) * inv  # equal steps on the screen, whatever the axes' units
        n = np.sqrt(v[:, 0] * v[:, 0] + v[:, 1] * v[:, 1])
        return v * (1.0 / np.maximum(n, 1e-300))[:, None] * scale  # (0 where f = 0)

    y = np.asarray(starts, dtype=float).copy()
    h = (ds * np.asarray(signs, dtype=float))[:, None]
    path = np.full((n_steps + 1, len(y), 2), np.nan)
    path[0] = y
    alive = np.ones(len(y), bool)
    for i in range(n_steps):
        y = STEPPERS["rk4"](unit, y, h)
        alive &= _inside(y, box) & np.isfinite(y).all(axis=1)
        if i % 4 == 3:  # (checked now and then: a stalled curve costs only a few steps)
            alive &= np.linalg.norm(f(y) * inv, axis=1) > 1e-9
        if stops is not None and len(stops) and i >= 3:
            d = np.linalg.norm((y[:, None, :] - stops[None]) / scale, axis=2).min(axis=1)
            arrived = alive & (d < 2 * ds)
            path[i + 1, arrived] = stops[np.argmin(np.linalg.norm(
                (y[arrived, None, :] - stops[None]) / scale, axis=2), axis=1)]
            alive &= ~arrived
        if not alive.any():
            break
        path[i + 1, alive] = y[alive]
    return path


def streamlines(f: Field, box: Box, seeds: int = 14, length: float = 0.09,
                steps: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """A sketch of the flow: short streamlines through a seeds × seeds grid, each ``length``
    (as a share of the box) long, centred on its seed, and one arrow per seed.

    Returns the streamlines as one polyline and the arrows as an (m, 4) array of seed
    points and unit directions (in box-normalised coordinates scaled back to data units).
    """
    x0, x1, y0, y1 = box
    hx, hy = (x1 - x0) / seeds, (y1 - y0) / seeds
    gx, gy = np.meshgrid(x0 + hx * (np.arange(seeds) + 0.5), y0 + hy * (np.arange(seeds) + 0.5))
    starts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    ds = 0.5 * length / steps
    k = len(starts)
    fwd = trace_curves(f, starts, np.ones(k), box, ds, steps)
    bwd = trace_curves(f, starts, -np.ones(k), box, ds, steps)
    # per seed: backward points reversed, then forward ones, then a NaN gap
    lines = np.concatenate([bwd[::-1], fwd[1:], np.full((1, k, 2), np.nan)])
    lines = lines.transpose(1, 0, 2).reshape(-1, 2)
    scale = np.array([x1 - x0, y1 - y0])
    v = f(starts) / scale
    n = np.linalg.norm(v, axis=1, keepdims=True)
    ok = n[:, 0] > 1e-12
    arrows = np.concatenate([starts[ok], v[ok] / n[ok] * scale], axis=1)
    return lines, arrows


def saddle_manifolds(f: Field, fp: FixedPoint, box: Box, n_steps: int = 300,
                     offset: float = 1e-4, ds: float = 1.0 / 70,
                     stops: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The stable and unstable manifolds of a saddle, as two polylines.

    Each branch starts a small ``offset`` (share of the box) from the saddle along an
    eigenvector and follows the flow: backward in time along the stable eigenvector
    (λ < 0), forward along the unstable one (λ > 0), until it leaves the box, reaches one
    of the fixed points ``stops`` (the saddle itself for a homoclinic loop) or has run
    ``n_steps`` arc-length steps of ``ds`` (share of the box). All four branches are traced
    together.
    """
    x0, x1, y0, y1 = box
    scale = np.array([x1 - x0, y1 - y0])
    starts, signs = [], []
    for which, sign in (("stable", -1.0), ("unstable", 1.0)):
        k = int(np.argmin(fp.eigenvalues.real)) if which == "stable" \
            else int(np.argmax(fp.eigenvalues.real))
        v = np.real(fp.eigenvectors[:, k])
        v = v / np.linalg.norm(v / scale)  # unit length on the screen
        starts += [fp.point + offset * v, fp.point - offset * v]
        signs += [sign, sign]
    path = trace_curves(f, np.array(starts), np.array(signs), box, ds, n_steps, stops)
    branches = [np.vstack([fp.point, b[np.isfinite(b).all(axis=1)]])
                for b in path.transpose(1, 0, 2)]
    return join_polylines(branches[:2]), join_polylines(branches[2:])


def contour_lines(x: np.ndarray, y: np.ndarray, z: np.ndarray,
                  levels: Sequence[float]) -> list[np.ndarray]:
    """For each level, the level set {z = level} of z[iy, ix] on the grid (x, y) as one
    polyline (marching squares by contourpy, which matplotlib ships)."""
    import contourpy  # (lazily: only phase-plane experiments draw contours)

    gen = contourpy.contour_generator(x, y, np.asarray(z, dtype=float),
                                      line_type=contourpy.LineType.Separate)
    return [join_polylines(gen.lines(float(level))) for level in levels]


def grid_field(f: Field, box: Box, n: int = 161) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x (n,), y (n,), f on the grid (n, n, 2)), row index = y."""
    x0, x1, y0, y1 = box
    gx, gy = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(gx, gy)
    F = f(np.stack([X.ravel(), Y.ravel()], axis=1)).reshape(n, n, 2)
    return gx, gy, F


def nullclines(f: Field, box: Box, n: int = 161) -> tuple[np.ndarray, np.ndarray]:
    """The x-nullcline {ẋ = 0} and the y-nullcline {ẏ = 0} as polylines."""
    gx, gy, F = grid_field(f, box, n)
    return (contour_lines(gx, gy, F[..., 0], [0.0])[0],
            contour_lines(gx, gy, F[..., 1], [0.0])[0])


# -- moving trajectories -------------------------------------------------------------------
@dataclass
class Trajectories:
    """A batch of trajectories, forward (+1) and backward (−1) in time, advanced together.

    Each keeps its last ``trail`` recorded states (one every ``record_every`` steps) for
    drawing. A trajectory stops (its head stays where it was) when it leaves ``box`` grown
    by ``escape`` times its size, or when it has run ``horizon`` time units. The first
    trajectories may be pinned (``keep``): they are never dropped when more than
    ``capacity`` are launched; the oldest others go first.
    """

    f: Field
    box: Box
    method: str = "rk4"
    horizon: float = float("inf")
    trail: int = 600
    capacity: int = 24
    escape: float = 1.0
    record_every: int = 1
    keep: int = 1
    states: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    signs: np.ndarray = field(default_factory=lambda: np.empty(0))
    ages: np.ndarray = field(default_factory=lambda: np.empty(0))
    alive: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    trails: np.ndarray = field(default_factory=lambda: np.empty((0, 0, 2)))
    lengths: np.ndarray = field(default_factory=lambda: np.empty(0, int))
    _steps: int = 0

    def __post_init__(self) -> None:
        self.trails = np.full((0, self.trail, 2), np.nan)

    def __len__(self) -> int:
        return len(self.states)

    def launch(self, point: Sequence[float], directions: Sequence[int] = (1, -1)) -> None:
        """Start trajectories at ``point``, one per time direction (+1 forward, −1 back)."""
        p = np.asarray(point, dtype=float)
        for d in directions:
            if len(self.states) >= self.capacity:
                self._drop(self.keep)
            self.states = np.vstack([self.states, p[None]])
            self.signs = np.append(self.signs, float(d))
            self.ages = np.append(self.ages, 0.0)
            self.alive = np.append(self.alive, True)
            row = np.full((1, self.trail, 2), np.nan)
            row[0, 0] = p
            self.trails = np.concatenate([self.trails, row])
            self.lengths = np.append(self.lengths, 1)

    def _drop(self, index: int) -> None:
        keep = np.arange(len(self.states)) != index
        for name in ("states", "signs", "ages", "alive", "trails", "lengths"):
            setattr(self, name, getattr(self, name)[keep])

    def replace_first(self, points: np.ndarray) -> None:
        """Restart the first len(points) trajectories (forward) from ``points``; the
        others go on."""
        m = len(points)
        self.states[:m] = points
        self.signs[:m] = 1.0
        self.ages[:m] = 0.0
        self.alive[:m] = True
        self.trails[:m] = np.nan
        self.trails[:m, 0] = points
        self.lengths[:m] = 1

    def clear(self, keep: int = 0) -> None:
        """Forget all trajectories but the first ``keep``."""
        for name in ("states", "signs", "ages", "alive", "trails", "lengths"):
            setattr(self, name, getattr(self, name)[:keep])

    def step(self, dt: float, n: int = 1) -> None:
        """Advance every live trajectory by ``n`` steps of ``dt`` in its own direction."""
        stepper = STEPPERS[self.method]
        x0, x1, y0, y1 = self.box
        wx, wy = self.escape * (x1 - x0), self.escape * (y1 - y0)
        for _ in range(n):
            live = self.alive & (self.ages < self.horizon - 1e-12)
            if not live.any():
                return
            h = (dt * self.signs[live])[:, None]
            h = np.minimum(np.abs(h), (self.horizon - self.ages[live])[:, None]) * np.sign(h)
            new = stepper(self.f, self.states[live], h)
            idx = np.flatnonzero(live)
            ok = (np.isfinite(new).all(axis=1) & (new[:, 0] > x0 - wx) & (new[:, 0] < x1 + wx)
                  & (new[:, 1] > y0 - wy) & (new[:, 1] < y1 + wy))
            self.states[idx[ok]] = new[ok]
            self.ages[idx[ok]] += np.abs(h[ok, 0])
            self.alive[idx[~ok]] = False
            self._steps += 1
            if self._steps % self.record_every == 0:
                self._record(idx[ok])

    def _record(self, idx: np.ndarray) -> None:
        full = self.lengths[idx] >= self.trail
        roll = idx[full]
        if len(roll):
            self.trails[roll, :-1] = self.trails[roll, 1:]
            self.lengths[roll] = self.trail - 1
        self.trails[idx, self.lengths[idx]] = self.states[idx]
        self.lengths[idx] += 1

    def trail_array(self, max_points: int = 400) -> np.ndarray:
        """(k, m, 2) recent states of each trajectory, NaN-padded, at most ``max_points``
        per trajectory (evenly thinned, the newest point always kept)."""
        if self.trail <= max_points:
            return self.trails.copy()
        stride = int(np.ceil(self.trail / max_points))
        out = np.full((len(self.states), max_points + 1, 2), np.nan)
        for i, n in enumerate(self.lengths):
            pts = self.trails[i, :n]
            keep = pts[::-1][::stride][::-1]
            out[i, : len(keep)] = keep
        return out


# -- the static layers of a portrait -----------------------------------------------------
LAYER_FIELDS = {
    "box": "(4,) xmin, xmax, ymin, ymax of the portrait",
    "streamlines": "(n, 2) short streamlines sketching the flow (NaN-separated)",
    "arrows": "(m, 4) arrow seeds and unit directions of the flow",
    "nullcline_x": "(n, 2) the curve where the first component of f vanishes",
    "nullcline_y": "(n, 2) the curve where the second component of f vanishes",
    "contours": "(n, 2) level sets of the energy (NaN-separated)",
    "contour_labels": "(m,) the energy of each labelled level set",
    "contour_label_pos": "(m, 2) where each level's label sits (its top point)",
    "separatrix": "(n, 2) the level set of the separatrix energy",
    "level_set": "(n, 2) the level set of a chosen energy",
    "stable_manifold": "(n, 2) stable manifolds of the saddles",
    "unstable_manifold": "(n, 2) unstable manifolds of the saddles",
    "fixed_points": "(m, 2) fixed points",
    "fixed_kinds": "(m,) their types (saddle, stable spiral, …)",
    "fixed_info": "(m,) type, Jacobian and eigenvalues of each fixed point",
}


def portrait_layers(f: Field, box: Box, *, energy: Callable[[np.ndarray, np.ndarray],
                                                            np.ndarray] | None = None,
                    levels: Sequence[float] = (), separatrix: float | None = None,
                    marked: float | None = None, fixed: Sequence[FixedPoint] | None = None,
                    seeds: int = 14, grid: int = 161,
                    ) -> tuple[dict[str, np.ndarray], list[FixedPoint]]:
    """Every static layer of a portrait of f over ``box`` (the :data:`LAYER_FIELDS`), and
    the fixed points (found by Newton's method unless given).

    ``energy`` (x, y) -> E draws the level sets ``levels`` (labelled) and, bold, the level
    ``separatrix``, and the level ``marked`` apart.
    """
    box = tuple(float(v) for v in box)
    fps = list(fixed) if fixed is not None else find_fixed_points(f, box)
    stream, arrows = streamlines(f, box, seeds=seeds)
    gx, gy, F = grid_field(f, box, grid)
    null_x, null_y = (contour_lines(gx, gy, F[..., i], [0.0])[0] for i in (0, 1))
    out = {"box": np.array(box), "streamlines": stream, "arrows": arrows,
           "nullcline_x": null_x, "nullcline_y": null_y}
    empty = np.empty((0, 2))
    contours, labels, label_pos, sep, level_set = [], [], [], empty, empty
    if energy is not None:
        X, Y = np.meshgrid(gx, gy)
        E = energy(X, Y)
        lines = contour_lines(gx, gy, E, levels) if len(levels) else []
        for level, line in zip(levels, lines, strict=True):
            if len(line) and np.isfinite(line).any():
                contours.append(line)
                ok = np.isfinite(line).all(axis=1)
                top = line[ok][np.argmax(line[ok, 1])]
                labels.append(f"E = {level:.3g}")
                label_pos.append(top)
        if separatrix is not None:
            sep = contour_lines(gx, gy, E, [separatrix])[0]
        if marked is not None:
            level_set = contour_lines(gx, gy, E, [marked])[0]
    out["contours"] = join_polylines([c for line in contours for c in _split(line)])
    out["contour_labels"] = np.array(labels, dtype=object)
    out["contour_label_pos"] = np.array(label_pos).reshape(-1, 2)
    out["separatrix"] = sep
    out["level_set"] = level_set
    stable, unstable = [], []
    out_fixed = np.array([fp.point for fp in fps]).reshape(-1, 2)
    for fp in fps:
        if fp.kind == "saddle":
            s, u = saddle_manifolds(f, fp, box, stops=out_fixed)
            stable += _split(s)
            unstable += _split(u)
    out["stable_manifold"] = join_polylines(stable)
    out["unstable_manifold"] = join_polylines(unstable)
    out["fixed_points"] = np.array([fp.point for fp in fps]).reshape(-1, 2)
    out["fixed_kinds"] = np.array([fp.kind for fp in fps], dtype=object)
    out["fixed_info"] = np.array([describe_fixed_point(fp) for fp in fps], dtype=object)
    return out, fps


def _split(poly: np.ndarray) -> list[np.ndarray]:
    """The pieces of a NaN-separated polyline."""
    if not len(poly):
        return []
    bad = ~np.isfinite(poly).all(axis=1)
    cuts = np.flatnonzero(bad)
    pieces = (piece[np.isfinite(piece).all(axis=1)] for piece in np.split(poly, cuts))
    return [piece for piece in pieces if len(piece) >= 2]


# -- the experiment skeleton ---------------------------------------------------------------
class PortraitExperiment(Experiment):
    """Base of the phase-plane experiments: a planar system with its static portrait and
    trajectories that move, launched from a click on the plane forward and backward in time.

    A subclass gives the system (:meth:`field`), the region (:meth:`box`), the starts of
    its main trajectories (:meth:`starts`, the first one is the book's), and optionally an
    energy, its levels and the separatrix energy, and known fixed points. It reads the
    parameters ``T`` (horizon), ``dt`` and ``integrator``. Parameters named in
    :attr:`portrait_params` redraw the portrait and restart the main trajectories when
    they change live; launched trajectories go on in the new field. A main trajectory
    that leaves the region grown tenfold blows up: the run stops with the cause and the
    stable step (:func:`compute.ode.blow_up_reason`).
    """

    portrait_params: ClassVar[frozenset[str]] = frozenset()
    #: whether a main trajectory leaving the region means the integrator blew up (False
    #: for systems whose own solutions grow, e.g. a saddle: the trajectory just stops)
    escape_is_blow_up: ClassVar[bool] = True
    restart_params: ClassVar[frozenset[str]] = frozenset({"dt", "integrator"})
    has_energy: ClassVar[bool] = False

    def field(self) -> Field:
        raise NotImplementedError

    def box(self) -> Box:
        raise NotImplementedError

    def starts(self) -> np.ndarray:
        """(m, 2) starts of the main trajectories."""
        raise NotImplementedError

    def energy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The energy on a grid (drawn when :attr:`has_energy`)."""
        raise NotImplementedError

    def energy_levels(self) -> Sequence[float]:
        return ()

    def separatrix_energy(self) -> float | None:
        return None

    def marked_energy(self) -> float | None:
        """An energy whose level set is drawn apart (a slider), or None."""
        return None

    def grid_size(self) -> int:
        """Grid points per axis for nullclines and level sets."""
        return 161

    def known_fixed_points(self) -> list[FixedPoint] | None:
        """Fixed points from their closed form (None: found by Newton's method)."""
        return None

    # -- running ---------------------------------------------------------------------------
    def _build(self) -> None:
        """The static layers and the main trajectories' restart, for the current values."""
        f = self.field()
        energy = self.energy if self.has_energy else None
        self.layers, self.fixed = portrait_layers(
            f, self.box(), energy=energy, levels=self.energy_levels(),
            separatrix=self.separatrix_energy(), marked=self.marked_energy(),
            fixed=self.known_fixed_points(), grid=self.grid_size())
        starts = self.starts()
        if getattr(self, "n_main", None) != len(starts):  # first build, or a new count
            self.traj = Trajectories(f, self.box(), self.p["integrator"], self.p["T"],
                                     trail=self.trail_length(), escape=10.0, keep=len(starts))
            for s in starts:
                self.traj.launch(s, (1,))
            self.n_main = len(starts)
        else:
            self.traj.f, self.traj.box = f, self.box()
            self.traj.method, self.traj.horizon = self.p["integrator"], self.p["T"]
            self.traj.replace_first(starts)
        self.clock = 0.0
        self.on_restart_main()

    def trail_length(self) -> int:
        """Steps kept in each trail: the whole horizon, at most 4000."""
        return int(min(4000, np.ceil(self.p["T"] / self.p["dt"]) + 1))

    def on_restart_main(self) -> None:
        """Hook: the main trajectories restarted (clear their records)."""

    def on_live_change(self, names: set[str]) -> None:
        if names & (self.portrait_params | self.restart_params):
            self._rebuild = True

    def on_event(self, name: str, payload: Any) -> None:
        if name != "launch":
            return
        self.traj.launch(launch_point(payload, "(x, y)"))
        self._launched = True

    def advance(self, n: int) -> None:
        """Advance every trajectory ``n`` steps; a main trajectory that escapes blows up."""
        dt = self.p["dt"]
        before = self.traj.alive[: self.n_main].copy()
        self.traj.step(dt, n)
        self.clock = min(self.clock + n * dt, self.p["T"])
        escaped = before & ~self.traj.alive[: self.n_main]
        if escaped.any() and self.escape_is_blow_up:
            i = int(np.flatnonzero(escaped)[0])
            J = jacobian(self.traj.f, self.traj.states[i])
            raise Diverged(self.step, "the state left the plane: "
                           + blow_up_reason(self.p["integrator"], J, dt))

    @property
    def t(self) -> float:
        """Time since the main trajectories started, up to the horizon T."""
        return float(self.clock)

    def portrait_frame(self) -> Frame:
        """The frame fields of the portrait: static layers, heads, trails, directions."""
        return {"step": self.step, "t": self.t, **self.layers,
                "heads": self.traj.states.copy(), "trails": self.traj.trail_array(),
                "directions": self.traj.signs.copy()}

    def make_frame(self) -> Frame:
        """Hook: the whole frame (the portrait plus the subclass's fields)."""
        return self.portrait_frame()

    def after_steps(self, n: int) -> None:
        """Hook: ``n`` steps were taken (record histories)."""

    def frames(self) -> Iterator[Frame]:
        self.step = 0
        self._rebuild = False
        self._launched = False
        self._build()
        yield self.make_frame()
        while True:
            if self._rebuild:
                self._rebuild = False
                self._build()
            if self._launched:
                self._launched = False  # show the launch at once, without advancing time
            else:
                n = self.steps_per_frame
                self.advance(n)
                self.step += n
                self.after_steps(n)
            yield self.make_frame()


PORTRAIT_FIELDS = {
    **LAYER_FIELDS,
    "heads": "(k, 2) current states of the shown trajectories (main ones first)",
    "trails": "(k, n, 2) their recent paths, NaN-padded",
    "directions": "(k,) +1 forward, −1 backward in time",
}
NONFINITE_PORTRAIT_FIELDS = frozenset({"trails", "streamlines", "contours", "separatrix",
                                       "level_set",
                                       "nullcline_x", "nullcline_y", "stable_manifold",
                                       "unstable_manifold"})


# -- basins of attraction ------------------------------------------------------------------
class BasinSweep:
    """Which attractor each start of an n × n grid over ``box`` goes to, computed coarse to
    fine so the whole map shows early and sharpens: first every ``coarsest``-th grid point
    in each direction, then the points halfway between, and so on down to every point.

    ``settled`` (k, 2) -> (k,) labels the states whose fate is already decided (NaN for
    the others), e.g. "energy below the barrier, so trapped in the well of sign x";
    ``final`` labels the states still undecided after the horizon. Each call to
    :meth:`advance` does a bounded amount of work (``budget`` point-steps), so a frame
    stays short however large the grid.
    """

    def __init__(self, f: Field, box: Box, n: int, horizon: float, dt: float,
                 final: Callable[[np.ndarray], np.ndarray],
                 settled: Callable[[np.ndarray], np.ndarray] | None = None,
                 method: str = "rk4", coarsest: int = 8):
        self.f, self.box, self.n = f, box, n
        self.horizon, self.dt, self.method = horizon, dt, method
        self.final, self.settled = final, settled
        x0, x1, y0, y1 = box
        self.x, self.y = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
        self.labels = np.full((n, n), np.nan)
        stride = 1
        while stride * 2 <= coarsest and (n - 1) // (stride * 2) >= 1:
            stride *= 2
        self.strides = [stride // 2**k for k in range(int(np.log2(stride)) + 1)]
        self.level = -1
        self.done = False
        self._next_level()

    def _next_level(self) -> None:
        self.level += 1
        if self.level >= len(self.strides):
            self.done = True
            self.idx = np.empty(0, int)
            return
        s = self.strides[self.level]
        mask = np.zeros((self.n, self.n), bool)
        mask[::s, ::s] = True
        mask &= np.isnan(self.labels)
        self.idx = np.flatnonzero(mask)
        iy, ix = np.divmod(self.idx, self.n)
        self.states = np.stack([self.x[ix], self.y[iy]], axis=1)
        self.time = 0.0
        self._decide_settled()

    def _decide_settled(self) -> None:
        if self.settled is None or not len(self.idx):
            return
        lab = self.settled(self.states)
        ok = np.isfinite(lab)
        self.labels.flat[self.idx[ok]] = lab[ok]
        self.idx, self.states = self.idx[~ok], self.states[~ok]

    def advance(self, budget: int = 100_000, max_steps: int = 40) -> None:
        """Integrate the current level's open starts for about ``budget`` point-steps and
        at most ``max_steps`` steps (a few starts left must not take long either)."""
        stepper = STEPPERS[self.method]
        while not self.done:
            if not len(self.idx) or self.time >= self.horizon - 1e-12:
                if len(self.idx):
                    self.labels.flat[self.idx] = self.final(self.states)
                self._next_level()
                continue
            if budget <= 0 or max_steps <= 0:
                return
            steps = max(1, min(budget // max(len(self.idx), 1), max_steps,
                               int(np.ceil((self.horizon - self.time) / self.dt))))
            for _ in range(steps):
                self.states = stepper(self.f, self.states, self.dt)
                self.time += self.dt
            budget -= steps * len(self.idx)
            max_steps -= steps
            self._decide_settled()

    @property
    def progress(self) -> float:
        """Share of the grid labelled so far."""
        return float(np.isfinite(self.labels).mean())

    def image(self) -> np.ndarray:
        """The labels, every open grid point shown with the label of the nearest coarser
        point computed (so the map is complete from the first level on)."""
        img = np.full((self.n, self.n), np.nan)
        for s in self.strides:
            coarse = self.labels[::s, ::s]
            near = np.clip(np.rint(np.arange(self.n) / s).astype(int), 0, len(coarse) - 1)
            block = coarse[np.ix_(near, near)]  # the nearest point of this level
            img = np.where(np.isfinite(block), block, img)
        return np.where(np.isfinite(self.labels), self.labels, img)
