"""LaTeX equations rendered to PNG with matplotlib's mathtext (pyqtgraph has no LaTeX).

matplotlib costs about a second to import, so equations are rendered after the window is
on screen and cached on disk by content, colour and resolution: later launches read PNGs.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import platformdirs

RENDER_VERSION = 3  # part of the cache key: bump when the rendering changes
PAD_INCHES = 0.03  # transparent margin around an equation


def cache_dir() -> Path:
    """Where rendered equations are kept (the platform's user cache directory)."""
    return Path(platformdirs.user_cache_dir("mgai-lab", appauthor=False)) / "equations"


def equation_png(latex: str, color: str = "#202020", dpi: int = 110) -> bytes:
    """PNG bytes of ``latex`` (mathtext subset), from the cache when it is there."""
    key = hashlib.sha1(f"{RENDER_VERSION}|{latex}|{color}|{dpi}".encode()).hexdigest()[:20]
    path = cache_dir() / f"{key}.png"
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = render_equation(latex, color, dpi)
    try:  # a read-only or full cache directory only costs the re-render next time
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass
    return data


def render_equation(latex: str, color: str, dpi: int) -> bytes:
    """PNG bytes of ``latex`` rendered now, without the cache: mathtext's own parser
    rasterises it and the coverage is encoded as a coloured, transparent PNG. (A matplotlib
    figure saved with a tight box costs twice as much: it lays the text out twice and draws
    a canvas around it.)"""
    import numpy as np
    from matplotlib.colors import to_rgb
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser
    from PIL import Image

    coverage = np.asarray(MathTextParser("agg").parse(latex, dpi, FontProperties(size=12)).image)
    pad = max(1, round(PAD_INCHES * dpi))
    rgba = np.zeros((coverage.shape[0] + 2 * pad, coverage.shape[1] + 2 * pad, 4), np.uint8)
    rgba[..., :3] = np.round(np.array(to_rgb(color)) * 255).astype(np.uint8)
    rgba[pad:-pad, pad:-pad, 3] = coverage
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, format="png")
    return buffer.getvalue()
