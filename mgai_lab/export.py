"""Exporting what an experiment shows: images, frame data, and recordings to MP4/GIF.

Every file is written atomically (a temporary file renamed into place), so an interrupted
export never leaves a partial file and never damages an existing one.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from compute.experiment import Experiment, Frame
from panels import export as panel_export
from panels.base import ViewPanel
from panels.grid import PanelGrid
from panels.theme import Theme

from .api import frame_npz_bytes
from .presets import atomic_write, check_folder, default_file_mode

IMAGE_FORMATS = (".png", ".svg")
VIDEO_FORMATS = (".mp4", ".gif")
RECORD_SIZE = (1280, 720)  # even dimensions, as H.264 needs
MAX_HOLD_S = 1.0  # real-time recording: longest time one frame is held in the video


class ExportError(RuntimeError):
    """An export could not be written; the message says why."""


# -- images ----------------------------------------------------------------------------
def image_png_bytes(image: QtGui.QImage) -> bytes:
    buffer = QtCore.QBuffer()
    buffer.open(QtCore.QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise ExportError("could not encode the PNG image")
    return bytes(buffer.data())


def write_png(widgets: list[QtWidgets.QWidget], path: Path | str,
              scale: float = 1.0) -> Path:
    """The widgets as they are now (zoom, selection, time) re-rendered at ``scale`` (1–4)
    on one image, placed as they sit in their window."""
    if not 1.0 <= scale <= 4.0:
        raise ExportError(f"PNG scale must be between 1 and 4, got {scale:g}")
    return atomic_write(path, image_png_bytes(panel_export.render_widgets(widgets, scale)),
                        overwrite=True)


def write_svg(panels: list[ViewPanel], path: Path | str,
              titled: list[QtWidgets.QWidget] | None = None) -> Path:
    """One or more panels as one SVG, placed as they sit in their window.

    ``titled`` are the widgets framing the panels (docks, grid cells) whose window titles
    are written above each panel; a single panel alone is exported as it is.
    """
    if len(panels) == 1 and not titled:
        data = panel_export.panel_svg(panels[0])
    else:
        frames = titled or panels
        panel_rects, _ = panel_export.widget_rects(panels)
        frame_rects, union = panel_export.widget_rects(frames)
        origin = union.topLeft()
        parts = [(panel_export.panel_svg(p), r.translated(-origin))
                 for p, r in zip(panels, panel_rects, strict=True)]
        titles = [(w.windowTitle(), r.topLeft() - origin)
                  for w, r in zip(frames, frame_rects, strict=True)] if titled else []
        data = panel_export.combine_svgs(parts, union.size(), titles)
    return atomic_write(path, data, overwrite=True)


# -- frame data ------------------------------------------------------------------------
def frame_csv_bytes(frame: Mapping[str, Any]) -> bytes:
    """The frame in long ("tidy") form: one row per value, ``field,index,value``.

    ``index`` is the position in the array (``i`` or ``i;j;…``), empty for scalars, so
    fields of any shape fit one table that spreadsheets and pandas read directly.
    """
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["field", "index", "value"])
    for name, value in frame.items():
        array = np.asarray(value)
        if array.ndim == 0:
            writer.writerow([name, "", _csv_value(array.item())])
            continue
        for index in np.ndindex(array.shape):
            writer.writerow([name, ";".join(map(str, index)), _csv_value(array[index].item())])
    return text.getvalue().encode("utf-8")


def _csv_value(value: Any) -> Any:
    return repr(value) if isinstance(value, float) else value


def write_frame(frame: Frame, path: Path | str, experiment: type[Experiment] | Experiment,
                params: Mapping[str, Any]) -> Path:
    """The frame as CSV or NPZ, chosen by the file's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        data = frame_csv_bytes(frame)
    elif suffix == ".npz":
        data = frame_npz_bytes(frame, experiment.id, params)
    else:
        raise ExportError(f"frame data can be written as .csv or .npz, not {suffix or 'no suffix'}")
    return atomic_write(path, data, overwrite=True)


# -- recording -------------------------------------------------------------------------
def _check_ffmpeg() -> None:
    """Raise (RuntimeError) when there is no ffmpeg executable to write MP4 with."""
    import imageio_ffmpeg

    exe = imageio_ffmpeg.get_ffmpeg_exe()  # raises when none is found
    if not (os.path.isfile(exe) or shutil.which(exe)):
        raise RuntimeError(f"ffmpeg not found at {exe}")


def drawing_size(size: tuple[int, int], minimum: QtCore.QSize) -> tuple[int, int]:
    """The size to draw a video of ``size`` at: ``size`` itself, or, where the views need
    more room than that (``minimum``), the same aspect ratio enlarged until they fit. Each
    grab is then scaled down to ``size``, so every video frame has the size the encoder was
    promised (a smaller grab or a larger one garbled the GIF)."""
    width, height = size
    factor = max(1.0, minimum.width() / width, minimum.height() / height)
    return math.ceil(width * factor), math.ceil(height * factor)


class _GifWriter:
    """GIF through ffmpeg, encoded frame by frame in ffmpeg's own process.

    (imageio's Pillow GIF writer keeps every frame and encodes them all when closed, about
    0.2 s a frame: closing a recording of a few hundred frames blocked the GUI for a
    minute.)
    """

    def __init__(self, path: Path, size: tuple[int, int], fps: float):
        import imageio_ffmpeg

        self._frames = imageio_ffmpeg.write_frames(
            str(path), size, fps=fps, codec="gif", pix_fmt_out="rgb8", macro_block_size=1,
            output_params=["-f", "gif", "-loop", "0"])
        self._frames.send(None)

    def append_data(self, image: np.ndarray) -> None:
        self._frames.send(np.ascontiguousarray(image))

    def close(self) -> None:
        self._frames.close()


class Recorder:
    """Records frames of an experiment's views to MP4 or GIF at ``fps`` video frames a second.

    The views are drawn by an offscreen :class:`PanelGrid` of fixed size fed with the same
    frames, so the video does not depend on the window's layout. With ``real_time`` (the
    GUI) the video plays back at the pace the run was shown: each frame is held for the
    wall-clock time until the next one (repeated video frames), so 4 seconds of a run shown
    at 10 fps last 4 seconds; a pause longer than MAX_HOLD_S is shortened to it. Without it
    (the command line) every frame is one video frame. Frames go to a temporary file next
    to the target; :meth:`stop` renames it into place, :meth:`abort` deletes it.
    """

    def __init__(self, experiment: type[Experiment], path: Path | str, theme: Theme, *,
                 fps: float = 30.0, size: tuple[int, int] = RECORD_SIZE,
                 real_time: bool = False, hidden_views: frozenset[str] = frozenset()):
        import imageio.v2 as imageio

        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in VIDEO_FORMATS:
            raise ExportError(f"recordings are .mp4 or .gif, not {suffix or 'no suffix'}")
        if size[0] % 2 or size[1] % 2:
            raise ExportError(f"video frames need an even width and height, not "
                              f"{size[0]}x{size[1]}")
        try:
            check_folder(self.path)
        except FileNotFoundError as exc:
            raise ExportError(str(exc)) from None
        self.fps = fps
        self.real_time = real_time
        self._video_time = 0.0  # real time: seconds of video before the last frame
        self._last_time = 0.0
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=f".part{suffix}",
                                   dir=self.path.parent)
        os.close(fd)
        os.chmod(tmp, default_file_mode())
        self._tmp = Path(tmp)
        try:
            _check_ffmpeg()  # no ffmpeg: refuse now, not at the first frame
            if suffix == ".mp4":
                # yuv420p needs even sizes only; imageio would otherwise pad to 16
                self._writer = imageio.get_writer(self._tmp, format="FFMPEG", fps=fps,
                                                  codec="libx264", quality=8,
                                                  macro_block_size=2)
            else:
                self._writer = _GifWriter(self._tmp, size, fps)
        except Exception as exc:
            self._tmp.unlink(missing_ok=True)
            raise ExportError(f"cannot record {suffix} here: {exc}") from exc
        self.frames = 0  # experiment frames recorded
        self.video_frames = 0
        self._last: np.ndarray | None = None
        self._failed = False
        self.size = size
        self.grid = PanelGrid(experiment.views, theme, hidden=hidden_views)
        self.grid.setAttribute(QtCore.Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        self.grid.resize(*drawing_size(size, self.grid.minimumSizeHint()))
        self.grid.show()

    def add_frame(self, frame: Frame) -> None:
        """Draw ``frame`` and append it to the video."""
        shown = time.monotonic()
        self.grid.update_frame(frame)
        QtWidgets.QApplication.processEvents(
            QtCore.QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        image = self.grid.grab().toImage()
        if (image.width(), image.height()) != self.size:  # drawn larger than its minimum
            image = image.scaled(*self.size, QtCore.Qt.AspectRatioMode.IgnoreAspectRatio,
                                 QtCore.Qt.TransformationMode.SmoothTransformation)
        image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
        width, height = image.width(), image.height()
        row = image.bytesPerLine()
        pixels = np.frombuffer(image.constBits(), dtype=np.uint8, count=row * height)
        pixels = pixels.reshape(height, row)[:, : width * 3].reshape(height, width, 3)
        pixels = pixels.copy()
        try:
            self._hold_last_frame(shown)
            self._writer.append_data(pixels)
            self.video_frames += 1
        except Exception as exc:  # ffmpeg died, the disk filled up: the file is unusable
            self._failed = True
            raise ExportError(f"the video writer failed: {exc}") from exc
        self._last, self._last_time = pixels, shown
        self.frames += 1

    def _hold_last_frame(self, until: float) -> None:
        """Real time: repeat the last frame for as long as it stayed on screen, up to
        ``until`` (a pause longer than MAX_HOLD_S counts as MAX_HOLD_S), so the video keeps
        the pace seen."""
        if not self.real_time or self._last is None:
            return
        self._video_time += min(until - self._last_time, MAX_HOLD_S)
        while self.video_frames < round(self._video_time * self.fps):
            self._writer.append_data(self._last)
            self.video_frames += 1

    def stop(self) -> Path:
        """Finish the file and move it into place; returns its path."""
        try:
            try:
                self._hold_last_frame(time.monotonic())
                self._writer.close()
            except Exception as exc:  # e.g. ffmpeg ended with an error status
                raise ExportError(f"the video writer failed: {exc}") from exc
            if self._failed:
                raise ExportError("the video writer failed mid-recording; nothing was kept")
            if self.frames == 0:
                raise ExportError("nothing was recorded (no frame was shown)")
            os.replace(self._tmp, self.path)
        except BaseException:
            self._tmp.unlink(missing_ok=True)
            raise
        finally:
            self._close_grid()
        return self.path

    def abort(self) -> None:
        """Stop without keeping anything."""
        with contextlib.suppress(Exception):
            self._writer.close()
        self._tmp.unlink(missing_ok=True)
        self._close_grid()

    def _close_grid(self) -> None:
        self.grid.close()
        self.grid.deleteLater()
