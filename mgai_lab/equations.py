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

RENDER_VERSION = 2  # part of the cache key: bump when the rendering changes


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
    from matplotlib.figure import Figure

    # mathtext on a transparent figure, so the equation sits on any theme's background
    figure = Figure(figsize=(0.01, 0.01))
    figure.text(0, 0, latex, fontsize=12, color=color)
    buffer = io.BytesIO()
    figure.savefig(buffer, dpi=dpi, format="png", bbox_inches="tight", pad_inches=0.03,
                   transparent=True)
    data = buffer.getvalue()
    try:  # a read-only or full cache directory only costs the re-render next time
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass
    return data
