"""Qt-free descriptions of what an experiment shows.

An experiment lists views; each names the frame fields it draws. ``panels/`` turns every
view family below into pyqtgraph items, so an experiment needs no Qt code. Field names refer
to keys of the frames the experiment yields (see ``Experiment.frame_fields``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class View:
    """Common part: a stable key (dock and layout id), a title and a placement hint.

    ``area="bottom"`` puts the view in the strip along the bottom, as tall as its content
    (read-outs always go there); any other value places it in the grid of plots, in the
    order the experiment lists its views, the first (the main view) taking the most room.
    """

    key: str
    title: str
    area: str = "grid"

    # Names of the attributes that hold frame-field names (a name or a tuple of names).
    _field_attrs: ClassVar[tuple[str, ...]] = ()

    def field_names(self) -> set[str]:
        """Every frame field this view reads (for checks that frames carry them)."""
        names: set[str] = set()
        for attr in self._field_attrs:
            value = getattr(self, attr)
            if isinstance(value, str):
                names.add(value)
            elif value is not None:
                names.update(value)
        return names


@dataclass(frozen=True)
class Particles(View):
    """A cloud of particles: 1D positions drawn on a curve, or 2D points.

    ``x`` (and ``y`` for 2D) are frame fields of shape (n,). With ``curve`` = (grid, values)
    a line is drawn and, when ``on_curve`` is set, each particle sits at height curve(x):
    particles jiggling in a potential. ``color`` is an optional int field (n,) of classes.
    ``trails`` is an optional (k, m, 2) field of recent positions of k tracked particles.
    Above ``density_threshold`` particles the cloud is drawn as a density image (log counts
    per pixel cell through a colour map; for particles on a curve, a band along the curve);
    the panel's context menu switches between automatic, points and density.
    ``density`` = (edges, counts) names fields of the positions already binned (increasing
    edges (m+1,), counts (m,)): a 1D density is then drawn from them, so a display frame does
    not bin 10⁶ positions again (particles outside the edges are not drawn).
    """

    x: str = "x"
    y: str | None = None
    curve: tuple[str, str] | None = None
    on_curve: bool = False
    color: str | None = None
    trails: str | None = None
    xlabel: str = "x"
    ylabel: str = ""
    xrange: tuple[float, float] | None = None
    yrange: tuple[float, float] | None = None
    equal_aspect: bool = False
    density_threshold: int = 20_000
    density: tuple[str, str] | None = None
    _field_attrs = ("x", "y", "curve", "color", "trails", "density")


@dataclass(frozen=True)
class Histogram(View):
    """Bars of a histogram (``edges`` (m+1,), ``values`` (m,)) against an analytic density.

    ``reference`` = (grid, density) fields drawn as a line over the bars.
    """

    edges: str = "edges"
    values: str = "hist"
    reference: tuple[str, str] | None = None
    xlabel: str = "x"
    ylabel: str = "density"
    reference_label: str = "exact"
    _field_attrs = ("edges", "values", "reference")


@dataclass(frozen=True)
class Series:
    """One data series of a :class:`Curves` view.

    ``y`` is (n,) or (k, n) for k lines sharing ``x`` (n,) (None: 0..n-1). ``names`` is a
    field of k strings labelling the rows; ``label`` labels a single line. ``style`` is
    "line", "dots", "step" or "fan": many thin rows drawn as one item (a space-time fan of
    paths), one colour per class when ``classes`` names a (k,) int field; ``class_labels``
    names the classes in the legend (else only the first class carries ``label``).
    """

    y: str
    x: str | None = None
    label: str = ""
    names: str | None = None
    style: str = "line"
    classes: str | None = None
    class_labels: tuple[str, ...] = ()

    def field_names(self) -> set[str]:
        return {n for n in (self.y, self.x, self.names, self.classes) if n}


@dataclass(frozen=True)
class Curves(View):
    """Curves against a shared abscissa (usually the step), optionally on log axes.

    ``vlines``/``hlines`` are scalar fields drawn as infinite marker lines.
    """

    series: tuple[Series, ...] = ()
    xlabel: str = "step"
    ylabel: str = ""
    logx: bool = False
    logy: bool = False
    vlines: tuple[str, ...] = ()
    hlines: tuple[str, ...] = ()
    equal_aspect: bool = False  # one unit is as long on both axes (a complex plane)
    _field_attrs = ("vlines", "hlines")

    def field_names(self) -> set[str]:
        names = super().field_names()
        for s in self.series:
            names.update(s.field_names())
        return names


@dataclass(frozen=True)
class Heatmap(View):
    """A 2D array as an image with a colour bar.

    ``field`` is (ny, nx), row 0 at the bottom; ``extent`` an optional (4,) field
    (xmin, xmax, ymin, ymax) in data units; ``levels`` fixes the colour range (None: from
    the data). ``contours`` draws that many iso-lines. Overlays for scalar fields of a
    landscape: ``paths`` (k, n, 2) trajectories padded with NaN, labelled by ``names``
    (or, with ``path_label``, all in one pen under that single legend entry: a fan of many
    paths); ``points`` (m, 2) markers; ``vectors`` = (X, Y, U, V) fields on a grid, drawn as arrows
    normalised to the grid spacing; ``regions`` (r, n, 2) closed polygons padded with NaN (a
    feasible set), shaded and outlined, labelled by ``region_names`` (a polygon without area,
    such as a segment, shows as its thick outline).
    """

    field: str = "image"
    extent: str | None = None
    levels: tuple[float, float] | None = None
    colormap: str = "viridis"
    contours: int = 0
    paths: str | None = None
    names: str | None = None
    path_label: str | None = None
    points: str | None = None
    vectors: tuple[str, str, str, str] | None = None
    regions: str | None = None
    region_names: str | None = None
    xlabel: str = ""
    ylabel: str = ""
    equal_aspect: bool = False
    _field_attrs = ("field", "extent", "paths", "names", "points", "vectors", "regions",
                    "region_names")


@dataclass(frozen=True)
class Readout(View):
    """A small table of scalar fields: (field, label, format) triples."""

    lines: tuple[tuple[str, str, str], ...] = ()

    def field_names(self) -> set[str]:
        return {name for name, _, _ in self.lines}


@dataclass(frozen=True)
class Bubbles(View):
    """Values on a few nodes (e.g. the 3×3 modes) as discs of area ∝ value, with labels.

    ``centers`` is an (m, 2) field of node positions, ``values`` (m,) the values (drawn up
    to ``max_value``), ``highlight`` an optional int field naming one node to ring.
    """

    centers: str = "centers"
    values: str = "values"
    highlight: str | None = None
    max_value: float = 1.0
    value_format: str = "{:.2f}"
    _field_attrs = ("centers", "values", "highlight")


@dataclass(frozen=True)
class Attention(View):
    """Attention weights of H heads, queries × keys, as heat maps or as a head view.

    ``weights`` is an (H, n, m) field (an (n, m) field is one head): row i of head h holds
    the weights with which query i attends to the m keys. Rows that hold NaN are not
    computed yet and are drawn empty, so a map fills in row by row as a run proceeds.
    ``query_labels`` (n,), ``key_labels`` (m,) and ``head_labels`` (H,) are optional string
    fields (tokens, iterations, head names). Every head shares one colour scale: ``levels``
    when given, else [0, the largest weight shown]. ``mode`` is the first rendering:
    "heatmap" (one map per head, the values printed in small maps) or "lines" (the head
    view known from BertViz: each query joined to each key by a line whose opacity is the
    weight, one colour per head); the panel has a toggle between the two.
    """

    weights: str = "alpha"
    query_labels: str | None = None
    key_labels: str | None = None
    head_labels: str | None = None
    mode: str = "heatmap"
    levels: tuple[float, float] | None = (0.0, 1.0)
    colormap: str = "viridis"
    query_axis: str = "query"
    key_axis: str = "key"
    _field_attrs = ("weights", "query_labels", "key_labels", "head_labels")


@dataclass(frozen=True)
class Bars(View):
    """Bars over named categories: probabilities, spectra, runtimes, weights.

    ``values`` is a (k,) field, or (s, k) for s series drawn side by side per category
    (named by the ``names`` field); ``labels`` a (k,) field of category names (else 1..k).
    NaN bars are not computed yet and drawn empty. ``reference`` is an optional (k,) field
    of exact values drawn as markers over the bars (a closed form). ``highlight`` an
    optional int field naming one category to mark; ``mask`` an optional (k,) bool field of
    categories drawn greyed (e.g. tokens a top-k filter removed). ``yrange`` fixes the value
    axis only where the mathematics fixes it (a probability in [0, 1]); ``logy`` draws
    log10 of the values (non-positive values are left out).
    """

    values: str = "values"
    labels: str | None = None
    names: str | None = None
    reference: str | None = None
    reference_label: str = "exact"
    highlight: str | None = None
    mask: str | None = None
    xlabel: str = ""
    ylabel: str = ""
    yrange: tuple[float, float] | None = None
    logy: bool = False
    value_format: str = "{:.3g}"
    _field_attrs = ("values", "labels", "names", "reference", "highlight", "mask")


@dataclass(frozen=True)
class Matrices(View):
    """Small matrices side by side, cells coloured and their values printed: a worked
    computation laid out as the book writes it (X, XᵀX, V, Σ, U, ...).

    ``matrices`` names the fields, each a 2D array (a 1D field is a row, a scalar 1×1);
    ``titles`` labels them (``titles_field``, a field of strings, overrides it, so a step
    can relabel). NaN entries are not computed yet and stay blank; a field absent from a
    frame, or of size 0, is drawn as nothing. ``boxes`` is an optional (b, 5) field of
    outlined blocks (matrix index, first row, first column, rows, columns): a sliding window, the
    entries being combined, the observed cells. Values are printed when a matrix has at
    most ``max_printed`` rows and columns, with ``value_format``. Each matrix is coloured
    on its own symmetric scale (blue negative, red positive).
    """

    matrices: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    titles_field: str | None = None
    boxes: str | None = None
    value_format: str = "{:.3g}"
    max_printed: int = 12
    colormap: str = "CET-D1"
    _field_attrs = ("matrices", "titles_field", "boxes")


@dataclass(frozen=True)
class Gallery(View):
    """A grid of small images with captions: eigendigits, reconstructions, channels, frames.

    ``images`` is a (k, h, w) field of scalar images drawn with ``colormap``, or
    (k, h, w, 3) of RGB images (floats in [0, 1] or 0..255 integers); ``labels`` a (k,)
    field of captions. ``levels``: "each" scales every image to its own range, "shared"
    uses one range for all, a (lo, hi) pair fixes it. ``columns`` = 0 picks a near-square
    grid.
    """

    images: str = "images"
    labels: str | None = None
    columns: int = 0
    levels: str | tuple[float, float] = "each"
    colormap: str = "grey"
    _field_attrs = ("images", "labels")


@dataclass(frozen=True)
class LinearMap(View):
    """What a 2×2 matrix does to the plane (equal aspect).

    ``matrix`` is a (2, 2) field A. Drawn (each switchable): the unit grid and its image
    under A; the unit circle and its image, an ellipse with semi-axes σ₁u₁ and σ₂u₂
    (``singular``: the singular axes); the unit square's image shaded, its area |det A|
    (``det_area``); A's real eigen-directions (``eigen``); the images Ae₁, Ae₂ of the basis
    (the columns of A); a ``shape`` field (m, 2) polygon and its image. Optional overlays:
    ``orbit`` (T, 2) points of a discrete-time orbit, shaded from old to new and joined in
    time order when ``orbit_lines``; ``points`` (N, 2) a cloud; ``curves`` (k, n, 2)
    NaN-padded curves labelled by ``curve_names``; ``vectors`` = (X, Y, U, V) fields of
    arrows at points (X, Y). ``show_original`` draws the grid, circle and shape before the
    map, faded.
    """

    matrix: str = "A"
    shape: str | None = None
    orbit: str | None = None
    orbit_lines: bool = True
    points: str | None = None
    curves: str | None = None
    curve_names: str | None = None
    vectors: tuple[str, str, str, str] | None = None
    grid: bool = True
    circle: bool = True
    singular: bool = True
    eigen: bool = True
    det_area: bool = True
    basis: bool = True
    show_original: bool = True
    xlabel: str = "x₁"
    ylabel: str = "x₂"
    _field_attrs = ("matrix", "shape", "orbit", "points", "curves", "curve_names", "vectors")


@dataclass(frozen=True)
class Graph(View):
    """Nodes at positions, coloured by a value, joined by (weighted, maybe directed) edges.

    ``positions`` is an (n, 2) field of node positions and ``edges`` an (m, 2) int field of
    node pairs (i, j) — for a ``directed`` graph the edge runs i → j, and i = j is a self-loop.
    Node colours come from ``values`` (n,) through ``colormap`` (over ``levels``, or the
    data's range, with a colour bar; a NaN value draws the node hollow: not reached yet), or
    from ``classes`` (n,) ints through the theme palette.
    ``labels`` (n,) strings are written beside the nodes, ``edge_labels`` (m,) strings at the
    edge midpoints. ``weights`` (m,) set each edge's width and opacity by |w| / max|w|.
    ``highlight_node`` (an int field, −1 for none) rings one node; ``highlight_edges`` (m,)
    bools draw those edges thick in the colour named by the string field ``highlight_color``
    (the theme's reference colour when absent): a sweep moving through the graph.
    ``levels_field`` names a (2,) field fixing the colour range frame by frame (a range the
    run knows, e.g. that of the initial state, which consensus never leaves).
    With ``editable``, clicking one node and then another asks the experiment to toggle the
    edge between them (the panel's ``interacted`` signal, event ``toggle_edge``).
    """

    positions: str = "positions"
    edges: str = "edges"
    values: str | None = None
    classes: str | None = None
    labels: str | None = None
    edge_labels: str | None = None
    weights: str | None = None
    highlight_node: str | None = None
    highlight_edges: str | None = None
    highlight_color: str | None = None
    directed: bool = False
    colormap: str = "viridis"
    levels: tuple[float, float] | None = None
    levels_field: str | None = None
    value_label: str = ""
    editable: bool = False
    _field_attrs = ("positions", "edges", "values", "classes", "labels", "edge_labels",
                    "weights", "highlight_node", "highlight_edges", "highlight_color",
                    "levels_field")
@dataclass(frozen=True)
class DecisionBoundary(View):
    """A 2D classifier: its probability map over the plane, its p = 0.5 boundary, its data.

    ``probability`` is an (ny, nx) field of P(y = 1 | x) on a grid over ``extent`` (4,)
    (xmin, xmax, ymin, ymax), row 0 at the bottom; an (ny, nx, C) field of class
    probabilities colours each pixel by the class mixture (argmax regions) instead. The
    boundary p = 0.5 is drawn as a thick line. ``points`` (n, 2) and ``labels`` (n,) ints
    are the data, one colour per class; ``highlight`` an optional (n,) bool field rings
    points (support vectors, mistakes). ``hyperplanes`` an optional (k, 3) field of lines
    a·x + b·y + c = 0 (hidden-unit hyperplanes, margins), drawn thin and dashed;
    ``levels`` more probability levels drawn the same way as iso-lines of the map (the
    curved margins of a kernel machine). ``segments`` an optional (k, 2, 2) field of line
    segments (slacks of margin violators), labelled ``segments_label``. ``reference`` an
    optional (ny, nx) field: a second classifier's probability on the same grid, whose
    p = 0.5 line is drawn in the reference colour and labelled ``reference_label``.
    ``message`` an optional string field written
    over the map when it means nothing (one class, collinear points).
    """

    probability: str = "probability"
    extent: str = "extent"
    points: str | None = "points"
    labels: str | None = "labels"
    highlight: str | None = None
    hyperplanes: str | None = None
    levels: tuple[float, ...] = ()
    segments: str | None = None
    segments_label: str = ""
    reference: str | None = None
    reference_label: str = ""
    message: str | None = None
    xlabel: str = "x₁"
    ylabel: str = "x₂"
    equal_aspect: bool = False
    _field_attrs = ("probability", "extent", "points", "labels", "highlight", "hyperplanes",
                    "segments", "reference", "message")


@dataclass(frozen=True)
class TokenText(View):
    """Generated text, token by token, each token shaded by a value in [0, 1].

    ``tokens`` is an (n,) string field (characters or words, newlines allowed), ``values``
    an (n,) float field (the probability each token was sampled with) mapped through
    ``colormap`` as the token's background; ``label`` an optional string field shown above
    the text (the prompt, the settings). Only the last ``max_tokens`` tokens are shown.
    """

    tokens: str = "tokens"
    values: str | None = None
    label: str | None = None
    colormap: str = "viridis"
    max_tokens: int = 800
    _field_attrs = ("tokens", "values", "label")


@dataclass(frozen=True)
class PhasePlane(View):
    """A planar phase portrait of ẏ = f(y): flow sketch, nullclines, fixed points, energy
    level sets, separatrices and moving trajectories (Chapter 2's oscillators and double
    wells, Chapter 3's momentum portraits, Chapter 4's neural ODEs).

    Curves are (n, 2) polylines with NaN rows between pieces: ``streamlines`` (a faint
    sketch of the flow) with ``arrows`` (m, 4) rows (x, y, dx, dy) giving its direction;
    ``nullclines`` = (x-nullcline, y-nullcline); ``contours`` level sets of an energy, with
    optional ``contour_labels`` (m,) strings placed at ``contour_label_pos`` (m, 2);
    ``highlight`` one level set drawn bold (the separatrix energy), named by
    ``highlight_label``, and ``level_set`` another (a level the user picks), named by
    ``level_set_label``; ``manifolds`` = (stable, unstable) manifolds of the saddles;
    ``guides`` more reference lines (singular directions, a steady state's axes), named by
    ``guides_label``.
    ``fixed_points`` (m, 2) are marked by their type, a (m,) string field ``fixed_kinds``
    ("saddle", "stable spiral", …); clicking one shows ``fixed_info`` (m,) texts (its
    Jacobian and eigenvalues). Trajectories: ``heads`` (k, 2) current states drawn as
    points, ``trails`` (k, n, 2) their recent paths (NaN-padded), ``directions`` (k,) +1 for
    forward and −1 for backward time (drawn dashed). ``box`` (4,) = (xmin, xmax, ymin,
    ymax) frames the view: the region the experiment portrays. With ``clickable``, a click
    on the plane away from a fixed point asks the experiment to launch a trajectory there,
    forward and backward in time (the panel's ``interacted`` signal, event ``launch`` with
    the point (x, y)).
    """

    box: str = "box"
    streamlines: str | None = "streamlines"
    arrows: str | None = "arrows"
    nullclines: tuple[str, str] | None = None
    contours: str | None = None
    contour_labels: str | None = None
    contour_label_pos: str | None = None
    highlight: str | None = None
    highlight_label: str = ""
    level_set: str | None = None
    level_set_label: str = ""
    manifolds: tuple[str, str] | None = None
    guides: str | None = None
    guides_label: str = ""
    fixed_points: str | None = None
    fixed_kinds: str | None = None
    fixed_info: str | None = None
    heads: str | None = "heads"
    trails: str | None = "trails"
    directions: str | None = "directions"
    clickable: bool = True
    xlabel: str = "x"
    ylabel: str = "y"
    equal_aspect: bool = False
    _field_attrs = ("box", "streamlines", "arrows", "nullclines", "contours", "contour_labels",
                    "contour_label_pos", "highlight", "level_set", "manifolds", "guides",
                    "fixed_points", "fixed_kinds", "fixed_info", "heads", "trails", "directions")
