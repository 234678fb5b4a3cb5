"""``mgai-lab render-lecture FILE --out DIR``: every step of a lecture recorded to MP4 for
slides, with an index (``index.json`` and ``index.md``: step, title, file, status).

Each step is rendered headless exactly as ``mgai-lab render ID --out F.mp4`` renders an
experiment (:class:`mgai_lab.render.Renderer`), from the state the step opens in. A step
that cannot be played is listed in the index as skipped, with the reason, and named on
stderr; the other steps are still rendered (exit status 1 when any was skipped).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from compute import backend

from . import lecture as lectures
from . import presets
from .cli import EXIT_DIVERGED, EXIT_ERROR, EXIT_OK, CliError, parse_size, pull_frames


def add_parser(sub: Any) -> None:
    """The ``render-lecture`` sub-command's options."""
    parser = sub.add_parser("render-lecture",
                            help="record every step of a lecture to MP4, with an index")
    parser.add_argument("file", metavar="FILE", help="the lecture (JSON)")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder for the videos and the index (created if missing)")
    parser.add_argument("--frames", type=int, default=150, metavar="N",
                        help="frames recorded per step (default 150: 5 s at 30 fps)")
    parser.add_argument("--size", default="1280x720", metavar="WxH")
    parser.add_argument("--fps", type=float, default=30.0, help="video rate (default 30)")
    parser.add_argument("--theme", default="light", choices=("light", "dark", "presentation"))
    parser.add_argument("--device", default="auto", choices=backend.DEVICES)


def slug(text: str) -> str:
    """A file-name-safe version of a step title."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "step"


def cmd_render_lecture(args: argparse.Namespace) -> int:
    from . import render

    width, height = parse_size(args.size)
    if width % 2 or height % 2:
        raise CliError(f"a video needs an even width and height, got --size {args.size}")
    if args.frames < 1:
        raise CliError(f"--frames must be at least 1, got {args.frames}")
    if not 1 <= args.fps <= 120:
        raise CliError(f"--fps must be between 1 and 120, got {args.fps:g}")
    try:
        lecture = lectures.load(args.file)
    except lectures.LectureError as exc:
        raise CliError(f"lecture refused: {exc}") from None
    for warning in lecture.warnings:
        print(f"mgai-lab: lecture: {warning}", file=sys.stderr)
    out = Path(args.out)
    if not out.parent.is_dir():
        raise CliError(f"the folder {out.parent} of --out does not exist")
    out.mkdir(exist_ok=True)

    entries: list[dict[str, Any]] = []
    for index, step in enumerate(lecture.steps):
        entry: dict[str, Any] = {"step": index + 1, "title": step.label(),
                                 "experiment": step.experiment, "note": step.note}
        try:
            resolved = lecture.resolve(index)
            name = f"{index + 1:02d}-{slug(step.label())}.mp4"
            experiment = resolved.cls(resolved.values, device=args.device)
            experiment.set_steps_per_frame(resolved.speed)
            with render.Renderer(resolved.cls, out / name, (width, height), args.theme,
                                 fps=args.fps, hidden=experiment.hidden_views(experiment.p)
                                 ) as renderer:
                frame, pulled, status, message = pull_frames(experiment, args.frames,
                                                             renderer.add_frame)
                if frame is None:
                    raise lectures.LectureError(f"{resolved.cls.id} produced no frame")
                renderer.finish(frame)
            entry.update(file=name, status=status, frames=pulled)
            if message:
                entry["message"] = message
        except Exception as exc:  # a bad step, a refused value, a failing run: skip it
            reason = str(exc) if isinstance(exc, lectures.LectureError) else \
                f"step {index + 1} ({step.experiment}): {type(exc).__name__}: {exc}"
            entry.update(file=None, status="skipped", message=reason)
        if entry.get("message"):
            print(f"mgai-lab: {entry['message']}", file=sys.stderr)
        entries.append(entry)
        print(json.dumps({k: v for k, v in entry.items() if k != "note"}), flush=True)

    index_data = {"title": lecture.title, "lecture": str(Path(args.file)), "steps": entries}
    presets.atomic_write(out / "index.json", (json.dumps(index_data, indent=2,
                                                         ensure_ascii=False) + "\n").encode(),
                         overwrite=True)
    presets.atomic_write(out / "index.md", index_markdown(lecture.title, entries).encode(),
                         overwrite=True)
    statuses = {e["status"] for e in entries}
    if "skipped" in statuses:
        return EXIT_ERROR
    return EXIT_DIVERGED if "diverged" in statuses else EXIT_OK


def index_markdown(title: str, entries: list[dict[str, Any]]) -> str:
    """The index as a Markdown table (step, title, file, status)."""
    lines = [f"# {title or 'Lecture'}", "", "| Step | Title | File | Status |",
             "|---:|---|---|---|"]
    for e in entries:
        link = f"[{e['file']}]({e['file']})" if e.get("file") else "—"
        status = e["status"] + (f": {e['message']}" if e.get("message") else "")
        cells = [str(e["step"]), e["title"], link, status]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
