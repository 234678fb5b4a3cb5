"""Colours, fonts and line widths of the plots.

pyqtgraph ignores the Qt palette, so every panel restyles its own items from a
:class:`Theme`. Presentation mode is a theme too: high contrast, large fonts, thick lines.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Theme:
    """Everything a panel needs to style its items."""

    name: str
    background: str
    foreground: str
    grid_alpha: float
    palette: tuple[str, ...]  # colours of successive series (optimizers, paths, classes)
    accent: str  # particles and single-series curves
    reference: str  # analytic curves drawn over data
    font_pt: float = 9.0
    line_width: float = 1.6
    marker_px: float = 6.0

    def scaled(self, factor: float) -> Theme:
        """The same colours with fonts, lines and markers scaled by ``factor``."""
        return replace(self, font_pt=self.font_pt * factor, line_width=self.line_width * factor,
                       marker_px=self.marker_px * factor)

    def color(self, i: int) -> str:
        """The i-th series colour (cycling)."""
        return self.palette[i % len(self.palette)]


# Okabe–Ito-like palette: distinguishable for colour-blind viewers.
_PALETTE_LIGHT = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
                  "#000000", "#F0E442", "#7F7F7F")
_PALETTE_DARK = ("#56B4E9", "#FF8C42", "#3DDC97", "#F28FD0", "#FFD166", "#8FA8FF",
                 "#FFFFFF", "#F0E442", "#B0B0B0")

LIGHT = Theme("light", background="#FFFFFF", foreground="#202020", grid_alpha=0.25,
              palette=_PALETTE_LIGHT, accent="#0072B2", reference="#D55E00")
DARK = Theme("dark", background="#16181D", foreground="#E6E6E6", grid_alpha=0.2,
             palette=_PALETTE_DARK, accent="#56B4E9", reference="#FF8C42")
# High contrast for projectors: pure black and white, saturated colours, large type.
PRESENTATION = Theme("presentation", background="#000000", foreground="#FFFFFF",
                     grid_alpha=0.3, palette=("#4FC3F7", "#FFB300", "#66FF66", "#FF6EC7",
                                              "#FFFF66", "#FF5252", "#FFFFFF", "#B388FF",
                                              "#A0A0A0"),
                     accent="#4FC3F7", reference="#FFB300",
                     font_pt=9.0, line_width=1.6, marker_px=6.0).scaled(2.0)

THEMES = {t.name: t for t in (LIGHT, DARK, PRESENTATION)}
