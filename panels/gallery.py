"""A grid of small images with captions (a :class:`compute.views.Gallery`): eigendigits,
reconstructions, colour channels, video frames."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtCore, QtGui

from compute.views import Gallery

from .base import MIN_LABEL_SCALE, PlotPanel
from .theme import Theme

GAP = 0.08  # gap between images, as a fraction of an image's width
MIN_CAPTION_PT = 6.0  # a caption with a word wider than its image shrinks down to this


def gallery_grid(count: int, columns: int) -> tuple[int, int]:
    """(rows, columns) for ``count`` images: ``columns`` if given, else near-square."""
    cols = columns if columns > 0 else max(1, math.ceil(math.sqrt(count)))
    return max(1, math.ceil(count / cols)), cols


def _shrink_to(caption: pg.TextItem, width_px: float, points: float, smallest: float,
               first: bool = False) -> float:
    """Set ``caption`` in ``points`` (with ``first``), then smaller, down to ``smallest``,
    until it is at most ``width_px`` wide; returns the size it is set in."""
    font = caption.textItem.font()
    if first:
        font.setPointSizeF(points)
        caption.setFont(font)
    for _ in range(3):  # text width is nearly proportional to the size: a step or two
        width = caption.textItem.boundingRect().width()
        if width <= width_px or points <= smallest:
            break
        points = max(points * width_px / width * 0.97, smallest)
        font.setPointSizeF(points)
        caption.setFont(font)
    return points


class GalleryPanel(PlotPanel):
    """One ImageItem per image, placed in a grid on an equal-aspect plot without axes."""

    view: Gallery

    def __init__(self, view: Gallery, theme: Theme, parent=None):
        super().__init__(view, theme, parent)
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.lut = pg.colormap.get(view.colormap).getLookupTable(nPts=256, alpha=False) \
            if view.colormap != "grey" else None
        self.items: list[pg.ImageItem] = []
        self.captions: list[pg.TextItem] = []
        self.images: np.ndarray | None = None
        self.cells: list[tuple[float, float, float, float]] = []
        self._placed_for: tuple | None = None  # what the present layout was made for
        self.plot.getViewBox().sigResized.connect(self._place)
        self.style_items()

    def style_items(self) -> None:
        super().style_items()
        self.plot.showGrid(x=False, y=False)
        font = QtGui.QFont()
        font.setPointSizeF(self.theme.font_pt)
        for caption in self.captions:
            caption.setColor(self.theme.foreground)
            caption.setFont(font)
        self._placed_for = None  # captions back in the theme's size: fit them again

    def _ensure(self, count: int) -> None:
        added = len(self.items) < count
        while len(self.items) < count:
            item = pg.ImageItem(axisOrder="row-major")
            self.plot.addItem(item)
            self.items.append(item)
            caption = pg.TextItem(anchor=(0.5, 1.0))
            caption.textItem.document().setDefaultTextOption(
                QtGui.QTextOption(QtCore.Qt.AlignmentFlag.AlignHCenter))  # (wrapped lines)
            self.plot.addItem(caption)
            self.captions.append(caption)
        for k, (item, caption) in enumerate(zip(self.items, self.captions, strict=True)):
            item.setVisible(k < count)
            caption.setVisible(k < count)
        if added:
            self.style_items()

    def _levels(self, images: np.ndarray, k: int) -> tuple[float, float]:
        mode = self.view.levels
        if isinstance(mode, tuple):
            return float(mode[0]), float(mode[1])
        data = images if mode == "shared" else images[k]
        finite = data[np.isfinite(data)]
        if not finite.size:
            return 0.0, 1.0
        lo, hi = float(finite.min()), float(finite.max())
        return (lo, hi) if hi > lo else (lo - 0.5, lo + 0.5)

    def show_frame(self, frame: Mapping[str, Any]) -> None:
        view = self.view
        if view.images not in frame or not self.changed(frame, view.images, view.labels):
            return
        images = np.asarray(frame[view.images])
        if images.ndim == 2:
            images = images[None]
        rgb = images.ndim == 4 and images.shape[-1] in (3, 4)
        count = images.shape[0]
        labels = [str(s) for s in frame[view.labels]] if (
            view.labels and view.labels in frame) else []
        labels = (labels + [""] * count)[:count]
        self.images = images
        self._ensure(count)
        for k in range(count):
            item = self.items[k]
            data = images[k]
            if rgb:
                if data.dtype.kind == "f":
                    data = np.clip(np.nan_to_num(data) * 255.0, 0, 255)
                item.setImage(data.astype(np.uint8), levels=(0, 255), autoLevels=False)
            else:
                item.setImage(data.astype(np.float32), levels=self._levels(images, k),
                              lut=self.lut, autoLevels=False)
            self.captions[k].setText(labels[k])
        self._place()

    def _place(self) -> None:
        """Lay the images and captions out for the view's size in pixels.

        Each row keeps a band above its images as tall as its captions' text (a fixed share
        of an image's height was too little for large type: the top captions ran out of the
        view), and a caption wider than its image is set smaller or on two lines, so
        neighbours never run into each other.
        """
        if self.images is None:
            return
        count, (h, w) = len(self.images), self.images.shape[1:3]
        rows, cols = gallery_grid(count, self.view.columns)
        captions = self.captions[:count]
        vb = self.plot.getViewBox()
        width, height = (vb.width(), vb.height()) if vb.width() > 10 else (600.0, 400.0)
        # fitting captions costs about as much as drawing the images: only when needed
        layout = (h, w, width, height, *(c.textItem.toPlainText() for c in captions))
        if layout == self._placed_for:
            return
        self._placed_for = layout

        def image_px(caption_px: float) -> float:
            """Pixels per image width, the view filled along its tighter side (the aspect
            is locked, so one unit is the same number of pixels along both axes)."""
            return max(1.0, min(width / (cols * (1 + GAP)),
                                (height - rows * caption_px) / (rows * (1 + GAP))))

        unit = image_px(self._caption_height(captions, self.theme.font_pt))
        for _ in range(4):  # captions on more lines leave less height to the images: settle
            for caption in captions:
                self._fit_caption(caption, unit)
            fitted = image_px(self._caption_height(captions))
            if fitted >= unit - 0.5:
                break
            unit = fitted
        unit = fitted
        band = self._caption_height(captions) / unit  # caption band, in image heights
        scale = 1.0 / max(h, w)  # every image fits a unit square
        self.cells = []
        for k in range(count):
            r, c = divmod(k, cols)
            x0, top = c * (1 + GAP), r * (band + 1 + GAP)
            y0 = top + band
            rect = (x0 + (1 - w * scale) / 2, y0 + (1 - h * scale) / 2, w * scale, h * scale)
            self.items[k].setRect(QtCore.QRectF(*rect))
            self.cells.append(rect)
            captions[k].setPos(x0 + 0.5, y0)
        self.plot.setRange(xRange=(-GAP / 2, cols * (1 + GAP) - GAP / 2),
                           yRange=(-GAP / 2, rows * (band + 1 + GAP) - GAP / 2), padding=0)

    @staticmethod
    def _caption_height(captions: list[pg.TextItem], points: float | None = None) -> float:
        """The tallest caption's height in pixels (0 when none has text), set in
        ``points`` if given, else in their present sizes."""
        tallest = 0.0
        for caption in captions:
            if caption.textItem.toPlainText():
                if points is not None:
                    font = caption.textItem.font()
                    font.setPointSizeF(points)
                    caption.setFont(font)
                tallest = max(tallest, caption.textItem.boundingRect().height())
        return tallest

    def _fit_caption(self, caption: pg.TextItem, width_px: float) -> None:
        """The caption in the theme's size; one wider than ``width_px`` (its image) set
        smaller, down to MIN_LABEL_SCALE of that size (as axis labels), then on more
        lines, then (a word longer than the image) smaller again, down to MIN_CAPTION_PT."""
        full = self.theme.font_pt
        caption.setTextWidth(-1)
        size = _shrink_to(caption, width_px, full, full * MIN_LABEL_SCALE, first=True)
        if caption.textItem.boundingRect().width() > width_px:
            caption.setTextWidth(width_px)
            _shrink_to(caption, width_px, size, MIN_CAPTION_PT)

    def hover_text(self, x: float, y: float) -> str:
        if self.images is None:
            return self.view.title
        for k, (x0, y0, w, h) in enumerate(self.cells):
            if x0 <= x < x0 + w and y0 <= y < y0 + h:
                img = self.images[k]
                row = int((y - y0) / h * img.shape[0])
                col = int((x - x0) / w * img.shape[1])
                value = img[row, col]
                shown = (", ".join(f"{v:.4g}" for v in np.ravel(value)) if np.ndim(value)
                         else f"{float(value):.4g}")
                caption = self.captions[k].textItem.toPlainText() or f"image {k + 1}"
                return f"{self.view.title}: {caption} [{row}, {col}] = {shown}"
        return self.view.title
