"""The command line (DESIGN §8): the GUI launch, ``list``, ``describe``, ``run`` and ``render``.

``run`` and ``render`` drive the same experiment objects as the GUI. Bad ids, parameter
names or values end with a non-zero exit and a message naming them; a run that diverges
writes its last good frame and exits with status 3.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from compute import backend, registry
from compute.experiment import Experiment, Frame
from compute.params import ParamError

from . import api, presets

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_DIVERGED = 0, 1, 2, 3
COMMANDS = ("list", "describe", "run", "render", "sweep", "render-lecture")
DEFAULT_EXPERIMENT = "ch7.langevin-double-well"


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


# -- argument parsing ------------------------------------------------------------------
def _add_param_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", metavar="NAME|FILE", help="start from a preset")
    parser.add_argument("--set", dest="assignments", action="append", default=[],
                        metavar="NAME=VALUE", help="set one parameter (repeatable)")
    parser.add_argument("--seed", type=int, help="random seed (same as --set seed=S)")
    parser.add_argument("--device", default="auto", choices=backend.DEVICES,
                        help="compute device for torch experiments (default: auto)")
    parser.add_argument("--speed", type=int, metavar="N",
                        help="internal steps per frame (default: the experiment's)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mgai-lab", description="MGAI Lab command line (without a command: the GUI).")
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="all experiments, by chapter")
    p_list.add_argument("--json", action="store_true", help="machine-readable output")
    p_desc = sub.add_parser("describe", help="metadata, parameters, views, frame fields (JSON)")
    p_desc.add_argument("id")
    p_run = sub.add_parser("run", help="run headless and save the final frame to NPZ")
    p_run.add_argument("id")
    _add_param_options(p_run)
    p_run.add_argument("--steps", type=int, default=100, metavar="N",
                       help="frames to pull from the experiment (default 100)")
    p_run.add_argument("--out", required=True, metavar="F.npz")
    p_render = sub.add_parser("render", help="render the views after N frames to an image/video")
    p_render.add_argument("id")
    _add_param_options(p_render)
    p_render.add_argument("--frames", type=int, default=100, metavar="N")
    p_render.add_argument("--out", required=True, metavar="F.png|F.svg|F.mp4|F.gif")
    p_render.add_argument("--size", default="1200x900", metavar="WxH")
    p_render.add_argument("--fps", type=float, default=30.0,
                          help="video playback rate: each frame pulled is one video frame "
                               "(default 30)")
    p_render.add_argument("--theme", default="light", choices=("light", "dark", "presentation"))
    from . import sweeps

    sweeps.add_parser(sub, _add_param_options)
    from .lecture_render import add_parser as add_render_lecture

    add_render_lecture(sub)
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mgai-lab",
        description="MGAI Lab, the visual laboratory of Mathematics of Generative AI. "
                    f"Commands: {', '.join(COMMANDS)} (see 'mgai-lab COMMAND --help').")
    parser.add_argument("--experiment", metavar="ID", help="experiment to open")
    parser.add_argument("--preset", metavar="NAME|FILE")
    parser.add_argument("--set", dest="assignments", action="append", default=[],
                        metavar="NAME=VALUE")
    parser.add_argument("--present", action="store_true", help="start in presentation mode")
    parser.add_argument("--compare", action="append", default=[], metavar="NAME=VALUE",
                        help="A/B compare: the experiment twice side by side, B with this "
                             "value (repeatable)")
    parser.add_argument("--lecture", metavar="FILE",
                        help="open a lecture at its first step (PageDown/PageUp walk it)")
    parser.add_argument("--play", action="store_true", help="start playing at once")
    parser.add_argument("--device", default="auto", choices=backend.DEVICES)
    parser.add_argument("--screenshot", metavar="F.png",
                        help="play, save the window to F.png after --screenshot-frames, quit")
    parser.add_argument("--screenshot-frames", type=int, default=200, metavar="N")
    parser.add_argument("--size", metavar="WxH", help="window size, e.g. 1600x1000")
    return parser


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise CliError(f"--size must look like 1200x900, got {text!r}") from None
    if width < 100 or height < 100:
        raise CliError(f"--size is too small: {text}")
    return width, height


# -- shared helpers (thin layers over mgai_lab.api, errors turned into CliError) -----------
def _warn(text: str) -> None:
    print(f"mgai-lab: {text}", file=sys.stderr)


def get_experiment(experiment_id: str) -> type[Experiment]:
    try:
        return api.experiment_class(experiment_id)
    except registry.UnknownExperiment as exc:
        raise CliError(str(exc)) from None


def resolve_values(cls: type[Experiment], preset: str | None, assignments: Sequence[str],
                   seed: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parameter values from a preset, then ``--set`` and ``--seed``; and the preset's view."""
    try:
        return api.resolve_values(cls, preset=preset, assignments=assignments, seed=seed,
                                  on_warning=_warn)
    except (presets.PresetError, ParamError) as exc:  # api's ParameterError names it
        raise CliError(str(exc)) from None


def make_experiment(args: argparse.Namespace) -> Experiment:
    try:
        return api.prepare(args.id, seed=args.seed, preset=args.preset,
                           assignments=args.assignments, speed=args.speed,
                           device=args.device, on_warning=_warn)
    except (registry.UnknownExperiment, presets.PresetError, ParamError, api.RunError) as exc:
        raise CliError(str(exc)) from None


def pull_frames(experiment: Experiment, count: int, on_frame=None
                ) -> tuple[Frame | None, int, str, str]:
    """Up to ``count`` frames, each passed to ``on_frame`` if given.

    Returns (last frame, frames pulled, status, message).
    """
    try:
        result = api.run_experiment(experiment, count, keep="last", on_frame=on_frame)
    except api.RunError as exc:
        raise CliError(str(exc)) from None
    return result.last, result.pulled, result.status, result.message


# -- commands --------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    experiments = api.list()
    if args.json:
        print(json.dumps([{k: e[k] for k in ("id", "title", "section", "family", "summary")}
                          for e in experiments], indent=2))
        return EXIT_OK
    chapter = None
    for info in experiments:
        if info["chapter"] != chapter:
            chapter = info["chapter"]
            print(f"Chapter {chapter}")
        print(f"  {info['id']:<36} §{info['section']:<8} {info['title']}")
    return EXIT_OK


def cmd_describe(args: argparse.Namespace) -> int:
    try:
        info = api.describe(args.id)
    except registry.UnknownExperiment as exc:
        raise CliError(str(exc)) from None
    print(json.dumps(info, indent=2, default=api.json_value))
    return EXIT_OK


def check_out(out: Path) -> None:
    """Refuse an output whose folder does not exist (it is not created silently)."""
    if not out.parent.is_dir():
        raise CliError(f"the folder {out.parent} of --out does not exist")


def cmd_run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.suffix != ".npz":
        raise CliError(f"--out must end in .npz, got {out.name}")
    check_out(out)
    experiment = make_experiment(args)
    try:
        result = api.run_experiment(experiment, args.steps, keep="last")
        if result.last is not None:
            result.save_npz(out)
    except api.RunError as exc:
        raise CliError(str(exc)) from None
    summary = result.summary()
    summary["out"] = str(out) if result.last is not None else None
    if result.message:
        print(f"mgai-lab: {experiment.id} {result.message}", file=sys.stderr)
    print(json.dumps(summary, default=api.json_value))
    return EXIT_DIVERGED if result.status == "diverged" else EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    size = parse_size(args.size)
    experiment = make_experiment(args)
    try:
        result = api.render_experiment(experiment, args.out, args.frames, size=size,
                                       theme=args.theme, fps=args.fps)
    except (api.RunError, api.RenderError) as exc:
        raise CliError(str(exc)) from None
    if result.message:
        print(f"mgai-lab: {experiment.id} {result.message}", file=sys.stderr)
    print(json.dumps({"experiment": experiment.id, "status": result.status,
                      "frames": result.pulled, "out": str(args.out)}))
    return EXIT_DIVERGED if result.status == "diverged" else EXIT_OK


def cmd_gui(argv: Sequence[str]) -> int:
    args = build_gui_parser().parse_args(argv)
    experiment_id = args.experiment
    values, view = None, {}
    if experiment_id or args.preset or args.assignments or args.compare:
        experiment_id = experiment_id or DEFAULT_EXPERIMENT
        values, view = resolve_values(get_experiment(experiment_id), args.preset,
                                      args.assignments)
    compare = compare_values(get_experiment(experiment_id), values, args.compare) \
        if args.compare else None
    if args.lecture:  # a file that is not a lecture is refused before the window opens
        from . import lecture

        try:
            lecture.load(args.lecture)
        except lecture.LectureError as exc:
            raise CliError(f"lecture refused: {exc}") from None
    from .app import run_gui

    speed = view.get("steps_per_frame")
    return run_gui(experiment_id, values, present=args.present, playing=args.play,
                   speed=speed if isinstance(speed, int) else None,
                   device=args.device, screenshot=args.screenshot,
                   screenshot_frames=args.screenshot_frames,
                   size=parse_size(args.size) if args.size else None, compare=compare,
                   lecture=args.lecture)


def compare_values(cls: type[Experiment], values: dict[str, Any],
                   assignments: Sequence[str]) -> dict[str, Any]:
    """B's values for ``--compare NAME=VALUE``: A's with these changes (see compare_model)."""
    from .compare_model import NothingChanged, b_values

    try:
        return b_values(cls, values, cls.spec().parse_assignments(assignments))
    except NothingChanged as exc:
        raise CliError(f"--compare: {exc.message}") from None
    except ParamError as exc:
        raise CliError(f"--compare: parameter {exc.name!r}: {exc.message}") from None


def cmd_sweep(args: argparse.Namespace) -> int:
    from . import sweeps

    return sweeps.cmd_sweep(args)


def cmd_render_lecture(args: argparse.Namespace) -> int:
    from .lecture_render import cmd_render_lecture as render_lecture

    return render_lecture(args)


COMMAND_FUNCS = {"list": cmd_list, "describe": cmd_describe, "run": cmd_run, "render": cmd_render,
                 "sweep": cmd_sweep, "render-lecture": cmd_render_lecture}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            args = build_parser().parse_args(argv)
            code = COMMAND_FUNCS[args.command](args)
            sys.stdout.flush()  # a closed pipe shows up here, inside the handler below
            return code
        if argv and argv[0] in ("-h", "--help") and len(argv) == 1:
            build_gui_parser().print_help()
            return EXIT_OK
        return cmd_gui(argv)
    except CliError as exc:
        print(f"mgai-lab: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `mgai-lab list | head`: the reader left; not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
