"""Rendering panels to images: PNG at any scale and SVG (with pyqtgraph's SVG bug fixed).

pyqtgraph 0.14's SVG exporter fails on current Qt: path data of closed sub-paths end in
``Z`` and its coordinate correction splits every token on ``,`` (upstream issue 3495). The
close commands are stripped before the correction runs (DESIGN §6); fills are unchanged.
Functions here return images or bytes; writing files is the shell's job.
"""

from __future__ import annotations

import re
import sys
import xml.dom.minidom

import pyqtgraph as pg
import pyqtgraph.exporters
from pyqtgraph.Qt import QtCore, QtGui, QtSvg, QtWidgets

from .base import PlotPanel, ViewPanel

_CLOSE_COMMAND = re.compile(r"\s*[Zz](?=\s|$)")


def _patch_svg_exporter() -> None:
    module = sys.modules["pyqtgraph.exporters.SVGExporter"]
    original = module.correctCoordinates
    if getattr(original, "_mgai_patched", False):
        return

    def correct_coordinates(node, defs, item, options):
        for path in node.getElementsByTagName("path"):
            data = path.getAttribute("d")
            if "Z" in data or "z" in data:
                path.setAttribute("d", _CLOSE_COMMAND.sub("", data).strip())
        return original(node, defs, item, options)

    correct_coordinates._mgai_patched = True
    module.correctCoordinates = correct_coordinates


_patch_svg_exporter()


def widget_rects(widgets: list[QtWidgets.QWidget]) -> tuple[list[QtCore.QRect], QtCore.QRect]:
    """Each widget's rectangle in their window's coordinates, and the rectangle around all."""
    rects = [QtCore.QRect(w.mapTo(w.window(), QtCore.QPoint(0, 0)), w.size()) for w in widgets]
    union = QtCore.QRect(rects[0])
    for rect in rects[1:]:
        union = union.united(rect)
    return rects, union


def render_widgets(widgets: list[QtWidgets.QWidget], scale: float = 1.0,
                   background: str = "white") -> QtGui.QImage:
    """The widgets re-painted at ``scale`` (crisp text and lines, not upscaled), placed as
    they sit in their window, on one image just large enough to hold them all."""
    rects, union = widget_rects(widgets)
    image = QtGui.QImage(union.size() * scale, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtGui.QColor(background))
    painter = QtGui.QPainter(image)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QtGui.QPainter.RenderHint.TextAntialiasing)
    painter.scale(scale, scale)
    for widget, rect in zip(widgets, rects, strict=True):
        painter.save()
        painter.translate(rect.topLeft() - union.topLeft())
        widget.render(painter, QtCore.QPoint(0, 0), QtGui.QRegion(),
                      QtWidgets.QWidget.RenderFlag.DrawChildren
                      | QtWidgets.QWidget.RenderFlag.DrawWindowBackground)
        painter.restore()
    painter.end()
    return image


def panel_svg(panel: ViewPanel) -> bytes:
    """One panel as an SVG document: pyqtgraph's exporter for plots, Qt's generator else."""
    if isinstance(panel, PlotPanel):
        exporter = pg.exporters.SVGExporter(panel.plot)
        return exporter.export(toBytes=True)
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    generator = QtSvg.QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(panel.size())
    generator.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), panel.size()))
    generator.setTitle(panel.view.title)
    painter = QtGui.QPainter(generator)
    panel.render(painter, QtCore.QPoint(0, 0))
    painter.end()
    return bytes(buffer.data())


def combine_svgs(parts: list[tuple[bytes, QtCore.QRect]], size: QtCore.QSize,
                 titles: list[tuple[str, QtCore.QPoint]] = ()) -> bytes:
    """Several SVG documents placed at their rectangles in one document of ``size``, with
    ``titles`` as text at their points (the views' titles, which no plot draws itself).

    Each part becomes a translated group (SVG Tiny, which Qt renders, has no nested
    <svg>); its ids get a per-part prefix so clip paths of different parts cannot clash.
    """
    out = xml.dom.minidom.Document()
    root = out.createElement("svg")
    for key, value in (("xmlns", "http://www.w3.org/2000/svg"),
                       ("xmlns:xlink", "http://www.w3.org/1999/xlink"),
                       ("version", "1.2"), ("baseProfile", "tiny"),
                       ("width", str(size.width())), ("height", str(size.height())),
                       ("viewBox", f"0 0 {size.width()} {size.height()}")):
        root.setAttribute(key, value)
    out.appendChild(root)
    for index, (data, rect) in enumerate(parts):
        inner = xml.dom.minidom.parseString(data).documentElement
        _prefix_ids(inner, f"p{index}_")
        group = out.createElement("g")
        group.setAttribute("transform", f"translate({rect.x()},{rect.y()})")
        for child in list(inner.childNodes):
            if child.nodeType == child.ELEMENT_NODE and child.tagName not in ("title", "desc"):
                group.appendChild(out.importNode(child, True))
        root.appendChild(group)
    for text, point in titles:
        label = out.createElement("text")
        for key, value in (("x", str(point.x() + 4)), ("y", str(point.y() + 14)),
                           ("font-family", "sans-serif"), ("font-size", "12"),
                           ("font-weight", "bold")):
            label.setAttribute(key, value)
        label.appendChild(out.createTextNode(text))
        root.appendChild(label)
    return out.toxml(encoding="utf-8")


def _prefix_ids(element, prefix: str) -> None:
    """Rename every id in the tree and the url(#id)/#id references to it."""
    elements = [element, *element.getElementsByTagName("*")]
    ids = {e.getAttribute("id") for e in elements if e.getAttribute("id")}
    if not ids:
        return
    pattern = re.compile(r"#(" + "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
                         + r")\b")
    for e in elements:
        for name, value in list(e.attributes.items()):
            if name == "id":
                e.setAttribute(name, prefix + value)
            elif "#" in value:
                e.setAttribute(name, pattern.sub(lambda m: "#" + prefix + m.group(1), value))
