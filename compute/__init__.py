"""The mathematics of MGAI Lab, free of Qt: experiments, integrators, densities, optimizers.

Nothing here imports Qt, ``panels`` or ``mgai_lab`` (a test enforces it), and torch is
imported lazily by the experiments that need it.
"""

from .experiment import Diverged, Experiment, Frame, checked_frames
from .params import Bool, Choice, Float, Int, Multi, Param, ParamError, ParamSpec, Seed
from .registry import ExperimentInfo, UnknownExperiment, all_experiments, catalog, get, register

__all__ = [
    "Bool", "Choice", "Diverged", "Experiment", "ExperimentInfo", "Float", "Frame", "Int",
    "Multi", "Param", "ParamError", "ParamSpec", "Seed", "UnknownExperiment", "all_experiments",
    "catalog", "checked_frames", "get", "register",
]
