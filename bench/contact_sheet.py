"""Render every experiment as a person sees it, for a person to look at.

For each experiment of the registry (or those named), opens it in the real window
(offscreen), plays a few seconds, and saves the window at 1600x1000 and in presentation
mode at 1920x1080; then lays all the pictures out as thumbnails on contact sheets with
their ids, so a reviewer can scan the whole lab in a few images and open the full-size
picture of anything that looks wrong.

    .venv/bin/python bench/contact_sheet.py OUT_DIR [--seconds 3] [ID ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

THUMB = (480, 300)  # thumbnail size on the sheet
COLUMNS = 4


def wait(app, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)


def capture(app, window, exp_id: str, out: Path, seconds: float) -> list[Path]:
    """The window on ``exp_id`` at 1600x1000 and in presentation mode; the files written."""
    window.appearance.set_presentation(False)
    wait(app, 0.3)
    window.showNormal()
    window.resize(1600, 1000)
    page = window.open_experiment(exp_id, playing=True)
    wait(app, seconds)
    page.pause()
    page.explanation.render_equations()
    wait(app, 0.3)
    normal = out / f"{exp_id}-1600x1000.png"
    window.grab().save(str(normal))
    window.appearance.set_presentation(True)
    page.play()
    wait(app, max(1.0, seconds / 2))
    page.pause()
    wait(app, 0.3)
    present = out / f"{exp_id}-presentation-1920x1080.png"
    window.grab().save(str(present))
    window.close_tab(window.tab_groups.current.indexOf(page))
    return [normal, present]


def contact_sheets(pictures: list[Path], out: Path) -> list[Path]:
    """Thumbnails of ``pictures`` with their names, COLUMNS across, 6 rows per sheet."""
    from pyqtgraph.Qt import QtCore, QtGui

    per_sheet = COLUMNS * 6
    sheets = []
    for start in range(0, len(pictures), per_sheet):
        chunk = pictures[start:start + per_sheet]
        rows = -(-len(chunk) // COLUMNS)
        label_h = 22
        sheet = QtGui.QImage(COLUMNS * THUMB[0], rows * (THUMB[1] + label_h),
                             QtGui.QImage.Format.Format_RGB32)
        sheet.fill(QtGui.QColor("white"))
        painter = QtGui.QPainter(sheet)
        painter.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
        for i, path in enumerate(chunk):
            x, y = (i % COLUMNS) * THUMB[0], (i // COLUMNS) * (THUMB[1] + label_h)
            image = QtGui.QImage(str(path)).scaled(
                THUMB[0] - 8, THUMB[1] - 4, QtCore.Qt.AspectRatioMode.KeepAspectRatio,
                QtCore.Qt.TransformationMode.SmoothTransformation)
            painter.drawImage(x + 4, y + label_h, image)
            painter.drawText(QtCore.QRect(x + 4, y, THUMB[0] - 8, label_h),
                             QtCore.Qt.AlignmentFlag.AlignVCenter, path.stem)
        painter.end()
        sheet_path = out / f"contact-sheet-{start // per_sheet + 1}.png"
        sheet.save(str(sheet_path))
        sheets.append(sheet_path)
    return sheets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("ids", nargs="*", help="experiments (default: all)")
    parser.add_argument("--seconds", type=float, default=3.0, help="played before each picture")
    args = parser.parse_args()
    from mgai_lab.qt_app import ensure_qapp

    app = ensure_qapp(headless=True)
    from compute import registry
    from mgai_lab.settings import Settings
    from mgai_lab.window import MainWindow

    args.out.mkdir(parents=True, exist_ok=True)
    ids = args.ids or [info.id for info in registry.catalog()]
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(settings=Settings(Path(tmp) / "settings.json"))
        window.resize(1600, 1000)
        window.show()
        pictures = []
        for exp_id in ids:
            started = time.monotonic()
            pictures += capture(app, window, exp_id, args.out, args.seconds)
            print(f"{exp_id}: {time.monotonic() - started:.1f} s", flush=True)
        window.close()
    for sheet in contact_sheets(pictures, args.out):
        print(f"contact sheet: {sheet}")


if __name__ == "__main__":
    main()
