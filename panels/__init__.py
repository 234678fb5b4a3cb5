"""Qt views (pyqtgraph) for the Qt-free view descriptions of ``compute.views``.

One module per view family; :func:`create_panel` picks the panel class for a view.
"""

from __future__ import annotations

from compute import views

from .attention import AttentionPanel
from .bars import BarsPanel
from .base import PlotPanel, ViewPanel
from .bubbles import BubblesPanel
from .curves import CurvesPanel
from .decision_boundary import DecisionBoundaryPanel
from .gallery import GalleryPanel
from .graph import GraphPanel
from .heatmap import HeatmapPanel
from .histogram import HistogramPanel
from .linear_map import LinearMapPanel
from .matrices import MatricesPanel
from .particles import ParticlesPanel, PointCloudItem
from .phase_plane import PhasePlanePanel
from .readout import ReadoutPanel
from .theme import DARK, LIGHT, PRESENTATION, THEMES, Theme
from .token_text import TokenTextPanel

PANEL_FOR_VIEW: dict[type[views.View], type[ViewPanel]] = {
    views.Particles: ParticlesPanel,
    views.Histogram: HistogramPanel,
    views.Curves: CurvesPanel,
    views.Heatmap: HeatmapPanel,
    views.Readout: ReadoutPanel,
    views.Bubbles: BubblesPanel,
    views.Attention: AttentionPanel,
    views.Bars: BarsPanel,
    views.Matrices: MatricesPanel,
    views.Gallery: GalleryPanel,
    views.LinearMap: LinearMapPanel,
    views.Graph: GraphPanel,
    views.TokenText: TokenTextPanel,
    views.DecisionBoundary: DecisionBoundaryPanel,
    views.PhasePlane: PhasePlanePanel,
}


def create_panel(view: views.View, theme: Theme = LIGHT) -> ViewPanel:
    """The panel that draws ``view``; every view family of ``compute.views`` has one."""
    try:
        cls = PANEL_FOR_VIEW[type(view)]
    except KeyError:
        raise TypeError(f"no panel for view family {type(view).__name__}") from None
    return cls(view, theme)


__all__ = [
    "DARK", "LIGHT", "PANEL_FOR_VIEW", "PRESENTATION", "THEMES", "PlotPanel", "PointCloudItem",
    "Theme", "ViewPanel", "create_panel",
]
